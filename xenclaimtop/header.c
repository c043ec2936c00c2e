/* header.c: the host header: memory, headroom and its bar, claim and denial rates, nodes, the source's state. */
/* SPDX-License-Identifier: MIT */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "top.h"

/* Numbers are only drawn as live while the source is UP or IDLE. */
static bool stale(const struct top *t)
{
    return t->st != XCS_UP && t->st != XCS_IDLE;
}

static int title_line(struct top *t, int y, int width)
{
    enum top_look sl = TOP_LOOK_GOOD;
    int x;

    if (t->st == XCS_DOWN || t->st == XCS_FAILED)
        sl = TOP_LOOK_BAD;
    else if (t->st != XCS_UP)
        sl = TOP_LOOK_WARN;
    x = top_put(t, y, 0, width, TOP_LOOK_TITLE, "xenclaimtop  %s  ",
                t->source[0] ? t->source : "?");
    x = top_put(t, y, x, width, sl, "[%s]", top_status_word(t));
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  every %gs  %s  sort %s%s",
                t->interval, top_unit_name(t->unit), t->sort->title,
                top_sort_desc(t) ? " v" : " ^");
    if (t->filter[0] && t->input != TOP_INPUT_FILTER)
        x = top_put(t, y, x, width, TOP_LOOK_WARN, "  filter \"%s\"",
                    t->filter);
    if (t->paused)
        x = top_put(t, y, x, width, TOP_LOOK_WARN, "  PAUSED");
    if (t->opt.src.step)
        top_put(t, y, x, width, TOP_LOOK_WARN, "  STEP (%" PRId64 ")",
                t->stepped);
    return y + 1;
}

/* Why the figures are not live, or that a replay has ended. */
static int banner_line(struct top *t, int y, int width)
{
    double ago = top_now() - t->down_since;

    if (stale(t) && t->st != XCS_STARTING) {
        top_put(t, y, 0, width, TOP_LOOK_BAD,
                "SOURCE %s, NOT LIVE (figures: last seen %.0fs ago): %s",
                top_status_word(t), ago,
                t->st_msg[0] ? t->st_msg : "no reason given");
        return y + 1;
    }
    if (t->st == XCS_IDLE && t->replay) {
        top_put(t, y, 0, width, TOP_LOOK_WARN,
                "end of trace: figures are the state at its last record");
        return y + 1;
    }
    return y;
}

static void bar(struct top *t, int y, int x, int xmax,
                const struct xcs_host *h, const struct top_hostview *v)
{
    int w = xmax - x - 2, nc, i;
    bool dim = stale(t);

    if (w < 4)
        return;
    top_put(t, y, x, xmax, TOP_LOOK_NORMAL, "[");
    if (v->pool == 0 || h->outstanding_pages >= v->pool) {
        nc = w;
    } else {
        nc = (int)((double)h->outstanding_pages * w / (double)v->pool + 0.5);
        if (nc == 0 && h->outstanding_pages)
            nc = 1;
    }
    for (i = 0; i < w; i++) {
        enum top_look l = i < nc ? (v->headroom < 0 ? TOP_LOOK_BAD
                                                    : TOP_LOOK_BAR_CLAIM)
                                 : TOP_LOOK_BAR_FREE;
        top_put(t, y, x + 1 + i, xmax, dim ? TOP_LOOK_DIM : l, "%c",
                i < nc ? (v->headroom < 0 ? '!' : '#') : '|');
    }
    top_put(t, y, x + 1 + w, xmax, TOP_LOOK_NORMAL, "]");
}

bool top_nodes_current(const struct xcs_host *h)
{
    uint64_t sum = 0;
    unsigned int i;

    if (!h->nr_nodes)
        return true;
    for (i = 0; i < h->nr_nodes && i < XCS_MAX_NODES; i++)
        sum += h->node_free[i];
    return sum == h->free_pages;
}

