/* test_tbuf.c: trace buffers: layout, golden bytes, arithmetic, threads. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tbuf/tbuf.h"
#include "tbuf/tbuf_layout.h"

#define PAGE        4096u
#define D1          (PAGE - 8u)     /* data bytes of a one-page ring */
#define EV          0x0010f020u     /* a TRC_MEM event */
#define EV_SCHED    0x0002f0f1u     /* a TRC_SCHED event */

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

/* Compare n u32 words, reporting the first difference. */
#define CHECK_WORDS(seen, want, n, what)                                   \
    do {                                                                   \
        const uint32_t *s_ = (const uint32_t *)(seen);                     \
        const uint32_t *w_ = (want);                                       \
        size_t i_;                                                         \
        for (i_ = 0; i_ < (n); i_++)                                       \
            if (s_[i_] != w_[i_])                                          \
                fail_msg("%s: word %zu: expected 0x%08x, got 0x%08x",      \
                         (what), i_, w_[i_], s_[i_]);                      \
    } while (0)

/*
 * An independent view of an area: the file mapped again, each ring found
 * through t_info by hand (u16 tbuf_size, u16 mfn_offset[], u32 frames),
 * without the library's structures.
 */
struct raw {
    uint8_t *base;
    size_t size;
};

static struct raw raw_map(const struct xtb_area *a)
{
    struct raw r;
    struct stat st;
    int fd = open(xtb_path(a), O_RDWR);

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    r.size = (size_t)st.st_size;
    r.base = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(r.base != MAP_FAILED);
    close(fd);
    return r;
}

static void raw_unmap(struct raw *r)
{
    munmap(r->base, r->size);
}

static uint16_t raw_u16(const struct raw *r, size_t off)
{
    uint16_t v;

    memcpy(&v, r->base + off, 2);
    return v;
}

static uint32_t raw_u32(const struct raw *r, size_t off)
{
    uint32_t v;

    memcpy(&v, r->base + off, 4);
    return v;
}

/* File offset of byte i of cpu's buffer (i counts from cons, at 0). */
static size_t raw_buf_off(const struct raw *r, unsigned int cpu, size_t i)
{
    uint32_t list = raw_u16(r, 2 * (1 + cpu));
    uint32_t frame = raw_u32(r, 4 * (list + i / PAGE));

    return (size_t)frame * PAGE + i % PAGE;
}

static uint32_t raw_cons(const struct raw *r, unsigned int cpu)
{
    return raw_u32(r, raw_buf_off(r, cpu, 0));
}

static uint32_t raw_prod(const struct raw *r, unsigned int cpu)
{
    return raw_u32(r, raw_buf_off(r, cpu, 4));
}

/* n bytes of cpu's ring data from data position pos (no wrap). */
static void raw_data(const struct raw *r, unsigned int cpu, uint32_t pos,
                     void *dst, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = r->base[raw_buf_off(r, cpu, 8 + pos + i)];
}

/* A record of size bytes (12..40) with a TSC. */
static int put(struct xtb_area *a, unsigned int cpu, uint32_t size,
               uint64_t tsc)
{
    uint32_t w[7] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

    return xtb_write(a, cpu, EV, tsc, (size - 12) / 4, w);
}

/* Write records totalling exactly bytes (a multiple of 4, >= 12). */
static void fill(struct xtb_area *a, unsigned int cpu, uint32_t bytes)
{
    while (bytes) {
        uint32_t s = bytes > 52 ? 40 : bytes <= 40 ? bytes : 24;

        CHECK_EQ(put(a, cpu, s, 1), 1, "fill: writing %u bytes", s);
        bytes -= s;
    }
}

/* Window collector: the header and the bytes, concatenated. */
struct win {
    uint8_t buf[4 * 65536];
    size_t len;
    int iovcnt;
    size_t chunk[3];
    int stop_rc;
};

static int collect(void *arg, unsigned int cpu, const struct iovec *iov,
                   int iovcnt, size_t bytes)
{
    struct win *w = arg;
    size_t total = 0;
    int i;

    if (w->stop_rc)
        return w->stop_rc;
    w->len = 0;
    w->iovcnt = iovcnt;
    for (i = 0; i < iovcnt; i++) {
        assert_true(w->len + iov[i].iov_len <= sizeof(w->buf));
        memcpy(w->buf + w->len, iov[i].iov_base, iov[i].iov_len);
        w->len += iov[i].iov_len;
        w->chunk[i] = iov[i].iov_len;
        if (i)
            total += iov[i].iov_len;
    }
    CHECK_EQ(total, bytes, "window: bytes passed");
    return 0;
}

static struct xtb_area *new_area(unsigned int ncpus, unsigned int pages,
                                 unsigned int flags)
{
    struct xtb_area *a = xtb_create(NULL, ncpus, pages, flags);

    assert_non_null(a);
    xtb_enable(a);
    return a;
}

/* ---- layout ------------------------------------------------------------- */

