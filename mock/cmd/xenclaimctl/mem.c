/* mem.c: xenclaimctl claim, populate, mem-set and mem-max. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* hv/'s flag bit for a claim that counts only free pages. */
#define CLAIMF_FREE_ONLY 1u

int cmd_claim(struct ctl *ctl, int argc, char **argv)
{
    enum { OPT_FREE_ONLY = 1 };
    static const struct ctl_opt opts[] = {
        { "free-only", 0, false, OPT_FREE_ONLY },
        { NULL, 0, false, 0 },
    };
    static const char *const names[] = { "DOMID|NAME", "PAGES" };
    unsigned int flags = 0;
    struct ctl_opts o;
    const char *arg;
    uint64_t pages;
    uint32_t domid;
    int id, rc;

    ctl_opts_init(&o, argc, argv, opts);
    while ((id = ctl_opts_next(&o, &arg)) != CTL_OPT_END) {
        if (id == CTL_OPT_HELP)
            return ctl_opts_help(&o);
        if (id == CTL_OPT_BAD)
            return CTL_EXIT_USAGE;
        flags |= CLAIMF_FREE_ONLY;
    }
    if (ctl_opts_count(&o, 2, 2, names))
        return CTL_EXIT_USAGE;
    rc = ctl_parse_pages(o.pos[1], &pages);
    if (rc)
        return ctl_bad_number(argv[0], "PAGES", o.pos[1], rc);
    rc = ctl_resolve(ctl, argv[0], o.pos[0], &domid);
    if (rc)
        return rc;
    rc = xcm_claim_pages(ctl->xc, domid, pages, flags);
    if (rc < 0)
        return ctl_fail(ctl_what(argv[0], domid), rc, "%" PRIu64 " pages%s",
                        pages, flags ? " (free only)" : "");
    return CTL_EXIT_OK;
}

/* Populate nr extents of 2^order pages from gfn; *done: extents done. */
static long populate_range(struct xcm_client *xc, uint32_t domid,
                           unsigned int order, uint64_t gfn, uint64_t nr,
                           uint64_t *done)
{
    uint64_t *gfns, i, n;
    long r = 0;

    *done = 0;
    gfns = malloc(XCM_MAX_EXTENTS * sizeof(*gfns));
    if (!gfns)
        return -ENOMEM;
    while (*done < nr) {
        n = nr - *done;
        if (n > XCM_MAX_EXTENTS)
            n = XCM_MAX_EXTENTS;
        for (i = 0; i < n; i++)
            gfns[i] = gfn + ((*done + i) << order);
        r = xcm_populate_physmap(xc, domid, order, 0, gfns, n, NULL);
        if (r < 0)
            break;
        *done += (uint64_t)r;
        if ((uint64_t)r < n)
            break;
    }
    free(gfns);
    return r < 0 ? r : 0;
}

