/* heap.h: the mock's simulated physical heap, a buddy allocator per node. */
/* SPDX-License-Identifier: MIT */
#ifndef MHEAP_HEAP_H
#define MHEAP_HEAP_H

#include <stdint.h>

/*
 * Frames are identified by a global frame number (mfn).  Node i owns the
 * consecutive range [base_i, base_i + pages[i]) where base_0 = 0 and
 * base_{i+1} = base_i + pages[i].  Free memory is kept as buddy blocks of
 * 2^order frames, order 0..MHEAP_MAX_ORDER, each aligned to its size in
 * global mfn terms and lying inside one node.  A node whose size or base is
 * not a multiple of 2^MHEAP_MAX_ORDER is carved into the largest aligned
 * blocks that fit.
 *
 * Every frame is in one of three states: free (inside a free block),
 * allocated (handed out by mheap_take and not yet given back), or offline
 * (removed by mheap_offline).
 *
 * Metadata is about 3 bits per frame (a free bitmap per order, each with a
 * 64-ary summary, and an offline bitmap), so a 64 Mi-frame host costs about
 * 24 MiB.  mheap_take, mheap_put, mheap_offline and mheap_online cost
 * O(order) bitmap steps, each step O(log64(frames)).
 *
 * Not thread-safe: the caller serialises every call on one heap (the hv code
 * holds its global heap lock).  Functions taking a heap require a heap from
 * mheap_new().
 */

#define MHEAP_MAX_ORDER 18      /* 2^18 frames of 4 KiB = 1 GiB */
#define MHEAP_MAX_NODES 64
#define MHEAP_MAX_NODE_PAGES (1ULL << 32)

struct mheap;

/*
 * Create a heap of nr_nodes nodes with pages[i] frames on node i, all free.
 * The caller keeps ownership of pages[]; the heap is freed by mheap_free().
 * Returns NULL and sets errno: EINVAL if nr_nodes is 0 or above
 * MHEAP_MAX_NODES, pages is NULL, or a node has 0 or more than
 * MHEAP_MAX_NODE_PAGES pages; ENOMEM if the metadata cannot be allocated.
 */
struct mheap *mheap_new(unsigned int nr_nodes, const uint64_t *pages);

/* Free the heap and all its metadata.  Accepts NULL. */
void mheap_free(struct mheap *h);

/* Number of nodes given to mheap_new(). */
unsigned int mheap_nr_nodes(const struct mheap *h);

/* Total number of frames, the sum of pages[] given to mheap_new(). */
uint64_t mheap_nr_frames(const struct mheap *h);

/* Node owning frame mfn; -EINVAL if mfn >= mheap_nr_frames(). */
int mheap_node_of(const struct mheap *h, uint64_t mfn);

/*
 * Take a free block of 2^order frames from node, splitting the smallest free
 * block of order >= order (the lowest-addressed one of that order) and
 * giving the unused halves back as free blocks.  Stores the block's first
 * mfn in *mfn; the frames become allocated and belong to the caller.
 * Returns 0; -EINVAL if node >= mheap_nr_nodes(), order > MHEAP_MAX_ORDER
 * or mfn is NULL; -ENOMEM if the node has no free block of order >= order
 * (then *mfn is untouched).
 */
int mheap_take(struct mheap *h, unsigned int node, unsigned int order,
               uint64_t *mfn);

/*
 * Give back the 2^order allocated frames starting at mfn and merge them
 * with free buddies.  The range need not be a block returned by mheap_take:
 * any aligned part of allocated frames may be given back, e.g. one order-0
 * page of a block taken at order 9.  Returns 0; -EINVAL if order >
 * MHEAP_MAX_ORDER, mfn is not aligned to 2^order, the range leaves the heap
 * or crosses a node boundary, or any frame of the range is free (double
 * free) or offline; on error the heap is unchanged.
 */
int mheap_put(struct mheap *h, uint64_t mfn, unsigned int order);

/*
 * Take the free frame mfn out of the heap (page offlining): the free block
 * holding it is split and the rest stays free.  Returns 0; -EINVAL if mfn is
 * out of range or already offline; -EBUSY if the frame is allocated.
 */
int mheap_offline(struct mheap *h, uint64_t mfn);

/*
 * Return the offlined frame mfn to the free pool, merging with its free
 * buddies.  Returns 0; -EINVAL if mfn is out of range or not offline.
 */
int mheap_online(struct mheap *h, uint64_t mfn);

/* Free frames on node, O(1); 0 for a node that does not exist. */
uint64_t mheap_free_pages(const struct mheap *h, unsigned int node);

/*
 * Number of free blocks of exactly 2^order frames on node (statistics and
 * tests); 0 for a node or order that does not exist.
 */
uint64_t mheap_free_blocks(const struct mheap *h, unsigned int node,
                           unsigned int order);

/*
 * Largest order of a free block on node; -ENOMEM if the node has no free
 * frame, -EINVAL if node does not exist.
 */
int mheap_max_free_order(const struct mheap *h, unsigned int node);

/*
 * Check every internal invariant: bitmap summaries match their leaves, free
 * blocks lie inside one node and never overlap each other or an offline
 * frame, no two free buddies are left unmerged, and the per-node counters
 * match the blocks.  Returns 0; -EIO after printing the first violation on
 * stderr; -ENOMEM if its scratch bitmap cannot be allocated.  O(frames),
 * for tests only.
 */
int mheap_check(const struct mheap *h);

#endif /* MHEAP_HEAP_H */
