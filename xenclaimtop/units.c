/* units.c: page counts, rates and ages formatted for people and for machines. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

/* log2 of the pages in one unit. */
static const unsigned int unit_shift[TOP_NUNITS] = { 0, 8, 18 };
static const char *const unit_names[TOP_NUNITS] = { "pages", "MiB", "GiB" };
static const char *const unit_keys[TOP_NUNITS] = { "pages", "mib", "gib" };

int top_unit_parse(const char *s, enum top_unit *u)
{
    static const struct {
        const char *name;
        enum top_unit u;
    } names[] = {
        { "pages", TOP_UNIT_PAGES }, { "page", TOP_UNIT_PAGES },
        { "p", TOP_UNIT_PAGES },
        { "mib", TOP_UNIT_MIB }, { "m", TOP_UNIT_MIB },
        { "gib", TOP_UNIT_GIB }, { "g", TOP_UNIT_GIB },
    };
    size_t i;

    if (!s)
        return -EINVAL;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *u = names[i].u;
            return 0;
        }
    }
    return -EINVAL;
}

const char *top_unit_name(enum top_unit u)
{
    return (unsigned int)u < TOP_NUNITS ? unit_names[u] : "?";
}

const char *top_unit_key(enum top_unit u)
{
    return (unsigned int)u < TOP_NUNITS ? unit_keys[u] : "?";
}

enum top_unit top_unit_next(enum top_unit u)
{
    return (enum top_unit)(((unsigned int)u + 1) % TOP_NUNITS);
}

double top_unit_value(double pages, enum top_unit u)
{
    if ((unsigned int)u >= TOP_NUNITS)
        return pages;
    return ldexp(pages, -(int)unit_shift[u]);
}

char *top_fmt_spages(char *buf, size_t len, int64_t pages, enum top_unit u)
{
    switch (u) {
    case TOP_UNIT_MIB:
        snprintf(buf, len, "%.1f", top_unit_value((double)pages, u));
        break;
    case TOP_UNIT_GIB:
        snprintf(buf, len, "%.2f", top_unit_value((double)pages, u));
        break;
    default:
        snprintf(buf, len, "%" PRId64, pages);
        break;
    }
    return buf;
}

char *top_fmt_pages(char *buf, size_t len, uint64_t pages, enum top_unit u)
{
    if (u == TOP_UNIT_PAGES) {
        snprintf(buf, len, "%" PRIu64, pages);
        return buf;
    }
    if (pages > INT64_MAX)
        pages = INT64_MAX;
    return top_fmt_spages(buf, len, (int64_t)pages, u);
}

/*
 * pages / 2^s exactly: the fraction f / 2^s equals f * 5^s / 10^s, which
 * fits in 64 bits for s <= 18 (f < 2^18, 5^18 < 2^42).
 */
static char *fmt_exact(char *buf, size_t len, const char *sign,
                       uint64_t pages, enum top_unit u)
{
    unsigned int s = (unsigned int)u < TOP_NUNITS ? unit_shift[u] : 0;
    uint64_t whole = pages >> s;
    uint64_t frac = pages & ((UINT64_C(1) << s) - 1);
    uint64_t p5 = 1;
    unsigned int i, digits = s;
    char fbuf[24];

    if (frac == 0) {
        snprintf(buf, len, "%s%" PRIu64, sign, whole);
        return buf;
    }
    for (i = 0; i < s; i++)
        p5 *= 5;
    frac *= p5;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(fbuf, sizeof(fbuf), "%0*" PRIu64, (int)digits, frac);
    snprintf(buf, len, "%s%" PRIu64 ".%s", sign, whole, fbuf);
    return buf;
}

char *top_fmt_exact(char *buf, size_t len, uint64_t pages, enum top_unit u)
{
    return fmt_exact(buf, len, "", pages, u);
}

char *top_fmt_sexact(char *buf, size_t len, int64_t pages, enum top_unit u)
{
    if (pages < 0)
        return fmt_exact(buf, len, "-", (uint64_t)0 - (uint64_t)pages, u);
    return fmt_exact(buf, len, "", (uint64_t)pages, u);
}

char *top_fmt_rate(char *buf, size_t len, double per_s)
{
    /* At most 8 characters: "999.9", "999999", "1.23e+09". */
    if (per_s < 0 || isnan(per_s))
        snprintf(buf, len, "-");
    else if (per_s >= 999999.5)
        snprintf(buf, len, "%.3g", per_s);
    else if (per_s >= 999.95)
        snprintf(buf, len, "%.0f", per_s);
    else
        snprintf(buf, len, "%.1f", per_s);
    return buf;
}

char *top_fmt_age(char *buf, size_t len, int64_t ns)
{
    int64_t s;

    if (ns < 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (ns < INT64_C(10000000000)) {
        /* Tenths, truncated: a claim is never shown older than it is. */
        snprintf(buf, len, "%" PRId64 ".%" PRId64 "s",
                 ns / 1000000000, ns / 100000000 % 10);
        return buf;
    }
    s = ns / 1000000000;
    if (s < 60)
        snprintf(buf, len, "%" PRId64 "s", s);
    else if (s < 3600)
        snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600,
                 s / 60 % 60);
    else
        snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", s / 86400,
                 s / 3600 % 24);
    return buf;
}

int top_parse_seconds(const char *s, double *out)
{
    char *end;
    double v;

    if (!s || !*s)
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || isnan(v) || v < 0.01 || v > 3600)
        return -EINVAL;
    *out = v;
    return 0;
}
