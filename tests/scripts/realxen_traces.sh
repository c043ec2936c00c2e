#!/bin/bash
# tests/scripts/realxen_traces.sh: xenclaim's readers on real xentrace files from Xen 4.17 agree with xenalyze; TAP.
#
# Traces: build/realxen/traces/guest.trace (xentrace -D -e all -S 4 -s
# 1000 during a guest's life, by tests/realxen/parts/traces.sh in the
# realxen session) and ../shared/data/real-xen-idle.trace.  For each:
#   - a reference parse written here (windows, records, wraps, lost
#     records, records without TSC) and the properties wanted of the
#     guest trace (foreign classes, wrap padding, records without TSC
#     from a PVH guest, TRC_LOST_RECORDS);
#   - xenclaim-dump (strict) reads it, and its lines per CPU and class
#     equal the reference's records;
#   - the bytes per CPU and class computed from the dump's lines (4 +
#     8 if the record has a TSC + 4 per word; a record without a TSC
#     shows its CPU's previous TSC) equal xenalyze --summary's "Log
#     volume" lines; for gen, xenalyze counts wrap padding (which the
#     dump skips: the reference's wrap bytes are added) and each lost-
#     records record twice (it adds one of its own after it);
#   - the lost-records total of the dump equals the reference's;
#   - xenclaim-analyze --json: records, foreign records per class, wraps
#     and the lost total of its gaps (skipped when not built);
#   - xenclaimtop -b --speed 0 --json FILE (frames until the trace's
#     end; -b -i 1 shows the first figures, which may be the first
#     chunk read only): its last frame, state END, has every record and
#     the lost total (skipped when not built).
set -u
cd "$(dirname "$0")/../.."
. tests/realxen/qemu/results.sh
realxen_results_or_exit
T=$RX/traces
IDLE=../shared/data/real-xen-idle.trace
[ -f "$IDLE" ] || IDLE=/work/shared/data/real-xen-idle.trace
work=$(mktemp -d "${TMPDIR:-/tmp}/realxen-traces.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One "name|file|cpu_hz|guest_type|xenalyze options" line per trace.
{
    khz=$(cat "$T/tsc-khz" 2>/dev/null)
    echo "guest|$T/guest.trace|${khz:-2000000}000|$(cat "$T/guest-type" 2>/dev/null)|--svm-mode"
    echo "idle|$IDLE|2096000000|idle|"
} >"$work/traces"

while IFS='|' read -r name file hz gtype xaopts; do
    if [ -s "$file" ]; then
        build/bin/xenclaim-dump "$file" >"$work/$name.dump" 2>"$work/$name.dump.err"
        echo $? >"$work/$name.dump.rc"
        # shellcheck disable=SC2086
        xenalyze $xaopts --summary "$file" >"$work/$name.xa" 2>&1
        echo $? >"$work/$name.xa.rc"
        if [ -x build/bin/xenclaim-analyze ]; then
            build/bin/xenclaim-analyze --json --cpu-hz "$hz" "$file" \
                >"$work/$name.an" 2>"$work/$name.an.err"
            echo $? >"$work/$name.an.rc"
        fi
        if [ -x build/bin/xenclaimtop ]; then
            timeout 120 build/bin/xenclaimtop -b --speed 0 -u pages --json \
                --cpu-hz "$hz" "$file" >"$work/$name.top" 2>"$work/$name.top.err"
            echo $? >"$work/$name.top.rc"
        fi
    fi
done <"$work/traces"

python3 - "$work" "$T" <<'PY'
import collections, json, os, re, struct, sys

work, T = sys.argv[1], sys.argv[2]
n = 0
def tap(good, what, why=''):
    global n
    n += 1
    print(('ok %d - %s' % (n, what)) if good else
          ('not ok %d - %s: %s' % (n, what, why)))
def skip(what, why):
    global n
    n += 1
    print('ok %d # SKIP %s: %s' % (n, what, why))
def read(path, default=''):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default

GEN, LOST, WRAP = 0x001, 0x1f001, 0x1f002
# xenalyze's names of the classes (bits 16-27 of an event id).
NAMES = {0x001: 'gen', 0x002: 'sched', 0x004: 'dom0op', 0x008: 'hvm',
         0x010: 'mem', 0x020: 'pv', 0x040: 'shadow', 0x080: 'hw'}

def reference(path):
    """Parse the file here: per-CPU lists of (event, has_tsc, nwords),
    wrap bytes per CPU, lost counts, errors."""
    data = open(path, 'rb').read()
    recs = collections.defaultdict(list)
    wrap_bytes = collections.Counter()
    lost = []
    off = 0
    while off < len(data):
        if off + 12 > len(data):
            return None, 'window header cut at %d' % off
        hdr, cpu, size = struct.unpack_from('<IiI', data, off)
        if hdr != 0x2001f003:
            return None, 'no CPU_CHANGE at %d' % off
        off += 12
        end = off + size
        while off < end:
            h = struct.unpack_from('<I', data, off)[0]
            nw, t, ev = (h >> 28) & 7, h >> 31, h & 0x0fffffff
            size_r = 4 + 8 * t + 4 * nw
            if ev == WRAP:
                wrap_bytes[cpu] += size_r
            else:
                recs[cpu].append((ev, t, nw))
                if ev == LOST:
                    lost.append(struct.unpack_from('<I', data, off + 12)[0])
            off += size_r
        if off != end:
            return None, 'window at %d overruns' % (end - size)
    return {'recs': recs, 'wrap_bytes': wrap_bytes, 'lost': lost,
            'wraps': None}, None

def count_wraps(path):
    data = open(path, 'rb').read()
    off, w = 0, 0
    while off < len(data):
        _, _, size = struct.unpack_from('<IiI', data, off)
        off += 12
        end = off + size
        while off < end:
            h = struct.unpack_from('<I', data, off)[0]
            if h & 0x0fffffff == WRAP:
                w += 1
            off += 4 + 8 * (h >> 31) + 4 * ((h >> 28) & 7)
    return w

def dump_records(path):
    """Per-CPU (event, has_tsc, nwords) from xenclaim-dump's lines; a
    record without a TSC shows its CPU's previous one.  Also the lost
    counts of the lost_records lines."""
    recs = collections.defaultdict(list)
    prev, lost = {}, []
    for line in read(path).splitlines():
        f = line.split()
        if f and f[0] == '!':
            f = f[1:]
        if len(f) < 3 or not f[1].startswith('cpu'):
            continue
        tsc, cpu = int(f[0]), int(f[1][3:])
        if f[2] == 'lost_records':
            ev, nw = LOST, 4
            lost.append(int(re.search(r'lost=(\d+)', line).group(1)))
        else:
            ev = int(f[2], 16)
            nw = f.index(']') - f.index('[') - 1
        recs[cpu].append((ev, 1 if tsc != prev.get(cpu) else 0, nw))
        prev[cpu] = tsc
    return recs, lost

def xenalyze_bytes(path):
    """{(cpu, class name): bytes} from the Log volume summary."""
    out, cpu, on = {}, None, False
    for line in read(path).splitlines():
        if line.startswith('--- Log volume summary'):
            on = True
            continue
        if not on:
            continue
        m = re.match(r'\s*- cpu (\d+) -', line)
        if m:
            cpu = int(m.group(1))
            continue
        m = re.match(r'\s*([a-z0-9]+)\s*:\s*(\d+)\s*$', line)
        if m and cpu is not None:
            out[(cpu, m.group(1))] = int(m.group(2))
        elif line.startswith('|-') or line.startswith('Domain'):
            break
    return out

def by_class(recs, what):
    c = collections.Counter()
    for cpu, lst in recs.items():
        for ev, t, nw in lst:
            cls = (ev >> 16) & 0xfff
            c[(cpu, NAMES.get(cls, hex(cls)))] += (
                1 if what == 'count' else 4 + 8 * t + 4 * nw)
    return c

for line in read(os.path.join(work, 'traces')).splitlines():
    name, path, hz, gtype, _ = line.split('|')
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        tap(False, '%s: trace file' % name, 'expected %s, got none' % path)
        continue
    ref, err = reference(path)
    if ref is None:
        tap(False, '%s: the reference parse reads it' % name,
            'expected valid framing, got %s' % err)
        continue
    ref['wraps'] = count_wraps(path)
    nrec = sum(len(v) for v in ref['recs'].values())
    notsc = sum(1 for v in ref['recs'].values() for r in v if not r[1])
    classes = {k[1] for k in by_class(ref['recs'], 'count')} - {'gen'}
    print('# %s: %d bytes, %d records (%d without TSC), %d wraps, %d lost-'
          'records records (%d lost), classes %s, guest %s' %
          (name, os.path.getsize(path), nrec, notsc, ref['wraps'],
           len(ref['lost']), sum(ref['lost']), sorted(classes), gtype))

    if name == 'idle':
        import hashlib
        want = (read(path + '.md5').split() or [''])[0]
        seen = hashlib.md5(open(path, 'rb').read()).hexdigest()
        tap(want == seen, 'idle: the shared trace is intact (md5)',
            'expected %s, got %s' % (want, seen))
    if name == 'guest':
        tap(read(os.path.join(T, 'xentrace.rc')).strip() == '0',
            'guest: xentrace -D -e all -S 4 -s 1000 exited 0',
            'expected 0, got %r' % read(os.path.join(T, 'xentrace.rc')).strip())
        tap(len(classes) >= 3, 'guest: records of several foreign classes',
            'expected 3 or more, got %s' % sorted(classes))
        tap(ref['wraps'] > 0, 'guest: wrap padding in the trace',
            'expected some, got 0')
        tap(len(ref['lost']) > 0, 'guest: TRC_LOST_RECORDS in the trace',
            'expected some with 4-page buffers, got 0')
        if gtype == 'pvh':
            tap(notsc > 0, 'guest: records without TSC (PVH guest)',
                'expected HVM handler events without TSC, got 0')
        else:
            print('# guest: a %s guest: records without TSC not expected'
                  % gtype)

    rc = read(os.path.join(work, name + '.dump.rc')).strip()
    tap(rc == '0', '%s: xenclaim-dump reads it (strict)' % name,
        'expected exit 0, got %s: %s' %
        (rc, read(os.path.join(work, name + '.dump.err'))[:200]))
    drecs, dlost = dump_records(os.path.join(work, name + '.dump'))
    want, seen = by_class(ref['recs'], 'count'), by_class(drecs, 'count')
    tap(want == seen, '%s: xenclaim-dump records per CPU and class (%d)' %
        (name, nrec), 'expected %s, got %s' % (dict(want), dict(seen)))

    rc = read(os.path.join(work, name + '.xa.rc')).strip()
    xa = xenalyze_bytes(os.path.join(work, name + '.xa'))
    tap(rc == '0' and xa, '%s: xenalyze --summary reads it' % name,
        'expected exit 0 and a log volume summary, got exit %s' % rc)
    dbytes = by_class(drecs, 'bytes')
    lost_bytes = collections.Counter()
    for cpu, lst in drecs.items():
        for ev, t, nw in lst:
            if ev == LOST:
                lost_bytes[cpu] += 4 + 8 * t + 4 * nw
    expect = {}
    for (cpu, cls), b in dbytes.items():
        if cls == 'gen':
            b += lost_bytes[cpu]
        expect[(cpu, cls)] = b
    for cpu, b in ref['wrap_bytes'].items():
        expect[(cpu, 'gen')] = expect.get((cpu, 'gen'), 0) + b
    expect = {k: v for k, v in expect.items() if v}
    tap(expect == xa, '%s: bytes per CPU and class from the dump equal '
        "xenalyze's log volume" % name,
        'expected (xenalyze) %s, got (dump) %s' % (xa, expect))
    tap(sum(dlost) == sum(ref['lost']) and len(dlost) == len(ref['lost']),
        '%s: lost records in the dump: %d in %d reports' %
        (name, sum(ref['lost']), len(ref['lost'])),
        'expected %d in %d, got %d in %d' %
        (sum(ref['lost']), len(ref['lost']), sum(dlost), len(dlost)))

    if not os.path.exists(os.path.join(work, name + '.an.rc')):
        skip('%s: xenclaim-analyze' % name,
             'build/bin/xenclaim-analyze missing (not built)')
    else:
        rc = read(os.path.join(work, name + '.an.rc')).strip()
        try:
            an = json.loads(read(os.path.join(work, name + '.an')))
        except ValueError:
            an = None
        if an is None or rc != '0':
            tap(False, '%s: xenclaim-analyze --json reads it' % name,
                'expected exit 0 and JSON, got exit %s: %s' %
                (rc, read(os.path.join(work, name + '.an.err'))[:200]))
        else:
            tr = an['trace']
            fc = collections.Counter()
            for (cpu, cls), c in by_class(ref['recs'], 'count').items():
                if cls != 'gen':
                    fc[cls] += c
            want = (nrec, dict(fc), ref['wraps'], sum(ref['lost']))
            seen = (tr.get('records'), tr.get('foreign_by_class'),
                    tr.get('wraps'),
                    sum(g.get('lost', 0) for g in an.get('gaps', [])
                        if g.get('kind') == 'lost'))
            tap(want == seen, '%s: xenclaim-analyze records, foreign per '
                'class, wraps, lost' % name,
                'expected %s, got %s' % (want, seen))

    if not os.path.exists(os.path.join(work, name + '.top.rc')):
        skip('%s: xenclaimtop file replay' % name,
             'build/bin/xenclaimtop missing (not built)')
    else:
        rc = read(os.path.join(work, name + '.top.rc')).strip()
        try:
            fr = json.loads(read(os.path.join(work, name + '.top')).splitlines()[-1])
        except (ValueError, IndexError):
            fr = None
        fr = fr or {}
        want = ('END', nrec, sum(ref['lost']), '0')
        seen = (fr.get('state'), fr.get('host', {}).get('records'),
                fr.get('host', {}).get('lost_records'), rc)
        tap(want == seen, '%s: xenclaimtop -b --speed 0 replays it: last '
            'frame END with every record and the lost total, exit 0' % name,
            'expected %s, got %s %s' %
            (want, seen, read(os.path.join(work, name + '.top.err'))[:200]))
print('1..%d' % n)
PY