static void test_tinfo_layout(void **state)
{
    struct xtb_area *a = new_area(3, 2, 0);
    struct raw r = raw_map(a);
    uint32_t frames[6];
    unsigned int cpu, i, j;

    /* tbuf_size, then mfn_offset[3] in u32 words: lists start at word 2. */
    CHECK_EQ(raw_u16(&r, 0), 2, "t_info tbuf_size");
    for (cpu = 0; cpu < 3; cpu++)
        CHECK_EQ(raw_u16(&r, 2 * (1 + cpu)), 2 + 2 * cpu,
                 "t_info mfn_offset[%u]", cpu);
    for (i = 0; i < 6; i++) {
        frames[i] = raw_u32(&r, 4 * (2 + i));
        CHECK_EQ(frames[i] >= 2 && (size_t)frames[i] * PAGE < r.size, 1,
                 "frame %u (%u) inside the area, after t_info and ctl", i,
                 frames[i]);
        for (j = 0; j < i; j++)
            CHECK_EQ(frames[i] != frames[j], 1, "frames %u and %u differ",
                     i, j);
    }
    CHECK_EQ(xtb_data_size(a), 2 * PAGE - 8, "data size");

    /* A record on CPU 1 moves CPU 1's prod (found by hand) only. */
    CHECK_EQ(put(a, 1, 20, 5), 1, "write on cpu 1");
    CHECK_EQ(raw_prod(&r, 0), 0, "cpu 0 prod");
    CHECK_EQ(raw_prod(&r, 1), 20, "cpu 1 prod");
    CHECK_EQ(raw_prod(&r, 2), 0, "cpu 2 prod");
    CHECK_EQ(raw_u32(&r, (size_t)frames[2] * PAGE + 8), 0xa010f020u,
             "cpu 1 first record header (2 words, TSC)");
    raw_unmap(&r);
    xtb_close(a);
}

/* Pages interleaved: the consumer must follow the frame lists. */
static void test_scatter(void **state)
{
    struct xtb_area *a = new_area(2, 3, XTB_F_SCATTER);
    struct xtb_area *b = xtb_attach(xtb_path(a));
    struct raw r = raw_map(a);
    struct win *w = calloc(1, sizeof(*w));
    uint32_t f0, f1, i, hdr;
    size_t off;

    assert_non_null(b);
    f0 = raw_u32(&r, 4 * raw_u16(&r, 2));
    f1 = raw_u32(&r, 4 * (raw_u16(&r, 2) + 1));
    CHECK_EQ(f1, f0 + 2, "scattered: cpu 0's second page two pages on");

    /* 200 records of 40 bytes: 8000 bytes over the three pages. */
    for (i = 0; i < 200; i++) {
        uint32_t words[7] = { i, i, i, i, i, i, ~i };

        CHECK_EQ(xtb_write(a, 0, EV, 100 + i, 7, words), 1, "record %u", i);
    }
    CHECK_EQ(xtb_consume(b, 0, collect, w), 8000, "consumed through b");
    for (i = 0; i < 200; i++) {
        off = 12 + 40 * i;
        memcpy(&hdr, w->buf + off, 4);
        CHECK_EQ(hdr, 0xf010f020u, "record %u header", i);
        CHECK_EQ(w->buf[off + 36], (uint8_t)~i, "record %u last word", i);
        /* And the bytes are where the frame list says. */
        CHECK_EQ(r.base[raw_buf_off(&r, 0, 8 + off - 12 + 36)],
                 (uint8_t)~i, "record %u in the file", i);
    }
    raw_unmap(&r);
    free(w);
    xtb_close(b);
    xtb_close(a);
}

static void test_create_attach_errors(void **state)
{
    char path[64], junk[64];
    struct xtb_area *a, *b;
    int created = -1, fd;

    errno = 0;
    assert_null(xtb_create(NULL, 0, 1, 0));
    CHECK_EQ(errno, EINVAL, "0 CPUs");
    assert_null(xtb_create(NULL, XTB_MAX_CPUS + 1, 1, 0));
    CHECK_EQ(errno, EINVAL, "too many CPUs");
    assert_null(xtb_create(NULL, 1, 0, 0));
    CHECK_EQ(errno, EINVAL, "0 pages");
    assert_null(xtb_create(NULL, 1, 1, 0x100));
    CHECK_EQ(errno, EINVAL, "unknown flag");
    /* 8 CPUs: 5 words of header, 1019 for frames: 127 pages fit. */
    assert_null(xtb_create(NULL, 8, 128, 0));
    CHECK_EQ(errno, E2BIG, "8 x 128 pages");
    a = xtb_create(NULL, 8, 127, 0);
    assert_non_null(a);
    xtb_close(a);

    snprintf(path, sizeof(path), "/dev/shm/test-tbuf-%ld", (long)getpid());
    unlink(path);
    assert_null(xtb_attach(path));
    CHECK_EQ(errno, ENOENT, "attach to nothing");
    a = xtb_open(path, 2, 3, 0, &created);
    assert_non_null(a);
    CHECK_EQ(created, 1, "xtb_open created");
    assert_null(xtb_create(path, 2, 3, 0));
    CHECK_EQ(errno, EEXIST, "create twice");
    b = xtb_open(path, 4, 5, 0, &created);
    assert_non_null(b);
    CHECK_EQ(created, 0, "xtb_open attached");
    CHECK_EQ(xtb_ncpus(b), 2, "existing area keeps its CPUs");
    CHECK_EQ(xtb_pages(b), 3, "existing area keeps its pages");
    xtb_close(b);
    CHECK_EQ(xtb_unlink(a), 0, "unlink");
    CHECK_EQ(access(path, F_OK), -1, "file gone");
    xtb_close(a);

    /* Not an area. */
    snprintf(junk, sizeof(junk), "/dev/shm/test-tbuf-junk-%ld",
             (long)getpid());
    fd = open(junk, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 4 * PAGE), 0);
    close(fd);
    assert_null(xtb_attach(junk));
    CHECK_EQ(errno, EPROTO, "attach to zeros");
    unlink(junk);
}

