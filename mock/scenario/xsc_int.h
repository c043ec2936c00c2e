/* xsc_int.h: what the scenario modules share and do not export. */
/* SPDX-License-Identifier: MIT */
#ifndef XSC_INT_H
#define XSC_INT_H

#include <stdint.h>

#include "scenario.h"

#define XSC_MAX_PAGES   (UINT64_C(1) << 40)    /* 4 PiB */
#define XSC_MAX_NS      (UINT64_C(1) << 60)    /* about 36 years */
#define XSC_NS_PER_S    UINT64_C(1000000000)

/*
 * splitmix64: a small generator whose whole state is one word, the same
 * on every platform.  Used for every random choice, never rand().
 */
struct xsc_rng {
    uint64_t s;
};

static inline uint64_t xsc_rng_next(struct xsc_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void xsc_rng_seed(struct xsc_rng *r, uint64_t seed,
                                uint64_t stream)
{
    r->s = seed ^ (stream * 0xd1342543de82ef95ULL);
    (void)xsc_rng_next(r);
}

/* Uniform in [0, n] (n < 2^64 - 1). */
static inline uint64_t xsc_rng_upto(struct xsc_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)xsc_rng_next(r) * (n + 1)) >> 64);
}

/* A value of a range: lo, or lo + k * step <= hi with k uniform. */
static inline uint64_t xsc_range_pick(const struct xsc_range *g,
                                      struct xsc_rng *r)
{
    if (g->hi <= g->lo)
        return g->lo;
    return g->lo + g->step * xsc_rng_upto(r, (g->hi - g->lo) / g->step);
}


/*
 * The trace writer: records collected per simulated CPU and written as
 * CPU_CHANGE windows, every CPU in turn (as xentrace drains them), when
 * one CPU holds more than XSC_TW_FLUSH bytes, when the simulation
 * crosses a XSC_TW_PERIOD boundary of virtual time, and at the end.
 */
#define XSC_TW_FLUSH    (32u << 10)
#define XSC_TW_PERIOD   UINT64_C(100000000)   /* 100 ms, xentrace's poll */

struct xsc_tw_buf {
    uint8_t *p;
    size_t len, cap;
};

struct xsc_tw {
    int fd;
    unsigned int ncpu;
    struct xsc_tw_buf *cpu;
    uint64_t now;               /* virtual time of the step running */
    uint64_t last_tsc;          /* last TSC handed out */
    uint64_t next_flush;        /* next periodic flush, virtual ns */
    uint64_t records, bytes, windows;
    int err;                    /* first error (positive errno), sticky */
};

/* Open path for writing.  0 or -errno. */
int xsc_tw_open(struct xsc_tw *w, const char *path, unsigned int ncpu);
/* hyp's trace sink and clock (opaque: the writer). */
void xsc_tw_sink(void *opaque, unsigned int cpu, uint32_t event,
                 uint64_t tsc, unsigned int nwords, const uint32_t *words);
uint64_t xsc_tw_clock(void *opaque);
/* Set the virtual time; flushes at period boundaries.  0 or -err. */
int xsc_tw_advance(struct xsc_tw *w, uint64_t now);
/* Write every CPU's pending records.  0 or -err. */
int xsc_tw_flush(struct xsc_tw *w);
/* Flush, close, free.  0 or -err (the first error seen). */
int xsc_tw_close(struct xsc_tw *w);

#endif /* XSC_INT_H */
