/* xct_replay.c: replays xenclaim trace records into host and domain state. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xct_mem.h"
#include "xct_replay.h"

/*
 * Domains live in a two-level table keyed by the 16-bit domid: 256
 * leaves of 256 domains each, held in the leaf itself, a leaf allocated
 * with its first domain and freed with its last.  Finding a domain is
 * one load (the leaf) and an address computation, which lets a reader
 * of many domains prefetch the next records' domains cheaply
 * (xct_replay_prefetch()); memory follows the live domains a leaf at a
 * time.  Each leaf keeps a bitmap of its used slots for iteration.  The
 * leaves sit at fixed places in one reservation (xct_mem_map()), made
 * with the first domain, so that xct_replay_prefetch() finds a domain's
 * line without even that load.  Without the reservation, leaves come
 * from the heap.
 */
#define LEAF_BITS 8u
#define LEAF_SIZE (1u << LEAF_BITS)
#define LEAF_MASK (LEAF_SIZE - 1)
#define NLEAVES   ((XCT_REPLAY_MAX_DOMID + 1) / LEAF_SIZE)

/*
 * A domain is cache-line aligned and keeps what every record touches
 * (these fields, the head of pub and pub.n.pages_drawn) in its first
 * 64 bytes.
 */
struct dom {
    uint32_t used;              /* 1: this slot holds a domain */
    uint32_t gen;               /* dump generation that listed it */
    uint32_t kepoch;            /* loss epoch in which known was set */
    uint32_t known;             /* XCT_REPLAY_KNOWN_* bits */
    struct xct_replay_dom pub;  /* getters hand out &pub */
} __attribute__((aligned(64)));

static inline const struct dom *dom_of(const struct xct_replay_dom *p)
{
    return (const struct dom *)((const char *)p - offsetof(struct dom, pub));
}

struct leaf {
    struct dom dom[LEAF_SIZE];
    uint64_t live[LEAF_SIZE / 64];
    unsigned int count;
};

struct xct_replay {
    struct leaf *top[NLEAVES];
    struct leaf *arena;         /* NLEAVES leaves, or NULL */
    int arena_tried;
    struct xct_replay_host host;
    struct xct_replay_node nodes[XCT_REPLAY_MAX_NODES];
    uint64_t nodes_known;       /* bit n: nodes[n] was reported */

    uint32_t gen;               /* bumped when a dump starts */
    uint32_t epoch;             /* bumped when records are lost */
    int in_dump;
    uint64_t dump_tsc, dump_off;
    uint32_t slots;             /* used slots, stale ones included */
    uint32_t stale;             /* of them, not relisted by the dump yet */
    size_t mem;                 /* bytes held by leaves and domains */

    struct xct_replay_denial denial, failure;
    int have_denial, have_failure;
    int denial_pending, failure_pending; /* heap record still due */

    xct_replay_issue_cb issue_cb;
    void *issue_opaque;
    xct_replay_event_cb event_cb;
    void *event_opaque;
    const char *cbase;          /* the caller's table by domid, or NULL */
    size_t cstride;

    /* The record being applied, for reports. */
    const struct xct_record *rec;
    uint64_t off;
    char msg[320];
};

/* ---- names ---------------------------------------------------------- */

static const char *const issue_names[] = {
#define X_NAME(id, name, doc) name,
    XCT_REPLAY_ISSUES(X_NAME)
#undef X_NAME
};

static const char *const event_names[] = {
#define X_NAME(id, name, doc) name,
    XCT_REPLAY_EVENTS(X_NAME)
#undef X_NAME
};

static const char *const err_names[] = {
#define X_NAME(e) #e,
    XCT_REPLAY_ERRNOS(X_NAME)
#undef X_NAME
    "other"
};

const char *xct_replay_issue_name(enum xct_replay_issue_kind kind)
{
    if ((unsigned int)kind >= XCT_REPLAY_NISSUES)
        return "?";
    return issue_names[kind];
}

const char *xct_replay_event_name(enum xct_replay_event ev)
{
    if ((unsigned int)ev >= XCT_REPLAY_NEVENTS)
        return "?";
    return event_names[ev];
}

enum xct_replay_err xct_replay_err_slot(int err)
{
    switch (err) {
#define X_CASE(e) case e: return XCT_REPLAY_ERR_##e;
    XCT_REPLAY_ERRNOS(X_CASE)
#undef X_CASE
    default:
        return XCT_REPLAY_ERR_OTHER;
    }
}

const char *xct_replay_err_name(enum xct_replay_err slot)
{
    if ((unsigned int)slot >= XCT_REPLAY_NERR)
        return "?";
    return err_names[slot];
}

/* ---- reports -------------------------------------------------------- */

/* The name of the record being applied, for messages (rec_name() below). */
static const char *rec_name(const struct xct_replay *r);

/*
 * Count an inconsistency about domid and pass it to the callback; what
 * (a printf format) says which figure disagrees.
 */
static void __attribute__((cold, noinline, format(printf, 6, 7)))
issue(struct xct_replay *r, enum xct_replay_issue_kind kind,
      uint32_t domid, int64_t expected, int64_t seen, const char *what, ...)
{
    struct xct_replay_issue is;
    va_list ap;
    int n;

    r->host.n.issues[kind]++;
    if (!r->issue_cb)
        return;
    if (domid == XCT_DOMID_ANON)
        n = snprintf(r->msg, sizeof(r->msg), "%s: %s: ", rec_name(r),
                     issue_names[kind]);
    else
        n = snprintf(r->msg, sizeof(r->msg), "%s d%" PRIu32 ": %s: ",
                     rec_name(r), domid, issue_names[kind]);
    if (n < 0 || (size_t)n >= sizeof(r->msg))
        n = 0;
    va_start(ap, what);
    vsnprintf(r->msg + n, sizeof(r->msg) - n, what, ap);
    va_end(ap);
    n = strlen(r->msg);
    snprintf(r->msg + n, sizeof(r->msg) - n,
             ": expected %" PRId64 ", seen %" PRId64, expected, seen);

    is.kind = kind;
    is.event = r->rec->event;
    is.domid = domid;
    is.tsc = r->rec->tsc;
    is.offset = r->off;
    is.expected = expected;
    is.seen = seen;
    is.msg = r->msg;
    r->issue_cb(r->issue_opaque, &is);
}

