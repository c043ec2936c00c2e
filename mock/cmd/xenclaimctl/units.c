/* units.c: xenclaimctl's numbers, sizes with units, display formats. */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"

#define MIB (1024ull * 1024)

/* Digits of s (decimal, or hex after 0x) into *out; *end past them. */
static int parse_digits(const char *s, bool allow_hex, uint64_t *out,
                        const char **end)
{
    unsigned int base = 10, d;
    uint64_t v = 0;
    const char *p = s;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-')
        return -EDOM;
    if (*p == '+')
        p++;
    if (allow_hex && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (base == 16 ? !isxdigit((unsigned char)*p)
                   : !isdigit((unsigned char)*p))
        return -EINVAL;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p))
            d = (unsigned int)(*p - '0');
        else if (base == 16 && isxdigit((unsigned char)*p))
            d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return -ERANGE;
        v = v * base + d;
    }
    *out = v;
    *end = p;
    return 0;
}

int ctl_parse_u64(const char *s, bool allow_hex, uint64_t *out)
{
    const char *end;
    int rc = parse_digits(s, allow_hex, out, &end);

    if (rc)
        return rc;
    return *end ? -EINVAL : 0;
}

/* Bytes per unit of a suffix, 0 when it is not one. */
static uint64_t unit_bytes(const char *u)
{
    static const struct {
        char letter;
        uint64_t bytes;
    } units[] = {
        { 'b', 1 }, { 'k', 1ull << 10 }, { 'm', 1ull << 20 },
        { 'g', 1ull << 30 }, { 't', 1ull << 40 }, { 'p', 1ull << 50 },
    };
    unsigned int i;
    char c = (char)tolower((unsigned char)u[0]);

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (c != units[i].letter)
            continue;
        /* "M", "MB", "MiB" (any case); "B" alone. */
        if (!u[1] || (c != 'b' && (!strcasecmp(u + 1, "b") ||
                                   !strcasecmp(u + 1, "ib"))))
            return units[i].bytes;
    }
    return 0;
}

int ctl_parse_size(const char *s, uint64_t bare_unit, uint64_t *bytes)
{
    const char *end;
    uint64_t v, mult;
    int rc = parse_digits(s, false, &v, &end);

    if (rc)
        return rc;
    while (*end == ' ')
        end++;
    mult = *end ? unit_bytes(end) : bare_unit;
    if (!mult)
        return -EINVAL;
    if (v && mult > UINT64_MAX / v)
        return -ERANGE;
    *bytes = v * mult;
    return 0;
}

static int bytes_to_pages(uint64_t bytes, uint64_t *pages)
{
    if (bytes % CTL_PAGE_SIZE)
        return -ENOTSUP;
    *pages = bytes / CTL_PAGE_SIZE;
    return 0;
}

int ctl_parse_pages(const char *s, uint64_t *pages)
{
    uint64_t bytes;
    int rc = ctl_parse_size(s, CTL_PAGE_SIZE, &bytes);

    return rc ? rc : bytes_to_pages(bytes, pages);
}

int ctl_parse_memory(const char *s, uint64_t *pages)
{
    uint64_t bytes;
    int rc = ctl_parse_size(s, MIB, &bytes);

    return rc ? rc : bytes_to_pages(bytes, pages);
}

int ctl_bad_number(const char *cmd, const char *what, const char *s, int rc)
{
    const char *why;

    switch (rc) {
    case -EDOM:
        why = "negative numbers are not allowed";
        break;
    case -ERANGE:
        why = "too large";
        break;
    case -ENOTSUP:
        why = "not a whole number of 4 KiB pages";
        break;
    default:
        why = "not a number (units: B, K, M, G, T)";
        break;
    }
    return ctl_usage_error(cmd, "bad %s '%s': %s", what, s, why);
}

uint64_t ctl_pages_to_mib(uint64_t pages)
{
    return pages >> (20 - CTL_PAGE_SHIFT);
}

uint64_t ctl_pages_to_bytes(uint64_t pages)
{
    if (pages > (UINT64_MAX >> CTL_PAGE_SHIFT))
        return UINT64_MAX;
    return pages << CTL_PAGE_SHIFT;
}

const char *ctl_fmt_pages(uint64_t pages, char *buf, size_t len)
{
    static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
    uint64_t kib = pages * (CTL_PAGE_SIZE / 1024);
    unsigned int u = 0;
    uint64_t div = 1;

    while (u + 1 < sizeof(names) / sizeof(names[0]) && kib >= div * 1024)
        div *= 1024, u++;
    if (kib % div == 0)
        snprintf(buf, len, "%llu %s", (unsigned long long)(kib / div),
                 names[u]);
    else
        snprintf(buf, len, "%.1f %s", (double)kib / (double)div, names[u]);
    return buf;
}

const char *ctl_fmt_state(uint32_t flags, char *buf)
{
    bool paused = flags & HYP_DOMF_PAUSED, dying = flags & HYP_DOMF_DYING;

    memcpy(buf, "------", 7);
    if (!paused && !dying)
        buf[0] = 'r';
    if (paused)
        buf[2] = 'p';
    if (dying)
        buf[5] = 'd';
    return buf;
}

double ctl_uptime(uint64_t created_ns)
{
    struct timespec ts;
    uint64_t now;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return now > created_ns ? (double)(now - created_ns) / 1e9 : 0.0;
}
