#!/bin/bash
# tests/scripts/tbuf_consumer.sh: xenclaim-xentrace's output, checked (TAP).
#
# The writer (mock/cmd/xenclaim-tbuf-selftest) numbers its records; the
# file is parsed here with od and awk, independently of the C codec:
# windows exact, records intact and in order per CPU, the LOST_RECORDS
# counts equal to what the writer says it dropped, -e filtering, -D, a
# full disk (/dev/full), and xenalyze (when installed) accepting the file.

set -u
cd "$(dirname "$0")/../.."
XT=build/bin/xenclaim-xentrace
WR=build/bin/xenclaim-tbuf-selftest
T=0

ok() { T=$((T + 1)); echo "ok $T - $1"; }
nok() { T=$((T + 1)); echo "not ok $T - $1"; }
# check WHAT EXPECTED SEEN
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: expected $2, got $3"; fi
}
skip() { T=$((T + 1)); echo "ok $T - $1 # SKIP $2"; }

if [ ! -x "$XT" ] || [ ! -x "$WR" ]; then
    echo "1..1"
    echo "not ok 1 - $XT and $WR built: expected executables, got none"
    exit 1
fi

tmp=$(mktemp -d)
area=/dev/shm/xenclaim-tbuf-test-$$
export XENCLAIM_TRACE_AREA=$area
cpid=
cleanup() {
    [ -n "$cpid" ] && kill "$cpid" 2>/dev/null
    rm -rf "$tmp" "$area"
}
trap cleanup EXIT

TSC0=1000000

# The checker, in awk over one u32 per line (od): constants are decimal:
# 536997891 = 0x2001f003 (CPU_CHANGE), 126978 = 0x1f002 (wrap pad),
# 126977 = 0x1f001 and 3221352449 = 0xc001f001 (LOST_RECORDS),
# 192753 = 0x2f0f1 and 1110257 = 0x10f0f1 (the writer's events).
read -r -d '' CHECKER <<'AWK'
function passes(s) { return !(DROP && MIX && s % 3 == 2) }
function advance(s) { s++; while (!passes(s)) s++; return s }
function fail(m) { if (bad == "none") bad = m }
function record(cpu, i, sz, h, tf, nw, ev,    tsc, first, seq, want, k) {
    tsc = tf ? w[i + 1] + w[i + 2] * 4294967296 : -1
    if (ev == 126978) {
        pads++
    } else if (ev == 126977) {
        if (h != 3221352449 || w[i + 4] != 32767 + cpu * 65536)
            fail("LOST_RECORDS header " h " word " w[i + 4])
        first = w[i + 5] + w[i + 6] * 4294967296
        if (first != TSC0 + nxt[cpu])
            fail("cpu " cpu " first_tsc " first \
                 " expected " TSC0 + nxt[cpu])
        lost[cpu] += w[i + 3]
        for (k = 0; k < w[i + 3]; k++)
            nxt[cpu] = advance(nxt[cpu])
    } else {
        seq = tsc - TSC0
        want = (MIX && seq % 3 == 2) ? 192753 : 1110257
        if (!tf || seq != nxt[cpu] || ev != want || nw != seq % 8)
            fail("cpu " cpu " event " ev " words " nw " seq " seq \
                 " expected seq " nxt[cpu])
        for (k = 0; k < nw; k++)
            if (w[i + 3 + k] != cpu * 268435456 + \
                                (seq * 8 + k) % 268435456)
                fail("cpu " cpu " seq " seq " word " k)
        recs[cpu]++
        nxt[cpu] = advance(nxt[cpu])
    }
}
{ w[n++] = $1 + 0 }
END {
    bad = "none"
    for (c = 0; c < NCPU; c++)
        nxt[c] = passes(0) ? 0 : advance(0)
    i = 0
    while (i < n && bad == "none") {
        if (w[i] != 536997891) {
            fail("no CPU_CHANGE at byte " i * 4)
            break
        }
        cpu = w[i + 1]; size = w[i + 2]; i += 3; end = i + size / 4
        if (cpu >= NCPU || size % 4 || end > n) {
            fail("window cpu " cpu " size " size " at byte " i * 4)
            break
        }
        windows++
        while (i < end && bad == "none") {
            h = w[i]; tf = h >= 2147483648; hh = tf ? h - 2147483648 : h
            nw = int(hh / 268435456); sz = 1 + 2 * tf + nw
            if (i + sz > end)
                fail("record across a window end at byte " i * 4)
            else
                record(cpu, i, sz, h, tf, nw, hh % 268435456)
            i += sz
        }
    }
    for (c = 0; c < NCPU; c++) {
        printf "cpu %d records %d lost %d\n", c, recs[c], lost[c]
        tr += recs[c]; tl += lost[c]
    }
    printf "total windows %d pads %d records %d lost %d bytes %d bad %s\n",
        windows, pads, tr, tl, n * 4, bad
}
AWK

