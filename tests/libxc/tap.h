/* tap.h: TAP output and checks for the libxenctrl test programs (header only). */
/* SPDX-License-Identifier: MIT */
/*
 * The programs print unnumbered TAP lines ("ok - what", "not ok - what:
 * expected X, got Y"); tests/scripts/libxc.sh numbers them across all
 * programs.  tap_done() returns the exit status: 1 after any failure.
 *
 * Every program takes the figures the daemon was started with, so that
 * expectations come from the test's own inputs, never from the library:
 *   argv[1] total pages   argv[2] dom0 pages   argv[3] NUMA nodes
 *   argv[4] CPUs          argv[5] pages Xen takes per created domain
 */
#ifndef LIBXC_TAP_H
#define LIBXC_TAP_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct host_cfg {
    uint64_t total_pages;
    uint64_t dom0_pages;
    unsigned int nodes;
    unsigned int cpus;
    uint64_t xen_pages;     /* per created domain */
};

static unsigned int tap_failures;

static inline void tap_vline(bool good, const char *detail, const char *fmt,
                      va_list ap)
{
    printf(good ? "ok - " : "not ok - ");
    vprintf(fmt, ap);
    if (!good && detail)
        printf(": %s", detail);
    printf("\n");
    fflush(stdout);
    if (!good)
        tap_failures++;
}

/* One check of a condition; detail says what was seen when it fails. */
static inline bool __attribute__((format(printf, 3, 4)))
tap_ok(bool good, const char *detail, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tap_vline(good, detail, fmt, ap);
    va_end(ap);
    return good;
}

/* Expect seen == expected (unsigned figures). */
static inline bool __attribute__((format(printf, 3, 4)))
tap_eq(uint64_t expected, uint64_t seen, const char *fmt, ...)
{
    char detail[96];
    va_list ap;

    snprintf(detail, sizeof(detail), "expected %" PRIu64 ", got %" PRIu64,
             expected, seen);
    va_start(ap, fmt);
    tap_vline(expected == seen, detail, fmt, ap);
    va_end(ap);
    return expected == seen;
}

/* Name of an errno value, or its number. */
static inline const char *tap_errname(int e)
{
    static char buf[4][16];
    static unsigned int next;
    const char *n = e ? strerrorname_np(e) : "0";
    char *b;

    if (n)
        return n;
    b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]), "errno %d", e);
    return b;
}

/*
 * Expect a call's result rc == expected_rc, and when expected_rc is -1
 * also errno err == expected_err.
 */
static inline bool __attribute__((format(printf, 5, 6)))
tap_rc(int expected_rc, int expected_err, int rc, int err,
       const char *fmt, ...)
{
    char detail[128];
    bool good = rc == expected_rc &&
                (expected_rc != -1 || err == expected_err);
    va_list ap;

    if (expected_rc == -1)
        snprintf(detail, sizeof(detail), "expected -1/%s, got %d/%s",
                 tap_errname(expected_err), rc,
                 rc == -1 ? tap_errname(err) : "-");
    else
        snprintf(detail, sizeof(detail), "expected %d, got %d/%s",
                 expected_rc, rc, rc == -1 ? tap_errname(err) : "-");
    va_start(ap, fmt);
    tap_vline(good, detail, fmt, ap);
    va_end(ap);
    return good;
}

/* Run call, then check its result and errno (errno read right after). */
#define TAP_RC(exp_rc, exp_err, call, ...)                              \
    do {                                                                \
        int rc_ = (errno = 0, (call));                                  \
        int err_ = errno;                                               \
        tap_rc((exp_rc), (exp_err), rc_, err_, __VA_ARGS__);            \
    } while (0)

/* Read the host figures from argv (see above); exits 2 on bad usage. */
static inline void tap_host_cfg(int argc, char **argv, struct host_cfg *h)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s TOTAL_PAGES DOM0_PAGES NODES CPUS "
                "XEN_PAGES_PER_DOMAIN\n", argv[0]);
        exit(2);
    }
    h->total_pages = strtoull(argv[1], NULL, 0);
    h->dom0_pages = strtoull(argv[2], NULL, 0);
    h->nodes = (unsigned int)strtoul(argv[3], NULL, 0);
    h->cpus = (unsigned int)strtoul(argv[4], NULL, 0);
    h->xen_pages = strtoull(argv[5], NULL, 0);
}

/* Stop here (a step the rest depends on failed). */
static inline void __attribute__((noreturn)) tap_bail(const char *why)
{
    printf("not ok - %s: cannot go on\n", why);
    exit(1);
}

static inline int tap_done(void)
{
    return tap_failures ? 1 : 0;
}

#endif /* LIBXC_TAP_H */
