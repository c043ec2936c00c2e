#!/bin/bash
# tests/scripts/analyze_filters.sh: xenclaim-analyze's time window (--from/--to with units) and domain filter (--domain) against the reference; TAP output.
#
# On the demo scenario (claims, denials, refused stakes over 192 s):
#   - windows given in s, ms, us and bare seconds select the claims
#     overlapping them, the denials and refused stakes inside them, and
#     the dump lines inside them, as tests/scripts/analyze_ref.py computes
#     from the records; equal windows written with other units give the
#     same report;
#   - a domain filter lists those domains only, their claims and refused
#     stakes, and the denials they suffered or blocked;
#   - bad values are refused with exit 2 and a message.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }

A=build/bin/xenclaim-analyze
REF=tests/scripts/analyze_ref.py
dir=build/test-traces/analyze-filters
rm -rf "$dir"
mkdir -p "$dir"
if [ ! -x $A ] || [ ! -x build/bin/xenclaim-scenario ]; then
    nok "built: expected $A and xenclaim-scenario (run make first)"
    echo "1..$n"
    exit 1
fi
t=$dir/demo.trace
build/bin/xenclaim-scenario run mock/scenarios/demo.scn -o "$t" >/dev/null 2>&1 ||
    nok "demo scenario: expected a trace"

same() {    # same WHAT EXPECTED SEEN
    if cmp -s "$2" "$3"; then
        ok "$1 ($(wc -l <"$2") lines)"
    else
        nok "$1: expected (reference) vs seen: $(diff "$2" "$3" | head -6 | tr '\n' ' ')"
    fi
}

# window: from, to (as given), ticks at 1 GHz
check_window() {
    local from=$1 to=$2 fticks=$3 tticks=$4 tag=$5 what
    if ! $A --json --from "$from" --to "$to" "$t" >"$dir/$tag.json" 2>"$dir/$tag.err"; then
        nok "window $from..$to: expected exit 0, got: $(head -2 "$dir/$tag.err")"
        return
    fi
    python3 $REF all "$t" "$dir/$tag" --from "$fticks" --to "$tticks"
    for what in lives denials fails; do
        mv "$dir/$tag.$what" "$dir/$tag.$what.ref"
        python3 $REF ours "$what" "$dir/$tag.json" >"$dir/$tag.$what.ours"
        same "window $from..$to: $what" "$dir/$tag.$what.ref" "$dir/$tag.$what.ours"
    done
    read -r wf wt <<EOF
$(python3 -c 'import json,sys; w = json.load(open(sys.argv[1]))["window"]; print("%.9f %.9f" % (w["from_s"], w["to_s"]))' "$dir/$tag.json")
EOF
    want=$(awk -v f="$fticks" -v t="$tticks" 'BEGIN { printf "%.9f %.9f", f / 1e9, t / 1e9 }')
    if [ "$wf $wt" = "$want" ]; then ok "window $from..$to: reported as $wf .. $wt s"
    else nok "window $from..$to: expected $want, got $wf $wt"; fi
}

check_window 60s 100s 60000000000 100000000000 w1
check_window 69500ms 70500ms 69500000000 70500000000 w2
check_window 0.002 2500000us 2000000 2500000000 w3

# the same window in other units gives the same report
$A --json --from 60s --to 100s "$t" >"$dir/u1.json" 2>/dev/null
$A --json --from 1min --to 100000ms "$t" >"$dir/u2.json" 2>/dev/null
$A --json --from 60 --to 100000000000ns "$t" >"$dir/u3.json" 2>/dev/null
if cmp -s "$dir/u1.json" "$dir/u2.json" && cmp -s "$dir/u1.json" "$dir/u3.json"; then
    ok "units: 60s..100s = 1min..100000ms = 60..100000000000ns"
else
    nok "units: expected the same report, got: $(diff "$dir/u1.json" "$dir/u2.json" | head -3 | tr '\n' ' ') / $(diff "$dir/u1.json" "$dir/u3.json" | head -3 | tr '\n' ' ')"
fi

