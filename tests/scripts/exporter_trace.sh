#!/bin/bash
# tests/scripts/exporter_trace.sh: xenclaim-exporter on trace sources: a file, a file that grows (--follow), a stream on stdin (TAP).
#
# xenclaim-scenario runs balloon.scn on the mock hypervisor, writes its
# trace and prints the host's figures at the end; the exporter replaying
# the whole file must end on the same figures (free, outstanding,
# domains).  Following the file while it is written in two halves (cut in
# the middle of a record) and reading it from a pipe on standard input
# must take the records in without replay issues (a live reader may hold
# the last few back until more come); the end of the stream makes the
# source down.

set -u
cd "$(dirname "$0")/../.."
. exporters/tests/lib.sh

SCEN=${XENCLAIM_SCENARIO:-build/bin/xenclaim-scenario}
need "$EXPORTER" "$SCEN" curl

"$SCEN" run mock/scenarios/balloon.scn -o "$TMP/t.trace" --summary >"$TMP/summary" 2>&1 ||
    { echo "Bail out! scenario failed: $(tail -3 "$TMP/summary")"; exit 1; }
end=$(grep '^host at the end:' "$TMP/summary")
fig() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$end"; }
free=$(( $(fig free) * 4096 ))
outst=$(( $(fig outstanding) * 4096 ))
doms=$(fig domains)
[ -n "$doms" ] || { echo "Bail out! no figures in the summary"; exit 1; }

# ---- a whole file ---------------------------------------------------------------
start_exporter f --trace "$TMP/t.trace" || { echo "Bail out! exporter did not start"; exit 1; }
idle() { curl -s "$EXP/metrics" | grep -q '^xenclaim_source_info{.*status="idle"}'; }
wait_until 60 idle
check "file: domains at the end" "$doms" "$(metric "$EXP" xenclaim_host_domains)"
check "file: free at the end" "$free" "$(metric "$EXP" xenclaim_host_free_bytes)"
check "file: outstanding at the end" "$outst" "$(metric "$EXP" xenclaim_host_claims_outstanding_bytes)"
check "file: read to its end, source up (idle)" 1 "$(metric "$EXP" xenclaim_source_up)"
check_match "file: status idle" 'xenclaim_source_info\{source="[^"]*t\.trace",status="idle"\} 1' \
    "$(curl -s "$EXP/metrics" | grep '^xenclaim_source_info')"
check "file: no replay issues" 0 "$(metric "$EXP" xenclaim_host_replay_issues_total)"
stakes=$(metric "$EXP" xenclaim_host_claims_staked_total)
check_gt "file: claims staked counted" 0 "$stakes"
all=$(metric "$EXP" xenclaim_exporter_records_read_total)
kill "$EXP_PID"; wait "$EXP_PID" 2>/dev/null; forget "$EXP_PID"

# ---- a growing file ---------------------------------------------------------
size=$(stat -c %s "$TMP/t.trace")
half=$(( size / 2 + 3 ))            # not on a record boundary
head -c "$half" "$TMP/t.trace" >"$TMP/grow.trace"
start_exporter g --trace "$TMP/grow.trace" --follow ||
    { echo "Bail out! exporter did not start"; exit 1; }
recs() { metric "$EXP" xenclaim_exporter_records_read_total; }
settled() { local a; a=$(recs); sleep 0.2; [ -n "$a" ] && [ "$a" = "$(recs)" ] && [ "$a" -gt 0 ]; }
wait_until 20 settled
r1=$(recs)
check "follow: waits at the end, still up" 1 "$(metric "$EXP" xenclaim_source_up)"
tail -c +$(( half + 1 )) "$TMP/t.trace" >>"$TMP/grow.trace"
# A live reader merges CPUs by TSC and may hold the last records back
# until more come: the figures are those of a prefix of the trace.
more() { [ "$(recs)" -gt "$r1" ]; }
wait_until 30 more
wait_until 20 settled
check_gt "follow: more records after the file grew" "$r1" "$(recs)"
check_le "follow: never more records than the whole file" "$all" "$(recs)"
check_gt "follow: nearly all of them (>= 95%)" $(( all * 95 / 100 - 1 )) "$(recs)"
check "follow: no replay issues across the cut" 0 "$(metric "$EXP" xenclaim_host_replay_issues_total)"
kill "$EXP_PID"; wait "$EXP_PID" 2>/dev/null; forget "$EXP_PID"

# ---- a stream on stdin ----------------------------------------------------------
mkfifo "$TMP/fifo"
"$EXPORTER" --listen 127.0.0.1:0 --stdin <"$TMP/fifo" >/dev/null 2>"$TMP/s.log" &
EXP_PID=$!
PIDS+=("$EXP_PID")
exec {w}>"$TMP/fifo"
wait_until 10 grep -qs 'listening on' "$TMP/s.log"
EXP=http://$(sed -n 's|.*listening on http://\([^/]*\)/metrics.*|\1|p' "$TMP/s.log")
cat "$TMP/t.trace" >&$w
wait_until 20 settled
check_gt "stdin: nearly all records taken in (>= 95%)" $(( all * 95 / 100 - 1 )) "$(recs)"
check_le "stdin: never more than the file holds" "$all" "$(recs)"
check "stdin: up while the stream is open" 1 "$(metric "$EXP" xenclaim_source_up)"
check "stdin: outstanding claims as at the end (none left)" "$outst" \
    "$(metric "$EXP" xenclaim_host_claims_outstanding_bytes)"
exec {w}>&-
if wait_until 10 metric_is "$EXP" xenclaim_source_up 0; then
    ok "stdin: the end of the stream makes the source down"
else
    notok "stdin: source_up after the end: '$(metric "$EXP" xenclaim_source_up)'"
fi

echo "1..$n"
[ "$fails" -eq 0 ]
