/* test_replay.c: unit tests of the xct_replay state replay (cmocka). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xct_desc.h"
#include "xct_replay.h"

/*
 * Every record is built with the xct_enc_* encoders of xct_events.h and
 * fed with a TSC that grows by 10 and the byte offset it would have in a
 * file of those records.  Expected figures are written out by hand.
 */

#define MAX_SEEN 64

struct seen_issue {
    enum xct_replay_issue_kind kind;
    uint32_t event, domid;
    uint64_t tsc, offset;
    int64_t expected, seen;
    char msg[320];
};

struct fx {
    struct xct_replay *r;
    uint64_t tsc, off;
    unsigned int nis, nis_total;
    struct seen_issue is[MAX_SEEN];
    unsigned int nev;
    enum xct_replay_event ev[MAX_SEEN];
    int have_dom;               /* dom given with the last event */
    struct xct_replay_dom dom;  /* copy of it */
    uint64_t ev_offset;
};

/* ---- checks that say expected and seen ------------------------------ */

static void eq_u(const char *file, int line, const char *what, uint64_t exp,
                 uint64_t got)
{
    if (exp == got)
        return;
    print_error("%s: expected %" PRIu64 ", seen %" PRIu64 "\n", what, exp,
                got);
    _fail(file, line);
}

static void eq_s(const char *file, int line, const char *what, int64_t exp,
                 int64_t got)
{
    if (exp == got)
        return;
    print_error("%s: expected %" PRId64 ", seen %" PRId64 "\n", what, exp,
                got);
    _fail(file, line);
}

#define EQ(what, exp, got) eq_u(__FILE__, __LINE__, what, (exp), (got))
#define EQS(what, exp, got) eq_s(__FILE__, __LINE__, what, (exp), (got))

static void is_null(const char *file, int line, const char *what,
                    const void *p, int want_null)
{
    if (want_null && p) {
        print_error("%s: expected NULL, seen %p\n", what, p);
        _fail(file, line);
    } else if (!want_null && !p) {
        print_error("%s: expected a pointer, seen NULL\n", what);
        _fail(file, line);
    }
}

#define NUL(p) is_null(__FILE__, __LINE__, #p, (p), 1)
#define NON_NULL(p) is_null(__FILE__, __LINE__, #p, (p), 0)

static void str_eq(const char *file, int line, const char *what,
                   const char *exp, const char *got, int want_equal)
{
    if ((strcmp(exp, got) == 0) == want_equal)
        return;
    print_error("%s: expected %s\"%s\", seen \"%s\"\n", what,
                want_equal ? "" : "other than ", exp, got);
    _fail(file, line);
}

#define STR_EQ(exp, got) str_eq(__FILE__, __LINE__, #got, (exp), (got), 1)
#define STR_NE(exp, got) str_eq(__FILE__, __LINE__, #got, (exp), (got), 0)

/* ---- fixture -------------------------------------------------------- */

static void on_issue(void *opaque, const struct xct_replay_issue *is)
{
    struct fx *f = opaque;
    struct seen_issue *s;

    f->nis_total++;
    if (f->nis >= MAX_SEEN)
        return;
    s = &f->is[f->nis++];
    s->kind = is->kind;
    s->event = is->event;
    s->domid = is->domid;
    s->tsc = is->tsc;
    s->offset = is->offset;
    s->expected = is->expected;
    s->seen = is->seen;
    snprintf(s->msg, sizeof(s->msg), "%s", is->msg);
}

