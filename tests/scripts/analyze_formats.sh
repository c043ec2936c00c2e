#!/bin/bash
# tests/scripts/analyze_formats.sh: every output of xenclaim-analyze parsed back (text, JSON, CSV, dump, SVG, Perfetto); TAP output.
#
# On the balloon scenario (denials, claims) and on a large generated
# trace (downsampling, a one-record dip of free memory):
#   - text: every section is there; the same report from one thread and
#     from two;
#   - JSON: parses (python3 -m json.tool, and jq when installed);
#   - CSV: every row of a table has as many fields as the table's header
#     (awk, quotes understood), and its counts equal the reference's;
#   - dump: one line per record (count from tests/scripts/analyze_ref.py),
#     the very lines xenclaim-dump prints;
#   - SVG: well-formed XML with axes, legend, bounded points per series,
#     the dip shown as the lowest free point; rendered to PNG when
#     rsvg-convert is there;
#   - progress: on stderr when it is a terminal (script(1)) and the trace
#     large, nothing when it is a pipe;
#   - Perfetto: decoded by protoc against tests/data/perfetto_subset.proto;
#     host counters change as often as the reference says, instants are
#     the denials and refused stakes, values are bytes.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # skip $*"; }

A=build/bin/xenclaim-analyze
REF=tests/scripts/analyze_ref.py
dir=build/test-traces/analyze-formats
rm -rf "$dir"
mkdir -p "$dir"
for p in $A build/bin/xenclaim-scenario build/bin/xenclaim-dump build/bin/xenclaim-gentrace; do
    if [ ! -x "$p" ]; then
        nok "built: expected $p (run make first)"
        echo "1..$n"
        exit 1
    fi
done
t=$dir/balloon.trace
build/bin/xenclaim-scenario run mock/scenarios/balloon.scn -o "$t" >/dev/null 2>&1 ||
    nok "balloon scenario: expected a trace"
python3 $REF summary "$t" >"$dir/ref.summary"
refv() { awk -F= -v k="$1" '$1 == k { print $2 }' "$dir/ref.summary"; }

# ---- text ----
$A "$t" >"$dir/report.txt" 2>"$dir/err"
rc=$?
missing=""
for s in "^xenclaim-analyze report: " "^trace: " "^events: " "^window: " "^state: " \
         "^host (pages" "^timeline (" "^domains (" "^claims, per domain" \
         "^refused stakes (" "^denials because of claims (" "^gaps: " "^consistency "; do
    grep -q "$s" "$dir/report.txt" || missing="$missing '$s'"
done
if [ "$rc" -eq 0 ] && [ -z "$missing" ]; then ok "text: exit 0, every section"
else nok "text: expected exit 0 and every section, got exit $rc, missing:$missing"; fi
$A --single-thread "$t" >"$dir/report1.txt" 2>/dev/null
if cmp -s "$dir/report.txt" "$dir/report1.txt"; then ok "text: one thread and two give the same report"
else nok "text: one thread vs two: $(diff "$dir/report1.txt" "$dir/report.txt" | head -4 | tr '\n' ' ')"; fi
nden=$(refv denials)
ntext=$(grep -c '      blocked by' "$dir/report.txt")
if [ "$ntext" = "$nden" ]; then ok "text: a 'blocked by' line per denial ($nden)"
else nok "text: 'blocked by' lines: expected $nden, got $ntext"; fi

# ---- JSON ----
$A --json "$t" >"$dir/report.json" 2>/dev/null
if python3 -m json.tool "$dir/report.json" >/dev/null 2>"$dir/json.err"; then ok "json: python3 -m json.tool parses it"
else nok "json: expected valid JSON, got: $(head -2 "$dir/json.err")"; fi
if command -v jq >/dev/null 2>&1; then
    got=$(jq '.counts.denials' "$dir/report.json")
    if [ "$got" = "$nden" ]; then ok "json: jq reads .counts.denials = $nden"
    else nok "json: jq .counts.denials: expected $nden, got $got"; fi
else
    skip "jq not installed"
fi