# parse FILE NCPU MIX DROP_SCHED: per-CPU and total figures, one per line:
#   cpu C records R lost L
#   total windows W pads P records R lost L bytes B bad MSG
parse() {
    od -An -v -tu4 -w4 "$1" |
        awk -v NCPU="$2" -v MIX="$3" -v DROP="$4" -v TSC0="$TSC0" "$CHECKER"
}

# field FILE KEY PREFIX: the word after KEY on the line starting PREFIX
field() {
    awk -v k="$2" -v p="$3" 'index($0, p) == 1 {
        for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"
}

# bad PARSED: the parser's first complaint, or none
bad() { sed -n 's/^total .* bad //p' "$1"; }

# passing A DROP: how many of seqs 0..A-1 pass the mask (MIX is on)
passing() {
    awk -v A="$1" -v D="$2" 'BEGIN {
        for (s = 0; s < A; s++) if (!(D && s % 3 == 2)) n++; print n + 0 }'
}

# compare_writer TAG WRITER_OUT PARSED DROP: per CPU, file vs writer
compare_writer() {
    local tag=$1 wout=$2 parsed=$3 drop=$4 c a wr dr fi
    for c in 0 1; do
        a=$(field "$wout" attempted "cpu $c ")
        wr=$(field "$wout" written "cpu $c ")
        dr=$(field "$wout" dropped "cpu $c ")
        fi=$(field "$wout" filtered "cpu $c ")
        check "$tag: cpu $c records in the file = records the writer wrote" \
            "$wr" "$(field "$parsed" records "cpu $c ")"
        check "$tag: cpu $c LOST_RECORDS counts = records the writer dropped" \
            "$dr" "$(field "$parsed" lost "cpu $c ")"
        check "$tag: cpu $c records passing the mask (independent count)" \
            "$(passing "$a" "$drop")" "$((wr + dr))"
        check "$tag: cpu $c records filtered by the producer" \
            "$((a - $(passing "$a" "$drop")))" "$fi"
    done
}

echo "1..53"

# ---- 1: all events, small buffers, many drops -------------------------------
rm -f "$area"
$XT -S 1 --cpus 2 -s 5 "$tmp/all.trace" 2>"$tmp/all.err" &
cpid=$!
$WR --cpus 2 --pages 1 --records 30000 --pace 256 --mix \
    >"$tmp/all.out" 2>"$tmp/all.werr"
check "writer exit status" 0 $?
kill -INT "$cpid"; wait "$cpid"; rc=$?; cpid=
check "consumer exits 0 after SIGINT" 0 "$rc"
check "writer saw the enable hook run once" 1 \
    "$(field "$tmp/all.out" enable_hook "area ")"
parse "$tmp/all.trace" 2 1 0 >"$tmp/all.parsed"
check "file framing and records" none "$(bad "$tmp/all.parsed")"
compare_writer "all" "$tmp/all.out" "$tmp/all.parsed" 0
w=$(field "$tmp/all.parsed" windows total)
if [ "$w" -gt 2 ]; then ok "several windows ($w)"
else nok "several windows: expected > 2, got $w"; fi
lost=$(field "$tmp/all.parsed" lost total)
if [ "$lost" -gt 0 ]; then ok "records were lost ($lost)"
else nok "records lost: expected > 0, got $lost"; fi
summary=$(grep ' records, ' "$tmp/all.err")
check "summary: records" "$(field "$tmp/all.parsed" records total) records," \
    "$(echo "$summary" | awk '{ print $2, $3 }')"
check "summary: bytes = file size" "$(stat -c %s "$tmp/all.trace") bytes" \
    "$(echo "$summary" | awk '{ print $4, $5 }')"
check "summary: lost" "$lost records lost" \
    "$(echo "$summary" | sed -n 's/.*; \([0-9]* records lost\)$/\1/p')"
check "nothing else on stderr without -v" 1 "$(wc -l <"$tmp/all.err")"

# ---- 2: -e 0x0010f000 keeps TRC_MEM only ------------------------------------
$XT -e 0x0010f000 -s 5 "$tmp/mem.trace" 2>"$tmp/mem.err" &
cpid=$!
$WR --records 20000 --pace 256 --mix >"$tmp/mem.out"
check "writer exit status (-e)" 0 $?
kill -TERM "$cpid"; wait "$cpid"; rc=$?; cpid=
check "consumer exits 0 after SIGTERM" 0 "$rc"
parse "$tmp/mem.trace" 2 1 1 >"$tmp/mem.parsed"
check "-e: framing, no TRC_SCHED record, order" none "$(bad "$tmp/mem.parsed")"
compare_writer "-e" "$tmp/mem.out" "$tmp/mem.parsed" 1

