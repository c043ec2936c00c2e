/* xca_core.c: the analysis: replay callbacks, claim lives, denials, gaps. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "xca_int.h"

static const char *const end_names[] = {
#define X_NAME(id, name, doc) name,
    XCA_ENDS(X_NAME)
#undef X_NAME
};

const char *xca_end_name(unsigned int end)
{
    return end < XCA_NENDS ? end_names[end] : "?";
}

double xca_seconds(const struct xca *a, uint64_t tsc)
{
    if (!a || tsc < a->s.first_tsc)
        return 0.0;
    return (double)(tsc - a->s.first_tsc) / a->s.cpu_hz;
}

static inline int in_filter(const struct xca *a, uint32_t domid)
{
    return domid < XCA_MAX_DOMAINS && (!a->want || a->want[domid]);
}

int xca_wanted(const struct xca *a, uint32_t domid)
{
    return a && in_filter(a, domid);
}

/* The state of a domain seen before, or NULL. */
static inline struct xca_dstate *dpeek(const struct xca *a, uint32_t id)
{
    struct xca_dstate *l;

    if (id >= XCA_MAX_DOMAINS)
        return NULL;
    l = a->leaf[id / XCA_LEAF];
    return l && l[id % XCA_LEAF].seen ? &l[id % XCA_LEAF] : NULL;
}

/* The state of domain id (< XCA_MAX_DOMAINS), made if new; NULL: ENOMEM. */
static struct xca_dstate *dget(struct xca *a, uint32_t id, uint64_t tsc)
{
    struct xca_dstate **lp = &a->leaf[id / XCA_LEAF], *d;

    if (!*lp) {
        /*
         * Leaves at fixed places in one reservation, made with the first
         * domain (a domain's state is then found, and prefetched, without
         * a load); from the heap when it cannot be made.
         */
        if (!a->dstates_tried) {
            a->dstates_tried = 1;
            a->dstates = xct_mem_map(XCA_MAX_DOMAINS * sizeof(**lp));
            /* The replay prefetches a domain's line here with its own. */
            xct_replay_set_companion(a->rp, a->dstates, sizeof(**lp));
        }
        if (a->dstates) {
            *lp = a->dstates + (size_t)(id / XCA_LEAF) * XCA_LEAF;
            xct_mem_commit(*lp, XCA_LEAF * sizeof(**lp));
        } else {
            *lp = aligned_alloc(64, XCA_LEAF * sizeof(**lp));
            if (!*lp)
                return NULL;
            memset(*lp, 0, XCA_LEAF * sizeof(**lp));
        }
    }
    d = &(*lp)[id % XCA_LEAF];
    if (!d->seen) {
        d->seen = 1;
        a->nseen++;
        a->seen[id / 64] |= 1ull << (id % 64);
        d->agg.domid = id;
        d->agg.first_tsc = tsc;
    }
    return d;
}

/* The first domid seen at or after id, or XCA_MAX_DOMAINS. */
static uint32_t next_seen(const struct xca *a, uint32_t id)
{
    while (id < XCA_MAX_DOMAINS) {
        uint64_t bits = a->seen[id / 64] & (~0ull << (id % 64));

        if (bits)
            return (id & ~63u) | (uint32_t)__builtin_ctzll(bits);
        id = (id | 63u) + 1;
    }
    return XCA_MAX_DOMAINS;
}

static void fail(struct xca *a, int rc)
{
    if (rc < 0 && !a->err)
        a->err = rc;
}

/* ---- claim holders ------------------------------------------------------ */

/* Keep holders[] the set of domains with a claim, after a change. */
static void holder_update(struct xca *a, struct xca_dstate *d,
                          uint32_t domid)
{
    if (d->claim && !d->holder) {
        if (a->nholders == a->cap_holders) {
            uint32_t cap = a->cap_holders ? 2 * a->cap_holders : 64;
            uint32_t *h = realloc(a->holders, cap * sizeof(*h));

            if (!h) {
                fail(a, -ENOMEM);
                return;
            }
            a->holders = h;
            a->cap_holders = cap;
        }
        a->holders[a->nholders++] = domid;
        d->holder = a->nholders;
    } else if (!d->claim && d->holder) {
        uint32_t i = d->holder - 1, moved = a->holders[--a->nholders];

        a->holders[i] = moved;
        dpeek(a, moved)->holder = i + 1;
        d->holder = 0;
    }
}

/* ---- claim lives -------------------------------------------------------- */

static void life_open(struct xca *a, struct xca_dstate *d, uint32_t domid,
                      uint32_t flags)
{
    d->drawn = 0;
    d->draws = 0;
    d->first_draw_tsc = d->last_draw_tsc = 0;
    d->life_flags = flags;
    d->life_staked = d->claim;
    d->life_target = 0;
    d->life_regrown = 0;
    d->life_start = a->cur_tsc;
    d->life_offset = a->cur_off;
    d->open = 1;
}

/* The open life of d ended (how: enum xca_end) with left pages claimed. */
static void life_end(struct xca *a, struct xca_dstate *d, unsigned int how,
                     uint32_t left)
{
    struct xca_life life, *l = &life;
    uint64_t off;
    int rc;

    if (!d->open)
        return;
    d->open = 0;
    memset(l, 0, sizeof(*l));
    l->domid = d->agg.domid;
    l->flags = d->life_flags;
    l->staked = d->life_staked;
    l->target = d->life_target;
    l->regrown = d->life_regrown;
    l->start_tsc = d->life_start;
    l->offset = d->life_offset;
    l->drawn = d->drawn;
    l->draws = d->draws;
    l->first_draw_tsc = d->first_draw_tsc;
    l->last_draw_tsc = d->last_draw_tsc;
    l->end = how;
    l->left = left;
    l->end_tsc = a->cur_tsc;
    l->next = 0;
    if (!in_filter(a, d->agg.domid) || l->end_tsc < a->s.win_from)
        return;
    switch (how) {
    case XCA_END_CANCELLED: d->agg.cancelled++; break;
    case XCA_END_SATISFIED: d->agg.satisfied++; break;
    case XCA_END_DEATH:     d->agg.deaths++; break;
    case XCA_END_DESTROYED: d->agg.destroyed++; break;
    case XCA_END_OPEN:      d->agg.open++; break;
    default: break;
    }
    rc = xca_spill_put(&a->lives, l, &off);
    if (rc < 0) {
        fail(a, rc);
        return;
    }
    if (d->tail) {
        uint64_t link = off + 1;

        fail(a, xca_spill_patch(&a->lives, d->tail - 1 +
                                offsetof(struct xca_life, next),
                                &link, sizeof(link)));
    } else {
        d->head = off + 1;
    }
    d->tail = off + 1;
    d->agg.lives++;
    a->s.lives++;
    a->lived[d->agg.domid / 64] |= 1ull << (d->agg.domid % 64);
    a->lives64[d->agg.domid / 64]++;
}

