/* xenclaim-replay-bench.c: times the trace reader plus the replay. */
/* SPDX-License-Identifier: MIT */
/*
 * xenclaim-replay-bench FILE
 *
 * Reads FILE with xct_reader (which maps it) and feeds every record to
 * xct_replay with no callback, as the core issue's benchmark asks
 * ("reader plus replay against xenalyze --summary").  Prints
 * "records=N seconds=S rate=R issues=I" (rate in records per second,
 * wall clock, the file's pages already cached).  Exit 1 on a bad trace.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xct_reader.h"
#include "xct_replay.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define BATCH 4096
#define SLOTS 8

struct slot {
    struct xct_record recs[BATCH];
    uint64_t offs[BATCH];
    size_t n;
};

static void feed(struct xct_replay *rp, const struct slot *sl)
{
    size_t i;

    for (i = 0; i < sl->n; i++)
        xct_replay_feed(rp, &sl->recs[i], sl->offs[i]);
}

/* Reader and replay in one thread, a batch at a time. */
static uint64_t replay_batched(struct xct_reader *rd, struct xct_replay *rp,
                               enum xct_read_status *end)
{
    struct slot *sl = malloc(sizeof(*sl));
    enum xct_read_status st;
    uint64_t n = 0;

    if (!sl) {
        *end = XCT_READ_ERROR;
        return 0;
    }
    while ((st = xct_reader_next_batch(rd, sl->recs, sl->offs, BATCH,
                                       &sl->n)) == XCT_READ_OK) {
        feed(rp, sl);
        n += sl->n;
    }
    *end = st;
    free(sl);
    return n;
}

/*
 * --threads 2: the reader runs in a thread of its own and hands batches
 * to the replay through a single-producer, single-consumer ring of slots.
 */
static struct {
    struct slot *slots;
    _Atomic uint64_t head, tail;    /* written by reader / by replay */
    struct xct_reader *rd;
    enum xct_read_status end;
} ring;

static void *reader_thread(void *arg)
{
    enum xct_read_status st;
    struct slot *sl;
    uint64_t h;

    (void)arg;
    for (;;) {
        h = atomic_load_explicit(&ring.head, memory_order_relaxed);
        /* Pairs with the release of tail in replay_pipelined(). */
        while (h - atomic_load_explicit(&ring.tail, memory_order_acquire) >=
               SLOTS)
            sched_yield();
        sl = &ring.slots[h % SLOTS];
        st = xct_reader_next_batch(ring.rd, sl->recs, sl->offs, BATCH,
                                   &sl->n);
        if (st != XCT_READ_OK) {
            ring.end = st;
            sl->n = 0;
        }
        /* Pairs with the acquire of head in replay_pipelined(). */
        atomic_store_explicit(&ring.head, h + 1, memory_order_release);
        if (st != XCT_READ_OK)
            return NULL;
    }
}

static uint64_t replay_pipelined(struct xct_reader *rd, struct xct_replay *rp,
                                 enum xct_read_status *end)
{
    pthread_t tid;
    struct slot *sl;
    uint64_t t, n = 0;

    *end = XCT_READ_ERROR;
    ring.slots = calloc(SLOTS, sizeof(*ring.slots));
    if (!ring.slots)
        return 0;
    ring.rd = rd;
    if (pthread_create(&tid, NULL, reader_thread, NULL)) {
        free(ring.slots);
        return 0;
    }
    for (t = 0;; t++) {
        while (atomic_load_explicit(&ring.head, memory_order_acquire) == t)
            sched_yield();
        sl = &ring.slots[t % SLOTS];
        if (!sl->n)
            break;
        feed(rp, sl);
        n += sl->n;
        atomic_store_explicit(&ring.tail, t + 1, memory_order_release);
    }
    pthread_join(tid, NULL);
    *end = ring.end;
    free(ring.slots);
    return n;
}

int main(int argc, char **argv)
{
    int threads = 1;
    struct xct_reader *rd;
    struct xct_replay *rp;
    struct xct_record rec;
    enum xct_read_status st;
    const struct xct_replay_host *h;
    uint64_t n = 0, issues = 0;
    unsigned int i;
    double t0, dt;

    if (argc == 4 && !strcmp(argv[1], "--threads")) {
        threads = atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2 || threads < 1 || threads > 2) {
        fputs("usage: xenclaim-replay-bench [--threads 1|2] FILE\n", stderr);
        return 2;
    }
    t0 = now();
    rd = xct_reader_new(argv[1], NULL);
    rp = xct_replay_new();
    if (!rd || !rp) {
        fprintf(stderr, "xenclaim-replay-bench: %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    (void)rec;
    if (threads == 2)
        n = replay_pipelined(rd, rp, &st);
    else
        n = replay_batched(rd, rp, &st);
    dt = now() - t0;
    if (st != XCT_READ_END) {
        fprintf(stderr, "xenclaim-replay-bench: %s: offset %" PRIu64 ": %s\n",
                argv[1], xct_reader_offset(rd), xct_reader_message(rd));
        return 1;
    }
    h = xct_replay_host(rp);
    for (i = 0; i < XCT_REPLAY_NISSUES; i++)
        issues += h->n.issues[i];
    printf("records=%" PRIu64 " seconds=%.6f rate=%.0f issues=%" PRIu64 "\n",
           n, dt, dt > 0 ? (double)n / dt : 0.0, issues);
    xct_replay_free(rp);
    xct_reader_free(rd);
    return 0;
}
