#!/bin/sh
# guest-init.sh: /init of the tiny test guest: say so, live N seconds, power off.
# SPDX-License-Identifier: MIT
#
# xenclaim.life=N on the guest's command line: seconds to live (default
# 0: power off at once; -1: sleep until destroyed).
/bin/busybox mount -t proc proc /proc
life=0
for a in $(/bin/busybox cat /proc/cmdline); do
    case $a in
    xenclaim.life=*) life=${a#*=} ;;
    esac
done
echo "xenclaim-guest: up, life $life s"
if [ "$life" -lt 0 ]; then
    while :; do /bin/busybox sleep 3600; done
fi
/bin/busybox sleep "$life"
echo "xenclaim-guest: powering off"
/bin/busybox poweroff -f
