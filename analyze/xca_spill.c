/* xca_spill.c: append-only temporary files of fixed-size items. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xca_int.h"

#define SPILL_BUF (64u << 10)

void xca_spill_init(struct xca_spill *s, size_t item)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->item = item;
}

void xca_spill_close(struct xca_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    s->fd = -1;
    s->buf = NULL;
    s->len = s->cap = 0;
}

/* An unlinked file in $TMPDIR (or /tmp). */
static int spill_open(struct xca_spill *s)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    if (!dir || !*dir)
        dir = "/tmp";
    if ((size_t)snprintf(path, sizeof(path), "%s/xenclaim-analyze.XXXXXX",
                         dir) >= sizeof(path))
        return -ENAMETOOLONG;
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    unlink(path);
    s->buf = malloc(SPILL_BUF);
    if (!s->buf) {
        close(fd);
        return -ENOMEM;
    }
    s->cap = SPILL_BUF;
    s->fd = fd;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        if (w == 0)
            return -EIO;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static int spill_flush(struct xca_spill *s)
{
    int rc;

    if (!s->len)
        return 0;
    rc = write_all(s->fd, s->buf, s->len, s->base);
    if (rc < 0)
        return rc;
    s->base += s->len;
    s->len = 0;
    return 0;
}

int xca_spill_put(struct xca_spill *s, const void *item, uint64_t *off)
{
    int rc;

    if (s->err)
        return s->err;
    if (s->fd < 0) {
        rc = spill_open(s);
        if (rc < 0)
            return s->err = rc;
    }
    if (s->len + s->item > s->cap) {
        rc = spill_flush(s);
        if (rc < 0)
            return s->err = rc;
    }
    if (off)
        *off = s->base + s->len;
    memcpy(s->buf + s->len, item, s->item);
    s->len += s->item;
    s->count++;
    return 0;
}

int xca_spill_patch(struct xca_spill *s, uint64_t off, const void *p,
                    size_t n)
{
    int rc;

    if (s->err)
        return s->err;
    if (s->fd < 0 || off + n > s->base + s->len)
        return -EINVAL;
    if (off >= s->base) {
        memcpy(s->buf + (off - s->base), p, n);
        return 0;
    }
    rc = write_all(s->fd, p, n, off);
    return rc < 0 ? (s->err = rc) : 0;
}

static int read_at(int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *q = p;

    while (n > 0) {
        ssize_t r = pread(fd, q, n, (off_t)off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -EIO;
        q += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int xca_spill_get(struct xca_spill *s, uint64_t off, void *item)
{
    if (s->err)
        return s->err;
    if (s->fd < 0 || off + s->item > s->base + s->len)
        return -EINVAL;
    if (off >= s->base) {
        memcpy(item, s->buf + (off - s->base), s->item);
        return 0;
    }
    return read_at(s->fd, item, s->item, off);
}

int xca_spill_walk(struct xca_spill *s, void *scratch,
                   int (*cb)(void *opaque, const void *item),
                   void *opaque)
{
    size_t per = SPILL_BUF / s->item, i, n;
    uint64_t off, end;
    uint8_t *chunk;
    int rc = 0;

    if (s->err)
        return s->err;
    if (s->fd < 0)
        return 0;
    chunk = malloc(per * s->item);
    if (!chunk)
        return -ENOMEM;
    end = s->base;
    /* What was flushed, a chunk at a time, then the buffer. */
    for (off = 0; off < end && !rc; off += n * s->item) {
        n = (size_t)((end - off) / s->item);
        if (n > per)
            n = per;
        rc = read_at(s->fd, chunk, n * s->item, off);
        for (i = 0; i < n && !rc; i++) {
            memcpy(scratch, chunk + i * s->item, s->item);
            rc = cb(opaque, scratch);
        }
    }
    free(chunk);
    for (i = 0; i + s->item <= s->len && !rc; i += s->item) {
        memcpy(scratch, s->buf + i, s->item);
        rc = cb(opaque, scratch);
    }
    return rc;
}
