#!/bin/bash
# tests/scripts/analyze_fuzz.sh: build the analyzer's libFuzzer target (clang, ASan, UBSan) and run it 15 s on a seed corpus; TAP output.
#
# Seeds: the test traces of mktraces, the first 16 KiB of every shipped
# scenario's trace and the first 16 KiB of the real trace (when present),
# each behind two option bytes (see tests/fuzz/fuzz_analyze.c).  A crash,
# a sanitizer report or a failed check in the target is "not ok".
# FUZZ_SECONDS overrides 15.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }

seconds=${FUZZ_SECONDS:-15}
fuzzer=build/fuzz/fuzz_analyze
work=build/fuzz/analyze-work
seeds=build/fuzz/analyze-seeds
log=build/fuzz/fuzz_analyze.log
mkdir -p build/fuzz

if make --no-print-directory -s fuzz-analyze >build/fuzz/analyze-build.log 2>&1 && [ -x "$fuzzer" ]; then
    ok "fuzz target builds (make fuzz-analyze: clang -fsanitize=fuzzer,address,undefined)"
else
    nok "fuzz target builds: expected $fuzzer, got: $(tail -3 build/fuzz/analyze-build.log | tr '\n' ' ')"
    echo "1..$n"
    exit 1
fi

rm -rf "$seeds"
mkdir -p "$seeds/raw" "$work"
[ -x build/tests/mktraces ] || make --no-print-directory -s build/tests/mktraces >/dev/null 2>&1
build/tests/mktraces set "$seeds/raw" >/dev/null 2>&1
for scn in mock/scenarios/*.scn; do
    name=$(basename "$scn" .scn)
    build/bin/xenclaim-scenario run "$scn" -o "$seeds/raw/$name.full" >/dev/null 2>&1 &&
        head -c 16384 "$seeds/raw/$name.full" >"$seeds/raw/$name.trace"
    rm -f "$seeds/raw/$name.full"
done
real=../shared/data/real-xen-idle.trace
[ -r "$real" ] && head -c 16384 "$real" >"$seeds/raw/real-16k.trace"
# Two option bytes in front: plain, tolerant + window, filter + Perfetto.
for f in "$seeds"/raw/*.trace; do
    b=$(basename "$f" .trace)
    { printf '\000\000'; cat "$f"; } >"$seeds/$b.plain"
    { printf '\007\005'; cat "$f"; } >"$seeds/$b.window"
    { printf '\011\260'; cat "$f"; } >"$seeds/$b.filter"
done
rm -rf "$seeds/raw"
nseeds=$(ls "$seeds" | wc -l)
if [ "$nseeds" -ge 12 ]; then ok "seed corpus: $nseeds inputs"
else nok "seed corpus: expected at least 12 inputs, got $nseeds"; fi

"$fuzzer" -max_total_time="$seconds" -max_len=20000 -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build/fuzz/analyze- \
    "$work" "$seeds" >"$log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
    ok "fuzz_analyze ran ${seconds}s: $runs inputs, no crash"
else
    nok "fuzz_analyze ${seconds}s: expected exit 0 and some runs, got exit $rc, runs '${runs:-none}': $(grep -E 'ERROR|check failed|SUMMARY|Test unit written' "$log" | head -4 | tr '\n' ' ')"
fi
echo "1..$n"
exit $bad
