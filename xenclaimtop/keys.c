/* keys.c: key handlers, as in htop and xentop; each returns TOP_KEY_* flags. */
/* SPDX-License-Identifier: MIT */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "top.h"

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC     27

typedef int key_fn(struct top *t, int ch);

struct keybind {
    int key;
    key_fn *fn;
};

static const double intervals[] = {
    0.1, 0.2, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 30, 60,
};
#define NINTERVALS (sizeof(intervals) / sizeof(intervals[0]))

static int k_quit(struct top *t, int ch)
{
    return TOP_KEY_HANDLED | TOP_KEY_QUIT;
}

static int k_redraw(struct top *t, int ch)
{
    return TOP_KEY_HANDLED | TOP_KEY_REDRAW;
}

static int k_help(struct top *t, int ch)
{
    t->mode = t->mode == TOP_MODE_HELP ? TOP_MODE_MAIN : TOP_MODE_HELP;
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_sort_next(struct top *t, int ch)
{
    t->sort = &top_cols[(t->sort->id + 1) % TOP_NCOLS];
    t->reverse = false;
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_sort_prev(struct top *t, int ch)
{
    t->sort = &top_cols[(t->sort->id + TOP_NCOLS - 1) % TOP_NCOLS];
    t->reverse = false;
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_reverse(struct top *t, int ch)
{
    t->reverse = !t->reverse;
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_units(struct top *t, int ch)
{
    t->unit = top_unit_next(t->unit);
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_pause(struct top *t, int ch)
{
    t->paused = !t->paused;
    snprintf(t->note, sizeof(t->note), "%s", t->paused ? "paused: z "
             "resumes" : "");
    /* Resuming shows the present at once. */
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH |
           (t->paused ? 0 : TOP_KEY_SNAPSHOT);
}

static int k_faster(struct top *t, int ch)
{
    unsigned int i;

    for (i = NINTERVALS; i-- > 0;) {
        if (intervals[i] < t->interval - 1e-9) {
            t->interval = intervals[i];
            break;
        }
    }
    snprintf(t->note, sizeof(t->note), "interval %gs", t->interval);
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_slower(struct top *t, int ch)
{
    unsigned int i;

    for (i = 0; i < NINTERVALS; i++) {
        if (intervals[i] > t->interval + 1e-9) {
            t->interval = intervals[i];
            break;
        }
    }
    snprintf(t->note, sizeof(t->note), "interval %gs", t->interval);
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_delay_prompt(struct top *t, int ch)
{
    t->input = TOP_INPUT_DELAY;
    t->line[0] = 0;
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_filter(struct top *t, int ch)
{
    t->input = TOP_INPUT_FILTER;
    snprintf(t->filter_saved, sizeof(t->filter_saved), "%s", t->filter);
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_step(struct top *t, int ch)
{
    unsigned int n = ch == 'N' ? 1000 : 1;
    int r;

    if (!t->opt.src.step)
        return 0;
    r = xcs_step(t->src, n);
    if (r < 0) {
        snprintf(t->note, sizeof(t->note), "step: %s", strerror(-r));
    } else {
        t->stepped += r;
        t->ingested += (uint64_t)r;
        t->step_end = (unsigned int)r < n;
        snprintf(t->note, sizeof(t->note), "stepped %d record%s%s", r,
                 r == 1 ? "" : "s", t->step_end ? ": end of the trace"
                 : "");
    }
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH | TOP_KEY_SNAPSHOT;
}

static int k_move(struct top *t, int ch)
{
    unsigned int n = t->model.nview;
    unsigned int page = t->table_rows > 1 ? (unsigned int)t->table_rows - 1
                                          : 1;

    if (!n)
        return TOP_KEY_HANDLED;
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (t->sel)
            t->sel--;
        break;
    case KEY_DOWN:
    case 'j':
        if (t->sel + 1 < n)
            t->sel++;
        break;
    case KEY_PPAGE:
        t->sel = t->sel > page ? t->sel - page : 0;
        break;
    case KEY_NPAGE:
        t->sel = t->sel + page < n ? t->sel + page : n - 1;
        break;
    case KEY_HOME:
        t->sel = 0;
        break;
    case KEY_END:
        t->sel = n - 1;
        break;
    }
    t->sel_domid = t->model.rows[t->model.view[t->sel]].d->domid;
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_detail(struct top *t, int ch)
{
    if (!t->model.nview)
        return TOP_KEY_HANDLED;
    t->detail_domid = t->model.rows[t->model.view[t->sel]].d->domid;
    t->detail_scroll = 0;
    top_events_watch(&t->events, t->detail_domid);
    t->mode = TOP_MODE_DETAIL;
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_escape(struct top *t, int ch)
{
    if (t->filter[0]) {
        t->filter[0] = 0;
        return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
    }
    return TOP_KEY_HANDLED;
}

static int k_back(struct top *t, int ch)
{
    t->mode = TOP_MODE_MAIN;
    top_events_watch(&t->events, TOP_NO_DOMAIN);
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

static int k_detail_scroll(struct top *t, int ch)
{
    if (ch == KEY_UP || ch == 'k') {
        if (t->detail_scroll)
            t->detail_scroll--;
    } else if (top_events_recent(&t->events, t->detail_scroll + 1)) {
        t->detail_scroll++;
    }
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

/* Keys that mean the same everywhere. */
static const struct keybind common_keys[] = {
    { 'q', k_quit }, { 'Q', k_quit }, { KEY_F(10), k_quit },
    { KEY_CTRL('l'), k_redraw }, { KEY_RESIZE, k_redraw },
    { 'h', k_help }, { '?', k_help }, { KEY_F(1), k_help },
    { 'S', k_sort_next }, { '>', k_sort_next }, { '.', k_sort_next },
    { KEY_F(6), k_sort_next }, { '<', k_sort_prev }, { ',', k_sort_prev },
    { 'I', k_reverse }, { 'r', k_reverse },
    { 'u', k_units }, { 'z', k_pause }, { 'Z', k_pause },
    { '-', k_faster }, { '+', k_slower }, { '=', k_slower },
    { 'd', k_delay_prompt }, { 'D', k_delay_prompt },
    { ' ', k_step }, { 'n', k_step }, { 'N', k_step },
    { 0, NULL },
};

static const struct keybind main_keys[] = {
    { KEY_UP, k_move }, { KEY_DOWN, k_move }, { 'k', k_move },
    { 'j', k_move }, { KEY_PPAGE, k_move }, { KEY_NPAGE, k_move },
    { KEY_HOME, k_move }, { KEY_END, k_move },
    { '\n', k_detail }, { '\r', k_detail }, { KEY_ENTER, k_detail },
    { '/', k_filter }, { KEY_F(4), k_filter }, { KEY_ESC, k_escape },
    { 0, NULL },
};

static const struct keybind detail_keys[] = {
    { KEY_ESC, k_back }, { KEY_LEFT, k_back }, { KEY_BACKSPACE, k_back },
    { 127, k_back }, { '\n', k_back }, { '\r', k_back },
    { KEY_ENTER, k_back },
    { KEY_UP, k_detail_scroll }, { KEY_DOWN, k_detail_scroll },
    { 'k', k_detail_scroll }, { 'j', k_detail_scroll },
    { 0, NULL },
};

static int dispatch(const struct keybind *b, struct top *t, int ch)
{
    for (; b->fn; b++)
        if (b->key == ch)
            return b->fn(t, ch);
    return -1;
}

static bool is_erase(int ch)
{
    return ch == KEY_BACKSPACE || ch == 127 || ch == 8;
}

static bool is_enter(int ch)
{
    return ch == '\n' || ch == '\r' || ch == KEY_ENTER;
}

/* The bottom line is being typed into. */
static int input_key(struct top *t, int ch)
{
    char *buf = t->input == TOP_INPUT_FILTER ? t->filter : t->line;
    size_t cap = t->input == TOP_INPUT_FILTER ? sizeof(t->filter)
                                              : sizeof(t->line);
    size_t len = strlen(buf);
    double v;

    if (ch == KEY_RESIZE || ch == KEY_CTRL('l'))
        return TOP_KEY_HANDLED | TOP_KEY_REDRAW;
    if (ch == KEY_ESC) {
        buf[0] = 0;
        t->input = TOP_INPUT_NONE;
        return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
    }
    if (is_enter(ch)) {
        if (t->input == TOP_INPUT_DELAY) {
            if (top_parse_seconds(t->line, &v) == 0) {
                t->interval = v;
                snprintf(t->note, sizeof(t->note), "interval %gs", v);
            } else {
                snprintf(t->note, sizeof(t->note), "not an interval: "
                         "'%s' (0.01 to 3600 seconds)", t->line);
            }
        }
        t->input = TOP_INPUT_NONE;
        return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
    }
    if (is_erase(ch)) {
        if (len)
            buf[len - 1] = 0;
        return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
    }
    if (ch < 0x20 || ch > 0x7e)
        return TOP_KEY_HANDLED;
    if (t->input == TOP_INPUT_DELAY && !(ch >= '0' && ch <= '9') &&
        ch != '.')
        return TOP_KEY_HANDLED;
    if (len + 1 < cap) {
        buf[len] = (char)ch;
        buf[len + 1] = 0;
    }
    return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
}

int top_key(struct top *t, int ch)
{
    int r;

    if (ch != ERR && t->input == TOP_INPUT_NONE && t->note[0] &&
        !t->paused)
        t->note[0] = 0;
    if (t->input != TOP_INPUT_NONE)
        return input_key(t, ch);
    if (t->mode == TOP_MODE_HELP) {
        /* Any key closes the help; a resize or ^L only repaints. */
        if (ch == KEY_RESIZE || ch == KEY_CTRL('l'))
            return TOP_KEY_HANDLED | TOP_KEY_REDRAW;
        if (ch == 'q' || ch == 'Q' || ch == KEY_F(10))
            return k_quit(t, ch);
        t->mode = TOP_MODE_MAIN;
        return TOP_KEY_HANDLED | TOP_KEY_REFRESH;
    }
    r = dispatch(t->mode == TOP_MODE_DETAIL ? detail_keys : main_keys, t,
                 ch);
    if (r >= 0)
        return r;
    r = dispatch(common_keys, t, ch);
    return r >= 0 ? r : 0;
}
