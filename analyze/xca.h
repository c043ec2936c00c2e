/* xca.h: post-mortem analysis of xenclaim traces (libxcanalyze). */
/* SPDX-License-Identifier: MIT */
/*
 * An analysis takes the records of a trace in TSC order (as xct_reader
 * returns them), replays them with xct_replay and keeps what a
 * post-mortem needs: each domain's claims from stake to end, every
 * allocation denied because of claims with the domains whose claims
 * blocked it, refused stakes, the host's free / freeable / outstanding
 * timeline and its low points, gaps of lost or skipped records, and
 * every inconsistency the replay finds, with its record's file offset.
 *
 * Memory follows the number of domains, not the size of the trace:
 * lists that grow with the trace (claims, denials, refused stakes,
 * inconsistencies, gaps) are written to unlinked temporary files (in
 * $TMPDIR, else /tmp) as they are found and read back by the reports;
 * the timeline keeps a bounded number of buckets, each with the lowest,
 * highest and last value of every series, so low points survive.
 *
 * Usage:
 *
 *     struct xca_opts o = XCA_OPTS_INIT;
 *     struct xca *a = xca_new(&o);
 *     int rc = xca_read_file(a, path, &ro, stderr);   (or xca_feed())
 *     xca_finish(a);
 *     xca_report_text(a, stdout);
 *     xca_free(a);
 *
 * Times are seconds since the first record of the trace (of any kind),
 * from TSC ticks at opts.cpu_hz.  A handle is used by one thread.
 */
#ifndef XCA_H
#define XCA_H

#include <stdint.h>
#include <stdio.h>

#include "xct_reader.h"
#include "xct_record.h"
#include "xct_replay.h"

#define XCA_MAX_DOMAINS  65536u     /* domids 0 .. 0xffff */
#define XCA_TOP_HOLDERS  8u         /* claim holders listed per denial */
#define XCA_DEFAULT_HZ   1e9        /* the mock's TSC: 1 GHz */
#define XCA_PAGE_BYTES   4096u

/* Options of an analysis. */
struct xca_opts {
    double cpu_hz;              /* TSC ticks per second; <= 0: 1e9 */
    int has_from, has_to;       /* a time window is given */
    double from_s, to_s;        /* seconds after the first record */
    const uint32_t *domains;    /* domain filter (NULL: every domain) */
    unsigned int ndomains;
    unsigned int buckets;       /* timeline buckets kept; 0: 256 */
    FILE *perfetto;             /* non-NULL: write a Perfetto trace here */
};

#define XCA_OPTS_INIT { XCA_DEFAULT_HZ, 0, 0, 0.0, 0.0, NULL, 0, 0, NULL }

/* How a claim ended. */
#define XCA_ENDS(X)                                                          \
    X(CANCELLED, "cancelled", "cancelled by its holder (claim 0)")          \
    X(SATISFIED, "satisfied", "drawn down to 0 by allocations")             \
    X(DEATH,     "death",     "released when its domain started dying")     \
    X(DESTROYED, "destroyed", "its domain went away holding it")            \
    X(REPLACED,  "replaced",  "a new stake replaced it")                    \
    X(LOST,      "lost",      "its end fell into a gap of lost records")    \
    X(OPEN,      "open",      "still outstanding at the end")

enum xca_end {
#define XCA_X_END(id, name, doc) XCA_END_##id,
    XCA_ENDS(XCA_X_END)
#undef XCA_X_END
    XCA_NENDS
};

/* Flags of a claim's life. */
#define XCA_LIFE_FROM_DUMP  0x1u    /* held before the trace began */
#define XCA_LIFE_FREE_ONLY  0x2u    /* staked with free_only */
#define XCA_LIFE_UNSEEN     0x4u    /* first seen in a record, no stake */

/* One claim, from its stake to its end. */
struct xca_life {
    uint32_t domid;
    uint32_t flags;             /* XCA_LIFE_* */
    uint32_t end;               /* enum xca_end */
    uint32_t staked;            /* pages claimed by the stake */
    uint64_t target;            /* absolute target of the stake, pages */
    uint64_t drawn;             /* pages drawn down */
    uint64_t regrown;           /* pages given back to it (Xen 4.17) */
    uint32_t left;              /* pages still claimed when it ended */
    uint32_t draws;             /* allocations that drew on it */
    uint64_t start_tsc, end_tsc;
    uint64_t first_draw_tsc, last_draw_tsc;     /* 0: never drawn */
    uint64_t offset;            /* file offset of the stake record */
    uint64_t next;              /* internal: the domain's next life */
};

