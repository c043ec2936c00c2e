# bench/run.d/top.sh: xenclaimtop's budget: CPU at a 1 s interval with 1,000 domains, trace ingest rate, memory with 32,768 domains.
# Sourced by bench/run.sh (uses its report/median/REPS).
#
#   CPU:    xenclaimtop -b -d 1 against a mock with 1,000 domains for
#           BENCH_TOP_SECS seconds (default 10): (utime + stime) from
#           /proc/PID/stat over wall time; the same on a screen (tmux)
#           when tmux is there.  Goal: at most 2% of one core.
#   ingest: a top-mktrace trace of about 5 M records replayed at --speed 0
#           (--stats: records/s), beside the bare reader (mktraces speed).
#           Goal: at least 2 M records/s, none lost.
#   memory: VmHWM of xenclaimtop following a trace of 32,768 domains
#           once all are shown, beside the same for one domain.  Goal: at
#           most 64 MiB.

TOPB=build/bin/xenclaimtop
TOPD=$(mktemp -d /tmp/xenclaimtop-bench.XXXXXX)
TOP_SECS=${BENCH_TOP_SECS:-10}
TOP_REPS=${BENCH_TOP_REPS:-3}
top_tmux=xctop-bench-$$

top_cleanup() {
    tmux -L "$top_tmux" kill-server 2>/dev/null
    [ -n "${top_mpid:-}" ] && kill "$top_mpid" 2>/dev/null && wait "$top_mpid" 2>/dev/null
    top_mpid=
    rm -rf "$TOPD"
}

# CPU seconds (utime + stime) of PID so far.
top_cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# top_cpu_pct PID: CPU % of PID over TOP_SECS seconds of wall time.
top_cpu_pct() {
    local c0 c1 t0 t1
    c0=$(top_cpu_s "$1")
    t0=$(date +%s%N)
    sleep "$TOP_SECS"
    c1=$(top_cpu_s "$1")
    t1=$(date +%s%N)
    awk -v a="$c0" -v b="$c1" -v t="$(( t1 - t0 ))" 'BEGIN { print (b - a) * 100 / (t / 1e9) }'
}

echo "== xenclaimtop: CPU at a 1 s interval, 1,000 domains (% of one core)"
build/bin/xenclaim-mock serve --socket "$TOPD/s" --trace-area "$TOPD/a" \
    --memory 32G --dom0-mem 1G --cpus 2 >"$TOPD/mock.log" 2>&1 &
top_mpid=$!
for i in $(seq 200); do
    build/bin/xenclaimctl -s "$TOPD/s" info >/dev/null 2>&1 && break
    kill -0 "$top_mpid" 2>/dev/null || break
    sleep 0.05
done
for i in $(seq 999); do
    build/bin/xenclaimctl -s "$TOPD/s" create name=vm$i memory=4 maxmem=64 -p -q >/dev/null || break
    # Every other domain holds a claim.
    [ $((i % 2)) -eq 0 ] && build/bin/xenclaimctl -s "$TOPD/s" claim vm$i $((1024 + i)) >/dev/null
done
ndom=$(build/bin/xenclaimctl -s "$TOPD/s" list | tail -n +2 | wc -l)
echo "   $ndom domains"
for i in $(seq "$TOP_REPS"); do
    "$TOPB" -s "$TOPD/s" -b -d 1 >/dev/null 2>&1 &
    p=$!
    sleep 2      # past the first frame and the first dump
    top_cpu_pct "$p" >>"$TOPD/cpu_b"
    kill "$p"; wait "$p" 2>/dev/null
    if command -v tmux >/dev/null 2>&1; then
        rm -f "$TOPD/pid"
        tmux -L "$top_tmux" -f /dev/null new-session -d -x 160 -y 50 \
            "echo \$\$ >$TOPD/pid; exec $TOPB -s $TOPD/s -d 1"
        sleep 2
        p=$(cat "$TOPD/pid" 2>/dev/null)
        [ -n "$p" ] && top_cpu_pct "$p" >>"$TOPD/cpu_s"
        tmux -L "$top_tmux" kill-server 2>/dev/null
    fi
