#!/bin/bash
# tests/scripts/dump.sh: xenclaim-dump and the formats file against a decoder written here in Python; TAP output.
#
# The reference below parses the trace files itself, merges the CPUs by
# (TSC, file offset), decodes our events from its own copy of the layouts
# (typed from the comments of xct_events.h) and formats the lines the
# dump should print.  It also applies build/share/xenclaim/formats the way
# xentrace_format does and checks every field it shows.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }

DUMP=build/bin/xenclaim-dump
for p in build/tests/mktraces "$DUMP" build/bin/xenclaim-formats; do
    if [ ! -x "$p" ]; then
        nok "built: expected $p (run make first)"
        echo "1..$n"
        exit 1
    fi
done
if ! command -v python3 >/dev/null; then
    nok "python3: expected it (xen-utils-common depends on it)"
    echo "1..$n"
    exit 1
fi

dir=build/test-traces/dump
rm -rf "$dir"
mkdir -p "$dir"
build/tests/mktraces set "$dir" >/dev/null 2>&1 || nok "mktraces set $dir: expected exit 0"

ref="$dir/ref.py"
cat >"$ref" <<'PY'
import struct, sys

EV = {
    0x0010f020: ('claim', [('domid', 'u32'), ('flags', 'hex'),
                           ('result', 'errno'), ('nr_pages', 'u64'),
                           ('claim', 'u32'), ('tot_pages', 'u32')]),
    0x0010f021: ('claim_release', [('domid', 'u32'), ('reason', 'release'),
                                   ('pages', 'u32'), ('outstanding', 'u64')]),
    0x0010f022: ('tot_pages', [('domid', 'u32'), ('delta', 's64'),
                               ('tot_pages', 'u32'), ('claim', 'u32'),
                               ('free', 'u64')]),
    0x0010f023: ('alloc_denied', [('domid', 'u32'), ('order', 'u32'),
                                  ('memflags', 'hex'), ('claim', 'u32')]),
    0x0010f024: ('alloc_failed', [('domid', 'u32'), ('order', 'u32'),
                                  ('memflags', 'hex'), ('claim', 'u32')]),
    0x0010f025: ('heap', [('reason', 'heaplo'), ('node', 'hi16'),
                          ('free', 'u64'), ('freeable', 'u64'),
                          ('outstanding', 'u64')]),
    0x0010f026: ('domain', [('domid', 'u32'), ('state', 'domstate'),
                            ('tot_pages', 'u32'), ('max_pages', 'u32'),
                            ('claim', 'u32')]),
    0x0010f027: ('claim_draw', [('domid', 'u32'), ('order', 'u32'),
                                ('drawn', 'u32'), ('claim', 'u32'),
                                ('free', 'u64')]),
}
RELEASE = {1: 'cancelled', 2: 'drawn_down', 3: 'domain_death'}
HEAP = {0: 'dump', 1: 'anon_alloc', 2: 'anon_free', 3: 'tmem_put',
        4: 'tmem_flush', 5: 'tmem_reclaim', 6: 'offline', 7: 'denied',
        8: 'failed', 9: 'online'}
DOM = {0: 'dump', 1: 'created', 2: 'max_pages', 3: 'dying', 4: 'destroyed'}
ERRNO = {1: 'EPERM', 3: 'ESRCH', 12: 'ENOMEM', 16: 'EBUSY', 22: 'EINVAL'}

def records(path):
    """(tsc, offset, cpu, event, has_tsc, words) of every record but wraps."""
    data = open(path, 'rb').read()
    out, last, off = [], {}, 0
    while off < len(data):
        _, cpu, size = struct.unpack_from('<IiI', data, off)
        off += 12
        end = off + size
        while off < end:
            h = struct.unpack_from('<I', data, off)[0]
            nw, has = (h >> 28) & 7, h >> 31
            ev = h & 0x0fffffff
            p = off + 4
            if has:
                last[cpu] = struct.unpack_from('<Q', data, p)[0]
                p += 8
            words = list(struct.unpack_from('<%dI' % nw, data, p))
            if ev != 0x1f002:
                out.append((last.get(cpu, 0), off, cpu, ev, has, words))
            off = p + 4 * nw
    return sorted(out)

