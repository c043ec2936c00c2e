/* test_top.c: xenclaimtop's modules without a terminal: units, columns, model, events, options, keys, batch output, frames from real trace sources. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "top.h"
#include "xct_events.h"
#include "xct_testtrace.h"

/* ---- helpers ------------------------------------------------------- */

struct dspec {
    uint32_t domid;
    const char *name;
    uint64_t tot, max, claim, drawn, denials;
    uint64_t claim_since, last_ns;
};

/* Fill the model's spare snapshot with these domains (sorted by domid). */
static void fill(struct top_model *m, enum xcs_status st, uint64_t now,
                 uint64_t free, uint64_t freeable, uint64_t outstanding,
                 uint64_t stakes, uint64_t denials,
                 const struct dspec *d, unsigned int n)
{
    struct xcs_snapshot *s = top_model_spare(m);
    unsigned int i;

    if (s->cap < n || !s->doms) {
        s->doms = realloc(s->doms, (n ? n : 1) * sizeof(*s->doms));
        assert_non_null(s->doms);
        s->cap = n ? n : 1;
    }
    memset(&s->host, 0, sizeof(s->host));
    s->status = st;
    s->host.now_ns = now;
    s->host.total_pages = 1 << 20;
    s->host.free_pages = free;
    s->host.freeable_pages = freeable;
    s->host.outstanding_pages = outstanding;
    s->host.stakes = stakes;
    s->host.denials = denials;
    s->host.records = 1;
    s->host.exact = true;
    snprintf(s->source, sizeof(s->source), "test");
    s->nr_domains = n;
    for (i = 0; i < n; i++) {
        struct xcs_domain *x = &s->doms[i];

        memset(x, 0, sizeof(*x));
        x->domid = d[i].domid;
        snprintf(x->name, sizeof(x->name), "%s", d[i].name);
        x->tot_pages = d[i].tot;
        x->max_pages = d[i].max;
        x->claim = d[i].claim;
        x->pages_drawn = d[i].drawn;
        x->denials = d[i].denials;
        x->claim_since_ns = d[i].claim_since;
        x->last_event_ns = d[i].last_ns;
        if (d[i].last_ns)
            snprintf(x->last_event, sizeof(x->last_event), "stake");
    }
}

static const struct top_row *row_of(const struct top_model *m,
                                    uint32_t domid)
{
    unsigned int i;

    for (i = 0; i < m->nrows; i++)
        if (m->rows[i].d->domid == domid)
            return &m->rows[i];
    return NULL;
}

static void init_top(struct top *t)
{
    memset(t, 0, sizeof(*t));
    top_opts_parse(&t->opt, 1, (char *[]){ "xenclaimtop", NULL }, stdout,
                   stderr);
    t->sort = &top_cols[TOP_COL_CLAIM];
    t->interval = 1;
    t->unit = TOP_UNIT_PAGES;
    t->st = XCS_UP;
    t->sel_domid = TOP_NO_DOMAIN;
    t->detail_domid = TOP_NO_DOMAIN;
    snprintf(t->source, sizeof(t->source), "test source");
    top_model_init(&t->model);
    assert_int_equal(top_events_init(&t->events, 8, 4), 0);
}

static void free_top(struct top *t)
{
    top_model_free(&t->model);
    top_events_free(&t->events);
}

/* Output of a batch frame, as a string (caller frees). */
static char *frame_text(struct top *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    top_batch_frame(t, f);
    fclose(f);
    return buf;
}

/* Fields of one CSV line, quotes respected. */
static int csv_fields(const char *l, size_t n)
{
    int fields = 1;
    bool q = false;
    size_t i;

    for (i = 0; i < n; i++) {
        if (l[i] == '"')
            q = !q;
        else if (l[i] == ',' && !q)
            fields++;
    }
    return fields;
}

/* ---- units --------------------------------------------------------- */

static void test_unit_parse(void **state)
{
    enum top_unit u = TOP_UNIT_GIB;

    assert_int_equal(top_unit_parse("pages", &u), 0);
    assert_int_equal(u, TOP_UNIT_PAGES);
    assert_int_equal(top_unit_parse("MiB", &u), 0);
    assert_int_equal(u, TOP_UNIT_MIB);
    assert_int_equal(top_unit_parse("g", &u), 0);
    assert_int_equal(u, TOP_UNIT_GIB);
    assert_int_equal(top_unit_parse("MB", &u), -EINVAL);
    assert_int_equal(top_unit_parse("", &u), -EINVAL);
    assert_int_equal(top_unit_parse(NULL, &u), -EINVAL);
    assert_int_equal(u, TOP_UNIT_GIB);
    assert_int_equal(top_unit_next(TOP_UNIT_GIB), TOP_UNIT_PAGES);
    assert_string_equal(top_unit_key(TOP_UNIT_MIB), "mib");
}

/* The exact decimal, worked out in long double (exact for these sizes). */
static void expect_exact(uint64_t pages, int shift, char *out, size_t len)
{
    long double v = ldexpl((long double)pages, -shift);
    char *p;

    snprintf(out, len, "%.20Lf", v);
    p = out + strlen(out) - 1;
    while (*p == '0')
        *p-- = 0;
    if (*p == '.')
        *p = 0;
}

