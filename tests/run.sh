#!/bin/bash
# tests/run.sh: run every test program and script, count TAP results, print "N passed, N failed".
#
# Test programs are build/tests/test_* (cmocka, TAP output) and their
# ASan+UBSan builds in build/asan/tests; scripts are tests/scripts/*.sh,
# which print TAP lines themselves.  A suite that exits non-zero without
# reporting a failure counts as one failure of its own.
#
# Usage: tests/run.sh [PATTERN]   (run only suites whose name matches)

set -u
cd "$(dirname "$0")/.."
pattern=${1:-}
passed=0
failed=0
skipped=0
failures=()
logdir=build/test-logs
TSAN_SUITES="test_tbuf test_hv_stress test_analyze test_sources"
SUITE_TIMEOUT=${SUITE_TIMEOUT:-600}
mkdir -p "$logdir"

run_suite() {
    local name=$1; shift
    local log="$logdir/${name//\//_}.log"
    local start end rc p f
    start=$(date +%s)
    # A hung suite is a failure of its own, not a hung CI run.
    CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "$SUITE_TIMEOUT" "$@" \
        >"$log" 2>&1 </dev/null
    rc=$?
    [ "$rc" -eq 124 ] && echo "not ok - $name timed out after ${SUITE_TIMEOUT}s" >>"$log"
    end=$(date +%s)
    # TAP: "# SKIP" and "# TODO" lines are neither passes nor failures.
    p=$(grep '^ok ' "$log" | grep -cv '# *\(SKIP\|skip\|TODO\)')
    f=$(grep '^not ok ' "$log" | grep -cv '# *\(TODO\|SKIP\|skip\)')
    s=$(grep -E '^(not )?ok ' "$log" | grep -c '# *\(SKIP\|skip\|TODO\)')
    skipped=$((skipped + s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-44s %4d passed %3d failed %4ds\n' "$name" "$p" "$f" "$((end - start))"
    if [ "$f" -ne 0 ]; then
        failures+=("$name")
        grep -E '^not ok |^# ' "$log" | grep -v '^# ok' | head -20 | sed 's/^/    /'
    fi
}

for t in build/tests/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    [ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
    run_suite "$n" "$t"
done
for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    n=asan/$(basename "$t")
    [ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_suite "$n" "$t"
done
# Multi-threaded suites also run under ThreadSanitizer.
for n in $TSAN_SUITES; do
    t=build/tsan/tests/$n
    [ -x "$t" ] || continue
    [ -n "$pattern" ] && [[ tsan/$n != *$pattern* ]] && continue
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 run_suite "tsan/$n" "$t"
done
for t in tests/scripts/*.sh; do
    [ -f "$t" ] || continue
    n=$(basename "$t" .sh)
    [ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
    run_suite "$n" bash "$t"
done

if [ "${#failures[@]}" -ne 0 ]; then
    echo "failed suites: ${failures[*]} (logs in $logdir)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
