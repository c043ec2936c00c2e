/* xce_evs.h: the xenclaim event stream: framed xcev.Record messages (exporters/proto/xcev.proto) out, and back in. */
/* SPDX-License-Identifier: MIT */
/*
 * A stream is a run of records, each preceded by its length as a varint.
 * The writers append one framed record to a buffer; the frame reader
 * takes them back from a file descriptor in bounded memory and tells a
 * clean end from a stream cut inside a record.
 *
 *     struct xce_frame_reader r;
 *     xce_frame_reader_init(&r, fd);
 *     while ((rc = xce_frame_next(&r, &msg, &len)) > 0)
 *         rec = xcev__record__unpack(NULL, len, msg);   // NULL: corrupt
 *     // rc == 0: clean end; < 0: see xce_frame_next()
 *     xce_frame_reader_free(&r);
 */
#ifndef XCE_EVS_H
#define XCE_EVS_H

#include <stddef.h>
#include <stdint.h>

#include "sources/xcs.h"
#include "xce_buf.h"

#define XCE_EVS_MAGIC     "xenclaim-events"
#define XCE_EVS_VERSION   1
#define XCE_EVS_MAX_FRAME (16u << 20)   /* largest record, bytes */

/*
 * The record builders append one Record message without its seq and
 * unframed; xce_evs_frame() then writes it into a stream with a sequence
 * number of that stream's own, so that one encoding serves every reader
 * (the file, each socket client).  They return 0, -ENOMEM, -EINVAL (bad
 * kind) or -EMSGSIZE (over XCE_EVS_MAX_FRAME).
 */

/* A Header; source and producer are copied (NULL: ""). */
int xce_evs_header(struct xce_buf *out, const char *source,
                   const char *producer, uint64_t start_unix_ms);

/*
 * An Event for ev; domain_name may be NULL.  Strings are made valid UTF-8
 * (bad bytes become U+FFFD).
 */
int xce_evs_event(struct xce_buf *out, const struct xcs_event *ev,
                  const char *domain_name);

/* A Snapshot of snap taken at unix_ms. */
int xce_evs_snapshot(struct xce_buf *out, const struct xcs_snapshot *snap,
                     uint64_t unix_ms);

/*
 * Append rec (len bytes, from a builder above) to out as one framed
 * record with sequence number seq: varint length, field seq, rec.
 * 0, -ENOMEM or -EMSGSIZE.
 */
int xce_evs_frame(struct xce_buf *out, uint64_t seq, const void *rec,
                  size_t len);

/* "stake", "refused"... for an xcev.EventKind value, "?" if unknown. */
const char *xce_evs_kind_name(int kind);

/* Reads framed records from a file descriptor. */
struct xce_frame_reader {
    int fd;
    uint8_t *buf;
    size_t len, pos, cap;
    uint64_t offset;            /* stream offset of the last record */
    uint64_t next;              /* stream offset of the next one */
    int eof;
};

/* Start reading fd (not closed by the reader). */
void xce_frame_reader_init(struct xce_frame_reader *r, int fd);
/* Free the reader's buffer. */
void xce_frame_reader_free(struct xce_frame_reader *r);

/*
 * The next record: *msg points to its *len bytes (valid until the next
 * call).  Returns 1 for a record, 0 at a clean end of stream,
 * -ENODATA when the stream ends inside a record (truncated),
 * -EBADMSG when a length prefix is not a valid varint, -EMSGSIZE when a
 * record claims more than XCE_EVS_MAX_FRAME bytes, or -errno of a read
 * error.  r->offset is the offset of the record returned (or of the bad
 * one).
 */
int xce_frame_next(struct xce_frame_reader *r, const uint8_t **msg,
                   size_t *len);

#endif /* XCE_EVS_H */
