/* test_sources.c: unit tests of the xcs trace backends (file, step, speed, follow, fd stream) (cmocka). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sources/xcs.h"
#include "xct_events.h"
#include "xct_testtrace.h"

/*
 * Traces are built with xct_testtrace and the xct_enc_* encoders; the
 * expected figures are worked out by hand in the comments next to the
 * records, never taken from the code under test.
 */

/* ---- checks that say expected and seen ---------------------------------- */

static void eq_u(const char *file, int line, const char *what, uint64_t exp,
                 uint64_t got)
{
    if (exp == got)
        return;
    print_error("%s: expected %" PRIu64 ", seen %" PRIu64 "\n", what, exp,
                got);
    _fail(file, line);
}

static void eq_s(const char *file, int line, const char *what,
                 const char *exp, const char *got)
{
    if (!strcmp(exp, got))
        return;
    print_error("%s: expected '%s', seen '%s'\n", what, exp, got);
    _fail(file, line);
}

static void has_s(const char *file, int line, const char *what,
                  const char *needle, const char *hay)
{
    if (strstr(hay, needle))
        return;
    print_error("%s: expected to contain '%s', seen '%s'\n", what, needle,
                hay);
    _fail(file, line);
}

#define EQ(what, exp, got) eq_u(__FILE__, __LINE__, what, (exp), (got))
#define EQS(what, exp, got) eq_s(__FILE__, __LINE__, what, (exp), (got))
#define HAS(what, needle, hay) has_s(__FILE__, __LINE__, what, (needle), (hay))

/* ---- helpers ------------------------------------------------------------ */

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#define LIMIT_MS 10000u     /* failure bound of every wait */

static void add(struct xct_tt *t, unsigned int cpu, uint32_t ev, uint64_t tsc,
                const uint32_t *w, unsigned int n)
{
    assert_int_equal(xct_tt_add(t, cpu, ev, 1, tsc, w, n), 0);
}

/* Files go to a directory of this run, removed whatever the outcome. */
static char tmpdir[64];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/xcs-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[384];

    (void)state;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
    return 0;
}

static void tmpname(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "%s/%s.xt", tmpdir, tag);
}

static void save(const struct xct_tt *t, const char *path)
{
    assert_int_equal(xct_tt_save(t, path), 0);
}

