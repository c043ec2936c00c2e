/* xsc_run.c: the scenario runner, a discrete-event simulation. */
/* SPDX-License-Identifier: MIT */
/*
 * Single-threaded.  Every actor has a time at which its next step runs;
 * the step with the smallest (time, actor index) runs next, atomically,
 * and costs virtual time by the cost model.  An operation is one step,
 * except create, which is a domain builder of several: create, set
 * max_pages, claim, one step per populate hypercall, cancel the claim
 * (and destroy when the build failed).  Records written during a step
 * carry its start time, plus one nanosecond per record that would
 * otherwise share a time stamp.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xsc_int.h"

#define SP_ORDER    9
#define SP_PAGES    (1ULL << SP_ORDER)

enum build_step {
    B_CREATE,
    B_MAXMEM,
    B_CLAIM,
    B_POPULATE,
    B_CANCEL,
    B_DESTROY,      /* clean-up of a failed build */
};

struct actor_rt {
    const struct xsc_actor *a;
    unsigned int idx;
    struct hyp_caller caller;
    struct xsc_rng rng;
    size_t pc;                  /* next op */
    bool done, in_op;
    uint64_t next;              /* time of the next step */
    uint64_t prev_end;          /* end of the previous op */
    uint64_t anchor[XSC_MAX_DEPTH];
    uint64_t op_start;
    /* Resolved values of the current op. */
    uint64_t size, maxmem;
    /* Builder state. */
    size_t guest;
    enum build_step bs;
    uint64_t next_gfn, sp_end;
    uint64_t fb_lo, fb_hi;      /* order-0 fallback span */
};

struct run {
    const struct xsc_scenario *sc;
    const struct xsc_cost *cost;
    struct xsc_tw tw;
    struct actor_rt *ar;
    struct xsc_result *res;
    size_t guests_cap, failures_cap;
    uint64_t *gfns;
    size_t gfns_cap;
    int err;                    /* -errno that stops the run */
};

/* ---- bookkeeping -------------------------------------------------------- */

static struct xsc_guest *new_guest(struct run *r)
{
    struct xsc_result *res = r->res;
    struct xsc_guest *ng;

    if (res->nr_guests == r->guests_cap) {
        size_t cap = r->guests_cap ? 2 * r->guests_cap : 64;

        ng = realloc(res->guests, cap * sizeof(*ng));
        if (!ng) {
            r->err = -ENOMEM;
            return NULL;
        }
        res->guests = ng;
        r->guests_cap = cap;
    }
    ng = &res->guests[res->nr_guests++];
    memset(ng, 0, sizeof(*ng));
    return ng;
}

static void add_failure(struct run *r, struct actor_rt *ar,
                        const struct xsc_op *op, int err, uint64_t done,
                        uint64_t asked)
{
    struct xsc_result *res = r->res;
    struct xsc_failure *f;

    res->actors[ar->idx].failed++;
    if (res->nr_failures == r->failures_cap) {
        size_t cap = r->failures_cap ? 2 * r->failures_cap : 64;

        f = realloc(res->failures, cap * sizeof(*f));
        if (!f) {
            r->err = -ENOMEM;
            return;
        }
        res->failures = f;
        r->failures_cap = cap;
    }
    f = &res->failures[res->nr_failures++];
    memset(f, 0, sizeof(*f));
    f->actor = ar->idx;
    f->line = op->line;
    f->t = ar->next;
    f->kind = op->kind;
    snprintf(f->name, sizeof(f->name), "%s", op->name);
    f->err = err;
    f->done = done;
    f->asked = asked;
}

/* The live guest called name (created, not destroyed), or NULL. */
static struct xsc_guest *find_live(struct run *r, const char *name)
{
    size_t i = r->res->nr_guests;

    while (i-- > 0) {
        struct xsc_guest *g = &r->res->guests[i];

        if (g->domid && !g->destroyed && !strcmp(g->name, name))
            return g;
    }
    return NULL;
}

