# exporters/tests/lib.sh: shared helpers of tests/scripts/exporter_*.sh (TAP output, processes, bounded waits, Prometheus).
#
# Sourced, not run.  Every process a test starts is recorded and killed
# by its pid in the EXIT trap; every wait is a bounded poll.

EXPORTER=${XENCLAIM_EXPORTER:-build/bin/xenclaim-exporter}
EVDUMP=${XENCLAIM_EVENTS_DUMP:-build/bin/xenclaim-events-dump}
MOCK=${XENCLAIM_MOCK:-build/bin/xenclaim-mock}
CTL=${XENCLAIMCTL:-build/bin/xenclaimctl}
RWSINK=${XENCLAIM_RW_SINK:-build/tests/xce-rw-sink}

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
# check DESC EXPECTED SEEN
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi
}
# check_match DESC REGEX TEXT
check_match() {
    if [[ $3 =~ $2 ]]; then ok "$1"; else notok "$1: expected /$2/, got '${3:0:300}'"; fi
}
# check_le DESC LIMIT SEEN (numbers)
check_le() {
    if awk -v a="$3" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; then
        ok "$1"
    else
        notok "$1: expected at most $2, got $3"
    fi
}
# check_gt DESC FLOOR SEEN (numbers)
check_gt() {
    if awk -v a="$3" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; then
        ok "$1"
    else
        notok "$1: expected more than $2, got $3"
    fi
}

# need PROGRAM...: skip the whole script when one is missing.
need() {
    local p
    for p in "$@"; do
        if ! command -v "$p" >/dev/null 2>&1 && [ ! -x "$p" ]; then
            echo "1..0 # SKIP $p not available"
            exit 0
        fi
    done
}

TMP=$(mktemp -d /tmp/xenclaim-exporter-test.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# forget PID: drop a pid from the list (it was stopped already).
forget() {
    local p keep=()
    for p in "${PIDS[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
}

# wait_until SECONDS CMD...: run CMD every 50 ms until it succeeds or the
# deadline passes.  Returns CMD's last status.
wait_until() {
    local limit=$1 end
    shift
    end=$(($(date +%s%N) + ${limit%.*} * 1000000000))
    while :; do
        "$@" && return 0
        [ "$(date +%s%N)" -ge "$end" ] && return 1
        sleep 0.05
    done
}

# free_port: a TCP port nobody listens on now (loopback).
free_port() {
    local p used
    used=$(awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
    while :; do
        p=$((20000 + RANDOM % 30000))
        grep -qx "$(printf %04X "$p")" <<<"$used" || { echo "$p"; return; }
    done
}

# start_mock NAME ARGS...: a mock daemon on $TMP/NAME.s with its trace
# area $TMP/NAME.a; sets MOCK_PID.
start_mock() {
    local name=$1
    shift
    "$MOCK" serve --socket "$TMP/$name.s" --trace-area "$TMP/$name.a" "$@" \
        >"$TMP/$name.log" 2>&1 &
    MOCK_PID=$!
    PIDS+=("$MOCK_PID")
    wait_until 10 test -S "$TMP/$name.s"
}

# ctl NAME ARGS...: xenclaimctl on mock NAME.
ctl() {
    local name=$1
    shift
    "$CTL" -s "$TMP/$name.s" "$@"
}

# start_exporter NAME ARGS...: an exporter on a free port; sets EXP_PID
# and EXP (http://127.0.0.1:PORT).
start_exporter() {
    local name=$1 addr
    shift
    "$EXPORTER" --listen 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
    EXP_PID=$!
    PIDS+=("$EXP_PID")
    if ! wait_until 10 grep -qs 'listening on' "$TMP/$name.log"; then
        EXP=
        return 1
    fi
    addr=$(sed -n 's|.*listening on http://\([^/]*\)/metrics.*|\1|p' "$TMP/$name.log")
    EXP=http://$addr
}

# metric URL NAME_WITH_LABELS: the value of one sample in a text scrape.
metric() {
    curl -s "$1/metrics" | awk -v k="$2" '$1 == k { print $2; exit }'
}

# metric_is URL SAMPLE VALUE: for wait_until.
metric_is() {
    [ "$(metric "$1" "$2")" = "$3" ]
}

# start_prometheus CONFIG_TARGETS_YAML...: Prometheus on a free port with
# its own storage; sets PROM (http://127.0.0.1:PORT) and PROM_PID.  The
# scrape config is given whole as $1.
start_prometheus() {
    local port tries
    for tries in 1 2 3; do
        port=$(free_port)
        printf '%s\n' "$1" >"$TMP/prom.yml"
        prometheus --config.file="$TMP/prom.yml" \
            --storage.tsdb.path="$TMP/prom-data" \
            --web.listen-address="127.0.0.1:$port" \
            --enable-feature=native-histograms \
            --web.enable-remote-write-receiver \
            --log.level=warn >"$TMP/prom.log" 2>&1 &
        PROM_PID=$!
        PIDS+=("$PROM_PID")
        PROM=http://127.0.0.1:$port
        if wait_until 20 curl -sf "$PROM/-/ready" -o /dev/null; then
            return 0
        fi
        kill "$PROM_PID" 2>/dev/null
        wait "$PROM_PID" 2>/dev/null
        forget "$PROM_PID"
    done
    return 1
}

# pq QUERY: Prometheus instant query -> "labels value" lines, or the one
# value when the result has a single series (pq1).
pq() {
    curl -s --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
        jq -r '.data.result[] | "\(.metric.name // .metric.__name__ // "") \(.value[1])"'
}
pq1() {
    curl -s --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
        jq -r 'if (.data.result | length) == 1 then .data.result[0].value[1] else empty end'
}
# pq_is QUERY VALUE: for wait_until.
pq_is() {
    [ "$(pq1 "$1")" = "$2" ]
}

# pb_split FILE DIR: cut a length-delimited protobuf stream into
# DIR/0.bin, DIR/1.bin...; prints the count, or "bad@OFFSET" when a
# length runs past the end.
pb_split() {
    local f=$1 dir=$2 bytes size off=0 k len shift_ b i=0
    mkdir -p "$dir"
    size=$(stat -c %s "$f")
    mapfile -t bytes < <(od -An -tu1 -v -w1 "$f" | tr -d ' ')
    while [ "$off" -lt "$size" ]; do
        len=0
        shift_=0
        k=0
        while :; do
            b=${bytes[$((off + k))]:-}
            [ -z "$b" ] && { echo "bad@$off"; return; }
            len=$((len | ((b & 127) << shift_)))
            shift_=$((shift_ + 7))
            k=$((k + 1))
            [ "$b" -lt 128 ] && break
        done
        if [ $((off + k + len)) -gt "$size" ]; then
            echo "bad@$off"
            return
        fi
        tail -c +$((off + k + 1)) "$f" | head -c "$len" >"$dir/$i.bin"
        off=$((off + k + len))
        i=$((i + 1))
    done
    echo "$i"
}

# Debian's copy of Prometheus' metrics.proto (package
# golang-github-prometheus-client-model-dev), or empty.
METRICS_PROTO=$(dpkg -L golang-github-prometheus-client-model-dev 2>/dev/null |
    grep '/io/prometheus/client/metrics.proto$' | head -1)

# pb_decode FILE: one MetricFamily decoded by protoc against it.
pb_decode() {
    protoc --decode=io.prometheus.client.MetricFamily \
        -I"$(dirname "$METRICS_PROTO")" -I/usr/include \
        "$METRICS_PROTO" <"$1"
}
