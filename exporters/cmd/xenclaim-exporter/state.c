/* state.c: the exporter's shared state: published snapshots (reference counted) and its own counters. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

int exp_state_init(struct exp_state *st, const struct exp_opts *o)
{
    memset(st, 0, sizeof(*st));
    st->opts = o;
    return -pthread_mutex_init(&st->lock, NULL);
}

static void box_free(struct exp_snapbox *b)
{
    if (!b)
        return;
    xcs_snapshot_release(&b->snap);
    free(b);
}

void exp_state_destroy(struct exp_state *st)
{
    box_free(st->cur);
    box_free(st->spare);
    st->cur = st->spare = NULL;
    pthread_mutex_destroy(&st->lock);
}

struct exp_snapbox *exp_snap_get(struct exp_state *st)
{
    struct exp_snapbox *b;

    pthread_mutex_lock(&st->lock);
    b = st->cur;
    if (b)
        b->refs++;
    pthread_mutex_unlock(&st->lock);
    return b;
}

/* Called with the lock held: b lost its last reference. */
static void retire(struct exp_state *st, struct exp_snapbox *b)
{
    if (!st->spare) {
        st->spare = b;          /* reused by the next publish */
        return;
    }
    box_free(b);
}

void exp_snap_put(struct exp_state *st, struct exp_snapbox *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&st->lock);
    if (--b->refs == 0)
        retire(st, b);
    pthread_mutex_unlock(&st->lock);
}

uint64_t exp_gen(struct exp_state *st)
{
    uint64_t g;

    pthread_mutex_lock(&st->lock);
    g = st->gen;
    pthread_mutex_unlock(&st->lock);
    return g;
}

void exp_self(struct exp_state *st, struct xce_self *self)
{
    uint64_t last = atomic_load(&st->last_event_ns);
    unsigned int i;

    memset(self, 0, sizeof(*self));
    self->have_source = atomic_load(&st->have_source);
    self->events = atomic_load(&st->events);
    self->last_event_age = last ? (double)(exp_mono_ns() - last) / 1e9 : -1;
    for (i = 0; i < XCE_NERR; i++)
        self->refused[i] = atomic_load(&st->refused[i]);
    for (i = 0; i < XCE_NFORMATS; i++)
        self->scrapes[i] = atomic_load(&st->scrapes[i]);
    self->http_errors = atomic_load(&st->http_errors);
    self->rw_enabled = st->opts->remote_write != NULL;
    self->rw_sent = atomic_load(&st->rw_sent);
    self->rw_dropped = atomic_load(&st->rw_dropped);
    self->rw_failed_requests = atomic_load(&st->rw_failed);
    self->rw_pending = atomic_load(&st->rw_pending);
    self->ev_enabled = st->opts->events_out || st->opts->events_socket;
    self->ev_records = atomic_load(&st->ev_records);
    self->ev_clients = atomic_load(&st->ev_clients);
    self->ev_dropped_clients = atomic_load(&st->ev_dropped_clients);
    self->source_memory = atomic_load(&st->source_memory);
}

int exp_collect(struct exp_state *st, struct xce_mset *ms, uint64_t *gen)
{
    struct exp_snapbox *b = exp_snap_get(st);
    struct xce_self self;
    int rc;

    exp_self(st, &self);
    rc = xce_collect(ms, b ? &b->snap : NULL, &self);
    if (gen)
        *gen = b ? b->gen : 0;
    exp_snap_put(st, b);
    return rc;
}
