/* xca_csv.c: the report of an analysis as CSV tables. */
/* SPDX-License-Identifier: MIT */
/*
 * One file, several tables.  Each table starts with a header row whose
 * first field is "kind"; every row of the table then starts with the
 * table's name: summary, timeline, domain, claim, refused_stake, denial,
 * alloc_failure, gap, issue.  Empty fields are unknown values.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "xca_int.h"

struct cctx {
    struct xca *a;
    FILE *f;
    int failed;
};

static double secs(const struct cctx *c, uint64_t tsc)
{
    return xca_seconds(c->a, tsc);
}

static void kv(struct cctx *c, const char *key, uint64_t v)
{
    fprintf(c->f, "summary,%s,%" PRIu64 "\n", key, v);
}

static void summary(struct cctx *c)
{
    const struct xca_summary *s = &c->a->s;
    unsigned int i;

    fputs("kind,key,value\n", c->f);
    kv(c, "records", s->records);
    kv(c, "xenclaim", s->xenclaim);
    kv(c, "foreign", s->foreign);
    kv(c, "other_mem", s->other_mem);
    for (i = 0; i < XCT_REPLAY_NREC - 1; i++) {
        const struct xct_event_desc *d = xct_event_desc_at(i);

        fprintf(c->f, "summary,event_%s,%" PRIu64 "\n", d ? d->name : "?",
                s->by_event[i]);
    }
    kv(c, "windows", s->windows);
    kv(c, "cpus", s->cpus);
    kv(c, "bytes", s->bytes);
    kv(c, "lost", s->lost);
    kv(c, "read_errors", s->read_errors);
    kv(c, "claims", s->lives);
    kv(c, "refused_stakes", s->stake_fails);
    kv(c, "denials", s->denials);
    kv(c, "alloc_failures", s->failed_allocs);
    kv(c, "gaps", s->gaps);
    kv(c, "issues", s->issues);
    kv(c, "issues_outside", s->issues_outside);
    fprintf(c->f, "summary,cpu_hz,%.17g\n", s->cpu_hz);
    fprintf(c->f, "summary,duration_s,%.9f\n", secs(c, s->last_tsc));
    fprintf(c->f, "summary,window_from_s,%.9f\n", secs(c, s->win_from));
    fprintf(c->f, "summary,window_to_s,%.9f\n", secs(c, s->win_to));
    if (s->low_free.valid) {
        fprintf(c->f, "summary,lowest_free,%" PRId64 "\n",
                s->low_free.value);
        fprintf(c->f, "summary,lowest_free_s,%.9f\n",
                secs(c, s->low_free.tsc));
    }
    if (s->low_headroom.valid) {
        fprintf(c->f, "summary,lowest_headroom,%" PRId64 "\n",
                s->low_headroom.value);
        fprintf(c->f, "summary,lowest_headroom_s,%.9f\n",
                secs(c, s->low_headroom.tsc));
    }
    if (s->high_outstanding.valid) {
        fprintf(c->f, "summary,highest_outstanding,%" PRId64 "\n",
                s->high_outstanding.value);
        fprintf(c->f, "summary,highest_outstanding_s,%.9f\n",
                secs(c, s->high_outstanding.tsc));
    }
}

static void timeline(struct cctx *c)
{
    static const char *const names[XCA_NSERIES] = {
        "free", "freeable", "outstanding", "headroom"
    };
    const struct xca_point *p;
    unsigned int n, i, k;

    fputs("kind,time_s", c->f);
    for (k = 0; k < XCA_NSERIES; k++)
        fprintf(c->f, ",%s_min,%s_max,%s_last", names[k], names[k],
                names[k]);
    fputs(",denials,uncertain\n", c->f);
    p = xca_timeline(c->a, &n, NULL);
    for (i = 0; p && i < n; i++) {
        fprintf(c->f, "timeline,%.9f", secs(c, p[i].tsc));
        for (k = 0; k < XCA_NSERIES; k++)
            fprintf(c->f, ",%" PRId64 ",%" PRId64 ",%" PRId64, p[i].min[k],
                    p[i].max[k], p[i].last[k]);
        fprintf(c->f, ",%u,%u\n", p[i].denials, p[i].uncertain);
    }
}

static int life(void *opaque, const struct xca_life *l)
{
    struct cctx *c = opaque;

    fprintf(c->f, "claim,%u,%.9f,%.9f,%s,%u,%" PRIu64 ",%" PRIu64 ",%u,%"
            PRIu64 ",%u,%u,%u,", l->domid, secs(c, l->start_tsc),
            secs(c, l->end_tsc), xca_end_name(l->end), l->staked, l->target,
            l->drawn, l->draws, l->regrown, l->left,
            !!(l->flags & XCA_LIFE_FROM_DUMP),
            !!(l->flags & XCA_LIFE_FREE_ONLY));
    if (l->draws)
        fprintf(c->f, "%.9f,%.9f,", secs(c, l->first_draw_tsc),
                secs(c, l->last_draw_tsc));
    else
        fputs(",,", c->f);
    fprintf(c->f, "%" PRIu64 "\n", l->offset);
    return 0;
}

static int domains(struct cctx *c)
{
    const struct xca_domain *d;
    int rc;

    fputs("kind,domid,stakes,cancelled,satisfied,deaths,destroyed,open,"
          "refused,denials,blocked,failed,pages_drawn,peak_claim,peak_tot,"
          "claim,tot_pages,max_pages\n", c->f);
    for (d = xca_domain_next(c->a, NULL); d; d = xca_domain_next(c->a, d))
        fprintf(c->f, "domain,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%" PRIu64
                ",%u,%u,%u,%u,%u\n", d->domid, d->stakes, d->cancelled,
                d->satisfied, d->deaths, d->destroyed, d->open, d->refused,
                d->denials, d->blocked, d->failed, d->pages_drawn,
                d->peak_claim, d->peak_tot, d->claim, d->tot_pages,
                d->max_pages);
    fputs("kind,domid,start_s,end_s,end,staked,target,drawn,draws,regrown,"
          "left,from_dump,free_only,first_draw_s,last_draw_s,offset\n",
          c->f);
    for (d = xca_domain_next(c->a, NULL); d; d = xca_domain_next(c->a, d)) {
        rc = xca_foreach_life(c->a, d->domid, life, c);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int stake_fail(void *opaque, const struct xca_stake_fail *s)
{
    struct cctx *c = opaque;
    int e = s->result < 0 && s->result > -4096 ? -s->result : 0;

    fprintf(c->f, "refused_stake,%.9f,%" PRIu64 ",%u,%s,%d,%" PRIu64 ",%u,",
            secs(c, s->tsc), s->offset, s->domid,
            e ? xct_errno_name(e) : "?", s->result, s->nr_pages,
            s->tot_pages);
    if (s->host_known)
        fprintf(c->f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", s->free,
                s->freeable, s->outstanding);
    else
        fputs(",,\n", c->f);
    return 0;
}

static int denial(void *opaque, const struct xca_denial *d)
{
    struct cctx *c = opaque;
    unsigned int i;

    if ((int)d->failed != c->failed)
        return 0;
    fprintf(c->f, "%s,%.9f,%" PRIu64 ",", d->failed ? "alloc_failure" :
            "denial", secs(c, d->tsc), d->offset);
    if (d->domid != XCT_DOMID_ANON)
        fprintf(c->f, "%u", d->domid);
    fprintf(c->f, ",%u,%" PRIu64 ",%u,", d->order,
            (uint64_t)1 << (d->order & 63), d->claim);
    if (d->host_known)
        fprintf(c->f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", d->free,
                d->freeable, d->outstanding);
    else
        fputs(",,,", c->f);
    fprintf(c->f, "%u,%" PRIu64 ",", d->nholders, d->held);
    for (i = 0; i < d->nshown; i++)
        fprintf(c->f, "%sd%u:%u", i ? " " : "", d->top[i].domid,
                d->top[i].claim);
    fputc('\n', c->f);
    return 0;
}

static int gap(void *opaque, const struct xca_gap *g)
{
    struct cctx *c = opaque;

    fprintf(c->f, "gap,%s,%" PRIu64 ",%u,", g->kind == XCA_GAP_LOST ? "lost" :
            g->kind == XCA_GAP_STOPPED ? "stopped" : "skipped", g->offset,
            g->cpu);
    if (g->from_tsc)
        fprintf(c->f, "%.9f", secs(c, g->from_tsc));
    fputc(',', c->f);
    if (g->to_tsc)
        fprintf(c->f, "%.9f", secs(c, g->to_tsc));
    fputc(',', c->f);
    if (g->until_tsc)
        fprintf(c->f, "%.9f", secs(c, g->until_tsc));
    fprintf(c->f, ",%" PRIu64 ",", g->lost);
    xca_csv_str(c->f, g->msg);
    fputc('\n', c->f);
    return 0;
}

static int issue(void *opaque, const struct xca_issue *i)
{
    struct cctx *c = opaque;

    fprintf(c->f, "issue,%" PRIu64 ",%.9f,%s,", i->offset, secs(c, i->tsc),
            xct_replay_issue_name(i->kind));
    if (i->domid != XCT_DOMID_ANON)
        fprintf(c->f, "%u", i->domid);
    fprintf(c->f, ",%" PRId64 ",%" PRId64 ",", i->expected, i->seen);
    xca_csv_str(c->f, i->msg);
    fputc('\n', c->f);
    return 0;
}

int xca_report_csv(struct xca *a, FILE *out)
{
    struct cctx c = { .a = a, .f = out };
    int rc;

    if (!a || !out)
        return -EINVAL;
    summary(&c);
    timeline(&c);
    rc = domains(&c);
    if (rc < 0)
        return rc;
    fputs("kind,time_s,offset,domid,errno,result,nr_pages,tot_pages,free,"
          "freeable,outstanding\n", out);
    rc = xca_foreach_stake_fail(a, stake_fail, &c);
    if (rc < 0)
        return rc;
    fputs("kind,time_s,offset,domid,order,pages,own_claim,free,freeable,"
          "outstanding,holders,held,blocked_by\n", out);
    rc = xca_foreach_denial(a, denial, &c);
    if (rc < 0)
        return rc;
    c.failed = 1;
    rc = xca_foreach_denial(a, denial, &c);
    if (rc < 0)
        return rc;
    fputs("kind,gap,offset,cpu,from_s,to_s,inexact_until_s,lost,message\n",
          out);
    rc = xca_foreach_gap(a, gap, &c);
    if (rc < 0)
        return rc;
    fputs("kind,offset,time_s,issue,domid,expected,seen,message\n", out);
    rc = xca_foreach_issue(a, issue, &c);
    if (rc < 0)
        return rc;
    return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