static void append_bytes(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

struct evlog {
    unsigned int n;
    enum xcs_event_kind kind[64];
    uint64_t time[64];
    unsigned int issues;
    char last_issue[160];
    int ordered;            /* event times never went down */
};

static void on_event(void *opaque, const struct xcs_event *ev)
{
    struct evlog *l = opaque;

    if (l->n && ev->time_ns < l->time[(l->n - 1) % 64])
        l->ordered = 0;
    if (ev->kind == XCS_EV_ISSUE) {
        l->issues++;
        snprintf(l->last_issue, sizeof(l->last_issue), "%s", ev->text);
    }
    l->kind[l->n % 64] = ev->kind;
    l->time[l->n % 64] = ev->time_ns;
    l->n++;
}

static struct xcs *open_src(struct xcs_opts *o)
{
    char err[256];
    struct xcs *s = xcs_open(o, err, sizeof(err));

    if (!s)
        print_error("xcs_open: %s\n", err);
    assert_non_null(s);
    return s;
}

static void snap(struct xcs *s, struct xcs_snapshot *sn)
{
    assert_int_equal(xcs_snapshot(s, sn), 0);
}

static const struct xcs_domain *dom(const struct xcs_snapshot *sn,
                                    uint32_t id)
{
    unsigned int i;

    for (i = 0; i < sn->nr_domains; i++)
        if (sn->doms[i].domid == id)
            return &sn->doms[i];
    return NULL;
}

/* Poll until the status is st (or LIMIT_MS passes); returns the status. */
static enum xcs_status poll_until(struct xcs *s, enum xcs_status st)
{
    uint64_t end = mono_ms() + LIMIT_MS;

    while (xcs_status(s, NULL) != st && mono_ms() < end)
        xcs_poll(s, 20);
    return xcs_status(s, NULL);
}

/* Poll until host.records reaches n (or LIMIT_MS); returns records. */
static uint64_t poll_records(struct xcs *s, uint64_t n)
{
    struct xcs_snapshot sn = { 0 };
    uint64_t end = mono_ms() + LIMIT_MS, got;

    for (;;) {
        snap(s, &sn);
        got = sn.host.records;
        if (got >= n || mono_ms() >= end ||
            xcs_status(s, NULL) == XCS_FAILED)
            break;
        xcs_poll(s, 20);
    }
    xcs_snapshot_release(&sn);
    return got;
}

/* ---- the hand-computed scenario ----------------------------------------- */

/*
 * Two CPUs.  TSCs interleave across the CPUs while the file holds CPU 0's
 * window before CPU 1's, so the records must be merged by TSC:
 *
 *  cpu tsc  record                                   state afterwards
 *   0  100  heap dump free 3000 outstanding 0         dump starts
 *   0  110  domain dump d0 tot 1000 max 1000          d0
 *   0  120  domain dump d1 tot 500 max 4000           d1
 *   0  200  domain created d2 tot 0 max 3000          d2 (dump ends)
 *   0  300  claim d2 -> 2000, claim 2000, tot 0       d2 claim 2000, stakes 1
 *   1  350  claim_draw d2 order 9 drawn 512 claim 1488 free 2488
 *   1  360  tot_pages d2 +512 -> 512 claim 1488 free 2488
 *   1  400  claim d1 -> 3000 refused -ENOMEM          host refused 1
 *   0  450  alloc_denied d1 order 10, own claim 0     host denials 1
 *   0  451  heap denied free 2488 outstanding 1488    (1488 + 1024 > 2488)
 *   1  500  claim d2 -> 0 (cancel), tot 512
 *   1  501  claim_release d2 cancel 1488 left, outstanding 0
 *   0  600  domain dying d1 tot 500
 *   0  610  tot_pages d1 -500 -> 0 free 2988
 *   0  620  domain destroyed d1                        d1 gone
 *
 * Final: free 2988, freeable 0, outstanding 0, exact; 15 records; stakes
 * 1, refused 1, denials 1; d0 (1000/1000/0); d2 tot 512 max 3000 claim 0,
 * stakes 1, cancels 1, pages_drawn 512, last event "release" at 501.
 * Events, in order: dump, created, stake, draw, tot_pages, refused,
 * denial, cancel, release, dying, tot_pages, destroyed.
 */
#define SC_RECORDS 15u
#define SC_CUT_TSC 250u         /* first round of windows: TSC <= 250 */

static struct xct_tt *scenario(void)
{
    struct xct_tt *t = xct_tt_new(NULL);
    uint32_t w[XCT_MAX_WORDS];
    unsigned int n;

    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 3000, 0, 0);
    add(t, 0, XCT_EV_HEAP, 100, w, n);
    n = xct_enc_DOMAIN(w, 0, XCT_DOM_DUMP, 1000, 1000, 0);
    add(t, 0, XCT_EV_DOMAIN, 110, w, n);
    n = xct_enc_DOMAIN(w, 1, XCT_DOM_DUMP, 500, 4000, 0);
    add(t, 0, XCT_EV_DOMAIN, 120, w, n);
    n = xct_enc_DOMAIN(w, 2, XCT_DOM_CREATED, 0, 3000, 0);
    add(t, 0, XCT_EV_DOMAIN, 200, w, n);
    n = xct_enc_CLAIM(w, 2, 0, 0, 2000, 2000, 0);
    add(t, 0, XCT_EV_CLAIM, 300, w, n);
    n = xct_enc_CLAIM_DRAW(w, 2, 9, 512, 1488, 2488);
    add(t, 1, XCT_EV_CLAIM_DRAW, 350, w, n);
    n = xct_enc_TOT_PAGES(w, 2, 512, 512, 1488, 2488);
    add(t, 1, XCT_EV_TOT_PAGES, 360, w, n);
    n = xct_enc_CLAIM(w, 1, 0, -ENOMEM, 3000, 0, 500);
    add(t, 1, XCT_EV_CLAIM, 400, w, n);
    n = xct_enc_ALLOC_DENIED(w, 1, 10, 0, 0);
    add(t, 0, XCT_EV_ALLOC_DENIED, 450, w, n);
    n = xct_enc_HEAP(w, XCT_HEAP_DENIED, XCT_NODE_ALL, 2488, 0, 1488);
    add(t, 0, XCT_EV_HEAP, 451, w, n);
    n = xct_enc_CLAIM(w, 2, 0, 0, 0, 0, 512);
    add(t, 1, XCT_EV_CLAIM, 500, w, n);
    n = xct_enc_CLAIM_RELEASE(w, 2, XCT_RELEASE_CANCEL, 1488, 0);
    add(t, 1, XCT_EV_CLAIM_RELEASE, 501, w, n);
    n = xct_enc_DOMAIN(w, 1, XCT_DOM_DYING, 500, 4000, 0);
    add(t, 0, XCT_EV_DOMAIN, 600, w, n);
    n = xct_enc_TOT_PAGES(w, 1, -500, 0, 0, 2988);
    add(t, 0, XCT_EV_TOT_PAGES, 610, w, n);
    n = xct_enc_DOMAIN(w, 1, XCT_DOM_DESTROYED, 0, 4000, 0);
    add(t, 0, XCT_EV_DOMAIN, 620, w, n);
    assert_int_equal(xct_tt_poll(t, SC_CUT_TSC, 0), 0);
    assert_int_equal(xct_tt_poll(t, UINT64_MAX, 0), 0);
    return t;
}

static const enum xcs_event_kind sc_events[] = {
    XCS_EV_DUMP, XCS_EV_CREATED, XCS_EV_STAKE, XCS_EV_DRAW,
    XCS_EV_TOT_PAGES, XCS_EV_REFUSED, XCS_EV_DENIAL, XCS_EV_CANCEL,
    XCS_EV_RELEASE, XCS_EV_DYING, XCS_EV_TOT_PAGES, XCS_EV_DESTROYED,
};

