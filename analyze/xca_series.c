/* xca_series.c: the host timeline in a bounded number of buckets. */
/* SPDX-License-Identifier: MIT */
/*
 * Buckets have one width; when a value lands past the last bucket the
 * analysis may keep, neighbours are merged in pairs and the width
 * doubles, so any trace ends up in between cap / 2 and cap buckets.
 * Each bucket keeps the lowest, highest and last value of every series:
 * a low point survives any amount of merging.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xca_int.h"

int xca_tl_init(struct xca_tl *t, unsigned int cap)
{
    memset(t, 0, sizeof(*t));
    if (cap < 2)
        cap = 2;
    cap += cap & 1;
    t->p = calloc(cap, sizeof(*t->p));
    if (!t->p)
        return -ENOMEM;
    t->cap = cap;
    t->width = 1;
    return 0;
}

void xca_tl_free(struct xca_tl *t)
{
    free(t->p);
    t->p = NULL;
}

static void bucket_fill(struct xca_tl *t, struct xca_point *b, uint64_t tsc)
{
    unsigned int s;

    b->tsc = tsc;
    for (s = 0; s < XCA_NSERIES; s++)
        b->min[s] = b->max[s] = b->last[s] = t->val[s];
    b->denials = 0;
    b->uncertain = 0;
}

/* Merge pairs of buckets: half as many, twice as wide. */
static void halve(struct xca_tl *t)
{
    unsigned int i, j, s;

    for (i = 0, j = 0; i < t->n; i += 2, j++) {
        struct xca_point *a = &t->p[i], *d = &t->p[j];

        *d = *a;
        if (i + 1 < t->n) {
            const struct xca_point *b = &t->p[i + 1];

            for (s = 0; s < XCA_NSERIES; s++) {
                if (b->min[s] < d->min[s])
                    d->min[s] = b->min[s];
                if (b->max[s] > d->max[s])
                    d->max[s] = b->max[s];
                d->last[s] = b->last[s];
            }
            d->denials += b->denials;
            d->uncertain |= b->uncertain;
        }
    }
    t->n = j;
    t->width *= 2;
    t->cur_end = t->base + (uint64_t)t->n * t->width;
}

/* Make the bucket holding tsc the last one; returns it. */
static struct xca_point *reach(struct xca_tl *t, uint64_t tsc)
{
    uint64_t idx;

    if (tsc < t->cur_end)
        return &t->p[t->n - 1];
    idx = (tsc - t->base) / t->width;
    while (idx >= t->cap) {
        halve(t);
        idx = (tsc - t->base) / t->width;
    }
    if (idx < t->n)
        return &t->p[t->n - 1];
    while (t->n <= idx) {
        bucket_fill(t, &t->p[t->n], t->base + (uint64_t)t->n * t->width);
        t->n++;
    }
    t->cur_end = t->base + (uint64_t)t->n * t->width;
    return &t->p[t->n - 1];
}

void xca_tl_set_slow(struct xca_tl *t, uint64_t tsc, const int64_t *v)
{
    struct xca_point *b;
    unsigned int s;

    if (!t->started) {
        t->started = 1;
        t->base = tsc;
        t->width = 1;
        memcpy(t->val, v, sizeof(t->val));
        t->n = 1;
        bucket_fill(t, &t->p[0], tsc);
        t->cur_end = tsc + 1;
        return;
    }
    b = reach(t, tsc);
    for (s = 0; s < XCA_NSERIES; s++) {
        int64_t x = v[s];

        t->val[s] = x;
        b->last[s] = x;
        if (x < b->min[s])
            b->min[s] = x;
        if (x > b->max[s])
            b->max[s] = x;
    }
}

void xca_tl_denial(struct xca_tl *t, uint64_t tsc)
{
    if (t->started && tsc >= t->base)
        reach(t, tsc)->denials++;
}

void xca_tl_uncertain(struct xca_tl *t, uint64_t from, uint64_t to)
{
    uint64_t i, last;

    if (!t->started || to < t->base)
        return;
    reach(t, to);
    i = from > t->base ? (from - t->base) / t->width : 0;
    last = (to - t->base) / t->width;
    for (; i <= last && i < t->n; i++)
        t->p[i].uncertain = 1;
}

void xca_tl_close(struct xca_tl *t, uint64_t tsc)
{
    if (t->started && tsc >= t->base)
        reach(t, tsc);
}
