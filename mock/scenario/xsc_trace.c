/* xsc_trace.c: the runner's trace writer: per-CPU windows. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xct_record.h"
#include "xsc_int.h"

int xsc_tw_open(struct xsc_tw *w, const char *path, unsigned int ncpu)
{
    memset(w, 0, sizeof(*w));
    w->fd = -1;
    w->cpu = calloc(ncpu, sizeof(*w->cpu));
    if (!w->cpu)
        return -ENOMEM;
    w->ncpu = ncpu;
    w->next_flush = XSC_TW_PERIOD;
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;

        free(w->cpu);
        w->cpu = NULL;
        return -e;
    }
    return 0;
}

static int write_all(struct xsc_tw *w, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    ssize_t r;

    while (len) {
        r = write(w->fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (!w->err)
                w->err = r < 0 ? errno : EIO;
            return -w->err;
        }
        p += r;
        len -= (size_t)r;
        w->bytes += (uint64_t)r;
    }
    return 0;
}

int xsc_tw_flush(struct xsc_tw *w)
{
    uint8_t hdr[XCT_CPU_CHANGE_BYTES];
    unsigned int c;

    if (w->err)
        return -w->err;
    for (c = 0; c < w->ncpu; c++) {
        struct xsc_tw_buf *b = &w->cpu[c];

        if (!b->len)
            continue;
        xct_cpu_change_encode(hdr, (int32_t)c, (uint32_t)b->len);
        if (write_all(w, hdr, sizeof(hdr)) || write_all(w, b->p, b->len))
            return -w->err;
        w->windows++;
        b->len = 0;
    }
    return 0;
}

void xsc_tw_sink(void *opaque, unsigned int cpu, uint32_t event,
                 uint64_t tsc, unsigned int nwords, const uint32_t *words)
{
    struct xsc_tw *w = opaque;
    struct xct_record r;
    struct xsc_tw_buf *b;
    uint8_t *np;
    size_t n, cap;

    if (w->err)
        return;
    if (cpu >= w->ncpu || nwords > XCT_HDR_WORDS_MASK) {
        w->err = EINVAL;
        return;
    }
    b = &w->cpu[cpu];
    if (b->cap - b->len < XCT_RECORD_MAX_BYTES) {
        cap = b->cap ? 2 * b->cap : 2 * XSC_TW_FLUSH;
        np = realloc(b->p, cap);
        if (!np) {
            w->err = ENOMEM;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memset(&r, 0, sizeof(r));
    r.event = event;
    r.nwords = nwords;
    r.has_tsc = 1;
    r.tsc = tsc;
    memcpy(r.words, words, 4u * nwords);
    n = xct_record_encode(b->p + b->len, b->cap - b->len, &r);
    if (!n) {
        w->err = EINVAL;
        return;
    }
    b->len += n;
    w->records++;
    if (b->len > XSC_TW_FLUSH)
        (void)xsc_tw_flush(w);
}

uint64_t xsc_tw_clock(void *opaque)
{
    struct xsc_tw *w = opaque;

    /* A 1 GHz TSC: virtual ns, one more when two records share a time. */
    w->last_tsc = w->now > w->last_tsc ? w->now : w->last_tsc + 1;
    return w->last_tsc;
}

int xsc_tw_advance(struct xsc_tw *w, uint64_t now)
{
    int rc = 0;

    w->now = now;
    if (now >= w->next_flush) {
        rc = xsc_tw_flush(w);
        w->next_flush = (now / XSC_TW_PERIOD + 1) * XSC_TW_PERIOD;
    }
    return w->err ? -w->err : rc;
}

int xsc_tw_close(struct xsc_tw *w)
{
    unsigned int c;

    if (w->fd >= 0) {
        (void)xsc_tw_flush(w);
        if (close(w->fd) && !w->err)
            w->err = errno;
        w->fd = -1;
    }
    for (c = 0; c < w->ncpu; c++)
        free(w->cpu[c].p);
    free(w->cpu);
    w->cpu = NULL;
    w->ncpu = 0;
    return w->err ? -w->err : 0;
}
