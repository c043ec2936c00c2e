#!/bin/bash
# tests/scripts/mock_daemon.sh: xenclaim-mock as a real daemon: concurrency, crashes, malformed input, start-up and shutdown rules (TAP).
#
# Daemons run on sockets in a temporary directory and are killed by pid at
# the end whatever happens.  Readiness is polled with a client call.

set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/bin}
MOCK=$BIN/xenclaim-mock
ST=$BIN/xenclaim-mock-selftest
XT=$BIN/xenclaim-xentrace
DUMP=$BIN/xenclaim-dump

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# check WHAT EXPECTED SEEN
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: expected $2, got $3"; fi
}

for p in "$MOCK" "$ST"; do
    if [ ! -x "$p" ]; then
        echo "not ok 1 - $p is missing (run make)"
        exit 1
    fi
done

T=$(mktemp -d /tmp/mock_daemon.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# start NAME ARGS...: a daemon in the background, its pid in $DPID.
start() {
    local name=$1; shift
    "$MOCK" serve "$@" 2>"$T/$name.log" &
    DPID=$!
    PIDS+=("$DPID")
}

# wait_gone PID: poll (bounded) until PID has exited.
wait_gone() {
    local i
    for i in $(seq 1000); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.01
    done
    return 1
}

# raw SOCKET TEST: send malformed bytes with a raw SEQPACKET socket.
raw() {
    python3 - "$1" "$2" <<'EOF'
import socket, struct, sys
path, test = sys.argv[1], sys.argv[2]
MAGIC, REP = 0x51434d58, 0x52434d58
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
def hdr(op, plen, seq=7, magic=MAGIC, ver=1, act=0):
    return struct.pack('<IHHIII', magic, ver, op, seq, act, plen)
def ask(msg):
    s.send(msg)
    r = s.recv(70000)
    magic, seq, rc, plen = struct.unpack('<IIiI', r[:16])
    assert magic == REP and plen == len(r) - 16
    return seq, rc
if test == 'malformed':
    cases = [
        ('short header', b'\x58\x4d\x43', 0),
        ('bad magic', hdr(2, 0, magic=0xdeadbeef), 7),
        ('bad version', hdr(2, 0, ver=9), 7),
        ('unknown op', hdr(200, 0), 7),
        ('payload_len mismatch', hdr(6, 8) + b'\0' * 4, 7),
        ('payload too long for PING', hdr(2, 4) + b'\0' * 4, 7),
        ('getinfo count too big', hdr(10, 8) + struct.pack('<II', 0, 257), 7),
        ('unterminated name', hdr(11, 64) + b'x' * 64, 7),
        ('oversized message', hdr(2, 70000 - 20) + b'\0' * (70000 - 20), 7),
    ]
    for what, msg, seq in cases:
        got = ask(msg)
        print('%s %d %d' % (what.replace(' ', '_'), got[0], got[1]))
    print('ping_after %d %d' % ask(hdr(2, 0, seq=8)))
elif test == 'orphan':
    # Create a domain and go away at once, without reading the reply.
    name = b'orphan' + b'\0' * 58
    s.send(hdr(5, 68, seq=1) + struct.pack('<I', 0) + name)
    s.close()
    print('sent')
elif test == 'garbage-then-close':
    s.send(b'\xff' * 100)
    s.close()
    print('sent')
EOF
}

# ---- command line ---------------------------------------------------------

out=$("$MOCK" --help 2>&1); rc=$?
check "--help exits 0" 0 "$rc"
case $out in *"Usage: xenclaim-mock serve"*) ok "--help shows the usage" ;;
    *) nok "--help shows the usage: expected 'Usage: xenclaim-mock serve', got '${out:0:60}'" ;; esac
out=$("$MOCK" serve --help 2>&1); rc=$?
check "serve --help exits 0" 0 "$rc"
out=$("$MOCK" --version 2>&1); rc=$?
check "--version exits 0" 0 "$rc"
case $out in "xenclaim-mock "[0-9]*) ok "--version prints the version" ;;
    *) nok "--version prints the version: got '$out'" ;; esac
