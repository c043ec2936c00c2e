/* test_hv_errno.c: claim errnos, check order, records, sharp edges of hv/. */
/* SPDX-License-Identifier: MIT */
/*
 * One host for the whole program (hv/ keeps its counters in file-scope
 * variables): one node of 4096 pages and a tmem pool of 64 pages.  dom0 is
 * the only domain that outlives a test; every test starts from and returns
 * to an empty heap (checked by the teardown).
 *
 * Expected values come from docs/claims.md and xct_events.h, worked out
 * in the tests from the pages they hand out, never read back from hv/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/page_claim.h"
#include "hvhost/hvhost.h"
#include "xct_events.h"
#include <public/memory.h>

#define HEAP_PAGES  4096u
#define TMEM_CAP    64u
#define MAX_HELD    (HEAP_PAGES + 64)
#define MAX_RECS    (3 * HEAP_PAGES + 256)

/* Fail with "what: expected W, got S" when seen != want. */
#define CHECK_EQ(seen, want, ...)                                          \
    do {                                                                   \
        long long s_ = (long long)(seen), w_ = (long long)(want);          \
        if (s_ != w_) {                                                    \
            char m_[256];                                                  \
            snprintf(m_, sizeof(m_), __VA_ARGS__);                         \
            fail_msg("%s: expected %lld, got %lld", m_, w_, s_);           \
        }                                                                  \
    } while (0)

/* Fail with a message when cond is false. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            char m_[256];                                                  \
            snprintf(m_, sizeof(m_), __VA_ARGS__);                         \
            fail_msg("%s (%s is false)", m_, #cond);                       \
        }                                                                  \
    } while (0)

/* ---- trace capture ------------------------------------------------- */

struct rec {
    uint32_t event;
    unsigned int nwords;
    uint32_t w[XCT_MAX_WORDS];
};

static struct rec recs[MAX_RECS];
static unsigned int nrecs;
static bool recs_overflow;

static void sink(void *opaque, unsigned int cpu, uint32_t event, uint64_t tsc,
                 unsigned int nwords, const uint32_t *words)
{
    (void)opaque;
    (void)cpu;
    (void)tsc;
    if (nrecs == MAX_RECS) {
        recs_overflow = true;
        return;
    }
    recs[nrecs].event = event;
    recs[nrecs].nwords = nwords;
    memcpy(recs[nrecs].w, words, nwords * sizeof(uint32_t));
    nrecs++;
}

static void rec_reset(void)
{
    nrecs = 0;
    recs_overflow = false;
}

static unsigned int rec_count(uint32_t event)
{
    unsigned int i, n = 0;

    for (i = 0; i < nrecs; i++)
        n += recs[i].event == event;
    return n;
}

/* The nth (from 0) record of event, checked for its word count. */
static const struct rec *rec_nth(uint32_t event, unsigned int nth,
                                 unsigned int nwords)
{
    unsigned int i;

    for (i = 0; i < nrecs; i++) {
        if (recs[i].event != event)
            continue;
        if (nth--)
            continue;
        CHECK_EQ(recs[i].nwords, nwords, "words of record %#x", event);
        return &recs[i];
    }
    fail_msg("no record %#x number %u among %u records", event, nth, nrecs);
    return NULL;
}

/* Index of the first record of event, nrecs if none. */
static unsigned int rec_index(uint32_t event)
{
    unsigned int i;

    for (i = 0; i < nrecs; i++)
        if (recs[i].event == event)
            break;
    return i;
}

static struct xct_ev_CLAIM rec_claim(unsigned int nth)
{
    struct xct_ev_CLAIM e;

    xct_dec_CLAIM(rec_nth(XCT_EV_CLAIM, nth, XCT_NWORDS_CLAIM)->w, &e);
    return e;
}

static struct xct_ev_HEAP rec_heap(unsigned int nth)
{
    struct xct_ev_HEAP e;

    xct_dec_HEAP(rec_nth(XCT_EV_HEAP, nth, XCT_NWORDS_HEAP)->w, &e);
    return e;
}

static struct xct_ev_TOT_PAGES rec_tot(unsigned int nth)
{
    struct xct_ev_TOT_PAGES e;

    xct_dec_TOT_PAGES(rec_nth(XCT_EV_TOT_PAGES, nth,
                              XCT_NWORDS_TOT_PAGES)->w, &e);
    return e;
}

static struct xct_ev_CLAIM_RELEASE rec_release(unsigned int nth)
{
    struct xct_ev_CLAIM_RELEASE e;

    xct_dec_CLAIM_RELEASE(rec_nth(XCT_EV_CLAIM_RELEASE, nth,
                                  XCT_NWORDS_CLAIM_RELEASE)->w, &e);
    return e;
}

static struct xct_ev_ALLOC_DENIED rec_denied(unsigned int nth)
{
    struct xct_ev_ALLOC_DENIED e;

    xct_dec_ALLOC_DENIED(rec_nth(XCT_EV_ALLOC_DENIED, nth,
                                 XCT_NWORDS_ALLOC_DENIED)->w, &e);
    return e;
}

static struct xct_ev_CLAIM_DRAW rec_draw(unsigned int nth)
{
    struct xct_ev_CLAIM_DRAW e;

    xct_dec_CLAIM_DRAW(rec_nth(XCT_EV_CLAIM_DRAW, nth,
                               XCT_NWORDS_CLAIM_DRAW)->w, &e);
    return e;
}

static struct xct_ev_DOMAIN rec_domain(unsigned int nth)
{
    struct xct_ev_DOMAIN e;

    xct_dec_DOMAIN(rec_nth(XCT_EV_DOMAIN, nth, XCT_NWORDS_DOMAIN)->w, &e);
    return e;
}

/* ---- host, domains, held pages -------------------------------------- */

static struct domain *dom0;

/* Domains a test created (destroyed by the teardown). */
#define MAX_TDOMS 16
static struct domain *tdoms[MAX_TDOMS];
static unsigned int ntdoms;

/*
 * extra: a MEMF_no_refcount page assigned to a domain.  hv/ lowers
 * tot_pages when such a page is freed (test_free_no_refcount_keeps_tot),
 * which aborts on BUG_ON once tot_pages is too small; the other tests give
 * these pages back as anonymous ones so that the bug does not abort them.
 */
struct piece {
    struct page_info *pg;
    unsigned int order;
    bool extra;
};

static struct piece held[MAX_HELD];
static unsigned int nheld;