def fields(ev, w):
    """[(name, kind, value)] decoded from words w."""
    res, i = [], 0
    for name, kind in EV[ev][1]:
        if kind in ('u64', 's64'):
            v = w[i] | (w[i + 1] << 32)
            if kind == 's64' and v >= 1 << 63:
                v -= 1 << 64
            i += 2
        elif kind == 'heaplo':
            v = w[i] & 0xffff
        elif kind == 'hi16':
            v = w[i] >> 16
            i += 1
        else:
            v = w[i]
            if kind == 'errno' and v >= 1 << 31:
                v -= 1 << 32
            i += 1
        res.append((name, kind, v))
    return res

def show(kind, v):
    if kind == 'hex':
        return '0x%x' % v
    if kind == 'errno':
        return '%d(%s)' % (v, ERRNO.get(-v, '?')) if v < 0 else '%d' % v
    table = {'release': RELEASE, 'heaplo': HEAP, 'domstate': DOM}.get(kind)
    if table is not None:
        return table[v] if v in table else '?(%d)' % v
    return '%d' % v

def line(tsc, cpu, ev, w, t0=None, hz=None):
    mark = '!' if ev == 0x1f001 else ' '
    if hz:
        t = '%12.9f' % ((tsc - t0) / hz)
    else:
        t = '%12d' % tsc
    if ev in EV:
        body = EV[ev][0] + ''.join(' %s=%s' % (n, show(k, v))
                                   for n, k, v in fields(ev, w))
    elif ev == 0x1f001:
        body = 'lost_records lost=%d domid=%d vcpu=%d first_tsc=%d' % (
            w[0], w[1] >> 16, w[1] & 0xffff, w[2] | (w[3] << 32))
    else:
        body = '0x%08x [%s ]' % (ev, ''.join(' %x' % x for x in w))
    return '%s %s cpu%d %s' % (mark, t, cpu, body)

def dump(path, hz=None):
    recs = records(path)
    t0 = recs[0][0] if recs else 0
    for tsc, off, cpu, ev, has, w in recs:
        print(line(tsc, cpu, ev, w, t0, hz))

def formats(rules_path, path):
    """Apply the rules as xentrace_format does; check each shown field."""
    rules = {}
    for l in open(rules_path):
        if l.startswith('#') or not l.strip():
            continue
        k, v = l.rstrip('\n').split(None, 1)
        rules[int(k, 0)] = v
    assert sorted(rules) == sorted(EV), 'rules for %s' % sorted(rules)
    checked = 0
    for tsc, off, cpu, ev, has, w in records(path):
        if ev not in rules:
            continue
        d = w + [0] * (7 - len(w))
        args = {'cpu': cpu, 'tsc': tsc, 'event': ev, 'reltsc': 0}
        for i in range(7):
            args[str(i + 1)] = d[i]
        text = rules[ev] % args
        parts = text.split()
        assert parts[0] == 'CPU%d' % cpu and parts[1] == '%d' % tsc, text
        assert parts[2] == EV[ev][0], text
        shown = dict(p.split('=', 1) for p in parts[3:])
        got = {}
        for k, s in shown.items():
            val = int(s, 0)
            if k.endswith('_lo'):
                got[k[:-3]] = got.get(k[:-3], 0) | val
            elif k.endswith('_hi'):
                got[k[:-3]] = got.get(k[:-3], 0) | (val << 32)
            elif ':' in k:
                hi, lo = k.split(':')
                got[hi], got[lo] = val >> 16, val & 0xffff
            else:
                got[k] = val
        for name, kind, v in fields(ev, w):
            if kind == 's64' or kind == 'errno':
                bits = 64 if kind == 's64' else 32
                v &= (1 << bits) - 1
            assert got.get(name) == v, '%s: %s shows %r, expected %r' % (
                text, name, got.get(name), v)
            checked += 1
    print(checked)

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'dump':
        dump(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else None)
    elif cmd == 'formats':
        formats(sys.argv[2], sys.argv[3])
    elif cmd == 'cut':
        # Offset of the last record of the file (whose tail we cut).
        print(max(off for _, off, _, _, _, _ in records(sys.argv[2])))