static void emit(struct xct_replay *r, enum xct_replay_event ev,
                 const struct dom *d)
{
    if (r->event_cb)
        r->event_cb(r->event_opaque, ev, r->rec, r->off,
                    d ? &d->pub : NULL);
}

/* ---- the domain table ----------------------------------------------- */

static inline struct dom *dom_get(const struct xct_replay *r, uint32_t id)
{
    const struct leaf *l;

    if (id > XCT_REPLAY_MAX_DOMID)
        return NULL;
    l = r->top[id >> LEAF_BITS];
    if (!l || !l->dom[id & LEAF_MASK].used)
        return NULL;
    return (struct dom *)&l->dom[id & LEAF_MASK];
}

/* A domain left over from before the current dump, not yet relisted. */
static inline int stale(const struct xct_replay *r, const struct dom *d)
{
    return r->in_dump && d->gen != r->gen;
}

static inline int known(const struct xct_replay *r, const struct dom *d,
                        uint32_t bit)
{
    return d->kepoch == r->epoch && (d->known & bit);
}

static inline void know(const struct xct_replay *r, struct dom *d,
                        uint32_t bits)
{
    if (d->kepoch != r->epoch) {
        d->kepoch = r->epoch;
        d->known = 0;
    }
    d->known |= bits;
}

/* Set d's claim, keeping the sum of replayed claims. */
static inline void set_claim(struct xct_replay *r, struct dom *d,
                             uint32_t claim)
{
    r->host.claims_sum += (uint64_t)claim - d->pub.claim;
    d->pub.claim = claim;
}

static void leaf_free(struct xct_replay *r, struct leaf *l)
{
    if (r->arena)
        xct_mem_drop(l, sizeof(*l));
    else
        free(l);
}

/* Add a new, empty, current domain id (<= MAX_DOMID, not present). */
static struct dom *dom_add(struct xct_replay *r, uint32_t id)
{
    struct leaf **lp = &r->top[id >> LEAF_BITS];
    unsigned int i = id & LEAF_MASK;
    struct dom *d;

    if (!*lp) {
        if (!r->arena_tried) {
            r->arena_tried = 1;
            r->arena = xct_mem_map(NLEAVES * sizeof(struct leaf));
        }
        if (r->arena) {
            *lp = &r->arena[id >> LEAF_BITS];
            /*
             * No clearing: a leaf empties only with every slot unused
             * (used 0, live bits and count 0), its pages then dropped
             * read as zero and the partial ones kept hold unused slots
             * only; a slot is cleared when it is taken.
             */
            xct_mem_commit(*lp, sizeof(**lp));  /* its pages at once */
        } else {
            *lp = aligned_alloc(_Alignof(struct leaf), sizeof(**lp));
            if (!*lp)
                return NULL;
            memset(*lp, 0, sizeof(**lp));
        }
        r->mem += sizeof(**lp);
    }
    d = &(*lp)->dom[i];
    memset(d, 0, sizeof(*d));
    d->used = 1;
    d->pub.domid = id;
    d->gen = r->gen;
    d->kepoch = r->epoch;
    (*lp)->live[i / 64] |= 1ull << (i % 64);
    (*lp)->count++;
    r->slots++;
    r->host.domains++;
    return d;
}

static void dom_remove(struct xct_replay *r, struct dom *d)
{
    uint32_t id = d->pub.domid;
    struct leaf **lp = &r->top[id >> LEAF_BITS];
    unsigned int i = id & LEAF_MASK;

    if (!stale(r, d)) {
        set_claim(r, d, 0);
        r->host.domains--;
    } else {
        r->stale--;
    }
    r->slots--;
    d->used = 0;
    (*lp)->live[i / 64] &= ~(1ull << (i % 64));
    if (!--(*lp)->count) {
        leaf_free(r, *lp);
        *lp = NULL;
        r->mem -= sizeof(**lp);
    }
}

/* The first used slot at or after id, stale or not. */
static struct dom *slot_from(const struct xct_replay *r, uint32_t id)
{
    while (id <= XCT_REPLAY_MAX_DOMID) {
        const struct leaf *l = r->top[id >> LEAF_BITS];
        unsigned int i = id & LEAF_MASK;
        uint64_t bits;

        if (!l) {
            id = (id | LEAF_MASK) + 1;
            continue;
        }
        bits = l->live[i / 64] & (~0ull << (i % 64));
        if (bits) {
            i = (i & ~63u) | (unsigned int)__builtin_ctzll(bits);
            return (struct dom *)&l->dom[i];
        }
        id = ((id >> 6) + 1) << 6;
    }
    return NULL;
}

/*
 * Domain id of a record that must name a tracked domain: reports a
 * bad value and returns 0 when id is out of range.
 */
static int domid_ok(struct xct_replay *r, uint32_t id)
{
    if (id <= XCT_REPLAY_MAX_DOMID)
        return 1;
    issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, XCT_DOMID_ANON,
          XCT_REPLAY_MAX_DOMID, id, "domid above %u", XCT_REPLAY_MAX_DOMID);
    return 0;
}

/*
 * The domain a record is about, created from nothing (every field
 * unknown) when absent, which exact state reports.  NULL only when out
 * of memory.
 */
static struct dom *__attribute__((cold, noinline))
dom_unknown(struct xct_replay *r, uint32_t id)
{
    if (r->host.exact)
        issue(r, XCT_REPLAY_ISSUE_UNKNOWN_DOMAIN, id, 1, 0,
              "domain not in the replayed state");
    return dom_add(r, id);
}

