#!/bin/bash
# lib.sh: shared by tests/scripts/top_*.sh: TAP helpers, a private mock daemon, a private tmux server, polling with bounded timeouts.
#
# Source it from the repository root.  It creates $T (a temporary
# directory) and removes it on exit, with everything started here killed
# by pid: the daemon ($MOCK_PID), background programs registered with
# reap_pid, and the tmux server on its own socket name ($TMUX_NAME).

TOP=${XENCLAIMTOP:-build/bin/xenclaimtop}
MOCK=${XENCLAIM_MOCK:-build/bin/xenclaim-mock}
CTL=${XENCLAIMCTL:-build/bin/xenclaimctl}
T=$(mktemp -d /tmp/xenclaimtop-test.XXXXXX)
TMUX_BASE=xctop-$$-$RANDOM
TMUX_NAME=$TMUX_BASE-0
TMUX_COUNT=0
MOCK_PID=
REAP=()
n=0
fails=0

cleanup() {
    local p i
    for i in $(seq 0 "$TMUX_COUNT"); do
        tmux -L "$TMUX_BASE-$i" kill-server 2>/dev/null
    done
    for p in "${REAP[@]}" $MOCK_PID; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check DESC EXPECTED SEEN
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi
}
# check_match DESC REGEX TEXT
check_match() {
    if [[ $3 =~ $2 ]]; then ok "$1"; else notok "$1: expected /$2/, got '$(printf '%s' "$3" | head -c 600)'"; fi
}
check_nomatch() {
    if [[ $3 =~ $2 ]]; then notok "$1: did not expect /$2/, got '$(printf '%s' "$3" | head -c 600)'"; else ok "$1"; fi
}
finish() {
    echo "1..$n"
    exit 0
}
reap_pid() { REAP+=("$1"); }

need() {
    local p
    for p in "$@"; do
        if [ ! -x "$p" ] && ! command -v "$p" >/dev/null 2>&1; then
            echo "1..0 # SKIP $p not available"
            exit 0
        fi
    done
}

# until_true SECONDS CMD...: run CMD every 50 ms until it succeeds; 1 on timeout.
until_true() {
    local end=$(($(date +%s%N) + $1 * 1000000000))
    shift
    while ! "$@"; do
        [ "$(date +%s%N)" -ge "$end" ] && return 1
        sleep 0.05
    done
    return 0
}

# start_mock ARGS...: a private daemon on $T/s with its trace area $T/a.
start_mock() {
    "$MOCK" serve --socket "$T/s" --trace-area "$T/a" "$@" \
        >"$T/mock.log" 2>&1 &
    MOCK_PID=$!
    if ! until_true 20 mock_ready || ! kill -0 "$MOCK_PID" 2>/dev/null; then
        echo "Bail out! the mock daemon did not come up: $(cat "$T/mock.log")"
        exit 1
    fi
}
# The daemon answers, or has died (then the wait is over too).
mock_ready() {
    "$CTL" -s "$T/s" physinfo >/dev/null 2>&1 || ! kill -0 "$MOCK_PID" 2>/dev/null
}
stop_mock() {
    kill "$MOCK_PID" 2>/dev/null
    wait "$MOCK_PID" 2>/dev/null
    MOCK_PID=
}
ctl() { "$CTL" -s "$T/s" "$@"; }
# pi KEY: one figure of physinfo.
pi() { ctl physinfo | sed -n "s/^$1=//p"; }
# dom_json FIELD: "domid value" lines from `xenclaimctl list --json`.
dom_json() {
    ctl list --json | awk -v f="\"$1\":" '
        $1 == "\"domid\":" { id = $2; sub(/,/, "", id) }
        $1 == f { v = $2; sub(/,/, "", v); gsub(/"/, "", v); print id, v }'
}

# ---- tmux ---------------------------------------------------------------
# tmux_start W H CMD: run CMD (a shell line) in a new private tmux server
# (the one before is killed); CMD's exit status lands in $T/rc.
tmux_start() {
    tmux -L "$TMUX_NAME" kill-server 2>/dev/null
    TMUX_COUNT=$((TMUX_COUNT + 1))
    TMUX_NAME=$TMUX_BASE-$TMUX_COUNT
    rm -f "$T/rc"
    printf 'set -g status off\nset -g escape-time 0\n' >"$T/tmux.conf"
    tmux -L "$TMUX_NAME" -f "$T/tmux.conf" new-session -d -x "$1" -y "$2" \
        "$3; echo \$? > $T/rc; sleep 600"
}
# rows: "DOMID NAME TOT MAX CLAIM" of every table row on the screen.
rows() {
    screen | awk '$1 == "DOMID" { on = 1; next }
                  on && NF == 0 { exit }
                  on && $1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }'
}
# header_field NAME: the number after NAME on the screen's header.
header_field() {
    screen | awk -v k="$1" '{ for (i = 1; i < NF; i++)
                                  if ($i == k) { print $(i + 1); exit } }'
}
screen() { tmux -L "$TMUX_NAME" capture-pane -p; }
screen_esc() { tmux -L "$TMUX_NAME" capture-pane -p -e; }
keys() { tmux -L "$TMUX_NAME" send-keys "$@"; }
# screen_has REGEX: the screen matches (extended regex, whole screen).
screen_has() { screen | grep -Eq -- "$1"; }
# wait_screen DESC SECONDS REGEX: TAP line; $SCR holds the last screen.
wait_screen() {
    if until_true "$2" screen_has "$3"; then
        SCR=$(screen)
        ok "$1"
        return 0
    fi
    SCR=$(screen)
    notok "$1: expected /$3/ on screen within $2 s, got:
$(printf '%s\n' "$SCR" | sed 's/^/#   /')"
    return 1
}
# wait_rc SECONDS: the exit status of the program run by tmux_start.
wait_rc() {
    until_true "$1" test -s "$T/rc" && cat "$T/rc"
}
