#!/bin/bash
# tests/scripts/install.sh: `make install` into a staging DESTDIR puts every program, man page and file in place (TAP).
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
check() { # what expected got
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1: expected $2, got $3"; fi
}

make --no-print-directory install PREFIX=/opt/xc DESTDIR="$T/stage" >"$T/log" 2>&1
check "make install exits 0" 0 $?
root=$T/stage/opt/xc
for p in xenclaim-mock xenclaimctl xenclaim-xentrace xenclaim-dump xenclaim-formats; do
    check "bin/$p installed and executable" yes "$([ -x "$root/bin/$p" ] && echo yes || echo no)"
    check "man1/$p.1 installed" yes "$([ -f "$root/share/man/man1/$p.1" ] && echo yes || echo no)"
    "$root/bin/$p" --version >"$T/v" 2>&1
    check "$p --version runs from the staging tree" 0 $?
done
for p in "$root"/bin/*; do
    case $(basename "$p") in
    *-selftest|*-bench|xenclaim-scenario) check "$(basename "$p") is not installed" no yes ;;
    esac
done
check "libxctrace.a installed" yes "$([ -f "$root/lib/libxctrace.a" ] && echo yes || echo no)"
check "xct_events.h installed" yes "$([ -f "$root/include/xenclaim/xct_events.h" ] && echo yes || echo no)"
check "formats file installed" yes "$([ -s "$root/share/xenclaim/formats" ] && echo yes || echo no)"
# Every installed man page is one man(1) can read without warnings.
bad=0
for m in "$root"/share/man/man1/*.1; do
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" >/dev/null 2>"$T/mw" || bad=$((bad + 1))
    [ -s "$T/mw" ] && bad=$((bad + 1))
done
check "installed man pages render without warnings" 0 "$bad"
echo "1..$n"
