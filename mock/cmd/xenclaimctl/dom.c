/* dom.c: xenclaimctl's DOMID|NAME lookup and simple domain commands. */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

int ctl_dominfo(struct xcm_client *xc, uint32_t domid,
                struct hyp_dominfo *info)
{
    int n = xcm_domain_getinfo(xc, domid, 1, info);

    if (n < 0)
        return n;
    if (n == 0 || info->domid != domid)
        return -ESRCH;
    return 0;
}

int ctl_all_domains(struct xcm_client *xc, struct hyp_dominfo **out)
{
    struct hyp_dominfo *v = NULL, *nv;
    unsigned int cap = 0, n = 0;
    uint32_t first = 0;
    int got;

    for (;;) {
        if (cap - n < XCM_MAX_DOMINFO) {
            cap = cap ? cap * 2 : XCM_MAX_DOMINFO;
            nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                free(v);
                return -ENOMEM;
            }
            v = nv;
        }
        got = xcm_domain_getinfo(xc, first, XCM_MAX_DOMINFO, v + n);
        if (got < 0) {
            free(v);
            return got;
        }
        n += (unsigned int)got;
        if ((unsigned int)got < XCM_MAX_DOMINFO)
            break;
        first = v[n - 1].domid + 1;
        if (first > CTL_MAX_DOMID)
            break;
    }
    *out = v;
    return (int)n;
}

int ctl_resolve(struct ctl *ctl, const char *cmd, const char *arg,
                uint32_t *domid)
{
    struct xcm_client *xc;
    struct hyp_dominfo info;
    char what[128];
    uint64_t v;
    int rc;

    if (arg[0] == '-' && isdigit((unsigned char)arg[1]))
        return ctl_usage_error(cmd, "bad domain '%s': negative numbers are "
                               "not allowed", arg);
    if (!*arg)
        return ctl_usage_error(cmd, "empty domain name");
    if (all_digits(arg)) {
        rc = ctl_parse_u64(arg, false, &v);
        if (rc || v > CTL_MAX_DOMID)
            return ctl_usage_error(cmd, "bad domain id '%s': the highest is "
                                   "%u", arg, CTL_MAX_DOMID);
        xc = ctl_connect(ctl, cmd);
        *domid = (uint32_t)v;
        /* An unprivileged caller cannot see others: let the call answer. */
        if (ctl->act_as && *domid != ctl->act_as)
            return 0;
        rc = ctl_dominfo(xc, *domid, &info);
        snprintf(what, sizeof(what), "%s d%u", cmd, *domid);
        if (rc == -ESRCH)
            return ctl_fail(what, ESRCH, "no such domain");
        return rc ? ctl_fail(what, rc, "domain info") : 0;
    }
    xc = ctl_connect(ctl, cmd);
    rc = xcm_domain_lookup(xc, arg);
    snprintf(what, sizeof(what), "%s '%s'", cmd, arg);
    if (rc == -ESRCH)
        return ctl_fail(what, ESRCH, "no such domain");
    if (rc < 0)
        return ctl_fail(what, rc, "domain lookup");
    *domid = (uint32_t)rc;
    return 0;
}

/* A command of one DOMID|NAME argument calling fn on it. */
static int one_domain(struct ctl *ctl, int argc, char **argv,
                      int (*fn)(struct xcm_client *xc, uint32_t domid,
                                const char **step))
{
    static const char *const names[] = { "DOMID|NAME" };
    struct ctl_opts o;
    const char *step = NULL;
    uint32_t domid;
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 1, 1, names);
    if (rc >= 0)
        return rc;
    rc = ctl_resolve(ctl, argv[0], o.pos[0], &domid);
    if (rc)
        return rc;
    rc = fn(ctl->xc, domid, &step);
    if (rc < 0)
        return ctl_fail(ctl_what(argv[0], domid), rc, "%s", step);
    return CTL_EXIT_OK;
}

static int do_destroy(struct xcm_client *xc, uint32_t domid,
                      const char **step)
{
    *step = "destroy";
    return xcm_domain_destroy(xc, domid);
}

static int do_pause(struct xcm_client *xc, uint32_t domid, const char **step)
{
    *step = "pause";
    return xcm_domain_pause(xc, domid, true);
}

static int do_unpause(struct xcm_client *xc, uint32_t domid,
                      const char **step)
{
    *step = "unpause";
    return xcm_domain_pause(xc, domid, false);
}

int cmd_destroy(struct ctl *ctl, int argc, char **argv)
{
    return one_domain(ctl, argc, argv, do_destroy);
}

int cmd_pause(struct ctl *ctl, int argc, char **argv)
{
    return one_domain(ctl, argc, argv, do_pause);
}

int cmd_unpause(struct ctl *ctl, int argc, char **argv)
{
    return one_domain(ctl, argc, argv, do_unpause);
}

int cmd_rename(struct ctl *ctl, int argc, char **argv)
{
    static const char *const names[] = { "DOMID|NAME", "NEWNAME" };
    struct ctl_opts o;
    uint32_t domid;
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 2, 2, names);
    if (rc >= 0)
        return rc;
    if (!*o.pos[1] || strlen(o.pos[1]) >= HYP_NAME_MAX)
        return ctl_usage_error(argv[0], "bad name '%s': 1 to %u bytes",
                               o.pos[1], HYP_NAME_MAX - 1);
    if (all_digits(o.pos[1]))
        return ctl_usage_error(argv[0], "bad name '%s': a name of digits "
                               "only would read as a domain id", o.pos[1]);
    rc = ctl_resolve(ctl, argv[0], o.pos[0], &domid);
    if (rc)
        return rc;
    rc = xcm_domain_rename(ctl->xc, domid, o.pos[1]);
    if (rc < 0)
        return ctl_fail(ctl_what(argv[0], domid), rc, "to '%s'", o.pos[1]);
    return CTL_EXIT_OK;
}

int cmd_domid(struct ctl *ctl, int argc, char **argv)
{
    static const char *const names[] = { "NAME" };
    struct ctl_opts o;
    char w[96];
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 1, 1, names);
    if (rc >= 0)
        return rc;
    rc = xcm_domain_lookup(ctl_connect(ctl, argv[0]), o.pos[0]);
    snprintf(w, sizeof(w), "%s '%s'", argv[0], o.pos[0]);
    if (rc == -ESRCH)
        return ctl_fail(w, ESRCH, "no such domain");
    if (rc < 0)
        return ctl_fail(w, rc, "domain lookup");
    printf("%d\n", rc);
    return CTL_EXIT_OK;
}

int cmd_domname(struct ctl *ctl, int argc, char **argv)
{
    static const char *const names[] = { "DOMID" };
    struct hyp_dominfo info;
    struct ctl_opts o;
    uint64_t v;
    int rc;

    rc = ctl_opts_simple(&o, argc, argv, 1, 1, names);
    if (rc >= 0)
        return rc;
    rc = ctl_parse_u64(o.pos[0], false, &v);
    if (rc)
        return ctl_bad_number(argv[0], "domain id", o.pos[0], rc);
    if (v > CTL_MAX_DOMID)
        return ctl_usage_error(argv[0], "bad domain id '%s': the highest is "
                               "%u", o.pos[0], CTL_MAX_DOMID);
    rc = ctl_dominfo(ctl_connect(ctl, argv[0]), (uint32_t)v, &info);
    if (rc < 0)
        return ctl_fail(ctl_what(argv[0], (uint32_t)v), rc,
                        rc == -ESRCH ? "no such domain" : "domain info");
    printf("%s\n", info.name);
    return CTL_EXIT_OK;
}