# ---- CSV ----
$A --csv "$t" >"$dir/report.csv" 2>/dev/null
# Split with quotes understood; check field counts per table; count rows.
awk '
function nfields(line,    i, c, q, k) {
    k = 1; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (c == "\"") q = !q
        else if (c == "," && !q) k++
    }
    return k
}
{
    split($0, a, ",")
    if (a[1] == "kind") { want = nfields($0); tables++; next }
    if (nfields($0) != want) { print "bad " NR ": " nfields($0) " fields, header has " want; bad++ }
    rows[a[1]]++
    if (a[1] == "summary" && a[2] == "records") records = a[3]
}
END {
    print "tables " tables
    print "bad " bad + 0
    print "records " records
    print "claim " rows["claim"] + 0
    print "denial " rows["denial"] + 0
    print "refused_stake " rows["refused_stake"] + 0
    print "domain " rows["domain"] + 0
}' "$dir/report.csv" >"$dir/csv.check"
cv() { awk -v k="$1" '$1 == k { print $2 }' "$dir/csv.check"; }
if [ "$(cv tables)" = 8 ] && [ "$(cv bad)" = 0 ]; then ok "csv: 8 tables, every row as wide as its header"
else nok "csv: expected 8 tables and no bad row, got $(cv tables) tables: $(grep '^bad' "$dir/csv.check" | head -3 | tr '\n' ' ')"; fi
if [ "$(cv records) $(cv claim) $(cv denial) $(cv refused_stake)" = "$(refv records) $(refv lives) $(refv denials) $(refv refused_stakes)" ]; then
    ok "csv: records, claims, denials, refused stakes as the reference ($(cv records) $(cv claim) $(cv denial) $(cv refused_stake))"
else
    nok "csv: records/claims/denials/refused: expected $(refv records) $(refv lives) $(refv denials) $(refv refused_stakes), got $(cv records) $(cv claim) $(cv denial) $(cv refused_stake)"
fi

# ---- dump ----
$A --dump "$t" >"$dir/dump.txt" 2>/dev/null
rc=$?
build/bin/xenclaim-dump --cpu-hz 1G "$t" >"$dir/xdump.txt" 2>/dev/null
lines=$(wc -l <"$dir/dump.txt")
if [ "$rc" -eq 0 ] && [ "$lines" = "$(refv records)" ]; then ok "dump: one line per record ($lines)"
else nok "dump: expected exit 0 and $(refv records) lines, got exit $rc, $lines lines"; fi
if cmp -s "$dir/dump.txt" "$dir/xdump.txt"; then ok "dump: the lines xenclaim-dump --cpu-hz 1G prints"
else nok "dump: expected xenclaim-dump's lines, first difference: $(diff "$dir/xdump.txt" "$dir/dump.txt" | head -3 | tr '\n' ' ')"; fi
names=$(awk '{ print $3 }' "$dir/dump.txt" | sort -u | tr '\n' ' ')
case "$names" in
*alloc_denied*claim*claim_draw*claim_release*domain*heap*tot_pages*)
    ok "dump: our events by name ($names)" ;;
*) nok "dump: expected our events by name, got: $names" ;;
esac

# ---- a large trace: downsampling and a low point ----
big=$dir/big.trace
build/bin/xenclaim-gentrace -o "$dir/big0.trace" --records 1000000 --domains 50 >/dev/null
dip_tsc=$(python3 $REF dip "$dir/big0.trace" "$big" 17)
$A --json --svg "$dir/big.svg" --svg-width 400 "$big" >"$dir/big.json" 2>"$dir/big.err"
rc=$?
read -r low low_tsc tmin npts <<EOF
$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
h = j["host"]["lowest_free"]
pts = j["timeline"]["points"]
print(h["pages"], int(round(h["time_s"] * j["trace"]["cpu_hz"])) + j["trace"]["first_tsc"],
      min(p["free"]["min"] for p in pts), len(pts))' "$dir/big.json")
EOF
if [ "$rc" -eq 0 ] && [ "$low" = 17 ] && [ "$low_tsc" = "$dip_tsc" ] && [ "$tmin" = 17 ]; then
    ok "1M records: lowest free 17 at the dip's TSC $dip_tsc, also in the timeline's minima"
else
    nok "1M records: expected lowest free 17 at $dip_tsc in report and timeline, got exit $rc, $low at $low_tsc, timeline min $tmin"
