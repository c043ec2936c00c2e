/* xca_text.c: the readable report of an analysis. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xca_int.h"

#define ROWS 24                 /* timeline rows at most */

struct ctx {
    struct xca *a;
    FILE *f;
    struct xca_spill *lives;    /* where claim lives are read */
    unsigned int n;
    char b1[32], b2[32], b3[32], b4[32];
};

static const char *pg(char *buf, int64_t pages)
{
    return xca_fmt_pages(buf, 32, pages);
}

/* "%.6f" of x into buf (48 bytes). */
static const char *f6(char *buf, double x)
{
    return xca_fmt_fixed(buf, 48, x, 6);
}

static double secs(const struct ctx *c, uint64_t tsc)
{
    return xca_seconds(c->a, tsc);
}

static const char *errname(int32_t result)
{
    return result < 0 && result > -4096 ? xct_errno_name(-result) : "?";
}

/* ---- header and host ---------------------------------------------------- */

static void header(struct ctx *c, const char *name)
{
    const struct xca_summary *s = &c->a->s;
    const struct xca_opts *o = &c->a->o;
    unsigned int i;
    int any = 0;

    fprintf(c->f, "xenclaim-analyze report: %s\n", name ? name : "trace");
    fprintf(c->f, "trace:    %" PRIu64 " records in %" PRIu64 " windows "
            "from %u CPUs, %" PRIu64 " bytes read; %.6f s at %.6g MHz\n",
            s->records, s->windows, s->cpus, s->bytes,
            s->records ? (double)(s->last_tsc - s->first_tsc) / s->cpu_hz
                       : 0.0, s->cpu_hz / 1e6);
    fprintf(c->f, "events:   %" PRIu64 " xenclaim", s->xenclaim);
    for (i = 0; i < XCT_REPLAY_NREC - 1; i++) {
        const struct xct_event_desc *d = xct_event_desc_at(i);

        if (s->by_event[i] && d)
            fprintf(c->f, "%s%s %" PRIu64, any++ ? ", " : " (", d->name,
                    s->by_event[i]);
    }
    fprintf(c->f, "%s; %" PRIu64 " foreign, skipped", any ? ")" : "",
            s->foreign);
    if (s->foreign) {
        static const char *const cls[8] = { "gen", "sched", "dom0op",
            "hvm", "mem", "pv", "shadow", "hw" };

        any = 0;
        for (i = 0; i < 8; i++)
            if (s->by_class[i])
                fprintf(c->f, "%s%s %" PRIu64, any++ ? ", " : " (",
                        cls[i], s->by_class[i]);
        if (s->other_mem)
            fprintf(c->f, "; other TRC_MEM %" PRIu64, s->other_mem);
        fputs(")", c->f);
    }
    if (s->lost_events)
        fprintf(c->f, "; %" PRIu64 " lost-records records",
                s->lost_events);
    fputc('\n', c->f);
    if (o->has_from || o->has_to)
        fprintf(c->f, "window:   %.6f s .. %.6f s%s\n",
                secs(c, s->win_from), secs(c, s->win_to),
                s->past_window ? " (later records not read)" : "");
    else
        fprintf(c->f, "window:   the whole trace\n");
    if (o->ndomains) {
        fputs("domains:  only", c->f);
        for (i = 0; i < o->ndomains; i++)
            fprintf(c->f, " d%u", o->domains[i]);
        fputc('\n', c->f);
    }
    if (s->lost || s->read_errors)
        fprintf(c->f, "state:    UNCERTAIN: %" PRIu64 " records lost, %"
                PRIu64 " problems in the file (see gaps)\n", s->lost,
                s->read_errors);
    else if (s->exact_start)
        fputs("state:    exact: the trace begins with a state dump and "
              "loses nothing\n", c->f);
    else
        fputs("state:    partial: no state dump at the start; figures "
              "before the first report are unknown\n", c->f);
}

static void extreme(struct ctx *c, const char *what,
                    const struct xca_extreme *e)
{
    if (!e->valid)
        return;
    fprintf(c->f, "  %-20s %" PRId64 " (%s) at %.6f s\n", what, e->value,
            pg(c->b1, e->value), secs(c, e->tsc));
}

