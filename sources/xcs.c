/* xcs.c: the xcs contract: open/close, poll, snapshots, events from the replay, the domain table. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xcs_int.h"
#include "xct_desc.h"

/* ---- time --------------------------------------------------------------- */

uint64_t xcs_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void xcs_sleep_until(uint64_t deadline_ns)
{
    struct timespec ts = {
        .tv_sec = (time_t)(deadline_ns / 1000000000ull),
        .tv_nsec = (long)(deadline_ns % 1000000000ull),
    };

    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

uint64_t xcs_tsc_ns(const struct xcs *s, uint64_t tsc)
{
    long double ns;

    if (s->cpu_hz == 1e9)
        return tsc;
    ns = (long double)tsc * 1e9L / (long double)s->cpu_hz;
    return ns >= 1.8e19L ? UINT64_MAX : (uint64_t)ns;
}

/* ---- status ------------------------------------------------------------- */

void xcs_set_status(struct xcs *s, enum xcs_status st, const char *fmt, ...)
{
    va_list ap;

    s->status = st;
    if (!fmt) {
        s->message[0] = '\0';
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s->message, sizeof(s->message), fmt, ap);
    va_end(ap);
}

const char *xcs_status_name(enum xcs_status st)
{
    switch (st) {
    case XCS_STARTING:
        return "starting";
    case XCS_UP:
        return "up";
    case XCS_IDLE:
        return "idle";
    case XCS_DOWN:
        return "down";
    case XCS_FAILED:
        return "failed";
    }
    return "?";
}

enum xcs_status xcs_status(const struct xcs *s, const char **message)
{
    if (!s) {
        if (message)
            *message = "no source";
        return XCS_FAILED;
    }
    if (message)
        *message = s->message;
    return s->status;
}

/* ---- domain table ------------------------------------------------------- */

struct xcs_dent *xcs_dent(struct xcs *s, uint32_t domid, bool create)
{
    struct xcs_domtab *t = &s->tab;
    unsigned int l = domid >> XCS_DT_LEAF_BITS;

    if (domid > XCT_REPLAY_MAX_DOMID)
        return NULL;
    if (!t->leaf[l]) {
        if (!create)
            return NULL;
        t->leaf[l] = calloc(XCS_DT_LEAF, sizeof(struct xcs_dent));
        if (!t->leaf[l])
            return NULL;
        t->nleaves++;
    }
    return &t->leaf[l][domid & (XCS_DT_LEAF - 1)];
}

int xcs_set_name(struct xcs *s, uint32_t domid, const char *name)
{
    struct xcs_dent *e = xcs_dent(s, domid, name != NULL);
    char *copy;

    if (!e)
        return name ? -ENOMEM : 0;
    if (!name) {
        free(e->name);
        e->name = NULL;
        return 0;
    }
    if (e->name && !strcmp(e->name, name))
        return 0;
    copy = strndup(name, XCS_NAME_MAX - 1);
    if (!copy)
        return -ENOMEM;
    free(e->name);
    e->name = copy;
    return 0;
}

void xcs_domtab_free(struct xcs_domtab *t)
{
    unsigned int l, i;

    for (l = 0; l < XCS_DT_LEAVES; l++) {
        if (!t->leaf[l])
            continue;
        for (i = 0; i < XCS_DT_LEAF; i++)
            free(t->leaf[l][i].name);
        free(t->leaf[l]);
        t->leaf[l] = NULL;
    }
    t->nleaves = 0;
}

size_t xcs_domtab_memory(const struct xcs_domtab *t)
{
    size_t b = (size_t)t->nleaves * XCS_DT_LEAF * sizeof(struct xcs_dent);
    unsigned int l, i;

    for (l = 0; l < XCS_DT_LEAVES; l++) {
        if (!t->leaf[l])
            continue;
        for (i = 0; i < XCS_DT_LEAF; i++)
            if (t->leaf[l][i].name)
                b += strlen(t->leaf[l][i].name) + 1;
    }
    return b;
}

/* ---- events from the replay --------------------------------------------- */

static const char *const kind_names[] = {
    [XCS_EV_STAKE] = "stake",
    [XCS_EV_REFUSED] = "refused",
    [XCS_EV_CANCEL] = "cancel",
    [XCS_EV_RELEASE] = "release",
    [XCS_EV_DRAW] = "draw",
    [XCS_EV_TOT_PAGES] = "tot_pages",
    [XCS_EV_DENIAL] = "denial",
    [XCS_EV_FAILED] = "failed",
    [XCS_EV_CREATED] = "created",
    [XCS_EV_DESTROYED] = "destroyed",
    [XCS_EV_DYING] = "dying",
    [XCS_EV_LOST] = "lost",
    [XCS_EV_DUMP] = "dump",
    [XCS_EV_ISSUE] = "issue",
};

const char *xcs_event_kind_name(enum xcs_event_kind k)
{
    if ((unsigned int)k >= sizeof(kind_names) / sizeof(kind_names[0]) ||
        !kind_names[k])
        return "?";
    return kind_names[k];
}

static void deliver(struct xcs *s, struct xcs_event *ev)
{
    struct xcs_dent *e;

    if (ev->domid != XCT_DOMID_ANON && ev->kind != XCS_EV_ISSUE &&
        ev->kind != XCS_EV_DESTROYED) {
        e = xcs_dent(s, ev->domid, true);
        if (e) {
            e->last_ns = ev->time_ns;
            e->last_kind = (uint8_t)(ev->kind + 1);
        }
    }
    if (s->cb)
        s->cb(s->cb_opaque, ev);
}

/* A domain appeared (created or listed by a dump): mark it. */
static void seen_domain(struct xcs *s, uint32_t domid)
{
    struct xcs_dent *e = xcs_dent(s, domid, true);

    if (!e)
        return;
    e->dump_gen = s->dump_gen;
    if (!e->name)
        s->new_domain = true;
}

/* The text only when someone reads it: formatting is most of the cost. */
#define TEXT(...)                                                            \
    do {                                                                    \
        if (s->cb)                                                          \
            snprintf(ev.text, sizeof(ev.text), __VA_ARGS__);                \
    } while (0)

static void on_replay_event(void *opaque, enum xct_replay_event what,
                            const struct xct_record *rec, uint64_t offset,
                            const struct xct_replay_dom *dom)
{
    struct xcs *s = opaque;
    struct xcs_event ev;
    struct xcs_dent *e;

    (void)offset;
    ev.err = 0;
    ev.pages = 0;
    ev.text[0] = '\0';
    ev.time_ns = xcs_tsc_ns(s, rec->tsc);
    ev.domid = dom ? dom->domid : XCT_DOMID_ANON;

    switch (what) {
    case XCT_REPLAY_EV_DUMP_START: {
        struct xct_ev_HEAP h;

        xct_dec_HEAP(rec->words, &h);
        s->in_dump = true;
        s->dump_gen++;
        s->inexact = false;
        ev.kind = XCS_EV_DUMP;
        ev.pages = (int64_t)h.free;
        TEXT("state dump: free %" PRIu64 ", freeable %" PRIu64
             ", outstanding %" PRIu64 " pages", h.free, h.freeable,
             h.outstanding);
        break;
    }
    case XCT_REPLAY_EV_DUMP_DOMAIN:
        if (dom)
            seen_domain(s, dom->domid);
        return;
    case XCT_REPLAY_EV_DUMP_END:
        s->in_dump = false;
        return;
    case XCT_REPLAY_EV_STAKE: {
        struct xct_ev_CLAIM c;

        xct_dec_CLAIM(rec->words, &c);
        ev.kind = XCS_EV_STAKE;
        ev.pages = c.claim;
        TEXT("d%" PRIu32 " staked a claim of %" PRIu32 " pages (target %"
             PRIu64 ", tot_pages %" PRIu32 ")%s", c.domid, c.claim,
             c.nr_pages, c.tot_pages,
             (c.flags & XCT_CLAIMF_FREE_ONLY) ? " free-only" : "");
        break;
    }
    case XCT_REPLAY_EV_STAKE_REFUSED: {
        struct xct_ev_CLAIM c;

        xct_dec_CLAIM(rec->words, &c);
        ev.kind = XCS_EV_REFUSED;
        ev.domid = c.domid;
        ev.err = -c.result;
        ev.pages = (int64_t)c.nr_pages;
        TEXT("d%" PRIu32 " claim to %" PRIu64 " pages refused: %s",
             c.domid, c.nr_pages, xct_errno_name(-c.result));
        break;
    }
    case XCT_REPLAY_EV_CANCEL: {
        struct xct_ev_CLAIM c;

        xct_dec_CLAIM(rec->words, &c);
        ev.kind = XCS_EV_CANCEL;
        TEXT("d%" PRIu32 " cancels its claim", c.domid);
        break;
    }
    case XCT_REPLAY_EV_RELEASE_CANCEL:
    case XCT_REPLAY_EV_RELEASE_DRAWN:
    case XCT_REPLAY_EV_RELEASE_DEATH: {
        struct xct_ev_CLAIM_RELEASE c;

        xct_dec_CLAIM_RELEASE(rec->words, &c);
        ev.kind = XCS_EV_RELEASE;
        ev.pages = c.pages;
        TEXT("d%" PRIu32 " claim released (%s), %" PRIu32 " pages left; "
             "host outstanding %" PRIu64, c.domid,
             xct_release_name(c.reason), c.pages, c.outstanding);
        break;
    }
    case XCT_REPLAY_EV_DRAW: {
        struct xct_ev_CLAIM_DRAW c;

        xct_dec_CLAIM_DRAW(rec->words, &c);
        ev.kind = XCS_EV_DRAW;
        ev.pages = c.drawn;
        TEXT("d%" PRIu32 " drew %" PRIu32 " pages from its claim "
             "(order %" PRIu32 "), %" PRIu32 " left", c.domid, c.drawn,
             c.order, c.claim);
        break;
    }
    case XCT_REPLAY_EV_TOT_PAGES:
    case XCT_REPLAY_EV_ASSIGN_FAILED: {
        struct xct_ev_TOT_PAGES t;

        xct_dec_TOT_PAGES(rec->words, &t);
        ev.kind = XCS_EV_TOT_PAGES;
        ev.pages = t.delta;
        if (what == XCT_REPLAY_EV_ASSIGN_FAILED)
            TEXT("d%" PRIu32 " assignment failed, claim consumed: "
                 "tot_pages %" PRIu32 ", claim %" PRIu32, t.domid,
                 t.tot_pages, t.claim);
        else
            TEXT("d%" PRIu32 " tot_pages %+" PRId64 " -> %" PRIu32
                 " (claim %" PRIu32 ", host free %" PRIu64 ")", t.domid,
                 t.delta, t.tot_pages, t.claim, t.free);
        break;
    }
    case XCT_REPLAY_EV_DENIAL:
    case XCT_REPLAY_EV_FAILED: {
        struct xct_ev_ALLOC_DENIED a;
        bool denial = what == XCT_REPLAY_EV_DENIAL;

        xct_dec_ALLOC_DENIED(rec->words, &a);
        ev.kind = denial ? XCS_EV_DENIAL : XCS_EV_FAILED;
        ev.domid = a.domid;
        ev.pages = a.order < 63 ? (int64_t)1 << a.order : 0;
        if (a.domid == XCT_DOMID_ANON)
            TEXT("anonymous allocation of order %" PRIu32 " %s",
                 a.order, denial ? "denied by claims" : "failed: no block");
        else
            TEXT("d%" PRIu32 " allocation of order %" PRIu32 " %s "
                 "(own claim %" PRIu32 ")", a.domid, a.order,
                 denial ? "denied by claims" : "failed: no block",
                 a.claim);
        break;
    }
    case XCT_REPLAY_EV_CREATED:
        if (dom)
            seen_domain(s, dom->domid);
        ev.kind = XCS_EV_CREATED;
        TEXT("d%" PRIu32 " created (max_pages %" PRIu32 ")", ev.domid,
             dom ? dom->max_pages : 0);
        break;
    case XCT_REPLAY_EV_DYING:
        ev.kind = XCS_EV_DYING;
        TEXT("d%" PRIu32 " dying (tot_pages %" PRIu32 ")", ev.domid,
             dom ? dom->tot_pages : 0);
        break;
    case XCT_REPLAY_EV_DESTROYED:
        ev.kind = XCS_EV_DESTROYED;
        TEXT("d%" PRIu32 " destroyed", ev.domid);
        e = xcs_dent(s, ev.domid, false);
        if (e) {
            free(e->name);
            memset(e, 0, sizeof(*e));
        }
        break;
    case XCT_REPLAY_EV_LOST:
        ev.kind = XCS_EV_LOST;
        ev.domid = XCT_DOMID_ANON;
        ev.pages = rec->nwords >= 1 ? rec->words[0] : 0;
        TEXT("%" PRId64 " records lost: state inexact until the next dump",
             ev.pages);
        break;
    default:        /* heap, max_pages, denial/failure host figures */
        return;
    }
    deliver(s, &ev);
}

static void on_replay_issue(void *opaque, const struct xct_replay_issue *is)
{
    struct xcs *s = opaque;
    struct xcs_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = XCS_EV_ISSUE;
    ev.time_ns = xcs_tsc_ns(s, is->tsc);
    ev.domid = is->domid;
    ev.pages = is->seen;
    snprintf(ev.text, sizeof(ev.text), "%s: %s",
             xct_replay_issue_name(is->kind), is->msg);
    deliver(s, &ev);
}

void xcs_note_issue(struct xcs *s, uint64_t tsc, const char *msg)
{
    struct xcs_event ev;

    s->extra_issues++;
    s->inexact = true;
    memset(&ev, 0, sizeof(ev));
    ev.kind = XCS_EV_ISSUE;
    ev.time_ns = xcs_tsc_ns(s, tsc);
    ev.domid = XCT_DOMID_ANON;
    snprintf(ev.text, sizeof(ev.text), "%s", msg);
    deliver(s, &ev);
}

void xcs_flush_gaps(struct xcs *s)
{
    if (!s->gap_pending)
        return;
    s->gap_pending = false;
    xcs_note_issue(s, s->last_tsc, s->gap_msg);
    s->extra_issues += s->gap_more;
    s->gap_more = 0;
}

void xcs_defer_issue(struct xcs *s, uint64_t off, const char *msg)
{
    if (s->gap_pending) {
        if (off >= s->gap_off) {
            s->gap_more++;
            return;
        }
        xcs_flush_gaps(s);
    }
    s->gap_pending = true;
    s->gap_off = off;
    snprintf(s->gap_msg, sizeof(s->gap_msg), "%s", msg);
}

int xcs_feed(struct xcs *s, const struct xct_record *rec, uint64_t off)
{
    if (rec->tsc > s->last_tsc)
        s->last_tsc = rec->tsc;
    if (s->gap_pending && off >= s->gap_off)
        xcs_flush_gaps(s);
    return xct_replay_feed(s->replay, rec, off);
}

/* ---- snapshots ---------------------------------------------------------- */

int xcs_snap_reserve(struct xcs_snapshot *snap, unsigned int n)
{
    struct xcs_domain *nd;
    unsigned int ncap;

    if (n <= snap->cap && snap->doms)
        return 0;
    /* Doubling for growth by one; the size asked for a jump. */
    ncap = snap->cap ? snap->cap * 2 : 16;
    if (ncap < n)
        ncap = n;
    nd = realloc(snap->doms, (size_t)ncap * sizeof(*nd));
    if (!nd)
        return -ENOMEM;
    snap->doms = nd;
    snap->cap = ncap;
    return 0;
}

static uint64_t sum_refused(const uint64_t *r)
{
    uint64_t n = 0;
    unsigned int i;

    for (i = 0; i < XCT_REPLAY_NERR; i++)
        n += r[i];
    return n;
}

/* Host and domains from the replay. */
static int fill_from_replay(struct xcs *s, struct xcs_snapshot *snap)
{
    const struct xct_replay_host *h = xct_replay_host(s->replay);
    const struct xct_replay_dom *d;
    struct xcs_host *o = &snap->host;
    unsigned int i, n = 0;
    int rc;

    memset(o, 0, sizeof(*o));
    o->total_pages = s->total_pages;
    o->free_pages = h->free;
    o->freeable_pages = h->freeable;
    /* A live source that is down no longer knows; a trace that ended
     * still knows its state as of its end. */
    o->exact = h->exact && !s->inexact && s->status != XCS_FAILED &&
               !(s->live && s->status == XCS_DOWN);
    /* Exact state knows every claim; else the last figure reported. */
    o->outstanding_pages = h->exact ? h->claims_sum : h->outstanding;
    for (i = 0; i < XCS_MAX_NODES && i < XCT_REPLAY_MAX_NODES; i++) {
        const struct xct_replay_node *nd = xct_replay_node(s->replay, i);

        if (!nd)
            continue;
        o->nr_nodes = i + 1;
        o->node_free[i] = nd->free;
    }
    o->stakes = h->n.stakes;
    o->refused = sum_refused(h->n.refused);
    o->denials = h->n.denials;
    o->denials_anon = h->n.denials_anon;
    o->failed = h->n.failed;
    o->records = h->n.records;
    o->foreign = h->n.foreign;
    o->lost = h->n.lost;
    o->issues = s->extra_issues;
    for (i = 0; i < XCT_REPLAY_NISSUES; i++)
        o->issues += h->n.issues[i];
    o->now_ns = s->live ? xcs_mono_ns() : xcs_tsc_ns(s, s->last_tsc);

    rc = xcs_snap_reserve(snap, h->domains);
    if (rc < 0)
        return rc;
    for (d = xct_replay_dom_next(s->replay, NULL); d;
         d = xct_replay_dom_next(s->replay, d)) {
        const struct xcs_dent *e = xcs_dent(s, d->domid, false);
        struct xcs_domain *x;

        /* During a dump, only what it listed so far is known to exist. */
        if (s->in_dump && (!e || e->dump_gen != s->dump_gen))
            continue;
        if (n == snap->cap) {
            rc = xcs_snap_reserve(snap, n + 1);
            if (rc < 0)
                return rc;
        }
        x = &snap->doms[n++];
        memset(x, 0, sizeof(*x));
        x->domid = d->domid;
        if (e && e->name)
            snprintf(x->name, sizeof(x->name), "%s", e->name);
        x->tot_pages = d->tot_pages;
        x->max_pages = d->max_pages;
        x->claim = d->claim;
        x->dying = d->dying;
        x->claim_since_ns = d->claim_tsc ? xcs_tsc_ns(s, d->claim_tsc) : 0;
        x->claim_staked = d->claim_staked;
        x->stakes = d->n.stakes;
        x->cancels = d->n.cancels;
        x->deaths = d->n.deaths;
        x->drawn_full = d->n.drawn_full;
        x->refused = sum_refused(d->n.refused);
        x->denials = d->n.denials;
        x->failed = d->n.failed;
        x->pages_drawn = d->n.pages_drawn;
        if (e && e->last_kind) {
            x->last_event_ns = e->last_ns;
            snprintf(x->last_event, sizeof(x->last_event), "%s",
                     xcs_event_kind_name(e->last_kind - 1));
        }
    }
    snap->nr_domains = n;
    return 0;
}

int xcs_snapshot(struct xcs *s, struct xcs_snapshot *snap)
{
    int rc;

    if (!s || !snap)
        return -EINVAL;
    if (s->ops->fill)
        rc = s->ops->fill(s, snap);
    else
        rc = fill_from_replay(s, snap);
    snap->status = s->status;
    snprintf(snap->source, sizeof(snap->source), "%s", s->source);
    snprintf(snap->message, sizeof(snap->message), "%s", s->message);
    return rc;
}

void xcs_snapshot_release(struct xcs_snapshot *snap)
{
    if (!snap)
        return;
    free(snap->doms);
    snap->doms = NULL;
    snap->cap = 0;
    snap->nr_domains = 0;
}

/* ---- the handle --------------------------------------------------------- */

static void seterr(char *err, size_t errlen, const char *fmt, const char *a)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a);
}

