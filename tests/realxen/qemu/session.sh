#!/bin/bash
# session.sh: boot Debian's Xen 4.17 under QEMU, run a payload in dom0, bring its results back.
# SPDX-License-Identifier: MIT
#
# Usage: session.sh --payload DIR --out DIR [--timeout S]
#
# DIR/run.sh runs in a PV dom0 under a real Xen 4.17 hypervisor (QEMU,
# software emulation), with DIR copied at /payload; what it writes into
# /results comes back into --out.  Executables and shared libraries in
# DIR get the libraries ldd lists copied in beside them.  --timeout is
# the payload's time limit (default 180 s): dom0 kills run.sh then, and
# the host kills QEMU 30 s later if dom0 has not finished by itself.
#
# Stages, each with its own bounded wait and named in every message:
#   fetch      apt-get download the Debian packages into the cache
#   unpack     dpkg -x them into a tree (cached), depmod, gunzip Xen
#   initramfs  dom0's userspace (cached) plus the payload
#   boot       QEMU up to "dom0 ready" (xenstored, xenconsoled running)
#   payload    run.sh in dom0
#   results    the results disk read back, checked and unpacked
#
# --out also gets session/: serial.log (Xen, dom0 and init output),
# qemu.log, stages.txt ("STAGE ok|failed SECONDS" lines), and while it
# runs the work directory (work.XXXXXX: initramfs, results disk), removed
# at the end unless XENCLAIM_REALXEN_KEEP=1.
#
# Exit status: 0 all stages passed; 1 a stage failed (the message says
# which); 2 bad usage; 77 QEMU cannot run on this machine (the reason is
# printed): the only case in which callers may skip.
#
# Environment (all optional):
#   XENCLAIM_REALXEN_CACHE     cache directory (/var/cache/xenclaim-realxen)
#   XENCLAIM_REALXEN_PKGS      the Xen packages to fetch (a space list)
#   XENCLAIM_REALXEN_KERNEL_PKG  the kernel package (default: what
#                              linux-image-amd64 depends on)
#   XENCLAIM_REALXEN_QEMU      the QEMU program (qemu-system-x86_64)
#   XENCLAIM_REALXEN_QEMU_ARGS more QEMU arguments (split on spaces)
#   XENCLAIM_REALXEN_CPU       -cpu model (qemu64,+svm,+npt)
#   XENCLAIM_REALXEN_XEN_ARGS  more Xen arguments
#   XENCLAIM_REALXEN_DOM0_ARGS more dom0 kernel arguments
#   XENCLAIM_REALXEN_INNER_TIMEOUT  dom0's own payload limit (default
#                              --timeout; 0: none, the host's wait only)
#   XENCLAIM_REALXEN_{FETCH,UNPACK,INITRAMFS,BOOT,RESULTS}_TIMEOUT
#                              seconds for those stages (300, 300, 120,
#                              150, 60)
#   XENCLAIM_REALXEN_PAYLOAD_GRACE  seconds the host waits for dom0
#                              past --timeout (30)
#   XENCLAIM_REALXEN_KEEP=1    keep the work directory (its path is printed)

