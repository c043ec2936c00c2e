/* xcs.h: where claim state comes from: one contract for every backend (mock buffers, trace file, stream, libxenctrl). */
/* SPDX-License-Identifier: MIT */
/*
 * A source turns one kind of input into a snapshot of the host's claim
 * state and a stream of claim events.  xenclaimtop and the exporter see
 * only this contract; each backend lives in its own folder:
 *
 *   sources/trace/    a xentrace file (replay at recorded speed, faster,
 *                     step by step, or follow it like tail -f), or a
 *                     xentrace stream on a file descriptor (stdin)
 *   sources/mock/     the mock's live per-CPU trace buffers (its daemon
 *                     gives names and switches tracing on)
 *   sources/xenctrl/  libxenctrl polling (xc_physinfo, domain info), as on
 *                     a stock Xen host without the trace points
 *
 * Trace-based backends feed records into libxctrace's state replay
 * (tracepoints/xct_replay.h); the polling backend fills the same snapshot
 * from what libxenctrl reports, and has no events.
 *
 * Usage:
 *
 *     struct xcs *s = xcs_open(&opts, err, sizeof(err));
 *     struct xcs_snapshot snap = { 0 };
 *     while (running) {
 *         if (xcs_poll(s, 100) < 0)          // ingest what is there
 *             ...;                            // see xcs_status()
 *         xcs_snapshot(s, &snap);             // host and domains now
 *     }
 *     xcs_snapshot_release(&snap);
 *     xcs_close(s);
 */
#ifndef XCS_H
#define XCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XCS_NAME_MAX    64
#define XCS_MAX_NODES   64

enum xcs_kind {
    XCS_TRACE_FILE,     /* opts.path: a xentrace file */
    XCS_TRACE_FD,       /* opts.fd: a xentrace stream (a pipe, stdin) */
    XCS_MOCK,           /* opts.path: the mock daemon's socket (NULL:
                           its default); its trace area is attached */
    XCS_XENCTRL,        /* libxenctrl polling (libxenctrl.so.4.17) */
};

enum xcs_status {
    XCS_STARTING,       /* opened, nothing read yet */
    XCS_UP,             /* data flowing (or the host answering) */
    XCS_IDLE,           /* a file replayed to its end (follow: waiting) */
    XCS_DOWN,           /* the peer went away; poll retries */
    XCS_FAILED,         /* corrupt input or a fatal error; see message */
};

struct xcs_opts {
    enum xcs_kind kind;
    const char *path;
    int fd;
    double speed;       /* trace file: 0 as fast as possible, 1 recorded
                           speed, 2 twice as fast... */
    bool step;          /* trace file: only xcs_step() advances */
    bool follow;        /* trace file: wait for more at the end (a
                           partial window waits for its bytes) */
    bool tolerant;      /* trace: skip corrupt data instead of failing
                           (an issue each; inexact until a dump) */
    double cpu_hz;      /* TSC rate of a trace; 0: 1 GHz (the mock's) */
};

/* One domain as seen now.  Counters only grow (rates are differences). */
struct xcs_domain {
    uint32_t domid;
    char name[XCS_NAME_MAX];        /* "" when the source knows no name */
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t claim;                 /* outstanding claim, pages */
    bool dying;
    uint64_t claim_since_ns;        /* source time of the stake, 0: unknown */
    uint64_t claim_staked;          /* pages that stake claimed */
    uint64_t stakes, cancels, deaths, drawn_full, refused;
    uint64_t denials, failed, pages_drawn;
    uint64_t last_event_ns;         /* source time, 0: none */
    char last_event[32];            /* e.g. "stake", "denial" */
};

struct xcs_host {
    uint64_t total_pages;           /* 0: unknown (trace sources) */
    uint64_t free_pages;
    uint64_t freeable_pages;
    uint64_t outstanding_pages;     /* exact: the sum of the claims */
    unsigned int nr_nodes;          /* 0: no per-node figures (traces:
                                       as of the last dump) */
    uint64_t node_free[XCS_MAX_NODES];
    uint64_t stakes, refused, denials, denials_anon, failed;
    uint64_t records, foreign, lost;    /* records fed (libxenctrl:
                                           samples taken) */
    uint64_t issues;                /* replay inconsistencies seen, plus
                                       corrupt data skipped (tolerant) */
    bool exact;                     /* state known exactly (trace sources:
                                       after a dump, until records are
                                       lost or skipped; a live source
                                       that is DOWN is not exact) */
    uint64_t now_ns;                /* source time: trace time for traces,
                                       CLOCK_MONOTONIC for live sources */
};