fi
if [ "$npts" -le 256 ] && [ "$npts" -ge 128 ]; then ok "1M records: timeline kept in $npts buckets (128..256)"
else nok "1M records: timeline buckets: expected 128..256, got $npts"; fi
python3 - "$dir/big.svg" >"$dir/svg.check" 2>&1 <<'PY'
import re, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = '{http://www.w3.org/2000/svg}'
paths = [p.get('d') for p in root.iter(ns + 'path')]
most = max(len(re.findall('[ML]', d)) for d in paths)
texts = ' '.join(t.text or '' for t in root.iter(ns + 'text'))
print('paths', len(paths))
print('most', most)
print('axes', int('time since the first record (s)' in texts and 'memory (' in texts))
print('legend', int('free (band' in texts and 'outstanding claims' in texts and 'claims, stacked' in texts))
print('low', int('lowest free 68 KiB' in texts))
PY
sv() { awk -v k="$1" '$1 == k { print $2 }' "$dir/svg.check"; }
if [ "$(sv axes)" = 1 ] && [ "$(sv legend)" = 1 ]; then ok "svg: well-formed, axes with units, legend"
else nok "svg: expected XML with axes and legend, got: $(tr '\n' ' ' <"$dir/svg.check")"; fi
if [ -n "$(sv most)" ] && [ "$(sv most)" -le $((4 * 400 + 4)) ]; then ok "svg: at most $(sv most) points in a series for 400 columns and 1M records"
else nok "svg: points per series: expected <= 1604, got '$(sv most)'"; fi
if [ "$(sv low)" = 1 ]; then ok "svg: the dip is marked as the lowest free point (68 KiB)"
else nok "svg: expected 'lowest free 68 KiB' in the plot"; fi
if command -v rsvg-convert >/dev/null 2>&1; then
    $A --svg "$dir/balloon.svg" "$t" >/dev/null 2>&1
    if rsvg-convert -o "$dir/balloon.png" "$dir/balloon.svg" 2>"$dir/rsvg.err" && [ -s "$dir/balloon.png" ]; then
        ok "svg: rsvg-convert renders it ($(wc -c <"$dir/balloon.png") bytes of PNG)"
    else
        nok "svg: rsvg-convert: $(head -2 "$dir/rsvg.err")"
    fi
else
    skip "rsvg-convert not installed (librsvg2-bin)"
fi

# ---- progress: on a terminal for a large trace, never into a pipe ----
build/bin/xenclaim-gentrace -o "$dir/large.trace" --bytes 80M >/dev/null
$A "$dir/large.trace" >/dev/null 2>"$dir/piped.err"
if [ ! -s "$dir/piped.err" ]; then ok "progress: nothing on stderr when it is a pipe"
else nok "progress: expected an empty stderr when piped, got: $(head -c 200 "$dir/piped.err")"; fi
if command -v script >/dev/null 2>&1; then
    script -qec "$A $dir/large.trace >/dev/null" /dev/null >"$dir/tty.out" 2>&1
    if grep -q 'xenclaim-analyze: .*large.trace: *[0-9]*% ([0-9]* of 8[0-9] MiB)' "$dir/tty.out"; then
        ok "progress: shown on a terminal for an 80 MiB trace"
    else
        nok "progress: expected 'NN% (N of 80 MiB)' on the terminal, got: $(tr '\r' '\n' <"$dir/tty.out" | head -3 | tr '\n' ' ')"
    fi
else
    skip "script (util-linux) not installed"
fi
rm -f "$dir/large.trace"

# ---- Perfetto ----
if command -v protoc >/dev/null 2>&1; then
    $A --perfetto "$dir/balloon.pftrace" "$t" >/dev/null 2>&1
    if protoc -Itests/data --decode=xenclaim.perfetto.Trace tests/data/perfetto_subset.proto \
        <"$dir/balloon.pftrace" >"$dir/pf.txt" 2>"$dir/pf.err"; then
        ok "perfetto: protoc decodes $(grep -c '^packet {' "$dir/pf.txt") packets"
    else
        nok "perfetto: protoc --decode failed: $(head -3 "$dir/pf.err" | tr '\n' ' ')"
    fi
    python3 $REF perfetto "$dir/pf.txt" >"$dir/pf.ours"
    python3 $REF changes "$t" >"$dir/pf.ref"
    pv() { awk -F= -v k="$1" '$1 == k { print $2 }' "$2"; }
    for k in counter_free counter_freeable counter_outstanding instants; do
        if [ "$(pv $k "$dir/pf.ours")" = "$(pv $k "$dir/pf.ref")" ]; then ok "perfetto: $k = $(pv $k "$dir/pf.ref")"
        else nok "perfetto: $k: expected $(pv $k "$dir/pf.ref"), got $(pv $k "$dir/pf.ours")"; fi
    done
    last=$(awk '/track_uuid: 2$/ { f = 1; next } f && /counter_value:/ { v = $2; f = 0 } END { print v }' "$dir/pf.txt")
    if [ "$last" = "$(pv last_free_bytes "$dir/pf.ref")" ]; then ok "perfetto: last free counter $last bytes"
    else nok "perfetto: last free counter: expected $(pv last_free_bytes "$dir/pf.ref") bytes, got $last"; fi
    ndom=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["domains"]))' "$dir/report.json")
    if [ "$(pv tracks "$dir/pf.ours")" = $((6 + 3 * ndom)) ]; then ok "perfetto: 6 host tracks + 3 per domain ($ndom)"
    else nok "perfetto: tracks: expected $((6 + 3 * ndom)), got $(pv tracks "$dir/pf.ours")"; fi
else
    nok "protoc not installed: expected protobuf-compiler (scripts/deps.sh)"
fi

echo "1..$n"
exit $bad
