/* events.h: recent claim events kept for the detail view: a ring for the host and one for the watched domain. */
/* SPDX-License-Identifier: MIT */
#ifndef TOP_EVENTS_H
#define TOP_EVENTS_H

#include <stdint.h>

#include "sources/xcs.h"

#define TOP_NO_DOMAIN UINT32_MAX

/* A ring of events: the newest cap are kept. */
struct top_ring {
    struct xcs_event *ev;
    unsigned int cap, head, count;  /* head: where the next one goes */
};

struct top_events {
    struct top_ring all;            /* every event */
    struct top_ring mine;           /* events of the watched domain */
    uint32_t watch;                 /* TOP_NO_DOMAIN: none */
    uint64_t seen;                  /* events taken in */
};

/*
 * Rings of cap_all and cap_watch events.  Returns 0 or -ENOMEM (then
 * nothing is held).
 */
int top_events_init(struct top_events *e, unsigned int cap_all,
                     unsigned int cap_watch);

/* Free the rings.  Accepts a zeroed struct. */
void top_events_free(struct top_events *e);

/* Keep ev (copied).  Suits xcs_set_event_cb() with e as opaque. */
void top_events_push(void *e, const struct xcs_event *ev);

/*
 * Watch domid (TOP_NO_DOMAIN: none): its ring starts with what the host
 * ring still holds of it.
 */
void top_events_watch(struct top_events *e, uint32_t domid);

/*
 * The i-th newest event of the watched domain (i = 0: the newest), or
 * NULL when there are not that many.
 */
const struct xcs_event *top_events_recent(const struct top_events *e,
                                          unsigned int i);

#endif /* TOP_EVENTS_H */
