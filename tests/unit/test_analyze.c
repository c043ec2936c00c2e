/* test_analyze.c: unit tests of libxcanalyze (lives, denials, outputs). */
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

#include "analyze/xca.h"
#include "analyze/xca_int.h"
#include "xct_events.h"
#include "xct_testtrace.h"

/*
 * Records are built with the xct_enc_* encoders and fed one by one with
 * the TSC and file offset given by the test, so every expected figure
 * below is written out by hand from those records.
 */

#define EQ(what, exp, got) eq_u(__FILE__, __LINE__, what, (exp), (got))
#define EQS(what, exp, got) eq_s(__FILE__, __LINE__, what, (exp), (got))

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

/* ---- feeding records -------------------------------------------------- */

struct fx {
    struct xca *a;
    uint64_t off;
};

static void feed_at(struct fx *f, uint64_t tsc, uint32_t ev,
                    const uint32_t *w, unsigned int n)
{
    struct xct_record r;

    memset(&r, 0, sizeof(r));
    r.event = ev;
    r.nwords = n;
    r.has_tsc = 1;
    r.tsc = tsc;
    memcpy(r.words, w, 4u * n);
    assert_int_equal(xca_feed(f->a, &r, 0, f->off), 0);
    f->off += 12 + 4u * n;
}

#define FEED(f, tsc, ID, ...)                                                 \
    do {                                                                      \
        uint32_t w_[XCT_MAX_WORDS];                                           \
        unsigned int n_ = xct_enc_##ID(w_, __VA_ARGS__);                      \
        feed_at(f, tsc, XCT_EV_##ID, w_, n_);                                 \
    } while (0)

static struct xca *new_analysis(const struct xca_opts *o)
{
    struct xca *a = xca_new(o);

    assert_non_null(a);
    return a;
}

/* ---- parsing ---------------------------------------------------------- */

static void test_parse_time(void **state)
{
    static const struct {
        const char *s;
        double v;
    } good[] = {
        { "10ms", 0.010 }, { "2s", 2.0 }, { "1.5", 1.5 }, { "250us", 250e-6 },
        { "3ns", 3e-9 }, { "1min", 60.0 }, { "0", 0.0 },
    };
    static const char *const bad[] = {
        "", "s", "-1s", "10 ms", "10xs", "nan", "inf", "2S", "1e999",
    };
    unsigned int i;
    double v;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        v = -1;
        assert_int_equal(xca_parse_time(good[i].s, &v), 0);
        if (v < good[i].v * (1 - 1e-12) || v > good[i].v * (1 + 1e-12)) {
            print_error("%s: expected %g s, seen %g\n", good[i].s,
                        good[i].v, v);
            fail();
        }
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 42;
        if (xca_parse_time(bad[i], &v) != -EINVAL || v != 42) {
            print_error("'%s': expected -EINVAL and no value\n", bad[i]);
            fail();
        }
    }
}

static void test_parse_hz(void **state)
{
    double v;

    (void)state;
    assert_int_equal(xca_parse_hz("1e9", &v), 0);
    assert_true(v == 1e9);
    assert_int_equal(xca_parse_hz("2.1G", &v), 0);
    assert_true(v > 2.0999e9 && v < 2.1001e9);
    assert_int_equal(xca_parse_hz("2096MHz", &v), 0);
    assert_true(v == 2096e6);
    assert_int_equal(xca_parse_hz("1000k", &v), 0);
    assert_true(v == 1e6);
    assert_int_equal(xca_parse_hz("0", &v), -EINVAL);
    assert_int_equal(xca_parse_hz("-5", &v), -EINVAL);
    assert_int_equal(xca_parse_hz("1Q", &v), -EINVAL);
    assert_int_equal(xca_parse_hz("", &v), -EINVAL);
}

/* ---- timeline and spill ----------------------------------------------- */

static void test_timeline_bounded_keeps_low_point(void **state)
{
    struct xca_tl t;
    int64_t v[XCA_NSERIES];
    uint64_t tsc, dip_tsc = 777777;
    int64_t lowest = INT64_MAX;
    unsigned int i, s, held = 0;

    (void)state;
    assert_int_equal(xca_tl_init(&t, 16), 0);
    for (tsc = 1000; tsc < 1000000; tsc += 7) {
        for (s = 0; s < XCA_NSERIES; s++)
            v[s] = 5000 + (int64_t)((tsc / 7) % 100) + (int64_t)s;
        if (tsc >= dip_tsc && tsc < dip_tsc + 7)
            v[XCA_S_FREE] = 12;         /* one sample, far below */
        xca_tl_set(&t, tsc, v);
    }
    if (t.n > 16 || t.n < 8) {
        print_error("buckets: expected 8..16, seen %u\n", t.n);
        fail();
    }
    for (i = 0; i < t.n; i++) {
        if (t.p[i].min[XCA_S_FREE] < lowest)
            lowest = t.p[i].min[XCA_S_FREE];
        if (dip_tsc >= t.p[i].tsc && dip_tsc < t.p[i].tsc + t.width) {
            held = 1;
            EQS("min of the bucket holding the dip", 12,
                t.p[i].min[XCA_S_FREE]);
        }
        if (i > 0)
            EQ("bucket start", t.p[i - 1].tsc + t.width, t.p[i].tsc);
    }
    assert_true(held);
    EQS("lowest over buckets", 12, lowest);
    EQ("first bucket start", 1000, t.p[0].tsc);
    EQS("last value", v[XCA_S_FREE], t.p[t.n - 1].last[XCA_S_FREE]);
    EQS("highest", 5000 + 99 + XCA_S_HEADROOM,
        t.p[0].max[XCA_S_HEADROOM] > t.p[t.n - 1].max[XCA_S_HEADROOM] ?
        t.p[0].max[XCA_S_HEADROOM] : t.p[t.n - 1].max[XCA_S_HEADROOM]);
    xca_tl_free(&t);
}

struct item48 {
    uint64_t seq;
    uint8_t pad[40];
};

struct walkstate {
    uint64_t next;
    uint64_t stop_at;
};

static int walk_check(void *opaque, const void *item)
{
    struct walkstate *w = opaque;
    const struct item48 *it = item;

    if (it->seq != w->next)
        return -100;
    w->next++;
    return w->next == w->stop_at ? 7 : 0;
}

