#!/bin/bash
# tests/scripts/exporter_http.sh: xenclaim-exporter's /metrics over HTTP against a mock daemon: values, formats, faults (TAP).
#
# A mock host (4 GiB, 2 NUMA nodes) with domains built by xenclaimctl,
# one of them with quotes and backslashes in its name.  Checks each
# exported figure against xenclaimctl's own (physinfo, claims --json,
# converted to bytes here), the three formats (text 0.0.4, OpenMetrics
# with # EOF and _total only on samples, protobuf decoded message by
# message by protoc against Debian's metrics.proto), and faults:
# malformed and oversized requests, wrong methods, stalled clients, 100
# concurrent scrapers, and the mock daemon dying and coming back
# (xenclaim_source_up 0, then 1).

set -u
cd "$(dirname "$0")/../.."
. exporters/tests/lib.sh

need "$EXPORTER" "$MOCK" "$CTL" curl jq protoc
if [ -z "$METRICS_PROTO" ]; then
    echo "1..0 # SKIP golang-github-prometheus-client-model-dev not installed"
    exit 0
fi

start_mock m --memory 4G --nodes 2 || { echo "Bail out! mock did not start"; exit 1; }
ctl m create -q name=web memory=512 maxmem=1024 >/dev/null
ctl m create -q -p name=db memory=256 maxmem=2048 >/dev/null
ctl m create -q 'name=we"b\x' memory=64 maxmem=128 >/dev/null

start_exporter e --mock "$TMP/m.s" --http-timeout 2 ||
    { echo "Bail out! exporter did not start: $(cat "$TMP/e.log")"; exit 1; }
# Counters count what the exporter saw: act once it reads the source.
wait_until 10 metric_is "$EXP" xenclaim_source_up 1
ctl m claim db 300000 >/dev/null
ctl m claim web 10 >/dev/null 2>&1         # refused: below tot_pages

# ---- values against the mock's own numbers ------------------------------
pi() { ctl m physinfo | sed -n "s/^$1=//p"; }
free=$(( $(pi free_pages) * 4096 ))
outst=$(( $(pi outstanding_pages) * 4096 ))
total=$(( $(pi total_pages) * 4096 ))
wait_until 10 metric_is "$EXP" xenclaim_host_claims_outstanding_bytes "$outst"
check "host outstanding claims = physinfo outstanding_pages * 4096" \
    "$outst" "$(metric "$EXP" xenclaim_host_claims_outstanding_bytes)"
check "host free = physinfo free_pages * 4096" "$free" \
    "$(metric "$EXP" xenclaim_host_free_bytes)"
check "host total = physinfo total_pages * 4096" "$total" \
    "$(metric "$EXP" xenclaim_host_total_bytes)"
check "headroom = free + freeable - outstanding" \
    "$(( free + $(pi freeable_pages) * 4096 - outst ))" \
    "$(metric "$EXP" xenclaim_host_headroom_bytes)"
n0=$(( $(pi node0_free_pages) * 4096 ))
check "per-node free (node 0, 2 nodes)" "$n0" \
    "$(metric "$EXP" 'xenclaim_node_free_bytes{node="0"}')"