set -u
# All in one block: bash reads it whole before running it, so the file
# may change under a running session.
{
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=realxen

XEN_PKGS_DEFAULT="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common
libxenmisc4.17 libxenstore4 libxentoollog1 libxencall1 libxenevtchn1
libxenforeignmemory1 libxengnttab1 libxendevicemodel1 libxentoolcore1
libxenhypfs1 xenstore-utils"
# dom0 modules, loaded in this order with what they depend on first.
MODULES="xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc virtio_ring
virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
# Xen programs dom0 gets (from /usr/lib/xen-4.17/bin).
XEN_PROGS="xl xentrace xenstored xen-init-dom0 xenconsoled"
XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=768M,max:768M
dom0_max_vcpus=2 loglvl=all guest_loglvl=all noreboot"
MARK="xenclaim-realxen:"
# Lines of the serial log that mean the host is dead.
CRASH_RE='Panic on CPU|Kernel panic - not syncing|Hardware Dom0 crashed|FATAL TRAP'

cache=${XENCLAIM_REALXEN_CACHE:-/var/cache/xenclaim-realxen}
qemu=${XENCLAIM_REALXEN_QEMU:-qemu-system-x86_64}
cpu=${XENCLAIM_REALXEN_CPU:-qemu64,+svm,+npt}
t_fetch=${XENCLAIM_REALXEN_FETCH_TIMEOUT:-300}
t_unpack=${XENCLAIM_REALXEN_UNPACK_TIMEOUT:-300}
t_initramfs=${XENCLAIM_REALXEN_INITRAMFS_TIMEOUT:-120}
t_boot=${XENCLAIM_REALXEN_BOOT_TIMEOUT:-150}
t_results=${XENCLAIM_REALXEN_RESULTS_TIMEOUT:-60}
PAYLOAD_GRACE=${XENCLAIM_REALXEN_PAYLOAD_GRACE:-30}

payload=
out=
timeout=180
work=
qpid=
stage=setup
stage_start=0
session_start=$(date +%s.%N)

usage() {
    echo "usage: $0 --payload DIR --out DIR [--timeout SECONDS]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --payload) [ $# -ge 2 ] || usage; payload=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
    -h|--help) sed -n '3,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
    esac
done
[ -n "$payload" ] && [ -n "$out" ] || usage
case $timeout in ''|*[!0-9]*) usage ;; esac
[ -f "$payload/run.sh" ] || { echo "$PROG: $payload/run.sh: no such file" >&2; exit 2; }
inner_timeout=${XENCLAIM_REALXEN_INNER_TIMEOUT:-$timeout}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "$PROG: $*" >&2; }

# Stop QEMU (by the pid we started) and wait for it; nothing survives us.
stop_qemu() {
    local i
    [ -n "$qpid" ] || return 0
    if kill -0 "$qpid" 2>/dev/null; then
        kill -TERM "$qpid" 2>/dev/null
        for i in $(seq 50); do
            kill -0 "$qpid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$qpid" 2>/dev/null
    fi
    wait "$qpid" 2>/dev/null
    qpid=
}

cleanup() {
    stop_qemu
    if [ -n "$work" ] && [ -d "$work" ]; then
        if [ "${XENCLAIM_REALXEN_KEEP:-0}" = 1 ]; then
            log "work directory kept: $work"
        else
            rm -rf "$work"
        fi
    fi
}
trap cleanup EXIT
trap 'log "interrupted during stage $stage"; exit 130' INT TERM HUP

begin() {
    stage=$1
    stage_start=$(now)
}

# The stage passed: record its time.
pass() {
    local t
    t=$(secs "$stage_start" "$(now)")
    echo "$stage ok $t" >>"$out/session/stages.txt"
    log "stage $stage: ok in $t s${1:+ ($1)}"
}

# The stage failed: say which and why, stop everything, exit 1.
fail() {
    local t
    t=$(secs "$stage_start" "$(now)")
    [ -d "$out/session" ] && echo "$stage failed $t" >>"$out/session/stages.txt"
    log "stage $stage failed after $t s: $*"
    stop_qemu
    if [ -n "$work" ] && [ -f "$work/serial.log" ] && [ -d "$out/session" ]; then
        cp "$work/serial.log" "$out/session/serial.log"
        log "last lines of the serial log ($out/session/serial.log):"
        tail -n 15 "$work/serial.log" | tr -d '\r' | sed 's/^/    /' >&2
    fi
    exit 1
}

# ---- can QEMU run here at all? -------------------------------------------
probe_qemu() {
    local accel machines
    if ! command -v "$qemu" >/dev/null 2>&1; then
        echo "$qemu is not installed (Debian package qemu-system-x86)"
        return 1
    fi
    if ! accel=$("$qemu" -accel help 2>&1); then
        echo "$qemu -accel help failed: $(echo "$accel" | head -1)"
        return 1
    fi
    case $accel in *tcg*) ;; *)
        echo "$qemu has no TCG (software emulation)"; return 1 ;; esac
    machines=$("$qemu" -machine help 2>&1)
    case $machines in *q35*) ;; *)
        echo "$qemu has no q35 machine"; return 1 ;; esac
    return 0
}

if ! why=$(probe_qemu); then
    echo "$PROG: QEMU cannot run on this machine: $why" >&2
    exit 77
fi

mkdir -p "$out/session" || { log "cannot create $out/session"; exit 1; }
: >"$out/session/stages.txt"
# The work directory lives in --out: even a session killed outright
# leaves nothing elsewhere.
work=$(mktemp -d "$out/session/work.XXXXXX") \
    || { log "cannot create a work directory in $out/session"; exit 1; }