static void test_unit_exact(void **state)
{
    static const uint64_t pages[] = {
        0, 1, 3, 255, 256, 257, 1000, 262143, 262144, 262145, 786432,
        (UINT64_C(1) << 32) + 5, UINT64_C(123456789012),
    };
    char got[64], want[64];
    unsigned int i;

    for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        top_fmt_exact(got, sizeof(got), pages[i], TOP_UNIT_PAGES);
        snprintf(want, sizeof(want), "%" PRIu64, pages[i]);
        assert_string_equal(got, want);
        top_fmt_exact(got, sizeof(got), pages[i], TOP_UNIT_MIB);
        expect_exact(pages[i], 8, want, sizeof(want));
        assert_string_equal(got, want);
        top_fmt_exact(got, sizeof(got), pages[i], TOP_UNIT_GIB);
        expect_exact(pages[i], 18, want, sizeof(want));
        assert_string_equal(got, want);
    }
    top_fmt_sexact(got, sizeof(got), -384, TOP_UNIT_MIB);
    assert_string_equal(got, "-1.5");
    top_fmt_sexact(got, sizeof(got), INT64_MIN, TOP_UNIT_PAGES);
    assert_string_equal(got, "-9223372036854775808");
}

static void test_unit_people(void **state)
{
    char got[64], want[64];
    uint64_t p;

    for (p = 0; p < 5000000; p = p * 3 + 7) {
        top_fmt_pages(got, sizeof(got), p, TOP_UNIT_MIB);
        snprintf(want, sizeof(want), "%.1f", (double)p / 256.0);
        assert_string_equal(got, want);
        top_fmt_pages(got, sizeof(got), p, TOP_UNIT_GIB);
        snprintf(want, sizeof(want), "%.2f", (double)p / 262144.0);
        assert_string_equal(got, want);
    }
    top_fmt_spages(got, sizeof(got), -512, TOP_UNIT_MIB);
    assert_string_equal(got, "-2.0");
    top_fmt_spages(got, sizeof(got), -7, TOP_UNIT_PAGES);
    assert_string_equal(got, "-7");
}

static void test_fmt_age_rate(void **state)
{
    static const struct {
        int64_t ns;
        const char *s;
    } ages[] = {
        { -1, "-" }, { 0, "0.0s" }, { 999999999, "0.9s" },
        { 9999999999, "9.9s" }, { 10000000000, "10s" },
        { 59999999999, "59s" }, { 60000000000, "1m00s" },
        { 3599000000000, "59m59s" }, { 3600000000000, "1h00m" },
        { 86399000000000, "23h59m" }, { 86400000000000, "1d00h" },
        { 90061000000000, "1d01h" },
    };
    char b[32];
    unsigned int i;

    for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++)
        assert_string_equal(top_fmt_age(b, sizeof(b), ages[i].ns),
                            ages[i].s);
    assert_string_equal(top_fmt_rate(b, sizeof(b), -1), "-");
    assert_string_equal(top_fmt_rate(b, sizeof(b), NAN), "-");
    assert_string_equal(top_fmt_rate(b, sizeof(b), 12.34), "12.3");
    assert_string_equal(top_fmt_rate(b, sizeof(b), 0), "0.0");
    assert_string_equal(top_fmt_rate(b, sizeof(b), 999.94), "999.9");
    assert_string_equal(top_fmt_rate(b, sizeof(b), 999.96), "1000");
    assert_string_equal(top_fmt_rate(b, sizeof(b), 999999.4), "999999");
    assert_string_equal(top_fmt_rate(b, sizeof(b), 999999.6), "1e+06");
    assert_string_equal(top_fmt_rate(b, sizeof(b), 1.2345e9), "1.23e+09");
}

static void test_parse_seconds(void **state)
{
    double v = 7;

    assert_int_equal(top_parse_seconds("0.5", &v), 0);
    assert_true(v == 0.5);
    assert_int_equal(top_parse_seconds("3600", &v), 0);
    assert_int_equal(top_parse_seconds("0.01", &v), 0);
    v = 7;
    assert_int_equal(top_parse_seconds("0", &v), -EINVAL);
    assert_int_equal(top_parse_seconds("3600.5", &v), -EINVAL);
    assert_int_equal(top_parse_seconds("abc", &v), -EINVAL);
    assert_int_equal(top_parse_seconds("1s", &v), -EINVAL);
    assert_int_equal(top_parse_seconds("nan", &v), -EINVAL);
    assert_int_equal(top_parse_seconds("inf", &v), -EINVAL);
    assert_int_equal(top_parse_seconds("", &v), -EINVAL);
    assert_true(v == 7);
}

/* ---- columns ------------------------------------------------------- */

static void test_layout(void **state)
{
    enum top_col_id ids[TOP_NCOLS];
    int widths[TOP_NCOLS], all = -1, w, used, maxshown, minhidden;
    bool shown[TOP_NCOLS], before[TOP_NCOLS] = { false };
    unsigned int n, i;

    for (i = 0; i < TOP_NCOLS; i++)
        all += top_cols[i].width + 1;
    for (w = 16; w <= 300; w++) {
        n = top_cols_layout(w, ids, widths);
        memset(shown, 0, sizeof(shown));
        used = -1;
        for (i = 0; i < n; i++) {
            shown[ids[i]] = true;
            used += widths[i] + 1;
            assert_true(widths[i] >= top_cols[ids[i]].width);
            assert_true(widths[i] <= top_cols[ids[i]].maxwidth);
            if (i)
                assert_true(ids[i] > ids[i - 1]);   /* table order */
        }
        if (used > w)
            fail_msg("width %d: columns take %d", w, used);
        assert_true(shown[TOP_COL_DOMID] && shown[TOP_COL_CLAIM]);
        /* Every hidden column is less important than every shown one. */
        maxshown = 0;
        minhidden = 1000;
        for (i = 0; i < TOP_NCOLS; i++) {
            if (shown[i] && top_cols[i].priority > maxshown)
                maxshown = top_cols[i].priority;
            if (!shown[i] && top_cols[i].priority < minhidden)
                minhidden = top_cols[i].priority;
        }
        assert_true(maxshown < minhidden);
        /* A wider terminal never hides a column a narrower one showed. */
        for (i = 0; i < TOP_NCOLS; i++)
            assert_true(!before[i] || shown[i]);
        memcpy(before, shown, sizeof(shown));
        if (w >= all)
            assert_int_equal(n, TOP_NCOLS);
    }
}