static uint64_t tot_pages(struct actor_rt *ar, uint32_t domid)
{
    struct hyp_dominfo di;

    if (hyp_domain_getinfo(&ar->caller, domid, 1, &di) == 1 &&
        di.domid == domid)
        return di.tot_pages;
    return 0;
}

static uint64_t *gfn_array(struct run *r, size_t n)
{
    uint64_t *g;

    if (n > r->gfns_cap) {
        g = realloc(r->gfns, n * sizeof(*g));
        if (!g) {
            r->err = -ENOMEM;
            return NULL;
        }
        r->gfns = g;
        r->gfns_cap = n;
    }
    return r->gfns;
}

static uint64_t hc(struct run *r, struct actor_rt *ar)
{
    r->res->actors[ar->idx].hypercalls++;
    return r->cost->hypercall;
}

/* ---- the domain builder ------------------------------------------------- */

static void build_start(struct run *r, struct actor_rt *ar,
                        const struct xsc_op *op)
{
    struct xsc_guest *g = new_guest(r);

    if (!g)
        return;
    ar->guest = r->res->nr_guests - 1;
    snprintf(g->name, sizeof(g->name), "%s", op->name);
    g->actor = ar->idx;
    g->pages = ar->size;
    g->max_pages = ar->maxmem;
    g->claim = op->claim == XSC_CLAIM_DEFAULT ? r->sc->host.claim
                                              : op->claim;
    g->outcome = XSC_BUILDING;
    g->t_start = ar->next;
    ar->bs = B_CREATE;
    ar->next_gfn = 0;
    ar->sp_end = g->pages & ~(SP_PAGES - 1);
    ar->fb_lo = ar->fb_hi = 0;
}

/* The build stops: outcome o; a failed one is destroyed next. */
static void build_fail(struct actor_rt *ar, struct xsc_guest *g,
                       enum xsc_outcome o, int err, bool destroy)
{
    g->outcome = o;
    g->err = err;
    if (destroy) {
        ar->bs = B_DESTROY;
    } else {
        g->t_end = ar->next;
        ar->bs = B_CREATE;  /* unused: the op is over */
    }
}

/* Populate count extents of 2^order pages from gfn; returns extents done. */
static long populate(struct run *r, struct actor_rt *ar, uint32_t domid,
                     unsigned int order, uint64_t gfn, uint64_t count)
{
    uint64_t *gfns = gfn_array(r, count), k;

    if (!gfns)
        return -ENOMEM;
    for (k = 0; k < count; k++)
        gfns[k] = gfn + (k << order);
    return hyp_populate_physmap(&ar->caller, domid, order, 0, gfns, count,
                                NULL);
}

/*
 * One populate hypercall.  Returns its cost; *failed when it did less
 * than asked at order 0.
 */
static uint64_t build_populate(struct run *r, struct actor_rt *ar,
                               struct xsc_guest *g, bool *failed, int *err)
{
    const struct xsc_cost *c = r->cost;
    uint64_t n, batch = r->sc->host.batch, cost = hc(r, ar);
    unsigned int order = 0;
    uint64_t gfn;
    long done;

    *failed = false;
    if (ar->fb_hi > ar->fb_lo) {
        gfn = ar->fb_lo;
        n = ar->fb_hi - ar->fb_lo;
        ar->fb_lo = ar->fb_hi = 0;
    } else if (ar->next_gfn < ar->sp_end) {
        order = SP_ORDER;
        gfn = ar->next_gfn;
        n = (ar->sp_end - gfn) >> SP_ORDER;
        if (n > batch)
            n = batch;
        ar->next_gfn += n << SP_ORDER;
    } else {
        gfn = ar->next_gfn;
        n = g->pages - gfn;
        if (n > batch << SP_ORDER)
            n = batch << SP_ORDER;
        ar->next_gfn += n;
    }
    done = populate(r, ar, g->domid, order, gfn, n);
    if (done < 0) {
        *failed = true;
        *err = (int)-done;
        return cost;
    }
    g->populated += (uint64_t)done << order;
    cost += (uint64_t)done * c->extent + ((uint64_t)done << order) * c->page;
    if ((uint64_t)done < n) {
        cost += c->extent;      /* the attempt that failed */
        if (order) {
            /* Fall back to 4 KiB pages for the rest of this batch. */
            ar->fb_lo = gfn + ((uint64_t)done << order);
            ar->fb_hi = gfn + (n << order);
        } else {
            *failed = true;
            *err = ENOMEM;
        }
    }
    return cost;
}

