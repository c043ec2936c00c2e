#!/bin/bash
# scripts/demo.sh: a mock Xen host with a lively claims workload, watched live with xenclaimtop.
#
# Installs the Debian packages that are missing (scripts/deps.sh run),
# builds, starts a private mock hypervisor (xenclaim-mock serve on a
# socket in a temporary directory, with its trace area there too), drives
# it in the background with a seeded random mix of xenclaimctl commands
# (guests built with claims, claims staked and drawn down, claims refused,
# allocations denied, ballooning, tmem, destroys) and opens xenclaimtop on
# it.  Quit with q: the workload and the daemon are stopped by pid.
#
# Usage: scripts/demo.sh [--seed N] [XENCLAIMTOP OPTIONS...]
#        e.g. scripts/demo.sh --seed 7 -u GiB -d 0.5
set -eu
cd "$(dirname "$0")/.."

seed=42
if [ "${1:-}" = "--seed" ]; then
    seed=${2:?--seed needs a number}
    shift 2
fi

scripts/deps.sh run
make -j"$(nproc 2>/dev/null || echo 2)" --no-print-directory >/tmp/xenclaim-demo-build.log 2>&1 || {
    echo "demo: the build failed; see /tmp/xenclaim-demo-build.log" >&2
    tail -20 /tmp/xenclaim-demo-build.log >&2
    exit 1
}
if [ ! -t 1 ]; then
    echo "demo: xenclaimtop needs a terminal (run this in one)" >&2
    exit 1
fi

D=$(mktemp -d /tmp/xenclaim-demo.XXXXXX)
S=$D/mock.sock
mock_pid=
work_pid=
stop() {
    set +e
    if [ -n "$work_pid" ]; then kill "$work_pid" 2>/dev/null; wait "$work_pid" 2>/dev/null; fi
    if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null; wait "$mock_pid" 2>/dev/null; fi
    rm -rf "$D"
}
trap stop EXIT
trap 'exit 130' INT TERM

build/bin/xenclaim-mock serve --socket "$S" --trace-area "$D/trace" \
    --memory 16G --nodes 2 --tmem 1G --dom0-mem 2G --cpus 2 \
    --trace-pages 256 --xen-pages-per-domain 14 >"$D/mock.log" 2>&1 &
mock_pid=$!
ctl() { build/bin/xenclaimctl -s "$S" "$@"; }
for _ in $(seq 100); do
    ctl physinfo >/dev/null 2>&1 && break
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.1
done
if ! ctl physinfo >/dev/null 2>&1; then
    echo "demo: the mock daemon did not start:" >&2
    cat "$D/mock.log" >&2
    exit 1
fi

# The workload: one action at a time, chosen by a seeded $RANDOM.
workload() {
    local guests=() n=0 name i avail
    set +e      # refusals are part of the show
    RANDOM=$seed
    # Let xenclaimtop attach first: records nobody reads are lost.
    sleep 1
    pick() { echo "${guests[RANDOM % ${#guests[@]}]}"; }
    pages() { ctl physinfo | sed -n "s/^$1=//p"; }
    # Headroom in pages: free + freeable - outstanding.
    headroom() { echo $(( $(pages free_pages) + $(pages freeable_pages) - $(pages outstanding_pages) )); }
    ctl create name=db memory=3072 maxmem=4096 -q
    ctl create name=reserve memory=64 maxmem=6144 -p -q
    while :; do
        case $((RANDOM % 12)) in
        0|1)    # a guest built as xl does: claim, populate, cancel
            n=$((n + 1))
            name=web$n
            if [ ${#guests[@]} -lt 10 ] &&
               ctl create name=$name memory=$((256 * (1 + RANDOM % 8))) \
                   maxmem=4096 -q; then
                guests+=("$name")
            fi ;;
        2|3)    # a claim staked ahead of a build, left outstanding a while
            n=$((n + 1))
            name=stage$n
            if [ ${#guests[@]} -lt 10 ] &&
               ctl create name=$name memory=64 maxmem=4096 -p -q; then
                guests+=("$name")
                ctl claim "$name" $((16384 + 65536 * (1 + RANDOM % 12)))
            fi ;;
        4|5)    # populating draws claims down
            [ ${#guests[@]} -gt 0 ] &&
                ctl populate "$(pick)" $((4096 * (1 + RANDOM % 8))) --order 9 ;;
        6)      # a claim that is refused (too big, or a second one)
            ctl claim reserve $((1572864 + RANDOM % 4096)) ;;
        7)      # ballooning
            ctl mem-set db $((3072 + 4 * (RANDOM % 8))) ;;
        8)      # the tmem pool fills and drains
            if [ $((RANDOM % 2)) -eq 0 ]; then ctl tmem put $((1024 * (1 + RANDOM % 8)))
            else ctl tmem flush $((1024 * (1 + RANDOM % 8))); fi ;;
        9)      # claims cover (almost) everything; then an unclaimed
                # allocation is denied
            avail=$(headroom)
            ctl claim reserve 0
            if [ "$avail" -gt 0 ]; then
                ctl claim reserve $((16384 + avail))
                ctl mem-set db $((3072 + 4 * (8 + RANDOM % 4)))
                ctl populate reserve 1024
            fi ;;
        10)     # the reserve goes back
            ctl claim reserve 0 ;;
        11)     # guests go away
            if [ ${#guests[@]} -gt 3 ]; then
                i=$((RANDOM % ${#guests[@]}))
                ctl destroy "${guests[i]}"
                guests=("${guests[@]:0:i}" "${guests[@]:i+1}")
            fi ;;
        esac
        sleep "0.$((3 + RANDOM % 6))"
    done
}
workload >"$D/workload.log" 2>&1 &
work_pid=$!

build/bin/xenclaimtop -s "$S" "$@" || true
