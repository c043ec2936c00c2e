/* test_reader.c: the trace reader on hand-built files and the real one. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xct_dump.h"
#include "xct_events.h"
#include "xct_reader.h"
#include "xct_testtrace.h"

/*
 * Sizes used in the offset comments below: a window header (H) is 12
 * bytes; a record with a TSC and k words is 12 + 4k bytes, one without a
 * TSC 4 + 4k.  EV is a scheduler-class event (class bit 17) that no code
 * here treats specially.
 */
#define EV      0x00021001u
#define EV2     0x00021002u

static char tmpdir[64];
static int tmpseq;

/* ---- building files by hand --------------------------------------------- */

static struct xct_tt *tt(void)
{
    struct xct_tt *t = xct_tt_new(NULL);

    assert_non_null(t);
    return t;
}

static void H(struct xct_tt *t, int32_t cpu, uint32_t size)
{
    assert_int_equal(xct_tt_header(t, cpu, size), 0);
}

/* A record with a TSC and no words (12 bytes). */
static void R(struct xct_tt *t, uint64_t tsc)
{
    assert_int_equal(xct_tt_raw_record(t, EV, 1, tsc, NULL, 0), 0);
}

/* A record of event ev, TSC or not, nw words of value 0x100 + i. */
static void RX(struct xct_tt *t, uint32_t ev, int has_tsc, uint64_t tsc,
               unsigned int nw)
{
    uint32_t w[7];
    unsigned int i;

    for (i = 0; i < 7; i++)
        w[i] = 0x100 + i;
    assert_int_equal(xct_tt_raw_record(t, ev, has_tsc, tsc, w, nw), 0);
}

static void LOST(struct xct_tt *t, uint64_t tsc, uint32_t lost)
{
    uint32_t w[4] = { lost, 1, (uint32_t)(tsc - 1), 0 };

    assert_int_equal(xct_tt_raw_record(t, XCT_TRC_LOST_RECORDS, 1, tsc, w,
                                       4), 0);
}

static void RAW(struct xct_tt *t, const void *p, size_t n)
{
    assert_int_equal(xct_tt_raw(t, p, n), 0);
}

/* ---- reading through every input path ----------------------------------- */

enum mode {
    M_MEM,          /* xct_reader_new_mem */
    M_MAP,          /* a file, mapped */
    M_STREAM1,      /* a file read one byte per read(2) */
    M_STREAM7,      /* seven bytes per read(2) */
    M_STREAM,       /* default read size */
    M_PIPE,         /* a pipe fed by a thread */
    NMODES
};

static const char *const mode_names[] = {
    "mem", "map", "stream1", "stream7", "stream", "pipe"
};

struct item {
    enum xct_read_status st;
    uint64_t tsc;
    unsigned int cpu;
    uint64_t off;
    int code;
    uint32_t event;
    uint32_t w0;
    uint32_t nwords;
    uint32_t has_tsc;
};

struct run {
    struct item *it;
    size_t n, cap;
    struct xct_reader_stats st;
    uint64_t lost;
};

struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t done = 0, chunk = 1;

    while (done < f->len) {
        size_t n = f->len - done < chunk ? f->len - done : chunk;
        ssize_t w = write(f->fd, f->buf + done, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;      /* the reader stopped early: EPIPE */
        done += (size_t)w;
        chunk = chunk * 3 + 1;      /* 1, 4, 13, 40 ... bytes */
        if (chunk > 70000)
            chunk = 5;
    }
    close(f->fd);
    return NULL;
}

static void push(struct run *out, const struct item *it)
{
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->it = realloc(out->it, out->cap * sizeof(*out->it));
        assert_non_null(out->it);
    }
    out->it[out->n++] = *it;
}

static void drain(struct xct_reader *r, struct run *out)
{
    struct xct_record rec;
    size_t guard = 0;

    for (;;) {
        struct item it;

        memset(&it, 0, sizeof(it));
        memset(&rec, 0, sizeof(rec));
        it.st = xct_reader_next(r, &rec);
        it.off = xct_reader_offset(r);
        if (it.st == XCT_READ_OK) {
            it.tsc = rec.tsc;
            it.cpu = xct_reader_cpu(r);
            it.event = rec.event;
            it.w0 = rec.words[0];
            it.nwords = rec.nwords;
            it.has_tsc = rec.has_tsc;
            assert_string_equal(xct_reader_message(r), "");
            assert_int_equal(xct_reader_error(r), 0);
        } else {
            it.code = xct_reader_error(r);
            if (it.st != XCT_READ_END)
                assert_true(strlen(xct_reader_message(r)) > 0);
        }
        push(out, &it);
        if (it.st != XCT_READ_OK && xct_reader_at_end(r))
            break;
        if (++guard > 50000000)
            fail_msg("reader does not stop");
    }
    xct_reader_stats(r, &out->st);
    out->lost = xct_reader_lost(r);
}

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Read buf (len bytes) through mode; path is a copy of it on disk. */
static void read_mode(enum mode m, const uint8_t *buf, size_t len,
                      const char *path, unsigned int flags, struct run *out)
{
    struct xct_reader_opts o = { flags, 0 };
    struct xct_reader *r;
    struct feeder fd_arg;
    pthread_t th;
    int p[2];

    memset(out, 0, sizeof(*out));
    switch (m) {
    case M_MEM:
        r = xct_reader_new_mem(buf, len, &o);
        break;
    case M_MAP:
        r = xct_reader_new(path, &o);
        break;
    case M_STREAM1:
    case M_STREAM7:
    case M_STREAM:
        o.flags |= XCT_READER_STREAM;
        o.read_size = m == M_STREAM1 ? 1 : m == M_STREAM7 ? 7 : 0;
        r = xct_reader_new(path, &o);
        break;
    case M_PIPE:
    default:
        assert_int_equal(pipe(p), 0);
        fd_arg.fd = p[1];
        fd_arg.buf = buf;
        fd_arg.len = len;
        assert_int_equal(pthread_create(&th, NULL, feed, &fd_arg), 0);
        r = xct_reader_new_fd(p[0], &o);
        assert_non_null(r);
        drain(r, out);
        xct_reader_free(r);
        close(p[0]);
        pthread_join(th, NULL);
        return;
    }
    assert_non_null(r);
    drain(r, out);
    xct_reader_free(r);
}