static void test_line(void **state)
{
    struct xcs_domain d = { .domid = 7, .tot_pages = UINT64_C(1) << 40,
                            .claim = 42 };
    struct top_row r = { .d = &d, .draw_rate = -1, .denial_rate = -1,
                         .share = 12.25, .claim_age_ns = -1,
                         .event_age_ns = -1 };
    enum top_col_id ids[] = { TOP_COL_DOMID, TOP_COL_NAME, TOP_COL_TOT,
                              TOP_COL_CLAIM, TOP_COL_SHARE };
    int widths[] = { 5, 8, 10, 10, 6 };
    char line[128];

    strcpy(d.name, "a-very-long-name\x1b[2J");
    top_cols_line(line, sizeof(line), ids, widths, 5, &r, TOP_UNIT_PAGES);
    /* 2^40 has 13 digits: never cut, shown as not fitting. */
    assert_string_equal(line, "    7 a-very-l ++++++++++         42   12.2");
    top_cols_line(line, sizeof(line), ids, widths, 5, NULL, TOP_UNIT_PAGES);
    assert_string_equal(line, "DOMID NAME            TOT      CLAIM SHARE%");
    /* Control characters in a name never reach the terminal. */
    widths[1] = 30;
    top_cols_line(line, sizeof(line), ids, widths, 2, &r, TOP_UNIT_PAGES);
    assert_null(strchr(line, 0x1b));
    assert_string_equal(line, "    7 a-very-long-name?[2J");
}

static void test_col_find(void **state)
{
    assert_ptr_equal(top_col_find("claim"), &top_cols[TOP_COL_CLAIM]);
    assert_ptr_equal(top_col_find("SHARE%"), &top_cols[TOP_COL_SHARE]);
    assert_ptr_equal(top_col_find("Last Event"), &top_cols[TOP_COL_LAST]);
    assert_null(top_col_find("bogus"));
    assert_null(top_col_find(NULL));
}

/* ---- model --------------------------------------------------------- */

static void test_model_rates(void **state)
{
    struct top_model m;
    const struct dspec a[] = {
        { 0, "Domain-0", 100, 100, 0, 0, 0, 0, 0 },
        { 1, "web", 10, 500, 90, 100, 2, 0, 0 },
        { 3, "db", 10, 500, 0, 50, 9, 0, 0 },
    };
    const struct dspec b[] = {
        { 0, "Domain-0", 100, 100, 0, 0, 0, 0, 0 },
        { 1, "web", 210, 500, 40, 300, 5, 0, 0 },
        { 2, "new", 1, 500, 10, 10, 1, 0, 0 },
        { 3, "db", 10, 500, 0, 20, 9, 0, 0 },   /* domid reused */
    };
    const struct top_row *r;

    top_model_init(&m);
    assert_null(top_model_current(&m));
    fill(&m, XCS_UP, 1000000000, 1000, 0, 90, 10, 4, a, 3);
    assert_int_equal(top_model_commit(&m), 0);
    assert_true(top_model_live(&m));
    r = row_of(&m, 1);
    assert_true(r->draw_rate < 0 && r->denial_rate < 0);
    assert_true(m.host.stake_rate < 0);

    fill(&m, XCS_UP, 3000000000, 800, 0, 50, 16, 7, b, 4);
    assert_int_equal(top_model_commit(&m), 0);
    assert_int_equal(m.nrows, 4);
    assert_true(m.host.dt == 2.0);
    assert_true(m.host.stake_rate == 3.0);     /* (16 - 10) / 2 s */
    assert_true(m.host.denial_rate == 1.5);    /* (7 - 4) / 2 s */
    assert_true(m.host.denials_rising);
    r = row_of(&m, 1);
    assert_true(r->draw_rate == 100.0);        /* (300 - 100) / 2 s */
    assert_true(r->denial_rate == 1.5);
    assert_true(r->denials_rising);
    r = row_of(&m, 2);
    assert_true(r->draw_rate < 0);             /* not there before */
    assert_false(r->denials_rising);
    r = row_of(&m, 3);
    assert_true(r->draw_rate < 0);             /* counters went back */
    assert_false(r->denials_rising);

    /* After a gap (the source was down) nothing is a rate. */
    top_model_gap(&m);
    fill(&m, XCS_UP, 4000000000, 800, 0, 50, 20, 9, b, 4);
    assert_int_equal(top_model_commit(&m), 0);
    assert_true(m.host.stake_rate < 0);
    assert_true(row_of(&m, 1)->draw_rate < 0);
    fill(&m, XCS_UP, 5000000000, 800, 0, 50, 21, 9, b, 4);
    assert_int_equal(top_model_commit(&m), 0);
    assert_true(m.host.stake_rate == 1.0);
    /* Time that does not move gives no rate either. */
    fill(&m, XCS_UP, 5000000000, 800, 0, 50, 22, 9, b, 4);
    assert_int_equal(top_model_commit(&m), 0);
    assert_true(m.host.stake_rate < 0);
    top_model_free(&m);
}