static int nodes_lines(struct top *t, int y, int width,
                       const struct xcs_host *h, enum top_look num)
{
    bool current = top_nodes_current(h);
    char b[32];
    unsigned int i;
    int x, lines = 0;

    if (h->nr_nodes < 2)
        return y;
    if (!current)
        num = TOP_LOOK_DIM;
    x = top_put(t, y, 0, width, TOP_LOOK_TITLE, "%s",
                current ? "Node free:" : "Node free at the last dump:");
    for (i = 0; i < h->nr_nodes && i < XCS_MAX_NODES; i++) {
        top_fmt_pages(b, sizeof(b), h->node_free[i], t->unit);
        if (x + (int)strlen(b) + 8 > width) {
            if (++lines == 2) {
                top_put(t, y, x, width, TOP_LOOK_DIM, " +%u more",
                        h->nr_nodes - i);
                break;
            }
            y++;
            x = 0;
        }
        x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  %u:", i);
        x = top_put(t, y, x, width, num, "%s", b);
    }
    return y + 1;
}

int top_header_draw(struct top *t, int y, int width)
{
    const struct xcs_snapshot *s = top_model_current(&t->model);
    const struct top_hostview *v = &t->model.host;
    const struct xcs_host *h;
    enum top_look num = stale(t) ? TOP_LOOK_DIM : TOP_LOOK_NORMAL;
    char b[5][32];
    int x;

    y = title_line(t, y, width);
    y = banner_line(t, y, width);
    if (!s) {
        top_put(t, y, 0, width, TOP_LOOK_WARN, "%s",
                t->st == XCS_STARTING ? "waiting for the source's first "
                "figures..." : "no figures from this source yet");
        return y + 1;
    }
    h = &s->host;

    x = top_put(t, y, 0, width, TOP_LOOK_TITLE, "Memory %s:",
                top_unit_name(t->unit));
    if (h->total_pages)
        top_fmt_pages(b[0], sizeof(b[0]), h->total_pages, t->unit);
    else
        snprintf(b[0], sizeof(b[0]), "?");
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, " total ");
    x = top_put(t, y, x, width, num, "%s", b[0]);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  free ");
    x = top_put(t, y, x, width, num, "%s",
                top_fmt_pages(b[1], sizeof(b[1]), h->free_pages, t->unit));
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  freeable ");
    x = top_put(t, y, x, width, num, "%s",
                top_fmt_pages(b[2], sizeof(b[2]), h->freeable_pages,
                              t->unit));
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  claims ");
    x = top_put(t, y, x, width, stale(t) ? num : v->over_free ?
                TOP_LOOK_BAD : TOP_LOOK_NORMAL, "%s",
                top_fmt_pages(b[3], sizeof(b[3]), h->outstanding_pages,
                              t->unit));
    if (v->over_free && !stale(t))
        top_put(t, y, x, width, TOP_LOOK_BAD, "  CLAIMS ABOVE FREE");
    y++;

    x = top_put(t, y, 0, width, TOP_LOOK_TITLE, "Headroom:");
    x = top_put(t, y, x, width, stale(t) ? num : v->headroom < 0 ?
                TOP_LOOK_BAD : TOP_LOOK_GOOD, " %s",
                top_fmt_spages(b[4], sizeof(b[4]), v->headroom, t->unit));
    if (v->pool)
        x = top_put(t, y, x, width, num, " (%.1f%% unclaimed) ",
                    v->headroom <= 0 ? 0.0
                    : (double)v->headroom * 100.0 / (double)v->pool);
    else
        x = top_put(t, y, x, width, num, " ");
    bar(t, y, x, width, h, v);
    y++;

    x = top_put(t, y, 0, width, TOP_LOOK_TITLE, "Claims:");
    if (t->model.no_counters) {
        x = top_put(t, y, x, width, TOP_LOOK_DIM, " staked, denied, lost: "
                    "unknown (a polling source sees no events)");
        top_put(t, y, x, width, TOP_LOOK_NORMAL, "  domains %u",
                s->nr_domains);
        return nodes_lines(t, y + 1, width, h, num);
    }
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, " staked/s ");
    x = top_put(t, y, x, width, num, "%s",
                top_fmt_rate(b[0], sizeof(b[0]),
                             stale(t) ? -1 : v->stake_rate));
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  denials/s ");
    x = top_put(t, y, x, width, !stale(t) && v->denials_rising ?
                TOP_LOOK_BAD : num, "%s",
                top_fmt_rate(b[1], sizeof(b[1]),
                             stale(t) ? -1 : v->denial_rate));
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  denials ");
    x = top_put(t, y, x, width, num, "%" PRIu64, h->denials);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  refused ");
    x = top_put(t, y, x, width, num, "%" PRIu64, h->refused);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  lost ");
    x = top_put(t, y, x, width, h->lost ? TOP_LOOK_BAD : num, "%" PRIu64,
                h->lost);
    x = top_put(t, y, x, width, TOP_LOOK_NORMAL, "  domains ");
    x = top_put(t, y, x, width, num, "%u", s->nr_domains);
    if (h->issues)
        x = top_put(t, y, x, width, TOP_LOOK_BAD, "  issues %" PRIu64,
                    h->issues);
    if (!h->exact && s->host.records)
        top_put(t, y, x, width, TOP_LOOK_WARN, "  inexact");
    y++;
    return nodes_lines(t, y, width, h, num);
}

