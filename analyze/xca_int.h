/* xca_int.h: what the modules of libxcanalyze share (not API). */
/* SPDX-License-Identifier: MIT */
#ifndef XCA_INT_H
#define XCA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xca.h"
#include "xct_mem.h"

/* ---- spill files (xca_spill.c) ----------------------------------------- */

/*
 * An append-only file of fixed-size items, created (unlinked) at the
 * first put.  Items are written through a buffer; an item already
 * written can be patched.  Offsets are byte offsets in the file.
 */
struct xca_spill {
    int fd;                     /* -1 until the first put */
    size_t item;                /* item size */
    uint8_t *buf;
    size_t len, cap;
    uint64_t base;              /* file offset of buf[0] */
    uint64_t count;             /* items put */
    int err;                    /* first error (negative errno) */
    /* Read cache of flushed blocks, allocated at the first get. */
    uint8_t *rc;                /* XCA_SPILL_SLOTS blocks */
    uint64_t *rc_tag;           /* per slot: block number + 1, 0 empty */
    uint32_t *rc_len;           /* per slot: bytes valid */
    size_t rc_block;            /* bytes per block, a multiple of item */
    /*
     * Patches of flushed items not yet written to the file, at most one
     * per item (open addressing by item number): reads apply them, and
     * they are written out only when the table is full.  Patching a
     * flushed item was a write system call each, which with many
     * domains was thousands of them.
     */
    struct xca_spill_fix *fix;
    uint32_t nfix, capfix;      /* entries used; slots (a power of 2) */
};

/* A patch waiting in xca_spill.fix[]: n <= 8 bytes at at in item key - 1. */
struct xca_spill_fix {
    uint64_t key;               /* item number + 1; 0: a free slot */
    uint64_t val;
    uint32_t at, n;
};

#define XCA_SPILL_FIX_MAX 32768u  /* slots at most (768 KiB) */

#define XCA_SPILL_SLOTS 256u    /* blocks of about 16 KiB: 4 MiB at most */

void xca_spill_init(struct xca_spill *s, size_t item);
void xca_spill_close(struct xca_spill *s);
/* Append one item; *off (may be NULL) gets its offset.  0 or -errno. */
int xca_spill_put(struct xca_spill *s, const void *item, uint64_t *off);
/*
 * A view of s for reading from another thread while s itself is read:
 * v shares s's file and unflushed items (neither may change meanwhile)
 * and has a read cache of its own.  Close it with xca_spill_view_close(),
 * which frees that cache only.
 */
void xca_spill_view(const struct xca_spill *s, struct xca_spill *v);
void xca_spill_view_close(struct xca_spill *v);
/*
 * Overwrite n bytes at off of what was put.  0 or -errno.  A patch of
 * up to 8 bytes within one item already flushed waits in memory (up to
 * XCA_SPILL_FIX_MAX of them) and reads see it.
 */
int xca_spill_patch(struct xca_spill *s, uint64_t off, const void *p,
                    size_t n);
/*
 * Read the item at off into item.  Flushed items are read through a
 * cache of blocks, so walking items in any order costs a read per block
 * rather than per item.  0 or -errno.
 */
int xca_spill_get(struct xca_spill *s, uint64_t off, void *item);
/*
 * Call cb on every item in order; stops at a non-zero return of cb and
 * returns it; 0 at the end; -errno on a read error.
 */
int xca_spill_walk(struct xca_spill *s, void *scratch,
                   int (*cb)(void *opaque, const void *item),
                   void *opaque);

/* ---- the host timeline (xca_series.c) ---------------------------------- */

struct xca_tl {
    struct xca_point *p;
    unsigned int n, cap;        /* buckets used, kept at most */
    uint64_t base, width;       /* start of bucket 0, ticks per bucket */
    uint64_t cur_end;           /* end of bucket n - 1 */
    int64_t val[XCA_NSERIES];   /* current values */
    int started;
};

int xca_tl_init(struct xca_tl *t, unsigned int cap);
void xca_tl_free(struct xca_tl *t);
/* The series take the values v from tsc on (tsc never decreases). */
void xca_tl_set_slow(struct xca_tl *t, uint64_t tsc, const int64_t *v);

