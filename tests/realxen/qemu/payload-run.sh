#!/bin/sh
# payload-run.sh: the payload's run.sh: runs each /payload/parts/NAME.sh in order, each into /results/NAME.
# SPDX-License-Identifier: MIT
#
# Copied to PAYLOAD/run.sh by realxen_0_session.sh and run in dom0 by
# init.sh.  For each part, in C-locale order of the names:
#   cwd /payload; environment RESULTS=/results/NAME (created, empty),
#   PAYLOAD=/payload, PART=NAME, PATH starting with /payload/bin;
#   stdout and stderr to /results/NAME/part.log;
#   a time limit of PART_TIMEOUT seconds (90; parts/NAME.timeout holds
#   another), then SIGKILL;
#   afterwards /results/NAME/rc (exit status, 137 when killed),
#   /results/NAME/secs (seconds taken) and, when killed,
#   /results/NAME/timed-out.
# /results/parts.txt lists "NAME RC SECS" for every part.

PATH=/payload/bin:$PATH
export PATH PAYLOAD=/payload
up() { cut -d. -f1 /proc/uptime; }

for p in /payload/parts/*.sh; do
    [ -f "$p" ] || continue
    name=$(basename "$p" .sh)
    limit=90
    [ -f "/payload/parts/$name.timeout" ] && limit=$(cat "/payload/parts/$name.timeout")
    RESULTS=/results/$name
    PART=$name
    export RESULTS PART
    mkdir -p "$RESULTS"
    echo "xenclaim-realxen: part $name (limit $limit s)" >/dev/console
    start=$(up)
    (cd /payload && exec timeout -s KILL "$limit" sh "$p") >"$RESULTS/part.log" 2>&1
    rc=$?
    secs=$(($(up) - start))
    echo "$rc" >"$RESULTS/rc"
    echo "$secs" >"$RESULTS/secs"
    [ "$rc" = 137 ] && [ "$secs" -ge "$limit" ] && echo "$limit" >"$RESULTS/timed-out"
    echo "$name $rc $secs" >>/results/parts.txt
    echo "xenclaim-realxen: part $name rc=$rc secs=$secs" >/dev/console
done
exit 0
