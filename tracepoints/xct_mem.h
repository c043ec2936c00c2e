/* xct_mem.h: large zeroed tables in anonymous memory, committed as they are touched. */
/* SPDX-License-Identifier: MIT */
#ifndef XCT_MEM_H
#define XCT_MEM_H

#include <stddef.h>

/*
 * Reserve len bytes of zeroed, page-aligned memory for a table indexed
 * by domid: entries sit at fixed places (found without a load), and
 * memory is committed only as pages are touched.  Returns NULL (errno
 * set) when the reservation fails; the caller then allocates otherwise.
 * Release with xct_mem_unmap().
 */
void *xct_mem_map(size_t len);

/*
 * Commit the pages of [p, p + len) at once, before they are written: one
 * call instead of a page fault per page.  Advice: failure is harmless.
 */
void xct_mem_commit(void *p, size_t len);

/*
 * Give back the whole pages inside [p, p + len) (they read as zero
 * again); the bytes of partial pages at either end are kept.
 */
void xct_mem_drop(void *p, size_t len);

/* Undo xct_mem_map(p, len); NULL p does nothing. */
void xct_mem_unmap(void *p, size_t len);

#endif /* XCT_MEM_H */
