/* xca_json.c: the report of an analysis as one JSON object. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "xca_int.h"

static const char *const series_names[XCA_NSERIES] = {
    "free", "freeable", "outstanding", "headroom"
};

static const char *const class_names[8] = {
    "gen", "sched", "dom0op", "hvm", "mem", "pv", "shadow", "hw"
};

struct jctx {
    struct xca *a;
    FILE *f;
    int n;                      /* items written in the current array */
    int failed;                 /* which denials the walk writes */
};

static double secs(const struct jctx *c, uint64_t tsc)
{
    return xca_seconds(c->a, tsc);
}

static void sep(struct jctx *c)
{
    fputs(c->n++ ? ",\n    " : "\n    ", c->f);
}

static void extreme(struct jctx *c, const char *key,
                    const struct xca_extreme *e)
{
    if (!e->valid) {
        fprintf(c->f, "    \"%s\": null,\n", key);
        return;
    }
    fprintf(c->f, "    \"%s\": {\"pages\": %" PRId64 ", \"time_s\": %.9f, "
            "\"tsc\": %" PRIu64 "},\n", key, e->value, secs(c, e->tsc),
            e->tsc);
}

static void figures(struct jctx *c, const char *key, const int64_t *v)
{
    fprintf(c->f, "    \"%s\": {\"free\": %" PRId64 ", \"freeable\": %"
            PRId64 ", \"outstanding\": %" PRId64 ", \"headroom\": %" PRId64
            "},\n", key, v[XCA_S_FREE], v[XCA_S_FREEABLE],
            v[XCA_S_OUTSTANDING], v[XCA_S_HEADROOM]);
}

static void head(struct jctx *c, const char *name)
{
    const struct xca_summary *s = &c->a->s;
    const struct xca_opts *o = &c->a->o;
    unsigned int i;
    int any;

    fputs("{\n  \"trace\": {\n    \"name\": ", c->f);
    xca_json_str(c->f, name ? name : "");
    fprintf(c->f, ",\n    \"records\": %" PRIu64 ",\n    \"xenclaim\": %"
            PRIu64 ",\n    \"foreign\": %" PRIu64 ",\n", s->records,
            s->xenclaim, s->foreign);
    fputs("    \"foreign_by_class\": {", c->f);
    for (i = 0, any = 0; i < 8; i++)
        if (s->by_class[i])
            fprintf(c->f, "%s\"%s\": %" PRIu64, any++ ? ", " : "",
                    class_names[i], s->by_class[i]);
    fprintf(c->f, "},\n    \"other_mem\": %" PRIu64 ",\n    \"by_event\": {",
            s->other_mem);
    for (i = 0; i < XCT_REPLAY_NREC - 1; i++) {
        const struct xct_event_desc *d = xct_event_desc_at(i);

        fprintf(c->f, "%s\"%s\": %" PRIu64, i ? ", " : "",
                d ? d->name : "?", s->by_event[i]);
    }
    fprintf(c->f, "},\n    \"windows\": %" PRIu64 ",\n    \"cpus\": %u,\n"
            "    \"bytes\": %" PRIu64 ",\n    \"file_size\": %" PRIu64 ",\n"
            "    \"wraps\": %" PRIu64 ",\n    \"cpu_hz\": %.17g,\n"
            "    \"first_tsc\": %" PRIu64 ",\n    \"last_tsc\": %" PRIu64
            ",\n    \"duration_s\": %.9f\n  },\n", s->windows, s->cpus,
            s->bytes, s->file_size, s->wraps, s->cpu_hz, s->first_tsc,
            s->last_tsc, secs(c, s->last_tsc));
    fprintf(c->f, "  \"window\": {\"whole\": %s, \"from_s\": %.9f, "
            "\"to_s\": %.9f, \"later_records_not_read\": %s},\n",
            o->has_from || o->has_to ? "false" : "true",
            secs(c, s->win_from), secs(c, s->win_to),
            s->past_window ? "true" : "false");
    fputs("  \"domain_filter\": ", c->f);
    if (o->ndomains) {
        fputc('[', c->f);
        for (i = 0; i < o->ndomains; i++)
            fprintf(c->f, "%s%u", i ? ", " : "", o->domains[i]);
        fputs("],\n", c->f);
    } else {
        fputs("null,\n", c->f);
    }
    fprintf(c->f, "  \"state\": {\"exact_start\": %s, \"exact_end\": %s, "
            "\"dumps\": %" PRIu64 ", \"lost\": %" PRIu64 ", "
            "\"lost_events\": %" PRIu64 ", \"read_errors\": %" PRIu64 ", "
            "\"skipped_bytes\": %" PRIu64 ", \"skipped_windows\": %" PRIu64
            ", \"stopped\": %s},\n", s->exact_start ? "true" : "false",
            s->exact_end ? "true" : "false", s->dumps, s->lost,
            s->lost_events, s->read_errors, s->skipped_bytes,
            s->skipped_windows, s->stopped ? "true" : "false");
}

