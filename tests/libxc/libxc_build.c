/* libxc_build.c: a guest build as libxl does it, checked at each step. */
/* SPDX-License-Identifier: MIT */
/*
 * Built against Debian's libxenctrl, run against the mock's.  Every
 * expected figure is computed here from the host figures given on the
 * command line (what the daemon was started with) and this program's own
 * guest size: nothing is read back from the library to predict it.
 */
#include "xctest.h"

#define GUEST_MIB       64
#define GUEST_PAGES     ((uint64_t)GUEST_MIB << 8)      /* 4 KiB pages */
#define MAXMEM_SLACK_KB 1024    /* libxl's LIBXL_MAXMEM_CONSTANT */
#define SP_ORDER        9       /* 2 MiB superpages */
#define SP_PAGES        (1u << SP_ORDER)
#define SP_BATCH        8       /* superpages per populate call */
#define VGA_START       0xa0u   /* the VGA hole libxl leaves unpopulated */
#define VGA_END         0xc0u

/* Populate [first, first + n) with order-0 pages, all or nothing. */
static int populate_4k(xc_interface *xch, uint32_t domid, xen_pfn_t first,
                       unsigned int n)
{
    xen_pfn_t gfns[SP_PAGES];
    unsigned int i;

    for (i = 0; i < n; i++)
        gfns[i] = first + i;
    return xc_domain_populate_physmap_exact(xch, domid, n, 0, 0, gfns);
}

