#!/bin/sh
# diff.sh: dom0 part of the differential test: xcdiff's sequences on real Xen, into /results/diff/.
# SPDX-License-Identifier: MIT
#
# Runs in the realxen dom0 (busybox sh, see docs/real-xen.md) with the
# payload at /payload: xcdiff (tests/realxen/xcdiff.c, built against
# Debian's libxenctrl) drives the real hypervisor, twice:
#   the default set   "xcdiff run" with XCDIFF_ARGS (default: none,
#                     xcdiff's own defaults: focused, seeds 1:20, 40 steps)
#   the long set      "xcdiff run" with XCDIFF_LONG_ARGS (default:
#                     --seeds 1000:60 --steps 120 --only random, the long
#                     churn of docs/profiles.md; "none": not run)
# Writes into $RESULTS (/results/diff):
#   xcdiff.out, xcdiff-long.out   the step lines (tests/scripts/
#                realxen_diff.sh runs the same sequences on the mock and
#                compares)
#   xcdiff.err, xcdiff-long.err   their diagnostics
#   xcdiff.rc, xcdiff-long.rc     their exit statuses ("none": the
#                long set was not run)
#   xl-info.txt  the host as xl sees it, before and after
# Xen's own pages per domain depend on what its allocator holds; measured:
# after consumers.sh's xl guest came and went, the answers are the same as
# on a fresh boot (free pages 3 lower), and every sequence leaves Xen's
# pool as it found it.  Exit status: the first non-zero of the two runs.

out=${RESULTS:-/results/diff}
xcdiff=/payload/xcdiff
[ -x "$xcdiff" ] || xcdiff=/payload/bin/xcdiff
long=${XCDIFF_LONG_ARGS:---seeds 1000:60 --steps 120 --only random}
mkdir -p "$out"
xl info >"$out/xl-info.txt" 2>&1
# shellcheck disable=SC2086
"$xcdiff" run ${XCDIFF_ARGS:-} >"$out/xcdiff.out" 2>"$out/xcdiff.err"
rc=$?
echo "$rc" >"$out/xcdiff.rc"
if [ "$long" != none ]; then
    # shellcheck disable=SC2086
    "$xcdiff" run $long >"$out/xcdiff-long.out" 2>"$out/xcdiff-long.err"
    lrc=$?
    echo "$lrc" >"$out/xcdiff-long.rc"
    [ "$rc" = 0 ] && rc=$lrc
else
    echo none >"$out/xcdiff-long.rc"
fi
echo "--- after" >>"$out/xl-info.txt"
xl info >>"$out/xl-info.txt" 2>&1
exit "$rc"
