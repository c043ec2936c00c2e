/* xca_units.c: parsing durations and rates, formatting sizes and times. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xca_int.h"

int xca_parse_time(const char *s, double *secs)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {
        { "", 1.0 }, { "s", 1.0 }, { "ms", 1e-3 }, { "us", 1e-6 },
        { "ns", 1e-9 }, { "min", 60.0 },
    };
    char *end;
    double v;
    unsigned int i;

    if (!s || !secs || !*s)
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || !(v >= 0) || !isfinite(v))
        return -EINVAL;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            *secs = v * units[i].scale;
            return 0;
        }
    }
    return -EINVAL;
}

int xca_parse_hz(const char *s, double *hz)
{
    char *end;
    double v;

    if (!s || !hz || !*s)
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s)
        return -EINVAL;
    switch (*end) {
    case 'k': case 'K': v *= 1e3; end++; break;
    case 'M': v *= 1e6; end++; break;
    case 'G': v *= 1e9; end++; break;
    default: break;
    }
    if (strcmp(end, "Hz") == 0 || strcmp(end, "hz") == 0)
        end += 2;
    if (*end || !(v > 0) || !isfinite(v))
        return -EINVAL;
    *hz = v;
    return 0;
}

/*
 * x with prec (<= 6) decimals, as snprintf's "%.*f" writes it: the exact
 * binary value rounded to nearest, ties to even; without its cost in
 * the common range (|x| < 1e12), the rest left to snprintf.
 */
size_t xca_fmt_fixed_n(char *buf, size_t len, double x, unsigned int prec)
{
    static const uint32_t pow10[] = { 1, 10, 100, 1000, 10000, 100000,
                                      1000000 };
    char tmp[48], *q = tmp + sizeof(tmp);
    unsigned __int128 p, v;
    uint64_t mant, ip, fp, bits;
    double ax = fabs(x);
    unsigned int i, sh;
    int e;

    if (prec > 6 || !(ax < 1e12) || len < 2) {
        snprintf(buf, len, "%.*f", (int)prec, x);
        return len ? strlen(buf) : 0;
    }
    /* ax = mant * 2^(e-53), from the bits: no libm calls */
    memcpy(&bits, &ax, sizeof(bits));
    e = (int)(bits >> 52) - 1022;
    mant = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    if (e == -1022)
        mant = 0;           /* zero or subnormal: below any decimal shown */
    p = (unsigned __int128)mant * pow10[prec];
    if (e >= 53) {
        v = p << (e - 53);
    } else {
        sh = (unsigned int)(53 - e);
        if (sh >= 100) {
            v = 0;                      /* p < 2^73: less than half */
        } else {
            unsigned __int128 rem = p & (((unsigned __int128)1 << sh) - 1);
            unsigned __int128 half = (unsigned __int128)1 << (sh - 1);

            v = p >> sh;
            if (rem > half || (rem == half && (v & 1)))
                v++;
        }
    }
    /* v <= 1e12 * 10^prec < 2^64: the divisions need not be 128-bit */
    ip = (uint64_t)v / pow10[prec];
    fp = (uint64_t)v % pow10[prec];
    *--q = '\0';
    if (prec) {
        for (i = 0; i < prec; i++) {
            *--q = (char)('0' + fp % 10);
            fp /= 10;
        }
        *--q = '.';
    }
    do {
        *--q = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (signbit(x))
        *--q = '-';
    i = (unsigned int)(tmp + sizeof(tmp) - q);    /* with the NUL */
    if (i > len) {
        i = (unsigned int)len;
        q[i - 1] = '\0';
    }
    memcpy(buf, q, i);
    return i - 1;
}

const char *xca_fmt_fixed(char *buf, size_t len, double x, unsigned int prec)
{
    xca_fmt_fixed_n(buf, len, x, prec);
    return buf;
}

const char *xca_fmt_pages(char *buf, size_t len, int64_t pages)
{
    return xca_fmt_pages_d(buf, len, (double)pages);
}

const char *xca_fmt_pages_d(char *buf, size_t len, double pages)
{
    xca_fmt_pages_n(buf, len, pages);
    return buf;
}

size_t xca_fmt_pages_n(char *buf, size_t len, double pages)
{
    static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
    double v = pages * 4.0;
    unsigned int u = 0;
    const char *sign = "";
    char num[64];
    size_t n;

    if (v < 0) {
        sign = "-";
        v = -v;
    }
    while (v >= 1024.0 && u < 3) {
        v /= 1024.0;
        u++;
    }
    if (!(v < 1e12)) {
        if (u == 0)
            snprintf(buf, len, "%s%.0f %s", sign, v, unit[u]);
        else
            snprintf(buf, len, "%s%.*f %s", sign, v < 10 ? 2 : 1, v,
                     unit[u]);
        return len ? strlen(buf) : 0;
    }
    /* sign, number, space, unit: what "%s%.*f %s" writes */
    n = 0;
    if (*sign)
        num[n++] = '-';
    n += xca_fmt_fixed_n(num + n, sizeof(num) - n, v,
                         u == 0 ? 0 : v < 10 ? 2 : 1);
    num[n++] = ' ';
    memcpy(num + n, unit[u], 4);        /* with its NUL */
    n += 4;
    if (!len)
        return 0;
    if (n > len) {
        n = len;
        num[n - 1] = '\0';
    }
    memcpy(buf, num, n);
    return n - 1;
}

void xca_json_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', f);
    for (; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void xca_csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void xca_xml_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
        }
    }
}