/* What a case expects, item by item. */
struct exp {
    enum xct_read_status st;
    uint64_t tsc;
    unsigned int cpu;
    uint64_t off;
    int code;
};

#define OK(tsc, cpu, off)   { XCT_READ_OK, (tsc), (cpu), (off), 0 }
#define END(off)            { XCT_READ_END, 0, 0, (off), 0 }
#define TRUNC(off, code)    { XCT_READ_TRUNCATED, 0, 0, (off), XCT_E_##code }
#define ERR(off, code)      { XCT_READ_ERROR, 0, 0, (off), XCT_E_##code }

static const char *st_name(enum xct_read_status s)
{
    return xct_read_status_name(s);
}

static void check_items(const char *name, const char *mode,
                        const struct run *got, const struct exp *want,
                        size_t nwant)
{
    size_t i;

    for (i = 0; i < nwant && i < got->n; i++) {
        const struct item *g = &got->it[i];
        const struct exp *w = &want[i];

        if (g->st != w->st || g->off != w->off || g->code != w->code ||
            (w->st == XCT_READ_OK && (g->tsc != w->tsc || g->cpu != w->cpu)))
            fail_msg("%s (%s): item %zu: expected %s tsc=%" PRIu64 " cpu%u "
                     "offset %" PRIu64 " code %s, got %s tsc=%" PRIu64
                     " cpu%u offset %" PRIu64 " code %s", name, mode, i,
                     st_name(w->st), w->tsc, w->cpu, w->off,
                     w->code ? xct_error_name(w->code) : "0", st_name(g->st),
                     g->tsc, g->cpu, g->off,
                     g->code ? xct_error_name(g->code) : "0");
    }
    if (got->n != nwant)
        fail_msg("%s (%s): expected %zu items, got %zu", name, mode, nwant,
                 got->n);
}

static void free_run(struct run *r)
{
    free(r->it);
    r->it = NULL;
}

/*
 * Read t's bytes through every input path with flags; each must give
 * exactly want.  *first gets the run of the first path (caller frees).
 */
static void check_case(const char *name, struct xct_tt *t, unsigned int flags,
                       const struct exp *want, size_t nwant,
                       struct run *first)
{
    const uint8_t *buf;
    size_t len;
    char path[128];
    int m;

    buf = xct_tt_bytes(t, &len);
    snprintf(path, sizeof(path), "%s/case%d.trace", tmpdir, tmpseq++);
    write_file(path, buf, len);
    for (m = 0; m < NMODES; m++) {
        struct run got;

        read_mode((enum mode)m, buf, len, path, flags, &got);
        check_items(name, mode_names[m], &got, want, nwant);
        if (m == 0 && first)
            *first = got;
        else
            free_run(&got);
    }
    unlink(path);
}

#define CHECK(name, t, flags, first, ...)                                    \
    do {                                                                     \
        static const struct exp want_[] = { __VA_ARGS__ };                   \
        check_case(name, t, flags, want_, sizeof(want_) / sizeof(want_[0]),  \
                   first);                                                   \
    } while (0)

/* ---- the hand-built cases ----------------------------------------------- */

static void test_interleave(void **state)
{
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    H(t, 0, 36);            /* @0  window of CPU 0, 3 records */
    R(t, 10);               /* @12 */
    R(t, 30);               /* @24 */
    R(t, 50);               /* @36 */
    H(t, 1, 36);            /* @48 window of CPU 1 */
    R(t, 20);               /* @60 */
    R(t, 40);               /* @72 */
    R(t, 60);               /* @84, file ends at 96 */
    CHECK("interleave", t, 0, &r,
          OK(10, 0, 12), OK(20, 1, 60), OK(30, 0, 24), OK(40, 1, 72),
          OK(50, 0, 36), OK(60, 1, 84), END(96));
    assert_int_equal(r.st.records, 6);
    assert_int_equal(r.st.windows, 2);
    assert_int_equal(r.st.cpus, 2);
    assert_int_equal(r.st.bytes, 96);
    assert_int_equal(r.it[0].event, EV);
    assert_int_equal(r.it[0].has_tsc, 1);
    free_run(&r);
    xct_tt_free(t);
}

static void test_ties_by_file_order(void **state)
{
    struct xct_tt *t = tt();

    (void)state;
    H(t, 1, 24);            /* @0  CPU 1 first in the file */
    R(t, 100);              /* @12 */
    R(t, 200);              /* @24 */
    H(t, 0, 24);            /* @36 CPU 0 */
    R(t, 100);              /* @48 */
    R(t, 200);              /* @60, end 72 */
    CHECK("ties", t, 0, NULL,
          OK(100, 1, 12), OK(100, 0, 48), OK(200, 1, 24), OK(200, 0, 60),
          END(72));
    xct_tt_free(t);
}

static void test_records_without_tsc(void **state)
{
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    H(t, 0, 36);            /* @0 */
    R(t, 100);              /* @12 */
    RX(t, EV2, 0, 0, 1);    /* @24 no TSC, 1 word: 8 bytes */
    RX(t, EV2, 0, 0, 0);    /* @32 no TSC, no word: 4 bytes */
    R(t, 300);              /* @36 */
    H(t, 1, 12);            /* @48 */
    R(t, 200);              /* @60, end 72 */
    CHECK("notsc", t, 0, &r,
          OK(100, 0, 12), OK(100, 0, 24), OK(100, 0, 32), OK(200, 1, 60),
          OK(300, 0, 36), END(72));
    /* The inherited TSC is flagged as such, words come through. */
    assert_int_equal(r.it[1].has_tsc, 0);
    assert_int_equal(r.it[1].nwords, 1);
    assert_int_equal(r.it[1].w0, 0x100);
    assert_int_equal(r.it[2].nwords, 0);
    free_run(&r);
    xct_tt_free(t);

    /* Before its first TSC, a CPU's records carry TSC 0. */
    t = tt();
    H(t, 0, 8);             /* @0 */
    RX(t, EV2, 0, 0, 0);    /* @12 */
    RX(t, EV2, 0, 0, 0);    /* @16 */
    H(t, 1, 12);            /* @20 */
    R(t, 0);                /* @32, end 44 */
    CHECK("notsc-first", t, 0, NULL,
          OK(0, 0, 12), OK(0, 0, 16), OK(0, 1, 32), END(44));
    xct_tt_free(t);
}

