#!/bin/bash
# tests/scripts/mock_run.sh: `xenclaim-mock run` writes the golden trace of each shipped scenario (TAP).
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }

golden=tests/golden/scenarios.md5
for scn in mock/scenarios/boot-storm-claims.scn mock/scenarios/death-mid-build.scn; do
    name=$(basename "$scn")
    want=$(awk -v n="$name" '$2 == n {print $1}' "$golden")
    if build/bin/xenclaim-mock run "$scn" -o "$T/t" >/dev/null 2>"$T/err"; then
        got=$(md5sum <"$T/t" | cut -d' ' -f1)
        if [ "$got" = "$want" ]; then ok "$name: xenclaim-mock run gives the golden trace"
        else notok "$name: md5: expected $want, got $got"; fi
    else
        notok "$name: xenclaim-mock run failed: $(head -1 "$T/err")"
    fi
done
# A wrong subcommand is a usage error.
build/bin/xenclaim-mock frobnicate >/dev/null 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "unknown command" "$T/err"; then ok "unknown command: exit 2 with a message"
else notok "unknown command: expected exit 2 and a message, got $rc: $(head -1 "$T/err")"; fi
echo "1..$n"
