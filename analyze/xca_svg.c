/* xca_svg.c: the timeline plot of an analysis, as a standalone SVG. */
/* SPDX-License-Identifier: MIT */
/*
 * A second pass over the trace fills one column per horizontal pixel of
 * the plot: the lowest, highest and last free pages, the highest freeable
 * and outstanding, and the highest claim of each of the domains stacked
 * (the largest peaks), so a series never has more points than
 * the plot has columns however long the trace, and a dip of free memory
 * shorter than a column still shows as the bottom of its band.  Denials
 * (from the first pass) are marked under the time axis and by a faint
 * line; gaps of lost or skipped records are hatched.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xca_int.h"

#define MAX_STACK   10u
#define LEFT        96
#define TOP         64
#define PLOT_H      360
#define RIGHT       230
#define BOTTOM      96

static const char *const palette[MAX_STACK + 1] = {
    "#4e79a7", "#f28e2b", "#76b7b2", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac", "#8cd17d", "#d4a6c8",
    "#c7c7c7",                  /* other domains */
};

struct col {
    int64_t fmin, fmax, flast;
    int64_t able;
    int64_t omax;
    uint32_t claim[MAX_STACK + 1];  /* highest per stacked domain, others */
    uint32_t denials;
    uint8_t has, gap;
};

struct xca_plot {
    struct xca *a;
    unsigned int w;
    uint64_t from, to;
    struct xct_replay *rp;
    struct xca_host host;
    struct col *col;
    int cur_col;                /* last column filled, -1 none */
    unsigned int ntop;
    uint32_t top[MAX_STACK];
    int8_t *slot;               /* domid -> stack slot, -1 */
    uint32_t cur_claim[MAX_STACK];
    int64_t cur[XCA_NSERIES];
    int have;
};

/* ---- second pass -------------------------------------------------------- */

static int column(const struct xca_plot *p, uint64_t tsc)
{
    double span = (double)(p->to - p->from) + 1.0;
    double c = (double)(tsc - p->from) / span * p->w;

    if (tsc < p->from)
        return -1;
    return c >= p->w ? (int)p->w - 1 : (int)c;
}

static void carry(struct xca_plot *p, struct col *c)
{
    unsigned int i;
    uint64_t sum = 0;

    c->fmin = c->fmax = c->flast = p->cur[XCA_S_FREE];
    c->able = p->cur[XCA_S_FREEABLE];
    c->omax = p->cur[XCA_S_OUTSTANDING];
    for (i = 0; i < p->ntop; i++) {
        c->claim[i] = p->cur_claim[i];
        sum += p->cur_claim[i];
    }
    c->claim[MAX_STACK] = p->cur[XCA_S_OUTSTANDING] > (int64_t)sum ?
        (uint32_t)(p->cur[XCA_S_OUTSTANDING] - (int64_t)sum) : 0;
    c->has = p->have;
}

static void sample(struct xca_plot *p, uint64_t tsc)
{
    int k = column(p, tsc);
    struct col *c;
    unsigned int i;
    uint64_t sum = 0;

    if (k < 0)
        return;
    while (p->cur_col < k)
        carry(p, &p->col[++p->cur_col]);
    c = &p->col[k];
    if (!c->has) {
        carry(p, c);
        return;
    }
    c->flast = p->cur[XCA_S_FREE];
    if (c->flast < c->fmin)
        c->fmin = c->flast;
    if (c->flast > c->fmax)
        c->fmax = c->flast;
    if (p->cur[XCA_S_FREEABLE] > c->able)
        c->able = p->cur[XCA_S_FREEABLE];
    if (p->cur[XCA_S_OUTSTANDING] > c->omax)
        c->omax = p->cur[XCA_S_OUTSTANDING];
    for (i = 0; i < p->ntop; i++) {
        if (p->cur_claim[i] > c->claim[i])
            c->claim[i] = p->cur_claim[i];
        sum += p->cur_claim[i];
    }
    if (p->cur[XCA_S_OUTSTANDING] > (int64_t)sum &&
        p->cur[XCA_S_OUTSTANDING] - (int64_t)sum > c->claim[MAX_STACK])
        c->claim[MAX_STACK] =
            (uint32_t)(p->cur[XCA_S_OUTSTANDING] - (int64_t)sum);
}

