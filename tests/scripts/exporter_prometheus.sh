#!/bin/bash
# tests/scripts/exporter_prometheus.sh: xenclaim-exporter scraped by, and pushing to, a real Prometheus (TAP).
#
# Starts Debian's Prometheus on 127.0.0.1 (a free port, its own TSDB in a
# temp dir, native histograms on so that it asks for protobuf, the
# remote-write receiver on, 200 ms scrapes, xenclaim.rules.yml loaded),
# an exporter that it scrapes (job "xenclaim") and that pushes to it by
# remote write (job "xenclaim-push"), both reading a mock daemon driven
# by xenclaimctl.  Then compares what Prometheus stored, through its
# HTTP API, with the mock's own figures (physinfo, claims --json), checks
# that the scrapes were protobuf, and that the alert rules fire on a host
# whose claims exceed free memory after a denial.  Every wait is a bounded
# poll of Prometheus's API (its first scrape comes about 5 s after it
# starts).

set -u
cd "$(dirname "$0")/../.."
. exporters/tests/lib.sh

need "$EXPORTER" "$MOCK" "$CTL" curl jq prometheus promtool
RULES=exporters/contrib/xenclaim.rules.yml

out=$(promtool check rules "$RULES" 2>&1)
check_match "promtool check rules accepts $RULES" 'SUCCESS: [0-9]+ rules found' "$out"

start_mock m --memory 4G || { echo "Bail out! mock did not start"; exit 1; }
ctl m create -q name=web memory=512 maxmem=1024 >/dev/null
ctl m create -q -p name=db memory=256 maxmem=2048 >/dev/null

# Prometheus first (the exporter pushes to it), with a placeholder target
# rewritten once the exporter has its port.
port=$(free_port)
start_exporter e --mock "$TMP/m.s" --remote-write "http://127.0.0.1:0/" ||
    { echo "Bail out! exporter did not start"; exit 1; }
kill "$EXP_PID"; wait "$EXP_PID" 2>/dev/null; forget "$EXP_PID"

cp "$RULES" "$TMP/rules.yml"
config() {
    cat <<YAML
global:
  scrape_interval: 200ms
  scrape_timeout: 150ms
  evaluation_interval: 200ms
rule_files: [ "$TMP/rules.yml" ]
scrape_configs:
  - job_name: xenclaim
    static_configs:
      - targets: [ "127.0.0.1:$port" ]
YAML
}
start_prometheus "$(config)" ||
    { echo "Bail out! prometheus did not start: $(tail -5 "$TMP/prom.log")"; exit 1; }
ok "prometheus ready on $PROM"

start_exporter e --mock "$TMP/m.s" --listen "127.0.0.1:$port" \
    --remote-write "$PROM/api/v1/write" --push-interval 0.25 \
    --push-label job=xenclaim-push ||
    { echo "Bail out! exporter did not start: $(cat "$TMP/e.log")"; exit 1; }
wait_until 10 metric_is "$EXP" xenclaim_source_up 1

ctl m claim db 300000 >/dev/null
ctl m claim web 10 >/dev/null 2>&1           # refused: EINVAL

pi() { ctl m physinfo | sed -n "s/^$1=//p"; }
outst=$(( $(pi outstanding_pages) * 4096 ))
free=$(( $(pi free_pages) * 4096 ))

# ---- scraped ---------------------------------------------------------------
q='xenclaim_host_claims_outstanding_bytes{job="xenclaim"}'
if wait_until 30 pq_is "$q" "$outst"; then
    ok "scraped: outstanding claims reached Prometheus"
else
    notok "scraped: outstanding claims: expected $outst, got '$(pq1 "$q")'"
fi
check "scraped: host free = physinfo free_pages * 4096" "$free" \
    "$(pq1 'xenclaim_host_free_bytes{job="xenclaim"}')"
ctl m claims --json >"$TMP/claims.json"
want=$(jq -r '.domains[] | "\(.name) \(.outstanding_pages * 4096)"' "$TMP/claims.json" | sort)
got=$(pq 'xenclaim_domain_claim_outstanding_bytes{job="xenclaim"}' | sort)
check "scraped: per-domain outstanding claims = claims --json" "$want" "$got"
want=$(jq -r '.domains[] | "\(.name) \(.tot_pages * 4096)"' "$TMP/claims.json" | sort)
got=$(pq 'xenclaim_domain_tot_bytes{job="xenclaim"}' | sort)
check "scraped: per-domain tot = claims --json" "$want" "$got"
check "scraped: both domid and name labels kept" "1" \
    "$(curl -s --get "$PROM/api/v1/query" --data-urlencode 'query=xenclaim_domain_tot_bytes{job="xenclaim",name="db"}' |
       jq -r '.data.result | map(select(.metric.domid != null)) | length')"
q='xenclaim_host_stakes_refused_total{job="xenclaim",errno="EINVAL"}'
wait_until 10 pq_is "$q" 1
check "scraped: refused stake by errno" 1 "$(pq1 "$q")"

# Prometheus asked for protobuf: the exporter counts scrapes by format.
wait_until 10 pq_is 'count(xenclaim_exporter_scrapes_total{job="xenclaim",format="protobuf"} > 0)' 1
check_gt "Prometheus scraped protobuf" 0 \
    "$(pq1 'xenclaim_exporter_scrapes_total{job="xenclaim",format="protobuf"}')"