static struct domain *mkdom(domid_t id, bool priv, uint64_t max_pages)
{
    struct domain *d = hvh_domain_create(id, priv);

    CHECK(d != NULL, "create d%u: %s", id, strerror(errno));
    if (max_pages)
        domain_set_max_pages(d, max_pages);
    assert_true(ntdoms < MAX_TDOMS);
    tdoms[ntdoms++] = d;
    return d;
}

static void hold(struct page_info *pg, unsigned int order, bool extra)
{
    assert_true(nheld < MAX_HELD);
    held[nheld].pg = pg;
    held[nheld].order = order;
    held[nheld].extra = extra;
    nheld++;
}

/* Allocate and keep; fail the test when hv refuses. */
static struct page_info *alloc_ok(struct domain *d, unsigned int order,
                                  unsigned int memflags, const char *what)
{
    struct page_info *pg = alloc_domheap_pages(d, order, memflags);

    CHECK(pg != NULL, "%s: allocation of order %u for d%d refused", what,
          order, d ? d->domain_id : -1);
    hold(pg, order, d && (memflags & MEMF_no_refcount) &&
         !(memflags & MEMF_no_owner));
    return pg;
}

/* Free the most recent n held pieces. */
static void release_last(unsigned int n)
{
    while (n-- && nheld) {
        nheld--;
        if (held[nheld].extra)
            page_set_owner(held[nheld].pg, held[nheld].order, NULL);
        free_domheap_pages(held[nheld].pg, held[nheld].order);
    }
}

static struct heap_totals totals(void)
{
    struct heap_totals t;

    memset(&t, 0, sizeof(t));
    get_heap_totals(&t);
    return t;
}

static void expect_totals(uint64_t free, uint64_t freeable,
                          uint64_t outstanding, const char *when)
{
    struct heap_totals t = totals();

    CHECK_EQ(t.free_pages, free, "%s: free pages", when);
    CHECK_EQ(t.freeable_pages, freeable, "%s: tmem-freeable pages", when);
    CHECK_EQ(t.outstanding, outstanding, "%s: outstanding claims", when);
}

static void expect_dom(const struct domain *d, uint32_t tot, uint32_t claim,
                       const char *when)
{
    CHECK_EQ(d->tot_pages, tot, "%s: d%u tot_pages", when, d->domain_id);
    CHECK_EQ(d->outstanding_pages, claim, "%s: d%u claim", when,
             d->domain_id);
}

/* XENMEM_claim_pages as caller. */
static long claim_ex(struct domain *caller, unsigned int domid, uint64_t nr,
                     unsigned int flags, unsigned int order, bool list)
{
    static xen_pfn_t dummy;
    struct xen_memory_reservation r;

    memset(&r, 0, sizeof(r));
    r.extent_start.p = list ? &dummy : NULL;
    r.nr_extents = nr;
    r.extent_order = order;
    r.mem_flags = flags;
    r.domid = (domid_t)domid;
    hvh_set_current(caller, 0);
    return memory_claim_pages(&r);
}

static long claim(struct domain *d, uint64_t nr)
{
    return claim_ex(dom0, d->domain_id, nr, 0, 0, false);
}

static int setup_group(void **state)
{
    struct hvh_config cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.nr_nodes = 1;
    cfg.node_pages[0] = HEAP_PAGES;
    cfg.tmem_capacity = TMEM_CAP;
    if (hvh_init(&cfg))
        return -1;
    hvh_set_trace_sink(sink, NULL);
    dom0 = hvh_domain_create(0, true);
    if (!dom0)
        return -1;
    hvh_set_current(dom0, 0);
    hvh_trace_start();
    return 0;
}

static int setup(void **state)
{
    (void)state;
    rec_reset();
    hvh_set_current(dom0, 0);
    return 0;
}

/* Undo everything a test did, then check the heap is back to empty. */
static int teardown(void **state)
{
    unsigned int i;
    uint64_t mfn;
    struct heap_totals t;

    (void)state;
    hvh_set_current(dom0, 0);
    release_last(nheld);
    while (hvh_tmem_flush() == 0)
        ;
    for (mfn = 0; mfn < hvh_nr_frames(); mfn++)
        hvh_online_page(mfn);
    for (i = 0; i < ntdoms; i++) {
        if (!tdoms[i]->is_dying)
            hvh_domain_kill(tdoms[i]);
        if (hvh_domain_destroy(tdoms[i])) {
            fprintf(stderr, "teardown: d%u not destroyed\n",
                    tdoms[i]->domain_id);
            return -1;
        }
    }
    ntdoms = 0;
    claim(dom0, 0);
    t = totals();
    if (t.free_pages != HEAP_PAGES || t.freeable_pages || t.outstanding ||
        hvh_nr_domains() != 1 || hvh_heap_check()) {
        fprintf(stderr, "teardown: heap not back to empty: free %lu "
                "freeable %lu outstanding %lu domains %u\n",
                t.free_pages, t.freeable_pages, t.outstanding,
                hvh_nr_domains());
        return -1;
    }
    return 0;
}

/* ---- the errno table ------------------------------------------------ */

enum { D0, DU, DA, DH, DZ, DK, DB, NDOMS };

static const char *const dname[NDOMS] = {
    "dom0", "unprivileged d5", "d1", "d2 (claim holder)",
    "d3 (max_pages never set)", "d4 (dying)", "d6 (max clamped)",
};

/* How a row's nr_pages is computed from the state before the call. */
enum nr_kind {
    NR_ABS,         /* delta */
    NR_TOT,         /* target's tot_pages + delta */
    NR_MAX,         /* target's max_pages + delta */
    NR_AVAIL,       /* tot + free + freeable - outstanding + delta */
    NR_FREE_AVAIL,  /* tot + free - outstanding + delta */
};

/* What the claim record says about the domain. */
enum fig { FIG_NONE, FIG_DOM, FIG_SKIP };

struct row {
    const char *what;
    int caller;             /* D* */
    int target;             /* D*, or -1: use domid */
    unsigned int domid;
    enum nr_kind kind;
    int64_t delta;
    unsigned int flags;
    unsigned int order;
    bool list;
    int rc;
    enum fig fig;
};

#define FO XENMEM_CLAIMF_free_only