static void on_event(void *opaque, enum xct_replay_event ev,
                     const struct xct_record *rec, uint64_t offset,
                     const struct xct_replay_dom *dom)
{
    struct xca_plot *p = opaque;
    const struct xct_replay_host *rh = xct_replay_host(p->rp);

    (void)offset;
    if (!xca_host_event(&p->host, ev, rh))
        return;
    if (dom && p->slot[dom->domid] >= 0)
        p->cur_claim[p->slot[dom->domid]] = dom->claim;
    if (ev == XCT_REPLAY_EV_DESTROYED && dom && p->slot[dom->domid] >= 0)
        p->cur_claim[p->slot[dom->domid]] = 0;
    xca_host_values(&p->host, rh, p->cur);
    p->have = 1;
    if (rec->tsc >= p->from && rec->tsc <= p->to)
        sample(p, rec->tsc);
}

int xca_plot_feed(struct xca_plot *p, const struct xct_record *rec,
                  uint64_t off)
{
    if (!p || !rec)
        return -EINVAL;
    if (rec->tsc > p->to)
        return 1;
    if (p->cur_col < 0 && rec->tsc >= p->from && p->have)
        sample(p, p->from);
    return xct_replay_feed(p->rp, rec, off) < 0 ? -ENOMEM : 0;
}

int xca_plot_read_file(struct xca_plot *p, const char *path, int tolerant)
{
    struct xct_reader_opts ro = { tolerant ? XCT_READER_TOLERANT : 0, 0 };
    struct xct_reader *rd;
    struct xct_record rec;
    enum xct_read_status s;
    int rc = 0;

    if (!p || !path)
        return -EINVAL;
    rd = xct_reader_new(path, &ro);
    if (!rd)
        return -errno;
    for (;;) {
        s = xct_reader_next(rd, &rec);
        if (s == XCT_READ_OK) {
            rc = xca_plot_feed(p, &rec, xct_reader_offset(rd));
            if (rc)
                break;
            continue;
        }
        if (s == XCT_READ_END || !tolerant || xct_reader_at_end(rd))
            break;
    }
    xct_reader_free(rd);
    return rc < 0 ? rc : 0;
}

/* ---- setup -------------------------------------------------------------- */

static int cmp_peak(const void *x, const void *y)
{
    const struct xca_domain *a = *(const struct xca_domain *const *)x;
    const struct xca_domain *b = *(const struct xca_domain *const *)y;

    if (a->peak_claim != b->peak_claim)
        return a->peak_claim > b->peak_claim ? -1 : 1;
    return a->domid < b->domid ? -1 : a->domid > b->domid;
}

struct xca_plot *xca_plot_new(struct xca *a, unsigned int width)
{
    const struct xca_domain *d, *best[MAX_STACK + 1];
    struct xca_plot *p;
    unsigned int n = 0, i;

    if (!a) {
        errno = EINVAL;
        return NULL;
    }
    if (!width)
        width = 800;
    if (width < 16)
        width = 16;
    if (width > 8192)
        width = 8192;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->a = a;
    p->w = width;
    p->from = a->s.win_from;
    p->to = a->s.win_to > a->s.win_from ? a->s.win_to : a->s.win_from + 1;
    p->cur_col = -1;
    p->col = calloc(width, sizeof(*p->col));
    p->slot = malloc(XCA_MAX_DOMAINS);
    p->rp = xct_replay_new();
    if (!p->col || !p->slot || !p->rp) {
        xca_plot_free(p);
        errno = ENOMEM;
        return NULL;
    }
    memset(p->slot, -1, XCA_MAX_DOMAINS);
    /* The largest peaks, kept sorted in best[0 .. n). */
    for (d = xca_domain_next(a, NULL); d; d = xca_domain_next(a, d)) {
        if (!d->peak_claim)
            continue;
        best[n] = d;
        if (n < MAX_STACK)
            n++;
        qsort(best, n, sizeof(best[0]), cmp_peak);
    }
    for (i = 0; i < n; i++) {
        p->top[i] = best[i]->domid;
        p->slot[best[i]->domid] = (int8_t)i;
    }
    p->ntop = n;
    xct_replay_set_event_cb(p->rp, on_event, p);
    return p;
}

void xca_plot_free(struct xca_plot *p)
{
    if (!p)
        return;
    xct_replay_free(p->rp);
    free(p->col);
    free(p->slot);
    free(p);
}

/* ---- drawing ------------------------------------------------------------ */

