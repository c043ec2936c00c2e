/* heap_bench.c: ns per mheap_take/mheap_put on a 256 GiB mock heap. */
/* SPDX-License-Identifier: MIT */
/*
 * Not built by make.  By hand, after `make`:
 *   gcc -O2 -std=gnu11 -D_GNU_SOURCE -Imock bench/heap_bench.c \
 *       build/lib/libxcmock.a -o build/heap_bench && build/heap_bench
 *
 * "cold": the heap is fully merged, so each take splits a 1 GiB block down
 * to the order asked and each put merges it all the way back (worst case).
 * "warm": one block of the order is held, so its free buddy serves the
 * take and the put finds nothing to merge (the common case).
 * "mixed": 4096 blocks of random orders 0..9 taken, then given back in a
 * random order, repeatedly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heap/heap.h"

#define LOOPS 5000000UL
#define MIXED 4096

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "heap_bench: %s: %s\n", what, strerror(-rc));
    exit(1);
}

/* ns per take+put pair of one order, on node 0. */
static double loop(struct mheap *h, unsigned int order, unsigned long n)
{
    double t0 = now_ns();
    unsigned long i;
    uint64_t mfn;
    int rc;

    for (i = 0; i < n; i++) {
        rc = mheap_take(h, 0, order, &mfn);
        if (rc)
            die("take", rc);
        rc = mheap_put(h, mfn, order);
        if (rc)
            die("put", rc);
    }
    return (now_ns() - t0) / n;
}

static void bench_order(struct mheap *h, unsigned int order)
{
    double cold, warm;
    uint64_t held;
    int rc;

    cold = loop(h, order, LOOPS);
    rc = mheap_take(h, 0, order, &held);
    if (rc)
        die("take", rc);
    warm = loop(h, order, LOOPS);
    rc = mheap_put(h, held, order);
    if (rc)
        die("put", rc);
    printf("order %u: cold %.1f ns per take+put (%.1f per op), "
           "warm %.1f ns per take+put (%.1f per op)\n",
           order, cold, cold / 2, warm, warm / 2);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void bench_mixed(struct mheap *h, unsigned long rounds)
{
    static uint64_t mfn[MIXED];
    static unsigned int ord[MIXED];
    double t0, total;
    unsigned long r;
    unsigned int i;
    int rc;

    t0 = now_ns();
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < MIXED; i++) {
            ord[i] = (unsigned int)(rnd() % 10);
            rc = mheap_take(h, (unsigned int)(rnd() & 1), ord[i], &mfn[i]);
            if (rc)
                die("take", rc);
        }
        for (i = MIXED - 1; i > 0; i--) {   /* shuffle the put order */
            unsigned int j = (unsigned int)(rnd() % (i + 1));
            uint64_t m = mfn[i];
            unsigned int o = ord[i];

            mfn[i] = mfn[j];
            ord[i] = ord[j];
            mfn[j] = m;
            ord[j] = o;
        }
        for (i = 0; i < MIXED; i++) {
            rc = mheap_put(h, mfn[i], ord[i]);
            if (rc)
                die("put", rc);
        }
    }
    total = now_ns() - t0;
    printf("mixed orders 0..9 on 2 nodes: %.1f ns per op (take or put, "
           "incl. shuffle)\n", total / (2.0 * MIXED * rounds));
}

int main(void)
{
    /* 256 GiB: 2^26 frames in two nodes made of 1 GiB blocks only */
    const uint64_t pages[] = { 1ULL << 25, 1ULL << 25 };
    struct mheap *h = mheap_new(2, pages);

    if (!h)
        die("mheap_new", -errno);
    bench_order(h, 0);
    bench_order(h, 9);
    bench_mixed(h, 500);
    if (mheap_check(h))
        return 1;
    mheap_free(h);
    return 0;
}
