/* xen/lib.h: ASSERT, BUG_ON, likely, printk and min/max for hv/ in userspace. */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_LIB_H
#define HVHOST_XEN_LIB_H

#include <xen/types.h>

/* Called when an ASSERT or BUG_ON fails; never returns. */
void hvhost_bug(const char *what, const char *file, int line)
    __attribute__((noreturn));
/* printk: messages from hv/ go to the host's log. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define BUG_ON(p) do {                                         \
    if ( unlikely(p) )                                         \
        hvhost_bug("BUG_ON(" #p ")", __FILE__, __LINE__);      \
} while ( 0 )
#define ASSERT(p) BUG_ON(!(p))
#define ASSERT_UNREACHABLE() hvhost_bug("unreachable", __FILE__, __LINE__)

#define min(x, y) ((x) < (y) ? (x) : (y))
#define max(x, y) ((x) > (y) ? (x) : (y))

#define min_t(type, x, y) ((type)(x) < (type)(y) ? (type)(x) : (type)(y))
#define max_t(type, x, y) ((type)(x) > (type)(y) ? (type)(x) : (type)(y))

#define XENLOG_WARNING "<W>"
#define XENLOG_G_WARNING "<W>"
#define XENLOG_INFO "<I>"

#endif