struct frame {
    double ymax;                /* pages at the top of the plot */
    double unit;                /* pages per axis unit */
    const char *uname;
    double step;                /* axis units between y ticks */
    double t0, t1;              /* seconds at the left and right edges */
};

/* 1, 2 or 5 times a power of ten, at least x. */
static double nice(double x)
{
    double e, m;

    if (!(x > 0))
        return 1;
    e = pow(10, floor(log10(x)));
    m = x / e;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

static double ypix(const struct frame *f, double pages)
{
    if (pages < 0)
        pages = 0;
    return TOP + PLOT_H - pages / f->ymax * PLOT_H;
}

static double xpix(const struct xca_plot *p, double col)
{
    (void)p;
    return LEFT + col;
}

static double tpix(const struct xca_plot *p, const struct frame *f,
                   double t)
{
    return LEFT + (t - f->t0) / (f->t1 - f->t0) * p->w;
}

static void grid(struct xca_plot *p, FILE *o, const struct frame *f)
{
    double y;

    for (y = f->step; y <= f->ymax / f->unit + 1e-9; y += f->step) {
        double py = ypix(f, y * f->unit);

        fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%u\" y2=\"%.1f\" "
                "stroke=\"#e4e4e4\"/>\n", LEFT, py, LEFT + p->w, py);
    }
}

static void axes(struct xca_plot *p, FILE *o, const struct frame *f)
{
    double span = f->t1 - f->t0, step = nice(span / 8), t, y;

    fprintf(o, "<g font-family=\"sans-serif\" font-size=\"12\" "
            "fill=\"#333\">\n");
    /* y ticks */
    for (y = 0; y <= f->ymax / f->unit + 1e-9; y += f->step) {
        double py = ypix(f, y * f->unit);

        fprintf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g"
                "</text>\n", LEFT - 6, py + 4, y);
    }
    /* x ticks */
    for (t = ceil(f->t0 / step) * step; t <= f->t1 + 1e-12; t += step) {
        double px = tpix(p, f, t);

        fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                "stroke=\"#555\"/>\n", px, TOP + PLOT_H, px,
                TOP + PLOT_H + 5);
        fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g"
                "</text>\n", px, TOP + PLOT_H + 18, t);
    }
    fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%u\" height=\"%d\" "
            "fill=\"none\" stroke=\"#555\"/>\n", LEFT, TOP, p->w, PLOT_H);
    fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">time "
            "since the first record (s)</text>\n", LEFT + p->w / 2.0,
            TOP + PLOT_H + 36);
    fprintf(o, "<text transform=\"translate(%d,%.1f) rotate(-90)\" "
            "text-anchor=\"middle\">memory (%s)</text>\n", 24,
            TOP + PLOT_H / 2.0, f->uname);
    fputs("</g>\n", o);
}

/* Stacked areas of the claims: slot s sits on slots 0 .. s-1. */
static void stacks(struct xca_plot *p, FILE *o, const struct frame *f,
                   unsigned int *used)
{
    unsigned int s, k, i;

    for (s = 0; s <= MAX_STACK; s++) {
        int any = 0;

        if (s >= p->ntop && s != MAX_STACK)
            continue;
        for (k = 0; k < p->w && !any; k++)
            any = p->col[k].has && p->col[k].claim[s];
        if (!any)
            continue;
        used[s] = 1;
        fprintf(o, "<path fill=\"%s\" fill-opacity=\"0.75\" stroke=\"none\" "
                "d=\"", palette[s]);
        /* upper edge left to right, lower edge back */
        for (k = 0; k < p->w; k++) {
            const struct col *c = &p->col[k];
            double base = 0;

            if (!c->has)
                continue;
            for (i = 0; i < s && i < p->ntop; i++)
                base += c->claim[i];
            fprintf(o, "%s%.1f,%.1f", k ? " L" : "M", xpix(p, k),
                    ypix(f, base + c->claim[s]));
            fprintf(o, " L%.1f,%.1f", xpix(p, k + 1),
                    ypix(f, base + c->claim[s]));
        }
        for (k = p->w; k-- > 0;) {
            const struct col *c = &p->col[k];
            double base = 0;

            if (!c->has)
                continue;
            for (i = 0; i < s && i < p->ntop; i++)
                base += c->claim[i];
            fprintf(o, " L%.1f,%.1f L%.1f,%.1f", xpix(p, k + 1),
                    ypix(f, base), xpix(p, k), ypix(f, base));
        }
        fputs(" Z\"/>\n", o);
    }
}

