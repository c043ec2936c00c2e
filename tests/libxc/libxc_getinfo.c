/* libxc_getinfo.c: xc_domain_getinfo and xc_domain_getinfolist over several domains. */
/* SPDX-License-Identifier: MIT */
/*
 * Four domains of different sizes, claims and pause states; each field of
 * xc_dominfo_t is checked against what this program did to the domain,
 * and against xc_domain_getinfolist's view.  Xen 4.17's getinfo walks
 * from the first domain at or after the id asked for.
 */
#include "xctest.h"

#define NDOMS   4

struct want {
    uint32_t domid;
    uint64_t max_kb;
    uint64_t pages;
    uint64_t claim;     /* outstanding pages */
    bool paused;
};

/* Populate n order-0 pages at gfn 0.. of domid. */
static int populate(xc_interface *xch, uint32_t domid, unsigned int n)
{
    xen_pfn_t gfns[2048];
    unsigned int i;

    for (i = 0; i < n; i++)
        gfns[i] = i;
    return xc_domain_populate_physmap_exact(xch, domid, n, 0, 0, gfns);
}

static bool handle_is_zero(const xen_domain_handle_t hd)
{
    unsigned int i;

    for (i = 0; i < sizeof(xen_domain_handle_t); i++)
        if (hd[i])
            return false;
    return true;
}

/* Every field of one xc_dominfo_t against what was done to the domain. */
static void check_info(const xc_dominfo_t *in, const struct want *w)
{
    uint32_t id = w->domid;

    tap_eq(w->domid, in->domid, "getinfo dom%u: domid", id);
    tap_eq(w->pages, in->nr_pages, "getinfo dom%u: nr_pages", id);
    tap_eq(w->claim, in->nr_outstanding_pages,
           "getinfo dom%u: nr_outstanding_pages", id);
    tap_eq(w->max_kb, in->max_memkb, "getinfo dom%u: max_memkb", id);
    tap_eq(w->paused, in->paused, "getinfo dom%u: paused", id);
    tap_eq(0, in->dying, "getinfo dom%u: dying", id);
    tap_eq(0, in->crashed, "getinfo dom%u: crashed", id);
    tap_eq(0, in->shutdown, "getinfo dom%u: shutdown", id);
    tap_eq(0, in->nr_shared_pages, "getinfo dom%u: nr_shared_pages", id);
    tap_eq(0, in->nr_paged_pages, "getinfo dom%u: nr_paged_pages", id);
    tap_eq(0, in->ssidref, "getinfo dom%u: ssidref", id);
    tap_eq(1, in->nr_online_vcpus, "getinfo dom%u: nr_online_vcpus", id);
    tap_eq(0, in->max_vcpu_id, "getinfo dom%u: max_vcpu_id", id);
    tap_eq(0, in->cpupool, "getinfo dom%u: cpupool", id);
}

/* The same domain seen by getinfolist. */
static void check_same(const xc_dominfo_t *in, const xc_domaininfo_t *li)
{
    uint32_t id = in->domid;

    tap_eq(in->domid, li->domain, "getinfolist dom%u: domain", id);
    tap_eq(in->nr_pages, li->tot_pages, "getinfolist dom%u: tot_pages", id);
    tap_eq(in->max_memkb, li->max_pages << 2,
           "getinfolist dom%u: max_pages", id);
    tap_eq(in->nr_outstanding_pages, li->outstanding_pages,
           "getinfolist dom%u: outstanding_pages", id);
    tap_eq(in->paused, !!(li->flags & XEN_DOMINF_paused),
           "getinfolist dom%u: paused flag", id);
    tap_eq(in->dying, !!(li->flags & XEN_DOMINF_dying),
           "getinfolist dom%u: dying flag", id);
    tap_ok(!memcmp(in->handle, li->handle, sizeof(li->handle)),
           "handles differ", "getinfolist dom%u: same handle", id);
}

