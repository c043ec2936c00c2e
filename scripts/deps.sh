#!/bin/sh
# scripts/deps.sh: install the Debian packages xenclaim needs that are missing (and only those).
#
# Usage: scripts/deps.sh build   what `make` needs
#        scripts/deps.sh check   what `make check` and `make bench` need too
#        scripts/deps.sh run     what the README's run command needs
set -eu

BUILD_PKGS="gcc make libc6-dev pkg-config libcmocka-dev libncurses-dev libxen-dev protobuf-c-compiler libprotobuf-c-dev protobuf-compiler libprotobuf-dev libmicrohttpd-dev libcurl4-openssl-dev libsnappy-dev"
CHECK_PKGS="$BUILD_PKGS xen-utils-common python3 librsvg2-bin clang libclang-rt-14-dev tmux hyperfine prometheus golang-github-prometheus-client-model-dev curl jq qemu-system-x86 busybox-static cpio kmod"
RUN_PKGS="$BUILD_PKGS tmux"

case "${1:-build}" in
build) want=$BUILD_PKGS ;;
check) want=$CHECK_PKGS ;;
run)   want=$RUN_PKGS ;;
*) echo "usage: $0 build|check|run" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "deps: not root and no sudo: install$missing by hand" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# An empty package cache (a fresh machine) needs one update first.
if ! $SUDO apt-get install -y --no-install-recommends $missing >/tmp/xenclaim-deps.log 2>&1; then
    $SUDO apt-get update >>/tmp/xenclaim-deps.log 2>&1 || true
    if ! $SUDO apt-get install -y --no-install-recommends $missing >>/tmp/xenclaim-deps.log 2>&1; then
        echo "deps: apt-get install failed; see /tmp/xenclaim-deps.log" >&2
        tail -5 /tmp/xenclaim-deps.log >&2
        exit 1
    fi
fi