static void test_wrap_padding(void **state)
{
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    H(t, 0, 40);            /* @0 */
    R(t, 10);               /* @12 */
    RX(t, XCT_TRC_WRAP_BUFFER, 0, 0, 0);   /* @24 padding, 4 bytes */
    R(t, 20);               /* @28 */
    RX(t, XCT_TRC_WRAP_BUFFER, 0, 0, 2);   /* @40 padding, 12 bytes */
    H(t, 1, 4);             /* @52 a window of padding only */
    RX(t, XCT_TRC_WRAP_BUFFER, 0, 0, 0);   /* @64 */
    H(t, 0, 12);            /* @68 */
    R(t, 30);               /* @80, end 92 */
    CHECK("wrap", t, 0, &r, OK(10, 0, 12), OK(20, 0, 28), OK(30, 0, 80),
          END(92));
    assert_int_equal(r.st.wraps, 3);
    assert_int_equal(r.st.records, 3);
    assert_int_equal(r.st.windows, 3);
    free_run(&r);
    xct_tt_free(t);
}

static void test_lost_records(void **state)
{
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    H(t, 0, 40);            /* @0 */
    R(t, 10);               /* @12 */
    LOST(t, 15, 7);         /* @24 TSC + 4 words: 28 bytes */
    H(t, 1, 40);            /* @52 */
    LOST(t, 12, 5);         /* @64 */
    R(t, 20);               /* @92, end 104 */
    CHECK("lost", t, 0, &r, OK(10, 0, 12), OK(12, 1, 64), OK(15, 0, 24),
          OK(20, 1, 92), END(104));
    assert_int_equal(r.lost, 12);
    assert_int_equal(r.st.lost, 12);
    assert_int_equal(r.st.lost_events, 2);
    assert_int_equal(r.it[1].event, XCT_TRC_LOST_RECORDS);
    assert_int_equal(r.it[1].w0, 5);
    free_run(&r);
    xct_tt_free(t);
}

static void test_truncated_record(void **state)
{
    struct xct_tt *t = tt();
    const uint8_t *b;
    size_t len;
    struct xct_tt *cut;

    (void)state;
    H(t, 0, 24);            /* @0 */
    R(t, 10);               /* @12 */
    R(t, 20);               /* @24 */
    H(t, 0, 24);            /* @36 */
    R(t, 30);               /* @48 */
    R(t, 40);               /* @60 .. 72 */
    b = xct_tt_bytes(t, &len);
    assert_int_equal(len, 72);

    /* Cut 6 bytes into the last record. */
    cut = tt();
    RAW(cut, b, 66);
    CHECK("trunc-record", cut, 0, NULL, OK(10, 0, 12), OK(20, 0, 24),
          OK(30, 0, 48), TRUNC(60, TRUNC_RECORD));
    xct_tt_free(cut);

    /* Cut inside its header word. */
    cut = tt();
    RAW(cut, b, 62);
    CHECK("trunc-record-header", cut, 0, NULL, OK(10, 0, 12), OK(20, 0, 24),
          OK(30, 0, 48), TRUNC(60, TRUNC_RECORD));
    xct_tt_free(cut);

    /* Tolerant mode cannot do better: nothing follows. */
    cut = tt();
    RAW(cut, b, 66);
    CHECK("trunc-record-tolerant", cut, XCT_READER_TOLERANT, NULL,
          OK(10, 0, 12), OK(20, 0, 24), OK(30, 0, 48),
          TRUNC(60, TRUNC_RECORD));
    xct_tt_free(cut);
    xct_tt_free(t);
}

static void test_truncated_window(void **state)
{
    struct xct_tt *t = tt();

    (void)state;
    H(t, 0, 36);            /* @0 declares 36 bytes */
    R(t, 10);               /* @12 */
    R(t, 20);               /* @24; the file ends at 36, 12 bytes short */
    CHECK("trunc-window", t, 0, NULL, OK(10, 0, 12), OK(20, 0, 24),
          TRUNC(36, TRUNC_WINDOW));
    xct_tt_free(t);
}

static void test_truncated_header(void **state)
{
    struct xct_tt *t = tt();
    uint8_t h[12];

    (void)state;
    xct_cpu_change_encode(h, 1, 12);
    H(t, 0, 12);            /* @0 */
    R(t, 10);               /* @12 */
    RAW(t, h, 6);           /* @24 half a header */
    CHECK("trunc-header", t, 0, NULL, OK(10, 0, 12),
          TRUNC(24, TRUNC_HEADER));
    xct_tt_free(t);

    t = tt();
    H(t, 0, 12);
    R(t, 10);
    RAW(t, h, 3);           /* @24 less than a word */
    CHECK("trunc-header-3", t, XCT_READER_TOLERANT, NULL, OK(10, 0, 12),
          TRUNC(24, TRUNC_HEADER));
    xct_tt_free(t);
}