static inline struct dom *dom_for(struct xct_replay *r, uint32_t id)
{
    struct dom *d = dom_get(r, id);

    return __builtin_expect(d != NULL, 1) ? d : dom_unknown(r, id);
}

/*
 * The domain a record names, into *dp, stamped with the record's TSC.
 * 1; 0 when the domid is out of range (reported: skip the record);
 * -ENOMEM.
 */
static int record_dom(struct xct_replay *r, uint32_t id, uint64_t tsc,
                      struct dom **dp)
{
    struct dom *d;

    if (!domid_ok(r, id))
        return 0;
    d = dom_for(r, id);
    if (!d)
        return -ENOMEM;
    d->pub.last_tsc = tsc;
    *dp = d;
    return 1;
}

/* ---- state dumps ---------------------------------------------------- */

static int dump_part(const struct xct_record *rec)
{
    if (rec->event == XCT_EV_HEAP) {
        struct xct_ev_HEAP e;

        xct_dec_HEAP(rec->words, &e);
        return e.reason == XCT_HEAP_DUMP;
    }
    if (rec->event == XCT_EV_DOMAIN) {
        struct xct_ev_DOMAIN e;

        xct_dec_DOMAIN(rec->words, &e);
        return e.state == XCT_DOM_DUMP;
    }
    return 0;
}

/* The dump is over: drop the domains it did not list, check the sum. */
static void __attribute__((cold, noinline)) end_dump(struct xct_replay *r)
{
    const struct xct_record *rec = r->rec;
    struct xct_record at;
    uint64_t off = r->off;
    struct dom *d;
    uint32_t id = 0;

    /* Nothing to drop (a trace's first dump): no walk of every slot. */
    while (r->stale && (d = slot_from(r, id))) {
        id = d->pub.domid + 1;
        if (d->gen != r->gen)
            dom_remove(r, d);
    }
    r->in_dump = 0;
    if (r->host.exact && r->host.outstanding != r->host.claims_sum) {
        /* Reported against the dump's heap record. */
        memset(&at, 0, sizeof(at));
        at.event = XCT_EV_HEAP;
        at.tsc = r->dump_tsc;
        r->rec = &at;
        r->off = r->dump_off;
        issue(r, XCT_REPLAY_ISSUE_OUTSTANDING_SUM, XCT_DOMID_ANON,
              (int64_t)r->host.claims_sum, (int64_t)r->host.outstanding,
              "dumped outstanding vs sum of dumped claims");
        r->rec = rec;
        r->off = off;
    }
    emit(r, XCT_REPLAY_EV_DUMP_END, NULL);
}

static void start_dump(struct xct_replay *r, const struct xct_ev_HEAP *e)
{
    r->gen++;
    r->in_dump = 1;
    r->stale = r->slots;        /* every slot until listed again */
    r->dump_tsc = r->rec->tsc;
    r->dump_off = r->off;
    r->host.domains = 0;
    r->host.claims_sum = 0;
    r->host.free = e->free;
    r->host.freeable = e->freeable;
    r->host.outstanding = e->outstanding;
    r->host.exact = 1;
    r->host.n.dumps++;
}

/* ---- checks shared by handlers -------------------------------------- */

static void check_tot(struct xct_replay *r, struct dom *d, uint32_t tot,
                      const char *what)
{
    if (known(r, d, XCT_REPLAY_KNOWN_TOT) && d->pub.tot_pages != tot)
        issue(r, XCT_REPLAY_ISSUE_STATE_MISMATCH, d->pub.domid,
              d->pub.tot_pages, tot, "tot_pages %s", what);
}

static void check_claim(struct xct_replay *r, struct dom *d, uint32_t claim,
                        const char *what)
{
    if (known(r, d, XCT_REPLAY_KNOWN_CLAIM) && d->pub.claim != claim)
        issue(r, XCT_REPLAY_ISSUE_CLAIM_MISMATCH, d->pub.domid,
              d->pub.claim, claim, "claim %s", what);
}

static void check_outstanding(struct xct_replay *r, uint64_t outstanding)
{
    if (r->host.exact && outstanding != r->host.claims_sum)
        issue(r, XCT_REPLAY_ISSUE_OUTSTANDING_SUM, XCT_DOMID_ANON,
              (int64_t)r->host.claims_sum, (int64_t)outstanding,
              "host outstanding vs sum of replayed claims");
}

/* ---- handlers, one per event ---------------------------------------- */

