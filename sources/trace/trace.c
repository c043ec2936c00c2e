/* trace.c: the trace backends: a xentrace file (replayed, paced, stepped or followed) or a stream on an fd. */
/* SPDX-License-Identifier: MIT */
/*
 * Where records come from:
 *
 *   XCS_TRACE_FILE       xct_reader over the mapped file: its merge, its
 *                        checks, its messages and offsets, unchanged.
 *   ... with follow      the stream engine (stream.h) reading the file
 *                        with read(2): at the end of the file whatever is
 *                        queued comes out, a partial window waits for the
 *                        rest of its bytes, and inotify (or, without it,
 *                        a 100 ms period) tells when the file grew.
 *   XCS_TRACE_FD         the stream engine on the descriptor: poll(2)
 *                        first, so no read ever blocks and the caller's
 *                        descriptor flags are left alone; end of file is
 *                        DOWN ("stream ended").
 *
 * On top of either, one held record ("next") and the pacing: speed 0
 * feeds records as fast as they come, in slices of at most 1 M records
 * or 50 ms per poll; speed S > 0 feeds a record once CLOCK_MONOTONIC has
 * run (TSC - TSC of the first record) / cpu_hz / S seconds since that
 * first record was fed (re-anchored when a followed file resumes after
 * being idle); step mode feeds only on xcs_step().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream.h"
#include "xct_desc.h"

#define SLICE_RECORDS   (1u << 20)
#define SLICE_NS        50000000ull
/*
 * A live stream is merged by TSC only once it has been quiet this long: a
 * consumer (xentrace) writes the windows of all CPUs of one round back to
 * back, and a read can end between two of them.  Flushing the queue in
 * that gap would hand out a record before an earlier one of another CPU.
 */
#define QUIET_NS        20000000ull
#define FOLLOW_PERIOD_MS 100

struct trace {
    bool use_stream;
    struct xct_reader *rd;      /* a file, not followed */
    struct xct_record rec;      /* the reader's held record */
    uint64_t rec_off;
    bool have;
    bool ended;                 /* the reader reached its end */

    struct xcs_stream st;
    bool stream_ok;             /* st initialised */
    bool flushing;              /* no input right now: drain the queue */
    uint64_t last_input_ns;     /* when the stream last gave bytes */
    int fd;                     /* follow: the file (owned) */
    int ino_fd;                 /* follow: inotify, -1 without */

    bool anchored;              /* pacing reference taken */
    uint64_t mono0, tsc0;
    int err;                    /* what poll returns once FAILED */
};

/* ---- where records come from -------------------------------------------- */

static int fail(struct xcs *s, int err, const char *msg)
{
    struct trace *t = s->be;

    xcs_set_status(s, XCS_FAILED, "%s", msg);
    t->err = err;
    return err;
}

/* The reader's next record into t->rec.  1, 0 (none now), or -errno. */
static int reader_next(struct xcs *s, struct trace *t)
{
    enum xct_read_status rs;
    char line[300];

    if (t->have)
        return 1;
    if (t->ended)
        return 0;
    for (;;) {
        rs = xct_reader_next(t->rd, &t->rec);
        if (rs == XCT_READ_OK) {
            t->rec_off = xct_reader_offset(t->rd);
            t->have = true;
            return 1;
        }
        if (rs == XCT_READ_END) {
            t->ended = true;
            xcs_flush_gaps(s);
            return 0;
        }
        snprintf(line, sizeof(line), "offset %" PRIu64 ": %s",
                 xct_reader_offset(t->rd), xct_reader_message(t->rd));
        if (!s->opts.tolerant)
            return fail(s, -XCS_ERR_CORRUPT, line);
        xcs_defer_issue(s, xct_reader_offset(t->rd), line);
        if (xct_reader_at_end(t->rd)) {
            t->ended = true;
            xcs_flush_gaps(s);
            return 0;
        }
    }
}

/* The stream's next record.  1 (*rec, *off set), 0 (none now), -errno. */
static int stream_next(struct xcs *s, struct trace *t,
                       const struct xct_record **rec, uint64_t *off)
{
    struct xcs_stream *st = &t->st;
    int rc;

    for (;;) {
        *rec = xcs_stream_peek(st, t->flushing, off);
        if (*rec)
            return 1;
        if (st->err) {
            if (xcs_stream_queued(st)) {
                t->flushing = true;
                continue;
            }
            return fail(s, st->err, st->msg);
        }
        rc = xcs_stream_read(st, s);
        if (rc > 0) {
            t->flushing = false;
            t->last_input_ns = xcs_mono_ns();
            continue;
        }
        if (rc < 0)
            continue;           /* drain, then fail */
        if (!t->flushing) {
            /* Not before the rest of the round had time to arrive. */
            if (!st->eof && xcs_mono_ns() - t->last_input_ns < QUIET_NS)
                return 0;
            t->flushing = true;
            continue;
        }
        xcs_flush_gaps(s);
        if (st->eof) {
            rc = xcs_stream_finish(st, s);
            xcs_flush_gaps(s);
            if (rc < 0)
                return fail(s, rc, st->msg);
            xcs_set_status(s, XCS_DOWN, "stream ended");
            return -XCS_ERR_DOWN;
        }
        return 0;
    }
}