"$MOCK" serve --no-such-flag >/dev/null 2>&1; rc=$?
check "unknown flag exits 2" 2 "$rc"
"$MOCK" >/dev/null 2>&1; rc=$?
check "missing command exits 2" 2 "$rc"
"$MOCK" frobnicate >/dev/null 2>&1; rc=$?
check "unknown command exits 2" 2 "$rc"
"$MOCK" serve --memory 12X >/dev/null 2>&1; rc=$?
check "bad --memory exits 2" 2 "$rc"
"$MOCK" serve --cpus 0 >/dev/null 2>&1; rc=$?
check "--cpus 0 exits 2" 2 "$rc"
"$MOCK" serve --memory 1G --dom0-mem 1G >/dev/null 2>&1; rc=$?
check "dom0 as big as the host exits 2" 2 "$rc"

# ---- a daemon with several clients ---------------------------------------

S=$T/mock.sock
start main --socket "$S" --trace-area "$T/area" --trace-pages 200 \
    --memory 4G --nodes 2 --cpus 4 --dom0-mem 512M --xen-pages-per-domain 14
MAIN=$DPID
"$ST" wait "$S" 10000 2>"$T/wait.err"; rc=$?
check "daemon answers (polled)" 0 "$rc"
if [ "$rc" -ne 0 ]; then
    sed 's/^/# /' "$T/wait.err" "$T/main.log"
    echo "1..$n"
    exit 1
fi
check "socket mode is 0600" 600 "$(stat -c %a "$S")"
check "socket is a socket" socket "$(stat -c %F "$S" | sed 's/.* //')"

"$ST" check "$S" >"$T/check0.out" 2>&1
check "invariants at start" 0 $?
"$ST" privilege "$S" 2>"$T/priv.err"
check "unprivileged callers: EPERM / ESRCH where due" 0 $?
sed 's/^/# /' "$T/priv.err"

# TRACE_ENABLE through the protocol: the state dump is in the buffers
# before the reply.  A small traced run first, checked below.
"$ST" trace "$S" on 2>"$T/trace.err"
check "TRACE_ENABLE on" 0 $?
"$ST" stress "$S" 11 4 300 2>"$T/small1.err" &
p1=$!
"$ST" stress "$S" 12 4 300 2>"$T/small2.err"; rc2=$?
wait "$p1"; rc1=$?
check "two small traced clients" "0 0" "$rc1 $rc2"

# The trace: one state dump (not two), strictly increasing TSCs, no loss.
if [ -x "$XT" ] && [ -x "$DUMP" ]; then
    "$XT" --area "$T/area" -T 0.2 "$T/trace.bin" 2>"$T/xt.err"
    check "trace consumer drains the buffers" 0 $?
    "$DUMP" "$T/trace.bin" >"$T/trace.txt" 2>&1
    check "trace is a valid xentrace file" 0 $?
    # Two enable requests: the op's, and the consumer's when it attaches
    # (every enable asks for a fresh dump, so a late consumer is exact).
    check "one state dump per enable request (op + consumer)" 2 \
        "$(grep -c ' domain domid=0 state=dump ' "$T/trace.txt")"
    claims=$(grep -c ' claim domid=[0-9]* flags=0x0 result=0 ' "$T/trace.txt")
    if [ "$claims" -gt 0 ]; then ok "claims traced ($claims)"
    else nok "claims traced: expected > 0, got 0"; fi
    cpus=$(awk '{print $2}' "$T/trace.txt" | sort -u | wc -l)
    if [ "$cpus" -gt 1 ]; then ok "records from $cpus CPUs"
    else nok "records from several CPUs: expected > 1, got $cpus"; fi
    dup=$(awk '$1 <= prev { bad++ } { prev = $1 } END { print bad + 0 }' \
        "$T/trace.txt")
    check "TSCs strictly increasing across CPUs" 0 "$dup"
    lost=$(sed -n 's/.*; \([0-9]*\) records lost.*/\1/p' "$T/xt.err")
    check "no record lost" 0 "${lost:-missing}"
