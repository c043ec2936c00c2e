/* xct_reader.h: xentrace file reader: windows, CPUs merged by TSC. */
/* SPDX-License-Identifier: MIT */
/*
 * A reader takes a trace file (mapped), a file descriptor (a pipe is read
 * as a stream in bounded memory) or a buffer, checks the framing (one
 * CPU_CHANGE window after another, each holding exactly its declared
 * bytes of whole records from CPU 0-255, TSCs non-decreasing per CPU,
 * every event with exactly one class bit in bits 16-23) and returns the
 * records of all CPUs merged by TSC, as xenalyze does: a record without
 * a TSC inherits its CPU's previous one, ties go to the record earlier in
 * the file.  TRC_TRACE_WRAP_BUFFER padding is skipped and counted;
 * TRC_LOST_RECORDS comes out as a record and its count is summed; every
 * other record is returned, foreign classes included.
 *
 * Usage:
 *
 *     struct xct_reader *r = xct_reader_new(path, NULL);
 *     struct xct_record rec;
 *     enum xct_read_status st;
 *
 *     if (!r)
 *         return -errno;
 *     while ((st = xct_reader_next(r, &rec)) == XCT_READ_OK)
 *         use(&rec, xct_reader_cpu(r));
 *     if (st != XCT_READ_END)
 *         fprintf(stderr, "%s: offset %llu: %s\n", path,
 *                 (unsigned long long)xct_reader_offset(r),
 *                 xct_reader_message(r));
 *     xct_reader_free(r);
 *
 * xct_reader_next_batch() returns the same records many at a time, which
 * is faster when the caller has little to do per record.
 *
 * Merging: records are buffered per CPU, one queue of windows each.  A
 * record is returned once the reader has read the next 2 * CPUs + 2
 * windows after the one holding it (or the end of the input): xentrace
 * drains every CPU in turn, so a record that belongs before it can only
 * be in a window written within about one round of it.  At most
 * 4 * CPUs + 12 windows are held at once, so memory is bounded by the
 * number of CPUs and the window size, never by the file size.  Output
 * order is the same whichever way the input is read.
 *
 * Errors: the reader returns every valid record that precedes the first
 * error in the file, then XCT_READ_TRUNCATED (the input ends inside a
 * window header, a window or a record) or XCT_READ_ERROR (anything else);
 * both then stay.  With XCT_READER_TOLERANT, an error is returned as soon
 * as it is found (possibly a few windows ahead of the records being
 * returned), the reader skips to the next plausible CPU_CHANGE header and
 * the next call goes on; skipped bytes and windows are counted.  End of
 * file at a window boundary is XCT_READ_END, never a short record.
 */
#ifndef XCT_READER_H
#define XCT_READER_H

#include <stddef.h>
#include <stdint.h>

#include "xct_desc.h"
#include "xct_record.h"

enum xct_read_status {
    XCT_READ_OK,            /* a record was returned */
    XCT_READ_END,           /* the input ended at a window boundary */
    XCT_READ_TRUNCATED,     /* the input ends inside a window or record */
    XCT_READ_ERROR,         /* bad framing or data; see the message */
};

/* Options of a reader (flags). */
#define XCT_READER_TOLERANT 0x1u /* skip bad data and go on */
#define XCT_READER_STREAM   0x2u /* read a regular file with read(2) */

/* Largest window accepted: a whole per-CPU buffer of 65535 pages. */
#define XCT_WINDOW_MAX      (65535u * 4096u)
/* CPUs a trace may name. */
#define XCT_MAX_CPUS        256u

struct xct_reader_opts {
    unsigned int flags;     /* XCT_READER_* */
    size_t read_size;       /* stream mode: bytes per read(2); 0: 1 MiB */
};

/* Counters of a reader, as of the last call. */
struct xct_reader_stats {
    uint64_t records;           /* records returned with XCT_READ_OK */
    uint64_t windows;           /* windows with a valid header */
    uint64_t wraps;             /* wrap-padding records skipped */
    uint64_t lost_events;       /* TRC_LOST_RECORDS records returned */
    uint64_t lost;              /* sum of their lost counts */
    uint64_t errors;            /* errors found (tolerant: skipped over) */
    uint64_t skipped_bytes;     /* tolerant: bytes not returned */
    uint64_t skipped_windows;   /* tolerant: windows dropped, whole or part */
    uint64_t bytes;             /* input consumed, in bytes */
    unsigned int cpus;          /* distinct CPUs seen */
    unsigned int max_queued;    /* most windows buffered at once */
    size_t max_buffered;        /* stream mode: most bytes buffered at once */
};