static void test_write_args(void **state)
{
    struct xtb_area *a = new_area(2, 1, 0);
    uint32_t w[8] = { 0 };

    CHECK_EQ(xtb_write(a, 2, EV, 1, 0, w), -EINVAL, "cpu out of range");
    CHECK_EQ(xtb_write(a, 0, EV, 1, 8, w), -EINVAL, "8 words");
    CHECK_EQ(xtb_write(a, 0, 0x10000000u | EV, 1, 0, w), -EINVAL,
             "event above 28 bits");
    CHECK_EQ(xtb_write(a, 0, EV, 1, 0, NULL), 1, "no words, no pointer");
    xtb_close(a);
}

/* ---- golden bytes ------------------------------------------------------- */

/*
 * One CPU, one page: D = 4088 bytes of data, offsets modulo 8176.
 *   1. 102 records of 40 bytes (4080 bytes), consumed;
 *   2. A, 12 bytes: only 8 bytes to the end: an 8-byte wrap pad, A at 0;
 *   3. 101 records of 40 bytes: pos 12 + 4040 = 4052, 36 to the end, 48
 *      bytes free;
 *   4. B (40 bytes) needs 36 of padding + 40: dropped (lost 1, first TSC
 *      0x2000); B2 (40) needs LOST 28 + pad 8 + 40: dropped (lost 2);
 *   5. C (12 bytes) needs LOST 28 + pad 8 + 12 = 48: fits exactly;
 *   6. E (12 bytes): ring full, dropped (lost 1, first TSC 0x2003);
 *   7. F (16 bytes) after the ring was drained: LOST {1} then F.
 */
static void test_golden_ring(void **state)
{
    struct xtb_area *a = new_area(1, 1, 0);
    struct raw r = raw_map(a);
    struct win *w = calloc(1, sizeof(*w));
    struct xtb_cpu_stats st;
    uint32_t word = 0xabcd0123u;
    uint32_t got[16];
    int i;

    /* step 2's window: CPU_CHANGE, the pad at 4080, A at 0 */
    static const uint32_t win_a[] = {
        0x2001f003u, 0, 20,         /* CPU_CHANGE: cpu 0, 20 bytes */
        0x1001f002u, 0,             /* WRAP_BUFFER, 1 word: 8 bytes */
        0x8010f020u, 0x1000, 0,     /* A: event, TSC 0x1000 */
    };
    /* step 5: the ring from 4052 to the end, then from 0 */
    static const uint32_t tail_c[] = {
        0xc001f001u, 0x2002, 0,     /* LOST_RECORDS, 4 words, TSC of C */
        2,                          /* lost */
        0x00007fffu,                /* domid 0x7fff, vcpu 0 << 16 */
        0x2000, 0,                  /* first_tsc: B's */
        0x1001f002u, 0,             /* WRAP_BUFFER, 8 bytes */
    };
    static const uint32_t head_c[] = {
        0x8010f020u, 0x2002, 0,     /* C */
    };
    /* step 7: F's window */
    static const uint32_t win_f[] = {
        0x2001f003u, 0, 44,         /* CPU_CHANGE: cpu 0, 28 + 16 bytes */
        0xc001f001u, 0x3000, 0,     /* LOST_RECORDS at F's TSC */
        1, 0x00007fffu,             /* lost 1, domid 0x7fff, vcpu 0 */
        0x2003, 0,                  /* first_tsc: E's */
        0x9010f020u, 0x3000, 0,     /* F: one word */
        0xabcd0123u,
    };

    for (i = 0; i < 102; i++)
        CHECK_EQ(put(a, 0, 40, 1), 1, "step 1 record %d", i);
    CHECK_EQ(xtb_consume(a, 0, collect, w), 4080, "step 1 consumed");

    CHECK_EQ(put(a, 0, 12, 0x1000), 1, "A written");
    CHECK_EQ(raw_prod(&r, 0), 4080 + 8 + 12, "prod after A");
    raw_data(&r, 0, 4080, got, 8);
    CHECK_WORDS(got, win_a + 3, 2, "pad bytes at 4080");
    raw_data(&r, 0, 0, got, 12);
    CHECK_WORDS(got, win_a + 5, 3, "A bytes at 0");
    CHECK_EQ(xtb_consume(a, 0, collect, w), 20, "A consumed");
    CHECK_EQ(w->len, sizeof(win_a), "A window length");
    CHECK_EQ(w->iovcnt, 3, "A window spans the end: three iovecs");
    CHECK_EQ(w->chunk[1], 8, "A window first chunk");
    CHECK_WORDS(w->buf, win_a, sizeof(win_a) / 4, "A window");
    CHECK_EQ(raw_cons(&r, 0), 4100, "cons after A (second lap)");

    for (i = 0; i < 101; i++)
        CHECK_EQ(put(a, 0, 40, 0x1001), 1, "step 3 record %d", i);
    CHECK_EQ(put(a, 0, 40, 0x2000), -ENOSPC, "B dropped");
    CHECK_EQ(put(a, 0, 40, 0x2001), -ENOSPC, "B2 dropped");
    xtb_stats(a, 0, &st);
    CHECK_EQ(st.lost_pending, 2, "two drops pending");
    CHECK_EQ(put(a, 0, 12, 0x2002), 1, "C written, exactly filling");
    CHECK_EQ(xtb_pending(a, 0), D1, "ring full");
    CHECK_EQ(raw_prod(&r, 0), (4100 + D1) % (2 * D1), "prod after C");
    raw_data(&r, 0, 4052, got, 36);
    CHECK_WORDS(got, tail_c, 9, "LOST + pad at 4052");
    raw_data(&r, 0, 0, got, 12);
    CHECK_WORDS(got, head_c, 3, "C at 0");

    CHECK_EQ(put(a, 0, 12, 0x2003), -ENOSPC, "E dropped: ring full");
    CHECK_EQ(xtb_consume(a, 0, collect, w), D1, "a full ring's window");
    CHECK_EQ(w->len, 12 + D1, "full window length");
    CHECK_WORDS(w->buf + 12 + 4040, tail_c, 9, "window: LOST + pad");
    CHECK_WORDS(w->buf + 12 + 4076, head_c, 3, "window: C");

    CHECK_EQ(xtb_write(a, 0, EV, 0x3000, 1, &word), 1, "F written");
    CHECK_EQ(xtb_consume(a, 0, collect, w), 44, "F consumed");
    CHECK_EQ(w->len, sizeof(win_f), "F window length");
    CHECK_WORDS(w->buf, win_f, sizeof(win_f) / 4, "F window");

    xtb_stats(a, 0, &st);
    CHECK_EQ(st.written, 102 + 1 + 101 + 1 + 1, "records written");
    CHECK_EQ(st.dropped, 3, "records dropped");
    CHECK_EQ(st.lost_records, 2, "LOST_RECORDS written");
    CHECK_EQ(st.wraps, 2, "wrap pads written");
    CHECK_EQ(st.lost_pending, 0, "nothing pending");
    CHECK_EQ(st.bytes, 4080 + 20 + 4040 + 48 + 44, "bytes");
    free(w);
    raw_unmap(&r);
    xtb_close(a);
}