/*
 * The domain's claim is now c: account the change to its open life as
 * pages drawn or given back, or open a life for a claim first seen here.
 */
static inline void claim_sync(struct xca *a, struct xca_dstate *d,
                              uint32_t domid, uint32_t c)
{
    uint32_t old = d->claim;

    if (c == old)
        return;
    d->claim = c;
    holder_update(a, d, domid);
    if (c > old && c > d->agg.peak_claim && a->in_win)
        d->agg.peak_claim = c;
    if (!d->open) {
        if (c > old)
            life_open(a, d, domid, XCA_LIFE_UNSEEN);
        return;
    }
    if (c < old) {
        d->drawn += old - c;
        if (!d->first_draw_tsc)
            d->first_draw_tsc = a->cur_tsc;
        d->last_draw_tsc = a->cur_tsc;
        d->draws++;
    } else {
        d->life_regrown += c - old;
    }
}

/* ---- Perfetto and the timeline ---------------------------------------- */

/* The host figures changed to v. */
static void __attribute__((noinline)) host_change_slow(struct xca *a,
                                                       const int64_t *v)
{
    unsigned int s;

    if (__builtin_expect(a->tl.val[XCA_S_HEADROOM] <= 0 && a->s.have_start,
                         0))
        a->s.no_headroom_ticks += a->cur_tsc - a->last_change;
    if (__builtin_expect(!a->s.have_start, 0)) {
        a->s.have_start = 1;
        memcpy(a->s.start, v, sizeof(a->s.start));
    }
    a->last_change = a->cur_tsc;
    if (a->pf_on)
        for (s = 0; s < XCA_S_HEADROOM; s++)
            if (!a->tl.started || v[s] != a->tl.val[s])
                xca_pf_host(&a->pf, s, a->cur_tsc, v[s]);
    xca_tl_set(&a->tl, a->cur_tsc, v);
    if (!a->s.low_free.valid || v[XCA_S_FREE] < a->s.low_free.value) {
        a->s.low_free.valid = 1;
        a->s.low_free.value = v[XCA_S_FREE];
        a->s.low_free.tsc = a->cur_tsc;
    }
    if (!a->s.low_headroom.valid ||
        v[XCA_S_HEADROOM] < a->s.low_headroom.value) {
        a->s.low_headroom.valid = 1;
        a->s.low_headroom.value = v[XCA_S_HEADROOM];
        a->s.low_headroom.tsc = a->cur_tsc;
    }
    if (!a->s.high_outstanding.valid ||
        v[XCA_S_OUTSTANDING] > a->s.high_outstanding.value) {
        a->s.high_outstanding.valid = 1;
        a->s.high_outstanding.value = v[XCA_S_OUTSTANDING];
        a->s.high_outstanding.tsc = a->cur_tsc;
    }
}

/*
 * host_change_slow() for the usual case: the start is known, there was
 * headroom, no Perfetto trace to write.
 */
static inline void host_change(struct xca *a, const int64_t *v)
{
    if (__builtin_expect(!a->s.have_start || a->pf_on ||
                         a->tl.val[XCA_S_HEADROOM] <= 0, 0)) {
        host_change_slow(a, v);
        return;
    }
    a->last_change = a->cur_tsc;
    xca_tl_set(&a->tl, a->cur_tsc, v);
    if (__builtin_expect(v[XCA_S_FREE] < a->s.low_free.value, 0)) {
        a->s.low_free.value = v[XCA_S_FREE];
        a->s.low_free.tsc = a->cur_tsc;
    }
    if (__builtin_expect(v[XCA_S_HEADROOM] < a->s.low_headroom.value, 0)) {
        a->s.low_headroom.value = v[XCA_S_HEADROOM];
        a->s.low_headroom.tsc = a->cur_tsc;
    }
    if (__builtin_expect(v[XCA_S_OUTSTANDING] >
                         a->s.high_outstanding.value, 0)) {
        a->s.high_outstanding.value = v[XCA_S_OUTSTANDING];
        a->s.high_outstanding.tsc = a->cur_tsc;
    }
}

/* Follow the host figures after a record. */
static inline __attribute__((always_inline))
void host_sample(struct xca *a)
{
    int64_t v[XCA_NSERIES];

    xca_host_values(&a->host, a->rh, v);
    if (a->tl.started && v[0] == a->tl.val[0] && v[1] == a->tl.val[1] &&
        v[2] == a->tl.val[2])
        return;
    host_change(a, v);
}

/* claim_sync() out of line, for the fast path. */
static void __attribute__((noinline)) claim_sync_cold(struct xca *a,
    struct xca_dstate *d, uint32_t domid, uint32_t claim)
{
    claim_sync(a, d, domid, claim);
}

/* host_sample() out of line, for the fast path's rare cases. */
static void __attribute__((noinline, cold)) host_sample_slow(struct xca *a)
{
    host_sample(a);
}

/*
 * host_sample() for the bulk of the records, in registers: the timeline
 * is started, the record falls in its current bucket, there was
 * headroom, no Perfetto trace; anything else goes the general way.
 */
static inline __attribute__((always_inline))
void host_sample_fast(struct xca *a)
{
    const struct xct_replay_host *rh = a->rh;
    struct xca_tl *t = &a->tl;
    uint64_t out = a->host.rep_out + rh->claims_sum - a->host.rep_sum;
    int64_t fr = (int64_t)rh->free, fa = (int64_t)rh->freeable;
    int64_t ou = (int64_t)out;
    int64_t hr = (int64_t)(rh->free + rh->freeable - out);
    struct xca_point *b;

    if (__builtin_expect(!t->started || !a->s.have_start ||
                         t->val[XCA_S_HEADROOM] <= 0 ||
                         a->cur_tsc >= t->cur_end, 0)) {
        host_sample_slow(a);
        return;
    }
    if (fr == t->val[XCA_S_FREE] && fa == t->val[XCA_S_FREEABLE] &&
        ou == t->val[XCA_S_OUTSTANDING])
        return;
    a->last_change = a->cur_tsc;
    b = &t->p[t->n - 1];
    xca_tl_step(t, b, XCA_S_FREE, fr);
    xca_tl_step(t, b, XCA_S_FREEABLE, fa);
    xca_tl_step(t, b, XCA_S_OUTSTANDING, ou);
    xca_tl_step(t, b, XCA_S_HEADROOM, hr);
    if (__builtin_expect(fr < a->s.low_free.value, 0)) {
        a->s.low_free.value = fr;
        a->s.low_free.tsc = a->cur_tsc;
    }
    if (__builtin_expect(hr < a->s.low_headroom.value, 0)) {
        a->s.low_headroom.value = hr;
        a->s.low_headroom.tsc = a->cur_tsc;
    }
    if (__builtin_expect(ou > a->s.high_outstanding.value, 0)) {
        a->s.high_outstanding.value = ou;
        a->s.high_outstanding.tsc = a->cur_tsc;
    }
}

