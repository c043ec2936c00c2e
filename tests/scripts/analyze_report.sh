#!/bin/bash
# tests/scripts/analyze_report.sh: xenclaim-analyze's figures on the shipped scenarios against independent computations; TAP output.
#
# For each scenario trace (written by xenclaim-scenario run):
#   - the analyzer exits 0 and its JSON parses;
#   - its counts, claim lives, denials (with the holders blocking them and
#     the host figures), refused stakes, lowest free and highest
#     outstanding equal those computed from the raw records by
#     tests/scripts/analyze_ref.py, a separate parser and model;
#   - the text report's consistency line says no violation;
# and for the boot storms, the analyzer agrees with the runner's own
# --summary (guests refused at claim, host at the end) and with
# `xenclaim-scenario check` (claims, refusals, denials, failures, peak of
# outstanding claims).
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }

A=build/bin/xenclaim-analyze
S=build/bin/xenclaim-scenario
REF=tests/scripts/analyze_ref.py
dir=build/test-traces/analyze-report
mkdir -p "$dir"
for p in $A $S; do
    if [ ! -x "$p" ]; then
        nok "built: expected $p (run make first)"
        echo "1..$n"
        exit 1
    fi
done

# Our JSON, in the reference's line formats: summary | lives | denials | fails.
ours() { python3 $REF ours "$1" "$2"; }

same() {    # same WHAT FILE_EXPECTED FILE_SEEN
    if cmp -s "$2" "$3"; then
        ok "$1 ($(wc -l <"$2") lines)"
    else
        nok "$1: expected (reference) vs seen (analyzer): $(diff "$2" "$3" | head -6 | tr '\n' ' ')"
    fi
}

for scn in boot-storm-claims boot-storm-noclaims balloon tmem-pressure offline death-mid-build demo; do
    t=$dir/$scn.trace
    if ! $S run "mock/scenarios/$scn.scn" -o "$t" --summary >"$dir/$scn.runsummary" 2>"$dir/$scn.err"; then
        nok "$scn: scenario run failed: $(head -2 "$dir/$scn.err" | tr '\n' ' ')"
        continue
    fi
    $A --json "$t" >"$dir/$scn.json" 2>"$dir/$scn.aerr"
    rc=$?
    if [ "$rc" -eq 0 ] && python3 -m json.tool "$dir/$scn.json" >/dev/null 2>&1; then
        ok "$scn: exit 0 and the JSON parses"
    else
        nok "$scn: expected exit 0 and JSON, got exit $rc: $(head -2 "$dir/$scn.aerr" | tr '\n' ' ')"
        continue
    fi
    python3 $REF all "$t" "$dir/$scn"
    for what in summary lives denials fails; do
        mv "$dir/$scn.$what" "$dir/$scn.$what.ref"
        ours "$what" "$dir/$scn.json" >"$dir/$scn.$what.ours"
        same "$scn: $what equal the reference's" "$dir/$scn.$what.ref" "$dir/$scn.$what.ours"
    done
    $A "$t" >"$dir/$scn.txt" 2>&1
    records=$(awk -F= '$1 == "records" { print $2 }' "$dir/$scn.summary.ref")
    if grep -q "^consistency (replay of the accounting): no violation in $records records$" "$dir/$scn.txt"; then
        ok "$scn: text report: no violation in $records records"
    else
        nok "$scn: text report: expected 'no violation in $records records', got: $(grep '^consistency' "$dir/$scn.txt")"
    fi
done

# The boot storms against the runner's summary and `check`.
for scn in boot-storm-claims boot-storm-noclaims; do
    j=$dir/$scn.json
    [ -s "$j" ] || continue
    $S check "$dir/$scn.trace" >"$dir/$scn.check"
    chk() { awk -F= -v k="$1" '$1 == k { print $2 }' "$dir/$scn.check"; }
    read -r refused denials failures peak claims endfree endout <<EOF
$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
c = j["counts"]
print(c["refused_stakes"], c["denials"], c["alloc_failures"],
      j["host"]["highest_outstanding"]["pages"],
      j["trace"]["by_event"]["claim"],
      j["host"]["end"]["free"], j["host"]["end"]["outstanding"])' "$j")
EOF
    sum_refused=$(grep -o 'refused-at-claim=[0-9]*' "$dir/$scn.runsummary" | cut -d= -f2)
    sum_free=$(grep -o 'host at the end: .*' "$dir/$scn.runsummary" | grep -o ' free=[0-9]*' | cut -d= -f2)
    sum_out=$(grep -o 'host at the end: .*' "$dir/$scn.runsummary" | grep -o ' outstanding=[0-9]*' | cut -d= -f2)
    if [ "$refused" = "$sum_refused" ]; then ok "$scn: refused stakes = guests refused at claim in --summary ($refused)"
    else nok "$scn: refused stakes: expected --summary's $sum_refused, got $refused"; fi
    if [ "$endfree $endout" = "$sum_free $sum_out" ]; then ok "$scn: host at the end as --summary: free $endfree, outstanding $endout"
    else nok "$scn: host at the end: expected --summary's free $sum_free outstanding $sum_out, got $endfree $endout"; fi
    if [ "$claims $refused $denials $failures" = "$(chk claims) $(chk claims-refused) $(chk alloc-denied) $(chk alloc-failed)" ]; then
        ok "$scn: claim records, refusals, denials, failures as check ($claims $refused $denials $failures)"
    else
        nok "$scn: expected check's claims/refused/denied/failed $(chk claims) $(chk claims-refused) $(chk alloc-denied) $(chk alloc-failed), got $claims $refused $denials $failures"
    fi
    if [ "$peak" = "$(chk max-outstanding)" ]; then ok "$scn: highest outstanding = check's max-outstanding ($peak)"
    else nok "$scn: highest outstanding: expected check's $(chk max-outstanding), got $peak"; fi
done

# With claims, every guest built drew its claim down to 0 (satisfied),
# none was refused half-way; without, nothing was ever claimed.
j=$dir/boot-storm-claims.json
if [ -s "$j" ]; then
    built=$(grep -o ' built=[0-9]*' "$dir/boot-storm-claims.runsummary" | cut -d= -f2)
    sat=$(python3 -c 'import json,sys; print(sum(d["satisfied"] for d in json.load(open(sys.argv[1]))["domains"]))' "$j")
    if [ -n "$built" ] && [ "$sat" = "$built" ]; then ok "boot-storm-claims: satisfied claims = guests built ($built)"
    else nok "boot-storm-claims: satisfied claims: expected built=$built, got $sat"; fi
fi
j=$dir/boot-storm-noclaims.json
if [ -s "$j" ]; then
    lives=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["claims"])' "$j")
    if [ "$lives" = 0 ]; then ok "boot-storm-noclaims: no claim at all"
    else nok "boot-storm-noclaims: expected 0 claims, got $lives"; fi
fi

echo "1..$n"
exit $bad
