/* mock.c: the XCS_MOCK backend: the mock daemon's live per-CPU trace buffers, merged exactly by TSC. */
/* SPDX-License-Identifier: MIT */
/*
 * Connecting: xcm_open() on opts.path (or the default socket), attach the
 * daemon's trace area, switch tracing off, drop every CPU's backlog (it
 * may be hours old), switch tracing on: the daemon has hv/ write its state
 * dump into the buffers before it replies, so the first poll makes the
 * state exact.  Host total_pages comes from xcm_physinfo(), names from
 * xcm_domain_getinfo() (when a domain without a name appears, at most
 * once a second, and every 10 s for renames).
 *
 * Draining, and why the order is exact.  Every xenclaim record is written
 * while hv/ holds its heap lock, its TSC is read inside that critical
 * section from a clock that is strictly increasing across CPUs, and the
 * ring's prod is published (release) before the lock is dropped.  So TSC
 * order is the order of the critical sections, and a record with TSC t is
 * visible in its ring before any critical section with a larger TSC even
 * begins.  Each poll:
 *
 *   pass A   read every CPU's pending bytes into per-CPU queues;
 *   T        the largest TSC of every record read so far (pass A and
 *            leftovers of earlier polls) - a record we have seen;
 *   pass B   read every CPU again;
 *   process  in TSC order exactly the records with TSC <= T; keep the
 *            rest queued for the next poll.
 *
 * Any record R with TSC <= T was published before the record with TSC T
 * was written, hence before we saw that one (in pass A at the latest),
 * hence before pass B started: pass B has it, on whatever CPU it is.
 * Records with TSC > T may still have predecessors not yet visible on a
 * CPU that pass B read early, so they wait.  Pass A alone would not do:
 * it reads the CPUs one after the other, and a CPU read before the
 * record with TSC T appeared may have gained smaller-TSC records since.
 *
 * The daemon going away (a failed round trip, checked every 200 ms, or
 * its area unlinked) makes the source DOWN; poll retries to connect once
 * a second and resumes with a fresh dump.  Lost records (the replay
 * reports them) make the state inexact; tracing is then toggled off and
 * on (at most once a second) for a new dump.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "mock/proto/xcm_client.h"
#include "mock/tbuf/tbuf.h"
#include "sources/xcs_int.h"
#include "sources/xcs_merge.h"

#define MS              1000000ull
#define RETRY_NS        (1000 * MS)
#define CHECK_NS        (200 * MS)
#define NAMES_MIN_NS    (1000 * MS)
#define NAMES_MAX_NS    (10000 * MS)
#define REDUMP_NS       (1000 * MS)   /* first re-dump delay ... */
#define REDUMP_MAX_NS   (32000 * MS)  /* ... doubling up to this */
#define WAIT_SLICE_MS   10
#define INFO_BATCH      1024u

struct mock {
    char sock[XCM_PATH_MAX];
    struct xcm_client *c;
    struct xtb_area *a;
    char area_path[XCM_PATH_MAX];
    struct xcs_merge m;
    uint64_t seq;               /* merge key: arrival order */
    uint64_t cpu_tsc[XCT_MAX_CPUS]; /* last TSC per CPU (inheritance) */
    uint64_t tmax;              /* largest TSC read so far */
    uint64_t bad_bytes;         /* ring bytes that did not decode */
    uint64_t next_retry, last_check, last_names, last_dump;
    uint64_t lost_at_dump;      /* replay lost count at the last dump */
    uint64_t redump_ns;         /* wait before the next re-dump */
    bool drops_pending;         /* the producer dropped records it has
                                   not reported in a ring yet */
    struct hyp_dominfo *info;   /* getinfo batch */
    struct xcs *s;
};

/* ---- reading the rings -------------------------------------------------- */

/* Decode one run of raw ring bytes of cpu into its queue. */
static int take_bytes(struct mock *mk, unsigned int cpu, const uint8_t *p,
                      size_t len)
{
    struct xct_record rec;
    size_t n;
    int rc;

    while (len >= XCT_RECORD_MIN_BYTES) {
        n = xct_record_decode(p, len, mk->cpu_tsc[cpu], &rec);
        if (n == 0)
            break;          /* across the end of the ring: never so */
        p += n;
        len -= n;
        if (rec.has_tsc)
            mk->cpu_tsc[cpu] = rec.tsc;
        if (rec.event == XCT_TRC_WRAP_BUFFER)
            continue;
        rc = xcs_merge_push(&mk->m, cpu, &rec, mk->seq++, 0);
        if (rc < 0)
            return rc;
        if (rec.tsc > mk->tmax)
            mk->tmax = rec.tsc;
    }
    if (len) {
        char msg[80];

        mk->bad_bytes += len;
        snprintf(msg, sizeof(msg), "cpu %u: %zu ring bytes that are not "
                 "whole records, skipped", cpu, len);
        xcs_note_issue(mk->s, mk->tmax, msg);
    }
    return 0;
}