static const struct row rows[] = {
    /* 1. the request itself, before anything else */
    { "unknown flag bit 1", D0, DA, 0, NR_ABS, 500, 2, 0, false,
      -EINVAL, FIG_NONE },
    { "flag bit 31", D0, DA, 0, NR_ABS, 500, 0x80000000u, 0, false,
      -EINVAL, FIG_NONE },
    { "free_only plus an unknown bit", D0, DA, 0, NR_ABS, 500, FO | 8, 0,
      false, -EINVAL, FIG_NONE },
    { "extent order 1", D0, DA, 0, NR_ABS, 500, 0, 1, false,
      -EINVAL, FIG_NONE },
    { "extent order 9 with free_only", D0, DA, 0, NR_ABS, 500, FO, 9, false,
      -EINVAL, FIG_NONE },
    { "an extent list", D0, DA, 0, NR_ABS, 500, 0, 0, true,
      -EINVAL, FIG_NONE },
    { "bad flag before privilege", DU, DA, 0, NR_ABS, 500, 2, 0, false,
      -EINVAL, FIG_NONE },
    { "bad flag before the domain", D0, -1, 77, NR_ABS, 500, 4, 0, false,
      -EINVAL, FIG_NONE },
    { "extent list on a dying domain", D0, DK, 0, NR_ABS, 0, 0, 0, true,
      -EINVAL, FIG_NONE },
    /* 2. the domain */
    { "unknown domain", D0, -1, 77, NR_ABS, 500, 0, 0, false,
      -EINVAL, FIG_NONE },
    { "cancel on an unknown domain", D0, -1, 77, NR_ABS, 0, 0, 0, false,
      -EINVAL, FIG_NONE },
    { "DOMID_SELF is not looked up", D0, -1, 0x7ff0, NR_ABS, 500, 0, 0,
      false, -EINVAL, FIG_NONE },
    { "domid 0xffff", D0, -1, 0xffff, NR_ABS, 500, 0, 0, false,
      -EINVAL, FIG_NONE },
    { "unknown domain before privilege", DU, -1, 77, NR_ABS, 500, 0, 0,
      false, -EINVAL, FIG_NONE },
    /* 3. privilege */
    { "unprivileged caller", DU, DA, 0, NR_ABS, 500, 0, 0, false,
      -EPERM, FIG_SKIP },
    { "unprivileged caller, own domain", DU, DU, 0, NR_ABS, 1, 0, 0, false,
      -EPERM, FIG_SKIP },
    { "unprivileged before dying", DU, DK, 0, NR_ABS, 500, 0, 0, false,
      -EPERM, FIG_SKIP },
    { "unprivileged cancel", DU, DH, 0, NR_ABS, 0, 0, 0, false,
      -EPERM, FIG_SKIP },
    /* 4. dying */
    { "dying domain", D0, DK, 0, NR_ABS, 500, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "cancel on a dying domain", D0, DK, 0, NR_ABS, 0, 0, 0, false,
      -EINVAL, FIG_DOM },
    /* 5. cancel */
    { "cancel without a claim", D0, DA, 0, NR_ABS, 0, 0, 0, false,
      0, FIG_DOM },
    { "cancel with free_only", D0, DA, 0, NR_ABS, 0, FO, 0, false,
      0, FIG_DOM },
    { "cancel with max_pages never set", D0, DZ, 0, NR_ABS, 0, 0, 0, false,
      0, FIG_DOM },
    /* 6. one claim per domain */
    { "second claim", D0, DH, 0, NR_ABS, 200, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "second claim, same target", D0, DH, 0, NR_ABS, 100, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "second claim beyond max", D0, DH, 0, NR_MAX, 1, 0, 0, false,
      -EINVAL, FIG_DOM },
    /* 7. the target */
    { "nr_pages == tot_pages", D0, DA, 0, NR_TOT, 0, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "nr_pages < tot_pages", D0, DA, 0, NR_TOT, -1, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "nr_pages == 1 < tot_pages", D0, DA, 0, NR_ABS, 1, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "nr_pages > max_pages", D0, DA, 0, NR_MAX, 1, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "max_pages never set", D0, DZ, 0, NR_ABS, 1, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "above max before ENOMEM", D0, DB, 0, NR_ABS, 1LL << 33, 0, 0, false,
      -EINVAL, FIG_DOM },
    { "one above the clamped max", D0, DB, 0, NR_ABS, 1LL << 32, 0, 0,
      false, -EINVAL, FIG_DOM },
    /* 8. room */
    { "the clamped max itself", D0, DB, 0, NR_ABS, UINT32_MAX, 0, 0, false,
      -ENOMEM, FIG_DOM },
    { "free + freeable - outstanding + 1", D0, DB, 0, NR_AVAIL, 1, 0, 0,
      false, -ENOMEM, FIG_DOM },
    { "free_only: free - outstanding + 1", D0, DB, 0, NR_FREE_AVAIL, 1, FO,
      0, false, -ENOMEM, FIG_DOM },
    /* 9. stakes and cancels */
    { "free_only: free - outstanding", D0, DB, 0, NR_FREE_AVAIL, 0, FO, 0,
      false, 0, FIG_DOM },
    { "cancel it", D0, DB, 0, NR_ABS, 0, 0, 0, false, 0, FIG_DOM },
    { "freeable counts: free - outstanding + 1", D0, DB, 0, NR_FREE_AVAIL,
      1, 0, 0, false, 0, FIG_DOM },
    { "cancel it again", D0, DB, 0, NR_ABS, 0, FO, 0, false, 0, FIG_DOM },
    { "free + freeable - outstanding", D0, DB, 0, NR_AVAIL, 0, 0, 0, false,
      0, FIG_DOM },
    { "nothing left for another domain", D0, DA, 0, NR_TOT, 1, 0, 0, false,
      -ENOMEM, FIG_DOM },
    { "nothing left, free_only", D0, DA, 0, NR_TOT, 1, FO, 0, false,
      -ENOMEM, FIG_DOM },
    { "cancel the big one", D0, DB, 0, NR_ABS, 0, 0, 0, false, 0, FIG_DOM },
    { "cancel the holder", D0, DH, 0, NR_ABS, 0, 0, 0, false, 0, FIG_DOM },
    { "stake again after a cancel", D0, DH, 0, NR_ABS, 100, 0, 0, false,
      0, FIG_DOM },
    { "target == max_pages", D0, DA, 0, NR_MAX, 0, 0, 0, false,
      0, FIG_DOM },
    { "cancel at max", D0, DA, 0, NR_ABS, 0, 0, 0, false, 0, FIG_DOM },
    { "one page", D0, DA, 0, NR_TOT, 1, FO, 0, false, 0, FIG_DOM },
};

