/* test_hv_stress.c: hv/ on concurrent CPUs against claims.md invariants. */
/* SPDX-License-Identifier: MIT */
/*
 * One host: 2 nodes of 2048 pages, a tmem pool of 128 pages, dom0, three
 * shared domains (d1-d3) every thread allocates into and stakes on, and
 * per thread an own domain (d100+t) and a churn domain (d200+t) that the
 * thread creates, kills and destroys while the others run.
 *
 * Rounds, separated by barriers.  In a round every worker thread (its own
 * vCPU t) stakes a claim of N pages on its own domain and turns it into
 * exactly N order-0 pages, interleaved with noise: anonymous, no_refcount,
 * no_owner and counted allocations of order 0-9, stakes and cancels on the
 * shared domains and on other threads' churn domains, frees of whole and
 * partial pieces, tmem puts and flushes, churn domain life cycles.  Every
 * fourth round also takes frames offline and back (one thread), and there
 * the claimants' allocations are not required to succeed.
 *
 * Checked while running (from get_heap_totals(), one locked snapshot):
 * nothing wrapped, and outstanding <= free + freeable outside offline
 * rounds; every claimant allocation succeeds (claims.md invariant 3).
 * Checked at every quiescent point (all workers at a barrier) and at the
 * end: outstanding == sum of claims, dying domains hold no claim, a claim
 * never exceeds what max_pages still allows, nothing wrapped, every frame
 * is accounted for (free + freeable + offline + held), every domain's
 * tot_pages equals the counted pages the threads hold for it, the heap's
 * own consistency check.
 *
 * test_claim_under_tmem_churn: a claim on the whole heap, tmem pages
 * included, turned into pages by one CPU while another flushes tmem pages
 * and puts them back; every allocation must succeed.
 *
 * Bounded: at most XENCLAIM_STRESS_ROUNDS rounds (default 100000) and
 * XENCLAIM_STRESS_SECONDS seconds (default 2), whichever comes first; at
 * least 8 rounds run.  Seed: XENCLAIM_SEED.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/page_claim.h"
#include "hvhost/hvhost.h"
#include <public/memory.h>

#define NT          4u              /* worker threads */
#define NODE_PAGES  2048u
#define NF          (2u * NODE_PAGES)
#define TMEM_CAP    128u
#define NSHARED     3u
#define SHARED_MAX  1500u
#define OWN_ID(t)   (100u + (t))
#define CHURN_ID(t) (200u + (t))
#define MAX_HELD    512u
#define NOISE_PAGES 900u            /* noise pages a thread keeps at most */
#define MAX_OFFL    64u
#define MAX_CLAIM   512u

enum kind { K_ANON, K_EXTRA, K_COUNTED };

struct held {
    struct page_info *pg;
    unsigned int order;
    uint8_t kind;
    uint16_t dom;
};

struct wk {
    unsigned int id;
    pthread_t th;
    uint64_t rng;

    struct domain *own;
    struct page_info *own_pages[MAX_CLAIM];
    unsigned int nown;

    struct domain *churn;
    int churn_step;

    struct held held[MAX_HELD];
    unsigned int nheld;
    uint64_t held_pages;

    uint64_t offl[MAX_OFFL];
    unsigned int noffl;

    unsigned long claims, claim_nomem, claim_pages, denied_noise, ops;
};

static struct {
    struct domain *dom0, *shared[NSHARED];
    struct wk w[NT];
    pthread_barrier_t start, done, checked;
    atomic_bool stop;
    atomic_bool offline_round;
    uint64_t seed;

    pthread_mutex_t err_lock;
    atomic_ulong errors;
    char first_error[400];

