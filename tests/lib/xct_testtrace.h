/* xct_testtrace.h: a small xentrace file writer for tests. */
/* SPDX-License-Identifier: MIT */
/*
 * Records are added per CPU and stay pending until a window is written
 * for them, the way xentrace drains each CPU's buffer in turn:
 *
 *     struct xct_tt *t = xct_tt_new(NULL);        (in memory)
 *     uint32_t w[XCT_MAX_WORDS];
 *
 *     xct_tt_add(t, 0, XCT_EV_CLAIM, 1, 100, w, xct_enc_CLAIM(w, ...));
 *     xct_tt_add(t, 1, XCT_EV_HEAP, 1, 150, w, xct_enc_HEAP(w, ...));
 *     xct_tt_poll(t, 200, 0);      one window per CPU, records up to TSC 200
 *     buf = xct_tt_bytes(t, &len);
 *     xct_tt_free(t);
 *
 * Raw headers and bytes can be added to build broken files.  Every
 * function returns 0 or a negative errno (-EINVAL for a bad argument,
 * -ENOMEM, or the error of a failed write).
 */
#ifndef XCT_TESTTRACE_H
#define XCT_TESTTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "xct_record.h"

struct xct_tt;

/*
 * A new trace: in memory when path is NULL, else written to path (created
 * or truncated) as windows are made.  NULL with errno set on failure.
 */
struct xct_tt *xct_tt_new(const char *path);

/* Flush and close the file if any, free everything; NULL is fine. */
void xct_tt_free(struct xct_tt *t);

/* Free t, returning 0 or the error of the last write or of close(). */
int xct_tt_close(struct xct_tt *t);

/*
 * Queue a record for cpu (0-255): event (28 bits), a TSC when has_tsc,
 * nwords (0-7) payload words.
 */
int xct_tt_add(struct xct_tt *t, unsigned int cpu, uint32_t event,
               int has_tsc, uint64_t tsc, const uint32_t *words,
               unsigned int nwords);

/* Queue a TRC_LOST_RECORDS record as the hypervisor writes it. */
int xct_tt_add_lost(struct xct_tt *t, unsigned int cpu, uint64_t tsc,
                    uint32_t lost, uint16_t domid, uint16_t vcpu,
                    uint64_t first_tsc);

/* Queue a wrap-padding record with nwords zero words and no TSC. */
int xct_tt_add_wrap(struct xct_tt *t, unsigned int cpu, unsigned int nwords);

/* Records queued for cpu and not yet written. */
size_t xct_tt_pending(const struct xct_tt *t, unsigned int cpu);

/*
 * Write one window for cpu holding its pending records, whole ones only,
 * at most max_bytes of them (0: no limit).  Nothing is written when cpu
 * has nothing pending.
 */
int xct_tt_window(struct xct_tt *t, unsigned int cpu, size_t max_bytes);

/*
 * One xentrace round: for each CPU in ascending order, a window with its
 * pending records up to TSC upto (a record without a TSC goes with the
 * one before it), at most max_bytes (0: no limit).
 */
int xct_tt_poll(struct xct_tt *t, uint64_t upto, size_t max_bytes);

/* Rounds of at most max_bytes per window until nothing is pending. */
int xct_tt_drain(struct xct_tt *t, size_t max_bytes);

/* Append a CPU_CHANGE header with any cpu and size (for broken files). */
int xct_tt_header(struct xct_tt *t, int32_t cpu, uint32_t size);

/* Append raw bytes. */
int xct_tt_raw(struct xct_tt *t, const void *p, size_t n);

/*
 * Append one encoded record (no window header) to the output, for
 * building windows by hand after xct_tt_header().
 */
int xct_tt_raw_record(struct xct_tt *t, uint32_t event, int has_tsc,
                      uint64_t tsc, const uint32_t *words,
                      unsigned int nwords);

/* Bytes of an in-memory trace (NULL for a file); *len gets the size. */
const uint8_t *xct_tt_bytes(const struct xct_tt *t, size_t *len);

/* Bytes written so far, to memory or file. */
uint64_t xct_tt_size(const struct xct_tt *t);

/* Windows written so far. */
uint64_t xct_tt_windows(const struct xct_tt *t);

/* Write an in-memory trace to path.  -EINVAL for a file trace. */
int xct_tt_save(const struct xct_tt *t, const char *path);

#endif /* XCT_TESTTRACE_H */