static void test_window_split(void **state)
{
    struct xct_tt *t = tt();

    (void)state;
    H(t, 0, 16);            /* @0 declares 16 bytes: 12 + 4 */
    R(t, 10);               /* @12 */
    R(t, 20);               /* @24 crosses the end at 28 */
    H(t, 0, 12);            /* more file after it */
    R(t, 30);
    CHECK("split", t, 0, NULL, OK(10, 0, 12), ERR(24, WINDOW_SPLIT));
    xct_tt_free(t);

    /* The same at the very end of the file is still an error. */
    t = tt();
    H(t, 0, 16);
    R(t, 10);
    R(t, 20);
    CHECK("split-at-end", t, 0, NULL, OK(10, 0, 12), ERR(24, WINDOW_SPLIT));
    xct_tt_free(t);

    t = tt();
    H(t, 0, 12);            /* @0 */
    R(t, 10);               /* @12 */
    H(t, 0, 18);            /* @24 not a multiple of 4 */
    R(t, 20);
    RAW(t, "\0\0\0\0\0\0", 6);
    CHECK("size-not-x4", t, 0, NULL, OK(10, 0, 12), ERR(24, WINDOW_SIZE));
    xct_tt_free(t);

    t = tt();
    H(t, 0, XCT_WINDOW_MAX + 4);    /* @0 larger than any buffer */
    R(t, 10);
    CHECK("size-huge", t, 0, NULL, ERR(0, WINDOW_SIZE));
    xct_tt_free(t);
}

static void test_bad_cpu(void **state)
{
    struct xct_tt *t = tt();

    (void)state;
    H(t, 0, 12);            /* @0 */
    R(t, 10);               /* @12 */
    H(t, 300, 12);          /* @24 CPU 300 */
    R(t, 20);
    CHECK("cpu300", t, 0, NULL, OK(10, 0, 12), ERR(24, BAD_CPU));
    xct_tt_free(t);

    t = tt();
    H(t, -1, 12);           /* @0 CPU -1 */
    R(t, 20);
    CHECK("cpu-1", t, 0, NULL, ERR(0, BAD_CPU));
    xct_tt_free(t);

    t = tt();
    H(t, 255, 12);          /* the largest CPU is fine */
    R(t, 20);
    CHECK("cpu255", t, 0, NULL, OK(20, 255, 12), END(24));
    xct_tt_free(t);
}

static void test_tsc_backwards(void **state)
{
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    H(t, 0, 36);            /* @0 */
    R(t, 10);               /* @12 */
    R(t, 30);               /* @24 */
    R(t, 20);               /* @36 backwards */
    CHECK("tsc-back", t, 0, NULL, OK(10, 0, 12), OK(30, 0, 24),
          ERR(36, TSC_BACKWARDS));
    xct_tt_free(t);

    /* Across windows of the same CPU; another CPU does not count. */
    t = tt();
    H(t, 0, 12);            /* @0 */
    R(t, 50);               /* @12 */
    H(t, 1, 12);            /* @24 */
    R(t, 10);               /* @36 earlier, but CPU 1 */
    H(t, 0, 12);            /* @48 */
    R(t, 40);               /* @60 backwards on CPU 0 */
    CHECK("tsc-back-windows", t, 0, &r, OK(10, 1, 36), OK(50, 0, 12),
          ERR(60, TSC_BACKWARDS));
    assert_int_equal(r.st.errors, 1);
    free_run(&r);
    xct_tt_free(t);
}

static void test_class_bits(void **state)
{
    static const uint32_t bad[] = {
        0x0000f001,     /* no class bit */
        0x0003f001,     /* two class bits */
        0x0800f001,     /* TRC_GUEST: no bit in 16-23 */
        0x0fff0000,     /* all */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct xct_tt *t = tt();

        H(t, 0, 24);        /* @0 */
        R(t, 10);           /* @12 */
        RX(t, bad[i], 1, 20, 0);    /* @24 */
        CHECK("class", t, 0, NULL, OK(10, 0, 12), ERR(24, CLASS_BITS));
        xct_tt_free(t);
    }
}

static void test_garbage(void **state)
{
    static const char junk[] = "this is not a xentrace file at all";
    struct xct_tt *t = tt();

    (void)state;
    RAW(t, junk, sizeof(junk));
    CHECK("garbage", t, 0, NULL, ERR(0, NO_WINDOW));
    xct_tt_free(t);

    t = tt();
    H(t, 0, 12);            /* @0 */
    R(t, 10);               /* @12 */
    RAW(t, junk, 20);       /* @24 */
    CHECK("garbage-after", t, 0, NULL, OK(10, 0, 12), ERR(24, NO_WINDOW));
    xct_tt_free(t);

    /* A CPU_CHANGE header carrying a TSC is not a window header. */
    t = tt();
    RX(t, XCT_TRC_CPU_CHANGE, 1, 5, 2);
    CHECK("cpu-change-with-tsc", t, 0, NULL, ERR(0, NO_WINDOW));
    xct_tt_free(t);
}

static void test_empty(void **state)
{
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    CHECK("empty", t, 0, &r, END(0));
    assert_int_equal(r.st.windows, 0);
    assert_int_equal(r.st.records, 0);
    free_run(&r);

    /* Empty windows are fine. */
    H(t, 0, 0);             /* @0 */
    H(t, 1, 0);             /* @12 */
    CHECK("empty-windows", t, 0, &r, END(24));
    assert_int_equal(r.st.windows, 2);
    free_run(&r);
    xct_tt_free(t);
}

static void test_wrong_endian(void **state)
{
    /* A window written by a big-endian host: every word byte-swapped. */
    static const uint8_t be[] = {
        0x20, 0x01, 0xf0, 0x03, /* CPU_CHANGE header, big-endian */
        0x00, 0x00, 0x00, 0x00, /* cpu 0 */
        0x00, 0x00, 0x00, 0x0c, /* 12 bytes */
        0x80, 0x02, 0x10, 0x01, /* event 0x21001 with TSC */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
    };
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    RAW(t, be, sizeof(be));
    CHECK("endian", t, 0, &r, ERR(0, BYTE_ORDER));
    free_run(&r);
    xct_tt_free(t);
}

