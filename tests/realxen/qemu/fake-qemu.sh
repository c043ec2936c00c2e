#!/bin/bash
# fake-qemu.sh: stands in for qemu-system-x86_64 in the harness's own tests: plays one boot story on the serial log.
# SPDX-License-Identifier: MIT
#
# session.sh runs it as XENCLAIM_REALXEN_QEMU; FAKE_QEMU_MODE picks the
# story (the lines are those Xen, dom0 and init.sh print):
#   good          a whole session; results: hello.txt with "hello"
#   exit-early    the Xen banner, then exit status 3
#   crash         the banner, then Xen panics and the machine hangs
#   dom0-fails    init reports that xenstored did not start, then hangs
#   payload-hang  dom0 ready, then nothing, ignoring SIGTERM
#   bad-results   a whole session whose results fail their checksum
# Hanging is `exec sleep`, so the pid session.sh holds is the sleeper.
set -u
serial= disk=
while [ $# -gt 0 ]; do
    case $1 in
    -accel|-machine)
        if [ "${2:-}" = help ]; then echo "tcg q35"; exit 0; fi
        shift ;;
    -serial) serial=${2#file:}; shift ;;
    -drive) disk=${2#file=}; disk=${disk%%,*}; shift ;;
    esac
    shift
done
[ -n "$serial" ] && [ -n "$disk" ] || { echo "fake-qemu: no -serial or -drive" >&2; exit 1; }
say() { echo "$*" >>"$serial"; }
hang() { exec sleep 600; }

results() {   # results MD5-OVERRIDE
    local t size sum
    t=$(mktemp -d)
    echo hello >"$t/hello.txt"
    tar -cf "$t/r.tar" -C "$t" hello.txt
    size=$(stat -c %s "$t/r.tar")
    sum=${1:-$(md5sum <"$t/r.tar" | cut -d' ' -f1)}
    { printf 'XENCLAIM-RESULTS %s %s\n' "$size" "$sum" \
          | dd bs=512 count=1 conv=sync 2>/dev/null
      cat "$t/r.tar"; } | dd of="$disk" conv=notrunc 2>/dev/null
    rm -rf "$t"
    say "xenclaim-realxen: results $size $sum"
}

say "(XEN) Xen version 4.17.7 (fake)"
case ${FAKE_QEMU_MODE:-good} in
exit-early) exit 3 ;;
crash) say "(XEN) Panic on CPU 0:"; say "(XEN) fake"; hang ;;
esac
say "xenclaim-realxen: init"
case ${FAKE_QEMU_MODE:-good} in
dom0-fails) say "xenclaim-realxen: failed dom0: xenstored did not start"; hang ;;
esac
say "xenclaim-realxen: dom0 ready"
case ${FAKE_QEMU_MODE:-good} in
payload-hang) trap '' TERM; hang ;;
esac
say "xenclaim-realxen: payload done rc=0 secs=0"
case ${FAKE_QEMU_MODE:-good} in
bad-results) results 0123456789abcdef0123456789abcdef ;;
*) results ;;
esac
exit 0