static void test_spill(void **state)
{
    struct xca_spill s;
    struct item48 it, got;
    struct walkstate ws;
    uint64_t off, first = 0, last = 0, patch = 0xabcdef;
    unsigned int i;

    (void)state;
    xca_spill_init(&s, sizeof(it));
    memset(&it, 0, sizeof(it));
    for (i = 0; i < 5000; i++) {       /* 240 kB: several flushes */
        it.seq = i;
        assert_int_equal(xca_spill_put(&s, &it, &off), 0);
        EQ("offset of item", (uint64_t)i * sizeof(it), off);
        if (i == 3)
            first = off;
        last = off;
    }
    /* Patch one item long flushed and one still buffered. */
    assert_int_equal(xca_spill_patch(&s, first + 8, &patch, 8), 0);
    assert_int_equal(xca_spill_patch(&s, last + 8, &patch, 8), 0);
    assert_int_equal(xca_spill_get(&s, first, &got), 0);
    EQ("seq of item 3", 3, got.seq);
    EQ("patched word of item 3", patch, *(uint64_t *)got.pad);
    assert_int_equal(xca_spill_get(&s, last, &got), 0);
    EQ("patched word of the last", patch, *(uint64_t *)got.pad);
    assert_int_equal(xca_spill_get(&s, last + sizeof(it), &got), -EINVAL);

    ws.next = 0;
    ws.stop_at = 0;
    assert_int_equal(xca_spill_walk(&s, &got, walk_check, &ws), 0);
    EQ("items walked", 5000, ws.next);
    ws.next = 0;
    ws.stop_at = 4321;
    assert_int_equal(xca_spill_walk(&s, &got, walk_check, &ws), 7);
    EQ("walk stopped at", 4321, ws.next);
    xca_spill_close(&s);
}

/*
 * The read cache: items read in a scattered order (more blocks than the
 * cache holds), patched after they were cached, and a block read while
 * partly flushed, then again after more was flushed; every read checked
 * against a copy kept in memory.
 */
static void test_spill_cache(void **state)
{
    enum { N = 60000 };         /* 2.9 MB of items: about 180 blocks */
    struct xca_spill s;
    struct item48 it, got;
    uint64_t *want, x = 88172645463325252ull;
    unsigned int i, k, bad = 0;

    (void)state;
    want = calloc(N, sizeof(*want));
    assert_non_null(want);
    xca_spill_init(&s, sizeof(it));
    memset(&it, 0, sizeof(it));
    for (i = 0; i < N / 2; i++) {
        it.seq = i;
        memcpy(it.pad, &i, sizeof(i));
        want[i] = i;
        assert_int_equal(xca_spill_put(&s, &it, NULL), 0);
    }
    /* The last flushed block is partial now: cache it. */
    k = (unsigned int)(s.base / sizeof(it)) - 1;
    assert_int_equal(xca_spill_get(&s, (uint64_t)k * sizeof(it), &got), 0);
    EQ("seq of the last flushed item", k, got.seq);
    for (; i < N; i++) {
        it.seq = i;
        want[i] = i;
        assert_int_equal(xca_spill_put(&s, &it, NULL), 0);
    }
    for (k = 0; k < 3 * N; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        i = (unsigned int)(x % N);
        if (k % 7 == 0) {
            uint64_t v = x;

            assert_int_equal(xca_spill_patch(&s, (uint64_t)i * sizeof(it),
                                             &v, 8), 0);
            want[i] = v;
        }
        assert_int_equal(xca_spill_get(&s, (uint64_t)i * sizeof(it),
                                       &got), 0);
        if (got.seq != want[i])
            bad++;
    }
    EQ("reads that disagree with the copy", 0, bad);
    xca_spill_close(&s);
    free(want);
}

/* The walk of test_spill_waiting: every item against the model. */
struct model_walk {
    const struct item48 *want;
    uint64_t i, bad;
};

static int walk_model(void *opaque, const void *item)
{
    struct model_walk *m = opaque;

    if (memcmp(item, &m->want[m->i++], sizeof(struct item48)))
        m->bad++;
    return 0;
}

/*
 * Patches of flushed items wait in memory: more distinct items patched
 * than the table holds (so it is written out), two fields of one item,
 * patches of 4 and 8 bytes, patches straddling two items (written at
 * once over what waits), reads through get, walk and a view; every
 * read checked against a model of the file kept in memory.
 */
static void test_spill_waiting(void **state)
{
    enum { N = 60000 };         /* 2.9 MB of 48-byte items */
    static const uint32_t at[] = { 0, 8, 12, 40 };
    struct xca_spill s, v;
    struct item48 *want, got;
    struct model_walk mw;
    uint64_t x = 0x243f6a8885a308d3ull, bad = 0;
    unsigned int i, k;

    (void)state;
    want = calloc(N, sizeof(*want));
    assert_non_null(want);
    xca_spill_init(&s, sizeof(got));
    for (i = 0; i < N; i++) {
        want[i].seq = i;
        memset(want[i].pad, (int)(i & 0xff), sizeof(want[i].pad));
        assert_int_equal(xca_spill_put(&s, &want[i], NULL), 0);
    }
    for (k = 0; k < 200000; k++) {
        uint64_t off, val;
        uint32_t n;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        i = (unsigned int)(x % (N - 1));
        val = x * 0x9e3779b97f4a7c15ull;
        if (k % 97 == 0) {
            /* 16 bytes across items i and i + 1 */
            uint8_t buf[16];

            off = (uint64_t)i * sizeof(got) + sizeof(got) - 8;
            memcpy(buf, &val, 8);
            memcpy(buf + 8, &x, 8);
            assert_int_equal(xca_spill_patch(&s, off, buf, 16), 0);
            memcpy((uint8_t *)want + off, buf, 16);
        } else {
            off = (uint64_t)i * sizeof(got) + at[k % 4];
            n = k % 3 ? 8 : 4;
            assert_int_equal(xca_spill_patch(&s, off, &val, n), 0);
            memcpy((uint8_t *)want + off, &val, n);
        }
        if (k % 5 == 0) {
            i = (unsigned int)(val % N);
            assert_int_equal(xca_spill_get(&s, (uint64_t)i * sizeof(got),
                                           &got), 0);
            if (memcmp(&got, &want[i], sizeof(got)))
                bad++;
        }
    }
    EQ("gets that disagree with the model", 0, bad);
    assert_true(s.nfix > 0);    /* some still wait at the end */
    mw.want = want;
    mw.i = mw.bad = 0;
    assert_int_equal(xca_spill_walk(&s, &got, walk_model, &mw), 0);
    EQ("items walked", N, mw.i);
    EQ("walked items that disagree with the model", 0, mw.bad);
    xca_spill_view(&s, &v);
    for (i = 0, bad = 0; i < N; i++) {
        assert_int_equal(xca_spill_get(&v, (uint64_t)i * sizeof(got), &got),
                         0);
        if (memcmp(&got, &want[i], sizeof(got)))
            bad++;
    }
    EQ("items read through a view that disagree", 0, bad);
    xca_spill_view_close(&v);
    xca_spill_close(&s);

    /*
     * Written out when the table is full: blocks holding many waiting
     * patches are rewritten whole, a block holding two gets two writes.
     */
    xca_spill_init(&s, sizeof(got));
    for (i = 0; i < N; i++) {
        want[i].seq = i;
        memset(want[i].pad, 0, sizeof(want[i].pad));
        assert_int_equal(xca_spill_put(&s, &want[i], NULL), 0);
    }
    for (k = 0; k < 30000; k++) {
        uint64_t val = 0x5eed0000ull + k;

        i = k == 1 ? 50000 : k == 2 ? 50001 : k;
        assert_int_equal(xca_spill_patch(&s, (uint64_t)i * sizeof(got) + 16,
                                         &val, 8), 0);
        memcpy(want[i].pad + 8, &val, 8);
    }
    assert_true(s.nfix < 30000);        /* it was written out */
    mw.i = mw.bad = 0;
    assert_int_equal(xca_spill_walk(&s, &got, walk_model, &mw), 0);
    EQ("items walked", N, mw.i);
    EQ("items that disagree after a write-out", 0, mw.bad);
    xca_spill_close(&s);
    free(want);
}