/* One step of a create op; *op_done when the op is over. */
static uint64_t build_step(struct run *r, struct actor_rt *ar,
                           const struct xsc_op *op, bool *op_done)
{
    const struct xsc_cost *c = r->cost;
    struct xsc_guest *g = &r->res->guests[ar->guest];
    uint64_t cost, tot;
    bool failed;
    int rc, err = 0;

    *op_done = false;
    /* Every step is one hypercall, but for the populate step's own count. */
    cost = ar->bs == B_POPULATE ? 0 : hc(r, ar);
    switch (ar->bs) {
    case B_CREATE:
        cost += c->create;
        rc = hyp_domain_create(&ar->caller, &g->domid, g->name);
        if (rc) {
            g->domid = 0;
            build_fail(ar, g, XSC_CREATE_FAILED, -rc, false);
            *op_done = true;
            break;
        }
        ar->bs = B_MAXMEM;
        break;
    case B_MAXMEM:
        rc = hyp_domain_setmaxmem(&ar->caller, g->domid, g->max_pages << 2);
        if (rc && g->destroyed) {
            build_fail(ar, g, XSC_DIED, -rc, false);
            *op_done = true;
            break;
        }
        if (rc) {
            build_fail(ar, g, XSC_SETUP_FAILED, -rc, true);
            break;
        }
        ar->bs = g->claim ? B_CLAIM : B_POPULATE;
        break;
    case B_CLAIM:
        rc = hyp_claim_pages(&ar->caller, g->domid, g->pages, 0);
        if (rc) {
            if (g->destroyed) {
                build_fail(ar, g, XSC_DIED, -rc, false);
                *op_done = true;
            } else {
                /* A refused claim fails at once: destroy the domain. */
                build_fail(ar, g, XSC_CLAIM_REFUSED, -rc, true);
            }
            break;
        }
        ar->bs = B_POPULATE;
        break;
    case B_POPULATE:
        if (ar->next_gfn >= g->pages && ar->fb_hi <= ar->fb_lo) {
            /* Every page is in: cancel the claim, or done. */
            if (g->claim) {
                ar->bs = B_CANCEL;
                return build_step(r, ar, op, op_done);
            }
            cost = 0;
            goto built;
        }
        cost = build_populate(r, ar, g, &failed, &err);
        if (!failed)
            break;
        if (g->destroyed) {
            build_fail(ar, g, XSC_DIED, err, false);
            *op_done = true;
        } else {
            build_fail(ar, g, g->populated ? XSC_HALF_BUILT
                                           : XSC_POPULATE_FAILED, err, true);
        }
        break;
    case B_CANCEL:
        rc = hyp_claim_pages(&ar->caller, g->domid, 0, 0);
        if (rc && g->destroyed) {
            build_fail(ar, g, XSC_DIED, -rc, false);
            *op_done = true;
            break;
        }
        goto built;
    case B_DESTROY:
        tot = tot_pages(ar, g->domid);
        cost += c->destroy + tot * c->free;
        rc = hyp_domain_destroy(&ar->caller, g->domid);
        if (!rc && !g->destroyed) {
            g->destroyed = 1;
            g->destroyed_by = ar->idx;
            g->t_destroyed = ar->next;
            g->tot_at_destroy = tot;
        }
        g->t_end = ar->next;
        *op_done = true;
        break;
    }
    return cost;

 built:
    if (g->destroyed) {
        /* Destroyed by another actor after its last page came in. */
        g->outcome = XSC_DIED;
        g->err = ESRCH;
    } else {
        g->outcome = XSC_BUILT;
    }
    g->t_end = ar->next;
    *op_done = true;
    return cost;
}

