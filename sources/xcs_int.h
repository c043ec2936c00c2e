/* xcs_int.h: what the backends of xcs share: the handle, the backend vtable, the replay glue. */
/* SPDX-License-Identifier: MIT */
/*
 * struct xcs holds what every backend needs: the options, the status and
 * its message, the replay (trace-based backends), the per-domain table
 * (names, last events, dump marks) and the event callback.  A backend
 * keeps its own state behind s->be and implements struct xcs_ops.
 *
 * Trace-based backends hand each record to xcs_feed(), which feeds the
 * replay; the replay's callbacks become struct xcs_event here.  The
 * polling backend (xenctrl) fills snapshots itself (ops->fill).
 */
#ifndef XCS_INT_H
#define XCS_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "sources/xcs.h"
#include "xct_replay.h"

/* Errnos that xcs_poll() returns for the terminal states. */
#define XCS_ERR_DOWN    ENOTCONN    /* DOWN: the peer went away */
#define XCS_ERR_CORRUPT EBADMSG     /* FAILED: corrupt input */

struct xcs_ops {
    /* Ingest for at most timeout_ms; as xcs_poll(). */
    int (*poll)(struct xcs *s, int timeout_ms);
    /* Take in up to n records; as xcs_step().  NULL: -EOPNOTSUPP. */
    int (*step)(struct xcs *s, unsigned int n);
    /* Fill host and domains (NULL: from the replay). */
    int (*fill)(struct xcs *s, struct xcs_snapshot *snap);
    /* Bytes the backend holds, beyond struct xcs. */
    size_t (*memory)(const struct xcs *s);
    /* Release the backend's state (s->be). */
    void (*close)(struct xcs *s);
};

/* One entry of the domain table. */
struct xcs_dent {
    char *name;                 /* NULL: none known */
    uint64_t last_ns;           /* time of the last event, 0: none */
    uint32_t dump_gen;          /* dump that listed it (or created it) */
    uint8_t last_kind;          /* enum xcs_event_kind + 1, 0: none */
};

#define XCS_DT_LEAF_BITS 8u
#define XCS_DT_LEAF      (1u << XCS_DT_LEAF_BITS)
#define XCS_DT_LEAVES    ((XCT_REPLAY_MAX_DOMID + 1) / XCS_DT_LEAF)

struct xcs_domtab {
    struct xcs_dent *leaf[XCS_DT_LEAVES];
    unsigned int nleaves;
};

struct xcs {
    struct xcs_opts opts;
    char *path;                 /* copy of opts.path (or NULL) */
    const struct xcs_ops *ops;
    void *be;

    enum xcs_status status;
    char message[256];
    char source[128];
    double cpu_hz;

    struct xct_replay *replay;  /* trace-based backends, else NULL */
    struct xcs_domtab tab;
    xcs_event_fn *cb;
    void *cb_opaque;

    bool in_dump;               /* a dump began and has not ended */
    uint32_t dump_gen;
    bool inexact;               /* data skipped since the last dump */
    bool live;                  /* now_ns is CLOCK_MONOTONIC */
    uint64_t last_tsc;          /* TSC of the last record fed */
    uint64_t extra_issues;      /* problems seen outside the replay */
    uint64_t total_pages;       /* 0: unknown */
    bool new_domain;            /* a domain without a name appeared */

    /* A gap in the input not yet reached by the records fed. */
    bool gap_pending;
    uint64_t gap_off;           /* where the first pending gap is */
    uint64_t gap_more;          /* further gaps pending */
    char gap_msg[200];
};

/* ---- shared helpers (xcs.c) --------------------------------------------- */

/* Feed one record to s->replay.  0 or -ENOMEM. */
int xcs_feed(struct xcs *s, const struct xct_record *rec, uint64_t off);

/* Nanoseconds of source time for a TSC of the source. */
uint64_t xcs_tsc_ns(const struct xcs *s, uint64_t tsc);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t xcs_mono_ns(void);

/* Set the status and its message (printf format, may be NULL for ""). */
void xcs_set_status(struct xcs *s, enum xcs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A problem outside the replay (skipped data, a reader error in tolerant
 * mode): counted in host.issues, marks the state inexact until the next
 * dump, and goes out as an XCS_EV_ISSUE event with text msg.
 */
void xcs_note_issue(struct xcs *s, uint64_t tsc, const char *msg);

/*
 * A gap in the input at offset off (data skipped in tolerant mode): a
 * reader reports it before it has returned the records that precede it,
 * so it takes effect (xcs_note_issue()) once a record at or beyond off is
 * fed, or at xcs_flush_gaps() - not before a dump that precedes it.
 */
void xcs_defer_issue(struct xcs *s, uint64_t off, const char *msg);

/* Apply the pending gaps now (the input ended or stopped). */
void xcs_flush_gaps(struct xcs *s);

/* Set (name non-NULL) or clear domid's name.  0 or -ENOMEM. */
int xcs_set_name(struct xcs *s, uint32_t domid, const char *name);

/* The entry of domid, or NULL when absent (create: allocate). */
struct xcs_dent *xcs_dent(struct xcs *s, uint32_t domid, bool create);

/* Free the domain table. */
void xcs_domtab_free(struct xcs_domtab *t);

/* Bytes the domain table holds. */
size_t xcs_domtab_memory(const struct xcs_domtab *t);

/* Grow snap->doms to hold n entries.  0 or -ENOMEM. */
int xcs_snap_reserve(struct xcs_snapshot *snap, unsigned int n);

/* Wait until CLOCK_MONOTONIC reaches deadline_ns (or a signal). */
void xcs_sleep_until(uint64_t deadline_ns);

/* ---- backends ----------------------------------------------------------- */

/*
 * Each sets s->ops, s->be, s->source and the status, or returns -errno
 * with a message in err.  s->opts and s->path are set; s->replay is
 * created by the caller for the trace-based kinds.
 */
int xcs_trace_open(struct xcs *s, char *err, size_t errlen);
int xcs_mock_open(struct xcs *s, char *err, size_t errlen);
int xcs_xenctrl_open(struct xcs *s, char *err, size_t errlen);

#endif /* XCS_INT_H */
