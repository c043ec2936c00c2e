#!/bin/sh
# diff.sh: dom0 part of the differential test: xcdiff's sequences on real Xen, into /results/diff/.
# SPDX-License-Identifier: MIT
#
# Runs in the realxen dom0 (busybox sh, see docs/real-xen.md) with the
# payload at /payload: xcdiff (tests/realxen/xcdiff.c, built against
# Debian's libxenctrl) drives the real hypervisor.  XCDIFF_ARGS (default:
# none, xcdiff's own defaults) are passed to "xcdiff run".  Writes into
# $RESULTS (/results/diff):
#   xcdiff.out   the step lines (tests/scripts/realxen_diff.sh runs the
#                same sequences on the mock and compares)
#   xcdiff.err   its diagnostics
#   xcdiff.rc    its exit status
#   xl-info.txt  the host as xl sees it, before and after
# Xen's own pages per domain depend on what its allocator holds; measured:
# after consumers.sh's xl guest came and went, the answers are the same as
# on a fresh boot (free pages 3 lower).  Exit status: xcdiff's.

out=${RESULTS:-/results/diff}
xcdiff=/payload/xcdiff
[ -x "$xcdiff" ] || xcdiff=/payload/bin/xcdiff
mkdir -p "$out"
xl info >"$out/xl-info.txt" 2>&1
# shellcheck disable=SC2086
"$xcdiff" run ${XCDIFF_ARGS:-} >"$out/xcdiff.out" 2>"$out/xcdiff.err"
rc=$?
echo "$rc" >"$out/xcdiff.rc"
echo "--- after" >>"$out/xl-info.txt"
xl info >>"$out/xl-info.txt" 2>&1
exit "$rc"