static void pf_domain(struct xca *a, struct xca_dstate *d, uint32_t domid,
                      uint32_t old_claim, uint32_t old_tot)
{
    if (!d->pf) {
        d->pf = 1;
        xca_pf_domain(&a->pf, domid);
        xca_pf_dom(&a->pf, domid, 0, a->cur_tsc, d->claim);
        xca_pf_dom(&a->pf, domid, 1, a->cur_tsc, d->tot);
        return;
    }
    if (d->claim != old_claim)
        xca_pf_dom(&a->pf, domid, 0, a->cur_tsc, d->claim);
    if (d->tot != old_tot)
        xca_pf_dom(&a->pf, domid, 1, a->cur_tsc, d->tot);
}

/* ---- denials ------------------------------------------------------------ */

static void denial_flush(struct xca *a)
{
    struct xca_denial *p = &a->pend;

    if (!a->pend_on)
        return;
    a->pend_on = 0;
    if (p->failed)
        a->s.failed_allocs++;
    else
        a->s.denials++;
    fail(a, xca_spill_put(&a->denials, p, NULL));
}

/* The claim holders at this moment, requester aside, largest first. */
static void denial_context(struct xca *a, struct xca_denial *p)
{
    uint32_t i, j;

    for (i = 0; i < a->nholders; i++) {
        uint32_t id = a->holders[i], c = dpeek(a, id)->claim;

        if (id == p->domid)
            continue;
        p->nholders++;
        p->held += c;
        if (!p->failed && in_filter(a, id))
            dpeek(a, id)->agg.blocked++;
        /* Insertion into the sorted top list. */
        j = p->nshown < XCA_TOP_HOLDERS ? p->nshown++ : XCA_TOP_HOLDERS;
        if (j == XCA_TOP_HOLDERS) {
            const struct xca_holder *t = &p->top[j - 1];

            if (c < t->claim || (c == t->claim && id > t->domid))
                continue;
            j--;
        }
        while (j > 0 && (p->top[j - 1].claim < c ||
                         (p->top[j - 1].claim == c &&
                          p->top[j - 1].domid > id))) {
            p->top[j] = p->top[j - 1];
            j--;
        }
        p->top[j].domid = id;
        p->top[j].claim = c;
    }
}

/* Is this denial of interest under the domain filter? */
static int denial_wanted(const struct xca *a, const struct xca_denial *p)
{
    unsigned int i;

    if (!a->o.ndomains || in_filter(a, p->domid))
        return 1;
    for (i = 0; i < a->o.ndomains; i++)
        if (dpeek(a, a->domains[i]) && dpeek(a, a->domains[i])->claim)
            return 1;
    return 0;
}

static void on_refused(struct xca *a, const struct xct_record *rec,
                       int failed)
{
    struct xct_ev_ALLOC_DENIED e;
    struct xca_denial *p = &a->pend;
    char name[96];

    denial_flush(a);
    xct_dec_ALLOC_DENIED(rec->words, &e);
    memset(p, 0, sizeof(*p));
    p->tsc = rec->tsc;
    p->offset = a->cur_off;
    p->domid = e.domid;
    p->order = e.order;
    p->memflags = e.memflags;
    p->claim = e.claim;
    p->failed = (uint32_t)failed;
    if (!a->in_win || !denial_wanted(a, p))
        return;
    denial_context(a, p);
    if (in_filter(a, e.domid) && dpeek(a, e.domid)) {
        if (failed)
            dpeek(a, e.domid)->agg.failed++;
        else
            dpeek(a, e.domid)->agg.denials++;
    }
    a->pend_on = 1;
    if (!failed) {
        xca_tl_denial(&a->tl, rec->tsc);
        if (a->pf_on) {
            if (e.domid == XCT_DOMID_ANON)
                snprintf(name, sizeof(name), "denied anonymous order %u",
                         e.order);
            else
                snprintf(name, sizeof(name), "denied d%u order %u "
                         "(%u holders)", e.domid, e.order, p->nholders);
            xca_pf_instant(&a->pf, 0, rec->tsc, name);
        }
    }
}

static void on_refused_host(struct xca *a, int failed)
{
    const struct xct_replay_denial *r = failed ?
        xct_replay_last_failure(a->rp) : xct_replay_last_denial(a->rp);
    struct xca_denial *p = &a->pend;

    if (!a->pend_on || !r || (int)p->failed != failed ||
        r->offset != p->offset)
        return;
    p->host_known = 1;
    p->free = r->free;
    p->freeable = r->freeable;
    p->outstanding = r->outstanding;
    denial_flush(a);
}

/* ---- stakes ------------------------------------------------------------- */

static void on_stake_refused(struct xca *a, const struct xct_record *rec)
{
    const struct xct_replay_host *rh = a->rh;
    struct xct_ev_CLAIM e;
    struct xca_stake_fail f;
    int64_t v[XCA_NSERIES];
    char name[96];

    xct_dec_CLAIM(rec->words, &e);
    if (in_filter(a, e.domid) && dpeek(a, e.domid))
        dpeek(a, e.domid)->agg.refused++;
    if (!a->in_win || !in_filter(a, e.domid))
        return;
    memset(&f, 0, sizeof(f));
    f.tsc = rec->tsc;
    f.offset = a->cur_off;
    f.domid = e.domid;
    f.flags = e.flags;
    f.result = e.result;
    f.claim = e.claim;
    f.tot_pages = e.tot_pages;
    f.nr_pages = e.nr_pages;
    xca_host_values(&a->host, rh, v);
    f.free = rh->free;
    f.freeable = rh->freeable;
    f.outstanding = v[XCA_S_OUTSTANDING] > 0 ? v[XCA_S_OUTSTANDING] : 0;
    f.host_known = a->host.known;
    a->s.stake_fails++;
    fail(a, xca_spill_put(&a->fails, &f, NULL));
    if (a->pf_on) {
        snprintf(name, sizeof(name), "stake refused d%u %s", e.domid,
                 e.result < 0 && e.result > -4096 ?
                 xct_errno_name(-e.result) : "?");
        xca_pf_instant(&a->pf, 1, rec->tsc, name);
    }
}

