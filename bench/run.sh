#!/bin/bash
# bench/run.sh: every benchmark, each figure beside its baseline, ratios from the same run.
#
# Machines are noisy: variants are run interleaved (A B C A B C ...) and the
# median of the repetitions is reported.  Usage: bench/run.sh [NAME...]
set -u
cd "$(dirname "$0")/.."
B=build/bench
REPS=${BENCH_REPS:-5}
only=("$@")
out=build/bench-results.txt
: >"$out"

want() {
    [ ${#only[@]} -eq 0 ] && return 0
    local n
    for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# report NAME VALUE UNIT BASELINE_NAME BASELINE_VALUE GOAL
report() {
    local line
    line=$(awk -v n="$1" -v v="$2" -v u="$3" -v bn="$4" -v bv="$5" -v g="$6" \
        'BEGIN { printf "%-44s %10.2f %-6s vs %-28s %10.2f  ratio %5.2f  (goal %s)\n", n, v, u, bn, bv, (bv > 0 ? v / bv : 0), g }')
    echo "$line"
    echo "$line" >>"$out"
}

# One line from a run: "<label> <value>" -> value
val() { awk '{print $2}'; }

if want trace; then
    echo "== hv/ tracing cost: order-0 allocate+free pair (ns)"
    for i in $(seq "$REPS"); do
        $B/bench_claim_notrace alloc off 3000000 | val >>/tmp/xcb.out.$$
        $B/bench_claim alloc off 3000000 | val >>/tmp/xcb.off.$$
        $B/bench_claim alloc on 3000000 | val >>/tmp/xcb.on.$$
    done
    out_ns=$(median </tmp/xcb.out.$$)
    off_ns=$(median </tmp/xcb.off.$$)
    on_ns=$(median </tmp/xcb.on.$$)
    rm -f /tmp/xcb.*.$$
    report "tracing compiled in, off" "$off_ns" ns "compiled out" "$out_ns" "<= 1.03"
    report "tracing on (per-CPU buffer)" "$on_ns" ns "compiled out" "$out_ns" "<= 1.30"
fi

if want stake; then
    echo "== claim staking: stake+cancel pair (ns)"
    for i in $(seq "$REPS"); do
        $B/bench_claim stake 1 1 1000000 | val >>/tmp/xcb.s1.$$
        $B/bench_claim stake 1073741824 1 1000000 | val >>/tmp/xcb.s30.$$
        $B/bench_claim stake 1 30000 1000000 | val >>/tmp/xcb.d30k.$$
    done
    s1=$(median </tmp/xcb.s1.$$)
    s30=$(median </tmp/xcb.s30.$$)
    d30k=$(median </tmp/xcb.d30k.$$)
    rm -f /tmp/xcb.*.$$
    report "stake 2^30 pages" "$s30" ns "stake 1 page" "$s1" "<= 1.2"
    report "stake with 30,000 domains" "$d30k" ns "stake with 1 domain" "$s1" "<= 1.2"
fi

for extra in bench/run.d/*.sh; do
    [ -f "$extra" ] || continue
    n=$(basename "$extra" .sh)
    want "$n" || continue
    # shellcheck source=/dev/null
    . "$extra"
done
echo "results also in $out"
