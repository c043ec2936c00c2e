/* xcs_merge.h: per-CPU record queues merged by (TSC, sequence), shared by the trace and mock backends. */
/* SPDX-License-Identifier: MIT */
/*
 * Records are pushed per CPU in the order that CPU produced them (so each
 * queue is sorted by TSC) and come out of xcs_merge_peek()/pop() smallest
 * (TSC, key) first, key being any number the caller makes unique and
 * increasing in input order (a file offset, a sequence number): ties go to
 * the record that came in first, as xenalyze orders them.  A small binary
 * heap over the CPUs whose queue is not empty picks the next record.
 *
 * Memory: each queue is a ring that doubles when full and never shrinks
 * below what it once needed; a queue emptied by pops keeps its ring.
 */
#ifndef XCS_MERGE_H
#define XCS_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "xct_reader.h"
#include "xct_record.h"

/* One queued record: the record, its ordering key and a tag. */
struct xcs_qrec {
    struct xct_record rec;
    uint64_t key;           /* tie-break: unique, increasing per input */
    uint64_t tag;           /* the caller's (a window number) */
};

struct xcs_mq {
    struct xcs_qrec *ring;
    uint32_t cap, head, count;  /* cap a power of two, or 0 */
    int hpos;                   /* position in the heap, -1 if absent */
};

struct xcs_merge {
    struct xcs_mq q[XCT_MAX_CPUS];
    uint16_t heap[XCT_MAX_CPUS];
    unsigned int nheap;
    size_t count;               /* records queued in all */
    size_t max_count;           /* most ever queued at once */
};

/* Initialise m (empty).  Nothing to fail. */
void xcs_merge_init(struct xcs_merge *m);

/* Free every queue of m; m is then empty and may be reused. */
void xcs_merge_free(struct xcs_merge *m);

/*
 * Append a copy of rec to cpu's queue.  0, -EINVAL for a cpu out of range,
 * or -ENOMEM (nothing queued).
 */
int xcs_merge_push(struct xcs_merge *m, unsigned int cpu,
                   const struct xct_record *rec, uint64_t key, uint64_t tag);

/*
 * The record that comes next (smallest TSC, then key), or NULL when
 * nothing is queued.  Valid until the next push or pop.  *cpu (may be
 * NULL) gets its CPU.
 */
const struct xcs_qrec *xcs_merge_peek(const struct xcs_merge *m,
                                      unsigned int *cpu);

/* Drop the record xcs_merge_peek() returns (nothing when empty). */
void xcs_merge_pop(struct xcs_merge *m);

/* Records queued. */
static inline size_t xcs_merge_count(const struct xcs_merge *m)
{
    return m->count;
}

/* Bytes held by the queues' rings. */
size_t xcs_merge_memory(const struct xcs_merge *m);

#endif /* XCS_MERGE_H */
