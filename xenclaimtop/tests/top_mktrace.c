/* top_mktrace.c: writes consistent xenclaim traces of many domains and records, for xenclaimtop's benchmarks and tests. */
/* SPDX-License-Identifier: MIT */
/*
 * top-mktrace FILE DOMAINS ROUNDS [CLAIM_PAGES] [CPUS]
 *
 * A state dump (host totals, dom0), DOMAINS domains created, then ROUNDS
 * rounds in which every domain stakes a claim of CLAIM_PAGES (default
 * 8), draws it down one page at a time and gives the pages back; last,
 * every domain stakes a claim that stays outstanding.  Records follow
 * hv/'s order (claim_draw, claim_release when drawn to 0, tot_pages), so
 * the replay finds no inconsistency.  Domain d writes on CPU d % CPUS
 * (default 4); TSCs grow by 100 a record (1 GHz: 10 M records a second).
 * Prints the number of records written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xct_events.h"
#include "xct_testtrace.h"

#define MAX_PAGES 65536u

struct gen {
    struct xct_tt *t;
    unsigned int cpus;
    uint64_t tsc, records, free, outstanding;
    int err;
};

static void add(struct gen *g, unsigned int cpu, uint32_t ev,
                const uint32_t *w, unsigned int n)
{
    int r;

    if (g->err)
        return;
    g->tsc += 100;
    r = xct_tt_add(g->t, cpu % g->cpus, ev, 1, g->tsc, w, n);
    if (r < 0) {
        g->err = r;
        return;
    }
    /* Windows per CPU, as xentrace drains the buffers. */
    if (++g->records % 4096 == 0) {
        r = xct_tt_poll(g->t, g->tsc, 0);
        if (r < 0)
            g->err = r;
    }
}

static void stake(struct gen *g, uint32_t d, uint32_t tot, uint32_t pages)
{
    uint32_t w[XCT_MAX_WORDS];

    g->outstanding += pages;
    add(g, d, XCT_EV_CLAIM, w,
        xct_enc_CLAIM(w, d, 0, 0, (uint64_t)tot + pages, pages, tot));
}

/* Allocate pages for d one at a time, drawing its claim down. */
static void draw(struct gen *g, uint32_t d, uint32_t *tot, uint32_t claim)
{
    uint32_t w[XCT_MAX_WORDS];

    while (claim) {
        g->free--;
        claim--;
        g->outstanding--;
        add(g, d, XCT_EV_CLAIM_DRAW, w,
            xct_enc_CLAIM_DRAW(w, d, 0, 1, claim, g->free));
        if (!claim)
            add(g, d, XCT_EV_CLAIM_RELEASE, w,
                xct_enc_CLAIM_RELEASE(w, d, XCT_RELEASE_DRAWN, 0,
                                      g->outstanding));
        (*tot)++;
        add(g, d, XCT_EV_TOT_PAGES, w,
            xct_enc_TOT_PAGES(w, d, 1, *tot, claim, g->free));
    }
}

/* Give n pages of d back to the heap. */
static void release(struct gen *g, uint32_t d, uint32_t *tot, uint32_t n)
{
    uint32_t w[XCT_MAX_WORDS];

    g->free += n;
    *tot -= n;
    add(g, d, XCT_EV_TOT_PAGES, w,
        xct_enc_TOT_PAGES(w, d, -(int64_t)n, *tot, 0, g->free));
}

static int parse(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno || !*s || *end || *out > max ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
    unsigned long ndom, rounds, claim = 8, cpus = 4, r, d;
    struct gen g = { 0 };
    uint32_t w[XCT_MAX_WORDS], *tot;
    int rc;

    if (argc < 4 || argc > 6 || parse(argv[2], 32767, &ndom) ||
        parse(argv[3], 100000000, &rounds) ||
        (argc > 4 && parse(argv[4], MAX_PAGES / 2, &claim)) ||
        (argc > 5 && parse(argv[5], 256, &cpus)) || !cpus || !claim) {
        fprintf(stderr, "usage: top-mktrace FILE DOMAINS(<=32767) ROUNDS "
                "[CLAIM_PAGES] [CPUS]\n");
        return 2;
    }
    tot = calloc(ndom + 1, sizeof(*tot));
    g.t = xct_tt_new(argv[1]);
    if (!tot || !g.t) {
        fprintf(stderr, "top-mktrace: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    g.cpus = (unsigned int)cpus;
    g.free = UINT64_C(1) << 32;
    tot[0] = 262144;

    /* The dump: host totals, then dom0. */
    add(&g, 0, XCT_EV_HEAP, w,
        xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, g.free, 0, 0));
    add(&g, 0, XCT_EV_DOMAIN, w,
        xct_enc_DOMAIN(w, 0, XCT_DOM_DUMP, tot[0], tot[0], 0));
    for (d = 1; d <= ndom; d++)
        add(&g, (unsigned int)d, XCT_EV_DOMAIN, w,
            xct_enc_DOMAIN(w, (uint32_t)d, XCT_DOM_CREATED, 0, MAX_PAGES,
                           0));
    for (r = 0; r < rounds; r++) {
        for (d = 1; d <= ndom; d++) {
            stake(&g, (uint32_t)d, tot[d], (uint32_t)claim);
            draw(&g, (uint32_t)d, &tot[d], (uint32_t)claim);
            release(&g, (uint32_t)d, &tot[d], (uint32_t)claim);
        }
    }
    /* Claims that stay: a different size for each domain. */
    for (d = 1; d <= ndom; d++)
        stake(&g, (uint32_t)d, tot[d], (uint32_t)(1 + d % 1000));
    if (!g.err)
        g.err = xct_tt_drain(g.t, 0);
    rc = xct_tt_close(g.t);
    free(tot);
    if (g.err || rc) {
        fprintf(stderr, "top-mktrace: %s: %s\n", argv[1],
                strerror(-(g.err ? g.err : rc)));
        return 1;
    }
    printf("%" PRIu64 "\n", g.records);
    return 0;
}
