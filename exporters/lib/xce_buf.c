/* xce_buf.c: growable byte buffer and base-128 varints. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "xce_buf.h"

int xce_buf_reserve(struct xce_buf *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->oom)
        return -ENOMEM;
    if (b->cap - b->len >= n)
        return 0;
    if (n > SIZE_MAX / 2 - b->len)
        goto oom;
    cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n)
        cap *= 2;
    p = realloc(b->p, cap);
    if (!p)
        goto oom;
    b->p = p;
    b->cap = cap;
    return 0;
oom:
    b->oom = 1;
    return -ENOMEM;
}

void xce_buf_add(struct xce_buf *b, const void *s, size_t n)
{
    if (n == 0 || xce_buf_reserve(b, n) < 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void xce_buf_puts(struct xce_buf *b, const char *s)
{
    xce_buf_add(b, s, strlen(s));
}

void xce_buf_printf(struct xce_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || xce_buf_reserve(b, (size_t)n + 1) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

size_t xce_varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

void xce_buf_varint(struct xce_buf *b, uint64_t v)
{
    uint8_t tmp[XCE_VARINT_MAX];

    xce_buf_add(b, tmp, xce_varint_put(tmp, v));
}

int xce_varint_get(const uint8_t *p, size_t n, uint64_t *v)
{
    uint64_t r = 0;
    size_t i;

    for (i = 0; i < XCE_VARINT_MAX; i++) {
        if (i == n)
            return 0;
        /* The tenth byte may only carry the top bit of 64. */
        if (i == 9 && p[i] > 1)
            return -EBADMSG;
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = r;
            return (int)i + 1;
        }
    }
    return -EBADMSG;
}

int xce_buf_ok(const struct xce_buf *b)
{
    return b->oom ? -ENOMEM : 0;
}

void xce_buf_reset(struct xce_buf *b)
{
    b->len = 0;
    b->oom = 0;
}

void xce_buf_free(struct xce_buf *b)
{
    if (!b)
        return;
    free(b->p);
    memset(b, 0, sizeof(*b));
}

char *xce_buf_steal(struct xce_buf *b, size_t *len)
{
    char *p = b->p;

    if (len)
        *len = b->len;
    if (b->len == 0) {
        free(p);
        p = NULL;
    }
    memset(b, 0, sizeof(*b));
    return p;
}

void xce_buf_u64(struct xce_buf *b, uint64_t v)
{
    char tmp[20];
    size_t n = sizeof(tmp);

    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    xce_buf_add(b, tmp + n, sizeof(tmp) - n);
}
