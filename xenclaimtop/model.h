/* model.h: what xenclaimtop shows: snapshots from a source, rates between them, the filtered and sorted view. */
/* SPDX-License-Identifier: MIT */
/*
 * The model holds two snapshots, the current one and the one before it;
 * rates are differences of their counters over their source times.  The
 * UI fills the spare snapshot from the source and commits it:
 *
 *     struct top_model m;
 *     top_model_init(&m);
 *     xcs_snapshot(src, top_model_spare(&m));
 *     top_model_commit(&m);                    rows and host figures
 *     top_model_view(&m, cmp, reverse, "web"); filter and sort
 *     for (i = 0; i < m.nview; i++)
 *         draw(&m.rows[m.view[i]]);
 *     top_model_free(&m);
 *
 * Nothing here talks to a source: tests build snapshots by hand.
 */
#ifndef TOP_MODEL_H
#define TOP_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sources/xcs.h"

/* One domain as shown: the source's figures and what follows from them. */
struct top_row {
    const struct xcs_domain *d;     /* in the model's current snapshot */
    double draw_rate;               /* pages drawn per second, < 0: unknown */
    double denial_rate;             /* denials per second, < 0: unknown */
    bool denials_rising;            /* denials grew since the last frame */
    double share;                   /* claim, % of free + freeable; < 0:
                                       unknown */
    int64_t claim_age_ns;           /* < 0: no claim or unknown */
    int64_t event_age_ns;           /* < 0: no event seen */
    bool counters;                  /* the event counters are known */
};

/* Host figures derived from the current snapshot. */
struct top_hostview {
    uint64_t pool;                  /* free + freeable, pages */
    int64_t headroom;               /* pool - outstanding (may be < 0) */
    bool over_free;                 /* outstanding claims above free */
    double stake_rate;              /* stakes per second, < 0: unknown */
    double denial_rate;             /* denials per second, < 0: unknown */
    double refused_rate;            /* refused stakes per second */
    bool denials_rising;
    double dt;                      /* source seconds since the last
                                       frame, 0: first frame or none */
};

struct top_model {
    struct xcs_snapshot snap[2];
    int cur;                        /* index of the current snapshot */
    bool have_cur, have_prev;
    bool gap;                       /* the next commit has no previous */
    bool no_counters;               /* the source sees no events (polling):
                                       counters and rates are unknown */
    uint64_t frames;                /* commits so far */
    struct top_row *rows;           /* one per domain of the current */
    unsigned int nrows, caprows;
    unsigned int *view;             /* indexes into rows: filtered, sorted */
    unsigned int nview, capview;
    struct top_hostview host;
};

typedef int top_row_cmp(const struct top_row *a, const struct top_row *b);

/* An empty model (no snapshot yet). */
void top_model_init(struct top_model *m);

/* Free everything the model holds (snapshots, rows, view). */
void top_model_free(struct top_model *m);

/* The snapshot to fill next (it keeps its allocation between frames). */
struct xcs_snapshot *top_model_spare(struct top_model *m);

/*
 * Make the spare snapshot current and recompute the rows and host figures
 * (rates against the previous current one).  The view is emptied: call
 * top_model_view() after.  Returns 0 or -ENOMEM (the model then shows no
 * rows but stays usable).
 */
int top_model_commit(struct top_model *m);

/*
 * The next commit starts afresh: no rates against what came before (the
 * source was down in between).
 */
void top_model_gap(struct top_model *m);

/* The current snapshot, or NULL before the first commit. */
const struct xcs_snapshot *top_model_current(const struct top_model *m);

/*
 * True when the current figures may be shown as live: the source is UP
 * or IDLE (a replay at its end still shows exactly what it replayed).
 */
bool top_model_live(const struct top_model *m);

/*
 * Does row r match filter f?  f is matched, ignoring case, as a substring
 * of the name or of the decimal domid; NULL or "" matches everything.
 */
bool top_model_match(const struct top_row *r, const char *f);

/*
 * Rebuild the view: rows matching filter, ordered by cmp (ties by domid,
 * ascending), reversed when reverse is set.  cmp NULL: by domid.
 * Returns the number of rows in the view, or -ENOMEM.
 */
int top_model_view(struct top_model *m, top_row_cmp *cmp, bool reverse,
                   const char *filter);

/* Index in the view of domain domid, or -1 when it is not in the view. */
int top_model_find(const struct top_model *m, uint32_t domid);

#endif /* TOP_MODEL_H */
