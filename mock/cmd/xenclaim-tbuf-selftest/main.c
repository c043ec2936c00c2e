/* main.c: xenclaim-tbuf-selftest: test writer and benchmark of tbuf. */
/* SPDX-License-Identifier: MIT */
/*
 * Not installed for users' sake but built with the mock: the script
 * tests/scripts/tbuf_consumer.sh drives xenclaim-xentrace with it.
 *
 * Record seq of CPU c (seq = 0, 1, 2, ...), which the checker recomputes:
 *   event   0x0002f0f1 (TRC_SCHED class) when --mix and seq % 3 == 2,
 *           else 0x0010f0f1 (TRC_MEM class)
 *   tsc     XTB_ST_TSC0 + seq
 *   words   seq % 8 of them; word i = c * 2^28 + (seq * 8 + i) mod 2^28
 *
 * Each CPU's thread writes as fast as it can until it has made --records
 * attempts and no dropped record remains unreported (it then keeps
 * writing, 1 ms apart, until one fits and carries the LOST_RECORDS
 * record out).  It prints per CPU on standard output:
 *   cpu C attempted A written W dropped D filtered F
 * where A counts every call of xtb_write() (A = W + D + F).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tbuf/tbuf.h"

#define PROG        "xenclaim-tbuf-selftest"
#define XTB_ST_TSC0 1000000ull
#define EV_MEM      0x0010f0f1u
#define EV_SCHED    0x0002f0f1u

struct opts {
    const char *area;
    unsigned int cpus, pages;
    uint64_t records;
    unsigned int pace;
    int mix;
    int enable;
    double wait;
    uint64_t bench;
};

struct worker {
    pthread_t tid;
    struct xtb_area *a;
    const struct opts *o;
    unsigned int cpu;
    uint64_t attempted, written, dropped, filtered;
    int failed;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep ms milliseconds; 0: 100 us. */
static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms ? (ms % 1000) * 1000000L : 100000L };

    nanosleep(&ts, NULL);
}

static unsigned int make_record(unsigned int cpu, uint64_t seq, int mix,
                                uint32_t *event, uint32_t *words)
{
    unsigned int i, n = (unsigned int)(seq % 8);

    *event = (mix && seq % 3 == 2) ? EV_SCHED : EV_MEM;
    for (i = 0; i < n; i++)
        words[i] = ((uint32_t)cpu << 28) |
                   (uint32_t)((seq * 8 + i) & 0x0fffffffu);
    return n;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct xtb_cpu_stats st;
    double deadline = 0;
    uint32_t words[7], event;
    unsigned int n;
    uint64_t seq;
    int rc;

    for (seq = 0;; seq++) {
        n = make_record(w->cpu, seq, w->o->mix, &event, words);
        rc = xtb_write(w->a, w->cpu, event, XTB_ST_TSC0 + seq, n, words);
        w->attempted++;
        if (rc == 1)
            w->written++;
        else if (rc == 0)
            w->filtered++;
        else if (rc == -ENOSPC)
            w->dropped++;
        else {
            fprintf(stderr, PROG ": cpu %u: xtb_write: %s\n", w->cpu,
                    strerror(-rc));
            w->failed = 1;
            return NULL;
        }
        if (w->o->pace && seq % w->o->pace == w->o->pace - 1)
            pause_ms(0);
        if (seq + 1 < w->o->records)
            continue;
        /* Done once no drop is left unreported: we are its only writer. */
        xtb_stats(w->a, w->cpu, &st);
        if (!st.lost_pending)
            break;
        if (!deadline)
            deadline = now() + w->o->wait;
        if (now() > deadline) {
            fprintf(stderr, PROG ": cpu %u: no room for a record after "
                    "%.1f s: is a consumer running?\n", w->cpu, w->o->wait);
            w->failed = 1;
            return NULL;
        }
        pause_ms(1);
    }
    return NULL;
}

static void enable_hook(struct xtb_area *a, void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
}