/* ---- claim lives ------------------------------------------------------ */

/* The records of the life-cycle fixture; see test_lives for the story. */
static void feed_lives(struct fx *f)
{
    FEED(f, 1000, HEAP, XCT_HEAP_DUMP, XCT_NODE_ALL, 100000, 0, 100);
    FEED(f, 1010, DOMAIN, 0, XCT_DOM_DUMP, 5000, 10000, 0);
    FEED(f, 1020, DOMAIN, 1, XCT_DOM_DUMP, 10, 2000, 100);
    FEED(f, 1030, DOMAIN, 2, XCT_DOM_CREATED, 0, 4096, 0);
    /* d2: stake 1000, two draws of 256, cancel with 488 left */
    FEED(f, 1040, CLAIM, 2, 0, 0, 1000, 1000, 0);
    FEED(f, 1050, CLAIM_DRAW, 2, 8, 256, 744, 99744);
    FEED(f, 1060, TOT_PAGES, 2, 256, 256, 744, 99744);
    FEED(f, 1070, CLAIM_DRAW, 2, 8, 256, 488, 99488);
    FEED(f, 1080, TOT_PAGES, 2, 256, 512, 488, 99488);
    FEED(f, 1090, CLAIM, 2, 0, 0, 0, 0, 512);
    FEED(f, 1100, CLAIM_RELEASE, 2, XCT_RELEASE_CANCEL, 488, 100);
    /* d1 (claim from the dump) dies */
    FEED(f, 1110, CLAIM_RELEASE, 1, XCT_RELEASE_DEATH, 100, 0);
    FEED(f, 1120, DOMAIN, 1, XCT_DOM_DYING, 10, 2000, 0);
    FEED(f, 1130, TOT_PAGES, 1, -10, 0, 0, 99498);
    FEED(f, 1140, DOMAIN, 1, XCT_DOM_DESTROYED, 0, 2000, 0);
    /* d3: stake 500, one order-9 allocation draws it all */
    FEED(f, 1150, DOMAIN, 3, XCT_DOM_CREATED, 0, 1000, 0);
    FEED(f, 1160, CLAIM, 3, 0, 0, 500, 500, 0);
    FEED(f, 1170, CLAIM_DRAW, 3, 9, 500, 0, 98986);
    FEED(f, 1180, CLAIM_RELEASE, 3, XCT_RELEASE_DRAWN, 0, 0);
    FEED(f, 1190, TOT_PAGES, 3, 512, 512, 0, 98986);
    /* d4: a claim still open at the end */
    FEED(f, 1200, DOMAIN, 4, XCT_DOM_CREATED, 0, 5000, 0);
    FEED(f, 1210, CLAIM, 4, XCT_CLAIMF_FREE_ONLY, 0, 3000, 3000, 0);
}

struct lives {
    unsigned int n;
    struct xca_life l[8];
};

static int collect_life(void *opaque, const struct xca_life *l)
{
    struct lives *c = opaque;

    if (c->n < 8)
        c->l[c->n] = *l;
    c->n++;
    return 0;
}

static struct lives lives_of(struct xca *a, uint32_t domid)
{
    struct lives c;

    memset(&c, 0, sizeof(c));
    assert_int_equal(xca_foreach_life(a, domid, collect_life, &c), 0);
    return c;
}

static void test_lives(void **state)
{
    struct fx f = { new_analysis(NULL), 0 };
    const struct xca_summary *s;
    const struct xca_domain *d;
    struct lives c;

    (void)state;
    feed_lives(&f);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    s = xca_summary(f.a);
    EQ("inconsistencies", 0, s->issues);
    EQ("records", 22, s->records);
    EQ("lives", 4, s->lives);
    assert_true(s->exact_start);

    c = lives_of(f.a, 1);
    EQ("d1 lives", 1, c.n);
    EQ("d1 flags", XCA_LIFE_FROM_DUMP, c.l[0].flags);
    EQ("d1 staked", 100, c.l[0].staked);
    EQ("d1 start", 1020, c.l[0].start_tsc);
    EQ("d1 end", XCA_END_DEATH, c.l[0].end);
    EQ("d1 end tsc", 1110, c.l[0].end_tsc);
    EQ("d1 left", 100, c.l[0].left);
    EQ("d1 draws", 0, c.l[0].draws);

    c = lives_of(f.a, 2);
    EQ("d2 lives", 1, c.n);
    EQ("d2 flags", 0, c.l[0].flags);
    EQ("d2 staked", 1000, c.l[0].staked);
    EQ("d2 target", 1000, c.l[0].target);
    EQ("d2 drawn", 512, c.l[0].drawn);
    EQ("d2 draws", 2, c.l[0].draws);
    EQ("d2 first draw", 1050, c.l[0].first_draw_tsc);
    EQ("d2 last draw", 1070, c.l[0].last_draw_tsc);
    EQ("d2 end", XCA_END_CANCELLED, c.l[0].end);
    EQ("d2 end tsc", 1100, c.l[0].end_tsc);
    EQ("d2 left", 488, c.l[0].left);
    EQ("d2 stake offset", 12 + 28 + 3 * 32, c.l[0].offset);

    c = lives_of(f.a, 3);
    EQ("d3 staked", 500, c.l[0].staked);
    EQ("d3 drawn", 500, c.l[0].drawn);
    EQ("d3 end", XCA_END_SATISFIED, c.l[0].end);
    EQ("d3 end tsc", 1180, c.l[0].end_tsc);
    EQ("d3 left", 0, c.l[0].left);

    c = lives_of(f.a, 4);
    EQ("d4 flags", XCA_LIFE_FREE_ONLY, c.l[0].flags);
    EQ("d4 end", XCA_END_OPEN, c.l[0].end);
    EQ("d4 end tsc (the last record)", 1210, c.l[0].end_tsc);
    EQ("d4 left", 3000, c.l[0].left);

    d = xca_domain(f.a, 2);
    assert_non_null(d);
    EQ("d2 stakes", 1, d->stakes);
    EQ("d2 cancelled", 1, d->cancelled);
    EQ("d2 pages drawn", 512, d->pages_drawn);
    EQ("d2 peak claim", 1000, d->peak_claim);
    EQ("d2 peak tot", 512, d->peak_tot);
    EQ("d2 tot at the end", 512, d->tot_pages);
    d = xca_domain(f.a, 1);
    EQ("d1 deaths", 1, d->deaths);
    EQ("d1 gone", 1, d->gone);
    EQ("d3 satisfied", 1, xca_domain(f.a, 3)->satisfied);
    EQ("d4 open", 1, xca_domain(f.a, 4)->open);
    assert_null(xca_domain(f.a, 5));

    /* Host: lowest free 98986 first at 1170, outstanding 3000 at 1210. */
    assert_true(s->low_free.valid);
    EQS("lowest free", 98986, s->low_free.value);
    EQ("lowest free at", 1170, s->low_free.tsc);
    EQS("highest outstanding", 3000, s->high_outstanding.value);
    EQ("highest outstanding at", 1210, s->high_outstanding.tsc);
    EQS("free at start", 100000, s->start[XCA_S_FREE]);
    EQS("outstanding at start", 100, s->start[XCA_S_OUTSTANDING]);
    EQS("outstanding at end", 3000, s->end[XCA_S_OUTSTANDING]);
    EQS("headroom at end", 98986 - 3000, s->end[XCA_S_HEADROOM]);
    xca_free(f.a);
}

