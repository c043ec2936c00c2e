/* model.c: snapshots from a source, rates between them, the filtered and sorted view. */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void top_model_init(struct top_model *m)
{
    memset(m, 0, sizeof(*m));
}

void top_model_free(struct top_model *m)
{
    xcs_snapshot_release(&m->snap[0]);
    xcs_snapshot_release(&m->snap[1]);
    free(m->rows);
    free(m->view);
    memset(m, 0, sizeof(*m));
}

struct xcs_snapshot *top_model_spare(struct top_model *m)
{
    return &m->snap[m->have_cur ? !m->cur : m->cur];
}

void top_model_gap(struct top_model *m)
{
    m->gap = true;
}

const struct xcs_snapshot *top_model_current(const struct top_model *m)
{
    return m->have_cur ? &m->snap[m->cur] : NULL;
}

static bool status_live(enum xcs_status st)
{
    return st == XCS_UP || st == XCS_IDLE;
}

bool top_model_live(const struct top_model *m)
{
    const struct xcs_snapshot *s = top_model_current(m);

    return s && status_live(s->status);
}

/* (now - before) / dt, or -1 when the counter went back (a new domain). */
static double rate(uint64_t now, uint64_t before, double dt)
{
    if (dt <= 0 || now < before)
        return -1;
    return (double)(now - before) / dt;
}

static int grow(void **p, unsigned int *cap, unsigned int want, size_t size)
{
    void *n;
    unsigned int c = *cap ? *cap : 64;

    if (want <= *cap)
        return 0;
    while (c < want)
        c *= 2;
    n = realloc(*p, (size_t)c * size);
    if (!n)
        return -ENOMEM;
    *p = n;
    *cap = c;
    return 0;
}

static void host_figures(struct top_model *m, const struct xcs_snapshot *cur,
                         const struct xcs_snapshot *prev)
{
    const struct xcs_host *h = &cur->host;
    struct top_hostview *v = &m->host;
    uint64_t pool = h->free_pages + h->freeable_pages;
    double dt = 0;

    memset(v, 0, sizeof(*v));
    v->pool = pool;
    v->over_free = h->outstanding_pages > h->free_pages;
    /* Saturate rather than wrap: claims may exceed what is free. */
    if (pool >= h->outstanding_pages)
        v->headroom = pool - h->outstanding_pages > INT64_MAX ? INT64_MAX
                      : (int64_t)(pool - h->outstanding_pages);
    else
        v->headroom = h->outstanding_pages - pool > INT64_MAX ? INT64_MIN
                      : -(int64_t)(h->outstanding_pages - pool);
    v->stake_rate = v->denial_rate = v->refused_rate = -1;
    if (m->no_counters)
        return;
    if (prev && status_live(cur->status) && status_live(prev->status) &&
        h->now_ns > prev->host.now_ns)
        dt = (double)(h->now_ns - prev->host.now_ns) / 1e9;
    v->dt = dt;
    if (dt > 0) {
        v->stake_rate = rate(h->stakes, prev->host.stakes, dt);
        v->denial_rate = rate(h->denials, prev->host.denials, dt);
        v->refused_rate = rate(h->refused, prev->host.refused, dt);
    }
    v->denials_rising = prev && h->denials > prev->host.denials;
}

int top_model_commit(struct top_model *m)
{
    const struct xcs_snapshot *cur, *prev;
    unsigned int i, j = 0;

    if (m->have_cur) {
        m->cur = !m->cur;
        m->have_prev = true;
    }
    m->have_cur = true;
    m->frames++;
    cur = &m->snap[m->cur];
    prev = m->have_prev && !m->gap ? &m->snap[!m->cur] : NULL;
    m->gap = false;
    m->nrows = 0;
    m->nview = 0;
    host_figures(m, cur, prev);
    if (grow((void **)&m->rows, &m->caprows, cur->nr_domains,
             sizeof(*m->rows)) < 0)
        return -ENOMEM;

    for (i = 0; i < cur->nr_domains; i++) {
        const struct xcs_domain *d = &cur->doms[i];
        const struct xcs_domain *p = NULL;
        struct top_row *r = &m->rows[m->nrows++];
        uint64_t now = cur->host.now_ns;

        /* Both snapshots are sorted by domid: walk them together. */
        if (prev) {
            while (j < prev->nr_domains && prev->doms[j].domid < d->domid)
                j++;
            if (j < prev->nr_domains && prev->doms[j].domid == d->domid)
                p = &prev->doms[j];
        }
        r->d = d;
        r->counters = !m->no_counters;
        r->draw_rate = r->denial_rate = -1;
        r->denials_rising = r->counters && p && d->denials > p->denials;
        if (r->counters && p && m->host.dt > 0) {
            r->draw_rate = rate(d->pages_drawn, p->pages_drawn, m->host.dt);
            r->denial_rate = rate(d->denials, p->denials, m->host.dt);
        }
        r->share = m->host.pool ? (double)d->claim * 100.0 /
                                  (double)m->host.pool : -1;
        r->claim_age_ns = -1;
        if (d->claim && d->claim_since_ns && now >= d->claim_since_ns)
            r->claim_age_ns = (int64_t)(now - d->claim_since_ns);
        r->event_age_ns = -1;
        if (d->last_event_ns && now >= d->last_event_ns)
            r->event_age_ns = (int64_t)(now - d->last_event_ns);
    }
    return 0;
}

bool top_model_match(const struct top_row *r, const char *f)
{
    char id[16];

    if (!f || !*f)
        return true;
    snprintf(id, sizeof(id), "%" PRIu32, r->d->domid);
    return strcasestr(r->d->name, f) || strstr(id, f);
}

struct sort_ctx {
    const struct top_row *rows;
    top_row_cmp *cmp;
    bool reverse;
};

static int view_cmp(const void *a, const void *b, void *opaque)
{
    const struct sort_ctx *c = opaque;
    const struct top_row *x = &c->rows[*(const unsigned int *)a];
    const struct top_row *y = &c->rows[*(const unsigned int *)b];
    int r = c->cmp ? c->cmp(x, y) : 0;

    if (r)
        return c->reverse ? -r : r;
    /* Ties (and no column): by domid, always ascending. */
    return (x->d->domid > y->d->domid) - (x->d->domid < y->d->domid);
}

int top_model_view(struct top_model *m, top_row_cmp *cmp, bool reverse,
                   const char *filter)
{
    struct sort_ctx c = { m->rows, cmp, reverse };
    unsigned int i;

    m->nview = 0;
    if (grow((void **)&m->view, &m->capview, m->nrows,
             sizeof(*m->view)) < 0)
        return -ENOMEM;
    for (i = 0; i < m->nrows; i++)
        if (top_model_match(&m->rows[i], filter))
            m->view[m->nview++] = i;
    qsort_r(m->view, m->nview, sizeof(*m->view), view_cmp, &c);
    return (int)m->nview;
}

int top_model_find(const struct top_model *m, uint32_t domid)
{
    unsigned int i;

    for (i = 0; i < m->nview; i++)
        if (m->rows[m->view[i]].d->domid == domid)
            return (int)i;
    return -1;
}