static void on_stake(struct xca *a, struct xca_dstate *d, uint32_t domid,
                     const struct xct_record *rec,
                     const struct xct_replay_dom *dom)
{
    struct xct_ev_CLAIM e;

    xct_dec_CLAIM(rec->words, &e);
    if (d->open)
        life_end(a, d, XCA_END_REPLACED, d->claim);
    d->claim = dom->claim;
    holder_update(a, d, domid);
    life_open(a, d, domid, (e.flags & XCT_CLAIMF_FREE_ONLY) ?
              XCA_LIFE_FREE_ONLY : 0);
    d->life_target = e.nr_pages;
    if (a->in_win) {
        d->agg.stakes++;
        if (d->claim > d->agg.peak_claim)
            d->agg.peak_claim = d->claim;
    }
}

/* ---- gaps --------------------------------------------------------------- */

static void on_lost(struct xca *a, const struct xct_record *rec)
{
    struct xca_gap g;
    uint64_t off;

    if (!a->in_win)
        return;
    memset(&g, 0, sizeof(g));
    g.kind = XCA_GAP_LOST;
    g.cpu = a->cur_cpu;
    g.offset = a->cur_off;
    if (rec->nwords >= XCT_LOST_RECORDS_WORDS) {
        g.lost = rec->words[0];
        g.from_tsc = (uint64_t)rec->words[2] |
                     ((uint64_t)rec->words[3] << 32);
    }
    if (g.from_tsc > rec->tsc || g.from_tsc < a->s.first_tsc)
        g.from_tsc = 0;
    g.to_tsc = rec->tsc;
    snprintf(g.msg, sizeof(g.msg), "running d%u v%u",
             rec->words[1] & 0xffffu, rec->words[1] >> 16);
    xca_tl_uncertain(&a->tl, g.from_tsc ? g.from_tsc : rec->tsc, rec->tsc);
    if (xca_spill_put(&a->gaps, &g, &off) < 0) {
        fail(a, a->gaps.err);
        return;
    }
    a->s.gaps++;
    if (!a->lost_open) {
        a->lost_open = 1;
        a->lost_gap_off = off;
        a->lost_from = g.from_tsc ? g.from_tsc : rec->tsc;
    }
}

/*
 * A dump after lost records (at until), or the end (until 0): the state
 * was inexact from the first loss; the losses since learn until when.
 */
static void lost_close(struct xca *a, uint64_t until)
{
    struct xca_gap g;
    uint64_t off;

    if (!a->lost_open)
        return;
    a->lost_open = 0;
    xca_tl_uncertain(&a->tl, a->lost_from, until ? until : a->s.win_to);
    if (!until)
        return;
    for (off = a->lost_gap_off; xca_spill_get(&a->gaps, off, &g) == 0;
         off += sizeof(g))
        if (g.kind == XCA_GAP_LOST && !g.until_tsc)
            fail(a, xca_spill_patch(&a->gaps, off +
                                    offsetof(struct xca_gap, until_tsc),
                                    &until, sizeof(until)));
}

/* ---- the replay's callbacks --------------------------------------------- */

static void on_issue(void *opaque, const struct xct_replay_issue *is)
{
    struct xca *a = opaque;
    struct xca_issue it;

    if (is->kind == XCT_REPLAY_ISSUE_LOST_RECORDS)
        return;                 /* a gap, reported as such */
    if (!a->in_win || (is->domid != XCT_DOMID_ANON &&
                       is->domid < XCA_MAX_DOMAINS &&
                       !in_filter(a, is->domid)) ||
        (a->o.ndomains && is->domid >= XCA_MAX_DOMAINS)) {
        a->s.issues_outside++;
        return;
    }
    memset(&it, 0, sizeof(it));
    it.tsc = is->tsc;
    it.offset = is->offset;
    it.kind = is->kind;
    it.event = is->event;
    it.domid = is->domid;
    it.expected = is->expected;
    it.seen = is->seen;
    snprintf(it.msg, sizeof(it.msg), "%s", is->msg);
    a->s.issues++;
    if ((unsigned int)is->kind < XCT_REPLAY_NISSUES)
        a->s.issues_by_kind[is->kind]++;
    fail(a, xca_spill_put(&a->issues, &it, NULL));
}

/* xenclaim records the replay has been fed, the current one included. */
static uint64_t xenclaim_fed(const struct xca *a)
{
    uint64_t n = 0;
    unsigned int i;

    for (i = 0; i < XCT_REPLAY_NREC - 1; i++)
        n += a->rh->n.by_event[i];
    return n;
}

static void __attribute__((noinline)) on_event_slow(struct xca *a,
    enum xct_replay_event ev, const struct xct_record *rec,
    const struct xct_replay_dom *dom);

/*
 * The common records, kept small: a known domain's pages, a claim drawn
 * down; everything else in on_event_slow().
 */
static void on_event(void *opaque, enum xct_replay_event ev,
                     const struct xct_record *rec, uint64_t offset,
                     const struct xct_replay_dom *dom)
{
    struct xca *a = opaque;
    struct xca_dstate *d;

    a->cur_tsc = rec->tsc;
    a->cur_off = offset;
    if (__builtin_expect((ev == XCT_REPLAY_EV_TOT_PAGES ||
                          ev == XCT_REPLAY_EV_DRAW) && !a->pf_on, 1)) {
        d = a->leaf[dom->domid / XCA_LEAF];
        if (__builtin_expect(d && (d += dom->domid % XCA_LEAF)->seen, 1)) {
            if (ev == XCT_REPLAY_EV_TOT_PAGES) {
                uint32_t t = dom->tot_pages, p = d->peak_tot;

                d->tot = t;
                /*
                 * Without a branch: whether a domain's pages reach a new
                 * peak is a coin toss record after record, and a missed
                 * guess cost more than the store (65,536 domains: 195 ->
                 * 184 ms).
                 */
                if (a->in_win)
                    d->peak_tot = t > p ? t : p;
            } else if (a->in_win) {
                d->pages_drawn += rec->words[2];
            }
            if (__builtin_expect(dom->claim != d->claim, 0))
                claim_sync_cold(a, d, dom->domid, dom->claim);
            d->last_tsc = rec->tsc;
            if (a->in_win)
                host_sample_fast(a);
            return;
        }
    }
    on_event_slow(a, ev, rec, dom);
}