static int on_CLAIM(struct xct_replay *r, const struct xct_record *rec)
{
    struct xct_ev_CLAIM e;
    enum xct_replay_err slot;
    struct dom *d;
    int rc;
    uint64_t base;

    xct_dec_CLAIM(rec->words, &e);
    if (e.result < 0) {
        /* Refused: no state change; a refused stake may name anything. */
        slot = xct_replay_err_slot(-e.result);
        r->host.n.refused[slot]++;
        d = dom_get(r, e.domid);
        if (d) {
            d->pub.n.refused[slot]++;
            d->pub.last_tsc = rec->tsc;
            check_claim(r, d, e.claim, "after a refused stake");
            check_tot(r, d, e.tot_pages, "at a refused stake");
            set_claim(r, d, e.claim);
            d->pub.tot_pages = e.tot_pages;
            know(r, d, XCT_REPLAY_KNOWN_CLAIM | XCT_REPLAY_KNOWN_TOT);
        }
        emit(r, XCT_REPLAY_EV_STAKE_REFUSED, d);
        return 0;
    }
    if (e.result > 0) {
        issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, e.domid, 0, e.result,
              "positive result");
        return 0;
    }
    rc = record_dom(r, e.domid, rec->tsc, &d);
    if (rc <= 0)
        return rc;
    check_tot(r, d, e.tot_pages, "at the request");

    if (e.nr_pages == 0) {
        /* A cancel: the claim_release that follows clears the claim. */
        if (e.claim != 0)
            issue(r, XCT_REPLAY_ISSUE_CLAIM_MISMATCH, e.domid, 0, e.claim,
                  "claim after a cancel");
        d->pub.tot_pages = e.tot_pages;
        know(r, d, XCT_REPLAY_KNOWN_TOT);
        emit(r, XCT_REPLAY_EV_CANCEL, d);
        return 0;
    }

    base = known(r, d, XCT_REPLAY_KNOWN_TOT) ? d->pub.tot_pages
                                              : e.tot_pages;
    if (known(r, d, XCT_REPLAY_KNOWN_CLAIM) && d->pub.claim != 0)
        issue(r, XCT_REPLAY_ISSUE_STAKE_RULES, e.domid, 0, d->pub.claim,
              "stake accepted while a claim is held");
    if (d->pub.dying)
        issue(r, XCT_REPLAY_ISSUE_STAKE_RULES, e.domid, 0, 1,
              "stake accepted for a dying domain");
    if (e.nr_pages <= base)
        issue(r, XCT_REPLAY_ISSUE_STAKE_RULES, e.domid, (int64_t)base + 1,
              (int64_t)e.nr_pages, "target not above tot_pages %" PRIu64,
              base);
    else if (known(r, d, XCT_REPLAY_KNOWN_MAX) &&
             e.nr_pages > d->pub.max_pages)
        issue(r, XCT_REPLAY_ISSUE_STAKE_RULES, e.domid, d->pub.max_pages,
              (int64_t)e.nr_pages, "target above max_pages");
    if (e.nr_pages > base && e.claim != e.nr_pages - base)
        issue(r, XCT_REPLAY_ISSUE_CLAIM_MISMATCH, e.domid,
              (int64_t)(e.nr_pages - base), e.claim,
              "claim of a stake to %" PRIu64 " from tot_pages %" PRIu64,
              e.nr_pages, base);

    d->pub.tot_pages = e.tot_pages;
    set_claim(r, d, e.claim);
    know(r, d, XCT_REPLAY_KNOWN_CLAIM | XCT_REPLAY_KNOWN_TOT);
    d->pub.claim_tsc = rec->tsc;
    d->pub.claim_staked = e.claim;
    d->pub.n.stakes++;
    r->host.n.stakes++;
    emit(r, XCT_REPLAY_EV_STAKE, d);
    return 0;
}

static int on_CLAIM_RELEASE(struct xct_replay *r,
                            const struct xct_record *rec)
{
    struct xct_ev_CLAIM_RELEASE e;
    enum xct_replay_event ev;
    struct dom *d;
    int rc;

    xct_dec_CLAIM_RELEASE(rec->words, &e);
    if (e.reason < XCT_RELEASE_CANCEL || e.reason > XCT_RELEASE_DEATH) {
        issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, e.domid, XCT_RELEASE_DEATH,
              e.reason, "unknown release reason");
        return 0;
    }
    rc = record_dom(r, e.domid, rec->tsc, &d);
    if (rc <= 0)
        return rc;

    if (e.reason == XCT_RELEASE_DRAWN) {
        if (e.pages != 0)
            issue(r, XCT_REPLAY_ISSUE_CLAIM_MISMATCH, e.domid, 0, e.pages,
                  "pages left in a claim drawn down");
        d->pub.n.drawn_full++;
        r->host.n.drawn_full++;
        ev = XCT_REPLAY_EV_RELEASE_DRAWN;
    } else {
        check_claim(r, d, e.pages, "released");
        if (e.reason == XCT_RELEASE_CANCEL) {
            d->pub.n.cancels++;
            r->host.n.cancels++;
            ev = XCT_REPLAY_EV_RELEASE_CANCEL;
        } else {
            d->pub.n.deaths++;
            r->host.n.deaths++;
            ev = XCT_REPLAY_EV_RELEASE_DEATH;
        }
    }
    set_claim(r, d, 0);
    know(r, d, XCT_REPLAY_KNOWN_CLAIM);
    d->pub.claim_tsc = 0;
    d->pub.claim_staked = 0;
    r->host.outstanding = e.outstanding;
    check_outstanding(r, e.outstanding);
    emit(r, ev, d);
    return 0;
}

static inline __attribute__((always_inline)) int
on_TOT_PAGES(struct xct_replay *r, const struct xct_record *rec)
{
    struct xct_ev_TOT_PAGES e;
    struct dom *d;
    int rc;
    int64_t want;

    xct_dec_TOT_PAGES(rec->words, &e);
    rc = record_dom(r, e.domid, rec->tsc, &d);
    if (rc <= 0)
        return rc;
    if (known(r, d, XCT_REPLAY_KNOWN_TOT)) {
        if (__builtin_add_overflow((int64_t)d->pub.tot_pages, e.delta,
                                   &want))
            want = e.delta < 0 ? INT64_MIN : INT64_MAX;
        if (want < 0)
            issue(r, XCT_REPLAY_ISSUE_NEGATIVE, e.domid, 0, want,
                  "tot_pages %" PRIu32 " + delta %" PRId64,
                  d->pub.tot_pages, e.delta);
        else if (want != (int64_t)e.tot_pages)
            issue(r, XCT_REPLAY_ISSUE_TOT_DELTA, e.domid, want, e.tot_pages,
                  "tot_pages %" PRIu32 " + delta %" PRId64,
                  d->pub.tot_pages, e.delta);
    }
    d->pub.tot_pages = e.tot_pages;
    /* The claim may grow here (Xen 4.17 re-grows it on frees). */
    set_claim(r, d, e.claim);
    know(r, d, XCT_REPLAY_KNOWN_TOT | XCT_REPLAY_KNOWN_CLAIM);
    r->host.free = e.free;
    if (e.delta == 0) {
        d->pub.n.assign_failed++;
        emit(r, XCT_REPLAY_EV_ASSIGN_FAILED, d);
    } else {
        emit(r, XCT_REPLAY_EV_TOT_PAGES, d);
    }
    return 0;
}

