/* xc_private.h: internals of the libxenctrl-compatible library over the mock daemon. */
/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * The library answers Debian's libxenctrl 4.17 API (the prototypes and
 * structures come from the system's <xenctrl.h>, never re-declared here)
 * by sending each call to a running `xenclaim-mock serve` through the xcm
 * client of mock/proto/xcm_client.h.  Only the xc_* functions are
 * exported (libxenctrl.map, version node VERS_4.17.0); every helper below
 * is hidden (-fvisibility=hidden) and prefixed xcl_.
 *
 * Error convention, as libxenctrl's: a function returns -1 with errno set
 * (pointer functions: NULL with errno) unless its header comment says
 * otherwise (extent counts, domain counts).  The xcm client answers a
 * negative errno; xcl_fail() turns it into that convention.
 */
#ifndef XC_PRIVATE_H
#define XC_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* The API keeps default visibility even under -fvisibility=hidden. */
#pragma GCC visibility push(default)
#include <xenctrl.h>
#pragma GCC visibility pop

#include "mock/proto/xcm_client.h"

/* Domain ids travel as domid_t (16 bits) in Xen's domctl and memory ops. */
#define XCL_DOMID(id)       ((uint32_t)(uint16_t)(id))

/* Fixed figures of the simulated host, where the mock has none. */
#define XCL_CPU_KHZ         2400000u
#define XCL_XEN_MAJOR       4
#define XCL_XEN_MINOR       17

/* One handle: one connection to the daemon, acting as dom0. */
struct xc_interface_core {
    struct xcm_client *cli;             /* NULL for XC_OPENFLAG_DUMMY */
    xentoollog_logger *logger;          /* NULL: errors go to stderr */
    xentoollog_logger *dombuild_logger; /* kept, unused (no builder) */
    unsigned int open_flags;
    bool locked;                        /* false with NON_REENTRANT */
    pthread_mutex_t lock;               /* serialises use of cli */
    xc_error last_error;
};

/*
 * Log through the handle's logger (or to stderr at XTL_PROGRESS and above
 * when it has none).  errnoval is an errno to append, or -1.  Messages at
 * XTL_ERROR and above also become the handle's last error.  errno is
 * preserved.
 */
void xcl_log(xc_interface *xch, xentoollog_level level, int errnoval,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Take the handle for one call to the daemon: returns its client (lock
 * held), or NULL with errno EBADF for a dummy handle (lock not held).
 * Every non-NULL result is paired with xcl_put().
 */
struct xcm_client *xcl_get(xc_interface *xch);
/* Release the handle taken by xcl_get(). */
void xcl_put(xc_interface *xch);

/*
 * Turn a negative errno from the xcm client into libxenctrl's convention:
 * sets errno to -rc and returns -1.  Connection failures (the daemon went
 * away, a malformed reply) are also logged as errors.
 */
int xcl_fail(xc_interface *xch, const char *what, long rc);

/*
 * Read the host's figures (one xcm_physinfo round trip).  0, or -1 with
 * errno.
 */
int xcl_physinfo(xc_interface *xch, struct hyp_physinfo *pi);

#endif /* XC_PRIVATE_H */
