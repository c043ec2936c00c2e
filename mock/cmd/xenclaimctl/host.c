/* host.c: xenclaimctl's host commands (info, physinfo, tmem, offline). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char *profile_name(uint32_t profile)
{
    switch (profile) {
    case HYP_PROFILE_UPSTREAM:
        return "upstream";
    case HYP_PROFILE_XEN417:
        return "xen-4.17";
    default:
        return "unknown";
    }
}

static int get_physinfo(struct ctl *ctl, const char *cmd,
                        struct hyp_physinfo *pi)
{
    int rc = xcm_physinfo(ctl_connect(ctl, cmd), pi);

    return rc < 0 ? ctl_fail(cmd, rc, "physinfo") : 0;
}

/* Free pages less outstanding claims, at least 0 (offlining may go below). */
static uint64_t unclaimed(const struct hyp_physinfo *pi)
{
    return pi->free_pages > pi->outstanding_pages ?
           pi->free_pages - pi->outstanding_pages : 0;
}

/* One line of xl info: the key left-aligned in 23 columns. */
static void info_line(const char *key, uint64_t v)
{
    printf("%-23s: %" PRIu64 "\n", key, v);
}

static void info_json(const struct hyp_physinfo *pi)
{
    struct ctl_json j;
    char key[64];
    unsigned int i;
    static const struct {
        const char *name;
        size_t off;
    } sizes[] = {
        { "total_memory", offsetof(struct hyp_physinfo, total_pages) },
        { "heap_free", offsetof(struct hyp_physinfo, free_pages) },
        { "outstanding_claims",
          offsetof(struct hyp_physinfo, outstanding_pages) },
        { "tmem_freeable_memory",
          offsetof(struct hyp_physinfo, freeable_pages) },
        { "offline", offsetof(struct hyp_physinfo, offline_pages) },
    };
    uint64_t v;

    ctl_json_begin(&j, stdout);
    ctl_json_u64(&j, "nr_cpus", pi->nr_cpus);
    ctl_json_u64(&j, "nr_nodes", pi->nr_nodes);
    ctl_json_str(&j, "profile", profile_name(pi->profile));
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memcpy(&v, (const char *)pi + sizes[i].off, sizeof(v));
        snprintf(key, sizeof(key), "%s_pages", sizes[i].name);
        ctl_json_u64(&j, key, v);
        snprintf(key, sizeof(key), "%s_bytes", sizes[i].name);
        ctl_json_u64(&j, key, ctl_pages_to_bytes(v));
    }
    /* As xl info's free_memory: free less outstanding claims. */
    ctl_json_u64(&j, "free_memory_pages", unclaimed(pi));
    ctl_json_u64(&j, "free_memory_bytes", ctl_pages_to_bytes(unclaimed(pi)));
    ctl_json_arr(&j, "nodes");
    for (i = 0; i < pi->nr_nodes && i < HYP_MAX_NODES; i++) {
        ctl_json_obj(&j, NULL);
        ctl_json_u64(&j, "node", i);
        ctl_json_u64(&j, "size_pages", pi->node_size[i]);
        ctl_json_u64(&j, "size_bytes", ctl_pages_to_bytes(pi->node_size[i]));
        ctl_json_u64(&j, "free_pages", pi->node_free[i]);
        ctl_json_u64(&j, "free_bytes", ctl_pages_to_bytes(pi->node_free[i]));
        ctl_json_close(&j, '}');
    }
    ctl_json_close(&j, ']');
    ctl_json_end(&j);
}

int cmd_info(struct ctl *ctl, int argc, char **argv)
{
    enum { OPT_JSON = 1 };
    static const struct ctl_opt opts[] = {
        { "json", 0, false, OPT_JSON },
        { NULL, 0, false, 0 },
    };
    static const char *const names[] = { "" };
    struct hyp_physinfo pi;
    struct ctl_opts o;
    const char *arg;
    bool json = false;
    int id, rc;

    ctl_opts_init(&o, argc, argv, opts);
    while ((id = ctl_opts_next(&o, &arg)) != CTL_OPT_END) {
        if (id == CTL_OPT_HELP)
            return ctl_opts_help(&o);
        if (id == CTL_OPT_BAD)
            return CTL_EXIT_USAGE;
        json = true;
    }
    if (ctl_opts_count(&o, 0, 0, names))
        return CTL_EXIT_USAGE;
    rc = get_physinfo(ctl, argv[0], &pi);
    if (rc)
        return rc;
    if (json) {
        info_json(&pi);
        return CTL_EXIT_OK;
    }
    info_line("nr_cpus", pi.nr_cpus);
    info_line("nr_nodes", pi.nr_nodes);
    info_line("total_memory", ctl_pages_to_mib(pi.total_pages));
    info_line("free_memory", ctl_pages_to_mib(unclaimed(&pi)));
    info_line("outstanding_claims", ctl_pages_to_mib(pi.outstanding_pages));
    info_line("tmem_freeable_memory", ctl_pages_to_mib(pi.freeable_pages));
    return CTL_EXIT_OK;
}

