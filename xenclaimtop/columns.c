/* columns.c: the domain table's columns: one table of {id, title, width, priority, compare, print}. */
/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "columns.h"

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static int cmp_domid(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->d->domid, b->d->domid);
}

static int cmp_name(const struct top_row *a, const struct top_row *b)
{
    return strcasecmp(a->d->name, b->d->name);
}

static int cmp_tot(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->d->tot_pages, b->d->tot_pages);
}

static int cmp_max(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->d->max_pages, b->d->max_pages);
}

static int cmp_claim(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->d->claim, b->d->claim);
}

static int cmp_share(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->share, b->share);
}

/* Unknown ages (-1) sort below every known one. */
static int cmp_age(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->claim_age_ns, b->claim_age_ns);
}

static int cmp_draw(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->draw_rate, b->draw_rate);
}

static int cmp_denials(const struct top_row *a, const struct top_row *b)
{
    int r = CMP(a->d->denials, b->d->denials);

    return r ? r : CMP(a->denial_rate, b->denial_rate);
}

/* Most recent first when sorted "largest first": by the event's time. */
static int cmp_last(const struct top_row *a, const struct top_row *b)
{
    return CMP(a->d->last_event_ns, b->d->last_event_ns);
}

static void pr_domid(char *buf, size_t len, const struct top_row *r,
                     enum top_unit u)
{
    snprintf(buf, len, "%" PRIu32, r->d->domid);
}

static void pr_name(char *buf, size_t len, const struct top_row *r,
                    enum top_unit u)
{
    const char *n = r->d->name[0] ? r->d->name : "-";
    size_t i;

    snprintf(buf, len, "%s%s", n, r->d->dying ? " (dying)" : "");
    /* Names come from outside: nothing that moves the cursor. */
    for (i = 0; buf[i]; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
}

static void pr_tot(char *buf, size_t len, const struct top_row *r,
                   enum top_unit u)
{
    top_fmt_pages(buf, len, r->d->tot_pages, u);
}

static void pr_max(char *buf, size_t len, const struct top_row *r,
                   enum top_unit u)
{
    top_fmt_pages(buf, len, r->d->max_pages, u);
}

static void pr_claim(char *buf, size_t len, const struct top_row *r,
                     enum top_unit u)
{
    top_fmt_pages(buf, len, r->d->claim, u);
}

static void pr_share(char *buf, size_t len, const struct top_row *r,
                     enum top_unit u)
{
    if (r->share < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f", r->share);
}

static void pr_age(char *buf, size_t len, const struct top_row *r,
                   enum top_unit u)
{
    top_fmt_age(buf, len, r->claim_age_ns);
}

static void pr_draw(char *buf, size_t len, const struct top_row *r,
                    enum top_unit u)
{
    double v = r->draw_rate;

    top_fmt_rate(buf, len, v < 0 ? v : top_unit_value(v, u));
}

static void pr_denials(char *buf, size_t len, const struct top_row *r,
                       enum top_unit u)
{
    if (r->counters)
        snprintf(buf, len, "%" PRIu64, r->d->denials);
    else
        snprintf(buf, len, "-");
}

static void pr_last(char *buf, size_t len, const struct top_row *r,
                    enum top_unit u)
{
    char age[24];

