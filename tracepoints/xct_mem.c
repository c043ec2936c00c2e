/* xct_mem.c: large zeroed tables in anonymous memory, on huge pages where the kernel allows. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xct_mem.h"

#define HUGE_SIZE (2ul << 20)

/*
 * The mapping is made HUGE_SIZE larger and trimmed to an aligned start,
 * so that its huge pages line up; the trimmed ends go back at once.
 */
void *xct_mem_map(size_t len)
{
    size_t full = len + HUGE_SIZE;
    uint8_t *m, *p;

    if (!len)
        return NULL;
    m = mmap(NULL, full, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    p = (uint8_t *)(((uintptr_t)m + HUGE_SIZE - 1) &
                    ~(uintptr_t)(HUGE_SIZE - 1));
    if (p > m)
        munmap(m, (size_t)(p - m));
    if (m + full > p + len)
        munmap(p + len, (size_t)(m + full - (p + len)));
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);     /* advice: failure is harmless */
#endif
    return p;
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
