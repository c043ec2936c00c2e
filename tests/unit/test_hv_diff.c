/* test_hv_diff.c: hv/ against the reference model and the trace replay. */
/* SPDX-License-Identifier: MIT */
/*
 * One host (2 nodes of 3000 and 2600 pages, a tmem pool of 256 pages),
 * dom0 and up to 16 more domains.  Every operation is done on hv/ and on
 * the reference model (tests/model), and after each one the test compares
 * the result, the host totals (free, per-node free, freeable, outstanding,
 * tmem pool), every domain's tot_pages / max_pages / claim / dying, the
 * kind of refusal the trace shows (alloc_denied, alloc_failed, tot_pages
 * of delta 0), and the state the trace replay (tracepoints/xct_replay.h)
 * built from every record written so far.  Every 65536 operations and at
 * the end, every frame's state in hv's heap is probed against the model's
 * frame map (offline and back, busy or refused).
 *
 * Environment:
 *   XENCLAIM_SEED       seed (default 0x5eedc1a1), printed on failure
 *   XENCLAIM_DIFF_OPS   operations (default 1000000)
 *   XENCLAIM_DIFF_AVOID_KNOWN   steer clear of the divergences that
 *       test_hv_errno reports, so that the rest can be checked while they
 *       stand: bit 0, no_refcount pages are given back as anonymous ones
 *       (hv/ lowers tot_pages for them); bit 1, stakes refused before the
 *       domain's figures are read (bad request, unprivileged caller) only
 *       name domains that own nothing and claim nothing (their records
 *       carry 0 figures, which the replay takes for the domain's).
 *       Default 0: strict.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv/page_claim.h"
#include "hvhost/hvhost.h"
#include "tests/model/claim_model.h"
#include "xct_events.h"
#include "xct_record.h"
#include "xct_replay.h"
#include <public/memory.h>

#define NODE0       3000u
#define NODE1       2600u
#define NFRAMES     (NODE0 + NODE1)
#define TMEM_CAP    256u
#define NDOM        17u         /* dom0 and d1..d16 */
#define MAX_OPRECS  1024u
#define HISTORY     12u
#define DEFAULT_SEED 0x5eedc1a1ull
#define DEFAULT_OPS 1000000ul
#define AVOID_NOREF_FREE    1u
#define AVOID_ZERO_FIGURES  2u

/* ---- run state ------------------------------------------------------ */

struct piece {
    uint64_t mfn;
    unsigned int order;
    uint32_t owner;         /* domid, CM_ANON */
    bool extra;             /* no_refcount pages owned by a domain */
};

static struct {
    uint64_t seed, rng;
    unsigned long ops, op;
    unsigned int avoid_known;    /* AVOID_* */

    struct cm *m;
    struct xct_replay *rp;
    struct domain *hd[NDOM];

    struct piece pieces[NFRAMES];
    unsigned int npieces;
    uint64_t offline[NFRAMES];
    unsigned int noffline;

    /* records of the current operation */
    struct xct_record recs[MAX_OPRECS];
    unsigned int nrecs;
    bool recs_overflow;
    uint64_t fed;

    char issue[320];
    unsigned long issues;

    char hist[HISTORY][160];
    char what[160];

    unsigned long count[16];
} g;

enum {
    C_DENIED, C_FAILED, C_ASSIGN, C_OK, C_STAKE_OK, C_STAKE_ERR,
    C_EVICTED, C_OFFLINE, C_DESTROY, C_PUT, C_FREE_SUB, C_ENOMEM,
};

/* ---- reporting ------------------------------------------------------ */

static void print_context(FILE *f)
{
    unsigned int i;

    fprintf(f, "# XENCLAIM_SEED=%#" PRIx64 " op %lu of %lu "
            "XENCLAIM_DIFF_AVOID_KNOWN=%u\n", g.seed, g.op, g.ops,
            g.avoid_known);
    fprintf(f, "# last operations, oldest first:\n");
    for (i = 0; i < HISTORY; i++) {
        const char *h = g.hist[(g.op + 1 + i) % HISTORY];

        if (*h)
            fprintf(f, "#   %s\n", h);
    }
    fprintf(f, "# records of the last operation:\n");
    for (i = 0; i < g.nrecs; i++) {
        unsigned int k;

        fprintf(f, "#   %#x:", g.recs[i].event);
        for (k = 0; k < g.recs[i].nwords; k++)
            fprintf(f, " %u", g.recs[i].words[k]);
        fprintf(f, "\n");
    }
}

static void on_abort(int sig)
{
    (void)sig;
    print_context(stderr);
    fflush(stderr);
    signal(SIGABRT, SIG_DFL);
    abort();
}

