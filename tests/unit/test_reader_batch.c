/* test_reader_batch.c: xct_reader_next_batch against known traces. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xct_reader.h"
#include "xct_testtrace.h"

#define EV      0x00021001u     /* a scheduler-class event, nothing special */
#define NREC    6000u
#define NCPU    3u

/* A record written: its id (word 0), TSC and CPU, in the order added. */
struct exp {
    uint32_t id;
    uint64_t tsc;
    unsigned int cpu;
    unsigned int nwords;
    int has_tsc;
};

static uint64_t seed = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (uint32_t)(seed >> 16);
}

/* Order of the reader: TSC, then the order added (file order per CPU). */
static int exp_cmp(const void *a, const void *b)
{
    const struct exp *x = a, *y = b;

    if (x->tsc != y->tsc)
        return x->tsc < y->tsc ? -1 : 1;
    return x->id < y->id ? -1 : (x->id > y->id);
}

/*
 * A trace of NREC records over NCPU CPUs, in CPU runs of random length,
 * with records lacking a TSC (they inherit their CPU's last one), wrap
 * padding and small windows; TSCs that are carried are distinct, so the
 * expected order is known without the reader.  exp[] is sorted.
 */
static uint8_t *make_trace(struct exp *exp, size_t *len)
{
    struct xct_tt *t = xct_tt_new(NULL);
    uint64_t tsc = 1000, last[NCPU] = { 0 };
    const uint8_t *b;
    uint8_t *copy;
    unsigned int i = 0, cpu = 0, run = 0;
    uint32_t w[7];

    assert_non_null(t);
    while (i < NREC) {
        unsigned int nw = rnd() % 8, k;
        int has = last[cpu] == 0 || rnd() % 5 != 0;

        if (run == 0) {
            cpu = rnd() % NCPU;
            run = 1 + rnd() % 40;
            continue;
        }
        run--;
        if (nw == 0)
            nw = 1;             /* word 0 carries the id */
        for (k = 0; k < 7; k++)
            w[k] = rnd();
        w[0] = i;
        if (has) {
            tsc += 1 + rnd() % 50;
            last[cpu] = tsc;
        }
        exp[i].id = i;
        exp[i].tsc = last[cpu];
        exp[i].cpu = cpu;
        exp[i].nwords = nw;
        exp[i].has_tsc = has;
        assert_int_equal(xct_tt_add(t, cpu, EV, has, tsc, w, nw), 0);
        if (rnd() % 97 == 0)
            assert_int_equal(xct_tt_add_wrap(t, cpu, rnd() % 8), 0);
        i++;
        if (i % 64 == 0)
            assert_int_equal(xct_tt_poll(t, tsc, 1024), 0);
    }
    assert_int_equal(xct_tt_drain(t, 1024), 0);
    b = xct_tt_bytes(t, len);
    assert_non_null(b);
    copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, b, *len);
    xct_tt_free(t);
    qsort(exp, NREC, sizeof(*exp), exp_cmp);
    return copy;
}

static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* Records in batches of n match exp[] and the bytes at their offsets. */
static void check_batches(const uint8_t *buf, size_t len,
                          const struct exp *exp, size_t n)
{
    struct xct_reader *r = xct_reader_new_mem(buf, len, NULL);
    struct xct_record *recs = calloc(n, sizeof(*recs));
    uint64_t *offs = calloc(n, sizeof(*offs));
    enum xct_read_status st;
    size_t got, seen = 0, i, k;
    uint64_t ptsc = 0, poff = 0;

    assert_non_null(r);
    assert_non_null(recs);
    assert_non_null(offs);
    while ((st = xct_reader_next_batch(r, recs, offs, n, &got)) ==
           XCT_READ_OK) {
        assert_true(got >= 1 && got <= n);
        assert_true(seen + got <= NREC);
        for (i = 0; i < got; i++) {
            const struct exp *e = &exp[seen + i];
            const struct xct_record *rec = &recs[i];
            uint32_t hdr;

            assert_int_equal(rec->words[0], e->id);
            assert_int_equal(rec->tsc, e->tsc);
            assert_int_equal(rec->event, EV);
            assert_int_equal(rec->nwords, e->nwords);
            assert_int_equal(rec->has_tsc, e->has_tsc);
            for (k = rec->nwords; k < 7; k++)
                assert_int_equal(rec->words[k], 0);
            /* The offset is the record's header word in the file. */
            assert_true(offs[i] + 4 <= len);
            hdr = ld32(buf + offs[i]);
            assert_int_equal(hdr & XCT_HDR_EVENT_MASK, EV);
            assert_int_equal((hdr >> 28) & 7u, e->nwords);
            assert_int_equal(ld32(buf + xct_record_size(hdr) + offs[i] -
                                  4 * e->nwords), e->id);
        }
        /* (TSC, offset) goes up, across batches too. */
        for (i = 0; i < got; i++) {
            assert_true(recs[i].tsc > ptsc ||
                        (recs[i].tsc == ptsc && offs[i] > poff));
            ptsc = recs[i].tsc;
            poff = offs[i];
        }
        /* The getters describe the last record of the batch. */
        assert_int_equal(xct_reader_offset(r), offs[got - 1]);
        assert_int_equal(xct_reader_cpu(r), exp[seen + got - 1].cpu);
        seen += got;
    }
    assert_int_equal(st, XCT_READ_END);
    assert_int_equal(got, 0);
    assert_int_equal(seen, NREC);
    assert_int_equal(xct_reader_at_end(r), 1);
    /* The end stays. */
    assert_int_equal(xct_reader_next_batch(r, recs, offs, n, &got),
                     XCT_READ_END);
    assert_int_equal(got, 0);
    xct_reader_free(r);
    free(recs);
    free(offs);
}