static void on_event(void *opaque, enum xct_replay_event ev,
                     const struct xct_record *rec, uint64_t offset,
                     const struct xct_replay_dom *dom)
{
    struct fx *f = opaque;

    (void)rec;
    if (f->nev < MAX_SEEN)
        f->ev[f->nev] = ev;
    f->nev++;
    f->have_dom = dom != NULL;
    if (dom)
        f->dom = *dom;
    f->ev_offset = offset;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    f->r = xct_replay_new();
    if (!f->r) {
        free(f);
        return -1;
    }
    f->tsc = 1000;
    xct_replay_set_issue_cb(f->r, on_issue, f);
    xct_replay_set_event_cb(f->r, on_event, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    xct_replay_free(f->r);
    free(f);
    return 0;
}

/* Feed rec with the next TSC; returns its offset. */
static uint64_t feed(struct fx *f, struct xct_record rec)
{
    uint64_t at = f->off;
    int rc;

    rec.has_tsc = 1;
    f->tsc += 10;
    rec.tsc = f->tsc;
    rc = xct_replay_feed(f->r, &rec, at);
    EQS("xct_replay_feed() result", 0, rc);
    f->off += xct_record_size(xct_record_header(rec.event, rec.nwords, 1));
    return at;
}

static struct xct_record blank(uint32_t event)
{
    struct xct_record x;

    memset(&x, 0, sizeof(x));
    x.event = event;
    return x;
}

#define REC(ID, ...)                                                         \
    ({                                                                      \
        struct xct_record x_ = blank(XCT_EV_##ID);                          \
        x_.nwords = xct_enc_##ID(x_.words, __VA_ARGS__);                     \
        x_;                                                                 \
    })

static uint64_t f_heap(struct fx *f, uint32_t reason, uint32_t node,
                       uint64_t free, uint64_t freeable, uint64_t outst)
{
    return feed(f, REC(HEAP, reason, node, free, freeable, outst));
}

static uint64_t f_dom(struct fx *f, uint32_t domid, uint32_t st, uint32_t tot,
                      uint32_t max, uint32_t claim)
{
    return feed(f, REC(DOMAIN, domid, st, tot, max, claim));
}

static uint64_t f_claim(struct fx *f, uint32_t domid, int32_t result,
                        uint64_t nr, uint32_t claim, uint32_t tot)
{
    return feed(f, REC(CLAIM, domid, 0, result, nr, claim, tot));
}

static uint64_t f_release(struct fx *f, uint32_t domid, uint32_t reason,
                          uint32_t pages, uint64_t outst)
{
    return feed(f, REC(CLAIM_RELEASE, domid, reason, pages, outst));
}

static uint64_t f_tot(struct fx *f, uint32_t domid, int64_t delta,
                      uint32_t tot, uint32_t claim, uint64_t free)
{
    return feed(f, REC(TOT_PAGES, domid, delta, tot, claim, free));
}

static uint64_t f_draw(struct fx *f, uint32_t domid, uint32_t order,
                       uint32_t drawn, uint32_t claim, uint64_t free)
{
    return feed(f, REC(CLAIM_DRAW, domid, order, drawn, claim, free));
}

static uint64_t f_denied(struct fx *f, uint32_t domid, uint32_t order,
                         uint32_t memflags, uint32_t claim)
{
    return feed(f, REC(ALLOC_DENIED, domid, order, memflags, claim));
}

static uint64_t f_failed(struct fx *f, uint32_t domid, uint32_t order,
                         uint32_t memflags, uint32_t claim)
{
    return feed(f, REC(ALLOC_FAILED, domid, order, memflags, claim));
}

/* TRC_LOST_RECORDS has no xenclaim encoder: pack it with the codec's
 * field macros, {u32 lost; u16 domid, u16 vcpu; u64 first_tsc}. */
static uint64_t f_lost(struct fx *f, uint32_t count, uint32_t domid,
                       uint32_t vcpu, uint64_t first_tsc)
{
    struct xct_record x = blank(XCT_TRC_LOST_RECORDS);
    uint32_t *w_ = x.words;
    unsigned int n_ = 0;

    XCT_PACK_U32(w_, n_, count);
    XCT_PACK_U16LO(w_, n_, domid);
    XCT_PACK_U16HI(w_, n_, vcpu);
    XCT_PACK_U64(w_, n_, first_tsc);
    x.nwords = n_;
    return feed(f, x);
}

/* A dump of the host figures; domain dump records follow. */
static uint64_t f_dump(struct fx *f, uint64_t free, uint64_t outst)
{
    return f_heap(f, XCT_HEAP_DUMP, XCT_NODE_ALL, free, 0, outst);
}

/* Ends a dump: a host heap record with the same figures. */
static uint64_t f_tick(struct fx *f, uint64_t free, uint64_t outst)
{
    return f_heap(f, XCT_HEAP_ANON_FREE, XCT_NODE_ALL, free, 0, outst);
}

static void expect_dom_(const char *file, int line, struct fx *f,
                        uint32_t domid, uint32_t tot, uint32_t max,
                        uint32_t claim, int dying)
{
    const struct xct_replay_dom *d = xct_replay_dom(f->r, domid);
    char what[64];

    if (!d) {
        print_error("d%" PRIu32 ": expected present, seen absent\n", domid);
        _fail(file, line);
        return;
    }
    snprintf(what, sizeof(what), "d%" PRIu32 " tot_pages", domid);
    eq_u(file, line, what, tot, d->tot_pages);
    snprintf(what, sizeof(what), "d%" PRIu32 " max_pages", domid);
    eq_u(file, line, what, max, d->max_pages);
    snprintf(what, sizeof(what), "d%" PRIu32 " claim", domid);
    eq_u(file, line, what, claim, d->claim);
    snprintf(what, sizeof(what), "d%" PRIu32 " dying", domid);
    eq_u(file, line, what, dying, d->dying);
}

#define EXPECT_DOM(f, id, tot, max, claim, dying)                            \
    expect_dom_(__FILE__, __LINE__, f, id, tot, max, claim, dying)

static void expect_host_(const char *file, int line, struct fx *f,
                         uint64_t free, uint64_t outst, uint64_t sum,
                         uint32_t domains, int exact)
{
    const struct xct_replay_host *h = xct_replay_host(f->r);

    eq_u(file, line, "host free", free, h->free);
    eq_u(file, line, "host outstanding (reported)", outst, h->outstanding);
    eq_u(file, line, "host sum of claims (replayed)", sum, h->claims_sum);
    eq_u(file, line, "host domains", domains, h->domains);
    eq_u(file, line, "host exact", exact, h->exact);
}

#define EXPECT_HOST(f, free, outst, sum, domains, exact)                     \
    expect_host_(__FILE__, __LINE__, f, free, outst, sum, domains, exact)

static void expect_no_issue_(const char *file, int line, struct fx *f)
{
    if (f->nis_total == 0)
        return;
    print_error("issues: expected none, seen %u, first: %s\n", f->nis_total,
                f->is[0].msg);
    _fail(file, line);
}

#define EXPECT_NO_ISSUE(f) expect_no_issue_(__FILE__, __LINE__, f)

/* Exactly one issue since the last clear, as described; clears. */
static void expect_issue_(const char *file, int line, struct fx *f,
                          enum xct_replay_issue_kind kind, uint64_t offset,
                          uint32_t domid, int64_t exp, int64_t seen)
{
    const struct seen_issue *s = &f->is[0];
    const struct xct_replay_host *h = xct_replay_host(f->r);
    unsigned int i;

    if (f->nis_total != 1) {
        print_error("issues: expected 1 (%s), seen %u\n",
                    xct_replay_issue_name(kind), f->nis_total);
        for (i = 0; i < f->nis && i < 8; i++)
            print_error("  seen: %s\n", f->is[i].msg);
        _fail(file, line);
        return;
    }
    if (s->kind != kind) {
        print_error("issue kind: expected %s, seen %s (%s)\n",
                    xct_replay_issue_name(kind),
                    xct_replay_issue_name(s->kind), s->msg);
        _fail(file, line);
    }
    eq_u(file, line, "issue offset", offset, s->offset);
    eq_u(file, line, "issue domid", domid, s->domid);
    eq_s(file, line, "issue expected figure", exp, s->expected);
    eq_s(file, line, "issue seen figure", seen, s->seen);
    eq_u(file, line, "issue counter of that kind", 1, h->n.issues[kind]);
    f->nis = 0;
    f->nis_total = 0;
    xct_replay_free(f->r);      /* each issue test starts afresh */
    f->r = xct_replay_new();
    NON_NULL(f->r);
    xct_replay_set_issue_cb(f->r, on_issue, f);
    xct_replay_set_event_cb(f->r, on_event, f);
}

#define EXPECT_ISSUE(f, kind, off, domid, exp, seen)                         \
    expect_issue_(__FILE__, __LINE__, f, XCT_REPLAY_ISSUE_##kind, off,       \
                  domid, exp, seen)

/* A host with free pages and d1 (tot 100, max 1000, claim 0), exact. */
static void base_state(struct fx *f)
{
    f_dump(f, 10000, 0);
    f_dom(f, 1, XCT_DOM_DUMP, 100, 1000, 0);
    f_tick(f, 10000, 0);
    EXPECT_NO_ISSUE(f);
}

/* ---- a dump then a life --------------------------------------------- */

static void test_life(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_host *h = xct_replay_host(f->r);
    const struct xct_replay_dom *d;
    uint64_t stake_tsc;

    /* Nothing fed: not exact, no domains. */
    EXPECT_HOST(f, 0, 0, 0, 0, 0);

    /* Dump: free 100000, d0 owns 4096 of max 4096, no claims. */
    f_dump(f, 100000, 0);
    EXPECT_HOST(f, 100000, 0, 0, 0, 1);
    f_dom(f, 0, XCT_DOM_DUMP, 4096, 4096, 0);
    EXPECT_DOM(f, 0, 4096, 4096, 0, 0);
    EQ("host domains after the dump entry", 1, h->domains);

    /* d1 created empty: 2 domains. */
    f_dom(f, 1, XCT_DOM_CREATED, 0, 0, 0);
    EXPECT_DOM(f, 1, 0, 0, 0, 0);
    EXPECT_HOST(f, 100000, 0, 0, 2, 1);
    d = xct_replay_dom(f->r, 1);
    EQ("d1 from_dump after created", 1, d->from_dump);
    EQ("d1 known fields", XCT_REPLAY_KNOWN_ALL,
       xct_replay_dom_known(f->r, d));

    /* max_pages 10000. */
    f_dom(f, 1, XCT_DOM_MAX_PAGES, 0, 10000, 0);
    EXPECT_DOM(f, 1, 0, 10000, 0, 0);

    /* Stake to 8000 from 0: claim 8000, host sum 8000. */
    f_claim(f, 1, 0, 8000, 8000, 0);
    stake_tsc = f->tsc;
    EXPECT_DOM(f, 1, 0, 10000, 8000, 0);
    EXPECT_HOST(f, 100000, 0, 8000, 2, 1);
    EQ("d1 claim_tsc", stake_tsc, d->claim_tsc);
    EQ("d1 claim_staked", 8000, d->claim_staked);
    EQ("d1 stakes", 1, d->n.stakes);

    /* Heap after the stake reports outstanding 8000. */
    f_heap(f, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 99990, 0, 8000);
    EXPECT_HOST(f, 99990, 8000, 8000, 2, 1);

    /* Order-9 draw: claim 7488, free 99478; then tot 512. */
    f_draw(f, 1, 9, 512, 7488, 99478);
    EXPECT_DOM(f, 1, 0, 10000, 7488, 0);
    EXPECT_HOST(f, 99478, 8000, 7488, 2, 1);
    f_tot(f, 1, 512, 512, 7488, 99478);
    EXPECT_DOM(f, 1, 512, 10000, 7488, 0);

    /* Order-0 draw and tot 513, claim 7487. */
    f_draw(f, 1, 0, 1, 7487, 99477);
    f_tot(f, 1, 1, 513, 7487, 99477);
    EXPECT_DOM(f, 1, 513, 10000, 7487, 0);
    EXPECT_HOST(f, 99477, 8000, 7487, 2, 1);

    /* One more page drawn, its assignment fails: claim 7486, tot 513. */
    f_draw(f, 1, 0, 1, 7486, 99476);
    f_tot(f, 1, 0, 513, 7486, 99477);
    EXPECT_DOM(f, 1, 513, 10000, 7486, 0);
    EXPECT_HOST(f, 99477, 8000, 7486, 2, 1);
    EQ("d1 assign_failed", 1, d->n.assign_failed);
    EQ("d1 pages_drawn", 514, d->n.pages_drawn);

    /* Cancel: the claim record leaves the claim to the release. */
    f_claim(f, 1, 0, 0, 0, 513);
    EXPECT_DOM(f, 1, 513, 10000, 7486, 0);
    f_release(f, 1, XCT_RELEASE_CANCEL, 7486, 0);
    EXPECT_DOM(f, 1, 513, 10000, 0, 0);
    EXPECT_HOST(f, 99477, 0, 0, 2, 1);
    EQ("d1 cancels", 1, d->n.cancels);
    EQ("d1 claim_tsc after cancel", 0, d->claim_tsc);

    /* Refused stakes: above max (EINVAL), no memory (ENOMEM). */
    f_claim(f, 1, -EINVAL, 20000, 0, 513);
    f_claim(f, 1, -ENOMEM, 9000, 0, 513);
    EXPECT_DOM(f, 1, 513, 10000, 0, 0);
    EQ("d1 refused EINVAL", 1, d->n.refused[XCT_REPLAY_ERR_EINVAL]);
    EQ("d1 refused ENOMEM", 1, d->n.refused[XCT_REPLAY_ERR_ENOMEM]);
    EQ("d1 refused EPERM", 0, d->n.refused[XCT_REPLAY_ERR_EPERM]);

    /* Stake to 1000 from 513: claim 487. */
    f_claim(f, 1, 0, 1000, 487, 513);
    EXPECT_DOM(f, 1, 513, 10000, 487, 0);
    EXPECT_HOST(f, 99477, 0, 487, 2, 1);

    /* Death: claim released (487), dying, pages freed, destroyed. */
    f_release(f, 1, XCT_RELEASE_DEATH, 487, 0);
    EXPECT_DOM(f, 1, 513, 10000, 0, 0);
    f_dom(f, 1, XCT_DOM_DYING, 513, 10000, 0);
    EXPECT_DOM(f, 1, 513, 10000, 0, 1);
    f_tot(f, 1, -513, 0, 0, 99990);
    EXPECT_DOM(f, 1, 0, 10000, 0, 1);
    EQ("d1 deaths", 1, d->n.deaths);
    f_dom(f, 1, XCT_DOM_DESTROYED, 0, 10000, 0);
    NUL(xct_replay_dom(f->r, 1));
    EXPECT_HOST(f, 99990, 0, 0, 1, 1);
    EXPECT_DOM(f, 0, 4096, 4096, 0, 0);

    /* Host counters, counted by hand from the records above. */
    EXPECT_NO_ISSUE(f);
    EQ("host stakes", 2, h->n.stakes);
    EQ("host cancels", 1, h->n.cancels);
    EQ("host deaths", 1, h->n.deaths);
    EQ("host pages_drawn", 514, h->n.pages_drawn);
    EQ("host refused EINVAL", 1, h->n.refused[XCT_REPLAY_ERR_EINVAL]);
    EQ("host refused ENOMEM", 1, h->n.refused[XCT_REPLAY_ERR_ENOMEM]);
    EQ("host records", 21, h->n.records);
    EQ("heap records", 2, h->n.by_event[XCT_REPLAY_REC_HEAP]);
    EQ("domain records", 5, h->n.by_event[XCT_REPLAY_REC_DOMAIN]);
    EQ("claim records", 5, h->n.by_event[XCT_REPLAY_REC_CLAIM]);
    EQ("claim_draw records", 3, h->n.by_event[XCT_REPLAY_REC_CLAIM_DRAW]);
    EQ("tot_pages records", 4, h->n.by_event[XCT_REPLAY_REC_TOT_PAGES]);
    EQ("claim_release records", 2,
       h->n.by_event[XCT_REPLAY_REC_CLAIM_RELEASE]);
    EQ("host dumps", 1, h->n.dumps);
    EQ("host last_tsc", f->tsc, h->last_tsc);
}

/* A claim drawn down to 0 is released as drawn; a new stake is fine. */
static void test_drawn_full(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_dom *d;

    base_state(f);
    /* Stake to 102 from 100: claim 2. */
    f_claim(f, 1, 0, 102, 2, 100);
    /* Order-1 draw takes both: claim 0, released as drawn. */
    f_draw(f, 1, 1, 2, 0, 9998);
    f_release(f, 1, XCT_RELEASE_DRAWN, 0, 0);
    f_tot(f, 1, 2, 102, 0, 9998);
    EXPECT_DOM(f, 1, 102, 1000, 0, 0);
    EXPECT_HOST(f, 9998, 0, 0, 1, 1);
    d = xct_replay_dom(f->r, 1);
    EQ("d1 drawn_full", 1, d->n.drawn_full);
    EQ("d1 pages_drawn", 2, d->n.pages_drawn);
    /* Stake again to 200 from 102: claim 98. */
    f_claim(f, 1, 0, 200, 98, 102);
    EXPECT_DOM(f, 1, 102, 1000, 98, 0);
    EXPECT_NO_ISSUE(f);
}

/* Xen 4.17 re-grows a live claim on frees: not an inconsistency. */
static void test_claim_regrow(void **state)
{
    struct fx *f = *state;

    base_state(f);
    /* Stake to 600 from 100: claim 500; 300 populated: claim 200. */
    f_claim(f, 1, 0, 600, 500, 100);
    f_tot(f, 1, 300, 400, 200, 9700);
    /* Free 50: claim back to 250, tot 350. */
    f_tot(f, 1, -50, 350, 250, 9750);
    EXPECT_DOM(f, 1, 350, 1000, 250, 0);
    EXPECT_HOST(f, 9750, 0, 250, 1, 1);
    f_heap(f, XCT_HEAP_ANON_FREE, XCT_NODE_ALL, 9750, 0, 250);
    EXPECT_NO_ISSUE(f);
}

/* ---- one test per inconsistency kind -------------------------------- */

static void test_issue_negative(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* tot 100 - 130 would be -30. */
    base_state(f);
    at = f_tot(f, 1, -130, 0, 0, 10130);
    EXPECT_ISSUE(f, NEGATIVE, at, 1, 0, -30);

    /* A draw of 8 from a claim of 5. */
    base_state(f);
    f_claim(f, 1, 0, 105, 5, 100);
    at = f_draw(f, 1, 3, 8, 0, 9992);
    EXPECT_ISSUE(f, NEGATIVE, at, 1, 5, 8);
}

static void test_issue_tot_delta(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* 100 + 10 is 110, the record says 111: take 111. */
    base_state(f);
    at = f_tot(f, 1, 10, 111, 0, 9990);
    EXPECT_DOM(f, 1, 111, 1000, 0, 0);
    EXPECT_ISSUE(f, TOT_DELTA, at, 1, 110, 111);
}

static void test_issue_outstanding_sum(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* Heap says 50 outstanding, replayed claims sum to 40. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    at = f_heap(f, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 9000, 0, 50);
    EXPECT_ISSUE(f, OUTSTANDING_SUM, at, XCT_DOMID_ANON, 40, 50);

    /* A release leaves 7 outstanding where the sum is 0. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    at = f_release(f, 1, XCT_RELEASE_CANCEL, 40, 7);
    EXPECT_ISSUE(f, OUTSTANDING_SUM, at, XCT_DOMID_ANON, 0, 7);

    /* A dump of outstanding 100 whose domains claim 90: reported at the
     * dump's heap record when the dump ends. */
    at = f_dump(f, 5000, 100);
    f_dom(f, 2, XCT_DOM_DUMP, 10, 200, 90);
    EXPECT_NO_ISSUE(f);
    f_claim(f, 2, -EINVAL, 300, 90, 10);
    EXPECT_ISSUE(f, OUTSTANDING_SUM, at, XCT_DOMID_ANON, 90, 100);
}

static void test_issue_claim_mismatch(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* Stake to 1000 from tot 100 should claim 900, record says 950. */
    base_state(f);
    at = f_claim(f, 1, 0, 1000, 950, 100);
    EXPECT_DOM(f, 1, 100, 1000, 950, 0);
    EXPECT_ISSUE(f, CLAIM_MISMATCH, at, 1, 900, 950);

    /* Claim 40, draw 4 should leave 36, record says 35. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    at = f_draw(f, 1, 2, 4, 35, 9996);
    EXPECT_ISSUE(f, CLAIM_MISMATCH, at, 1, 36, 35);

    /* Cancel releases 39 pages of a claim of 40. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    at = f_release(f, 1, XCT_RELEASE_CANCEL, 39, 0);
    EXPECT_ISSUE(f, CLAIM_MISMATCH, at, 1, 40, 39);

    /* Refused stake reports claim 3 where the replay has 0. */
    base_state(f);
    at = f_claim(f, 1, -EINVAL, 5000, 3, 100);
    EXPECT_ISSUE(f, CLAIM_MISMATCH, at, 1, 0, 3);

    /* An order-0 allocation cannot draw 2 pages. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    at = f_draw(f, 1, 0, 2, 38, 9998);
    EXPECT_ISSUE(f, CLAIM_MISMATCH, at, 1, 1, 2);

    /* A drawn-down release still holding 2 pages. */
    base_state(f);
    at = f_release(f, 1, XCT_RELEASE_DRAWN, 2, 0);
    EXPECT_ISSUE(f, CLAIM_MISMATCH, at, 1, 0, 2);
}

static void test_issue_state_mismatch(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* A stake says tot 120 where the replay has 100. */
    base_state(f);
    at = f_claim(f, 1, 0, 1000, 900, 120);
    EXPECT_ISSUE(f, STATE_MISMATCH, at, 1, 100, 120);

    /* A dying record says max 999 where the replay has 1000. */
    base_state(f);
    at = f_dom(f, 1, XCT_DOM_DYING, 100, 999, 0);
    EXPECT_ISSUE(f, STATE_MISMATCH, at, 1, 1000, 999);
}

static void test_issue_unknown_domain(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* Not reported before any dump: d7 is created from the record. */
    f_tot(f, 7, 5, 5, 0, 100);
    EXPECT_NO_ISSUE(f);
    EXPECT_DOM(f, 7, 5, 0, 0, 0);
    EQ("d7 from_dump", 0, xct_replay_dom(f->r, 7)->from_dump);

    /* After a dump, d7 is reported and created from the record. */
    base_state(f);
    at = f_tot(f, 7, 5, 5, 3, 9995);
    EXPECT_DOM(f, 7, 5, 0, 3, 0);
    EXPECT_HOST(f, 9995, 0, 3, 2, 1);
    EQ("d7 known fields", XCT_REPLAY_KNOWN_TOT | XCT_REPLAY_KNOWN_CLAIM,
       xct_replay_dom_known(f->r, xct_replay_dom(f->r, 7)));
    EXPECT_ISSUE(f, UNKNOWN_DOMAIN, at, 7, 1, 0);

    /* A refused stake for an unknown domain is expected: no issue. */
    base_state(f);
    f_claim(f, 9, -EINVAL, 10, 0, 0);
    EXPECT_NO_ISSUE(f);
    NUL(xct_replay_dom(f->r, 9));
}

static void test_issue_duplicate_domain(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    base_state(f);
    at = f_dom(f, 1, XCT_DOM_CREATED, 0, 0, 0);
    EXPECT_DOM(f, 1, 0, 0, 0, 0);
    EXPECT_ISSUE(f, DUPLICATE_DOMAIN, at, 1, 0, 1);
}

static void test_issue_word_count(void **state)
{
    struct fx *f = *state;
    struct xct_record x;
    uint64_t at;

    /* A claim record one word short is not applied. */
    base_state(f);
    x = REC(CLAIM, 1, 0, 0, 1000, 900, 100);
    x.nwords--;
    at = feed(f, x);
    EXPECT_DOM(f, 1, 100, 1000, 0, 0);
    EXPECT_ISSUE(f, WORD_COUNT, at, XCT_DOMID_ANON, 7, 6);

    /* A claim_release record with an extra word is not applied. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    x = REC(CLAIM_RELEASE, 1, XCT_RELEASE_CANCEL, 40, 0);
    x.nwords++;
    at = feed(f, x);
    EXPECT_DOM(f, 1, 100, 1000, 40, 0);
    EXPECT_ISSUE(f, WORD_COUNT, at, XCT_DOMID_ANON, 5, 6);
}

static void test_issue_lost_records(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    base_state(f);
    at = f_lost(f, 42, 3, 1, 900);
    EXPECT_HOST(f, 10000, 0, 0, 1, 0);
    EQ("lost records", 42, xct_replay_host(f->r)->n.lost);
    NON_NULL(strstr(f->is[0].msg, "expected 0, seen 42"));
    EXPECT_ISSUE(f, LOST_RECORDS, at, XCT_DOMID_ANON, 0, 42);
}

static void test_issue_stake_rules(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* A second stake while the claim of 40 is held. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    at = f_claim(f, 1, 0, 150, 50, 100);
    EXPECT_DOM(f, 1, 100, 1000, 50, 0);
    EXPECT_ISSUE(f, STAKE_RULES, at, 1, 0, 40);

    /* A stake above max_pages 1000. */
    base_state(f);
    at = f_claim(f, 1, 0, 1001, 901, 100);
    EXPECT_ISSUE(f, STAKE_RULES, at, 1, 1000, 1001);

    /* A stake to a target of tot_pages itself. */
    base_state(f);
    at = f_claim(f, 1, 0, 100, 0, 100);
    EXPECT_ISSUE(f, STAKE_RULES, at, 1, 101, 100);
}

static void test_issue_dying_claim(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* No release before dying: the record still shows claim 40. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    at = f_dom(f, 1, XCT_DOM_DYING, 100, 1000, 40);
    EXPECT_DOM(f, 1, 100, 1000, 40, 1);
    EXPECT_ISSUE(f, DYING_CLAIM, at, 1, 0, 40);
}

static void test_issue_destroy_pages(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    base_state(f);
    f_dom(f, 1, XCT_DOM_DYING, 100, 1000, 0);
    at = f_dom(f, 1, XCT_DOM_DESTROYED, 100, 1000, 0);
    NUL(xct_replay_dom(f->r, 1));
    EXPECT_HOST(f, 10000, 0, 0, 0, 1);
    EXPECT_ISSUE(f, DESTROY_PAGES, at, 1, 0, 100);
}

static void test_issue_denial_rules(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* d1 holds 40, asks for 1 page: its own claim serves it. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    f_denied(f, 1, 0, 0, 40);
    at = f_heap(f, XCT_HEAP_DENIED, XCT_NODE_ALL, 30, 0, 40);
    EXPECT_ISSUE(f, DENIAL_RULES, at, 1, 0, 40);

    /* Anonymous order-2 request with 4 + 40 <= free 10000. */
    base_state(f);
    f_claim(f, 1, 0, 140, 40, 100);
    f_denied(f, XCT_DOMID_ANON, 2, 0, 0);
    at = f_heap(f, XCT_HEAP_DENIED, XCT_NODE_ALL, 10000, 0, 40);
    EXPECT_ISSUE(f, DENIAL_RULES, at, XCT_DOMID_ANON, 10001, 44);
}

static void test_issue_unpaired(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    /* A heap record of a denial that never came. */
    base_state(f);
    at = f_heap(f, XCT_HEAP_DENIED, XCT_NODE_ALL, 10000, 0, 0);
    EXPECT_ISSUE(f, UNPAIRED, at, XCT_DOMID_ANON, 1, 0);

    /* A failure followed by another before its heap record. */
    base_state(f);
    f_failed(f, 1, 9, 0, 0);
    at = f_failed(f, XCT_DOMID_ANON, 0, 0, 0);
    EXPECT_ISSUE(f, UNPAIRED, at, 1, 1, 0);
}

static void test_issue_bad_value(void **state)
{
    struct fx *f = *state;
    uint64_t at;

    base_state(f);
    at = f_heap(f, XCT_HEAP_ANON_ALLOC, 64, 1, 2, 3);
    NUL(xct_replay_node(f->r, 64));
    EXPECT_ISSUE(f, BAD_VALUE, at, XCT_DOMID_ANON, 63, 64);

    base_state(f);
    at = f_release(f, 1, 9, 0, 0);
    EXPECT_ISSUE(f, BAD_VALUE, at, 1, XCT_RELEASE_DEATH, 9);

    base_state(f);
    at = f_dom(f, 1, 7, 0, 0, 0);
    EXPECT_DOM(f, 1, 100, 1000, 0, 0);
    EXPECT_ISSUE(f, BAD_VALUE, at, 1, XCT_DOM_DESTROYED, 7);

    base_state(f);
    at = f_tot(f, 0x10000, 1, 1, 0, 1);
    EQ("host domains", 1, xct_replay_host(f->r)->domains);
    EXPECT_ISSUE(f, BAD_VALUE, at, XCT_DOMID_ANON, 0xffff, 0x10000);

    base_state(f);
    at = f_heap(f, 10, XCT_NODE_ALL, 1, 2, 3);
    EXPECT_ISSUE(f, BAD_VALUE, at, XCT_DOMID_ANON, XCT_HEAP_ONLINE, 10);
}

/* Every kind has a name; each test above covers one. */
static void test_issue_names(void **state)
{
    unsigned int i, j;

    (void)state;
    for (i = 0; i < XCT_REPLAY_NISSUES; i++) {
        const char *a = xct_replay_issue_name(i);

        NON_NULL(a);
        STR_NE("?", a);
        for (j = 0; j < i; j++)
            STR_NE(xct_replay_issue_name(j), a);
    }
    STR_EQ("?", xct_replay_issue_name(XCT_REPLAY_NISSUES));
    STR_EQ("negative",
                        xct_replay_issue_name(XCT_REPLAY_ISSUE_NEGATIVE));
    STR_EQ("stake",
                        xct_replay_event_name(XCT_REPLAY_EV_STAKE));
    STR_EQ("?", xct_replay_event_name(XCT_REPLAY_NEVENTS));
    STR_EQ("EINVAL",
                        xct_replay_err_name(xct_replay_err_slot(EINVAL)));
    STR_EQ("other",
                        xct_replay_err_name(xct_replay_err_slot(EIO)));
}

/* ---- exactness, dumps, lost records ---------------------------------- */

static void test_lost_then_dump(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_host *h;
    const struct xct_replay_dom *d;

    base_state(f);
    f_lost(f, 5, 0, 0, 0);
    f->nis = f->nis_total = 0;
    h = xct_replay_host(f->r);
    EQ("exact after lost records", 0, h->exact);
    d = xct_replay_dom(f->r, 1);
    EQ("d1 known fields after lost records", 0,
       xct_replay_dom_known(f->r, d));

    /* Inexact: unknown d9 is not reported, d1's tot is not checked. */
    f_tot(f, 9, 10, 10, 0, 9990);
    f_tot(f, 1, 10, 500, 0, 9980);
    f_heap(f, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 9980, 0, 77);
    EXPECT_NO_ISSUE(f);
    EXPECT_DOM(f, 1, 500, 1000, 0, 0);

    /* d1 re-synced by that record: its next delta is checked again. */
    f_tot(f, 1, 10, 500, 0, 9970);
    EQ("issues after a resynced delta", 1, f->nis_total);
    EQ("kind", XCT_REPLAY_ISSUE_TOT_DELTA, f->is[0].kind);
    f->nis = f->nis_total = 0;

    /* A new dump lists d1 only: exact again, d9 gone at its end. */
    f_dump(f, 9000, 20);
    EQ("exact during the dump", 1, h->exact);
    NUL(xct_replay_dom(f->r, 9));
    NUL(xct_replay_dom_next(f->r, NULL));
    f_dom(f, 1, XCT_DOM_DUMP, 400, 1000, 20);
    EXPECT_DOM(f, 1, 400, 1000, 20, 0);
    EQ("domains during the dump", 1, h->domains);
    f_tick(f, 9000, 20);
    EXPECT_HOST(f, 9000, 20, 20, 1, 1);
    NUL(xct_replay_dom(f->r, 9));
    EQ("d1 known fields after the dump", XCT_REPLAY_KNOWN_ALL,
       xct_replay_dom_known(f->r, xct_replay_dom(f->r, 1)));
    EXPECT_NO_ISSUE(f);

    /* Exact again: unknown domains are reported. */
    f_tot(f, 9, 10, 10, 0, 8990);
    EQ("issues", 1, f->nis_total);
    EQ("kind", XCT_REPLAY_ISSUE_UNKNOWN_DOMAIN, f->is[0].kind);
}

/* A dump re-reads state but keeps the counters of domains it lists. */
static void test_dump_keeps_counters(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_dom *d;

    base_state(f);
    f_dom(f, 2, XCT_DOM_CREATED, 0, 50, 0);
    f_claim(f, 1, 0, 300, 200, 100);
    f_denied(f, 2, 0, 0, 0);
    f_heap(f, XCT_HEAP_DENIED, XCT_NODE_ALL, 150, 0, 200);
    EXPECT_NO_ISSUE(f);

    f_dump(f, 150, 200);
    f_dom(f, 1, XCT_DOM_DUMP, 100, 1000, 200);
    f_tick(f, 150, 200);
    EXPECT_NO_ISSUE(f);
    NUL(xct_replay_dom(f->r, 2));
    EXPECT_HOST(f, 150, 200, 200, 1, 1);
    d = xct_replay_dom(f->r, 1);
    EQ("d1 stakes kept", 1, d->n.stakes);
    EQ("d1 claim_staked kept", 200, d->claim_staked);
    EQ("host denials", 1, xct_replay_host(f->r)->n.denials);
}

/*
 * A dump that starts again before it ends forgets what the first start
 * relisted; only what the last start relists stays.  A later dump that
 * lists everyone drops no one, one that lists no one drops all.
 */
static void test_dump_restarted(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_host *h = xct_replay_host(f->r);

    base_state(f);
    f_dom(f, 2, XCT_DOM_CREATED, 0, 50, 0);
    f_dom(f, 3, XCT_DOM_CREATED, 0, 60, 0);
    EXPECT_NO_ISSUE(f);

    f_dump(f, 10000, 0);
    f_dom(f, 1, XCT_DOM_DUMP, 100, 1000, 0);
    f_dump(f, 10000, 0);            /* again: d1 unlisted once more */
    f_dom(f, 3, XCT_DOM_DUMP, 0, 60, 0);
    f_dom(f, 4, XCT_DOM_DUMP, 5, 70, 0);
    f_tick(f, 10000, 0);
    EXPECT_NO_ISSUE(f);
    NUL(xct_replay_dom(f->r, 1));
    NUL(xct_replay_dom(f->r, 2));
    EXPECT_DOM(f, 3, 0, 60, 0, 0);
    EXPECT_DOM(f, 4, 5, 70, 0, 0);
    EQ("domains after the restarted dump", 2, h->domains);

    f_dump(f, 10000, 0);
    f_dom(f, 4, XCT_DOM_DUMP, 5, 70, 0);
    f_dom(f, 3, XCT_DOM_DUMP, 0, 60, 0);
    f_tick(f, 10000, 0);
    EQ("domains after a full dump", 2, h->domains);
    EXPECT_DOM(f, 3, 0, 60, 0, 0);
    EXPECT_DOM(f, 4, 5, 70, 0, 0);

    f_dump(f, 10000, 0);
    f_tick(f, 10000, 0);
    EQ("domains after an empty dump", 0, h->domains);
    NUL(xct_replay_dom_next(f->r, NULL));
    EXPECT_NO_ISSUE(f);

    /* The slots are gone too: a domain made again starts afresh. */
    f_dom(f, 3, XCT_DOM_CREATED, 0, 80, 0);
    EXPECT_DOM(f, 3, 0, 80, 0, 0);
    EQ("domains after a creation", 1, h->domains);
}

/* ---- denials, failures, nodes, events ------------------------------- */

static void test_denial_context(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_denial *a;
    const struct xct_replay_host *h;
    uint64_t at, tsc;

    base_state(f);
    NUL(xct_replay_last_denial(f->r));
    f_claim(f, 1, 0, 400, 300, 100);
    f->nev = 0;

    /* d1 (claim 300) asks for 512 pages: denied. */
    at = f_denied(f, 1, 9, 0, 300);
    tsc = f->tsc;
    a = xct_replay_last_denial(f->r);
    NON_NULL(a);
    EQ("denial host_known before its heap record", 0, a->host_known);
    EQ("event", XCT_REPLAY_EV_DENIAL, f->ev[0]);
    f_heap(f, XCT_HEAP_DENIED, XCT_NODE_ALL, 600, 10, 300);
    EQ("events", 2, f->nev);
    EQ("event", XCT_REPLAY_EV_DENIAL_HOST, f->ev[1]);
    EQ("event has its domain", 1, f->have_dom);
    EQ("event domain", 1, f->dom.domid);
    EQ("denial domid", 1, a->domid);
    EQ("denial order", 9, a->order);
    EQ("denial claim", 300, a->claim);
    EQ("denial tsc", tsc, a->tsc);
    EQ("denial offset", at, a->offset);
    EQ("denial host_known", 1, a->host_known);
    EQ("denial free", 600, a->free);
    EQ("denial freeable", 10, a->freeable);
    EQ("denial outstanding", 300, a->outstanding);
    EQ("d1 denials", 1, xct_replay_dom(f->r, 1)->n.denials);

    /* Anonymous order-0 denial, then an anonymous failure. */
    f_denied(f, XCT_DOMID_ANON, 0, 0, 0);
    f_heap(f, XCT_HEAP_DENIED, XCT_NODE_ALL, 300, 0, 300);
    f_failed(f, XCT_DOMID_ANON, 4, 0, 0);
    f_heap(f, XCT_HEAP_FAILED, XCT_NODE_ALL, 3000, 0, 300);
    h = xct_replay_host(f->r);
    EQ("host denials", 2, h->n.denials);
    EQ("host anonymous denials", 1, h->n.denials_anon);
    EQ("host failed", 1, h->n.failed);
    EQ("host anonymous failed", 1, h->n.failed_anon);
    a = xct_replay_last_failure(f->r);
    NON_NULL(a);
    EQ("failure order", 4, a->order);
    EQ("failure free", 3000, a->free);
    EQ("last denial is anonymous", XCT_DOMID_ANON,
       xct_replay_last_denial(f->r)->domid);
    EXPECT_NO_ISSUE(f);
}

static void test_nodes(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_node *n;

    base_state(f);
    NUL(xct_replay_node(f->r, 1));
    f_heap(f, XCT_HEAP_ANON_ALLOC, 1, 700, 5, 40);
    f_heap(f, XCT_HEAP_ONLINE, 63, 64, 0, 0);
    n = xct_replay_node(f->r, 1);
    NON_NULL(n);
    EQ("node 1 free", 700, n->free);
    EQ("node 1 freeable", 5, n->freeable);
    EQ("node 1 outstanding", 40, n->outstanding);
    EQ("node 63 free", 64, xct_replay_node(f->r, 63)->free);
    NUL(xct_replay_node(f->r, 0));
    /* Node figures leave the host's alone and are not summed. */
    EXPECT_HOST(f, 10000, 0, 0, 1, 1);
    EXPECT_NO_ISSUE(f);
}

static void test_events(void **state)
{
    struct fx *f = *state;
    static const enum xct_replay_event want[] = {
        XCT_REPLAY_EV_DUMP_START, XCT_REPLAY_EV_DUMP_DOMAIN,
        XCT_REPLAY_EV_DUMP_END, XCT_REPLAY_EV_CREATED,
        XCT_REPLAY_EV_STAKE, XCT_REPLAY_EV_DRAW, XCT_REPLAY_EV_TOT_PAGES,
        XCT_REPLAY_EV_CANCEL, XCT_REPLAY_EV_RELEASE_CANCEL,
        XCT_REPLAY_EV_STAKE_REFUSED, XCT_REPLAY_EV_DYING,
        XCT_REPLAY_EV_TOT_PAGES, XCT_REPLAY_EV_DESTROYED,
        XCT_REPLAY_EV_LOST,
    };
    unsigned int i;
    uint64_t at;

    f_dump(f, 1000, 0);
    f_dom(f, 0, XCT_DOM_DUMP, 10, 10, 0);
    f_dom(f, 3, XCT_DOM_CREATED, 0, 100, 0);
    EQ("events so far", 4, f->nev);
    f_claim(f, 3, 0, 100, 100, 0);
    EQ("stake event domain claim", 100, f->dom.claim);
    f_draw(f, 3, 0, 1, 99, 999);
    at = f_tot(f, 3, 1, 1, 99, 999);
    EQ("tot_pages event offset", at, f->ev_offset);
    EQ("tot_pages event domain tot", 1, f->dom.tot_pages);
    f_claim(f, 3, 0, 0, 0, 1);
    f_release(f, 3, XCT_RELEASE_CANCEL, 99, 0);
    EQ("release event domain claim", 0, f->dom.claim);
    f_claim(f, 3, -EPERM, 50, 0, 1);
    f_dom(f, 3, XCT_DOM_DYING, 1, 100, 0);
    f_tot(f, 3, -1, 0, 0, 1000);
    f_dom(f, 3, XCT_DOM_DESTROYED, 0, 100, 0);
    EXPECT_NO_ISSUE(f);
    EQ("destroyed event has the domain", 1, f->have_dom);
    EQ("destroyed event domain", 3, f->dom.domid);
    f_lost(f, 1, 0, 0, 0);
    EQ("lost event has no domain", 0, f->have_dom);
    EQ("events", sizeof(want) / sizeof(want[0]), f->nev);
    for (i = 0; i < f->nev && i < MAX_SEEN; i++) {
        if (f->ev[i] != want[i]) {
            print_error("event %u: expected %s, seen %s\n", i,
                        xct_replay_event_name(want[i]),
                        xct_replay_event_name(f->ev[i]));
            fail();
        }
    }
}

static void test_foreign(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_host *h;
    struct xct_record x;

    base_state(f);
    x = blank(0x0010f001u);             /* TRC_MEM grant map */
    x.nwords = 1;
    x.words[0] = 1;
    feed(f, x);
    x = blank(0x00022001u);             /* a scheduler event */
    feed(f, x);
    x = blank(XCT_TRC_MEM | 0x28u);     /* a minor past the table */
    x.nwords = 3;
    feed(f, x);
    h = xct_replay_host(f->r);
    EQ("foreign records", 3, h->n.foreign);
    EQ("records", 6, h->n.records);
    EXPECT_HOST(f, 10000, 0, 0, 1, 1);
    EXPECT_NO_ISSUE(f);
}

static void test_misuse(void **state)
{
    struct fx *f = *state;
    struct xct_record x = blank(XCT_EV_HEAP);

    EQS("feed(NULL handle)", -EINVAL, xct_replay_feed(NULL, &x, 0));
    EQS("feed(NULL record)", -EINVAL, xct_replay_feed(f->r, NULL, 0));
    NUL(xct_replay_host(NULL));
    NUL(xct_replay_dom(NULL, 0));
    NUL(xct_replay_dom(f->r, 0x10000));
    NUL(xct_replay_dom_next(NULL, NULL));
    NUL(xct_replay_node(NULL, 0));
    NUL(xct_replay_last_denial(NULL));
    EQ("known of NULL", 0, xct_replay_dom_known(f->r, NULL));
    xct_replay_free(NULL);
}

/* ---- 65,536 domains ------------------------------------------------- */

static void test_65536_domains(void **state)
{
    struct fx *f = *state;
    const struct xct_replay_host *h;
    const struct xct_replay_dom *d;
    uint64_t sum = 0, left;
    uint32_t i, n, prev;
    size_t empty = xct_replay_memory(f->r), ten, full;

    /*
     * Ten domains with neighbouring ids cost one leaf, no more: a leaf
     * holds the state of 256 domain ids, at most 256 bytes each.
     */
    f_dump(f, 1000, 0);
    for (i = 0; i < 10; i++)
        f_dom(f, i, XCT_DOM_DUMP, 0, 0, 0);
    ten = xct_replay_memory(f->r);
    if (ten > empty + 256 * 256 + 4096) {
        print_error("memory with 10 domains: expected at most %zu, "
                    "seen %zu\n", empty + 256 * 256 + 4096, ten);
        fail();
    }

    for (i = 0; i <= 0xffff; i++)
        sum += i % 7;
    f_dump(f, 1u << 30, sum);
    for (i = 0; i <= 0xffff; i++)
        f_dom(f, i, XCT_DOM_DUMP, i & 0xff, 0x200, i % 7);
    f_tick(f, 1u << 30, sum);
    h = xct_replay_host(f->r);
    EXPECT_HOST(f, 1u << 30, sum, sum, 65536, 1);
    EXPECT_NO_ISSUE(f);
    full = xct_replay_memory(f->r);
    if (full < empty + 65536 * sizeof(struct xct_replay_dom)) {
        print_error("memory with 65536 domains: expected at least %zu, "
                    "seen %zu\n",
                    empty + 65536 * sizeof(struct xct_replay_dom), full);
        fail();
    }

    for (i = 0; i <= 0xffff; i += 4099)
        EXPECT_DOM(f, i, i & 0xff, 0x200, i % 7, 0);
    n = 0;
    prev = 0;
    for (d = xct_replay_dom_next(f->r, NULL); d;
         d = xct_replay_dom_next(f->r, d)) {
        if (n && d->domid <= prev) {
            print_error("iteration: expected a domid above %u, seen %u\n",
                        prev, d->domid);
            fail();
        }
        prev = d->domid;
        n++;
    }
    EQ("domains iterated", 65536, n);

    /* Every domain dies: release, dying, free its pages, destroyed. */
    left = sum;
    for (i = 0; i <= 0xffff; i++) {
        if (i % 7) {
            left -= i % 7;
            f_release(f, i, XCT_RELEASE_DEATH, i % 7, left);
        }
        f_dom(f, i, XCT_DOM_DYING, i & 0xff, 0x200, 0);
        if (i & 0xff)
            f_tot(f, i, -(int64_t)(i & 0xff), 0, 0, 1u << 30);
        f_dom(f, i, XCT_DOM_DESTROYED, 0, 0x200, 0);
    }
    EXPECT_NO_ISSUE(f);
    EXPECT_HOST(f, 1u << 30, 0, 0, 0, 1);
    NUL(xct_replay_dom_next(f->r, NULL));
    EQ("deaths", 65536 - 9363, h->n.deaths);
    EQ("memory once every domain is gone", empty,
       xct_replay_memory(f->r));

    /*
     * Leaves taken again start empty, whatever their pages kept: new
     * domains have zero counters, and only they are listed.
     */
    f_dom(f, 3, XCT_DOM_CREATED, 0, 0x100, 0);
    f_dom(f, 0x8007, XCT_DOM_CREATED, 0, 0x100, 0);
    EXPECT_NO_ISSUE(f);
    EXPECT_DOM(f, 3, 0, 0x100, 0, 0);
    EQ("d3 deaths after its leaf was taken again", 0,
       xct_replay_dom(f->r, 3)->n.deaths);
    EQ("d0x8007 deaths", 0, xct_replay_dom(f->r, 0x8007)->n.deaths);
    d = xct_replay_dom_next(f->r, NULL);
    EQ("first listed", 3, d ? d->domid : 0);
    d = d ? xct_replay_dom_next(f->r, d) : NULL;
    EQ("second listed", 0x8007, d ? d->domid : 0);
    NUL(d ? xct_replay_dom_next(f->r, d) : NULL);
    EQ("domains", 2, h->domains);
}

/* ---- runs: the same as one record at a time ---------------------- */

/* What a replay's callbacks said, folded into a hash and counts. */
struct trail {
    uint64_t h;
    uint64_t events, issues;
};

static void trail_mix(struct trail *t, const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t i;

    for (i = 0; i < n; i++)
        t->h = (t->h ^ b[i]) * 0x100000001b3ull;
}

static void trail_event(void *opaque, enum xct_replay_event ev,
                        const struct xct_record *rec, uint64_t offset,
                        const struct xct_replay_dom *dom)
{
    struct trail *t = opaque;
    uint64_t v[5] = { ev, rec->tsc, offset, dom ? dom->domid : ~0u,
                      dom ? ((uint64_t)dom->tot_pages << 32 | dom->claim) :
                      0 };

    t->events++;
    trail_mix(t, v, sizeof(v));
}

static void trail_issue(void *opaque, const struct xct_replay_issue *is)
{
    struct trail *t = opaque;
    uint64_t v[5] = { is->kind, is->domid, is->offset,
                      (uint64_t)is->expected, (uint64_t)is->seen };

    t->issues++;
    trail_mix(t, v, sizeof(v));
    trail_mix(t, is->msg, strlen(is->msg));
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/*
 * 6,000 domains (past the point where xct_replay_feed_run() prefetches
 * the domains' state, with a caller's table to prefetch as well) and
 * 200,000 records of every kind in bursts per domain, consistent or not:
 * fed one at a time to one replay and in runs of every length to
 * another, both say the same things in the same order and end in the
 * same state.
 */
static void test_runs(void **state)
{
    enum { NDOM = 6000, NREC = 200000 };
    static const uint32_t kinds[] = {
        XCT_EV_TOT_PAGES, XCT_EV_TOT_PAGES, XCT_EV_TOT_PAGES,
        XCT_EV_CLAIM_DRAW, XCT_EV_CLAIM_DRAW, XCT_EV_CLAIM,
        XCT_EV_CLAIM_RELEASE, XCT_EV_DOMAIN, XCT_EV_HEAP,
        XCT_EV_ALLOC_DENIED, XCT_TRC_LOST_RECORDS,
    };
    struct xct_replay *one = xct_replay_new(), *run = xct_replay_new();
    struct trail t1 = { 0xcbf29ce484222325ull, 0, 0 }, t2 = t1;
    struct xct_record *recs = calloc(NREC + NDOM + 1, sizeof(*recs));
    uint64_t *offs = calloc(NREC + NDOM + 1, sizeof(*offs));
    char *table = calloc(65536, 320);
    const struct xct_replay_dom *a, *b;
    uint64_t x = 0x9e3779b97f4a7c15ull, tsc = 0;
    size_t n = 0, i, k;
    uint32_t dom = 0, w, left = 0;

    (void)state;
    assert_non_null(one);
    assert_non_null(run);
    assert_non_null(recs);
    assert_non_null(offs);
    assert_non_null(table);
    xct_replay_set_event_cb(one, trail_event, &t1);
    xct_replay_set_issue_cb(one, trail_issue, &t1);
    xct_replay_set_event_cb(run, trail_event, &t2);
    xct_replay_set_issue_cb(run, trail_issue, &t2);
    xct_replay_set_companion(run, table, 320);

    recs[n] = REC(HEAP, XCT_HEAP_DUMP, XCT_NODE_ALL, 1u << 30, 0, 0);
    n++;
    for (i = 0; i < NDOM; i++, n++)
        recs[n] = REC(DOMAIN, (uint32_t)(i * 10 % 65536), XCT_DOM_DUMP,
                      (uint32_t)(i % 50), 4096, 0);
    while (n < NREC + NDOM + 1) {
        uint32_t ev = kinds[rnd(&x) % (sizeof(kinds) / sizeof(kinds[0]))];

        if (!left) {                /* a new burst, mostly known domains */
            dom = (uint32_t)(rnd(&x) % (NDOM + 200) * 10 % 65536);
            left = (uint32_t)(rnd(&x) % 24) + 1;
        }
        left--;
        recs[n] = blank(ev);
        recs[n].nwords = ev == XCT_TRC_LOST_RECORDS ? 4 :
                         xct_event_desc(ev) ? xct_event_desc(ev)->nwords : 4;
        for (w = 0; w < recs[n].nwords; w++)
            recs[n].words[w] = (uint32_t)(rnd(&x) % 64);
        recs[n].words[0] = dom;
        if (ev == XCT_EV_DOMAIN)
            recs[n].words[1] = (uint32_t)(rnd(&x) % 6);
        if (ev == XCT_EV_CLAIM_RELEASE)
            recs[n].words[1] = (uint32_t)(rnd(&x) % 3) + 1;
        if (ev == XCT_TRC_LOST_RECORDS && rnd(&x) % 50)
            recs[n] = REC(TOT_PAGES, dom, 1, (uint32_t)(rnd(&x) % 64), 0,
                          1u << 29);
        n++;
    }
    for (i = 0; i < n; i++) {
        tsc += rnd(&x) % 3;
        recs[i].has_tsc = 1;
        recs[i].tsc = tsc;
        offs[i] = i * 40;
        assert_int_equal(xct_replay_feed(one, &recs[i], offs[i]), 0);
    }
    for (i = 0; i < n; i += k) {
        k = (size_t)(rnd(&x) % 5000) + 1;
        if (k > n - i)
            k = n - i;
        assert_int_equal(xct_replay_feed_run(run, recs + i, offs + i, k), 0);
    }
    EQ("events", t1.events, t2.events);
    EQ("issues", t1.issues, t2.issues);
    EQ("what the callbacks said (hash)", t1.h, t2.h);
    assert_true(t1.events > NREC / 2);
    assert_true(t1.issues > 0);
    assert_memory_equal(xct_replay_host(one), xct_replay_host(run),
                        sizeof(struct xct_replay_host));
    for (a = xct_replay_dom_next(one, NULL), b = xct_replay_dom_next(run,
         NULL); a && b; a = xct_replay_dom_next(one, a),
         b = xct_replay_dom_next(run, b))
        assert_memory_equal(a, b, sizeof(*a));
    NUL(a);
    NUL(b);
    xct_replay_free(one);
    xct_replay_free(run);
    free(recs);
    free(offs);
    free(table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_life),
        T(test_drawn_full),
        T(test_claim_regrow),
        T(test_issue_negative),
        T(test_issue_tot_delta),
        T(test_issue_outstanding_sum),
        T(test_issue_claim_mismatch),
        T(test_issue_state_mismatch),
        T(test_issue_unknown_domain),
        T(test_issue_duplicate_domain),
        T(test_issue_word_count),
        T(test_issue_lost_records),
        T(test_issue_stake_rules),
        T(test_issue_dying_claim),
        T(test_issue_destroy_pages),
        T(test_issue_denial_rules),
        T(test_issue_unpaired),
        T(test_issue_bad_value),
        T(test_issue_names),
        T(test_lost_then_dump),
        T(test_dump_keeps_counters),
        T(test_dump_restarted),
        T(test_denial_context),
        T(test_nodes),
        T(test_events),
        T(test_foreign),
        T(test_misuse),
        T(test_65536_domains),
        T(test_runs),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
