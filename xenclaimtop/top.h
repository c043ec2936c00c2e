/* top.h: xenclaimtop's state, shared by the screen, header, keys, detail view and batch output. */
/* SPDX-License-Identifier: MIT */
/*
 * main.c owns one struct top: the options, the source (only ever used
 * through xcs), the model and what the user chose with keys.  The other
 * modules read it to draw and change it through key handlers, which
 * return TOP_KEY_* flags telling the main loop what to do next.
 */
#ifndef TOP_TOP_H
#define TOP_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "columns.h"
#include "events.h"
#include "model.h"
#include "options.h"
#include "sources/xcs.h"

enum top_mode {
    TOP_MODE_MAIN,          /* header and table */
    TOP_MODE_HELP,          /* the help overlay */
    TOP_MODE_DETAIL,        /* one domain and its recent events */
};

enum top_input {
    TOP_INPUT_NONE,
    TOP_INPUT_FILTER,       /* incremental filter on the bottom line */
    TOP_INPUT_DELAY,        /* the interval prompt */
};

/* Returned by key handlers, ORed together. */
#define TOP_KEY_HANDLED  0x01   /* the key meant something */
#define TOP_KEY_REFRESH  0x02   /* rebuild the view and draw it */
#define TOP_KEY_REDRAW   0x04   /* clear the terminal and repaint all */
#define TOP_KEY_SNAPSHOT 0x08   /* take a new snapshot now */
#define TOP_KEY_QUIT     0x10

struct top {
    struct top_opts opt;
    struct xcs *src;
    struct top_model model;
    struct top_events events;

    /* What the user chose. */
    enum top_mode mode;
    enum top_input input;
    const struct top_col *sort;
    bool reverse;               /* against the column's natural order */
    char filter[64];
    char filter_saved[64];      /* restored by Esc while typing */
    char line[32];              /* the interval prompt's text */
    double interval;
    enum top_unit unit;
    bool paused;
    bool color;
    unsigned int top_row;       /* first view row on screen */
    unsigned int sel;           /* selected view row */
    uint32_t sel_domid;         /* kept selected across re-sorts */
    uint32_t detail_domid;
    unsigned int detail_scroll; /* events skipped in the detail view */
    int table_rows;             /* rows the table had at the last draw */

    /* What happened. */
    enum xcs_status st;         /* the source's status at the last look */
    char st_msg[256];           /* why it is DOWN or FAILED */
    char source[128];           /* what the source is */
    bool replay;                /* a trace file (not followed): it ends */
    char note[128];             /* a one-off message for the bottom line */
    uint64_t ingested;          /* records or polls taken in */
    uint64_t frames_out;        /* batch frames written */
    int64_t stepped;            /* records taken in by keys (step mode) */
    bool step_end;              /* a step found nothing more */
    bool down_seen;             /* the source was DOWN or FAILED once */
    double down_since;          /* wall time it went (not live) */
    double last_live;           /* wall time of the last live frame */
};

/* Seconds on CLOCK_MONOTONIC. */
double top_now(void);

/* Rebuild the view after a commit or a key: filter, sort, selection. */
void top_refresh_view(struct top *t);

/*
 * A new frame from the source: its figures become the model's only while
 * it is UP or IDLE; otherwise the last live ones stay, shown as stale.
 */
void top_take_snapshot(struct top *t);

/* Record the source's status (and when its figures stopped being live). */
void top_note_status(struct top *t, enum xcs_status st, const char *msg);

/* keys.c: act on one key; returns TOP_KEY_* flags (0: not a key of ours). */
int top_key(struct top *t, int ch);

/* screen.c: the curses screen. */
int top_screen_open(struct top *t);     /* 0 or -errno (no terminal) */
void top_screen_close(void);
int top_screen_fd(void);                /* what keys are read from */
void top_screen_draw(struct top *t, bool clear_first);

/* header.c: the host header.  Draws from row y, returns the next row. */
int top_header_draw(struct top *t, int y, int width);
/* The same figures as text lines for batch mode. */
void top_header_text(struct top *t, FILE *f);

/* detail.c: the detail view of t->detail_domid from row y. */
void top_detail_draw(struct top *t, int y, int height, int width);

/*
 * Are the per-node figures current?  Sources learn them from state dumps
 * only: they are current when they add up to the host's free pages.
 */
bool top_nodes_current(const struct xcs_host *h);

/* batch.c: one frame of batch output (text, CSV or JSON). */
void top_batch_frame(struct top *t, FILE *f);

/* Colour pairs (screen.c) and attributes by meaning. */
enum top_look {
    TOP_LOOK_NORMAL, TOP_LOOK_TITLE, TOP_LOOK_BAD, TOP_LOOK_WARN,
    TOP_LOOK_GOOD, TOP_LOOK_DIM, TOP_LOOK_HEADER, TOP_LOOK_SELECT,
    TOP_LOOK_BAR_CLAIM, TOP_LOOK_BAR_FREE,
};
/* The curses attribute for a look (colour when on, else bold/reverse). */
int top_look(const struct top *t, enum top_look look);

/*
 * Write text at (y, x) in a look, cut at column xmax.  Returns the column
 * after it.
 */
int top_put(const struct top *t, int y, int x, int xmax, enum top_look look,
            const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The status as shown ("UP", "DOWN", "END", ...). */
const char *top_status_word(const struct top *t);

/* The direction the table is sorted in: the column's own, or reversed. */
bool top_sort_desc(const struct top *t);

#endif /* TOP_TOP_H */