static void on_event_slow(struct xca *a, enum xct_replay_event ev,
                          const struct xct_record *rec,
                          const struct xct_replay_dom *dom)
{
    struct xca_dstate *d = NULL;
    uint32_t domid = 0, old_claim = 0, old_tot = 0;

    xca_host_event(&a->host, ev, a->rh);
    d = NULL;
    if (dom) {
        domid = dom->domid;
        d = dget(a, domid, rec->tsc);
        if (!d) {
            fail(a, -ENOMEM);
            return;
        }
        old_claim = d->claim;
        old_tot = d->tot;
    }

    if (!d && ev != XCT_REPLAY_EV_STAKE_REFUSED &&
        ev != XCT_REPLAY_EV_DENIAL && ev != XCT_REPLAY_EV_FAILED &&
        ev != XCT_REPLAY_EV_DENIAL_HOST && ev != XCT_REPLAY_EV_FAILED_HOST &&
        ev != XCT_REPLAY_EV_HEAP && ev != XCT_REPLAY_EV_DUMP_START &&
        ev != XCT_REPLAY_EV_DUMP_END && ev != XCT_REPLAY_EV_LOST)
        goto sample;            /* every other event names a domain */

    switch (ev) {
    case XCT_REPLAY_EV_TOT_PAGES:
    case XCT_REPLAY_EV_ASSIGN_FAILED:
        d->tot = dom->tot_pages;
        if (dom->claim != d->claim)
            claim_sync(a, d, domid, dom->claim);
        if (d->tot > d->peak_tot && a->in_win)
            d->peak_tot = d->tot;
        break;
    case XCT_REPLAY_EV_DRAW:
        claim_sync(a, d, domid, dom->claim);
        if (a->in_win)
            d->pages_drawn += rec->words[2];
        break;
    case XCT_REPLAY_EV_STAKE:
        on_stake(a, d, domid, rec, dom);
        break;
    case XCT_REPLAY_EV_STAKE_REFUSED:
        on_stake_refused(a, rec);
        if (d)
            claim_sync(a, d, domid, dom->claim);
        break;
    case XCT_REPLAY_EV_RELEASE_CANCEL:
    case XCT_REPLAY_EV_RELEASE_DRAWN:
    case XCT_REPLAY_EV_RELEASE_DEATH:
        life_end(a, d, ev == XCT_REPLAY_EV_RELEASE_CANCEL ?
                 XCA_END_CANCELLED : ev == XCT_REPLAY_EV_RELEASE_DRAWN ?
                 XCA_END_SATISFIED : XCA_END_DEATH, d->claim);
        d->claim = 0;
        holder_update(a, d, domid);
        break;
    case XCT_REPLAY_EV_DENIAL:
    case XCT_REPLAY_EV_FAILED:
        if (d)
            claim_sync(a, d, domid, dom->claim);
        on_refused(a, rec, ev == XCT_REPLAY_EV_FAILED);
        break;
    case XCT_REPLAY_EV_DENIAL_HOST:
    case XCT_REPLAY_EV_FAILED_HOST:
        on_refused_host(a, ev == XCT_REPLAY_EV_FAILED_HOST);
        d = NULL;
        break;
    case XCT_REPLAY_EV_HEAP:
        break;
    case XCT_REPLAY_EV_DUMP_START:
        a->s.dumps++;
        if (xenclaim_fed(a) == 1)       /* the first xenclaim record */
            a->s.exact_start = 1;
        lost_close(a, a->cur_tsc);
        return;                 /* the totals count from the dump's end */
    case XCT_REPLAY_EV_DUMP_DOMAIN:
        d->tot = dom->tot_pages;
        if (d->open && dom->claim != d->claim) {
            d->claim = dom->claim;
            holder_update(a, d, domid);
            if (!d->claim)
                life_end(a, d, XCA_END_LOST, 0);
        } else if (!d->open && dom->claim) {
            d->claim = dom->claim;
            holder_update(a, d, domid);
            life_open(a, d, domid, XCA_LIFE_FROM_DUMP);
        }
        if (a->in_win && d->claim > d->agg.peak_claim)
            d->agg.peak_claim = d->claim;
        d->agg.max_pages = dom->max_pages;
        break;
    case XCT_REPLAY_EV_DUMP_END:
        /* Domains the dump did not list are gone. */
        for (uint32_t i = 0; i < a->nholders;) {
            uint32_t id = a->holders[i];

            if (!xct_replay_dom(a->rp, id)) {
                struct xca_dstate *g = dpeek(a, id);

                life_end(a, g, XCA_END_LOST, g->claim);
                g->claim = 0;
                holder_update(a, g, id);
            } else {
                i++;
            }
        }
        break;
    case XCT_REPLAY_EV_CREATED:
        /* A new domain under an old id: whatever the old one held is gone. */
        if (d->open)
            life_end(a, d, XCA_END_LOST, d->claim);
        d->claim = 0;
        holder_update(a, d, domid);
        claim_sync(a, d, domid, dom->claim);
        d->tot = dom->tot_pages;
        if (a->in_win && in_filter(a, domid))
            d->agg.created++;
        break;
    case XCT_REPLAY_EV_MAX_PAGES:
        claim_sync(a, d, domid, dom->claim);
        d->tot = dom->tot_pages;
        break;
    case XCT_REPLAY_EV_DYING:
        if (d->open)
            life_end(a, d, XCA_END_DEATH, d->claim);
        d->claim = 0;
        holder_update(a, d, domid);
        d->tot = dom->tot_pages;
        if (a->in_win && in_filter(a, domid))
            d->agg.dying++;
        break;
    case XCT_REPLAY_EV_DESTROYED:
        if (d->open)
            life_end(a, d, XCA_END_DESTROYED, d->claim);
        d->claim = 0;
        holder_update(a, d, domid);
        d->tot = 0;
        if (a->in_win && in_filter(a, domid))
            d->agg.gone++;
        break;
    case XCT_REPLAY_EV_LOST:
        if (a->run_recs)        /* fed by the chunk: the CPU is in the run */
            a->cur_cpu = a->run_cpus[rec - a->run_recs];
        on_lost(a, rec);
        break;
    case XCT_REPLAY_EV_CANCEL:
        break;
    default:
        if (d)
            claim_sync(a, d, domid, dom->claim);
        break;
    }

    if (d) {
        d->last_tsc = rec->tsc;
        if (a->pf_on && a->in_win && in_filter(a, domid))
            pf_domain(a, d, domid, old_claim, old_tot);
    }
sample:
    if (a->in_win && !a->host.in_dump)
        host_sample(a);
}