/*
 * Every gap a wrap pad can have: a 40-byte record at D - g (g < 40)
 * needs a pad of exactly g bytes: g <= 32: header + (g - 4) / 4 zero
 * words; g = 36: header with TSC (the record's) + 6 zero words.
 */
static void test_pad_sizes(void **state)
{
    uint32_t g, want, got[10], i;
    struct win *w = calloc(1, sizeof(*w));

    for (g = 4; g <= 36; g += 4) {
        struct xtb_area *a = new_area(1, 1, 0);
        struct raw r = raw_map(a);

        fill(a, 0, D1 - g);
        CHECK_EQ(xtb_consume(a, 0, collect, w), D1 - g, "gap %u: fill", g);
        CHECK_EQ(put(a, 0, 40, 0x123456789ull), 1, "gap %u: record", g);
        want = g <= 32 ? 0x0001f002u | ((g - 4) / 4) << 28
                       : 0x0001f002u | 6u << 28 | 0x80000000u;
        raw_data(&r, 0, D1 - g, got, g);
        CHECK_EQ(got[0], want, "gap %u: pad header", g);
        if (g == 36) {
            CHECK_EQ(got[1], 0x23456789u, "gap 36: pad TSC low");
            CHECK_EQ(got[2], 0x1u, "gap 36: pad TSC high");
        }
        for (i = g == 36 ? 3 : 1; i < g / 4; i++)
            CHECK_EQ(got[i], 0, "gap %u: pad word %u", g, i);
        raw_data(&r, 0, 0, got, 4);
        CHECK_EQ(got[0], 0xf010f020u, "gap %u: record at 0", g);
        CHECK_EQ(raw_prod(&r, 0), D1 + 40, "gap %u: prod", g);
        CHECK_EQ(xtb_consume(a, 0, collect, w), g + 40, "gap %u: window",
                 g);
        raw_unmap(&r);
        xtb_close(a);
    }
    free(w);
}

/*
 * A LOST_RECORDS record that ends exactly at the end of the ring: no
 * padding, the record that follows starts at 0.
 */
static void test_lost_at_end(void **state)
{
    struct xtb_area *a = new_area(1, 1, 0);
    struct raw r = raw_map(a);
    struct win *w = calloc(1, sizeof(*w));
    struct xtb_cpu_stats st;
    uint32_t got[7];
    static const uint32_t lost[] = {
        0xc001f001u, 0x51, 0, 1, 0x00007fffu, 0x50, 0,
    };

    fill(a, 0, D1 - 28);
    CHECK_EQ(put(a, 0, 40, 0x50), -ENOSPC, "40 bytes into 28: dropped");
    CHECK_EQ(xtb_consume(a, 0, collect, w), D1 - 28, "drained");
    CHECK_EQ(put(a, 0, 12, 0x51), 1, "next record");
    raw_data(&r, 0, D1 - 28, got, 28);
    CHECK_WORDS(got, lost, 7, "LOST_RECORDS in the last 28 bytes");
    raw_data(&r, 0, 0, got, 4);
    CHECK_EQ(got[0], 0x8010f020u, "record at 0");
    CHECK_EQ(raw_prod(&r, 0), D1 + 12, "prod");
    xtb_stats(a, 0, &st);
    CHECK_EQ(st.wraps, 0, "no padding");
    free(w);
    raw_unmap(&r);
    xtb_close(a);
}

/* ---- ring arithmetic ---------------------------------------------------- */

static void test_ring_arith(void **state)
{
    /* {prod, cons, used} for D = 100 (offsets modulo 200) */
    static const uint32_t used[][3] = {
        { 0, 0, 0 }, { 100, 0, 100 }, { 0, 100, 100 }, { 199, 199, 0 },
        { 0, 199, 1 }, { 199, 100, 99 }, { 50, 150, 100 }, { 150, 50, 100 },
        { 10, 190, 20 },
    };
    /* {x, n, x + n mod 200} */
    static const uint32_t add[][3] = {
        { 0, 100, 100 }, { 100, 100, 0 }, { 199, 1, 0 }, { 150, 60, 10 },
        { 199, 100, 99 },
    };
    size_t i;

    for (i = 0; i < sizeof(used) / sizeof(used[0]); i++)
        CHECK_EQ(xtb_ring_used(used[i][0], used[i][1], 100), used[i][2],
                 "used(prod %u, cons %u)", used[i][0], used[i][1]);
    for (i = 0; i < sizeof(add) / sizeof(add[0]); i++)
        CHECK_EQ(xtb_ring_add(add[i][0], add[i][1], 100), add[i][2],
                 "add(%u, %u)", add[i][0], add[i][1]);
    CHECK_EQ(xtb_ring_pos(99, 100), 99, "pos 99");
    CHECK_EQ(xtb_ring_pos(100, 100), 0, "pos 100");
    CHECK_EQ(xtb_ring_pos(199, 100), 99, "pos 199");
}

