#!/bin/bash
# tests/scripts/realxen_consumers.sh: xenclaimtop and xenclaim-exporter on a real Xen 4.17 host agree with xl and libxenctrl; TAP.
#
# Reads build/realxen/consumers/ (written in dom0 by
# tests/realxen/parts/consumers.sh during realxen_0_session.sh).  At each
# moment (idle, a claim held, a guest caught while xl builds it with
# claim_mode=1, the guest built, all gone) where the host stood still
# from the first xcprobe snapshot to the last, it checks:
#   - xl info: outstanding_claims = floor(outstanding / 256) MiB and
#     free_memory = floor((free - outstanding) / 256) MiB;
#   - xl claims: per domain Claimed = floor(claim / 256) and Mem =
#     floor((tot + claim) / 256);
#   - xenclaimtop --xenctrl --json -u pages: free, outstanding, total and
#     every domain's tot, max and claim equal to the snapshot's pages;
#   - the exporter's /metrics: the same in bytes;
# and, from the parameters consumers.sh used (not from what the programs
# print), the held claim is TARGET - POPULATE pages, the guest caught
# building has a claim, the built guest has 128 MiB and no claim.
# A program missing from the payload gives a skip naming it.
set -u
cd "$(dirname "$0")/../.."
. tests/realxen/qemu/results.sh
realxen_results_or_exit
C=$RX/consumers
if [ ! -d "$C" ]; then
    echo "not ok 1 - consumers part: expected $C/, got none (part missing from the payload?)"
    echo "1..1"
    exit 0
fi

python3 - "$C" <<'PY'
import json, os, re, sys

C = sys.argv[1]
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
def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default

missing = (read(os.path.join(C, 'missing'), '') or '').split()

def snap(path):
    """host dict and {domid: dict} from xcprobe snap output."""
    host, doms = None, {}
    for line in (read(path, '') or '').splitlines():
        f = line.split()
        kv = {k: int(v) for k, v in (x.split('=') for x in f[1 if f[0] == 'host' else 2:])}
        if f[0] == 'host':
            host = kv
        elif f[0] == 'dom':
            doms[int(f[1])] = kv
    return host, doms

def xl_info(path):
    out = {}
    for line in (read(path, '') or '').splitlines():
        m = re.match(r'(\w+)\s*:\s*(\S+)', line)
        if m:
            out[m.group(1)] = m.group(2)
    return out

def xl_claims(path):
    """{id: (mem, claimed)} from xl claims (columns from the right)."""
    rows = {}
    for line in (read(path, '') or '').splitlines()[1:]:
        f = line.split()
        if len(f) >= 7:
            rows[int(f[-6])] = (int(f[-5]), int(f[-1]))
    return rows

def metrics(path):
    out = {}
    for line in (read(path, '') or '').splitlines():
        if not line or line[0] == '#':
            continue
        m = re.match(r'([a-z_]+)(\{[^}]*\})?\s+(\S+)$', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ''))
        out[(m.group(1), labels.get('domid'))] = float(m.group(3))
    return out