static void check_scenario(struct xcs *s, const struct evlog *l)
{
    struct xcs_snapshot sn = { 0 };
    const struct xcs_domain *d;
    unsigned int i;

    snap(s, &sn);
    EQ("records", SC_RECORDS, sn.host.records);
    EQ("free", 2988, sn.host.free_pages);
    EQ("freeable", 0, sn.host.freeable_pages);
    EQ("outstanding", 0, sn.host.outstanding_pages);
    EQ("total (unknown in a trace)", 0, sn.host.total_pages);
    EQ("exact", 1, sn.host.exact);
    EQ("stakes", 1, sn.host.stakes);
    EQ("refused", 1, sn.host.refused);
    EQ("denials", 1, sn.host.denials);
    EQ("denials_anon", 0, sn.host.denials_anon);
    EQ("failed", 0, sn.host.failed);
    EQ("lost", 0, sn.host.lost);
    EQ("issues", 0, sn.host.issues);
    EQ("foreign", 0, sn.host.foreign);
    EQ("now_ns (last TSC at 1 GHz)", 620, sn.host.now_ns);
    EQ("domains", 2, sn.nr_domains);
    EQ("first domain", 0, sn.doms[0].domid);
    EQ("second domain", 2, sn.doms[1].domid);
    d = dom(&sn, 0);
    assert_non_null(d);
    EQ("d0 tot", 1000, d->tot_pages);
    EQ("d0 max", 1000, d->max_pages);
    EQ("d0 claim", 0, d->claim);
    EQS("d0 name", "", d->name);
    d = dom(&sn, 2);
    assert_non_null(d);
    EQ("d2 tot", 512, d->tot_pages);
    EQ("d2 max", 3000, d->max_pages);
    EQ("d2 claim", 0, d->claim);
    EQ("d2 stakes", 1, d->stakes);
    EQ("d2 cancels", 1, d->cancels);
    EQ("d2 pages_drawn", 512, d->pages_drawn);
    EQ("d2 dying", 0, d->dying);
    EQS("d2 last event", "release", d->last_event);
    EQ("d2 last event time", 501, d->last_event_ns);
    EQ("events", sizeof(sc_events) / sizeof(sc_events[0]), l->n);
    for (i = 0; i < l->n && i < sizeof(sc_events) / sizeof(sc_events[0]);
         i++)
        EQS("event kind", xcs_event_kind_name(sc_events[i]),
            xcs_event_kind_name(l->kind[i]));
    EQ("events in time order", 1, l->ordered);
    xcs_snapshot_release(&sn);
}

/* ---- trace file --------------------------------------------------------- */

static void file_replay(void **state)
{
    struct xct_tt *t = scenario();
    struct xcs_opts o = { .kind = XCS_TRACE_FILE };
    struct evlog l = { .ordered = 1 };
    char path[128];
    struct xcs *s;

    (void)state;
    tmpname(path, sizeof(path), "replay");
    save(t, path);
    xct_tt_free(t);
    o.path = path;
    s = open_src(&o);
    xcs_set_event_cb(s, on_event, &l);
    EQS("status at open", "starting", xcs_status_name(xcs_status(s, NULL)));
    EQS("status", "idle", xcs_status_name(poll_until(s, XCS_IDLE)));
    check_scenario(s, &l);
    EQ("poll at the end", 0, (uint64_t)xcs_poll(s, 0));
    xcs_close(s);
    unlink(path);
}

static void file_missing(void **state)
{
    struct xcs_opts o = { .kind = XCS_TRACE_FILE,
                          .path = "/nonexistent/xcs-test.xt" };
    char err[256];

    (void)state;
    assert_null(xcs_open(&o, err, sizeof(err)));
    EQ("errno", ENOENT, errno);
    HAS("message", "/nonexistent/xcs-test.xt", err);
}

static void step_mode(void **state)
{
    struct xct_tt *t = scenario();
    struct xcs_opts o = { .kind = XCS_TRACE_FILE, .step = true };
    struct xcs_snapshot sn = { 0 };
    char path[128];
    struct xcs *s;

    (void)state;
    tmpname(path, sizeof(path), "step");
    save(t, path);
    xct_tt_free(t);
    o.path = path;
    s = open_src(&o);
    EQ("poll takes nothing in step mode", 0, (uint64_t)xcs_poll(s, 10));
    snap(s, &sn);
    EQ("records after a poll", 0, sn.host.records);
    EQ("step 4", 4, (uint64_t)xcs_step(s, 4));
    snap(s, &sn);
    EQ("records after step 4", 4, sn.host.records);
    /* The first 4 records: the dump (d0, d1) and d2 created at 200. */
    EQ("domains after 4", 3, sn.nr_domains);
    EQ("now after 4", 200, sn.host.now_ns);
    EQ("step 1", 1, (uint64_t)xcs_step(s, 1));
    snap(s, &sn);
    EQ("records after step 1", 5, sn.host.records);
    EQ("d2 claim after its stake", 2000, dom(&sn, 2)->claim);
    EQ("outstanding after the stake", 2000, sn.host.outstanding_pages);
    EQ("step 100 takes the rest", SC_RECORDS - 5,
       (uint64_t)xcs_step(s, 100));
    EQ("step at the end", 0, (uint64_t)xcs_step(s, 1));
    snap(s, &sn);
    EQ("records at the end", SC_RECORDS, sn.host.records);
    EQ("free at the end", 2988, sn.host.free_pages);
    xcs_snapshot_release(&sn);
    xcs_close(s);
    unlink(path);
}