/* prod and cons at the boundaries D and 2D of a real ring. */
static void test_ring_boundaries(void **state)
{
    struct xtb_area *a = new_area(1, 1, 0);
    struct raw r = raw_map(a);
    struct win *w = calloc(1, sizeof(*w));

    CHECK_EQ(xtb_consume(a, 0, collect, w), 0, "empty ring");
    CHECK_EQ(xtb_pending(a, 0), 0, "empty: pending");

    fill(a, 0, D1);                                 /* prod 0 -> D */
    CHECK_EQ(raw_prod(&r, 0), D1, "prod = D");
    CHECK_EQ(raw_cons(&r, 0), 0, "cons = 0");
    CHECK_EQ(xtb_pending(a, 0), D1, "full at prod = D");
    CHECK_EQ(xtb_consume(a, 0, collect, w), D1, "consume D");
    CHECK_EQ(w->iovcnt, 2, "one chunk");
    CHECK_EQ(raw_cons(&r, 0), D1, "cons = D");

    fill(a, 0, D1);                                 /* prod D -> 2D = 0 */
    CHECK_EQ(raw_prod(&r, 0), 0, "prod wraps from 2D to 0");
    CHECK_EQ(xtb_pending(a, 0), D1, "full at prod 0, cons D");
    CHECK_EQ(put(a, 0, 12, 1), -ENOSPC, "full: dropped");
    CHECK_EQ(xtb_consume(a, 0, collect, w), D1, "consume second lap");
    CHECK_EQ(raw_cons(&r, 0), 0, "cons wraps from 2D to 0");

    /* LOST (28) + 3912 - 28 bytes: prod 3912, then to 8000 (pos 3912). */
    fill(a, 0, 3912 - 28);
    CHECK_EQ(raw_prod(&r, 0), 3912, "prod 3912");
    CHECK_EQ(xtb_consume(a, 0, collect, w), 3912, "consume to 3912");
    fill(a, 0, D1 - 3912);
    CHECK_EQ(raw_prod(&r, 0), D1, "prod D again");
    CHECK_EQ(xtb_consume(a, 0, collect, w), D1 - 3912, "consume to D");
    fill(a, 0, 3912);
    CHECK_EQ(raw_prod(&r, 0), 8000, "prod 8000");
    CHECK_EQ(xtb_consume(a, 0, collect, w), 3912, "consume to 8000");
    /* 176 bytes to the end: 4 x 40, pad 16, 40 at 0: prod 8216 - 8176. */
    fill(a, 0, 200);
    CHECK_EQ(raw_prod(&r, 0), 40, "prod across 2D");
    CHECK_EQ(xtb_consume(a, 0, collect, w), 216, "window across 2D");
    CHECK_EQ(w->iovcnt, 3, "two chunks");
    CHECK_EQ(w->chunk[1], 176, "first chunk to the end");
    CHECK_EQ(w->chunk[2], 40, "second chunk from 0");
    CHECK_EQ(raw_cons(&r, 0), 40, "cons across 2D");
    free(w);
    raw_unmap(&r);
    xtb_close(a);
}

static void test_consume_keep_and_corrupt(void **state)
{
    struct xtb_area *a = new_area(1, 1, 0);
    struct raw r = raw_map(a);
    struct win *w = calloc(1, sizeof(*w));
    uint32_t bad = 2 * D1, saved;
    size_t poff = raw_buf_off(&r, 0, 4);

    fill(a, 0, 100);
    w->stop_rc = -7;
    CHECK_EQ(xtb_consume(a, 0, collect, w), -7, "callback's error");
    CHECK_EQ(xtb_pending(a, 0), 100, "bytes kept");
    w->stop_rc = 0;
    CHECK_EQ(xtb_consume(a, 0, collect, w), 100, "then consumed");

    memcpy(&saved, r.base + poff, 4);
    memcpy(r.base + poff, &bad, 4);
    CHECK_EQ(xtb_consume(a, 0, collect, w), -EIO, "prod = 2D: consume");
    CHECK_EQ(put(a, 0, 12, 1), -EIO, "prod = 2D: write");
    CHECK_EQ(xtb_pending(a, 0), -EIO, "prod = 2D: pending");
    memcpy(r.base + poff, &saved, 4);
    CHECK_EQ(xtb_consume(a, 0, collect, w), 0, "repaired");

    fill(a, 0, 60);
    CHECK_EQ(xtb_discard(a, 0), 60, "discard");
    CHECK_EQ(xtb_pending(a, 0), 0, "discarded");
    CHECK_EQ(xtb_consume(a, 0, collect, w), 0, "nothing after discard");
    CHECK_EQ(xtb_consume(a, 1, collect, w), -EINVAL, "bad cpu");
    free(w);
    raw_unmap(&r);
    xtb_close(a);
}

/* ---- masks, enable, notification ---------------------------------------- */