struct snap {
    struct heap_totals t;
    uint32_t tot[NDOMS], claim[NDOMS], max[NDOMS];
    int dying[NDOMS];
};

static void take_snap(struct domain *const *d, struct snap *s)
{
    unsigned int i;

    s->t = totals();
    for (i = 0; i < NDOMS; i++) {
        s->tot[i] = d[i]->tot_pages;
        s->claim[i] = d[i]->outstanding_pages;
        s->max[i] = d[i]->max_pages;
        s->dying[i] = d[i]->is_dying;
    }
}

static void run_row(struct domain *const *d, const struct row *r,
                    unsigned int rowno)
{
    struct snap a, b;
    const struct domain *tg = r->target >= 0 ? d[r->target] : NULL;
    unsigned int domid = tg ? tg->domain_id : r->domid;
    int ti = r->target;
    uint64_t nr = 0, avail;
    uint32_t want_claim;
    long rc;
    char what[160];

    take_snap(d, &b);
    switch (r->kind) {
    case NR_ABS:
        nr = (uint64_t)r->delta;
        break;
    case NR_TOT:
        nr = b.tot[ti] + r->delta;
        break;
    case NR_MAX:
        nr = b.max[ti] + r->delta;
        break;
    case NR_AVAIL:
    case NR_FREE_AVAIL:
        avail = b.t.free_pages - b.t.outstanding;
        if (r->kind == NR_AVAIL)
            avail += b.t.freeable_pages;
        nr = b.tot[ti] + avail + r->delta;
        break;
    }
    snprintf(what, sizeof(what), "row %u \"%s\" (%s -> %s, nr %llu)", rowno,
             r->what, dname[r->caller], tg ? dname[ti] : "unknown domid",
             (unsigned long long)nr);

    rec_reset();
    rc = claim_ex(d[r->caller], domid, nr, r->flags, r->order, r->list);
    hvh_set_current(dom0, 0);
    CHECK_EQ(rc, r->rc, "%s: result", what);

    /* State: nothing moves on failure, the target's claim on success. */
    take_snap(d, &a);
    want_claim = ti >= 0 ? b.claim[ti] : 0;
    if (r->rc == 0)
        want_claim = nr ? (uint32_t)(nr - b.tot[ti]) : 0;
    CHECK_EQ(a.t.free_pages, b.t.free_pages, "%s: free pages", what);
    CHECK_EQ(a.t.freeable_pages, b.t.freeable_pages, "%s: freeable", what);
    CHECK_EQ(a.t.outstanding,
             b.t.outstanding - (ti >= 0 ? b.claim[ti] : 0) + want_claim,
             "%s: outstanding", what);
    for (unsigned int i = 0; i < NDOMS; i++) {
        CHECK_EQ(a.tot[i], b.tot[i], "%s: %s tot_pages", what, dname[i]);
        CHECK_EQ(a.max[i], b.max[i], "%s: %s max_pages", what, dname[i]);
        CHECK_EQ(a.dying[i], b.dying[i], "%s: %s dying", what, dname[i]);
        CHECK_EQ(a.claim[i], (int)i == ti ? want_claim : b.claim[i],
                 "%s: %s claim", what, dname[i]);
    }

    /* Trace: one claim record, and a release when a claim was cancelled. */
    {
        bool released = r->rc == 0 && nr == 0 && ti >= 0 && b.claim[ti];
        struct xct_ev_CLAIM e;

        CHECK(!recs_overflow, "%s: trace capture overflow", what);
        CHECK_EQ(rec_count(XCT_EV_CLAIM), 1, "%s: claim records", what);
        CHECK_EQ(rec_count(XCT_EV_CLAIM_RELEASE), released,
                 "%s: claim_release records", what);
        CHECK_EQ(nrecs, 1 + released, "%s: records written", what);
        CHECK_EQ(rec_index(XCT_EV_CLAIM), 0, "%s: claim record first", what);
        e = rec_claim(0);
        CHECK_EQ(e.domid, domid, "%s: record domid", what);
        CHECK_EQ(e.flags, r->flags, "%s: record flags", what);
        CHECK_EQ(e.result, r->rc, "%s: record result", what);
        CHECK_EQ(e.nr_pages, nr, "%s: record nr_pages", what);
        if (r->fig == FIG_NONE && ti >= 0) {
            /* Refused before the domain was in hand: its figures still. */
            CHECK_EQ(e.claim, b.claim[ti], "%s: record claim", what);
            CHECK_EQ(e.tot_pages, b.tot[ti], "%s: record tot_pages", what);
        } else if (r->fig == FIG_NONE) {
            CHECK_EQ(e.claim, 0, "%s: record claim (no domain)", what);
            CHECK_EQ(e.tot_pages, 0, "%s: record tot_pages (no domain)",
                     what);
        } else if (r->fig == FIG_DOM) {
            CHECK_EQ(e.claim, want_claim, "%s: record claim", what);
            CHECK_EQ(e.tot_pages, b.tot[ti], "%s: record tot_pages", what);
        }
        if (released) {
            struct xct_ev_CLAIM_RELEASE rl = rec_release(0);

            CHECK_EQ(rl.domid, domid, "%s: release domid", what);
            CHECK_EQ(rl.reason, XCT_RELEASE_CANCEL, "%s: release reason",
                     what);
            CHECK_EQ(rl.pages, b.claim[ti], "%s: release pages", what);
            CHECK_EQ(rl.outstanding, a.t.outstanding,
                     "%s: release outstanding", what);
        }
    }
}

/* The domains of the table, with the state the rows start from. */
static void table_domains(struct domain **d)
{
    unsigned int i;

    d[D0] = dom0;
    d[DU] = mkdom(5, false, 0);
    d[DA] = mkdom(1, false, 2000);
    d[DH] = mkdom(2, false, 1000);
    d[DZ] = mkdom(3, false, 0);
    d[DK] = mkdom(4, false, 1000);
    d[DB] = mkdom(6, false, 1ULL << 40);
    for (i = 0; i < 10; i++)
        alloc_ok(d[DA], 0, 0, "d1's ten pages");
    CHECK_EQ(claim(d[DH], 100), 0, "d2 stakes 100");
    hvh_domain_kill(d[DK]);
    for (i = 0; i < 20; i++)
        CHECK_EQ(hvh_tmem_put(), 0, "tmem put %u", i);
    /* 10 pages to d1, 20 to tmem, 100 claimed by d2 */
    expect_totals(HEAP_PAGES - 30, 20, 100, "table set-up");
    expect_dom(d[DA], 10, 0, "table set-up");
    expect_dom(d[DH], 0, 100, "table set-up");
    CHECK_EQ(d[DB]->max_pages, UINT32_MAX, "d6 max_pages clamped");
}

