/* xcs_merge.c: per-CPU record queues merged by (TSC, key). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xcs_merge.h"

#define FIRST_CAP 64u

static inline const struct xcs_qrec *head_of(const struct xcs_mq *q)
{
    return &q->ring[q->head];
}

static inline int less(const struct xcs_merge *m, unsigned int a,
                       unsigned int b)
{
    const struct xcs_qrec *x = head_of(&m->q[a]), *y = head_of(&m->q[b]);

    return x->rec.tsc < y->rec.tsc ||
           (x->rec.tsc == y->rec.tsc && x->key < y->key);
}

static inline void hset(struct xcs_merge *m, unsigned int i, unsigned int c)
{
    m->heap[i] = (uint16_t)c;
    m->q[c].hpos = (int)i;
}

static void sift_up(struct xcs_merge *m, unsigned int i)
{
    unsigned int c = m->heap[i];

    while (i > 0) {
        unsigned int p = (i - 1) / 2;

        if (!less(m, c, m->heap[p]))
            break;
        hset(m, i, m->heap[p]);
        i = p;
    }
    hset(m, i, c);
}

static void sift_down(struct xcs_merge *m, unsigned int i)
{
    unsigned int c = m->heap[i];

    for (;;) {
        unsigned int l = 2 * i + 1, s;

        if (l >= m->nheap)
            break;
        s = l;
        if (l + 1 < m->nheap && less(m, m->heap[l + 1], m->heap[l]))
            s = l + 1;
        if (!less(m, m->heap[s], c))
            break;
        hset(m, i, m->heap[s]);
        i = s;
    }
    hset(m, i, c);
}

void xcs_merge_init(struct xcs_merge *m)
{
    unsigned int i;

    memset(m, 0, sizeof(*m));
    for (i = 0; i < XCT_MAX_CPUS; i++)
        m->q[i].hpos = -1;
}

void xcs_merge_free(struct xcs_merge *m)
{
    unsigned int i;

    for (i = 0; i < XCT_MAX_CPUS; i++)
        free(m->q[i].ring);
    xcs_merge_init(m);
}

/* Double q's ring, keeping its records in order from index 0. */
static int grow(struct xcs_mq *q)
{
    uint32_t ncap = q->cap ? q->cap * 2 : FIRST_CAP, i;
    struct xcs_qrec *nr;

    if (q->cap >= (1u << 30))
        return -ENOMEM;
    nr = malloc((size_t)ncap * sizeof(*nr));
    if (!nr)
        return -ENOMEM;
    for (i = 0; i < q->count; i++)
        nr[i] = q->ring[(q->head + i) & (q->cap - 1)];
    free(q->ring);
    q->ring = nr;
    q->cap = ncap;
    q->head = 0;
    return 0;
}

int xcs_merge_push(struct xcs_merge *m, unsigned int cpu,
                   const struct xct_record *rec, uint64_t key, uint64_t tag)
{
    struct xcs_mq *q;
    struct xcs_qrec *e;
    int rc;

    if (cpu >= XCT_MAX_CPUS)
        return -EINVAL;
    q = &m->q[cpu];
    if (q->count == q->cap) {
        rc = grow(q);
        if (rc < 0)
            return rc;
    }
    e = &q->ring[(q->head + q->count) & (q->cap - 1)];
    e->rec = *rec;
    e->key = key;
    e->tag = tag;
    q->count++;
    m->count++;
    if (m->count > m->max_count)
        m->max_count = m->count;
    if (q->count == 1) {
        hset(m, m->nheap++, cpu);
        sift_up(m, m->nheap - 1);
    }
    return 0;
}

const struct xcs_qrec *xcs_merge_peek(const struct xcs_merge *m,
                                      unsigned int *cpu)
{
    unsigned int c;

    if (m->nheap == 0)
        return NULL;
    c = m->heap[0];
    if (cpu)
        *cpu = c;
    return head_of(&m->q[c]);
}

void xcs_merge_pop(struct xcs_merge *m)
{
    unsigned int c;
    struct xcs_mq *q;

    if (m->nheap == 0)
        return;
    c = m->heap[0];
    q = &m->q[c];
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    m->count--;
    if (q->count > 0) {
        sift_down(m, 0);
        return;
    }
    q->hpos = -1;
    q->head = 0;
    m->nheap--;
    if (m->nheap > 0) {
        hset(m, 0, m->heap[m->nheap]);
        sift_down(m, 0);
    }
}

size_t xcs_merge_memory(const struct xcs_merge *m)
{
    size_t b = 0;
    unsigned int i;

    for (i = 0; i < XCT_MAX_CPUS; i++)
        b += (size_t)m->q[i].cap * sizeof(struct xcs_qrec);
    return b;
}
