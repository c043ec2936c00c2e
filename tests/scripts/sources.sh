#!/bin/bash
# tests/scripts/sources.sh: xenclaim-snapshot (XCS_MOCK and XCS_XENCTRL) against a real xenclaim-mock daemon, checked against xenclaimctl (TAP).
# SPDX-License-Identifier: MIT
#
# Starts `xenclaim-mock serve` on a private socket and trace area, builds
# a few domains with xenclaimctl (one with an outstanding claim, one
# destroyed, tmem pages), and at that quiescent moment compares what
# xenclaim-snapshot reports with `xenclaimctl physinfo` and `list --json`:
# through the mock's trace buffers (names included) and through
# libxenctrl (build/lib/libxenctrl.so.4.17 over the same daemon).  Then
# kills the daemon (both sources must go DOWN) and starts a new one (both
# must come back UP, the trace source exact again after its new dump).
#
# Environment: XENCLAIMCTL, XENCLAIM_MOCK, XENCLAIM_SNAPSHOT override the
# programs' paths.

set -u
cd "$(dirname "$0")/../.."
root=$PWD

CTL=${XENCLAIMCTL:-build/bin/xenclaimctl}
MOCK=${XENCLAIM_MOCK:-build/bin/xenclaim-mock}
SNAP=${XENCLAIM_SNAPSHOT:-build/bin/xenclaim-snapshot}
XCLIB=$root/build/lib/libxenctrl.so.4.17

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() {   # check WHAT EXPECTED SEEN
    if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi
}
finish() { echo "1..$n"; exit 0; }

for p in "$CTL" "$MOCK" "$SNAP"; do
    if [ ! -x "$p" ]; then
        echo "1..0 # SKIP $p not built"
        exit 0
    fi
done
if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 (to read list --json) not found"
    exit 0
fi

TMP=$(mktemp -d /tmp/xenclaim-sources.XXXXXX)
S=$TMP/s
AREA=$TMP/area
export XENCLAIM_SOCKET=$S
dpid=
bg_pids=()

cleanup() {
    local p
    for p in "${bg_pids[@]}"; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ -n "$dpid" ]; then
        kill "$dpid" 2>/dev/null
        wait "$dpid" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# Start a daemon; 0 once it answers (bounded readiness poll), 1 if not.
start_daemon() {
    local i
    rm -f "$S"
    "$MOCK" serve --socket "$S" --trace-area "$AREA" --memory 2G \
        --dom0-mem 256M --nodes 2 --cpus 4 --xen-pages-per-domain 14 \
        --tmem 64M >>"$TMP/daemon.log" 2>&1 &
    dpid=$!
    for ((i = 0; i < 500; i++)); do
        kill -0 "$dpid" 2>/dev/null || return 1
        "$CTL" physinfo >/dev/null 2>&1 && return 0
        sleep 0.01
    done
    return 1
}

stop_daemon() {
    kill "$dpid" 2>/dev/null
    wait "$dpid" 2>/dev/null
    dpid=
}