int cmd_populate(struct ctl *ctl, int argc, char **argv)
{
    enum { OPT_ORDER = 1, OPT_GFN };
    static const struct ctl_opt opts[] = {
        { "order", 'o', true, OPT_ORDER },
        { "gfn", 'g', true, OPT_GFN },
        { NULL, 0, false, 0 },
    };
    static const char *const names[] = { "DOMID|NAME", "PAGES" };
    const char *arg, *order_arg = NULL, *gfn_arg = NULL;
    uint64_t pages, order = 0, gfn = 0, ext, done;
    struct hyp_dominfo info;
    struct ctl_opts o;
    uint32_t domid;
    long r;
    int id, rc;

    ctl_opts_init(&o, argc, argv, opts);
    while ((id = ctl_opts_next(&o, &arg)) != CTL_OPT_END) {
        if (id == CTL_OPT_HELP)
            return ctl_opts_help(&o);
        if (id == CTL_OPT_BAD)
            return CTL_EXIT_USAGE;
        if (id == OPT_ORDER)
            order_arg = arg;
        else
            gfn_arg = arg;
    }
    if (ctl_opts_count(&o, 2, 2, names))
        return CTL_EXIT_USAGE;
    rc = ctl_parse_pages(o.pos[1], &pages);
    if (rc)
        return ctl_bad_number(argv[0], "PAGES", o.pos[1], rc);
    if (order_arg) {
        rc = ctl_parse_u64(order_arg, false, &order);
        if (rc)
            return ctl_bad_number(argv[0], "order", order_arg, rc);
        if (order > HYP_MAX_ORDER)
            return ctl_usage_error(argv[0], "bad order '%s': 0 to %u",
                                   order_arg, HYP_MAX_ORDER);
    }
    ext = 1ull << order;
    if (pages % ext)
        return ctl_usage_error(argv[0], "PAGES %" PRIu64 " is not a multiple "
                               "of the extent size (%" PRIu64 " pages)",
                               pages, ext);
    if (gfn_arg) {
        rc = ctl_parse_u64(gfn_arg, true, &gfn);
        if (rc)
            return ctl_bad_number(argv[0], "gfn", gfn_arg, rc);
        if (gfn % ext)
            return ctl_usage_error(argv[0], "gfn %s is not aligned to the "
                                   "extent size (%" PRIu64 " pages)",
                                   gfn_arg, ext);
    }
    rc = ctl_resolve(ctl, argv[0], o.pos[0], &domid);
    if (rc)
        return rc;
    if (!gfn_arg) {
        rc = ctl_dominfo(ctl->xc, domid, &info);
        if (rc < 0 && rc != -ESRCH)
            return ctl_fail(ctl_what(argv[0], domid), rc, "domain info");
        if (!rc)
            gfn = (info.tot_pages + ext - 1) & ~(ext - 1);
    }
    if (!pages)
        return CTL_EXIT_OK;
    r = populate_range(ctl->xc, domid, (unsigned int)order, gfn,
                       pages / ext, &done);
    if (r < 0 && !done)
        return ctl_fail(ctl_what(argv[0], domid), (int)r, "%" PRIu64 " pages "
                        "(order %" PRIu64 ") at gfn 0x%" PRIx64, pages,
                        order, gfn);
    if (done < pages / ext) {
        rc = ctl_dominfo(ctl->xc, domid, &info);
        return ctl_fail(ctl_what(argv[0], domid), r < 0 ? (int)r : ENOMEM,
                        "stopped after %" PRIu64 " of %" PRIu64 " extents "
                        "(order %" PRIu64 ") at gfn 0x%" PRIx64 "%s", done,
                        pages / ext, order, gfn + (done << order),
                        !rc && info.tot_pages + ext > info.max_pages ?
                        " (max_pages reached)" : "");
    }
    return CTL_EXIT_OK;
}

/* mem-set and mem-max: DOMID|NAME SIZE with a memory SIZE (MiB when bare). */
static int mem_cmd(struct ctl *ctl, int argc, char **argv, bool max)
{
    static const char *const names[] = { "DOMID|NAME", "SIZE" };
    struct ctl_opts o;
    char buf[32];
    uint64_t pages;
    uint32_t domid;
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 2, 2, names);
    if (rc >= 0)
        return rc;
    rc = ctl_parse_memory(o.pos[1], &pages);
    if (rc)
        return ctl_bad_number(argv[0], "SIZE", o.pos[1], rc);
    if (max && pages > UINT32_MAX)
        return ctl_usage_error(argv[0], "bad SIZE '%s': too large",
                               o.pos[1]);
    rc = ctl_resolve(ctl, argv[0], o.pos[0], &domid);
    if (rc)
        return rc;
    if (max)
        rc = xcm_domain_setmaxmem(ctl->xc, domid, pages * 4);
    else
        rc = xcm_domain_set_target(ctl->xc, domid, pages);
    if (rc < 0)
        return ctl_fail(ctl_what(argv[0], domid), rc, "to %s (%" PRIu64
                        " pages)", ctl_fmt_pages(pages, buf, sizeof(buf)),
                        pages);
    return CTL_EXIT_OK;
}

int cmd_mem_set(struct ctl *ctl, int argc, char **argv)
{
    return mem_cmd(ctl, argc, argv, false);
}

int cmd_mem_max(struct ctl *ctl, int argc, char **argv)
{
    return mem_cmd(ctl, argc, argv, true);
}