    unsigned long rounds;
} g = {
    .err_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* A worker found a violation: count it, keep the first message. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report(const char *fmt, ...)
{
    va_list ap;

    if (atomic_fetch_add(&g.errors, 1) == 0) {
        pthread_mutex_lock(&g.err_lock);
        va_start(ap, fmt);
        vsnprintf(g.first_error, sizeof(g.first_error), fmt, ap);
        va_end(ap);
        pthread_mutex_unlock(&g.err_lock);
    }
}

static uint64_t rnd(struct wk *w, uint64_t n)
{
    uint64_t x = w->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->rng = x;
    return n ? (x * 0x2545f4914f6cdd1dull) % n : 0;
}

static long stake(unsigned int domid, uint64_t nr)
{
    struct xen_memory_reservation r;

    memset(&r, 0, sizeof(r));
    r.nr_extents = nr;
    r.domid = (domid_t)domid;
    return memory_claim_pages(&r);
}

/* tot_pages and max_pages read under the domain's lock. */
static void dom_figures(struct domain *d, uint32_t *tot, uint32_t *max)
{
    spin_lock(&d->page_alloc_lock);
    *tot = d->tot_pages;
    *max = d->max_pages;
    spin_unlock(&d->page_alloc_lock);
}

/* ---- running checks ------------------------------------------------- */

static void snapshot_check(struct wk *w, const char *when)
{
    struct heap_totals t;

    memset(&t, 0, sizeof(t));
    get_heap_totals(&t);
    if (t.free_pages > NF || t.freeable_pages > TMEM_CAP ||
        t.outstanding > NF)
        report("cpu %u %s: counters out of range (wrapped?): free %lu "
               "freeable %lu outstanding %lu", w->id, when, t.free_pages,
               t.freeable_pages, t.outstanding);
    if (!atomic_load(&g.offline_round) &&
        t.outstanding > t.free_pages + t.freeable_pages)
        report("cpu %u %s: outstanding %lu above free %lu + freeable %lu "
               "without offlining", w->id, when, t.outstanding,
               t.free_pages, t.freeable_pages);
}

/* ---- held pieces ---------------------------------------------------- */

static void keep(struct wk *w, struct page_info *pg, unsigned int order,
                 enum kind k, unsigned int dom)
{
    if (w->nheld == MAX_HELD) {
        report("cpu %u: harness: too many pieces", w->id);
        return;
    }
    w->held[w->nheld].pg = pg;
    w->held[w->nheld].order = order;
    w->held[w->nheld].kind = (uint8_t)k;
    w->held[w->nheld].dom = (uint16_t)dom;
    w->nheld++;
    w->held_pages += 1ull << order;
}

static void give_back(struct held *h)
{
    free_domheap_pages(h->pg, h->order);
}

/*
 * Free piece i, or with partial an aligned part of it; the rest stays
 * held as buddy halves.
 */
static void free_held(struct wk *w, unsigned int i, bool partial)
{
    struct held h = w->held[i];
    uint64_t mfn = hvh_page_to_mfn(h.pg), target, hi;
    unsigned int j;

    w->held[i] = w->held[--w->nheld];
    w->held_pages -= 1ull << h.order;
    if (partial && h.order && w->nheld + h.order < MAX_HELD) {
        j = (unsigned int)rnd(w, h.order);
        target = mfn + (rnd(w, 1ull << (h.order - j)) << j);
        while (h.order > j) {
            h.order--;
            hi = mfn + (1ull << h.order);
            if (target >= hi) {
                keep(w, hvh_mfn_to_page(mfn), h.order, (enum kind)h.kind,
                     h.dom);
                mfn = hi;
            } else {
                keep(w, hvh_mfn_to_page(hi), h.order, (enum kind)h.kind,
                     h.dom);
            }
        }
        h.pg = hvh_mfn_to_page(mfn);
    }
    give_back(&h);
}

static void free_all_of(struct wk *w, unsigned int dom)
{
    unsigned int i = 0;

    while (i < w->nheld) {
        if (w->held[i].dom == dom)
            free_held(w, i, false);
        else
            i++;
    }
}

/* ---- noise ---------------------------------------------------------- */

static struct domain *shared(struct wk *w)
{
    return g.shared[rnd(w, NSHARED)];
}

static unsigned int noise_order(struct wk *w)
{
    unsigned int r = (unsigned int)rnd(w, 100);

    return r < 50 ? 0 : r < 80 ? 1 + (unsigned int)rnd(w, 3)
                               : 4 + (unsigned int)rnd(w, 6);
}

static void churn_step(struct wk *w)
{
    unsigned int id = CHURN_ID(w->id), i;
    struct page_info *pg;

    switch (w->churn_step) {
    case 0:
        w->churn = hvh_domain_create((domid_t)id, false);
        if (!w->churn) {
            report("cpu %u: create d%u: %s", w->id, id, strerror(errno));
            return;
        }
        domain_set_max_pages(w->churn, 300);
        break;
    case 1:
        stake(id, 1 + rnd(w, 300));
        break;
    case 2:
        for (i = 0; i < 8; i++) {
            unsigned int order = (unsigned int)rnd(w, 4);

            pg = alloc_domheap_pages(w->churn, order, 0);
            if (pg)
                keep(w, pg, order, K_COUNTED, id);
        }
        break;
    case 3:
        hvh_domain_kill(w->churn);
        if (domain_outstanding_pages(w->churn))
            report("cpu %u: d%u holds a claim once dying", w->id, id);
        break;
    case 4:
        free_all_of(w, id);
        break;
    default:
        if (hvh_domain_destroy(w->churn))
            report("cpu %u: destroy d%u failed", w->id, id);
        w->churn = NULL;
        w->churn_step = 0;
        return;
    }
    w->churn_step++;
}

static void noise(struct wk *w)
{
    struct page_info *pg;
    struct domain *d;
    unsigned int order, r = (unsigned int)rnd(w, 100);
    uint32_t tot, max;

    w->ops++;
    if ((w->held_pages > NOISE_PAGES || w->nheld > MAX_HELD - 64) && r < 60)
        r = 60 + (unsigned int)rnd(w, 8);       /* free something */
    if (r < 14) {
        order = noise_order(w);
        pg = alloc_domheap_pages(NULL, order, 0);
        if (pg)
            keep(w, pg, order, K_ANON, 0xffff);
        else
            w->denied_noise++;
    } else if (r < 22) {
        d = shared(w);
        order = noise_order(w);
        pg = alloc_domheap_pages(d, order, MEMF_no_refcount);
        if (pg)
            keep(w, pg, order, K_EXTRA, d->domain_id);
    } else if (r < 26) {
        order = noise_order(w);
        pg = alloc_domheap_pages(shared(w), order, MEMF_no_owner);
        if (pg)
            keep(w, pg, order, K_ANON, 0xffff);
    } else if (r < 40) {
        d = shared(w);
        order = (unsigned int)rnd(w, 5);
        pg = alloc_domheap_pages(d, order, rnd(w, 4) ? 0
                                 : MEMF_node(rnd(w, 2)));
        if (pg)
            keep(w, pg, order, K_COUNTED, d->domain_id);
    } else if (r < 48) {
        d = shared(w);
        dom_figures(d, &tot, &max);
        switch (rnd(w, 4)) {
        case 0:
            stake(d->domain_id, 0);
            break;
        case 1:
            stake(d->domain_id, max);
            break;
        default:
            stake(d->domain_id, tot + 1 + rnd(w, 800));
            break;
        }
    } else if (r < 52) {
        stake(CHURN_ID(rnd(w, NT)), rnd(w, 200));
    } else if (r < 56) {
        hvh_tmem_put();
    } else if (r < 59) {
        hvh_tmem_flush();
    } else if (r < 68) {
        if (w->nheld)
            free_held(w, (unsigned int)rnd(w, w->nheld), rnd(w, 3) == 0);
    } else if (r < 72) {
        churn_step(w);
    } else if (r < 76 && atomic_load(&g.offline_round) && w->id == 0) {
        uint64_t mfn = rnd(w, NF);

        if (w->noffl < MAX_OFFL && hvh_offline_page(mfn) == 0)
            w->offl[w->noffl++] = mfn;
    } else {
        snapshot_check(w, "noise");
    }
}

/* ---- a round -------------------------------------------------------- */

static void claimant(struct wk *w)
{
    unsigned int id = OWN_ID(w->id), n, i;
    struct page_info *pg;
    bool strict = !atomic_load(&g.offline_round);
    long rc;

    if (!w->own) {
        w->own = hvh_domain_create((domid_t)id, false);
        if (!w->own) {
            report("cpu %u: create d%u: %s", w->id, id, strerror(errno));
            return;
        }
        domain_set_max_pages(w->own, MAX_CLAIM + rnd(w, 64));
    }
    n = 1 + (unsigned int)rnd(w, MAX_CLAIM);
    rc = stake(id, n);
    if (rc == -ENOMEM) {
        w->claim_nomem++;
        return;
    }
    if (rc) {
        report("cpu %u: stake %u on own d%u: %ld", w->id, n, id, rc);
        return;
    }
    w->claims++;
    for (i = 0; i < n; i++) {
        pg = alloc_domheap_pages(w->own, 0, 0);
        if (!pg) {
            if (strict)
                report("cpu %u: d%u staked %u pages, allocation %u "
                       "refused (claim left %lu)", w->id, id, n, i + 1,
                       domain_outstanding_pages(w->own));
            break;
        }
        w->own_pages[w->nown++] = pg;
        if (rnd(w, 2))
            noise(w);
    }
    w->claim_pages += w->nown;
    if (strict && domain_outstanding_pages(w->own))
        report("cpu %u: d%u: claim %lu left after %u pages", w->id, id,
               domain_outstanding_pages(w->own), n);
    stake(id, 0);
}

static void release_own(struct wk *w)
{
    while (w->nown)
        free_domheap_pages(w->own_pages[--w->nown], 0);
}

static void round_work(struct wk *w)
{
    unsigned int i, k = 20 + (unsigned int)rnd(w, 60);

    for (i = 0; i < k / 2; i++)
        noise(w);
    claimant(w);
    for (i = 0; i < k / 2; i++)
        noise(w);
    release_own(w);
    /* destroy the own domain now and then, while the others run */
    if (w->own && rnd(w, 3) == 0) {
        hvh_domain_kill(w->own);
        if (hvh_domain_destroy(w->own))
            report("cpu %u: destroy own domain failed (tot_pages %u)", w->id,
                   w->own->tot_pages);
        w->own = NULL;
    }
    if (atomic_load(&g.offline_round))
        while (w->noffl)
            if (hvh_online_page(w->offl[--w->noffl]))
                report("cpu %u: online of an offlined frame failed", w->id);
}

static void *worker(void *arg)
{
    struct wk *w = arg;

    hvh_set_current(g.dom0, w->id);
    for (;;) {
        pthread_barrier_wait(&g.start);
        if (atomic_load(&g.stop))
            break;
        round_work(w);
        pthread_barrier_wait(&g.done);
        pthread_barrier_wait(&g.checked);
    }
    /* the end: give everything back */
    release_own(w);
    while (w->nheld)
        free_held(w, w->nheld - 1, false);
    if (w->churn) {
        if (!w->churn->is_dying)
            hvh_domain_kill(w->churn);
        if (hvh_domain_destroy(w->churn))
            report("cpu %u: final destroy of churn failed", w->id);
        w->churn = NULL;
    }
    if (w->own) {
        hvh_domain_kill(w->own);
        if (hvh_domain_destroy(w->own))
            report("cpu %u: final destroy of own failed", w->id);
        w->own = NULL;
    }
    return NULL;
}

/* ---- quiescent checks (all workers wait) ---------------------------- */

#define CHECK_EQ(seen, want, ...)                                          \
    do {                                                                   \
        long long s_ = (long long)(seen), w_ = (long long)(want);          \
        if (s_ != w_) {                                                    \
            char m_[256];                                                  \
            snprintf(m_, sizeof(m_), __VA_ARGS__);                         \
            fail_msg("seed %#" PRIx64 " round %lu: %s: expected %lld, "    \
                     "got %lld", g.seed, g.rounds, m_, w_, s_);            \
        }                                                                  \
    } while (0)

static void quiescent_check(const char *when)
{
    struct heap_totals t;
    uint64_t claims = 0, held = 0, offl = 0, counted[0x100] = { 0 };
    unsigned int i, k, id;
    struct domain *d;
    static const unsigned int ids[] = {
        0, 1, 2, 3, OWN_ID(0), OWN_ID(1), OWN_ID(2), OWN_ID(3),
        CHURN_ID(0), CHURN_ID(1), CHURN_ID(2), CHURN_ID(3),
    };

    _Static_assert(NT == 4, "ids[] lists 4 threads' domains");
    if (atomic_load(&g.errors))
        fail_msg("seed %#" PRIx64 " round %lu %s: %lu violations seen by "
                 "the workers, the first: %s", g.seed, g.rounds, when,
                 atomic_load(&g.errors), g.first_error);

    memset(&t, 0, sizeof(t));
    get_heap_totals(&t);
    for (i = 0; i < NT; i++) {
        struct wk *w = &g.w[i];

        held += w->held_pages + w->nown;
        offl += w->noffl;
        for (k = 0; k < w->nheld; k++)
            if (w->held[k].kind == K_COUNTED)
                counted[w->held[k].dom & 0xff] +=
                    1ull << w->held[k].order;
        counted[OWN_ID(i) & 0xff] += w->nown;
    }
    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        id = ids[i];
        d = hvh_domain_find((domid_t)id);
        if (!d)
            continue;
        claims += d->outstanding_pages;
        if (d->is_dying)
            CHECK_EQ(d->outstanding_pages, 0, "%s: dying d%u claim", when,
                     id);
        if (d->tot_pages > d->max_pages)
            CHECK_EQ(d->tot_pages, d->max_pages, "%s: d%u above max", when,
                     id);
        if ((uint64_t)d->tot_pages + d->outstanding_pages > d->max_pages)
            CHECK_EQ(d->outstanding_pages, d->max_pages - d->tot_pages,
                     "%s: d%u claim beyond what max_pages allows", when,
                     id);
        CHECK_EQ(d->tot_pages, counted[id & 0xff],
                 "%s: d%u tot_pages vs counted pages held", when, id);
    }
    CHECK_EQ(t.outstanding, claims, "%s: outstanding vs sum of claims",
             when);
    CHECK_EQ(t.freeable_pages, hvh_tmem_pool_pages(),
             "%s: freeable vs tmem pool", when);
    CHECK_EQ(t.free_pages + t.freeable_pages + offl + held, NF,
             "%s: free + freeable + offline + held frames", when);
    CHECK_EQ(t.node_free[0] + t.node_free[1], t.free_pages,
             "%s: per-node free", when);
    if (t.free_pages > NF || t.outstanding > NF)
        fail_msg("%s: counters out of range: free %lu outstanding %lu",
                 when, t.free_pages, t.outstanding);
    /* offlined frames are all back at a quiescent point */
    CHECK_EQ(offl, 0, "%s: frames still offline", when);
    CHECK_EQ(t.outstanding <= t.free_pages + t.freeable_pages, 1,
             "%s: outstanding within free + freeable", when);
    CHECK_EQ(hvh_heap_check(), 0, "%s: heap check", when);
}