# What xenclaimctl says, as the snapshot's key=value lines.
# ctl_host: host.total_pages, free, outstanding, freeable.
ctl_host() {
    "$CTL" physinfo | awk -F= '
        $1 == "total_pages" || $1 == "free_pages" ||
        $1 == "outstanding_pages" || $1 == "freeable_pages" {
            print "host." $1 "=" $2 }' | sort
}
# ctl_doms [names]: dom.ID.{tot_pages,max_pages,claim,dying[,name]}.
ctl_doms() {
    "$CTL" list --json | python3 -c '
import json, sys
names = len(sys.argv) > 1
for d in json.load(sys.stdin)["domains"]:
    p = "dom.%d." % d["domid"]
    print(p + "tot_pages=%d" % d["tot_pages"])
    print(p + "max_pages=%d" % d["max_pages"])
    print(p + "claim=%d" % d["outstanding_pages"])
    print(p + "dying=%d" % (1 if d["dying"] else 0))
    if names:
        print(p + "name=" + d["name"])
' "$@" | sort
}
# The same keys out of a snapshot on stdin.
snap_host() {
    grep -E '^host\.(total_pages|free_pages|outstanding_pages|freeable_pages)=' | sort
}
snap_doms() {   # snap_doms [names]
    if [ $# -gt 0 ]; then
        grep -E '^dom\.[0-9]+\.(tot_pages|max_pages|claim|dying|name)=' | sort
    else
        grep -E '^dom\.[0-9]+\.(tot_pages|max_pages|claim|dying)=' | sort
    fi
}
key() {     # key NAME < snapshot
    sed -n "s/^$1=//p" | head -1
}
# The last complete snapshot (up to its end= line) of a running tool's output.
last_block() {
    awk '/^source=/ { b = "" } { b = b $0 "\n" } /^end=/ { last = b }
         END { printf "%s", last }' "$1"
}
# wait_block FILE AWK-CONDITION: wait (bounded) for the last complete
# snapshot to satisfy the condition (an awk expression over k[KEY]).
wait_block() {
    local i
    for ((i = 0; i < 400; i++)); do
        if last_block "$1" | awk -F= '
            { k[$1] = substr($0, length($1) + 2) }
            END { exit !(cond_ok()) }
            function cond_ok() { return '"$2"' }' 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

if ! start_daemon; then
    notok "daemon ready: $(tr '\n' ' ' <"$TMP/daemon.log")"
    finish
fi
ok "daemon ready"

# ---- a host with some claim state -------------------------------------------

alpha=$("$CTL" create name=alpha memory=64 maxmem=256 2>&1)
beta=$("$CTL" create name=beta memory=32 2>&1)
gamma=$("$CTL" create name=gamma memory=16 2>&1)
check "three domains created" "1 2 3" "$alpha $beta $gamma"
"$CTL" claim alpha 40000 >/dev/null 2>&1
check "claim alpha 40000 accepted" 0 $?
"$CTL" destroy gamma >/dev/null 2>&1
check "gamma destroyed" 0 $?
"$CTL" tmem put 1000 >/dev/null 2>&1
check "tmem filled" 0 $?
check "tmem-freeable pages (physinfo)" 1000 \
    "$("$CTL" physinfo | sed -n 's/^freeable_pages=//p')"
claim=$("$CTL" list --json | python3 -c '
import json, sys
print([d["outstanding_pages"] for d in json.load(sys.stdin)["domains"]
       if d["name"] == "alpha"][0])')
# alpha: memory=64 MiB is 16384 pages; 40000 - 16384 still claimed.
check "alpha's outstanding claim (40000 - 16384)" 23616 "$claim"

# ---- XCS_MOCK: the trace buffers --------------------------------------------

"$SNAP" -m"$S" -t 10 >"$TMP/mock.out" 2>"$TMP/mock.err"
check "xenclaim-snapshot -m exit status" 0 $?
check "mock: status" up "$(key status <"$TMP/mock.out")"
check "mock: exact" 1 "$(key host.exact <"$TMP/mock.out")"
check "mock: no issues" 0 "$(key host.issues <"$TMP/mock.out")"
check "mock: host figures equal physinfo" "$(ctl_host)" \
    "$(snap_host <"$TMP/mock.out")"
check "mock: domains equal list --json (with names)" "$(ctl_doms names)" \
    "$(snap_doms names <"$TMP/mock.out")"
check "mock: domain count" 3 "$(key domains <"$TMP/mock.out")"
check "mock: node figures" 2 "$(key host.nr_nodes <"$TMP/mock.out")"

# ---- XCS_XENCTRL: libxenctrl over the same daemon ---------------------------

if [ -f "$XCLIB" ]; then
    LD_LIBRARY_PATH=$root/build/lib "$SNAP" -x >"$TMP/xc.out" \
        2>"$TMP/xc.err"
    check "xenclaim-snapshot -x exit status" 0 $?
    check "xenctrl: status" up "$(key status <"$TMP/xc.out")"
    check "xenctrl: exact" 1 "$(key host.exact <"$TMP/xc.out")"
    # No tmem-freeable figure in libxenctrl: 0 by definition.
    check "xenctrl: host figures equal physinfo (freeable 0)" \
        "$(ctl_host | sed 's/^host.freeable_pages=.*/host.freeable_pages=0/')" \
        "$(snap_host <"$TMP/xc.out")"
    check "xenctrl: domains equal list --json" "$(ctl_doms)" \
        "$(snap_doms <"$TMP/xc.out")"
    check "xenctrl: per-node free pages" \
        "$("$CTL" physinfo | sed -n 's/^node\([0-9]*\)_free_pages=/\1=/p' | tr '\n' ' ')" \
        "$(sed -n 's/^host.node\([0-9]*\)_free_pages=/\1=/p' "$TMP/xc.out" | tr '\n' ' ')"
else
    notok "libxenctrl.so.4.17 built: expected $XCLIB"
fi
LD_LIBRARY_PATH=/nonexistent "$SNAP" -x >/dev/null 2>"$TMP/noxc.err" &&
    rc=0 || rc=$?
# Without our library, Debian's real one loads and finds no Xen: exit 3.
check "xenctrl without a Xen host: cannot open (exit 3)" 3 "$rc"

# ---- trace files and streams, as xenclaim-xentrace writes them --------------

# xenclaim-xentrace copies the buffers into a file (it enables tracing:
# the daemon dumps its state first); XCS_TRACE_FILE follows the file as it
# grows and XCS_TRACE_FD reads it through a pipe (tail -f), both live.
# (Not -D: xenclaim-xentrace discards after enabling, which can drop the
# dump the daemon writes on enable.)
XT=build/bin/xenclaim-xentrace
if [ -x "$XT" ]; then
    : >"$TMP/follow.out"
    : >"$TMP/pipe.out"
    "$XT" --area "$AREA" "$TMP/live.xt" 2>"$TMP/xt.err" &
    xtpid=$!
    bg_pids+=($xtpid)
    for ((i = 0; i < 200; i++)); do
        [ -s "$TMP/live.xt" ] && break
        sleep 0.05
    done
    "$SNAP" -f "$TMP/live.xt" --follow -n 0 -i 100 >>"$TMP/follow.out" \
        2>"$TMP/follow.err" &
    bg_pids+=($!)
    tail -c +1 -f "$TMP/live.xt" 2>/dev/null |
        "$SNAP" -F - -n 0 -i 100 >>"$TMP/pipe.out" 2>"$TMP/pipe.err" &
    bg_pids+=($!)
    "$CTL" create name=traced memory=16 maxmem=64 >/dev/null 2>&1
    "$CTL" claim traced 9000 >/dev/null 2>&1
    check "traced: created and claimed" 0 $?
    want="$(ctl_host | grep -v total_pages; ctl_doms)"
    for f in follow pipe; do
        for ((i = 0; i < 200; i++)); do
            seen="$(last_block "$TMP/$f.out" | snap_host | grep -v total_pages;
                    last_block "$TMP/$f.out" | snap_doms)"
            [ "$seen" = "$want" ] && break
            sleep 0.05
        done
        check "$f: state read from xentrace output equals physinfo and list" \
            "$want" "$seen"
        check "$f: exact, no issues" "1 0" \
            "$(last_block "$TMP/$f.out" | key host.exact) $(last_block "$TMP/$f.out" | key host.issues)"
    done
    kill "$xtpid" 2>/dev/null
    wait "$xtpid" 2>/dev/null
else
    notok "xenclaim-xentrace built: expected $XT"
fi

# ---- live: events, down, up ---------------------------------------------------

: >"$TMP/live.out"
: >"$TMP/xlive.out"
"$SNAP" -m"$S" -e -n 0 -i 100 >>"$TMP/live.out" 2>"$TMP/live.err" &
bg_pids+=($!)
live=$!
if [ -f "$XCLIB" ]; then
    LD_LIBRARY_PATH=$root/build/lib "$SNAP" -x -n 0 -i 100 \
        >>"$TMP/xlive.out" 2>"$TMP/xlive.err" &
    bg_pids+=($!)
fi
wait_block "$TMP/live.out" 'k["status"] == "up" && k["host.exact"] == 1'
check "live mock source up and exact" 0 $?
"$CTL" mem-max beta 64 >/dev/null 2>&1
check "mem-max beta 64 MiB" 0 $?
"$CTL" claim beta 9000 >/dev/null 2>&1
check "claim beta 9000 accepted (tot_pages 8192)" 0 $?
for ((i = 0; i < 200; i++)); do
    grep -q "^event .* kind=stake domid=$beta pages=$((9000 - 8192)) " \
        "$TMP/live.out" && break
    sleep 0.05
done
check "stake event seen for beta (claim 9000 - 8192)" 1 \
    "$(grep -c "^event .* kind=stake domid=$beta pages=808 " "$TMP/live.out")"
wait_block "$TMP/live.out" "k[\"dom.$beta.claim\"] == 808"
check "live snapshot shows beta's claim" 0 $?

# A storm: 8 parallel builds (claim, populate, unclaim each) on the
# daemon's 4 CPUs, then 4 parallel destroys.  Records of every CPU
# interleave; merged out of order they would make the replay report
# issues or end in another state than the daemon's.
storm=()
for i in 1 2 3 4 5 6 7 8; do
    "$CTL" create name=storm$i memory=$((8 * i)) maxmem=128 \
        >/dev/null 2>&1 &
    storm+=($!)
done
fails=0
for p in "${storm[@]}"; do wait "$p" || fails=$((fails + 1)); done
storm=()
for i in 2 4 6 8; do
    "$CTL" destroy storm$i >/dev/null 2>&1 &
    storm+=($!)
done
for p in "${storm[@]}"; do wait "$p" || fails=$((fails + 1)); done
check "storm: 8 builds and 4 destroys done" 0 "$fails"
want="$(ctl_host; ctl_doms names)"
for ((i = 0; i < 200; i++)); do
    seen="$(last_block "$TMP/live.out" | snap_host;
            last_block "$TMP/live.out" | snap_doms names)"
    [ "$seen" = "$want" ] && break
    sleep 0.05
done
check "storm: live snapshot equals physinfo and list --json" "$want" "$seen"
check "storm: replay found no issue" 0 \
    "$(last_block "$TMP/live.out" | key host.issues)"
check "storm: no records lost, exact" "0 1" \
    "$(last_block "$TMP/live.out" | key host.lost) $(last_block "$TMP/live.out" | key host.exact)"

stop_daemon
wait_block "$TMP/live.out" 'k["status"] == "down" && k["host.exact"] == 0'
check "daemon killed: mock source DOWN, not exact" 0 $?
check_msg=$(last_block "$TMP/live.out" | key message)
case $check_msg in
    *gone*|*mock\ daemon*) ok "DOWN message says why: $check_msg" ;;
    *) notok "DOWN message: expected the daemon gone, got '$check_msg'" ;;
