/* xct_testtrace.c: a small xentrace file writer for tests. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xct_testtrace.h"

#define TT_MAX_CPUS 256u

struct tt_rec {
    uint32_t len;
    uint64_t tsc;       /* the record's TSC, or the one it inherits */
};

struct tt_cpu {
    uint8_t *bytes;     /* encoded pending records */
    size_t blen, bcap, bhead;
    struct tt_rec *recs;
    size_t nrec, rcap, rhead;
    uint64_t last_tsc;
};

struct xct_tt {
    FILE *f;
    int err;
    uint8_t *out;
    size_t olen, ocap;
    uint64_t size, windows;
    struct tt_cpu cpu[TT_MAX_CPUS];
};

/*
 * Make room for need elements of elem bytes at *p (capacity *cap).
 * Returns 0 or -ENOMEM (*p unchanged).
 */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap ? *cap : 64;
    void *np;

    if (need <= *cap)
        return 0;
    while (ncap < need)
        ncap *= 2;
    np = realloc(*p, ncap * elem);
    if (!np)
        return -ENOMEM;
    *p = np;
    *cap = ncap;
    return 0;
}

static int emit(struct xct_tt *t, const void *p, size_t n)
{
    if (t->err)
        return t->err;
    if (t->f) {
        if (n && fwrite(p, 1, n, t->f) != n) {
            t->err = -(errno ? errno : EIO);
            return t->err;
        }
    } else {
        void *out = t->out;

        if (grow(&out, &t->ocap, t->olen + n, 1) < 0)
            return t->err = -ENOMEM;
        t->out = out;
        memcpy(t->out + t->olen, p, n);
        t->olen += n;
    }
    t->size += n;
    return 0;
}

struct xct_tt *xct_tt_new(const char *path)
{
    struct xct_tt *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    if (path) {
        t->f = fopen(path, "wb");
        if (!t->f) {
            int e = errno;

            free(t);
            errno = e;
            return NULL;
        }
        setvbuf(t->f, NULL, _IOFBF, 1 << 20);
    }
    return t;
}

int xct_tt_close(struct xct_tt *t)
{
    int rc = 0;
    unsigned int i;

    if (!t)
        return 0;
    rc = t->err;
    if (t->f && fclose(t->f) != 0 && rc == 0)
        rc = -errno;
    for (i = 0; i < TT_MAX_CPUS; i++) {
        free(t->cpu[i].bytes);
        free(t->cpu[i].recs);
    }
    free(t->out);
    free(t);
    return rc;
}

void xct_tt_free(struct xct_tt *t)
{
    (void)xct_tt_close(t);
}

int xct_tt_add(struct xct_tt *t, unsigned int cpu, uint32_t event,
               int has_tsc, uint64_t tsc, const uint32_t *words,
               unsigned int nwords)
{
    struct xct_record r;
    struct tt_cpu *c;
    void *bytes, *recs;
    size_t n;
    int rc;

    if (!t || cpu >= TT_MAX_CPUS || nwords > 7 || (nwords && !words))
        return -EINVAL;
    c = &t->cpu[cpu];
    bytes = c->bytes;
    recs = c->recs;
    rc = grow(&bytes, &c->bcap, c->blen + XCT_RECORD_MAX_BYTES, 1);
    c->bytes = bytes;
    if (rc == 0)
        rc = grow(&recs, &c->rcap, c->nrec + 1, sizeof(*c->recs));
    c->recs = recs;
    if (rc < 0)
        return rc;
    memset(&r, 0, sizeof(r));
    r.event = event;
    r.nwords = nwords;
    r.has_tsc = !!has_tsc;
    r.tsc = tsc;
    if (nwords)
        memcpy(r.words, words, 4u * nwords);
    n = xct_record_encode(c->bytes + c->blen, XCT_RECORD_MAX_BYTES, &r);
    if (n == 0)
        return -EINVAL;
    c->blen += n;
    if (has_tsc)
        c->last_tsc = tsc;
    c->recs[c->nrec].len = (uint32_t)n;
    c->recs[c->nrec].tsc = c->last_tsc;
    c->nrec++;
    return 0;
}

int xct_tt_add_lost(struct xct_tt *t, unsigned int cpu, uint64_t tsc,
                    uint32_t lost, uint16_t domid, uint16_t vcpu,
                    uint64_t first_tsc)
{
    uint32_t w[4];

    w[0] = lost;
    w[1] = (uint32_t)vcpu | ((uint32_t)domid << 16);
    w[2] = (uint32_t)first_tsc;
    w[3] = (uint32_t)(first_tsc >> 32);
    return xct_tt_add(t, cpu, XCT_TRC_LOST_RECORDS, 1, tsc, w, 4);
}