static void test_errno_table(void **state)
{
    struct domain *d[NDOMS];
    unsigned int i;

    (void)state;
    table_domains(d);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        run_row(d, &rows[i], i + 1);
}

/*
 * A refused claim's record carries the domain's figures whenever the
 * domain exists (xct_events.h: "0 when there is no such domain"), also
 * for an unprivileged caller's request.
 */
static void test_eperm_record_has_domain_figures(void **state)
{
    struct domain *a = mkdom(1, false, 1000), *u = mkdom(5, false, 0);
    struct xct_ev_CLAIM e;
    unsigned int i;

    (void)state;
    for (i = 0; i < 7; i++)
        alloc_ok(a, 0, 0, "d1's pages");
    CHECK_EQ(claim(a, 100), 0, "d1 stakes 100");
    rec_reset();
    CHECK_EQ(claim_ex(u, a->domain_id, 500, 0, 0, false), -EPERM,
             "unprivileged stake");
    CHECK_EQ(rec_count(XCT_EV_CLAIM), 1, "claim records");
    e = rec_claim(0);
    CHECK_EQ(e.result, -EPERM, "record result");
    /* d1: 7 pages, claim 100 - 7 = 93 */
    CHECK_EQ(e.claim, 93, "EPERM record claim (domain found)");
    CHECK_EQ(e.tot_pages, 7, "EPERM record tot_pages (domain found)");
}

/* ---- sharp edges ---------------------------------------------------- */

/* Allocate anonymous order-0 pages until free == left. */
static void fill_anon_until(uint64_t left)
{
    while (totals().free_pages > left)
        alloc_ok(NULL, 0, 0, "anonymous filler");
}

/*
 * A remaining claim of 488 with 300 unclaimed pages elsewhere: order 9
 * (512 pages) is denied, 488 order-0 pages are served.
 */
static void test_order9_near_claim_end(void **state)
{
    struct domain *a = mkdom(1, false, 10000);
    struct xct_ev_ALLOC_DENIED e;
    struct xct_ev_HEAP h;
    unsigned int i;

    (void)state;
    CHECK_EQ(claim(a, 1000), 0, "stake 1000");
    for (i = 0; i < 512; i++)
        alloc_ok(a, 0, 0, "first 512 pages");
    /* claim 488; free 4096 - 512 = 3584 */
    expect_dom(a, 512, 488, "after 512 pages");
    fill_anon_until(788);
    /* free 788 = claim 488 + 300 unclaimed */
    expect_totals(788, 0, 488, "heap filled");

    rec_reset();
    CHECK(alloc_domheap_pages(a, 9, 0) == NULL, "order 9 must be denied");
    expect_totals(788, 0, 488, "after the denial");
    expect_dom(a, 512, 488, "after the denial");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_DENIED), 1, "alloc_denied records");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_FAILED), 0, "alloc_failed records");
    e = rec_denied(0);
    CHECK_EQ(e.domid, 1, "denied domid");
    CHECK_EQ(e.order, 9, "denied order");
    CHECK_EQ(e.memflags, 0, "denied memflags");
    CHECK_EQ(e.claim, 488, "denied: own claim");
    h = rec_heap(0);
    CHECK_EQ(h.reason, XCT_HEAP_DENIED, "heap record after the denial");
    CHECK_EQ(h.node, XCT_NODE_ALL, "heap record node");
    CHECK_EQ(h.free, 788, "heap record free");
    CHECK_EQ(h.outstanding, 488, "heap record outstanding");
    CHECK_EQ(nrecs, 2, "records for a denial");

    for (i = 0; i < 488; i++)
        alloc_ok(a, 0, 0, "the 488 claimed pages");
    expect_dom(a, 1000, 0, "claim turned into pages");
    expect_totals(300, 0, 0, "after the claimed pages");
    /* the claim is gone: one more order-0 page comes from unclaimed memory */
    alloc_ok(a, 0, 0, "unclaimed page");
    expect_dom(a, 1001, 0, "unclaimed page");
}

/*
 * Offlining lowers free pages, never claims: outstanding may end above
 * free, nothing wraps, and staking answers -ENOMEM.
 */
static void test_offline_below_claims(void **state)
{
    struct domain *a = mkdom(1, false, 5000), *b = mkdom(2, false, 5000);
    struct domain *c = mkdom(3, false, 5000);
    uint64_t mfn, off = 0, free0;
    uint64_t f, o;
    struct xct_ev_HEAP h;
    unsigned int i;
    int rc;

    (void)state;
    fill_anon_until(2200);
    CHECK_EQ(claim(a, 1000), 0, "a stakes 1000");
    CHECK_EQ(claim(b, 1000), 0, "b stakes 1000");
    expect_totals(2200, 0, 2000, "claims staked");

    /* offline 500 free frames, from the top of the heap down */
    free0 = 2200;
    rec_reset();
    for (mfn = hvh_nr_frames(); mfn-- > 0 && off < 500;) {
        rc = hvh_offline_page(mfn);
        CHECK(rc == 0 || rc == -EBUSY, "offline %#lx: %d", (unsigned long)mfn,
              rc);
        if (rc == 0)
            off++;
    }
    CHECK_EQ(off, 500, "frames offlined");
    expect_totals(free0 - 500, 0, 2000, "500 frames offline");
    expect_dom(a, 0, 1000, "offline leaves claims");
    expect_dom(b, 0, 1000, "offline leaves claims");
    CHECK_EQ(rec_count(XCT_EV_HEAP), 500, "heap records for offlining");
    h = rec_heap(499);
    CHECK_EQ(h.reason, XCT_HEAP_OFFLINE, "offline record reason");
    CHECK_EQ(h.free, 1700, "last offline record free");
    CHECK_EQ(h.outstanding, 2000, "last offline record outstanding");
    get_outstanding_claims(&f, &o);
    CHECK_EQ(f, 1700, "get_outstanding_claims free");
    CHECK_EQ(o, 2000, "get_outstanding_claims outstanding");

    /* claims above free: a 1-page stake must not see a wrapped avail */
    CHECK_EQ(claim(c, 1), -ENOMEM, "stake with claims above free");
    CHECK_EQ(claim_ex(dom0, 3, 1, XENMEM_CLAIMF_free_only, 0, false),
             -ENOMEM, "free_only stake with claims above free");
    expect_dom(c, 0, 0, "refused stakes");
    /* anonymous pages are denied, the claimants still get theirs */
    rec_reset();
    CHECK(alloc_domheap_pages(NULL, 0, 0) == NULL, "anonymous page denied");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_DENIED), 1, "anonymous denial traced");
    for (i = 0; i < 1000; i++)
        alloc_ok(b, 0, 0, "b redeems its claim");
    expect_dom(b, 1000, 0, "b redeemed");
    expect_totals(700, 0, 1000, "b redeemed");
    for (i = 0; i < 700; i++)
        alloc_ok(a, 0, 0, "a redeems what is left");
    expect_dom(a, 700, 300, "a redeemed 700");
    expect_totals(0, 0, 300, "heap empty, 300 claimed");
    /* a's claim covers it, the heap does not: an ordinary failure */
    rec_reset();
    CHECK(alloc_domheap_pages(a, 0, 0) == NULL, "a: no page left");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_FAILED), 1, "alloc_failed records");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_DENIED), 0, "alloc_denied records");
    expect_dom(a, 700, 300, "failure draws nothing");
    expect_totals(0, 0, 300, "failure changes nothing");
    CHECK_EQ(claim(c, 1), -ENOMEM, "stake on an empty heap");
}