def check_moment(name):
    d = os.path.join(C, name)
    if not os.path.isdir(d):
        tap(False, '%s: recorded' % name, 'expected %s/, got none' % d)
        return None
    before, after = snap(d + '/snap-before.txt'), snap(d + '/snap-after.txt')
    if before[0] is None:
        tap(False, '%s: xcprobe snap' % name, 'expected a host line, got none')
        return None
    stable = os.path.exists(d + '/stable') and before == after
    tap(stable, '%s: the host stood still during the moment' % name,
        'expected equal snapshots before and after, got %s then %s' %
        (before[0], after[0]))
    if not stable:
        return None
    host, doms = before
    free, out, total = host['free'], host['outstanding'], host['total']

    info = xl_info(d + '/xl-info.txt')
    want = (out // 256, (free - out) // 256)
    seen = (int(info.get('outstanding_claims', -1)),
            int(info.get('free_memory', -1)))
    tap(seen == want, '%s: xl info outstanding_claims, free_memory (MiB) '
        'from %d outstanding, %d free pages' % (name, out, free),
        'expected %s, got %s' % (want, seen))
    rows = xl_claims(d + '/xl-claims.txt')
    want = {i: ((v['tot'] + v['claim']) // 256, v['claim'] // 256)
            for i, v in doms.items()}
    tap(rows == want, '%s: xl claims Mem and Claimed of %d domains' %
        (name, len(doms)), 'expected %s, got %s' % (want, rows))

    if 'xenclaimtop' in missing:
        skip('%s: xenclaimtop --xenctrl' % name,
             'xenclaimtop missing (build/bin/xenclaimtop not built)')
    else:
        rc = (read(d + '/top.rc', '') or '').strip()
        try:
            fr = json.loads((read(d + '/top.json', '') or '').splitlines()[0])
        except (ValueError, IndexError) as e:
            fr = None
            tap(False, '%s: xenclaimtop --xenctrl -b -i 1 --json' % name,
                'expected a JSON frame (exit %s), got %s: %s' %
                (rc, e, (read(d + '/top.err', '') or '')[:200]))
        if fr is not None:
            h = fr['host']
            want = (free, out, total, 'UP')
            seen = (h.get('free_pages'), h.get('outstanding_pages'),
                    h.get('total_pages'), fr.get('state'))
            tap(seen == want and rc == '0',
                '%s: xenclaimtop host free, outstanding, total pages' % name,
                'expected %s and exit 0, got %s and exit %s' % (want, seen, rc))
            tdoms = {x['domid']: {'tot': x['tot_pages'], 'max': x['max_pages'],
                                  'claim': x['claim_pages']}
                     for x in fr.get('domains', [])}
            want = {i: {k: v[k] for k in ('tot', 'max', 'claim')}
                    for i, v in doms.items()}
            tap(tdoms == want, '%s: xenclaimtop tot, max, claim of %d '
                'domains' % (name, len(doms)),
                'expected %s, got %s' % (want, tdoms))

    if 'xenclaim-exporter' in missing:
        skip('%s: xenclaim-exporter --xenctrl' % name,
             'xenclaim-exporter missing (build/bin/xenclaim-exporter not built)')
    else:
        m = metrics(d + '/metrics.txt')
        want = (1, free * 4096, out * 4096, total * 4096)
        seen = (m.get(('xenclaim_source_up', None)),
                m.get(('xenclaim_host_free_bytes', None)),
                m.get(('xenclaim_host_claims_outstanding_bytes', None)),
                m.get(('xenclaim_host_total_bytes', None)))
        tap(seen == want, '%s: exporter up, host free, outstanding, total '
            'bytes' % name, 'expected %s, got %s' % (want, seen))
        want = {i: (v['tot'] * 4096, v['claim'] * 4096)
                for i, v in doms.items()}
        seen = {}
        for (k, dom), v in m.items():
            if dom is None:
                continue
            if k == 'xenclaim_domain_tot_bytes':
                seen.setdefault(int(dom), [None, None])[0] = v
            elif k == 'xenclaim_domain_claim_outstanding_bytes':
                seen.setdefault(int(dom), [None, None])[1] = v
        seen = {i: tuple(v) for i, v in seen.items()}
        tap(seen == want, '%s: exporter tot and claim bytes of %d domains' %
            (name, len(doms)), 'expected %s, got %s' % (want, seen))
    return host, doms

# Independent expectations, from consumers.sh's own parameters.
args = (read(os.path.join(C, 'hold-args'), '') or '').split()
hold = [int(x) for x in args] if len(args) == 3 else None
held_claim = hold[2] - hold[1] if hold else None
mhold = re.search(r'held domid=(\d+)', read(os.path.join(C, 'hold.txt'), '') or '')
hdom = int(mhold.group(1)) if mhold else None
tap(hold is not None and hdom is not None, 'xcprobe held a claim',
    'expected hold-args and a "held" line, got %s, %s' % (args, hdom))

res = {}
for name in ('1-idle', '2-held', '3-building', '4-built', '5-after'):
    if name == '3-building' and not os.path.isdir(os.path.join(C, name)):
        tap(False, 'a guest caught while xl create builds it with a claim',
            'expected a claim seen during the build, got: %s' %
            (read(os.path.join(C, 'catch.txt'), '') or '').strip())
        continue
    res[name] = check_moment(name)

def outstanding(name):
    return res[name][0]['outstanding'] if res.get(name) else None
if res.get('1-idle'):
    tap(outstanding('1-idle') == 0, 'idle: no outstanding claim',
        'expected 0, got %s' % outstanding('1-idle'))
if res.get('2-held') and hold:
    c = res['2-held'][1].get(hdom, {}).get('claim')
    tap(c == held_claim and outstanding('2-held') == held_claim,
        'held: the domain claims TARGET - POPULATE = %d pages, all the '
        'host has outstanding' % held_claim,
        'expected %d and %d, got %s and %s' %
        (held_claim, held_claim, c, outstanding('2-held')))
if res.get('3-building') and hold:
    doms = res['3-building'][1]
    g = {i: v for i, v in doms.items() if i not in (0, hdom)}
    gc = sum(v['claim'] for v in g.values())
    tap(len(g) == 1 and gc > 0 and
        outstanding('3-building') == held_claim + gc,
        'building: the guest has a claim (xl claim_mode=1) on top of the '
        'held one', 'expected one guest with a claim and %d + its claim '
        'outstanding, got %s, outstanding %s' %
        (held_claim, g, outstanding('3-building')))
if res.get('4-built') and hold:
    doms = res['4-built'][1]
    g = {i: v for i, v in doms.items() if i not in (0, hdom)}
    tap(len(g) == 1 and all(v['claim'] == 0 and v['tot'] == 128 * 256
                            for v in g.values()) and
        outstanding('4-built') == held_claim,
        'built: the 128 MiB guest has its pages and no claim left',
        'expected tot %d claim 0, outstanding %d, got %s, outstanding %s' %
        (128 * 256, held_claim, g, outstanding('4-built')))
if res.get('5-after'):
    doms = res['5-after'][1]
    tap(outstanding('5-after') == 0 and list(doms) == [0],
        'after: no claim, only dom0 left',
        'expected outstanding 0 and [0], got %s and %s' %
        (outstanding('5-after'), list(doms)))
create_rc = (read(os.path.join(C, 'create.rc'), '') or '').strip()
tap(create_rc == '0', 'xl create -p with claim_mode=1 succeeded',
    'expected exit 0, got %r: %s' % (create_rc,
    (read(os.path.join(C, 'create.log'), '') or '')[-300:]))

# xenclaimtop's batch mode over the held claim and the build.
if 'xenclaimtop' in missing:
    skip('xenclaimtop -b -i 40 -d 0.5 --xenctrl', 'xenclaimtop missing')
else:
    lines = (read(os.path.join(C, 'top-batch.json'), '') or '').splitlines()
    rc = (read(os.path.join(C, 'top-batch.rc'), '') or '').strip()
    frames = []
    for line in lines:
        try:
            frames.append(json.loads(line))
        except ValueError:
            pass
    tap(rc == '0' and len(frames) == 40 and len(lines) == 40 and
        all(f.get('state') == 'UP' for f in frames),
        'xenclaimtop -b -i 40 -d 0.5: 40 JSON frames, source up, exit 0',
        'expected 40 frames and exit 0, got %d frames of %d lines, exit %r'
        % (len(frames), len(lines), rc))
    seen = [f for f in frames if any(
        x['domid'] == hdom and x['claim_pages'] == held_claim
        for x in f.get('domains', []))]
    tap(bool(seen) and all(f['host']['outstanding_pages'] >= held_claim
                           for f in seen),
        'xenclaimtop frames show the held claim of %s pages' % held_claim,
        'expected some frames with d%s claiming %s, got %d' %
        (hdom, held_claim, len(seen)))
    walls = [f.get('wall_time_s', 0) for f in frames]
    tap(all(b > a for a, b in zip(walls, walls[1:])),
        'xenclaimtop frames in time order',
        'expected increasing wall_time_s, got %s' % walls[:10])
print('1..%d' % n)
PY