int xct_tt_add_wrap(struct xct_tt *t, unsigned int cpu, unsigned int nwords)
{
    uint32_t w[7] = { 0 };

    return xct_tt_add(t, cpu, XCT_TRC_WRAP_BUFFER, 0, 0, w, nwords);
}

size_t xct_tt_pending(const struct xct_tt *t, unsigned int cpu)
{
    if (!t || cpu >= TT_MAX_CPUS)
        return 0;
    return t->cpu[cpu].nrec - t->cpu[cpu].rhead;
}

/* Write a window of cpu's pending records with TSC <= upto. */
static int window_upto(struct xct_tt *t, unsigned int cpu, uint64_t upto,
                       size_t max_bytes)
{
    struct tt_cpu *c = &t->cpu[cpu];
    size_t i = c->rhead, bytes = 0;
    uint8_t hdr[XCT_CPU_CHANGE_BYTES];
    int rc;

    while (i < c->nrec && c->recs[i].tsc <= upto &&
           (max_bytes == 0 || bytes + c->recs[i].len <= max_bytes)) {
        bytes += c->recs[i].len;
        i++;
    }
    if (bytes == 0)
        return 0;
    xct_cpu_change_encode(hdr, (int32_t)cpu, (uint32_t)bytes);
    rc = emit(t, hdr, sizeof(hdr));
    if (rc == 0)
        rc = emit(t, c->bytes + c->bhead, bytes);
    if (rc < 0)
        return rc;
    t->windows++;
    c->bhead += bytes;
    c->rhead = i;
    if (c->rhead == c->nrec) {
        c->rhead = c->nrec = 0;
        c->bhead = c->blen = 0;
    }
    return 0;
}

int xct_tt_window(struct xct_tt *t, unsigned int cpu, size_t max_bytes)
{
    if (!t || cpu >= TT_MAX_CPUS)
        return -EINVAL;
    return window_upto(t, cpu, UINT64_MAX, max_bytes);
}

int xct_tt_poll(struct xct_tt *t, uint64_t upto, size_t max_bytes)
{
    unsigned int i;
    int rc;

    if (!t)
        return -EINVAL;
    for (i = 0; i < TT_MAX_CPUS; i++) {
        rc = window_upto(t, i, upto, max_bytes);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int xct_tt_drain(struct xct_tt *t, size_t max_bytes)
{
    unsigned int i;
    int more, rc;

    if (!t)
        return -EINVAL;
    do {
        more = 0;
        for (i = 0; i < TT_MAX_CPUS; i++) {
            rc = window_upto(t, i, UINT64_MAX, max_bytes);
            if (rc < 0)
                return rc;
            if (xct_tt_pending(t, i))
                more = 1;
        }
    } while (more);
    return 0;
}

int xct_tt_header(struct xct_tt *t, int32_t cpu, uint32_t size)
{
    uint8_t hdr[XCT_CPU_CHANGE_BYTES];

    if (!t)
        return -EINVAL;
    xct_cpu_change_encode(hdr, cpu, size);
    return emit(t, hdr, sizeof(hdr));
}

int xct_tt_raw(struct xct_tt *t, const void *p, size_t n)
{
    if (!t || (n && !p))
        return -EINVAL;
    return emit(t, p, n);
}

int xct_tt_raw_record(struct xct_tt *t, uint32_t event, int has_tsc,
                      uint64_t tsc, const uint32_t *words,
                      unsigned int nwords)
{
    struct xct_record r;
    uint8_t b[XCT_RECORD_MAX_BYTES];
    size_t n;

    if (!t || nwords > 7 || (nwords && !words))
        return -EINVAL;
    memset(&r, 0, sizeof(r));
    r.event = event;
    r.nwords = nwords;
    r.has_tsc = !!has_tsc;
    r.tsc = tsc;
    if (nwords)
        memcpy(r.words, words, 4u * nwords);
    n = xct_record_encode(b, sizeof(b), &r);
    if (n == 0)
        return -EINVAL;
    return emit(t, b, n);
}

const uint8_t *xct_tt_bytes(const struct xct_tt *t, size_t *len)
{
    if (!t || t->f) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = t->olen;
    return t->out ? t->out : (const uint8_t *)"";
}

uint64_t xct_tt_size(const struct xct_tt *t)
{
    return t ? t->size : 0;
}

uint64_t xct_tt_windows(const struct xct_tt *t)
{
    return t ? t->windows : 0;
}

int xct_tt_save(const struct xct_tt *t, const char *path)
{
    FILE *f;
    int rc = 0;

    if (!t || t->f || !path)
        return -EINVAL;
    f = fopen(path, "wb");
    if (!f)
        return -errno;
    if (t->olen && fwrite(t->out, 1, t->olen, f) != t->olen)
        rc = -(errno ? errno : EIO);
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}