static void test_model_headroom(void **state)
{
    struct top_model m;
    const struct dspec d[] = {
        { 1, "a", 1, 1000, 150, 0, 0, 2000000000, 3000000000 },
        { 2, "b", 1, 1000, 50, 0, 0, 0, 0 },
        { 4, "c", 1, 1000, 0, 0, 0, 1000000000, 0 },
    };
    const struct top_row *r;

    top_model_init(&m);
    /* Claims (200) above free (100) and above free + freeable (150). */
    fill(&m, XCS_UP, 5000000000, 100, 50, 200, 0, 0, d, 3);
    assert_int_equal(top_model_commit(&m), 0);
    assert_int_equal(m.host.pool, 150);
    assert_true(m.host.headroom == -50);
    assert_true(m.host.over_free);
    r = row_of(&m, 1);
    assert_true(fabs(r->share - 100.0) < 1e-9);         /* 150 of 150 */
    assert_true(r->claim_age_ns == 3000000000);
    assert_true(r->event_age_ns == 2000000000);
    r = row_of(&m, 2);
    assert_true(fabs(r->share - 50.0 * 100 / 150) < 1e-9);
    assert_true(r->claim_age_ns < 0);       /* stake time unknown */
    assert_true(r->event_age_ns < 0);
    r = row_of(&m, 4);
    assert_true(r->claim_age_ns < 0);       /* no claim: no age */

    /* Nothing wraps at the extremes. */
    fill(&m, XCS_UP, 1, 0, 0, UINT64_MAX, 0, 0, d, 0);
    assert_int_equal(top_model_commit(&m), 0);
    assert_true(m.host.headroom == INT64_MIN);
    fill(&m, XCS_UP, 2, UINT64_MAX, 0, 0, 0, 0, d, 0);
    assert_int_equal(top_model_commit(&m), 0);
    assert_true(m.host.headroom == INT64_MAX);
    fill(&m, XCS_UP, 3, 0, 0, 0, 0, 0, d, 1);
    assert_int_equal(top_model_commit(&m), 0);
    assert_true(m.rows[0].share < 0);       /* nothing free: unknown */
    fill(&m, XCS_DOWN, 4, 0, 0, 0, 0, 0, d, 1);
    assert_int_equal(top_model_commit(&m), 0);
    assert_false(top_model_live(&m));
    top_model_free(&m);
}

static void test_model_view(void **state)
{
    struct top_model m;
    const struct dspec d[] = {
        { 0, "Domain-0", 1, 1, 0, 0, 0, 0, 0 },
        { 1, "web1", 1, 1, 30, 0, 0, 0, 0 },
        { 2, "WEB2", 1, 1, 50, 0, 0, 0, 0 },
        { 10, "db", 1, 1, 30, 0, 0, 0, 0 },
        { 21, "cache", 1, 1, 30, 0, 0, 0, 0 },
    };
    uint32_t order[8];
    unsigned int i;

    top_model_init(&m);
    fill(&m, XCS_UP, 1, 1000, 0, 140, 0, 0, d, 5);
    assert_int_equal(top_model_commit(&m), 0);

    /* By claim, largest first; ties by domid ascending. */
    assert_int_equal(top_model_view(&m, top_cols[TOP_COL_CLAIM].compare,
                                    true, NULL), 5);
    for (i = 0; i < m.nview; i++)
        order[i] = m.rows[m.view[i]].d->domid;
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 10);
    assert_int_equal(order[3], 21);
    assert_int_equal(order[4], 0);
    assert_int_equal(top_model_find(&m, 21), 3);
    assert_int_equal(top_model_find(&m, 99), -1);

    /* Smallest first: ties still by domid ascending. */
    top_model_view(&m, top_cols[TOP_COL_CLAIM].compare, false, "");
    assert_int_equal(m.rows[m.view[0]].d->domid, 0);
    assert_int_equal(m.rows[m.view[1]].d->domid, 1);
    assert_int_equal(m.rows[m.view[4]].d->domid, 2);

    /* Name filter, any case. */
    assert_int_equal(top_model_view(&m, top_cols[TOP_COL_NAME].compare,
                                    false, "wEb"), 2);
    assert_int_equal(m.rows[m.view[0]].d->domid, 1);
    assert_int_equal(m.rows[m.view[1]].d->domid, 2);
    /* A digit matches domids and names: 1, 10, 21 and web1, WEB2? no. */
    assert_int_equal(top_model_view(&m, NULL, false, "1"), 3);
    assert_int_equal(m.rows[m.view[0]].d->domid, 1);
    assert_int_equal(m.rows[m.view[1]].d->domid, 10);
    assert_int_equal(m.rows[m.view[2]].d->domid, 21);
    assert_int_equal(top_model_view(&m, NULL, false, "nothing"), 0);
    top_model_free(&m);
}

/* A polling source sees no events: no counter is shown as if known. */
static void test_model_no_counters(void **state)
{
    const struct dspec d[] = {
        { 0, "Domain-0", 100, 100, 0, 0, 0, 0, 0 },
        { 1, "web", 10, 500, 90, 0, 0, 0, 0 },
    };
    struct top t;
    char *out, cell[32];

    init_top(&t);
    t.model.no_counters = true;
    t.opt.out = TOP_OUT_JSON;
    fill(&t.model, XCS_UP, 1000000000, 1000, 0, 90, 0, 0, d, 2);
    assert_int_equal(top_model_commit(&t.model), 0);
    fill(&t.model, XCS_UP, 2000000000, 1000, 0, 90, 0, 0, d, 2);
    assert_int_equal(top_model_commit(&t.model), 0);
    top_refresh_view(&t);
    assert_true(t.model.host.stake_rate < 0);
    assert_false(t.model.rows[1].counters);
    assert_true(t.model.rows[1].draw_rate < 0);
    top_cols[TOP_COL_DENIALS].print(cell, sizeof(cell), &t.model.rows[1],
                                    TOP_UNIT_PAGES);
    assert_string_equal(cell, "-");
    out = frame_text(&t);
    assert_non_null(strstr(out, "\"stakes\":null,\"refused\":null,"
                            "\"denials\":null,"));
    assert_non_null(strstr(out, "\"claim_pages\":90,"));
    assert_null(strstr(out, "\"denials\":0"));
    free(out);
    free_top(&t);
}

/* ---- events -------------------------------------------------------- */

