#!/usr/bin/env python3
# analyze_ref.py: an independent reference for the analyze_*.sh tests: parses xentrace files and computes what xenclaim-analyze must report.
# SPDX-License-Identifier: MIT
#
# Written from docs/trace-format.md and the field lists of
# tracepoints/xct_events.h, sharing no code with analyze/ or
# tracepoints/.  Commands (output is plain lines the scripts compare):
#
#   summary TRACE [HZ]     key=value counts and host figures
#   (summary, lives, denials and fails also take --from TICKS --to TICKS,
#   after the first record, and --domains A,B: the analyzer's filters)
#   all TRACE PREFIX [HZ]  summary, lives, denials, fails into PREFIX.WHAT
#   ours WHAT JSON         the analyzer's JSON report in the same formats
#   lives TRACE            one line per claim: domid start end how staked
#                          drawn left (TSCs)
#   denials TRACE          one line per denial / alloc failure
#   fails TRACE            one line per refused stake
#   changes TRACE          how often each host series changes, instants
#   perfetto DECODED       counts from `protoc --decode` text output
#   dip IN OUT PAGES       IN with the free figure of its middle tot_pages
#                          record set to PAGES; prints that record's TSC
#   splice IN OUT          IN with a window of foreign records after
#                          every window (scheduler, HVM, PV, other TRC_MEM)
#   lost IN OUT N          IN with a TRC_LOST_RECORDS record (N lost)
#                          before the record in the middle of the file
#   swap IN OUT            IN with every word byte-swapped
#   badaccounting IN OUT   IN with the delta of its 10th tot_pages record
#                          off by one; prints that record's file offset
import struct
import sys

MEM = 0x0010F000
EV = {0x20: 'claim', 0x21: 'claim_release', 0x22: 'tot_pages',
      0x23: 'alloc_denied', 0x24: 'alloc_failed', 0x25: 'heap',
      0x26: 'domain', 0x27: 'claim_draw'}
LOST = 0x1F001
WRAP = 0x1F002
CPU_CHANGE = 0x1F003
ANON = 0x7FF4
CLASSES = ['gen', 'sched', 'dom0op', 'hvm', 'mem', 'pv', 'shadow', 'hw']
ERRNO = {1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 7: 'E2BIG', 12: 'ENOMEM',
         16: 'EBUSY', 22: 'EINVAL'}


def windows(data):
    """(header offset, cpu, bytes of records) for each window."""
    off = 0
    while off < len(data):
        hdr, cpu, size = struct.unpack_from('<IiI', data, off)
        assert hdr == 0x2001F003, 'bad window header at %d' % off
        yield off, cpu, off + 12, data[off + 12:off + 12 + size]
        off += 12 + size


def records(path):
    """Every record but wrap padding, merged by (TSC, file offset)."""
    data = open(path, 'rb').read()
    out = []
    last_tsc = {}
    for _, cpu, base, win in windows(data):
        i = 0
        while i < len(win):
            h = struct.unpack_from('<I', win, i)[0]
            n = (h >> 28) & 7
            has = h >> 31
            ev = h & 0x0FFFFFFF
            j = i + 4
            if has:
                lo, hi = struct.unpack_from('<II', win, j)
                tsc = lo | hi << 32
                j += 8
            else:
                tsc = last_tsc.get(cpu, 0)
            last_tsc[cpu] = tsc
            words = list(struct.unpack_from('<%dI' % n, win, j))
            if ev != WRAP:
                out.append((tsc, base + i, cpu, ev, words))
            i = j + 4 * n
    out.sort(key=lambda r: (r[0], r[1]))
    return out


def s32(v):
    return v - (1 << 32) if v >= 1 << 31 else v


def u64(w, i):
    return w[i] | w[i + 1] << 32


def s64(w, i):
    v = u64(w, i)
    return v - (1 << 64) if v >= 1 << 63 else v