static void host(struct jctx *c)
{
    const struct xca_summary *s = &c->a->s;
    const struct xca_point *p;
    unsigned int n, i, k;
    uint64_t w = 0;

    fputs("  \"host\": {\n", c->f);
    if (s->have_start) {
        figures(c, "start", s->start);
        figures(c, "end", s->end);
    } else {
        fputs("    \"start\": null,\n    \"end\": null,\n", c->f);
    }
    extreme(c, "lowest_free", &s->low_free);
    extreme(c, "lowest_headroom", &s->low_headroom);
    extreme(c, "highest_outstanding", &s->high_outstanding);
    fprintf(c->f, "    \"no_headroom_s\": %.9f\n  },\n",
            (double)s->no_headroom_ticks / s->cpu_hz);

    p = xca_timeline(c->a, &n, &w);
    fprintf(c->f, "  \"timeline\": {\"bucket_s\": %.9f, \"points\": [",
            (double)w / s->cpu_hz);
    c->n = 0;
    for (i = 0; p && i < n; i++) {
        sep(c);
        fprintf(c->f, "{\"time_s\": %.9f", secs(c, p[i].tsc));
        for (k = 0; k < XCA_NSERIES; k++)
            fprintf(c->f, ", \"%s\": {\"min\": %" PRId64 ", \"max\": %"
                    PRId64 ", \"last\": %" PRId64 "}", series_names[k],
                    p[i].min[k], p[i].max[k], p[i].last[k]);
        fprintf(c->f, ", \"denials\": %u, \"uncertain\": %s}",
                p[i].denials, p[i].uncertain ? "true" : "false");
    }
    fputs(c->n ? "\n  ]},\n" : "]},\n", c->f);
}

static int life(void *opaque, const struct xca_life *l)
{
    struct jctx *c = opaque;

    fputs(c->n++ ? ",\n        " : "\n        ", c->f);
    fprintf(c->f, "{\"start_s\": %.9f, \"end_s\": %.9f, \"end\": \"%s\", "
            "\"staked\": %u, \"target\": %" PRIu64 ", \"drawn\": %" PRIu64
            ", \"draws\": %u, \"regrown\": %" PRIu64 ", \"left\": %u, "
            "\"from_dump\": %s, \"seen_without_stake\": %s, "
            "\"free_only\": %s, ", secs(c, l->start_tsc),
            secs(c, l->end_tsc), xca_end_name(l->end), l->staked,
            l->target, l->drawn, l->draws, l->regrown, l->left,
            (l->flags & XCA_LIFE_FROM_DUMP) ? "true" : "false",
            (l->flags & XCA_LIFE_UNSEEN) ? "true" : "false",
            (l->flags & XCA_LIFE_FREE_ONLY) ? "true" : "false");
    if (l->draws)
        fprintf(c->f, "\"first_draw_s\": %.9f, \"last_draw_s\": %.9f, ",
                secs(c, l->first_draw_tsc), secs(c, l->last_draw_tsc));
    else
        fputs("\"first_draw_s\": null, \"last_draw_s\": null, ", c->f);
    fprintf(c->f, "\"duration_s\": %.9f, \"offset\": %" PRIu64 "}",
            secs(c, l->end_tsc) - secs(c, l->start_tsc), l->offset);
    return 0;
}