static void push(struct top_events *e, uint32_t domid, uint64_t t)
{
    struct xcs_event ev = { .kind = XCS_EV_STAKE, .time_ns = t,
                            .domid = domid };

    snprintf(ev.text, sizeof(ev.text), "d%u at %" PRIu64, domid, t);
    top_events_push(e, &ev);
}

static void test_events(void **state)
{
    struct top_events e;
    uint64_t t;

    assert_int_equal(top_events_init(&e, 4, 3), 0);
    assert_null(top_events_recent(&e, 0));
    for (t = 1; t <= 6; t++)
        push(&e, t % 2 ? 1 : 2, t);     /* host ring keeps 3, 4, 5, 6 */
    top_events_watch(&e, 1);
    assert_int_equal(top_events_recent(&e, 0)->time_ns, 5);
    assert_int_equal(top_events_recent(&e, 1)->time_ns, 3);
    assert_null(top_events_recent(&e, 2));
    push(&e, 1, 7);
    push(&e, 2, 8);
    push(&e, 1, 9);
    /* The watched ring keeps its own 3 newest. */
    assert_int_equal(top_events_recent(&e, 0)->time_ns, 9);
    assert_int_equal(top_events_recent(&e, 1)->time_ns, 7);
    assert_int_equal(top_events_recent(&e, 2)->time_ns, 5);
    assert_null(top_events_recent(&e, 3));
    assert_string_equal(top_events_recent(&e, 0)->text, "d1 at 9");
    assert_int_equal(e.seen, 9);
    top_events_watch(&e, TOP_NO_DOMAIN);
    assert_null(top_events_recent(&e, 0));
    top_events_free(&e);
}

/* ---- options ------------------------------------------------------- */

static int parse(struct top_opts *o, const char *line)
{
    static char buf[256];   /* options keep pointers into it */
    char *argv[32], *p, *err_buf = NULL;
    size_t err_len = 0;
    FILE *err = open_memstream(&err_buf, &err_len);
    int argc = 0, r;

    snprintf(buf, sizeof(buf), "xenclaimtop %s", line);
    for (p = strtok(buf, " "); p && argc < 31; p = strtok(NULL, " "))
        argv[argc++] = p;
    argv[argc] = NULL;
    r = top_opts_parse(o, argc, argv, err, err);
    fclose(err);
    free(err_buf);
    return r;
}

static void test_options(void **state)
{
    struct top_opts o;

    unsetenv("NO_COLOR");
    assert_int_equal(parse(&o, ""), 0);
    assert_int_equal(o.src.kind, XCS_MOCK);
    assert_true(o.src_default && o.color);
    assert_null(o.src.path);
    assert_int_equal(o.out, TOP_OUT_CURSES);
    assert_int_equal(o.unit, TOP_UNIT_MIB);
    assert_ptr_equal(o.sort, &top_cols[TOP_COL_CLAIM]);

    assert_int_equal(parse(&o, "-b -i 3 -d 0.25 -u pages -C"), 0);
    assert_int_equal(o.out, TOP_OUT_TEXT);
    assert_int_equal(o.iterations, 3);
    assert_true(o.interval == 0.25);
    assert_int_equal(o.unit, TOP_UNIT_PAGES);
    assert_false(o.color);
    assert_int_equal(parse(&o, "--json -s /x/s --sort name -r -F web"), 0);
    assert_int_equal(o.out, TOP_OUT_JSON);
    assert_string_equal(o.src.path, "/x/s");
    assert_false(o.src_default);
    assert_ptr_equal(o.sort, &top_cols[TOP_COL_NAME]);
    assert_true(o.reverse);
    assert_string_equal(o.filter, "web");
    assert_int_equal(parse(&o, "-b --csv -"), 0);
    assert_int_equal(o.out, TOP_OUT_CSV);
    assert_int_equal(o.src.kind, XCS_TRACE_FD);
    assert_int_equal(o.src.fd, 0);
    assert_int_equal(parse(&o, "t.trace --speed 0 -f --tolerant"), 0);
    assert_int_equal(o.src.kind, XCS_TRACE_FILE);
    assert_string_equal(o.src.path, "t.trace");
    assert_true(o.src.speed == 0 && o.src.follow && o.src.tolerant);
    assert_int_equal(parse(&o, "--step t.trace"), 0);
    assert_true(o.src.step);
    assert_int_equal(parse(&o, "--xenctrl"), 0);
    assert_int_equal(o.src.kind, XCS_XENCTRL);

    setenv("NO_COLOR", "1", 1);
    assert_int_equal(parse(&o, ""), 0);
    assert_false(o.color);
    setenv("NO_COLOR", "", 1);
    assert_int_equal(parse(&o, ""), 0);
    assert_true(o.color);           /* empty: as if unset */
    unsetenv("NO_COLOR");

    assert_int_equal(parse(&o, "--speed 2"), -EINVAL);
    assert_int_equal(parse(&o, "-f"), -EINVAL);
    assert_int_equal(parse(&o, "--step -b t"), -EINVAL);
    assert_int_equal(parse(&o, "--step --speed 2 t"), -EINVAL);
    assert_int_equal(parse(&o, "a b"), -EINVAL);
    assert_int_equal(parse(&o, "-s x t"), -EINVAL);
    assert_int_equal(parse(&o, "--xenctrl t"), -EINVAL);
    assert_int_equal(parse(&o, "--sort bogus"), -EINVAL);
    assert_int_equal(parse(&o, "-d 0"), -EINVAL);
    assert_int_equal(parse(&o, "-d x"), -EINVAL);
    assert_int_equal(parse(&o, "-i 0"), -EINVAL);
    assert_int_equal(parse(&o, "-u MB"), -EINVAL);
    assert_int_equal(parse(&o, "--speed -1 t"), -EINVAL);
    assert_int_equal(parse(&o, "--bogus"), -EINVAL);
}