static int run_writers(const struct opts *o)
{
    static _Atomic int hook_runs;
    struct worker *w;
    struct xtb_area *a;
    double deadline;
    unsigned int cpu;
    int created, status = 0;

    a = xtb_open(o->area, o->cpus, o->pages, 0, &created);
    if (!a) {
        fprintf(stderr, PROG ": %s: %s\n", o->area, strerror(errno));
        return 1;
    }
    xtb_set_enable_hook(a, enable_hook, &hook_runs);
    if (o->enable)
        xtb_enable(a);
    deadline = now() + o->wait;
    while (xtb_service(a, 50) == 0 && !xtb_enabled(a)) {
        if (now() > deadline) {
            fprintf(stderr, PROG ": tracing not enabled after %.1f s\n",
                    o->wait);
            xtb_close(a);
            return 1;
        }
    }
    printf("area %s cpus %u pages %u enable_hook %d\n",
           created ? "created" : "attached", xtb_ncpus(a), xtb_pages(a),
           atomic_load(&hook_runs));

    w = calloc(xtb_ncpus(a), sizeof(*w));
    if (!w) {
        xtb_close(a);
        return 1;
    }
    for (cpu = 0; cpu < xtb_ncpus(a); cpu++) {
        w[cpu].a = a;
        w[cpu].o = o;
        w[cpu].cpu = cpu;
        if (pthread_create(&w[cpu].tid, NULL, worker_main, &w[cpu])) {
            fprintf(stderr, PROG ": cannot start a thread\n");
            exit(1);
        }
    }
    for (cpu = 0; cpu < xtb_ncpus(a); cpu++) {
        pthread_join(w[cpu].tid, NULL);
        printf("cpu %u attempted %" PRIu64 " written %" PRIu64 " dropped %"
               PRIu64 " filtered %" PRIu64 "\n", cpu, w[cpu].attempted,
               w[cpu].written, w[cpu].dropped, w[cpu].filtered);
        if (w[cpu].failed)
            status = 3;
    }
    free(w);
    xtb_close(a);
    return status;
}

/* ---- benchmark ---------------------------------------------------------- */

static int count_window(void *arg, unsigned int cpu, const struct iovec *iov,
                        int iovcnt, size_t bytes)
{
    *(uint64_t *)arg += bytes;
    return 0;
}

struct bench_ctx {
    struct xtb_area *a;
    uint64_t n, dropped;
    _Atomic int done;
    double ns;
};

static void *bench_producer(void *arg)
{
    struct bench_ctx *b = arg;
    uint32_t words[4] = { 1, 2, 3, 4 };
    double t0 = now();
    uint64_t i;

    for (i = 0; i < b->n; i++)
        if (xtb_write(b->a, 0, EV_MEM, i, 4, words) == -ENOSPC)
            b->dropped++;
    b->ns = (now() - t0) * 1e9 / (double)b->n;
    atomic_store_explicit(&b->done, 1, memory_order_release);
    return NULL;
}

