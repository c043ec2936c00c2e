# bench/run.d/mock.sh: the mock's hypercall round trip, and building a 16 GiB guest with claims on and off.
# Sourced by bench/run.sh (uses its report/median/REPS).

echo "== mock: a hypercall through the socket vs a bare round trip (ns)"
for i in $(seq "$REPS"); do
    build/bin/xenclaim-mock-bench --iterations 20000 >/tmp/xcb.rtt.$$ 2>/dev/null
    awk '$1 == "ping_rtt_ns" {print $2}' /tmp/xcb.rtt.$$ >>/tmp/xcb.ping.$$
    awk '$1 == "physinfo_rtt_ns" {print $2}' /tmp/xcb.rtt.$$ >>/tmp/xcb.phys.$$
    awk '$1 == "claim_rtt_ns" {print $2}' /tmp/xcb.rtt.$$ >>/tmp/xcb.claim.$$
done
report "physinfo hypercall round trip" "$(median </tmp/xcb.phys.$$)" ns \
    "bare round trip (PING)" "$(median </tmp/xcb.ping.$$)" "<= 2"
report "claim hypercall round trip" "$(median </tmp/xcb.claim.$$)" ns \
    "bare round trip (PING)" "$(median </tmp/xcb.ping.$$)" "<= 2"
rm -f /tmp/xcb.*.$$

echo "== mock: building a 16 GiB guest, claim mode on vs off (ms)"
mdir=$(mktemp -d)
build/bin/xenclaim-mock serve --socket "$mdir/s" --trace-area none \
    --memory 20G --dom0-mem 1G --cpus 2 2>"$mdir/log" &
mpid=$!
for i in $(seq 200); do
    build/bin/xenclaimctl -s "$mdir/s" info >/dev/null 2>&1 && break
    kill -0 "$mpid" 2>/dev/null || break
    sleep 0.05
done
build_ms() {
    local t0 t1
    t0=$(date +%s%N)
    build/bin/xenclaimctl -s "$mdir/s" create name=big memory=16384 \
        --claim-mode "$1" -q >/dev/null || echo "bench: create failed" >&2
    t1=$(date +%s%N)
    build/bin/xenclaimctl -s "$mdir/s" destroy big >/dev/null
    echo $(( (t1 - t0) / 1000 ))
}
for i in $(seq "$REPS"); do
    build_ms on >>/tmp/xcb.on.$$
    build_ms off >>/tmp/xcb.off.$$
done
on_us=$(median </tmp/xcb.on.$$)
off_us=$(median </tmp/xcb.off.$$)
report "16 GiB guest build, claims on" "$(awk -v u="$on_us" 'BEGIN{print u/1000}')" ms \
    "claims off" "$(awk -v u="$off_us" 'BEGIN{print u/1000}')" "~1 (claim is O(1))"
rm -f /tmp/xcb.*.$$
kill "$mpid" 2>/dev/null
wait "$mpid" 2>/dev/null
rm -rf "$mdir"
