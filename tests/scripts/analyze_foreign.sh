#!/bin/bash
# tests/scripts/analyze_foreign.sh: real tools accept our traces, and xenclaim-analyze skips and counts other Xen events; TAP output.
#
#   - Debian's xenalyze --summary and --dump-all exit 0 on every shipped
#     scenario's trace, on a generated benchmark trace and on a scenario
#     trace spliced with foreign records;
#   - on the real Xen 4.17 trace (../shared/data, skipped when absent) the
#     analyzer exits 0 and counts its records by class as a separate
#     parser does (and as the data's README says), with no xenclaim event;
#   - on the spliced trace it reports the same claims, denials and
#     refused stakes as on the original, and counts the foreign records
#     (scheduler, HVM, PV, other TRC_MEM minors) by class;
#   - the xentrace_format rules file for our events is built.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # skip $*"; }

A=build/bin/xenclaim-analyze
REF=tests/scripts/analyze_ref.py
X=/usr/bin/xenalyze
dir=build/test-traces/analyze-foreign
rm -rf "$dir"
mkdir -p "$dir"
for p in $A build/bin/xenclaim-scenario build/bin/xenclaim-gentrace; do
    if [ ! -x "$p" ]; then
        nok "built: expected $p (run make first)"
        echo "1..$n"
        exit 1
    fi
done

