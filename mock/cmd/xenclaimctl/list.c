/* list.c: xenclaimctl list and claims, shaped like xl list / xl claims. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The mock's domains have one VCPU each. */
#define MOCK_VCPUS 1u

enum view { VIEW_LIST, VIEW_LONG, VIEW_CLAIMS };

static void fmt_uuid(const uint8_t h[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned int i, o = 0;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[h[i] >> 4];
        out[o++] = hex[h[i] & 15];
    }
    out[o] = '\0';
}

static void print_header(enum view v)
{
    printf("%-40s %5s %5s %5s %10s %9s", "Name", "ID", "Mem", "VCPUs",
           "State", "Time(s)");
    if (v == VIEW_LONG)
        printf(" %7s %7s  %s", "MaxMem", "Claimed", "UUID");
    if (v == VIEW_CLAIMS)
        printf(" %9s", "Claimed");
    putchar('\n');
}

static void print_row(enum view v, const struct hyp_dominfo *d)
{
    char state[8], uuid[40];

    printf("%-40s %5u %5" PRIu64 " %5u %10s %9.1f", d->name, d->domid,
           ctl_pages_to_mib(d->tot_pages + d->outstanding_pages),
           MOCK_VCPUS, ctl_fmt_state(d->flags, state),
           ctl_uptime(d->created_ns));
    if (v == VIEW_LONG) {
        fmt_uuid(d->handle, uuid);
        printf(" %7" PRIu64 " %7" PRIu64 "  %s",
               ctl_pages_to_mib(d->max_pages),
               ctl_pages_to_mib(d->outstanding_pages), uuid);
    }
    if (v == VIEW_CLAIMS)
        printf(" %9" PRIu64, ctl_pages_to_mib(d->outstanding_pages));
    putchar('\n');
}

/* "NAME_pages" and "NAME_bytes" members. */
static void json_size(struct ctl_json *j, const char *name, uint64_t pages)
{
    char key[64];

    snprintf(key, sizeof(key), "%s_pages", name);
    ctl_json_u64(j, key, pages);
    snprintf(key, sizeof(key), "%s_bytes", name);
    ctl_json_u64(j, key, ctl_pages_to_bytes(pages));
}

static void json_domain(struct ctl_json *j, const struct hyp_dominfo *d)
{
    char state[8], uuid[40];

    fmt_uuid(d->handle, uuid);
    ctl_json_obj(j, NULL);
    ctl_json_u64(j, "domid", d->domid);
    ctl_json_str(j, "name", d->name);
    ctl_json_str(j, "uuid", uuid);
    ctl_json_str(j, "state", ctl_fmt_state(d->flags, state));
    ctl_json_bool(j, "paused", d->flags & HYP_DOMF_PAUSED);
    ctl_json_bool(j, "dying", d->flags & HYP_DOMF_DYING);
    ctl_json_bool(j, "privileged", d->flags & HYP_DOMF_PRIV);
    ctl_json_u64(j, "vcpus", MOCK_VCPUS);
    json_size(j, "tot", d->tot_pages);
    json_size(j, "outstanding", d->outstanding_pages);
    json_size(j, "mem", d->tot_pages + d->outstanding_pages);
    json_size(j, "max", d->max_pages);
    ctl_json_num(j, "uptime_seconds", ctl_uptime(d->created_ns));
    ctl_json_close(j, '}');
}

static void print_json(enum view v, const struct hyp_dominfo *d, int n)
{
    struct ctl_json j;
    uint64_t claimed = 0;
    int i;

    for (i = 0; i < n; i++)
        claimed += d[i].outstanding_pages;
    ctl_json_begin(&j, stdout);
    if (v == VIEW_CLAIMS)
        json_size(&j, "outstanding_claims", claimed);
    ctl_json_arr(&j, "domains");
    for (i = 0; i < n; i++)
        json_domain(&j, &d[i]);
    ctl_json_close(&j, ']');
    ctl_json_end(&j);
}

/* The domains to show: all, or those named on the command line. */
static int gather(struct ctl *ctl, const struct ctl_opts *o,
                  struct hyp_dominfo **out, int *n)
{
    struct hyp_dominfo *v;
    uint32_t domid;
    int i, rc;

    if (!o->npos) {
        rc = ctl_all_domains(ctl_connect(ctl, o->cmd), out);
        if (rc < 0)
            return ctl_fail(o->cmd, rc, "domain info");
        *n = rc;
        return 0;
    }
    v = calloc((size_t)o->npos, sizeof(*v));
    if (!v)
        return ctl_fail(o->cmd, ENOMEM, "domain info");
    for (i = 0; i < o->npos; i++) {
        rc = ctl_resolve(ctl, o->cmd, o->pos[i], &domid);
        if (!rc) {
            rc = ctl_dominfo(ctl->xc, domid, &v[i]);
            if (rc < 0)
                rc = ctl_fail(ctl_what(o->cmd, domid), rc, "domain info");
        }
        if (rc) {
            free(v);
            return rc;
        }
    }
    *out = v;
    *n = o->npos;
    return 0;
}

static int show(struct ctl *ctl, int argc, char **argv, enum view v)
{
    enum { OPT_LONG = 1, OPT_JSON };
    static const struct ctl_opt list_opts[] = {
        { "long", 'l', false, OPT_LONG },
        { "json", 0, false, OPT_JSON },
        { NULL, 0, false, 0 },
    };
    static const struct ctl_opt claims_opts[] = {
        { "json", 0, false, OPT_JSON },
        { NULL, 0, false, 0 },
    };
    struct hyp_dominfo *d = NULL;
    struct ctl_opts o;
    const char *arg;
    bool json = false;
    int id, n = 0, i, rc;

    ctl_opts_init(&o, argc, argv, v == VIEW_CLAIMS ? claims_opts : list_opts);
    while ((id = ctl_opts_next(&o, &arg)) != CTL_OPT_END) {
        if (id == CTL_OPT_HELP)
            return ctl_opts_help(&o);
        if (id == CTL_OPT_BAD)
            return CTL_EXIT_USAGE;
        if (id == OPT_LONG)
            v = VIEW_LONG;
        else
            json = true;
    }
    rc = gather(ctl, &o, &d, &n);
    if (rc)
        return rc;
    if (json) {
        print_json(v, d, n);
    } else {
        print_header(v);
        for (i = 0; i < n; i++)
            print_row(v, &d[i]);
    }
    free(d);
    return CTL_EXIT_OK;
}

int cmd_list(struct ctl *ctl, int argc, char **argv)
{
    return show(ctl, argc, argv, VIEW_LIST);
}

int cmd_claims(struct ctl *ctl, int argc, char **argv)
{
    return show(ctl, argc, argv, VIEW_CLAIMS);
}