/* ---- the test ------------------------------------------------------- */

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

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_stress(void **state)
{
    unsigned long max_rounds = env_ul("XENCLAIM_STRESS_ROUNDS", 100000);
    double limit = (double)env_ul("XENCLAIM_STRESS_SECONDS", 2);
    double t0 = now();
    unsigned long claims = 0, nomem = 0, pages = 0, ops = 0, refused = 0;
    struct heap_totals t;
    unsigned int i;

    (void)state;
    for (i = 0; i < NT; i++) {
        g.w[i].id = i;
        g.w[i].rng = (g.seed + 1) * 0x9e3779b97f4a7c15ull + i;
        assert_int_equal(pthread_create(&g.w[i].th, NULL, worker, &g.w[i]),
                         0);
    }
    for (g.rounds = 0;; g.rounds++) {
        bool enough = g.rounds >= max_rounds ||
                      (g.rounds >= 8 && now() - t0 > limit);

        atomic_store(&g.offline_round, g.rounds % 4 == 3);
        atomic_store(&g.stop, enough);
        pthread_barrier_wait(&g.start);
        if (enough)
            break;
        pthread_barrier_wait(&g.done);
        quiescent_check("quiescent");
        pthread_barrier_wait(&g.checked);
    }
    for (i = 0; i < NT; i++) {
        pthread_join(g.w[i].th, NULL);
        claims += g.w[i].claims;
        nomem += g.w[i].claim_nomem;
        pages += g.w[i].claim_pages;
        ops += g.w[i].ops;
        refused += g.w[i].denied_noise;
    }
    printf("# seed %#" PRIx64 ": %u threads, %lu rounds in %.1f s, %lu "
           "claims turned into %lu pages, %lu stakes refused -ENOMEM, %lu "
           "noise operations (%lu anonymous allocations refused)\n",
           g.seed, NT, g.rounds, now() - t0, claims, pages, nomem, ops,
           refused);
    quiescent_check("end");
    CHECK_EQ(claims > 0, 1, "some claims staked");

    /* everything back: shared domains' claims cancelled, domains gone */
    for (i = 0; i < NSHARED; i++) {
        CHECK_EQ(stake(g.shared[i]->domain_id, 0), 0, "cancel on d%u",
                 g.shared[i]->domain_id);
        hvh_domain_kill(g.shared[i]);
        CHECK_EQ(hvh_domain_destroy(g.shared[i]), 0, "destroy d%u",
                 g.shared[i]->domain_id);
    }
    while (hvh_tmem_flush() == 0)
        ;
    memset(&t, 0, sizeof(t));
    get_heap_totals(&t);
    CHECK_EQ(t.free_pages, NF, "free pages at the end");
    CHECK_EQ(t.freeable_pages, 0, "freeable pages at the end");
    CHECK_EQ(t.outstanding, 0, "outstanding at the end");
    CHECK_EQ(hvh_nr_domains(), 1, "domains at the end");
}

