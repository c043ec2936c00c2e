#!/bin/bash
# tests/scripts/realxen_diff.sh: xcdiff's sequences on real Xen 4.17 against the same on the mock's 4.17 profile (TAP).
# SPDX-License-Identifier: MIT
#
# tests/realxen/parts/diff.sh ran tests/realxen/xcdiff.c in a real Xen 4.17
# dom0 under QEMU (tests/scripts/realxen_0_session.sh, results in
# build/realxen/).  Here the same program, built against Debian's
# libxenctrl, runs the same sequences (the "run.0 args" line of the real
# run) under LD_LIBRARY_PATH=build/lib on `xenclaim-mock serve --profile
# 4.17` with the real host's total and free pages (its "host.0" line:
# --memory total, --dom0-mem what is not free less what the mock's Xen
# takes at boot), and `xcdiff cmp` compares:
# one TAP line per sequence, with the first divergence when there is one.
# Two sets, each on a fresh daemon: diff/xcdiff.out (the default run) and
# diff/xcdiff-long.out (the long churn, seeds 1000:60 at 120 steps; its
# lines are named "long set: ..."; skipped only when diff.sh was told not
# to run it, xcdiff-long.rc "none").
#
# Skips only when the session said QEMU cannot run on this machine
# (build/realxen/SKIP, written by realxen_0_session.sh); a session that did
# not run or did not bring diff/ back is a failure.
# XENCLAIM_REALXEN_OUT: another results folder than build/realxen.
set -u
cd "$(dirname "$0")/../.."
root=$PWD

real=${XENCLAIM_REALXEN_OUT:-$root/build/realxen}
outdir=$root/build/realxen-diff
daemon=$root/build/bin/xenclaim-mock
lib=$root/build/lib/libxenctrl.so.4.17
tmp=$(mktemp -d /tmp/xenclaim-rxdiff.XXXXXX)
dpid=
n=0