/*
 * Speed 1: records 10 ms apart over 150 ms of trace time (1 GHz) cannot
 * all be in before 150 ms of CLOCK_MONOTONIC have passed since the first
 * was fed (which is after the clock was read here).
 */
static void speed_pacing(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FILE, .speed = 1 };
    struct xcs_snapshot sn = { 0 };
    uint32_t w[XCT_MAX_WORDS];
    uint64_t t0, elapsed;
    unsigned int i, n;
    char path[128];
    struct xcs *s;

    (void)state;
    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 1000, 0, 0);
    add(t, 0, XCT_EV_HEAP, 1000000000ull, w, n);
    for (i = 1; i <= 15; i++) {
        n = xct_enc_HEAP(w, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 1000 - i, 0,
                         0);
        add(t, i % 2, XCT_EV_HEAP, 1000000000ull + i * 10000000ull, w, n);
    }
    assert_int_equal(xct_tt_drain(t, 0), 0);
    tmpname(path, sizeof(path), "speed");
    save(t, path);
    xct_tt_free(t);
    o.path = path;
    t0 = mono_ms();
    s = open_src(&o);
    EQS("status", "idle", xcs_status_name(poll_until(s, XCS_IDLE)));
    elapsed = mono_ms() - t0;
    snap(s, &sn);
    EQ("records", 16, sn.host.records);
    EQ("free", 985, sn.host.free_pages);
    if (elapsed < 150) {
        print_error("paced replay of 150 ms took %" PRIu64 " ms\n", elapsed);
        fail();
    }
    xcs_snapshot_release(&sn);
    xcs_close(s);
    unlink(path);
}

/*
 * Follow: the file grows by whole windows, then by half a window (which
 * must wait, not fail), then by the rest.
 */
static void follow_mode(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FILE, .follow = true };
    struct xcs_snapshot sn = { 0 };
    uint32_t w[XCT_MAX_WORDS];
    size_t len, cut1, cut2, half;
    const uint8_t *b;
    char path[128];
    struct xcs *s;
    unsigned int n;
    uint64_t i;

    (void)state;
    assert_non_null(t);
    /* Part 1: a dump with d0 and d7, then 3 tot_pages records of d7. */
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 10000, 0, 0);
    add(t, 0, XCT_EV_HEAP, 100, w, n);
    n = xct_enc_DOMAIN(w, 0, XCT_DOM_DUMP, 100, 100, 0);
    add(t, 0, XCT_EV_DOMAIN, 101, w, n);
    n = xct_enc_DOMAIN(w, 7, XCT_DOM_DUMP, 0, 5000, 0);
    add(t, 0, XCT_EV_DOMAIN, 102, w, n);
    for (i = 1; i <= 3; i++) {
        n = xct_enc_TOT_PAGES(w, 7, 10, 10 * i, 0, 10000 - 10 * i);
        add(t, 1, XCT_EV_TOT_PAGES, 200 + i, w, n);
    }
    assert_int_equal(xct_tt_drain(t, 0), 0);
    cut1 = (size_t)xct_tt_size(t);
    /* Part 2: 4 more on CPU 1, then 2 on CPU 0 (two windows). */
    for (i = 4; i <= 7; i++) {
        n = xct_enc_TOT_PAGES(w, 7, 10, 10 * i, 0, 10000 - 10 * i);
        add(t, 1, XCT_EV_TOT_PAGES, 300 + i, w, n);
    }
    for (i = 8; i <= 9; i++) {
        n = xct_enc_TOT_PAGES(w, 7, 10, 10 * i, 0, 10000 - 10 * i);
        add(t, 0, XCT_EV_TOT_PAGES, 400 + i, w, n);
    }
    assert_int_equal(xct_tt_drain(t, 0), 0);
    cut2 = (size_t)xct_tt_size(t);
    /* Part 3: one window of 5 records on CPU 1. */
    for (i = 10; i <= 14; i++) {
        n = xct_enc_TOT_PAGES(w, 7, 10, 10 * i, 0, 10000 - 10 * i);
        add(t, 1, XCT_EV_TOT_PAGES, 500 + i, w, n);
    }
    assert_int_equal(xct_tt_drain(t, 0), 0);
    b = xct_tt_bytes(t, &len);

    tmpname(path, sizeof(path), "follow");
    {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, b, cut1), (ssize_t)cut1);
        close(fd);
    }
    o.path = path;
    s = open_src(&o);
    EQ("part 1 records", 6, poll_records(s, 6));
    EQS("idle at the end", "idle", xcs_status_name(poll_until(s,
                                                               XCS_IDLE)));
    append_bytes(path, b + cut1, cut2 - cut1);
    EQ("part 2 records", 12, poll_records(s, 12));
    /* Part of part 3's window: its header, 2 of its 5 records (40
     * bytes each) and 6 bytes of the third. */
    half = XCT_CPU_CHANGE_BYTES + 2 * 40 + 6;
    append_bytes(path, b + cut2, half);
    xcs_poll(s, 50);
    xcs_poll(s, 50);
    snap(s, &sn);
    EQ("a partial window waits", 12, sn.host.records);
    EQS("status with a partial window", "idle",
        xcs_status_name(sn.status));
    append_bytes(path, b + cut2 + half, len - cut2 - half);
    EQ("part 3 records", 17, poll_records(s, 17));
    snap(s, &sn);
    /* d7: 14 records of +10 each. */
    EQ("d7 tot", 140, dom(&sn, 7)->tot_pages);
    EQ("free", 10000 - 140, sn.host.free_pages);
    EQ("issues", 0, sn.host.issues);
    EQ("exact", 1, sn.host.exact);
    xcs_snapshot_release(&sn);
    xcs_close(s);
    xct_tt_free(t);
    unlink(path);
}

