/* xce_buf.h: growable byte buffer and base-128 varints, shared by the exporter's encoders. */
/* SPDX-License-Identifier: MIT */
#ifndef XCE_BUF_H
#define XCE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A buffer owns p (malloc'ed, NULL while empty).  Appends grow it; after
 * a failed allocation the buffer is marked (oom) and later appends do
 * nothing, so a caller checks once at the end with xce_buf_ok().
 */
struct xce_buf {
    char *p;
    size_t len;
    size_t cap;
    int oom;
};

#define XCE_VARINT_MAX 10   /* bytes of the longest 64-bit varint */

/* Make room for n more bytes.  0, or -ENOMEM (and oom set). */
int xce_buf_reserve(struct xce_buf *b, size_t n);
/* Append n bytes of s. */
void xce_buf_add(struct xce_buf *b, const void *s, size_t n);
/* Append a NUL-terminated string (without its NUL). */
void xce_buf_puts(struct xce_buf *b, const char *s);
/* Append printf-formatted text. */
void xce_buf_printf(struct xce_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append v as a varint. */
void xce_buf_varint(struct xce_buf *b, uint64_t v);
/* 0 when every append so far succeeded, else -ENOMEM. */
int xce_buf_ok(const struct xce_buf *b);
/* Forget the contents, keep the memory. */
void xce_buf_reset(struct xce_buf *b);
/* Free the memory; b is empty and usable again.  Accepts NULL. */
void xce_buf_free(struct xce_buf *b);
/*
 * Hand the bytes over: returns p (the caller frees it) and leaves b
 * empty.  NULL when b holds nothing.
 */
char *xce_buf_steal(struct xce_buf *b, size_t *len);

/* Write v as a varint into out[XCE_VARINT_MAX]; returns its length. */
size_t xce_varint_put(uint8_t *out, uint64_t v);

/*
 * Read a varint from p[0..n).  Returns the bytes it took (1-10), 0 when
 * p ends inside the varint (truncated), or -EBADMSG when it is longer
 * than 10 bytes or overflows 64 bits.
 */
int xce_varint_get(const uint8_t *p, size_t n, uint64_t *v);

/* Fast append of an unsigned decimal integer. */
void xce_buf_u64(struct xce_buf *b, uint64_t v);

/* Append n bytes without checks; the caller reserved them. */
static inline void xce_buf_add_unchecked(struct xce_buf *b, const void *s,
                                         size_t n)
{
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

#endif /* XCE_BUF_H */
