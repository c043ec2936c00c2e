/* xc_memory.c: libxenctrl memory ops over the mock: claims, populate, decrease reservation. */
/* SPDX-License-Identifier: LGPL-2.1-only */
#include <errno.h>
#include <limits.h>

#include "xc_private.h"

/*
 * The mock's allocation flags (hv/'s MEMF_*, as mock/hyp/hyp.h takes
 * them): the preferred node in bits 8..15 as node + 1, exact node bit 4.
 */
#define XCL_MEMF_EXACT_NODE     (1u << 4)
#define XCL_MEMF_NODE(n)        ((((n) + 1u) & 0xffu) << 8)

/* Xen refuses (0 extents done) lists too long to encode a continuation. */
#define MEMOP_MAX_EXTENTS       (UINT_MAX >> 6)

_Static_assert(sizeof(xen_pfn_t) == sizeof(uint64_t),
               "xen_pfn_t must be 64 bits to pass frame lists unchanged");

/*
 * Stake (nr_pages > 0: an absolute target for the domain's size) or
 * cancel (0) domid's claim, XENMEM_claim_pages with no flags.  0, or -1
 * with errno as Xen 4.17 answers: EINVAL (no such or dying domain, a claim
 * already held, nr_pages <= tot_pages or > max_pages), ENOMEM (more than
 * free minus outstanding pages), EPERM.  ENOSYS from the hypervisor counts
 * as success, as in libxenctrl.
 */
int xc_domain_claim_pages(xc_interface *xch, uint32_t domid,
                          unsigned long nr_pages)
{
    struct xcm_client *c = xcl_get(xch);
    int rc;

    if (!c)
        return -1;
    rc = xcm_claim_pages(c, XCL_DOMID(domid), nr_pages, 0);
    xcl_put(xch);
    if (rc == -ENOSYS)
        rc = 0;
    return rc < 0 ? xcl_fail(xch, "claim", rc) : 0;
}

/* Xen's XENMEMF_* request flags as the mock's.  -EOPNOTSUPP for PoD. */
static long to_memflags(unsigned int mem_flags, unsigned int *out)
{
    unsigned int node;

    *out = 0;
    if (mem_flags & XENMEMF_populate_on_demand)
        return -EOPNOTSUPP;
    /* A virtual node needs vNUMA, which the mock has not: no preference. */
    if (mem_flags & XENMEMF_vnode)
        return 0;
    node = XENMEMF_get_node(mem_flags);
    if (node != 0xffu) {
        *out |= XCL_MEMF_NODE(node);
        if (mem_flags & XENMEMF_exact_node_request)
            *out |= XCL_MEMF_EXACT_NODE;
    }
    return 0;
}

/*
 * XENMEMF_populate_physmap: allocate nr_extents extents of 2^extent_order
 * pages and map them at the gfns in extent_start (each aligned to the
 * order); mem_flags: XENMEMF_node(n) (with XENMEMF_exact_node_request)
 * picks a node, address bits are ignored, PoD is refused (EOPNOTSUPP).
 * The gfns are left as they are (machine frames are not written back, as
 * for a translated guest).  Returns the extents done, which may be fewer
 * than asked (0 for a domain that does not exist, as Xen 4.17 answers),
 * or -1 with errno when the call failed as a whole (EINVAL: order too
 * large; EPERM; EFAULT: no list).
 */
int xc_domain_populate_physmap(xc_interface *xch, uint32_t domid,
                               unsigned long nr_extents,
                               unsigned int extent_order,
                               unsigned int mem_flags,
                               xen_pfn_t *extent_start)
{
    struct xcm_client *c;
    unsigned int memflags;
    long rc;

    if (!nr_extents || nr_extents > MEMOP_MAX_EXTENTS)
        return 0;
    if (!extent_start) {
        errno = EFAULT;
        return -1;
    }
    rc = to_memflags(mem_flags, &memflags);
    if (rc < 0)
        return xcl_fail(xch, "populate_physmap", rc);
    c = xcl_get(xch);
    if (!c)
        return -1;
    rc = xcm_populate_physmap(c, XCL_DOMID(domid), extent_order, memflags,
                              (const uint64_t *)extent_start, nr_extents,
                              NULL);
    xcl_put(xch);
    return rc < 0 ? xcl_fail(xch, "populate_physmap", rc) : (int)rc;
}

/*
 * As xc_domain_populate_physmap(), all or nothing said: 0 when every
 * extent was done, else -1 with errno (EBUSY when only some or none
 * were, as libxenctrl answers; the call's own errno otherwise).  Extents
 * done before a failure stay populated.
 */
int xc_domain_populate_physmap_exact(xc_interface *xch, uint32_t domid,
                                     unsigned long nr_extents,
                                     unsigned int extent_order,
                                     unsigned int mem_flags,
                                     xen_pfn_t *extent_start)
{
    int rc = xc_domain_populate_physmap(xch, domid, nr_extents, extent_order,
                                        mem_flags, extent_start);

    if (rc >= 0 && (unsigned long)rc == nr_extents)
        return 0;
    if (rc >= 0) {
        xcl_log(xch, XTL_DEBUG, -1,
                "populate_physmap for dom %u: %d of %lu extents of order %u",
                domid, rc, nr_extents, extent_order);
        errno = EBUSY;
    }
    return -1;
}

/*
 * XENMEM_decrease_reservation: free the 2^extent_order pages mapped at
 * each gfn of extent_start.  Returns the extents done (stops at the first
 * gfn not fully mapped; 0 for a domain that does not exist), or -1 with
 * errno: EINVAL (extent_start NULL, as libxenctrl checks, or order too
 * large), EPERM.
 */
int xc_domain_decrease_reservation(xc_interface *xch, uint32_t domid,
                                   unsigned long nr_extents,
                                   unsigned int extent_order,
                                   xen_pfn_t *extent_start)
{
    struct xcm_client *c;
    long rc;

    if (!extent_start) {
        errno = EINVAL;
        return -1;
    }
    if (!nr_extents || nr_extents > MEMOP_MAX_EXTENTS)
        return 0;
    c = xcl_get(xch);
    if (!c)
        return -1;
    rc = xcm_decrease_reservation(c, XCL_DOMID(domid), extent_order,
                                  (const uint64_t *)extent_start,
                                  nr_extents);
    xcl_put(xch);
    return rc < 0 ? xcl_fail(xch, "decrease_reservation", rc) : (int)rc;
}

/*
 * As xc_domain_decrease_reservation(): 0 when every extent was freed,
 * else -1 with errno (EINVAL when only some or none were, as libxenctrl
 * answers; the call's own errno otherwise).
 */
int xc_domain_decrease_reservation_exact(xc_interface *xch, uint32_t domid,
                                         unsigned long nr_extents,
                                         unsigned int extent_order,
                                         xen_pfn_t *extent_start)
{
    int rc = xc_domain_decrease_reservation(xch, domid, nr_extents,
                                            extent_order, extent_start);

    if (rc >= 0 && (unsigned long)rc == nr_extents)
        return 0;
    if (rc >= 0) {
        xcl_log(xch, XTL_DEBUG, -1,
                "decrease_reservation for dom %u: %d of %lu extents of "
                "order %u", domid, rc, nr_extents, extent_order);
        errno = EINVAL;
    }
    return -1;
}
