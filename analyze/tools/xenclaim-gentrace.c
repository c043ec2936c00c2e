/* xenclaim-gentrace.c: writes large, valid xenclaim traces for benchmarks. */
/* SPDX-License-Identifier: MIT */
/*
 * xenclaim-gentrace -o FILE [--records N | --bytes SIZE] [--domains D]
 *                   [--cpus C] [--seed S]
 *
 * Simulates a host with D guests (domids 0 .. D-1) with the upstream
 * claim rules and writes what hv/ would trace: a state dump, then bursts
 * of activity, each on one domain: populating in 4 KiB pages or 2 MiB
 * extents (a claim_draw and a tot_pages record while a claim lasts, a
 * claim_release when it is drawn to 0), ballooning down, now and then a
 * stake or a cancel, and anonymous heap traffic.  Every figure is the
 * simulated state's, so a replay finds no inconsistency.  Records are
 * spread over C CPUs (a domain's records on CPU domid % C) and written
 * as xentrace windows, every CPU in turn whenever one holds 32 KiB, with
 * a 1 GHz TSC.  The same options give the same file.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xct_events.h"
#include "xct_record.h"

#define WINDOW_BYTES    (32u << 10)
#define MAX_CPUS        64u
#define SPAN            8192u       /* pages a domain moves within */
#define BASE_PAGES      4096u       /* pages a domain starts with */

struct gdom {
    uint32_t tot;
    uint32_t claim;
};

struct gen {
    FILE *out;
    uint64_t rng;
    unsigned int cpus;
    uint8_t *buf[MAX_CPUS];
    size_t len[MAX_CPUS];
    uint64_t tsc;
    uint64_t records, bytes;
    uint64_t free, outstanding;
    uint32_t ndoms;
    struct gdom *dom;
    int err;
};