else
    ok "# SKIP trace checks: $XT or $DUMP not built"
fi

spids=()
for seed in 1 2 3 4 5 6; do
    "$ST" stress "$S" "$seed" 25 2>"$T/stress$seed.err" &
    spids+=($!)
done
sfail=0
for i in "${!spids[@]}"; do
    if ! wait "${spids[$i]}"; then
        sfail=$((sfail + 1))
        sed 's/^/# /' "$T/stress$((i + 1)).err" | head -5
    fi
done
check "6 concurrent clients: each saw its claims honoured" 0 "$sfail"
"$ST" check "$S" >"$T/check1.out" 2>&1; rc=$?
check "invariants after concurrent clients" 0 "$rc"
[ "$rc" -ne 0 ] && sed 's/^/# /' "$T/check1.out"

# A client killed mid-stream.
mkfifo "$T/churn.fifo"
"$ST" churn "$S" >"$T/churn.fifo" 2>/dev/null &
CHURN=$!
PIDS+=("$CHURN")
read -r -t 20 line <"$T/churn.fifo"
check "churning client running" running "${line:-nothing}"
{ kill -9 "$CHURN"; wait "$CHURN"; } 2>/dev/null
kill -0 "$MAIN" 2>/dev/null
check "daemon up after a client was killed mid-stream" 0 $?
"$ST" check "$S" >"$T/check2.out" 2>&1; rc=$?
check "invariants after the kill" 0 "$rc"
[ "$rc" -ne 0 ] && sed 's/^/# /' "$T/check2.out"

# A client that sends a request and leaves: the request is run whole.
check "orphan request sent" sent "$(raw "$S" orphan 2>&1)"
found=1
for i in $(seq 500); do
    if "$ST" lookup "$S" orphan >/dev/null 2>&1; then found=0; break; fi
    sleep 0.01
done
check "request of a departed client was executed" 0 "$found"
check "garbage then close" sent "$(raw "$S" garbage-then-close 2>&1)"

# Malformed messages: an error reply each, the connection still usable.
raw "$S" malformed >"$T/raw.out" 2>&1
check "raw client ran" 0 $?
want="short_header 0 -71
bad_magic 7 -71
bad_version 7 -93
unknown_op 7 -38
payload_len_mismatch 7 -71
payload_too_long_for_PING 7 -22
getinfo_count_too_big 7 -22
unterminated_name 7 -22
oversized_message 7 -71
ping_after 8 0"
while read -r what seq rc; do
    got=$(awk -v w="$what" '$1 == w { print $2, $3 }' "$T/raw.out")
    check "malformed: $what answered seq $seq rc $rc" "$seq $rc" "${got:-none}"
done <<<"$want"
kill -0 "$MAIN" 2>/dev/null
check "daemon up after malformed input" 0 $?
"$ST" check "$S" >"$T/check3.out" 2>&1
check "invariants after malformed input" 0 $?

# ---- start-up rules ------------------------------------------------------

"$MOCK" serve --socket "$S" --trace-area none 2>"$T/second.log"; rc=$?
check "second daemon on the same socket exits 1" 1 "$rc"
grep -q 'refusing to start' "$T/second.log"
check "second daemon says why" 0 $?
"$ST" wait "$S" 1000 2>/dev/null
check "first daemon still serves" 0 $?

"$MOCK" serve --socket "$T/s2" --trace-area "$T/area" 2>"$T/area2.log"; rc=$?
check "second daemon on the same trace area exits 1" 1 "$rc"
grep -q 'in use by another' "$T/area2.log"
check "trace area conflict says why" 0 $?
[ ! -e "$T/s2" ]
check "refused daemon left no socket" 0 $?