/* A polyline of one value per column. */
static void line(struct xca_plot *p, FILE *o, const struct frame *f,
                 const char *style, size_t field)
{
    unsigned int k;
    int pen = 0;

    fprintf(o, "<path fill=\"none\" %s d=\"", style);
    for (k = 0; k < p->w; k++) {
        const struct col *c = &p->col[k];
        int64_t v;

        if (!c->has) {
            pen = 0;
            continue;
        }
        memcpy(&v, (const char *)c + field, sizeof(v));
        fprintf(o, "%s%.1f,%.1f L%.1f,%.1f ", pen ? "L" : "M", xpix(p, k),
                ypix(f, (double)v), xpix(p, k + 1), ypix(f, (double)v));
        pen = 1;
    }
    fputs("\"/>\n", o);
}

/* The band between the lowest and highest free pages of each column. */
static void band(struct xca_plot *p, FILE *o, const struct frame *f)
{
    unsigned int k;
    int first = 1;

    fputs("<path fill=\"#59a14f\" fill-opacity=\"0.25\" stroke=\"none\" "
          "d=\"", o);
    for (k = 0; k < p->w; k++) {
        if (!p->col[k].has)
            continue;
        fprintf(o, "%s%.1f,%.1f L%.1f,%.1f", first ? "M" : " L",
                xpix(p, k), ypix(f, p->col[k].fmax), xpix(p, k + 1),
                ypix(f, p->col[k].fmax));
        first = 0;
    }
    for (k = p->w; k-- > 0;) {
        if (!p->col[k].has)
            continue;
        fprintf(o, " L%.1f,%.1f L%.1f,%.1f", xpix(p, k + 1),
                ypix(f, p->col[k].fmin), xpix(p, k), ypix(f, p->col[k].fmin));
    }
    fputs(first ? "\"/>\n" : " Z\"/>\n", o);
}

struct marks {
    struct xca_plot *p;
    uint64_t denials;
};

static int mark_denial(void *opaque, const struct xca_denial *d)
{
    struct marks *m = opaque;
    int k;

    if (d->failed)
        return 0;
    k = column(m->p, d->tsc);
    if (k >= 0) {
        m->p->col[k].denials++;
        m->denials++;
    }
    return 0;
}

static int mark_gap(void *opaque, const struct xca_gap *g)
{
    struct marks *m = opaque;
    uint64_t from = g->from_tsc ? g->from_tsc : g->to_tsc;
    uint64_t to = g->until_tsc ? g->until_tsc : g->to_tsc;
    int a, b;

    if (g->kind != XCA_GAP_LOST || !g->to_tsc)
        return 0;
    if (!g->until_tsc)
        to = m->p->to;
    a = column(m->p, from < m->p->from ? m->p->from : from);
    b = column(m->p, to > m->p->to ? m->p->to : to);
    for (; a >= 0 && a <= b; a++)
        m->p->col[a].gap = 1;
    return 0;
}

static void legend_item(FILE *o, int y, const char *text)
{
    fprintf(o, "<text x=\"0\" y=\"%d\">", y + 4);
    xca_xml_str(o, text);
    fputs("</text>\n", o);
}

