/* stream.c: a xentrace stream read incrementally (see stream.h). */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream.h"
#include "xct_desc.h"

#define CPU_CHANGE_HDR  0x2001f003u
#define READ_SIZE       (1u << 20)
/* Flush anyway beyond this many queued records (bounded memory). */
#define MAX_QUEUED      (4u << 20)

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

void xcs_rebase_offsets(char *out, size_t outlen, const char *msg,
                        uint64_t base)
{
    static const char key[] = "offset ";
    size_t o = 0;
    const char *p = msg;

    if (!outlen)
        return;
    while (*p && o + 1 < outlen) {
        if (!strncmp(p, key, sizeof(key) - 1) &&
            isdigit((unsigned char)p[sizeof(key) - 1])) {
            char *end;
            unsigned long long v;
            int n;

            p += sizeof(key) - 1;
            v = strtoull(p, &end, 10);
            p = end;
            n = snprintf(out + o, outlen - o, "%s%llu", key,
                         v + (unsigned long long)base);
            if (n < 0 || (size_t)n >= outlen - o) {
                o = outlen - 1;
                break;
            }
            o += (size_t)n;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

int xcs_stream_init(struct xcs_stream *st, int fd, bool follow,
                    bool tolerant)
{
    memset(st, 0, sizeof(*st));
    st->fd = fd;
    st->follow = follow;
    st->tolerant = tolerant;
    xcs_merge_init(&st->m);
    st->cap = READ_SIZE;
    st->buf = malloc(st->cap);
    return st->buf ? 0 : -ENOMEM;
}

void xcs_stream_free(struct xcs_stream *st)
{
    free(st->buf);
    free(st->wstart);
    xcs_merge_free(&st->m);
    st->buf = NULL;
    st->wstart = NULL;
}

static int fatal(struct xcs_stream *st, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fatal(struct xcs_stream *st, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
    va_end(ap);
    st->err = err;
    return err;
}

/* An error the reader found at stream offset off: fatal or an issue. */
static int problem(struct xcs_stream *st, struct xcs *s, uint64_t off,
                   const char *msg)
{
    char line[240];

    if (!st->tolerant)
        return fatal(st, -XCS_ERR_CORRUPT, "offset %" PRIu64 ": %s", off,
                     msg);
    snprintf(line, sizeof(line), "offset %" PRIu64 ": %.200s", off, msg);
    xcs_defer_issue(s, off, line);
    return 0;
}

/*
 * What a strict reader says about the n bytes at p (stream offset at):
 * its first error, rebased, into out.  Returns its stream offset.
 */
static uint64_t reader_says(const uint8_t *p, size_t n, uint64_t at,
                            char *out, size_t outlen)
{
    struct xct_reader *r = xct_reader_new_mem(p, n, NULL);
    struct xct_record rec;
    enum xct_read_status rs;
    uint64_t off = at;

    if (!r) {
        snprintf(out, outlen, "out of memory");
        return at;
    }
    while ((rs = xct_reader_next(r, &rec)) == XCT_READ_OK)
        ;
    if (rs == XCT_READ_END) {
        snprintf(out, outlen, "bad data");
    } else {
        xcs_rebase_offsets(out, outlen, xct_reader_message(r), at);
        off = at + xct_reader_offset(r);
    }
    xct_reader_free(r);
    return off;
}

static int plausible(const uint8_t *p)
{
    uint32_t size = ld32(p + 8);

    return ld32(p) == CPU_CHANGE_HDR && ld32(p + 4) < XCT_MAX_CPUS &&
           size % 4 == 0 && size <= XCT_WINDOW_MAX;
}

/* Window number of the record at data offset off in the current run. */
static uint64_t window_of(const struct xcs_stream *st, size_t nws,
                          uint64_t first, uint64_t off)
{
    size_t lo = 0, hi = nws;

    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;

        if (st->wstart[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return first + lo;
}

/* Decode the run of nws complete windows at [from, to) into the queues. */
static int decode_run(struct xcs_stream *st, struct xcs *s, uint64_t from,
                      uint64_t to, size_t nws, uint64_t first)
{
    struct xct_reader_opts ro = {
        .flags = st->tolerant ? XCT_READER_TOLERANT : 0,
    };
    struct xct_reader *r;
    struct xct_record rec;
    enum xct_read_status rs;
    char msg[200];
    int rc = 0;

    r = xct_reader_new_mem(st->buf + (from - st->base), (size_t)(to - from),
                           &ro);
    if (!r)
        return fatal(st, -ENOMEM, "out of memory");
    st->runs++;
    for (;;) {
        unsigned int cpu;
        uint64_t off;

        rs = xct_reader_next(r, &rec);
        if (rs == XCT_READ_END)
            break;
        if (rs != XCT_READ_OK) {
            xcs_rebase_offsets(msg, sizeof(msg), xct_reader_message(r),
                               from);
            rc = problem(st, s, from + xct_reader_offset(r), msg);
            if (rc < 0 || xct_reader_at_end(r))
                break;
            continue;
        }
        cpu = xct_reader_cpu(r);
        off = from + xct_reader_offset(r);
        if (rec.has_tsc) {
            if (rec.tsc < st->last_tsc[cpu]) {
                snprintf(msg, sizeof(msg), "TSC %" PRIu64 " on CPU %u is "
                         "below the previous %" PRIu64 ": expected "
                         "non-decreasing TSCs", rec.tsc, cpu,
                         st->last_tsc[cpu]);
                rc = problem(st, s, off, msg);
                if (rc < 0)
                    break;
                continue;       /* tolerant: drop the record */
            }
            st->run_of[cpu] = st->runs;
        } else if (st->run_of[cpu] != st->runs) {
            /* No TSC yet in this run: inherit across runs. */
            rec.tsc = st->last_tsc[cpu];
        }
        st->last_tsc[cpu] = rec.tsc;
        rc = xcs_merge_push(&st->m, cpu, &rec, off,
                            window_of(st, nws, first, off));
        if (rc < 0) {
            fatal(st, rc, "out of memory");
            break;
        }
    }
    xct_reader_free(r);
    return rc;
}

/*
 * Tolerant: skip garbage at st->scan up to the next plausible header in
 * the buffer (or all but the last 11 bytes, which may start one).
 */
static void resync(struct xcs_stream *st, struct xcs *s)
{
    size_t off = (size_t)(st->scan - st->base), i;
    char msg[200], line[300];
    uint64_t at;

    if (!st->skipping) {
        at = reader_says(st->buf + off, XCT_CPU_CHANGE_BYTES, st->scan, msg,
                         sizeof(msg));
        snprintf(line, sizeof(line), "offset %" PRIu64 ": %.200s (skipping "
                 "to the next window header)", at, msg);
        xcs_defer_issue(s, at, line);
        st->skipping = true;
    }
    for (i = off + 1; i + XCT_CPU_CHANGE_BYTES <= st->len; i++) {
        if (plausible(st->buf + i)) {
            st->skipped += i - off;
            st->scan = st->base + i;
            st->skipping = false;
            return;
        }
    }
    i = st->len >= XCT_CPU_CHANGE_BYTES - 1 ? st->len -
        (XCT_CPU_CHANGE_BYTES - 1) : 0;
    if (i > off) {
        st->skipped += i - off;
        st->scan = st->base + i;
    }
}

/* Frame the complete windows in the buffer and decode them. */
static int digest(struct xcs_stream *st, struct xcs *s)
{
    for (;;) {
        uint64_t from = st->scan, first = st->nwin;
        size_t nws = 0;
        bool bad = false;
        int rc;

        for (;;) {
            size_t off = (size_t)(st->scan - st->base);
            const uint8_t *p = st->buf + off;
            uint32_t size, cpu;

            if (st->len - off < XCT_CPU_CHANGE_BYTES)
                break;
            if (!plausible(p)) {
                bad = true;
                break;
            }
            st->skipping = false;
            size = ld32(p + 8);
            cpu = ld32(p + 4);
            if (st->len - off < XCT_CPU_CHANGE_BYTES + (size_t)size)
                break;
            if (nws == st->wcap) {
                size_t ncap = st->wcap ? st->wcap * 2 : 256;
                uint64_t *nw = realloc(st->wstart, ncap * sizeof(*nw));

                if (!nw)
                    return fatal(st, -ENOMEM, "out of memory");
                st->wstart = nw;
                st->wcap = ncap;
            }
            st->wstart[nws++] = st->scan + XCT_CPU_CHANGE_BYTES;
            if (!st->seen[cpu]) {
                st->seen[cpu] = 1;
                st->ncpus++;
            }
            st->scan += XCT_CPU_CHANGE_BYTES + size;
            st->nwin++;
        }
        if (nws) {
            rc = decode_run(st, s, from, st->scan, nws, first);
            if (rc < 0)
                return rc;
        }
        if (!bad)
            return 0;
        if (!st->tolerant) {
            char msg[200];
            size_t off = (size_t)(st->scan - st->base);
            uint64_t at = reader_says(st->buf + off, XCT_CPU_CHANGE_BYTES,
                                      st->scan, msg, sizeof(msg));

            return fatal(st, -XCS_ERR_CORRUPT, "offset %" PRIu64 ": %s", at,
                         msg);
        }
        resync(st, s);
        if (st->skipping)
            return 0;       /* wait for more bytes */
    }
}

/* Make room for READ_SIZE more bytes, dropping what was framed. */
static int make_room(struct xcs_stream *st)
{
    size_t drop = (size_t)(st->scan - st->base), need;
    uint8_t *nb;

    if (drop) {
        memmove(st->buf, st->buf + drop, st->len - drop);
        st->len -= drop;
        st->base += drop;
    }
    need = st->len + READ_SIZE;
    if (need <= st->cap)
        return 0;
    if (need < 2 * st->cap)
        need = 2 * st->cap;
    nb = realloc(st->buf, need);
    if (!nb)
        return -ENOMEM;
    st->buf = nb;
    st->cap = need;
    return 0;
}

int xcs_stream_read(struct xcs_stream *st, struct xcs *s)
{
    struct pollfd pfd = { .fd = st->fd, .events = POLLIN };
    ssize_t n;
    int rc;

    if (st->err)
        return st->err;
    if (st->eof)
        return 0;
    if (!st->follow) {
        rc = poll(&pfd, 1, 0);
        if (rc < 0 && errno != EINTR)
            return fatal(st, -errno, "poll: %s", strerror(errno));
        if (rc <= 0)
            return 0;
    }
    rc = make_room(st);
    if (rc < 0)
        return fatal(st, rc, "out of memory");
    do
        n = read(st->fd, st->buf + st->len, READ_SIZE);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return fatal(st, -errno, "read: %s", strerror(errno));
    }
    if (n == 0) {
        if (!st->follow)
            st->eof = true;
        return 0;
    }
    st->len += (size_t)n;
    rc = digest(st, s);
    return rc < 0 ? rc : 1;
}

int xcs_stream_finish(struct xcs_stream *st, struct xcs *s)
{
    size_t off = (size_t)(st->scan - st->base), left = st->len - off;
    char msg[200];
    uint64_t at;

    if (st->err)
        return st->err;
    if (left == 0)
        return 0;
    at = reader_says(st->buf + off, left, st->scan, msg, sizeof(msg));
    st->scan += left;
    if (st->skipping) {
        st->skipped += left;
        return 0;
    }
    return problem(st, s, at, msg);
}

const struct xct_record *xcs_stream_peek(struct xcs_stream *st, bool flush,
                                         uint64_t *off)
{
    const struct xcs_qrec *q = xcs_merge_peek(&st->m, NULL);

    if (!q)
        return NULL;
    if (!flush && q->tag + 2ull * st->ncpus + 2 >= st->nwin &&
        xcs_merge_count(&st->m) < MAX_QUEUED)
        return NULL;
    *off = q->key;
    return &q->rec;
}

void xcs_stream_pop(struct xcs_stream *st)
{
    xcs_merge_pop(&st->m);
}

size_t xcs_stream_queued(const struct xcs_stream *st)
{
    return xcs_merge_count(&st->m);
}

size_t xcs_stream_memory(const struct xcs_stream *st)
{
    return st->cap + st->wcap * sizeof(uint64_t) +
           xcs_merge_memory(&st->m);
}
