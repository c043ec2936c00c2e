# bench/run.d/exporter.sh: xenclaim-exporter: /metrics render time for 10,000 domains, 100 concurrent scrapers, resident memory.
#
# Sourced by bench/run.sh (uses REPS, B, report, median, val).
#
# Render: build/bench/exporter_bench times, in-process and in thread CPU
# time (so that other load on the machine does not count), building the
# metric set from a synthetic snapshot of 10,000 domains (about 100,000
# samples) and rendering it in each format into a fresh buffer, as the
# server does for a scrape.  Baselines, from the same run: for text and
# OpenMetrics, a memcpy of as many bytes as the text body (what merely
# moving the output costs); for protobuf, the text renderer on the same
# set (the format Prometheus falls back to).
#
# Live: an exporter reads a trace of 10,000 guests being built (made by
# xenclaim-scenario), then 100 curl clients scrape it at once, in
# protobuf and then in text; every answer must be a 200 with a whole
# body.  Resident memory is the exporter's VmHWM after all of it.

XB=$B/exporter_bench
if [ ! -x "$XB" ] || [ ! -x build/bin/xenclaim-exporter ]; then
    echo "== exporter: not built, skipped"
else
    echo "== exporter: /metrics for 10,000 domains (render: thread CPU ms, median of $REPS runs of 11)"
    xt=$(mktemp -d /tmp/xenclaim-bench-exporter.XXXXXX)
    for i in $(seq "$REPS"); do
        "$XB" 10000 11 >"$xt/render.$i"
    done
    get() { grep -h "^$1 " "$xt"/render.* | val | median; }
    pb=$(get protobuf_ms)
    txt=$(get text_ms)
    om=$(get openmetrics_ms)
    col=$(get collect_ms)
    cp=$(get memcpy_text_bytes_ms)
    echo "   ($(get samples) samples; bodies: text $(get text_bytes) B, protobuf $(get protobuf_bytes) B)"
    report "render protobuf, 10k domains" "$pb" ms "text renderer, same set" "$txt" "<= 10 ms"
    report "render text 0.0.4, 10k domains" "$txt" ms "memcpy of the text bytes" "$cp" "<= 20 ms"
    report "render OpenMetrics, 10k domains" "$om" ms "memcpy of the text bytes" "$cp" "<= 20 ms"
    report "metric set from the snapshot, 10k domains" "$col" ms "text renderer, same set" "$txt" "(part of a scrape)"

    # A live exporter on a trace of 10,000 guests.
    cat >"$xt/many.scn" <<'SCN'
# 10,000 small guests built one after the other.
host memory=64G nodes=2 cpus=2 dom0=1G seed=1
actor maker
    every 1ms repeat 10000 create g%i memory=4M maxmem=8M
SCN
    if build/bin/xenclaim-scenario run "$xt/many.scn" -o "$xt/many.trace" >/dev/null 2>&1; then
        build/bin/xenclaim-exporter -q --listen 127.0.0.1:0 --trace "$xt/many.trace" \
            --http-threads 2 2>"$xt/exp.log" &
        xpid=$!
        url=
        for i in $(seq 200); do
            url=$(sed -n 's|.*listening on \(http://[^ ]*\).*|\1|p' "$xt/exp.log")
            [ -n "$url" ] && break
            sleep 0.05
        done
        for i in $(seq 600); do
            [ "$(curl -s "$url" | awk '$1 == "xenclaim_host_domains" { print $2 }')" = 10001 ] && break
            sleep 0.05
        done
        hwm0=$(awk '/^VmHWM/ { print $2 / 1024 }' "/proc/$xpid/status")
        scrape100() {
            local accept=$1 args=() k t0 t1
            for k in $(seq 100); do args+=(-o "$xt/body.$k" "$url"); done
            t0=$(date +%s%N)
            curl -s --parallel --parallel-immediate --parallel-max 100 \
                -H "Accept: $accept" \
                -w '%{http_code} %{size_download} %header{content-length}\n' \
                "${args[@]}" >"$xt/codes" 2>/dev/null
            t1=$(date +%s%N)
            # A success: 200 and the whole body (as long as announced).
            fails=$((100 - $(awk '$1 == 200 && $2 == $3' "$xt/codes" | wc -l)))
            sz=$(stat -c %s "$xt/body.1")
            wall=$(( (t1 - t0) / 1000000 ))
        }
        scrape100 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
        report "100 concurrent scrapes (protobuf): failures" "$fails" "" "scrapes" 100 "0"
        echo "   (wall time for the 100: $wall ms, body $sz B)"
        scrape100 'text/plain;version=0.0.4'
        report "100 concurrent scrapes (text): failures" "$fails" "" "scrapes" 100 "0"
        echo "   (wall time for the 100: $wall ms, body $sz B)"
        hwm=$(awk '/^VmHWM/ { print $2 / 1024 }' "/proc/$xpid/status")
        report "exporter VmHWM, 10k domains, after scrapes" "$hwm" MiB "VmHWM before the scrapes" "$hwm0" "<= 64 MiB"
        kill "$xpid"
        wait "$xpid" 2>/dev/null
    else
        echo "   (xenclaim-scenario failed: live part skipped)"
    fi
    rm -rf "$xt"
fi