struct xcs_snapshot {
    struct xcs_host host;
    unsigned int nr_domains;
    unsigned int cap;               /* allocated entries of doms */
    struct xcs_domain *doms;        /* sorted by domid; owned here */
    enum xcs_status status;
    char source[128];               /* what the source is, for a title */
    char message[256];              /* why it is DOWN or FAILED */
};

enum xcs_event_kind {
    XCS_EV_STAKE, XCS_EV_REFUSED, XCS_EV_CANCEL, XCS_EV_RELEASE,
    XCS_EV_DRAW, XCS_EV_TOT_PAGES, XCS_EV_DENIAL, XCS_EV_FAILED,
    XCS_EV_CREATED, XCS_EV_DESTROYED, XCS_EV_DYING, XCS_EV_LOST,
    XCS_EV_DUMP, XCS_EV_ISSUE,
};

/*
 * An event: what a trace record means, as it is taken in.  DUMP marks a
 * state dump (its domains raise no events), ISSUE a replay inconsistency
 * or skipped data (text says which), LOST records the producer lost.
 */
struct xcs_event {
    enum xcs_event_kind kind;
    uint64_t time_ns;               /* source time */
    uint32_t domid;                 /* 0x7ff4: none (anonymous) */
    int err;                        /* refused: the errno (positive) */
    int64_t pages;                  /* the amount the event is about */
    char text[160];                 /* one line for people */
};

typedef void xcs_event_fn(void *opaque, const struct xcs_event *ev);

struct xcs;

/*
 * Open a source.  NULL with errno set and a message in err (errlen bytes)
 * when it cannot be opened at all (no such file, no daemon, no
 * libxenctrl); a source that opens and later dies reports XCS_DOWN.
 */
struct xcs *xcs_open(const struct xcs_opts *opts, char *err, size_t errlen);
/* Close it.  Accepts NULL. */
void xcs_close(struct xcs *s);

/*
 * Ingest what is available, waiting at most timeout_ms (< 0: 0) for
 * something.  Returns the records (or polls) taken in, 0 when nothing
 * came, or a negative errno when the source is DOWN (-ENOTCONN) or FAILED
 * (-EBADMSG for corrupt input, else the errno of the fatal error); see
 * xcs_status() for why.  One call works for a bounded time (about 50 ms,
 * at most 1 M records) so that a UI stays responsive.  When nothing can
 * come (step mode, a file replayed to its end, FAILED) the call still
 * waits out its timeout, so that a loop around it does not spin.
 * A DOWN live source retries connecting (at most once a second) here.
 */
int xcs_poll(struct xcs *s, int timeout_ms);
/*
 * Take in up to n records now, whatever the speed (trace sources; meant
 * for step mode).  Returns how many (fewer when no more are available
 * yet), -EOPNOTSUPP for live sources, or -errno as xcs_poll().
 */
int xcs_step(struct xcs *s, unsigned int n);

/*
 * The current state into snap (its doms array is grown as needed; start
 * from a zeroed snap).  While a state dump is still being read, only the
 * domains it has listed are shown.  0, -EINVAL, or -ENOMEM (snap then
 * holds the domains that fitted).
 */
int xcs_snapshot(struct xcs *s, struct xcs_snapshot *snap);
/* Free what xcs_snapshot() allocated in snap. */
void xcs_snapshot_release(struct xcs_snapshot *snap);

/*
 * Called for every event as it is taken in, from xcs_poll()/xcs_step()
 * (trace and mock sources; libxenctrl has none).  NULL fn: none (then no
 * event text is formatted at all, which is most of the cost of events).
 */
void xcs_set_event_cb(struct xcs *s, xcs_event_fn *fn, void *opaque);

/* Status and, when DOWN or FAILED, why. */
enum xcs_status xcs_status(const struct xcs *s, const char **message);
const char *xcs_status_name(enum xcs_status st);

/* "stake", "refused"... for an event kind, or "?". */
const char *xcs_event_kind_name(enum xcs_event_kind k);

/*
 * Bytes the source holds (handle, replay, domain table, queues; not the
 * snapshots it filled).  0 for NULL.
 */
size_t xcs_memory(const struct xcs *s);

#endif /* XCS_H */