static void test_nested_and_lost_words(void **state)
{
    struct xct_tt *t = tt();
    uint32_t w[3] = { 1, 2, 3 };

    (void)state;
    H(t, 0, 36);            /* @0 */
    R(t, 10);               /* @12 */
    RX(t, XCT_TRC_CPU_CHANGE, 0, 0, 2);    /* @24 a header inside */
    R(t, 20);
    CHECK("nested", t, 0, NULL, OK(10, 0, 12), ERR(24, NESTED_WINDOW));
    xct_tt_free(t);

    t = tt();
    H(t, 0, 36);            /* @0 */
    R(t, 10);               /* @12 */
    assert_int_equal(xct_tt_raw_record(t, XCT_TRC_LOST_RECORDS, 1, 11, w, 3),
                     0);    /* @24 three words */
    CHECK("lost-words", t, 0, NULL, OK(10, 0, 12), ERR(24, LOST_WORDS));
    xct_tt_free(t);
}

static void test_strict_error_stays(void **state)
{
    struct xct_tt *t = tt();
    struct xct_reader *r;
    struct xct_record rec;
    const uint8_t *b;
    size_t len;
    int i;

    (void)state;
    H(t, 0, 12);
    R(t, 10);
    H(t, 300, 12);          /* @24 */
    b = xct_tt_bytes(t, &len);
    r = xct_reader_new_mem(b, len, NULL);
    assert_non_null(r);
    assert_int_equal(xct_reader_next(r, &rec), XCT_READ_OK);
    assert_int_equal(xct_reader_at_end(r), 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(xct_reader_next(r, &rec), XCT_READ_ERROR);
        assert_int_equal(xct_reader_offset(r), 24);
        assert_int_equal(xct_reader_error(r), XCT_E_BAD_CPU);
        assert_int_equal(xct_reader_at_end(r), 1);
        assert_non_null(strstr(xct_reader_message(r), "300"));
    }
    xct_reader_free(r);
    xct_tt_free(t);
}

static void test_tolerant(void **state)
{
    struct xct_tt *t = tt();
    struct run r;

    (void)state;
    H(t, 0, 12);            /* @0 */
    R(t, 10);               /* @12 */
    RAW(t, "XXXXXXXX", 8);  /* @24 garbage */
    H(t, 1, 12);            /* @32 */
    R(t, 20);               /* @44 */
    H(t, 0, 24);            /* @56 */
    R(t, 30);               /* @68 */
    R(t, 25);               /* @80 backwards */
    H(t, 1, 12);            /* @92 */
    R(t, 40);               /* @104, end 116 */

    CHECK("strict", t, 0, &r, OK(10, 0, 12), ERR(24, NO_WINDOW));
    assert_int_equal(r.st.skipped_bytes, 0);
    free_run(&r);

    /* Errors come as found, then the records of the good windows. */
    CHECK("tolerant", t, XCT_READER_TOLERANT, &r,
          ERR(24, NO_WINDOW), ERR(80, TSC_BACKWARDS), OK(10, 0, 12),
          OK(20, 1, 44), OK(30, 0, 68), OK(40, 1, 104), END(116));
    assert_int_equal(r.st.errors, 2);
    assert_int_equal(r.st.skipped_bytes, 8 + 12);
    assert_int_equal(r.st.skipped_windows, 2);
    assert_int_equal(r.st.windows, 4);
    assert_int_equal(r.st.records, 4);
    free_run(&r);
    xct_tt_free(t);

    /* A window size that runs over the next header: resync on it. */
    t = tt();
    H(t, 0, 1000);          /* @0 too large */
    R(t, 10);               /* @12 */
    H(t, 1, 12);            /* @24 read as a record first */
    R(t, 20);               /* @36, end 48 */
    CHECK("tolerant-nested", t, XCT_READER_TOLERANT, &r,
          ERR(24, NESTED_WINDOW), OK(10, 0, 12), OK(20, 1, 36), END(48));
    assert_int_equal(r.st.skipped_bytes, 0);
    free_run(&r);
    xct_tt_free(t);

    /* A record cut by the end of the file, with a header inside it. */
    t = tt();
    H(t, 0, 200);           /* @0 declares more than the file holds */
    R(t, 10);               /* @12 */
    {
        uint32_t hw = 0x70021003;   /* 7 words, no TSC: wants @24..56 */

        RAW(t, &hw, 4);     /* @24 */
    }
    H(t, 1, 12);            /* @28 inside that record */
    R(t, 20);               /* @40, end 52 */
    CHECK("trunc-strict", t, 0, NULL, OK(10, 0, 12), TRUNC(24, TRUNC_RECORD));
    CHECK("trunc-tolerant", t, XCT_READER_TOLERANT, &r,
          ERR(24, WINDOW_SIZE), OK(10, 0, 12), OK(20, 1, 40), END(52));
    assert_int_equal(r.st.skipped_bytes, 4);
    free_run(&r);
    xct_tt_free(t);

    /* Resync passes over a header naming an impossible CPU. */
    t = tt();
    H(t, 0, 12);            /* @0 */
    R(t, 10);               /* @12 */
    RAW(t, "XXXX", 4);      /* @24 */
    H(t, 300, 12);          /* @28 the magic word, but CPU 300 */
    H(t, 1, 12);            /* @40 */
    R(t, 20);               /* @52, end 64 */
    CHECK("tolerant-implausible", t, XCT_READER_TOLERANT, &r,
          ERR(24, NO_WINDOW), OK(10, 0, 12), OK(20, 1, 52), END(64));
    assert_int_equal(r.st.skipped_bytes, 16);
    assert_int_equal(r.st.errors, 1);
    free_run(&r);
    xct_tt_free(t);

    /* Garbage to the end of the file: skipped, then END. */
    t = tt();
    H(t, 0, 12);            /* @0 */
    R(t, 10);               /* @12 */
    RAW(t, "garbage!garbage!", 16);   /* @24, end 40 */
    CHECK("tolerant-tail", t, XCT_READER_TOLERANT, &r,
          ERR(24, NO_WINDOW), OK(10, 0, 12), END(40));
    assert_int_equal(r.st.skipped_bytes, 16);
    free_run(&r);
    xct_tt_free(t);
}

