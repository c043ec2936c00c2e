#!/bin/bash
# tests/golden/regen.sh: rewrite tests/golden/scenarios.md5 from fresh runs.
#
# Each line is the md5 of the trace that `xenclaim-scenario run` writes for
# one scenario of mock/scenarios/ with its own seed.  Run it after a change
# that is meant to change the traces (hv/ trace points, the mock's heap, the
# runner's cost model or flush points, a scenario), then review the diff:
# every changed line is a trace that changed.  Needs `make` first.
set -eu
cd "$(dirname "$0")/../.."
bin=build/bin/xenclaim-scenario
out=tests/golden/scenarios.md5
[ -x "$bin" ] || { echo "regen.sh: $bin missing: run make" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
    echo "# md5 of each shipped scenario's trace (its own seed)."
    echo "# Rewritten by tests/golden/regen.sh; checked by tests/scripts/scenario.sh."
    for s in mock/scenarios/*.scn; do
        n=$(basename "$s")
        "$bin" run "$s" -o "$tmp/t" >/dev/null
        echo "$(md5sum <"$tmp/t" | cut -d' ' -f1)  $n"
    done
} >"$tmp/md5"
mv "$tmp/md5" "$out"
echo "regen.sh: wrote $out"
