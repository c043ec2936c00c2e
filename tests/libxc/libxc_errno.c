/* libxc_errno.c: every error answer of the libxenctrl calls, as Xen 4.17 gives them. */
/* SPDX-License-Identifier: MIT */
/*
 * Expected answers are those measured on a real Xen 4.17 host and the
 * libxenctrl 4.17 conventions (see docs/claims.md): claims EINVAL for
 * unknown domains, a second claim or a target out of range, ENOMEM past
 * free minus outstanding pages; set-maxmem and destroy ESRCH on unknown
 * domains; populate 0 extents done there, decrease of 0 extents fine;
 * the _exact variants -1 (EBUSY for populate, EINVAL for decrease).
 */
#include <stdlib.h>

#include "xctest.h"

#define MAX_KB          (64u << 10)     /* 64 MiB */
#define MAX_PAGES       (MAX_KB >> 2)
#define NEVER_CREATED   3000u

/* A logger counting the errors it is given. */
struct counting_logger {
    xentoollog_logger vtable;
    unsigned int errors;
    int last_errno;
};

static void count_vmessage(xentoollog_logger *lg, xentoollog_level level,
                           int errnoval, const char *context,
                           const char *format, va_list al)
{
    struct counting_logger *c = (struct counting_logger *)lg;
    char msg[256];

    vsnprintf(msg, sizeof(msg), format, al);
    printf("# logged (level %d, errno %d, %s): %s\n", (int)level, errnoval,
           context ? context : "-", msg);
    if (level >= XTL_ERROR) {
        c->errors++;
        c->last_errno = errnoval;
    }
}

/* Opening with no daemon at the socket: NULL, errno, an error logged. */
static void check_no_daemon(void)
{
    struct counting_logger lg;
    const char *sock = getenv("XENCLAIM_SOCKET");
    char *saved = sock ? strdup(sock) : NULL;
    char absent[512];
    xc_interface *xch;
    int err;

    memset(&lg, 0, sizeof(lg));
    lg.vtable.vmessage = count_vmessage;
    snprintf(absent, sizeof(absent), "%s.absent", saved ? saved : "/tmp/x");
    setenv("XENCLAIM_SOCKET", absent, 1);

    errno = 0;
    xch = xc_interface_open(&lg.vtable, NULL, 0);
    err = errno;
    tap_ok(xch == NULL, "got a handle", "open with no daemon: NULL");
    tap_rc(-1, ENOENT, xch ? 0 : -1, err, "open with no daemon: errno");
    tap_eq(1, lg.errors, "open with no daemon: one error logged");
    tap_eq(ENOENT, (uint64_t)lg.last_errno,
           "open with no daemon: logged errno");
    xc_interface_close(xch);

    /* A NULL logger is fine too (the message goes to stderr). */
    errno = 0;
    xch = xc_interface_open(NULL, NULL, 0);
    err = errno;
    tap_rc(-1, ENOENT, xch ? 0 : -1, err, "open, NULL logger, no daemon");
    xc_interface_close(xch);

    if (saved)
        setenv("XENCLAIM_SOCKET", saved, 1);
    else
        unsetenv("XENCLAIM_SOCKET");
    free(saved);
}

/* Every call on a domain that does not exist. */
static void check_unknown(xc_interface *xch, uint32_t id, const char *what)
{
    xen_pfn_t gfn = 0x100;

    TAP_RC(-1, ESRCH, xc_domain_setmaxmem(xch, id, MAX_KB),
           "%s dom%u: setmaxmem", what, id);
    TAP_RC(-1, ESRCH, xc_domain_destroy(xch, id), "%s dom%u: destroy",
           what, id);
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, id, 16),
           "%s dom%u: claim", what, id);
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, id, 0),
           "%s dom%u: claim 0", what, id);
    TAP_RC(-1, ESRCH, xc_domain_pause(xch, id), "%s dom%u: pause", what, id);
    TAP_RC(-1, ESRCH, xc_domain_unpause(xch, id), "%s dom%u: unpause",
           what, id);
    TAP_RC(0, 0, xc_domain_populate_physmap(xch, id, 1, 0, 0, &gfn),
           "%s dom%u: populate does 0 extents", what, id);
    TAP_RC(-1, EBUSY, xc_domain_populate_physmap_exact(xch, id, 1, 0, 0,
                                                       &gfn),
           "%s dom%u: populate_exact", what, id);
    TAP_RC(0, 0, xc_domain_decrease_reservation(xch, id, 0, 0, &gfn),
           "%s dom%u: decrease of 0 extents", what, id);
    TAP_RC(0, 0, xc_domain_decrease_reservation_exact(xch, id, 0, 0, &gfn),
           "%s dom%u: decrease_exact of 0 extents", what, id);
    TAP_RC(0, 0, xc_domain_decrease_reservation(xch, id, 1, 0, &gfn),
           "%s dom%u: decrease does 0 extents", what, id);
}