/* Series s of the current bucket b takes x (nothing when it is equal). */
static inline __attribute__((always_inline))
void xca_tl_step(struct xca_tl *t, struct xca_point *b, unsigned int s,
                 int64_t x)
{
    if (x == t->val[s])
        return;
    t->val[s] = x;
    b->last[s] = x;
    if (x < b->min[s])
        b->min[s] = x;
    else if (x > b->max[s])
        b->max[s] = x;
}

static inline void xca_tl_set(struct xca_tl *t, uint64_t tsc,
                              const int64_t *v)
{
    struct xca_point *b;
    unsigned int s;

    if (__builtin_expect(!t->started || tsc >= t->cur_end, 0)) {
        xca_tl_set_slow(t, tsc, v);
        return;
    }
    b = &t->p[t->n - 1];
    /* The current bucket's last values are t->val: skip what is equal. */
    for (s = 0; s < XCA_NSERIES; s++)
        xca_tl_step(t, b, s, v[s]);
}
/* Count a denial at tsc; mark [from, to] uncertain. */
void xca_tl_denial(struct xca_tl *t, uint64_t tsc);
void xca_tl_uncertain(struct xca_tl *t, uint64_t from, uint64_t to);
/* Extend the buckets to cover tsc (the end of the window). */
void xca_tl_close(struct xca_tl *t, uint64_t tsc);

/* ---- host figures as the records give them ---------------------------- */

/*
 * The host's free, freeable and outstanding pages at the current record.
 * Outstanding is the last reported total plus the change in the sum of
 * the replayed claims since (stakes are not followed by a heap record).
 */
struct xca_host {
    int in_dump;
    uint64_t rep_out;           /* outstanding as last reported */
    uint64_t rep_sum;           /* replayed claims sum at that report */
    int known;                  /* a host figure has been reported */
};

/* Values of the series from the replay's host state. */
static inline void xca_host_values(const struct xca_host *h,
                                   const struct xct_replay_host *rh,
                                   int64_t *v)
{
    /* In unsigned arithmetic: absurd figures wrap, they cannot trap. */
    uint64_t out = h->rep_out + rh->claims_sum - h->rep_sum;

    v[XCA_S_FREE] = (int64_t)rh->free;
    v[XCA_S_FREEABLE] = (int64_t)rh->freeable;
    v[XCA_S_OUTSTANDING] = (int64_t)out;
    v[XCA_S_HEADROOM] = (int64_t)(rh->free + rh->freeable - out);
}

/* Re-base after a record that reports the outstanding total. */
static inline void xca_host_report(struct xca_host *h,
                                   const struct xct_replay_host *rh)
{
    h->rep_out = rh->outstanding;
    h->rep_sum = rh->claims_sum;
    h->known = 1;
}

/*
 * Follow the host figures through replay event ev.  Returns 0 while a
 * state dump is being read (the figures are not complete yet), else 1.
 */
static inline int xca_host_event(struct xca_host *h,
                                 enum xct_replay_event ev,
                                 const struct xct_replay_host *rh)
{
    switch (ev) {
    case XCT_REPLAY_EV_DUMP_START:
        h->in_dump = 1;
        return 0;
    case XCT_REPLAY_EV_DUMP_DOMAIN:
        return 0;
    case XCT_REPLAY_EV_DUMP_END:
        h->in_dump = 0;
        xca_host_report(h, rh);
        return 1;
    case XCT_REPLAY_EV_HEAP:
    case XCT_REPLAY_EV_RELEASE_CANCEL:
    case XCT_REPLAY_EV_RELEASE_DRAWN:
    case XCT_REPLAY_EV_RELEASE_DEATH:
    case XCT_REPLAY_EV_DENIAL_HOST:
    case XCT_REPLAY_EV_FAILED_HOST:
        xca_host_report(h, rh);
        return 1;
    default:
        return !h->in_dump;
    }
}

/* Write s with XML's special characters escaped. */
void xca_xml_str(FILE *f, const char *s);

/* ---- Perfetto (xca_perfetto.c) ----------------------------------------- */

struct xca_pf {
    FILE *f;
    uint64_t t0;                /* TSC of time 0 */
    double ns_per_tick;
    int started;
    int err;
};

