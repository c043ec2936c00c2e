# bench/run.d/analyze.sh: xenclaim-analyze and reader+replay against xenalyze --summary, 10 vs 65,536 domains, memory on a 1 GiB trace (sourced by bench/run.sh).
#
# Traces from build/bin/xenclaim-gentrace (a valid mix: mostly tot_pages
# and claim_draw, stakes, cancels, heap records, bursts per domain; the
# replay finds no inconsistency), kept in build/bench/analyze and
# rewritten when the generator changes:
#   10M records over 10 domains, 10M records over 65,536 domains, 1 GiB
#   over 65,536 domains.
# Runs are interleaved (xenalyze, analyze, replay on one trace, then the
# other), page cache warm; figures are medians of $AN_REPS (at least 9:
# the runs are short and the machines noisy).  Records per
# second are wall clock; "per CPU second" divides by user + sys time of
# the process (both of xenclaim-analyze's threads count).
#
# The page cache holding a trace is measured in two states, which cost
# mapping (xenclaim-analyze) and reading (xenalyze) differently: "as
# written", the 4 KiB pieces that writes of stdio's default size leave
# (the trace is rewritten so, whatever it was before), and "read back",
# the large folios a read from disk brings (the trace is dropped from the
# cache and read again).  Either way the trace is on disk first (fsync):
# dirty pages being written back during a run slowed the reader thread
# by a fifth (docs/benchmarks.md).
echo "== post-mortem analysis: xenclaim-analyze and reader+replay vs xenalyze --summary"
AN_REPS=$((REPS > 9 ? REPS : 9))
ab=build/bin
adir=build/bench/analyze
mkdir -p "$adir"

# gen FILE ARGS...: write FILE with the generator unless it is up to date
an_gen() {
    local f=$1 meta=$1.meta
    shift
    if [ ! -s "$f" ] || [ ! -s "$meta" ] || [ "$ab/xenclaim-gentrace" -nt "$f" ] ||
       [ "$(head -1 "$meta")" != "$*" ]; then
        "$ab/xenclaim-gentrace" -o "$f" "$@" >"$f.out" || return 1
        { echo "$*"; cat "$f.out"; } >"$meta"
    fi
    grep -o 'records=[0-9]*' "$meta" | cut -d= -f2
}

# an_time OUT_PREFIX CMD...: append wall and CPU (user + sys) seconds
# to OUT_PREFIX.wall and OUT_PREFIX.cpu (bash's time, in ms).  Parsed
# by the shell itself: a process started between two timed runs (awk
# did) was measured to slow the next two-threaded run by 4-7%, and left
# single-threaded xenalyze alone.
an_time() {
    local out=$1 TIMEFORMAT='%3R %3U %3S' w u s
    shift
    { time "$@" >/dev/null 2>&1; } 2>"$adir/time.tmp"
    read -r w u s <"$adir/time.tmp"
    echo "$w" >>"$out.wall"
    echo "$u $s" >>"$out.cpu.raw"
}

# an_cache written|readback FILE...: put FILEs' page cache in a state
# (see above): rewritten with writes of a tracer's size, or dropped
# and read again from the disk.
an_cache() {
    python3 - "$@" <<'PY'
import os, sys
state = sys.argv[1]
for path in sys.argv[2:]:
    if state == "written":
        tmp = path + ".tmp"
        with open(path, "rb") as src, open(tmp, "wb", buffering=0) as dst:
            while True:
                b = src.read(4096)
                if not b:
                    break
                dst.write(b)
        os.replace(tmp, path)
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    if state == "readback":
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    while os.read(fd, 1 << 20):
        pass
    os.close(fd)
PY
}

# an_hwm CMD...: the peak resident size (VmHWM) of CMD, in MiB
an_hwm() {
    python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("%.1f" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))' "$@"
}

an_ok=1
for p in "$ab/xenclaim-analyze" "$ab/xenclaim-gentrace" "$ab/xenclaim-replay-bench"; do
    [ -x "$p" ] || { echo "  missing $p: run make"; an_ok=0; }
