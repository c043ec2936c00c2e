/* exp.h: xenclaim-exporter's parts (options, shared state, poller, HTTP server, remote write, event stream) and how they meet. */
/* SPDX-License-Identifier: MIT */
/*
 * Threads: the poller owns the source (xcs) and publishes a snapshot
 * every poll interval; the HTTP server (libmicrohttpd's threads), the
 * remote-write pusher and the event socket take references to the
 * latest one and never touch the source.  The exporter's own counters
 * are atomics in struct exp_state.  The main thread waits for SIGINT or
 * SIGTERM, then stops and joins everything.
 */
#ifndef EXP_H
#define EXP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sources/xcs.h"
#include "xce_collect.h"

#define EXP_MAX_LABELS 8

struct exp_opts {
    const char *listen;             /* ADDR:PORT */
    struct xcs_opts src;
    char source_desc[160];          /* "mock /path", "trace FILE"... */
    int poll_ms;                    /* snapshot refresh period */
    unsigned int http_threads;
    unsigned int http_timeout;      /* seconds an idle connection lives */
    unsigned int max_connections;
    const char *events_out;         /* file, "-" stdout, or NULL */
    const char *events_socket;      /* UNIX socket path or NULL */
    double events_snapshot_s;       /* snapshot records this often */
    size_t events_client_lag;       /* bytes a socket client may lag */
    const char *remote_write;       /* URL or NULL */
    double push_interval_s;
    size_t push_queue;              /* samples held at most */
    size_t push_batch;              /* samples per request at most */
    double push_timeout_s;
    double push_max_backoff_s;
    unsigned int n_push_labels;
    const char *push_label_name[EXP_MAX_LABELS];
    const char *push_label_value[EXP_MAX_LABELS];
    bool quiet;
};

/* A published snapshot; read-only once published, freed with its last
 * reference. */
struct exp_snapbox {
    struct xcs_snapshot snap;
    unsigned int refs;
    uint64_t gen;
};

struct exp_state {
    const struct exp_opts *opts;
    pthread_mutex_t lock;           /* cur, spare, gen */
    struct exp_snapbox *cur;
    struct exp_snapbox *spare;
    uint64_t gen;
    atomic_bool stop;

    /* The exporter's own counters (see struct xce_self). */
    atomic_bool have_source;
    atomic_uint_fast64_t events;
    atomic_uint_fast64_t last_event_ns;     /* CLOCK_MONOTONIC, 0: none */
    atomic_uint_fast64_t refused[XCE_NERR];
    atomic_uint_fast64_t scrapes[XCE_NFORMATS];
    atomic_uint_fast64_t http_errors;
    atomic_uint_fast64_t rw_sent, rw_dropped, rw_failed, rw_pending;
    atomic_uint_fast64_t ev_records, ev_clients, ev_dropped_clients;
    atomic_uint_fast64_t source_memory;
    /*
     * Bumped whenever one of the counters above changes other than
     * scrapes (which change with every request): a cached /metrics body
     * is reused only while both this and the snapshot generation hold.
     */
    atomic_uint_fast64_t self_gen;
};

/* Add v to one of st's counters and note that the body must change. */
#define EXP_COUNT(st, field, v)                                              \
    do {                                                                    \
        atomic_fetch_add(&(st)->field, (v));                                \
        atomic_fetch_add(&(st)->self_gen, 1);                               \
    } while (0)
#define EXP_SET(st, field, v)                                                \
    do {                                                                    \
        if (atomic_exchange(&(st)->field, (v)) != (v))                      \
            atomic_fetch_add(&(st)->self_gen, 1);                           \
    } while (0)

/* ---- main.c ---------------------------------------------------------- */

/* Log a line on stderr, prefixed with the program name. */
void exp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC and CLOCK_REALTIME, ns and ms. */
uint64_t exp_mono_ns(void);
uint64_t exp_unix_ms(void);

/* ---- options.c ------------------------------------------------------- */

/* Parse argv into o.  0, 1 when --help/--version was handled, -EINVAL. */
int exp_opts_parse(struct exp_opts *o, int argc, char **argv);

/* ---- state.c --------------------------------------------------------- */

int exp_state_init(struct exp_state *st, const struct exp_opts *o);
void exp_state_destroy(struct exp_state *st);
/* The latest snapshot with a reference (NULL before the first). */
struct exp_snapbox *exp_snap_get(struct exp_state *st);
/* Drop a reference taken by exp_snap_get().  Accepts NULL. */
void exp_snap_put(struct exp_state *st, struct exp_snapbox *b);
/* The current generation (bumped by every publish). */
uint64_t exp_gen(struct exp_state *st);
/* The exporter's own figures now. */
void exp_self(struct exp_state *st, struct xce_self *self);
/*
 * Build ms from the latest snapshot and the exporter's own figures.
 * Returns 0 or -ENOMEM; *gen gets the generation used (may be NULL).
 */
int exp_collect(struct exp_state *st, struct xce_mset *ms, uint64_t *gen);

/* ---- poller.c -------------------------------------------------------- */

struct exp_evout;
/*
 * Start the poller thread (it opens the source, retrying every second);
 * ev may be NULL.  0 or -errno.  It returns once st->stop is set.
 */
int exp_poller_start(struct exp_state *st, struct exp_evout *ev,
                     pthread_t *thr);
/* Close the source, after the poller thread was joined. */
void exp_poller_close(void);

/* ---- http.c ---------------------------------------------------------- */

struct exp_http;
/* Start serving; NULL on failure (logged). */
struct exp_http *exp_http_start(struct exp_state *st);
void exp_http_stop(struct exp_http *h);

/* ---- push.c ---------------------------------------------------------- */

struct exp_push;
struct exp_push *exp_push_start(struct exp_state *st);
void exp_push_stop(struct exp_push *p);

/* ---- evout.c --------------------------------------------------------- */

/* Open the file and/or socket of the options; NULL + errno on failure. */
struct exp_evout *exp_evout_open(struct exp_state *st);
/* Called by the poller: an event, a snapshot (periodic), a flush. */
void exp_evout_event(struct exp_evout *e, const struct xcs_event *ev,
                     const char *domain_name);
void exp_evout_snapshot(struct exp_evout *e, const struct xcs_snapshot *s);
void exp_evout_flush(struct exp_evout *e);
/* Write a last snapshot, stop the socket thread, close everything. */
void exp_evout_close(struct exp_evout *e, const struct xcs_snapshot *last);

#endif /* EXP_H */