void xca_pf_init(struct xca_pf *p, FILE *f, uint64_t t0, double cpu_hz);
/* Host tracks and the instant tracks; once, before anything else. */
void xca_pf_begin(struct xca_pf *p);
/* A domain's tracks (claim, tot_pages), once per domain. */
void xca_pf_domain(struct xca_pf *p, uint32_t domid);
/* Counter tracks: host series s (enum xca_series but headroom) ... */
void xca_pf_host(struct xca_pf *p, unsigned int s, uint64_t tsc,
                 int64_t pages);
/* ... a domain's claim (what 0) or tot_pages (what 1). */
void xca_pf_dom(struct xca_pf *p, uint32_t domid, unsigned int what,
                uint64_t tsc, int64_t pages);
/* Instant events: a denial (track 0) or refused stake (track 1). */
void xca_pf_instant(struct xca_pf *p, unsigned int track, uint64_t tsc,
                    const char *name);
/* 0, or -EIO when a write failed. */
int xca_pf_end(struct xca_pf *p);

/* ---- the analysis handle (xca_core.c) ---------------------------------- */

#define XCA_LEAF 256u

/*
 * Per domid: what the analysis follows.  What every record touches
 * (the tot_pages and claim_draw path) fills the first cache line; the
 * open life and the aggregates take it from there when they are read.
 */
struct xca_dstate {
    /* hot */
    uint32_t claim;             /* last known claim */
    uint32_t tot;
    uint8_t seen, open, pf, pad_;
    uint32_t holder;            /* index + 1 in holders[], 0: none */
    uint32_t peak_tot;          /* -> agg.peak_tot */
    uint32_t draws;             /* -> life.draws */
    uint64_t pages_drawn;       /* -> agg.pages_drawn */
    uint64_t last_tsc;          /* -> agg.last_tsc */
    uint64_t drawn;             /* -> life.drawn */
    uint64_t first_draw_tsc, last_draw_tsc;     /* -> life's */
    /* cold: the open claim (but the above), its lives in the spill */
    uint32_t life_flags;        /* -> life.flags */
    uint32_t life_staked;       /* -> life.staked */
    uint64_t life_target, life_regrown, life_start, life_offset;
    uint64_t head, tail;        /* offset + 1 */
    struct xca_domain agg;
} __attribute__((aligned(64)));     /* 256 bytes: 16 MiB for 65,536 */

struct xca {
    struct xca_opts o;
    uint32_t *domains;          /* copy of the filter */
    uint8_t *want;              /* per domid: selected (NULL: all are) */
    struct xct_replay *rp;
    const struct xct_replay_host *rh;   /* the replay's host state */
    /* Domains by domid: leaves of XCA_LEAF, allocated when first used. */
    struct xca_dstate *leaf[XCA_MAX_DOMAINS / XCA_LEAF];
    struct xca_dstate *dstates; /* where the leaves are (xct_mem_map()) */
    int dstates_tried;
    uint64_t seen[XCA_MAX_DOMAINS / 64];   /* bit per domid seen */
    uint32_t nseen;             /* domains seen */
    /* For the report's per-domain sections, without a walk of them all: */
    uint64_t lived[XCA_MAX_DOMAINS / 64];  /* bit per domid with lives */
    uint32_t lives64[XCA_MAX_DOMAINS / 64]; /* lives of domids 64g.. */
    uint32_t *holders;          /* domids with a claim > 0 */
    uint32_t nholders, cap_holders;

    struct xca_host host;
    struct xca_tl tl;
    struct xca_pf pf;
    int pf_on;

    struct xca_spill lives, denials, fails, issues, gaps;
    struct xca_denial pend;     /* denial waiting for its heap record */
    int pend_on;

    struct xca_summary s;
    int started, in_win, entered;
    uint64_t cur_tsc, cur_off;
    unsigned int cur_cpu;
    uint64_t last_change;       /* for the time without headroom */
    int lost_open;              /* LOST gaps wait for the next dump */
    uint64_t lost_gap_off;      /* the first one's offset in the spill */
    uint64_t lost_from;         /* the state is inexact since */
    int finished;
    int err;
    /* The run xca_feed_run() is feeding by chunks (NULL: none). */
    const struct xct_record *run_recs;
    const uint16_t *run_cpus;
};

/*
 * With many domains the state of the domain a record names is rarely in
 * the caches: the reading loop calls this a few records ahead so that
 * the analysis' and the replay's state of the domains of recs[0..n) are
 * on their way.
 */