static void host(struct ctx *c)
{
    const struct xca_summary *s = &c->a->s;
    double span = (double)(s->win_to - s->win_from);
    unsigned int i, n;
    uint64_t w;
    const struct xca_point *p = xca_timeline(c->a, &n, &w);

    fputs("\nhost (pages of 4 KiB; headroom = free + freeable - "
          "outstanding):\n", c->f);
    if (!s->have_start) {
        fputs("  no host figures in the window\n", c->f);
        return;
    }
    fprintf(c->f, "  at start   free %" PRId64 " (%s), freeable %" PRId64
            " (%s), outstanding %" PRId64 " (%s)\n",
            s->start[XCA_S_FREE], pg(c->b1, s->start[XCA_S_FREE]),
            s->start[XCA_S_FREEABLE], pg(c->b2, s->start[XCA_S_FREEABLE]),
            s->start[XCA_S_OUTSTANDING],
            pg(c->b3, s->start[XCA_S_OUTSTANDING]));
    fprintf(c->f, "  at end     free %" PRId64 " (%s), freeable %" PRId64
            " (%s), outstanding %" PRId64 " (%s)\n",
            s->end[XCA_S_FREE], pg(c->b1, s->end[XCA_S_FREE]),
            s->end[XCA_S_FREEABLE], pg(c->b2, s->end[XCA_S_FREEABLE]),
            s->end[XCA_S_OUTSTANDING],
            pg(c->b3, s->end[XCA_S_OUTSTANDING]));
    extreme(c, "lowest free", &s->low_free);
    extreme(c, "lowest headroom", &s->low_headroom);
    extreme(c, "highest outstanding", &s->high_outstanding);
    fprintf(c->f, "  %-20s %.6f s (%.1f%% of the window)\n",
            "no headroom for", (double)s->no_headroom_ticks / s->cpu_hz,
            span > 0 ? 100.0 * (double)s->no_headroom_ticks / span : 0.0);

    if (!p || !n)
        return;
    /* Group buckets into at most ROWS rows. */
    fputs("\ntimeline (lowest .. highest in each interval; ? marks lost "
          "records and the\ninexact state after them):\n", c->f);
    fprintf(c->f, "  %-11s %-23s %-11s %-23s %-11s %s\n", "FROM (s)",
            "FREE", "FREEABLE", "OUTSTANDING", "HEADROOM", "DENIALS");
    for (i = 0; i < n;) {
        unsigned int per = (n + ROWS - 1) / ROWS, j, k;
        struct xca_point r = p[i];
        char fr[64], out[64];

        for (j = i + 1; j < i + per && j < n; j++) {
            for (k = 0; k < XCA_NSERIES; k++) {
                if (p[j].min[k] < r.min[k])
                    r.min[k] = p[j].min[k];
                if (p[j].max[k] > r.max[k])
                    r.max[k] = p[j].max[k];
                r.last[k] = p[j].last[k];
            }
            r.denials += p[j].denials;
            r.uncertain |= p[j].uncertain;
        }
        snprintf(fr, sizeof(fr), "%s..%s", pg(c->b1, r.min[XCA_S_FREE]),
                 pg(c->b2, r.max[XCA_S_FREE]));
        snprintf(out, sizeof(out), "%s..%s",
                 pg(c->b1, r.min[XCA_S_OUTSTANDING]),
                 pg(c->b2, r.max[XCA_S_OUTSTANDING]));
        fprintf(c->f, "  %-11.6f %-23s %-11s %-23s %-11s %u%s\n",
                secs(c, r.tsc), fr, pg(c->b3, r.max[XCA_S_FREEABLE]), out,
                pg(c->b4, r.min[XCA_S_HEADROOM]), r.denials,
                r.uncertain ? " ?" : "");
        i = j;
    }
}

/* ---- domains and claims ------------------------------------------------- */

/*
 * A line built by appending: the domains and claims sections print a
 * line or more for every domain and every claim life, and a trace can
 * hold tens of thousands of domains and millions of lives.
 */
struct line {
    char b[1024];
    size_t n;
};

static inline __attribute__((always_inline)) void put_n(struct line *ln,
                                                        const char *s,
                                                        size_t k)
{
    if (k > sizeof(ln->b) - ln->n)
        k = sizeof(ln->b) - ln->n;
    memcpy(ln->b + ln->n, s, k);
    ln->n += k;
}

static void put(struct line *ln, const char *s)
{
    put_n(ln, s, strlen(s));
}

/* A string literal: its length is known. */
#define put_lit(ln, lit) put_n((ln), "" lit, sizeof(lit) - 1)