int main(int argc, char **argv)
{
    struct host_cfg h;
    struct want w[NDOMS], dom0;
    xc_interface *xch;
    xc_dominfo_t info[2 * NDOMS];
    xc_domaininfo_t list[4 * NDOMS];
    unsigned int i, j;
    int n;

    tap_host_cfg(argc, argv, &h);
    xch = xt_open();

    for (i = 0; i < NDOMS; i++) {
        w[i].domid = xt_create(xch);
        w[i].max_kb = (uint64_t)(i + 1) << 13;      /* (i + 1) * 8 MiB */
        w[i].pages = (i + 1) * 256;
        w[i].claim = i % 2 ? 100 * (i + 1) : 0;
        w[i].paused = i % 2 == 1;
        TAP_RC(0, 0, xc_domain_setmaxmem(xch, w[i].domid, w[i].max_kb),
               "setmaxmem dom%u", w[i].domid);
        TAP_RC(0, 0, populate(xch, w[i].domid, (unsigned int)w[i].pages),
               "populate dom%u", w[i].domid);
        if (w[i].claim)
            TAP_RC(0, 0, xc_domain_claim_pages(xch, w[i].domid,
                                               w[i].pages + w[i].claim),
                   "claim on dom%u", w[i].domid);
        if (!w[i].paused)
            TAP_RC(0, 0, xc_domain_unpause(xch, w[i].domid),
                   "unpause dom%u", w[i].domid);
        if (i && w[i].domid <= w[i - 1].domid)
            tap_bail("domain ids do not increase");
    }

    /* All four from the first one, in id order. */
    n = xc_domain_getinfo(xch, w[0].domid, NDOMS, info);
    if (!tap_eq(NDOMS, (uint64_t)n, "getinfo from dom%u: count", w[0].domid))
        tap_bail("getinfo count");
    for (i = 0; i < NDOMS; i++)
        check_info(&info[i], &w[i]);
    tap_ok(!handle_is_zero(info[0].handle), "all zeros",
           "getinfo: a created domain has a handle");

    /* getinfolist agrees field by field. */
    n = xc_domain_getinfolist(xch, w[0].domid, NDOMS, list);
    tap_eq(NDOMS, (uint64_t)n, "getinfolist from dom%u: count", w[0].domid);
    for (i = 0; i < NDOMS && i < (unsigned int)n; i++)
        check_same(&info[i], &list[i]);

    /* Room for more than there are: the rest of the array is zeroed. */
    memset(info, 0xa5, sizeof(info));
    n = xc_domain_getinfo(xch, w[0].domid, 2 * NDOMS, info);
    tap_eq(NDOMS, (uint64_t)n, "getinfo with room for %u: count",
           2 * NDOMS);
    for (j = NDOMS; j < 2 * NDOMS; j++)
        tap_ok(info[j].domid == 0 && info[j].nr_pages == 0, "not zeroed",
               "getinfo: unused entry %u zeroed", j);

    /* dom0 as the host was started. */
    dom0.domid = 0;
    dom0.pages = h.dom0_pages;
    dom0.claim = 0;
    dom0.paused = false;
    n = xc_domain_getinfo(xch, 0, 1, info);
    tap_eq(1, (uint64_t)n, "getinfo dom0: count");
    tap_eq(0, info[0].domid, "getinfo dom0: domid");
    tap_eq(dom0.pages, info[0].nr_pages, "getinfo dom0: nr_pages");
    tap_eq(0, info[0].nr_outstanding_pages, "getinfo dom0: outstanding");
    tap_eq(1, info[0].running, "getinfo dom0: running");
    tap_eq(0, info[0].paused, "getinfo dom0: paused");

    /* After a destroy, asking for its id gives the next domain. */
    TAP_RC(0, 0, xc_domain_destroy(xch, w[1].domid), "destroy dom%u",
           w[1].domid);
    n = xc_domain_getinfo(xch, w[1].domid, 1, info);
    tap_eq(1, (uint64_t)n, "getinfo at destroyed dom%u: count", w[1].domid);
    tap_eq(w[2].domid, info[0].domid,
           "getinfo at destroyed dom%u: the next domain", w[1].domid);
    check_info(&info[0], &w[2]);
    TAP_RC(-1, ESRCH, xc_domain_getinfo(xch, w[NDOMS - 1].domid + 1, 1,
                                        info),
           "getinfo after the last domain");

    /* The whole list: dom0 and the three left, in id order. */
    n = xc_domain_getinfolist(xch, 0, 4 * NDOMS, list);
    tap_eq(NDOMS, (uint64_t)n, "getinfolist from 0: dom0 + %u domains",
           NDOMS - 1);
    tap_eq(0, list[0].domain, "getinfolist from 0: dom0 first");
    tap_eq(h.dom0_pages, list[0].tot_pages, "getinfolist dom0: tot_pages");
    for (i = 1, j = 0; j < NDOMS && i < (unsigned int)n; j++) {
        if (j == 1)
            continue;
        tap_eq(w[j].domid, list[i].domain, "getinfolist entry %u: domain",
               i);
        tap_eq(w[j].pages, list[i].tot_pages,
               "getinfolist entry %u: tot_pages", i);
        tap_eq(w[j].claim, list[i].outstanding_pages,
               "getinfolist entry %u: outstanding_pages", i);
        i++;
    }

    for (j = 0; j < NDOMS; j++)
        if (j != 1)
            TAP_RC(0, 0, xc_domain_destroy(xch, w[j].domid),
                   "destroy dom%u", w[j].domid);
    n = xc_domain_getinfolist(xch, 0, 4 * NDOMS, list);
    tap_eq(1, (uint64_t)n, "getinfolist at the end: dom0 only");
    xc_interface_close(xch);
    return tap_done();
}