PY

# 1. Every line of every test trace, as the reference prints it.
for t in all-events multi-cpu notsc lost; do
    f="$dir/$t.trace"
    python3 "$ref" dump "$f" >"$dir/$t.want" 2>"$dir/$t.referr"
    "$DUMP" "$f" >"$dir/$t.got" 2>"$dir/$t.err"
    rc=$?
    if [ "$rc" -eq 0 ] && [ -s "$dir/$t.want" ] && cmp -s "$dir/$t.want" "$dir/$t.got"; then
        ok "$t: $(wc -l <"$dir/$t.got") lines as the reference decodes them"
    else
        nok "$t: expected exit 0 and the reference's lines, got exit $rc: $(diff "$dir/$t.want" "$dir/$t.got" | head -4 | tr '\n' ' ') $(head -2 "$dir/$t.referr")"
    fi
done

# 2. Every event shows up by name in the all-events dump.
names=$(awk '{ print $3 }' "$dir/all-events.got" | tr '\n' ' ')
if [ "$names" = "claim claim_release tot_pages alloc_denied alloc_failed heap domain claim_draw " ]; then
    ok "all-events: one line per event, in table order"
else
    nok "all-events: expected the 8 event names in order, got: $names"
fi

# 3. --cpu-hz: seconds since the first record.
python3 "$ref" dump "$dir/multi-cpu.trace" 2096000000 >"$dir/hz.want"
"$DUMP" --cpu-hz 2.096G "$dir/multi-cpu.trace" >"$dir/hz.got"
if cmp -s "$dir/hz.want" "$dir/hz.got"; then ok "--cpu-hz 2.096G: times in seconds from the first record"
else nok "--cpu-hz: expected the reference's times, got: $(diff "$dir/hz.want" "$dir/hz.got" | head -3 | tr '\n' ' ')"; fi

# 4. Standard input, through a pipe.
cat "$dir/multi-cpu.trace" | "$DUMP" - >"$dir/stdin.got" 2>&1
if cmp -s "$dir/multi-cpu.want" "$dir/stdin.got"; then ok "FILE '-' reads a pipe"
else nok "stdin: expected the file's output, got: $(diff "$dir/multi-cpu.want" "$dir/stdin.got" | head -3 | tr '\n' ' ')"; fi

# 5. A truncated trace: exit 1, "FILE: offset N: message" with N the
# start of the cut record.
size=$(stat -c %s "$dir/multi-cpu.trace")
head -c $((size - 5)) "$dir/multi-cpu.trace" >"$dir/cut.trace"
want_off=$(python3 "$ref" cut "$dir/multi-cpu.trace")
"$DUMP" "$dir/cut.trace" >"$dir/cut.got" 2>"$dir/cut.err"
rc=$?
err=$(cat "$dir/cut.err")
case $err in
"$dir/cut.trace: offset $want_off: file ends at offset $((size - 5)) inside a record"*) good=1 ;;
*) good=0 ;;
esac
if [ "$rc" -eq 1 ] && [ "$good" -eq 1 ] && tail -1 "$dir/cut.got" | grep -q "^! offset $want_off: truncated: "; then
    ok "truncated trace: exit 1, offset $want_off named on stderr and marked"
else
    nok "truncated trace: expected exit 1 and '$dir/cut.trace: offset $want_off: file ends at offset $((size - 5)) inside a record...', got exit $rc: $err"
fi
# Everything before the cut is still printed.
if [ "$(grep -vc '^! offset' "$dir/cut.got")" -eq "$(($(wc -l <"$dir/multi-cpu.want") - 1))" ]; then
    ok "truncated trace: every whole record is printed first"