/* ---- operations --------------------------------------------------------- */

static void op_begin(struct run *r, struct actor_rt *ar,
                     const struct xsc_op *op)
{
    if (op->mark >= 0)
        ar->anchor[op->mark] = ar->next;
    ar->op_start = ar->next;
    ar->size = xsc_range_pick(&op->size, &ar->rng);
    if (op->kind == XSC_OP_CREATE) {
        ar->maxmem = op->maxmem.lo ? xsc_range_pick(&op->maxmem, &ar->rng)
                                   : ar->size;
        if (ar->maxmem < ar->size)
            ar->maxmem = ar->size;
        build_start(r, ar, op);
    }
}

/* Run one step of ar's current op; returns its cost. */
static uint64_t op_step(struct run *r, struct actor_rt *ar,
                        const struct xsc_op *op, bool *op_done)
{
    const struct xsc_cost *c = r->cost;
    struct xsc_guest *g = NULL;
    uint64_t cost, before, after, want;
    long n;
    int rc;

    if (op->kind == XSC_OP_CREATE)
        return build_step(r, ar, op, op_done);
    *op_done = true;
    if (op->kind == XSC_OP_WAIT)
        return ar->size;

    cost = hc(r, ar);
    switch (op->kind) {
    case XSC_OP_DESTROY:
    case XSC_OP_CLAIM:
    case XSC_OP_CANCEL:
    case XSC_OP_MEMSET:
    case XSC_OP_MEMMAX:
        g = find_live(r, op->name);
        if (!g) {
            add_failure(r, ar, op, ESRCH, 0, 0);
            return cost;
        }
        break;
    default:
        break;
    }
    switch (op->kind) {
    case XSC_OP_DESTROY:
        before = tot_pages(ar, g->domid);
        rc = hyp_domain_destroy(&ar->caller, g->domid);
        if (rc) {
            add_failure(r, ar, op, -rc, 0, 0);
            break;
        }
        g->destroyed = 1;
        g->destroyed_by = ar->idx;
        g->t_destroyed = ar->next;
        g->tot_at_destroy = before;
        cost += c->destroy + before * c->free;
        break;
    case XSC_OP_CLAIM:
    case XSC_OP_CANCEL:
        rc = hyp_claim_pages(&ar->caller, g->domid,
                             op->kind == XSC_OP_CLAIM ? ar->size : 0,
                             op->flags & XSC_FLAG_FREE_ONLY);
        if (rc)
            add_failure(r, ar, op, -rc, 0, 0);
        break;
    case XSC_OP_MEMSET:
        before = tot_pages(ar, g->domid);
        rc = hyp_domain_set_target(&ar->caller, g->domid, ar->size);
        after = tot_pages(ar, g->domid);
        if (after >= before)
            cost += (after - before) * (c->page + c->extent);
        else
            cost += (before - after) * c->free;
        if (rc) {
            want = ar->size > before ? ar->size - before : before - ar->size;
            add_failure(r, ar, op, -rc,
                        after > before ? after - before : before - after,
                        want);
        }
        break;
    case XSC_OP_MEMMAX:
        rc = hyp_domain_setmaxmem(&ar->caller, g->domid, ar->size << 2);
        if (rc)
            add_failure(r, ar, op, -rc, 0, 0);
        break;
    case XSC_OP_TMEM_PUT:
    case XSC_OP_TMEM_FLUSH:
        n = op->kind == XSC_OP_TMEM_PUT ? hyp_tmem_put(&ar->caller, ar->size)
                                        : hyp_tmem_flush(&ar->caller,
                                                         ar->size);
        if (n < 0)
            add_failure(r, ar, op, (int)-n, 0, ar->size);
        else if ((uint64_t)n < ar->size)
            add_failure(r, ar, op, 0, (uint64_t)n, ar->size);
        cost += (n > 0 ? (uint64_t)n : 0) * c->tmem;
        break;
    case XSC_OP_OFFLINE:
        n = hyp_offline_any(&ar->caller, ar->size);
        if (n < 0)
            add_failure(r, ar, op, (int)-n, 0, ar->size);
        else if ((uint64_t)n < ar->size)
            add_failure(r, ar, op, 0, (uint64_t)n, ar->size);
        cost += (n > 0 ? (uint64_t)n : 0) * c->offline;
        break;
    default:
        break;
    }
    return cost;
}