/* ---- denials, refused stakes ------------------------------------------ */

/*
 * Host free 10000; claims d1 300, d2 500, d3 100, d4 300, d5..d12 50
 * each (1600 in all); d13 holds none.
 */
static void feed_claims(struct fx *f)
{
    uint32_t id;

    FEED(f, 100, HEAP, XCT_HEAP_DUMP, XCT_NODE_ALL, 10000, 0, 1600);
    FEED(f, 101, DOMAIN, 1, XCT_DOM_DUMP, 0, 9000, 300);
    FEED(f, 102, DOMAIN, 2, XCT_DOM_DUMP, 0, 9000, 500);
    FEED(f, 103, DOMAIN, 3, XCT_DOM_DUMP, 0, 9000, 100);
    FEED(f, 104, DOMAIN, 4, XCT_DOM_DUMP, 0, 9000, 300);
    for (id = 5; id <= 12; id++)
        FEED(f, 100 + id, DOMAIN, id, XCT_DOM_DUMP, 0, 9000, 50);
    FEED(f, 113, DOMAIN, 13, XCT_DOM_DUMP, 0, 9000, 0);
}

struct denials {
    unsigned int n;
    struct xca_denial d[8];
};

static int collect_denial(void *opaque, const struct xca_denial *d)
{
    struct denials *c = opaque;

    if (c->n < 8)
        c->d[c->n] = *d;
    c->n++;
    return 0;
}

static void test_denials(void **state)
{
    static const uint32_t top_ids[8] = { 2, 1, 4, 3, 5, 6, 7, 8 };
    static const uint32_t top_claims[8] = { 500, 300, 300, 100, 50, 50,
                                            50, 50 };
    struct fx f = { new_analysis(NULL), 0 };
    struct denials c;
    uint64_t off_denied;
    unsigned int i;

    (void)state;
    feed_claims(&f);
    off_denied = f.off;
    FEED(&f, 200, ALLOC_DENIED, 13, 9, 0, 0);
    FEED(&f, 201, HEAP, XCT_HEAP_DENIED, XCT_NODE_ALL, 1700, 0, 1600);
    /* d1's own claim (300) cannot serve 512 pages: it is left out */
    FEED(&f, 210, ALLOC_DENIED, 1, 9, 0, 300);
    FEED(&f, 211, HEAP, XCT_HEAP_DENIED, XCT_NODE_ALL, 1700, 0, 1600);
    FEED(&f, 220, ALLOC_DENIED, XCT_DOMID_ANON, 0, 0, 0);
    FEED(&f, 221, HEAP, XCT_HEAP_DENIED, XCT_NODE_ALL, 1600, 0, 1600);
    FEED(&f, 230, ALLOC_FAILED, 13, 9, 0, 0);
    FEED(&f, 231, HEAP, XCT_HEAP_FAILED, XCT_NODE_ALL, 1600, 0, 1600);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    EQ("inconsistencies", 0, xca_summary(f.a)->issues);
    EQ("denials", 3, xca_summary(f.a)->denials);
    EQ("failures", 1, xca_summary(f.a)->failed_allocs);

    memset(&c, 0, sizeof(c));
    assert_int_equal(xca_foreach_denial(f.a, collect_denial, &c), 0);
    EQ("denial items", 4, c.n);

    EQ("1st: domain", 13, c.d[0].domid);
    EQ("1st: offset", off_denied, c.d[0].offset);
    EQ("1st: tsc", 200, c.d[0].tsc);
    EQ("1st: order", 9, c.d[0].order);
    EQ("1st: host known", 1, c.d[0].host_known);
    EQ("1st: free", 1700, c.d[0].free);
    EQ("1st: outstanding", 1600, c.d[0].outstanding);
    EQ("1st: holders", 12, c.d[0].nholders);
    EQ("1st: shown", 8, c.d[0].nshown);
    EQ("1st: held", 1600, c.d[0].held);
    for (i = 0; i < 8; i++) {
        EQ("1st: holder domid (largest first, ties by domid)", top_ids[i],
           c.d[0].top[i].domid);
        EQ("1st: holder claim", top_claims[i], c.d[0].top[i].claim);
    }

    EQ("2nd: domain", 1, c.d[1].domid);
    EQ("2nd: own claim", 300, c.d[1].claim);
    EQ("2nd: holders (requester aside)", 11, c.d[1].nholders);
    EQ("2nd: held", 1300, c.d[1].held);
    EQ("2nd: largest", 2, c.d[1].top[0].domid);
    EQ("2nd: next", 4, c.d[1].top[1].domid);

    EQ("3rd: anonymous", XCT_DOMID_ANON, c.d[2].domid);
    EQ("3rd: holders", 12, c.d[2].nholders);
    EQ("3rd: free", 1600, c.d[2].free);

    EQ("4th: failed", 1, c.d[3].failed);
    EQ("4th: domain", 13, c.d[3].domid);

    EQ("d13 denials", 1, xca_domain(f.a, 13)->denials);
    EQ("d13 failed", 1, xca_domain(f.a, 13)->failed);
    EQ("d2 blocked", 3, xca_domain(f.a, 2)->blocked);
    EQ("d1 blocked (not its own)", 2, xca_domain(f.a, 1)->blocked);
    xca_free(f.a);
}

struct fails {
    unsigned int n;
    struct xca_stake_fail s[4];
};

static int collect_fail(void *opaque, const struct xca_stake_fail *s)
{
    struct fails *c = opaque;

    if (c->n < 4)
        c->s[c->n] = *s;
    c->n++;
    return 0;
}

static void test_stake_refused(void **state)
{
    struct fx f = { new_analysis(NULL), 0 };
    struct fails c;

    (void)state;
    feed_claims(&f);
    FEED(&f, 300, CLAIM, 13, 0, -ENOMEM, 9000, 0, 0);
    FEED(&f, 310, CLAIM, 77, 0, -EINVAL, 10, 0, 0);   /* no such domain */
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    EQ("refused stakes", 2, xca_summary(f.a)->stake_fails);
    memset(&c, 0, sizeof(c));
    assert_int_equal(xca_foreach_stake_fail(f.a, collect_fail, &c), 0);
    EQ("items", 2, c.n);
    EQ("domid", 13, c.s[0].domid);
    EQS("result", -ENOMEM, c.s[0].result);
    EQ("nr_pages", 9000, c.s[0].nr_pages);
    EQ("free then", 10000, c.s[0].free);
    EQ("outstanding then", 1600, c.s[0].outstanding);
    EQ("host known", 1, c.s[0].host_known);
    EQ("unknown domain", 77, c.s[1].domid);
    EQS("its result", -EINVAL, c.s[1].result);
    EQ("d13 refused", 1, xca_domain(f.a, 13)->refused);
    EQ("d13 no life", 0, xca_domain(f.a, 13)->lives);
    xca_free(f.a);
}