/* Bytes of the scenario as a file, with the offset of its last window. */
static uint8_t *scenario_bytes(size_t *len)
{
    struct xct_tt *t = scenario();
    const uint8_t *b = xct_tt_bytes(t, len);
    uint8_t *copy = malloc(*len);

    assert_non_null(copy);
    memcpy(copy, b, *len);
    xct_tt_free(t);
    return copy;
}

/*
 * The scenario's windows: CPU 0 [100 110 120 200] (4 records of 24 bytes:
 * header + TSC + 3 or 5 words...); rather than count by hand, the file is
 * cut inside its last record: the reader then reports a truncated record
 * at that record's offset, len - record size.
 */
static void file_truncated(void **state)
{
    struct xcs_opts o = { .kind = XCS_TRACE_FILE };
    struct xcs_snapshot sn = { 0 };
    size_t len, recsz = 4 + 8 + 4 * XCT_NWORDS_CLAIM_RELEASE;
    uint8_t *b = scenario_bytes(&len);
    char path[128], want[64];
    const char *msg;
    struct xcs *s;

    (void)state;
    /* The last window is CPU 1's; its last record is the claim_release. */
    tmpname(path, sizeof(path), "trunc");
    {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, b, len - 6), (ssize_t)(len - 6));
        close(fd);
    }
    o.path = path;
    s = open_src(&o);
    EQS("status", "failed", xcs_status_name(poll_until(s, XCS_FAILED)));
    EQ("poll when failed", (uint64_t)-EBADMSG, (uint64_t)xcs_poll(s, 0));
    xcs_status(s, &msg);
    snprintf(want, sizeof(want), "offset %zu", len - recsz);
    HAS("message", want, msg);
    snap(s, &sn);
    /* Every record but the cut one went in first. */
    EQ("records", SC_RECORDS - 1, sn.host.records);
    EQ("not exact", 0, sn.host.exact);
    xcs_snapshot_release(&sn);
    xcs_close(s);
    free(b);
    unlink(path);
}

/* Garbage between two windows: strict fails at it, tolerant goes on. */
static void file_corrupt(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FILE };
    struct xcs_snapshot sn = { 0 };
    struct evlog l = { .ordered = 1 };
    uint32_t w[XCT_MAX_WORDS];
    uint8_t junk[40];
    char path[128], want[64];
    const char *msg;
    size_t at;
    struct xcs *s;
    unsigned int n, i;

    (void)state;
    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 500, 0, 0);
    add(t, 0, XCT_EV_HEAP, 10, w, n);
    assert_int_equal(xct_tt_drain(t, 0), 0);
    for (i = 1; i <= 3; i++) {
        n = xct_enc_HEAP(w, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 500 - i, 0,
                         0);
        add(t, 0, XCT_EV_HEAP, 10 + i, w, n);
        assert_int_equal(xct_tt_drain(t, 0), 0);
    }
    at = (size_t)xct_tt_size(t);
    memset(junk, 0xab, sizeof(junk));
    assert_int_equal(xct_tt_raw(t, junk, sizeof(junk)), 0);
    for (i = 4; i <= 6; i++) {
        n = xct_enc_HEAP(w, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 500 - i, 0,
                         0);
        add(t, 1, XCT_EV_HEAP, 10 + i, w, n);
    }
    assert_int_equal(xct_tt_drain(t, 0), 0);
    tmpname(path, sizeof(path), "corrupt");
    save(t, path);
    xct_tt_free(t);

    o.path = path;
    s = open_src(&o);
    EQS("strict", "failed", xcs_status_name(poll_until(s, XCS_FAILED)));
    xcs_status(s, &msg);
    snprintf(want, sizeof(want), "offset %zu", at);
    HAS("strict message", want, msg);
    snap(s, &sn);
    EQ("strict records before the junk", 4, sn.host.records);
    EQ("strict free", 497, sn.host.free_pages);
    xcs_close(s);

    o.tolerant = true;
    s = open_src(&o);
    xcs_set_event_cb(s, on_event, &l);
    EQS("tolerant", "idle", xcs_status_name(poll_until(s, XCS_IDLE)));
    snap(s, &sn);
    EQ("tolerant records", 7, sn.host.records);
    EQ("tolerant free", 494, sn.host.free_pages);
    EQ("tolerant issues", 1, sn.host.issues);
    EQ("issue events", 1, l.issues);
    HAS("issue text", want, l.last_issue);
    EQ("inexact after skipped data", 0, sn.host.exact);
    xcs_snapshot_release(&sn);
    xcs_close(s);
    unlink(path);
}