static int on_window(void *arg, unsigned int cpu, const struct iovec *iov,
                     int iovcnt, size_t bytes)
{
    struct mock *mk = arg;
    int i, rc;

    (void)bytes;
    for (i = 1; i < iovcnt; i++) {
        rc = take_bytes(mk, cpu, iov[i].iov_base, iov[i].iov_len);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* One pass over every CPU.  0 or -errno (a corrupt area, no memory). */
static int pass(struct mock *mk)
{
    unsigned int cpu, n = xtb_ncpus(mk->a);
    ssize_t rc;

    if (n > XCT_MAX_CPUS)
        n = XCT_MAX_CPUS;
    for (cpu = 0; cpu < n; cpu++) {
        rc = xtb_consume(mk->a, cpu, on_window, mk);
        if (rc < 0)
            return (int)rc;
    }
    return 0;
}

/* Feed the queued records with TSC <= upto.  Returns how many. */
static int process(struct xcs *s, struct mock *mk, uint64_t upto)
{
    const struct xcs_qrec *q;
    int n = 0;

    while ((q = xcs_merge_peek(&mk->m, NULL)) && q->rec.tsc <= upto) {
        struct xct_record rec = q->rec;

        xcs_merge_pop(&mk->m);
        if (xcs_feed(s, &rec, 0) < 0)
            xcs_note_issue(s, rec.tsc, "out of memory: a record was lost");
        n++;
    }
    return n;
}

/* ---- connection --------------------------------------------------------- */

static void disconnect(struct mock *mk)
{
    xtb_close(mk->a);
    xcm_close(mk->c);
    mk->a = NULL;
    mk->c = NULL;
}

/* The daemon went away: take in what was read, then DOWN. */
static int go_down(struct xcs *s, struct mock *mk, const char *why)
{
    int n = 0;

    if (mk->a) {
        (void)pass(mk);
        n = process(s, mk, UINT64_MAX);
    }
    disconnect(mk);
    xcs_set_status(s, XCS_DOWN, "%s", why);
    mk->next_retry = xcs_mono_ns() + RETRY_NS;
    return n;
}

static int refresh_names(struct xcs *s, struct mock *mk)
{
    uint32_t first = 0;
    int n, i, rc;

    if (!mk->info) {
        mk->info = calloc(INFO_BATCH, sizeof(*mk->info));
        if (!mk->info)
            return -ENOMEM;
    }
    s->new_domain = false;
    mk->last_names = xcs_mono_ns();
    for (;;) {
        n = xcm_domain_getinfo(mk->c, first, INFO_BATCH, mk->info);
        if (n < 0)
            return n;
        for (i = 0; i < n; i++) {
            rc = xcs_set_name(s, mk->info[i].domid, mk->info[i].name);
            if (rc < 0)
                return rc;
        }
        if ((unsigned int)n < INFO_BATCH)
            return 0;
        first = mk->info[n - 1].domid + 1;
    }
}

struct enabler {
    struct xcm_client *c;
    int rc;
    atomic_bool done;
};

static void *enabler_main(void *arg)
{
    struct enabler *e = arg;

    e->rc = xcm_trace_enable(e->c, true);
    atomic_store(&e->done, true);
    return NULL;
}

/*
 * Switch tracing off and on: the daemon writes a fresh dump before it
 * replies.  A dump is one record per domain on one CPU, which can be far
 * more than a ring holds (32,000 domains: 1 MiB), so the call is made
 * from a helper thread while this one keeps copying the rings out into
 * the queues (the client is the helper's alone until it returns).
 * discard: drop the backlog before (when connecting).
 */
static int request_dump(struct xcs *s, struct mock *mk, bool discard)
{
    struct enabler e = { .c = mk->c };
    unsigned int cpu;
    pthread_t th;
    int rc;

    rc = xcm_trace_enable(mk->c, false);
    if (rc < 0)
        return rc;
    if (discard) {
        for (cpu = 0; cpu < xtb_ncpus(mk->a); cpu++)
            xtb_discard(mk->a, cpu);
        xcs_merge_free(&mk->m);
    }
    atomic_init(&e.done, false);
    if (pthread_create(&th, NULL, enabler_main, &e) != 0) {
        rc = xcm_trace_enable(mk->c, true);
    } else {
        while (!atomic_load(&e.done)) {
            if (pass(mk) < 0)
                break;      /* a corrupt area: the next drain says so */
            /* spin: a dump lasts milliseconds */
        }
        pthread_join(th, NULL);
        rc = e.rc;
    }
    mk->last_dump = xcs_mono_ns();
    mk->lost_at_dump = xct_replay_host(s->replay)->n.lost;
    return rc;
}

/* Connect, attach, dump.  0, or -errno with the reason in msg. */
static int connect_daemon(struct xcs *s, struct mock *mk, char *msg,
                          size_t msglen)
{
    struct hyp_physinfo pi;
    const char *path;
    int rc;

    mk->c = xcm_open(mk->sock, 0);
    if (!mk->c) {
        rc = -errno;
        snprintf(msg, msglen, "cannot reach the mock daemon at %s: %s",
                 mk->sock, strerror(errno));
        return rc;
    }
    path = xcm_trace_area_path(mk->c);
    if (!path) {
        snprintf(msg, msglen, "the mock daemon at %s has no trace area "
                 "(started with --trace-area none?)", mk->sock);
        rc = -ENOENT;
        goto fail;
    }
    snprintf(mk->area_path, sizeof(mk->area_path), "%s", path);
    mk->a = xtb_attach(path);
    if (!mk->a) {
        rc = -errno;
        snprintf(msg, msglen, "cannot attach the trace area %s: %s", path,
                 strerror(errno));
        goto fail;
    }
    if (!xtb_mask_match(xtb_evt_mask(mk->a), XCT_EV_CLAIM))
        xtb_set_evt_mask(mk->a, XTB_EVT_MASK_ALL);
    rc = xcm_physinfo(mk->c, &pi);
    if (rc < 0) {
        snprintf(msg, msglen, "physinfo: %s", strerror(-rc));
        goto fail;
    }
    s->total_pages = pi.total_pages;
    memset(mk->cpu_tsc, 0, sizeof(mk->cpu_tsc));
    rc = request_dump(s, mk, true);
    if (rc < 0) {
        snprintf(msg, msglen, "cannot switch tracing on: %s", strerror(-rc));
        goto fail;
    }
    rc = refresh_names(s, mk);
    if (rc < 0) {
        snprintf(msg, msglen, "domain names: %s", strerror(-rc));
        goto fail;
    }
    mk->last_check = xcs_mono_ns();
    snprintf(s->source, sizeof(s->source), "mock %.120s", mk->sock);
    return 0;

fail:
    disconnect(mk);
    return rc;
}

/* Is the daemon still there (every CHECK_NS)?  0 or a reason in why. */
static int check_alive(struct mock *mk, uint64_t now, char *why, size_t len)
{
    struct stat sb;
    int rc;

    if (now - mk->last_check < CHECK_NS)
        return 0;
    mk->last_check = now;
    rc = xcm_ping(mk->c);
    if (rc < 0) {
        snprintf(why, len, "mock daemon at %.200s gone: %s", mk->sock,
                 strerror(-rc));
        return rc;
    }
    if (stat(mk->area_path, &sb) < 0) {
        snprintf(why, len, "trace area %.200s gone: %s", mk->area_path,
                 strerror(errno));
        return -ENOENT;
    }
    return 0;
}

/* ---- poll --------------------------------------------------------------- */

/*
 * Records the producer dropped are reported by a LOST_RECORDS record
 * only once the next record fits in that ring: after a dump too big for
 * its ring, nothing may come for a long time.  The area's statistics
 * tell at once: any CPU with drops not yet reported makes the state
 * inexact now (the replay takes over when the LOST_RECORDS record comes).
 */
static void check_drops(struct xcs *s, struct mock *mk)
{
    struct xtb_cpu_stats st;
    unsigned int cpu;

    mk->drops_pending = false;
    for (cpu = 0; cpu < xtb_ncpus(mk->a); cpu++)
        if (xtb_stats(mk->a, cpu, &st) == 0 && st.lost_pending)
            mk->drops_pending = true;
    if (mk->drops_pending)
        s->inexact = true;
}

/* Pass A, T, pass B, process.  Returns records fed or -errno. */
static int drain(struct xcs *s, struct mock *mk)
{
    uint64_t t;
    int rc, n;

    rc = pass(mk);
    if (rc < 0)
        return rc;
    t = mk->tmax;
    rc = pass(mk);
    if (rc < 0)
        return rc;
    n = process(s, mk, t);
    check_drops(s, mk);
    return n;
}

/* Names and dumps, between drains.  0 or -errno (connection). */
static int housekeeping(struct xcs *s, struct mock *mk, uint64_t now)
{
    const struct xct_replay_host *h = xct_replay_host(s->replay);
    int rc;

    if (h->n.lost > mk->lost_at_dump || mk->drops_pending) {
        if (now - mk->last_dump >= mk->redump_ns) {
            rc = request_dump(s, mk, false);
            if (rc < 0)
                return rc;
            /* A dump too big for the rings fails again: back off. */
            mk->redump_ns *= 2;
            if (mk->redump_ns > REDUMP_MAX_NS)
                mk->redump_ns = REDUMP_MAX_NS;
        }
    } else if (h->exact) {
        mk->redump_ns = REDUMP_NS;
    }
    if ((s->new_domain || now - mk->last_names >= NAMES_MAX_NS) &&
        now - mk->last_names >= NAMES_MIN_NS) {
        rc = refresh_names(s, mk);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int mock_poll(struct xcs *s, int timeout_ms)
{
    struct mock *mk = s->be;
    uint64_t now = xcs_mono_ns();
    uint64_t deadline = now + (uint64_t)timeout_ms * MS;
    char why[300];
    int n = 0, rc;

    if (!mk->c) {
        if (now < mk->next_retry) {
            xcs_sleep_until(deadline < mk->next_retry ? deadline
                                                      : mk->next_retry);
            if (xcs_mono_ns() < mk->next_retry)
                return -XCS_ERR_DOWN;
        }
        rc = connect_daemon(s, mk, why, sizeof(why));
        if (rc < 0) {
            xcs_set_status(s, XCS_DOWN, "%s", why);
            mk->next_retry = xcs_mono_ns() + RETRY_NS;
            xcs_sleep_until(deadline);
            return -XCS_ERR_DOWN;
        }
        xcs_set_status(s, XCS_UP, NULL);
    }
    for (;;) {
        uint32_t seq = xtb_notify_seq(mk->a);

        rc = drain(s, mk);
        if (rc < 0) {
            snprintf(why, sizeof(why), "trace area %.200s: %s", mk->area_path,
                     strerror(-rc));
            return n + go_down(s, mk, why);
        }
        n += rc;
        now = xcs_mono_ns();
        why[0] = '\0';
        rc = check_alive(mk, now, why, sizeof(why));
        if (rc == 0)
            rc = housekeeping(s, mk, now);
        if (rc < 0) {
            if (why[0] == '\0')
                snprintf(why, sizeof(why), "mock daemon at %.200s: %s",
                         mk->sock, strerror(-rc));
            return n + go_down(s, mk, why);
        }
        if (n > 0 || now >= deadline)
            break;
        rc = (int)((deadline - now) / MS);
        xtb_wait(mk->a, seq, rc < WAIT_SLICE_MS ? rc : WAIT_SLICE_MS);
    }
    if (s->status != XCS_UP)
        xcs_set_status(s, XCS_UP, NULL);
    return n;
}

static size_t mock_memory(const struct xcs *s)
{
    const struct mock *mk = s->be;

    return sizeof(*mk) + xcs_merge_memory(&mk->m) +
           (mk->info ? INFO_BATCH * sizeof(*mk->info) : 0);
}

static void mock_close(struct xcs *s)
{
    struct mock *mk = s->be;

    if (!mk)
        return;
    /* As xentrace does on exit: nobody drains the rings any more. */
    if (mk->c)
        xcm_trace_enable(mk->c, false);
    disconnect(mk);
    xcs_merge_free(&mk->m);
    free(mk->info);
    free(mk);
    s->be = NULL;
}

static const struct xcs_ops mock_ops = {
    .poll = mock_poll,
    .memory = mock_memory,
    .close = mock_close,
};

int xcs_mock_open(struct xcs *s, char *err, size_t errlen)
{
    struct mock *mk = calloc(1, sizeof(*mk));
    int rc;

    if (!mk) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    xcs_merge_init(&mk->m);
    mk->redump_ns = REDUMP_NS;
    mk->s = s;
    s->be = mk;
    s->ops = &mock_ops;
    s->live = true;
    if (s->opts.path) {
        if (strlen(s->opts.path) >= sizeof(mk->sock)) {
            snprintf(err, errlen, "socket path too long");
            return -ENAMETOOLONG;
        }
        snprintf(mk->sock, sizeof(mk->sock), "%s", s->opts.path);
    } else {
        rc = xcm_default_socket_path(mk->sock, sizeof(mk->sock));
        if (rc < 0) {
            snprintf(err, errlen, "default socket path too long");
            return rc;
        }
    }
    snprintf(s->source, sizeof(s->source), "mock %.120s", mk->sock);
    rc = connect_daemon(s, mk, err, errlen);
    if (rc < 0)
        return rc;
    xcs_set_status(s, XCS_UP, NULL);
    return 0;
}