/* ---- the handle --------------------------------------------------------- */

struct xca *xca_new(const struct xca_opts *o)
{
    static const struct xca_opts defaults = XCA_OPTS_INIT;
    struct xca *a;
    unsigned int i;

    if (!o)
        o = &defaults;
    if ((o->has_from && !(o->from_s >= 0)) ||
        (o->has_to && !(o->to_s >= 0)) ||
        (o->has_from && o->has_to && o->to_s < o->from_s) ||
        (o->ndomains && !o->domains)) {
        errno = EINVAL;
        return NULL;
    }
    for (i = 0; i < o->ndomains; i++) {
        if (o->domains[i] >= XCA_MAX_DOMAINS) {
            errno = EINVAL;
            return NULL;
        }
    }
    a = calloc(1, sizeof(*a));
    if (!a)
        goto nomem;
    a->o = *o;
    if (!(a->o.cpu_hz > 0) || !isfinite(a->o.cpu_hz))
        a->o.cpu_hz = XCA_DEFAULT_HZ;
    a->s.cpu_hz = a->o.cpu_hz;
    a->rp = xct_replay_new();
    if (!a->rp)
        goto nomem;
    a->rh = xct_replay_host(a->rp);
    if (o->ndomains) {
        a->domains = calloc(o->ndomains, sizeof(*a->domains));
        if (!a->domains)
            goto nomem;
        memcpy(a->domains, o->domains, o->ndomains * sizeof(*a->domains));
        a->o.domains = a->domains;
        a->want = calloc(XCA_MAX_DOMAINS, 1);
        if (!a->want)
            goto nomem;
        for (i = 0; i < o->ndomains; i++)
            a->want[o->domains[i]] = 1;
    }
    if (xca_tl_init(&a->tl, o->buckets ? o->buckets : 256) < 0)
        goto nomem;
    xca_spill_init(&a->lives, sizeof(struct xca_life));
    xca_spill_init(&a->denials, sizeof(struct xca_denial));
    xca_spill_init(&a->fails, sizeof(struct xca_stake_fail));
    xca_spill_init(&a->issues, sizeof(struct xca_issue));
    xca_spill_init(&a->gaps, sizeof(struct xca_gap));
    a->pf_on = o->perfetto != NULL;
    xca_pf_init(&a->pf, o->perfetto, 0, a->o.cpu_hz);
    xct_replay_set_issue_cb(a->rp, on_issue, a);
    xct_replay_set_event_cb(a->rp, on_event, a);
    a->s.win_to = UINT64_MAX;
    return a;

nomem:
    xca_free(a);
    errno = ENOMEM;
    return NULL;
}

void xca_free(struct xca *a)
{
    unsigned int i;

    if (!a)
        return;
    xct_replay_free(a->rp);
    if (a->dstates)
        xct_mem_unmap(a->dstates, XCA_MAX_DOMAINS * sizeof(*a->dstates));
    else
        for (i = 0; i < XCA_MAX_DOMAINS / XCA_LEAF; i++)
            free(a->leaf[i]);
    free(a->holders);
    free(a->domains);
    free(a->want);
    xca_tl_free(&a->tl);
    xca_spill_close(&a->lives);
    xca_spill_close(&a->denials);
    xca_spill_close(&a->fails);
    xca_spill_close(&a->issues);
    xca_spill_close(&a->gaps);
    free(a);
}

/* Ticks of s seconds, saturated. */
static uint64_t ticks(const struct xca *a, double s)
{
    double t = s * a->o.cpu_hz;

    if (!(t < 9.2e18))
        return UINT64_MAX;
    return (uint64_t)llround(t);
}

static void first_record(struct xca *a, uint64_t tsc)
{
    a->started = 1;
    a->s.first_tsc = tsc;
    a->s.win_from = tsc;
    if (a->o.has_from) {
        uint64_t t = ticks(a, a->o.from_s);

        a->s.win_from = t > UINT64_MAX - tsc ? UINT64_MAX : tsc + t;
    }
    a->s.win_to = xca_window_end(a, tsc);
    a->pf.t0 = tsc;
}

uint64_t xca_window_end(const struct xca *a, uint64_t first)
{
    uint64_t t;

    if (!a->o.has_to)
        return UINT64_MAX;
    t = ticks(a, a->o.to_s);
    return t > UINT64_MAX - first ? UINT64_MAX : first + t;
}

/* The first record inside the window: start the timeline there. */
static void enter_window(struct xca *a)
{
    uint64_t keep = a->cur_tsc;

    a->entered = 1;
    a->in_win = 1;
    if (a->pf_on)
        xca_pf_begin(&a->pf);
    if (a->host.known || a->s.dumps) {
        a->cur_tsc = a->s.win_from;
        a->last_change = a->cur_tsc;
        host_sample(a);
        a->cur_tsc = keep;
    }
}

static inline void count_foreign(struct xca *a, uint32_t event)
{
    uint32_t cls = (event >> 16) & 0xffu;

    a->s.foreign++;
    if (cls)
        a->s.by_class[__builtin_ctz(cls)]++;
    if ((event & 0xfffff000u) == XCT_TRC_MEM)
        a->s.other_mem++;
}

/* xca_feed() of a record, a and rec valid, no error pending. */
static inline __attribute__((always_inline)) int
feed_one(struct xca *a, const struct xct_record *rec, unsigned int cpu,
         uint64_t off)
{
    uint32_t minor;
    int rc;

    if (__builtin_expect(!a->started, 0))
        first_record(a, rec->tsc);
    if (__builtin_expect(rec->tsc > a->s.win_to, 0)) {
        a->s.past_window = 1;
        return 1;
    }
    if (__builtin_expect(!a->entered, 0) && rec->tsc >= a->s.win_from)
        enter_window(a);
    a->cur_tsc = rec->tsc;
    a->cur_off = off;
    a->cur_cpu = cpu;
    a->s.records++;
    a->s.last_tsc = rec->tsc;
    minor = rec->event - (XCT_TRC_MEM | XCT_MINOR_BASE);
    if (__builtin_expect(minor < XCT_REPLAY_NREC - 1, 1))
        a->s.xenclaim++;
    else if (rec->event != XCT_TRC_LOST_RECORDS)
        count_foreign(a, rec->event);
    rc = xct_replay_feed(a->rp, rec, off);
    if (__builtin_expect(rc < 0, 0))
        fail(a, rc);
    return a->err;
}