/* A claim holder at the moment of a denial. */
struct xca_holder {
    uint32_t domid;
    uint32_t claim;
};

/* An allocation refused: denied because of claims, or failed (no block). */
struct xca_denial {
    uint64_t tsc, offset;
    uint32_t domid;             /* XCT_DOMID_ANON when anonymous */
    uint32_t order, memflags;
    uint32_t claim;             /* the requester's own claim */
    uint32_t failed;            /* 1: alloc_failed, not a claim denial */
    uint32_t host_known;        /* the heap record with the totals came */
    uint64_t free, freeable, outstanding;
    uint32_t nholders;          /* domains holding claims, requester aside */
    uint32_t nshown;            /* of them in top[], largest first */
    uint64_t held;              /* pages they held together */
    struct xca_holder top[XCA_TOP_HOLDERS];
};

/* A refused stake, with the host's figures at that moment. */
struct xca_stake_fail {
    uint64_t tsc, offset;
    uint32_t domid, flags;
    int32_t result;             /* negative errno */
    uint32_t claim, tot_pages;  /* the domain's after the request */
    uint64_t nr_pages;          /* requested target */
    uint64_t free, freeable, outstanding;
    uint32_t host_known;        /* a heap record has been seen */
};

/* An inconsistency found by the replay. */
struct xca_issue {
    uint64_t tsc, offset;
    uint32_t kind;              /* enum xct_replay_issue_kind */
    uint32_t event, domid;
    int64_t expected, seen;
    char msg[320];
};

/* A stretch of uncertainty: records lost, or bad data skipped. */
#define XCA_GAP_LOST     1u     /* a TRC_LOST_RECORDS record */
#define XCA_GAP_SKIPPED  2u     /* tolerant reading skipped bad data */
#define XCA_GAP_STOPPED  3u     /* the trace ends with bad data */

struct xca_gap {
    uint32_t kind;              /* XCA_GAP_* */
    uint32_t cpu;
    uint64_t offset;            /* file offset of the record or problem */
    uint64_t from_tsc, to_tsc;  /* the time it covers (0: unknown) */
    uint64_t lost;              /* records lost (LOST) */
    uint64_t until_tsc;         /* state inexact until (0: the end) */
    char msg[200];              /* the reader's message (SKIPPED) */
};

/* Per-domain aggregates, over the time window. */
struct xca_domain {
    uint32_t domid;
    uint32_t stakes, cancelled, satisfied, deaths, destroyed, open;
    uint32_t refused;           /* stakes refused */
    uint32_t denials;           /* its allocations denied by claims */
    uint32_t blocked;           /* denials of others while it held a claim */
    uint32_t failed;            /* its allocations failed (no block) */
    uint32_t created, dying, gone;  /* life-cycle records seen */
    uint32_t lives;             /* claims recorded for the report */
    uint64_t pages_drawn;
    uint32_t peak_claim, peak_tot;
    uint32_t claim, tot_pages, max_pages;   /* last known */
    uint64_t first_tsc, last_tsc;
};

/* One timeline bucket: lowest, highest and last value of each series. */
enum xca_series {
    XCA_S_FREE,
    XCA_S_FREEABLE,
    XCA_S_OUTSTANDING,
    XCA_S_HEADROOM,             /* free + freeable - outstanding */
    XCA_NSERIES
};

struct xca_point {
    uint64_t tsc;               /* start of the bucket */
    int64_t min[XCA_NSERIES], max[XCA_NSERIES], last[XCA_NSERIES];
    uint32_t denials;           /* denials in the bucket */
    uint32_t uncertain;         /* 1: the bucket overlaps a gap */
};

/* A low (or for outstanding, high) point of the host timeline. */
struct xca_extreme {
    int valid;
    int64_t value;
    uint64_t tsc;
};