/* alloc_denied and alloc_failed share one layout. */
static int alloc_refused(struct xct_replay *r, const struct xct_record *rec,
                         int failed)
{
    struct xct_ev_ALLOC_DENIED e;
    struct xct_replay_denial *a = failed ? &r->failure : &r->denial;
    int *pending = failed ? &r->failure_pending : &r->denial_pending;
    struct dom *d = NULL;

    xct_dec_ALLOC_DENIED(rec->words, &e);
    if (e.order >= 64) {
        issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, e.domid, 63, e.order,
              "allocation order");
        return 0;
    }
    if (e.domid != XCT_DOMID_ANON && !domid_ok(r, e.domid))
        return 0;
    if (*pending)
        issue(r, XCT_REPLAY_ISSUE_UNPAIRED, a->domid, 1, 0,
              "heap record after the previous %s at offset %" PRIu64,
              failed ? "alloc_failed" : "alloc_denied", a->offset);

    if (e.domid != XCT_DOMID_ANON) {
        d = dom_for(r, e.domid);
        if (!d)
            return -ENOMEM;
        d->pub.last_tsc = rec->tsc;
        check_claim(r, d, e.claim, "of the requesting domain");
        set_claim(r, d, e.claim);
        know(r, d, XCT_REPLAY_KNOWN_CLAIM);
    }
    if (failed) {
        r->host.n.failed++;
        if (d)
            d->pub.n.failed++;
        else
            r->host.n.failed_anon++;
    } else {
        r->host.n.denials++;
        if (d)
            d->pub.n.denials++;
        else
            r->host.n.denials_anon++;
    }
    memset(a, 0, sizeof(*a));
    a->domid = e.domid;
    a->order = e.order;
    a->memflags = e.memflags;
    a->claim = e.claim;
    a->tsc = rec->tsc;
    a->offset = r->off;
    *(failed ? &r->have_failure : &r->have_denial) = 1;
    *pending = 1;
    emit(r, failed ? XCT_REPLAY_EV_FAILED : XCT_REPLAY_EV_DENIAL, d);
    return 0;
}

static int on_ALLOC_DENIED(struct xct_replay *r, const struct xct_record *rec)
{
    return alloc_refused(r, rec, 0);
}

static int on_ALLOC_FAILED(struct xct_replay *r, const struct xct_record *rec)
{
    return alloc_refused(r, rec, 1);
}

/* The heap record that completes the pending denial or failure. */
static void heap_pair(struct xct_replay *r, const struct xct_ev_HEAP *e,
                      int failed)
{
    struct xct_replay_denial *a = failed ? &r->failure : &r->denial;
    int *pending = failed ? &r->failure_pending : &r->denial_pending;
    uint64_t req;

    if (!*pending) {
        issue(r, XCT_REPLAY_ISSUE_UNPAIRED, XCT_DOMID_ANON, 1, 0,
              "%s alloc record before this heap record",
              failed ? "failed" : "denied");
        emit(r, XCT_REPLAY_EV_HEAP, NULL);
        return;
    }
    *pending = 0;
    a->host_known = 1;
    a->free = e->free;
    a->freeable = e->freeable;
    a->outstanding = e->outstanding;
    if (!failed) {
        /*
         * A denial needs the claims to cover the heap (the weaker test,
         * without tmem-freeable pages) and a requester whose own claim
         * cannot serve the request.
         */
        req = 1ull << a->order;
        if (a->domid != XCT_DOMID_ANON &&
            !(a->memflags & XCT_MEMF_NO_REFCOUNT) && a->claim >= req)
            issue(r, XCT_REPLAY_ISSUE_DENIAL_RULES, a->domid,
                  (int64_t)req - 1, a->claim,
                  "own claim covers a request of %" PRIu64 " pages", req);
        if (e->outstanding + req <= e->free)
            issue(r, XCT_REPLAY_ISSUE_DENIAL_RULES, a->domid,
                  (int64_t)e->free + 1, (int64_t)(e->outstanding + req),
                  "outstanding + request %" PRIu64 " vs free %" PRIu64,
                  req, e->free);
    }
    emit(r, failed ? XCT_REPLAY_EV_FAILED_HOST : XCT_REPLAY_EV_DENIAL_HOST,
         a->domid == XCT_DOMID_ANON ? NULL : dom_get(r, a->domid));
}

static int on_HEAP(struct xct_replay *r, const struct xct_record *rec)
{
    struct xct_ev_HEAP e;
    struct xct_replay_node *n;

    xct_dec_HEAP(rec->words, &e);
    if (e.reason > XCT_HEAP_ONLINE) {
        issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, XCT_DOMID_ANON, XCT_HEAP_ONLINE,
              e.reason, "unknown heap reason");
        return 0;
    }
    if (e.node != XCT_NODE_ALL) {
        if (e.node >= XCT_REPLAY_MAX_NODES) {
            issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, XCT_DOMID_ANON,
                  XCT_REPLAY_MAX_NODES - 1, e.node, "node");
            return 0;
        }
        n = &r->nodes[e.node];
        n->free = e.free;
        n->freeable = e.freeable;
        n->outstanding = e.outstanding;
        n->tsc = rec->tsc;
        r->nodes_known |= 1ull << e.node;
        emit(r, XCT_REPLAY_EV_HEAP, NULL);
        return 0;
    }
    if (e.reason == XCT_HEAP_DUMP) {
        start_dump(r, &e);
        emit(r, XCT_REPLAY_EV_DUMP_START, NULL);
        return 0;
    }
    r->host.free = e.free;
    r->host.freeable = e.freeable;
    r->host.outstanding = e.outstanding;
    check_outstanding(r, e.outstanding);
    if (e.reason == XCT_HEAP_DENIED || e.reason == XCT_HEAP_FAILED)
        heap_pair(r, &e, e.reason == XCT_HEAP_FAILED);
    else
        emit(r, XCT_REPLAY_EV_HEAP, NULL);
    return 0;
}