static int next(struct xcs *s, struct trace *t, const struct xct_record **rec,
                uint64_t *off)
{
    int rc;

    if (t->use_stream)
        return stream_next(s, t, rec, off);
    rc = reader_next(s, t);
    if (rc > 0) {
        *rec = &t->rec;
        *off = t->rec_off;
    }
    return rc;
}

static void take(struct trace *t)
{
    if (t->use_stream)
        xcs_stream_pop(&t->st);
    else
        t->have = false;
}

static bool terminal(const struct xcs *s)
{
    return s->status == XCS_DOWN || s->status == XCS_FAILED;
}

static int terminal_err(const struct xcs *s)
{
    const struct trace *t = s->be;

    if (s->status == XCS_DOWN)
        return -XCS_ERR_DOWN;
    return t->err ? t->err : -XCS_ERR_CORRUPT;
}

/* ---- waiting ------------------------------------------------------------ */

static int ms_until(uint64_t deadline)
{
    uint64_t now = xcs_mono_ns();

    if (now >= deadline)
        return 0;
    return (int)((deadline - now + 999999) / 1000000);
}

/* Follow: the file must not shrink under us. */
static int check_size(struct xcs *s, struct trace *t)
{
    struct stat sb;
    uint64_t have = t->st.base + t->st.len;

    if (fstat(t->fd, &sb) == 0 && (uint64_t)sb.st_size < have) {
        xcs_set_status(s, XCS_FAILED, "%s shrank to %lld bytes below the "
                       "%" PRIu64 " already read: truncated or replaced",
                       s->opts.path, (long long)sb.st_size, have);
        t->err = -ESTALE;
        return -ESTALE;
    }
    return 0;
}

/* Wait for more input until deadline (or less: the caller loops). */
static void wait_input(struct xcs *s, struct trace *t, uint64_t deadline)
{
    struct pollfd pfd;
    char buf[4096];
    int ms = ms_until(deadline);

    if (!t->use_stream || s->opts.step) {
        xcs_sleep_until(deadline);
        return;
    }
    if (!t->st.follow) {
        pfd.fd = t->st.fd;
        pfd.events = POLLIN;
        poll(&pfd, 1, ms);
        return;
    }
    if (t->ino_fd < 0) {
        if (ms > FOLLOW_PERIOD_MS)
            ms = FOLLOW_PERIOD_MS;
        xcs_sleep_until(xcs_mono_ns() + (uint64_t)ms * 1000000ull);
        return;
    }
    pfd.fd = t->ino_fd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, ms) > 0)
        while (read(t->ino_fd, buf, sizeof(buf)) > 0)
            ;
}

/* ---- pacing and the poll loop ------------------------------------------- */

/* When rec is due (speed > 0), on CLOCK_MONOTONIC. */
static uint64_t due_at(const struct xcs *s, const struct trace *t,
                       const struct xct_record *rec)
{
    long double d;

    if (rec->tsc <= t->tsc0)
        return t->mono0;
    d = (long double)(rec->tsc - t->tsc0) * 1e9L /
        ((long double)s->cpu_hz * (long double)s->opts.speed);
    if (d > 1e18L)
        return UINT64_MAX;
    return t->mono0 + (uint64_t)d;
}

static int feed(struct xcs *s, struct trace *t, const struct xct_record *rec,
                uint64_t off)
{
    struct xct_record copy = *rec;
    int rc;

    take(t);
    rc = xcs_feed(s, &copy, off);
    if (rc < 0)
        return fail(s, rc, "out of memory");
    if (s->status != XCS_UP)
        xcs_set_status(s, XCS_UP, NULL);
    return 0;
}

