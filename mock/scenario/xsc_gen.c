/* xsc_gen.c: a seeded generator of random but valid scenarios. */
/* SPDX-License-Identifier: MIT */
/*
 * Guests are spread over the toolstacks; together they ask for about 1.3
 * times the host's free memory, so that some builds race and some fail.
 * Each guest is created at a random time in the first half of the
 * duration and may be ballooned, claimed for, destroyed by its own
 * toolstack or (rarely) by another one while it is still being built.  A
 * "host" actor puts and flushes tmem pages and offlines a few frames.
 * Every actor's events are sorted by time and written with `at`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsc_int.h"

#define MIB_PAGES   UINT64_C(256)
#define GIB_PAGES   (1024 * MIB_PAGES)
#define MS          UINT64_C(1000000)

struct gev {
    unsigned int actor;
    uint64_t t;             /* ns */
    unsigned int seq;       /* order of creation, ties */
    char text[160];
};

struct gen {
    struct xsc_rng rng;
    struct gev *ev;
    size_t n, cap;
    int err;
};

static uint64_t pick(struct gen *g, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + xsc_rng_upto(&g->rng, hi - lo);
}

static bool chance(struct gen *g, unsigned int percent)
{
    return xsc_rng_upto(&g->rng, 99) < percent;
}

static void add(struct gen *g, unsigned int actor, uint64_t t,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add(struct gen *g, unsigned int actor, uint64_t t,
                const char *fmt, ...)
{
    struct gev *e;
    va_list ap;

    if (g->err)
        return;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;

        e = realloc(g->ev, cap * sizeof(*e));
        if (!e) {
            g->err = ENOMEM;
            return;
        }
        g->ev = e;
        g->cap = cap;
    }
    e = &g->ev[g->n];
    e->actor = actor;
    e->t = t;
    e->seq = (unsigned int)g->n;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
    g->n++;
}