/* Everything counted over the whole input. */
struct xca_summary {
    uint64_t records;           /* records fed */
    uint64_t xenclaim;          /* of them xenclaim events */
    uint64_t foreign;           /* records of other events */
    uint64_t by_class[8];       /* foreign records by class bit 16 .. 23 */
    uint64_t other_mem;         /* of TRC_MEM, other minors than ours */
    uint64_t by_event[XCT_REPLAY_NREC];
    uint64_t lost, lost_events; /* records lost by the producer */
    uint64_t gaps;              /* gaps noted */
    uint64_t read_errors;       /* framing problems (tolerant: skipped) */
    uint64_t skipped_bytes, skipped_windows;
    uint64_t windows, wraps, bytes, file_size;
    unsigned int cpus;
    uint64_t issues;            /* inconsistencies in the window */
    uint64_t issues_outside;    /* found outside the window / filter */
    uint64_t issues_by_kind[XCT_REPLAY_NISSUES];
    uint64_t denials, failed_allocs, stake_fails, lives;
    uint64_t dumps;
    int exact_start;            /* the trace begins with a state dump */
    int exact_end;              /* the state is exact at the end */
    int stopped;                /* reading stopped at bad data */
    int past_window;            /* reading stopped after the window */
    uint64_t first_tsc, last_tsc;   /* of all records read */
    uint64_t win_from, win_to;  /* the window in TSC (to: last if none) */
    double cpu_hz;
    struct xca_extreme low_free, low_headroom, high_outstanding;
    uint64_t no_headroom_ticks; /* time with headroom <= 0 */
    int64_t start[XCA_NSERIES], end[XCA_NSERIES];
    int have_start;
};

struct xca;

/*
 * A new analysis with options o (NULL: defaults), copied except the
 * perfetto stream, which stays the caller's.  Returns NULL with errno
 * set (ENOMEM; EINVAL for a bad option: a domain above 0xffff, a window
 * that ends before it starts).
 */
struct xca *xca_new(const struct xca_opts *o);

/* Free a and its temporary files; NULL is fine. */
void xca_free(struct xca *a);

/*
 * Feed one record in TSC order, from cpu, at file offset off.  Returns
 * 0; 1 when the record lies after the time window (it was not used and
 * nothing after it will be: the caller may stop reading); -ENOMEM or
 * the negative errno of a failed write of a temporary file.
 */
int xca_feed(struct xca *a, const struct xct_record *rec, unsigned int cpu,
             uint64_t off);

/*
 * Note a problem reported by the reader instead of a record: st is
 * XCT_READ_TRUNCATED or XCT_READ_ERROR, off and msg as the reader gives
 * them; final is 1 when reading stops there.  Recorded as a gap.
 * Returns 0 or a negative errno.
 */
int xca_note_read(struct xca *a, enum xct_read_status st, uint64_t off,
                  const char *msg, int final);

/*
 * The input is over: close the claims still open, finish the Perfetto
 * trace.  st (may be NULL) supplies the reader's counters; file_size the
 * input's size (0 if unknown).  Returns 0 or a negative errno.
 */
int xca_finish(struct xca *a, const struct xct_reader_stats *st,
               uint64_t file_size);

/* Options as given (domains points into a's copy). */
const struct xca_opts *xca_opts(const struct xca *a);

/* Counters and host figures; valid for the life of a. */
const struct xca_summary *xca_summary(const struct xca *a);

/*
 * Aggregates of domain domid (complete once xca_finish() ran), or NULL
 * when it was never seen.
 */
const struct xca_domain *xca_domain(const struct xca *a, uint32_t domid);

/*
 * Next domain seen after prev (NULL: the first), in domid order, among
 * those the filter selects; NULL at the end.
 */
const struct xca_domain *xca_domain_next(const struct xca *a,
                                         const struct xca_domain *prev);

/* 1 when the domain filter selects domid (always 1 without filter). */
int xca_wanted(const struct xca *a, uint32_t domid);

/*
 * Walk the recorded lists, oldest first (lives: one domain's, in stake
 * order).  The callback returns 0 to go on, anything else to stop, and
 * that value is returned; otherwise 0, or a negative errno when a
 * temporary file cannot be read.  Items are valid during the call.
 */
int xca_foreach_life(struct xca *a, uint32_t domid,
                     int (*cb)(void *opaque, const struct xca_life *l),
                     void *opaque);
int xca_foreach_denial(struct xca *a,
                       int (*cb)(void *opaque, const struct xca_denial *d),
                       void *opaque);
int xca_foreach_stake_fail(struct xca *a,
                           int (*cb)(void *opaque,
                                     const struct xca_stake_fail *s),
                           void *opaque);
int xca_foreach_issue(struct xca *a,
                      int (*cb)(void *opaque, const struct xca_issue *i),
                      void *opaque);