/* A regular file read from an fd at an offset: offsets stay file offsets. */
static void test_fd_offset(void **state)
{
    struct xct_tt *t = tt();
    const uint8_t *b;
    size_t len;
    char path[128];
    int fd, stream;

    (void)state;
    RAW(t, "0123456789", 10);   /* @0 not ours */
    H(t, 0, 12);                /* @10 */
    R(t, 10);                   /* @22 */
    b = xct_tt_bytes(t, &len);
    snprintf(path, sizeof(path), "%s/offset.trace", tmpdir);
    write_file(path, b, len);
    for (stream = 0; stream < 2; stream++) {
        struct xct_reader_opts o = { stream ? XCT_READER_STREAM : 0, 0 };
        struct xct_reader *r;
        struct xct_record rec;

        fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(lseek(fd, 10, SEEK_SET), 10);
        r = xct_reader_new_fd(fd, &o);
        assert_non_null(r);
        assert_int_equal(xct_reader_next(r, &rec), XCT_READ_OK);
        assert_int_equal(xct_reader_offset(r), 22);
        assert_int_equal(xct_reader_next(r, &rec), XCT_READ_END);
        assert_int_equal(xct_reader_offset(r), 34);
        xct_reader_free(r);
        /* The fd stays the caller's. */
        assert_int_equal(close(fd), 0);
    }
    unlink(path);
    xct_tt_free(t);
}

static void test_api_misuse(void **state)
{
    struct xct_record rec;
    struct xct_reader *r;
    struct run out;

    (void)state;
    xct_reader_free(NULL);
    errno = 0;
    assert_int_equal(xct_reader_next(NULL, &rec), XCT_READ_ERROR);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(xct_reader_new(NULL, NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(xct_reader_new("/nonexistent/trace", NULL));
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_null(xct_reader_new_fd(-1, NULL));
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_null(xct_reader_new_mem(NULL, 5, NULL));
    assert_int_equal(errno, EINVAL);
    r = xct_reader_new_mem(NULL, 0, NULL);
    assert_non_null(r);
    assert_int_equal(xct_reader_next(r, NULL), XCT_READ_ERROR);
    assert_int_equal(xct_reader_next(r, &rec), XCT_READ_END);
    xct_reader_free(r);
    assert_int_equal(xct_reader_cpu(NULL), 0);
    assert_int_equal(xct_reader_offset(NULL), 0);
    assert_int_equal(xct_reader_lost(NULL), 0);
    assert_string_equal(xct_reader_message(NULL), "");
    assert_string_equal(xct_read_status_name(XCT_READ_TRUNCATED),
                        "truncated");
    assert_string_equal(xct_read_status_name((enum xct_read_status)9), "?");

    /* A directory opens but cannot be read: an I/O error, at offset 0. */
    r = xct_reader_new(tmpdir, NULL);
    assert_non_null(r);
    memset(&out, 0, sizeof(out));
    drain(r, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.it[0].st, XCT_READ_ERROR);
    assert_int_equal(out.it[0].code, XCT_E_IO);
    assert_int_equal(out.it[0].off, 0);
    free_run(&out);
    xct_reader_free(r);
}

/* ---- merging at scale --------------------------------------------------- */

struct ref {
    uint64_t tsc;
    unsigned int cpu;
    uint32_t seq;
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;

    return x->tsc < y->tsc ? -1 : x->tsc > y->tsc;
}

static uint64_t rs = 88172645463325252ull;

static uint32_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)rs;
}

/* Random records on several CPUs, drained in xentrace-like rounds. */
static void test_merge_random(void **state)
{
    enum { N = 4000, CPUS = 7 };
    struct ref *ref = calloc(N, sizeof(*ref));
    uint64_t tsc = 1000;
    struct xct_tt *t = tt();
    const uint8_t *b;
    size_t len, i;
    char path[128];
    int m;

    (void)state;
    assert_non_null(ref);
    for (i = 0; i < N; i++) {
        unsigned int cpu = rnd() % CPUS;
        uint32_t w = (uint32_t)i;

        /* Unique TSCs, increasing per CPU as on a real host. */
        tsc += 1 + rnd() % 20;
        ref[i].tsc = tsc;
        ref[i].cpu = cpu;
        ref[i].seq = (uint32_t)i;
        assert_int_equal(xct_tt_add(t, cpu, EV, 1, tsc, &w, 1), 0);
        if (rnd() % 50 == 0)
            assert_int_equal(xct_tt_poll(t, tsc - rnd() % 200, 0), 0);
    }
    assert_int_equal(xct_tt_drain(t, 0), 0);
    qsort(ref, N, sizeof(*ref), ref_cmp);

    b = xct_tt_bytes(t, &len);
    snprintf(path, sizeof(path), "%s/random.trace", tmpdir);
    write_file(path, b, len);
    for (m = 0; m < NMODES; m++) {
        struct run got;

        read_mode((enum mode)m, b, len, path, 0, &got);
        assert_int_equal(got.n, N + 1);
        for (i = 0; i < N; i++)
            if (got.it[i].st != XCT_READ_OK || got.it[i].tsc != ref[i].tsc ||
                got.it[i].cpu != ref[i].cpu || got.it[i].w0 != ref[i].seq)
                fail_msg("random (%s): record %zu: expected tsc %" PRIu64
                         " cpu%u #%u, got %s tsc %" PRIu64 " cpu%u #%u",
                         mode_names[m], i, ref[i].tsc, ref[i].cpu,
                         ref[i].seq, st_name(got.it[i].st), got.it[i].tsc,
                         got.it[i].cpu, got.it[i].w0);
        assert_int_equal(got.it[N].st, XCT_READ_END);
        assert_int_equal(got.it[N].off, len);
        assert_int_equal(got.st.windows, xct_tt_windows(t));
        assert_true(got.st.max_queued <= 4 * CPUS + 12);
        free_run(&got);
    }
    unlink(path);
    free(ref);
    xct_tt_free(t);
}

