/* xsc_util.c: sizes, times and names as scenarios write them. */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xsc_int.h"

struct unit {
    const char *name;
    uint64_t num;       /* value of one unit = num / den base units */
};

/* Sizes in bytes; "p" and a bare number are pages. */
static const struct unit size_units[] = {
    { "K", 1ULL << 10 }, { "M", 1ULL << 20 }, { "G", 1ULL << 30 },
    { "T", 1ULL << 40 }, { "p", 1ULL << XSC_PAGE_SHIFT },
    { "", 1ULL << XSC_PAGE_SHIFT },
};

static const struct unit time_units[] = {
    { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
    { "s", XSC_NS_PER_S }, { "min", 60 * XSC_NS_PER_S },
};

/*
 * Split s into digits[.digits] and a unit; value = number * unit exactly
 * in base units (bytes or ns).  0, -EINVAL (malformed), -ERANGE (too
 * large), -EDOM (not a whole number of base units).
 */
static int parse_number(const char *s, const struct unit *units,
                        unsigned int nr_units, int size_units_ci,
                        unsigned __int128 *value, uint64_t *unit_value,
                        const char **unit_name)
{
    unsigned __int128 ip = 0, fp = 0, fden = 1, v;
    const char *p = s;
    unsigned int i, ndig = 0;

    while (isdigit((unsigned char)*p)) {
        ip = ip * 10 + (unsigned)(*p++ - '0');
        if (ip > ((unsigned __int128)1 << 80))
            return -ERANGE;
        ndig++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (fden < ((unsigned __int128)1 << 60)) {
                fp = fp * 10 + (unsigned)(*p - '0');
                fden *= 10;
            } else if (*p != '0') {
                return -EDOM;
            }
            p++;
            ndig++;
        }
    }
    if (!ndig)
        return -EINVAL;
    for (i = 0; i < nr_units; i++) {
        if (size_units_ci ? !strcasecmp(p, units[i].name)
                          : !strcmp(p, units[i].name))
            break;
    }
    if (i == nr_units)
        return -EINVAL;
    v = fp * units[i].num;
    if (v % fden)
        return -EDOM;
    *value = ip * units[i].num + v / fden;
    *unit_value = units[i].num;
    *unit_name = units[i].name;
    return 0;
}

int xsc_parse_size(const char *s, uint64_t *pages, uint64_t *step,
                   char *msg, size_t msglen)
{
    unsigned __int128 bytes;
    uint64_t unit;
    const char *uname;
    int rc;

    /* Units are case-insensitive: 2g is 2G, 100P is 100p. */
    rc = parse_number(s, size_units, sizeof(size_units) / sizeof(*size_units),
                      1, &bytes, &unit, &uname);
    if (rc == -EINVAL) {
        snprintf(msg, msglen, "bad size '%s': expected a number with a unit "
                 "K, M, G, T (bytes) or p (pages)", s);
        return -EINVAL;
    }
    if (rc == 0 && bytes % (1u << XSC_PAGE_SHIFT))
        rc = -EDOM;
    if (rc == -EDOM) {
        snprintf(msg, msglen, "size '%s' is not a whole number of 4 KiB "
                 "pages", s);
        return -EINVAL;
    }
    if (rc == -ERANGE || (bytes >> XSC_PAGE_SHIFT) > XSC_MAX_PAGES) {
        snprintf(msg, msglen, "size '%s' is too large (at most 4096T)", s);
        return -EINVAL;
    }
    *pages = (uint64_t)(bytes >> XSC_PAGE_SHIFT);
    unit >>= XSC_PAGE_SHIFT;
    *step = unit ? unit : 1;
    (void)uname;
    return 0;
}

int xsc_parse_time(const char *s, uint64_t *ns, uint64_t *step,
                   char *msg, size_t msglen)
{
    unsigned __int128 v;
    uint64_t unit;
    const char *uname;
    int rc;

    rc = parse_number(s, time_units, sizeof(time_units) / sizeof(*time_units),
                      0, &v, &unit, &uname);
    if (rc == -EINVAL) {
        snprintf(msg, msglen, "bad time '%s': expected a number with a unit "
                 "ns, us, ms, s or min", s);
        return -EINVAL;
    }
    if (rc == -EDOM) {
        snprintf(msg, msglen, "time '%s' is not a whole number of "
                 "nanoseconds", s);
        return -EINVAL;
    }
    if (rc == -ERANGE || v > XSC_MAX_NS) {
        snprintf(msg, msglen, "time '%s' is too large", s);
        return -EINVAL;
    }
    *ns = (uint64_t)v;
    *step = unit;
    return 0;
}

char *xsc_fmt_size(char *buf, size_t len, uint64_t pages)
{
    if (!pages)
        snprintf(buf, len, "0");
    else if (pages % (1ULL << 18) == 0)
        snprintf(buf, len, "%" PRIu64 "G", pages >> 18);
    else if (pages % 256 == 0)
        snprintf(buf, len, "%" PRIu64 "M", pages >> 8);
    else
        snprintf(buf, len, "%" PRIu64 "p", pages);
    return buf;
}

char *xsc_fmt_time(char *buf, size_t len, uint64_t ns)
{
    snprintf(buf, len, "%" PRIu64 ".%06" PRIu64 "s", ns / XSC_NS_PER_S,
             (ns % XSC_NS_PER_S) / 1000);
    return buf;
}

static const char *const op_names[XSC_OP_NR] = {
    [XSC_OP_CREATE] = "create",
    [XSC_OP_DESTROY] = "destroy",
    [XSC_OP_CLAIM] = "claim",
    [XSC_OP_CANCEL] = "cancel",
    [XSC_OP_MEMSET] = "mem-set",
    [XSC_OP_MEMMAX] = "mem-max",
    [XSC_OP_TMEM_PUT] = "tmem put",
    [XSC_OP_TMEM_FLUSH] = "tmem flush",
    [XSC_OP_OFFLINE] = "offline",
    [XSC_OP_WAIT] = "wait",
};

const char *xsc_op_name(enum xsc_op_kind k)
{
    return (unsigned int)k < XSC_OP_NR ? op_names[k] : "?";
}

const char *xsc_outcome_name(enum xsc_outcome o)
{
    switch (o) {
    case XSC_PENDING:       return "not started";
    case XSC_BUILDING:      return "still building";
    case XSC_BUILT:         return "built";
    case XSC_CREATE_FAILED: return "create failed";
    case XSC_CLAIM_REFUSED: return "refused at claim";
    case XSC_HALF_BUILT:    return "failed half-way";
    case XSC_POPULATE_FAILED: return "populate failed";
    case XSC_DIED:          return "died mid-build";
    case XSC_SETUP_FAILED:  return "set-maxmem failed";
    }
    return "?";
}
