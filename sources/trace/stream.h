/* stream.h: a xentrace stream read incrementally: framing, checks by the reader, TSC merge that never stalls. */
/* SPDX-License-Identifier: MIT */
/*
 * Used for a trace on a file descriptor (a pipe, stdin) and for a trace
 * file followed as it grows.  xct_reader cannot do either by itself: it
 * reads with blocking read(2) and a final END, and a window still being
 * written looks truncated to it.  So:
 *
 *   framing   bytes are read as they come (never blocking: poll(2) with
 *             no timeout first) into a buffer; complete windows are
 *             framed here by their CPU_CHANGE headers (12 bytes + the
 *             declared size); a partial window waits for its bytes.
 *   checks    each run of complete windows is handed to a reader over
 *             that memory (xct_reader_new_mem), which checks the records
 *             and decodes them; its messages and offsets are rebased to
 *             stream offsets.  A CPU's TSCs are also checked across runs,
 *             and a record without a TSC at the start of a run inherits
 *             the CPU's last one.
 *   merging   decoded records go to per-CPU queues (xcs_merge) tagged
 *             with their window's number.  A record comes out, smallest
 *             (TSC, offset) first, once 2 * CPUs + 2 windows have been
 *             framed after its own (xct_reader's rule, so a stream that
 *             keeps flowing comes out in the order xct_reader gives for
 *             the same bytes), or at once when the caller flushes because
 *             no more input is available right now: an idle CPU never
 *             holds the others back.
 *
 * Offsets are counted from where reading started (for a followed file,
 * file offsets).
 */
#ifndef XCS_STREAM_H
#define XCS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/xcs_int.h"
#include "sources/xcs_merge.h"

struct xcs_stream {
    int fd;
    bool follow;            /* EOF is "nothing yet" (a growing file) */
    bool tolerant;
    uint8_t *buf;
    size_t len, cap;
    uint64_t base;          /* stream offset of buf[0] */
    uint64_t scan;          /* offset of the next header to frame */
    uint64_t nwin;          /* windows framed */
    uint64_t *wstart;       /* data offsets of the windows of a run */
    size_t wcap;
    unsigned int ncpus;     /* distinct CPUs framed */
    uint8_t seen[XCT_MAX_CPUS];
    uint64_t last_tsc[XCT_MAX_CPUS];
    uint64_t run_of[XCT_MAX_CPUS]; /* run in which the CPU last had a TSC */
    uint64_t runs;
    bool skipping;          /* tolerant: inside garbage */
    uint64_t skipped;       /* tolerant: bytes skipped */
    bool eof;               /* the input ended (not when following) */
    int err;                /* fatal: negative errno, msg says why */
    char msg[256];
    struct xcs_merge m;
};

/* Set st up to read fd (which stays the caller's).  0 or -errno. */
int xcs_stream_init(struct xcs_stream *st, int fd, bool follow,
                    bool tolerant);

/* Free what st holds. */
void xcs_stream_free(struct xcs_stream *st);

/*
 * Read what is available without blocking (one read of up to 1 MiB),
 * frame and decode it.  Returns 1 when bytes came, 0 when none was
 * available (or the input ended: st->eof), or the negative errno of a
 * fatal problem (st->err, st->msg; records before it stay queued).
 * Problems skipped in tolerant mode go to s as issues.
 */
int xcs_stream_read(struct xcs_stream *st, struct xcs *s);

/*
 * At the end of the input: bytes left that do not make a window are a
 * truncation: fatal (-EBADMSG, st->msg) or, tolerant, an issue.
 */
int xcs_stream_finish(struct xcs_stream *st, struct xcs *s);

/*
 * The next record if it may come out now (flush: whatever is queued),
 * else NULL.  *off gets its stream offset.
 */
const struct xct_record *xcs_stream_peek(struct xcs_stream *st, bool flush,
                                         uint64_t *off);

/* Drop the record xcs_stream_peek() returned. */
void xcs_stream_pop(struct xcs_stream *st);

/* Records queued. */
size_t xcs_stream_queued(const struct xcs_stream *st);

/* Bytes held. */
size_t xcs_stream_memory(const struct xcs_stream *st);

/*
 * Copy msg into out (outlen bytes) with every "offset N" turned into
 * "offset N+base": reader messages over a buffer count from its start.
 */
void xcs_rebase_offsets(char *out, size_t outlen, const char *msg,
                        uint64_t base);

#endif /* XCS_STREAM_H */