/* ---- keys ---------------------------------------------------------- */

static const struct dspec key_doms[] = {
    { 0, "Domain-0", 100, 100, 0, 0, 0, 0, 0 },
    { 1, "web1", 10, 500, 30, 0, 0, 0, 0 },
    { 2, "db", 10, 500, 50, 0, 0, 0, 0 },
    { 3, "web2", 10, 500, 40, 0, 0, 0, 0 },
};

static void keys_top(struct top *t)
{
    init_top(t);
    fill(&t->model, XCS_UP, 1, 1000, 0, 120, 0, 0, key_doms, 4);
    assert_int_equal(top_model_commit(&t->model), 0);
    top_refresh_view(t);
}

static void type(struct top *t, const char *s, int *flags)
{
    for (; *s; s++)
        *flags |= top_key(t, (unsigned char)*s);
}

static void test_keys_sort_units(void **state)
{
    struct top t;
    int f;

    keys_top(&t);
    /* Claims largest first: db 50, web2 40, web1 30, Domain-0 0. */
    assert_int_equal(t.model.rows[t.model.view[0]].d->domid, 2);
    f = top_key(&t, 'S');
    assert_true(f & TOP_KEY_HANDLED && f & TOP_KEY_REFRESH);
    assert_ptr_equal(t.sort, &top_cols[TOP_COL_SHARE]);
    top_key(&t, '<');
    top_key(&t, '<');
    assert_ptr_equal(t.sort, &top_cols[TOP_COL_MAX]);
    for (f = 0; f < TOP_NCOLS; f++)
        top_key(&t, '>');
    assert_ptr_equal(t.sort, &top_cols[TOP_COL_MAX]);   /* full cycle */
    t.sort = &top_cols[TOP_COL_NAME];
    top_refresh_view(&t);
    assert_int_equal(t.model.rows[t.model.view[0]].d->domid, 2); /* db */
    top_key(&t, 'I');
    assert_true(t.reverse);
    top_refresh_view(&t);
    assert_int_equal(t.model.rows[t.model.view[0]].d->domid, 3); /* web2 */
    top_key(&t, 'r');
    assert_false(t.reverse);

    assert_int_equal(t.unit, TOP_UNIT_PAGES);
    top_key(&t, 'u');
    assert_int_equal(t.unit, TOP_UNIT_MIB);
    top_key(&t, 'u');
    top_key(&t, 'u');
    assert_int_equal(t.unit, TOP_UNIT_PAGES);
    assert_true(top_key(&t, KEY_RESIZE) & TOP_KEY_REDRAW);
    assert_true(top_key(&t, 'L' & 0x1f) & TOP_KEY_REDRAW);
    assert_true(top_key(&t, 'q') & TOP_KEY_QUIT);
    assert_true(top_key(&t, KEY_F(10)) & TOP_KEY_QUIT);
    assert_int_equal(top_key(&t, ' '), 0);  /* stepping is for --step */
    assert_int_equal(top_key(&t, 'x'), 0);
    free_top(&t);
}

static void test_keys_filter_interval(void **state)
{
    struct top t;
    int f = 0;

    keys_top(&t);
    f = top_key(&t, '/');
    assert_int_equal(t.input, TOP_INPUT_FILTER);
    type(&t, "web", &f);
    assert_string_equal(t.filter, "web");
    assert_true(f & TOP_KEY_REFRESH);
    top_refresh_view(&t);
    assert_int_equal(t.model.nview, 2);
    /* While typing, q is text, not quit. */
    f = top_key(&t, 'q');
    assert_false(f & TOP_KEY_QUIT);
    top_key(&t, KEY_BACKSPACE);
    assert_string_equal(t.filter, "web");
    top_key(&t, '\r');
    assert_int_equal(t.input, TOP_INPUT_NONE);
    assert_string_equal(t.filter, "web");
    top_key(&t, KEY_F(4));
    top_key(&t, '2');
    top_key(&t, 27);                        /* Esc clears */
    assert_int_equal(t.input, TOP_INPUT_NONE);
    assert_string_equal(t.filter, "");

    assert_true(t.interval == 1);
    top_key(&t, '+');
    assert_true(t.interval == 2);
    top_key(&t, '-');
    top_key(&t, '-');
    assert_true(t.interval == 0.5);
    top_key(&t, 'd');
    assert_int_equal(t.input, TOP_INPUT_DELAY);
    type(&t, "2x.5", &f);                   /* x is not part of a number */
    assert_string_equal(t.line, "2.5");
    top_key(&t, '\n');
    assert_true(t.interval == 2.5);
    top_key(&t, 'D');
    type(&t, "0", &f);
    top_key(&t, '\n');
    assert_true(t.interval == 2.5);         /* 0 s refused */
    assert_non_null(strstr(t.note, "not an interval"));
    free_top(&t);
}

