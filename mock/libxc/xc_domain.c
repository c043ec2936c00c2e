/* xc_domain.c: libxenctrl domain calls over the mock: create, destroy, pause, max memory, info. */
/* SPDX-License-Identifier: LGPL-2.1-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xc_private.h"

/* Domains fetched per round trip by the info calls. */
#define INFO_BATCH  XCM_MAX_DOMINFO

/* All XEN_DOMCTL_CDF_* flags Xen 4.17 knows. */
#define CDF_ALL     ((XEN_DOMCTL_CDF_MAX << 1) - 1)
/* All XEN_DOMCTL_IOMMU_* options Xen 4.17 knows. */
#define IOMMU_ALL   ((XEN_DOMCTL_IOMMU_MAX << 1) - 1)

/*
 * Info on up to max domains with id >= first into out, as the mock tells
 * (not atomic across batches).  Returns the number filled in, or -1 with
 * errno.
 */
static int get_info(xc_interface *xch, uint32_t first, unsigned int max,
                    struct hyp_dominfo *out)
{
    struct xcm_client *c = xcl_get(xch);
    int rc;

    if (!c)
        return -1;
    rc = xcm_domain_getinfo(c, first, max, out);
    xcl_put(xch);
    if (rc < 0)
        return xcl_fail(xch, "getinfo", rc);
    return rc;
}

/*
 * Xen's domain info flags for a mock domain.  The mock runs no vCPUs:
 * dom0 counts as running (the caller runs on it), a paused domain as
 * paused only, any other as blocked (an idle guest).  Guest type (hvm,
 * hap), shutdown and debug state are not known to the mock: 0.
 */
static uint32_t dominf_flags(const struct hyp_dominfo *d)
{
    uint32_t f = 0;

    if (d->flags & HYP_DOMF_DYING)
        f |= XEN_DOMINF_dying;
    if (d->flags & HYP_DOMF_PAUSED)
        f |= XEN_DOMINF_paused;
    else if (d->domid == 0)
        f |= XEN_DOMINF_running;
    else if (!(d->flags & HYP_DOMF_DYING))
        f |= XEN_DOMINF_blocked;
    return f;
}

/* struct xen_domctl_getdomaininfo from the mock's figures. */
static void fill_domaininfo(xc_domaininfo_t *o, const struct hyp_dominfo *d)
{
    memset(o, 0, sizeof(*o));
    o->domain = (domid_t)d->domid;
    o->flags = dominf_flags(d);
    o->tot_pages = d->tot_pages;
    o->max_pages = d->max_pages;
    o->outstanding_pages = d->outstanding_pages;
    o->nr_online_vcpus = 1;
    o->max_vcpu_id = 0;
    o->ssidref = 0;
    memcpy(o->handle, d->handle, sizeof(o->handle));
    o->cpupool = 0;
}

/* xc_dominfo_t from the mock's figures (as libxenctrl derives it). */
static void fill_dominfo(xc_dominfo_t *o, const struct hyp_dominfo *d)
{
    uint32_t f = dominf_flags(d);

    memset(o, 0, sizeof(*o));
    o->domid = d->domid;
    o->ssidref = 0;
    o->dying = !!(f & XEN_DOMINF_dying);
    o->paused = !!(f & XEN_DOMINF_paused);
    o->blocked = !!(f & XEN_DOMINF_blocked);
    o->running = !!(f & XEN_DOMINF_running);
    o->nr_pages = d->tot_pages;
    o->nr_outstanding_pages = d->outstanding_pages;
    o->max_memkb = (unsigned long)(d->max_pages << (XC_PAGE_SHIFT - 10));
    o->nr_online_vcpus = 1;
    o->max_vcpu_id = 0;
    memcpy(o->handle, d->handle, sizeof(o->handle));
    o->cpupool = 0;
}

/* Does domid exist (dying or not)?  1, 0, or -1 with errno. */
static int domain_exists(xc_interface *xch, uint32_t domid,
                         struct hyp_dominfo *d)
{
    int n = get_info(xch, domid, 1, d);

    if (n < 0)
        return -1;
    return n == 1 && d->domid == domid;
}

/*
 * The checks Xen 4.17 makes on a creation request before anything else
 * that do not depend on the host's hardware.  0 or -EINVAL.
 */
