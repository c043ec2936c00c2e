#!/bin/bash
# tests/scripts/analyze_badinput.sh: xenclaim-analyze on bad traces (empty, truncated, corrupted, wrong-endian), lost records and broken accounting; TAP output.
#
# Each broken file is made from a scenario trace by a few lines of Python
# that also compute where the problem is.  Without --tolerant the
# analyzer must exit 1, print "FILE: offset N: <what was found and
# expected>" with that N and no report; with --tolerant it reports what
# it could and lists what it skipped.  Lost records are a gap, not an
# error; an accounting error is a violation with its record's offset and
# exit status 3.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }

A=build/bin/xenclaim-analyze
REF=tests/scripts/analyze_ref.py
dir=build/test-traces/analyze-bad
rm -rf "$dir"
mkdir -p "$dir"
if [ ! -x $A ] || [ ! -x build/bin/xenclaim-scenario ]; then
    nok "built: expected $A and xenclaim-scenario (run make first)"
    echo "1..$n"
    exit 1
fi
good=$dir/good.trace
build/bin/xenclaim-scenario run mock/scenarios/boot-storm-claims.scn -o "$good" >/dev/null 2>&1 ||
    nok "scenario: expected a trace"

# Python: write the broken files, print "NAME OFFSET PATTERN" per case.
python3 - "$good" "$dir" >"$dir/cases" <<'PY'
import struct, sys
src, d = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
wins = []                                   # (header offset, size, records)
off = 0
while off < len(data):
    _, cpu, size = struct.unpack_from('<IiI', data, off)
    recs, i = [], off + 12
    while i < off + 12 + size:
        h = struct.unpack_from('<I', data, i)[0]
        recs.append(i)
        i += 4 + 8 * (h >> 31) + 4 * ((h >> 28) & 7)
    wins.append((off, size, recs))
    off += 12 + size
def put(name, b):
    open('%s/%s.trace' % (d, name), 'wb').write(b)