static int cmp_ev(const void *a, const void *b)
{
    const struct gev *x = a, *y = b;

    if (x->actor != y->actor)
        return x->actor < y->actor ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A size in MiB, written so that it parses back to the same pages. */
static const char *mib(char *buf, size_t len, uint64_t pages)
{
    snprintf(buf, len, "%" PRIu64 "M", pages / MIB_PAGES);
    return buf;
}

void xsc_gen_defaults(struct xsc_gen_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->guests = 8;
    o->toolstacks = 3;
    o->memory = 16 * GIB_PAGES;
    o->duration = 60 * XSC_NS_PER_S;
}

char *xsc_generate(const struct xsc_gen_opts *o)
{
    struct gen g;
    char *out = NULL, a[32], b[32];
    size_t outlen = 0, i;
    FILE *f;
    uint64_t dom0, tmem, avg, mem, max, t0, t, mem_mib, bal;
    unsigned int nodes, ts, k, host_actor, other;
    int claim;

    if (!o->guests || o->guests > 1000 || !o->toolstacks ||
        o->toolstacks > 64 || o->memory < GIB_PAGES ||
        o->memory > 1024 * GIB_PAGES || o->duration < XSC_NS_PER_S ||
        o->duration > 3600 * XSC_NS_PER_S) {
        errno = EINVAL;
        return NULL;
    }
    memset(&g, 0, sizeof(g));
    xsc_rng_seed(&g.rng, o->seed, 0x67656e);

    mem_mib = o->memory / MIB_PAGES;
    nodes = o->memory >= 2 * GIB_PAGES && chance(&g, 50) ? 2 : 1;
    dom0 = o->memory / 16 / MIB_PAGES * MIB_PAGES;
    if (dom0 > GIB_PAGES)
        dom0 = GIB_PAGES;
    tmem = chance(&g, 50) ? o->memory / 16 / MIB_PAGES * MIB_PAGES : 0;
    claim = chance(&g, 70);
    host_actor = o->toolstacks;

    /* Guests ask for about 1.3 times what is free, in 64 MiB steps. */
    avg = (o->memory - dom0) * 13 / 10 / o->guests;
    for (k = 0; k < o->guests; k++) {
        ts = k < o->toolstacks ? k : (unsigned int)pick(&g, 0,
                                                       o->toolstacks - 1);
        mem = pick(&g, avg / 2, avg * 3 / 2) / (64 * MIB_PAGES) *
              (64 * MIB_PAGES);
        if (mem < 64 * MIB_PAGES)
            mem = 64 * MIB_PAGES;
        max = chance(&g, 30) ? mem / 2 * 3 / MIB_PAGES * MIB_PAGES : mem;
        t0 = pick(&g, 0, o->duration / 2 / MS) * MS;
        switch (xsc_rng_upto(&g.rng, 9)) {
        case 0:
            add(&g, ts, t0, "create g%u memory=%s maxmem=%s claim=on", k + 1,
                mib(a, sizeof(a), mem), mib(b, sizeof(b), max));
            break;
        case 1:
            add(&g, ts, t0, "create g%u memory=%s maxmem=%s claim=off",
                k + 1, mib(a, sizeof(a), mem), mib(b, sizeof(b), max));
            break;
        default:
            add(&g, ts, t0, "create g%u memory=%s maxmem=%s", k + 1,
                mib(a, sizeof(a), mem), mib(b, sizeof(b), max));
            break;
        }
        t = t0 + pick(&g, 1000, o->duration / 4 / MS + 1000) * MS;
        if (chance(&g, 50)) {
            /* Balloon by up to 128M (4 KiB pages: a record each). */
            bal = pick(&g, 0, 8) * 16 * MIB_PAGES;
            if (bal > mem / 2)
                bal = mem / 2 / MIB_PAGES * MIB_PAGES;
            bal = chance(&g, 50) || mem + bal > max ? mem - bal : mem + bal;
            add(&g, ts, t, "mem-set g%u %s", k + 1, mib(a, sizeof(a), bal));
        }
        if (chance(&g, 15)) {
            add(&g, ts, t + 500 * MS, "claim g%u %s", k + 1,
                mib(a, sizeof(a), max));
            add(&g, ts, t + 1500 * MS, "cancel g%u", k + 1);
        }
        if (o->toolstacks > 1 && chance(&g, 10)) {
            /* Another toolstack kills it while it is being built. */
            other = (ts + 1 + (unsigned int)pick(&g, 0, o->toolstacks - 2)) %
                    o->toolstacks;
            add(&g, other, t0 + pick(&g, 1, 40) * MS, "destroy g%u", k + 1);
        } else if (chance(&g, 60)) {
            add(&g, ts, t + pick(&g, 2000, o->duration / 2 / MS + 2000) * MS,
                "destroy g%u", k + 1);
        }
    }
    /* A toolstack without guests of its own destroys someone else's. */
    for (ts = o->guests; ts < o->toolstacks; ts++)
        add(&g, ts, pick(&g, 0, o->duration / MS) * MS, "destroy g%u",
            (unsigned int)pick(&g, 1, o->guests));
    /* The host: tmem traffic and a few offlined frames. */
    for (t = pick(&g, 0, 5000) * MS; t < o->duration;
         t += pick(&g, 2000, 10000) * MS) {
        /* tmem moves 4 KiB pages, a record each: 4M to 64M at a time. */
        if (tmem && chance(&g, 60))
            add(&g, host_actor, t, "tmem put %s",
                mib(a, sizeof(a), pick(&g, 1, 16) * 4 * MIB_PAGES));
        else if (tmem && chance(&g, 70))
            add(&g, host_actor, t, "tmem flush %s",
                mib(a, sizeof(a), pick(&g, 1, 16) * 4 * MIB_PAGES));
        else if (chance(&g, 20))
            add(&g, host_actor, t, "offline %" PRIu64, pick(&g, 1, 64));
        else
            add(&g, host_actor, t, "wait 1ms");
    }
    if (!g.n || g.ev[g.n - 1].actor != host_actor)
        add(&g, host_actor, o->duration, "wait 1ms");
    if (g.err) {
        free(g.ev);
        errno = g.err;
        return NULL;
    }
    qsort(g.ev, g.n, sizeof(*g.ev), cmp_ev);

    f = open_memstream(&out, &outlen);
    if (!f) {
        free(g.ev);
        return NULL;
    }
    fprintf(f, "# Generated by: gen --seed %" PRIu64 " --guests %u "
            "--toolstacks %u --memory %" PRIu64 "M --duration %" PRIu64
            "ms\n", o->seed, o->guests, o->toolstacks, mem_mib,
            o->duration / MS);
    fprintf(f, "host memory=%" PRIu64 "M nodes=%u tmem=%s cpus=%u dom0=%s "
            "xen-pages=14 seed=%" PRIu64 " claim=%s\n", mem_mib, nodes,
            mib(a, sizeof(a), tmem), o->toolstacks + 1,
            mib(b, sizeof(b), dom0), o->seed, claim ? "on" : "off");
    for (i = 0; i < g.n; i++) {
        if (!i || g.ev[i].actor != g.ev[i - 1].actor) {
            if (g.ev[i].actor == host_actor)
                fprintf(f, "\nactor host\n");
            else
                fprintf(f, "\nactor ts%u\n", g.ev[i].actor + 1);
        }
        fprintf(f, "    at %" PRIu64 "ms %s\n", g.ev[i].t / MS,
                g.ev[i].text);
    }
    free(g.ev);
    if (fclose(f)) {
        free(out);
        errno = ENOMEM;
        return NULL;
    }
    return out;
}