/*
 * An allocation whose assignment fails (beyond max_pages) keeps the claim
 * it drew: lost by design, traced as a tot_pages record of delta 0.
 */
static void test_assign_failure_loses_claim(void **state)
{
    struct domain *a = mkdom(1, false, 100);
    struct xct_ev_CLAIM_DRAW dr;
    struct xct_ev_TOT_PAGES tp;
    unsigned int i;

    (void)state;
    CHECK_EQ(claim(a, 100), 0, "stake 100");
    domain_set_max_pages(a, 50);
    rec_reset();
    CHECK(alloc_domheap_pages(a, 6, 0) == NULL, "64 pages beyond max 50");
    /* 64 drawn from 100, the pages back in the heap */
    expect_dom(a, 0, 36, "claim drawn by the failed assignment");
    expect_totals(HEAP_PAGES, 0, 36, "pages back, claim not");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_FAILED), 0, "no alloc_failed record");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_DENIED), 0, "no alloc_denied record");
    CHECK_EQ(rec_count(XCT_EV_CLAIM_DRAW), 1, "claim_draw records");
    dr = rec_draw(0);
    CHECK_EQ(dr.drawn, 64, "drawn");
    CHECK_EQ(dr.claim, 36, "claim after the draw");
    CHECK_EQ(dr.free, HEAP_PAGES - 64, "free after the draw");
    CHECK_EQ(rec_count(XCT_EV_TOT_PAGES), 1, "tot_pages records");
    tp = rec_tot(0);
    CHECK_EQ(tp.domid, 1, "tot_pages domid");
    CHECK_EQ(tp.delta, 0, "tot_pages delta of a failed assignment");
    CHECK_EQ(tp.tot_pages, 0, "tot_pages");
    CHECK_EQ(tp.claim, 36, "tot_pages record claim");
    CHECK_EQ(tp.free, HEAP_PAGES, "tot_pages record free");

    /* drawn to 0 by a failing assignment: a release record, drawn_down */
    domain_set_max_pages(a, 100);
    for (i = 0; i < 90; i++)
        alloc_ok(a, 0, 0, "90 pages");
    expect_dom(a, 90, 0, "claim of 36 used up");
    CHECK_EQ(claim(a, 100), 0, "stake 100 with 90 owned");
    expect_dom(a, 90, 10, "claim of 10");
    rec_reset();
    CHECK(alloc_domheap_pages(a, 4, 0) == NULL, "16 pages beyond max 100");
    expect_dom(a, 90, 0, "claim of 10 lost");
    expect_totals(HEAP_PAGES - 90, 0, 0, "claim of 10 lost");
    CHECK_EQ(rec_count(XCT_EV_CLAIM_RELEASE), 1, "release records");
    CHECK_EQ(rec_release(0).reason, XCT_RELEASE_DRAWN, "release reason");
    CHECK_EQ(rec_tot(0).delta, 0, "delta 0");
}

/* Death releases the claim (reason death) and refuses new ones. */
static void test_death_releases_claim(void **state)
{
    struct domain *a = mkdom(1, false, 1000), *b = mkdom(2, false, 1000);
    struct xct_ev_CLAIM_RELEASE rl;
    struct xct_ev_DOMAIN dm;
    unsigned int i;

    (void)state;
    for (i = 0; i < 20; i++)
        alloc_ok(a, 0, 0, "a's pages");
    CHECK_EQ(claim(a, 500), 0, "a stakes 500");
    CHECK_EQ(claim(b, 300), 0, "b stakes 300");
    expect_totals(HEAP_PAGES - 20, 0, 780, "two claims");
    rec_reset();
    hvh_domain_kill(a);
    expect_dom(a, 20, 0, "dead a");
    expect_totals(HEAP_PAGES - 20, 0, 300, "a's claim released");
    CHECK_EQ(rec_count(XCT_EV_CLAIM_RELEASE), 1, "release records");
    rl = rec_release(0);
    CHECK_EQ(rl.domid, 1, "release domid");
    CHECK_EQ(rl.reason, XCT_RELEASE_DEATH, "release reason");
    CHECK_EQ(rl.pages, 480, "released pages");
    CHECK_EQ(rl.outstanding, 300, "outstanding after");
    CHECK_EQ(rec_count(XCT_EV_DOMAIN), 1, "domain records");
    dm = rec_domain(0);
    CHECK_EQ(dm.state, XCT_DOM_DYING, "domain record state");
    CHECK_EQ(dm.claim, 0, "domain record claim");
    CHECK_EQ(dm.tot_pages, 20, "domain record tot_pages");
    CHECK(rec_index(XCT_EV_CLAIM_RELEASE) < rec_index(XCT_EV_DOMAIN),
          "release before the dying record");
    CHECK_EQ(claim(a, 600), -EINVAL, "stake on a dying domain");
    CHECK_EQ(claim(a, 0), -EINVAL, "cancel on a dying domain");
    /* its pages go back without a claim coming back */
    release_last(20);
    expect_dom(a, 0, 0, "dead a freed");
    expect_totals(HEAP_PAGES, 0, 300, "dead a freed");
    CHECK_EQ(hvh_domain_destroy(a), 0, "destroy a");
    tdoms[0] = tdoms[--ntdoms];
    CHECK_EQ(claim_ex(dom0, 1, 10, 0, 0, false), -EINVAL,
             "stake on a destroyed domain");
}