static void legend(struct xca_plot *p, FILE *o, const unsigned int *used,
                   uint64_t denials, int any_able, int any_gap)
{
    char sw[256], text[96], b[32];
    int y = 0;
    unsigned int s;

    fprintf(o, "<g transform=\"translate(%u,%d)\" font-family=\"sans-serif\" "
            "font-size=\"12\" fill=\"#333\">\n", LEFT + p->w + 44, TOP + 6);
    fprintf(o, "<g transform=\"translate(-22,0)\">\n");
    snprintf(sw, sizeof(sw), "<line x1=\"0\" y1=\"%d\" x2=\"16\" y2=\"%d\" "
             "stroke=\"#2e7d32\" stroke-width=\"2\"/><rect x=\"0\" y=\"%d\" "
             "width=\"16\" height=\"8\" fill=\"#59a14f\" "
             "fill-opacity=\"0.25\"/>", y, y, y - 4);
    fprintf(o, "%s</g>\n<text x=\"0\" y=\"%d\">free (band: lowest .. "
            "highest)</text>\n", sw, y + 4);
    y += 20;
    if (any_able) {
        fprintf(o, "<line x1=\"-22\" y1=\"%d\" x2=\"-6\" y2=\"%d\" "
                "stroke=\"#17becf\" stroke-width=\"2\" "
                "stroke-dasharray=\"5,3\"/>\n", y, y);
        legend_item(o, y, "freeable (tmem)");
        y += 20;
    }
    fprintf(o, "<line x1=\"-22\" y1=\"%d\" x2=\"-6\" y2=\"%d\" "
            "stroke=\"#c0392b\" stroke-width=\"2\"/>\n", y, y);
    legend_item(o, y, "outstanding claims");
    y += 24;
    fprintf(o, "<text x=\"-22\" y=\"%d\" font-weight=\"bold\">claims, "
            "stacked</text>\n", y + 4);
    y += 18;
    for (s = 0; s <= MAX_STACK; s++) {
        const struct xca_domain *d;

        if (!used[s])
            continue;
        if (s == MAX_STACK) {
            snprintf(text, sizeof(text), "other domains");
        } else {
            d = xca_domain(p->a, p->top[s]);
            snprintf(text, sizeof(text), "d%u (peak %s)", p->top[s],
                     xca_fmt_pages(b, sizeof(b), d ? d->peak_claim : 0));
        }
        fprintf(o, "<rect x=\"-22\" y=\"%d\" width=\"16\" height=\"10\" "
                "fill=\"%s\" fill-opacity=\"0.75\"/>\n", y - 5, palette[s]);
        legend_item(o, y, text);
        y += 18;
    }
    y += 8;
    fprintf(o, "<path d=\"M-18,%d l4,-8 l4,8 Z\" fill=\"#d62728\"/>\n",
            y + 4);
    snprintf(text, sizeof(text), "denial because of claims (%" PRIu64 ")",
             denials);
    legend_item(o, y, text);
    y += 20;
    if (any_gap) {
        fprintf(o, "<rect x=\"-22\" y=\"%d\" width=\"16\" height=\"10\" "
                "fill=\"url(#gap)\" stroke=\"#999\"/>\n", y - 5);
        legend_item(o, y, "records lost: state uncertain");
    }
    fputs("</g>\n", o);
}