struct xct_reader;

/*
 * A reader of the trace file at path: a regular file is mapped (unless
 * opts->flags has XCT_READER_STREAM), anything else is read as a stream.
 * opts may be NULL.  Returns NULL with errno set when the file cannot be
 * opened or memory runs out; framing errors come from xct_reader_next().
 */
struct xct_reader *xct_reader_new(const char *path,
                                  const struct xct_reader_opts *opts);

/*
 * A reader of fd, which stays the caller's (never closed).  A regular
 * file is mapped and read from its current offset (offsets reported are
 * file offsets); a pipe, socket or terminal is read incrementally, with
 * offsets counted from where reading started.  Returns NULL with errno
 * set on failure.
 */
struct xct_reader *xct_reader_new_fd(int fd,
                                     const struct xct_reader_opts *opts);

/*
 * A reader of len bytes at buf, which the caller keeps alive and
 * unchanged until xct_reader_free().  Returns NULL with errno set.
 */
struct xct_reader *xct_reader_new_mem(const void *buf, size_t len,
                                      const struct xct_reader_opts *opts);

/*
 * Fill rec with the next record in TSC order and return XCT_READ_OK, or
 * return END, TRUNCATED or ERROR (see above; the offset and message
 * getters then describe the problem).  Returns XCT_READ_ERROR with
 * errno = EINVAL when r or rec is NULL.
 */
enum xct_read_status xct_reader_next(struct xct_reader *r,
                                     struct xct_record *rec);

/*
 * Fill recs[0..*got) with the next records in TSC order, the same ones
 * n calls of xct_reader_next() would return, and their file offsets
 * into offs[] unless offs is NULL; returns XCT_READ_OK with 1 <= *got
 * <= n.  A batch may end early (at a window the reader must read first):
 * call again until the status is not XCT_READ_OK.  That status, END,
 * TRUNCATED or ERROR, comes with *got = 0, exactly as from
 * xct_reader_next().  Afterwards the getters describe the last record
 * returned (its CPU and offset) or the status.  Returns XCT_READ_ERROR
 * with errno = EINVAL and *got = 0 (if got is not NULL) when r, recs or
 * got is NULL or n is 0.
 */
enum xct_read_status xct_reader_next_batch(struct xct_reader *r,
                                           struct xct_record *recs,
                                           uint64_t *offs, size_t n,
                                           size_t *got);

/* Release r and everything it holds; NULL is fine. */
void xct_reader_free(struct xct_reader *r);

/* CPU of the record just returned. */
unsigned int xct_reader_cpu(const struct xct_reader *r);

/*
 * File offset of the record just returned (its header word), of the
 * error or truncation just reported, or of the end of the input.
 */
uint64_t xct_reader_offset(const struct xct_reader *r);

/* XCT_E_* code of the error or truncation just reported, else 0. */
int xct_reader_error(const struct xct_reader *r);

/*
 * What went wrong and what was expected, for the status just returned
 * ("" after XCT_READ_OK).  Owned by r, valid until the next call.
 */
const char *xct_reader_message(const struct xct_reader *r);

/*
 * 1 once the status just returned is final: END, TRUNCATED or an error
 * the reader cannot go past (it will be returned again); 0 while more
 * may come (after XCT_READ_OK, or an error skipped in tolerant mode).
 */
int xct_reader_at_end(const struct xct_reader *r);

/* Records lost by the hypervisor, summed over TRC_LOST_RECORDS returned. */
uint64_t xct_reader_lost(const struct xct_reader *r);

/* Copy r's counters into *st. */
void xct_reader_stats(const struct xct_reader *r, struct xct_reader_stats *st);

/* "ok", "end", "truncated", "error", or "?". */
const char *xct_read_status_name(enum xct_read_status s);

#endif /* XCT_READER_H */
