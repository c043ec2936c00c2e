#!/bin/bash
# tests/scripts/exporter_events.sh: the protobuf event stream (file and UNIX socket) and xenclaim-events-dump (TAP).
#
# An exporter writes the stream of a mock daemon to a file and serves it
# on a socket while xenclaimctl stakes, refuses and cancels claims.  The
# dump of the file must start with a header, hold those events with the
# pages xenclaimctl reports, and end with a snapshot equal to physinfo;
# socket clients get a header and a snapshot first, then the same events;
# a client that stops reading is cut off without harming the others.  A
# truncated, corrupt, foreign or empty stream makes the dump fail
# (exit 1) with a message saying where.

set -u
cd "$(dirname "$0")/../.."
. exporters/tests/lib.sh

need "$EXPORTER" "$EVDUMP" "$MOCK" "$CTL" curl jq

start_mock m --memory 2G || { echo "Bail out! mock did not start"; exit 1; }
ctl m create -q -p name=db memory=256 maxmem=1024 >/dev/null

start_exporter e --mock "$TMP/m.s" --events-out "$TMP/ev.bin" \
    --events-socket "$TMP/ev.sock" --events-snapshot-interval 0.5 ||
    { echo "Bail out! exporter did not start: $(cat "$TMP/e.log")"; exit 1; }
wait_until 10 metric_is "$EXP" xenclaim_source_up 1
wait_until 10 test -S "$TMP/ev.sock"

# Two clients from the start.
"$EVDUMP" "$TMP/ev.sock" >"$TMP/c1.txt" 2>"$TMP/c1.err" &
C1=$!; PIDS+=("$C1")
"$EVDUMP" -v "$TMP/ev.sock" >"$TMP/c2.txt" 2>"$TMP/c2.err" &
C2=$!; PIDS+=("$C2")
wait_until 10 metric_is "$EXP" xenclaim_exporter_event_stream_clients 2
check "two socket clients connected" 2 "$(metric "$EXP" xenclaim_exporter_event_stream_clients)"

db=$(ctl m domid db)
ctl m claim db 200000 >/dev/null
claim=$(ctl m claims --json | jq -r '.domains[] | select(.name == "db") | .outstanding_pages')
ctl m claim db 10 >/dev/null 2>&1              # refused: EINVAL (claim held)
ctl m claim db 0 >/dev/null                    # cancel
has_cancel() { grep -q " cancel d$db " "$TMP/c1.txt"; }
wait_until 10 has_cancel

kill "$EXP_PID"; wait "$EXP_PID"; rc=$?; forget "$EXP_PID"
check "exporter 1 stops cleanly (SIGTERM) with clients attached" 0 "$rc"
pi() { ctl m physinfo | sed -n "s/^$1=//p"; }
want_last="free=$(pi free_pages) freeable=$(pi freeable_pages) outstanding=$(pi outstanding_pages) "

# A client that never reads (its output goes to a pipe nobody reads) is
# cut off by a second exporter; a reading client is unharmed.
exec {hold}> >(exec sleep 60)
HOLD=$!; PIDS+=("$HOLD")
start_exporter e2 --mock "$TMP/m.s" --events-socket "$TMP/ev2.sock" \
    --events-snapshot-interval 0.01 --events-client-lag 65536 ||
    { echo "Bail out! second exporter did not start: $(cat "$TMP/e2.log")"; exit 1; }
wait_until 10 test -S "$TMP/ev2.sock"
"$EVDUMP" -v "$TMP/ev2.sock" >&$hold 2>/dev/null &
SLOW=$!; PIDS+=("$SLOW")
"$EVDUMP" -q "$TMP/ev2.sock" >"$TMP/c3.txt" 2>&1 &
C3=$!; PIDS+=("$C3")
cut_off() { [ "$(metric "$EXP" xenclaim_exporter_event_stream_dropped_clients_total)" -ge 1 ] 2>/dev/null; }
for i in $(seq 40); do ctl m create -q "name=filler$i" memory=4 >/dev/null; done
if wait_until 20 cut_off; then ok "a client that stops reading is cut off"; else
    notok "slow client cut off: dropped_clients '$(metric "$EXP" xenclaim_exporter_event_stream_dropped_clients_total)'"