static int domains(struct jctx *c)
{
    const struct xca_domain *d;
    int first = 1, rc;

    fputs("  \"domains\": [", c->f);
    for (d = xca_domain_next(c->a, NULL); d; d = xca_domain_next(c->a, d)) {
        fprintf(c->f, "%s\n    {\"domid\": %u, \"stakes\": %u, "
                "\"cancelled\": %u, \"satisfied\": %u, \"deaths\": %u, "
                "\"destroyed\": %u, \"open\": %u, \"refused\": %u, "
                "\"denials\": %u, \"blocked\": %u, \"failed\": %u, "
                "\"created\": %u, \"dying\": %u, \"gone\": %u, "
                "\"pages_drawn\": %" PRIu64 ", \"peak_claim\": %u, "
                "\"peak_tot\": %u, \"claim\": %u, \"tot_pages\": %u, "
                "\"max_pages\": %u, \"claims\": [",
                first ? "" : ",", d->domid, d->stakes, d->cancelled,
                d->satisfied, d->deaths, d->destroyed, d->open, d->refused,
                d->denials, d->blocked, d->failed, d->created, d->dying,
                d->gone, d->pages_drawn, d->peak_claim, d->peak_tot,
                d->claim, d->tot_pages, d->max_pages);
        first = 0;
        c->n = 0;
        rc = xca_foreach_life(c->a, d->domid, life, c);
        if (rc < 0)
            return rc;
        fputs(c->n ? "\n    ]}" : "]}", c->f);
    }
    fputs(first ? "],\n" : "\n  ],\n", c->f);
    return 0;
}

static int stake_fail(void *opaque, const struct xca_stake_fail *s)
{
    struct jctx *c = opaque;
    int e = s->result < 0 && s->result > -4096 ? -s->result : 0;

    sep(c);
    fprintf(c->f, "{\"time_s\": %.9f, \"offset\": %" PRIu64 ", \"domid\": %u, "
            "\"errno\": \"%s\", \"result\": %d, \"nr_pages\": %" PRIu64
            ", \"tot_pages\": %u, \"claim\": %u, \"free_only\": %s, ",
            secs(c, s->tsc), s->offset, s->domid,
            e ? xct_errno_name(e) : "?", s->result, s->nr_pages,
            s->tot_pages, s->claim,
            (s->flags & XCT_CLAIMF_FREE_ONLY) ? "true" : "false");
    if (s->host_known)
        fprintf(c->f, "\"free\": %" PRIu64 ", \"freeable\": %" PRIu64
                ", \"outstanding\": %" PRIu64 "}", s->free, s->freeable,
                s->outstanding);
    else
        fputs("\"free\": null, \"freeable\": null, \"outstanding\": null}",
              c->f);
    return 0;
}

static int denial(void *opaque, const struct xca_denial *d)
{
    struct jctx *c = opaque;
    unsigned int i;

    if ((int)d->failed != c->failed)
        return 0;
    sep(c);
    fprintf(c->f, "{\"time_s\": %.9f, \"offset\": %" PRIu64 ", ",
            secs(c, d->tsc), d->offset);
    if (d->domid == XCT_DOMID_ANON)
        fputs("\"domid\": null, ", c->f);
    else
        fprintf(c->f, "\"domid\": %u, ", d->domid);
    fprintf(c->f, "\"order\": %u, \"pages\": %" PRIu64 ", \"memflags\": %u, "
            "\"own_claim\": %u, ", d->order,
            (uint64_t)1 << (d->order & 63), d->memflags, d->claim);
    if (d->host_known)
        fprintf(c->f, "\"free\": %" PRIu64 ", \"freeable\": %" PRIu64
                ", \"outstanding\": %" PRIu64 ", ", d->free, d->freeable,
                d->outstanding);
    else
        fputs("\"free\": null, \"freeable\": null, \"outstanding\": null, ",
              c->f);
    fprintf(c->f, "\"holders\": %u, \"held\": %" PRIu64 ", \"blocked_by\": [",
            d->nholders, d->held);
    for (i = 0; i < d->nshown; i++)
        fprintf(c->f, "%s{\"domid\": %u, \"claim\": %u}", i ? ", " : "",
                d->top[i].domid, d->top[i].claim);
    fputs("]}", c->f);
    return 0;
}

