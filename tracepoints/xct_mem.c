/* xct_mem.c: large zeroed tables in anonymous memory, committed as they are touched. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xct_mem.h"

/*
 * Plain pages, not transparent huge pages: on the virtual machines
 * measured, a fresh huge page sometimes cost milliseconds to fault in
 * (a 2 MiB zeroing the host had to back), which made one run in four
 * of a 65,536-domain analysis a quarter slower; small pages cost a
 * few percent in TLB misses every time instead (docs/benchmarks.md).
 */
void *xct_mem_map(size_t len)
{
    void *p;

    if (!len)
        return NULL;
    p = mmap(NULL, len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void xct_mem_commit(void *p, size_t len)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)p & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + len + page - 1) & ~(page - 1);

    if (p && end > start)
        madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

void xct_mem_drop(void *p, size_t len)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

    /* Only whole pages: the neighbours' bytes must stay. */
    if (p && end > start)
        madvise((void *)start, end - start, MADV_DONTNEED);
}

void xct_mem_unmap(void *p, size_t len)
{
    if (p && len)
        munmap(p, len);
}
