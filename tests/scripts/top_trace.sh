#!/bin/bash
# tests/scripts/top_trace.sh: xenclaimtop on traces: replay at speed and flat out, a stream on stdin, follow mode, step mode, and corrupt, truncated, empty or garbage input (TAP).
#
# The truth for a scenario's trace is the scenario runner's own summary
# ("host at the end: ..."); for top-mktrace's traces it is the
# arithmetic of how they are built (see xenclaimtop/tests/top_mktrace.c).

set -u
cd "$(dirname "$0")/../.."
. xenclaimtop/tests/lib.sh
SCN=build/bin/xenclaim-scenario
MKT=build/tests/top-mktrace
need tmux "$TOP" "$SCN" "$MKT"

# A small scenario that ends with claims outstanding, lasting 2 s.
cat >"$T/t.scn" <<'SCN'
host memory=4G nodes=2 tmem=256M cpus=2 dom0=512M seed=7
actor a
    create g1 memory=256M maxmem=2G
    claim g1 1G
    tmem put 64M
    create g2 memory=128M maxmem=1G claim=off
    repeat 5 every 10ms mem-set g2 64M..512M
    claim g2 900M
    at 2s tmem flush 16M
actor b
    at 5ms create g3 memory=64M maxmem=512M
    claim g3 100G
    after 1ms destroy g3
