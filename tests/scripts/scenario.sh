#!/bin/bash
# tests/scripts/scenario.sh: shipped scenarios: run, determinism, golden md5s, xenalyze (TAP).
#
# For every mock/scenarios/*.scn: run exits 0, a second run writes the
# same bytes, the md5 is the one in tests/golden/scenarios.md5, Debian's
# xenalyze --dump-all and --summary exit 0 on the trace.  The boot-storm
# pair is checked on the traces themselves (xenclaim-scenario check reads
# the records, not the runner's bookkeeping): with claims no guest dies
# owning pages after a failed allocation, without claims at least one
# does, and the counts agree with what --summary says.  `gen` output for
# seeds 1..20 parses and runs.  Errors: a full disk, a bad scenario.
set -u
cd "$(dirname "$0")/../.."

bin=build/bin/xenclaim-scenario
golden=tests/golden/scenarios.md5
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
# check DESCRIPTION EXPECTED SEEN
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: expected $2, got $3"; fi
}
# key VALUE-FILE KEY: the value of KEY=... in a check or summary output
key() { sed -n "s/^$2=//p" "$1" | head -1; }
# total FILE NAME: NAME=N from the summary's totals line
total() { grep '^totals:' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

if [ ! -x "$bin" ]; then
    nok "$bin missing: run make"
    exit 1
fi
xenalyze=/usr/bin/xenalyze
if [ ! -x "$xenalyze" ]; then
    nok "xenalyze missing: install Debian's xen-utils-common (scripts/deps.sh)"
    exit 1
fi

# ---- every shipped scenario ----------------------------------------------
for s in mock/scenarios/*.scn; do
    name=$(basename "$s")
    t1=$tmp/${name%.scn}.1.trace
    t2=$tmp/${name%.scn}.2.trace
    start=$(date +%s%N)
    "$bin" run "$s" -o "$t1" --summary >"$tmp/sum" 2>"$tmp/err"
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    check "$name: run exits 0 (${ms} ms)" 0 "$rc"
    check "$name: nothing on stderr when it is not a terminal" "" \
        "$(head -c 200 "$tmp/err")"
    "$bin" run "$s" -o "$t2" >/dev/null 2>&1
    if cmp -s "$t1" "$t2"; then
        ok "$name: a second run writes the same $(stat -c %s "$t1") bytes"
    else
        nok "$name: a second run differs: $(cmp "$t1" "$t2" 2>&1 | head -1)"
    fi
    want=$(awk -v f="$name" '$2 == f { print $1 }' "$golden")
    check "$name: md5 as in $golden" "${want:-(no line)}" \
        "$(md5sum <"$t1" | cut -d' ' -f1)"
    "$xenalyze" --dump-all "$t1" >/dev/null 2>"$tmp/xerr"
    check "$name: xenalyze --dump-all exits 0" 0 "$?"
    "$xenalyze" --summary "$t1" >/dev/null 2>"$tmp/xerr"
    check "$name: xenalyze --summary exits 0" 0 "$?"
    "$bin" check "$t1" >"$tmp/${name%.scn}.check" 2>"$tmp/xerr"
    rc=$?
    check "$name: the checker reads the trace" "0 0" \
        "$rc $(grep -c '' "$tmp/xerr")"
    # The checker and the runner agree on guests refused and half-built.
    check "$name: refused at claim, trace vs summary" \
        "$(total "$tmp/sum" refused-at-claim)" \
        "$(key "$tmp/${name%.scn}.check" refused-at-claim)"
    check "$name: half-built, trace vs summary" \
        "$(total "$tmp/sum" half-built)" \
        "$(key "$tmp/${name%.scn}.check" half-built)"
    cp "$tmp/sum" "$tmp/${name%.scn}.sum"
done
for n_ in $(awk '!/^#/ { print $2 }' "$golden"); do
    [ -f "mock/scenarios/$n_" ] || nok "$golden names $n_, which is not shipped"
done

# ---- the boot storm, claims on and off ------------------------------------
on=$tmp/boot-storm-claims.check
off=$tmp/boot-storm-noclaims.check
if [ -f "$on" ] && [ -f "$off" ]; then
    check "boot storm with claims: no guest dies owning pages after a failed allocation" \
        0 "$(key "$on" half-built)"
    r=$(key "$on" refused-at-claim)
    if [ "${r:-0}" -ge 1 ]; then
        ok "boot storm with claims: $r guests refused at claim, owning nothing"
    else
        nok "boot storm with claims: expected at least 1 refused at claim, got ${r:-none}"
    fi
    check "boot storm with claims: no allocation failed" \
        "0 0" "$(key "$on" alloc-failed) $(key "$on" failed-empty)"
    h=$(key "$off" half-built)
    if [ "${h:-0}" -ge 1 ]; then
        ok "boot storm without claims: $h guests die half-built"
    else
        nok "boot storm without claims: expected at least 1 half-built, got ${h:-none}"
    fi
    check "boot storm without claims: no claim staked" 0 "$(key "$off" claims)"
    check "boot storm: the same guests are created in both" \
        "$(key "$on" created)" "$(key "$off" created)"
    p=$(sed -n 's/^half-built pages: \([0-9]*\).*/\1/p' \
        "$tmp/boot-storm-noclaims.sum")
    if [ "${p:-0}" -gt 0 ]; then
        ok "boot storm without claims: $p pages taken by guests that failed"
    else
        nok "boot storm without claims: expected pages wasted, got ${p:-none}"
    fi
else
    nok "boot-storm-claims.scn and boot-storm-noclaims.scn must be shipped"
fi

# The same count through xenclaim-dump's reader, when it is built: a domain
# whose "dying" record shows pages after an alloc_denied or alloc_failed of
# its own, with no tot_pages growth in between.
dump=build/bin/xenclaim-dump
half_built_by_dump() {
    "$dump" "$1" | awk '
        { delete f; for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
        $3 == "alloc_denied" || $3 == "alloc_failed" { failed[f["domid"]] = 1 }
        $3 == "tot_pages" && f["delta"] > 0 { failed[f["domid"]] = 0 }
        $3 == "domain" && f["state"] == "dying" {
            if (failed[f["domid"]] && f["tot_pages"] > 0) n++ }
        END { print n + 0 }'
}
if [ -x "$dump" ]; then
    for s in boot-storm-claims boot-storm-noclaims; do
        check "$s: half-built guests by xenclaim-dump, as the summary says" \
            "$(total "$tmp/$s.sum" half-built)" \
            "$(half_built_by_dump "$tmp/$s.1.trace")"
    done
fi

# ---- seeds ------------------------------------------------------------------
"$bin" run mock/scenarios/balloon.scn -o "$tmp/s8a" --seed 8 >/dev/null 2>&1
"$bin" run mock/scenarios/balloon.scn -o "$tmp/s8b" --seed 8 >/dev/null 2>&1
if cmp -s "$tmp/s8a" "$tmp/s8b"; then
    ok "balloon.scn --seed 8 twice: the same trace"
else
    nok "balloon.scn --seed 8 twice: the traces differ"
fi
if cmp -s "$tmp/s8a" "$tmp/balloon.1.trace"; then
    nok "balloon.scn --seed 8: expected a trace other than seed 7's, got the same"
else
    ok "balloon.scn --seed 8: another trace than its own seed 7"
fi

# ---- gen --------------------------------------------------------------------
bad=
for seed in $(seq 1 20); do
    "$bin" gen --seed "$seed" >"$tmp/g.scn" 2>"$tmp/gerr" || {
        bad="$bad gen:$seed"; continue; }
    "$bin" gen --seed "$seed" | cmp -s - "$tmp/g.scn" || bad="$bad same:$seed"
    "$bin" run "$tmp/g.scn" -o "$tmp/g.trace" >/dev/null 2>"$tmp/gerr" || {
        bad="$bad run:$seed($(head -1 "$tmp/gerr"))"; continue; }
    "$xenalyze" --dump-all "$tmp/g.trace" >/dev/null 2>&1 ||
        bad="$bad dump:$seed"
    "$xenalyze" --summary "$tmp/g.trace" >/dev/null 2>&1 ||
        bad="$bad summary:$seed"
    "$bin" check "$tmp/g.trace" >/dev/null 2>&1 || bad="$bad check:$seed"
done
check "gen --seed 1..20: each the same twice, runs, reads in xenalyze" \
    "" "$bad"
"$bin" gen --seed 3 --guests 40 --toolstacks 6 --memory 64G --duration 2min \
    >"$tmp/g.scn" && "$bin" run "$tmp/g.scn" -o "$tmp/g.trace" >/dev/null
check "gen with every option: runs" 0 "$?"
c=$(grep -c ' create ' "$tmp/g.scn")
check "gen --guests 40: 40 creates" 40 "$c"
a=$(grep -c '^actor ' "$tmp/g.scn")
check "gen --toolstacks 6: 6 toolstacks and the host" 7 "$a"

# ---- errors -------------------------------------------------------------------
"$bin" run mock/scenarios/offline.scn -o /dev/full >/dev/null 2>"$tmp/err"
rc=$?
check "run -o /dev/full: exit 1" 1 "$rc"
if grep -q "No space left on device" "$tmp/err"; then
    ok "run -o /dev/full: says the disk is full"
else
    nok "run -o /dev/full: expected 'No space left on device', got '$(head -1 "$tmp/err")'"
fi
printf 'host memory=1G\nactor a\n  create x memory=2G maxmem=1G\n' >"$tmp/bad.scn"
"$bin" run "$tmp/bad.scn" -o "$tmp/t" >/dev/null 2>"$tmp/err"
check "a bad scenario: exit 2" 2 "$?"
check "a bad scenario: file:line: message" \
    "$tmp/bad.scn:3: create: maxmem may be below memory" "$(head -1 "$tmp/err")"
"$bin" run "$tmp/bad.scn" >/dev/null 2>&1
check "run without -o: exit 2" 2 "$?"
"$bin" run --help >"$tmp/help" 2>&1
check "run --help: exit 0 and usage" "0 1" "$? $(grep -c '^Usage:' "$tmp/help")"
"$bin" gen --help >"$tmp/help" 2>&1
check "gen --help: exit 0 and usage" "0 1" "$? $(grep -c '^Usage:' "$tmp/help")"
"$bin" gen --guests 0 >/dev/null 2>&1
check "gen --guests 0: exit 2" 2 "$?"
"$bin" gen --memory 3X >/dev/null 2>&1
check "gen --memory 3X: exit 2" 2 "$?"
"$bin" gen --seed 1 >/dev/full 2>/dev/null
check "gen >/dev/full: exit 1" 1 "$?"
"$bin" run /nonexistent.scn -o "$tmp/t" >/dev/null 2>&1
check "run of a missing file: exit 1" 1 "$?"
"$bin" frob >/dev/null 2>&1
check "an unknown command: exit 2" 2 "$?"
printf 'junk' >"$tmp/junk"
"$bin" check "$tmp/junk" >/dev/null 2>&1
check "check of a file that is no trace: exit 1" 1 "$?"

echo "1..$n"