traces=""
for scn in mock/scenarios/*.scn; do
    name=$(basename "$scn" .scn)
    if build/bin/xenclaim-scenario run "$scn" -o "$dir/$name.trace" >/dev/null 2>"$dir/$name.err"; then
        traces="$traces $dir/$name.trace"
    else
        nok "$name: scenario run failed: $(head -1 "$dir/$name.err")"
    fi
done
build/bin/xenclaim-gentrace -o "$dir/gen.trace" --records 200000 --domains 300 >/dev/null
python3 $REF splice "$dir/boot-storm-noclaims.trace" "$dir/spliced.trace"
python3 $REF splice "$dir/balloon.trace" "$dir/spliced2.trace"
traces="$traces $dir/gen.trace $dir/spliced.trace $dir/spliced2.trace"

# ---- xenalyze ----
if [ -x $X ]; then
    for t in $traces; do
        name=$(basename "$t" .trace)
        $X --summary "$t" >"$dir/$name.xsum" 2>&1
        r1=$?
        $X --dump-all "$t" >"$dir/$name.xdump" 2>&1
        r2=$?
        if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ]; then ok "xenalyze --summary and --dump-all exit 0 on $name"
        else nok "xenalyze on $name: expected exit 0 and 0, got $r1 and $r2: $(tail -1 "$dir/$name.xdump")"; fi
    done
else
    nok "xenalyze: expected $X (package xen-utils-common)"
fi

# ---- the spliced traces ----
for pair in boot-storm-noclaims:spliced balloon:spliced2; do
    orig=${pair%%:*}
    sp=${pair##*:}
    $A --json "$dir/$orig.trace" >"$dir/$orig.json" 2>/dev/null
    $A --json "$dir/$sp.trace" >"$dir/$sp.json" 2>"$dir/$sp.aerr"
    rc=$?
    if [ "$rc" -eq 0 ]; then ok "$sp: exit 0"
    else nok "$sp: expected exit 0, got $rc: $(head -2 "$dir/$sp.aerr" | tr '\n' ' ')"; fi
    for what in lives denials fails; do
        python3 $REF ours "$what" "$dir/$orig.json" >"$dir/$orig.$what"
        python3 $REF ours "$what" "$dir/$sp.json" >"$dir/$sp.$what"
        if cmp -s "$dir/$orig.$what" "$dir/$sp.$what"; then ok "$sp: $what as in $orig ($(wc -l <"$dir/$orig.$what") lines)"
        else nok "$sp: $what differ from $orig's: $(diff "$dir/$orig.$what" "$dir/$sp.$what" | head -4 | tr '\n' ' ')"; fi
    done
    python3 $REF summary "$dir/$sp.trace" | grep -E '^(records|xenclaim|foreign|class_|other_mem)' >"$dir/$sp.cref"
    python3 $REF ours summary "$dir/$sp.json" | grep -E '^(records|xenclaim|foreign|class_|other_mem)' >"$dir/$sp.cours"
    if cmp -s "$dir/$sp.cref" "$dir/$sp.cours"; then ok "$sp: records by class as the reference ($(grep -E '^(foreign|class_sched|class_hvm|class_pv|class_mem)=' "$dir/$sp.cref" | tr '\n' ' '))"
    else nok "$sp: counts by class: $(diff "$dir/$sp.cref" "$dir/$sp.cours" | tr '\n' ' ')"; fi
done

# ---- the real trace ----
real=../shared/data/real-xen-idle.trace
if [ -r "$real" ]; then
    $A --json --cpu-hz 2096M "$real" >"$dir/real.json" 2>"$dir/real.err"
    rc=$?
    if [ "$rc" -eq 0 ]; then ok "real: exit 0"
    else nok "real: expected exit 0, got $rc: $(head -2 "$dir/real.err" | tr '\n' ' ')"; fi
    python3 $REF summary "$real" 2096e6 | grep -E '^(records|xenclaim|foreign|class_|other_mem|duration_s)' >"$dir/real.cref"
    python3 $REF ours summary "$dir/real.json" | grep -E '^(records|xenclaim|foreign|class_|other_mem|duration_s)' >"$dir/real.cours"
    if cmp -s "$dir/real.cref" "$dir/real.cours"; then ok "real: records by class and duration as the reference"
    else nok "real: expected the reference's counts, got: $(diff "$dir/real.cref" "$dir/real.cours" | tr '\n' ' ')"; fi
    got="$(grep -E '^(records|xenclaim|class_pv|class_sched|class_hw)=' "$dir/real.cours" | tr '\n' ' ')wraps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace"]["wraps"])' "$dir/real.json")"
    # Its README counts 68271 records, GEN 4 of them: the 4 wrap paddings.
    if [ "$got" = "records=68267 xenclaim=0 class_sched=26196 class_pv=42057 class_hw=14 wraps=4" ]; then
        ok "real: 68267 records (PV 42057, SCHED 26196, HW 14) + 4 wrap paddings = the 68271 of its README, none of ours"
    else
        nok "real: expected 68267 records, PV 42057, SCHED 26196, HW 14, 4 wraps, got: $got"
    fi
    $A --cpu-hz 2096M "$real" >"$dir/real.txt" 2>/dev/null
    if grep -q "^events:   0 xenclaim; 68267 foreign, skipped (sched 26196, pv 42057, hw 14)" "$dir/real.txt"; then
        ok "real: the text report says what was skipped"
    else
        nok "real: expected the events line, got: $(grep '^events' "$dir/real.txt")"
    fi
    if $A --dump --cpu-hz 2096M "$real" >"$dir/real.dump" 2>/dev/null && [ "$(wc -l <"$dir/real.dump")" = 68267 ]; then
        ok "real: --dump prints its 68267 records"
    else
        nok "real: --dump: expected 68267 lines, got $(wc -l <"$dir/real.dump")"
    fi
else
    skip "real trace $real not found"
    skip "real trace $real not found"
    skip "real trace $real not found"
    skip "real trace $real not found"
    skip "real trace $real not found"
fi

# ---- the xentrace_format rules file ----
fmt=build/share/xenclaim/formats
if [ -s "$fmt" ] && [ "$(grep -c '^0x0010f02[0-7]' "$fmt")" = 8 ]; then
    ok "xentrace_format rules file built: $fmt (8 events)"
else
    nok "xentrace_format rules file: expected $fmt with lines for 0x0010f020..0x0010f027"
fi

echo "1..$n"
exit $bad