/* When ar's op pc starts, given when its previous op ended. */
static void schedule(struct actor_rt *ar)
{
    const struct xsc_op *op = &ar->a->ops[ar->pc];
    uint64_t t = xsc_range_pick(&op->t, &ar->rng), start = ar->prev_end;

    switch (op->when) {
    case XSC_WHEN_NEXT:
        break;
    case XSC_WHEN_AT:
        if (t > start)
            start = t;
        break;
    case XSC_WHEN_AFTER:
        start += t;
        break;
    case XSC_WHEN_EVERY:
        if (op->anchor >= 0 && ar->anchor[op->anchor] + t > start)
            start = ar->anchor[op->anchor] + t;
        break;
    }
    ar->next = start;
}

/* ---- the simulation ----------------------------------------------------- */

static int start_host(const struct xsc_scenario *sc)
{
    const struct xsc_host *h = &sc->host;
    struct hyp_config cfg;
    unsigned int i;
    uint64_t per;

    memset(&cfg, 0, sizeof(cfg));
    cfg.nr_nodes = h->nodes;
    per = h->memory / h->nodes;
    for (i = 0; i < h->nodes; i++)
        cfg.node_pages[i] = per;
    cfg.node_pages[h->nodes - 1] += h->memory - per * h->nodes;
    cfg.tmem_capacity = h->tmem;
    cfg.nr_cpus = h->cpus;
    cfg.dom0_pages = h->dom0;
    cfg.dom0_max_pages = h->dom0_max;
    cfg.xen_pages_per_domain = h->xen_pages;
    cfg.profile = h->profile;
    return hyp_init(&cfg);
}

/* Wall-clock milliseconds, for progress lines only (never in the trace). */
static uint64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void progress(struct run *r, bool last)
{
    char t[32];

    fprintf(stderr, "\r%s: %s virtual, %" PRIu64 " steps, %zu guests%s",
            r->sc->name, xsc_fmt_time(t, sizeof(t), r->tw.now),
            r->res->steps, r->res->nr_guests, last ? "\n" : "  ");
    fflush(stderr);
}

static void finish_result(struct run *r)
{
    struct xsc_result *res = r->res;
    struct hyp_caller c0 = { 0, 0 };
    struct hyp_dominfo di[64];
    uint32_t next = 0;
    int n, i;

    (void)hyp_physinfo(&c0, &res->phys);
    res->live_domains = 0;
    res->guest_pages = 0;
    for (;;) {
        n = hyp_domain_getinfo(&c0, next, 64, di);
        if (n <= 0)
            break;
        for (i = 0; i < n; i++) {
            res->live_domains++;
            if (di[i].domid)
                res->guest_pages += di[i].tot_pages;
        }
        next = di[n - 1].domid + 1;
    }
    res->records = r->tw.records;
    res->bytes = r->tw.bytes;
    res->windows = r->tw.windows;
}

int xsc_run(const struct xsc_scenario *sc, const struct xsc_run_opts *o,
            struct xsc_result **resp)
{
    struct hyp_caller c0 = { 0, 0 };
    struct run r;
    struct actor_rt *ar;
    const struct xsc_op *op;
    unsigned int i, best;
    bool op_done, shown = false;
    uint64_t cost, next_show = 0;
    int rc, crc;

