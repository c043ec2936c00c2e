#!/bin/bash
# tests/scripts/exporter_remote_write.sh: remote write against a receiver that fails on demand: retries, back-off, bounded queue, honest counters (TAP).
#
# xce-rw-sink (exporters/tests/rw_sink.c) answers each push with the
# status written in a file and logs what it decoded.  Phases: 204 (every
# accepted sample is counted as sent, exactly: sent_total equals the sum
# the receiver logged); 500 (retried with exponential back-off, the queue
# fills and drops its oldest samples, sent does not move); 400 (the batch
# is given up: dropped grows, never sent); the receiver gone (connection
# refused: failures, drops, resident memory flat); back to 204 (the
# queue drains).

set -u
cd "$(dirname "$0")/../.."
. exporters/tests/lib.sh

need "$EXPORTER" "$MOCK" "$CTL" "$RWSINK" curl

start_mock m --memory 2G || { echo "Bail out! mock did not start"; exit 1; }
ctl m create -q name=web memory=256 >/dev/null

echo 204 >"$TMP/status"
"$RWSINK" "$TMP/sink.port" "$TMP/sink.log" "$TMP/status" 2>"$TMP/sink.err" &
SINK_PID=$!
PIDS+=("$SINK_PID")
wait_until 10 test -s "$TMP/sink.port" || { echo "Bail out! sink did not start"; exit 1; }
SINK=http://127.0.0.1:$(cat "$TMP/sink.port")/api/v1/write

QUEUE=400
start_exporter e --mock "$TMP/m.s" --remote-write "$SINK" --push-interval 0.1 \
    --push-queue $QUEUE --push-batch 100 --push-max-backoff 1 --push-timeout 2 ||
    { echo "Bail out! exporter did not start"; exit 1; }
m() { metric "$EXP" "xenclaim_exporter_remote_write_$1"; }
# accepted [STATUS_REGEX]: samples the sink logged with such a status.
logged() {
    awk -v re="^status=${1}\$" '{ for (i = 1; i <= NF; i++) if ($i ~ /^status=/) s = $i; }
        s ~ re { for (i = 1; i <= NF; i++) if ($i ~ /^samples=/) { split($i, a, "="); t += a[2] } }
        END { print t + 0 }' "$TMP/sink.log"
}
requests() { grep -c "status=$1 " "$TMP/sink.log"; }
gt() { [ "$(m "$1")" -gt "$2" ] 2>/dev/null; }
log_has() { [ "$(requests "$1")" -ge "$2" ]; }

# ---- 204: everything accepted ----------------------------------------------
wait_until 10 log_has 204 5
check "pushes carry the remote-write headers" 0 "$(grep -c 'headers=bad' "$TMP/sink.log")"
check "every push decodes (snappy, WriteRequest)" 0 "$(grep -c 'decode=bad' "$TMP/sink.log")"

# Freeze: from the first 500 on, nothing more can be accepted.
echo 500 >"$TMP/status"
wait_until 10 log_has 500 1
sent=$(m sent_samples_total)
check "sent_total equals what the receiver accepted" "$(logged '2[0-9][0-9]')" "$sent"
check "no drops while the receiver accepted" 0 "$(m dropped_samples_total)"

# ---- 500: retried with back-off, queue bounded, oldest dropped ------------
if wait_until 15 gt dropped_samples_total 0; then
    ok "queue full while failing: samples dropped"
else
    notok "queue full while failing: dropped stayed '$(m dropped_samples_total)'"
fi
check_le "pending samples stay within --push-queue" "$QUEUE" "$(m pending_samples)"
check "sent does not move while the receiver fails" "$sent" "$(m sent_samples_total)"
check_gt "failed requests counted" 0 "$(m failed_requests_total)"
wait_until 15 log_has 500 6
gaps=$(grep 'status=500' "$TMP/sink.log" | sed 's/^t=\([0-9]*\).*/\1/' |
    awk 'NR > 1 { printf "%d ", $1 - p } { p = $1 }')
first=${gaps%% *}
last=$(awk '{ print $NF }' <<<"$gaps")
check_le "back-off: first retry soon (ms; gaps: $gaps)" 600 "$first"
check_gt "back-off: later retries wait longer, up to --push-max-backoff 1 s (ms)" 700 "$last"

# ---- 400: given up for good, counted as dropped, never as sent --------------
d0=$(m dropped_samples_total)
echo 400 >"$TMP/status"
wait_until 15 log_has 400 3
rejected=$(logged 400)
check "sent still equals what the receiver accepted" "$(logged '2[0-9][0-9]')" "$(m sent_samples_total)"
d1=$(m dropped_samples_total)
check_le "rejected samples ($rejected) are all counted in dropped's growth" \
    "$(( d1 - d0 ))" "$rejected"

# ---- receiver gone: connection refused, memory flat ---------------------------
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null; forget "$SINK_PID"
f0=$(m failed_requests_total)
wait_until 10 gt failed_requests_total "$f0"
check_gt "connection refused counts as a failed request" "$f0" "$(m failed_requests_total)"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$EXP_PID/status"; }
r1=$(rss)
d2=$(m dropped_samples_total)
wait_until 15 gt dropped_samples_total $(( d2 + 10 * QUEUE ))
r2=$(rss)
check_gt "drops go on while the receiver is down" $(( d2 + 10 * QUEUE )) "$(m dropped_samples_total)"
if grep -q libasan "/proc/$EXP_PID/maps" 2>/dev/null; then
    ok "resident memory flat meanwhile # SKIP ASan keeps freed memory in quarantine"
else
    check_le "resident memory flat meanwhile (KiB growth)" 2048 $(( r2 - r1 ))
fi
check_le "pending still within --push-queue" "$QUEUE" "$(m pending_samples)"

# ---- back: the queue drains ---------------------------------------------------
echo 204 >"$TMP/status"
rm -f "$TMP/sink.port"
: >"$TMP/sink.log"
"$RWSINK" "$TMP/sink.port" "$TMP/sink.log" "$TMP/status" 2>"$TMP/sink.err" &
SINK_PID=$!
PIDS+=("$SINK_PID")
wait_until 10 test -s "$TMP/sink.port"
# A new port: restart the exporter's pushes towards it.
kill "$EXP_PID"; wait "$EXP_PID" 2>/dev/null; forget "$EXP_PID"
SINK=http://127.0.0.1:$(cat "$TMP/sink.port")/api/v1/write
start_exporter e2 --mock "$TMP/m.s" --remote-write "$SINK" --push-interval 0.1 \
    --push-queue $QUEUE --push-batch 100 --push-max-backoff 1
wait_until 10 log_has 204 5
echo 500 >"$TMP/status"
wait_until 10 log_has 500 1
check "after a restart: sent equals accepted" "$(logged '2[0-9][0-9]')" "$(m sent_samples_total)"
echo 204 >"$TMP/status"
pend0() { [ "$(m pending_samples)" -le 100 ]; }
if wait_until 15 pend0; then ok "queue drains when the receiver is back"; else notok "queue drains: pending '$(m pending_samples)'"; fi

echo "1..$n"
[ "$fails" -eq 0 ]