put('empty', b'')
print('empty 0 empty file: expected a CPU_CHANGE window header')
lasthdr, lastsize, lastrecs = wins[-1]
put('cut-record', data[:-3])
print('cut-record %d file ends at offset %d inside a record' % (lastrecs[-1], len(data) - 3))
put('cut-header', data[:lasthdr + 5])
print('cut-header %d file ends at offset %d inside a CPU_CHANGE header (12 bytes expected, 5 present)' % (lasthdr, lasthdr + 5))
put('cut-window', data[:lastrecs[len(lastrecs) // 2]])
print('cut-window %d file ends at offset %d inside the window at offset %d' % (lastrecs[len(lastrecs) // 2], lastrecs[len(lastrecs) // 2], lasthdr))
mid = wins[len(wins) // 2]
b = bytearray(data)
struct.pack_into('<i', b, mid[0] + 4, 999)
put('bad-cpu', bytes(b))
print('bad-cpu %d window header names CPU 999: expected 0-255' % mid[0])
b = bytearray(data)
r = mid[2][len(mid[2]) // 2]
h = struct.unpack_from('<I', b, r)[0]
struct.pack_into('<I', b, r, h & ~0x00ff0000)
put('bad-class', bytes(b))
print('bad-class %d has 0 class bits set in bits 16-23: expected exactly one' % r)
put('garbage', bytes(range(256)) * 4)
print('garbage 0 expected a CPU_CHANGE header 0x2001f003, found 0x03020100')
# records of the window skipped by a tolerant reader of bad-cpu
open('%s/bad-cpu.skipped' % d, 'w').write('%d\n' % len(mid[2]))
PY
python3 $REF swap "$good" "$dir/swapped.trace"
echo "swapped 0 byte-swapped CPU_CHANGE header: the trace was written in the other byte order" >>"$dir/cases"

while read -r name off pattern; do
    f=$dir/$name.trace
    $A "$f" >"$dir/$name.out" 2>"$dir/$name.err"
    rc=$?
    want="$f: offset $off: "
    if [ "$rc" -eq 1 ] && grep -qF "$want" "$dir/$name.err" && grep -qF "$pattern" "$dir/$name.err" &&
       [ ! -s "$dir/$name.out" ]; then
        ok "$name: exit 1, '$(head -1 "$dir/$name.err")'"
    else
        nok "$name: expected exit 1, '$want...$pattern' and no report, got exit $rc, '$(head -1 "$dir/$name.err")', $(wc -c <"$dir/$name.out") bytes of report"
    fi
done <"$dir/cases"

$A "$dir/no-such.trace" >/dev/null 2>"$dir/nofile.err"
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "no-such.trace: No such file or directory" "$dir/nofile.err"; then ok "missing file: exit 1, $(head -1 "$dir/nofile.err")"
else nok "missing file: expected exit 1 and ENOENT, got $rc: $(head -1 "$dir/nofile.err")"; fi
$A >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then ok "no trace named: exit 2"
else nok "no trace named: expected exit 2, got $rc"; fi

# --tolerant: a report of everything but the bad window, which is listed
$A --tolerant --json "$dir/bad-cpu.trace" >"$dir/tol.json" 2>"$dir/tol.err"
rc=$?
total=$(python3 $REF summary "$good" | awk -F= '$1 == "records" { print $2 }')
skipped=$(cat "$dir/bad-cpu.skipped")
read -r recs gaps gkind goff <<EOF
$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
g = j["gaps"][0] if j["gaps"] else {"kind": "-", "offset": -1}
print(j["trace"]["records"], len(j["gaps"]), g["kind"], g["offset"])' "$dir/tol.json" 2>/dev/null)
EOF
boff=$(awk '$1 == "bad-cpu" { print $2 }' "$dir/cases")
if [ "$rc" -eq 1 ] && [ "$recs" = $((total - skipped)) ]; then ok "tolerant: exit 1, every record but the $skipped of the bad window ($recs)"
else nok "tolerant: expected exit 1 and $((total - skipped)) records, got exit $rc and $recs"; fi
if [ "$gkind $goff" = "skipped $boff" ]; then ok "tolerant: the skip is a gap at offset $boff"
else nok "tolerant: expected a 'skipped' gap at $boff, got $gkind at $goff ($gaps gaps)"; fi
$A --tolerant "$dir/bad-cpu.trace" >"$dir/tol.txt" 2>/dev/null
if grep -q "^  offset $boff: skipped to the next window: window header names CPU 999" "$dir/tol.txt" &&
   grep -q "^state:    UNCERTAIN" "$dir/tol.txt"; then
    ok "tolerant: the text report says what was skipped and that the state is uncertain"
else
    nok "tolerant: expected the skip in the gaps and an uncertain state, got: $(grep -A2 '^gaps' "$dir/tol.txt" | tr '\n' ' ')"
fi
$A --tolerant "$dir/cut-record.trace" >"$dir/tolcut.txt" 2>/dev/null
rc=$?
coff=$(awk '$1 == "cut-record" { print $2 }' "$dir/cases")
if [ "$rc" -eq 1 ] && grep -q "^  offset $coff: reading stopped: truncated: file ends" "$dir/tolcut.txt"; then
    ok "tolerant, truncated: report, and 'reading stopped' at $coff"
else
    nok "tolerant, truncated: expected exit 1 and 'reading stopped' at $coff, got $rc: $(grep -A1 '^gaps' "$dir/tolcut.txt" | tr '\n' ' ')"
fi

# lost records: a gap with its count and times, not an error
read -r loff lfrom lto <<EOF
$(python3 $REF lost "$good" "$dir/lost.trace" 4321)
EOF
$A --json "$dir/lost.trace" >"$dir/lost.json" 2>"$dir/lost.err"
rc=$?
got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
g = j["gaps"][0]
t = lambda s: int(round(s * j["trace"]["cpu_hz"])) + j["trace"]["first_tsc"]
print(len(j["gaps"]), g["kind"], g["lost"], g["offset"], t(g["from_s"]), t(g["to_s"]),
      g["inexact_until_s"], j["state"]["lost"], j["counts"]["issues"])' "$dir/lost.json" 2>&1)
if [ "$rc" -eq 0 ] && [ "$got" = "1 lost 4321 $loff $lfrom $lto None 4321 0" ]; then
    ok "lost records: exit 0, one gap of 4321 at offset $loff from $lfrom to $lto, inexact to the end"
else
    nok "lost records: expected exit 0 and '1 lost 4321 $loff $lfrom $lto None 4321 0', got exit $rc and '$got'"
fi

# broken accounting: one tot_pages delta off by one
boff=$(python3 $REF badaccounting "$good" "$dir/badacct.trace")
$A --json "$dir/badacct.trace" >"$dir/badacct.json" 2>/dev/null
rc=$?
got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(" ".join("%s@%d" % (i["kind"], i["offset"]) for i in j["issues"]))' "$dir/badacct.json")
if [ "$rc" -eq 3 ] && [ "$got" = "tot_delta@$boff" ]; then ok "accounting: exit 3, one tot_delta violation at offset $boff"
else nok "accounting: expected exit 3 and tot_delta@$boff, got exit $rc and '$got'"; fi
$A "$dir/badacct.trace" >"$dir/badacct.txt" 2>/dev/null
if grep -q "^consistency (replay of the accounting): 1 violation:" "$dir/badacct.txt" &&
   grep -q "^  offset $boff (.* s): tot_pages d[0-9]*: tot_delta: .*expected [0-9]*, seen [0-9]*" "$dir/badacct.txt"; then
    ok "accounting: the text report names the record's offset, expected and seen"
else
    nok "accounting: expected the violation at offset $boff in the text, got: $(grep -A1 '^consistency' "$dir/badacct.txt" | tr '\n' ' ')"
fi

echo "1..$n"
exit $bad