static void test_batch_order(void **state)
{
    struct exp *exp = calloc(NREC, sizeof(*exp));
    size_t len, sizes[] = { 1, 2, 7, 64, 1000, 100000 }, i;
    uint8_t *buf;

    (void)state;
    assert_non_null(exp);
    buf = make_trace(exp, &len);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        check_batches(buf, len, exp, sizes[i]);
    free(buf);
    free(exp);
}

/*
 * On damaged copies, strict and tolerant, batches give the statuses,
 * records, offsets, messages and counters that xct_reader_next() gives.
 */
static void same_as_next(const uint8_t *buf, size_t len, unsigned int flags,
                         size_t n)
{
    struct xct_reader_opts o = { .flags = flags };
    struct xct_reader *a = xct_reader_new_mem(buf, len, &o);
    struct xct_reader *b = xct_reader_new_mem(buf, len, &o);
    struct xct_record *recs = calloc(n, sizeof(*recs)), rec;
    struct xct_reader_stats sa, sb;
    uint64_t *offs = calloc(n, sizeof(*offs));
    enum xct_read_status st, st1;
    size_t got, i;
    unsigned int rounds = 0;

    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(recs);
    assert_non_null(offs);
    for (;;) {
        assert_true(++rounds < 100000);
        st = xct_reader_next_batch(b, recs, offs, n, &got);
        if (st != XCT_READ_OK) {
            assert_int_equal(got, 0);
            st1 = xct_reader_next(a, &rec);
            assert_int_equal(st1, st);
            assert_int_equal(xct_reader_offset(a), xct_reader_offset(b));
            assert_int_equal(xct_reader_error(a), xct_reader_error(b));
            assert_string_equal(xct_reader_message(a),
                                xct_reader_message(b));
            assert_int_equal(xct_reader_at_end(a), xct_reader_at_end(b));
            if (xct_reader_at_end(b))
                break;
            continue;
        }
        for (i = 0; i < got; i++) {
            assert_int_equal(xct_reader_next(a, &rec), XCT_READ_OK);
            assert_int_equal(rec.event, recs[i].event);
            assert_int_equal(rec.nwords, recs[i].nwords);
            assert_int_equal(rec.has_tsc, recs[i].has_tsc);
            assert_int_equal(rec.tsc, recs[i].tsc);
            assert_memory_equal(rec.words, recs[i].words,
                                sizeof(rec.words));
            assert_int_equal(xct_reader_offset(a), offs[i]);
        }
        assert_int_equal(xct_reader_cpu(a), xct_reader_cpu(b));
        assert_int_equal(xct_reader_offset(a), xct_reader_offset(b));
        xct_reader_stats(a, &sa);
        xct_reader_stats(b, &sb);
        assert_int_equal(sa.records, sb.records);
        assert_int_equal(sa.windows, sb.windows);
        assert_int_equal(sa.errors, sb.errors);
        assert_int_equal(sa.wraps, sb.wraps);
    }
    xct_reader_stats(a, &sa);
    xct_reader_stats(b, &sb);
    assert_memory_equal(&sa, &sb, sizeof(sa));
    xct_reader_free(a);
    xct_reader_free(b);
    free(recs);
    free(offs);
}

static void test_batch_damaged(void **state)
{
    struct exp *exp = calloc(NREC, sizeof(*exp));
    size_t len, cut, j;
    uint8_t *buf, *bad;
    unsigned int it;

    (void)state;
    assert_non_null(exp);
    buf = make_trace(exp, &len);
    bad = malloc(len);
    assert_non_null(bad);
    same_as_next(buf, len, 0, 50);
    for (it = 0; it < 60; it++) {
        memcpy(bad, buf, len);
        cut = len;
        for (j = 0; j < 1 + it % 3; j++) {
            size_t at = rnd() % len;

            if (it % 4 == 3)
                cut = at;                       /* truncated */
            else if (it % 4 == 2 && at + 12 <= len)
                memset(bad + (at & ~(size_t)3) + 4, 0, 8); /* TSC 0 */
            else
                bad[at] ^= (uint8_t)(1u << (rnd() % 8));
        }
        same_as_next(bad, cut, 0, 1 + rnd() % 300);
        same_as_next(bad, cut, XCT_READER_TOLERANT, 1 + rnd() % 300);
    }
    free(bad);
    free(buf);
    free(exp);
}

static void test_batch_args(void **state)
{
    static const uint8_t empty[1];
    struct xct_reader *r = xct_reader_new_mem(empty, 0, NULL);
    struct xct_record rec;
    uint64_t off;
    size_t got = 99;

    (void)state;
    assert_non_null(r);
    errno = 0;
    assert_int_equal(xct_reader_next_batch(NULL, &rec, &off, 1, &got),
                     XCT_READ_ERROR);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(got, 0);
    got = 99;
    errno = 0;
    assert_int_equal(xct_reader_next_batch(r, NULL, &off, 1, &got),
                     XCT_READ_ERROR);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(got, 0);
    got = 99;
    errno = 0;
    assert_int_equal(xct_reader_next_batch(r, &rec, &off, 0, &got),
                     XCT_READ_ERROR);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(got, 0);
    errno = 0;
    assert_int_equal(xct_reader_next_batch(r, &rec, &off, 1, NULL),
                     XCT_READ_ERROR);
    assert_int_equal(errno, EINVAL);
    /* An empty input ends at once; offs may be NULL. */
    got = 99;
    assert_int_equal(xct_reader_next_batch(r, &rec, NULL, 1, &got),
                     XCT_READ_END);
    assert_int_equal(got, 0);
    xct_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_order),
        cmocka_unit_test(test_batch_damaged),
        cmocka_unit_test(test_batch_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
