/* xce_rw.h: remote write: a bounded queue of samples and the snappy-compressed WriteRequest encoder. */
/* SPDX-License-Identifier: MIT */
/*
 * Each push interval the exporter adds one collection (a metric set and
 * its timestamp) to the queue; a sender encodes the oldest samples into
 * one request, posts it, and acknowledges them.  The queue holds at most
 * max_samples samples: when a collection does not fit, the oldest
 * samples are dropped first and counted.  Samples dropped while a
 * request holding them was in flight are not acknowledged again, so a
 * sample is counted either as sent or as dropped, never both.
 *
 *     q = xce_rwq_new(100000, extra_n, extra_names, extra_values);
 *     xce_rwq_push(q, &ms, now_ms);
 *     while (xce_rwq_pending(q)) {
 *         xce_rwq_encode(q, 2000, &body, &first, &n);
 *         ...POST body...
 *         sent += xce_rwq_ack(q, first, n);    // 2xx (or 4xx: dropped)
 *     }
 *
 * A queue is not thread-safe: one thread pushes, encodes and acks.
 */
#ifndef XCE_RW_H
#define XCE_RW_H

#include <stddef.h>
#include <stdint.h>

#include "xce_buf.h"

struct xce_mset;
struct xce_rwq;

#define XCE_RW_MAX_EXTRA 8      /* extra labels (job, instance...) */

/*
 * A queue of at most max_samples (>= 1) samples.  Every series gets the
 * n_extra labels given (copied) unless it has a label of that name.
 * NULL with errno EINVAL or ENOMEM.
 */
struct xce_rwq *xce_rwq_new(size_t max_samples, unsigned int n_extra,
                            const char *const *names,
                            const char *const *values);
/* Free q and what it holds.  Accepts NULL. */
void xce_rwq_free(struct xce_rwq *q);

/*
 * Queue every sample of ms with timestamp ts_ms (ms since the epoch).
 * Returns the samples dropped to make room (0 if none), or -ENOMEM
 * (nothing queued).  A set larger than the bound keeps its last
 * max_samples samples.
 */
long xce_rwq_push(struct xce_rwq *q, const struct xce_mset *ms, int64_t ts_ms);

/* Samples queued now. */
size_t xce_rwq_pending(const struct xce_rwq *q);
/* Samples dropped for lack of room since the queue was made. */
uint64_t xce_rwq_dropped(const struct xce_rwq *q);
/* Bytes the queue holds. */
size_t xce_rwq_memory(const struct xce_rwq *q);

/*
 * Encode the oldest (at most max) samples as a WriteRequest (labels
 * sorted by name, __name__ included, one sample per series, plus one
 * metadata entry per family), snappy block-compressed, into body (reset
 * first).  *first receives the sequence number of the first sample and
 * *n how many were encoded (0 when the queue is empty).  Returns 0,
 * -ENOMEM, or -EIO when compression failed.
 */
int xce_rwq_encode(struct xce_rwq *q, size_t max, struct xce_buf *body,
                   uint64_t *first, size_t *n);

/*
 * Remove the samples [first, first+n) that are still queued (those
 * dropped meanwhile are gone already).  Returns how many it removed:
 * the count to report as sent (or as rejected).
 */
size_t xce_rwq_ack(struct xce_rwq *q, uint64_t first, size_t n);

#endif /* XCE_RW_H */