cleanup() {
    if [ -n "$dpid" ]; then
        kill "$dpid" 2>/dev/null
        wait "$dpid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
check() {   # check WHAT EXPECTED SEEN
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected $2, got $3"; fi
}
finish() { echo "1..$n"; exit 0; }

# ---- what the session brought back ------------------------------------

if [ -f "$real/SKIP" ]; then
    echo "ok 1 # SKIP QEMU cannot run on this machine: $(head -1 "$real/SKIP")"
    echo "1..1"
    exit 0
fi
if [ ! -s "$real/diff/xcdiff.out" ]; then
    fail "the realxen session brought back diff/xcdiff.out: no \
$real/diff/xcdiff.out (run tests/scripts/realxen_0_session.sh first)"
    finish
fi
if [ ! -f "$daemon" ] || [ ! -x "$daemon" ] || [ ! -f "$lib" ]; then
    fail "built: expected $lib and $daemon (run make)"
    finish
fi
mkdir -p "$outdir"
if ! env -u LIBRARY_PATH gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow \
    -Wno-unused-parameter -D_GNU_SOURCE -o "$outdir/xcdiff" \
    tests/realxen/xcdiff.c -lxenctrl 2>"$tmp/cc.log"; then
    fail "xcdiff builds: $(head -c 300 "$tmp/cc.log" | tr '\n' ' ')"
    finish
fi

export XENCLAIM_SOCKET=$tmp/sock
export LD_LIBRARY_PATH=$root/build/lib
# start_mock DOM0-PAGES: a 4.17 daemon of the real host's size; 0 when up.
start_mock() {
    local i
    rm -f "$XENCLAIM_SOCKET"
    "$daemon" serve --socket "$XENCLAIM_SOCKET" --profile 4.17 \
        --memory $((total * 4096)) --dom0-mem $(($1 * 4096)) \
        --cpus 2 --trace-area none >"$tmp/daemon.log" 2>&1 &
    dpid=$!
    for ((i = 0; i < 500; i++)); do
        kill -0 "$dpid" 2>/dev/null || return 1
        [ -S "$XENCLAIM_SOCKET" ] && "$outdir/xcdiff" host >/dev/null 2>&1 &&
            return 0
        sleep 0.01
    done
    return 1
}
stop_mock() {
    kill "$dpid" 2>/dev/null
    wait "$dpid" 2>/dev/null
    dpid=
}

# compare_set TAG NAME: the real run diff/NAME.out (exit status in
# NAME.rc) against the same sequences on a fresh mock, into
# $outdir/{NAME-real,NAME-mock,NAME-cmp}; TAP lines prefixed by TAG.
compare_set() {
    local tag=$1 name=$2 host args seeds steps only dom0 seen rc nseq line
    local seq what
    local out=$real/diff/$name.out
    check "${tag}xcdiff exit status in the real dom0" 0 \
        "$(tr -d ' \n' <"$real/diff/$name.rc" 2>/dev/null || echo none)"
    host=$(grep -m1 '^host\.0 physinfo ' "$out")
    args=$(grep -m1 '^run\.0 args ' "$out")
    total=$(sed -n 's/.* total=\([0-9]*\) .*/\1/p' <<<"$host")
    free=$(sed -n 's/.* free=\([0-9]*\) .*/\1/p' <<<"$host")
    seeds=$(sed -n 's/.* seeds=\([0-9]*:[0-9]*\) .*/\1/p' <<<"$args")
    steps=$(sed -n 's/.* steps=\([0-9]*\) .*/\1/p' <<<"$args")
    only=$(sed -n 's/.* only=\([a-z]*\).*/\1/p' <<<"$args")
    if [ -z "$total" ] || [ -z "$free" ] || [ -z "$seeds" ] ||
       [ -z "$steps" ] || [ "$free" -ge "$total" ]; then
        fail "${tag}the real run's host and args lines: got '$host' '$args'"
        return
    fi
    pass "${tag}the real host: $total pages, $free free at xcdiff's start"

    # dom0 gets what is not free on the real host, less what the mock's
    # Xen takes at boot: asked of a first daemon, then one of the right
    # size.
    dom0=$((total - free))
    if start_mock $dom0; then
        seen=$("$outdir/xcdiff" host | sed -n 's/.* free=\([0-9]*\) .*/\1/p')
        stop_mock
        dom0=$((dom0 + ${seen:-$free} - free))
    fi
    if ! start_mock $dom0; then
        fail "${tag}a 4.17 daemon of that size starts: \
$(tr '\n' ' ' <"$tmp/daemon.log")"
        return
    fi
    check "${tag}the mock's free pages are the real host's" "$free" \
        "$("$outdir/xcdiff" host | sed -n 's/.* free=\([0-9]*\) .*/\1/p')"
    set -- --seeds "$seeds" --steps "$steps"
    [ -n "$only" ] && [ "$only" != all ] && set -- "$@" --only "$only"
    timeout 600 "$outdir/xcdiff" run "$@" >"$outdir/$name-mock.out" \
        2>"$tmp/err"
    check "${tag}xcdiff on the mock: exit status" 0 "$?"
    stop_mock
    cp "$out" "$outdir/$name-real.out"

    # One line per sequence.
    "$outdir/xcdiff" cmp --names real,mock "$outdir/$name-real.out" \
        "$outdir/$name-mock.out" >"$outdir/$name-cmp.txt" 2>&1
    rc=$?
    nseq=0
    while IFS= read -r line; do
        case $line in
        "same "*)
            set -- $line
            nseq=$((nseq + 1))
            pass "${tag}$2: the mock answers as real Xen 4.17 ($3 steps)"
            ;;
        "diverge "*)
            nseq=$((nseq + 1))
            seq=${line#diverge }
            what=${seq%%:*}
            fail "${tag}$what: the mock diverges from real Xen 4.17:${seq#*:}"
            ;;
        "  "*) echo "#$line" ;;
        esac
    done <"$outdir/$name-cmp.txt"
    check "${tag}xcdiff cmp compared every sequence (exit status 0 or 1)" \
        yes "$([ "$rc" -le 1 ] && [ "$nseq" -gt 2 ] && echo yes ||
               echo "no: $rc")"
}

compare_set "" xcdiff
case $(tr -d ' \n' <"$real/diff/xcdiff-long.rc" 2>/dev/null) in
none)
    n=$((n + 1))
    echo "ok $n # SKIP long set: diff.sh was told not to run it"
    ;;
*)
    if [ -s "$real/diff/xcdiff-long.out" ]; then
        compare_set "long set: " xcdiff-long
    else
        fail "the realxen session brought back diff/xcdiff-long.out: \
no $real/diff/xcdiff-long.out"
    fi
    ;;
esac
finish