/* ---- gaps and inconsistencies ----------------------------------------- */

struct gaps {
    unsigned int n;
    struct xca_gap g[4];
};

static int collect_gap(void *opaque, const struct xca_gap *g)
{
    struct gaps *c = opaque;

    if (c->n < 4)
        c->g[c->n] = *g;
    c->n++;
    return 0;
}

static struct issues_seen {
    unsigned int n;
    struct xca_issue i[4];
} seen_issues;

static int collect_issue(void *opaque, const struct xca_issue *i)
{
    struct issues_seen *c = opaque;

    if (c->n < 4)
        c->i[c->n] = *i;
    c->n++;
    return 0;
}

static void test_gaps_and_issues(void **state)
{
    struct fx f = { new_analysis(NULL), 0 };
    uint32_t lost[4] = { 321, 0x00020000u | 5, 1500, 0 };
    uint64_t off_bad, off_lost;
    struct gaps c;

    (void)state;
    feed_claims(&f);
    off_bad = f.off;
    /* d13 has 0 pages: +10 cannot give 11 */
    FEED(&f, 1000, TOT_PAGES, 13, 10, 11, 0, 9990);
    off_lost = f.off;
    feed_at(&f, 2000, XCT_TRC_LOST_RECORDS, lost, 4);
    lost[0] = 7;
    lost[2] = 2040;
    feed_at(&f, 2050, XCT_TRC_LOST_RECORDS, lost, 4);
    FEED(&f, 2100, TOT_PAGES, 13, 1, 5, 0, 9989);  /* inexact: no issue */
    FEED(&f, 3000, HEAP, XCT_HEAP_DUMP, XCT_NODE_ALL, 9989, 0, 0);
    FEED(&f, 3001, DOMAIN, 13, XCT_DOM_DUMP, 5, 9000, 0);
    FEED(&f, 3010, TOT_PAGES, 13, 1, 6, 0, 9988);
    assert_int_equal(xca_note_read(f.a, XCT_READ_ERROR, 4444, "bad thing",
                                   0), 0);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);

    EQ("violations", 1, xca_summary(f.a)->issues);
    EQ("lost", 321 + 7, xca_summary(f.a)->lost);
    memset(&seen_issues, 0, sizeof(seen_issues));
    assert_int_equal(xca_foreach_issue(f.a, collect_issue, &seen_issues),
                     0);
    EQ("issue items", 1, seen_issues.n);
    EQ("issue kind", XCT_REPLAY_ISSUE_TOT_DELTA, seen_issues.i[0].kind);
    EQ("issue offset", off_bad, seen_issues.i[0].offset);
    EQS("issue expected", 10, seen_issues.i[0].expected);
    EQS("issue seen", 11, seen_issues.i[0].seen);
    assert_non_null(strstr(seen_issues.i[0].msg, "d13"));

    memset(&c, 0, sizeof(c));
    assert_int_equal(xca_foreach_gap(f.a, collect_gap, &c), 0);
    EQ("gaps", 3, c.n);
    EQ("gap kind", XCA_GAP_LOST, c.g[0].kind);
    EQ("gap lost", 321, c.g[0].lost);
    EQ("gap offset", off_lost, c.g[0].offset);
    EQ("gap from (first lost TSC)", 1500, c.g[0].from_tsc);
    EQ("gap to", 2000, c.g[0].to_tsc);
    EQ("inexact until the dump", 3000, c.g[0].until_tsc);
    EQ("2nd gap lost", 7, c.g[1].lost);
    EQ("2nd gap from", 2040, c.g[1].from_tsc);
    EQ("2nd gap: inexact until the same dump", 3000, c.g[1].until_tsc);
    EQ("skipped kind", XCA_GAP_SKIPPED, c.g[2].kind);
    EQ("skipped offset", 4444, c.g[2].offset);
    assert_non_null(strstr(c.g[2].msg, "bad thing"));
    xca_free(f.a);
}

/* ---- window and domain filter ----------------------------------------- */

static void test_window_cut(void **state)
{
    struct xca_opts o = XCA_OPTS_INIT;
    struct xct_record r;
    struct fx f;
    struct lives c;
    const struct xca_summary *s;

    (void)state;
    o.has_from = 1;
    o.from_s = 45e-9;
    o.has_to = 1;
    o.to_s = 125e-9;
    f.a = new_analysis(&o);
    f.off = 0;
    FEED(&f, 1000, HEAP, XCT_HEAP_DUMP, XCT_NODE_ALL, 100000, 0, 100);
    FEED(&f, 1010, DOMAIN, 0, XCT_DOM_DUMP, 5000, 10000, 0);
    FEED(&f, 1020, DOMAIN, 1, XCT_DOM_DUMP, 10, 2000, 100);
    FEED(&f, 1030, DOMAIN, 2, XCT_DOM_CREATED, 0, 4096, 0);
    FEED(&f, 1040, CLAIM, 2, 0, 0, 1000, 1000, 0);
    FEED(&f, 1050, CLAIM_DRAW, 2, 8, 256, 744, 99744);
    FEED(&f, 1060, TOT_PAGES, 2, 256, 256, 744, 99744);
    FEED(&f, 1070, CLAIM_DRAW, 2, 8, 256, 488, 99488);
    FEED(&f, 1080, TOT_PAGES, 2, 256, 512, 488, 99488);
    FEED(&f, 1090, CLAIM, 2, 0, 0, 0, 0, 512);
    FEED(&f, 1100, CLAIM_RELEASE, 2, XCT_RELEASE_CANCEL, 488, 100);
    FEED(&f, 1110, CLAIM_RELEASE, 1, XCT_RELEASE_DEATH, 100, 0);
    FEED(&f, 1120, DOMAIN, 1, XCT_DOM_DYING, 10, 2000, 0);
    /* 1130 lies past the window: not used, and the caller may stop */
    memset(&r, 0, sizeof(r));
    r.event = XCT_EV_TOT_PAGES;
    r.nwords = xct_enc_TOT_PAGES(r.words, 1, -10, 0, 0, 99498);
    r.has_tsc = 1;
    r.tsc = 1130;
    assert_int_equal(xca_feed(f.a, &r, 0, f.off), 1);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    s = xca_summary(f.a);
    EQ("records used", 13, s->records);
    assert_true(s->past_window);
    EQ("window from", 1045, s->win_from);
    EQ("window to", 1125, s->win_to);
    /* d2's life overlaps the window; its stake (1040) precedes it */
    c = lives_of(f.a, 2);
    EQ("d2 lives", 1, c.n);
    EQ("d2 start", 1040, c.l[0].start_tsc);
    EQ("d2 draws counted whole", 2, c.l[0].draws);
    EQ("d2 stakes in the window", 0, xca_domain(f.a, 2)->stakes);
    EQ("d2 pages drawn in the window", 512, xca_domain(f.a, 2)->pages_drawn);
    /* lowest free in the window, starting from the state at 1045 */
    EQS("free at the window's start", 100000, s->start[XCA_S_FREE]);
    EQS("outstanding at the window's start", 1100,
        s->start[XCA_S_OUTSTANDING]);
    EQS("lowest free", 99488, s->low_free.value);
    xca_free(f.a);
}

