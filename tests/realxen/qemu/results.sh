# results.sh: sourced by the realxen_* test scripts: the session's results in build/realxen/, or why there are none.
# SPDX-License-Identifier: MIT
#
# realxen_results_or_exit: sets RX=build/realxen when the session ran;
# otherwise prints the TAP line that says why (a skip only when QEMU
# cannot run on this machine, else a failure) and the plan, and exits.

realxen_results_or_exit() {
    RX=build/realxen
    # Wait for a session running now (it holds the lock exclusively).
    exec 8>build/realxen.lock
    if ! flock -s -w 500 8; then
        echo "not ok 1 - real Xen results: expected build/realxen.lock, got it held for 500 s"
        echo "1..1"
        exit 0
    fi
    if [ -f "$RX/SKIP" ]; then
        echo "ok 1 # SKIP real Xen: $(cat "$RX/SKIP")"
        echo "1..1"
        exit 0
    fi
    if [ -f "$RX/FAILED" ]; then
        echo "not ok 1 - real Xen results: expected a session, got a failed one: $(cat "$RX/FAILED")"
        echo "1..1"
        exit 0
    fi
    if [ ! -f "$RX/session/stages.txt" ]; then
        echo "not ok 1 - real Xen results: expected $RX/ from tests/scripts/realxen_0_session.sh, got none"
        echo "1..1"
        exit 0
    fi
}