/*
 * A claim on the whole heap, tmem pages included, turned into pages while
 * another CPU flushes tmem pages and puts them back: every allocation must
 * succeed, evicting tmem pages once the heap is empty.
 */
static atomic_bool churn_stop;

static void *tmem_churn(void *arg)
{
    (void)arg;
    hvh_set_current(g.dom0, 1);
    while (!atomic_load(&churn_stop))
        if (hvh_tmem_flush() == 0)
            hvh_tmem_put();
    return NULL;
}

static void test_claim_under_tmem_churn(void **state)
{
    static struct page_info *pg[NF];
    double limit = (double)env_ul("XENCLAIM_STRESS_SECONDS", 2) / 2;
    double t0 = now();
    struct domain *d;
    struct heap_totals t;
    unsigned long rounds, refused = 0;
    unsigned int i, n, first_i = 0;
    uint64_t want;
    pthread_t th;
    char first[200] = "";

    (void)state;
    hvh_set_current(g.dom0, 0);
    d = hvh_domain_create(50, false);
    assert_non_null(d);
    domain_set_max_pages(d, NF);
    for (rounds = 0; rounds < 1000 && (rounds < 20 || now() - t0 < limit);
         rounds++) {
        while (hvh_tmem_put() == 0)
            ;
        memset(&t, 0, sizeof(t));
        get_heap_totals(&t);
        want = t.free_pages + t.freeable_pages;
        CHECK_EQ(stake(50, want), 0, "stake the whole heap (%lu pages)",
                 (unsigned long)want);
        atomic_store(&churn_stop, false);
        assert_int_equal(pthread_create(&th, NULL, tmem_churn, NULL), 0);
        for (i = n = 0; i < want; i++) {
            pg[n] = alloc_domheap_pages(d, 0, 0);
            if (pg[n]) {
                n++;
                continue;
            }
            if (!refused++) {
                memset(&t, 0, sizeof(t));
                get_heap_totals(&t);
                first_i = i + 1;
                snprintf(first, sizeof(first), "free %lu, freeable %lu, "
                         "tmem pool %lu, claim left %lu", t.free_pages,
                         t.freeable_pages,
                         (unsigned long)hvh_tmem_pool_pages(),
                         domain_outstanding_pages(d));
            }
        }
        atomic_store(&churn_stop, true);
        pthread_join(th, NULL);
        stake(50, 0);
        while (n)
            free_domheap_pages(pg[--n], 0);
        while (hvh_tmem_flush() == 0)
            ;
    }
    printf("# %lu rounds of a whole-heap claim under tmem churn, %lu "
           "allocations refused\n", rounds, refused);
    hvh_domain_kill(d);
    CHECK_EQ(hvh_domain_destroy(d), 0, "destroy d50");
    if (refused)
        fail_msg("seed %#" PRIx64 ": a claim of the whole heap was refused "
                 "%lu of its pages (the first: allocation %u, %s)", g.seed,
                 refused, first_i, first);
}

static int setup(void **state)
{
    struct hvh_config cfg;
    unsigned int i;

    (void)state;
    g.seed = env_ul("XENCLAIM_SEED", 0x5eedc1a1);
    memset(&cfg, 0, sizeof(cfg));
    cfg.nr_nodes = 2;
    cfg.node_pages[0] = NODE_PAGES;
    cfg.node_pages[1] = NODE_PAGES;
    cfg.tmem_capacity = TMEM_CAP;
    if (hvh_init(&cfg))
        return -1;
    g.dom0 = hvh_domain_create(0, true);
    if (!g.dom0)
        return -1;
    hvh_set_current(g.dom0, NT);
    for (i = 0; i < NSHARED; i++) {
        g.shared[i] = hvh_domain_create((domid_t)(1 + i), false);
        if (!g.shared[i])
            return -1;
        domain_set_max_pages(g.shared[i], SHARED_MAX);
    }
    if (pthread_barrier_init(&g.start, NULL, NT + 1) ||
        pthread_barrier_init(&g.done, NULL, NT + 1) ||
        pthread_barrier_init(&g.checked, NULL, NT + 1))
        return -1;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_claim_under_tmem_churn),
    };

    return cmocka_run_group_tests_name("hv_stress", tests, setup, NULL);
}