int main(int argc, char **argv)
{
    struct host_cfg h;
    struct xen_domctl_createdomain cfg;
    xc_interface *xch;
    xc_physinfo_t pi;
    xc_domaininfo_t di;
    xc_dominfo_t info;
    uint32_t d, d2, d3, gone, id;
    uint64_t avail, tot;
    xen_pfn_t gfns[3];
    unsigned int i;

    tap_host_cfg(argc, argv, &h);
    check_no_daemon();
    xch = xt_open();
    tap_eq((4u << 16) | 17u, (uint64_t)xc_version(xch, XENVER_version, NULL),
           "xc_version: 4.17");

    /* Claims on a domain with room for MAX_PAGES. */
    d = xt_create(xch);
    TAP_RC(0, 0, xc_domain_setmaxmem(xch, d, MAX_KB), "setmaxmem");
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d, 0), "claim 0 with no claim");
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d, MAX_PAGES), "claim max_pages");
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, d, MAX_PAGES),
           "claim twice");
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, d, MAX_PAGES / 2),
           "second, smaller claim");
    xt_check_dom(xch, "after refused claims", d, 0, MAX_PAGES);
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d, 0), "cancel");
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, d, MAX_PAGES + 1),
           "claim above max_pages");

    /* A target at or below what the domain owns. */
    for (i = 0; i < 3; i++)
        gfns[i] = 0x1000 + i;
    TAP_RC(3, 0, xc_domain_populate_physmap(xch, d, 3, 0, 0, gfns),
           "populate 3 pages");
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, d, 3), "claim = tot_pages");
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, d, 2), "claim < tot_pages");
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d, 4), "claim tot_pages + 1");
    xt_check_dom(xch, "claim tot + 1", d, 3, 1);
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d, 0), "cancel");

    /* More than free minus outstanding pages: ENOMEM, exactly that: fine. */
    d2 = xt_create(xch);
    TAP_RC(0, 0, xc_domain_setmaxmem(xch, d2, h.total_pages << 2),
           "setmaxmem to the host's size");
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d, 3 + 100),
           "claim 100 more pages on dom%u (3 owned)", d);
    xt_physinfo(xch, &pi);
    tap_eq(100, pi.outstanding_pages, "outstanding before the limit test");
    avail = pi.free_pages - pi.outstanding_pages;
    TAP_RC(-1, ENOMEM, xc_domain_claim_pages(xch, d2, avail + 1),
           "claim free - outstanding + 1");
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d2, avail),
           "claim free - outstanding");
    xt_check_host(xch, "claim at the limit", pi.free_pages, avail + 100);
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d2, 0), "cancel dom%u", d2);
    TAP_RC(0, 0, xc_domain_claim_pages(xch, d, 0), "cancel dom%u", d);

    /* max_pages never set: EINVAL. */
    d3 = xt_create(xch);
    TAP_RC(-1, EINVAL, xc_domain_claim_pages(xch, d3, 1),
           "claim with max_pages 0");

    /* _exact partial failures leave what was done. */
    gfns[0] = 0x2000;
    gfns[1] = 0x1001;   /* already populated */
    gfns[2] = 0x2001;
    xt_dominfo(xch, d, &di);
    tot = di.tot_pages;
    TAP_RC(-1, EBUSY, xc_domain_populate_physmap_exact(xch, d, 3, 0, 0,
                                                       gfns),
           "populate_exact stopping at a mapped gfn");
    xt_check_dom(xch, "partial populate_exact", d, tot + 1, 0);
    gfns[0] = 0x2002;
    TAP_RC(1, 0, xc_domain_populate_physmap(xch, d, 3, 0, 0, gfns),
           "populate stopping at a mapped gfn: 1 extent done");
    gfns[0] = 0x2000;
    gfns[1] = 0x3000;   /* never populated */
    TAP_RC(-1, EINVAL, xc_domain_decrease_reservation_exact(xch, d, 2, 0,
                                                            gfns),
           "decrease_exact stopping at an unmapped gfn");
    xt_check_dom(xch, "partial decrease_exact", d, tot + 1, 0);
    gfns[0] = 0x2002;
    TAP_RC(1, 0, xc_domain_decrease_reservation(xch, d, 2, 0, gfns),
           "decrease stopping at an unmapped gfn: 1 extent done");
    TAP_RC(-1, EINVAL, xc_domain_decrease_reservation(xch, d, 1, 0, NULL),
           "decrease with no list");

    /* Creation refusals. */
    id = d;
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    cfg.max_vcpus = 1;
    TAP_RC(-1, EEXIST, xc_domain_create(xch, &id, &cfg),
           "create with a taken id");
    id = 0;
    cfg.max_vcpus = 0;
    TAP_RC(-1, EINVAL, xc_domain_create(xch, &id, &cfg),
           "create with no vCPU");
    cfg.max_vcpus = 1;
    cfg.flags = XEN_DOMCTL_CDF_hap;
    TAP_RC(-1, EINVAL, xc_domain_create(xch, &id, &cfg),
           "create with HAP for a PV guest");
    cfg.flags = 1u << 30;
    TAP_RC(-1, EINVAL, xc_domain_create(xch, &id, &cfg),
           "create with an unknown flag");

    /* Unknown domains: one destroyed, one never created. */
    gone = xt_create(xch);
    TAP_RC(0, 0, xc_domain_destroy(xch, gone), "destroy dom%u", gone);
    check_unknown(xch, gone, "destroyed");
    check_unknown(xch, NEVER_CREATED, "never created");

    /* Info past the last domain. */
    TAP_RC(-1, ESRCH, xc_domain_getinfo(xch, NEVER_CREATED, 1, &info),
           "getinfo past the last domain");
    TAP_RC(-1, EINVAL, xc_domain_getinfo(xch, DOMID_FIRST_RESERVED, 1, &info),
           "getinfo at a reserved id");
    TAP_RC(0, 0, xc_domain_getinfolist(xch, NEVER_CREATED, 1, &di),
           "getinfolist past the last domain");

    TAP_RC(0, 0, xc_domain_destroy(xch, d), "destroy dom%u", d);
    TAP_RC(0, 0, xc_domain_destroy(xch, d2), "destroy dom%u", d2);
    TAP_RC(0, 0, xc_domain_destroy(xch, d3), "destroy dom%u", d3);
    TAP_RC(-1, ESRCH, xc_domain_destroy(xch, d3), "destroy dom%u twice", d3);
    xc_interface_close(xch);
    return tap_done();
}