fi
check "the reading client stays connected" 1 "$(metric "$EXP" xenclaim_exporter_event_stream_clients)"
kill "$EXP_PID"; wait "$EXP_PID"; rc=$?; forget "$EXP_PID"
check "exporter 2 stops cleanly" 0 "$rc"
wait "$C3"; rc=$?; forget "$C3"
check "the reading client saw a whole stream (exit 0)" 0 "$rc"
exec {hold}>&-

# ---- the file -------------------------------------------------------------------
wait "$C1"; rc1=$?; forget "$C1"
wait "$C2"; rc2=$?; forget "$C2"
"$EVDUMP" "$TMP/ev.bin" >"$TMP/file.txt" 2>"$TMP/file.err"
rc=$?
check "dump of the file: exit 0" 0 "$rc"
check_match "starts with a header naming the source" \
    '^#0 header version=1 source="mock [^"]*m.s" producer="xenclaim-exporter' "$(head -n 1 "$TMP/file.txt")"
check_match "stake event with the claimed pages" \
    "event t=[0-9.]+ stake d$db \"db\" pages=$claim " "$(cat "$TMP/file.txt")"
check_match "refused event with its errno (EINVAL = 22)" \
    "refused d$db \"db\" pages=10 err=22" "$(cat "$TMP/file.txt")"
check_match "cancel event" "cancel d$db \"db\"" "$(cat "$TMP/file.txt")"
last=$(grep ' snapshot ' "$TMP/file.txt" | tail -n 1)
check_match "the last snapshot (written at exit) has physinfo's figures" \
    "$want_last" "$last"
nseq=$(grep -c '^#[0-9]' "$TMP/file.txt")
check "sequence numbers 0..N-1" "$(( nseq - 1 ))" "$(tail -n 2 "$TMP/file.txt" | head -n 1 | sed 's/^#\([0-9]*\).*/\1/')"

# ---- socket clients -------------------------------------------------------------
check "socket clients end cleanly when the exporter stops" "0 0" "$rc1 $rc2"
check_match "client stream starts with a header" '^#0 header version=1' "$(head -n 1 "$TMP/c1.txt")"
check_match "then a snapshot" '^#1 snapshot ' "$(sed -n 2p "$TMP/c1.txt")"
evf=$(grep ' event ' "$TMP/file.txt" | grep -E ' (stake|refused|cancel) ' | sed 's/^#[0-9]* //')
evc=$(grep ' event ' "$TMP/c1.txt" | grep -E ' (stake|refused|cancel) ' | sed 's/^#[0-9]* //')
check "client and file carry the same claim events" "$evf" "$evc"
check_match "verbose client lists db in snapshots" "d$db \"db\" tot=" "$(cat "$TMP/c2.txt")"

# ---- broken streams -------------------------------------------------------------
size=$(stat -c %s "$TMP/ev.bin")
head -c $(( size - 3 )) "$TMP/ev.bin" >"$TMP/trunc.bin"
out=$("$EVDUMP" -q "$TMP/trunc.bin" 2>&1); rc=$?
check "truncated stream: exit 1" 1 "$rc"
check_match "truncated stream: says where" 'truncated record at offset [0-9]+' "$out"
cp "$TMP/ev.bin" "$TMP/corrupt.bin"
printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' |
    dd of="$TMP/corrupt.bin" bs=1 seek=$(( size / 2 )) conv=notrunc 2>/dev/null
out=$("$EVDUMP" -q "$TMP/corrupt.bin" 2>&1); rc=$?
check "corrupt stream: exit 1" 1 "$rc"
check_match "corrupt stream: says where" 'offset [0-9]+' "$out"
head -c 4096 /dev/urandom >"$TMP/random.bin"
"$EVDUMP" -q "$TMP/random.bin" >/dev/null 2>&1; rc=$?
check "random bytes: exit 1" 1 "$rc"
: >"$TMP/empty.bin"
out=$("$EVDUMP" -q "$TMP/empty.bin" 2>&1); rc=$?
check "empty stream: exit 1" 1 "$rc"
check_match "empty stream: says so" 'empty stream' "$out"
out=$("$EVDUMP" -q - <"$TMP/ev.bin" 2>&1); rc=$?
check "reads standard input" 0 "$rc"
check_match "summary counts the records" "^# $nseq records: 1 headers, " "$out"
"$EVDUMP" -q "$TMP/no-such-file" >/dev/null 2>&1; rc=$?
check "missing file: exit 2" 2 "$rc"

echo "1..$n"
[ "$fails" -eq 0 ]
