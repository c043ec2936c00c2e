/* test_xct_mem.c: domid tables: zeroed, page-aligned, committed a range at a time, and dropping pages keeps the neighbours' bytes. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xct_mem.h"

#define LEN (5u << 20)

static void test_map_zeroed_aligned(void **state)
{
    uint8_t *p = xct_mem_map(LEN);
    size_t i, nonzero = 0;

    (void)state;
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % (uintptr_t)sysconf(_SC_PAGESIZE), 0);
    for (i = 0; i < LEN; i += 4093)
        nonzero += p[i] != 0;
    assert_int_equal(nonzero, 0);
    p[LEN - 1] = 1;                 /* the whole length is usable */
    xct_mem_unmap(p, LEN);
    assert_null(xct_mem_map(0));
}

/* Drop an unaligned range: whole pages inside read as zero, the rest stays. */
static void test_drop_keeps_neighbours(void **state)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t from = 3 * page + 100, len = 5 * page + 200, i;
    size_t start = (from + page - 1) / page * page;
    size_t end = (from + len) / page * page;
    uint8_t *p = xct_mem_map(LEN);
    size_t bad = 0;

    (void)state;
    assert_non_null(p);
    memset(p, 0xa5, 16 * page);
    xct_mem_drop(p + from, len);
    for (i = 0; i < 16 * page; i++) {
        uint8_t want = (i >= start && i < end) ? 0 : 0xa5;

        bad += p[i] != want;
    }
    assert_int_equal(bad, 0);
    /* Less than a page: nothing dropped. */
    xct_mem_drop(p + 10 * page + 1, page - 2);
    assert_int_equal(p[10 * page + 1], 0xa5);
    xct_mem_drop(NULL, page);
    xct_mem_unmap(p, LEN);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Pages of [p, p + n pages) resident now. */
static size_t resident(uint8_t *p, size_t n)
{
    unsigned char v[64];
    size_t i, k = 0;

    assert_true(n <= sizeof(v));
    assert_int_equal(mincore(p, n * (size_t)sysconf(_SC_PAGESIZE), v), 0);
    for (i = 0; i < n; i++)
        k += v[i] & 1;
    return k;
}

/* Commit makes exactly the pages touching the range resident, zeroed. */
static void test_commit_pages(void **state)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), i, nonzero = 0;
    uint8_t *p = xct_mem_map(LEN);

    (void)state;
    assert_non_null(p);
    if (madvise(p + 63 * page, page, MADV_POPULATE_WRITE) != 0) {
        xct_mem_unmap(p, LEN);
        skip();                 /* a kernel before 5.14 */
    }
    assert_int_equal(resident(p, 63), 0);
    xct_mem_commit(p + 2 * page + 100, 3 * page);  /* pages 2 .. 5 */
    assert_int_equal(resident(p, 2), 0);
    assert_int_equal(resident(p + 2 * page, 4), 4);
    assert_int_equal(resident(p + 6 * page, 57), 0);
    for (i = 2 * page; i < 6 * page; i++)
        nonzero += p[i] != 0;
    assert_int_equal(nonzero, 0);
    xct_mem_commit(NULL, page);
    xct_mem_commit(p, 0);
    assert_int_equal(resident(p, 2), 0);
    xct_mem_unmap(p, LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_zeroed_aligned),
        cmocka_unit_test(test_drop_keeps_neighbours),
        cmocka_unit_test(test_commit_pages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
