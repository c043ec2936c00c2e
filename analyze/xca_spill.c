/* xca_spill.c: append-only temporary files of fixed-size items. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xca_int.h"

#define SPILL_BUF (64u << 10)
#define RC_TARGET (16u << 10)   /* about this many bytes per cached block */

void xca_spill_init(struct xca_spill *s, size_t item)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->item = item;
}

/* Free the read cache (it is made again when needed). */
static void rc_free(struct xca_spill *s)
{
    free(s->rc);
    free(s->rc_tag);
    free(s->rc_len);
    s->rc = NULL;
    s->rc_tag = NULL;
    s->rc_len = NULL;
}

void xca_spill_close(struct xca_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s->fix);
    rc_free(s);
    s->fd = -1;
    s->buf = NULL;
    s->fix = NULL;
    s->nfix = s->capfix = 0;
    s->len = s->cap = 0;
}

void xca_spill_view(const struct xca_spill *s, struct xca_spill *v)
{
    *v = *s;
    v->rc = NULL;
    v->rc_tag = NULL;
    v->rc_len = NULL;
}

void xca_spill_view_close(struct xca_spill *v)
{
    rc_free(v);
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

/* Keep a cached copy of what was patched in step with the file. */
static void rc_patch(struct xca_spill *s, uint64_t off, const void *p,
                     size_t n)
{
    const uint8_t *q = p;

    while (s->rc && n > 0) {
        uint64_t b = off / s->rc_block, start = b * s->rc_block;
        unsigned int slot = (unsigned int)(b % XCA_SPILL_SLOTS);
        size_t in = (size_t)(off - start), k = s->rc_block - in;

        if (k > n)
            k = n;
        if (s->rc_tag[slot] == b + 1 && in < s->rc_len[slot]) {
            size_t valid = s->rc_len[slot] - in;

            memcpy(s->rc + (size_t)slot * s->rc_block + in, q,
                   k < valid ? k : valid);
        }
        off += k;
        q += k;
        n -= k;
    }
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

/* ---- patches waiting in memory ------------------------------------------ */

static inline uint32_t fix_slot(const struct xca_spill *s, uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (s->capfix - 1);
}

/* The slot of item number idx, or NULL. */
static struct xca_spill_fix *fix_find(const struct xca_spill *s, uint64_t idx)
{
    uint32_t i;

    if (!s->nfix)
        return NULL;
    for (i = fix_slot(s, idx + 1); s->fix[i].key;
         i = (i + 1) & (s->capfix - 1))
        if (s->fix[i].key == idx + 1)
            return &s->fix[i];
    return NULL;
}

/* item, read from the file at off: apply what waits for it. */
static inline void fix_apply(const struct xca_spill *s, uint64_t off,
                             void *item)
{
    const struct xca_spill_fix *f = fix_find(s, off / s->item);

    if (f && f->n)
        memcpy((uint8_t *)item + f->at, &f->val, f->n);
}

/* Write what waits in f to the file and the read cache; f is then empty. */
static int fix_write(struct xca_spill *s, struct xca_spill_fix *f)
{
    uint64_t off = (f->key - 1) * s->item + f->at;
    int rc;

    if (!f->n)
        return 0;
    rc = write_all(s->fd, (const uint8_t *)&f->val, f->n, off);
    if (rc < 0)
        return rc;
    rc_patch(s, off, &f->val, f->n);
    f->n = 0;
    return 0;
}

static void fix_put(struct xca_spill_fix *t, uint32_t cap,
                    const struct xca_spill_fix *f)
{
    uint32_t i = (uint32_t)((f->key * 0x9e3779b97f4a7c15ull) >> 32) &
                 (cap - 1);

    while (t[i].key)
        i = (i + 1) & (cap - 1);
    t[i] = *f;
}

static int fix_cmp(const void *x, const void *y)
{
    const struct xca_spill_fix *a = x, *b = y;

    return a->key < b->key ? -1 : a->key > b->key;
}

#define FIX_RMW 4u              /* patches in a block worth rewriting it */

/*
 * Write every waiting patch to the file and empty the table: in item
 * order, a block read, patched and written back when it holds a few,
 * a write each otherwise.  0 or -errno.
 */
static int fix_write_all(struct xca_spill *s)
{
    size_t blk = SPILL_BUF / s->item * s->item;
    struct xca_spill_fix *f = s->fix;
    uint32_t n = 0, i, j, k;
    uint8_t *buf = malloc(blk);
    int rc = 0;

    for (i = 0; i < s->capfix; i++)
        if (f[i].key && f[i].n)
            f[n++] = f[i];
    qsort(f, n, sizeof(*f), fix_cmp);
    for (i = 0; i < n && rc == 0; i = j) {
        uint64_t start = (f[i].key - 1) * s->item / blk * blk;
        uint64_t end = start + blk < s->base ? start + blk : s->base;

        for (j = i; j < n && (f[j].key - 1) * s->item < end; j++)
            ;
        if (!buf || j - i < FIX_RMW) {
            for (k = i; k < j && rc == 0; k++)
                rc = fix_write(s, &f[k]);
            continue;
        }
        rc = read_at(s->fd, buf, (size_t)(end - start), start);
        for (k = i; k < j && rc == 0; k++) {
            uint64_t o = (f[k].key - 1) * s->item + f[k].at;

            memcpy(buf + (o - start), &f[k].val, f[k].n);
            rc_patch(s, o, &f[k].val, f[k].n);
        }
        if (rc == 0)
            rc = write_all(s->fd, buf, (size_t)(end - start), start);
    }
    free(buf);
    memset(s->fix, 0, s->capfix * sizeof(*s->fix));
    s->nfix = 0;
    return rc;
}

/*
 * Room for one more slot: the table doubled, or at its largest written
 * out and emptied.  0 or -errno.
 */
static int fix_room(struct xca_spill *s)
{
    struct xca_spill_fix *t;
    uint32_t cap, i;

    if (s->capfix && (s->nfix + 1) * 4 <= s->capfix * 3)
        return 0;
    cap = s->capfix ? 2 * s->capfix : 1024;
    if (cap <= XCA_SPILL_FIX_MAX &&
        (t = calloc(cap, sizeof(*t))) != NULL) {
        for (i = 0; i < s->capfix; i++)
            if (s->fix[i].key)
                fix_put(t, cap, &s->fix[i]);
        free(s->fix);
        s->fix = t;
        s->capfix = cap;
        return 0;
    }
    if (!s->capfix)
        return -ENOMEM;
    return fix_write_all(s);
}

/* Keep a patch of item idx in memory; 1 if it could not be kept. */
static int fix_keep(struct xca_spill *s, uint64_t idx, uint32_t at,
                    const void *p, uint32_t n)
{
    struct xca_spill_fix *f = fix_find(s, idx), nf;
    int rc;

    if (f && f->n && (f->at != at || f->n != n)) {
        /* Another field of it waits: that one goes to the file first. */
        rc = fix_write(s, f);
        if (rc < 0)
            return rc;
    }
    if (!f) {
        rc = fix_room(s);
        if (rc == -ENOMEM)
            return 1;
        if (rc < 0)
            return rc;
        memset(&nf, 0, sizeof(nf));
        nf.key = idx + 1;
        fix_put(s->fix, s->capfix, &nf);
        s->nfix++;
        f = fix_find(s, idx);
    }
    f->at = at;
    f->n = n;
    memcpy(&f->val, p, n);
    return 0;
}

int xca_spill_patch(struct xca_spill *s, uint64_t off, const void *p,
                    size_t n)
{
    uint64_t idx, last;
    int rc;

    if (s->err)
        return s->err;
    if (s->fd < 0 || off + n > s->base + s->len)
        return -EINVAL;
    if (off >= s->base) {
        memcpy(s->buf + (off - s->base), p, n);
        return 0;
    }
    idx = off / s->item;
    if (n && n <= 8 && off + n <= s->base &&
        off % s->item + n <= s->item) {
        rc = fix_keep(s, idx, (uint32_t)(off % s->item), p, (uint32_t)n);
        if (rc <= 0)
            return rc < 0 ? (s->err = rc) : 0;
    }
    /* Written now: what waits for the items it touches goes first. */
    last = (off + (n ? n : 1) - 1) / s->item;
    for (; idx <= last; idx++) {
        struct xca_spill_fix *f = fix_find(s, idx);

        rc = f ? fix_write(s, f) : 0;
        if (rc < 0)
            return s->err = rc;
    }
    rc = write_all(s->fd, p, n, off);
    if (rc < 0)
        return s->err = rc;
    rc_patch(s, off, p, n);
    return 0;
}

/* The flushed item at off, through the block cache. */
static int rc_get(struct xca_spill *s, uint64_t off, void *item)
{
    uint64_t b, start, end;
    unsigned int slot;
    uint8_t *blk;
    int rc;

    if (!s->rc) {
        s->rc_block = RC_TARGET / s->item * s->item;
        if (!s->rc_block)
            s->rc_block = s->item;
        s->rc = malloc((size_t)XCA_SPILL_SLOTS * s->rc_block);
        s->rc_tag = calloc(XCA_SPILL_SLOTS, sizeof(*s->rc_tag));
        s->rc_len = calloc(XCA_SPILL_SLOTS, sizeof(*s->rc_len));
        if (!s->rc || !s->rc_tag || !s->rc_len) {
            rc_free(s);
            return read_at(s->fd, item, s->item, off);
        }
    }
    b = off / s->rc_block;
    start = b * s->rc_block;
    slot = (unsigned int)(b % XCA_SPILL_SLOTS);
    blk = s->rc + (size_t)slot * s->rc_block;
    /* Items never straddle blocks: blocks are whole items. */
    if (s->rc_tag[slot] != b + 1 ||
        off + s->item > start + s->rc_len[slot]) {
        end = start + s->rc_block < s->base ? start + s->rc_block : s->base;
        s->rc_tag[slot] = 0;
        rc = read_at(s->fd, blk, (size_t)(end - start), start);
        if (rc < 0)
            return rc;
        s->rc_tag[slot] = b + 1;
        s->rc_len[slot] = (uint32_t)(end - start);
    }
    memcpy(item, blk + (off - start), s->item);
    return 0;
}

int xca_spill_get(struct xca_spill *s, uint64_t off, void *item)
{
    int rc;

    if (s->err)
        return s->err;
    if (s->fd < 0 || off + s->item > s->base + s->len)
        return -EINVAL;
    if (off >= s->base) {
        memcpy(item, s->buf + (off - s->base), s->item);
        return 0;
    }
    rc = rc_get(s, off, item);
    if (rc == 0)
        fix_apply(s, off, item);
    return rc;
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
            fix_apply(s, off + i * s->item, scratch);
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