static void test_domain_filter(void **state)
{
    static const uint32_t only[] = { 2, 13 };
    struct xca_opts o = XCA_OPTS_INIT;
    const struct xca_domain *d;
    struct denials c;
    struct fx f;

    (void)state;
    o.domains = only;
    o.ndomains = 2;
    f.a = new_analysis(&o);
    f.off = 0;
    feed_claims(&f);
    /* d1 denied while d2 holds a claim: kept (d2 blocked it) */
    FEED(&f, 210, ALLOC_DENIED, 1, 9, 0, 300);
    FEED(&f, 211, HEAP, XCT_HEAP_DENIED, XCT_NODE_ALL, 1700, 0, 1600);
    /* d4's bad tot_pages: outside the filter */
    FEED(&f, 220, TOT_PAGES, 4, 5, 7, 300, 1695);
    /* d13's: inside */
    FEED(&f, 230, TOT_PAGES, 13, 5, 7, 0, 1690);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    d = xca_domain_next(f.a, NULL);
    assert_non_null(d);
    EQ("first domain listed", 2, d->domid);
    d = xca_domain_next(f.a, d);
    assert_non_null(d);
    EQ("second domain listed", 13, d->domid);
    assert_null(xca_domain_next(f.a, d));
    assert_true(xca_wanted(f.a, 2));
    assert_false(xca_wanted(f.a, 1));
    memset(&c, 0, sizeof(c));
    assert_int_equal(xca_foreach_denial(f.a, collect_denial, &c), 0);
    EQ("denials kept", 1, c.n);
    EQ("its requester", 1, c.d[0].domid);
    EQ("issues in the filter", 1, xca_summary(f.a)->issues);
    EQ("issues outside", 1, xca_summary(f.a)->issues_outside);
    EQ("lives: d2 only", 1, xca_summary(f.a)->lives);
    xca_free(f.a);
}

static void test_bad_options(void **state)
{
    static const uint32_t bad_dom[] = { 70000 };
    struct xca_opts o = XCA_OPTS_INIT;

    (void)state;
    o.has_from = o.has_to = 1;
    o.from_s = 2;
    o.to_s = 1;
    errno = 0;
    assert_null(xca_new(&o));
    assert_int_equal(errno, EINVAL);
    o = (struct xca_opts)XCA_OPTS_INIT;
    o.domains = bad_dom;
    o.ndomains = 1;
    assert_null(xca_new(&o));
    assert_int_equal(errno, EINVAL);
}

/* ---- foreign records -------------------------------------------------- */

static void test_foreign(void **state)
{
    struct fx f = { new_analysis(NULL), 0 };
    uint32_t w[4] = { 1, 2, 3, 4 };
    const struct xca_summary *s;

    (void)state;
    feed_at(&f, 10, 0x00022001u, w, 2);         /* sched */
    feed_at(&f, 11, 0x00022002u, w, 0);
    feed_at(&f, 12, 0x00084001u, w, 3);         /* hvm */
    feed_at(&f, 13, XCT_TRC_MEM | 0x01u, w, 3); /* grant map: TRC_MEM */
    feed_at(&f, 14, XCT_TRC_MEM | 0x2fu, w, 1); /* a minor we lack */
    feed_at(&f, 15, 0x00801001u, w, 1);         /* hw */
    feed_at(&f, 16, 0x0020f103u, w, 2);         /* pv */
    FEED(&f, 17, HEAP, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 5, 0, 0);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    s = xca_summary(f.a);
    EQ("records", 8, s->records);
    EQ("xenclaim", 1, s->xenclaim);
    EQ("foreign", 7, s->foreign);
    EQ("sched", 2, s->by_class[1]);
    EQ("hvm", 1, s->by_class[3]);
    EQ("mem", 2, s->by_class[4]);
    EQ("other TRC_MEM", 2, s->other_mem);
    EQ("pv", 1, s->by_class[5]);
    EQ("hw", 1, s->by_class[7]);
    EQ("no issue", 0, s->issues);
    xca_free(f.a);
}

/* ---- outputs ---------------------------------------------------------- */

static char *report(struct xca *a, int which)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    assert_non_null(m);
    if (which == 0)
        assert_int_equal(xca_report_text(a, m, "t"), 0);
    else if (which == 1)
        assert_int_equal(xca_report_json(a, m, "t"), 0);
    else
        assert_int_equal(xca_report_csv(a, m), 0);
    fclose(m);
    return buf;
}

static void must_have(const char *text, const char *what)
{
    if (!strstr(text, what)) {
        print_error("expected \"%s\" in:\n%s\n", what, text);
        fail();
    }
}

/*
 * Enough domains and claim lives for the text report to cut its long
 * sections into blocks formatted by two threads: every domain row and
 * every life must come out once, in order (domids increasing, lives
 * numbered 1..N under their domain's header with N as it says), and the
 * total what the summary counts.  Under TSan, the threads are checked
 * too.  Two busy domains share a group of 64 domids: the blocks of
 * lives must cut that group between them.
 */
