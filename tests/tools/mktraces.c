/* mktraces.c: writes the test traces and times the reader. */
/* SPDX-License-Identifier: MIT */
/*
 * mktraces set DIR                 the trace set used by the scripts:
 *                                  all-events, multi-cpu, notsc, lost
 * mktraces bench FILE CPUS N [WB]  N records over CPUS CPUs, windows of
 *                                  at most WB bytes (default 16384)
 * mktraces speed FILE [stream]     read FILE with xct_reader, print
 *                                  records/s (best of 5)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "xct_events.h"
#include "xct_reader.h"
#include "xct_testtrace.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    /* xorshift64*: deterministic across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Queue one record of xenclaim event k (0-7) with pseudo-random values. */
static int add_event(struct xct_tt *t, unsigned int cpu, unsigned int k,
                     uint64_t tsc)
{
    /* 0, -ENOMEM, -EINVAL, -EPERM, -ESRCH, -EBUSY */
    static const int32_t results[] = { 0, -12, -22, -1, -3, -16 };
    uint32_t w[XCT_MAX_WORDS];
    unsigned int n;
    uint32_t ev;

    switch (k) {
    case 0:
        n = xct_enc_CLAIM(w, rnd() % 40, rnd() % 2, results[rnd() % 6],
                          ((uint64_t)rnd() << 8) | rnd() % 256, rnd(),
                          rnd());
        ev = XCT_EV_CLAIM;
        break;
    case 1:
        n = xct_enc_CLAIM_RELEASE(w, rnd() % 40, 1 + rnd() % 3, rnd(),
                                  ((uint64_t)rnd() << 32) | rnd());
        ev = XCT_EV_CLAIM_RELEASE;
        break;
    case 2:
        n = xct_enc_TOT_PAGES(w, rnd() % 40,
                              (int64_t)(int32_t)rnd() * 3, rnd(), rnd(),
                              ((uint64_t)rnd() << 20) | rnd());
        ev = XCT_EV_TOT_PAGES;
        break;
    case 3:
        n = xct_enc_ALLOC_DENIED(w, rnd() % 40, rnd() % 19, rnd() % 2,
                                 rnd());
        ev = XCT_EV_ALLOC_DENIED;
        break;
    case 4:
        n = xct_enc_ALLOC_FAILED(w, XCT_DOMID_ANON, rnd() % 19, 1, rnd());
        ev = XCT_EV_ALLOC_FAILED;
        break;
    case 5:
        n = xct_enc_HEAP(w, rnd() % 10, rnd() % 2 ? XCT_NODE_ALL : rnd() % 4,
                         ((uint64_t)rnd() << 4) | rnd(), rnd(),
                         ((uint64_t)rnd() << 32) | rnd());
        ev = XCT_EV_HEAP;
        break;
    case 6:
        n = xct_enc_DOMAIN(w, rnd() % 40, rnd() % 5, rnd(), rnd(), rnd());
        ev = XCT_EV_DOMAIN;
        break;
    default:
        n = xct_enc_CLAIM_DRAW(w, rnd() % 40, rnd() % 10, rnd(), rnd(),
                               ((uint64_t)rnd() << 32) | rnd());
        ev = XCT_EV_CLAIM_DRAW;
        break;
    }
    return xct_tt_add(t, cpu, ev, 1, tsc, w, n);
}

/* A foreign record: a scheduler-class event with 0-3 words. */
static int add_foreign(struct xct_tt *t, unsigned int cpu, uint64_t tsc,
                       int has_tsc)
{
    uint32_t w[3] = { rnd(), rnd(), rnd() };

    return xct_tt_add(t, cpu, 0x00022000u | (rnd() % 0x20), has_tsc, tsc, w,
                      rnd() % 4);
}

static int finish(struct xct_tt *t, const char *path)
{
    int rc = xct_tt_close(t);

    if (rc < 0)
        fprintf(stderr, "mktraces: %s: %s\n", path, strerror(-rc));
    return rc < 0 ? 1 : 0;
}

static struct xct_tt *open_trace(const char *dir, const char *name,
                                 char *path, size_t len)
{
    struct xct_tt *t;

    snprintf(path, len, "%s/%s", dir, name);
    t = xct_tt_new(path);
    if (!t)
        fprintf(stderr, "mktraces: %s: %s\n", path, strerror(errno));
    return t;
}