int xca_plot_svg(struct xca_plot *p, FILE *o, const char *title)
{
    const struct xca_summary *s;
    struct marks m;
    struct frame f;
    unsigned int used[MAX_STACK + 1] = { 0 }, k, i;
    int any_able = 0, any_gap = 0;
    double top = 0, range;
    char b1[32], b2[32];
    int rc;

    if (!p || !o)
        return -EINVAL;
    s = &p->a->s;
    m.p = p;
    m.denials = 0;
    rc = xca_foreach_denial(p->a, mark_denial, &m);
    if (rc >= 0)
        rc = xca_foreach_gap(p->a, mark_gap, &m);
    if (rc < 0)
        return rc;
    for (k = 0; k < p->w; k++) {
        const struct col *c = &p->col[k];
        double stack = 0;

        if (!c->has)
            continue;
        for (i = 0; i <= MAX_STACK; i++)
            stack += c->claim[i];
        if (c->fmax > top)
            top = (double)c->fmax;
        if (c->able > top)
            top = (double)c->able;
        if (c->omax > top)
            top = (double)c->omax;
        if (stack > top)
            top = stack;
        any_able |= c->able > 0;
        any_gap |= c->gap;
    }
    if (top <= 0)
        top = 1;
    /* Units: GiB from 1 GiB up, else MiB. */
    if (top >= 262144.0) {
        f.unit = 262144.0;
        f.uname = "GiB";
    } else {
        f.unit = 256.0;
        f.uname = "MiB";
    }
    range = top / f.unit;
    f.step = nice(range / 5);
    f.ymax = ceil(range / f.step - 1e-9) * f.step * f.unit;
    if (f.ymax < top)
        f.ymax = top;
    f.t0 = xca_seconds(p->a, p->from);
    f.t1 = xca_seconds(p->a, p->to);
    if (!(f.t1 > f.t0))
        f.t1 = f.t0 + 1e-9;

    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
            "height=\"%d\" viewBox=\"0 0 %u %d\">\n",
            LEFT + p->w + RIGHT, TOP + PLOT_H + BOTTOM,
            LEFT + p->w + RIGHT, TOP + PLOT_H + BOTTOM);
    fputs("<defs><pattern id=\"gap\" width=\"6\" height=\"6\" "
          "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
          "<rect width=\"6\" height=\"6\" fill=\"#f2f2f2\"/>"
          "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#aaa\" "
          "stroke-width=\"2\"/></pattern></defs>\n", o);
    fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(o, "<text x=\"%d\" y=\"24\" font-family=\"sans-serif\" "
            "font-size=\"16\" font-weight=\"bold\" fill=\"#222\">", LEFT);
    xca_xml_str(o, title ? title : "xenclaim trace");
    fprintf(o, "</text>\n<text x=\"%d\" y=\"44\" font-family=\"sans-serif\" "
            "font-size=\"12\" fill=\"#555\">%" PRIu64 " records, %.6f s .. "
            "%.6f s; lowest free %s, highest outstanding %s</text>\n", LEFT,
            s->records, f.t0, f.t1,
            xca_fmt_pages(b1, sizeof(b1), s->low_free.valid ?
                          s->low_free.value : 0),
            xca_fmt_pages(b2, sizeof(b2), s->high_outstanding.valid ?
                          s->high_outstanding.value : 0));

    grid(p, o, &f);
    /* gaps */
    for (k = 0; k < p->w; k++) {
        unsigned int e = k;

        if (!p->col[k].gap)
            continue;
        while (e + 1 < p->w && p->col[e + 1].gap)
            e++;
        fprintf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%u\" height=\"%d\" "
                "fill=\"url(#gap)\"/>\n", xpix(p, k), TOP, e - k + 1,
                PLOT_H);
        k = e;
    }
    stacks(p, o, &f, used);
    band(p, o, &f);
    /* the band's lower edge, so that a dip a pixel wide stands out */
    line(p, o, &f, "stroke=\"#2e7d32\" stroke-width=\"1\" "
         "stroke-opacity=\"0.6\"", offsetof(struct col, fmin));
    line(p, o, &f, "stroke=\"#2e7d32\" stroke-width=\"1.5\"",
         offsetof(struct col, flast));
    if (any_able)
        line(p, o, &f, "stroke=\"#17becf\" stroke-width=\"1.5\" "
             "stroke-dasharray=\"5,3\"", offsetof(struct col, able));
    line(p, o, &f, "stroke=\"#c0392b\" stroke-width=\"1.5\"",
         offsetof(struct col, omax));

    /* denials: a faint line in the plot, a triangle under the axis */
    for (k = 0; k < p->w; k++) {
        double x = xpix(p, k + 0.5);

        if (!p->col[k].denials)
            continue;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                "stroke=\"#d62728\" stroke-opacity=\"0.3\"/>\n", x, TOP, x,
                TOP + PLOT_H);
        fprintf(o, "<path d=\"M%.1f,%d l4,-8 l4,8 Z\" fill=\"#d62728\">"
                "<title>%u denial%s</title></path>\n", x - 4,
                TOP + PLOT_H + 56, p->col[k].denials,
                p->col[k].denials == 1 ? "" : "s");
    }
    if (m.denials)
        fprintf(o, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" "
                "font-size=\"11\" fill=\"#d62728\" text-anchor=\"end\">"
                "denials</text>\n", LEFT - 6, TOP + PLOT_H + 56);

    /* the lowest free point */
    if (s->low_free.valid && s->low_free.tsc >= p->from &&
        s->low_free.tsc <= p->to) {
        double x = tpix(p, &f, xca_seconds(p->a, s->low_free.tsc));
        double y = ypix(&f, (double)s->low_free.value);

        fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"none\" "
                "stroke=\"#2e7d32\" stroke-width=\"2\"/>\n", x, y);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-family=\"sans-serif\" "
                "font-size=\"11\" fill=\"#2e7d32\" stroke=\"white\" "
                "stroke-width=\"3\" paint-order=\"stroke\" "
                "text-anchor=\"%s\">"
                "lowest free %s at %.6f s</text>\n",
                x < LEFT + p->w / 2.0 ? x + 8 : x - 8, y - 14 < TOP + 12 ?
                y + 18 : y - 14, x < LEFT + p->w / 2.0 ? "start" : "end",
                xca_fmt_pages(b1, sizeof(b1), s->low_free.value),
                xca_seconds(p->a, s->low_free.tsc));
    }
    axes(p, o, &f);
    legend(p, o, used, m.denials, any_able, any_gap);
    fputs("</svg>\n", o);
    return fflush(o) == EOF || ferror(o) ? -EIO : 0;
}