static void test_report_blocks(void **state)
{
    enum { DOMS = 5000, BUSY = 4, LIVES = 1500 };
    static const unsigned int busy[BUSY] = { 1, 2, 2000, 3999 };
    uint32_t cut[4097];
    unsigned int nb;
    struct xca_opts o = XCA_OPTS_INIT;
    struct fx f;
    uint64_t tsc = 1000, rows = 0, lives = 0, want_lives = 0;
    unsigned int d, i, k, cur = 0, num = 0, bad = 0;
    int64_t prev = -1;
    char *t, *line, *save = NULL;
    int section = 0;

    (void)state;
    f.a = new_analysis(&o);
    f.off = 0;
    FEED(&f, tsc++, HEAP, XCT_HEAP_DUMP, XCT_NODE_ALL, 1u << 30, 0, 0);
    for (d = 0; d < DOMS; d++)
        FEED(&f, tsc++, DOMAIN, d, XCT_DOM_CREATED, 0, 100000, 0);
    for (i = 0; i < LIVES; i++) {
        for (k = 0; k < BUSY; k++) {
            d = busy[k];
            FEED(&f, tsc++, CLAIM, d, 0, 0, 10, 10, 0);
            FEED(&f, tsc++, CLAIM, d, 0, 0, 0, 0, 0);
            FEED(&f, tsc++, CLAIM_RELEASE, d, XCT_RELEASE_CANCEL, 10, 0);
        }
    }
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    want_lives = xca_summary(f.a)->lives;
    EQ("lives staked", (uint64_t)BUSY * LIVES, want_lives);
    /*
     * Blocks of about 2048 lives: d1 and d2 (3000) close the first inside
     * group 0, at d3; d2000 and d3999 the second at the end of d3999's
     * group; the rest is the third.
     */
    nb = xca_cuts(f.a, 1, 2048, cut, 4096);
    EQ("blocks of lives", 3, nb);
    EQ("first cut", 0, cut[0]);
    EQ("cut inside group 0, after d2", 3, cut[1]);
    EQ("cut after d3999's group", 4032, cut[2]);
    EQ("last cut", XCA_MAX_DOMAINS, cut[nb]);
    /* Blocks of about 2048 domains seen: at multiples of 64. */
    nb = xca_cuts(f.a, 0, 2048, cut, 4096);
    EQ("blocks of rows", 3, nb);
    EQ("rows cut at 2048", 2048, cut[1]);
    EQ("rows cut at 4096", 4096, cut[2]);
    EQ("rows last cut", XCA_MAX_DOMAINS, cut[3]);
    t = report(f.a, 0);
    for (line = strtok_r(t, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        unsigned int id, n;

        if (!strncmp(line, "domains (", 9)) {
            section = 1;
            prev = -1;
            continue;
        }
        if (!strncmp(line, "claims, per domain", 18)) {
            section = 2;
            prev = -1;
            continue;
        }
        if (section == 1 && sscanf(line, "  d%u ", &id) == 1) {
            bad += (int64_t)id <= prev;
            prev = id;
            rows++;
        } else if (section == 2 && sscanf(line, "  d%u (%u claim", &id,
                                          &n) == 2) {
            bad += (int64_t)id <= prev || num != cur;
            prev = id;
            cur = n;
            num = 0;
        } else if (section == 2 && sscanf(line, "    #%u ", &n) == 1) {
            bad += n != ++num;
            lives++;
        } else if (line[0] != ' ' && section) {
            section = 0;
        }
    }
    bad += num != cur;
    EQ("rows out of order or lives misnumbered", 0, bad);
    EQ("domain rows", DOMS, rows);
    EQ("claim lives listed", want_lives, lives);
    free(t);
    xca_free(f.a);
}

static void test_reports(void **state)
{
    struct xca_opts o = XCA_OPTS_INIT;
    struct fx f;
    char *t, *p;
    int depth = 0, instr = 0;

    (void)state;
    o.cpu_hz = 1e6;             /* one TSC tick per microsecond */
    f.a = new_analysis(&o);
    f.off = 0;
    feed_lives(&f);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);

    t = report(f.a, 0);
    must_have(t, "#1 staked at 0.000040 s: 1000 pages (3.91 MiB), target "
              "1000\n");
    must_have(t, "drawn 512 pages (2.00 MiB) by 2 allocations from "
              "0.000050 s to 0.000070 s");
    must_have(t, "cancelled at 0.000100 s, after 0.000060 s, 1.91 MiB left");
    must_have(t, "held when the trace began");
    must_have(t, "satisfied at 0.000180 s");
    must_have(t, "still open at 0.000210 s");
    must_have(t, "lowest free          98986 (386.7 MiB) at 0.000170 s");
    must_have(t, "no violation in 22 records");
    free(t);

    t = report(f.a, 1);
    must_have(t, "\"claims\": [");
    must_have(t, "\"end\": \"cancelled\"");
    must_have(t, "\"lowest_free\": {\"pages\": 98986");
    /* balanced brackets outside strings */
    for (p = t; *p; p++) {
        if (*p == '"' && p[-1] != '\\')
            instr = !instr;
        if (instr)
            continue;
        if (*p == '{' || *p == '[')
            depth++;
        if (*p == '}' || *p == ']')
            depth--;
        assert_true(depth >= 0);
    }
    assert_int_equal(depth, 0);
    free(t);

    t = report(f.a, 2);
    must_have(t, "claim,2,0.000040000,0.000100000,cancelled,1000,1000,512,"
              "2,0,488,0,0,0.000050000,0.000070000,");
    must_have(t, "summary,records,22\n");
    free(t);
    xca_free(f.a);
}

/* A tiny protobuf walker, written apart from the encoder under test. */
static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    unsigned int shift = 0;

    while (*p < end) {
        uint8_t b = *(*p)++;

        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
        shift += 7;
    }
    fail_msg("varint runs past the end");
    return 0;
}

struct pfev {
    uint64_t ts, track, value;
    uint32_t type;
};

/* Counter and instant events of the TrackEvents in a trace. */
static unsigned int pf_events(const uint8_t *buf, size_t len,
                              struct pfev *out, unsigned int max,
                              unsigned int *descriptors)
{
    const uint8_t *p = buf, *end = buf + len;
    unsigned int n = 0;

    *descriptors = 0;
    while (p < end) {
        const uint8_t *pk, *pe;
        uint64_t l;
        struct pfev e = { 0, 0, 0, 0 };
        int is_event = 0;

        assert_int_equal(*p++, 0x0a);       /* Trace.packet, length */
        l = varint(&p, end);
        pk = p;
        pe = p + l;
        p = pe;
        while (pk < pe) {
            uint64_t tag = varint(&pk, pe), v;

            if ((tag & 7) == 0) {
                v = varint(&pk, pe);
                if (tag >> 3 == 8)
                    e.ts = v;
                continue;
            }
            assert_int_equal(tag & 7, 2);
            v = varint(&pk, pe);
            if (tag >> 3 == 60)
                (*descriptors)++;
            if (tag >> 3 == 11) {
                const uint8_t *q = pk, *qe = pk + v;

                is_event = 1;
                while (q < qe) {
                    uint64_t t2 = varint(&q, qe), v2;

                    if ((t2 & 7) == 2) {
                        v2 = varint(&q, qe);
                        q += v2;
                        continue;
                    }
                    v2 = varint(&q, qe);
                    if (t2 >> 3 == 9)
                        e.type = (uint32_t)v2;
                    else if (t2 >> 3 == 11)
                        e.track = v2;
                    else if (t2 >> 3 == 30)
                        e.value = v2;
                }
            }
            pk += v;
        }
        if (is_event && n < max)
            out[n++] = e;
    }
    return n;
}

