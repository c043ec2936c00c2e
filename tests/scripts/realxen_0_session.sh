#!/bin/bash
# tests/scripts/realxen_0_session.sh: the suite's one boot of a real Xen 4.17 host (QEMU); results in build/realxen/; TAP.
#
# Builds the payload (tests/realxen/qemu/payload-run.sh as run.sh, every
# tests/realxen/parts/*.sh, xcprobe and xcdiff compiled against Debian's
# libxen-dev, xenclaimtop and xenclaim-exporter from build/bin when they
# are built), boots once with tests/realxen/qemu/session.sh and leaves
# the results in build/realxen/ for the realxen_* scripts after it
# (docs/real-xen.md).  A boot that fails is a failure; only a machine
# where QEMU cannot run at all gives a skip (and build/realxen/SKIP).
#
# Environment: XENCLAIM_REALXEN_TIMEOUT (payload limit, default 200 s)
# and those of session.sh.
set -u
# All in one block: bash reads it whole before running it, so the file
# may change under a running session.
{
cd "$(dirname "$0")/../.."
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
finish() { echo "1..$n"; exit 0; }

OUT=build/realxen
PAY=build/realxen-payload
NEW=build/realxen.new
LOG=build/realxen-session.log
# One session at a time per tree; the reading scripts take this lock
# shared (tests/realxen/qemu/results.sh).
mkdir -p build
exec 8>build/realxen.lock
if ! flock -w 500 8; then
    nok "real Xen session: expected build/realxen.lock, got it held for 500 s by another run"
    finish
fi
rm -rf "$OUT" "$NEW" "$PAY"
mkdir -p "$PAY/parts" "$PAY/bin" build

# ---- the payload --------------------------------------------------------
cp tests/realxen/qemu/payload-run.sh "$PAY/run.sh"
cp tests/realxen/parts/*.sh "$PAY/parts/" 2>/dev/null
cp tests/realxen/parts/*.timeout "$PAY/parts/" 2>/dev/null
if err=$(gcc -std=gnu11 -O2 -Wall -Wextra -Werror tests/realxen/xcprobe.c \
        -lxenctrl -o "$PAY/bin/xcprobe" 2>&1); then
    ok "xcprobe builds against Debian's libxenctrl"
else
    nok "xcprobe builds against Debian's libxenctrl: expected success, got: $(echo "$err" | head -3)"
fi
if [ -f tests/realxen/xcdiff.c ]; then
    if err=$(gcc -O2 tests/realxen/xcdiff.c -lxenctrl -o "$PAY/bin/xcdiff" 2>&1); then
        ln -s bin/xcdiff "$PAY/xcdiff"
        ok "xcdiff builds against Debian's libxenctrl"
    else
        nok "xcdiff builds against Debian's libxenctrl: expected success, got: $(echo "$err" | head -3)"
    fi
fi
for p in xenclaimtop xenclaim-exporter; do
    if [ -x "build/bin/$p" ]; then
        cp "build/bin/$p" "$PAY/bin/"
    else
        echo "# build/bin/$p is not built: its realxen checks will be skipped"
    fi
done

# ---- one session --------------------------------------------------------
start=$(date +%s)
tests/realxen/qemu/session.sh --payload "$PAY" --out "$NEW" \
    --timeout "${XENCLAIM_REALXEN_TIMEOUT:-200}" 2>"$LOG"
rc=$?
end=$(date +%s)
sed 's/^/# /' "$LOG"
if [ "$rc" -eq 77 ]; then
    why=$(grep -m1 'QEMU cannot run' "$LOG" | sed 's/^realxen: //')
    mkdir -p "$OUT"
    echo "$why" >"$OUT/SKIP"
    echo "ok $((n + 1)) # SKIP real Xen session: $why"
    n=$((n + 1))
    finish
fi
if [ "$rc" -ne 0 ]; then
    why=$(grep -m1 'stage .* failed' "$LOG" | sed 's/^realxen: //')
    [ -n "$why" ] || why="session.sh exited with status $rc"
    mv "$NEW" "$OUT" 2>/dev/null || mkdir -p "$OUT"
    echo "$why" >"$OUT/FAILED"
    nok "real Xen 4.17 session (boot, payload, results): expected success, got: $why"
    finish
fi
mv "$NEW" "$OUT"
stagesecs() { awk -v s="$1" '$1 == s { print $3 }' "$OUT/session/stages.txt"; }
ok "boot: Xen 4.17 and dom0 up under QEMU in $(stagesecs boot) s"
ok "payload: run.sh finished in $(stagesecs payload) s (rc $(cat "$OUT/run.rc" 2>/dev/null))"
ok "results: brought back and checksummed in $(stagesecs results) s"
while read -r part prc psecs; do
    if [ -f "$OUT/$part/timed-out" ]; then
        nok "part $part: expected it to end within its limit, got killed after $psecs s"
    else
        ok "part $part ran to its end in $psecs s (exit status $prc)"
    fi
done < <(cat "$OUT/parts.txt" 2>/dev/null)
[ -s "$OUT/parts.txt" ] || nok "parts: expected /results/parts.txt from run.sh, got none"
echo "# session: $(tr '\n' ' ' <"$OUT/session/stages.txt")"
echo "# wall time of this script: $((end - start)) s"
finish
}