static void test_keys_modes(void **state)
{
    struct top t;
    int f;

    keys_top(&t);
    f = top_key(&t, 'z');
    assert_true(t.paused);
    assert_false(f & TOP_KEY_SNAPSHOT);
    f = top_key(&t, 'Z');
    assert_false(t.paused);
    assert_true(f & TOP_KEY_SNAPSHOT);      /* resuming shows the present */

    top_key(&t, 'h');
    assert_int_equal(t.mode, TOP_MODE_HELP);
    top_key(&t, 'x');                       /* any key closes it */
    assert_int_equal(t.mode, TOP_MODE_MAIN);
    top_key(&t, KEY_F(1));
    assert_int_equal(t.mode, TOP_MODE_HELP);
    assert_true(top_key(&t, 'q') & TOP_KEY_QUIT);

    t.mode = TOP_MODE_MAIN;
    t.table_rows = 2;
    assert_int_equal(t.sel, 0);
    top_key(&t, KEY_DOWN);
    top_key(&t, 'j');
    assert_int_equal(t.sel, 2);
    top_key(&t, KEY_END);
    assert_int_equal(t.sel, 3);
    top_key(&t, KEY_DOWN);
    assert_int_equal(t.sel, 3);
    top_key(&t, KEY_PPAGE);
    assert_int_equal(t.sel, 2);
    top_key(&t, KEY_HOME);
    assert_int_equal(t.sel, 0);
    top_key(&t, KEY_UP);
    assert_int_equal(t.sel, 0);
    top_key(&t, KEY_DOWN);
    assert_int_equal(t.sel_domid, 3);       /* web2: second by claim */
    /* The selection stays on its domain when the order changes. */
    t.sort = &top_cols[TOP_COL_DOMID];
    top_refresh_view(&t);
    assert_int_equal(t.model.rows[t.model.view[t.sel]].d->domid, 3);

    top_key(&t, '\r');
    assert_int_equal(t.mode, TOP_MODE_DETAIL);
    assert_int_equal(t.detail_domid, 3);
    assert_int_equal(t.events.watch, 3);
    top_key(&t, KEY_DOWN);                  /* no events: stays */
    assert_int_equal(t.detail_scroll, 0);
    top_key(&t, 27);
    assert_int_equal(t.mode, TOP_MODE_MAIN);
    assert_int_equal(t.events.watch, TOP_NO_DOMAIN);
    free_top(&t);
}

/* ---- batch output -------------------------------------------------- */

static void test_batch_json(void **state)
{
    const struct dspec d[] = {
        { 0, "Domain-0", 262144, 262144, 0, 0, 0, 0, 0 },
        { 5, "we\"ird\\", 1000, 4096, 3000, 12, 1, 1000000000,
          2000000000 },
    };
    char want[256], *out;
    struct top t;

    init_top(&t);
    t.opt.out = TOP_OUT_JSON;
    fill(&t.model, XCS_UP, 3000000000, 786432, 1000, 3000, 4, 1, d, 2);
    assert_int_equal(top_model_commit(&t.model), 0);
    top_refresh_view(&t);
    out = frame_text(&t);
    assert_non_null(strstr(out, "\"state\":\"UP\",\"message\":\"\","
                            "\"live\":true,\"units\":\"pages\""));
    assert_non_null(strstr(out, "\"free_pages\":786432,"
                            "\"freeable_pages\":1000,"
                            "\"outstanding_pages\":3000,"));
    snprintf(want, sizeof(want), "\"headroom_pages\":%d,",
             786432 + 1000 - 3000);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "\"name\":\"we\\\"ird\\\\\""));
    assert_non_null(strstr(out, "\"claim_pages\":3000,"));
    snprintf(want, sizeof(want), "\"share_pct\":%.6f,",
             3000 * 100.0 / (786432 + 1000));
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "\"claim_age_s\":2.000,"));
    assert_non_null(strstr(out, "\"drawn_pages_per_s\":null"));
    assert_int_equal(out[strlen(out) - 1], '\n');
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
    free(out);

    /* In MiB: exact values, keys say so. */
    t.unit = TOP_UNIT_MIB;
    out = frame_text(&t);
    assert_non_null(strstr(out, "\"free_mib\":3072,"));
    assert_non_null(strstr(out, "\"claim_mib\":11.71875,"));
    free(out);

    /* A source that went down: no figures at all. */
    top_note_status(&t, XCS_DOWN, "gone");
    out = frame_text(&t);
    assert_non_null(strstr(out, "\"state\":\"DOWN\",\"message\":\"gone\","
                            "\"live\":false"));
    assert_non_null(strstr(out, "\"host\":null,\"domains\":[]}"));
    assert_null(strstr(out, "786432"));
    free(out);
    free_top(&t);
}

static void test_batch_csv_text(void **state)
{
    const struct dspec d[] = {
        { 0, "Domain-0", 262144, 262144, 0, 0, 0, 0, 0 },
        { 7, "a,b", 10, 20, 5, 0, 0, 0, 0 },
    };
    char *out, *l, *nl;
    struct top t;
    int header = 0, lines = 0;

    init_top(&t);
    t.opt.out = TOP_OUT_CSV;
    fill(&t.model, XCS_UP, 1, 1000, 0, 5, 0, 0, d, 2);
    assert_int_equal(top_model_commit(&t.model), 0);
    top_refresh_view(&t);
    out = frame_text(&t);
    top_note_status(&t, XCS_FAILED, "corrupt");
    l = frame_text(&t);
    out = realloc(out, strlen(out) + strlen(l) + 1);
    strcat(out, l);
    free(l);
    /* Every line has as many fields as the header. */
    for (l = out; *l; l = nl + 1) {
        nl = strchr(l, '\n');
        assert_non_null(nl);
        if (!header)
            header = csv_fields(l, (size_t)(nl - l));
        else if (csv_fields(l, (size_t)(nl - l)) != header)
            fail_msg("line %d: %d fields, header %d: %.*s", lines,
                     csv_fields(l, (size_t)(nl - l)), header,
                     (int)(nl - l), l);
        lines++;
    }
    assert_int_equal(lines, 5);     /* header, host, 2 domains, down */
    assert_non_null(strstr(out, "claim_pages"));
    assert_non_null(strstr(out, ",domain,7,\"a,b\",10,20,5,"));
    assert_non_null(strstr(out, "\n2,"));
    assert_non_null(strstr(out, ",FAILED,host,"));
    free(out);

    t.opt.out = TOP_OUT_TEXT;
    top_note_status(&t, XCS_UP, NULL);
    out = frame_text(&t);
    assert_non_null(strstr(out, "DOMID NAME"));
    assert_non_null(strstr(out, "LAST EVENT"));
    assert_non_null(strstr(out, "free 1000  freeable 0  claims 5  "
                            "headroom 995"));
    free(out);
    free_top(&t);
}