ctl m claims --json >"$TMP/claims.json"
bad=0
ndom=0
while read -r id name tot max claim; do
    ndom=$((ndom + 1))
    lab="{domid=\"$id\",name=\"$name\"}"
    for pair in "tot_bytes:$tot" "max_bytes:$max" "claim_outstanding_bytes:$claim"; do
        want=$(( ${pair#*:} * 4096 ))
        got=$(metric "$EXP" "xenclaim_domain_${pair%%:*}$lab")
        if [ "$got" != "$want" ]; then
            bad=$((bad + 1))
            echo "# d$id ${pair%%:*}: expected $want, got '$got'"
        fi
    done
done < <(jq -r '.domains[] | [.domid, (.name | gsub("\\\\"; "\\\\") | gsub("\""; "\\\"")), .tot_pages, .max_pages, .outstanding_pages] | @tsv' "$TMP/claims.json")
check "per-domain tot/max/claim of $ndom domains match claims --json" 0 "$bad"
check "domain count" "$ndom" "$(metric "$EXP" xenclaim_host_domains)"
check "refused stake counted by errno" 1 \
    "$(metric "$EXP" 'xenclaim_host_stakes_refused_total{errno="EINVAL"}')"
db=$(jq -r '.domains[] | select(.name == "db") | .domid' "$TMP/claims.json")
check "db's stake counted" 1 \
    "$(metric "$EXP" "xenclaim_domain_claims_staked_total{domid=\"$db\",name=\"db\"}")"
check "source up" 1 "$(metric "$EXP" xenclaim_source_up)"

# ---- formats ---------------------------------------------------------------
curl -s -D "$TMP/h.txt" -o "$TMP/b.txt" "$EXP/metrics"
check_match "default is text 0.0.4" \
    'Content-Type: text/plain; version=0.0.4' "$(cat "$TMP/h.txt")"
check_match "text names counters with _total in TYPE" \
    '# TYPE xenclaim_host_denials_total counter' "$(cat "$TMP/b.txt")"
check "text ends with a newline" "" "$(tail -c 1 "$TMP/b.txt" | tr -d '\n')"
check_match "label values escaped (\\\" and \\\\)" \
    'name="we\\"b\\\\x"' "$(grep 'xenclaim_domain_tot_bytes{' "$TMP/b.txt")"
ntype=$(grep -c '^# TYPE ' "$TMP/b.txt")
check "one HELP per TYPE" "$ntype" "$(grep -c '^# HELP ' "$TMP/b.txt")"

curl -s -D "$TMP/h.om" -o "$TMP/b.om" \
    -H 'Accept: application/openmetrics-text; version=1.0.0; charset=utf-8' "$EXP/metrics"
check_match "OpenMetrics content type" \
    'Content-Type: application/openmetrics-text; version=1.0.0' "$(cat "$TMP/h.om")"
check "OpenMetrics ends with # EOF" "# EOF" "$(tail -n 1 "$TMP/b.om")"
check_match "OpenMetrics counter family without _total" \
    '# TYPE xenclaim_host_denials counter' "$(cat "$TMP/b.om")"
check_match "OpenMetrics counter sample with _total" \
    $'\nxenclaim_host_denials_total [0-9]' "$(cat "$TMP/b.om")"
check_match "OpenMetrics UNIT for _bytes" \
    '# UNIT xenclaim_host_free_bytes bytes' "$(cat "$TMP/b.om")"

curl -s -D "$TMP/h.pb" -o "$TMP/b.pb" -H 'Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1' "$EXP/metrics"
check_match "protobuf content type" \
    'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' \
    "$(cat "$TMP/h.pb")"
nmsg=$(pb_split "$TMP/b.pb" "$TMP/pb")
check "protobuf: one delimited message per family" "$ntype" "$nmsg"
bad=0
for f in "$TMP"/pb/*.bin; do
    pb_decode "$f" >"$f.txt" 2>"$f.err" || bad=$((bad + 1))
done
check "every message decodes as io.prometheus.client.MetricFamily (protoc)" 0 "$bad"
dec=$(cat "$TMP"/pb/*.bin.txt)
check_match "decoded: counter family keeps _total, type COUNTER" \
    'name: "xenclaim_host_denials_total"'$'\n''help: "[^"]*"'$'\n''type: COUNTER' "$dec"
want=$(( $(jq -r '.domains[] | select(.name == "db") | .tot_pages' "$TMP/claims.json") * 4096 ))
one=$(for f in "$TMP"/pb/*.bin.txt; do
        grep -q 'name: "xenclaim_domain_tot_bytes"' "$f" && cat "$f"; done |
      tr -d '\n ' | grep -o "label{name:\"domid\"value:\"$db\"}label{name:\"name\"value:\"db\"}gauge{value:[0-9e.+]*}")
check_match "decoded: db's tot_bytes with both labels" "value:$want\}|value:${want:0:1}\.[0-9]*e\+0*${#want}" "$one"

curl -s -o /dev/null -w '%{http_code}' "$EXP/metrics?format=openmetrics" >"$TMP/code"
check "?format=openmetrics" 200 "$(cat "$TMP/code")"
check "?format=bogus is a 400" 400 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$EXP/metrics?format=bogus")"
check "HEAD /metrics" 200 "$(curl -s -I -o /dev/null -w '%{http_code}' "$EXP/metrics")"
check "POST /metrics is a 405" 405 \
    "$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$EXP/metrics")"
check "unknown path is a 404" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$EXP/nope")"
check "index page" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$EXP/")"

# ---- malformed and oversized requests ------------------------------------
port=${EXP##*:}
raw() {     # raw BYTES: send them, print the first response line
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf '%b' "$1" >&3
    timeout 5 head -n 1 <&3 | tr -d '\r'
    exec 3<&- 3>&-
}
check_match "garbage request line: 400" '^HTTP/1\.[01] 400' \
    "$(raw 'HELLO THERE\r\n\r\n')"
check_match "bad HTTP version: 4xx/5xx" '^HTTP/1\.[01] [45][0-9][0-9]' \
    "$(raw 'GET /metrics HTTP/9.9\r\n\r\n')"
big=$(head -c 100000 /dev/zero | tr '\0' a)
# The server may answer and close before it has read all 100 KB: the
# client's socket is then reset and the answer can be lost with it.  An
# answer, if one arrives, must be 431 or 413; serving on is checked next.
check_match "100 KB header: 431 or 413, or the connection closed" \
    '^(HTTP/1\.[01] (431|413).*)?$' \
    "$(raw "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n" 2>/dev/null)"
check "still serving after bad requests" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$EXP/metrics")"

# ---- stalled clients ---------------------------------------------------------
for i in $(seq 20); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET /metr' >&$fd
    eval "slow_$i=$fd"
done
t0=$(date +%s%N)
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$EXP/metrics")
t1=$(date +%s%N)
check "scrape served while 20 clients stall" 200 "$code"
check_le "that scrape took under 2 s (ms)" 2000 $(( (t1 - t0) / 1000000 ))
eval "fd=\$slow_1"
t0=$(date +%s%N)
timeout 8 cat <&$fd >/dev/null
t1=$(date +%s%N)
check_le "a stalled client is cut off by --http-timeout 2 (ms)" 6000 $(( (t1 - t0) / 1000000 ))
for i in $(seq 20); do eval "fd=\$slow_$i"; exec {fd}<&-; done

# ---- 100 concurrent scrapers -------------------------------------------------
errs0=$(metric "$EXP" xenclaim_exporter_http_errors_total)
args=()
for i in $(seq 100); do
    args+=(-o "$TMP/par.$i" "$EXP/metrics?format=openmetrics")
done
curl -s --parallel --parallel-immediate --parallel-max 100 -w '%{http_code}\n' \
    "${args[@]}" >"$TMP/par.codes" 2>/dev/null
check "100 concurrent scrapes: all 200" 100 "$(grep -c '^200$' "$TMP/par.codes")"
whole=0
for i in $(seq 100); do
    [ "$(tail -n 1 "$TMP/par.$i")" = "# EOF" ] && whole=$((whole + 1))
done
check "100 concurrent scrapes: every body complete (# EOF)" 100 "$whole"
check "no HTTP errors counted meanwhile" "$errs0" \
    "$(metric "$EXP" xenclaim_exporter_http_errors_total)"

# ---- the source dies and comes back ---------------------------------------
kill "$MOCK_PID"
wait "$MOCK_PID" 2>/dev/null
forget "$MOCK_PID"
if wait_until 15 metric_is "$EXP" xenclaim_source_up 0; then
    ok "source_up 0 after the daemon died"
else
    notok "source_up 0 after the daemon died: got '$(metric "$EXP" xenclaim_source_up)'"
fi
check "no host figures while the source is down" "" \
    "$(metric "$EXP" xenclaim_host_free_bytes)"
start_mock m --memory 2G
if wait_until 20 metric_is "$EXP" xenclaim_source_up 1; then
    ok "source_up 1 after the daemon came back"
else
    notok "source_up 1 after the daemon came back: got '$(metric "$EXP" xenclaim_source_up)'"
fi
pi_free=$(( $(pi free_pages) * 4096 ))
wait_until 10 metric_is "$EXP" xenclaim_host_free_bytes "$pi_free"
check "figures of the new daemon (free)" "$pi_free" \
    "$(metric "$EXP" xenclaim_host_free_bytes)"

# ---- clean stop --------------------------------------------------------------
kill -TERM "$EXP_PID"
wait "$EXP_PID"
rc=$?
forget "$EXP_PID"
check "SIGTERM: clean exit" 0 "$rc"

echo "1..$n"
[ "$fails" -eq 0 ]