# (text scrapes are this script's own curl requests: they do not grow
# while it only asks Prometheus.)
p1=$(pq1 'xenclaim_exporter_scrapes_total{job="xenclaim",format="protobuf"}')
t1=$(pq1 'xenclaim_exporter_scrapes_total{job="xenclaim",format="text"}')
wait_until 10 pq_is "xenclaim_exporter_scrapes_total{job=\"xenclaim\",format=\"protobuf\"} > $p1" \
    "$(( p1 + 1 ))" || true
p2=$(pq1 'xenclaim_exporter_scrapes_total{job="xenclaim",format="protobuf"}')
check_gt "Prometheus keeps scraping protobuf" "$p1" "$p2"
check "text scrapes did not grow meanwhile" "$t1" \
    "$(pq1 'xenclaim_exporter_scrapes_total{job="xenclaim",format="text"}')"
check "scrape target healthy" "up" \
    "$(curl -s "$PROM/api/v1/targets" | jq -r '.data.activeTargets[0].health')"

# ---- pushed by remote write ------------------------------------------------
q='xenclaim_host_claims_outstanding_bytes{job="xenclaim-push"}'
if wait_until 20 pq_is "$q" "$outst"; then
    ok "pushed: outstanding claims reached Prometheus by remote write"
else
    notok "pushed: outstanding claims: expected $outst, got '$(pq1 "$q")'"
fi
want=$(jq -r '.domains[] | "\(.name) \(.outstanding_pages * 4096)"' "$TMP/claims.json" | sort)
got=$(pq 'xenclaim_domain_claim_outstanding_bytes{job="xenclaim-push"}' | sort)
check "pushed: per-domain outstanding claims = claims --json" "$want" "$got"
check "pushed: counters keep _total" 1 \
    "$(pq1 'xenclaim_host_stakes_refused_total{job="xenclaim-push",errno="EINVAL"}')"
sent=$(metric "$EXP" xenclaim_exporter_remote_write_sent_samples_total)
check_gt "sent samples counted" 0 "$sent"
check "no samples dropped" 0 "$(metric "$EXP" xenclaim_exporter_remote_write_dropped_samples_total)"

# ---- alert rules on real data ----------------------------------------------
# Claim nearly all the rest for a new domain, so that another guest is
# denied (a claim-based denial), then take free frames offline: claims >
# free.
ctl m create -q -p name=big memory=64 maxmem=4096 >/dev/null
tot=$(ctl m claims --json | jq -r '.domains[] | select(.name == "big") | .tot_pages')
avail=$(( $(pi free_pages) - $(pi outstanding_pages) ))
ctl m claim big $(( tot + avail - 1000 )) >/dev/null
rc=0
ctl m create -q --claim-mode off name=late memory=64 >/dev/null 2>&1 || rc=$?
check "a guest without a claim is refused (denied)" 1 "$rc"
ctl m offline --any 4000 >/dev/null
outst=$(( $(pi outstanding_pages) * 4096 ))
check_gt "claims now exceed free memory (mock)" "$(( $(pi free_pages) * 4096 ))" "$outst"
alert_state() {
    curl -s "$PROM/api/v1/alerts" |
        jq -r --arg a "$1" '[.data.alerts[] | select(.labels.alertname == $a and .labels.job == "xenclaim") | .state] | first // empty'
}
alert_is() { [[ $(alert_state "$1") =~ $2 ]]; }
if wait_until 30 alert_is XenClaimsAboveFreeMemory '^(pending|firing)$'; then
    ok "alert XenClaimsAboveFreeMemory pending"
else
    notok "alert XenClaimsAboveFreeMemory: expected pending, got '$(alert_state XenClaimsAboveFreeMemory)'"
fi
if wait_until 30 alert_is XenClaimDenialsRising '^firing$'; then
    ok "alert XenClaimDenialsRising firing"
else
    notok "alert XenClaimDenialsRising: expected firing, got '$(alert_state XenClaimDenialsRising)'"
fi
check "no SourceDown alert" "" "$(alert_state XenClaimSourceDown)"
check "rules loaded without errors" "ok" \
    "$(curl -s "$PROM/api/v1/rules" | jq -r '[.data.groups[].rules[].health] | unique | join(",")')"

# ---- the Grafana dashboard's queries run on this Prometheus ------------------
GRAFANA=exporters/contrib/grafana.json
if jq -e '.panels | length > 0' "$GRAFANA" >/dev/null 2>&1; then
    ok "grafana.json is JSON with panels"
else
    notok "grafana.json is JSON with panels"
fi
bad=0
nq=0
while read -r expr; do
    nq=$((nq + 1))
    expr=${expr//\$__rate_interval/1m}
    expr=${expr//\$instance/.*}
    st=$(curl -s --get "$PROM/api/v1/query" --data-urlencode "query=$expr" | jq -r .status)
    if [ "$st" != success ]; then
        bad=$((bad + 1))
        echo "# query failed: $expr"
    fi
done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$GRAFANA")
check "all $nq dashboard queries accepted by Prometheus" 0 "$bad"

echo "1..$n"
[ "$fails" -eq 0 ]