struct xcs *xcs_open(const struct xcs_opts *opts, char *err, size_t errlen)
{
    struct xcs *s;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!opts || (unsigned int)opts->kind > XCS_XENCTRL ||
        !(opts->speed >= 0) || !(opts->cpu_hz >= 0)) {
        seterr(err, errlen, "%s", "invalid options");
        errno = EINVAL;
        return NULL;
    }
    if ((opts->kind == XCS_TRACE_FILE && !opts->path) ||
        (opts->kind == XCS_TRACE_FD && opts->fd < 0)) {
        seterr(err, errlen, "%s", opts->kind == XCS_TRACE_FILE ?
               "a trace file needs a path" : "a trace stream needs an fd");
        errno = EINVAL;
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    s->opts = *opts;
    if (opts->path) {
        s->path = strdup(opts->path);
        if (!s->path)
            goto nomem;
        s->opts.path = s->path;
    }
    s->cpu_hz = opts->cpu_hz > 0 ? opts->cpu_hz : 1e9;
    s->status = XCS_STARTING;
    if (opts->kind != XCS_XENCTRL) {
        s->replay = xct_replay_new();
        if (!s->replay)
            goto nomem;
        xct_replay_set_event_cb(s->replay, on_replay_event, s);
        xct_replay_set_issue_cb(s->replay, on_replay_issue, s);
    }
    switch (opts->kind) {
    case XCS_TRACE_FILE:
    case XCS_TRACE_FD:
        rc = xcs_trace_open(s, err, errlen);
        break;
    case XCS_MOCK:
        rc = xcs_mock_open(s, err, errlen);
        break;
    default:
        rc = xcs_xenctrl_open(s, err, errlen);
        break;
    }
    if (rc < 0) {
        xcs_close(s);       /* the backend's close takes partial state */
        errno = -rc;
        return NULL;
    }
    return s;

nomem:
    seterr(err, errlen, "%s", "out of memory");
    xcs_close(s);
    errno = ENOMEM;
    return NULL;
}

void xcs_close(struct xcs *s)
{
    if (!s)
        return;
    if (s->ops && s->ops->close)
        s->ops->close(s);
    xct_replay_free(s->replay);
    xcs_domtab_free(&s->tab);
    free(s->path);
    free(s);
}

int xcs_poll(struct xcs *s, int timeout_ms)
{
    if (!s)
        return -EINVAL;
    return s->ops->poll(s, timeout_ms < 0 ? 0 : timeout_ms);
}

int xcs_step(struct xcs *s, unsigned int n)
{
    if (!s)
        return -EINVAL;
    if (!s->ops->step)
        return -EOPNOTSUPP;
    return s->ops->step(s, n);
}

void xcs_set_event_cb(struct xcs *s, xcs_event_fn *fn, void *opaque)
{
    if (!s)
        return;
    s->cb = fn;
    s->cb_opaque = opaque;
}

size_t xcs_memory(const struct xcs *s)
{
    size_t b;

    if (!s)
        return 0;
    b = sizeof(*s) + xcs_domtab_memory(&s->tab);
    if (s->replay)
        b += xct_replay_memory(s->replay);
    if (s->ops && s->ops->memory)
        b += s->ops->memory(s);
    return b;
}