int xca_feed(struct xca *a, const struct xct_record *rec, unsigned int cpu,
             uint64_t off)
{
    if (!a || !rec)
        return -EINVAL;
    if (a->err)
        return a->err;
    return feed_one(a, rec, cpu, off);
}

/*
 * Count a chunk of records the replay was just fed as feed_one() counts
 * them one at a time (the callbacks need none of these counters): the
 * replay's own counters tell how many were foreign or lost records, and
 * only a chunk with foreign records is looked at for their classes.
 * foreign and lost: the replay's counts before the chunk.
 */
static inline void count_chunk(struct xca *a, const struct xct_record *recs,
                               unsigned int n, uint64_t foreign,
                               uint64_t lost)
{
    uint64_t nf = a->rh->n.foreign - foreign;
    uint64_t nl = a->rh->n.lost_events - lost;
    unsigned int i;

    a->s.records += n;
    a->s.last_tsc = recs[n - 1].tsc;
    a->s.xenclaim += n - nf - nl;
    for (i = 0; nf && i < n; i++) {
        uint32_t minor = recs[i].event - (XCT_TRC_MEM | XCT_MINOR_BASE);

        if (minor >= XCT_REPLAY_NREC - 1 &&
            recs[i].event != XCT_TRC_LOST_RECORDS) {
            count_foreign(a, recs[i].event);
            nf--;
        }
    }
}

unsigned int xca_feed_run(struct xca *a, const struct xct_record *recs,
                          const uint64_t *offs, const uint16_t *cpus,
                          unsigned int n, int *rc)
{
    unsigned int i;
    uint64_t foreign, lost;
    int r;

    *rc = a->err;
    if (*rc)
        return 0;
    /*
     * Without a window, once the first record is in, the replay takes
     * the records a chunk at a time: the callbacks set the current
     * record's TSC and offset (and the CPU, for lost records, from the
     * run's cpus[]).  With a window, a record at a time, so that the
     * analysis enters and leaves it at the right record.
     */
    if (a->entered && !a->o.has_from && !a->o.has_to) {
        /*
         * The whole run at once: the replay prefetches the records
         * (they come from another CPU's cache) and, with many domains,
         * their domain states (its own and ours, see
         * xct_replay_set_companion()) as it goes.
         */
        foreign = a->rh->n.foreign;
        lost = a->rh->n.lost_events;
        a->run_recs = recs;
        a->run_cpus = cpus;
        r = xct_replay_feed_run(a->rp, recs, offs, n);
        a->run_recs = NULL;
        count_chunk(a, recs, n, foreign, lost);
        if (__builtin_expect(r < 0, 0))
            fail(a, r);
        *rc = a->err;
        return n;
    }
    for (i = 0; i < n; i++) {
        /* The records come from another CPU's cache: ask for them early. */
        if (i + XCA_PREFETCH_RECS < n)
            __builtin_prefetch(&recs[i + XCA_PREFETCH_RECS]);
        if (__builtin_expect(a->nseen >= XCA_PREFETCH_DOMAINS, 0) &&
            i % XCA_PREFETCH_STEP == 0 && i + XCA_PREFETCH_AHEAD < n)
            xca_prefetch(a, &recs[i + XCA_PREFETCH_AHEAD],
                         n - i - XCA_PREFETCH_AHEAD < XCA_PREFETCH_STEP ?
                         n - i - XCA_PREFETCH_AHEAD : XCA_PREFETCH_STEP);
        *rc = feed_one(a, &recs[i], cpus[i], offs[i]);
        if (__builtin_expect(*rc != 0, 0))
            return i + 1;
    }
    return n;
}

int xca_note_read(struct xca *a, enum xct_read_status st, uint64_t off,
                  const char *msg, int final)
{
    struct xca_gap g;

    if (!a)
        return -EINVAL;
    a->s.read_errors++;
    memset(&g, 0, sizeof(g));
    g.kind = final ? XCA_GAP_STOPPED : XCA_GAP_SKIPPED;
    g.offset = off;
    g.from_tsc = a->started ? a->cur_tsc : 0;
    snprintf(g.msg, sizeof(g.msg), "%s%s", st == XCT_READ_TRUNCATED ?
             "truncated: " : "", msg ? msg : "");
    if (final)
        a->s.stopped = 1;
    a->s.gaps++;
    fail(a, xca_spill_put(&a->gaps, &g, NULL));
    return a->err;
}

int xca_finish(struct xca *a, const struct xct_reader_stats *st,
               uint64_t file_size)
{
    const struct xct_replay_host *rh;
    uint32_t i;

    if (!a)
        return -EINVAL;
    if (a->finished)
        return a->err;
    a->finished = 1;
    rh = a->rh;
    denial_flush(a);
    if (!a->started)
        a->s.win_from = 0;
    if (a->s.win_to == UINT64_MAX || a->s.win_to > a->s.last_tsc)
        a->s.win_to = a->s.past_window ? a->s.win_to : a->s.last_tsc;
    if (a->s.win_to < a->s.win_from)
        a->s.win_to = a->s.win_from;
    a->cur_tsc = a->s.win_to;
    for (i = next_seen(a, 0); i < XCA_MAX_DOMAINS; i = next_seen(a, i + 1)) {
        struct xca_dstate *d = dpeek(a, i);
        const struct xct_replay_dom *rd = xct_replay_dom(a->rp, i);

        if (d->open)
            life_end(a, d, XCA_END_OPEN, d->claim);
        d->agg.claim = d->claim;
        d->agg.tot_pages = d->tot;
        d->agg.peak_tot = d->peak_tot;
        d->agg.pages_drawn = d->pages_drawn;
        d->agg.last_tsc = d->last_tsc;
        if (rd)
            d->agg.max_pages = rd->max_pages;
    }
    if (a->tl.started) {
        xca_tl_close(&a->tl, a->s.win_to);
        lost_close(a, 0);
        if (a->tl.val[XCA_S_HEADROOM] <= 0 && a->s.win_to > a->last_change)
            a->s.no_headroom_ticks += a->s.win_to - a->last_change;
        memcpy(a->s.end, a->tl.val, sizeof(a->s.end));
    }
    a->s.exact_end = rh->exact;
    memcpy(a->s.by_event, rh->n.by_event, sizeof(a->s.by_event));
    a->s.lost = rh->n.lost;
    a->s.lost_events = rh->n.lost_events;
    if (st) {
        a->s.windows = st->windows;
        a->s.wraps = st->wraps;
        a->s.bytes = st->bytes;
        a->s.cpus = st->cpus;
        a->s.skipped_bytes = st->skipped_bytes;
        a->s.skipped_windows = st->skipped_windows;
    }
    a->s.file_size = file_size;
    if (a->pf_on) {
        if (!a->entered)
            xca_pf_begin(&a->pf);
        fail(a, xca_pf_end(&a->pf));
    }
    return a->err;
}

