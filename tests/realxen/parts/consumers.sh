#!/bin/sh
# consumers.sh: payload part: xenclaimtop and xenclaim-exporter on a real Xen host, beside xl, at quiet moments.
# SPDX-License-Identifier: MIT
#
# Runs in dom0 (see docs/real-xen.md).  Records, into $RESULTS/MOMENT/,
# at five moments: idle; a claim held by `xcprobe hold`; a guest caught
# while `xl create -p` (claim_mode=1) builds it and stopped there; the
# guest built; everything gone:
#   snap-before.txt, snap-after.txt   xcprobe snap around the moment
#   xl-info.txt, xl-claims.txt        xl's view
#   top.json                          xenclaimtop --xenctrl, one frame
#   metrics.txt                       the exporter's /metrics
#   stable                            present when the two snaps agree
# plus top-batch.json (xenclaimtop -b -i N -d S over the whole part),
# hold.txt, catch.txt, create.log, exporter.log and missing (the
# programs that were not in the payload).  Checked on the host by
# tests/scripts/realxen_consumers.sh.

R=${RESULTS:-/results/consumers}
B=/payload/bin
PORT=9734
URL=http://127.0.0.1:$PORT/metrics
mkdir -p "$R"
up() { cut -d' ' -f1 /proc/uptime; }
note() { echo "$(up) $*"; }

missing=
for p in xcprobe xenclaimtop xenclaim-exporter; do
    [ -x "$B/$p" ] || missing="$missing $p"
done
echo "$missing" >"$R/missing"
case $missing in *xcprobe*) note "no xcprobe: nothing to do"; exit 1 ;; esac
have() { [ -x "$B/$1" ]; }

# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it
# succeeds or SECONDS (of uptime) pass.
wait_until() {
    end=$(($(cut -d. -f1 /proc/uptime) + $1))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ] && return 1
        usleep 100000
    done
}
# scrape FILE: the exporter's /metrics into FILE (busybox wget -T
# crashes in Debian 12's busybox: timeout(1) bounds it instead).
scrape() { timeout 10 wget -q -O "$1" "$URL"; }
# stop PID SECONDS: SIGTERM, then SIGKILL after SECONDS; reaped.
stop() {
    kill -TERM "$1" 2>/dev/null
    n=$(($2 * 10))
    while kill -0 "$1" 2>/dev/null && [ "$n" -gt 0 ]; do
        usleep 100000
        n=$((n - 1))
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# moment NAME: the same figures from every source, retried until the
# host stayed the same from the first snapshot to the last.
moment() {
    d=$R/$1
    mkdir -p "$d"
    try=0
    while [ $try -lt 5 ]; do
        try=$((try + 1))
        xcprobe snap >"$d/snap-before.txt"
        xl info >"$d/xl-info.txt" 2>&1
        xl claims >"$d/xl-claims.txt" 2>&1
        if have xenclaimtop; then
            xenclaimtop --xenctrl -b -i 1 -u pages --json \
                >"$d/top.json" 2>"$d/top.err"
            echo $? >"$d/top.rc"
        fi
        if have xenclaim-exporter; then
            scrape "$d/metrics.txt"
            echo $? >"$d/metrics.rc"
        fi
        xcprobe snap >"$d/snap-after.txt"
        if cmp -s "$d/snap-before.txt" "$d/snap-after.txt"; then
            echo "$try" >"$d/stable"
            note "moment $1: stable at try $try"
            return 0
        fi
        note "moment $1: the host changed during try $try"
    done
    return 1
}

cat >/tmp/consumers-guest.cfg <<CFG
name="rx-consumers"
type="pv"
kernel="/guest/vmlinux"
ramdisk="/guest/initrd.gz"
extra="console=hvc0 xenclaim.life=-1"
memory=128
vcpus=1
CFG

if have xenclaim-exporter; then
    xenclaim-exporter --xenctrl -l 127.0.0.1:$PORT --poll-interval 50 \
        >"$R/exporter.log" 2>&1 &
    epid=$!
    wait_until 20 scrape /dev/null \
        || note "the exporter does not answer on $URL"
fi
moment 1-idle

# A claim held: MAX pages allowed, POP populated, a claim of TARGET, so
# TARGET - POP outstanding (not a whole number of MiB, on purpose).
echo "60000 1000 30077" >"$R/hold-args"
note "hold $(cat "$R/hold-args")"
xcprobe hold $(cat "$R/hold-args") 120 >"$R/hold.txt" 2>&1 &
hpid=$!
wait_until 30 grep -q '^held' "$R/hold.txt" || note "xcprobe hold: no claim held"
# xenclaimtop's batch mode over the held claim, the build and the end.
if have xenclaimtop; then
    xenclaimtop --xenctrl -b -i 40 -d 0.5 -u pages --json \
        >"$R/top-batch.json" 2>"$R/top-batch.err" &
    tpid=$!
fi
moment 2-held

note "xl create -p"
xl create -p /tmp/consumers-guest.cfg >"$R/create.log" 2>&1 &
xlpid=$!
if xcprobe catch "$xlpid" 60 >"$R/catch.txt" 2>&1; then
    note "$(cat "$R/catch.txt")"
    moment 3-building
    kill -CONT "$xlpid"
fi
n=600
while kill -0 "$xlpid" 2>/dev/null && [ $n -gt 0 ]; do
    usleep 100000
    n=$((n - 1))
done
if kill -0 "$xlpid" 2>/dev/null; then
    note "xl create still running after 60 s: killed"
    kill -CONT "$xlpid"
    stop "$xlpid" 5
fi
wait "$xlpid"
echo $? >"$R/create.rc"
note "xl create rc=$(cat "$R/create.rc")"
moment 4-built

xl destroy rx-consumers >>"$R/create.log" 2>&1
stop "$hpid" 10
# Destroyed domains may stay listed (dying) for a moment.
wait_until 20 sh -c '[ "$(xcprobe snap | grep -c "^dom ")" = 1 ]' \
    || note "domains other than dom0 still listed after 20 s"
note "guest and claim gone"
moment 5-after

[ -n "${tpid:-}" ] && { wait_until 30 sh -c "! kill -0 $tpid" || stop "$tpid" 2; wait "$tpid"; echo $? >"$R/top-batch.rc"; }
[ -n "${epid:-}" ] && { stop "$epid" 10; }
xl list >"$R/xl-list-end.txt" 2>&1
note "done"
exit 0