static void test_mask_rule(void **state)
{
    /* {mask, event, passes}: overlap, class overlap, subclass overlap */
    static const uint32_t t[][3] = {
        { 0x0ffff000u, 0x0010f020u, 1 },  /* all */
        { 0x0010f000u, 0x0010f020u, 1 },  /* TRC_MEM */
        { 0x0010f000u, 0x0002f001u, 0 },  /* class differs */
        { 0x0010f000u, 0x00101020u, 1 },  /* subclass 1 within f */
        { 0x00101000u, 0x0010f020u, 1 },  /* 1 & f */
        { 0x00102000u, 0x00101020u, 0 },  /* subclasses 2, 1 */
        { 0x00100000u, 0x0010f020u, 0 },  /* no subclass in the mask */
        { 0x0000f000u, 0x0010f020u, 0 },  /* no class in the mask */
        { 0x000000ffu, 0x0010f020u, 0 },  /* minor overlap only */
        { 0x0012f000u, 0x0002f001u, 1 },  /* classes 0x12 & 0x02 */
        { 0x00000000u, 0x0010f020u, 0 },  /* empty mask */
        { 0x0ffff000u, 0x00000000u, 0 },  /* empty event */
        { 0x0001f000u, 0x0001f001u, 1 },  /* TRC_GEN */
        { 0x0800f000u, 0x0800f123u, 1 },  /* TRC_GUEST */
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        CHECK_EQ(xtb_mask_match(t[i][0], t[i][1]), t[i][2],
                 "mask 0x%08x event 0x%08x", t[i][0], t[i][1]);
}

static void test_filters(void **state)
{
    struct xtb_area *a = new_area(2, 1, 0);
    struct xtb_cpu_stats st;
    uint64_t only0 = 1;

    xtb_set_evt_mask(a, 0x0010f000u);
    CHECK_EQ(xtb_evt_mask(a), 0x0010f000u, "mask read back");
    CHECK_EQ(xtb_write(a, 0, EV, 1, 0, NULL), 1, "TRC_MEM passes");
    CHECK_EQ(xtb_write(a, 0, EV_SCHED, 1, 0, NULL), 0, "TRC_SCHED masked");
    CHECK_EQ(xtb_set_cpu_mask(a, &only0, 1), 0, "cpu mask");
    CHECK_EQ(xtb_cpu_traced(a, 1), 0, "cpu 1 not traced");
    CHECK_EQ(xtb_write(a, 1, EV, 1, 0, NULL), 0, "cpu 1 masked");
    CHECK_EQ(xtb_write(a, 0, EV, 1, 0, NULL), 1, "cpu 0 traced");
    CHECK_EQ(xtb_set_cpu_mask(a, &only0, XTB_CPU_MASK_WORDS + 1), -EINVAL,
             "cpu mask too long");
    xtb_disable(a);
    CHECK_EQ(xtb_enabled(a), 0, "disabled");
    CHECK_EQ(xtb_write(a, 0, EV, 1, 0, NULL), 0, "disabled: filtered");
    xtb_stats(a, 0, &st);
    CHECK_EQ(st.written, 2, "cpu 0 written");
    CHECK_EQ(st.filtered, 2, "cpu 0 filtered");
    xtb_stats(a, 1, &st);
    CHECK_EQ(st.filtered, 1, "cpu 1 filtered");
    CHECK_EQ(xtb_stats(a, 2, &st), -EINVAL, "stats of a bad cpu");
    xtb_close(a);
}

static void hook(struct xtb_area *a, void *arg)
{
    (*(int *)arg)++;
    /* The hook may trace: the state dump. */
    xtb_write(a, 0, EV, 7, 0, NULL);
}

struct enabler {
    struct xtb_area *a;
    _Atomic int go;
};

static void *enable_later(void *arg)
{
    struct enabler *e = arg;

    while (!atomic_load(&e->go))
        sched_yield();
    xtb_enable(e->a);
    return NULL;
}

static void test_enable_hook(void **state)
{
    struct xtb_area *hv = xtb_create(NULL, 1, 1, 0);
    struct xtb_area *tool;
    struct xtb_cpu_stats st;
    struct enabler e;
    pthread_t tid;
    int runs = 0;

    assert_non_null(hv);
    tool = xtb_attach(xtb_path(hv));
    assert_non_null(tool);
    xtb_set_enable_hook(hv, hook, &runs);
    CHECK_EQ(xtb_service(hv, 0), 0, "not enabled yet");
    CHECK_EQ(xtb_service(hv, 10), 0, "not enabled: timeout");

    xtb_enable(tool);
    CHECK_EQ(xtb_enabled(hv), 1, "enabled, seen by the other handle");
    CHECK_EQ(xtb_service(hv, 0), 1, "hook runs");
    CHECK_EQ(runs, 1, "hook ran once");
    CHECK_EQ(xtb_service(hv, 0), 0, "not twice");
    xtb_enable(tool);
    CHECK_EQ(xtb_service(hv, 0), 1, "enabling again asks for a new dump");
    CHECK_EQ(runs, 2, "hook ran again");
    xtb_stats(hv, 0, &st);
    CHECK_EQ(st.written, 2, "the hook's records");

    xtb_disable(tool);
    e.a = tool;
    atomic_store(&e.go, 0);
    assert_int_equal(pthread_create(&tid, NULL, enable_later, &e), 0);
    atomic_store(&e.go, 1);
    /* Waits on the futex until the other thread enables. */
    CHECK_EQ(xtb_service(hv, 10000), 1, "hook after a wait");
    pthread_join(tid, NULL);
    CHECK_EQ(runs, 3, "hook ran a third time");
    xtb_close(tool);
    xtb_close(hv);
}

struct waiter {
    struct xtb_area *a;
    uint32_t seq;
    _Atomic int ready;
    int rc;
};

static void *wait_half(void *arg)
{
    struct waiter *w = arg;

    atomic_store(&w->ready, 1);
    w->rc = xtb_wait(w->a, w->seq, 10000);
    return NULL;
}

static void test_half_full(void **state)
{
    struct xtb_area *a = new_area(1, 1, 0);
    struct xtb_area *c = xtb_attach(xtb_path(a));
    struct waiter w;
    pthread_t tid;
    uint32_t seq;
    int i;

    assert_non_null(c);
    seq = xtb_notify_seq(c);
    fill(a, 0, 2000);                           /* below 2044 = D / 2 */
    CHECK_EQ(xtb_wait(c, seq, 0), 0, "below half full");
    fill(a, 0, 44);                             /* 2044: half full */
    CHECK_EQ(xtb_wait(c, seq, 0), 1, "half full notified");
    seq = xtb_notify_seq(c);
    fill(a, 0, 40);
    CHECK_EQ(xtb_wait(c, seq, 0), 0, "only once per crossing");
    xtb_discard(c, 0);

    w.a = c;
    w.seq = xtb_notify_seq(c);
    atomic_store(&w.ready, 0);
    assert_int_equal(pthread_create(&tid, NULL, wait_half, &w), 0);
    while (!atomic_load(&w.ready))
        sched_yield();
    for (i = 0; i < 60; i++)                    /* 2400 bytes */
        put(a, 0, 40, 1);
    pthread_join(tid, NULL);
    CHECK_EQ(w.rc, 1, "the sleeping consumer was woken");
    xtb_close(c);
    xtb_close(a);
}

/* ---- threads ------------------------------------------------------------ */

#define MT_CPUS     4
#define MT_TSC0     1000u

static uint64_t mt_records(void)
{
    const char *s = getenv("TEST_TBUF_RECORDS");

    return s ? strtoull(s, NULL, 0) : 200000;
}

/* Record seq of a CPU: TSC MT_TSC0 + seq, seq % 8 words, word i below. */
static uint32_t mt_word(unsigned int cpu, uint64_t seq, unsigned int i)
{
    return (uint32_t)(cpu << 24) ^ (uint32_t)(seq * 7 + i);
}

struct producer {
    pthread_t tid;
    struct xtb_area *a;
    unsigned int cpu;
    uint64_t target;
    unsigned int pace;          /* yield every pace records (0: never) */
    uint64_t attempted;
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    struct xtb_cpu_stats st;
    uint32_t words[7];
    uint64_t seq;
    unsigned int i, n;
    int rc;

    for (seq = 0;; seq++) {
        n = seq % 8;
        for (i = 0; i < n; i++)
            words[i] = mt_word(p->cpu, seq, i);
        rc = xtb_write(p->a, p->cpu, EV, MT_TSC0 + seq, n, words);
        p->attempted++;
        assert(rc == 1 || rc == -ENOSPC);
        if (p->pace && seq % p->pace == 0)
            sched_yield();
        if (seq + 1 < p->target)
            continue;
        /* Until no drop is left unreported (we are the only writer). */
        xtb_stats(p->a, p->cpu, &st);
        if (!st.lost_pending)
            break;
        sched_yield();
    }
    return NULL;
}

struct checker {
    struct xtb_area *a;
    _Atomic int producers_done;
    uint64_t next[MT_CPUS];     /* next sequence number expected */
    uint64_t read[MT_CPUS];     /* data records read */
    uint64_t lost[MT_CPUS];     /* sum of LOST_RECORDS counts */
    uint64_t windows, wraps;
    char err[256];
};

static void check_fail(struct checker *c, const char *fmt, ...)
{
    va_list ap;

    if (c->err[0])
        return;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
}

/* Check one chunk of a window record by record. */
static void check_chunk(struct checker *c, unsigned int cpu,
                        const uint8_t *p, size_t len)
{
    uint32_t w[10], hdr, ev, n, i;
    uint64_t tsc, seq, first;
    size_t size;

    while (len) {
        memcpy(&hdr, p, 4);
        size = 4 + (hdr >> 31) * 8 + 4 * ((hdr >> 28) & 7);
        if (size > len) {
            check_fail(c, "cpu %u: record of %zu bytes across a chunk end "
                       "(%zu left)", cpu, size, len);
            return;
        }
        memcpy(w, p, size);
        ev = hdr & 0x0fffffffu;
        n = (hdr >> 28) & 7;
        tsc = (hdr >> 31) ? (uint64_t)w[1] | (uint64_t)w[2] << 32 : 0;
        if (ev == 0x1f002u) {
            c->wraps++;
        } else if (ev == 0x1f001u) {
            first = (uint64_t)w[5] | (uint64_t)w[6] << 32;
            if (hdr != 0xc001f001u || w[4] != (0x7fffu | cpu << 16))
                check_fail(c, "cpu %u: LOST_RECORDS header 0x%08x word1 "
                           "0x%08x", cpu, hdr, w[4]);
            if (first != MT_TSC0 + c->next[cpu])
                check_fail(c, "cpu %u: LOST first_tsc: expected %llu, got "
                           "%llu", cpu,
                           (unsigned long long)(MT_TSC0 + c->next[cpu]),
                           (unsigned long long)first);
            c->lost[cpu] += w[3];
            c->next[cpu] += w[3];
        } else {
            seq = tsc - MT_TSC0;
            if (ev != EV || !(hdr >> 31) || seq != c->next[cpu] ||
                n != seq % 8) {
                check_fail(c, "cpu %u: expected record seq %llu, got "
                           "header 0x%08x seq %llu", cpu,
                           (unsigned long long)c->next[cpu], hdr,
                           (unsigned long long)seq);
                return;
            }
            for (i = 0; i < n; i++)
                if (w[3 + i] != mt_word(cpu, seq, i))
                    check_fail(c, "cpu %u seq %llu word %u: expected "
                               "0x%08x, got 0x%08x", cpu,
                               (unsigned long long)seq, i,
                               mt_word(cpu, seq, i), w[3 + i]);
            c->read[cpu]++;
            c->next[cpu]++;
        }
        p += size;
        len -= size;
    }
}

static int check_window(void *arg, unsigned int cpu, const struct iovec *iov,
                        int iovcnt, size_t bytes)
{
    struct checker *c = arg;
    uint32_t h[3];
    int i;

    memcpy(h, iov[0].iov_base, 12);
    if (h[0] != 0x2001f003u || h[1] != cpu || h[2] != bytes)
        check_fail(c, "cpu %u: window header %08x %u %u for %zu bytes",
                   cpu, h[0], h[1], h[2], bytes);
    for (i = 1; i < iovcnt; i++)
        check_chunk(c, cpu, iov[i].iov_base, iov[i].iov_len);
    c->windows++;
    return 0;
}

static void *consumer_main(void *arg)
{
    struct checker *c = arg;
    unsigned int cpu;
    ssize_t got, n;
    uint32_t seq;
    int done;

    for (;;) {
        done = atomic_load_explicit(&c->producers_done,
                                    memory_order_acquire);
        seq = xtb_notify_seq(c->a);
        got = 0;
        for (cpu = 0; cpu < MT_CPUS; cpu++) {
            n = xtb_consume(c->a, cpu, check_window, c);
            if (n < 0) {
                check_fail(c, "xtb_consume: %zd", n);
                return NULL;
            }
            got += n;
        }
        if (done && !got)
            break;
        /* Sleep until a ring is half full, or 1 ms when idle. */
        if (!got)
            xtb_wait(c->a, seq, 1);
    }
    return NULL;
}

/*
 * N producers (one per CPU) as fast as they can (or yielding every pace
 * records) into one-page rings, a consumer draining: every record read is
 * intact and in order, and read + lost == attempted, exactly.  With
 * same_map the consumer uses the producers' mapping, so that ThreadSanitizer
 * sees both sides of the ring (it cannot follow two mappings of one page).
 */
static void run_threads(int same_map, unsigned int pace)
{
    struct xtb_area *a = new_area(MT_CPUS, 1, 0);
    struct producer p[MT_CPUS];
    struct checker *c = calloc(1, sizeof(*c));
    struct xtb_cpu_stats st;
    pthread_t ctid;
    unsigned int cpu;
    uint64_t target = mt_records();

    assert_non_null(c);
    c->a = same_map ? a : xtb_attach(xtb_path(a));
    assert_non_null(c->a);
    assert_int_equal(pthread_create(&ctid, NULL, consumer_main, c), 0);
    for (cpu = 0; cpu < MT_CPUS; cpu++) {
        p[cpu].a = a;
        p[cpu].cpu = cpu;
        p[cpu].target = target;
        p[cpu].pace = pace;
        p[cpu].attempted = 0;
        assert_int_equal(pthread_create(&p[cpu].tid, NULL, producer_main,
                                        &p[cpu]), 0);
    }
    for (cpu = 0; cpu < MT_CPUS; cpu++)
        pthread_join(p[cpu].tid, NULL);
    atomic_store_explicit(&c->producers_done, 1, memory_order_release);
    pthread_join(ctid, NULL);

    if (c->err[0])
        fail_msg("%s", c->err);
    for (cpu = 0; cpu < MT_CPUS; cpu++) {
        CHECK_EQ(c->read[cpu] + c->lost[cpu], p[cpu].attempted,
                 "cpu %u: read %llu + lost %llu vs attempted", cpu,
                 (unsigned long long)c->read[cpu],
                 (unsigned long long)c->lost[cpu]);
        CHECK_EQ(c->next[cpu], p[cpu].attempted, "cpu %u: last seq + 1",
                 cpu);
        xtb_stats(a, cpu, &st);
        CHECK_EQ(st.written, c->read[cpu], "cpu %u: stats written", cpu);
        CHECK_EQ(st.dropped, c->lost[cpu], "cpu %u: stats dropped", cpu);
        CHECK_EQ(xtb_pending(a, cpu), 0, "cpu %u: drained", cpu);
        print_message("# cpu %u: %llu attempted, %llu read, %llu lost\n",
                      cpu, (unsigned long long)p[cpu].attempted,
                      (unsigned long long)c->read[cpu],
                      (unsigned long long)c->lost[cpu]);
    }
    print_message("# %llu windows, %llu wrap pads\n",
                  (unsigned long long)c->windows,
                  (unsigned long long)c->wraps);
    if (!same_map)
        xtb_close(c->a);
    free(c);
    xtb_close(a);
}

static void test_threads(void **state)
{
    run_threads(1, 0);
}

static void test_threads_paced_two_maps(void **state)
{
    run_threads(0, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tinfo_layout),
        cmocka_unit_test(test_scatter),
        cmocka_unit_test(test_create_attach_errors),
        cmocka_unit_test(test_write_args),
        cmocka_unit_test(test_golden_ring),
        cmocka_unit_test(test_pad_sizes),
        cmocka_unit_test(test_lost_at_end),
        cmocka_unit_test(test_ring_arith),
        cmocka_unit_test(test_ring_boundaries),
        cmocka_unit_test(test_consume_keep_and_corrupt),
        cmocka_unit_test(test_mask_rule),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_enable_hook),
        cmocka_unit_test(test_half_full),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_threads_paced_two_maps),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
