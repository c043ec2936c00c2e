/* libxc_memclaim.c: claim all free memory, others cannot allocate, cancel. */
/* SPDX-License-Identifier: MIT */
/*
 * Each step states the host's and the domains' expected claims first.
 * Domain A claims every free page; domain B (created before, as creating
 * a domain needs unclaimed pages of Xen's own) can then allocate nothing,
 * not even one page, and a new domain cannot be created while Xen needs
 * pages for it; A can; once A's claim is cancelled B can allocate again.
 */
#include "xctest.h"

#define B_MAX_KB        (64u << 10)
#define A_POPULATE      1024u

/* Populate n order-0 pages of domid from gfn first; returns extents done. */
static int populate(xc_interface *xch, uint32_t domid, xen_pfn_t first,
                    unsigned int n)
{
    xen_pfn_t gfns[A_POPULATE];
    unsigned int i;

    for (i = 0; i < n; i++)
        gfns[i] = first + i;
    return xc_domain_populate_physmap(xch, domid, n, 0, 0, gfns);
}

int main(int argc, char **argv)
{
    struct host_cfg h;
    struct xen_domctl_createdomain cfg;
    xc_interface *xch;
    xc_physinfo_t pi;
    uint32_t a, b, c;
    uint64_t free_start, free_ab, claim;
    xen_pfn_t gfn;

    tap_host_cfg(argc, argv, &h);
    xch = xt_open();
    xt_physinfo(xch, &pi);
    free_start = pi.free_pages;
    tap_eq(0, pi.outstanding_pages, "start: no claim on the host");

    a = xt_create(xch);
    b = xt_create(xch);
    free_ab = free_start - 2 * h.xen_pages;
    xt_check_host(xch, "A and B created", free_ab, 0);
    TAP_RC(0, 0, xc_domain_setmaxmem(xch, a, h.total_pages << 2),
           "setmaxmem A to the host's size");
    TAP_RC(0, 0, xc_domain_setmaxmem(xch, b, B_MAX_KB), "setmaxmem B");

    /* Host 0, A 0: a claim of the whole host does not fit. */
    TAP_RC(-1, ENOMEM, xc_domain_claim_pages(xch, a, h.total_pages),
           "claim the whole host");
    xt_check_host(xch, "refused claim", free_ab, 0);

    /* Host: all free, A: all free. */
    claim = free_ab;
    TAP_RC(0, 0, xc_domain_claim_pages(xch, a, claim),
           "claim every free page (%" PRIu64 ")", claim);
    xt_check_host(xch, "all claimed", free_ab, claim);
    xt_check_dom(xch, "all claimed", a, 0, claim);

    /* Unchanged: B gets nothing, in any size. */
    gfn = 0;
    TAP_RC(0, 0, xc_domain_populate_physmap(xch, b, 1, 0, 0, &gfn),
           "B populates 1 page: 0 done");
    TAP_RC(-1, EBUSY, xc_domain_populate_physmap_exact(xch, b, 1, 0, 0, &gfn),
           "B populate_exact 1 page");
    TAP_RC(0, 0, xc_domain_populate_physmap(xch, b, 1, 9, 0, &gfn),
           "B populates a superpage: 0 done");
    xt_check_dom(xch, "B refused", b, 0, 0);
    xt_check_host(xch, "B refused", free_ab, claim);

    /* Unchanged: a new domain needs pages of Xen's own. */
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    cfg.max_vcpus = 1;
    c = 0;
    if (h.xen_pages) {
        TAP_RC(-1, ENOMEM, xc_domain_create(xch, &c, &cfg),
               "create while everything is claimed");
    } else {
        TAP_RC(0, 0, xc_domain_create(xch, &c, &cfg),
               "create (Xen takes no pages for it)");
        xc_domain_destroy(xch, c);
    }

    /* Host: claim - A_POPULATE, A: the same: A draws its claim down. */
    TAP_RC(A_POPULATE, 0, populate(xch, a, 0, A_POPULATE),
           "A populates %u pages", A_POPULATE);
    xt_check_host(xch, "A populated", free_ab - A_POPULATE,
                  claim - A_POPULATE);
    xt_check_dom(xch, "A populated", a, A_POPULATE, claim - A_POPULATE);
    TAP_RC(0, 0, xc_domain_populate_physmap(xch, b, 1, 0, 0, &gfn),
           "B still gets nothing");

    /* Host 0, A 0: cancelled. */
    TAP_RC(0, 0, xc_domain_claim_pages(xch, a, 0), "cancel A's claim");
    xt_check_host(xch, "cancelled", free_ab - A_POPULATE, 0);
    xt_check_dom(xch, "cancelled", a, A_POPULATE, 0);

    /* B can allocate again, and a domain can be created. */
    TAP_RC(16, 0, populate(xch, b, 0, 16), "B populates 16 pages");
    xt_check_dom(xch, "B populated", b, 16, 0);
    c = 0;
    TAP_RC(0, 0, xc_domain_create(xch, &c, &cfg), "create after the cancel");
    xt_check_host(xch, "C created", free_ab - A_POPULATE - 16 - h.xen_pages,
                  0);

    TAP_RC(0, 0, xc_domain_destroy(xch, c), "destroy C");
    TAP_RC(0, 0, xc_domain_destroy(xch, b), "destroy B");
    TAP_RC(0, 0, xc_domain_destroy(xch, a), "destroy A");
    xt_check_host(xch, "all destroyed", free_start, 0);
    xc_interface_close(xch);
    return tap_done();
}