static int trace_poll(struct xcs *s, int timeout_ms)
{
    struct trace *t = s->be;
    uint64_t start = xcs_mono_ns();
    uint64_t deadline = start + (uint64_t)timeout_ms * 1000000ull;
    uint64_t work_end = start + SLICE_NS;
    const struct xct_record *rec;
    uint64_t off;
    int n = 0, rc;

    if (terminal(s) || s->opts.step) {
        xcs_sleep_until(deadline);
        return terminal(s) ? terminal_err(s) : 0;
    }
    for (;;) {
        rc = next(s, t, &rec, &off);
        if (rc < 0) {
            if (n > 0)
                break;
            xcs_sleep_until(deadline);
            return rc;
        }
        if (rc == 0) {
            if (n > 0)
                break;
            if ((!t->use_stream && t->ended) ||
                (t->use_stream && t->st.follow)) {
                if (s->status != XCS_IDLE)
                    xcs_set_status(s, XCS_IDLE, NULL);
                t->anchored = false;
            }
            if (t->use_stream && t->st.follow) {
                rc = check_size(s, t);
                if (rc < 0) {
                    xcs_sleep_until(deadline);
                    return rc;
                }
            }
            if (xcs_mono_ns() >= deadline)
                break;
            wait_input(s, t, deadline);
            continue;
        }
        if (s->opts.speed > 0) {
            uint64_t due, now = xcs_mono_ns();

            if (!t->anchored) {
                t->anchored = true;
                t->mono0 = now;
                t->tsc0 = rec->tsc;
            }
            due = due_at(s, t, rec);
            if (due > now) {
                if (n > 0)
                    break;
                if (due > deadline) {
                    xcs_sleep_until(deadline);
                    break;
                }
                xcs_sleep_until(due);
            }
        }
        rc = feed(s, t, rec, off);
        if (rc < 0)
            return n > 0 ? n : rc;
        n++;
        if (n >= (int)SLICE_RECORDS ||
            ((n & 1023) == 0 && xcs_mono_ns() >= work_end))
            break;
    }
    return n;
}

static int trace_step(struct xcs *s, unsigned int want)
{
    struct trace *t = s->be;
    const struct xct_record *rec;
    unsigned int n = 0;
    uint64_t off;
    int rc = 0;

    if (terminal(s))
        return terminal_err(s);
    while (n < want && n < INT32_MAX) {
        rc = next(s, t, &rec, &off);
        if (rc <= 0)
            break;
        rc = feed(s, t, rec, off);
        if (rc < 0)
            break;
        n++;
    }
    if (n == 0 && rc < 0)
        return rc;
    if (n == 0 && rc == 0 && !t->use_stream && t->ended)
        xcs_set_status(s, XCS_IDLE, NULL);
    return (int)n;
}

static size_t trace_memory(const struct xcs *s)
{
    const struct trace *t = s->be;
    size_t b = sizeof(*t);
    struct xct_reader_stats rs;

    if (t->stream_ok)
        b += xcs_stream_memory(&t->st);
    if (t->rd) {
        xct_reader_stats(t->rd, &rs);
        b += rs.max_buffered;
    }
    return b;
}

static void trace_close(struct xcs *s)
{
    struct trace *t = s->be;

    if (!t)
        return;
    xct_reader_free(t->rd);
    if (t->stream_ok)
        xcs_stream_free(&t->st);
    if (t->fd >= 0)
        close(t->fd);
    if (t->ino_fd >= 0)
        close(t->ino_fd);
    free(t);
    s->be = NULL;
}

static const struct xcs_ops trace_ops = {
    .poll = trace_poll,
    .step = trace_step,
    .memory = trace_memory,
    .close = trace_close,
};

int xcs_trace_open(struct xcs *s, char *err, size_t errlen)
{
    struct trace *t = calloc(1, sizeof(*t));
    const struct xcs_opts *o = &s->opts;
    struct xct_reader_opts ro = { 0 };
    int rc;

    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    t->fd = -1;
    t->ino_fd = -1;
    s->be = t;
    s->ops = &trace_ops;
    if (o->tolerant)
        ro.flags |= XCT_READER_TOLERANT;

    if (o->kind == XCS_TRACE_FD) {
        t->use_stream = true;
        rc = xcs_stream_init(&t->st, o->fd, false, o->tolerant);
        t->stream_ok = true;
        if (rc < 0)
            goto nomem;
        if (o->fd == 0)
            snprintf(s->source, sizeof(s->source), "trace stream on stdin");
        else
            snprintf(s->source, sizeof(s->source), "trace stream on fd %d",
                     o->fd);
        return 0;
    }
    if (!o->follow) {
        t->rd = xct_reader_new(o->path, &ro);
        if (!t->rd) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
            return rc;
        }
        snprintf(s->source, sizeof(s->source), "trace file %s", o->path);
        return 0;
    }
    t->fd = open(o->path, O_RDONLY | O_CLOEXEC);
    if (t->fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
        return rc;
    }
    t->use_stream = true;
    rc = xcs_stream_init(&t->st, t->fd, true, o->tolerant);
    t->stream_ok = true;
    if (rc < 0)
        goto nomem;
    t->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (t->ino_fd >= 0 &&
        inotify_add_watch(t->ino_fd, o->path, IN_MODIFY) < 0) {
        close(t->ino_fd);
        t->ino_fd = -1;
    }
    snprintf(s->source, sizeof(s->source), "trace file %s (follow)",
             o->path);
    return 0;

nomem:
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}
