#!/bin/bash
# tests/scripts/xenalyze.sh: Debian's xenalyze accepts our traces and merges them as our reader does; TAP output.
#
# Writes the test traces (every xenclaim event, several CPUs, records
# without TSC, lost records and wrap padding) with build/tests/mktraces
# into build/test-traces/, then for each of them and the real trace:
#   - xenalyze --dump-all and --summary exit 0;
#   - the dump shows each of our event ids (all-events, multi-cpu);
#   - xenalyze processes the same records, in the same TSC order, as
#     xenclaim-dump prints (xenalyze --dump-raw-process lists them);
#   - on the real trace, xenalyze's bytes per class and CPU equal those
#     counted by a separate parser in this script.
# A missing /usr/bin/xenalyze is a failure, not a skip.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # skip $*"; }

XENALYZE=/usr/bin/xenalyze
if [ ! -x "$XENALYZE" ]; then
    nok "xenalyze installed: expected $XENALYZE (package xen-utils-common), got nothing"
    echo "1..$n"
    exit 1
fi
ok "xenalyze installed"

for p in build/tests/mktraces build/bin/xenclaim-dump build/bin/xenclaim-formats; do
    if [ ! -x "$p" ]; then
        nok "built: expected $p (run make first)"
        echo "1..$n"
        exit 1
    fi
done

dir=build/test-traces
out=build/test-traces/xenalyze
rm -rf "$dir"
mkdir -p "$out"
if build/tests/mktraces set "$dir" >"$out/mktraces.log" 2>&1; then
    ok "mktraces wrote the test traces"
else
    nok "mktraces set: expected exit 0, got: $(head -3 "$out/mktraces.log")"
fi

traces="$dir/all-events.trace $dir/multi-cpu.trace $dir/notsc.trace $dir/lost.trace"
real=../shared/data/real-xen-idle.trace
[ -r "$real" ] && traces="$traces $real"

# name -> event id (as xenalyze prints it: hex, no leading zeros) for our
# events, from the rules file; lost_records is Xen's 0x1f001.
idmap="$out/idmap"
build/bin/xenclaim-formats | awk '/^0x/ { id = substr($1, 3); sub(/^0+/, "", id); print $4, id }' >"$idmap"
echo "lost_records 1f001" >>"$idmap"
if [ "$(wc -l <"$idmap")" -eq 9 ]; then
    ok "event id map from xenclaim-formats (8 events + lost_records)"
else
    nok "event id map: expected 9 lines, got $(wc -l <"$idmap")"
fi

for t in $traces; do
    name=$(basename "$t" .trace)

    # 1. --dump-all and --summary succeed.
    "$XENALYZE" --dump-all "$t" >"$out/$name.dump" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then ok "$name: xenalyze --dump-all exits 0"
    else nok "$name: xenalyze --dump-all: expected exit 0, got $rc: $(tail -2 "$out/$name.dump" | tr '\n' ' ')"; fi
    "$XENALYZE" --summary "$t" >"$out/$name.summary" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then ok "$name: xenalyze --summary exits 0"
    else nok "$name: xenalyze --summary: expected exit 0, got $rc: $(tail -2 "$out/$name.summary" | tr '\n' ' ')"; fi

    # 2. Every event id of ours shows in the dump.
    case $name in
    all-events|multi-cpu)
        missing=""
        for m in 20 21 22 23 24 25 26 27; do
            grep -q "10f0$m(10:f:$m)" "$out/$name.dump" || missing="$missing 10f0$m"
        done
        if [ -z "$missing" ]; then ok "$name: xenalyze dump shows 10f020 .. 10f027"
        else nok "$name: xenalyze dump: expected ids 10f020..10f027, missing:$missing"; fi
        ;;
    esac

    # 3. The same records in the same TSC order.  xenalyze lists every
    # record it processes as "* EVENT NWORDS TSC ..." (TSC "-" when the
    # record has none).  Left out on both sides: wrap padding (1f002,
    # which xenalyze processes and we skip) and lost records (1f001):
    # xenalyze handles one as soon as its CPU's stream reaches it, ahead
    # of TSC order, and adds a record 1f032 of its own after it.  Lost
    # records are counted apart below.
    "$XENALYZE" --dump-raw-process "$t" 2>/dev/null |
        awk '$1 == "*" && $2 !~ /^1f00[12]$/ && $2 != "1f032" { print $2, $4 }' >"$out/$name.xa"
    if ! build/bin/xenclaim-dump "$t" >"$out/$name.ours" 2>"$out/$name.ours.err"; then
        nok "$name: xenclaim-dump: expected exit 0, got: $(head -2 "$out/$name.ours.err")"
        continue
    fi
    # Ours: "[!] TIME cpuN NAME|0xID ..." -> "ID TIME"
    sed 's/^!/ /' "$out/$name.ours" | awk -v map="$idmap" '
        BEGIN { while ((getline l < map) > 0) { split(l, a, " "); id[a[1]] = a[2] } }
        { e = $3; if (e in id) e = id[e]; else { sub(/^0x0*/, "", e) }
          if (e != "1f001") print e, $1 }' >"$out/$name.ours.ids"
    nx=$(wc -l <"$out/$name.xa")
    no=$(wc -l <"$out/$name.ours.ids")
    if [ "$nx" -eq "$no" ] && [ "$nx" -gt 0 ]; then ok "$name: xenalyze and xenclaim-dump see $nx records"
    else nok "$name: record count: expected xenalyze's $nx, got $no"; fi
    # Records with a TSC: same sequence of TSCs, same (event, TSC) pairs.
    awk '$2 != "-" { print $2 }' "$out/$name.xa" >"$out/$name.xa.tsc"
    if [ "$name" = notsc ]; then
        # Ours prints the inherited TSC; drop the records xenalyze shows
        # without one, by position.
        paste -d' ' "$out/$name.xa" "$out/$name.ours.ids" | awk '$2 != "-" { print $4 }' >"$out/$name.ours.tsc"
    else
        awk '{ print $2 }' "$out/$name.ours.ids" >"$out/$name.ours.tsc"
    fi
    if cmp -s "$out/$name.xa.tsc" "$out/$name.ours.tsc"; then
        ok "$name: same TSC order as xenalyze ($(wc -l <"$out/$name.xa.tsc") records with a TSC)"
    else
        nok "$name: TSC order: expected xenalyze's, first difference: $(diff "$out/$name.xa.tsc" "$out/$name.ours.tsc" | head -3 | tr '\n' ' ')"
    fi
    paste -d' ' "$out/$name.xa" "$out/$name.ours.ids" |
        awk '$2 != "-" && ($1 != $3 || $2 != $4) { bad++ } END { print bad + 0 }' >"$out/$name.pairs"
    sort "$out/$name.xa" | awk '$2 != "-"' >"$out/$name.xa.sorted"
    paste -d' ' "$out/$name.xa" "$out/$name.ours.ids" | awk '$2 != "-" { print $3, $4 }' | sort >"$out/$name.ours.sorted"
    if cmp -s "$out/$name.xa.sorted" "$out/$name.ours.sorted"; then
        ok "$name: same (event, TSC) records as xenalyze ($(cat "$out/$name.pairs") placed differently among equal TSCs)"
    else
        nok "$name: (event, TSC) records: expected xenalyze's, got: $(diff "$out/$name.xa.sorted" "$out/$name.ours.sorted" | head -3 | tr '\n' ' ')"
    fi