/*
 * Memory stays bounded by CPUs and window sizes: a CPU that goes quiet,
 * and a CPU whose clock runs far ahead, do not make the reader buffer
 * the file.
 */
static void test_bounded_memory(void **state)
{
    enum { WINDOWS = 20000 };
    struct xct_tt *t = tt();
    const uint8_t *b;
    size_t len, i;
    char path[128];
    struct xct_reader_opts o = { XCT_READER_STREAM, 4096 };
    struct xct_reader *r;
    struct xct_record rec;
    struct xct_reader_stats st;
    uint64_t last[2] = { 0, 0 }, n = 0;
    enum xct_read_status s;

    (void)state;
    /* CPU 1: one window at the start, then silence. */
    H(t, 1, 12);
    R(t, 5);
    for (i = 0; i < WINDOWS; i++) {
        H(t, 0, 24);
        R(t, 10 + 2 * i);
        R(t, 11 + 2 * i);
    }
    b = xct_tt_bytes(t, &len);
    snprintf(path, sizeof(path), "%s/quiet.trace", tmpdir);
    write_file(path, b, len);
    r = xct_reader_new(path, &o);
    assert_non_null(r);
    while ((s = xct_reader_next(r, &rec)) == XCT_READ_OK)
        n++;
    assert_int_equal(s, XCT_READ_END);
    assert_int_equal(n, 2 * WINDOWS + 1);
    xct_reader_stats(r, &st);
    if (st.max_queued > 4 * 2 + 12)
        fail_msg("quiet CPU: %u windows queued, expected at most 20",
                 st.max_queued);
    if (st.max_buffered > 256 * 1024)
        fail_msg("quiet CPU: %zu bytes buffered for a %zu-byte file",
                 st.max_buffered, len);
    xct_reader_free(r);
    unlink(path);
    xct_tt_free(t);

    /* CPU 1's clock is far ahead of CPU 0's. */
    t = tt();
    for (i = 0; i < WINDOWS / 2; i++) {
        H(t, 0, 12);
        R(t, 10 + i);
        H(t, 1, 12);
        R(t, 1000000000000ull + i);
    }
    b = xct_tt_bytes(t, &len);
    write_file(path, b, len);
    r = xct_reader_new(path, &o);
    assert_non_null(r);
    n = 0;
    while ((s = xct_reader_next(r, &rec)) == XCT_READ_OK) {
        unsigned int c = xct_reader_cpu(r);

        assert_true(c < 2);
        assert_true(rec.tsc >= last[c]);    /* each CPU still in order */
        last[c] = rec.tsc;
        n++;
    }
    assert_int_equal(s, XCT_READ_END);
    assert_int_equal(n, WINDOWS);
    xct_reader_stats(r, &st);
    if (st.max_queued > 4 * 2 + 12)
        fail_msg("clock ahead: %u windows queued, expected at most 20",
                 st.max_queued);
    xct_reader_free(r);
    unlink(path);
    xct_tt_free(t);
}

/* One window larger than the stream's read size and initial buffer. */
static void test_big_window(void **state)
{
    enum { N = 60000 };
    struct xct_tt *t = tt();
    size_t i;
    struct run r;

    (void)state;
    H(t, 3, N * 12);
    for (i = 0; i < N; i++)
        R(t, i);
    H(t, 2, 12);
    R(t, N / 2);
    {
        const uint8_t *b;
        size_t len;
        char path[128];
        int m;

        b = xct_tt_bytes(t, &len);
        snprintf(path, sizeof(path), "%s/big.trace", tmpdir);
        write_file(path, b, len);
        for (m = M_MEM; m < NMODES; m++) {
            if (m == M_STREAM1)
                continue;       /* 720 KB one byte at a time: too slow */
            read_mode((enum mode)m, b, len, path, 0, &r);
            assert_int_equal(r.n, N + 2);
            assert_int_equal(r.it[N / 2].cpu, 3);
            assert_int_equal(r.it[N / 2 + 1].cpu, 2);   /* tie: file order */
            assert_int_equal(r.it[N / 2 + 1].tsc, N / 2);
            assert_int_equal(r.it[N + 1].st, XCT_READ_END);
            free_run(&r);
        }
        unlink(path);
    }
    xct_tt_free(t);
}

/* ---- the real trace ----------------------------------------------------- */