int xca_foreach_gap(struct xca *a,
                    int (*cb)(void *opaque, const struct xca_gap *g),
                    void *opaque);

/*
 * The timeline: *n buckets of the host series, oldest first, each of
 * width *width ticks (every bucket that saw no change carries the last
 * value).  Returns the array (owned by a) or NULL when there is none.
 */
const struct xca_point *xca_timeline(const struct xca *a, unsigned int *n,
                                     uint64_t *width);

/* Seconds from the first record to tsc. */
double xca_seconds(const struct xca *a, uint64_t tsc);

/* Name of a claim end ("cancelled", ...), "?" if out of range. */
const char *xca_end_name(unsigned int end);

/*
 * Parse a duration: a number with an optional unit ns, us, ms, s or min
 * (none: seconds), e.g. "10ms", "2s", "1.5".  Returns 0, or -EINVAL
 * (with *secs untouched) for anything else or a negative value.
 */
int xca_parse_time(const char *s, double *secs);

/*
 * Parse a TSC rate: a number with an optional k, M or G and an optional
 * "Hz" ("2.1G", "2096MHz", "1e9").  Returns 0, or -EINVAL unless > 0.
 */
int xca_parse_hz(const char *s, double *hz);

/* ---- reports (xca_text.c, xca_json.c, xca_csv.c) ---------------------- */

/*
 * Write the report of a finished analysis to out: readable text, JSON
 * (one object) or CSV (tables, each introduced by a row whose first
 * field is "kind").  Returns 0, or -EIO when out cannot be written or a
 * negative errno when a temporary file cannot be read.
 */
int xca_report_text(struct xca *a, FILE *out, const char *name);
int xca_report_json(struct xca *a, FILE *out, const char *name);
int xca_report_csv(struct xca *a, FILE *out);

/* ---- reading a trace (xca_read.c) ------------------------------------- */

struct xca_read_opts {
    int tolerant;               /* skip bad data and go on */
    int progress;               /* 1: progress on stderr; -1: if a tty */
    int dump;                   /* print every record to dump_out */
    FILE *dump_out;
    int single_thread;          /* read and analyse in the caller's thread */
};

/* What xca_read_file() and xca_read() return besides a negative errno. */
#define XCA_READ_CLEAN  0       /* read to its end, nothing wrong */
#define XCA_READ_BAD    1       /* framing errors or truncation */

/*
 * Feed every record of the trace at path ("-": standard input) to a,
 * then xca_finish() it.  Problems with the trace are written to err
 * (when not NULL) as "NAME: offset N: message" and noted in a; without
 * opts->tolerant reading stops at the first.  With opts->dump each
 * record is also printed (xct_dump lines, filtered like the report).
 * A regular file is mapped, its pages populated and prefetched ahead of
 * the reader and given back behind it; unless opts->single_thread, the
 * records are read in a second thread while this one analyses them.
 * Returns XCA_READ_CLEAN or XCA_READ_BAD, or a negative errno when the
 * file cannot be opened or read, or memory runs out.
 */
int xca_read_file(struct xca *a, const char *path,
                  const struct xca_read_opts *opts, FILE *err);

/* The same from a reader the caller owns (it is not freed). */
int xca_read(struct xca *a, struct xct_reader *rd,
             const struct xca_read_opts *opts, const char *name, FILE *err);

/* ---- pictures (xca_svg.c, xca_perfetto.c) ------------------------------ */

struct xca_plot;

/*
 * A timeline plot of a finished analysis a, width columns wide (0: 800):
 * the host series and the claims of up to 10 domains (the largest peaks
 * among those the filter selects), stacked, over the window of a.  It is
 * filled by a second pass over the same trace (xca_plot_read_file() or
 * xca_plot_feed()).  a must outlive it.  NULL with errno on failure.
 */
struct xca_plot *xca_plot_new(struct xca *a, unsigned int width);
void xca_plot_free(struct xca_plot *p);

/* Feed one record of the second pass; 1 past the window, as xca_feed(). */
int xca_plot_feed(struct xca_plot *p, const struct xct_record *rec,
                  uint64_t off);

/* The second pass over path (a regular file).  0 or a negative errno. */
int xca_plot_read_file(struct xca_plot *p, const char *path, int tolerant);

/*
 * Write the plot as a standalone SVG document to out, titled title.
 * Returns 0 or -EIO.
 */
int xca_plot_svg(struct xca_plot *p, FILE *out, const char *title);

#endif /* XCA_H */