echo "precious" >"$T/regular"
"$MOCK" serve --socket "$T/regular" --trace-area none 2>"$T/regular.log"; rc=$?
check "socket path that is a regular file exits 1" 1 "$rc"
grep -q 'not a socket' "$T/regular.log"
check "regular file: clear error" 0 $?
check "regular file untouched" precious "$(cat "$T/regular")"

python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])' "$T/stale.sock"
start stale --socket "$T/stale.sock" --trace-area none --memory 256M \
    --dom0-mem 64M --cpus 1 --socket-mode 0660
STALE=$DPID
"$ST" wait "$T/stale.sock" 10000 2>/dev/null
check "stale socket replaced" 0 $?
check "--socket-mode 0660" 660 "$(stat -c %a "$T/stale.sock")"
grep -q 'replacing stale socket' "$T/stale.log"
check "stale socket replacement logged" 0 $?
"$ST" stress "$T/stale.sock" 9 5 2>/dev/null
check "one-CPU daemon serves" 0 $?
kill -TERM "$STALE"
wait "$STALE"; rc=$?
check "SIGTERM: exit 0 (one CPU)" 0 "$rc"

# --daemon with --pidfile.
"$MOCK" serve --daemon --pidfile "$T/pid" --socket "$T/d.sock" \
    --trace-area memfd --memory 256M --dom0-mem 64M 2>"$T/daemon.log"; rc=$?
check "--daemon returns 0 once ready" 0 "$rc"
DAEMON=$(cat "$T/pid" 2>/dev/null)
if [ -n "$DAEMON" ]; then
    PIDS+=("$DAEMON")
    "$ST" wait "$T/d.sock" 1000 2>/dev/null
    check "detached daemon answers at once" 0 $?
    # A consumer enabling tracing in the area gets one state dump.
    AREA=$("$ST" area "$T/d.sock" 2>/dev/null)
    check "trace area reported over the socket" 0 $?
    if [ -x "$XT" ] && [ -x "$DUMP" ] && [ -n "$AREA" ]; then
        "$XT" --area "$AREA" "$T/d.bin" 2>"$T/d.xt.err" &
        XTP=$!
        PIDS+=("$XTP")
        for i in $(seq 1000); do
            [ -s "$T/d.bin" ] && break
            sleep 0.01
        done
        kill -TERM "$XTP"
        wait "$XTP"
        check "consumer-enabled trace ends cleanly" 0 $?
        "$DUMP" "$T/d.bin" >"$T/d.txt" 2>&1
        check "enable by the consumer: one state dump" 1 \
            "$(grep -c ' domain domid=0 state=dump ' "$T/d.txt")"
    fi
    kill -TERM "$DAEMON"
    wait_gone "$DAEMON"
    check "detached daemon stops on SIGTERM" 0 $?
    [ ! -e "$T/pid" ] && [ ! -e "$T/d.sock" ]
    check "pid file and socket removed" 0 $?
else
    nok "--daemon wrote its pid file: expected a pid, got nothing"
fi

# ---- shutdown with requests in flight ------------------------------------

"$ST" churn "$S" >/dev/null 2>&1 &
CHURN2=$!
PIDS+=("$CHURN2")
"$ST" wait "$S" 1000 2>/dev/null
kill -TERM "$MAIN"
wait "$MAIN"; rc=$?
check "SIGTERM with a busy client: exit 0" 0 "$rc"
# The churning client stops on its own once the daemon is gone.
wait "$CHURN2" 2>/dev/null
[ ! -e "$S" ]
check "socket removed" 0 $?
[ ! -e "$S.lock" ] && [ ! -e "$T/area" ] && [ ! -e "$T/area.lock" ]
check "lock files and trace area removed" 0 $?
grep -q 'stopped' "$T/main.log"
check "stop logged" 0 $?
lines=$(wc -l <"$T/main.log")
if [ "$lines" -le 12 ]; then ok "daemon log is terse ($lines lines)"
else nok "daemon log is terse: expected <= 12 lines, got $lines"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
