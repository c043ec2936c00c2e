/* options.h: xenclaimtop's command line. */
/* SPDX-License-Identifier: MIT */
#ifndef TOP_OPTIONS_H
#define TOP_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "columns.h"
#include "sources/xcs.h"
#include "units.h"

enum top_output {
    TOP_OUT_CURSES,     /* the live screen */
    TOP_OUT_TEXT,       /* -b: frames of text, like xentop -b */
    TOP_OUT_CSV,        /* --csv */
    TOP_OUT_JSON,       /* --json: one JSON object per frame */
};

struct top_opts {
    struct xcs_opts src;
    bool src_default;       /* no source named: the mock's default socket */
    enum top_output out;
    long iterations;        /* frames to show, 0: until stopped */
    double interval;        /* seconds between frames */
    enum top_unit unit;
    const struct top_col *sort;
    bool reverse;
    char filter[64];
    bool color;             /* false with -C or NO_COLOR */
    bool stats;             /* ingest figures on stderr at exit */
};

/* Exit statuses. */
#define TOP_EXIT_OK      0  /* the source was healthy to the end */
#define TOP_EXIT_SOURCE  1  /* the source was DOWN or FAILED at the end */
#define TOP_EXIT_USAGE   2  /* bad command line */
#define TOP_EXIT_NOSRC   3  /* the source could not be opened */
#define TOP_EXIT_ERROR   4  /* no terminal, out of memory */

/*
 * Parse argv into o (defaults first; NO_COLOR read from the environment).
 * Returns 0 to run, 1 when --help or --version was printed on out, or
 * -EINVAL after printing what is wrong on err.
 */
int top_opts_parse(struct top_opts *o, int argc, char **argv, FILE *out,
                   FILE *err);

/* The usage text on f. */
void top_opts_usage(FILE *f);

#endif /* TOP_OPTIONS_H */