    *resp = NULL;
    if (!o->trace_path)
        return -EINVAL;
    memset(&r, 0, sizeof(r));
    r.sc = sc;
    r.cost = &sc->cost;
    r.res = calloc(1, sizeof(*r.res));
    r.ar = calloc(sc->nr_actors, sizeof(*r.ar));
    if (r.res)
        r.res->actors = calloc(sc->nr_actors, sizeof(*r.res->actors));
    if (!r.res || !r.ar || !r.res->actors) {
        free(r.ar);
        xsc_result_free(r.res);
        return -ENOMEM;
    }
    r.res->nr_actors = sc->nr_actors;
    r.res->seed = o->seed_set ? o->seed : sc->host.seed;

    rc = start_host(sc);
    if (rc) {
        free(r.ar);
        xsc_result_free(r.res);
        return rc;
    }
    rc = xsc_tw_open(&r.tw, o->trace_path, sc->host.cpus);
    if (rc) {
        free(r.ar);
        r.res->trace_error = -rc;
        *resp = r.res;
        return rc;
    }
    hyp_set_trace(xsc_tw_sink, &r.tw, xsc_tw_clock, &r.tw);
    rc = hyp_trace_enable(&c0, true);
    if (rc)
        goto out;

    for (i = 0; i < sc->nr_actors; i++) {
        ar = &r.ar[i];
        ar->a = &sc->actors[i];
        ar->idx = i;
        ar->caller.domid = 0;
        ar->caller.cpu = ar->a->cpu >= 0 ? (unsigned int)ar->a->cpu
                                         : i % sc->host.cpus;
        xsc_rng_seed(&ar->rng, r.res->seed, i + 1);
        if (!ar->a->nr_ops)
            ar->done = true;
        else
            schedule(ar);
    }

    for (;;) {
        best = sc->nr_actors;
        for (i = 0; i < sc->nr_actors; i++) {
            if (r.ar[i].done)
                continue;
            if (best == sc->nr_actors || r.ar[i].next < r.ar[best].next)
                best = i;
        }
        if (best == sc->nr_actors)
            break;
        ar = &r.ar[best];
        op = &ar->a->ops[ar->pc];
        rc = xsc_tw_advance(&r.tw, ar->next);
        if (rc)
            break;
        if (!ar->in_op) {
            op_begin(&r, ar, op);
            ar->in_op = true;
        }
        cost = op_step(&r, ar, op, &op_done);
        if (r.err || r.tw.err) {
            rc = r.err ? r.err : -r.tw.err;
            break;
        }
        r.res->steps++;
        ar->next += cost;
        if (op_done) {
            ar->in_op = false;
            ar->prev_end = ar->next;
            r.res->actors[best].busy_ns += ar->next - ar->op_start;
            if (op->kind != XSC_OP_WAIT)
                r.res->actors[best].ops++;
            if (ar->next > r.res->end_ns)
                r.res->end_ns = ar->next;
            if (++ar->pc == ar->a->nr_ops)
                ar->done = true;
            else
                schedule(ar);
        }
        if (o->progress && !(r.res->steps & 0x3f) &&
            wall_ms() >= next_show) {
            progress(&r, false);
            shown = true;
            next_show = wall_ms() + 250;
        }
    }
    if (!rc) {
        /* The last records: at the time the last operation ended. */
        rc = xsc_tw_advance(&r.tw, r.res->end_ns);
    }
    if (shown)
        progress(&r, true);

 out:
    /* No record may reach the writer once it is closed. */
    hyp_set_trace(NULL, NULL, NULL, NULL);
    crc = xsc_tw_close(&r.tw);
    if (!rc)
        rc = crc;
    r.res->trace_error = r.tw.err;
    finish_result(&r);
    free(r.gfns);
    free(r.ar);
    *resp = r.res;
    return rc;
}

void xsc_result_free(struct xsc_result *res)
{
    if (!res)
        return;
    free(res->guests);
    free(res->failures);
    free(res->actors);
    free(res);
}
