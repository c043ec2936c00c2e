#!/bin/bash
# tests/scripts/realxen_harness.sh: tests/realxen/qemu/session.sh's own faults: each stage's bounded wait, its message, nothing left running; TAP.
#
# Without booting Xen (the suite boots once, in realxen_0_session.sh):
# bad usage; a missing package and an unwritable cache (fetch); the real
# QEMU refusing an option and QEMU frozen before its first instruction
# (boot); then tests/realxen/qemu/fake-qemu.sh in QEMU's place plays
# whole sessions: a good one, QEMU exiting early, Xen panicking, dom0
# reporting a failure, a dom0 that hangs in the payload and ignores
# SIGTERM, results with a bad checksum, session.sh itself interrupted or
# killed.  Every failure must name its stage, and the QEMU pid session.sh
# started must be gone afterwards.
#
# XENCLAIM_REALXEN_SLOW=1 adds two real boots (about a minute each): a
# dom0 kernel without an init (the host crashes), and a payload that
# never ends with dom0's own time limit off (the host's wait kills it).
set -u
# All in one block: bash reads it whole before running it, so the file
# may change under a running session.
{
cd "$(dirname "$0")/../.."
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }

S=tests/realxen/qemu/session.sh
FAKE=$PWD/tests/realxen/qemu/fake-qemu.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/realxen-harness.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/payload"
echo 'echo hi >/results/hi.txt' >"$work/payload/run.sh"

# gone PID: the process is not running any more (or the pid now belongs
# to something else than what we started).
gone() {
    [ -n "$1" ] || return 0
    ! kill -0 "$1" 2>/dev/null && return 0
    ! grep -q -a -e qemu -e sleep "/proc/$1/cmdline" 2>/dev/null
}

# run NAME SECONDS-AT-MOST [ENV=V...] -- [ARGS...]: session.sh into
# $work/NAME, its status in $rc, stderr in $err, time in $took, the QEMU
# pid it started (if any) in $qp.
run() {
    local name=$1 limit=$2 start
    shift 2
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    rm -rf "${work:?}/$name"
    start=$(date +%s)
    env "${envs[@]}" timeout -s KILL "$limit" "$S" --payload "$work/payload" \
        --out "$work/$name" "$@" 2>"$work/$name.err"
    rc=$?
    took=$(($(date +%s) - start))
    err=$(cat "$work/$name.err")
    qp=$(cat "$work/$name/session/qemu.pid" 2>/dev/null)
}

# expect WHAT RC REGEX: status and message of the last run, and no QEMU.
expect() {
    local what=$1 want_rc=$2 re=$3 line
    line=$(grep -E -m1 -- "$re" <<<"$err")
    if [ "$rc" -ne "$want_rc" ]; then
        nok "$what: expected exit $want_rc, got $rc: $(tail -3 <<<"$err" | tr '\n' ' ')"
    elif [ -z "$line" ]; then
        nok "$what: expected a message matching '$re', got: $(grep -m2 'stage\|usage' <<<"$err" | tr '\n' ' ')"
    elif ! gone "$qp"; then
        nok "$what: expected QEMU (pid $qp) gone, got it running"
        kill -KILL "$qp" 2>/dev/null
    else
        ok "$what (${took} s): ${line#realxen: }"
    fi
}

# 1. Usage.
"$S" 2>"$work/usage.err"
rc=$? err=$(cat "$work/usage.err") qp= took=0
expect "no arguments: usage" 2 '^usage: '
rm -rf "$work/nopayload"; mkdir -p "$work/nopayload"
"$S" --payload "$work/nopayload" --out "$work/norun" 2>"$work/norun.err"
rc=$? err=$(cat "$work/norun.err") qp= took=0
expect "a payload without run.sh" 2 'run.sh: no such file'

# 2. Fetch.
run badpkg 60 XENCLAIM_REALXEN_CACHE="$work/cache" \
    XENCLAIM_REALXEN_PKGS="xen-utils-4.17 xenclaim-no-such-package" --
expect "a package apt does not know fails the fetch stage, naming it" 1 \
    'stage fetch failed .*xenclaim-no-such-package'
[ -z "$qp" ] || nok "a wrong package: expected no QEMU started, got pid $qp"
run badcache 60 XENCLAIM_REALXEN_CACHE=/proc/xenclaim-realxen --
expect "an unwritable cache fails the fetch stage" 1 \
    'stage fetch failed .*not writable'

# 3. The real QEMU: a bad option, and a machine that never runs.
if command -v qemu-system-x86_64 >/dev/null; then
    run badopt 120 XENCLAIM_REALXEN_QEMU_ARGS=-xenclaim-no-such-option --
    expect "QEMU refusing to start fails the boot stage with its message" 1 \
        'stage boot failed .*QEMU exited with status 1 .*no-such-option'
    run frozen 150 XENCLAIM_REALXEN_QEMU_ARGS=-S XENCLAIM_REALXEN_BOOT_TIMEOUT=4 --
    expect "a machine that never starts: boot stage times out after 4 s, QEMU killed" 1 \
        'stage boot failed after [0-9.]+ s: no Xen banner within 4 s'