/*
 * A dump at the very end of a file: the replay cannot tell it is over,
 * but the snapshot must already leave out what it did not list (d2).
 */
static void dump_at_end(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FILE };
    struct xcs_snapshot sn = { 0 };
    uint32_t w[XCT_MAX_WORDS];
    char path[128];
    struct xcs *s;
    unsigned int n;

    (void)state;
    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 900, 0, 0);
    add(t, 0, XCT_EV_HEAP, 10, w, n);
    n = xct_enc_DOMAIN(w, 1, XCT_DOM_DUMP, 10, 20, 0);
    add(t, 0, XCT_EV_DOMAIN, 11, w, n);
    n = xct_enc_DOMAIN(w, 2, XCT_DOM_DUMP, 30, 40, 0);
    add(t, 0, XCT_EV_DOMAIN, 12, w, n);
    n = xct_enc_TOT_PAGES(w, 1, 5, 15, 0, 895);
    add(t, 0, XCT_EV_TOT_PAGES, 20, w, n);
    /* Second dump: d1 only (d2 went away unseen: records were lost). */
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 925, 0, 0);
    add(t, 0, XCT_EV_HEAP, 30, w, n);
    n = xct_enc_DOMAIN(w, 1, XCT_DOM_DUMP, 15, 20, 0);
    add(t, 0, XCT_EV_DOMAIN, 31, w, n);
    assert_int_equal(xct_tt_drain(t, 0), 0);
    tmpname(path, sizeof(path), "dumpend");
    save(t, path);
    xct_tt_free(t);
    o.path = path;
    s = open_src(&o);
    poll_until(s, XCS_IDLE);
    snap(s, &sn);
    EQ("domains", 1, sn.nr_domains);
    EQ("the one listed", 1, sn.doms[0].domid);
    EQ("its tot", 15, sn.doms[0].tot_pages);
    EQ("free", 925, sn.host.free_pages);
    EQ("exact", 1, sn.host.exact);
    xcs_snapshot_release(&sn);
    xcs_close(s);
    unlink(path);
}

/* ---- fd stream ---------------------------------------------------------- */

struct feeder {
    int fd;
    const uint8_t *b;
    size_t len;
    size_t cuts[8];         /* write up to cuts[i], then wait for go */
    unsigned int ncuts;
    sem_t go, sent;
};

static void *feeder_main(void *arg)
{
    struct feeder *f = arg;
    size_t at = 0;
    unsigned int i;

    for (i = 0; i <= f->ncuts; i++) {
        size_t to = i < f->ncuts ? f->cuts[i] : f->len;

        while (at < to) {
            ssize_t n = write(f->fd, f->b + at, to - at);

            if (n <= 0)
                break;
            at += (size_t)n;
        }
        sem_post(&f->sent);
        if (i < f->ncuts)
            sem_wait(&f->go);
    }
    close(f->fd);
    return NULL;
}

static void feeder_start(struct feeder *f, pthread_t *th, int wfd)
{
    f->fd = wfd;
    sem_init(&f->go, 0, 0);
    sem_init(&f->sent, 0, 0);
    assert_int_equal(pthread_create(th, NULL, feeder_main, f), 0);
}

static void feeder_join(struct feeder *f, pthread_t th)
{
    pthread_join(th, NULL);
    sem_destroy(&f->go);
    sem_destroy(&f->sent);
}

/* The whole scenario through a pipe in one go, then EOF: DOWN. */
static void fd_stream(void **state)
{
    struct xcs_opts o = { .kind = XCS_TRACE_FD };
    struct evlog l = { .ordered = 1 };
    struct feeder f = { 0 };
    const char *msg;
    pthread_t th;
    int p[2];
    struct xcs *s;

    (void)state;
    f.b = scenario_bytes(&f.len);
    assert_int_equal(pipe(p), 0);
    o.fd = p[0];
    s = open_src(&o);
    xcs_set_event_cb(s, on_event, &l);
    feeder_start(&f, &th, p[1]);
    EQS("status", "down", xcs_status_name(poll_until(s, XCS_DOWN)));
    xcs_status(s, &msg);
    EQS("message", "stream ended", msg);
    EQ("poll when down", (uint64_t)-ENOTCONN, (uint64_t)xcs_poll(s, 0));
    check_scenario(s, &l);
    feeder_join(&f, th);
    xcs_close(s);
    close(p[0]);
    free((void *)f.b);
}

/*
 * CPU 1 sends one window and then nothing more, ever; CPU 0's later
 * windows must still come through while the pipe stays open (no stall on
 * the idle CPU), and EOF then makes the source DOWN.
 */
