/* xenctrl.c: the XCS_XENCTRL backend: libxenctrl polling (physinfo, domain info), loaded with dlopen. */
/* SPDX-License-Identifier: MIT */
/*
 * Nothing links against libxenctrl: libxenctrl.so.4.17 is loaded at open
 * and the few functions used are looked up by name, with the types of
 * Debian's <xenctrl.h> (libxen-dev 4.17).  A poll takes one sample:
 * xc_physinfo(), xc_domain_getinfolist() in batches of 1024 domains
 * (each batch starting after the last domain of the previous one), and
 * xc_numainfo() for per-node free memory when the library has it.  Polls
 * are spaced by their timeout: a poll less than timeout_ms after the
 * previous sample first waits for the rest of that time.
 *
 * libxenctrl reports no events, no tmem-freeable pages and no names
 * (those live in xenstore, out of scope): freeable is 0, names are "",
 * counters stay 0, and the state is exact whenever the host answers.
 * host.records counts the samples taken.  A failing call makes the
 * source DOWN; poll then reopens the interface once a second.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>

#include "sources/xcs_int.h"

#define XC_LIBRARY  "libxenctrl.so.4.17"
#define BATCH       1024u
#define MS          1000000ull
#define RETRY_NS    (1000 * MS)
#define PAGE_SHIFT  12

/* One domain of the last sample. */
struct xdom {
    uint32_t domid;
    bool dying;
    uint64_t tot, max, claim;
};

struct xc {
    void *lib;
    __typeof__(&xc_interface_open) open;
    __typeof__(&xc_interface_close) close;
    __typeof__(&xc_physinfo) physinfo;
    __typeof__(&xc_domain_getinfolist) getinfolist;
    __typeof__(&xc_numainfo) numainfo;      /* optional */
    xc_interface *xch;

    xc_domaininfo_t *batch;
    struct xdom *doms;
    unsigned int ndoms, cap;
    xc_physinfo_t pi;
    unsigned int nr_nodes;
    uint64_t node_free[XCS_MAX_NODES];
    xc_meminfo_t *mi;
    uint32_t *dist;

    bool sampled;
    uint64_t samples;
    uint64_t last_sample, next_retry;
};

/* ---- sampling ----------------------------------------------------------- */

static void numa(struct xc *x)
{
    unsigned int n = XCS_MAX_NODES, i;

    x->nr_nodes = 0;
    if (!x->numainfo)
        return;
    if (!x->mi) {
        x->mi = calloc(XCS_MAX_NODES, sizeof(*x->mi));
        x->dist = calloc(XCS_MAX_NODES * XCS_MAX_NODES, sizeof(*x->dist));
        if (!x->mi || !x->dist)
            return;
    }
    if (x->numainfo(x->xch, &n, x->mi, x->dist) != 0 || n > XCS_MAX_NODES)
        return;
    for (i = 0; i < n; i++)
        x->node_free[i] = x->mi[i].memfree >> PAGE_SHIFT;
    x->nr_nodes = n;
}

/* One sample.  0, or -errno with the failing call named in msg. */
static int sample(struct xc *x, char *msg, size_t len)
{
    uint32_t first = 0;
    unsigned int i;
    int n;

    if (x->physinfo(x->xch, &x->pi) != 0) {
        snprintf(msg, len, "xc_physinfo: %s", strerror(errno));
        return -(errno ? errno : EIO);
    }
    x->ndoms = 0;
    for (;;) {
        n = x->getinfolist(x->xch, first, BATCH, x->batch);
        if (n < 0) {
            snprintf(msg, len, "xc_domain_getinfolist: %s", strerror(errno));
            return -(errno ? errno : EIO);
        }
        if (x->ndoms + (unsigned int)n > x->cap) {
            unsigned int ncap = x->cap ? x->cap : BATCH;
            struct xdom *nd;

            while (ncap < x->ndoms + (unsigned int)n)
                ncap *= 2;
            nd = realloc(x->doms, (size_t)ncap * sizeof(*nd));
            if (!nd) {
                snprintf(msg, len, "out of memory");
                return -ENOMEM;
            }
            x->doms = nd;
            x->cap = ncap;
        }
        for (i = 0; i < (unsigned int)n; i++) {
            const xc_domaininfo_t *d = &x->batch[i];
            struct xdom *o = &x->doms[x->ndoms];

            /* Sorted by domid and no repeats, whatever the library. */
            if (x->ndoms && d->domain <= x->doms[x->ndoms - 1].domid)
                continue;
            o->domid = d->domain;
            o->dying = (d->flags & XEN_DOMINF_dying) != 0;
            o->tot = d->tot_pages;
            o->max = d->max_pages;
            o->claim = d->outstanding_pages;
            x->ndoms++;
        }
        if ((unsigned int)n < BATCH)
            break;
        first = (uint32_t)x->batch[n - 1].domain + 1;
    }
    numa(x);
    x->sampled = true;
    x->samples++;
    x->last_sample = xcs_mono_ns();
    return 0;
}

static int reopen(struct xc *x, char *msg, size_t len)
{
    if (x->xch)
        x->close(x->xch);
    x->xch = x->open(NULL, NULL, 0);
    if (!x->xch) {
        snprintf(msg, len, "xc_interface_open: %s", strerror(errno));
        return -(errno ? errno : EIO);
    }
    return 0;
}