#define XCA_PREFETCH_DOMAINS 4096u  /* from this many domains seen on */

static inline void xca_prefetch(const struct xca *a,
                                const struct xct_record *recs, unsigned int n)
{
    unsigned int i;

    if (a->dstates) {
        /* Our table is the replay's companion: it prefetches both. */
        xct_replay_prefetch(a->rp, recs, n);
        return;
    }
    for (i = 0; i < n; i++) {
        uint32_t minor = recs[i].event - (XCT_TRC_MEM | XCT_MINOR_BASE);
        uint32_t id = recs[i].words[0];
        const struct xca_dstate *l;

        if (minor >= XCT_REPLAY_NREC - 1 || minor == XCT_MINOR_HEAP -
            XCT_MINOR_BASE || id >= XCA_MAX_DOMAINS)
            continue;
        l = a->leaf[id / XCA_LEAF];
        if (l)
            __builtin_prefetch(&l[id % XCA_LEAF]);
    }
    xct_replay_prefetch(a->rp, recs, n);
}

#define XCA_PREFETCH_AHEAD 24u    /* records ahead (16-32 alike, 64: 4% slower) */
#define XCA_PREFETCH_STEP 8u      /* records prefetched at a time */
#define XCA_PREFETCH_RECS 64u     /* records read ahead in a batch */

/*
 * xca_feed() of recs[0..n), their offsets offs[] and CPUs cpus[], one
 * after the other while it returns 0.  Returns how many records were
 * fed; *rc is what xca_feed() returned for the last (0 when all were).
 * After an error (*rc < 0) the analysis is void, and records past the
 * one that failed may have been fed too.
 */
unsigned int xca_feed_run(struct xca *a, const struct xct_record *recs,
                          const uint64_t *offs, const uint16_t *cpus,
                          unsigned int n, int *rc);

/* The first domain seen (and selected) with a domid >= id, or NULL. */
const struct xca_domain *xca_domain_from(const struct xca *a, uint32_t id);

/* The first domain with claim lives recorded and a domid >= id, or NULL. */
const struct xca_domain *xca_domain_lived_from(const struct xca *a,
                                               uint32_t id);

/*
 * Cut the domids into blocks holding about target domains seen (lives
 * 0) or claim lives (lives 1) each, for the report's sections: block b
 * is [cut[b], cut[b + 1]).  Blocks end at multiples of 64 but within a
 * group of 64 domids holding target lives or more, which is cut between
 * its domains.  Fills cut[0..n] (cut[0] 0, cut[n] XCA_MAX_DOMAINS,
 * n <= max) and returns n.  Reads no domain's state but those.
 */
unsigned int xca_cuts(const struct xca *a, int lives, uint64_t target,
                      uint32_t *cut, unsigned int max);

/* xca_foreach_life() reading the lives through lives (a view of a's). */
int xca_foreach_life_in(const struct xca *a, struct xca_spill *lives,
                        uint32_t domid,
                        int (*cb)(void *opaque, const struct xca_life *l),
                        void *opaque);

/*
 * TSC of the end of a's window when the first record has TSC first
 * (UINT64_MAX without --to): the reader stops at the first record past
 * it, whichever thread reads.
 */
uint64_t xca_window_end(const struct xca *a, uint64_t first);

/* ---- formatting helpers (xca_units.c) ---------------------------------- */

/* snprintf(buf, len, "%.*f", prec, x), faster; returns buf. */
const char *xca_fmt_fixed(char *buf, size_t len, double x, unsigned int prec);
/* The same, returning the length written (without the NUL). */
size_t xca_fmt_fixed_n(char *buf, size_t len, double x, unsigned int prec);
/* "1.50 GiB", "512.0 MiB", "12 KiB" for pages (4 KiB each). */
const char *xca_fmt_pages(char *buf, size_t len, int64_t pages);
const char *xca_fmt_pages_d(char *buf, size_t len, double pages);
/* The same, returning the length written (without the NUL). */
size_t xca_fmt_pages_n(char *buf, size_t len, double pages);
/* Write s as a JSON string (quotes, escapes). */
void xca_json_str(FILE *f, const char *s);
/* Write s as a CSV field (quoted when needed). */
void xca_csv_str(FILE *f, const char *s);

#endif /* XCA_INT_H */