static void test_perfetto(void **state)
{
    struct xca_opts o = XCA_OPTS_INIT;
    struct pfev ev[256];
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    unsigned int n, i, ndesc, free_n = 0, claim_n = 0;
    uint64_t free_vals[16], claim_vals[16], claim_ts[16];
    struct fx f;

    (void)state;
    o.perfetto = m;
    f.a = new_analysis(&o);
    f.off = 0;
    feed_lives(&f);
    assert_int_equal(xca_finish(f.a, NULL, 0), 0);
    fclose(m);
    n = pf_events((const uint8_t *)buf, len, ev, 256, &ndesc);
    /* host (3 counters + parent), 2 instant tracks, 4 domains x 3 */
    EQ("track descriptors", 4 + 2 + 4 * 3 + 3, ndesc);
    for (i = 0; i < n; i++) {
        if (ev[i].track == 2 && free_n < 16)
            free_vals[free_n++] = ev[i].value;
        if (ev[i].track == 0x100000u + 2 * 4 + 1 && claim_n < 16) {
            EQ("claim counter type", 4, ev[i].type);
            claim_ts[claim_n] = ev[i].ts;
            claim_vals[claim_n++] = ev[i].value;
        }
    }
    /* free: 100000 at the dump's end, then each change, in bytes */
    EQ("free changes", 5, free_n);
    EQ("free 1", 100000ull * 4096, free_vals[0]);
    EQ("free 2", 99744ull * 4096, free_vals[1]);
    EQ("free 3", 99488ull * 4096, free_vals[2]);
    EQ("free 4", 99498ull * 4096, free_vals[3]);
    EQ("free 5", 98986ull * 4096, free_vals[4]);
    /* d2's claim: 0 when first seen, 1000, 744, 488, 0 */
    EQ("d2 claim changes", 5, claim_n);
    EQ("d2 claim 1", 0, claim_vals[0]);
    EQ("d2 claim 2", 1000ull * 4096, claim_vals[1]);
    EQ("d2 claim 3", 744ull * 4096, claim_vals[2]);
    EQ("d2 claim 4", 488ull * 4096, claim_vals[3]);
    EQ("d2 claim 5", 0, claim_vals[4]);
    EQ("stake time: ns since the first record", 1040 - 1000, claim_ts[1]);
    EQ("first draw time", 1050 - 1000, claim_ts[2]);
    free(buf);
    xca_free(f.a);
}

/* ---- reading: two threads give what one gives ------------------------- */

static struct xct_tt *busy_trace(void)
{
    struct xct_tt *t = xct_tt_new(NULL);
    uint32_t w[XCT_MAX_WORDS], id, tot[8] = { 0 };
    uint64_t tsc = 1000, free = 1u << 30;
    unsigned int i, n, cpu;

    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, free, 0, 0);
    xct_tt_add(t, 0, XCT_EV_HEAP, 1, tsc++, w, n);
    for (id = 0; id < 8; id++) {
        n = xct_enc_DOMAIN(w, id, XCT_DOM_DUMP, 0, 1u << 30, 0);
        xct_tt_add(t, 0, XCT_EV_DOMAIN, 1, tsc++, w, n);
    }
    for (i = 0; i < 30000; i++) {
        id = i % 8;
        cpu = id % 3;
        free -= 1;
        tot[id]++;
        n = xct_enc_TOT_PAGES(w, id, 1, tot[id], 0, free);
        xct_tt_add(t, cpu, XCT_EV_TOT_PAGES, 1, tsc++, w, n);
        if (i % 1000 == 999)
            xct_tt_poll(t, tsc, 0);
    }
    xct_tt_drain(t, 0);
    return t;
}

static char *read_report(const uint8_t *buf, size_t len, int single,
                         int *rc)
{
    struct xca_read_opts ro = { 0, 0, 0, NULL, single };
    struct xct_reader *rd = xct_reader_new_mem(buf, len, NULL);
    struct xca *a = new_analysis(NULL);
    char *out;

    assert_non_null(rd);
    *rc = xca_read(a, rd, &ro, "mem", NULL);
    out = report(a, 1);
    xct_reader_free(rd);
    xca_free(a);
    return out;
}

static void test_read_threads(void **state)
{
    struct xct_tt *t = busy_trace();
    const uint8_t *buf;
    size_t len;
    char *one, *two;
    int rc1, rc2;

    (void)state;
    buf = xct_tt_bytes(t, &len);
    one = read_report(buf, len, 1, &rc1);
    two = read_report(buf, len, 0, &rc2);
    assert_int_equal(rc1, XCA_READ_CLEAN);
    assert_int_equal(rc2, XCA_READ_CLEAN);
    must_have(one, "\"records\": 30009,");
    if (strcmp(one, two) != 0) {
        print_error("two threads report differently from one\n");
        fail();
    }
    free(one);
    free(two);
    /* Cut inside the last record: every record before, then the error. */
    one = read_report(buf, len - 2, 0, &rc1);
    assert_int_equal(rc1, XCA_READ_BAD);
    must_have(one, "\"records\": 30008,");
    must_have(one, "\"kind\": \"stopped\"");
    free(one);
    /* Nothing at all. */
    one = read_report(buf, 0, 0, &rc1);
    assert_int_equal(rc1, XCA_READ_BAD);
    must_have(one, "empty file");
    free(one);
    xct_tt_free(t);
}

/* ---- the plot --------------------------------------------------------- */

static void test_plot(void **state)
{
    struct xct_tt *t = busy_trace();
    struct xct_reader *rd;
    struct xca *a = new_analysis(NULL);
    struct xca_read_opts ro = { 0, 0, 0, NULL, 1 };
    struct xca_plot *p;
    struct xct_record rec;
    const uint8_t *buf;
    char *svg = NULL, *q;
    size_t len, slen = 0;
    FILE *m;
    unsigned int points = 0, maxpoints = 0;

    (void)state;
    buf = xct_tt_bytes(t, &len);
    rd = xct_reader_new_mem(buf, len, NULL);
    assert_int_equal(xca_read(a, rd, &ro, "mem", NULL), XCA_READ_CLEAN);
    xct_reader_free(rd);
    p = xca_plot_new(a, 200);
    assert_non_null(p);
    rd = xct_reader_new_mem(buf, len, NULL);
    while (xct_reader_next(rd, &rec) == XCT_READ_OK)
        if (xca_plot_feed(p, &rec, xct_reader_offset(rd)) != 0)
            break;
    xct_reader_free(rd);
    m = open_memstream(&svg, &slen);
    assert_int_equal(xca_plot_svg(p, m, "a <title> & more"), 0);
    fclose(m);
    must_have(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
    must_have(svg, "a &lt;title&gt; &amp; more");
    must_have(svg, "memory (GiB)");
    must_have(svg, "</svg>\n");
    /* 30009 records, 200 columns: no path has more than 2 points each */
    for (q = svg; *q; q++) {
        if (*q == '"')
            points = 0;
        if (*q == 'L' || *q == 'M')
            points++;
        if (points > maxpoints)
            maxpoints = points;
    }
    if (maxpoints > 4 * 200 + 4) {
        print_error("a path has %u points for 200 columns\n", maxpoints);
        fail();
    }
    free(svg);
    xca_plot_free(p);
    xca_free(a);
    xct_tt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_parse_hz),
        cmocka_unit_test(test_timeline_bounded_keeps_low_point),
        cmocka_unit_test(test_spill),
        cmocka_unit_test(test_spill_cache),
        cmocka_unit_test(test_spill_waiting),
        cmocka_unit_test(test_report_blocks),
        cmocka_unit_test(test_lives),
        cmocka_unit_test(test_denials),
        cmocka_unit_test(test_stake_refused),
        cmocka_unit_test(test_gaps_and_issues),
        cmocka_unit_test(test_window_cut),
        cmocka_unit_test(test_domain_filter),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_foreign),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_perfetto),
        cmocka_unit_test(test_read_threads),
        cmocka_unit_test(test_plot),
    };

    return cmocka_run_group_tests_name("analyze", tests, NULL, NULL);
}