else
    echo "ok $((n + 1)) # SKIP real QEMU faults: qemu-system-x86_64 is not installed"
    n=$((n + 1))
fi

# 4. Whole sessions played by fake-qemu.sh.
F=(XENCLAIM_REALXEN_QEMU="$FAKE")
run good 120 "${F[@]}" FAKE_QEMU_MODE=good --
expect "a good session (fake QEMU) passes every stage" 0 'session done in'
got=$(cat "$work/good/hello.txt" 2>/dev/null)
stages=$(awk '$2 == "ok" { printf "%s ", $1 }' "$work/good/session/stages.txt" 2>/dev/null)
if [ "$got" = hello ] && [ "$stages" = "fetch unpack initramfs boot payload results total " ]; then
    ok "its results are unpacked into --out and every stage timed"
else
    nok "good session results: expected hello.txt 'hello' and 6 stages + total, got '$got', stages '$stages'"
fi
run early 120 "${F[@]}" FAKE_QEMU_MODE=exit-early --
expect "QEMU exiting during boot fails the boot stage with its status" 1 \
    'stage boot failed .*QEMU exited with status 3 before dom0 init'
run crash 120 "${F[@]}" FAKE_QEMU_MODE=crash --
expect "a Xen panic is seen at once and fails the boot stage" 1 \
    'stage boot failed .*the host crashed: \(XEN\) Panic on CPU 0'
run dom0fail 120 "${F[@]}" FAKE_QEMU_MODE=dom0-fails --
expect "dom0's own failure report fails the boot stage" 1 \
    'stage boot failed .*dom0 says: failed dom0: xenstored did not start'
run hang 120 "${F[@]}" FAKE_QEMU_MODE=payload-hang \
    XENCLAIM_REALXEN_PAYLOAD_GRACE=2 -- --timeout 1
expect "a dom0 that hangs (and ignores SIGTERM) fails the payload stage, QEMU killed" 1 \
    'stage payload failed after [0-9.]+ s: no end of the payload within 3 s'
run badres 120 "${F[@]}" FAKE_QEMU_MODE=bad-results --
expect "results with a bad checksum fail the results stage" 1 \
    'stage results failed .*checksum: expected 0123456789abcdef'

# 5. session.sh itself stopped: QEMU must not outlive it.
for sig in TERM KILL; do
    rm -rf "$work/sig"
    env "${F[@]}" FAKE_QEMU_MODE=payload-hang "$S" --payload "$work/payload" \
        --out "$work/sig" 2>"$work/sig.err" &
    spid=$!
    qp=
    for _ in $(seq 300); do
        qp=$(cat "$work/sig/session/qemu.pid" 2>/dev/null)
        [ -n "$qp" ] && grep -q 'dom0 ready' "$work/sig.err" 2>/dev/null && break
        sleep 0.1
    done
    kill -"$sig" "$spid"
    wait "$spid" 2>/dev/null
    for _ in $(seq 100); do gone "$qp" && break; sleep 0.1; done
    if [ -z "$qp" ]; then
        nok "session.sh killed with SIG$sig: expected a QEMU pid to watch, got none"
    elif gone "$qp"; then
        ok "session.sh killed with SIG$sig: its QEMU (pid $qp) is gone too"
    else
        nok "session.sh killed with SIG$sig: expected QEMU pid $qp gone, got it running"
        kill -KILL "$qp" 2>/dev/null
    fi
done

# 6. Optional: real boots that fail.
if [ "${XENCLAIM_REALXEN_SLOW:-0}" = 1 ]; then
    run noinit 300 XENCLAIM_REALXEN_DOM0_ARGS="rdinit=/xenclaim-none init=/xenclaim-none" --
    expect "real boot, dom0 kernel without init: the crash fails the boot stage" 1 \
        'stage boot failed .*the host crashed: .*(Kernel panic|Dom0 crashed)'
    echo 'while :; do sleep 1; done' >"$work/payload/run.sh"
    run realhang 300 XENCLAIM_REALXEN_INNER_TIMEOUT=0 XENCLAIM_REALXEN_PAYLOAD_GRACE=5 -- --timeout 10
    expect "real boot, a payload that never ends: the payload stage times out, QEMU killed" 1 \
        'stage payload failed after [0-9.]+ s: no end of the payload within 15 s'
else
    echo "# XENCLAIM_REALXEN_SLOW=1 adds two real failing boots (dom0 crash, payload hang)"
fi
echo "1..$n"
}
