/* state.c: xenclaimtop's frames: the source's snapshot into the model, its status, the view. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "top.h"

double top_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *top_status_word(const struct top *t)
{
    switch (t->st) {
    case XCS_STARTING:
        return "STARTING";
    case XCS_UP:
        return "UP";
    case XCS_IDLE:
        if (t->replay)
            return "END";
        return t->opt.src.follow ? "IDLE (following)" : "IDLE";
    case XCS_DOWN:
        return "DOWN";
    case XCS_FAILED:
        return "FAILED";
    }
    return "?";
}

bool top_sort_desc(const struct top *t)
{
    return t->sort->desc != t->reverse;
}

static bool status_live(enum xcs_status st)
{
    return st == XCS_UP || st == XCS_IDLE;
}

void top_refresh_view(struct top *t)
{
    int i;

    if (top_model_view(&t->model, t->sort->compare, top_sort_desc(t),
                       t->filter) < 0) {
        snprintf(t->note, sizeof(t->note), "out of memory: table not "
                 "shown");
        return;
    }
    i = top_model_find(&t->model, t->sel_domid);
    if (i >= 0)
        t->sel = (unsigned int)i;
}

/* What the source says now, without taking its figures. */
/* Figures that are no longer live have no rates. */
static void forget_rates(struct top_model *m)
{
    unsigned int i;

    m->host.stake_rate = m->host.denial_rate = m->host.refused_rate = -1;
    m->host.denials_rising = false;
    for (i = 0; i < m->nrows; i++) {
        m->rows[i].draw_rate = m->rows[i].denial_rate = -1;
        m->rows[i].denials_rising = false;
    }
}

/*
 * A stream on a file descriptor that closes has ended, like a file
 * replayed to its end: its figures are the state at its last record.
 */
static enum xcs_status normalise(const struct top *t, enum xcs_status st)
{
    if (st == XCS_DOWN && t->opt.src.kind == XCS_TRACE_FD)
        return XCS_IDLE;
    return st;
}

void top_note_status(struct top *t, enum xcs_status st, const char *msg)
{
    bool was_live = status_live(t->st);

    st = normalise(t, st);
    if (!status_live(st) && st != XCS_STARTING) {
        if (was_live || !t->down_seen)
            t->down_since = t->last_live ? t->last_live : top_now();
        t->down_seen = true;
        forget_rates(&t->model);
    }
    t->st = st;
    snprintf(t->st_msg, sizeof(t->st_msg), "%s", msg ? msg : "");
}

/*
 * A new frame: the source's figures become the model's only while the
 * source is live; otherwise the last live ones stay, marked stale.
 */
void top_take_snapshot(struct top *t)
{
    struct xcs_snapshot *sp = top_model_spare(&t->model);
    const char *msg = NULL;
    bool was_live = status_live(t->st);
    enum xcs_status st;
    int r;

    r = xcs_snapshot(t->src, sp);
    if (r < 0) {
        st = xcs_status(t->src, &msg);
        top_note_status(t, status_live(st) ? XCS_FAILED : st,
                        msg ? msg : strerror(-r));
        return;
    }
    snprintf(t->source, sizeof(t->source), "%s", sp->source);
    /*
     * No record and no domain (there is always dom0): the source has not
     * said anything yet, whatever its status.  Zeros are not figures.
     */
    st = normalise(t, sp->status);
    if (sp->nr_domains == 0 && sp->host.records == 0) {
        /* An ended replay with nothing in it stays without figures. */
        top_note_status(t, st == XCS_UP ? XCS_STARTING : st,
                        st == XCS_UP ? "no figures yet" : sp->message);
        return;
    }
    top_note_status(t, st, sp->message);
    if (!status_live(st))
        return;
    if (!was_live && t->model.have_cur)
        top_model_gap(&t->model);
    if (top_model_commit(&t->model) < 0)
        snprintf(t->note, sizeof(t->note), "out of memory: rows not shown");
    t->last_live = top_now();
    top_refresh_view(t);
}