/* pg() of pages, formatted in place. */
static void put_pg(struct line *ln, double pages)
{
    char tmp[32];

    if (sizeof(ln->b) - ln->n < 32) {
        xca_fmt_pages_d(tmp, sizeof(tmp), pages);
        put(ln, tmp);
        return;
    }
    ln->n += xca_fmt_pages_n(ln->b + ln->n, 32, pages);
}

/* f6() of x, formatted in place. */
static void put_f6(struct line *ln, double x)
{
    if (sizeof(ln->b) - ln->n < 48) {
        char tmp[48];

        put(ln, f6(tmp, x));
        return;
    }
    ln->n += xca_fmt_fixed_n(ln->b + ln->n, 48, x, 6);
}

/* v's digits, ending at end; returns where they start. */
static char *digits(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void put_u(struct line *ln, uint64_t v)
{
    char tmp[24], *q = digits(tmp + sizeof(tmp), v);

    put_n(ln, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* "N pages (SIZE)" */
static void put_pages(struct line *ln, uint64_t n)
{
    put_u(ln, n);
    put_lit(ln, " pages (");
    put_pg(ln, (double)(int64_t)n);
    put_lit(ln, ")");
}

/* s (k bytes) right-justified in width columns (printf's "%*s"). */
static void put_rn(struct line *ln, const char *s, size_t k, size_t width)
{
    for (; k < width && ln->n < sizeof(ln->b); width--)
        ln->b[ln->n++] = ' ';
    put_n(ln, s, k);
}

static void put_r(struct line *ln, const char *s, size_t width)
{
    put_rn(ln, s, strlen(s), width);
}

/* v in width columns, right-justified ("%*u"), or left ("%-*u"). */
static void put_uw(struct line *ln, uint64_t v, size_t width, int left)
{
    char tmp[24], *q = digits(tmp + sizeof(tmp), v);
    size_t k = (size_t)(tmp + sizeof(tmp) - q);

    if (!left) {
        put_rn(ln, q, k, width);
        return;
    }
    put_n(ln, q, k);
    for (; k < width && ln->n < sizeof(ln->b); k++)
        ln->b[ln->n++] = ' ';
}

/* Rows of the domains seen with domid in [from, to). */
static int domain_rows(struct ctx *c, uint32_t from, uint32_t to)
{
    /* "  d%-5u %6u %9u %9u %6u %5u %7u %6u %7u %11s %11s %11s\n" */
    static const uint8_t width[] = { 6, 9, 9, 6, 5, 7, 6, 7 };
    const struct xca_domain *d;
    char buf[32];
    unsigned int i;

    for (d = xca_domain_from(c->a, from); d && d->domid < to;
         d = xca_domain_next(c->a, d)) {
        const uint64_t count[] = {
            d->stakes, d->cancelled, d->satisfied,
            (uint64_t)d->deaths + d->destroyed, d->open, d->refused,
            d->denials, d->blocked,
        };
        const int64_t pages[] = {
            (int64_t)d->pages_drawn, d->peak_claim, d->peak_tot,
        };
        struct line ln;

        ln.n = 0;
        put_lit(&ln, "  d");
        put_uw(&ln, d->domid, 5, 1);
        for (i = 0; i < sizeof(width); i++) {
            put_lit(&ln, " ");
            put_uw(&ln, count[i], width[i], 0);
        }
        for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
            put_lit(&ln, " ");
            put_r(&ln, pg(buf, pages[i]), 11);
        }
        put_lit(&ln, "\n");
        fwrite(ln.b, 1, ln.n, c->f);
    }
    return 0;
}

static void life_line(struct ctx *c, struct line *ln,
                      const struct xca_life *l)
{
    double t0 = secs(c, l->start_tsc), t1 = secs(c, l->end_tsc);

    put_lit(ln, "    #");
    put_u(ln, ++c->n);
    if (l->flags & XCA_LIFE_FROM_DUMP) {
        put_lit(ln, " held when the trace began (");
        put_f6(ln, t0);
        put_lit(ln, " s): ");
        put_pages(ln, l->staked);
    } else if (l->flags & XCA_LIFE_UNSEEN) {
        put_lit(ln, " first seen at ");
        put_f6(ln, t0);
        put_lit(ln, " s (stake not in the trace): ");
        put_pages(ln, l->staked);
    } else {
        put_lit(ln, " staked at ");
        put_f6(ln, t0);
        put_lit(ln, " s: ");
        put_pages(ln, l->staked);
        put_lit(ln, ", target ");
        put_u(ln, l->target);
        if (l->flags & XCA_LIFE_FREE_ONLY)
            put_lit(ln, ", free pages only");
    }
    if (l->draws) {
        double dt = secs(c, l->last_draw_tsc) - t0;

        put_lit(ln, "\n       drawn ");
        put_pages(ln, l->drawn);
        put_lit(ln, " by ");
        put_u(ln, l->draws);
        put_lit(ln, " allocations from ");
        put_f6(ln, secs(c, l->first_draw_tsc));
        put_lit(ln, " s to ");
        put_f6(ln, secs(c, l->last_draw_tsc));
        put_lit(ln, " s");
        if (dt > 0) {
            put_lit(ln, ": ");
            put_pg(ln, (double)l->drawn / dt);
            put_lit(ln, "/s");
        }
        put_lit(ln, "\n");
    } else {
        put_lit(ln, "\n       never drawn\n");
    }
    if (l->regrown) {
        put_lit(ln, "       given back ");
        put_pages(ln, l->regrown);
        put_lit(ln, " by frees\n");
    }
    if (l->end == XCA_END_OPEN) {
        put_lit(ln, "       still open at ");
        put_f6(ln, t1);
        put_lit(ln, " s, after ");
        put_f6(ln, t1 - t0);
        put_lit(ln, " s: ");
        put_pages(ln, l->left);
        put_lit(ln, " outstanding\n");
    } else {
        put_lit(ln, "       ");
        put(ln, xca_end_name(l->end));
        put_lit(ln, " at ");
        put_f6(ln, t1);
        put_lit(ln, " s, after ");
        put_f6(ln, t1 - t0);
        put_lit(ln, " s");
        if (l->left) {
            put_lit(ln, ", ");
            put_pg(ln, (double)l->left);
            put_lit(ln, " left");
        }
        put_lit(ln, "\n");
    }
}

static int life_lines(void *opaque, const struct xca_life *l)
{
    struct ctx *c = opaque;
    struct line ln;

    ln.n = 0;
    life_line(c, &ln, l);
    fwrite(ln.b, 1, ln.n, c->f);
    return 0;
}

/* The claim lives of the domains seen with domid in [from, to). */
static int claim_rows(struct ctx *c, uint32_t from, uint32_t to)
{
    const struct xca_domain *d;
    int rc;

    for (d = xca_domain_lived_from(c->a, from); d && d->domid < to;
         d = xca_domain_lived_from(c->a, d->domid + 1)) {
        struct line ln;

        /* "  d%u (%u claim%s)\n" */
        ln.n = 0;
        put_lit(&ln, "  d");
        put_u(&ln, d->domid);
        put_lit(&ln, " (");
        put_u(&ln, d->lives);
        if (d->lives == 1)
            put_lit(&ln, " claim)\n");
        else
            put_lit(&ln, " claims)\n");
        fwrite(ln.b, 1, ln.n, c->f);
        c->n = 0;
        rc = xca_foreach_life_in(c->a, c->lives, d->domid, life_lines, c);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- the long sections in two threads ------------------------------- */

/*
 * The per-domain sections (a row per domain, a few lines per claim life)
 * are cut into blocks of consecutive domains.  The calling thread writes
 * the even blocks straight into the report; a helper thread formats the
 * odd ones into memory, at most one block ahead, and the caller writes
 * each in its turn: the bytes one thread would write, in about half the
 * time, with at most two blocks' text in memory.  Lives are read by the
 * helper through its own view of the spill file (xca_spill_view()).
 */
typedef int (*rows_fn)(struct ctx *c, uint32_t from, uint32_t to);

#define BLOCK_TARGET 2048u      /* lives (or domains) per block */
#define BLOCK_MAX 4096u         /* blocks at most */
#define OBUF_STDIO (64u << 10)  /* stdio buffer in front of an obuf */

/*
 * Memory a helper's FILE writes into, kept from block to block: after
 * the first blocks it no longer grows, so a block costs one copy into
 * it and one out of it.
 */
struct obuf {
    char *b;
    size_t n, cap;
    FILE *f;                    /* writes append to b */
};

static ssize_t obuf_write(void *cookie, const char *p, size_t k)
{
    struct obuf *o = cookie;

    if (k > o->cap - o->n) {
        size_t cap = o->cap ? o->cap : OBUF_STDIO;
        char *b;

        while (cap - o->n < k)
            cap *= 2;
        b = realloc(o->b, cap);
        if (!b) {
            errno = ENOMEM;
            return -1;
        }
        o->b = b;
        o->cap = cap;
    }
    memcpy(o->b + o->n, p, k);
    o->n += k;
    return (ssize_t)k;
}

static int obuf_open(struct obuf *o)
{
    cookie_io_functions_t io = { .write = obuf_write };

    memset(o, 0, sizeof(*o));
    o->f = fopencookie(o, "w", io);
    if (!o->f)
        return -errno;
    setvbuf(o->f, NULL, _IOFBF, OBUF_STDIO);
    return 0;
}

static void obuf_close(struct obuf *o)
{
    if (o->f)
        fclose(o->f);
    free(o->b);
}

struct par {
    struct ctx wc;              /* the helper's */
    struct xca_spill view;
    rows_fn fn;
    const uint32_t *cut;        /* block b: domids [cut[b], cut[b + 1]) */
    unsigned int nblk;
    struct obuf ob[2];          /* the helper's k-th block goes to ob[k & 1] */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const struct obuf *ready;   /* the next odd block formatted, or NULL */
    int stop;                   /* the caller wants no more */
    int rc;                     /* the helper's first error */
};

static void *par_main(void *arg)
{
    struct par *p = arg;
    unsigned int b, k;

    /*
     * ob[k & 1] is free when block k starts: the caller took block k - 2
     * from it before the helper could hand over block k - 1.
     */
    for (b = 1, k = 0; b < p->nblk; b += 2, k++) {
        struct obuf *o = &p->ob[k & 1];
        int rc;

        o->n = 0;
        p->wc.f = o->f;
        rc = p->fn(&p->wc, p->cut[b], p->cut[b + 1]);
        if (fflush(o->f) == EOF && rc == 0)
            rc = -ENOMEM;
        pthread_mutex_lock(&p->lock);
        while (p->ready && !p->stop)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop || rc < 0) {
            if (rc < 0)
                p->rc = rc;
            p->stop = 1;
            pthread_cond_broadcast(&p->cond);
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        p->ready = o;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

/*
 * fn over every domain seen, in blocks of about BLOCK_TARGET weight
 * (lives, or 1 per domain with lives_weight 0).  0 or -errno.
 */
static int par_rows(struct ctx *c, rows_fn fn, int lives_weight)
{
    const struct obuf *o;
    struct par p;
    pthread_t th;
    uint32_t *cut;
    unsigned int n, b;
    int rc = 0;

    cut = malloc((BLOCK_MAX + 1) * sizeof(*cut));
    if (!cut)
        return fn(c, 0, XCA_MAX_DOMAINS);
    n = xca_cuts(c->a, lives_weight, BLOCK_TARGET, cut, BLOCK_MAX);
    memset(&p, 0, sizeof(p));
    if (n < 2 || obuf_open(&p.ob[0]) < 0 || obuf_open(&p.ob[1]) < 0) {
        obuf_close(&p.ob[0]);
        obuf_close(&p.ob[1]);
        free(cut);
        return fn(c, 0, XCA_MAX_DOMAINS);
    }

    p.wc = *c;
    xca_spill_view(c->lives, &p.view);
    p.wc.lives = &p.view;
    p.fn = fn;
    p.cut = cut;
    p.nblk = n;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    if (pthread_create(&th, NULL, par_main, &p) != 0) {
        rc = fn(c, 0, XCA_MAX_DOMAINS);
        goto out;
    }
    for (b = 0; b < n && rc == 0; b++) {
        if (!(b & 1)) {
            rc = fn(c, cut[b], cut[b + 1]);
            continue;
        }
        pthread_mutex_lock(&p.lock);
        while (!p.ready && !p.stop)
            pthread_cond_wait(&p.cond, &p.lock);
        o = p.ready;
        pthread_mutex_unlock(&p.lock);
        if (!o) {               /* the helper failed */
            rc = p.rc ? p.rc : -EIO;
            break;
        }
        /* o is block b: the helper goes in order, one ahead. */
        if (fwrite(o->b, 1, o->n, c->f) != o->n)
            rc = -EIO;
        pthread_mutex_lock(&p.lock);
        p.ready = NULL;
        pthread_cond_broadcast(&p.cond);
        pthread_mutex_unlock(&p.lock);
    }
    pthread_mutex_lock(&p.lock);
    p.stop = 1;
    pthread_cond_broadcast(&p.cond);
    pthread_mutex_unlock(&p.lock);
    pthread_join(th, NULL);
out:
    xca_spill_view_close(&p.view);
    pthread_cond_destroy(&p.cond);
    pthread_mutex_destroy(&p.lock);
    obuf_close(&p.ob[0]);
    obuf_close(&p.ob[1]);
    free(cut);
    return rc;
}

static int domains(struct ctx *c)
{
    fputs("\ndomains (counts in the window):\n", c->f);
    fprintf(c->f, "  %-6s %6s %9s %9s %6s %5s %7s %6s %7s %11s %11s %11s\n",
            "DOMID", "STAKES", "CANCELLED", "SATISFIED", "DEATH", "OPEN",
            "REFUSED", "DENIED", "BLOCKED", "DRAWN", "PEAK CLAIM",
            "PEAK TOT");
    return par_rows(c, domain_rows, 0);
}

static int claims(struct ctx *c)
{
    int rc;

    fprintf(c->f, "\nclaims, per domain (%" PRIu64 "):\n", c->a->s.lives);
    rc = par_rows(c, claim_rows, 1);
    if (rc < 0)
        return rc;
    if (!c->a->s.lives)
        fputs("  none\n", c->f);
    return 0;
}

/* ---- refusals ----------------------------------------------------------- */

static int fail_line(void *opaque, const struct xca_stake_fail *s)
{
    struct ctx *c = opaque;
    uint64_t have = s->free;
    int64_t avail;

    /* free (+ freeable unless free_only) - outstanding, at least 0 */
    if (!(s->flags & XCT_CLAIMF_FREE_ONLY))
        have = have + s->freeable < have ? UINT64_MAX : have + s->freeable;
    avail = have > s->outstanding ? (int64_t)(have - s->outstanding) : 0;
    if (avail < 0)
        avail = INT64_MAX;
    fprintf(c->f, "  %.6f s  d%-5u %-7s target %" PRIu64 " pages (%s), "
            "owns %u, offset %" PRIu64 "\n", secs(c, s->tsc), s->domid,
            errname(s->result), s->nr_pages,
            pg(c->b1, (int64_t)s->nr_pages), s->tot_pages, s->offset);
    if (s->result == -ENOMEM && s->nr_pages > s->tot_pages &&
        s->host_known)
        fprintf(c->f, "      asked %" PRIu64 " (%s), available %" PRId64
                " (%s) = free %s%s - outstanding %s\n",
                s->nr_pages - s->tot_pages,
                pg(c->b1, (int64_t)(s->nr_pages - s->tot_pages)), avail,
                pg(c->b2, avail), pg(c->b3, (int64_t)s->free),
                (s->flags & XCT_CLAIMF_FREE_ONLY) ? " (free only)" : "",
                pg(c->b4, (int64_t)s->outstanding));
    return 0;
}

static int denial_line(void *opaque, const struct xca_denial *d)
{
    struct ctx *c = opaque;
    unsigned int i;

    if (d->domid == XCT_DOMID_ANON)
        fprintf(c->f, "  %.6f s  anonymous", secs(c, d->tsc));
    else
        fprintf(c->f, "  %.6f s  d%-5u", secs(c, d->tsc), d->domid);
    fprintf(c->f, " order %u (%" PRIu64 " page%s)%s, own claim %u, offset %"
            PRIu64 "\n", d->order, (uint64_t)1 << (d->order & 63),
            d->order ? "s" : "",
            (d->memflags & XCT_MEMF_NO_REFCOUNT) ? " no_refcount" : "",
            d->claim, d->offset);
    if (d->host_known)
        fprintf(c->f, "      host: free %" PRIu64 " (%s), freeable %" PRIu64
                " (%s), outstanding %" PRIu64 " (%s)\n", d->free,
                pg(c->b1, (int64_t)d->free), d->freeable,
                pg(c->b2, (int64_t)d->freeable), d->outstanding,
                pg(c->b3, (int64_t)d->outstanding));
    else
        fputs("      host: figures missing (no heap record after it)\n",
              c->f);
    if (d->failed)
        return 0;
    if (!d->nholders) {
        fputs("      blocked by: no other domain held a claim (plain "
              "exhaustion)\n", c->f);
        return 0;
    }
    fprintf(c->f, "      blocked by %u domain%s holding %s:", d->nholders,
            d->nholders == 1 ? "" : "s", pg(c->b1, (int64_t)d->held));
    for (i = 0; i < d->nshown; i++)
        fprintf(c->f, "%s d%u %s", i ? "," : "", d->top[i].domid,
                pg(c->b1, d->top[i].claim));
    if (d->nshown < d->nholders)
        fprintf(c->f, ", %u more", d->nholders - d->nshown);
    fputc('\n', c->f);
    return 0;
}

struct pick {
    struct ctx *c;
    int failed;
};

static int denial_pick(void *opaque, const struct xca_denial *d)
{
    const struct pick *p = opaque;

    return (int)d->failed == p->failed ? denial_line(p->c, d) : 0;
}

/* ---- gaps and consistency ----------------------------------------------- */

static int gap_line(void *opaque, const struct xca_gap *g)
{
    struct ctx *c = opaque;

    switch (g->kind) {
    case XCA_GAP_LOST:
        if (g->from_tsc)
            fprintf(c->f, "  %.6f .. %.6f s", secs(c, g->from_tsc),
                    secs(c, g->to_tsc));
        else
            fprintf(c->f, "  before %.6f s", secs(c, g->to_tsc));
        fprintf(c->f, ", offset %" PRIu64 ", cpu %u: %" PRIu64 " records "
                "lost (%s); state inexact ", g->offset, g->cpu, g->lost,
                g->msg);
        if (g->until_tsc)
            fprintf(c->f, "until the dump at %.6f s\n",
                    secs(c, g->until_tsc));
        else
            fputs("to the end\n", c->f);
        break;
    default:
        fprintf(c->f, "  offset %" PRIu64 ": %s: %s\n", g->offset,
                g->kind == XCA_GAP_STOPPED ? "reading stopped" :
                "skipped to the next window", g->msg);
        break;
    }
    return 0;
}

static int issue_line(void *opaque, const struct xca_issue *i)
{
    struct ctx *c = opaque;

    fprintf(c->f, "  offset %" PRIu64 " (%.6f s): %s\n", i->offset,
            secs(c, i->tsc), i->msg);
    return 0;
}

int xca_report_text(struct xca *a, FILE *out, const char *name)
{
    struct ctx c = { .a = a, .f = out, .lives = &a->lives };
    struct pick pk = { &c, 0 };
    const struct xca_summary *s;
    int rc;

    if (!a || !out)
        return -EINVAL;
    s = &a->s;
    header(&c, name);
    host(&c);
    rc = domains(&c);
    if (rc < 0)
        return rc;
    rc = claims(&c);
    if (rc < 0)
        return rc;

    fprintf(out, "\nrefused stakes (%" PRIu64 "):\n", s->stake_fails);
    if (!s->stake_fails)
        fputs("  none\n", out);
    rc = xca_foreach_stake_fail(a, fail_line, &c);
    if (rc < 0)
        return rc;

    fprintf(out, "\ndenials because of claims (%" PRIu64 "):\n",
            s->denials);
    if (!s->denials)
        fputs("  none\n", out);
    rc = xca_foreach_denial(a, denial_pick, &pk);
    if (rc < 0)
        return rc;
    if (s->failed_allocs) {
        fprintf(out, "\nallocation failures, no free block, not claims (%"
                PRIu64 "):\n", s->failed_allocs);
        pk.failed = 1;
        rc = xca_foreach_denial(a, denial_pick, &pk);
        if (rc < 0)
            return rc;
    }

    fprintf(out, "\ngaps: lost or skipped records (%" PRIu64 "):\n",
            s->gaps);
    if (!s->gaps)
        fputs("  none\n", out);
    rc = xca_foreach_gap(a, gap_line, &c);
    if (rc < 0)
        return rc;

    if (!s->issues)
        fprintf(out, "\nconsistency (replay of the accounting): no "
                "violation in %" PRIu64 " records", s->records);
    else
        fprintf(out, "\nconsistency (replay of the accounting): %" PRIu64
                " violation%s", s->issues, s->issues == 1 ? "" : "s");
    if (s->issues_outside)
        fprintf(out, " (and %" PRIu64 " outside the window or filter)",
                s->issues_outside);
    fputs(s->issues ? ":\n" : "\n", out);
    rc = xca_foreach_issue(a, issue_line, &c);
    if (rc < 0)
        return rc;
    return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