static uint64_t rnd(struct gen *g)
{
    /* splitmix64: deterministic for a seed */
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(struct gen *g, uint32_t n)
{
    return (uint32_t)(((rnd(g) >> 32) * n) >> 32);
}

static void write_out(struct gen *g, const void *p, size_t n)
{
    if (fwrite(p, 1, n, g->out) != n)
        g->err = errno ? errno : EIO;
    g->bytes += n;
}

/* One xentrace round: a window for every CPU that holds records. */
static void flush_round(struct gen *g)
{
    uint8_t hdr[XCT_CPU_CHANGE_BYTES];
    unsigned int c;

    for (c = 0; c < g->cpus; c++) {
        if (!g->len[c])
            continue;
        xct_cpu_change_encode(hdr, (int32_t)c, (uint32_t)g->len[c]);
        write_out(g, hdr, sizeof(hdr));
        write_out(g, g->buf[c], g->len[c]);
        g->len[c] = 0;
    }
}

static void emit(struct gen *g, unsigned int cpu, uint32_t event,
                 const uint32_t *w, unsigned int n)
{
    struct xct_record r;
    size_t sz;

    r.event = event;
    r.nwords = n;
    r.has_tsc = 1;
    g->tsc += 40 + below(g, 400);
    r.tsc = g->tsc;
    memcpy(r.words, w, 4u * n);
    sz = xct_record_encode(g->buf[cpu] + g->len[cpu], XCT_RECORD_MAX_BYTES,
                           &r);
    g->len[cpu] += sz;
    g->records++;
    if (g->len[cpu] >= WINDOW_BYTES)
        flush_round(g);
}

static void dump(struct gen *g)
{
    uint32_t w[XCT_MAX_WORDS], i;
    unsigned int n;

    n = xct_enc_HEAP(w, XCT_HEAP_DUMP, XCT_NODE_ALL, g->free, 0, 0);
    emit(g, 0, XCT_EV_HEAP, w, n);
    for (i = 0; i < g->ndoms; i++) {
        n = xct_enc_DOMAIN(w, i, XCT_DOM_DUMP, g->dom[i].tot, 1u << 30, 0);
        emit(g, 0, XCT_EV_DOMAIN, w, n);
    }
}

/* Populate 2^order pages for d (the caller checked it is allowed). */
static void populate(struct gen *g, uint32_t id, unsigned int order)
{
    struct gdom *d = &g->dom[id];
    unsigned int cpu = id % g->cpus, n;
    uint32_t w[XCT_MAX_WORDS], req = 1u << order, drawn;

    g->free -= req;
    if (d->claim) {
        drawn = d->claim < req ? d->claim : req;
        d->claim -= drawn;
        g->outstanding -= drawn;
        n = xct_enc_CLAIM_DRAW(w, id, order, drawn, d->claim, g->free);
        emit(g, cpu, XCT_EV_CLAIM_DRAW, w, n);
        if (!d->claim) {
            n = xct_enc_CLAIM_RELEASE(w, id, XCT_RELEASE_DRAWN, 0,
                                      g->outstanding);
            emit(g, cpu, XCT_EV_CLAIM_RELEASE, w, n);
        }
    }
    d->tot += req;
    n = xct_enc_TOT_PAGES(w, id, req, d->tot, d->claim, g->free);
    emit(g, cpu, XCT_EV_TOT_PAGES, w, n);
}

static void balloon_down(struct gen *g, uint32_t id, uint32_t pages)
{
    struct gdom *d = &g->dom[id];
    uint32_t w[XCT_MAX_WORDS];
    unsigned int n;

    g->free += pages;
    d->tot -= pages;
    n = xct_enc_TOT_PAGES(w, id, -(int64_t)pages, d->tot, d->claim, g->free);
    emit(g, id % g->cpus, XCT_EV_TOT_PAGES, w, n);
}

static void stake(struct gen *g, uint32_t id)
{
    struct gdom *d = &g->dom[id];
    uint32_t w[XCT_MAX_WORDS], k = 512 + below(g, SPAN / 2);
    unsigned int n;

    if (g->outstanding + k > g->free)
        return;
    d->claim = k;
    g->outstanding += k;
    n = xct_enc_CLAIM(w, id, 0, 0, (uint64_t)d->tot + k, k, d->tot);
    emit(g, id % g->cpus, XCT_EV_CLAIM, w, n);
}

static void cancel(struct gen *g, uint32_t id)
{
    struct gdom *d = &g->dom[id];
    uint32_t w[XCT_MAX_WORDS], c = d->claim;
    unsigned int n;

    d->claim = 0;
    g->outstanding -= c;
    n = xct_enc_CLAIM(w, id, 0, 0, 0, 0, d->tot);
    emit(g, id % g->cpus, XCT_EV_CLAIM, w, n);
    n = xct_enc_CLAIM_RELEASE(w, id, XCT_RELEASE_CANCEL, c, g->outstanding);
    emit(g, id % g->cpus, XCT_EV_CLAIM_RELEASE, w, n);
}

static void anon(struct gen *g, uint32_t id)
{
    uint32_t w[XCT_MAX_WORDS], pages = 1 + below(g, 16);
    unsigned int n, reason;

    if (below(g, 2) && g->outstanding + pages <= g->free) {
        g->free -= pages;
        reason = XCT_HEAP_ANON_ALLOC;
    } else {
        g->free += pages;
        reason = XCT_HEAP_ANON_FREE;
    }
    n = xct_enc_HEAP(w, reason, XCT_NODE_ALL, g->free, 0, g->outstanding);
    emit(g, id % g->cpus, XCT_EV_HEAP, w, n);
}

/* A burst of activity on one domain. */
static void burst(struct gen *g)
{
    uint32_t id = below(g, g->ndoms), len = 8 + below(g, 56), i;
    struct gdom *d = &g->dom[id];

    if (!d->claim && below(g, 100) < 15)
        stake(g, id);
    for (i = 0; i < len; i++) {
        uint32_t dice = below(g, 100);
        unsigned int order = below(g, 10) < 3 ? 9 : 0;
        uint32_t req = 1u << order;

        if (dice < 3) {
            anon(g, id);
        } else if (dice < 4 && d->claim) {
            cancel(g, id);
        } else if (d->tot > BASE_PAGES + SPAN ||
                   (dice < 30 && d->tot > BASE_PAGES + 64)) {
            balloon_down(g, id, 1 + below(g, d->tot - BASE_PAGES));
        } else if (d->claim >= req ||
                   g->outstanding + req <= g->free) {
            populate(g, id, order);
        }
    }
}

/* A count with an optional k, M or G: powers of base (1000 or 1024). */
static int parse_size(const char *s, double base, uint64_t *v)
{
    char *end;
    double x;

    errno = 0;
    x = strtod(s, &end);
    if (errno || end == s || x < 0)
        return -EINVAL;
    switch (*end) {
    case 'k': case 'K': x *= base; end++; break;
    case 'm': case 'M': x *= base * base; end++; break;
    case 'g': case 'G': x *= base * base * base; end++; break;
    default: break;
    }
    if (*end)
        return -EINVAL;
    *v = (uint64_t)x;
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: xenclaim-gentrace -o FILE [--records N | --bytes SIZE]\n"
          "       [--domains D] [--cpus C] [--seed S]\n"
          "Write a valid xenclaim trace of about N records (k, M, G:\n"
          "thousands, millions...; default 1M) or SIZE bytes (K, M, G:\n"
          "KiB, MiB, GiB) for D domains (default 10) on C CPUs (default 4).\n",
          f);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output",  required_argument, NULL, 'o' },
        { "records", required_argument, NULL, 'n' },
        { "bytes",   required_argument, NULL, 'b' },
        { "domains", required_argument, NULL, 'd' },
        { "cpus",    required_argument, NULL, 'c' },
        { "seed",    required_argument, NULL, 's' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct gen g;
    const char *path = NULL;
    uint64_t records = 1000000, bytes = 0, seed = 1, v;
    unsigned long doms = 10, cpus = 4, i;
    int opt;

    while ((opt = getopt_long(argc, argv, "o:n:b:d:c:s:h", longopts,
                              NULL)) != -1) {
        switch (opt) {
        case 'o':
            path = optarg;
            break;
        case 'n':
        case 'b':
            if (parse_size(optarg, opt == 'n' ? 1000.0 : 1024.0, &v) < 0 ||
                v == 0) {
                fprintf(stderr, "xenclaim-gentrace: bad size '%s'\n", optarg);
                return 2;
            }
            if (opt == 'n')
                records = v;
            else
                bytes = v;
            break;
        case 'd':
            doms = strtoul(optarg, NULL, 0);
            break;
        case 'c':
            cpus = strtoul(optarg, NULL, 0);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 0);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!path || optind != argc || doms < 1 || doms > 65536 || cpus < 1 ||
        cpus > MAX_CPUS) {
        usage(stderr);
        return 2;
    }
    memset(&g, 0, sizeof(g));
    g.rng = seed;
    g.cpus = (unsigned int)cpus;
    g.ndoms = (uint32_t)doms;
    g.dom = calloc(doms, sizeof(*g.dom));
    for (i = 0; i < cpus; i++)
        g.buf[i] = malloc(WINDOW_BYTES + XCT_RECORD_MAX_BYTES);
    g.out = fopen(path, "wb");
    if (!g.dom || !g.out) {
        fprintf(stderr, "xenclaim-gentrace: %s: %s\n", path, strerror(errno));
        return 1;
    }
    setvbuf(g.out, NULL, _IOFBF, 1u << 20);
    for (i = 0; i < doms; i++)
        g.dom[i].tot = BASE_PAGES;
    /* Room for every domain at its largest, twice over. */
    g.free = (uint64_t)doms * (BASE_PAGES + 2 * SPAN) * 2;
    g.tsc = 1000;
    dump(&g);
    while (!g.err && (bytes ? g.bytes < bytes : g.records < records))
        burst(&g);
    flush_round(&g);
    if (fclose(g.out) != 0 && !g.err)
        g.err = errno;
    if (g.err) {
        fprintf(stderr, "xenclaim-gentrace: %s: %s\n", path,
                strerror(g.err));
        return 1;
    }
    printf("records=%" PRIu64 " bytes=%" PRIu64 " domains=%lu cpus=%lu\n",
           g.records, g.bytes, doms, cpus);
    for (i = 0; i < cpus; i++)
        free(g.buf[i]);
    free(g.dom);
    return 0;
}