/* A dump entry: (re)create the domain from the record alone. */
static int domain_dump(struct xct_replay *r, const struct xct_ev_DOMAIN *e)
{
    struct dom *d = dom_get(r, e->domid);

    if (d && d->gen != r->gen) {
        /* Listed again: fresh state, same counters. */
        d->gen = r->gen;
        r->stale--;
        d->pub.claim = 0;       /* not in claims_sum since the dump */
        d->pub.dying = 0;
        d->known = 0;
        r->host.domains++;
    } else if (!d) {
        d = dom_add(r, e->domid);
        if (!d)
            return -ENOMEM;
    }
    d->pub.tot_pages = e->tot_pages;
    d->pub.max_pages = e->max_pages;
    set_claim(r, d, e->claim);
    if (!e->claim || !d->pub.claim_staked) {
        d->pub.claim_tsc = 0;
        d->pub.claim_staked = 0;
    }
    d->pub.from_dump = 1;
    know(r, d, XCT_REPLAY_KNOWN_ALL);
    d->pub.last_tsc = r->rec->tsc;
    emit(r, XCT_REPLAY_EV_DUMP_DOMAIN, d);
    return 0;
}

static int on_DOMAIN(struct xct_replay *r, const struct xct_record *rec)
{
    struct xct_ev_DOMAIN e;
    struct dom *d;

    xct_dec_DOMAIN(rec->words, &e);
    if (e.state > XCT_DOM_DESTROYED) {
        issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, e.domid, XCT_DOM_DESTROYED,
              e.state, "unknown domain state");
        return 0;
    }
    if (!domid_ok(r, e.domid))
        return 0;
    if (e.state == XCT_DOM_DUMP)
        return domain_dump(r, &e);

    if (e.state == XCT_DOM_CREATED) {
        d = dom_get(r, e.domid);
        if (d) {
            if (r->host.exact)
                issue(r, XCT_REPLAY_ISSUE_DUPLICATE_DOMAIN, e.domid, 0, 1,
                      "created while it exists");
            dom_remove(r, d);
        }
        d = dom_add(r, e.domid);
        if (!d)
            return -ENOMEM;
        d->pub.tot_pages = e.tot_pages;
        d->pub.max_pages = e.max_pages;
        set_claim(r, d, e.claim);
        d->pub.from_dump = 1;
        know(r, d, XCT_REPLAY_KNOWN_ALL);
        d->pub.last_tsc = rec->tsc;
        emit(r, XCT_REPLAY_EV_CREATED, d);
        return 0;
    }

    d = dom_for(r, e.domid);
    if (!d)
        return -ENOMEM;
    d->pub.last_tsc = rec->tsc;
    check_tot(r, d, e.tot_pages, "in a domain record");
    check_claim(r, d, e.claim, "in a domain record");
    if (e.state != XCT_DOM_MAX_PAGES && known(r, d, XCT_REPLAY_KNOWN_MAX) &&
        d->pub.max_pages != e.max_pages)
        issue(r, XCT_REPLAY_ISSUE_STATE_MISMATCH, e.domid, d->pub.max_pages,
              e.max_pages, "max_pages in a domain record");
    d->pub.tot_pages = e.tot_pages;
    d->pub.max_pages = e.max_pages;
    set_claim(r, d, e.claim);
    know(r, d, XCT_REPLAY_KNOWN_ALL);

    switch (e.state) {
    case XCT_DOM_MAX_PAGES:
        emit(r, XCT_REPLAY_EV_MAX_PAGES, d);
        break;
    case XCT_DOM_DYING:
        if (e.claim != 0)
            issue(r, XCT_REPLAY_ISSUE_DYING_CLAIM, e.domid, 0, e.claim,
                  "claim of a dying domain");
        d->pub.dying = 1;
        emit(r, XCT_REPLAY_EV_DYING, d);
        break;
    default: /* XCT_DOM_DESTROYED */
        if (e.claim != 0)
            issue(r, XCT_REPLAY_ISSUE_DYING_CLAIM, e.domid, 0, e.claim,
                  "claim of a destroyed domain");
        if (e.tot_pages != 0)
            issue(r, XCT_REPLAY_ISSUE_DESTROY_PAGES, e.domid, 0,
                  e.tot_pages, "tot_pages of a destroyed domain");
        emit(r, XCT_REPLAY_EV_DESTROYED, d);
        dom_remove(r, d);
        break;
    }
    return 0;
}

static int on_CLAIM_DRAW(struct xct_replay *r, const struct xct_record *rec)
{
    struct xct_ev_CLAIM_DRAW e;
    struct dom *d;
    int rc;

    xct_dec_CLAIM_DRAW(rec->words, &e);
    if (e.order >= 64) {
        issue(r, XCT_REPLAY_ISSUE_BAD_VALUE, e.domid, 63, e.order,
              "allocation order");
        return 0;
    }
    rc = record_dom(r, e.domid, rec->tsc, &d);
    if (rc <= 0)
        return rc;
    if (known(r, d, XCT_REPLAY_KNOWN_CLAIM)) {
        if (e.drawn > d->pub.claim)
            issue(r, XCT_REPLAY_ISSUE_NEGATIVE, e.domid, d->pub.claim,
                  e.drawn, "pages drawn from a claim of %" PRIu32,
                  d->pub.claim);
        else if (d->pub.claim - e.drawn != e.claim)
            issue(r, XCT_REPLAY_ISSUE_CLAIM_MISMATCH, e.domid,
                  d->pub.claim - e.drawn, e.claim,
                  "claim %" PRIu32 " - drawn %" PRIu32, d->pub.claim,
                  e.drawn);
    }
    if (e.drawn > (1ull << e.order))
        issue(r, XCT_REPLAY_ISSUE_CLAIM_MISMATCH, e.domid,
              (int64_t)(1ull << e.order), e.drawn,
              "pages drawn by an order-%" PRIu32 " allocation", e.order);
    set_claim(r, d, e.claim);
    know(r, d, XCT_REPLAY_KNOWN_CLAIM);
    d->pub.n.pages_drawn += e.drawn;
    r->host.n.pages_drawn += e.drawn;
    r->host.free = e.free;
    emit(r, XCT_REPLAY_EV_DRAW, d);
    return 0;
}