/*
 * Anonymous, MEMF_no_refcount and MEMF_no_owner allocations may not eat
 * into claims, even the claimant's own.
 */
static void test_anon_and_no_refcount_denied(void **state)
{
    struct domain *a = mkdom(1, false, 5000), *b = mkdom(2, false, 5000);
    static const unsigned int flags[] = {
        MEMF_no_refcount, MEMF_no_owner, MEMF_no_refcount | MEMF_no_owner,
    };
    struct xct_ev_ALLOC_DENIED e;
    unsigned int i;

    (void)state;
    fill_anon_until(1000);
    CHECK_EQ(claim(a, 990), 0, "a stakes 990");
    /* 10 unclaimed pages: 8 anonymous pass, 16 do not */
    rec_reset();
    CHECK(alloc_domheap_pages(NULL, 4, 0) == NULL, "16 anonymous pages");
    e = rec_denied(0);
    CHECK_EQ(e.domid, XCT_DOMID_ANON, "anonymous denial domid");
    CHECK_EQ(e.claim, 0, "anonymous denial claim");
    CHECK_EQ(rec_heap(0).reason, XCT_HEAP_DENIED, "heap record reason");
    alloc_ok(NULL, 3, 0, "8 anonymous pages");
    expect_totals(992, 0, 990, "8 anonymous pages");
    /* 2 unclaimed: the claimant's own extra pages are denied */
    for (i = 0; i < 3; i++) {
        rec_reset();
        CHECK(alloc_domheap_pages(a, 2, flags[i]) == NULL,
              "a: 4 pages with memflags %#x", flags[i]);
        CHECK_EQ(rec_count(XCT_EV_ALLOC_DENIED), 1, "denial for %#x",
                 flags[i]);
        e = rec_denied(0);
        CHECK_EQ(e.domid, 1, "denial domid");
        CHECK_EQ(e.claim, 990, "denial: own claim");
        CHECK_EQ(e.order, 2, "denial order");
        expect_dom(a, 0, 990, "denied extra pages");
    }
    /* another domain without a claim: denied too */
    rec_reset();
    CHECK(alloc_domheap_pages(b, 2, 0) == NULL, "b: 4 pages");
    CHECK_EQ(rec_denied(0).domid, 2, "b's denial");
    /* within the 2 unclaimed pages every kind passes */
    alloc_ok(NULL, 0, 0, "anonymous page");
    alloc_ok(a, 0, MEMF_no_refcount, "a's no_refcount page");
    expect_dom(a, 0, 990, "no_refcount pages draw no claim");
    expect_totals(990, 0, 990, "all unclaimed memory used");
    CHECK(alloc_domheap_pages(NULL, 0, 0) == NULL, "anonymous page denied");
    CHECK(alloc_domheap_pages(a, 0, MEMF_no_owner) == NULL,
          "no_owner page denied");
    /* more than the heap holds: plain shortage, not a claim denial */
    rec_reset();
    CHECK(alloc_domheap_pages(NULL, 10, 0) == NULL, "1024 anonymous pages");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_FAILED), 1,
             "alloc_failed beyond free + freeable");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_DENIED), 0,
             "no alloc_denied beyond free + freeable");
    CHECK_EQ(rec_heap(0).reason, XCT_HEAP_FAILED, "its heap record");
    /* the claim itself still turns into counted pages */
    alloc_ok(a, 9, 0, "a: order 9 from its claim");
    expect_dom(a, 512, 478, "order 9 from the claim");
    release_last(2);    /* order 9 and the no_refcount page */
}

/* Freeing pages never gives a claim back. */
static void test_free_never_regrows_claim(void **state)
{
    struct domain *a = mkdom(1, false, 1000);
    struct xct_ev_TOT_PAGES tp;
    unsigned int i;

    (void)state;
    CHECK_EQ(claim(a, 100), 0, "stake 100");
    for (i = 0; i < 40; i++)
        alloc_ok(a, 0, 0, "40 pages");
    expect_dom(a, 40, 60, "40 pages");
    rec_reset();
    release_last(20);
    expect_dom(a, 20, 60, "20 freed");
    expect_totals(HEAP_PAGES - 20, 0, 60, "20 freed");
    CHECK_EQ(rec_count(XCT_EV_TOT_PAGES), 20, "tot_pages records");
    tp = rec_tot(19);
    CHECK_EQ(tp.delta, -1, "free delta");
    CHECK_EQ(tp.tot_pages, 20, "tot after");
    CHECK_EQ(tp.claim, 60, "claim in the free record");
    CHECK_EQ(tp.free, HEAP_PAGES - 20, "free in the free record");
    CHECK_EQ(rec_count(XCT_EV_CLAIM), 0, "no claim record");
    release_last(20);
    expect_dom(a, 0, 60, "all freed");
    expect_totals(HEAP_PAGES, 0, 60, "all freed");
    /* a claim drawn to 0 stays 0 */
    for (i = 0; i < 60; i++)
        alloc_ok(a, 0, 0, "60 pages");
    expect_dom(a, 60, 0, "claim used up");
    release_last(60);
    expect_dom(a, 0, 0, "claim stays 0");
    expect_totals(HEAP_PAGES, 0, 0, "claim stays 0");
}

/*
 * A MEMF_no_refcount page does not count towards tot_pages; giving it
 * back must not lower tot_pages either.
 */
static void test_free_no_refcount_keeps_tot(void **state)
{
    struct domain *a = mkdom(1, false, 1000);
    struct page_info *pg;
    uint32_t seen;
    unsigned int i;

    (void)state;
    for (i = 0; i < 5; i++)
        alloc_ok(a, 0, 0, "5 counted pages");
    pg = alloc_domheap_pages(a, 1, MEMF_no_refcount);
    CHECK(pg != NULL, "2 extra pages");
    expect_dom(a, 5, 0, "extra pages not counted");
    free_domheap_pages(pg, 1);
    seen = a->tot_pages;
    if (seen != 5) {
        /* put it right so that the teardown can free the 5 pages */
        spin_lock(&a->page_alloc_lock);
        a->tot_pages = 5;
        spin_unlock(&a->page_alloc_lock);
    }
    CHECK_EQ(seen, 5, "d1 tot_pages after freeing 2 no_refcount pages");
    expect_totals(HEAP_PAGES - 5, 0, 0, "extra pages freed");
}