esac
if [ -f "$XCLIB" ]; then
    wait_block "$TMP/xlive.out" 'k["status"] == "down"'
    check "daemon killed: xenctrl source DOWN" 0 $?
fi

if ! start_daemon; then
    notok "daemon restarted: $(tail -3 "$TMP/daemon.log" | tr '\n' ' ')"
    finish
fi
delta=$("$CTL" create name=delta memory=8 maxmem=64 2>&1)
"$CTL" claim delta 10000 >/dev/null 2>&1
check "new daemon: delta created and claimed" "1 0" "$delta $?"
wait_block "$TMP/live.out" "k[\"status\"] == \"up\" && k[\"host.exact\"] == 1 &&
    k[\"dom.$delta.name\"] == \"delta\" && k[\"dom.$delta.claim\"] == $((10000 - 2048))"
check "restarted: mock source UP again, exact, with the new domain" 0 $?
last_block "$TMP/live.out" >"$TMP/after.out"
check "restarted: host figures equal physinfo" "$(ctl_host)" \
    "$(snap_host <"$TMP/after.out")"
check "restarted: domains equal list --json (with names)" \
    "$(ctl_doms names)" "$(snap_doms names <"$TMP/after.out")"
if [ -f "$XCLIB" ]; then
    wait_block "$TMP/xlive.out" "k[\"status\"] == \"up\" &&
        k[\"dom.$delta.claim\"] == $((10000 - 2048))"
    check "restarted: xenctrl source UP again" 0 $?
    last_block "$TMP/xlive.out" >"$TMP/xafter.out"
    check "restarted: xenctrl domains equal list --json" "$(ctl_doms)" \
        "$(snap_doms <"$TMP/xafter.out")"
fi
finish
