#!/bin/bash
# tests/scripts/libxc.sh: programs linked with Debian's libxenctrl, run on the mock's (TAP).
# SPDX-License-Identifier: MIT
#
# 1. build/lib/libxenctrl.so.4.17 looks like Debian's: same SONAME, every
#    exported symbol an xc_* one of Debian's, in its version node.
# 2. tests/libxc/*.c are compiled against /usr/include/xenctrl.h and linked
#    with the system's -lxenctrl (not ours) into build/libxc-tests/.
# 3. Under LD_LIBRARY_PATH=build/lib they resolve libxenctrl.so.4.17 to
#    ours, and each runs against a fresh `xenclaim-mock serve` on a private
#    socket (figures below, passed to the program as well).  Their TAP lines
#    are numbered here.
set -u
cd "$(dirname "$0")/../.."
root=$PWD

MEM_MIB=1024
DOM0_MIB=256
NODES=2
CPUS=2
XEN_PAGES=14
TOTAL_PAGES=$((MEM_MIB * 256))
DOM0_PAGES=$((DOM0_MIB * 256))

lib=$root/build/lib/libxenctrl.so.4.17
daemon=$root/build/bin/xenclaim-mock
syslib=$(gcc -print-file-name=libxenctrl.so)
outdir=$root/build/libxc-tests
tmp=$(mktemp -d /tmp/xenclaim-libxc.XXXXXX)
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

# ---- the library ------------------------------------------------------

if [ ! -f /usr/include/xenctrl.h ] || [ ! -e "$syslib" ] ||
   [ "$syslib" = libxenctrl.so ]; then
    fail "Debian's libxen-dev is installed: no xenctrl.h or libxenctrl.so"
    finish
fi
if [ ! -f "$lib" ] || [ ! -x "$daemon" ]; then
    fail "built: expected $lib and $daemon (run make)"
    finish
fi

soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p'; }
sys_real=$(readlink -f "$syslib")
check "SONAME is Debian's" "$(soname "$sys_real")" "$(soname "$lib")"
check "libxenctrl.so links to the SONAME" libxenctrl.so.4.17 \
    "$(readlink "$root/build/lib/libxenctrl.so")"

# Dynamic symbols defined by a library: "NAME VERSION" lines.
defined() {
    objdump -T "$1" | awk '$2 == "g" && $4 != "*UND*" { print $NF, $(NF-1) }' |
        sort
}
defined "$lib" >"$tmp/ours"
defined "$sys_real" >"$tmp/debian"
check "exports only xc_* functions and the version node" "" \
    "$(grep -v -e '^xc_' -e '^VERS_4.17.0 ' "$tmp/ours" | tr '\n' ' ')"
check "every export has version VERS_4.17.0" "" \
    "$(awk '$2 != "VERS_4.17.0"' "$tmp/ours" | tr '\n' ' ')"
check "every export exists in Debian's library, same version" "" \
    "$(comm -23 "$tmp/ours" "$tmp/debian" | tr '\n' ' ')"
nexp=$(grep -c '^xc_' "$tmp/ours")
for f in xc_interface_open xc_interface_close xc_physinfo xc_domain_create \
         xc_domain_setmaxmem xc_domain_claim_pages xc_domain_populate_physmap \
         xc_domain_populate_physmap_exact xc_domain_decrease_reservation \
         xc_domain_decrease_reservation_exact xc_domain_destroy \
         xc_domain_getinfo xc_domain_getinfolist xc_domain_pause \
         xc_domain_unpause xc_version; do
    grep -q "^$f " "$tmp/ours" || fail "exports $f"
done
pass "exports the required functions ($nexp xc_* in all)"

# ---- the programs, built against Debian's library ----------------------

mkdir -p "$outdir"
progs=()
for src in tests/libxc/*.c; do
    p=$(basename "$src" .c)
    if env -u LIBRARY_PATH gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow \
        -Wno-unused-parameter -D_GNU_SOURCE -o "$outdir/$p" "$src" -lxenctrl \
        2>"$tmp/cc.log"; then
        pass "$p builds against Debian's xenctrl.h and -lxenctrl"
        progs+=("$p")
    else
        fail "$p builds: $(head -c 300 "$tmp/cc.log" | tr '\n' ' ')"
    fi
done

# Which file a program's libxenctrl.so.4.17 resolves to, per ldd.
resolved() {
    ldd "$1" | awk '$1 == "libxenctrl.so.4.17" { print $3 }'
}
for p in "${progs[@]}"; do
    bin=$outdir/$p
    check "$p needs VERS_4.17.0 of libxenctrl.so.4.17" yes \
        "$(readelf -V "$bin" | grep -A3 'File: libxenctrl.so.4.17' |
           grep -q 'Name: VERS_4.17.0' && echo yes || echo no)"
    seen=$(unset LD_LIBRARY_PATH; resolved "$bin")
    check "$p: ldd resolves to the system's library" \
        "$sys_real" "$(readlink -f "$seen")"
    seen=$(LD_LIBRARY_PATH=$root/build/lib resolved "$bin")
    check "$p: ldd with LD_LIBRARY_PATH=build/lib resolves to ours" \
        "$lib" "$(readlink -f "$seen")"
done

# ---- runs against a daemon ----------------------------------------------

export XENCLAIM_SOCKET=$tmp/sock
export LD_LIBRARY_PATH=$root/build/lib

# Start a fresh daemon; 0 once it answers (bounded poll), 1 if not.
start_daemon() {
    local i
    rm -f "$XENCLAIM_SOCKET"
    "$daemon" serve --socket "$XENCLAIM_SOCKET" --memory ${MEM_MIB}M \
        --dom0-mem ${DOM0_MIB}M --nodes $NODES --cpus $CPUS \
        --xen-pages-per-domain $XEN_PAGES --trace-area none \
        >"$tmp/daemon.log" 2>&1 &
    dpid=$!
    for ((i = 0; i < 500; i++)); do
        kill -0 "$dpid" 2>/dev/null || return 1
        "$outdir/libxc_probe" && return 0
        sleep 0.01
    done
    return 1
}

stop_daemon() {
    kill "$dpid" 2>/dev/null
    wait "$dpid" 2>/dev/null
    dpid=
}

for p in "${progs[@]}"; do
    [ "$p" = libxc_probe ] && continue
    if ! start_daemon; then
        fail "$p: daemon ready: $(tr '\n' ' ' <"$tmp/daemon.log")"
        stop_daemon
        continue
    fi
    timeout 120 "$outdir/$p" $TOTAL_PAGES $DOM0_PAGES $NODES $CPUS \
        $XEN_PAGES >"$tmp/out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
            "ok - "*) n=$((n + 1)); echo "ok $n - $p: ${line#ok - }" ;;
            "not ok - "*)
                n=$((n + 1)); echo "not ok $n - $p: ${line#not ok - }" ;;
            "#"*) echo "$line" ;;
            *) echo "# $p: $line" ;;
        esac
    done <"$tmp/out"
    check "$p exit status" 0 "$rc"
    stop_daemon
done
check "every program ran" 5 "${#progs[@]}"
finish