static const char *real_trace(void)
{
    static const char *const paths[] = {
        "../shared/data/real-xen-idle.trace",
        "../../shared/data/real-xen-idle.trace",
    };
    const char *env = getenv("XCT_REAL_TRACE");
    size_t i;

    if (env && access(env, R_OK) == 0)
        return env;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

static void test_real_trace(void **state)
{
    const char *path = real_trace();
    uint64_t by_class[12] = { 0 }, prev = 0;
    struct run runs[3];
    size_t i, k;
    int m;

    (void)state;
    if (!path) {
        print_message("real-xen-idle.trace not found: skipped\n");
        skip();
    }
    for (m = 0; m < 3; m++) {
        struct xct_reader_opts o = { m == 1 ? XCT_READER_STREAM : 0,
                                     m == 1 ? 4096 : 0 };
        struct xct_reader *r;

        if (m == 2) {
            /* Through a pipe. */
            FILE *f = fopen(path, "rb");
            uint8_t *buf = malloc(2 << 20);
            size_t len;

            assert_non_null(f);
            assert_non_null(buf);
            len = fread(buf, 1, 2 << 20, f);
            fclose(f);
            read_mode(M_PIPE, buf, len, NULL, 0, &runs[m]);
            free(buf);
            continue;
        }
        r = xct_reader_new(path, &o);
        assert_non_null(r);
        memset(&runs[m], 0, sizeof(runs[m]));
        drain(r, &runs[m]);
        xct_reader_free(r);
    }

    /*
     * The file's README: 68,271 records (PV 42,057, SCHED 26,196, HW 14,
     * GEN 4), 153 windows, 4 wrap records, no lost records.  The 4 GEN
     * records are the wraps, which the reader skips: it returns 68,267.
     */
    for (m = 0; m < 3; m++) {
        struct run *r = &runs[m];

        assert_int_equal(r->n, 68267 + 1);
        assert_int_equal(r->it[r->n - 1].st, XCT_READ_END);
        assert_int_equal(r->it[r->n - 1].off, 1451072);
        assert_int_equal(r->st.records, 68267);
        assert_int_equal(r->st.wraps, 4);
        assert_int_equal(r->st.records + r->st.wraps, 68271);
        assert_int_equal(r->st.windows, 153);
        assert_int_equal(r->st.lost, 0);
        assert_int_equal(r->st.lost_events, 0);
        assert_int_equal(r->st.cpus, 2);
        assert_int_equal(r->st.errors, 0);
    }
    for (i = 0; i + 1 < runs[0].n; i++) {
        uint32_t cls = (runs[0].it[i].event >> 16) & 0xfff;

        for (k = 0; k < 12; k++)
            if (cls == (1u << k))
                by_class[k]++;
        /* Merged: TSCs never go back across CPUs. */
        if (runs[0].it[i].tsc < prev)
            fail_msg("record %zu: TSC %" PRIu64 " after %" PRIu64, i,
                     runs[0].it[i].tsc, prev);
        prev = runs[0].it[i].tsc;
        for (m = 1; m < 3; m++)
            if (memcmp(&runs[0].it[i], &runs[m].it[i], sizeof(struct item)))
                fail_msg("record %zu differs between map and %s", i,
                         m == 1 ? "stream" : "pipe");
    }
    assert_int_equal(by_class[0], 0);           /* GEN: only the wraps */
    assert_int_equal(by_class[1], 26196);       /* SCHED */
    assert_int_equal(by_class[5], 42057);       /* PV */
    assert_int_equal(by_class[7], 14);          /* HW */
    for (m = 0; m < 3; m++)
        free_run(&runs[m]);
}

/* The dump of a whole reader: lines and markers, strict and tolerant. */
static void test_dump_reader(void **state)
{
    struct xct_tt *t = tt();
    struct xct_dump_opts o = { 0, 0, 0 };
    struct xct_reader *r;
    const uint8_t *b;
    size_t len;
    char *text = NULL;
    size_t tlen = 0;
    FILE *f;
    uint32_t w[7];
    unsigned int n;

    (void)state;
    n = xct_enc_CLAIM(w, 3, 0, -12, 262144, 0, 0);
    H(t, 1, 12 + 4 * n + 28);   /* @0 */
    assert_int_equal(xct_tt_raw_record(t, XCT_EV_CLAIM, 1, 1234567890, w, n),
                     0);        /* @12 */
    LOST(t, 1234567899, 3);     /* @52 */
    RAW(t, "junkjunk", 8);      /* @80 */
    H(t, 0, 12);                /* @88 */
    R(t, 1234567895);           /* @100, end 112 */
    b = xct_tt_bytes(t, &len);

    r = xct_reader_new_mem(b, len, NULL);
    f = open_memstream(&text, &tlen);
    assert_int_equal(xct_dump_reader(f, r, &o), XCT_READ_ERROR);
    fclose(f);
    assert_string_equal(text,
        "    1234567890 cpu1 claim domid=3 flags=0x0 result=-12(ENOMEM) "
        "nr_pages=262144 claim=0 tot_pages=0\n"
        "!   1234567899 cpu1 lost_records lost=3 domid=0 vcpu=1 "
        "first_tsc=1234567898\n"
        "! offset 80: error: expected a CPU_CHANGE header 0x2001f003, "
        "found 0x6b6e756a\n");
    free(text);
    xct_reader_free(r);

    struct xct_reader_opts ro = { XCT_READER_TOLERANT, 0 };

    o.tolerant = 1;
    r = xct_reader_new_mem(b, len, &ro);
    f = open_memstream(&text, &tlen);
    assert_int_equal(xct_dump_reader(f, r, &o), XCT_READ_END);
    fclose(f);
    assert_string_equal(text,
        "! offset 80: error: expected a CPU_CHANGE header 0x2001f003, "
        "found 0x6b6e756a\n"
        "    1234567890 cpu1 claim domid=3 flags=0x0 result=-12(ENOMEM) "
        "nr_pages=262144 claim=0 tot_pages=0\n"
        "    1234567895 cpu0 0x00021001 [ ]\n"
        "!   1234567899 cpu1 lost_records lost=3 domid=0 vcpu=1 "
        "first_tsc=1234567898\n");
    free(text);
    xct_reader_free(r);
    assert_int_equal(xct_dump_reader(NULL, NULL, NULL), -EINVAL);
    xct_tt_free(t);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/xct-test-reader-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interleave),
        cmocka_unit_test(test_ties_by_file_order),
        cmocka_unit_test(test_records_without_tsc),
        cmocka_unit_test(test_wrap_padding),
        cmocka_unit_test(test_lost_records),
        cmocka_unit_test(test_truncated_record),
        cmocka_unit_test(test_truncated_window),
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_window_split),
        cmocka_unit_test(test_bad_cpu),
        cmocka_unit_test(test_tsc_backwards),
        cmocka_unit_test(test_class_bits),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_wrong_endian),
        cmocka_unit_test(test_nested_and_lost_words),
        cmocka_unit_test(test_strict_error_stays),
        cmocka_unit_test(test_tolerant),
        cmocka_unit_test(test_fd_offset),
        cmocka_unit_test(test_api_misuse),
        cmocka_unit_test(test_merge_random),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test(test_big_window),
        cmocka_unit_test(test_real_trace),
        cmocka_unit_test(test_dump_reader),
    };

    return cmocka_run_group_tests_name("reader", tests, setup, teardown);
}