def decode(ev, w):
    name = EV[ev & 0xFFF]
    if name == 'claim':
        return name, dict(domid=w[0], flags=w[1], result=s32(w[2]),
                          nr_pages=u64(w, 3), claim=w[5], tot=w[6])
    if name == 'claim_release':
        return name, dict(domid=w[0], reason=w[1], pages=w[2],
                          outstanding=u64(w, 3))
    if name == 'tot_pages':
        return name, dict(domid=w[0], delta=s64(w, 1), tot=w[3],
                          claim=w[4], free=u64(w, 5))
    if name in ('alloc_denied', 'alloc_failed'):
        return name, dict(domid=w[0], order=w[1], memflags=w[2],
                          claim=w[3])
    if name == 'heap':
        return name, dict(reason=w[0] & 0xFFFF, node=w[0] >> 16,
                          free=u64(w, 1), freeable=u64(w, 3),
                          outstanding=u64(w, 5))
    if name == 'domain':
        return name, dict(domid=w[0], state=w[1], tot=w[2], max=w[3],
                          claim=w[4])
    return name, dict(domid=w[0], order=w[1], drawn=w[2], claim=w[3],
                      free=u64(w, 4))


class Ref:
    def __init__(self, path, frm=None, to=None, doms=None):
        self.recs = records(path)
        self.frm, self.doms = 0, doms
        cut = False
        if self.recs and frm is not None:
            self.frm = self.recs[0][0] + frm
        if self.recs and to is not None:
            to += self.recs[0][0]
            cut = any(r[0] > to for r in self.recs)
            self.recs = [r for r in self.recs if r[0] <= to]
        self.claim = {}
        self.lives = []
        self.open = {}
        self.denials = []
        self.fails = []
        self.free = None
        self.freeable = 0
        self.low_free = None
        self.high_out = None
        self.by_class = [0] * 8
        self.foreign = 0
        self.other_mem = 0
        self.xenclaim = 0
        self.lost = 0
        self.prev = None
        self.changes = [0, 0, 0]
        self.first = self.recs[0][0] if self.recs else 0
        self.last = self.recs[-1][0] if self.recs else 0
        if cut:
            self.last = to
        self.run()
        self.lives = [l for l in self.lives if l['end'] >= self.frm and
                      self.want(l['domid'])]
        self.denials = [d for d in self.denials if d['tsc'] >= self.frm and
                        (self.want(d['domid']) or
                         any(self.want(k) for k in d['all']))]
        self.fails = [f for f in self.fails if f[0] >= self.frm and
                      self.want(f[1])]

    def want(self, d):
        return self.doms is None or d in self.doms

    def set_claim(self, d, c, tsc, draw=False):
        old = self.claim.get(d, 0)
        self.claim[d] = c
        life = self.open.get(d)
        if life and c < old:
            life['drawn'] += old - c
        elif not life and c > old:
            self.open[d] = dict(domid=d, start=tsc, how='open', staked=c,
                                drawn=0)

    def end(self, d, tsc, how, left):
        life = self.open.pop(d, None)
        if life:
            life.update(end=tsc, how=how, left=left)
            self.lives.append(life)

    def host(self, tsc):
        out = sum(self.claim.values())
        now = (self.free, self.freeable, out)
        if self.free is not None:
            for k in range(3):
                if self.prev is None or now[k] != self.prev[k]:
                    self.changes[k] += 1
            self.prev = now
        if self.free is not None and (self.low_free is None or
                                      self.free < self.low_free[0]):
            self.low_free = (self.free, tsc)
        if self.high_out is None or out > self.high_out[0]:
            self.high_out = (out, tsc)

    def run(self):
        pending = None
        in_dump = False
        for tsc, off, cpu, ev, w in self.recs:
            minor = ev & 0xFFF
            if (ev & 0xFFFFF000) != MEM or minor not in EV:
                if ev == LOST:
                    self.lost += w[0]
                    continue
                self.foreign += 1
                cls = (ev >> 16) & 0xFF
                self.by_class[cls.bit_length() - 1] += 1
                if (ev & 0xFFFFF000) == MEM:
                    self.other_mem += 1
                continue
            self.xenclaim += 1
            name, e = decode(ev, w)
            if in_dump and not ((name == 'domain' and e['state'] == 0) or
                                (name == 'heap' and e['reason'] == 0)):
                in_dump = False
                self.host(tsc)      # the state the dump gave
            if name == 'heap':
                if e['node'] != 0xFFFF:
                    continue
                self.free = e['free']
                self.freeable = e['freeable']
                if e['reason'] == 0:
                    in_dump = True
                    continue
                if e['reason'] in (7, 8) and pending:
                    pending.update(free=e['free'], freeable=e['freeable'],
                                   outstanding=e['outstanding'])
                    pending = None
            elif name == 'domain':
                d = e['domid']
                if e['state'] == 0:             # dump
                    self.claim[d] = e['claim']
                    if e['claim']:
                        self.open[d] = dict(domid=d, start=tsc, how='open',
                                            staked=e['claim'], drawn=0)
                    continue
                if e['state'] == 1:             # created
                    self.claim[d] = 0
                if e['state'] in (3, 4):        # dying, destroyed
                    self.end(d, tsc, 'death' if e['state'] == 3 else
                             'destroyed', self.claim.get(d, 0))
                    self.claim[d] = 0
                    if e['state'] == 4:
                        del self.claim[d]
                else:
                    self.set_claim(d, e['claim'], tsc)
            elif name == 'claim':
                d = e['domid']
                if e['result'] < 0:
                    self.fails.append((tsc, d, e['result'], e['nr_pages']))
                    if d in self.claim:
                        self.set_claim(d, e['claim'], tsc)
                elif e['nr_pages']:
                    if d in self.open:
                        self.end(d, tsc, 'replaced', self.claim.get(d, 0))
                    self.claim[d] = e['claim']
                    self.open[d] = dict(domid=d, start=tsc, how='open',
                                        staked=e['claim'], drawn=0)
            elif name == 'claim_release':
                d = e['domid']
                how = {1: 'cancelled', 2: 'satisfied', 3: 'death'}[
                    e['reason']]
                self.end(d, tsc, how, self.claim.get(d, 0))
                self.claim[d] = 0
            elif name in ('tot_pages', 'claim_draw'):
                self.free = e['free']
                self.set_claim(e['domid'], e['claim'], tsc)
            else:                               # alloc_denied / failed
                d = e['domid']
                if d != ANON:
                    self.set_claim(d, e['claim'], tsc)
                held = sorted(((c, k) for k, c in self.claim.items()
                               if c and k != d), key=lambda x: (-x[0], x[1]))
                pending = dict(tsc=tsc, domid=d, order=e['order'],
                               failed=int(name == 'alloc_failed'),
                               holders=len(held),
                               held=sum(c for c, _ in held),
                               top=held[:8], all=[k for _, k in held],
                               free=None, freeable=None,
                               outstanding=None)
                self.denials.append(pending)
            if not in_dump:
                self.host(tsc)
        for d in sorted(self.open):
            self.end(d, self.last, 'open', self.claim.get(d, 0))