/* tmem pages count for claims unless free_only. */
static void test_tmem_counts_unless_free_only(void **state)
{
    struct domain *a = mkdom(1, false, 10000), *b = mkdom(2, false, 10000);
    unsigned int i;

    (void)state;
    for (i = 0; i < 40; i++)
        CHECK_EQ(hvh_tmem_put(), 0, "tmem put %u", i);
    CHECK_EQ(hvh_tmem_pool_pages(), 40, "pool pages");
    fill_anon_until(100);
    expect_totals(100, 40, 0, "100 free, 40 freeable");
    CHECK_EQ(claim_ex(dom0, 1, 101, XENMEM_CLAIMF_free_only, 0, false),
             -ENOMEM, "free_only 101");
    CHECK_EQ(claim(a, 140), 0, "140 with freeable pages");
    CHECK_EQ(claim(a, 0), 0, "cancel");
    CHECK_EQ(claim(a, 141), -ENOMEM, "141");
    CHECK_EQ(claim_ex(dom0, 1, 100, XENMEM_CLAIMF_free_only, 0, false), 0,
             "free_only 100");
    /* 40 left for others, freeable ones included */
    CHECK_EQ(claim_ex(dom0, 2, 1, XENMEM_CLAIMF_free_only, 0, false),
             -ENOMEM, "free_only on top");
    CHECK_EQ(claim(b, 41), -ENOMEM, "41 on top");
    CHECK_EQ(claim(b, 40), 0, "40 on top");
    expect_totals(100, 40, 140, "both staked");
    /* the claims turn into pages, evicting tmem once the heap is empty */
    for (i = 0; i < 100; i++)
        alloc_ok(a, 0, 0, "a's pages");
    expect_totals(0, 40, 40, "heap empty");
    rec_reset();
    alloc_ok(b, 0, 0, "b's first page");
    expect_totals(0, 39, 39, "one page evicted");
    CHECK_EQ(hvh_tmem_pool_pages(), 39, "pool pages");
    CHECK_EQ(rec_heap(0).reason, XCT_HEAP_TMEM_RECLAIM, "reclaim record");
    CHECK_EQ(rec_heap(0).free, 1, "reclaim record free");
    CHECK_EQ(rec_heap(0).freeable, 39, "reclaim record freeable");
    for (i = 1; i < 40; i++)
        alloc_ok(b, 0, 0, "b's pages");
    expect_totals(0, 0, 0, "everything redeemed");
    expect_dom(a, 100, 0, "a");
    expect_dom(b, 40, 0, "b");
}

/* Fill the heap with anonymous order-0 pages, keeping a list of them. */
static void fill_all(void)
{
    fill_anon_until(0);
}

/* Free the held anonymous page at frame mfn. */
static void give_back(uint64_t mfn)
{
    unsigned int i;

    for (i = 0; i < nheld; i++) {
        if (held[i].order == 0 && hvh_page_to_mfn(held[i].pg) == mfn) {
            free_domheap_pages(held[i].pg, 0);
            held[i] = held[--nheld];
            return;
        }
    }
    fail_msg("frame %#lx is not held", (unsigned long)mfn);
}

/*
 * With no free block, an allocation evicts tmem pages, 2^order at a time,
 * until a block exists; if none appears, it fails (not a denial).
 */
static void test_tmem_eviction(void **state)
{
    struct domain *a = mkdom(1, false, 10000);
    struct page_info *pg;
    uint64_t mfn;
    unsigned int i;

    (void)state;
    fill_all();
    expect_totals(0, 0, 0, "heap full");
    /* an aligned block of 8 frames, all put into tmem */
    for (mfn = 64; mfn < 72; mfn++)
        give_back(mfn);
    for (i = 0; i < 8; i++)
        CHECK_EQ(hvh_tmem_put(), 0, "tmem put %u", i);
    expect_totals(0, 8, 0, "8 frames in tmem");
    rec_reset();
    pg = alloc_ok(a, 3, 0, "order 3 from tmem");
    CHECK_EQ(hvh_page_to_mfn(pg), 64, "the block tmem held");
    expect_totals(0, 0, 0, "tmem emptied");
    CHECK_EQ(rec_count(XCT_EV_HEAP), 1, "one reclaim round of 8");
    CHECK_EQ(rec_heap(0).reason, XCT_HEAP_TMEM_RECLAIM, "reclaim reason");
    CHECK_EQ(rec_heap(0).free, 8, "reclaim record free");
    release_last(1);

    /* eight frames, no two of them buddies: order 1 never fits */
    fill_all();
    for (mfn = 64; mfn < 80; mfn += 2)
        give_back(mfn);
    for (i = 0; i < 8; i++)
        CHECK_EQ(hvh_tmem_put(), 0, "tmem put %u", i);
    expect_totals(0, 8, 0, "8 scattered frames in tmem");
    rec_reset();
    CHECK(alloc_domheap_pages(a, 1, 0) == NULL, "order 1 cannot fit");
    expect_totals(8, 0, 0, "every page evicted, none used");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_FAILED), 1, "alloc_failed records");
    CHECK_EQ(rec_count(XCT_EV_ALLOC_DENIED), 0, "alloc_denied records");
    CHECK_EQ(rec_count(XCT_EV_HEAP), 5, "4 reclaim rounds of 2, 1 failed");
    for (i = 0; i < 4; i++) {
        CHECK_EQ(rec_heap(i).reason, XCT_HEAP_TMEM_RECLAIM, "round %u", i);
        CHECK_EQ(rec_heap(i).freeable, 6 - 2 * i, "round %u freeable", i);
    }
    CHECK_EQ(rec_heap(4).reason, XCT_HEAP_FAILED, "failure heap record");
    CHECK(rec_index(XCT_EV_ALLOC_FAILED) < nrecs - 1,
          "alloc_failed before its heap record");
    expect_dom(a, 0, 0, "nothing assigned");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_errno_table),
        T(test_eperm_record_has_domain_figures),
        T(test_order9_near_claim_end),
        T(test_offline_below_claims),
        T(test_assign_failure_loses_claim),
        T(test_death_releases_claim),
        T(test_anon_and_no_refcount_denied),
        T(test_free_never_regrows_claim),
        T(test_free_no_refcount_keeps_tot),
        T(test_tmem_counts_unless_free_only),
        T(test_tmem_eviction),
#undef T
    };

    return cmocka_run_group_tests_name("hv_errno", tests, setup_group, NULL);
}