/* ---- getters ------------------------------------------------------------ */

const struct xca_opts *xca_opts(const struct xca *a)
{
    return a ? &a->o : NULL;
}

const struct xca_summary *xca_summary(const struct xca *a)
{
    return a ? &a->s : NULL;
}

const struct xca_domain *xca_domain(const struct xca *a, uint32_t domid)
{
    const struct xca_dstate *d = a ? dpeek(a, domid) : NULL;

    return d ? &d->agg : NULL;
}

/*
 * The report walks the domains in domid order: ask for the state of a
 * domain a few ids on (its flag line and its aggregates), which the
 * hardware's stride prefetch does not follow across pages.
 */
#define WALK_AHEAD 8u

static inline void walk_ahead(const struct xca *a, uint32_t id)
{
    const char *p;

    if (!a->dstates || id + WALK_AHEAD >= XCA_MAX_DOMAINS)
        return;
    p = (const char *)&a->dstates[id + WALK_AHEAD];
    __builtin_prefetch(p);
    __builtin_prefetch(p + offsetof(struct xca_dstate, agg));
    __builtin_prefetch(p + offsetof(struct xca_dstate, agg) +
                       sizeof(struct xca_domain) - 1);
}

const struct xca_domain *xca_domain_from(const struct xca *a, uint32_t id)
{
    if (!a)
        return NULL;
    for (id = next_seen(a, id); id < XCA_MAX_DOMAINS;
         id = next_seen(a, id + 1))
        if (in_filter(a, id)) {
            walk_ahead(a, id);
            return &dpeek(a, id)->agg;
        }
    return NULL;
}

const struct xca_domain *xca_domain_lived_from(const struct xca *a,
                                               uint32_t id)
{
    while (a && id < XCA_MAX_DOMAINS) {
        uint64_t bits = a->lived[id / 64] & (~0ull << (id % 64));

        if (bits) {
            id = (id & ~63u) | (uint32_t)__builtin_ctzll(bits);
            walk_ahead(a, id);
            return &dpeek(a, id)->agg;
        }
        id = (id | 63u) + 1;
    }
    return NULL;
}

unsigned int xca_cuts(const struct xca *a, int lives, uint64_t target,
                      uint32_t *cut, unsigned int max)
{
    unsigned int g, n = 0;
    uint64_t w = 0;

    cut[n++] = 0;
    for (g = 0; g < XCA_MAX_DOMAINS / 64 && n < max; g++) {
        if (lives && a->lives64[g] >= target) {
            /* A group this heavy is cut between its domains. */
            uint64_t bits = a->lived[g];

            while (bits && n < max) {
                uint32_t id = g * 64 + (uint32_t)__builtin_ctzll(bits);

                bits &= bits - 1;
                w += dpeek(a, id)->agg.lives;
                if (w >= target && id + 1 < XCA_MAX_DOMAINS) {
                    cut[n++] = id + 1;
                    w = 0;
                }
            }
            continue;
        }
        w += lives ? a->lives64[g] :
                     (uint64_t)__builtin_popcountll(a->seen[g]);
        if (w >= target) {
            cut[n++] = (g + 1) * 64;
            w = 0;
        }
    }
    if (cut[n - 1] == XCA_MAX_DOMAINS)
        n--;
    cut[n] = XCA_MAX_DOMAINS;
    return n;
}

const struct xca_domain *xca_domain_next(const struct xca *a,
                                         const struct xca_domain *prev)
{
    return xca_domain_from(a, prev ? prev->domid + 1 : 0);
}

const struct xca_point *xca_timeline(const struct xca *a, unsigned int *n,
                                     uint64_t *width)
{
    if (!a || !a->tl.started) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = a->tl.n;
    if (width)
        *width = a->tl.width;
    return a->tl.p;
}

/* ---- walking the lists -------------------------------------------------- */

int xca_foreach_life(struct xca *a, uint32_t domid,
                     int (*cb)(void *opaque, const struct xca_life *l),
                     void *opaque)
{
    if (!a)
        return -EINVAL;
    return xca_foreach_life_in(a, &a->lives, domid, cb, opaque);
}

int xca_foreach_life_in(const struct xca *a, struct xca_spill *lives,
                        uint32_t domid,
                        int (*cb)(void *opaque, const struct xca_life *l),
                        void *opaque)
{
    struct xca_life l;
    uint64_t at;
    int rc;

    if (!a || !lives || !cb || domid >= XCA_MAX_DOMAINS)
        return -EINVAL;
    for (at = dpeek(a, domid) ? dpeek(a, domid)->head : 0; at;
         at = l.next) {
        rc = xca_spill_get(lives, at - 1, &l);
        if (rc < 0)
            return rc;
        rc = cb(opaque, &l);
        if (rc)
            return rc;
    }
    return 0;
}

/* Each list's walker calls its typed callback through a thunk. */
struct walk {
    void *cb;
    void *opaque;
};

#define XCA_WALK(fn, spill, type)                                            \
    static int fn##_thunk(void *opaque, const void *item)                   \
    {                                                                       \
        const struct walk *w = opaque;                                      \
        int (*cb)(void *, const type *) =                                   \
            (int (*)(void *, const type *))w->cb;                           \
                                                                            \
        return cb(w->opaque, item);                                         \
    }                                                                       \
    int fn(struct xca *a, int (*cb)(void *opaque, const type *x),           \
           void *opaque)                                                    \
    {                                                                       \
        struct walk w = { (void *)cb, opaque };                             \
        type scratch;                                                       \
                                                                            \
        if (!a || !cb)                                                      \
            return -EINVAL;                                                 \
        return xca_spill_walk(&a->spill, &scratch, fn##_thunk, &w);         \
    }

XCA_WALK(xca_foreach_denial, denials, struct xca_denial)
XCA_WALK(xca_foreach_stake_fail, fails, struct xca_stake_fail)
XCA_WALK(xca_foreach_issue, issues, struct xca_issue)
XCA_WALK(xca_foreach_gap, gaps, struct xca_gap)
