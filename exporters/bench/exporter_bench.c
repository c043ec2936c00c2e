/* exporter_bench.c: times the exporter's /metrics renderers in-process on a synthetic snapshot. */
/* SPDX-License-Identifier: MIT */
/*
 * Usage: exporter_bench DOMAINS REPS
 *
 * Builds a snapshot of DOMAINS domains (names, claims, counters), then
 * for REPS rounds times: building the metric set (collect), each
 * renderer on that set, and a memcpy of as many bytes as the text body
 * (the cost of merely moving the output, the floor any renderer pays).
 * Prints "<what> <median ms>" lines and "<format>_bytes <size>".
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xce_collect.h"
#include "xce_mset.h"
#include "xce_render.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return v[n / 2];
}

static void fill(struct xcs_snapshot *snap, unsigned int n)
{
    unsigned int i;

    memset(snap, 0, sizeof(*snap));
    snap->doms = calloc(n, sizeof(*snap->doms));
    if (!snap->doms) {
        perror("calloc");
        exit(1);
    }
    snap->nr_domains = snap->cap = n;
    snap->status = XCS_UP;
    snprintf(snap->source, sizeof(snap->source), "synthetic");
    snap->host.total_pages = 64ull << 20;
    snap->host.free_pages = 20ull << 20;
    snap->host.outstanding_pages = 1ull << 20;
    snap->host.nr_nodes = 4;
    for (i = 0; i < 4; i++)
        snap->host.node_free[i] = 5ull << 20;
    for (i = 0; i < n; i++) {
        struct xcs_domain *d = &snap->doms[i];

        d->domid = i + 1;
        snprintf(d->name, sizeof(d->name), "guest-%05u.example", i + 1);
        d->tot_pages = 262144 + i;
        d->max_pages = 524288;
        d->claim = i % 3 ? 0 : 1000 + i;
        d->stakes = i % 7;
        d->cancels = i % 5;
        d->deaths = i % 2;
        d->drawn_full = i % 3;
        d->refused = i % 11;
        d->denials = i % 13;
        d->pages_drawn = 100000ull * (i % 17);
    }
}

int main(int argc, char **argv)
{
    unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 10000;
    int reps = argc > 2 ? atoi(argv[2]) : 21, r, f;
    struct xcs_snapshot snap;
    struct xce_self self = { .have_source = true, .last_event_age = 1.5 };
    struct xce_mset ms;
    struct xce_buf out[XCE_NFORMATS] = { { 0 } };
    double *t_collect, *t_fmt[XCE_NFORMATS], *t_copy;
    char *dst;

    if (reps < 1)
        reps = 1;
    /* The exporter's own malloc settings (xenclaim-exporter's main). */
    if (!getenv("XCE_BENCH_DEFAULT_MALLOC")) {
        mallopt(M_MMAP_THRESHOLD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 128 << 20);
    }
    fill(&snap, n);
    xce_mset_init(&ms);
    t_collect = calloc((size_t)reps, sizeof(double));
    t_copy = calloc((size_t)reps, sizeof(double));
    for (f = 0; f < XCE_NFORMATS; f++)
        t_fmt[f] = calloc((size_t)reps, sizeof(double));
    for (r = 0; r < reps; r++) {
        double t0 = now_ms();

        if (xce_collect(&ms, &snap, &self) < 0) {
            fprintf(stderr, "collect failed\n");
            return 1;
        }
        t_collect[r] = now_ms() - t0;
        for (f = 0; f < XCE_NFORMATS; f++) {
            /* A fresh buffer each time, as a server answering a scrape. */
            xce_buf_free(&out[f]);
            t0 = now_ms();
            if (xce_render(&ms, f, &out[f]) < 0) {
                fprintf(stderr, "render %s failed\n", xce_format_name(f));
                return 1;
            }
            t_fmt[f][r] = now_ms() - t0;
        }
        dst = malloc(out[XCE_FMT_TEXT].len);
        t0 = now_ms();
        memcpy(dst, out[XCE_FMT_TEXT].p, out[XCE_FMT_TEXT].len);
        t_copy[r] = now_ms() - t0;
        if (dst[out[XCE_FMT_TEXT].len - 1] != '\n')
            return 1;
        free(dst);
    }
    printf("domains %u\n", n);
    printf("samples %zu\n", ms.nsmp);
    printf("collect_ms %.3f\n", median(t_collect, reps));
    for (f = 0; f < XCE_NFORMATS; f++) {
        printf("%s_ms %.3f\n", xce_format_name(f), median(t_fmt[f], reps));
        printf("%s_bytes %zu\n", xce_format_name(f), out[f].len);
    }
    printf("memcpy_text_bytes_ms %.3f\n", median(t_copy, reps));
    for (f = 0; f < XCE_NFORMATS; f++)
        xce_buf_free(&out[f]);
    xce_mset_free(&ms);
    free(snap.doms);
    return 0;
}
