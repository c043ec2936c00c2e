/* xce_collect.h: turns a claim-state snapshot and the exporter's own counters into a metric set. */
/* SPDX-License-Identifier: MIT */
/*
 * Every metric xenclaim-exporter serves is named here, once: the HTTP
 * renderers and the remote-write encoder all take the set this builds.
 * Memory is in bytes (pages * 4096), counters end in _total on the wire,
 * every per-domain metric carries both domid and name (domids are
 * reused).  See exporters/xenclaim-exporter.1 for the list.
 */
#ifndef XCE_COLLECT_H
#define XCE_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "sources/xcs.h"
#include "xce_mset.h"
#include "xce_render.h"

#define XCE_PAGE_BYTES 4096.0

/* Errnos that refused stakes are counted by; anything else is "other". */
#define XCE_ERRNOS(X) X(EPERM) X(ENOENT) X(ESRCH) X(E2BIG) X(ENOMEM) X(EINVAL)

enum xce_errno_slot {
#define XCE_X_ERR(e) XCE_ERR_##e,
    XCE_ERRNOS(XCE_X_ERR)
#undef XCE_X_ERR
    XCE_ERR_OTHER,
    XCE_NERR
};

/* The exporter's own figures, sampled when a set is built. */
struct xce_self {
    bool have_source;               /* false: no source opened yet */
    uint64_t events;                /* events taken from the source */
    double last_event_age;          /* seconds since the last one, < 0:
                                       none yet */
    uint64_t refused[XCE_NERR];     /* refused stakes by errno slot, as
                                       events reported them */
    uint64_t scrapes[XCE_NFORMATS]; /* /metrics requests by format */
    uint64_t http_errors;           /* requests answered with 4xx/5xx */
    bool rw_enabled;                /* remote write configured */
    uint64_t rw_sent;               /* samples the receiver accepted */
    uint64_t rw_dropped;            /* samples given up on */
    uint64_t rw_failed_requests;    /* pushes that failed (any reason) */
    uint64_t rw_pending;            /* samples queued now */
    bool ev_enabled;                /* event stream configured */
    uint64_t ev_records;            /* records written to the stream */
    uint64_t ev_clients;            /* socket clients connected now */
    uint64_t ev_dropped_clients;    /* clients cut off for being slow */
    uint64_t source_memory;         /* bytes the source holds */
};

/*
 * Fill ms (reset first) from snap (may be NULL: no source yet) and self.
 * Host and domain metrics are left out while the source is STARTING or
 * DOWN (nothing current is known); the exporter's own are always there.
 * Returns 0, or -ENOMEM (ms then holds part of the set).
 */
int xce_collect(struct xce_mset *ms, const struct xcs_snapshot *snap,
                const struct xce_self *self);

/* The slot of a positive errno (XCE_ERR_OTHER when it has none). */
enum xce_errno_slot xce_errno_slot(int err);
/* "EPERM", ..., "other"; "?" when out of range. */
const char *xce_errno_name(enum xce_errno_slot slot);
/* "starting", "up", "idle", "down", "failed"; "?" when out of range. */
const char *xce_status_name(enum xcs_status st);

/* 1 when a source in status st counts as up for xenclaim_source_up. */
int xce_source_up(enum xcs_status st);

#endif /* XCE_COLLECT_H */