def cmd_summary(path, hz=1e9):
    r = ref(path)
    secs = lambda t: (t - r.first) / hz
    print('records=%d' % len(r.recs))
    print('xenclaim=%d' % r.xenclaim)
    print('foreign=%d' % r.foreign)
    for i, c in enumerate(CLASSES):
        print('class_%s=%d' % (c, r.by_class[i]))
    print('other_mem=%d' % r.other_mem)
    print('lives=%d' % len(r.lives))
    print('denials=%d' % sum(1 for d in r.denials if not d['failed']))
    print('alloc_failures=%d' % sum(1 for d in r.denials if d['failed']))
    print('refused_stakes=%d' % len(r.fails))
    print('lost=%d' % r.lost)
    if r.low_free:
        print('lowest_free=%d' % r.low_free[0])
        print('lowest_free_s=%.9f' % secs(r.low_free[1]))
    if r.high_out:
        print('highest_outstanding=%d' % r.high_out[0])
        print('highest_outstanding_s=%.9f' % secs(r.high_out[1]))
    print('duration_s=%.9f' % secs(r.last))


def cmd_all(path, prefix, hz=1e9):
    """summary, lives, denials and fails into PREFIX.<what>, one parse."""
    global Ref
    real, cache = Ref, {}

    def once(*a):
        if 'r' not in cache:
            cache['r'] = real(*a)
        return cache['r']
    Ref = once
    try:
        for what, fn in (('summary', lambda: cmd_summary(path, hz)),
                         ('lives', lambda: cmd_lives(path)),
                         ('denials', lambda: cmd_denials(path)),
                         ('fails', lambda: cmd_fails(path))):
            with open('%s.%s' % (prefix, what), 'w') as f:
                old, sys.stdout = sys.stdout, f
                try:
                    fn()
                finally:
                    sys.stdout = old
    finally:
        Ref = real