static int xc_poll(struct xcs *s, int timeout_ms)
{
    struct xc *x = s->be;
    uint64_t now = xcs_mono_ns();
    uint64_t period = (uint64_t)timeout_ms * MS;
    uint64_t deadline = now + period;
    char msg[200];
    int rc;

    if (!x->xch) {
        if (now < x->next_retry) {
            xcs_sleep_until(deadline < x->next_retry ? deadline
                                                     : x->next_retry);
            if (xcs_mono_ns() < x->next_retry)
                return -XCS_ERR_DOWN;
        }
        rc = reopen(x, msg, sizeof(msg));
        if (rc < 0)
            goto down;
    } else if (x->sampled && now < x->last_sample + period) {
        xcs_sleep_until(x->last_sample + period);
    }
    rc = sample(x, msg, sizeof(msg));
    if (rc < 0)
        goto down;
    if (s->status != XCS_UP)
        xcs_set_status(s, XCS_UP, NULL);
    return 1;

down:
    if (x->xch) {
        x->close(x->xch);
        x->xch = NULL;
    }
    xcs_set_status(s, XCS_DOWN, "%s", msg);
    x->next_retry = xcs_mono_ns() + RETRY_NS;
    xcs_sleep_until(deadline);
    return -XCS_ERR_DOWN;
}

static int xc_fill(struct xcs *s, struct xcs_snapshot *snap)
{
    struct xc *x = s->be;
    struct xcs_host *h = &snap->host;
    unsigned int i;
    int rc;

    memset(h, 0, sizeof(*h));
    snap->nr_domains = 0;
    h->now_ns = x->last_sample;
    h->records = x->samples;
    if (!x->sampled)
        return 0;
    h->total_pages = x->pi.total_pages;
    h->free_pages = x->pi.free_pages;
    h->outstanding_pages = x->pi.outstanding_pages;
    h->exact = s->status == XCS_UP;
    h->nr_nodes = x->nr_nodes;
    memcpy(h->node_free, x->node_free, sizeof(h->node_free));
    rc = xcs_snap_reserve(snap, x->ndoms);
    if (rc < 0)
        return rc;
    for (i = 0; i < x->ndoms; i++) {
        struct xcs_domain *d = &snap->doms[i];

        memset(d, 0, sizeof(*d));
        d->domid = x->doms[i].domid;
        d->tot_pages = x->doms[i].tot;
        d->max_pages = x->doms[i].max;
        d->claim = x->doms[i].claim;
        d->dying = x->doms[i].dying;
    }
    snap->nr_domains = x->ndoms;
    return 0;
}

static size_t xc_memory(const struct xcs *s)
{
    const struct xc *x = s->be;

    return sizeof(*x) + BATCH * sizeof(*x->batch) +
           (size_t)x->cap * sizeof(*x->doms) +
           (x->mi ? XCS_MAX_NODES * sizeof(*x->mi) +
                    XCS_MAX_NODES * XCS_MAX_NODES * sizeof(*x->dist) : 0);
}

static void xc_close(struct xcs *s)
{
    struct xc *x = s->be;

    if (!x)
        return;
    if (x->xch)
        x->close(x->xch);
    if (x->lib)
        dlclose(x->lib);
    free(x->batch);
    free(x->doms);
    free(x->mi);
    free(x->dist);
    free(x);
    s->be = NULL;
}

static const struct xcs_ops xc_ops = {
    .poll = xc_poll,
    .fill = xc_fill,
    .memory = xc_memory,
    .close = xc_close,
};

/* Look up name in the library into *fn.  0 or -ENOENT. */
static int resolve(struct xc *x, const char *name, void *fn, char *err,
                   size_t errlen)
{
    void *p = dlsym(x->lib, name);

    if (!p) {
        snprintf(err, errlen, "%s: no %s", XC_LIBRARY, name);
        return -ENOENT;
    }
    memcpy(fn, &p, sizeof(p));
    return 0;
}

int xcs_xenctrl_open(struct xcs *s, char *err, size_t errlen)
{
    struct xc *x = calloc(1, sizeof(*x));
    const char *e;
    int rc;

    if (!x) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->be = x;
    s->ops = &xc_ops;
    s->live = true;
    snprintf(s->source, sizeof(s->source), "libxenctrl");
    x->batch = calloc(BATCH, sizeof(*x->batch));
    if (!x->batch) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    x->lib = dlopen(XC_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!x->lib) {
        e = dlerror();
        snprintf(err, errlen, "cannot load %s: %s", XC_LIBRARY,
                 e ? e : "unknown error");
        return -ENOENT;
    }
    rc = resolve(x, "xc_interface_open", &x->open, err, errlen);
    if (!rc)
        rc = resolve(x, "xc_interface_close", &x->close, err, errlen);
    if (!rc)
        rc = resolve(x, "xc_physinfo", &x->physinfo, err, errlen);
    if (!rc)
        rc = resolve(x, "xc_domain_getinfolist", &x->getinfolist, err,
                     errlen);
    if (rc < 0)
        return rc;
    if (resolve(x, "xc_numainfo", &x->numainfo, err, errlen) < 0)
        x->numainfo = NULL;
    if (err && errlen)
        err[0] = '\0';
    rc = reopen(x, err, errlen);
    if (rc < 0)
        return rc;
    rc = sample(x, err, errlen);
    if (rc < 0)
        return rc;
    xcs_set_status(s, XCS_UP, NULL);
    return 0;
}