/* ---- frames from real trace sources -------------------------------- */

struct trace_file {
    char path[64];
};

/* A valid start: dump (host, dom0), domain 5 created, a claim on it. */
static void write_start(struct xct_tt *t)
{
    uint32_t w[XCT_MAX_WORDS];

    assert_int_equal(xct_tt_add(t, 0, XCT_EV_HEAP, 1, 1000, w,
                                xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL,
                                             50000, 100, 0)), 0);
    assert_int_equal(xct_tt_add(t, 0, XCT_EV_DOMAIN, 1, 1001, w,
                                xct_enc_DOMAIN(w, 0, XCT_DOM_DUMP, 4096,
                                               4096, 0)), 0);
    assert_int_equal(xct_tt_add(t, 0, XCT_EV_DOMAIN, 1, 2000, w,
                                xct_enc_DOMAIN(w, 5, XCT_DOM_CREATED, 0,
                                               8192, 0)), 0);
    assert_int_equal(xct_tt_add(t, 0, XCT_EV_CLAIM, 1, 3000, w,
                                xct_enc_CLAIM(w, 5, 0, 0, 6000, 6000, 0)),
                     0);
}

static void open_trace(struct top *t, const char *path, bool step)
{
    char err[256];

    t->opt.src.kind = XCS_TRACE_FILE;
    t->opt.src.path = path;
    t->opt.src.speed = 0;
    t->opt.src.step = step;
    t->replay = true;
    t->st = XCS_STARTING;
    t->src = xcs_open(&t->opt.src, err, sizeof(err));
    if (!t->src)
        fail_msg("xcs_open %s: %s", path, err);
}

static void test_state_trace(void **state)
{
    char path[] = "/tmp/test_top.XXXXXX";
    struct xct_tt *tt;
    const struct xcs_snapshot *s;
    const struct top_row *r;
    struct top t;
    int fd, i;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tt = xct_tt_new(path);
    assert_non_null(tt);
    write_start(tt);
    assert_int_equal(xct_tt_drain(tt, 0), 0);
    assert_int_equal(xct_tt_close(tt), 0);

    init_top(&t);
    open_trace(&t, path, false);
    for (i = 0; i < 200 && xcs_status(t.src, NULL) != XCS_IDLE; i++)
        xcs_poll(t.src, 10);
    top_take_snapshot(&t);
    assert_int_equal(t.st, XCS_IDLE);
    assert_string_equal(top_status_word(&t), "END");
    s = top_model_current(&t.model);
    assert_non_null(s);
    assert_int_equal(s->host.free_pages, 50000);
    assert_int_equal(s->host.freeable_pages, 100);
    r = row_of(&t.model, 5);
    assert_non_null(r);
    assert_int_equal(r->d->claim, 6000);
    assert_int_equal(r->d->max_pages, 8192);
    assert_true(t.model.host.headroom ==
                (int64_t)(50000 + 100) - (int64_t)s->host.outstanding_pages);
    assert_int_equal(t.model.nview, 2);
    xcs_close(t.src);
    free_top(&t);
    unlink(path);
}

static void test_state_corrupt(void **state)
{
    char path[] = "/tmp/test_top.XXXXXX";
    static const uint8_t junk[64] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };
    struct xct_tt *tt;
    const struct xcs_snapshot *s;
    struct top t;
    char *out;
    int fd, r, i;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tt = xct_tt_new(path);
    assert_non_null(tt);
    write_start(tt);
    assert_int_equal(xct_tt_drain(tt, 0), 0);
    assert_int_equal(xct_tt_raw(tt, junk, sizeof(junk)), 0);
    assert_int_equal(xct_tt_close(tt), 0);

    init_top(&t);
    t.opt.out = TOP_OUT_JSON;
    open_trace(&t, path, true);
    r = xcs_step(t.src, 4);
    assert_int_equal(r, 4);
    top_take_snapshot(&t);
    assert_int_equal(t.st, XCS_UP);
    s = top_model_current(&t.model);
    assert_non_null(s);
    assert_int_equal(s->nr_domains, 2);

    for (i = 0; i < 10 && xcs_status(t.src, NULL) != XCS_FAILED; i++)
        xcs_step(t.src, 1);
    assert_int_equal(xcs_status(t.src, NULL), XCS_FAILED);
    top_take_snapshot(&t);
    assert_int_equal(t.st, XCS_FAILED);
    assert_true(t.down_seen);
    assert_true(t.st_msg[0] != 0);
    /* The last good figures stay, without rates, and are not live. */
    assert_ptr_equal(top_model_current(&t.model), s);
    assert_int_equal(s->nr_domains, 2);
    assert_true(t.model.host.stake_rate < 0);
    out = frame_text(&t);
    assert_non_null(strstr(out, "\"state\":\"FAILED\""));
    assert_non_null(strstr(out, "\"host\":null"));
    free(out);
    xcs_close(t.src);
    free_top(&t);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unit_parse),
        cmocka_unit_test(test_unit_exact),
        cmocka_unit_test(test_unit_people),
        cmocka_unit_test(test_fmt_age_rate),
        cmocka_unit_test(test_parse_seconds),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_col_find),
        cmocka_unit_test(test_model_rates),
        cmocka_unit_test(test_model_headroom),
        cmocka_unit_test(test_model_view),
        cmocka_unit_test(test_model_no_counters),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_keys_sort_units),
        cmocka_unit_test(test_keys_filter_interval),
        cmocka_unit_test(test_keys_modes),
        cmocka_unit_test(test_batch_json),
        cmocka_unit_test(test_batch_csv_text),
        cmocka_unit_test(test_state_trace),
        cmocka_unit_test(test_state_corrupt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