int cmd_physinfo(struct ctl *ctl, int argc, char **argv)
{
    struct hyp_physinfo pi;
    struct hyp_config cfg;
    struct ctl_opts o;
    unsigned int i;
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 0, 0, NULL);
    if (rc >= 0)
        return rc;
    rc = get_physinfo(ctl, argv[0], &pi);
    if (rc)
        return rc;
    printf("total_pages=%" PRIu64 "\n", pi.total_pages);
    printf("free_pages=%" PRIu64 "\n", pi.free_pages);
    printf("outstanding_pages=%" PRIu64 "\n", pi.outstanding_pages);
    printf("freeable_pages=%" PRIu64 "\n", pi.freeable_pages);
    printf("offline_pages=%" PRIu64 "\n", pi.offline_pages);
    printf("nr_nodes=%u\n", pi.nr_nodes);
    printf("nr_cpus=%u\n", pi.nr_cpus);
    for (i = 0; i < pi.nr_nodes && i < HYP_MAX_NODES; i++) {
        printf("node%u_pages=%" PRIu64 "\n", i, pi.node_size[i]);
        printf("node%u_free_pages=%" PRIu64 "\n", i, pi.node_free[i]);
    }
    printf("profile=%s\n", profile_name(pi.profile));
    if (!xcm_get_config(ctl->xc, &cfg)) {
        printf("xen_pages_per_domain=%u\n", cfg.xen_pages_per_domain);
        printf("tmem_capacity_pages=%" PRIu64 "\n", cfg.tmem_capacity);
    }
    printf("page_size=%u\n", CTL_PAGE_SIZE);
    return CTL_EXIT_OK;
}

/* Report a count operation that did fewer than asked. */
static int short_count(const char *what, long done, uint64_t asked,
                       const char *unit)
{
    fprintf(stderr, CTL_PROG ": %s: only %ld of %" PRIu64 " %s done\n", what,
            done, asked, unit);
    return CTL_EXIT_REFUSED;
}

int cmd_tmem(struct ctl *ctl, int argc, char **argv)
{
    static const char *const names[] = { "put|flush", "PAGES" };
    struct ctl_opts o;
    char what[32];
    uint64_t pages;
    bool put;
    long r;
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 2, 2, names);
    if (rc >= 0)
        return rc;
    put = !strcmp(o.pos[0], "put");
    if (!put && strcmp(o.pos[0], "flush"))
        return ctl_usage_error(argv[0], "unknown action '%s': put or flush",
                               o.pos[0]);
    rc = ctl_parse_pages(o.pos[1], &pages);
    if (rc)
        return ctl_bad_number(argv[0], "PAGES", o.pos[1], rc);
    if (pages > (uint64_t)INT64_MAX)
        return ctl_usage_error(argv[0], "bad PAGES '%s': too large",
                               o.pos[1]);
    snprintf(what, sizeof(what), "tmem %s", o.pos[0]);
    ctl_connect(ctl, argv[0]);
    r = put ? xcm_tmem_put(ctl->xc, pages) : xcm_tmem_flush(ctl->xc, pages);
    if (r < 0)
        return ctl_fail(what, (int)r, "%" PRIu64 " pages", pages);
    if ((uint64_t)r < pages)
        return short_count(what, r, pages, "pages");
    return CTL_EXIT_OK;
}

static int parse_mfn(const char *cmd, const char *s, uint64_t *mfn)
{
    int rc = ctl_parse_u64(s, true, mfn);

    return rc ? ctl_bad_number(cmd, "MFN", s, rc) : 0;
}

int cmd_offline(struct ctl *ctl, int argc, char **argv)
{
    enum { OPT_ANY = 1 };
    static const struct ctl_opt opts[] = {
        { "any", 'a', true, OPT_ANY },
        { NULL, 0, false, 0 },
    };
    static const char *const names[] = { "MFN or --any N" };
    const char *arg, *any = NULL;
    struct ctl_opts o;
    uint64_t v;
    long r;
    int id, rc;

    ctl_opts_init(&o, argc, argv, opts);
    while ((id = ctl_opts_next(&o, &arg)) != CTL_OPT_END) {
        if (id == CTL_OPT_HELP)
            return ctl_opts_help(&o);
        if (id == CTL_OPT_BAD)
            return CTL_EXIT_USAGE;
        any = arg;
    }
    if (ctl_opts_count(&o, any ? 0 : 1, any ? 0 : 1, names))
        return CTL_EXIT_USAGE;
    if (any) {
        rc = ctl_parse_pages(any, &v);
        if (rc)
            return ctl_bad_number(argv[0], "--any count", any, rc);
        r = xcm_offline_any(ctl_connect(ctl, argv[0]), v);
        if (r < 0)
            return ctl_fail("offline --any", (int)r, "%" PRIu64 " frames",
                            v);
        printf("%ld\n", r);
        if ((uint64_t)r < v)
            return short_count("offline --any", r, v, "frames");
        return CTL_EXIT_OK;
    }
    rc = parse_mfn(argv[0], o.pos[0], &v);
    if (rc)
        return rc;
    rc = xcm_page_offline(ctl_connect(ctl, argv[0]), v);
    return rc < 0 ? ctl_fail(argv[0], rc, "mfn 0x%" PRIx64, v) : CTL_EXIT_OK;
}

int cmd_online(struct ctl *ctl, int argc, char **argv)
{
    static const char *const names[] = { "MFN" };
    struct ctl_opts o;
    uint64_t mfn;
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 1, 1, names);
    if (rc >= 0)
        return rc;
    rc = parse_mfn(argv[0], o.pos[0], &mfn);
    if (rc)
        return rc;
    rc = xcm_page_online(ctl_connect(ctl, argv[0]), mfn);
    return rc < 0 ? ctl_fail(argv[0], rc, "mfn 0x%" PRIx64, mfn) : CTL_EXIT_OK;
}
