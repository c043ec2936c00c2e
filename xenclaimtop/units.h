/* units.h: page counts, rates and ages formatted for people and for machines. */
/* SPDX-License-Identifier: MIT */
#ifndef TOP_UNITS_H
#define TOP_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Pages are 4 KiB: 256 to a MiB, 262144 to a GiB. */
enum top_unit {
    TOP_UNIT_PAGES,
    TOP_UNIT_MIB,
    TOP_UNIT_GIB,
    TOP_NUNITS
};

/*
 * Parse "pages", "p", "MiB", "m", "GiB", "g" (any case) into *u.
 * Returns 0, or -EINVAL for anything else (*u untouched).
 */
int top_unit_parse(const char *s, enum top_unit *u);

/* "pages", "MiB", "GiB" (for people); "?" out of range. */
const char *top_unit_name(enum top_unit u);

/* "pages", "mib", "gib" (suffix of CSV headers and JSON keys). */
const char *top_unit_key(enum top_unit u);

/* The next unit in the cycle pages -> MiB -> GiB -> pages. */
enum top_unit top_unit_next(enum top_unit u);

/* pages expressed in u, as a double (for rates and sorting). */
double top_unit_value(double pages, enum top_unit u);

/*
 * For people: pages in u ("786432", "3072.0", "3.00"), signed variant
 * for headroom.  Writes at most len bytes into buf and returns buf.
 */
char *top_fmt_pages(char *buf, size_t len, uint64_t pages, enum top_unit u);
char *top_fmt_spages(char *buf, size_t len, int64_t pages, enum top_unit u);

/*
 * For machines: the exact decimal value of pages in u, without trailing
 * zeros ("786432", "3072", "0.00390625").  Returns buf.
 */
char *top_fmt_exact(char *buf, size_t len, uint64_t pages, enum top_unit u);
char *top_fmt_sexact(char *buf, size_t len, int64_t pages, enum top_unit u);

/*
 * A rate in at most 8 characters ("12.5", "123456", "1.23e+09"), "-"
 * when per_s < 0 (unknown).
 */
char *top_fmt_rate(char *buf, size_t len, double per_s);

/*
 * A duration for people: "0.4s", "42s", "12m05s", "3h07m", "2d03h";
 * "-" when ns < 0 (unknown).
 */
char *top_fmt_age(char *buf, size_t len, int64_t ns);

/*
 * Parse an interval in seconds ("1", "0.5", "2.25") into *out.
 * Returns 0, or -EINVAL when it is not a number in [0.01, 3600].
 */
int top_parse_seconds(const char *s, double *out);

#endif /* TOP_UNITS_H */