def cmd_changes(path):
    """How often each host series changes (as Perfetto counters)."""
    r = Ref(path)
    for k, name in enumerate(['free', 'freeable', 'outstanding']):
        print('counter_%s=%d' % (name, r.changes[k]))
    print('instants=%d' % (len(r.fails) +
                           sum(1 for d in r.denials if not d['failed'])))
    if r.prev:
        print('last_free_bytes=%d' % (r.prev[0] * 4096))


def cmd_dip(src, dst, pages):
    """Set the free field of the middle tot_pages record to pages."""
    data = bytearray(open(src, 'rb').read())
    spots = []
    for hoff, cpu, base, win in windows(bytes(data)):
        i = 0
        while i < len(win):
            h = struct.unpack_from('<I', win, i)[0]
            if h & 0x0FFFFFFF == MEM | 0x22 and h >> 31:
                spots.append((struct.unpack_from('<Q', win, i + 4)[0],
                              base + i + 12 + 20))
            i += 4 + 8 * (h >> 31) + 4 * ((h >> 28) & 7)
    spots.sort()
    tsc, at = spots[len(spots) // 2]
    struct.pack_into('<Q', data, at, pages)
    open(dst, 'wb').write(bytes(data))
    print(tsc)


def cmd_lives(path):
    r = ref(path)
    for l in sorted(r.lives, key=lambda l: (l['domid'], l['start'])):
        print(l['domid'], l['start'], l['end'], l['how'], l['staked'],
              l['drawn'], l['left'])


def cmd_denials(path):
    r = ref(path)
    for d in r.denials:
        top = ' '.join('d%d:%d' % (k, c) for c, k in d['top'])
        print('%s %d %s %d %s %s %s %d %d %s' % (
            'failed' if d['failed'] else 'denied', d['tsc'],
            'anon' if d['domid'] == ANON else d['domid'], d['order'],
            d['free'], d['freeable'], d['outstanding'], d['holders'],
            d['held'], top))


def cmd_fails(path):
    r = ref(path)
    for tsc, d, res, nr in r.fails:
        print(tsc, d, ERRNO.get(-res, '?'), nr)


def cmd_perfetto(path):
    """Counts by kind of what `protoc --decode` printed."""
    tracks, counters, instants, names = {}, {}, 0, {}
    cur = {}
    for line in open(path):
        t = line.strip()
        if t.startswith('uuid:'):
            cur['uuid'] = int(t.split()[1])
        elif t.startswith('name:') and 'uuid' in cur and 'track' not in cur:
            names[cur['uuid']] = t.split(None, 1)[1].strip('"')
        elif t.startswith('type: TYPE_COUNTER'):
            cur['counter'] = 1
        elif t.startswith('type: TYPE_INSTANT'):
            instants += 1
        elif t.startswith('track_uuid:'):
            u = int(t.split()[1])
            if cur.get('counter'):
                counters[u] = counters.get(u, 0) + 1
        elif t == 'packet {':
            cur = {}
    print('tracks=%d' % len(names))
    print('instants=%d' % instants)
    for u in sorted(counters):
        print('counter_%s=%d' % (names.get(u, u), counters[u]))


def rewrite(src, dst, fn):
    data = open(src, 'rb').read()
    out = bytearray()
    for hoff, cpu, base, win in windows(data):
        fn(out, cpu, win)
    open(dst, 'wb').write(bytes(out))


def window(cpu, body):
    return struct.pack('<IiI', 0x2001F003, cpu, len(body)) + body


def rec(ev, tsc, words):
    hdr = ev | len(words) << 28 | (1 << 31 if tsc is not None else 0)
    b = struct.pack('<I', hdr)
    if tsc is not None:
        b += struct.pack('<II', tsc & 0xFFFFFFFF, tsc >> 32)
    return b + struct.pack('<%dI' % len(words), *words)


def last_tsc(win):
    i, t = 0, None
    while i < len(win):
        h = struct.unpack_from('<I', win, i)[0]
        if h >> 31:
            t = struct.unpack_from('<Q', win, i + 4)[0]
        i += 4 + 8 * (h >> 31) + 4 * ((h >> 28) & 7)
    return t


def cmd_splice(src, dst):
    """After each window, a window of foreign records on the same CPU,
    stamped with that window's last TSC (so per-CPU order holds)."""
    def fn(out, cpu, win):
        out += window(cpu, win)
        t = last_tsc(win)
        if t is None:
            return
        body = (rec(0x00022003, t, [1, 2]) +        # sched
                rec(0x00081001, t, [3, 4, 5]) +     # hvm
                rec(0x0020F103, t, [6]) +           # pv
                rec(MEM | 0x004, t, [7, 8]) +       # set_p2m_entry
                rec(MEM | 0x011, None, [9]))        # PoD, no TSC
        out += window(cpu, body)
    rewrite(src, dst, fn)


def cmd_lost(src, dst, n):
    data = open(src, 'rb').read()
    wins = list(windows(data))
    mid = len(wins) // 2
    out = bytearray()
    for k, (hoff, cpu, base, win) in enumerate(wins):
        if k == mid:
            t = struct.unpack_from('<Q', win, 4)[0]
            lost = rec(LOST, t, [n, 0 | 1 << 16, (t - 500) & 0xFFFFFFFF,
                                 (t - 500) >> 32])
            out += window(cpu, lost + win)
            print(len(out) - len(win) - len(lost), t - 500, t)
        else:
            out += window(cpu, win)
    open(dst, 'wb').write(bytes(out))


def cmd_swap(src, dst):
    data = open(src, 'rb').read()
    n = len(data) // 4
    words = struct.unpack('<%dI' % n, data[:4 * n])
    open(dst, 'wb').write(struct.pack('>%dI' % n, *words) + data[4 * n:])


def cmd_badaccounting(src, dst):
    data = bytearray(open(src, 'rb').read())
    seen = 0
    for hoff, cpu, base, win in windows(bytes(data)):
        i = 0
        while i < len(win):
            h = struct.unpack_from('<I', win, i)[0]
            size = 4 + 8 * (h >> 31) + 4 * ((h >> 28) & 7)
            if h & 0x0FFFFFFF == MEM | 0x22:
                seen += 1
                if seen == 10:
                    at = base + i + 4 + 8 * (h >> 31) + 4   # delta low word
                    v = struct.unpack_from('<I', data, at)[0]
                    struct.pack_into('<I', data, at, (v + 1) & 0xFFFFFFFF)
                    open(dst, 'wb').write(bytes(data))
                    print(base + i)
                    return
            i += size
    sys.exit('fewer than 10 tot_pages records')


OPTS = {}


def options(args):
    """Pull --from TICKS, --to TICKS, --domains A,B out of args."""
    rest = []
    i = 0
    while i < len(args):
        if args[i] in ('--from', '--to'):
            OPTS[args[i][2:]] = int(args[i + 1])
            i += 2
        elif args[i] == '--domains':
            OPTS['doms'] = set(int(x) for x in args[i + 1].split(','))
            i += 2
        else:
            rest.append(args[i])
            i += 1
    return rest


def ref(path):
    return Ref(path, OPTS.get('from'), OPTS.get('to'), OPTS.get('doms'))


def cmd_ours(what, path):
    """The analyzer's JSON report, in the reference's line formats."""
    import json
    j = json.load(open(path))
    hz = j['trace']['cpu_hz']
    t0 = j['trace']['first_tsc']
    tsc = lambda s: int(round(s * hz)) + t0
    if what == 'lives':
        for d in j['domains']:
            for l in d['claims']:
                print(d['domid'], tsc(l['start_s']), tsc(l['end_s']),
                      l['end'], l['staked'], l['drawn'], l['left'])
    elif what == 'denials':
        rows = [('denied', x) for x in j['denials']] + \
               [('failed', x) for x in j['alloc_failures']]
        rows.sort(key=lambda r: (tsc(r[1]['time_s']), r[1]['offset']))
        for kind, x in rows:
            top = ' '.join('d%d:%d' % (b['domid'], b['claim'])
                           for b in x['blocked_by'])
            print('%s %d %s %d %s %s %s %d %d %s' % (
                kind, tsc(x['time_s']),
                'anon' if x['domid'] is None else x['domid'], x['order'],
                x['free'], x['freeable'], x['outstanding'], x['holders'],
                x['held'], top))
    elif what == 'fails':
        for x in j['refused_stakes']:
            print(tsc(x['time_s']), x['domid'], x['errno'], x['nr_pages'])
    elif what == 'summary':
        t, h, c = j['trace'], j['host'], j['counts']
        print('records=%d' % t['records'])
        print('xenclaim=%d' % t['xenclaim'])
        print('foreign=%d' % t['foreign'])
        for k in CLASSES:
            print('class_%s=%d' % (k, t['foreign_by_class'].get(k, 0)))
        print('other_mem=%d' % t['other_mem'])
        print('lives=%d' % c['claims'])
        print('denials=%d' % c['denials'])
        print('alloc_failures=%d' % c['alloc_failures'])
        print('refused_stakes=%d' % c['refused_stakes'])
        print('lost=%d' % j['state']['lost'])
        if h['lowest_free']:
            print('lowest_free=%d' % h['lowest_free']['pages'])
            print('lowest_free_s=%.9f' % h['lowest_free']['time_s'])
        if h['highest_outstanding']:
            print('highest_outstanding=%d' %
                  h['highest_outstanding']['pages'])
            print('highest_outstanding_s=%.9f' %
                  h['highest_outstanding']['time_s'])
        print('duration_s=%.9f' % t['duration_s'])
    elif what == 'domains':
        print(' '.join(str(d['domid']) for d in j['domains']))


def main():
    cmd, args = sys.argv[1], options(sys.argv[2:])
    if cmd == 'summary':
        cmd_summary(args[0], float(args[1]) if len(args) > 1 else 1e9)
    elif cmd == 'lives':
        cmd_lives(args[0])
    elif cmd == 'denials':
        cmd_denials(args[0])
    elif cmd == 'fails':
        cmd_fails(args[0])
    elif cmd == 'all':
        cmd_all(args[0], args[1], float(args[2]) if len(args) > 2 else 1e9)
    elif cmd == 'changes':
        cmd_changes(args[0])
    elif cmd == 'dip':
        cmd_dip(args[0], args[1], int(args[2]))
    elif cmd == 'perfetto':
        cmd_perfetto(args[0])
    elif cmd == 'ours':
        cmd_ours(args[0], args[1])
    elif cmd == 'splice':
        cmd_splice(args[0], args[1])
    elif cmd == 'lost':
        cmd_lost(args[0], args[1], int(args[2]))
    elif cmd == 'swap':
        cmd_swap(args[0], args[1])
    elif cmd == 'badaccounting':
        cmd_badaccounting(args[0], args[1])
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
