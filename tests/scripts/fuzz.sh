#!/bin/bash
# tests/scripts/fuzz.sh: build the reader's libFuzzer target if needed and run it for 20 s on a seed corpus; TAP output.
#
# Seeds: the test traces written by mktraces and the first 64 KiB of the
# real trace (when present).  A crash, a sanitizer report or a failed
# consistency check in the target is "not ok".  FUZZ_SECONDS overrides 20.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }

seconds=${FUZZ_SECONDS:-20}
fuzzer=build/fuzz/fuzz_reader
work=build/fuzz/work
seeds=build/fuzz/seeds
log=build/fuzz/fuzz.log

if make --no-print-directory -s fuzz >build/fuzz-build.log 2>&1 && [ -x "$fuzzer" ]; then
    ok "fuzz target builds (make fuzz)"
else
    nok "fuzz target builds: expected $fuzzer, got: $(tail -3 build/fuzz-build.log | tr '\n' ' ')"
    echo "1..$n"
    exit 1
fi

if [ ! -x build/tests/mktraces ]; then
    make --no-print-directory -s build/tests/mktraces >/dev/null 2>&1
fi
rm -rf "$seeds"
mkdir -p "$seeds" "$work"
if build/tests/mktraces set "$seeds" >/dev/null 2>&1; then
    ok "seed traces written ($(ls "$seeds" | wc -l) files)"
else
    nok "seed traces: expected mktraces set to succeed"
fi
real=../shared/data/real-xen-idle.trace
if [ -r "$real" ]; then
    head -c 65536 "$real" >"$seeds/real-64k.trace"
fi

"$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build/fuzz/ \
    "$work" "$seeds" >"$log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
    ok "fuzz_reader ran ${seconds}s: $runs inputs, no crash"
else
    nok "fuzz_reader ${seconds}s: expected exit 0 and some runs, got exit $rc, runs '${runs:-none}': $(grep -E 'ERROR|check failed|SUMMARY|Test unit written' "$log" | head -4 | tr '\n' ' ')"
fi
echo "1..$n"
exit $bad