/* ---- dispatch ------------------------------------------------------- */

typedef int (*handler_fn)(struct xct_replay *r, const struct xct_record *rec);

struct op {
    handler_fn fn;
    uint8_t nwords;
    uint8_t rec;                /* enum xct_replay_rec */
    const char *name;
};

#define NOPS 32u
#define X_ASSERT(id, minor, name, doc)                                       \
    _Static_assert((minor) - XCT_MINOR_BASE < NOPS, name " beyond NOPS");
XCT_EVENTS(X_ASSERT)
#undef X_ASSERT

static const struct op ops[NOPS] = {
#define X_OP(id, minor, name, doc)                                           \
    [(minor) - XCT_MINOR_BASE] = { on_##id, XCT_NWORDS_##id,                 \
                                   XCT_REPLAY_REC_##id, name },
    XCT_EVENTS(X_OP)
#undef X_OP
};

static const char *rec_name(const struct xct_replay *r)
{
    uint32_t i;

    if (!r->rec)
        return "?";
    if (r->rec->event == XCT_TRC_LOST_RECORDS)
        return "lost_records";
    i = r->rec->event - (XCT_TRC_MEM | XCT_MINOR_BASE);
    return i < NOPS && ops[i].fn ? ops[i].name : "?";
}

static int __attribute__((cold, noinline))
on_lost(struct xct_replay *r, const struct xct_record *rec)
{
    uint32_t count = rec->nwords >= 1 ? rec->words[0] : 0;
    uint32_t who = rec->nwords >= 2 ? rec->words[1] : 0;

    r->host.n.by_event[XCT_REPLAY_REC_LOST]++;
    if (r->in_dump)
        end_dump(r);
    if (rec->nwords != XCT_LOST_RECORDS_WORDS)
        issue(r, XCT_REPLAY_ISSUE_WORD_COUNT, XCT_DOMID_ANON,
              XCT_LOST_RECORDS_WORDS, rec->nwords, "payload words");
    r->host.n.lost += count;
    r->host.n.lost_events++;
    r->host.exact = 0;
    r->epoch++;
    issue(r, XCT_REPLAY_ISSUE_LOST_RECORDS, XCT_DOMID_ANON, 0, count,
          "records lost (running d%u v%u): state inexact until a dump",
          who & 0xffffu, who >> 16);
    emit(r, XCT_REPLAY_EV_LOST, NULL);
    return 0;
}

/* xct_replay_feed() of a record, r and rec valid. */
static inline __attribute__((always_inline)) int
feed_one(struct xct_replay *r, const struct xct_record *rec, uint64_t offset)
{
    const struct op *op;
    uint32_t i;

    r->host.n.records++;
    i = rec->event - (XCT_TRC_MEM | XCT_MINOR_BASE);
    r->rec = rec;
    r->off = offset;
    /* The bulk of a trace first, by the shortest way (the same steps). */
    if (__builtin_expect(i == XCT_MINOR_TOT_PAGES - XCT_MINOR_BASE &&
                         rec->nwords == XCT_NWORDS_TOT_PAGES &&
                         !r->in_dump, 1)) {
        r->host.n.by_event[XCT_REPLAY_REC_TOT_PAGES]++;
        r->host.last_tsc = rec->tsc;
        return on_TOT_PAGES(r, rec);
    }
    if (i < NOPS && ops[i].fn) {
        op = &ops[i];
        r->host.n.by_event[op->rec]++;
        r->host.last_tsc = rec->tsc;
        if (__builtin_expect(rec->nwords != op->nwords, 0)) {
            issue(r, XCT_REPLAY_ISSUE_WORD_COUNT, XCT_DOMID_ANON,
                  op->nwords, rec->nwords, "payload words");
            return 0;
        }
        if (__builtin_expect(r->in_dump, 0) && !dump_part(rec))
            end_dump(r);
        return op->fn(r, rec);
    }
    if (rec->event == XCT_TRC_LOST_RECORDS)
        return on_lost(r, rec);
    r->host.n.foreign++;
    return 0;
}

int xct_replay_feed(struct xct_replay *r, const struct xct_record *rec,
                    uint64_t offset)
{
    if (!r || !rec)
        return -EINVAL;
    return feed_one(r, rec, offset);
}

/*
 * xct_replay_feed_run() asks for the records' own lines PF_RECS ahead
 * (a reader thread wrote them, in another CPU's cache).  With many
 * domains, a record's domain state is rarely in the caches either: it
 * asks for it (and for the caller's line of the same domain) PF_AHEAD
 * records before it is needed, once per change of domain (a domain's
 * records come in bursts).  All in the one loop: prefetching a chunk of
 * records at a time, between calls, cost as much as it saved.
 */
#define PF_MIN_SLOTS    4096u   /* from this many domains on */
#define PF_AHEAD        32u     /* records ahead (16: 4-7 ms slower) */
#define PF_RECS         64u     /* records ahead, for their lines */

/*
 * The prefetch helpers are always inlined: a function that only
 * prefetches has no effect the compiler must keep, and GCC drops a call
 * to it (it did, and a 65,536-domain run took half again as long).
 */
static inline __attribute__((always_inline)) void
pf_domain(const struct xct_replay *r, uint32_t id)
{
    id &= XCT_REPLAY_MAX_DOMID;
    __builtin_prefetch(&r->arena[id >> LEAF_BITS].dom[id & LEAF_MASK]);
    if (r->cbase)
        __builtin_prefetch(r->cbase + (size_t)id * r->cstride);
}

/* The lines of the records PF_RECS ahead, 8 records' worth every 8. */
static inline __attribute__((always_inline)) void
pf_records(const struct xct_record *recs, size_t i, size_t n)
{
    if (i % 8 == 0 && i + PF_RECS + 8 <= n) {
        const char *p = (const char *)(recs + i + PF_RECS);
        size_t b;

        for (b = 0; b < 8 * sizeof(*recs); b += 64)
            __builtin_prefetch(p + b, 0, 3);
    }
}

static int feed_run_many(struct xct_replay *r, const struct xct_record *recs,
                         const uint64_t *offs, size_t n)
{
    size_t i, k = n < PF_AHEAD ? n : PF_AHEAD;
    uint32_t last = UINT32_MAX;
    int rc;

    for (i = 0; i < k; i++) {
        if (recs[i].words[0] != last)
            pf_domain(r, recs[i].words[0]);
        last = recs[i].words[0];
    }
    for (i = 0; i < n; i++) {
        if (i + PF_AHEAD < n &&
            recs[i + PF_AHEAD].words[0] != recs[i + PF_AHEAD - 1].words[0])
            pf_domain(r, recs[i + PF_AHEAD].words[0]);
        pf_records(recs, i, n);
        rc = feed_one(r, &recs[i], offs[i]);
        if (__builtin_expect(rc < 0, 0))
            return rc;
    }
    return 0;
}

int xct_replay_feed_run(struct xct_replay *r, const struct xct_record *recs,
                        const uint64_t *offs, size_t n)
{
    size_t i;
    int rc;

    if (!r || (n && (!recs || !offs)))
        return -EINVAL;
    if (r->arena && r->slots >= PF_MIN_SLOTS)
        return feed_run_many(r, recs, offs, n);
    for (i = 0; i < n; i++) {
        pf_records(recs, i, n);
        rc = feed_one(r, &recs[i], offs[i]);
        if (__builtin_expect(rc < 0, 0))
            return rc;
    }
    return 0;
}

/* ---- handle and getters --------------------------------------------- */

struct xct_replay *xct_replay_new(void)
{
    struct xct_replay *r = calloc(1, sizeof(*r));

    if (!r) {
        errno = ENOMEM;
        return NULL;
    }
    return r;
}

void xct_replay_free(struct xct_replay *r)
{
    unsigned int l;

    if (!r)
        return;
    if (r->arena)
        xct_mem_unmap(r->arena, NLEAVES * sizeof(struct leaf));
    else
        for (l = 0; l < NLEAVES; l++)
            free(r->top[l]);
    free(r);
}

void xct_replay_set_issue_cb(struct xct_replay *r, xct_replay_issue_cb cb,
                             void *opaque)
{
    if (!r)
        return;
    r->issue_cb = cb;
    r->issue_opaque = opaque;
}

void xct_replay_set_companion(struct xct_replay *r, const void *base,
                              size_t stride)
{
    if (!r)
        return;
    r->cbase = base;
    r->cstride = base ? stride : 0;
}

void xct_replay_set_event_cb(struct xct_replay *r, xct_replay_event_cb cb,
                             void *opaque)
{
    if (!r)
        return;
    r->event_cb = cb;
    r->event_opaque = opaque;
}

const struct xct_replay_host *xct_replay_host(const struct xct_replay *r)
{
    return r ? &r->host : NULL;
}

const struct xct_replay_dom *xct_replay_dom(const struct xct_replay *r,
                                            uint32_t domid)
{
    const struct dom *d;

    if (!r)
        return NULL;
    d = dom_get(r, domid);
    if (!d || stale(r, d))
        return NULL;
    return &d->pub;
}

void xct_replay_prefetch(const struct xct_replay *r,
                         const struct xct_record *recs, size_t n)
{
    size_t i;

    if (!r || !recs)
        return;
    if (r->arena) {
        /*
         * Leaves at fixed places: no load, no test.  A record that names
         * no domain prefetches a line for nothing; an address not yet
         * backed costs no fault.
         */
        for (i = 0; i < n; i++)
            pf_domain(r, recs[i].words[0]);
        return;
    }
    for (i = 0; i < n; i++) {
        uint32_t minor = recs[i].event - (XCT_TRC_MEM | XCT_MINOR_BASE);
        uint32_t id = recs[i].words[0];
        const struct leaf *l;

        /* Every xenclaim record but heap names its domain first. */
        if (minor >= NOPS || !ops[minor].fn ||
            minor == XCT_MINOR_HEAP - XCT_MINOR_BASE ||
            id > XCT_REPLAY_MAX_DOMID || !recs[i].nwords)
            continue;
        l = r->top[id >> LEAF_BITS];
        if (l)
            __builtin_prefetch(&l->dom[id & LEAF_MASK]);
        if (r->cbase)
            __builtin_prefetch(r->cbase + (size_t)id * r->cstride);
    }
}

const struct xct_replay_dom *xct_replay_dom_next(
    const struct xct_replay *r, const struct xct_replay_dom *prev)
{
    uint32_t id = prev ? prev->domid + 1 : 0;
    const struct dom *d;

    if (!r)
        return NULL;
    while ((d = slot_from(r, id))) {
        if (!stale(r, d))
            return &d->pub;
        id = d->pub.domid + 1;
    }
    return NULL;
}

unsigned int xct_replay_dom_known(const struct xct_replay *r,
                                  const struct xct_replay_dom *d)
{
    const struct dom *in;

    if (!r || !d)
        return 0;
    in = dom_of(d);
    return in->kepoch == r->epoch ? in->known : 0;
}

size_t xct_replay_memory(const struct xct_replay *r)
{
    return r ? sizeof(*r) + r->mem : 0;
}

const struct xct_replay_node *xct_replay_node(const struct xct_replay *r,
                                              unsigned int node)
{
    if (!r || node >= XCT_REPLAY_MAX_NODES ||
        !(r->nodes_known & (1ull << node)))
        return NULL;
    return &r->nodes[node];
}

const struct xct_replay_denial *xct_replay_last_denial(
    const struct xct_replay *r)
{
    return r && r->have_denial ? &r->denial : NULL;
}

const struct xct_replay_denial *xct_replay_last_failure(
    const struct xct_replay *r)
{
    return r && r->have_failure ? &r->failure : NULL;
}
