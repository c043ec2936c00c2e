/* bench_claim.c: timings of hv/'s hot paths: an order-0 allocate/free loop, claim staking. */
/* SPDX-License-Identifier: MIT */
/*
 * Usage:
 *   bench_claim alloc off|on ITERATIONS
 *       ns per allocate+free pair of one order-0 page by a domain, with
 *       tracing off or on (records go into a real per-CPU trace buffer,
 *       drained as a consumer would).  Built twice: bench_claim links hv/
 *       with CONFIG_TRACEBUFFER, bench_claim_notrace without it.
 *   bench_claim stake PAGES DOMAINS ITERATIONS
 *       ns per stake+cancel pair of a claim of PAGES pages, with DOMAINS
 *       domains in existence.
 * Prints one line: "<what> <ns per op>".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv/page_claim.h"
#include "hvhost/hvhost.h"
#include "tbuf/tbuf.h"

static struct xtb_area *area;

static void sink(void *opaque, unsigned int cpu, uint32_t event, uint64_t tsc,
                 unsigned int nwords, const uint32_t *words)
{
    (void)opaque;
    xtb_write(area, cpu, event, tsc, nwords, words);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_claim: %s\n", what);
    exit(1);
}

static void host(uint64_t pages)
{
    struct hvh_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.nr_nodes = 1;
    cfg.node_pages[0] = pages;
    if (hvh_init(&cfg))
        die("hvh_init failed");
}

static int bench_alloc(int on, long iters)
{
    struct domain *d;
    struct page_info *keep, *pg;
    char path[64];
    double t0, t1;
    long i;

    host(1 << 20);
    d = hvh_domain_create(1, false);
    if (!d)
        die("domain");
    hvh_set_current(d, 0);
    domain_set_max_pages(d, 1 << 20);
    /* Keep one page so that its buddy is served and freed without a split
     * or merge: the cheapest allocator path, the worst case for overhead. */
    keep = alloc_domheap_pages(d, 0, 0);
    if (!keep)
        die("alloc");
    snprintf(path, sizeof(path), "/dev/shm/xenclaim-bench-%d", getpid());
    area = xtb_create(path, 1, 64, 0);
    if (!area)
        die("xtb_create");
    xtb_unlink(area);
    hvh_set_trace_sink(sink, NULL);
    if (on) {
        xtb_enable(area);
        hvh_trace_start();
    }
    t0 = now();
    for (i = 0; i < iters; i++) {
        pg = alloc_domheap_pages(d, 0, 0);
        free_domheap_pages(pg, 0);
        if ((i & 255) == 0)
            xtb_discard(area, 0);
    }
    t1 = now();
    printf("alloc_free_%s %.2f\n", on ? "on" : "off", (t1 - t0) / iters);
    free_domheap_pages(keep, 0);
    return 0;
}

static int bench_stake(unsigned long pages, unsigned int ndoms, long iters)
{
    struct domain *d = NULL;
    double t0, t1;
    unsigned int i;
    long k;

    /* A small heap of frames, and the claimable total counted on top. */
    host(1 << 16);
    heap_add_node_pages(1, pages + 1);
    for (i = 1; i <= ndoms; i++) {
        d = hvh_domain_create(i, false);
        if (!d)
            die("domain");
        domain_set_max_pages(d, pages + 1);
    }
    d = hvh_domain_find(ndoms / 2 + 1);
    t0 = now();
    for (k = 0; k < iters; k++) {
        if (domain_set_outstanding_pages(d, pages, 0) ||
            domain_set_outstanding_pages(d, 0, 0))
            die("stake refused");
    }
    t1 = now();
    printf("stake_%lu_pages_%u_domains %.2f\n", pages, ndoms,
           (t1 - t0) / iters);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "alloc"))
        return bench_alloc(!strcmp(argv[2], "on"), atol(argv[3]));
    if (argc == 5 && !strcmp(argv[1], "stake"))
        return bench_stake(strtoul(argv[2], NULL, 0),
                           (unsigned int)atoi(argv[3]), atol(argv[4]));
    fprintf(stderr, "usage: bench_claim alloc off|on N | stake PAGES DOMAINS N\n");
    return 2;
}
