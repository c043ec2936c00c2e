/* columns.h: the domain table's columns: one table of {id, title, width, priority, compare, print}. */
/* SPDX-License-Identifier: MIT */
#ifndef TOP_COLUMNS_H
#define TOP_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "units.h"

enum top_col_id {
    TOP_COL_DOMID,
    TOP_COL_NAME,
    TOP_COL_TOT,
    TOP_COL_MAX,
    TOP_COL_CLAIM,
    TOP_COL_SHARE,
    TOP_COL_AGE,
    TOP_COL_DRAW,
    TOP_COL_DENIALS,
    TOP_COL_LAST,
    TOP_NCOLS
};

struct top_col {
    enum top_col_id id;
    const char *title;      /* on screen */
    const char *key;        /* for --sort */
    int width;              /* minimum width on screen */
    int maxwidth;           /* a flexible column grows up to this */
    int priority;           /* 0: always shown; highest dropped first */
    bool left;              /* left-aligned (text) */
    bool desc;              /* sorted largest first unless reversed */
    top_row_cmp *compare;   /* ascending order of the column's values */
    /* The cell for r in unit u, at most len bytes, NUL-terminated. */
    void (*print)(char *buf, size_t len, const struct top_row *r,
                  enum top_unit u);
};

extern const struct top_col top_cols[TOP_NCOLS];

/* The column whose key or title is name (any case), or NULL. */
const struct top_col *top_col_find(const char *name);

/*
 * The columns that fit in width characters (one space between two):
 * columns are dropped from the highest priority down until the rest fit,
 * then flexible ones share what is left.  Fills ids[] and widths[] (room
 * for TOP_NCOLS) in table order and returns how many columns are shown.
 */
unsigned int top_cols_layout(int width, enum top_col_id *ids, int *widths);

/*
 * Write one line of the table into buf (len bytes, NUL-terminated):
 * cells of the given columns and widths, r NULL for the titles.
 */
void top_cols_line(char *buf, size_t len, const enum top_col_id *ids,
                   const int *widths, unsigned int n,
                   const struct top_row *r, enum top_unit u);

#endif /* TOP_COLUMNS_H */
