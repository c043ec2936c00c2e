/* events.c: recent claim events kept for the detail view: a ring for the host and one for the watched domain. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

static int ring_init(struct top_ring *r, unsigned int cap)
{
    memset(r, 0, sizeof(*r));
    if (!cap)
        return 0;
    r->ev = calloc(cap, sizeof(*r->ev));
    if (!r->ev)
        return -ENOMEM;
    r->cap = cap;
    return 0;
}

static void ring_push(struct top_ring *r, const struct xcs_event *ev)
{
    if (!r->cap)
        return;
    r->ev[r->head] = *ev;
    r->head = (r->head + 1) % r->cap;
    if (r->count < r->cap)
        r->count++;
}

/* The i-th newest of r, or NULL. */
static const struct xcs_event *ring_get(const struct top_ring *r,
                                        unsigned int i)
{
    if (i >= r->count)
        return NULL;
    return &r->ev[(r->head + r->cap - 1 - i) % r->cap];
}

int top_events_init(struct top_events *e, unsigned int cap_all,
                     unsigned int cap_watch)
{
    memset(e, 0, sizeof(*e));
    e->watch = TOP_NO_DOMAIN;
    if (ring_init(&e->all, cap_all) < 0 ||
        ring_init(&e->mine, cap_watch) < 0) {
        top_events_free(e);
        return -ENOMEM;
    }
    return 0;
}

void top_events_free(struct top_events *e)
{
    free(e->all.ev);
    free(e->mine.ev);
    memset(e, 0, sizeof(*e));
    e->watch = TOP_NO_DOMAIN;
}

void top_events_push(void *opaque, const struct xcs_event *ev)
{
    struct top_events *e = opaque;

    e->seen++;
    ring_push(&e->all, ev);
    if (ev->domid == e->watch)
        ring_push(&e->mine, ev);
}

void top_events_watch(struct top_events *e, uint32_t domid)
{
    unsigned int i;

    e->watch = domid;
    e->mine.head = e->mine.count = 0;
    if (domid == TOP_NO_DOMAIN)
        return;
    /* Oldest first, so that the newest end up newest. */
    for (i = e->all.count; i-- > 0;) {
        const struct xcs_event *ev = ring_get(&e->all, i);

        if (ev->domid == domid)
            ring_push(&e->mine, ev);
    }
}

const struct xcs_event *top_events_recent(const struct top_events *e,
                                          unsigned int i)
{
    return ring_get(&e->mine, i);
}
