#!/bin/sh
# init.sh: dom0's /init in the realxen initramfs: Xen services, the payload, results to the virtio disk.
# SPDX-License-Identifier: MIT
#
# Runs as PID 1 of a PV dom0 under a real Xen 4.17 booted by session.sh.
# Lines starting with "xenclaim-realxen:" on the console are the
# progress markers session.sh waits for:
#
#   xenclaim-realxen: init            userspace started
#   xenclaim-realxen: dom0 ready      xenstored, xen-init-dom0, xenconsoled up
#   xenclaim-realxen: payload done rc=N secs=S
#   xenclaim-realxen: results N MD5   results written to /dev/vda
#   xenclaim-realxen: failed STAGE: WHY
#
# Settings come from the dom0 kernel command line:
#   xenclaim.timeout=S   seconds the payload may run (0: no limit)
# The results disk holds a 512-byte header sector
#   "XENCLAIM-RESULTS <bytes> <md5>\n" padded with NULs
# and then a tar of /results (session.sh checks size and md5).

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

say() { echo "xenclaim-realxen: $*" >/dev/console; }
die() {
    say "failed $1: $2"
    sync
    poweroff -f
    sleep 5
    exit 1
}

/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
exec </dev/console >/dev/console 2>&1
say init

timeout=0
for a in $(cat /proc/cmdline); do
    case $a in
    xenclaim.timeout=*) timeout=${a#*=} ;;
    esac
done

# Kernel modules, in dependency order (modules.list, written by session.sh).
while read -r m; do
    insmod "/modules/$m" || die dom0 "insmod $m"
done </modules/modules.list

mkdir -p /proc/xen
mount -t xenfs xenfs /proc/xen || die dom0 "mount xenfs"
ifconfig lo 127.0.0.1 up

mkdir -p /run/xenstored /run/xen /var/run /var/lib/xen /var/log/xen \
    /var/lock /run/xen-console /results
export XENSTORED_ROOTDIR=/run/xenstored
xenstored --pid-file /run/xenstored.pid \
    || die dom0 "xenstored did not start"
n=0
until xenstore-read -s / >/dev/null 2>&1; do
    n=$((n + 1))
    [ "$n" -gt 300 ] && die dom0 "xenstored does not answer after 30 s"
    usleep 100000
done
xen-init-dom0 >/run/xen-init-dom0.log 2>&1 \
    || die dom0 "xen-init-dom0: $(tail -1 /run/xen-init-dom0.log)"
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest \
    --log-dir=/run/xen-console || die dom0 "xenconsoled did not start"

# The virtio disk for the results.
n=0
until [ -b /dev/vda ]; do
    n=$((n + 1))
    [ "$n" -gt 100 ] && die dom0 "no /dev/vda after 10 s"
    usleep 100000
done
say "dom0 ready"

# The payload: run.sh with a time limit; its exit status is reported.
start=$(date +%s)
cd /payload || die payload "no /payload"
if [ "$timeout" -gt 0 ]; then
    timeout -s KILL "$timeout" sh /payload/run.sh >/results/run.log 2>&1
else
    sh /payload/run.sh >/results/run.log 2>&1
fi
rc=$?
end=$(date +%s)
cd /
echo "$rc" >/results/run.rc
say "payload done rc=$rc secs=$((end - start))"

# Results: the header sector, then the tar.
cp /run/xen-console/* /results/ 2>/dev/null
dmesg >/results/dom0-dmesg.txt 2>&1
tar -cf /tmp/results.tar -C /results . || die results "tar failed"
size=$(stat -c %s /tmp/results.tar)
disk=$(blockdev --getsize64 /dev/vda)
[ "$size" -le $((disk - 512)) ] \
    || die results "results are $size bytes, the disk holds $((disk - 512))"
sum=$(md5sum /tmp/results.tar | cut -d' ' -f1)
{
    printf 'XENCLAIM-RESULTS %s %s\n' "$size" "$sum" \
        | dd bs=512 count=1 conv=sync 2>/dev/null
    cat /tmp/results.tar
} >/dev/vda || die results "writing to /dev/vda failed"
sync
say "results $size $sum"
poweroff -f