int main(int argc, char **argv)
{
    struct host_cfg h;
    xc_interface *xch;
    xc_physinfo_t pi;
    xc_domaininfo_t di;
    xc_dominfo_t info;
    xc_meminfo_t mem[64];
    unsigned int nodes = 64, i, k;
    uint64_t free0, free1, populated = 0, memsize = 0, memfree = 0;
    uint64_t maxmem_kb = (GUEST_PAGES << 2) + MAXMEM_SLACK_KB;
    xen_pfn_t gfns[SP_BATCH];
    xen_pfn_t gfn;
    uint32_t domid;
    char step[96];
    int rc;

    tap_host_cfg(argc, argv, &h);
    xch = xt_open();

    /* The host as started: dom0's pages taken, nothing claimed. */
    xt_physinfo(xch, &pi);
    tap_eq(h.total_pages, pi.total_pages, "start: total_pages");
    free0 = h.total_pages - h.dom0_pages;
    tap_eq(free0, pi.free_pages, "start: free_pages = total - dom0");
    tap_eq(0, pi.outstanding_pages, "start: outstanding_pages");
    tap_eq(0, pi.scrub_pages, "start: scrub_pages");
    tap_eq(h.nodes, pi.nr_nodes, "start: nr_nodes");
    tap_eq(h.nodes - 1, pi.max_node_id, "start: max_node_id");
    tap_eq(h.cpus, pi.nr_cpus, "start: nr_cpus");
    tap_eq(h.cpus - 1, pi.max_cpu_id, "start: max_cpu_id");
    tap_ok(pi.cpu_khz > 0, "cpu_khz is 0", "start: cpu_khz set");
    tap_ok(pi.max_mfn + 1 >= pi.total_pages, "max_mfn below total",
           "start: max_mfn covers total_pages");

    /* Per node: sizes add up to the host, free memory to free_pages. */
    rc = xc_numainfo(xch, &nodes, mem, NULL);
    tap_eq(0, (uint64_t)rc, "numainfo succeeds");
    tap_eq(h.nodes, nodes, "numainfo: nodes");
    for (i = 0; i < nodes && i < 64; i++) {
        memsize += mem[i].memsize;
        memfree += mem[i].memfree;
    }
    tap_eq(h.total_pages << 12, memsize, "numainfo: sum of memsize");
    tap_eq(free0 << 12, memfree, "numainfo: sum of memfree");

    /* Create: Xen takes its own pages for the domain, which is paused. */
    domid = xt_create(xch);
    tap_ok(domid != 0 && domid < DOMID_FIRST_RESERVED, "bad id",
           "create: new domain id %u", domid);
    free1 = free0 - h.xen_pages;
    xt_check_host(xch, "create", free1, 0);
    xt_dominfo(xch, domid, &di);
    tap_eq(0, di.tot_pages, "create: tot_pages");
    tap_eq(0, di.max_pages, "create: max_pages");
    tap_eq(0, di.outstanding_pages, "create: outstanding_pages");
    tap_ok(di.flags & XEN_DOMINF_paused, "not paused",
           "create: domain created paused");
    tap_ok(!(di.flags & XEN_DOMINF_dying), "dying", "create: not dying");
    TAP_RC(0, 0, xc_domain_max_vcpus(xch, domid, 1), "max_vcpus 1");

    /* Max memory: the guest plus libxl's slack. */
    TAP_RC(0, 0, xc_domain_setmaxmem(xch, domid, maxmem_kb), "setmaxmem");
    xt_dominfo(xch, domid, &di);
    tap_eq(maxmem_kb >> 2, di.max_pages, "setmaxmem: max_pages");
    rc = xc_domain_getinfo(xch, domid, 1, &info);
    tap_eq(1, (uint64_t)rc, "setmaxmem: getinfo count");
    tap_eq(maxmem_kb, info.max_memkb, "setmaxmem: getinfo max_memkb");

    /* Claim the guest's size: outstanding grows, free does not move. */
    TAP_RC(0, 0, xc_domain_claim_pages(xch, domid, GUEST_PAGES),
           "claim %" PRIu64 " pages", GUEST_PAGES);
    xt_check_host(xch, "claim", free1, GUEST_PAGES);
    xt_check_dom(xch, "claim", domid, 0, GUEST_PAGES);

    /* The first 2 MiB in 4 KiB pages around the VGA hole. */
    TAP_RC(0, 0, populate_4k(xch, domid, 0, VGA_START),
           "populate gfns 0..0x9f");
    populated += VGA_START;
    TAP_RC(0, 0, populate_4k(xch, domid, VGA_END, SP_PAGES - VGA_END),
           "populate gfns 0xc0..0x1ff");
    populated += SP_PAGES - VGA_END;
    xt_check_host(xch, "low 2 MiB", free1 - populated,
                  GUEST_PAGES - populated);
    xt_check_dom(xch, "low 2 MiB", domid, populated,
                 GUEST_PAGES - populated);

    /* The rest in 2 MiB superpages, SP_BATCH per call. */
    for (gfn = SP_PAGES; gfn < GUEST_PAGES; gfn += k * SP_PAGES) {
        for (k = 0; k < SP_BATCH && gfn + k * SP_PAGES < GUEST_PAGES; k++)
            gfns[k] = gfn + k * SP_PAGES;
        snprintf(step, sizeof(step), "superpages at gfn %#lx",
                 (unsigned long)gfn);
        TAP_RC(0, 0, xc_domain_populate_physmap_exact(xch, domid, k,
                                                      SP_ORDER, 0, gfns),
               "populate %u superpages at gfn %#lx", k, (unsigned long)gfn);
        populated += (uint64_t)k * SP_PAGES;
        xt_check_host(xch, step, free1 - populated, GUEST_PAGES - populated);
        xt_check_dom(xch, step, domid, populated, GUEST_PAGES - populated);
    }
    tap_eq(GUEST_PAGES - (VGA_END - VGA_START), populated,
           "built: pages populated (guest minus the VGA hole)");

    /* Cancel what is left of the claim (the VGA hole's pages). */
    TAP_RC(0, 0, xc_domain_claim_pages(xch, domid, 0), "cancel claim");
    xt_check_host(xch, "cancel", free1 - populated, 0);
    xt_check_dom(xch, "cancel", domid, populated, 0);

    /* Start it: no longer paused. */
    TAP_RC(0, 0, xc_domain_unpause(xch, domid), "unpause");
    xt_dominfo(xch, domid, &di);
    tap_ok(!(di.flags & XEN_DOMINF_paused), "still paused",
           "unpause: paused flag cleared");

    /* Destroy: every page back, Xen's own ones too. */
    TAP_RC(0, 0, xc_domain_destroy(xch, domid), "destroy");
    xt_check_host(xch, "destroy", free0, 0);
    rc = xc_domain_getinfolist(xch, domid, 1, &di);
    tap_ok(rc == 0 || (rc == 1 && di.domain != domid), "still listed",
           "destroy: domain gone from getinfolist");

    xc_interface_close(xch);
    return tap_done();
}