static int run_bench(const struct opts *o)
{
    uint32_t words[4] = { 1, 2, 3, 4 };
    struct bench_ctx b;
    struct xtb_area *a;
    uint64_t i, done = 0, per_fill, bytes = 0;
    double t, t_write = 0, t_drop, t_filter;
    pthread_t tid;

    a = xtb_create(NULL, 1, o->pages, 0);
    if (!a) {
        fprintf(stderr, PROG ": %s\n", strerror(errno));
        return 1;
    }
    xtb_enable(a);
    /* 28-byte records into an emptied ring: the cost of a write. */
    per_fill = xtb_data_size(a) / 28 - 1;
    while (done < o->bench) {
        uint64_t k = per_fill < o->bench - done ? per_fill : o->bench - done;

        t = now();
        for (i = 0; i < k; i++)
            xtb_write(a, 0, EV_MEM, done + i, 4, words);
        t_write += now() - t;
        done += k;
        xtb_discard(a, 0);
    }
    /* A full ring: the cost of a drop. */
    while (xtb_write(a, 0, EV_MEM, 0, 4, words) == 1)
        ;
    t = now();
    for (i = 0; i < o->bench; i++)
        xtb_write(a, 0, EV_MEM, i, 4, words);
    t_drop = now() - t;
    xtb_discard(a, 0);
    /* Masked out: the cost of the filter. */
    xtb_set_evt_mask(a, 0x0002f000);
    t = now();
    for (i = 0; i < o->bench; i++)
        xtb_write(a, 0, EV_MEM, i, 4, words);
    t_filter = now() - t;
    xtb_set_evt_mask(a, XTB_EVT_MASK_ALL);

    printf("bench: %" PRIu64 " records of 28 bytes, %u-page ring\n",
           o->bench, o->pages);
    printf("bench: write %.1f ns/record, drop (ring full) %.1f ns/record,"
           " filtered %.1f ns/record\n", t_write * 1e9 / (double)o->bench,
           t_drop * 1e9 / (double)o->bench,
           t_filter * 1e9 / (double)o->bench);

    /* With a consumer draining on another thread. */
    memset(&b, 0, sizeof(b));
    b.a = a;
    b.n = o->bench;
    if (pthread_create(&tid, NULL, bench_producer, &b))
        return 1;
    while (!atomic_load_explicit(&b.done, memory_order_acquire))
        if (xtb_consume(a, 0, count_window, &bytes) == 0)
            sched_yield();
    pthread_join(tid, NULL);
    xtb_consume(a, 0, count_window, &bytes);
    printf("bench: write %.1f ns/record with a consumer draining on another"
           " thread (%" PRIu64 " dropped)\n", b.ns, b.dropped);
    xtb_close(a);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: " PROG " [OPTION]...\n"
"Test helper: write numbered records into every CPU's trace buffer of the\n"
"area (created when missing) once tracing is enabled, one thread per CPU.\n"
"\n"
"  --area=PATH      the area (default $%s, else %s)\n"
"  --cpus=N         CPUs when creating the area (default 2)\n"
"  --pages=P        pages per CPU when creating the area (default 1)\n"
"  --records=N      attempts per CPU at least (default 10000)\n"
"  --mix            every third record of class TRC_SCHED, not TRC_MEM\n"
"  --pace=N         pause 100 us after every N records (default: never)\n"
"  --enable         enable tracing instead of waiting for a consumer\n"
"  --wait=SECS      how long to wait for tracing or room (default 10)\n"
"  --bench=N        measure xtb_write() over N records and exit\n",
            XTB_PATH_ENV, XTB_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "area",    required_argument, NULL, 'a' },
        { "cpus",    required_argument, NULL, 'c' },
        { "pages",   required_argument, NULL, 'p' },
        { "records", required_argument, NULL, 'n' },
        { "mix",     no_argument,       NULL, 'm' },
        { "pace",    required_argument, NULL, 'P' },
        { "enable",  no_argument,       NULL, 'e' },
        { "wait",    required_argument, NULL, 'w' },
        { "bench",   required_argument, NULL, 'b' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    struct opts o;
    int c;

    memset(&o, 0, sizeof(o));
    o.area = getenv(XTB_PATH_ENV);
    if (!o.area || !*o.area)
        o.area = XTB_DEFAULT_PATH;
    o.cpus = 2;
    o.pages = 1;
    o.records = 10000;
    o.wait = 10;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': o.area = optarg; break;
        case 'c': o.cpus = (unsigned int)strtoul(optarg, NULL, 0); break;
        case 'p': o.pages = (unsigned int)strtoul(optarg, NULL, 0); break;
        case 'n': o.records = strtoull(optarg, NULL, 0); break;
        case 'm': o.mix = 1; break;
        case 'P': o.pace = (unsigned int)strtoul(optarg, NULL, 0); break;
        case 'e': o.enable = 1; break;
        case 'w': o.wait = strtod(optarg, NULL); break;
        case 'b': o.bench = strtoull(optarg, NULL, 0); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (o.bench)
        return run_bench(&o);
    return run_writers(&o);
}
