/* heap.c: the mock's simulated physical heap, a buddy allocator per node. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bitmap.h"
#include "heap.h"

/*
 * Free block of order k starting at mfn  <=>  bit mfn >> k of freemap[k].
 * Invariants (verified by mheap_check):
 *  - a free block is aligned to its size and lies inside one node;
 *  - free blocks never overlap each other nor an offline frame;
 *  - no two buddies of order < MHEAP_MAX_ORDER inside one node are both
 *    free blocks (they would have been merged);
 *  - nblocks[][] and free[] count the free blocks and frames of each node.
 * A frame is allocated when it is neither free nor offline: nothing
 * records allocations, put() checks them through the bitmaps.
 */
#define NR_ORDERS (MHEAP_MAX_ORDER + 1)

struct mheap {
    unsigned int nr_nodes;
    uint64_t nr_frames;
    uint64_t base[MHEAP_MAX_NODES + 1];     /* base[nr_nodes] = nr_frames */
    uint64_t free[MHEAP_MAX_NODES];         /* free frames per node */
    uint64_t nblocks[MHEAP_MAX_NODES][NR_ORDERS];
    struct mheap_bm freemap[NR_ORDERS];
    struct mheap_bm offline;                /* one bit per frame */
};

/* Node of mfn (< nr_frames): the last node whose base is <= mfn. */
static unsigned int node_find(const struct mheap *h, uint64_t mfn)
{
    unsigned int lo = 0, hi = h->nr_nodes;

    while (hi - lo > 1) {
        unsigned int mid = lo + (hi - lo) / 2;

        if (mfn >= h->base[mid])
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Whether the aligned block [mfn, mfn + 2^order) lies inside node. */
static bool block_in_node(const struct mheap *h, unsigned int node,
                          uint64_t mfn, unsigned int order)
{
    return mfn >= h->base[node] &&
           mfn < h->base[node + 1] &&
           (1ULL << order) <= h->base[node + 1] - mfn;
}

static void block_add(struct mheap *h, unsigned int node, uint64_t mfn,
                      unsigned int order)
{
    mheap_bm_set(&h->freemap[order], mfn >> order);
    h->nblocks[node][order]++;
    h->free[node] += 1ULL << order;
}

static void block_del(struct mheap *h, unsigned int node, uint64_t mfn,
                      unsigned int order)
{
    mheap_bm_clear(&h->freemap[order], mfn >> order);
    h->nblocks[node][order]--;
    h->free[node] -= 1ULL << order;
}

/* Free [mfn, mfn + 2^order), known not free, merging with free buddies. */
static void free_merge(struct mheap *h, unsigned int node, uint64_t mfn,
                       unsigned int order)
{
    while (order < MHEAP_MAX_ORDER) {
        uint64_t buddy = mfn ^ (1ULL << order);

        if (!block_in_node(h, node, buddy, order) ||
            !mheap_bm_test(&h->freemap[order], buddy >> order))
            break;
        block_del(h, node, buddy, order);
        mfn &= ~(1ULL << order);
        order++;
    }
    block_add(h, node, mfn, order);
}

/* Order of the free block holding mfn (its head in *head), or -1. */
static int free_block_of(const struct mheap *h, uint64_t mfn, uint64_t *head)
{
    unsigned int k;

    for (k = 0; k < NR_ORDERS; k++) {
        uint64_t start = mfn & ~((1ULL << k) - 1);

        if (mheap_bm_test(&h->freemap[k], start >> k)) {
            *head = start;
            return (int)k;
        }
    }
    return -1;
}

/* Whether any frame of the aligned [mfn, mfn + 2^order) is free/offline. */
static bool range_not_allocated(const struct mheap *h, uint64_t mfn,
                                unsigned int order)
{
    unsigned int k;

    if (mheap_bm_any_aligned(&h->offline, mfn, order))
        return true;
    /* Free blocks inside the range ... */
    for (k = 0; k < order; k++)
        if (mheap_bm_any_aligned(&h->freemap[k], mfn >> k, order - k))
            return true;
    /* ... and free blocks holding the whole range. */
    for (k = order; k < NR_ORDERS; k++)
        if (mheap_bm_test(&h->freemap[k], mfn >> k))
            return true;
    return false;
}

/* Carve the free node into the largest aligned blocks that fit. */
static void carve_node(struct mheap *h, unsigned int node)
{
    uint64_t p = h->base[node], end = h->base[node + 1];

    while (p < end) {
        unsigned int k = MHEAP_MAX_ORDER;

        while (k > 0 && ((p & ((1ULL << k) - 1)) || (1ULL << k) > end - p))
            k--;
        block_add(h, node, p, k);
        p += 1ULL << k;
    }
}

struct mheap *mheap_new(unsigned int nr_nodes, const uint64_t *pages)
{
    struct mheap *h;
    unsigned int i;
    int rc = 0;

    if (nr_nodes == 0 || nr_nodes > MHEAP_MAX_NODES || !pages) {
        errno = EINVAL;
        return NULL;
    }
    for (i = 0; i < nr_nodes; i++) {
        if (pages[i] == 0 || pages[i] > MHEAP_MAX_NODE_PAGES) {
            errno = EINVAL;
            return NULL;
        }
    }
    h = calloc(1, sizeof(*h));
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    h->nr_nodes = nr_nodes;
    for (i = 0; i < nr_nodes; i++)
        h->base[i + 1] = h->base[i] + pages[i];
    h->nr_frames = h->base[nr_nodes];

    for (i = 0; i < NR_ORDERS && !rc; i++) {
        uint64_t bits = ((h->nr_frames - 1) >> i) + 1;

        rc = mheap_bm_init(&h->freemap[i], bits);
    }
    if (!rc)
        rc = mheap_bm_init(&h->offline, h->nr_frames);
    if (rc) {
        mheap_free(h);
        errno = -rc;
        return NULL;
    }
    for (i = 0; i < nr_nodes; i++)
        carve_node(h, i);
    return h;
}

void mheap_free(struct mheap *h)
{
    unsigned int i;

    if (!h)
        return;
    for (i = 0; i < NR_ORDERS; i++)
        mheap_bm_fini(&h->freemap[i]);
    mheap_bm_fini(&h->offline);
    free(h);
}

unsigned int mheap_nr_nodes(const struct mheap *h)
{
    return h->nr_nodes;
}

uint64_t mheap_nr_frames(const struct mheap *h)
{
    return h->nr_frames;
}

int mheap_node_of(const struct mheap *h, uint64_t mfn)
{
    if (mfn >= h->nr_frames)
        return -EINVAL;
    return (int)node_find(h, mfn);
}

int mheap_take(struct mheap *h, unsigned int node, unsigned int order,
               uint64_t *mfn)
{
    unsigned int k;
    uint64_t idx, head;

    if (node >= h->nr_nodes || order > MHEAP_MAX_ORDER || !mfn)
        return -EINVAL;
    for (k = order; k < NR_ORDERS; k++)
        if (h->nblocks[node][k])
            break;
    if (k == NR_ORDERS)
        return -ENOMEM;

    /* Lowest free block of order k at or after the node's base. */
    idx = mheap_bm_find_next(&h->freemap[k],
                             (h->base[node] + (1ULL << k) - 1) >> k);
    if (idx == MHEAP_BM_NONE || !block_in_node(h, node, idx << k, k)) {
        fprintf(stderr, "mheap_take: node %u order %u: counted block "
                "not found\n", node, k);
        abort();                    /* counters and bitmap disagree */
    }
    head = idx << k;
    block_del(h, node, head, k);
    /* Keep the lower half, free the upper one, down to the wanted order. */
    while (k > order) {
        k--;
        block_add(h, node, head + (1ULL << k), k);
    }
    *mfn = head;
    return 0;
}

int mheap_put(struct mheap *h, uint64_t mfn, unsigned int order)
{
    unsigned int node;
    uint64_t size;

    if (order > MHEAP_MAX_ORDER)
        return -EINVAL;
    size = 1ULL << order;
    if ((mfn & (size - 1)) || mfn >= h->nr_frames ||
        size > h->nr_frames - mfn)
        return -EINVAL;
    node = node_find(h, mfn);
    if (size > h->base[node + 1] - mfn)
        return -EINVAL;             /* crosses into the next node */
    if (range_not_allocated(h, mfn, order))
        return -EINVAL;             /* double free, or offline frames */
    free_merge(h, node, mfn, order);
    return 0;
}

int mheap_offline(struct mheap *h, uint64_t mfn)
{
    unsigned int node;
    uint64_t head;
    int k;

    if (mfn >= h->nr_frames || mheap_bm_test(&h->offline, mfn))
        return -EINVAL;
    k = free_block_of(h, mfn, &head);
    if (k < 0)
        return -EBUSY;
    node = node_find(h, mfn);
    block_del(h, node, head, (unsigned int)k);
    /* Halve around mfn, freeing the half that does not hold it. */
    while (k > 0) {
        uint64_t half = 1ULL << --k;

        if (mfn >= head + half) {
            block_add(h, node, head, (unsigned int)k);
            head += half;
        } else {
            block_add(h, node, head + half, (unsigned int)k);
        }
    }
    mheap_bm_set(&h->offline, mfn);
    return 0;
}

int mheap_online(struct mheap *h, uint64_t mfn)
{
    if (mfn >= h->nr_frames || !mheap_bm_test(&h->offline, mfn))
        return -EINVAL;
    mheap_bm_clear(&h->offline, mfn);
    free_merge(h, node_find(h, mfn), mfn, 0);
    return 0;
}

uint64_t mheap_free_pages(const struct mheap *h, unsigned int node)
{
    return node < h->nr_nodes ? h->free[node] : 0;
}

uint64_t mheap_free_blocks(const struct mheap *h, unsigned int node,
                           unsigned int order)
{
    if (node >= h->nr_nodes || order > MHEAP_MAX_ORDER)
        return 0;
    return h->nblocks[node][order];
}

int mheap_max_free_order(const struct mheap *h, unsigned int node)
{
    int k;

    if (node >= h->nr_nodes)
        return -EINVAL;
    for (k = MHEAP_MAX_ORDER; k >= 0; k--)
        if (h->nblocks[node][k])
            return k;
    return -ENOMEM;
}

/* Check one free block found in the leaves; marks its frames in seen[]. */
static int check_block(const struct mheap *h, uint64_t mfn, unsigned int k,
                       uint64_t *seen, uint64_t (*count)[NR_ORDERS],
                       uint64_t *frames)
{
    unsigned int node;
    uint64_t f, end;

    if (mfn >= h->nr_frames) {
        fprintf(stderr, "mheap_check: free block %llu order %u past the "
                "last frame %llu\n", (unsigned long long)mfn, k,
                (unsigned long long)h->nr_frames);
        return -EIO;
    }
    node = node_find(h, mfn);
    if (!block_in_node(h, node, mfn, k)) {
        fprintf(stderr, "mheap_check: free block %llu order %u leaves "
                "node %u [%llu, %llu)\n", (unsigned long long)mfn, k, node,
                (unsigned long long)h->base[node],
                (unsigned long long)h->base[node + 1]);
        return -EIO;
    }
    end = mfn + (1ULL << k);
    for (f = mfn; f < end; f++) {
        if ((seen[f >> 6] >> (f & 63)) & 1) {
            fprintf(stderr, "mheap_check: free block %llu order %u "
                    "overlaps another free block at frame %llu\n",
                    (unsigned long long)mfn, k, (unsigned long long)f);
            return -EIO;
        }
        seen[f >> 6] |= 1ULL << (f & 63);
        if (mheap_bm_test(&h->offline, f)) {
            fprintf(stderr, "mheap_check: free block %llu order %u holds "
                    "offline frame %llu\n", (unsigned long long)mfn, k,
                    (unsigned long long)f);
            return -EIO;
        }
    }
    if (k < MHEAP_MAX_ORDER) {
        uint64_t buddy = mfn ^ (1ULL << k);

        if (block_in_node(h, node, buddy, k) &&
            mheap_bm_test(&h->freemap[k], buddy >> k)) {
            fprintf(stderr, "mheap_check: free buddies %llu and %llu of "
                    "order %u not merged\n", (unsigned long long)mfn,
                    (unsigned long long)buddy, k);
            return -EIO;
        }
    }
    count[node][k]++;
    frames[node] += 1ULL << k;
    return 0;
}

int mheap_check(const struct mheap *h)
{
    static const char *const names[NR_ORDERS] = {
        "order 0", "order 1", "order 2", "order 3", "order 4", "order 5",
        "order 6", "order 7", "order 8", "order 9", "order 10", "order 11",
        "order 12", "order 13", "order 14", "order 15", "order 16",
        "order 17", "order 18",
    };
    uint64_t (*count)[NR_ORDERS] = NULL;
    uint64_t *frames = NULL, *seen = NULL;
    unsigned int k, n;
    int rc = -EIO;

    if (mheap_bm_check(&h->offline, "offline map"))
        return -EIO;
    for (k = 0; k < NR_ORDERS; k++)
        if (mheap_bm_check(&h->freemap[k], names[k]))
            return -EIO;

    count = calloc(MHEAP_MAX_NODES, sizeof(*count));
    frames = calloc(MHEAP_MAX_NODES, sizeof(*frames));
    seen = calloc((h->nr_frames + 63) / 64, sizeof(*seen));
    if (!count || !frames || !seen) {
        fprintf(stderr, "mheap_check: out of memory\n");
        rc = -ENOMEM;
        goto out;
    }
    /* Walk the leaves directly, not through find_next(). */
    for (k = 0; k < NR_ORDERS; k++) {
        const struct mheap_bm *b = &h->freemap[k];
        uint64_t w;

        for (w = 0; w < b->nwords[0]; w++) {
            uint64_t word = b->lv[0][w];

            while (word) {
                uint64_t i = (w << 6) | (uint64_t)__builtin_ctzll(word);

                word &= word - 1;
                if (check_block(h, i << k, k, seen, count, frames))
                    goto out;
            }
        }
    }
    for (n = 0; n < h->nr_nodes; n++) {
        if (frames[n] != h->free[n]) {
            fprintf(stderr, "mheap_check: node %u: %llu free frames in "
                    "blocks, counter says %llu\n", n,
                    (unsigned long long)frames[n],
                    (unsigned long long)h->free[n]);
            goto out;
        }
        for (k = 0; k < NR_ORDERS; k++) {
            if (count[n][k] != h->nblocks[n][k]) {
                fprintf(stderr, "mheap_check: node %u order %u: %llu free "
                        "blocks, counter says %llu\n", n, k,
                        (unsigned long long)count[n][k],
                        (unsigned long long)h->nblocks[n][k]);
                goto out;
            }
        }
    }
    rc = 0;
out:
    free(seen);
    free(frames);
    free(count);
    return rc;
}