work=$(cd "$work" && pwd)

# ---- fetch ---------------------------------------------------------------
begin fetch
mkdir -p "$cache/debs" 2>/dev/null && [ -w "$cache" ] \
    || fail "cache directory $cache is not writable (set XENCLAIM_REALXEN_CACHE)"
exec 9>"$cache/lock"
flock -w "$t_fetch" 9 || fail "cache $cache stayed locked for $t_fetch s"

kernel_pkg=${XENCLAIM_REALXEN_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')}
[ -n "$kernel_pkg" ] \
    || fail "apt-cache does not know what linux-image-amd64 depends on (apt-get update?)"
pkgs="${XENCLAIM_REALXEN_PKGS:-$XEN_PKGS_DEFAULT} $kernel_pkg"

# The .deb file apt would fetch for each package (one apt-cache call),
# or the cached one when apt does not know it (an offline machine).
known=$(apt-cache show --no-all-versions $pkgs 2>/dev/null \
    | awk '/^Package:/ { p = $2 } /^Version:/ { v = $2 }
           /^Architecture:/ { a = $2 }
           /^$/ { if (p != "") print p, v, a; p = "" }
           END { if (p != "") print p, v, a }')
debs=()
missing=()
for p in $pkgs; do
    info=$(echo "$known" | awk -v p="$p" '$1 == p { print $2, $3; exit }')
    if [ -z "$info" ]; then
        cached=$(ls "$cache/debs/${p}"_*.deb 2>/dev/null | tail -1)
        [ -n "$cached" ] \
            || fail "package $p is unknown to apt-cache and not in $cache/debs"
        debs+=("$cached")
        continue
    fi
    set -- $info
    f="$cache/debs/${p}_${1//:/%3a}_$2.deb"
    debs+=("$f")
    [ -s "$f" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "stage fetch: apt-get download ${missing[*]}"
    if ! (cd "$cache/debs" && timeout -s KILL "$t_fetch" \
            apt-get -q -o APT::Sandbox::User=root download "${missing[@]}") \
            >"$work/fetch.log" 2>&1; then
        tail -n 5 "$work/fetch.log" | sed 's/^/    /' >&2
        fail "apt-get download ${missing[*]} failed or took more than $t_fetch s"
    fi
fi
for f in "${debs[@]}"; do
    [ -s "$f" ] || fail "apt-get download did not leave $f"
done
# Older versions of the same packages are not needed any more.
for f in "${debs[@]}"; do
    p=$(basename "$f"); p=${p%%_*}
    for old in "$cache/debs/${p}"_*.deb; do
        keep=0
        for g in "${debs[@]}"; do [ "$old" = "$g" ] && keep=1; done
        [ $keep = 1 ] || rm -f "$old"
    done
done
debhash=$(for f in "${debs[@]}"; do basename "$f"; done | sort | md5sum | cut -c1-12)
pass "${#debs[@]} packages, ${#missing[@]} downloaded"

# ---- unpack --------------------------------------------------------------
# extract_vmlinux BZIMAGE OUT: the ELF kernel inside a bzImage (its xz
# stream: try each xz magic; the stream is followed by other data, so
# xz's exit status says nothing: the ELF must be whole instead).
extract_vmlinux() {
    local off need
    for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$1" | cut -d: -f1); do
        tail -c +$((off + 1)) "$1" | xz -dc >"$2" 2>/dev/null
        [ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
        need=0
        while read -r _ o _ _ f _; do
            [ $((o + f)) -gt "$need" ] && need=$((o + f))
        done < <(readelf -lW "$2" 2>/dev/null | awk '$1 == "LOAD"')
        [ "$need" -gt 0 ] && [ "$(stat -c %s "$2")" -ge "$need" ] && return 0
    done
    rm -f "$2"
    return 1
}
begin unpack
root="$cache/root-$debhash"
if [ ! -f "$root/.complete" ]; then
    rm -rf "$root" "$root.tmp"
    for r in "$cache"/root-*; do [ -d "$r" ] && rm -rf "$r"; done
    mkdir -p "$root.tmp"
    for f in "${debs[@]}"; do
        timeout -s KILL "$t_unpack" dpkg -x "$f" "$root.tmp" \
            || fail "dpkg -x $f failed or took more than $t_unpack s"
    done
    mv "$root.tmp" "$root"
    touch "$root/.complete"
fi
kver=$(ls "$root/lib/modules" 2>/dev/null | head -1)
[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] \
    || fail "no kernel in $root (lib/modules, boot/vmlinuz-*)"
if [ ! -f "$root/.depmod" ]; then
    depmod -b "$root" "$kver" || fail "depmod -b $root $kver failed"
    touch "$root/.depmod"
fi
xen_elf="$root/xen.elf"
if [ ! -s "$xen_elf" ]; then
    [ -f "$root/boot/xen-4.17-amd64.gz" ] || fail "no boot/xen-4.17-amd64.gz in $root"
    gunzip -c "$root/boot/xen-4.17-amd64.gz" >"$xen_elf.tmp" && mv "$xen_elf.tmp" "$xen_elf" \
        || fail "gunzip boot/xen-4.17-amd64.gz failed"
fi
# The kernel as a plain ELF: Xen (for dom0) and xl (for the guest) would
# each spend seconds of emulated time decompressing the bzImage.
vmlinux="$root/vmlinux"
if [ ! -s "$vmlinux" ]; then
    extract_vmlinux "$root/boot/vmlinuz-$kver" "$vmlinux.tmp" \
        && mv "$vmlinux.tmp" "$vmlinux" \
        || fail "no xz-compressed ELF kernel found in boot/vmlinuz-$kver"
fi
pass "kernel $kver"

# ---- initramfs -----------------------------------------------------------
begin initramfs
LIBPATH="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"

# copy_libs TREE FILE...: copy every library ldd lists for FILE into TREE
# at its usual path (under usr/: the tree has lib -> usr/lib).
copy_libs() {
    local tree=$1 f lib target out_ldd libs=
    shift
    for f in "$@"; do
        out_ldd=$(LD_LIBRARY_PATH=$LIBPATH ldd "$f" 2>&1) || continue
        if echo "$out_ldd" | grep -q 'not found'; then
            fail "$f needs a library that is not found: $(echo "$out_ldd" | grep 'not found' | head -1)"
        fi
        libs+=$(echo "$out_ldd" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
                                        $1 ~ /^\// { print $1 }')
        libs+=$'\n'
    done
    for lib in $(echo "$libs" | sort -u); do
        target=${lib#"$root"}
        case $target in /lib/*|/lib64/*) target=/usr$target ;; esac
        mkdir -p "$tree$(dirname "$target")"
        cp -L "$lib" "$tree$target" || fail "copying $lib into $tree failed"
    done
}

# skeleton TREE: the directories and links every tree has.
skeleton() {
    mkdir -p "$1"/{bin,sbin,usr/bin,usr/sbin,usr/lib,usr/lib64,dev,proc,sys,run,tmp,etc,var}
    ln -s usr/lib "$1/lib"
    ln -s usr/lib64 "$1/lib64"
    ln -s ../run "$1/var/run"
}

mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet); }

busybox=$(command -v busybox)
[ -n "$busybox" ] || fail "busybox is not installed (Debian package busybox-static)"
if LD_LIBRARY_PATH= ldd "$busybox" >/dev/null 2>&1; then
    fail "$busybox is dynamically linked: install busybox-static"
fi
harness=$( (cat "$HERE/init.sh" "$HERE/guest-init.sh" "$0" "$busybox"; echo "$kver")\
    | md5sum | cut -c1-12)
base="$cache/base-$debhash-$harness.cpio"
if [ ! -s "$base" ]; then
    t="$work/base"
    skeleton "$t"
    cp "$busybox" "$t/bin/busybox" && ln -s busybox "$t/bin/sh" \
        || fail "copying busybox failed"
    install -m 0755 "$HERE/init.sh" "$t/init"
    progs=()
    for p in $XEN_PROGS; do
        [ -x "$root/usr/lib/xen-4.17/bin/$p" ] || fail "no $p in $root/usr/lib/xen-4.17/bin"
        cp "$root/usr/lib/xen-4.17/bin/$p" "$t/usr/sbin/$p"
        progs+=("$t/usr/sbin/$p")
    done
    cp "$root/usr/bin/xenstore" "$t/usr/bin/xenstore" || fail "no usr/bin/xenstore in $root"
    for l in "$root"/usr/bin/xenstore-*; do
        ln -s xenstore "$t/usr/bin/$(basename "$l")"
    done
    progs+=("$t/usr/bin/xenstore")
    copy_libs "$t" "${progs[@]}"
    # xl needs libgcc_s (pthread_cancel); xenclaimtop dlopens libxenctrl.
    gcc_s=$(LD_LIBRARY_PATH=$LIBPATH ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF; exit }')
    [ -n "$gcc_s" ] || fail "libgcc_s.so.1 not found"
    cp -L "$gcc_s" "$t/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"
    [ -f "$t/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17" ] || fail "libxenctrl.so.4.17 was not copied"
    mkdir -p "$t/etc/xen"
    printf 'claim_mode=1\nautoballoon="off"\n' >"$t/etc/xen/xl.conf"
    # Kernel modules in load order.
    mkdir -p "$t/modules"
    for m in $MODULES; do
        modprobe -d "$root" -S "$kver" --show-depends "$m" 2>"$work/modprobe.err" \
            | awk '$1 == "insmod" { print $2 }' >>"$work/modules.order" \
            || fail "modprobe --show-depends $m: $(cat "$work/modprobe.err")"
        grep -q "/$m.ko" "$work/modules.order" || fail "module $m not found for $kver"
    done
    awk '!seen[$0]++' "$work/modules.order" | while read -r ko; do
        cp "$ko" "$t/modules/" && basename "$ko"
    done >"$t/modules/modules.list"
    # The test guest: the same kernel and a busybox initramfs.
    g="$work/guest"
    skeleton "$g"
    cp "$busybox" "$g/bin/busybox" && ln -s busybox "$g/bin/sh"
    install -m 0755 "$HERE/guest-init.sh" "$g/init"
    mkdir -p "$t/guest"
    mkcpio "$g" | gzip -1 >"$t/guest/initrd.gz" || fail "building the guest initramfs failed"
    cp "$vmlinux" "$t/guest/vmlinux"
    mkcpio "$t" >"$base.tmp" && mv "$base.tmp" "$base" || fail "building $base failed"
    for b in "$cache"/base-*.cpio; do [ "$b" = "$base" ] || rm -f "$b"; done
fi
exec 9>&-   # the cache is ready; other sessions may go on

# The payload and the libraries of its programs.
p="$work/payload-tree"
mkdir -p "$p/payload" "$p/results"
cp -a "$payload/." "$p/payload/" || fail "copying $payload failed"
elfs=()
while IFS= read -r -d '' f; do
    [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && elfs+=("$f")
done < <(find "$p/payload" -type f -print0)
[ ${#elfs[@]} -gt 0 ] && copy_libs "$p" "${elfs[@]}"
initrd="$work/initrd.cpio"
{ cat "$base"; mkcpio "$p"; } >"$initrd" || fail "building $initrd failed"
pass "$(du -m "$initrd" | cut -f1) MiB, ${#elfs[@]} payload programs"

# ---- boot ----------------------------------------------------------------
begin boot
serial="$work/serial.log"
disk="$work/results.img"
: >"$serial"
truncate -s 256M "$disk" || fail "cannot create $disk"
dom0_args="console=hvc0 quiet xenclaim.timeout=$inner_timeout${XENCLAIM_REALXEN_DOM0_ARGS:+ $XENCLAIM_REALXEN_DOM0_ARGS}"
kernel=$vmlinux
modules="${kernel//,/,,} $dom0_args,${initrd//,/,,}"
pdeath=()
command -v setpriv >/dev/null && pdeath=(setpriv --pdeathsig KILL --)
# shellcheck disable=SC2086
"${pdeath[@]}" "$qemu" -machine q35 -accel tcg -cpu "$cpu" -m 2048 -smp 2 \
    -display none -monitor none -nic none -no-reboot \
    -serial "file:$serial" \
    -kernel "$xen_elf" -append "$(echo $XEN_CMDLINE ${XENCLAIM_REALXEN_XEN_ARGS:-})" \
    -initrd "$modules" \
    -drive "file=$disk,format=raw,if=virtio" \
    ${XENCLAIM_REALXEN_QEMU_ARGS:-} </dev/null >"$work/qemu.log" 2>&1 &
qpid=$!
echo "$qpid" >"$out/session/qemu.pid"

# Milestones reported with their time when first seen (optional: a quiet
# dom0 kernel prints no banner).
MILESTONES=("Xen version|Xen banner" "Building a PV Dom0|dom0 build"
    "Linux version|dom0 kernel" "$MARK init|dom0 init"
    "$MARK dom0 ready|dom0 ready")
seen_ms=()
milestones() {
    local i pat
    for i in "${!MILESTONES[@]}"; do
        [ -n "${seen_ms[$i]:-}" ] && continue
        pat=${MILESTONES[$i]%%|*}
        if grep -q -a -- "$pat" "$serial"; then
            seen_ms[$i]=$(secs "$boot_start" "$(now)")
            log "  ${MILESTONES[$i]#*|} by ${seen_ms[$i]} s"
        fi
    done
}

# wait_for MARKER SECONDS WHAT: poll the serial log until MARKER shows,
# failing the stage when QEMU exits, the host crashes, dom0 reports a
# failure or SECONDS pass.
wait_for() {
    local marker=$1 limit=$2 what=$3 deadline line rc
    deadline=$(($(date +%s) + limit))
    while :; do
        [ "$stage" = boot ] && milestones
        grep -q -a -- "$marker" "$serial" && return 0
        line=$(grep -a -m1 -- "$MARK failed" "$serial")
        [ -n "$line" ] && fail "dom0 says: ${line#*"$MARK" }"
        line=$(grep -a -m1 -E -- "$CRASH_RE" "$serial")
        [ -n "$line" ] && fail "the host crashed: $(echo "$line" | tr -d '\r')"
        if [ -z "$qpid" ] || ! kill -0 "$qpid" 2>/dev/null; then
            rc=unknown
            if [ -n "$qpid" ]; then
                wait "$qpid"
                rc=$?
            fi
            qpid=
            grep -q -a -- "$marker" "$serial" && return 0
            cp "$work/qemu.log" "$out/session/qemu.log"
            fail "QEMU exited with status $rc before $what$(head -c 300 "$work/qemu.log" \
                | tr '\n' ' ' | sed 's/^./: &/')"
        fi
        [ "$(date +%s)" -ge "$deadline" ] \
            && fail "no $what within $limit s (hung?); QEMU killed"
        sleep 0.2
    done
}
boot_start=$stage_start
wait_for "Xen version" "$((t_boot < 30 ? t_boot : 30))" "Xen banner"
wait_for "$MARK init" "$t_boot" "dom0 init"
wait_for "$MARK dom0 ready" "$t_boot" "dom0 ready (xenstored, xenconsoled)"
milestones
pass

# ---- payload -------------------------------------------------------------
begin payload
wait_for "$MARK payload done" "$((timeout + PAYLOAD_GRACE))" "end of the payload"
line=$(grep -a -m1 -- "$MARK payload done" "$serial" | tr -d '\r')
pass "${line#*payload done }"

# ---- results -------------------------------------------------------------
begin results
wait_for "$MARK results " "$t_results" "results written"
deadline=$(($(date +%s) + t_results))
while kill -0 "$qpid" 2>/dev/null; do
    [ "$(date +%s)" -ge "$deadline" ] && fail "QEMU did not power off within $t_results s"
    sleep 0.2
done
wait "$qpid" 2>/dev/null
qpid=
cp "$serial" "$out/session/serial.log"
cp "$work/qemu.log" "$out/session/qemu.log"
header=$(head -c 512 "$disk" | tr -d '\0' | head -1)
set -- $header
[ $# -eq 3 ] && [ "$1" = XENCLAIM-RESULTS ] \
    || fail "no results header on the disk (seen: '${header:0:60}')"
size=$2 sum=$3
tail -c +513 "$disk" | head -c "$size" >"$work/results.tar"
seen=$(md5sum <"$work/results.tar" | cut -d' ' -f1)
[ "$seen" = "$sum" ] || fail "results checksum: expected $sum, got $seen ($size bytes)"
tar -xf "$work/results.tar" -C "$out" || fail "unpacking the results failed"
pass "$size bytes"

total=$(secs "$session_start" "$(now)")
echo "total ok $total" >>"$out/session/stages.txt"
log "session done in $total s; results in $out"
exit 0
}
