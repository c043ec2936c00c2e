/* poller.c: the thread that owns the source: opens it (retrying), polls it, counts its events and publishes snapshots. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exp.h"

#define EXP_REFRESH_NS 1000000000ull   /* publish at least this often */

struct poller {
    struct exp_state *st;
    struct exp_evout *ev;
    struct xcs *src;
};

/* Domain name of domid in the published snapshot (poller thread only:
 * it is the one that replaces st->cur, so cur cannot go away here). */
static const char *dom_name(struct exp_state *st, uint32_t domid)
{
    const struct exp_snapbox *b = st->cur;
    unsigned int lo = 0, hi;

    if (!b)
        return NULL;
    hi = b->snap.nr_domains;
    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;
        uint32_t d = b->snap.doms[mid].domid;

        if (d == domid)
            return b->snap.doms[mid].name;
        if (d < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void on_event(void *opaque, const struct xcs_event *ev)
{
    struct poller *p = opaque;
    struct exp_state *st = p->st;

    atomic_fetch_add(&st->events, 1);
    atomic_store(&st->last_event_ns, exp_mono_ns());
    if (ev->kind == XCS_EV_REFUSED)
        atomic_fetch_add(&st->refused[xce_errno_slot(ev->err)], 1);
    if (p->ev)
        exp_evout_event(p->ev, ev, dom_name(st, ev->domid));
}

/* Make b (one reference: st->cur's) the current snapshot. */
static void swap_in(struct exp_state *st, struct exp_snapbox *b)
{
    struct exp_snapbox *old, *drop = NULL;

    b->refs = 1;
    pthread_mutex_lock(&st->lock);
    b->gen = ++st->gen;
    old = st->cur;
    st->cur = b;
    if (old && --old->refs == 0) {
        if (!st->spare)
            st->spare = old;        /* reused by the next publish */
        else
            drop = old;
    }
    pthread_mutex_unlock(&st->lock);
    if (drop) {
        xcs_snapshot_release(&drop->snap);
        free(drop);
    }
}

/* Take a snapshot into a box and make it the current one. */
static int publish(struct poller *p)
{
    struct exp_state *st = p->st;
    struct exp_snapbox *b;
    int rc;

    pthread_mutex_lock(&st->lock);
    b = st->spare;
    st->spare = NULL;
    pthread_mutex_unlock(&st->lock);
    if (!b) {
        b = calloc(1, sizeof(*b));
        if (!b)
            return -ENOMEM;
    }
    rc = xcs_snapshot(p->src, &b->snap);
    if (rc < 0) {
        xcs_snapshot_release(&b->snap);
        free(b);
        return rc;
    }
    EXP_SET(st, source_memory, xcs_memory(p->src));
    swap_in(st, b);
    return 0;
}

/* A snapshot that says only "no source", published before one opens. */
static void publish_none(struct exp_state *st, const char *why)
{
    struct exp_snapbox *b = calloc(1, sizeof(*b));

    if (!b)
        return;
    b->snap.status = XCS_DOWN;
    snprintf(b->snap.message, sizeof(b->snap.message), "%s", why);
    swap_in(st, b);
}

static void sleep_ms(struct exp_state *st, int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    if (!atomic_load(&st->stop))
        nanosleep(&ts, NULL);
}

static void *run(void *arg)
{
    struct poller *p = arg;
    struct exp_state *st = p->st;
    const struct exp_opts *o = st->opts;
    uint64_t last_pub = 0, next_snap = 0, now;
    uint64_t poll_ns = (uint64_t)o->poll_ms * 1000000u;
    bool changed = true;
    int st_now;
    char err[256] = "";
    bool warned = false;
    const char *msg;
    int rc, last_status = -1;

    while (!atomic_load(&st->stop) && !p->src) {
        p->src = xcs_open(&o->src, err, sizeof(err));
        if (p->src)
            break;
        if (!warned)
            exp_log("cannot open the source (%s); retrying every second",
                    err);
        warned = true;
        publish_none(st, err);
        sleep_ms(st, 1000);
    }
    if (!p->src)
        return NULL;
    atomic_store(&st->have_source, true);
    xcs_set_event_cb(p->src, on_event, p);
    while (!atomic_load(&st->stop)) {
        rc = xcs_poll(p->src, o->poll_ms);
        now = exp_mono_ns();
        st_now = (int)xcs_status(p->src, &msg);
        if (rc > 0 || st_now != last_status)
            changed = true;
        if (st_now != last_status) {
            last_status = st_now;
            if (!o->quiet)
                exp_log("source %s%s%s", xce_status_name(last_status),
                        msg && *msg ? ": " : "", msg ? msg : "");
        }
        /*
         * A new snapshot (and so a new rendering of /metrics) when
         * something came in, at most once a poll interval; when nothing
         * did, once a second for the exporter's own figures.  Scrapes of
         * one snapshot share one rendered body.
         */
        if ((changed && now >= last_pub + poll_ns) ||
            now >= last_pub + EXP_REFRESH_NS) {
            if (publish(p) == 0) {
                last_pub = now;
                changed = false;
            }
        }
        if (p->ev) {
            if (now >= next_snap && st->cur) {
                exp_evout_snapshot(p->ev, &st->cur->snap);
                next_snap = now + (uint64_t)(o->events_snapshot_s * 1e9);
            }
            exp_evout_flush(p->ev);
        }
    }
    /* A last snapshot for the event stream's closing record. */
    publish(p);
    return NULL;
}

static struct poller the_poller;

int exp_poller_start(struct exp_state *st, struct exp_evout *ev,
                     pthread_t *thr)
{
    the_poller.st = st;
    the_poller.ev = ev;
    return -pthread_create(thr, NULL, run, &the_poller);
}

void exp_poller_close(void)
{
    xcs_close(the_poller.src);
    the_poller.src = NULL;
}