static void fd_idle_cpu(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FD };
    struct xcs_snapshot sn = { 0 };
    struct feeder f = { 0 };
    uint32_t w[XCT_MAX_WORDS];
    const uint8_t *b;
    pthread_t th;
    unsigned int n;
    int p[2];
    struct xcs *s;

    (void)state;
    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 8000, 0, 0);
    add(t, 0, XCT_EV_HEAP, 100, w, n);
    n = xct_enc_DOMAIN(w, 3, XCT_DOM_DUMP, 0, 6000, 0);
    add(t, 0, XCT_EV_DOMAIN, 101, w, n);
    n = xct_enc_DOMAIN(w, 4, XCT_DOM_CREATED, 0, 6000, 0);
    add(t, 1, XCT_EV_DOMAIN, 150, w, n);
    assert_int_equal(xct_tt_drain(t, 0), 0);
    f.cuts[f.ncuts++] = (size_t)xct_tt_size(t);
    /* Phase 2, CPU 0 only: d3 stakes 4000, then d4 is refused. */
    n = xct_enc_CLAIM(w, 3, 0, 0, 4000, 4000, 0);
    add(t, 0, XCT_EV_CLAIM, 200, w, n);
    n = xct_enc_CLAIM(w, 4, 0, -ENOMEM, 5000, 0, 0);
    add(t, 0, XCT_EV_CLAIM, 210, w, n);
    assert_int_equal(xct_tt_drain(t, 0), 0);
    f.cuts[f.ncuts++] = (size_t)xct_tt_size(t);
    b = xct_tt_bytes(t, &f.len);
    f.b = b;

    assert_int_equal(pipe(p), 0);
    o.fd = p[0];
    s = open_src(&o);
    feeder_start(&f, &th, p[1]);
    sem_wait(&f.sent);
    EQ("phase 1 records", 3, poll_records(s, 3));
    sem_post(&f.go);
    sem_wait(&f.sent);
    EQ("phase 2 records (CPU 1 idle)", 5, poll_records(s, 5));
    snap(s, &sn);
    EQS("status while the pipe is open", "up", xcs_status_name(sn.status));
    EQ("d3 claim", 4000, dom(&sn, 3)->claim);
    EQ("outstanding", 4000, sn.host.outstanding_pages);
    EQ("refused", 1, sn.host.refused);
    EQ("d4 refused", 1, dom(&sn, 4)->refused);
    sem_post(&f.go);
    EQS("EOF", "down", xcs_status_name(poll_until(s, XCS_DOWN)));
    snap(s, &sn);
    EQ("records at the end", 5, sn.host.records);
    EQ("still exact as of the end of the stream", 1, sn.host.exact);
    xcs_snapshot_release(&sn);
    feeder_join(&f, th);
    xcs_close(s);
    close(p[0]);
    xct_tt_free(t);
}

/* Garbage on the stream: FAILED, with the offset of the garbage. */
static void fd_garbage(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FD };
    struct xcs_snapshot sn = { 0 };
    struct feeder f = { 0 };
    uint32_t w[XCT_MAX_WORDS];
    uint8_t junk[16];
    char want[64];
    const char *msg;
    size_t at;
    pthread_t th;
    unsigned int n;
    int p[2];
    struct xcs *s;

    (void)state;
    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 700, 0, 0);
    add(t, 0, XCT_EV_HEAP, 5, w, n);
    n = xct_enc_HEAP(w, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 690, 0, 0);
    add(t, 1, XCT_EV_HEAP, 6, w, n);
    assert_int_equal(xct_tt_drain(t, 0), 0);
    at = (size_t)xct_tt_size(t);
    memcpy(junk, "this is no trace", sizeof(junk));
    assert_int_equal(xct_tt_raw(t, junk, sizeof(junk)), 0);
    f.b = xct_tt_bytes(t, &f.len);
    assert_int_equal(pipe(p), 0);
    o.fd = p[0];
    s = open_src(&o);
    feeder_start(&f, &th, p[1]);
    EQS("status", "failed", xcs_status_name(poll_until(s, XCS_FAILED)));
    xcs_status(s, &msg);
    snprintf(want, sizeof(want), "offset %zu", at);
    HAS("message", want, msg);
    HAS("the reader's words", "CPU_CHANGE", msg);
    snap(s, &sn);
    EQ("records before the garbage", 2, sn.host.records);
    EQ("free", 690, sn.host.free_pages);
    xcs_snapshot_release(&sn);
    feeder_join(&f, th);
    xcs_close(s);
    close(p[0]);
    xct_tt_free(t);
}

/*
 * Tolerant stream: junk between windows is skipped (one issue naming
 * its offset) and what follows still comes through; EOF is DOWN.
 */
