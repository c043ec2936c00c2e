/* detail.c: the detail view: one domain's figures and its recent claim events. */
/* SPDX-License-Identifier: MIT */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>

#include "top.h"

static const struct top_row *find_row(const struct top_model *m,
                                      uint32_t domid)
{
    unsigned int i;

    for (i = 0; i < m->nrows; i++)
        if (m->rows[i].d->domid == domid)
            return &m->rows[i];
    return NULL;
}

/* "label value" pairs on one line; returns the column after them. */
static int pair(struct top *t, int y, int x, int width, const char *label,
                enum top_look look, const char *value)
{
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "%s", label);
    return top_put(t, y, x, width, look, "%s", value);
}

static int figures(struct top *t, const struct top_row *r, int y,
                   int width)
{
    const struct xcs_domain *d = r->d;
    enum top_look num = t->st == XCS_UP || t->st == XCS_IDLE
                        ? TOP_LOOK_NORMAL : TOP_LOOK_DIM;
    char b[4][48];
    int x;

    x = top_put(t, y, 0, width, TOP_LOOK_TITLE, "Domain %" PRIu32 "  %s",
                d->domid, d->name[0] ? d->name : "(no name)");
    if (d->dying)
        top_put(t, y, x, width, TOP_LOOK_WARN, "  dying");
    y++;
    x = top_put(t, y, 0, width, TOP_LOOK_NORMAL, "  pages (%s):",
                top_unit_name(t->unit));
    x = pair(t, y, x, width, " tot ", num,
             top_fmt_pages(b[0], sizeof(b[0]), d->tot_pages, t->unit));
    x = pair(t, y, x, width, "  max ", num,
             top_fmt_pages(b[1], sizeof(b[1]), d->max_pages, t->unit));
    pair(t, y, x, width, "  claim ", d->claim && t->model.host.over_free ?
         TOP_LOOK_BAD : num,
         top_fmt_pages(b[2], sizeof(b[2]), d->claim, t->unit));
    y++;
    if (d->claim && !r->counters) {
        snprintf(b[3], sizeof(b[3]), "%.1f%%", r->share);
        pair(t, y, 0, width, "  claim: share of free+freeable ", num,
             r->share < 0 ? "-" : b[3]);
    } else if (d->claim) {
        snprintf(b[3], sizeof(b[3]), "%.1f%%", r->share);
        x = pair(t, y, 0, width, "  claim: staked ", num,
                 top_fmt_pages(b[0], sizeof(b[0]), d->claim_staked,
                               t->unit));
        x = pair(t, y, x, width, ", held for ", num,
                 top_fmt_age(b[1], sizeof(b[1]), r->claim_age_ns));
        pair(t, y, x, width, ", share of free+freeable ", num,
             r->share < 0 ? "-" : b[3]);
    } else {
        top_put(t, y, 0, width, TOP_LOOK_NORMAL, "  claim: none "
                "outstanding");
    }
    y++;
    if (!r->counters) {
        top_put(t, y, 0, width, TOP_LOOK_DIM, "  stakes, draws, denials: "
                "unknown (a polling source sees no events)");
        return y + 1;
    }
    snprintf(b[0], sizeof(b[0]), "%" PRIu64, d->pages_drawn);
    x = pair(t, y, 0, width, "  pages drawn from claims ", num, b[0]);
    pair(t, y, x, width, ", per second ", num,
         top_fmt_rate(b[1], sizeof(b[1]), r->draw_rate));
    y++;
    x = top_put(t, y, 0, width, TOP_LOOK_NORMAL, "  claims: stakes ");
    x = top_put(t, y, x, width, num, "%" PRIu64, d->stakes);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  cancels ");
    x = top_put(t, y, x, width, num, "%" PRIu64, d->cancels);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  drawn to 0 ");
    x = top_put(t, y, x, width, num, "%" PRIu64, d->drawn_full);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  deaths ");
    x = top_put(t, y, x, width, num, "%" PRIu64, d->deaths);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  refused ");
    top_put(t, y, x, width, num, "%" PRIu64, d->refused);
    y++;
    x = top_put(t, y, 0, width, TOP_LOOK_NORMAL, "  allocations: denials ");
    x = top_put(t, y, x, width, r->denials_rising ? TOP_LOOK_BAD : num,
                "%" PRIu64, d->denials);
    x = pair(t, y, x, width, " (per second ", num,
             top_fmt_rate(b[0], sizeof(b[0]), r->denial_rate));
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, ")  failed ");
    top_put(t, y, x, width, num, "%" PRIu64, d->failed);
    y++;
    if (d->last_event[0])
        top_put(t, y, 0, width, TOP_LOOK_NORMAL, "  last event: %s, %s "
                "ago", d->last_event,
                top_fmt_age(b[0], sizeof(b[0]), r->event_age_ns));
    else
        top_put(t, y, 0, width, TOP_LOOK_NORMAL, "  last event: none "
                "seen");
    return y + 1;
}

void top_detail_draw(struct top *t, int y, int height, int width)
{
    const struct xcs_snapshot *s = top_model_current(&t->model);
    const struct top_row *r = find_row(&t->model, t->detail_domid);
    const struct xcs_event *ev;
    int bottom = y + height, n;
    unsigned int i;
    char age[24];

    if (r) {
        y = figures(t, r, y, width);
    } else {
        top_put(t, y++, 0, width, TOP_LOOK_WARN, "Domain %" PRIu32
                " is not there any more (destroyed, or not yet seen)",
                t->detail_domid);
    }
    y++;
    if (y >= bottom)
        return;
    if (t->opt.src.kind == XCS_XENCTRL) {
        top_put(t, y, 0, width, TOP_LOOK_DIM, "Recent events: none (a "
                "polling source sees no events)");
        return;
    }
    top_put(t, y++, 0, width, TOP_LOOK_TITLE, "Recent events, newest "
            "first%s:", t->detail_scroll ? " (scrolled)" : "");
    n = 0;
    for (i = t->detail_scroll; y < bottom; i++, y++, n++) {
        ev = top_events_recent(&t->events, i);
        if (!ev)
            break;
        /* Events taken in after the snapshot count as just now. */
        if (s)
            top_fmt_age(age, sizeof(age), s->host.now_ns > ev->time_ns ?
                        (int64_t)(s->host.now_ns - ev->time_ns) : 0);
        else
            snprintf(age, sizeof(age), "?");
        top_put(t, y, 0, width, ev->kind == XCS_EV_DENIAL ||
                ev->kind == XCS_EV_REFUSED || ev->kind == XCS_EV_FAILED ?
                TOP_LOOK_WARN : TOP_LOOK_NORMAL, "  %8s ago  %-9s %s", age,
                xcs_event_kind_name(ev->kind), ev->text);
    }
    if (n == 0 && y < bottom)
        top_put(t, y, 0, width, TOP_LOOK_DIM, "  none since it was "
                "opened or kept (the last %u host events are kept)",
                t->events.all.cap);
}