static int check_config(const struct xen_domctl_createdomain *cfg)
{
    if (cfg->flags & ~CDF_ALL)
        return -EINVAL;
    if (cfg->iommu_opts & ~IOMMU_ALL)
        return -EINVAL;
    if (cfg->grant_opts & ~XEN_DOMCTL_GRANT_version_mask)
        return -EINVAL;
    if (cfg->max_vcpus < 1)
        return -EINVAL;
    if ((cfg->flags & XEN_DOMCTL_CDF_hap) &&
        !(cfg->flags & XEN_DOMCTL_CDF_hvm))
        return -EINVAL;
    if (cfg->iommu_opts && !(cfg->flags & XEN_DOMCTL_CDF_iommu))
        return -EINVAL;
    return 0;
}

/*
 * Create a domain as Xen 4.17's domctl does: *pdomid (as a 16-bit domid)
 * 0 or a reserved id (>= DOMID_FIRST_RESERVED) asks for the next free id
 * (ids increase across destroys), any other asks for that id (EEXIST if
 * taken).  The new domain is paused (Xen creates domains paused: the
 * toolstack unpauses it when built), has no pages and max_pages 0 until
 * xc_domain_setmaxmem().  The config is checked as Xen does where the host
 * hardware plays no part, then otherwise ignored (the mock keeps no guest
 * type, vCPUs or handle of its own choosing).  On success stores the id in
 * *pdomid and returns 0; else -1 with errno: EINVAL (bad config or
 * pointers), EEXIST, ENOMEM (claims cover the pages Xen needs for a new
 * domain, or no id is free), ECONNRESET (daemon gone).
 */
int xc_domain_create(xc_interface *xch, uint32_t *pdomid,
                     struct xen_domctl_createdomain *config)
{
    struct hyp_dominfo d;
    struct xcm_client *c;
    uint32_t id;
    int rc;

    if (!pdomid || !config) {
        errno = EINVAL;
        return -1;
    }
    rc = check_config(config);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    id = XCL_DOMID(*pdomid);
    if (id >= DOMID_FIRST_RESERVED)
        id = 0;

    c = xcl_get(xch);
    if (!c)
        return -1;
    rc = xcm_domain_create(c, &id, NULL);
    xcl_put(xch);
    if (rc == -ENOSPC)
        rc = -ENOMEM;   /* Xen's answer when every id is taken */
    if (rc < 0)
        return xcl_fail(xch, "create", rc);

    /* New domains are paused in Xen; pause it if the mock did not. */
    rc = domain_exists(xch, id, &d);
    if (rc == 1 && !(d.flags & HYP_DOMF_PAUSED)) {
        c = xcl_get(xch);
        if (!c)
            return -1;
        rc = xcm_domain_pause(c, id, true);
        xcl_put(xch);
        if (rc < 0)
            return xcl_fail(xch, "create (pause)", rc);
    } else if (rc < 0) {
        return -1;
    }
    *pdomid = id;
    return 0;
}

/* Run one domctl-like xcm call on domid: 0, or -1 with errno. */
static int simple_call(xc_interface *xch, const char *what, uint32_t domid,
                       int (*fn)(struct xcm_client *, uint32_t, void *),
                       void *arg)
{
    struct xcm_client *c = xcl_get(xch);
    int rc;

    if (!c)
        return -1;
    rc = fn(c, XCL_DOMID(domid), arg);
    xcl_put(xch);
    return rc < 0 ? xcl_fail(xch, what, rc) : 0;
}

static int do_destroy(struct xcm_client *c, uint32_t domid, void *arg)
{
    return xcm_domain_destroy(c, domid);
}

static int do_pause(struct xcm_client *c, uint32_t domid, void *arg)
{
    return xcm_domain_pause(c, domid, *(bool *)arg);
}

static int do_setmaxmem(struct xcm_client *c, uint32_t domid, void *arg)
{
    return xcm_domain_setmaxmem(c, domid, *(uint64_t *)arg);
}

/*
 * Destroy domid: its claim is released and its pages freed.  0, or -1
 * with errno: ESRCH (no such domain, or already dying), EPERM (dom0).
 */
int xc_domain_destroy(xc_interface *xch, uint32_t domid)
{
    return simple_call(xch, "destroy", domid, do_destroy, NULL);
}

/* Pause domid.  0, or -1 with errno ESRCH (no such domain). */
int xc_domain_pause(xc_interface *xch, uint32_t domid)
{
    bool on = true;

    return simple_call(xch, "pause", domid, do_pause, &on);
}