done
# The same while claims come and go (about 20 claim hypercalls a second).
top_churn() {
    local j=0
    while :; do
        j=$((j % 499 + 1))
        build/bin/xenclaimctl -s "$TOPD/s" claim vm$((2 * j)) 0 >/dev/null
        build/bin/xenclaimctl -s "$TOPD/s" claim vm$((2 * j)) $((1024 + 2 * j)) >/dev/null
        sleep 0.1
    done
}
top_churn &
churn=$!
for i in $(seq "$TOP_REPS"); do
    "$TOPB" -s "$TOPD/s" -b -d 1 >/dev/null 2>&1 &
    p=$!
    sleep 2
    top_cpu_pct "$p" >>"$TOPD/cpu_c"
    kill "$p"; wait "$p" 2>/dev/null
done
kill "$churn"; wait "$churn" 2>/dev/null
report "xenclaimtop -b -d 1, $ndom domains" "$(median <"$TOPD/cpu_b")" "%CPU" \
    "budget" 2 "<= 1.00"
report "xenclaimtop -b -d 1, $ndom domains, churn" "$(median <"$TOPD/cpu_c")" "%CPU" \
    "budget" 2 "<= 1.00"
[ -s "$TOPD/cpu_s" ] &&
    report "xenclaimtop on a screen, -d 1, $ndom domains" "$(median <"$TOPD/cpu_s")" "%CPU" \
        "budget" 2 "<= 1.00"
kill "$top_mpid" 2>/dev/null
wait "$top_mpid" 2>/dev/null
top_mpid=

echo "== xenclaimtop: trace ingest at --speed 0 (M records/s)"
nrec=$(build/tests/top-mktrace "$TOPD/big.trace" 1000 263)
for i in $(seq "$TOP_REPS"); do
    "$TOPB" --csv --speed 0 -d 600 --stats "$TOPD/big.trace" >/dev/null 2>"$TOPD/stats"
    # "xenclaimtop: N records in S s: R records/s, L lost, ..."
    read -r got rate lost <<<"$(awk '{ print $2, $7, $9 }' "$TOPD/stats")"
    if [ "$got" != "$nrec" ] || [ "$lost" != 0 ]; then
        echo "   ingest: $got of $nrec records, $lost lost" >&2
    fi
    awk -v r="$rate" 'BEGIN { print r / 1e6 }' >>"$TOPD/ingest"
    if [ -x build/tests/mktraces ]; then
        # "FILE: N records (mmap): S s, R M records/s; ..."
        build/tests/mktraces speed "$TOPD/big.trace" 2>/dev/null |
            sed -n 's/.* s, \([0-9.]*\) M records\/s;.*/\1/p' >>"$TOPD/reader"
    fi
done
report "ingest, trace file, $nrec records" "$(median <"$TOPD/ingest")" "Mrec/s" \
    "goal" 2 ">= 1.00, 0 lost"
[ -s "$TOPD/reader" ] &&
    report "ingest, trace file" "$(median <"$TOPD/ingest")" "Mrec/s" \
        "bare reader (mktraces speed)" "$(median <"$TOPD/reader")" "(information)"
rm -f "$TOPD/big.trace"

echo "== xenclaimtop: memory with 32,768 domains (VmHWM, MiB)"
# top_hwm TRACE DOMAINS: VmHWM of xenclaimtop once it shows DOMAINS.
top_hwm() {
    local p hwm=
    "$TOPB" -f --json --speed 0 -d 0.5 "$1" >"$TOPD/hwm.out" 2>/dev/null &
    p=$!
    for i in $(seq 600); do
        tail -c 300000 "$TOPD/hwm.out" 2>/dev/null | grep -q "\"domains\":$2," && break
        sleep 0.1
    done
    hwm=$(awk '/^VmHWM:/ { print $2 / 1024 }' "/proc/$p/status")
    kill "$p"; wait "$p" 2>/dev/null
    echo "$hwm"
}
build/tests/top-mktrace "$TOPD/one.trace" 1 1 >/dev/null
build/tests/top-mktrace "$TOPD/many.trace" 32767 1 >/dev/null
for i in $(seq "$TOP_REPS"); do
    top_hwm "$TOPD/one.trace" 2 >>"$TOPD/hwm1"
    top_hwm "$TOPD/many.trace" 32768 >>"$TOPD/hwmN"
done
report "VmHWM, 32,768 domains" "$(median <"$TOPD/hwmN")" MiB "limit" 64 "<= 1.00"
report "VmHWM, 32,768 domains" "$(median <"$TOPD/hwmN")" MiB "one domain" "$(median <"$TOPD/hwm1")" "(information)"
top_cleanup