done
[ -x /usr/bin/xenalyze ] || { echo "  missing /usr/bin/xenalyze (xen-utils-common)"; an_ok=0; }
if [ "$an_ok" = 1 ]; then
    n10=$(an_gen "$adir/r10.trace" --records 10M --domains 10)
    n64=$(an_gen "$adir/r64k.trace" --records 10M --domains 65536)
    n1g=$(an_gen "$adir/g1.trace" --bytes 1G --domains 65536)
    an_cache written "$adir/r10.trace" "$adir/r64k.trace"
    rm -f "$adir"/*.wall "$adir"/*.cpu "$adir"/*.cpu.raw
    for i in $(seq "$AN_REPS"); do
        an_time "$adir/x10" /usr/bin/xenalyze --summary "$adir/r10.trace"
        an_time "$adir/a10" "$ab/xenclaim-analyze" --quiet "$adir/r10.trace"
        an_time "$adir/p10" "$ab/xenclaim-replay-bench" "$adir/r10.trace"
        an_time "$adir/a64" "$ab/xenclaim-analyze" --quiet "$adir/r64k.trace"
        an_time "$adir/p64" "$ab/xenclaim-replay-bench" "$adir/r64k.trace"
        an_time "$adir/t10" "$ab/xenclaim-replay-bench" --threads 2 "$adir/r10.trace"
        an_time "$adir/t64" "$ab/xenclaim-replay-bench" --threads 2 "$adir/r64k.trace"
    done
    an_cache readback "$adir/r10.trace" "$adir/r64k.trace"
    for i in $(seq "$AN_REPS"); do
        an_time "$adir/rx10" /usr/bin/xenalyze --summary "$adir/r10.trace"
        an_time "$adir/ra10" "$ab/xenclaim-analyze" --quiet "$adir/r10.trace"
        an_time "$adir/ra64" "$ab/xenclaim-analyze" --quiet "$adir/r64k.trace"
    done
    for f in "$adir"/*.cpu.raw; do
        awk '{ print $1 + $2 }' "$f" >"${f%.raw}"
    done
    # records per second from the median time
    an_rate() { awk -v n="$1" -v t="$(median <"$2")" 'BEGIN { printf "%.2f", (t > 0) ? n / t / 1e6 : 0 }'; }
    x10=$(an_rate "$n10" "$adir/x10.wall")
    a10=$(an_rate "$n10" "$adir/a10.wall")
    p10=$(an_rate "$n10" "$adir/p10.wall")
    a64=$(an_rate "$n64" "$adir/a64.wall")
    p64=$(an_rate "$n64" "$adir/p64.wall")
    rx10=$(an_rate "$n10" "$adir/rx10.wall")
    ra10=$(an_rate "$n10" "$adir/ra10.wall")
    ra64=$(an_rate "$n64" "$adir/ra64.wall")
    echo "  page cache as written (4 KiB pieces):"
    report "analyze, 10M records, 10 domains" "$a10" "Mrec/s" "xenalyze --summary" "$x10" ">= 2.00"
    report "analyze, 10M records, 65,536 domains" "$a64" "Mrec/s" "analyze, 10 domains" "$a10" ">= 0.67"
    echo "  page cache read back from disk (large folios):"
    report "analyze, 10M records, 10 domains" "$ra10" "Mrec/s" "xenalyze --summary" "$rx10" ">= 2.00"
    report "analyze, 10M records, 65,536 domains" "$ra64" "Mrec/s" "analyze, 10 domains" "$ra10" ">= 0.67"
    echo "  underneath, libxctrace's reader and replay alone (as written):"
    report "reader+replay, 10M records, 10 domains" "$p10" "Mrec/s" "xenalyze --summary" "$x10" "(information)"
    report "reader+replay, 65,536 domains" "$p64" "Mrec/s" "reader+replay, 10 domains" "$p10" "(information)"
    t10=$(an_rate "$n10" "$adir/t10.wall")
    t64=$(an_rate "$n64" "$adir/t64.wall")
    report "reader+replay pipelined (2 threads), 10 dom" "$t10" "Mrec/s" "xenalyze --summary" "$x10" "(information)"
    report "reader+replay pipelined, 65,536 domains" "$t64" "Mrec/s" "pipelined, 10 domains" "$t10" "(information)"
    report "analyze, records per CPU second" "$(an_rate "$n10" "$adir/a10.cpu")" "Mrec/s" \
        "xenalyze --summary, per CPU s" "$(an_rate "$n10" "$adir/x10.cpu")" "(information)"
    report "reader+replay, records per CPU second" "$(an_rate "$n10" "$adir/p10.cpu")" "Mrec/s" \
        "xenalyze --summary, per CPU s" "$(an_rate "$n10" "$adir/x10.cpu")" "(information)"

    # Memory: the peak resident size (VmHWM), file pages included.
    size=$(stat -c %s "$adir/g1.trace")
    report "analyze VmHWM, $((size >> 20)) MiB trace ($n1g records)" \
        "$(an_hwm "$ab/xenclaim-analyze" --quiet "$adir/g1.trace")" "MiB" "limit" 64 "<= 1.00"
    report "analyze VmHWM, same, one thread" \
        "$(an_hwm "$ab/xenclaim-analyze" --quiet --single-thread "$adir/g1.trace")" "MiB" "limit" 64 "<= 1.00"
fi