# the dump honours the window: records with 69.5 s <= t <= 70.5 s
$A --dump --from 69500ms --to 70500ms "$t" >"$dir/dump-window.txt" 2>/dev/null
want=$(python3 - "$t" <<'PY'
import sys
sys.path.insert(0, 'tests/scripts')
import analyze_ref as r
recs = r.records(sys.argv[1])
t0 = recs[0][0]
print(sum(1 for x in recs if 69500000000 <= x[0] - t0 <= 70500000000))
PY
)
got=$(wc -l <"$dir/dump-window.txt")
if [ "$got" = "$want" ] && [ "$want" -gt 0 ]; then ok "dump window: $got records between 69.5 s and 70.5 s"
else nok "dump window: expected $want lines, got $got"; fi
first=$(awk 'NR == 1 { print $1 }' "$dir/dump-window.txt")
last=$(awk 'END { print $1 }' "$dir/dump-window.txt")
if awk -v a="$first" -v b="$last" 'BEGIN { exit !(a >= 69.5 && b <= 70.5) }'; then ok "dump window: times $first .. $last within it"
else nok "dump window: expected times in 69.5 .. 70.5, got $first .. $last"; fi

# domain filter
doms=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
d = [x["domid"] for x in j["denials"] if x["domid"] is not None]
h = [b["domid"] for x in j["denials"] for b in x["blocked_by"]]
f = [x["domid"] for x in j["refused_stakes"]]
print(",".join(str(v) for v in sorted(set(d[:1] + h[:1] + f[:1]))))' "$dir/u1.json")
args=""
for d in ${doms//,/ }; do args="$args --domain $d"; done
# shellcheck disable=SC2086
$A --json $args "$t" >"$dir/dom.json" 2>"$dir/dom.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(python3 $REF ours domains "$dir/dom.json")" = "${doms//,/ }" ]; then
    ok "domain filter $args: lists exactly d${doms//,/ d}"
else
    nok "domain filter $args: expected exit 0 and domains ${doms//,/ }, got exit $rc, $(python3 $REF ours domains "$dir/dom.json" 2>&1 | head -1)"
fi
python3 $REF all "$t" "$dir/dom" --domains "$doms"
for what in lives denials fails; do
    mv "$dir/dom.$what" "$dir/dom.$what.ref"
    python3 $REF ours "$what" "$dir/dom.json" >"$dir/dom.$what.ours"
    same "domain filter: $what" "$dir/dom.$what.ref" "$dir/dom.$what.ours"
done
# d-prefixed ids are accepted
d1=${doms%%,*}
$A --json --domain "d$d1" "$t" >"$dir/dom1a.json" 2>/dev/null
$A --json --domain "$d1" "$t" >"$dir/dom1b.json" 2>/dev/null
if cmp -s "$dir/dom1a.json" "$dir/dom1b.json"; then ok "domain filter: --domain d$d1 = --domain $d1"
else nok "domain filter: --domain d$d1 and --domain $d1 differ"; fi
# the dump keeps heap records and the domain's own
$A --dump --domain "$d1" "$t" >"$dir/dump-domain.txt" 2>/dev/null
others=$(awk -v d="domid=$d1" '$3 != "heap" && $3 != "lost_records" && $4 != d' "$dir/dump-domain.txt" | wc -l)
mine=$(awk -v d="domid=$d1" '$4 == d' "$dir/dump-domain.txt" | wc -l)
if [ "$others" = 0 ] && [ "$mine" -gt 0 ]; then ok "dump --domain $d1: $mine records of d$d1, heap records, nothing else"
else nok "dump --domain $d1: expected only d$d1's and heap records, got $others others ($mine of d$d1)"; fi

# bad values
for args in "--from 5x" "--to -1s" "--from 2s --to 1s" "--domain 70000" "--domain abc" "--cpu-hz 0" "--cpu-hz fast"; do
    # shellcheck disable=SC2086
    $A $args "$t" >/dev/null 2>"$dir/badarg.err"
    rc=$?
    if [ "$rc" -eq 2 ] && grep -q '^xenclaim-analyze: ' "$dir/badarg.err"; then ok "'$args': exit 2: $(head -1 "$dir/badarg.err")"
    else nok "'$args': expected exit 2 and a message, got exit $rc: $(head -1 "$dir/badarg.err")"; fi
done

echo "1..$n"
exit $bad