static int make_set(const char *dir)
{
    char path[4096];
    struct xct_tt *t;
    uint64_t tsc;
    unsigned int i, k, cpu;
    int bad = 0;

    mkdir(dir, 0777);

    /* Every xenclaim event, in table order, on one CPU, one window. */
    t = open_trace(dir, "all-events.trace", path, sizeof(path));
    if (!t)
        return 1;
    for (k = 0; k < 8; k++)
        add_event(t, 0, k, 1000 + 100 * k);
    xct_tt_drain(t, 0);
    bad |= finish(t, path);

    /* Four CPUs, every event several times, polled in rounds. */
    t = open_trace(dir, "multi-cpu.trace", path, sizeof(path));
    if (!t)
        return 1;
    tsc = 5000;
    for (i = 0; i < 400; i++) {
        cpu = rnd() % 4;
        tsc += 1 + rnd() % 50;
        if (i % 5 == 4)
            add_foreign(t, cpu, tsc, 1);
        else
            add_event(t, cpu, i % 8, tsc);
        if (i % 37 == 36)
            xct_tt_poll(t, tsc - rnd() % 100, 0);
    }
    xct_tt_drain(t, 0);
    bad |= finish(t, path);

    /* Records without a TSC between ones with, on two CPUs. */
    t = open_trace(dir, "notsc.trace", path, sizeof(path));
    if (!t)
        return 1;
    tsc = 70000;
    for (i = 0; i < 60; i++) {
        cpu = i % 2;
        tsc += 3 + rnd() % 30;
        if (i % 3 == 2)
            add_foreign(t, cpu, tsc, 0);
        else
            add_event(t, cpu, i % 8, tsc);
        if (i % 12 == 11)
            xct_tt_poll(t, tsc, 0);
    }
    xct_tt_drain(t, 0);
    bad |= finish(t, path);

    /* Lost records, wrap padding and small windows on two CPUs. */
    t = open_trace(dir, "lost.trace", path, sizeof(path));
    if (!t)
        return 1;
    tsc = 90000;
    for (i = 0; i < 120; i++) {
        cpu = i % 2;
        tsc += 7 + rnd() % 30;
        if (i % 17 == 5)
            xct_tt_add_lost(t, cpu, tsc, 1 + rnd() % 500, 0, cpu,
                            tsc - 1000);
        else if (i % 23 == 11)
            xct_tt_add_wrap(t, cpu, rnd() % 8);
        else
            add_event(t, cpu, rnd() % 8, tsc);
        if (i % 3 == 2)
            xct_tt_poll(t, tsc, 0);
    }
    xct_tt_drain(t, 0);
    bad |= finish(t, path);
    return bad;
}

static int make_bench(const char *path, unsigned int ncpus, uint64_t n,
                      size_t wb)
{
    struct xct_tt *t = xct_tt_new(path);
    uint64_t i, tsc = 1000000;
    unsigned int cpu;

    if (!t || ncpus == 0 || ncpus > 256) {
        fprintf(stderr, "mktraces: %s: %s\n", path,
                t ? "bad CPU count" : strerror(errno));
        xct_tt_free(t);
        return 1;
    }
    for (i = 0; i < n; i++) {
        cpu = (unsigned int)(rnd() % ncpus);
        tsc += 1 + rnd() % 64;
        if (rnd() % 4 == 0)
            add_event(t, cpu, rnd() % 8, tsc);
        else
            add_foreign(t, cpu, tsc, rnd() % 8 != 0);
        if (xct_tt_pending(t, cpu) * 24 >= wb)
            xct_tt_poll(t, tsc, wb);
    }
    xct_tt_drain(t, wb);
    return finish(t, path);
}

static double now(clockid_t clk)
{
    struct timespec ts;

    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int speed(const char *path, int stream)
{
    struct xct_reader_opts o = { stream ? XCT_READER_STREAM : 0, 0 };
    double best = 0, best_cpu = 0;
    uint64_t recs = 0, sum = 0;
    int round;

    for (round = 0; round < 5; round++) {
        double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        struct xct_reader *r = xct_reader_new(path, &o);
        struct xct_record rec;
        enum xct_read_status st;
        double dt, dc;

        if (!r) {
            fprintf(stderr, "mktraces: %s: %s\n", path, strerror(errno));
            return 1;
        }
        recs = 0;
        while ((st = xct_reader_next(r, &rec)) == XCT_READ_OK) {
            recs++;
            sum += rec.tsc ^ rec.event;
        }
        if (st != XCT_READ_END) {
            fprintf(stderr, "mktraces: %s: offset %" PRIu64 ": %s\n", path,
                    xct_reader_offset(r), xct_reader_message(r));
            xct_reader_free(r);
            return 1;
        }
        xct_reader_free(r);
        dt = now(CLOCK_MONOTONIC) - t0;
        dc = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (best == 0 || dt < best)
            best = dt;
        if (best_cpu == 0 || dc < best_cpu)
            best_cpu = dc;
    }
    /* Best of 5, open to free; CPU time is robust on a busy machine. */
    printf("%s: %" PRIu64 " records (%s): %.3f s, %.1f M records/s; "
           "%.3f s CPU, %.1f M records/CPU-s [%" PRIx64 "]\n", path, recs,
           stream ? "stream" : "mmap", best, recs / best / 1e6, best_cpu,
           recs / best_cpu / 1e6, sum & 0xff);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "set") == 0)
        return make_set(argv[2]);
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "bench") == 0)
        return make_bench(argv[2], (unsigned int)atoi(argv[3]),
                          strtoull(argv[4], NULL, 0),
                          argc == 6 ? strtoul(argv[5], NULL, 0) : 16384);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "speed") == 0)
        return speed(argv[2], argc == 4 && strcmp(argv[3], "stream") == 0);
    fprintf(stderr, "usage: mktraces set DIR | bench FILE CPUS N [WB] | "
            "speed FILE [stream]\n");
    return 2;
}