    if (!r->d->last_event[0]) {
        snprintf(buf, len, "-");
        return;
    }
    if (r->event_age_ns < 0)
        snprintf(buf, len, "%s", r->d->last_event);
    else
        snprintf(buf, len, "%s %s ago", r->d->last_event,
                 top_fmt_age(age, sizeof(age), r->event_age_ns));
}

const struct top_col top_cols[TOP_NCOLS] = {
    [TOP_COL_DOMID] = { TOP_COL_DOMID, "DOMID", "domid", 5, 5, 0,
                        false, false, cmp_domid, pr_domid },
    [TOP_COL_NAME] = { TOP_COL_NAME, "NAME", "name", 8, 24, 1,
                       true, false, cmp_name, pr_name },
    [TOP_COL_TOT] = { TOP_COL_TOT, "TOT", "tot", 10, 10, 3,
                      false, true, cmp_tot, pr_tot },
    [TOP_COL_MAX] = { TOP_COL_MAX, "MAX", "max", 10, 10, 7,
                      false, true, cmp_max, pr_max },
    [TOP_COL_CLAIM] = { TOP_COL_CLAIM, "CLAIM", "claim", 10, 10, 0,
                        false, true, cmp_claim, pr_claim },
    [TOP_COL_SHARE] = { TOP_COL_SHARE, "SHARE%", "share", 6, 6, 2,
                        false, true, cmp_share, pr_share },
    [TOP_COL_AGE] = { TOP_COL_AGE, "AGE", "age", 7, 7, 5,
                      false, true, cmp_age, pr_age },
    [TOP_COL_DRAW] = { TOP_COL_DRAW, "DRAW/s", "draw", 8, 8, 6,
                       false, true, cmp_draw, pr_draw },
    [TOP_COL_DENIALS] = { TOP_COL_DENIALS, "DENIALS", "denials", 7, 7, 4,
                          false, true, cmp_denials, pr_denials },
    [TOP_COL_LAST] = { TOP_COL_LAST, "LAST EVENT", "last", 12, 28, 8,
                       true, true, cmp_last, pr_last },
};

const struct top_col *top_col_find(const char *name)
{
    unsigned int i;

    if (!name)
        return NULL;
    for (i = 0; i < TOP_NCOLS; i++)
        if (strcasecmp(name, top_cols[i].key) == 0 ||
            strcasecmp(name, top_cols[i].title) == 0)
            return &top_cols[i];
    return NULL;
}

unsigned int top_cols_layout(int width, enum top_col_id *ids, int *widths)
{
    bool shown[TOP_NCOLS];
    int need = -1, spare, grow, prio = 0;
    unsigned int i, n = 0;

    for (i = 0; i < TOP_NCOLS; i++) {
        shown[i] = true;
        need += top_cols[i].width + 1;
        if (top_cols[i].priority > prio)
            prio = top_cols[i].priority;
    }
    /* Drop the least important columns until the rest fit. */
    for (; need > width && prio > 0; prio--) {
        for (i = 0; i < TOP_NCOLS; i++) {
            if (shown[i] && top_cols[i].priority == prio) {
                shown[i] = false;
                need -= top_cols[i].width + 1;
            }
        }
    }
    spare = width > need ? width - need : 0;
    for (i = 0; i < TOP_NCOLS; i++) {
        if (!shown[i])
            continue;
        ids[n] = top_cols[i].id;
        widths[n] = top_cols[i].width;
        n++;
    }
    /* Flexible columns grow, in table order, with what is left. */
    for (i = 0; i < n && spare > 0; i++) {
        grow = top_cols[ids[i]].maxwidth - widths[i];
        if (grow > spare)
            grow = spare;
        if (grow > 0) {
            widths[i] += grow;
            spare -= grow;
        }
    }
    return n;
}

void top_cols_line(char *buf, size_t len, const enum top_col_id *ids,
                   const int *widths, unsigned int n,
                   const struct top_row *r, enum top_unit u)
{
    char cell[128];
    size_t pos = 0;
    unsigned int i;
    int w, k;

    if (!len)
        return;
    buf[0] = 0;
    for (i = 0; i < n && pos < len; i++) {
        const struct top_col *c = &top_cols[ids[i]];

        if (r)
            c->print(cell, sizeof(cell), r, u);
        else
            snprintf(cell, sizeof(cell), "%s", c->title);
        w = widths[i] < (int)sizeof(cell) ? widths[i] : (int)sizeof(cell) - 1;
        if ((int)strlen(cell) > w) {
            /* Text is cut; a number that does not fit is never cut. */
            if (!c->left)
                for (k = 0; k < w; k++)
                    cell[k] = '+';
            cell[w] = 0;
        }
        if (c->left)
            k = snprintf(buf + pos, len - pos, "%s%-*s", i ? " " : "",
                         i + 1 < n ? w : 0, cell);
        else
            k = snprintf(buf + pos, len - pos, "%s%*s", i ? " " : "", w,
                         cell);
        pos += (size_t)k;
    }
}