/* Unpause domid.  0, or -1 with errno ESRCH (no such domain). */
int xc_domain_unpause(xc_interface *xch, uint32_t domid)
{
    bool on = false;

    return simple_call(xch, "unpause", domid, do_pause, &on);
}

/*
 * Set domid's max_pages to max_memkb / 4.  0, or -1 with errno ESRCH (no
 * such domain).
 */
int xc_domain_setmaxmem(xc_interface *xch, uint32_t domid, uint64_t max_memkb)
{
    return simple_call(xch, "setmaxmem", domid, do_setmaxmem, &max_memkb);
}

/*
 * Xen 4.17 fixes a domain's vCPUs at creation; this call only checks that
 * domid exists and max is not 0.  0, or -1 with errno ESRCH or EINVAL.
 */
int xc_domain_max_vcpus(xc_interface *xch, uint32_t domid, unsigned int max)
{
    struct hyp_dominfo d;
    int rc = domain_exists(xch, XCL_DOMID(domid), &d);

    if (rc < 0)
        return -1;
    if (!rc) {
        errno = ESRCH;
        return -1;
    }
    if (!max) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/*
 * Info on up to max_doms domains, the first with an id >= first_domid and
 * the next ones in id order, as Xen 4.17's getdomaininfo domctl walks
 * them; info[0..max_doms) is zeroed first.  Returns the number filled in
 * (>= 1), or -1 with errno when none was: ESRCH (no domain at or after
 * first_domid), EINVAL (first_domid is a reserved id), ECONNRESET.  Fields
 * the mock has no figure for are 0 (see fill_dominfo()).
 */
int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
                      unsigned int max_doms, xc_dominfo_t *info)
{
    struct hyp_dominfo *buf;
    unsigned int nr = 0, want, i;
    uint32_t next = XCL_DOMID(first_domid);
    int n, err = 0;

    if (!max_doms)
        return 0;
    if (!info) {
        errno = EFAULT;
        return -1;
    }
    memset(info, 0, max_doms * sizeof(*info));
    buf = calloc(max_doms < INFO_BATCH ? max_doms : INFO_BATCH,
                 sizeof(*buf));
    if (!buf)
        return -1;
    while (nr < max_doms) {
        if (next >= DOMID_FIRST_RESERVED) {
            err = EINVAL;
            break;
        }
        want = max_doms - nr < INFO_BATCH ? max_doms - nr : INFO_BATCH;
        n = get_info(xch, next, want, buf);
        if (n < 0) {
            err = errno;
            break;
        }
        if (n == 0) {
            err = ESRCH;
            break;
        }
        for (i = 0; i < (unsigned int)n; i++)
            fill_dominfo(&info[nr++], &buf[i]);
        if ((unsigned int)n < want)
            break;      /* no domain after these */
        next = XCL_DOMID(buf[n - 1].domid + 1);
        if (next == 0)
            break;
    }
    free(buf);
    if (nr == 0) {
        errno = err;
        return -1;
    }
    return (int)nr;
}

/*
 * Info on up to max_domains domains with an id >= first_domain, in id
 * order, as Xen's getdomaininfolist sysctl: tot_pages, max_pages,
 * outstanding_pages, flags (XEN_DOMINF_dying, _paused, _running,
 * _blocked), handle, one vCPU; other fields 0.  Returns the number filled
 * in (0 when none), or -1 with errno.
 */
int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                          unsigned int max_domains, xc_domaininfo_t *info)
{
    struct hyp_dominfo *buf;
    unsigned int nr = 0, want, i;
    uint32_t next = XCL_DOMID(first_domain);
    int n, rc = 0;

    if (!max_domains)
        return 0;
    if (!info) {
        errno = EFAULT;
        return -1;
    }
    buf = calloc(max_domains < INFO_BATCH ? max_domains : INFO_BATCH,
                 sizeof(*buf));
    if (!buf)
        return -1;
    while (nr < max_domains) {
        want = max_domains - nr < INFO_BATCH ? max_domains - nr : INFO_BATCH;
        n = get_info(xch, next, want, buf);
        if (n < 0) {
            rc = -1;
            break;
        }
        for (i = 0; i < (unsigned int)n; i++)
            fill_domaininfo(&info[nr++], &buf[i]);
        if ((unsigned int)n < want)
            break;
        next = buf[n - 1].domid + 1;
    }
    free(buf);
    return rc < 0 ? -1 : (int)nr;
}