static void fd_tolerant(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FD, .tolerant = true };
    struct xcs_snapshot sn = { 0 };
    struct evlog l = { .ordered = 1 };
    struct feeder f = { 0 };
    uint32_t w[XCT_MAX_WORDS];
    uint8_t junk[40];
    char want[64];
    size_t at;
    pthread_t th;
    unsigned int n, i;
    int p[2];
    struct xcs *s;

    (void)state;
    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 700, 0, 0);
    add(t, 0, XCT_EV_HEAP, 5, w, n);
    n = xct_enc_HEAP(w, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 699, 0, 0);
    add(t, 1, XCT_EV_HEAP, 6, w, n);
    assert_int_equal(xct_tt_drain(t, 0), 0);
    at = (size_t)xct_tt_size(t);
    memset(junk, 0xab, sizeof(junk));
    assert_int_equal(xct_tt_raw(t, junk, sizeof(junk)), 0);
    /* After the junk: free 698, 697, 696 on both CPUs. */
    for (i = 0; i < 3; i++) {
        n = xct_enc_HEAP(w, XCT_HEAP_ANON_ALLOC, XCT_NODE_ALL, 698 - i, 0,
                         0);
        add(t, i % 2, XCT_EV_HEAP, 7 + i, w, n);
    }
    assert_int_equal(xct_tt_drain(t, 0), 0);
    f.b = xct_tt_bytes(t, &f.len);
    assert_int_equal(pipe(p), 0);
    o.fd = p[0];
    s = open_src(&o);
    xcs_set_event_cb(s, on_event, &l);
    feeder_start(&f, &th, p[1]);
    EQS("status", "down", xcs_status_name(poll_until(s, XCS_DOWN)));
    snap(s, &sn);
    EQ("records", 5, sn.host.records);
    EQ("free", 696, sn.host.free_pages);
    EQ("issues", 1, sn.host.issues);
    EQ("issue events", 1, l.issues);
    snprintf(want, sizeof(want), "offset %zu", at);
    HAS("issue text", want, l.last_issue);
    EQ("inexact after the junk", 0, sn.host.exact);
    xcs_snapshot_release(&sn);
    feeder_join(&f, th);
    xcs_close(s);
    close(p[0]);
    xct_tt_free(t);
}

/* ---- memory with 32,768 domains ----------------------------------------- */

#define BIG_DOMAINS 32768u

static void memory_32k(void **state)
{
    struct xct_tt *t = xct_tt_new(NULL);
    struct xcs_opts o = { .kind = XCS_TRACE_FILE };
    struct xcs_snapshot sn = { 0 };
    uint32_t w[XCT_MAX_WORDS];
    char path[128];
    struct xcs *s;
    unsigned int n, i;
    size_t mem, snapmem;
    uint64_t tsc = 1;

    (void)state;
    assert_non_null(t);
    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, 1u << 30, 0, 0);
    add(t, 0, XCT_EV_HEAP, tsc++, w, n);
    for (i = 0; i < BIG_DOMAINS; i++) {
        n = xct_enc_DOMAIN(w, i, XCT_DOM_DUMP, 1000, 2000, 0);
        add(t, 0, XCT_EV_DOMAIN, tsc++, w, n);
    }
    /* Every domain stakes 500 more (claim 500), spread over 4 CPUs. */
    for (i = 0; i < BIG_DOMAINS; i++) {
        n = xct_enc_CLAIM(w, i, 0, 0, 1500, 500, 1000);
        add(t, i % 4, XCT_EV_CLAIM, tsc++, w, n);
    }
    assert_int_equal(xct_tt_drain(t, 65536), 0);
    tmpname(path, sizeof(path), "big");
    save(t, path);
    xct_tt_free(t);
    o.path = path;
    s = open_src(&o);
    poll_until(s, XCS_IDLE);
    snap(s, &sn);
    EQ("domains", BIG_DOMAINS, sn.nr_domains);
    EQ("outstanding", 500ull * BIG_DOMAINS, sn.host.outstanding_pages);
    EQ("last domain's claim", 500, sn.doms[BIG_DOMAINS - 1].claim);
    EQ("stakes", BIG_DOMAINS, sn.host.stakes);
    EQ("issues", 0, sn.host.issues);
    mem = xcs_memory(s);
    snapmem = (size_t)sn.cap * sizeof(struct xcs_domain);
    print_message("# memory with %u domains: source %zu bytes, snapshot "
                  "%zu bytes\n", BIG_DOMAINS, mem, snapmem);
    if (mem + snapmem >= 64u << 20) {
        print_error("memory: expected < 64 MiB, seen %zu bytes\n",
                    mem + snapmem);
        fail();
    }
    xcs_snapshot_release(&sn);
    xcs_close(s);
    unlink(path);
}

/* ---- contract corners --------------------------------------------------- */

static void bad_opts(void **state)
{
    struct xcs_opts o = { .kind = XCS_TRACE_FD, .fd = -1 };
    char err[128];

    (void)state;
    assert_null(xcs_open(&o, err, sizeof(err)));
    EQ("errno", EINVAL, errno);
    o.kind = XCS_TRACE_FILE;
    o.path = NULL;
    assert_null(xcs_open(&o, err, sizeof(err)));
    EQ("errno", EINVAL, errno);
    assert_null(xcs_open(NULL, NULL, 0));
    EQ("poll NULL", (uint64_t)-EINVAL, (uint64_t)xcs_poll(NULL, 0));
    xcs_close(NULL);
    xcs_snapshot_release(NULL);
    EQS("status names", "down", xcs_status_name(XCS_DOWN));
    EQS("event kind names", "denial", xcs_event_kind_name(XCS_EV_DENIAL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_replay),
        cmocka_unit_test(file_missing),
        cmocka_unit_test(step_mode),
        cmocka_unit_test(speed_pacing),
        cmocka_unit_test(follow_mode),
        cmocka_unit_test(file_truncated),
        cmocka_unit_test(file_corrupt),
        cmocka_unit_test(dump_at_end),
        cmocka_unit_test(fd_stream),
        cmocka_unit_test(fd_idle_cpu),
        cmocka_unit_test(fd_garbage),
        cmocka_unit_test(fd_tolerant),
        cmocka_unit_test(memory_32k),
        cmocka_unit_test(bad_opts),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