static int gap(void *opaque, const struct xca_gap *g)
{
    struct jctx *c = opaque;

    sep(c);
    fprintf(c->f, "{\"kind\": \"%s\", \"offset\": %" PRIu64 ", \"cpu\": %u, ",
            g->kind == XCA_GAP_LOST ? "lost" :
            g->kind == XCA_GAP_STOPPED ? "stopped" : "skipped", g->offset,
            g->cpu);
    if (g->from_tsc)
        fprintf(c->f, "\"from_s\": %.9f, ", secs(c, g->from_tsc));
    else
        fputs("\"from_s\": null, ", c->f);
    if (g->to_tsc)
        fprintf(c->f, "\"to_s\": %.9f, ", secs(c, g->to_tsc));
    else
        fputs("\"to_s\": null, ", c->f);
    if (g->until_tsc)
        fprintf(c->f, "\"inexact_until_s\": %.9f, ", secs(c, g->until_tsc));
    else
        fputs("\"inexact_until_s\": null, ", c->f);
    fprintf(c->f, "\"lost\": %" PRIu64 ", \"message\": ", g->lost);
    xca_json_str(c->f, g->msg);
    fputc('}', c->f);
    return 0;
}

static int issue(void *opaque, const struct xca_issue *i)
{
    struct jctx *c = opaque;

    sep(c);
    fprintf(c->f, "{\"offset\": %" PRIu64 ", \"time_s\": %.9f, \"kind\": "
            "\"%s\", \"event\": %u, ", i->offset, secs(c, i->tsc),
            xct_replay_issue_name(i->kind), i->event);
    if (i->domid == XCT_DOMID_ANON)
        fputs("\"domid\": null, ", c->f);
    else
        fprintf(c->f, "\"domid\": %u, ", i->domid);
    fprintf(c->f, "\"expected\": %" PRId64 ", \"seen\": %" PRId64
            ", \"message\": ", i->expected, i->seen);
    xca_json_str(c->f, i->msg);
    fputc('}', c->f);
    return 0;
}

/* "key": [ items from walk ], */
static int list(struct jctx *c, const char *key,
                int (*walk)(struct jctx *c), int last)
{
    int rc;

    fprintf(c->f, "  \"%s\": [", key);
    c->n = 0;
    rc = walk(c);
    if (rc < 0)
        return rc;
    fputs(c->n ? "\n  ]" : "]", c->f);
    fputs(last ? "\n" : ",\n", c->f);
    return 0;
}

static int walk_fails(struct jctx *c)
{
    return xca_foreach_stake_fail(c->a, stake_fail, c);
}

static int walk_denials(struct jctx *c)
{
    c->failed = 0;
    return xca_foreach_denial(c->a, denial, c);
}

static int walk_failures(struct jctx *c)
{
    c->failed = 1;
    return xca_foreach_denial(c->a, denial, c);
}

static int walk_gaps(struct jctx *c)
{
    return xca_foreach_gap(c->a, gap, c);
}

static int walk_issues(struct jctx *c)
{
    return xca_foreach_issue(c->a, issue, c);
}

int xca_report_json(struct xca *a, FILE *out, const char *name)
{
    struct jctx c = { .a = a, .f = out };
    const struct xca_summary *s;
    int rc;

    if (!a || !out)
        return -EINVAL;
    s = &a->s;
    head(&c, name);
    host(&c);
    rc = domains(&c);
    if (!rc)
        rc = list(&c, "refused_stakes", walk_fails, 0);
    if (!rc)
        rc = list(&c, "denials", walk_denials, 0);
    if (!rc)
        rc = list(&c, "alloc_failures", walk_failures, 0);
    if (!rc)
        rc = list(&c, "gaps", walk_gaps, 0);
    if (rc < 0)
        return rc;
    fprintf(out, "  \"counts\": {\"claims\": %" PRIu64
            ", \"refused_stakes\": %" PRIu64 ", \"denials\": %" PRIu64
            ", \"alloc_failures\": %" PRIu64 ", \"gaps\": %" PRIu64
            ", \"issues\": %" PRIu64 ", \"issues_outside\": %" PRIu64
            "},\n", s->lives,
            s->stake_fails, s->denials, s->failed_allocs, s->gaps,
            s->issues, s->issues_outside);
    rc = list(&c, "issues", walk_issues, 1);
    if (rc < 0)
        return rc;
    fputs("}\n", out);
    return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
