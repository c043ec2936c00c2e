/* test_analyze_fmt.c: the analyzer's fast number formatting against the C library's printf. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/xca.h"
#include "analyze/xca_int.h"

static unsigned int mismatches;

static void compare(double x, unsigned int prec, size_t len)
{
    char want[128], got[128];

    memset(got, 'x', sizeof(got));
    snprintf(want, len, "%.*f", (int)prec, x);
    xca_fmt_fixed(got, len, x, prec);
    if (strcmp(want, got) && mismatches++ < 10)
        print_error("x=%a prec=%u len=%zu: expected \"%s\", got \"%s\"\n",
                    x, prec, len, want, got);
    if (len && xca_fmt_fixed_n(got, len, x, prec) != strlen(want) &&
        mismatches++ < 10)
        print_error("x=%a prec=%u len=%zu: length expected %zu, got %zu\n",
                    x, prec, len, strlen(want),
                    xca_fmt_fixed_n(got, len, x, prec));
}

/* Seeded random values over many magnitudes, every precision, short buffers. */
static void test_fixed_random(void **state)
{
    uint64_t s = 0x5eed5eedULL;
    unsigned int i, prec;
    double x;

    (void)state;
    for (i = 0; i < 400000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x = ldexp((double)(s >> 11), -53) * pow(10, (int)(s % 15) - 3);
        if (s & (1ULL << 62))
            x = -x;
        prec = (unsigned int)((s >> 20) % 7);
        compare(x, prec, 128);
        compare(x, prec, 1 + (s >> 40) % 12);
    }
    assert_int_equal(mismatches, 0);
}

/* Ties, integers, zero, infinities, NaN, huge values (the fallback). */
static void test_fixed_edges(void **state)
{
    static const double v[] = {
        0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1e-7, 999999.9999995,
        1e11, 1e12, 1e15, 123456789.25, 4096.0 / 3, INFINITY, -INFINITY, NAN,
        /* subnormal and smallest normal, halves at the 6th decimal, the
         * largest value of the fast range */
        5e-324, -5e-324, 2.2250738585072014e-308, 5e-7, 1.5e-6, 2.5e-6,
        999999999999.99988, 999999999999.9999, 0.9999995, 9.5, 99.5,
    };
    unsigned int i, prec;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        for (prec = 0; prec <= 6; prec++)
            compare(v[i], prec, 64);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_random),
        cmocka_unit_test(test_fixed_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
