/* screen.c: the curses screen: layout, the domain table, columns dropped by width, help overlay, a too-small terminal. */
/* SPDX-License-Identifier: MIT */
#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "top.h"

#define MIN_COLS  40
#define MIN_LINES 10

static FILE *tty_in;            /* keys, when stdin carries data */
static SCREEN *scr;
static bool have_color;

enum {
    PAIR_RED = 1, PAIR_YELLOW, PAIR_GREEN, PAIR_CYAN, PAIR_HEADER,
};

int top_screen_open(struct top *t)
{
    FILE *in = stdin;

    if (!isatty(STDOUT_FILENO))
        return -ENOTTY;
    /* A stream on stdin: keys come from the terminal itself. */
    if (!isatty(STDIN_FILENO)) {
        tty_in = fopen("/dev/tty", "r");
        if (!tty_in)
            return -ENOTTY;
        in = tty_in;
    }
    scr = newterm(NULL, stdout, in);
    if (!scr) {
        if (tty_in)
            fclose(tty_in);
        tty_in = NULL;
        return -ENOTTY;
    }
    set_term(scr);
    set_escdelay(25);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    have_color = false;
    if (t->color && has_colors() && start_color() == OK) {
        use_default_colors();
        init_pair(PAIR_RED, COLOR_RED, -1);
        init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
        init_pair(PAIR_GREEN, COLOR_GREEN, -1);
        init_pair(PAIR_CYAN, COLOR_CYAN, -1);
        init_pair(PAIR_HEADER, COLOR_BLACK, COLOR_CYAN);
        have_color = true;
    }
    return 0;
}

void top_screen_close(void)
{
    if (!scr)
        return;
    endwin();
    delscreen(scr);
    scr = NULL;
    if (tty_in)
        fclose(tty_in);
    tty_in = NULL;
}

int top_screen_fd(void)
{
    return tty_in ? fileno(tty_in) : STDIN_FILENO;
}

int top_look(const struct top *t, enum top_look look)
{
    bool c = have_color && t->color;

    switch (look) {
    case TOP_LOOK_TITLE:
        return c ? (int)(COLOR_PAIR(PAIR_CYAN) | A_BOLD) : (int)A_BOLD;
    case TOP_LOOK_BAD:
        return c ? (int)(COLOR_PAIR(PAIR_RED) | A_BOLD)
                 : (int)(A_BOLD | A_UNDERLINE);
    case TOP_LOOK_WARN:
        return c ? (int)(COLOR_PAIR(PAIR_YELLOW) | A_BOLD) : (int)A_BOLD;
    case TOP_LOOK_GOOD:
        return c ? (int)COLOR_PAIR(PAIR_GREEN) : (int)A_NORMAL;
    case TOP_LOOK_DIM:
        return (int)A_DIM;
    case TOP_LOOK_HEADER:
        return c ? (int)COLOR_PAIR(PAIR_HEADER) : (int)A_REVERSE;
    case TOP_LOOK_SELECT:
        return (int)(A_REVERSE | A_BOLD);
    case TOP_LOOK_BAR_CLAIM:
        return c ? (int)(COLOR_PAIR(PAIR_YELLOW) | A_BOLD) : (int)A_BOLD;
    case TOP_LOOK_BAR_FREE:
        return c ? (int)COLOR_PAIR(PAIR_GREEN) : (int)A_NORMAL;
    default:
        return (int)A_NORMAL;
    }
}

int top_put(const struct top *t, int y, int x, int xmax, enum top_look look,
            const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n, room = xmax - x;
    int a = top_look(t, look);

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return x;
    if (n >= (int)sizeof(buf))
        n = (int)sizeof(buf) - 1;
    if (room > 0 && y >= 0 && y < LINES && x >= 0) {
        attron(a);
        mvaddnstr(y, x, buf, n < room ? n : room);
        attroff(a);
    }
    return x + n;
}