SCN
"$SCN" run "$T/t.scn" -o "$T/t.trace" --summary >"$T/summary"
end=$(grep '^host at the end:' "$T/summary")
sv() { echo "$end" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# csv_last FILE COLUMN: COLUMN of the last host row of a CSV output.
csv_last() {
    local c
    c=$(head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1)
    awk -F, -v c="$c" '$5 == "host" { v = $c } END { print v }' "$1"
}
ends_like_summary() {   # DESC FILE
    check "$1: state END" "END" "$(csv_last "$2" state)"
    check "$1: free as the scenario says" "$(sv free)" "$(csv_last "$2" free_pages)"
    check "$1: outstanding as the scenario says" "$(sv outstanding)" "$(csv_last "$2" outstanding_pages)"
    check "$1: freeable as the scenario says" "$(sv tmem-freeable)" "$(csv_last "$2" freeable_pages)"
    check "$1: domains as the scenario says" "$(sv domains)" "$(csv_last "$2" domains)"
    check "$1: headroom" "$(( $(sv free) + $(sv tmem-freeable) - $(sv outstanding) ))" \
        "$(csv_last "$2" headroom_pages)"
}

# ---- replay flat out, from a file and from stdin ----------------------------
"$TOP" --csv -u pages --speed 0 "$T/t.trace" >"$T/fast"
check "--speed 0: exit status 0 at the end" "0" "$?"
ends_like_summary "file" "$T/fast"
"$TOP" --csv -u pages - <"$T/t.trace" >"$T/stdin"
check "stdin: exit status 0 at the end" "0" "$?"
ends_like_summary "stdin" "$T/stdin"
cat "$T/t.trace" | "$TOP" --csv -u pages - >"$T/pipe"
check "pipe: exit status 0" "0" "$?"
check "pipe: outstanding as the scenario says" "$(sv outstanding)" "$(csv_last "$T/pipe" outstanding_pages)"

# ---- recorded speed, faster ------------------------------------------------------
dur=$(csv_last "$T/fast" source_time_s)
for speed in 1 4; do
    t0=$(date +%s%N)
    "$TOP" --csv -u pages --speed "$speed" -d 0.1 "$T/t.trace" >"$T/speed$speed"
    t1=$(date +%s%N)
    check "--speed $speed: replays in about trace time / $speed (trace $dur s)" "yes" \
        "$(awk -v d="$dur" -v s="$speed" -v w="$(( (t1 - t0) / 1000000 ))" \
            'BEGIN { e = d / s; w /= 1000; print (w >= 0.85 * e && w <= e + 1.5) ? "yes" : "no: " w " s" }')"
    ends_like_summary "--speed $speed" "$T/speed$speed"
done

# ---- bad input -----------------------------------------------------------------------
size=$(stat -c %s "$T/t.trace")
cp "$T/t.trace" "$T/corrupt.trace"
yes 'not a trace record' | head -c 256 |
    dd of="$T/corrupt.trace" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$TOP" --csv -u pages "$T/corrupt.trace" >"$T/corrupt" 2>&1
check "corrupt trace: exit status 1" "1" "$?"
check "corrupt trace: ends FAILED" "FAILED" "$(csv_last "$T/corrupt" state)"
check "corrupt trace: no figures once FAILED" "" \
    "$(awk -F, '$4 == "FAILED" { for (i = 6; i <= NF; i++) if ($i != "") print }' "$T/corrupt")"
"$TOP" -b "$T/corrupt.trace" >"$T/corrupt_text" 2>&1
check_match "corrupt trace: the text says why" 'source FAILED: .*offset' "$(cat "$T/corrupt_text")"
"$TOP" --csv -u pages --tolerant "$T/corrupt.trace" >"$T/tolerant"
check "--tolerant: replays to the end, exit 0" "0" "$?"
check "--tolerant: state END" "END" "$(csv_last "$T/tolerant" state)"
check "--tolerant: the skipped data shows as issues or inexact" "yes" \
    "$([ "$(csv_last "$T/tolerant" issues)" != 0 ] || [ "$(csv_last "$T/tolerant" exact)" = 0 ] && echo yes || echo no)"

head -c $((size - 13)) "$T/t.trace" >"$T/trunc.trace"
"$TOP" --csv -u pages "$T/trunc.trace" >"$T/trunc" 2>&1
check "truncated trace: exit status 1" "1" "$?"
check "truncated trace: ends FAILED" "FAILED" "$(csv_last "$T/trunc" state)"

yes 'garbage on stdin' | head -c 100000 | "$TOP" -b - >"$T/garbage" 2>&1
check "garbage on stdin: exit status 1" "1" "$?"
check_match "garbage on stdin: FAILED with a reason" 'source FAILED: .+' "$(cat "$T/garbage")"
check_nomatch "garbage on stdin: no figures" 'Memory' "$(cat "$T/garbage")"

: >"$T/empty.trace"
"$TOP" --json "$T/empty.trace" >"$T/empty" 2>&1
check "empty trace: exit status 0 (it ended)" "0" "$?"
check_match "empty trace: no figures" '"state":"END",.*"host":null' "$(cat "$T/empty")"
"$TOP" -b "$T/nonexistent" >"$T/o" 2>"$T/e"
check "missing trace: exit status 3" "3" "$?"
check_match "missing trace: says so" 'cannot open trace' "$(cat "$T/e")"

# ---- follow mode ----------------------------------------------------------------------
"$MKT" "$T/small.trace" 50 1 >"$T/records"
want=$(awk 'BEGIN { for (d = 1; d <= 50; d++) s += 1 + d % 1000; print s }')
ssize=$(stat -c %s "$T/small.trace")
head -c $((ssize / 3)) "$T/small.trace" >"$T/grow.trace"
"$TOP" -f --csv -u pages -d 0.1 "$T/grow.trace" >"$T/follow" 2>&1 &
pid=$!
reap_pid "$pid"
if until_true 10 grep -qs 'IDLE (following)' "$T/follow"; then ok "-f waits at the end"; else notok "-f waits at the end: $(tail -2 "$T/follow")"; fi
tail -c +$((ssize / 3 + 1)) "$T/small.trace" >>"$T/grow.trace"
if until_true 10 grep -qs ",host,.*,$want," "$T/follow"; then
    ok "-f takes in what is appended: all claims ($want pages)"
else
    notok "-f takes in what is appended: expected outstanding $want, got $(csv_last "$T/follow" outstanding_pages)"
fi
kill -TERM "$pid"
wait "$pid"
check "-f: SIGTERM ends it with status 0" "0" "$?"

# ---- step mode, on a screen -------------------------------------------------------------
tmux_start 120 40 "$TOP --step -u pages $T/small.trace"
wait_screen "--step: the screen comes up, nothing taken in" 10 'STEP \(0\)'
keys n n n n n n n
wait_screen "n steps one record at a time" 5 'STEP \(7\)'
check_match "after 7 records: dom0 and 5 created domains" 'domains 6' "$SCR"
keys N
wait_screen "N steps a thousand" 5 'STEP \(1007\)'
check "after 1007 records: final claims of domains 1-5 (2+3+4+5+6)" "20" "$(header_field claims)"
check "domain 5 on top with its claim of 6" "5 6" "$(rows | head -1 | awk '{ print $1, $5 }')"
keys Space
wait_screen "space steps one more" 5 'STEP \(1008\)'
keys Home Enter
wait_screen "the detail view of the top domain" 5 '^Domain 6 '
wait_screen "lists its recent events" 5 'stake +.*'
keys Escape q
check "--step: q exits 0" "0" "$(wait_rc 5)"

# ---- replay on a screen: end, corrupt, garbage ------------------------------------------------
tmux_start 120 40 "$TOP --speed 0 -u pages $T/t.trace"
wait_screen "a replay to its end says END" 10 '\[END\]'
check_match "and that the figures are its last state" 'end of trace' "$SCR"
check "and shows the scenario's outstanding claims" "$(sv outstanding)" "$(header_field claims)"
keys q
check "END: q exits 0" "0" "$(wait_rc 5)"
tmux_start 120 40 "$TOP -u pages $T/corrupt.trace"
wait_screen "a corrupt trace says FAILED" 10 '\[FAILED\]'
check_match "and NOT LIVE" 'NOT LIVE' "$SCR"
keys q
check "FAILED: q exits 1" "1" "$(wait_rc 5)"
yes 'garbage' | head -c 100000 >"$T/garbage.bin"
tmux_start 120 40 "$TOP - < $T/garbage.bin"
wait_screen "garbage on stdin, on a screen: FAILED" 10 '\[FAILED\]'
keys q
check "garbage: q (read from the terminal) exits 1" "1" "$(wait_rc 5)"
finish
