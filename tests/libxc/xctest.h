/* xctest.h: helpers shared by the libxenctrl test programs (header only). */
/* SPDX-License-Identifier: MIT */
/*
 * Only Debian's <xenctrl.h> API is used: the programs are built against
 * the system's libxenctrl and run against the mock's through
 * LD_LIBRARY_PATH.
 */
#ifndef LIBXC_XCTEST_H
#define LIBXC_XCTEST_H

#include <xenctrl.h>

#include "tap.h"

/* Open a handle (socket from $XENCLAIM_SOCKET) or stop. */
static inline xc_interface *xt_open(void)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);

    if (!xch) {
        printf("# xc_interface_open: %s\n", strerror(errno));
        tap_bail("xc_interface_open");
    }
    return xch;
}

/* Create an HVM domain with one vCPU (id chosen by Xen), or stop. */
static inline uint32_t xt_create(xc_interface *xch)
{
    struct xen_domctl_createdomain cfg;
    uint32_t domid = 0;

    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    cfg.max_vcpus = 1;
    cfg.max_evtchn_port = 1023;
    cfg.max_grant_frames = -1;
    cfg.max_maptrack_frames = -1;
    if (xc_domain_create(xch, &domid, &cfg) < 0) {
        printf("# xc_domain_create: %s\n", strerror(errno));
        tap_bail("xc_domain_create");
    }
    return domid;
}

/* Host figures, or stop. */
static inline void xt_physinfo(xc_interface *xch, xc_physinfo_t *pi)
{
    if (xc_physinfo(xch, pi) < 0) {
        printf("# xc_physinfo: %s\n", strerror(errno));
        tap_bail("xc_physinfo");
    }
}

/* One domain's info through getinfolist, or stop if it is not there. */
static inline void xt_dominfo(xc_interface *xch, uint32_t domid,
                              xc_domaininfo_t *info)
{
    int n = xc_domain_getinfolist(xch, domid, 1, info);

    if (n != 1 || info->domain != domid) {
        printf("# xc_domain_getinfolist(%u): %d, domain %u\n", domid, n,
               n == 1 ? info->domain : 0);
        tap_bail("xc_domain_getinfolist");
    }
}

/* Check the host's free and outstanding pages at one step. */
static inline void xt_check_host(xc_interface *xch, const char *step,
                                 uint64_t free_pages, uint64_t outstanding)
{
    xc_physinfo_t pi;

    xt_physinfo(xch, &pi);
    tap_eq(free_pages, pi.free_pages, "%s: physinfo free_pages", step);
    tap_eq(outstanding, pi.outstanding_pages,
           "%s: physinfo outstanding_pages", step);
}

/* Check one domain's tot_pages and outstanding_pages at one step. */
static inline void xt_check_dom(xc_interface *xch, const char *step,
                                uint32_t domid, uint64_t tot,
                                uint64_t outstanding)
{
    xc_domaininfo_t info;

    xt_dominfo(xch, domid, &info);
    tap_eq(tot, info.tot_pages, "%s: dom%u tot_pages", step, domid);
    tap_eq(outstanding, info.outstanding_pages,
           "%s: dom%u outstanding_pages", step, domid);
}

#endif /* LIBXC_XCTEST_H */