/* Keep the selection on screen and on the same domain where possible. */
static void place_selection(struct top *t, int rows)
{
    struct top_model *m = &t->model;

    if (m->nview == 0) {
        t->sel = t->top_row = 0;
        return;
    }
    if (t->sel >= m->nview)
        t->sel = m->nview - 1;
    if (rows < 1)
        rows = 1;
    if (t->sel < t->top_row)
        t->top_row = t->sel;
    if (t->sel >= t->top_row + (unsigned int)rows)
        t->top_row = t->sel - (unsigned int)rows + 1;
    if (t->top_row + (unsigned int)rows > m->nview)
        t->top_row = m->nview > (unsigned int)rows
                     ? m->nview - (unsigned int)rows : 0;
    t->sel_domid = m->rows[m->view[t->sel]].d->domid;
}

static void recolour(const struct top *t, int y, int x, int w,
                     enum top_look look)
{
    int a = top_look(t, look);

    mvchgat(y, x, w, (attr_t)(a & ~A_COLOR), (short)PAIR_NUMBER(a), NULL);
}

static int draw_table(struct top *t, int y, int height, int width)
{
    struct top_model *m = &t->model;
    enum top_col_id ids[TOP_NCOLS];
    int widths[TOP_NCOLS], xs[TOP_NCOLS];
    char line[1024];
    bool stale = t->st != XCS_UP && t->st != XCS_IDLE;
    unsigned int n, i;
    int rows = height - 1, x = 0, r;

    n = top_cols_layout(width, ids, widths);
    for (i = 0; i < n; i++) {
        xs[i] = x;
        x += widths[i] + 1;
    }
    top_cols_line(line, sizeof(line), ids, widths, n, NULL, t->unit);
    top_put(t, y, 0, width, TOP_LOOK_HEADER, "%-*s", width, line);
    for (i = 0; i < n; i++)
        if (ids[i] == t->sort->id)
            recolour(t, y, xs[i], widths[i], TOP_LOOK_SELECT);
    t->table_rows = rows;
    place_selection(t, rows);
    if (m->nview == 0) {
        top_put(t, y + 1, 0, width, TOP_LOOK_DIM, "%s",
                !top_model_current(m) ? "" : t->filter[0] ?
                "no domain matches the filter" : "no domains");
        return y + 1 + 1;
    }
    for (r = 0; r < rows && t->top_row + (unsigned int)r < m->nview; r++) {
        unsigned int vi = t->top_row + (unsigned int)r;
        const struct top_row *row = &m->rows[m->view[vi]];
        bool sel = vi == t->sel && t->mode == TOP_MODE_MAIN;

        top_cols_line(line, sizeof(line), ids, widths, n, row, t->unit);
        top_put(t, y + 1 + r, 0, width,
                sel ? TOP_LOOK_SELECT : stale ? TOP_LOOK_DIM
                : TOP_LOOK_NORMAL, "%-*s", sel ? width : 0, line);
        if (sel || stale)
            continue;
        for (i = 0; i < n; i++) {
            if (ids[i] == TOP_COL_DENIALS && row->denials_rising)
                recolour(t, y + 1 + r, xs[i], widths[i], TOP_LOOK_BAD);
            if (ids[i] == TOP_COL_CLAIM && row->d->claim &&
                m->host.over_free)
                recolour(t, y + 1 + r, xs[i], widths[i], TOP_LOOK_BAD);
        }
    }
    return y + 1 + r;
}