# ---- 3: xenalyze reads the files --------------------------------------------
if [ -x /usr/bin/xenalyze ]; then
    /usr/bin/xenalyze --dump-all "$tmp/all.trace" >/dev/null 2>&1
    check "xenalyze --dump-all exit status" 0 $?
    /usr/bin/xenalyze --summary "$tmp/all.trace" >/dev/null 2>&1
    check "xenalyze --summary exit status" 0 $?
    /usr/bin/xenalyze --summary "$tmp/mem.trace" >/dev/null 2>&1
    check "xenalyze --summary exit status (-e file)" 0 $?
else
    for t in "--dump-all" "--summary" "--summary (-e file)"; do
        skip "xenalyze $t" "xenalyze not installed (xen-utils-common)"
    done
fi

# ---- 4: a full disk loses nothing -------------------------------------------
$WR --enable --records 100 >"$tmp/full.out"
$XT -T 1 /dev/full 2>"$tmp/full.err"
check "/dev/full: exit status" 1 $?
grep -q 'writing to /dev/full failed: No space left on device' "$tmp/full.err"
check "/dev/full: says why" 0 $?
grep -q 'still in its trace buffer' "$tmp/full.err"
check "/dev/full: says the data is kept" 0 $?
$XT -T 0.2 "$tmp/after.trace" 2>/dev/null
check "consumer after /dev/full: exit status" 0 $?
parse "$tmp/after.trace" 2 0 0 >"$tmp/after.parsed"
check "the records /dev/full refused are still there" \
    "$(($(field "$tmp/full.out" written "cpu 0 ") +
        $(field "$tmp/full.out" written "cpu 1 ")))" \
    "$(field "$tmp/after.parsed" records total)"

# A file size limit cuts the second window: the file keeps whole windows.
$WR --enable --records 100 >"$tmp/fsz.out"
(ulimit -f 4; exec $XT -T 1 "$tmp/fsz.trace") 2>"$tmp/fsz.err"
check "file size limit: exit status" 1 $?
grep -q 'failed: File too large' "$tmp/fsz.err"
check "file size limit: says why" 0 $?
parse "$tmp/fsz.trace" 2 0 0 >"$tmp/fsz.parsed"
check "file size limit: the file holds whole windows" "none 1" \
    "$(bad "$tmp/fsz.parsed") $(field "$tmp/fsz.parsed" windows total)"
$XT -T 0.2 "$tmp/fsz2.trace" 2>/dev/null
parse "$tmp/fsz2.trace" 2 0 0 >"$tmp/fsz2.parsed"
check "file size limit: nothing lost" 200 \
    "$(($(field "$tmp/fsz.parsed" records total) +
        $(field "$tmp/fsz2.parsed" records total)))"

# ---- 5: -D discards the backlog, standard output, -T ------------------------
$WR --enable --records 100 >/dev/null
$XT -D -T 0.2 "$tmp/d.trace" 2>/dev/null
check "-D: exit status" 0 $?
parse "$tmp/d.trace" 2 0 0 >"$tmp/d.parsed"
check "-D: backlog discarded" 0 "$(field "$tmp/d.parsed" records total)"
$WR --enable --records 100 >"$tmp/nod.out"
$XT -T 0.2 - >"$tmp/nod.trace" 2>/dev/null
check "to standard output: exit status" 0 $?
parse "$tmp/nod.trace" 2 0 0 >"$tmp/nod.parsed"
check "without -D: the backlog is written" 200 \
    "$(field "$tmp/nod.parsed" records total)"

# ---- 6: options -------------------------------------------------------------
$XT -S 4 -T 0.1 "$tmp/s.trace" 2>"$tmp/s.err"
check "-S on an existing area: exit status" 0 $?
grep -q 'already exists with 1 pages per CPU: -S 4 ignored' "$tmp/s.err"
check "-S on an existing area: the user is told" 0 $?
$XT -e zzz "$tmp/x" 2>/dev/null
check "bad -e: exit status 2" 2 $?
$XT -c 0-999 "$tmp/x" 2>/dev/null
check "bad -c: exit status 2" 2 $?
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
check "--version" "xenclaim-xentrace $version" "$($XT --version)"
$XT --help | grep -q -- '--evt-mask'
check "--help" 0 $?
$XT -T 0.1 --area /nonexistent-dir/area "$tmp/x" 2>"$tmp/na.err"
check "area in a missing directory: exit status 1" 1 $?
grep -q 'cannot open the trace-buffer area' "$tmp/na.err"
check "area in a missing directory: says so" 0 $?