done

# 4. Lost records: xenalyze reports each one we wrote, with its TSC.
nl=$(grep -c 'lost_records count' "$out/lost.dump")
nours=$(grep -c ' lost_records ' "$out/lost.ours")
xl=$("$XENALYZE" --dump-raw-process "$dir/lost.trace" 2>/dev/null | awk '$1 == "*" && $2 == "1f001" { print $4 }' | sort -n | tr '\n' ' ')
ol=$(sed 's/^!/ /' "$out/lost.ours" | awk '$3 == "lost_records" { print $1 }' | sort -n | tr '\n' ' ')
if [ -n "$ol" ] && [ "$xl" = "$ol" ]; then ok "lost: xenalyze processes the lost records at the same TSCs ($ol)"
else nok "lost: lost-record TSCs: expected xenalyze's $xl, got $ol"; fi
if [ "$nl" -gt 0 ] && [ "$nl" -eq "$nours" ]; then ok "lost: xenalyze reports $nl lost-record records, as we do"
else nok "lost: expected xenalyze to report our $nours lost-record records, got $nl"; fi

# 5. The real trace: bytes per class and CPU, from xenalyze's summary and
# from a parser written here.
if [ -r "$real" ]; then
    python3 - "$real" >"$out/real.classes" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
names = {0x001: 'gen', 0x002: 'sched', 0x004: 'dom0op', 0x008: 'hvm',
         0x010: 'mem', 0x020: 'pv', 0x040: 'shadow', 0x080: 'hw'}
bytes_ = {}
off = 0
while off < len(data):
    hdr, cpu, size = struct.unpack_from('<IiI', data, off)
    off += 12
    end = off + size
    while off < end:
        h = struct.unpack_from('<I', data, off)[0]
        sz = 4 + 8 * (h >> 31) + 4 * ((h >> 28) & 7)
        cls = (h >> 16) & 0xfff
        key = (cpu, names.get(cls, hex(cls)))
        bytes_[key] = bytes_.get(key, 0) + sz
        off += sz
for (cpu, name) in sorted(bytes_):
    print(cpu, name, bytes_[(cpu, name)])
PY
    awk '/^ - cpu [0-9]+ -/ { cpu = $3 } /^ [a-z0-9]+ *: *[0-9]+$/ && cpu != "" { gsub(":", "", $0); print cpu, $1, $2 }' \
        "$out/real-xen-idle.summary" | sort >"$out/real.xa.classes"
    sort "$out/real.classes" -o "$out/real.classes"
    if [ -s "$out/real.classes" ] && cmp -s "$out/real.classes" "$out/real.xa.classes"; then
        ok "real: xenalyze's bytes per class and CPU match ours ($(tr '\n' ' ' <"$out/real.classes"))"
    else
        nok "real: bytes per class: expected $(tr '\n' ' ' <"$out/real.classes"), got xenalyze's $(tr '\n' ' ' <"$out/real.xa.classes")"
    fi
else
    skip "real trace $real not found"
fi

echo "1..$n"
exit $bad
