/* build.c: xenclaimctl's guest population in 2 MiB extents with fallback. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define SP_ORDER        9u
#define SP_PAGES        (1ull << SP_ORDER)
/* Superpages per batch (512 MiB), order-0 pages per batch (one request). */
#define SP_BATCH        256u
#define SMALL_BATCH     XCM_MAX_EXTENTS

/* One populate call of n extents of 2^order pages from gfn. */
static long populate(struct xcm_client *xc, uint32_t domid,
                     unsigned int order, uint64_t gfn, uint64_t n,
                     uint64_t *gfns, struct ctl_build_stats *st)
{
    uint64_t i;

    for (i = 0; i < n; i++)
        gfns[i] = gfn + (i << order);
    st->requests++;
    return xcm_populate_physmap(xc, domid, order, 0, gfns, (unsigned long)n,
                                NULL);
}

int ctl_build_populate(struct xcm_client *xc, uint32_t domid, uint64_t pages,
                       ctl_build_progress_fn *progress, void *opaque,
                       volatile int *stop, struct ctl_build_stats *st)
{
    uint64_t *gfns, gfn = 0, small_until = 0, n, end;
    int rc = 0;
    long r;

    memset(st, 0, sizeof(*st));
    gfns = malloc(SMALL_BATCH * sizeof(*gfns));
    if (!gfns)
        return -ENOMEM;
    while (gfn < pages) {
        if (stop && *stop) {
            rc = -EINTR;
            break;
        }
        if (gfn >= small_until && pages - gfn >= SP_PAGES) {
            /* gfn is 2 MiB aligned here: order-0 runs end on a boundary. */
            n = (pages - gfn) / SP_PAGES;
            if (n > SP_BATCH)
                n = SP_BATCH;
            r = populate(xc, domid, SP_ORDER, gfn, n, gfns, st);
            if (r < 0) {
                rc = (int)r;
                break;
            }
            gfn += (uint64_t)r * SP_PAGES;
            st->superpages += (uint64_t)r;
            if ((uint64_t)r < n) {
                /* The rest of this batch in order-0 pages. */
                st->superpage_misses++;
                small_until = gfn + (n - (uint64_t)r) * SP_PAGES;
            }
        } else {
            end = small_until > gfn ? small_until : pages;
            if (end > pages)
                end = pages;
            n = end - gfn;
            if (n > SMALL_BATCH)
                n = SMALL_BATCH;
            r = populate(xc, domid, 0, gfn, n, gfns, st);
            if (r < 0) {
                rc = (int)r;
                break;
            }
            gfn += (uint64_t)r;
            st->small_pages += (uint64_t)r;
            if ((uint64_t)r < n) {
                rc = -ENOMEM;
                break;
            }
        }
        st->done = gfn;
        if (progress)
            progress(opaque, gfn, pages);
    }
    st->done = gfn;
    free(gfns);
    return rc;
}