/* Fail the run with the context: "what: expected W, seen S". */
#define DIFF(seen, want, ...)                                              \
    do {                                                                   \
        long long s_ = (long long)(seen), w_ = (long long)(want);          \
        if (s_ != w_) {                                                    \
            char m_[256];                                                  \
            snprintf(m_, sizeof(m_), __VA_ARGS__);                         \
            print_context(stdout);                                         \
            fail_msg("seed %#" PRIx64 " op %lu (%s): %s: expected %lld, "  \
                     "seen %lld", g.seed, g.op, g.what, m_, w_, s_);       \
        }                                                                  \
    } while (0)

#define FAIL(...)                                                          \
    do {                                                                   \
        char m_[512];                                                      \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                             \
        print_context(stdout);                                             \
        fail_msg("seed %#" PRIx64 " op %lu (%s): %s", g.seed, g.op,        \
                 g.what, m_);                                              \
    } while (0)

static void describe(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void describe(const char *fmt, ...)
{
    va_list ap;
    int n;

    n = snprintf(g.what, sizeof(g.what), "#%lu ", g.op);
    va_start(ap, fmt);
    vsnprintf(g.what + n, sizeof(g.what) - n, fmt, ap);
    va_end(ap);
    memcpy(g.hist[g.op % HISTORY], g.what, sizeof(g.what));
}

/* ---- randomness ----------------------------------------------------- */

static uint64_t rnd64(void)
{
    uint64_t x = g.rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g.rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd(uint64_t n)
{
    return n ? rnd64() % n : 0;
}

static bool chance(unsigned int percent)
{
    return rnd(1000) < percent * 10u;
}

/* ---- trace capture and replay -------------------------------------- */

static void sink(void *opaque, unsigned int cpu, uint32_t event, uint64_t tsc,
                 unsigned int nwords, const uint32_t *words)
{
    struct xct_record *r;

    (void)opaque;
    (void)cpu;
    if (g.nrecs == MAX_OPRECS) {
        g.recs_overflow = true;
        return;
    }
    r = &g.recs[g.nrecs++];
    memset(r, 0, sizeof(*r));
    r->event = event;
    r->nwords = nwords;
    r->has_tsc = 1;
    r->tsc = tsc;
    memcpy(r->words, words, nwords * sizeof(uint32_t));
}

static void on_issue(void *opaque, const struct xct_replay_issue *is)
{
    (void)opaque;
    if (!g.issues++)
        snprintf(g.issue, sizeof(g.issue), "%s", is->msg);
}

static unsigned int count_recs(uint32_t event)
{
    unsigned int i, n = 0;

    for (i = 0; i < g.nrecs; i++)
        n += g.recs[i].event == event;
    return n;
}

/* Heap records of the current operation with reason. */
static unsigned int count_heap(unsigned int reason)
{
    struct xct_ev_HEAP e;
    unsigned int i, n = 0;

    for (i = 0; i < g.nrecs; i++) {
        if (g.recs[i].event != XCT_EV_HEAP)
            continue;
        xct_dec_HEAP(g.recs[i].words, &e);
        n += e.reason == reason;
    }
    return n;
}

static const struct xct_record *find_rec(uint32_t event)
{
    unsigned int i;

    for (i = 0; i < g.nrecs; i++)
        if (g.recs[i].event == event)
            return &g.recs[i];
    return NULL;
}

static void feed_replay(void)
{
    unsigned int i;

    if (g.recs_overflow)
        FAIL("more than %u records in one operation", MAX_OPRECS);
    for (i = 0; i < g.nrecs; i++) {
        DIFF(g.recs[i].nwords <= XCT_MAX_WORDS, 1, "record words");
        xct_replay_feed(g.rp, &g.recs[i], g.fed++);
    }
    g.nrecs = 0;
}

/* ---- comparisons ---------------------------------------------------- */

static void compare_state(void)
{
    struct heap_totals t;
    struct cm_totals mt;
    const struct xct_replay_host *rh;
    const struct xct_replay_dom *rd;
    unsigned int i, n;

    memset(&t, 0, sizeof(t));
    get_heap_totals(&t);
    cm_totals(g.m, &mt);
    DIFF(t.free_pages, mt.free, "host free pages");
    DIFF(t.freeable_pages, mt.freeable, "host tmem-freeable pages");
    DIFF(t.outstanding, mt.outstanding, "host outstanding claims");
    DIFF(t.nr_nodes, mt.nr_nodes, "nodes");
    for (i = 0; i < mt.nr_nodes; i++)
        DIFF(t.node_free[i], mt.node_free[i], "node %u free pages", i);
    DIFF(hvh_tmem_pool_pages(), cm_tmem_pages(g.m), "tmem pool pages");

    n = 0;
    for (i = 0; i < NDOM; i++) {
        const struct cm_dom *md = cm_dom(g.m, i);
        struct domain *d = hvh_domain_find((domid_t)i);

        DIFF(d != NULL, md != NULL, "d%u exists", i);
        if (!d)
            continue;
        DIFF(d == g.hd[i], 1, "d%u is the domain created", i);
        n++;
        DIFF(d->tot_pages, md->tot, "d%u tot_pages", i);
        DIFF(d->max_pages, md->max, "d%u max_pages", i);
        DIFF(d->outstanding_pages, md->claim, "d%u claim", i);
        DIFF(d->is_dying != 0, md->dying, "d%u dying", i);
    }
    DIFF(hvh_nr_domains(), n, "live domains");

    /* The replay, from the records alone. */
    rh = xct_replay_host(g.rp);
    if (g.issues)
        FAIL("the replay reported %lu inconsistencies, the first: %s",
             g.issues, g.issue);
    DIFF(rh->exact, 1, "replay exact");
    DIFF(rh->free, t.free_pages, "replayed host free pages");
    DIFF(rh->freeable, t.freeable_pages, "replayed host freeable pages");
    DIFF(rh->claims_sum, t.outstanding, "replayed sum of claims");
    DIFF(rh->domains, n, "replayed live domains");
    for (i = 0; i < NDOM; i++) {
        struct domain *d = g.hd[i];

        rd = xct_replay_dom(g.rp, i);
        DIFF(rd != NULL, d != NULL, "replayed d%u exists", i);
        if (!d)
            continue;
        DIFF(rd->tot_pages, d->tot_pages, "replayed d%u tot_pages", i);
        DIFF(rd->claim, d->outstanding_pages, "replayed d%u claim", i);
        DIFF(rd->max_pages, d->max_pages, "replayed d%u max_pages", i);
        DIFF(rd->dying, d->is_dying != 0, "replayed d%u dying", i);
    }
}

/* One domain's figures, hv against the model. */
static void compare_dom(unsigned int id)
{
    const struct cm_dom *md = cm_dom(g.m, id);
    struct domain *d = g.hd[id];

    if (!d || !md)
        return;
    DIFF(d->tot_pages, md->tot, "d%u tot_pages", id);
    DIFF(d->outstanding_pages, md->claim, "d%u claim", id);
}

/* ---- pieces --------------------------------------------------------- */

static void add_piece(uint64_t mfn, unsigned int order, uint32_t owner,
                      bool extra)
{
    if (g.npieces == NFRAMES)
        FAIL("more pieces than frames");
    g.pieces[g.npieces].mfn = mfn;
    g.pieces[g.npieces].order = order;
    g.pieces[g.npieces].owner = owner;
    g.pieces[g.npieces].extra = extra;
    g.npieces++;
}

static void drop_piece(unsigned int i)
{
    g.pieces[i] = g.pieces[--g.npieces];
}

static unsigned int pieces_of(uint32_t domid)
{
    unsigned int i, n = 0;

    for (i = 0; i < g.npieces; i++)
        n += g.pieces[i].owner == domid;
    return n;
}

/* ---- operations ----------------------------------------------------- */

static struct domain *pick_live(bool with_dom0)
{
    unsigned int tries, id;

    for (tries = 0; tries < 8; tries++) {
        id = with_dom0 ? (unsigned int)rnd(NDOM)
                       : 1 + (unsigned int)rnd(NDOM - 1);
        if (g.hd[id])
            return g.hd[id];
    }
    return with_dom0 ? g.hd[0] : NULL;
}

/* A dying domain (else any but dom0). */
static struct domain *pick_dying(void)
{
    unsigned int i, start = (unsigned int)rnd(NDOM);

    for (i = 0; i < NDOM; i++) {
        struct domain *d = g.hd[(start + i) % NDOM];

        if (d && d->is_dying && chance(70))
            return d;
    }
    return pick_live(false);
}

/* A domain that is not dying, mostly (stakes on dying ones fail early). */
static struct domain *pick_alive(void)
{
    struct domain *d = NULL;
    unsigned int tries;

    for (tries = 0; tries < 4; tries++) {
        d = pick_live(false);
        if (d && !d->is_dying)
            break;
    }
    return d;
}

/* A live domain holding a claim, else any. */
static struct domain *pick_claimant(void)
{
    unsigned int i, start = (unsigned int)rnd(NDOM);

    for (i = 0; i < NDOM; i++) {
        struct domain *d = g.hd[(start + i) % NDOM];

        if (d && d->outstanding_pages)
            return d;
    }
    return pick_live(true);
}

static unsigned int pick_order(void)
{
    unsigned int r = (unsigned int)rnd(1000);

    if (r < 500)
        return 0;
    if (r < 750)
        return 1 + (unsigned int)rnd(3);
    if (r < 975)
        return 4 + (unsigned int)rnd(6);
    if (r < 997)
        return 10 + (unsigned int)rnd(3);
    return 19;
}

static unsigned int pick_memflags(bool anon)
{
    unsigned int r = (unsigned int)rnd(100);

    if (r < 65)
        return 0;
    if (r < 75)
        return anon ? 0 : MEMF_no_refcount;
    if (r < 80)
        return anon ? MEMF_no_refcount : MEMF_no_owner;
    if (r < 92)
        return MEMF_node(rnd(2));
    if (r < 99)
        return MEMF_node(rnd(2)) | MEMF_exact_node;
    return MEMF_node(2 + rnd(3)) | (chance(50) ? MEMF_exact_node : 0);
}

static const char *const kind_name[] = {
    "bad order", "dying", "denied", "failed", "assignment failed", "ok",
};

/* What the trace of an allocation must show for the predicted kind. */
static void check_alloc_trace(const struct cm_alloc *a)
{
    unsigned int denied = count_recs(XCT_EV_ALLOC_DENIED);
    unsigned int failed = count_recs(XCT_EV_ALLOC_FAILED);
    unsigned int rounds = 0;
    const struct xct_record *r;

    if (a->evicted)
        rounds = (a->evicted + (1u << a->order) - 1) >> a->order;
    DIFF(denied, a->kind == CM_ALLOC_DENIED, "alloc_denied records");
    DIFF(failed, a->kind == CM_ALLOC_FAILED, "alloc_failed records");
    DIFF(count_heap(XCT_HEAP_TMEM_RECLAIM), rounds, "tmem reclaim records");
    if (a->kind == CM_ALLOC_BAD_ORDER || a->kind == CM_ALLOC_DYING)
        DIFF(g.nrecs, 0, "records of an allocation above MAX_ORDER or "
             "for a dying domain");
    if (a->kind == CM_ALLOC_DENIED || a->kind == CM_ALLOC_FAILED) {
        struct xct_ev_ALLOC_DENIED e;

        r = find_rec(a->kind == CM_ALLOC_DENIED ? XCT_EV_ALLOC_DENIED
                                                : XCT_EV_ALLOC_FAILED);
        xct_dec_ALLOC_DENIED(r->words, &e);
        DIFF(e.domid, a->domid, "refusal record domid");
        DIFF(e.order, a->order, "refusal record order");
        DIFF(count_heap(a->kind == CM_ALLOC_DENIED ? XCT_HEAP_DENIED
                                                   : XCT_HEAP_FAILED), 1,
             "heap record of the refusal");
        DIFF(count_recs(XCT_EV_TOT_PAGES), 0, "tot_pages records");
        DIFF(count_recs(XCT_EV_CLAIM_DRAW), 0, "claim_draw records");
    }
    if (a->kind == CM_ALLOC_OK || a->kind == CM_ALLOC_ASSIGN_FAILED) {
        DIFF(count_recs(XCT_EV_CLAIM_DRAW), a->drawn != 0,
             "claim_draw records");
        if (a->drawn) {
            struct xct_ev_CLAIM_DRAW e;

            xct_dec_CLAIM_DRAW(find_rec(XCT_EV_CLAIM_DRAW)->words, &e);
            DIFF(e.drawn, a->drawn, "claim_draw drawn");
        }
        /* a failed assignment says so only when it consumed a claim */
        bool tot_rec = a->counted &&
                       (a->kind == CM_ALLOC_OK || a->drawn);

        DIFF(count_recs(XCT_EV_TOT_PAGES), tot_rec, "tot_pages records");
        if (tot_rec) {
            struct xct_ev_TOT_PAGES e;

            xct_dec_TOT_PAGES(find_rec(XCT_EV_TOT_PAGES)->words, &e);
            DIFF(e.delta, a->kind == CM_ALLOC_OK ? (1 << a->order) : 0,
                 "tot_pages delta");
        }
    }
}

static void op_alloc(bool anon)
{
    struct domain *d = anon ? NULL
                       : chance(40) ? pick_claimant() : pick_live(true);
    struct cm_alloc a;
    struct page_info *pg;
    int rc;

    memset(&a, 0, sizeof(a));
    a.domid = d ? d->domain_id : CM_ANON;
    a.order = pick_order();
    a.memflags = pick_memflags(anon);
    describe("alloc d%d order %u memflags %#x", d ? (int)a.domid : -1,
             a.order, a.memflags);
    rc = cm_alloc_begin(g.m, &a);
    if (rc)
        FAIL("model refused the allocation: %d", rc);
    pg = alloc_domheap_pages(d, a.order, a.memflags);
    if (pg) {
        uint64_t mfn = hvh_page_to_mfn(pg);

        if (a.kind != CM_ALLOC_OK)
            FAIL("hv handed out %#" PRIx64 ", the model predicts %s", mfn,
                 kind_name[a.kind]);
        if (cm_alloc_take(g.m, &a, mfn))
            FAIL("%s", cm_error(g.m));
        add_piece(mfn, a.order, a.owned ? a.domid : CM_ANON,
                  a.owned && !a.counted);
    } else if (a.kind == CM_ALLOC_OK) {
        FAIL("hv refused, the model predicts success (evicted %u)",
             a.evicted);
    }
    if (d)
        compare_dom(d->domain_id);
    g.count[a.kind == CM_ALLOC_DENIED ? C_DENIED
            : a.kind == CM_ALLOC_FAILED ? C_FAILED
            : a.kind == CM_ALLOC_ASSIGN_FAILED ? C_ASSIGN : C_OK]++;
    g.count[C_EVICTED] += a.evicted;
    check_alloc_trace(&a);
}

/*
 * Give back piece i, or with partial an aligned part of it (the rest stays
 * held as buddy halves).
 */
static void free_piece(unsigned int i, bool partial)
{
    struct piece p = g.pieces[i];
    unsigned int j = p.order;
    uint64_t target;
    uint32_t owner;
    bool counted;
    struct page_info *pg;

    drop_piece(i);
    if (partial && p.order) {
        j = (unsigned int)rnd(p.order);
        target = p.mfn + (rnd(1ull << (p.order - j)) << j);
        while (p.order > j) {
            unsigned int half = p.order - 1;
            uint64_t hi = p.mfn + (1ull << half);

            if (target >= hi) {
                add_piece(p.mfn, half, p.owner, p.extra);
                p.mfn = hi;
            } else {
                add_piece(hi, half, p.owner, p.extra);
            }
            p.order = half;
        }
        g.count[C_FREE_SUB]++;
    }
    describe("free %#" PRIx64 " order %u of d%d%s", p.mfn, j,
             p.owner == CM_ANON ? -1 : (int)p.owner,
             p.extra ? " (no_refcount)" : "");
    if (cm_free_pages(g.m, p.mfn, j, &owner, &counted))
        FAIL("harness: the model says the piece is not allocated");
    DIFF(owner, p.owner, "harness: piece owner");
    pg = hvh_mfn_to_page(p.mfn);
    if (p.extra && (g.avoid_known & AVOID_NOREF_FREE))
        page_set_owner(pg, j, NULL);
    free_domheap_pages(pg, j);
    if (p.owner != CM_ANON)
        compare_dom(p.owner);
    if (counted) {
        struct xct_ev_TOT_PAGES e;

        DIFF(count_recs(XCT_EV_TOT_PAGES), 1, "tot_pages records of a free");
        xct_dec_TOT_PAGES(find_rec(XCT_EV_TOT_PAGES)->words, &e);
        DIFF(e.delta, -(1 << j), "tot_pages delta of a free");
    } else {
        DIFF(count_heap(XCT_HEAP_ANON_FREE), 1, "anon_free heap records");
        DIFF(count_recs(XCT_EV_TOT_PAGES), 0,
             "tot_pages records of an uncounted free");
    }
    DIFF(count_recs(XCT_EV_CLAIM) + count_recs(XCT_EV_CLAIM_RELEASE) +
         count_recs(XCT_EV_CLAIM_DRAW), 0, "claim records of a free");
}

static void op_free(void)
{
    if (g.npieces)
        free_piece((unsigned int)rnd(g.npieces), chance(30));
}

/* Does the stake name a domain whose figures a record may leave at 0? */
static bool figures_zero(unsigned int domid)
{
    const struct cm_dom *md = cm_dom(g.m, domid);

    return !md || (!md->tot && !md->claim);
}

static void op_stake(bool cancel)
{
    struct cm_claim_req q;
    struct cm_claim_out o;
    struct cm_totals t;
    struct domain *caller = g.hd[0], *cd;
    const struct cm_dom *md;
    static xen_pfn_t dummy;
    struct xen_memory_reservation r;
    struct xct_ev_CLAIM e;
    unsigned int x;
    uint64_t avail, favail;
    long rc;

    memset(&q, 0, sizeof(q));
    cm_totals(g.m, &t);
    /* the target */
    x = (unsigned int)rnd(100);
    if (x < 82) {
        cd = cancel ? pick_claimant() : pick_alive();
        q.domid = cd ? cd->domain_id : 1 + (uint32_t)rnd(NDOM - 1);
    } else if (x < 90) {
        q.domid = 1 + (uint32_t)rnd(NDOM - 1);
    } else if (x < 95) {
        static const uint32_t odd[] = { 0x7ff0, 0x7ff4, 0xffff, 17, 999 };

        q.domid = odd[rnd(5)];
    } else {
        q.domid = 0;
    }
    /* the caller */
    if (chance(10)) {
        cd = pick_live(false);
        if (cd)
            caller = cd;
    }
    /* the request */
    md = cm_dom(g.m, q.domid);
    avail = t.free + t.freeable > t.outstanding
                ? t.free + t.freeable - t.outstanding : 0;
    favail = t.free > t.outstanding ? t.free - t.outstanding : 0;
    if (cancel || (md && md->claim && chance(50))) {
        q.nr_pages = 0;
    } else {
        uint64_t tot = md ? md->tot : 0, max = md ? md->max : 0;

        uint64_t room = max > tot ? max - tot : 1;

        if (room > avail + 1)
            room = avail + 1;
        switch (rnd(14)) {
        case 0: case 1: q.nr_pages = tot + avail; break;
        case 2: q.nr_pages = tot + avail + 1; break;
        case 3: q.nr_pages = tot + favail + rnd(2); break;
        case 4: q.nr_pages = max + rnd(2); break;
        case 5: q.nr_pages = tot - (tot ? rnd(2) : 0); break;
        case 6:
            q.nr_pages = chance(50) ? 1ull << (32 + rnd(9)) : UINT64_MAX;
            break;
        case 7: q.nr_pages = rnd(3000); break;
        case 8: case 9: case 10: case 11:
            q.nr_pages = tot + 1 + rnd(room);
            break;
        default: q.nr_pages = tot + 1 + rnd(avail / 2 + 16); break;
        }
    }
    x = (unsigned int)rnd(100);
    q.flags = x < 75 ? 0 : x < 95 ? XENMEM_CLAIMF_free_only
                                   : 1u << rnd(32);
    if (chance(2))
        q.extent_order = 1 + (unsigned int)rnd(9);
    if (chance(2))
        q.extent_list = true;
    q.caller = caller->domain_id;

    /*
     * Refusals before the domain's figures are read (request checks, an
     * unprivileged caller): see the header.
     */
    if ((g.avoid_known & AVOID_ZERO_FIGURES) && !figures_zero(q.domid) &&
        (!caller->is_privileged ||
         (q.flags & ~XENMEM_CLAIMF_free_only) || q.extent_order ||
         q.extent_list))
        q.domid = 999;

    describe("claim d%u nr %" PRIu64 " flags %#x order %u%s caller d%u",
             q.domid, q.nr_pages, q.flags, q.extent_order,
             q.extent_list ? " list" : "", q.caller);
    cm_claim(g.m, &q, &o);

    memset(&r, 0, sizeof(r));
    r.extent_start.p = q.extent_list ? &dummy : NULL;
    r.nr_extents = q.nr_pages;
    r.extent_order = q.extent_order;
    r.mem_flags = q.flags;
    r.domid = (domid_t)q.domid;
    hvh_set_current(caller, 0);
    rc = memory_claim_pages(&r);
    hvh_set_current(g.hd[0], 0);

    DIFF(rc, o.rc, "claim result");
    g.count[rc ? C_STAKE_ERR : C_STAKE_OK]++;
    g.count[C_ENOMEM] += rc == -ENOMEM;
    DIFF(count_recs(XCT_EV_CLAIM), 1, "claim records");
    DIFF(count_recs(XCT_EV_CLAIM_RELEASE), o.released != 0,
         "claim_release records");
    xct_dec_CLAIM(find_rec(XCT_EV_CLAIM)->words, &e);
    DIFF(e.domid, (domid_t)q.domid, "claim record domid");
    DIFF(e.flags, q.flags, "claim record flags");
    DIFF(e.result, o.rc, "claim record result");
    DIFF(e.nr_pages, q.nr_pages, "claim record nr_pages");
    DIFF(e.claim, o.domain_known ? o.claim : 0, "claim record claim");
    DIFF(e.tot_pages, o.domain_known ? o.tot : 0, "claim record tot_pages");
}

static void op_create(void)
{
    unsigned int id = 1 + (unsigned int)rnd(NDOM - 1);
    bool priv = chance(4);
    struct domain *d;
    int mrc;

    describe("create d%u%s", id, priv ? " privileged" : "");
    mrc = cm_dom_create(g.m, id, priv);
    d = hvh_domain_create((domid_t)id, priv);
    DIFF(d ? 0 : -errno, mrc, "domain create");
    if (d) {
        g.hd[id] = d;
        DIFF(count_recs(XCT_EV_DOMAIN), 1, "domain records");
        if (chance(80)) {
            uint64_t max = chance(50) ? 16 + rnd(2500) : 1ull << 31;

            cm_dom_set_max(g.m, id, max);
            domain_set_max_pages(d, max);
        }
    }
}

static void op_setmax(void)
{
    struct domain *d = pick_live(true);
    uint64_t v;

    switch (rnd(6)) {
    case 0: v = 0; break;
    case 1: v = d->tot_pages + rnd(2); break;
    case 2: v = (uint64_t)d->tot_pages + d->outstanding_pages; break;
    case 3: v = 1ull << (31 + rnd(4)); break;
    default: v = d->tot_pages + rnd(2500); break;
    }
    describe("setmax d%u %" PRIu64, d->domain_id, v);
    cm_dom_set_max(g.m, d->domain_id, v);
    domain_set_max_pages(d, v);
}

static void op_kill(void)
{
    struct domain *d = pick_live(false);
    uint32_t released = 0;

    if (!d || d->is_dying)
        return;
    describe("kill d%u", d->domain_id);
    cm_dom_kill(g.m, d->domain_id, &released);
    hvh_domain_kill(d);
    DIFF(count_recs(XCT_EV_CLAIM_RELEASE), released != 0,
         "claim_release records of a death");
}

/*
 * A dying domain: give back one of its pieces, or (rarely, while it still
 * owns counted pages) try to destroy it: -EBUSY.  A dying domain without
 * pieces, or a live one (-EINVAL): try to destroy it.
 */
static void op_reap(void)
{
    struct domain *d = pick_dying();
    unsigned int i, id, n, k;
    int rc, mrc;

    if (!d)
        return;
    id = d->domain_id;
    n = pieces_of(id);
    if (d->is_dying && n && (!d->tot_pages || !chance(20))) {
        /* up to 8 of its pieces, each checked on its own */
        for (k = 0; k < 8 && pieces_of(id); k++) {
            for (i = 0; g.pieces[i].owner != id; i++)
                ;
            free_piece(i, false);
            feed_replay();
            compare_state();
        }
        return;
    }
    describe("destroy d%u (%s, tot %u, %u pieces)", id,
             d->is_dying ? "dying" : "alive", d->tot_pages, n);
    mrc = cm_dom_destroy(g.m, id);
    rc = hvh_domain_destroy(d);
    DIFF(rc, mrc, "destroy");
    if (!rc) {
        g.hd[id] = NULL;
        g.count[C_DESTROY]++;
        DIFF(count_recs(XCT_EV_DOMAIN), 1, "domain records of a destroy");
    } else {
        DIFF(g.nrecs, 0, "records of a refused destroy");
    }
}

static void op_tmem_put(void)
{
    uint64_t mfn = 0;
    int mrc, rc;

    describe("tmem put");
    mrc = cm_tmem_put(g.m, &mfn);
    if (mrc == -EPROTO)
        FAIL("%s", cm_error(g.m));
    rc = hvh_tmem_put();
    DIFF(rc, mrc, "tmem put");
    if (!rc) {
        g.count[C_PUT]++;
        /* the frame the model chose must be the one hv took */
        DIFF(hvh_offline_page(mfn), -EBUSY, "frame %#" PRIx64
             " (the model's tmem frame) allocated", mfn);
        DIFF(count_heap(XCT_HEAP_TMEM_PUT), 1, "tmem_put heap records");
    } else if (rc == -ENOMEM) {
        DIFF(count_recs(XCT_EV_ALLOC_FAILED), 1, "alloc_failed of a put");
    } else {
        DIFF(g.nrecs, 0, "records of a refused put");
    }
}

static void op_tmem_flush(void)
{
    uint64_t mfn = 0;

    describe("tmem flush");
    DIFF(hvh_tmem_flush(), cm_tmem_flush(g.m, &mfn), "tmem flush");
}

static void op_offline(void)
{
    uint64_t mfn;
    int tries, rc;

    if (g.noffline >= NFRAMES / 40)
        return;
    mfn = rnd(NFRAMES + 4);
    /* mostly a free frame */
    for (tries = 0; tries < 16 && chance(80) &&
         cm_frame_state(g.m, mfn) != CM_FRAME_FREE; tries++)
        mfn = rnd(NFRAMES);
    describe("offline %#" PRIx64, mfn);
    rc = hvh_offline_page(mfn);
    DIFF(rc, cm_offline(g.m, mfn), "offline");
    if (!rc) {
        g.offline[g.noffline++] = mfn;
        g.count[C_OFFLINE]++;
    }
}

static void op_online(void)
{
    uint64_t mfn;
    unsigned int i = 0;
    int rc;

    if (g.noffline && chance(90)) {
        i = (unsigned int)rnd(g.noffline);
        mfn = g.offline[i];
    } else {
        mfn = rnd(NFRAMES + 4);
    }
    describe("online %#" PRIx64, mfn);
    rc = hvh_online_page(mfn);
    DIFF(rc, cm_online(g.m, mfn), "online");
    if (!rc)
        for (i = 0; i < g.noffline; i++)
            if (g.offline[i] == mfn) {
                g.offline[i] = g.offline[--g.noffline];
                break;
            }
}

static void one_op(void)
{
    struct cm_totals t;
    unsigned int r;

    cm_totals(g.m, &t);
    r = (unsigned int)rnd(1000);
    if (((g.op >> 14) & 3) == 3) {
        /*
         * Squeeze, one window in four: fill the heap and the tmem pool,
         * so that allocations run out of free blocks and evict.
         */
        if (r < 350)
            op_alloc(r < 250 ? false : true);
        else if (r < 550)
            op_tmem_put();
        else if (r < 600)
            op_free();
        else if (r < 650)
            op_stake(false);
        else if (r < 700)
            op_tmem_flush();
        else if (r < 720)
            op_reap();
        else
            op_alloc(false);
        return;
    }
    /* under pressure, give pages back more often */
    if (t.free < NFRAMES / 8 && r < 300 && chance(50)) {
        op_free();
        return;
    }
    if (r < 330)
        op_alloc(false);
    else if (r < 400)
        op_alloc(true);
    else if (r < 640)
        op_free();
    else if (r < 760)
        op_stake(false);
    else if (r < 790)
        op_stake(true);
    else if (r < 820)
        op_create();
    else if (r < 850)
        op_setmax();
    else if (r < 862)
        op_kill();
    else if (r < 890)
        op_reap();
    else if (r < 935)
        op_tmem_put();
    else if (r < 960)
        op_tmem_flush();
    else if (r < 980)
        op_offline();
    else
        op_online();
}

/*
 * Every frame, hv's heap against the model's map: a free frame goes
 * offline and straight back (0, 0), an allocated or tmem one is busy, an
 * offline one is refused.
 */
static void probe_frames(void)
{
    uint64_t mfn;
    int st, rc;

    for (mfn = 0; mfn < NFRAMES; mfn++) {
        g.nrecs = 0;
        describe("probe frame %#" PRIx64, mfn);
        st = cm_frame_state(g.m, mfn);
        rc = hvh_offline_page(mfn);
        DIFF(rc, st == CM_FRAME_FREE ? 0
                 : st == CM_FRAME_OFFLINE ? -EINVAL : -EBUSY,
             "probe: offline of a frame in model state %d", st);
        if (!rc)
            DIFF(hvh_online_page(mfn), 0, "probe: online again");
        feed_replay();
    }
    compare_state();
}

static unsigned long env_ul(const char *name, unsigned long def)
{
    const char *s = getenv(name);
    char *end;
    unsigned long v;

    if (!s || !*s)
        return def;
    v = strtoul(s, &end, 0);
    return *end ? def : v;
}

static void test_differential(void **state)
{
    struct timespec t0, t1;
    double secs;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (g.op = 1; g.op <= g.ops; g.op++) {
        g.nrecs = 0;
        g.what[0] = 0;
        g.hist[g.op % HISTORY][0] = 0;
        one_op();
        feed_replay();
        compare_state();
        if (!(g.op & 4095)) {
            if (cm_self_check(g.m))
                FAIL("model self-check: %s", cm_error(g.m));
            DIFF(hvh_heap_check(), 0, "hv heap check");
        }
        if (!(g.op & 65535))
            probe_frames();
    }
    probe_frames();
    g.op--;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# seed %#" PRIx64 ": %lu operations in %.1f s; allocations: "
           "%lu ok, %lu denied, %lu failed, %lu assignment failed; "
           "stakes: %lu ok, %lu refused (%lu ENOMEM); %lu tmem puts, "
           "%lu evictions, %lu offlined, %lu destroyed, %lu partial frees\n",
           g.seed, g.ops, secs, g.count[C_OK], g.count[C_DENIED],
           g.count[C_FAILED], g.count[C_ASSIGN], g.count[C_STAKE_OK],
           g.count[C_STAKE_ERR], g.count[C_ENOMEM], g.count[C_PUT],
           g.count[C_EVICTED], g.count[C_OFFLINE], g.count[C_DESTROY],
           g.count[C_FREE_SUB]);
    /* every kind of outcome must have happened */
    DIFF(g.count[C_DENIED] > 0, 1, "some denials");
    DIFF(g.count[C_FAILED] > 0, 1, "some ordinary failures");
    DIFF(g.count[C_ASSIGN] > 0, 1, "some failed assignments");
    DIFF(g.count[C_ENOMEM] > 0, 1, "some -ENOMEM stakes");
    DIFF(g.count[C_EVICTED] > 0, 1, "some evictions");
}

static int setup(void **state)
{
    struct hvh_config cfg;
    struct cm_config mc;

    (void)state;
    g.seed = env_ul("XENCLAIM_SEED", DEFAULT_SEED);
    g.rng = g.seed * 0x9e3779b97f4a7c15ull + 1;
    g.ops = env_ul("XENCLAIM_DIFF_OPS", DEFAULT_OPS);
    g.avoid_known = (unsigned int)env_ul("XENCLAIM_DIFF_AVOID_KNOWN", 0);
    signal(SIGABRT, on_abort);

    memset(&cfg, 0, sizeof(cfg));
    cfg.nr_nodes = 2;
    cfg.node_pages[0] = NODE0;
    cfg.node_pages[1] = NODE1;
    cfg.tmem_capacity = TMEM_CAP;
    memset(&mc, 0, sizeof(mc));
    mc.nr_nodes = 2;
    mc.node_pages[0] = NODE0;
    mc.node_pages[1] = NODE1;
    mc.tmem_capacity = TMEM_CAP;
    if (hvh_init(&cfg))
        return -1;
    g.m = cm_new(&mc);
    g.rp = xct_replay_new();
    if (!g.m || !g.rp)
        return -1;
    xct_replay_set_issue_cb(g.rp, on_issue, NULL);
    hvh_set_trace_sink(sink, NULL);

    /* dom0 exists before tracing starts: the dump lists it */
    g.hd[0] = hvh_domain_create(0, true);
    if (!g.hd[0] || cm_dom_create(g.m, 0, true))
        return -1;
    domain_set_max_pages(g.hd[0], 500);
    cm_dom_set_max(g.m, 0, 500);
    hvh_set_current(g.hd[0], 0);
    g.nrecs = 0;
    hvh_trace_start();
    feed_replay();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xct_replay_free(g.rp);
    cm_free(g.m);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
    };

    return cmocka_run_group_tests_name("hv_diff", tests, setup, teardown);
}