void top_header_text(struct top *t, FILE *f)
{
    const struct xcs_snapshot *s = top_model_current(&t->model);
    const struct top_hostview *v = &t->model.host;
    const struct xcs_host *h;
    const char *u = top_unit_name(t->unit);
    char b[8][32];
    unsigned int i;

    fprintf(f, "xenclaimtop  %s  [%s]\n", t->source, top_status_word(t));
    if (stale(t) || !s) {
        fprintf(f, "source %s: %s\n", top_status_word(t),
                t->st_msg[0] ? t->st_msg : s ? "not live"
                : "no figures (yet)");
        return;
    }
    h = &s->host;
    if (h->total_pages)
        top_fmt_pages(b[0], sizeof(b[0]), h->total_pages, t->unit);
    else
        snprintf(b[0], sizeof(b[0]), "?");
    fprintf(f, "Memory %s: total %s  free %s  freeable %s  claims %s  "
            "headroom %s%s\n", u, b[0],
            top_fmt_pages(b[1], sizeof(b[1]), h->free_pages, t->unit),
            top_fmt_pages(b[2], sizeof(b[2]), h->freeable_pages, t->unit),
            top_fmt_pages(b[3], sizeof(b[3]), h->outstanding_pages,
                          t->unit),
            top_fmt_spages(b[4], sizeof(b[4]), v->headroom, t->unit),
            v->over_free ? "  CLAIMS ABOVE FREE" : "");
    if (t->model.no_counters)
        fprintf(f, "Claims: staked, denied, lost: unknown (a polling "
                "source sees no events)  domains %u\n", s->nr_domains);
    else
        fprintf(f, "Claims: staked/s %s  denials/s %s  denials %" PRIu64
            "  refused %" PRIu64 "  lost %" PRIu64 "  domains %u  issues %"
            PRIu64 "%s\n",
            top_fmt_rate(b[5], sizeof(b[5]), v->stake_rate),
            top_fmt_rate(b[6], sizeof(b[6]), v->denial_rate),
            h->denials, h->refused, h->lost, s->nr_domains, h->issues,
            !h->exact && h->records ? "  inexact" : "");
    if (h->nr_nodes > 1) {
        fprintf(f, "%s", top_nodes_current(h) ? "Node free:"
                : "Node free at the last dump:");
        for (i = 0; i < h->nr_nodes && i < XCS_MAX_NODES; i++)
            fprintf(f, "  %u:%s", i,
                    top_fmt_pages(b[7], sizeof(b[7]), h->node_free[i],
                                  t->unit));
        fputc('\n', f);
    }
}
