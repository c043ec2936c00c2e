#!/bin/sh
# traces.sh: payload part: xentrace with tiny buffers during a guest's life (PVH, else PV).
# SPDX-License-Identifier: MIT
#
# Runs in dom0 (see docs/real-xen.md).  `xentrace -D -e all -S 4 -s 1000
# -T SECS` runs while a guest is created, runs and is destroyed, so the
# file has foreign classes, wrap padding, records without a TSC (HVM
# handler events, from a PVH guest) and TRC_LOST_RECORDS.  Writes into
# $RESULTS: guest.trace, xentrace.log, create.log, guest-type (pvh or
# pv), tsc-khz (Xen's TSC rate, for xenalyze --cpu-hz), timeline.txt.
# Checked on the host by tests/scripts/realxen_traces.sh.
# The trace buffers are sized at their first use: no other part may run
# xentrace before this one.

R=${RESULTS:-/results/traces}
SECS=${TRACE_SECS:-16}
mkdir -p "$R"
up() { cut -d' ' -f1 /proc/uptime; }
note() { echo "$(up) $*" | tee -a "$R/timeline.txt"; }

guest_cfg() {
    cat <<CFG
name="rx-trace"
type="$1"
kernel="/guest/vmlinux"
ramdisk="/guest/initrd.gz"
extra="console=hvc0 xenclaim.life=-1"
memory=128
vcpus=1
CFG
}

xl dmesg >"$R/xl-dmesg.txt" 2>&1
sed -n 's/.*Detected \([0-9][0-9]*\)\.\([0-9][0-9][0-9]\) MHz processor.*/\1\2/p' \
    "$R/xl-dmesg.txt" | head -1 >"$R/tsc-khz"

note "xentrace for $SECS s"
t0=$(cut -d. -f1 /proc/uptime)
xentrace -D -e all -S 4 -s 1000 -T "$SECS" "$R/guest.trace" \
    >"$R/xentrace.log" 2>&1 &
tpid=$!

# A PVH guest if Xen builds one, else PV.
type=pvh
guest_cfg pvh >/tmp/trace-guest.cfg
if ! xl create /tmp/trace-guest.cfg >"$R/create.log" 2>&1; then
    note "PVH guest refused; PV instead"
    xl destroy rx-trace >/dev/null 2>&1
    type=pv
    guest_cfg pv >/tmp/trace-guest.cfg
    xl create /tmp/trace-guest.cfg >>"$R/create.log" 2>&1 \
        || note "PV guest refused too"
fi
echo "$type" >"$R/guest-type"
note "guest $type created"

# Let it run until two seconds before the trace ends, then destroy it.
while [ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt $((SECS - 2)) ]; do
    usleep 200000
done
xl destroy rx-trace >>"$R/create.log" 2>&1
note "guest destroyed"

n=$(((SECS + 20) * 10))
while kill -0 "$tpid" 2>/dev/null && [ $n -gt 0 ]; do
    usleep 100000
    n=$((n - 1))
done
if kill -0 "$tpid" 2>/dev/null; then
    note "xentrace still running: killed"
    kill -KILL "$tpid"
fi
wait "$tpid"
echo $? >"$R/xentrace.rc"
note "xentrace rc=$(cat "$R/xentrace.rc"), $(wc -c <"$R/guest.trace") bytes"
exit 0