else
    nok "truncated trace: expected $(($(wc -l <"$dir/multi-cpu.want") - 1)) records, got $(grep -vc '^! offset' "$dir/cut.got")"
fi

# 6. Garbage between windows: strict stops there, tolerant goes on.
python3 - "$dir/all-events.trace" "$dir/lost.trace" "$dir/junk.trace" <<'PY'
import sys
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
open(sys.argv[3], 'wb').write(a + b'JUNKJUNKJUNK' + b)
PY
asize=$(stat -c %s "$dir/all-events.trace")
"$DUMP" "$dir/junk.trace" >"$dir/junk.got" 2>"$dir/junk.err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^$dir/junk.trace: offset $asize: expected a CPU_CHANGE header" "$dir/junk.err"; then
    ok "garbage: exit 1, error at offset $asize"
else
    nok "garbage: expected exit 1 and an error at offset $asize, got exit $rc: $(cat "$dir/junk.err")"
fi
"$DUMP" --tolerant "$dir/junk.trace" >"$dir/junkt.got" 2>"$dir/junkt.err"
rc=$?
cat "$dir/all-events.want" "$dir/lost.want" | sort >"$dir/junkt.want"
grep -v '^! offset' "$dir/junkt.got" | sort >"$dir/junkt.recs"
if [ "$rc" -eq 1 ] && cmp -s "$dir/junkt.want" "$dir/junkt.recs" &&
   [ "$(grep -c "^! offset $asize: error: " "$dir/junkt.got")" -eq 1 ]; then
    ok "--tolerant: the error is marked, every record of both good parts printed, exit 1"
else
    nok "--tolerant: expected exit 1, one marked error at $asize and all records, got exit $rc: $(diff "$dir/junkt.want" "$dir/junkt.recs" | head -3 | tr '\n' ' ')"
fi

# 7. Options and usage errors.
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
out=$("$DUMP" --version)
if [ "$out" = "xenclaim-dump $version" ]; then ok "--version prints $version"
else nok "--version: expected 'xenclaim-dump $version', got '$out'"; fi
"$DUMP" --help >"$dir/help" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^usage: xenclaim-dump' "$dir/help"; then ok "--help: usage, exit 0"
else nok "--help: expected usage and exit 0, got exit $rc"; fi
"$DUMP" --bogus "$dir/lost.trace" >/dev/null 2>&1
rc1=$?
"$DUMP" >/dev/null 2>&1
rc2=$?
"$DUMP" --cpu-hz fast "$dir/lost.trace" >/dev/null 2>&1
rc3=$?
if [ "$rc1" -eq 2 ] && [ "$rc2" -eq 2 ] && [ "$rc3" -eq 2 ]; then ok "bad option, no file, bad --cpu-hz: exit 2"
else nok "usage errors: expected exit 2 three times, got $rc1 $rc2 $rc3"; fi
"$DUMP" "$dir/no-such.trace" >/dev/null 2>"$dir/nofile.err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "no-such.trace: No such file" "$dir/nofile.err"; then ok "missing file: exit 1 with the reason"
else nok "missing file: expected exit 1 and 'No such file', got $rc: $(cat "$dir/nofile.err")"; fi

# 8. The formats file: installed copy equals the generator's output, and
# applied to the records it shows every field with the right value.
if [ -f build/share/xenclaim/formats ] && build/bin/xenclaim-formats | cmp -s - build/share/xenclaim/formats; then
    ok "build/share/xenclaim/formats is xenclaim-formats' output"
else
    nok "formats file: expected build/share/xenclaim/formats equal to xenclaim-formats' output"
fi
for t in all-events multi-cpu; do
    checked=$(python3 "$ref" formats build/share/xenclaim/formats "$dir/$t.trace" 2>"$dir/formats.err")
    rc=$?
    if [ "$rc" -eq 0 ] && [ "${checked:-0}" -gt 0 ]; then ok "$t: the rules show $checked field values right"
    else nok "$t: formats: expected every field right, got: $(tail -1 "$dir/formats.err")"; fi
done

echo "1..$n"
exit $bad