static void draw_footer(struct top *t, int y, int width)
{
    if (t->input == TOP_INPUT_FILTER) {
        int x = top_put(t, y, 0, width, TOP_LOOK_HEADER, "Filter:");
        top_put(t, y, x, width, TOP_LOOK_NORMAL, " %s_  (Enter keeps, "
                "Esc clears)", t->filter);
        return;
    }
    if (t->input == TOP_INPUT_DELAY) {
        int x = top_put(t, y, 0, width, TOP_LOOK_HEADER, "Interval:");
        top_put(t, y, x, width, TOP_LOOK_NORMAL, " %s_ seconds  (Enter "
                "sets, Esc cancels)", t->line);
        return;
    }
    if (t->note[0]) {
        top_put(t, y, 0, width, TOP_LOOK_WARN, "%s", t->note);
        return;
    }
    if (t->mode == TOP_MODE_DETAIL) {
        top_put(t, y, 0, width, TOP_LOOK_DIM, "Esc/Enter back  Up/Down "
                "events  u units  z pause  q quit");
        return;
    }
    top_put(t, y, 0, width, TOP_LOOK_DIM, "%s", t->opt.src.step ?
            "space/n step  N step 1000  h help  S sort  / filter  "
            "Enter detail  q quit" :
            "h help  S/< > sort  I reverse  / filter  u units  z pause  "
            "+/- delay  Enter detail  q quit");
}

static const char *const help_lines[] = {
    "xenclaimtop: keys",
    "",
    "h ? F1      this help (q quits, other keys close it)",
    "q F10       quit",
    "S > . F6    sort by the next column;  < , the one before",
    "I r         reverse the sort order",
    "/ F4        filter by name or domid as you type",
    "            (Enter keeps it, Esc clears it)",
    "u           units: pages, MiB, GiB",
    "z Z         pause / resume the display",
    "+ -         longer / shorter interval;  d D  type one",
    "Up Down j k PgUp PgDn Home End   move the selection",
    "Enter       the selected domain and its recent events",
    "space n N   step one / a thousand records (--step)",
    "^L          repaint the screen",
    "",
    "Red: claims above free memory, denials rising.",
    "SHARE%: the claim's share of free + freeable pages;",
    "headroom is what claims leave of them.",
};

static void draw_help(struct top *t, int width, int height)
{
    int n = (int)(sizeof(help_lines) / sizeof(help_lines[0]));
    int w = 0, i, x0, y0;

    for (i = 0; i < n; i++)
        if ((int)strlen(help_lines[i]) > w)
            w = (int)strlen(help_lines[i]);
    w += 4;
    if (w > width)
        w = width;
    x0 = (width - w) / 2;
    y0 = (height - n - 2) / 2;
    if (y0 < 0)
        y0 = 0;
    for (i = -1; i <= n && y0 + i + 1 < height; i++) {
        const char *s = i >= 0 && i < n ? help_lines[i] : "";

        top_put(t, y0 + i + 1, x0, x0 + w, i == 0 ? TOP_LOOK_HEADER
                : TOP_LOOK_SELECT, "  %-*s", w - 2, s);
    }
}

void top_screen_draw(struct top *t, bool clear_first)
{
    int width = COLS, height = LINES, y;
    char msg[128];

    if (clear_first)
        clearok(curscr, TRUE);
    erase();
    if (width < MIN_COLS || height < MIN_LINES) {
        /* One line that says so, the longest that fits: never garbage. */
        snprintf(msg, sizeof(msg), "xenclaimtop: terminal too small "
                 "(%dx%d, need %dx%d)", width, height, MIN_COLS, MIN_LINES);
        if ((int)strlen(msg) > width)
            snprintf(msg, sizeof(msg), "too small: %dx%d, need %dx%d",
                     width, height, MIN_COLS, MIN_LINES);
        if ((int)strlen(msg) > width)
            snprintf(msg, sizeof(msg), "too small");
        top_put(t, 0, 0, width, TOP_LOOK_BAD, "%s", msg);
        t->table_rows = 0;
        refresh();
        return;
    }
    y = top_header_draw(t, 0, width);
    if (t->mode == TOP_MODE_DETAIL) {
        top_detail_draw(t, y + 1, height - y - 2, width);
    } else {
        draw_table(t, y + 1, height - y - 2, width);
    }
    draw_footer(t, height - 1, width);
    if (t->mode == TOP_MODE_HELP)
        draw_help(t, width, height);
    refresh();
}
