/* xenclaim-snapshot.c: print a claim-state snapshot from any xcs source as key=value lines. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/xcs.h"

#define EXIT_BAD_USAGE  2
#define EXIT_NO_SOURCE  3

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fputs(
"Usage: xenclaim-snapshot SOURCE [OPTION]...\n"
"Read the claim state from a source and print it as key=value lines: the\n"
"host (host.*), then each domain (dom.DOMID.*) sorted by domain id, then\n"
"end=N (the snapshot's number).  Snapshots are separated by a blank line.\n"
"\n"
"Sources (exactly one):\n"
"  -m, --mock[=SOCKET]   the mock daemon's live trace buffers (default\n"
"                        socket: $XENCLAIM_SOCKET, then the usual places)\n"
"  -x, --xenctrl         libxenctrl polling (libxenctrl.so.4.17)\n"
"  -f, --file PATH       a xentrace file, replayed to its end\n"
"  -F, --fd N            a xentrace stream on descriptor N ('-': stdin),\n"
"                        read until it ends\n"
"\n"
"Options:\n"
"      --speed S         file: replay at S times the recorded speed\n"
"                        (default 0: as fast as possible)\n"
"      --follow          file: keep reading as the file grows (with -n)\n"
"      --tolerant        skip corrupt trace data instead of failing\n"
"      --cpu-hz HZ       TSC rate of the trace (default 1e9)\n"
"  -e, --events          print each event as it is taken in\n"
"  -n, --count N         snapshots to print (default 1; 0: until\n"
"                        interrupted)\n"
"  -i, --interval MS     time between snapshots (default 1000)\n"
"  -t, --timeout SEC     longest wait for the first snapshot to settle\n"
"                        (default 10)\n"
"  -h, --help            show this help\n"
"\n"
"The first snapshot waits until the source has settled: a file replayed\n"
"to its end, a stream ended, a live source exact with nothing more coming.\n"
"Exit status: 0 done, 1 the source failed or went down, 2 bad usage,\n"
"3 the source cannot be opened.\n", f);
}

static void on_event(void *opaque, const struct xcs_event *ev)
{
    (void)opaque;
    printf("event time_ns=%" PRIu64 " kind=%s domid=%" PRIu32 " pages=%"
           PRId64 " err=%d text=%s\n", ev->time_ns,
           xcs_event_kind_name(ev->kind), ev->domid, ev->pages, ev->err,
           ev->text);
}

static void print_snapshot(const struct xcs_snapshot *sn, unsigned long nr)
{
    const struct xcs_host *h = &sn->host;
    unsigned int i;

    printf("source=%s\n", sn->source);
    printf("status=%s\n", xcs_status_name(sn->status));
    printf("message=%s\n", sn->message);
    printf("host.total_pages=%" PRIu64 "\n", h->total_pages);
    printf("host.free_pages=%" PRIu64 "\n", h->free_pages);
    printf("host.freeable_pages=%" PRIu64 "\n", h->freeable_pages);
    printf("host.outstanding_pages=%" PRIu64 "\n", h->outstanding_pages);
    printf("host.exact=%d\n", h->exact ? 1 : 0);
    printf("host.nr_nodes=%u\n", h->nr_nodes);
    for (i = 0; i < h->nr_nodes && i < XCS_MAX_NODES; i++)
        printf("host.node%u_free_pages=%" PRIu64 "\n", i, h->node_free[i]);
    printf("host.stakes=%" PRIu64 "\n", h->stakes);
    printf("host.refused=%" PRIu64 "\n", h->refused);
    printf("host.denials=%" PRIu64 "\n", h->denials);
    printf("host.denials_anon=%" PRIu64 "\n", h->denials_anon);
    printf("host.failed=%" PRIu64 "\n", h->failed);
    printf("host.records=%" PRIu64 "\n", h->records);
    printf("host.foreign=%" PRIu64 "\n", h->foreign);
    printf("host.lost=%" PRIu64 "\n", h->lost);
    printf("host.issues=%" PRIu64 "\n", h->issues);
    printf("host.now_ns=%" PRIu64 "\n", h->now_ns);
    printf("domains=%u\n", sn->nr_domains);
    for (i = 0; i < sn->nr_domains; i++) {
        const struct xcs_domain *d = &sn->doms[i];
        char p[32];

        snprintf(p, sizeof(p), "dom.%" PRIu32 ".", d->domid);
        printf("%sname=%s\n", p, d->name);
        printf("%stot_pages=%" PRIu64 "\n", p, d->tot_pages);
        printf("%smax_pages=%" PRIu64 "\n", p, d->max_pages);
        printf("%sclaim=%" PRIu64 "\n", p, d->claim);
        printf("%sdying=%d\n", p, d->dying ? 1 : 0);
        printf("%sclaim_since_ns=%" PRIu64 "\n", p, d->claim_since_ns);
        printf("%sclaim_staked=%" PRIu64 "\n", p, d->claim_staked);
        printf("%sstakes=%" PRIu64 "\n", p, d->stakes);
        printf("%scancels=%" PRIu64 "\n", p, d->cancels);
        printf("%sdeaths=%" PRIu64 "\n", p, d->deaths);
        printf("%sdrawn_full=%" PRIu64 "\n", p, d->drawn_full);
        printf("%srefused=%" PRIu64 "\n", p, d->refused);
        printf("%sdenials=%" PRIu64 "\n", p, d->denials);
        printf("%sfailed=%" PRIu64 "\n", p, d->failed);
        printf("%spages_drawn=%" PRIu64 "\n", p, d->pages_drawn);
        printf("%slast_event=%s\n", p, d->last_event);
        printf("%slast_event_ns=%" PRIu64 "\n", p, d->last_event_ns);
    }
    printf("end=%lu\n", nr);
    fflush(stdout);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Poll until the source has settled (see the help), or timeout_ms. */
static void settle(struct xcs *s, const struct xcs_opts *o,
                   uint64_t timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    struct xcs_snapshot sn = { 0 };
    enum xcs_status st;
    int n;

    while (!stop && now_ms() < end) {
        n = xcs_poll(s, 100);
        st = xcs_status(s, NULL);
        if (st == XCS_FAILED)
            break;
        switch (o->kind) {
        case XCS_TRACE_FILE:
            if (st == XCS_IDLE)
                goto out;
            break;
        case XCS_TRACE_FD:
            if (st == XCS_DOWN)
                goto out;
            break;
        case XCS_MOCK:
            if (n == 0 && st == XCS_UP) {
                xcs_snapshot(s, &sn);
                if (sn.host.exact)
                    goto out;
            }
            break;
        case XCS_XENCTRL:
            if (st == XCS_UP)
                goto out;
            break;
        }
    }
out:
    xcs_snapshot_release(&sn);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "mock", optional_argument, NULL, 'm' },
        { "xenctrl", no_argument, NULL, 'x' },
        { "file", required_argument, NULL, 'f' },
        { "fd", required_argument, NULL, 'F' },
        { "speed", required_argument, NULL, 'S' },
        { "follow", no_argument, NULL, 'W' },
        { "tolerant", no_argument, NULL, 'T' },
        { "cpu-hz", required_argument, NULL, 'H' },
        { "events", no_argument, NULL, 'e' },
        { "count", required_argument, NULL, 'n' },
        { "interval", required_argument, NULL, 'i' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xcs_opts o = { .fd = -1 };
    struct xcs_snapshot sn = { 0 };
    unsigned long count = 1, printed = 0;
    unsigned long interval = 1000;
    double timeout = 10;
    bool events = false;
    int nsrc = 0, c, rc = 0;
    char err[256], *end;
    struct xcs *s;
    struct sigaction sa;

    while ((c = getopt_long(argc, argv, "m::xf:F:en:i:t:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm':
            o.kind = XCS_MOCK;
            o.path = optarg;
            nsrc++;
            break;
        case 'x':
            o.kind = XCS_XENCTRL;
            nsrc++;
            break;
        case 'f':
            o.kind = XCS_TRACE_FILE;
            o.path = optarg;
            nsrc++;
            break;
        case 'F':
            o.kind = XCS_TRACE_FD;
            if (!strcmp(optarg, "-")) {
                o.fd = 0;
            } else {
                errno = 0;
                o.fd = (int)strtol(optarg, &end, 10);
                if (errno || *end || o.fd < 0)
                    goto bad;
            }
            nsrc++;
            break;
        case 'S':
            o.speed = strtod(optarg, &end);
            if (*end || !(o.speed >= 0))
                goto bad;
            break;
        case 'W':
            o.follow = true;
            break;
        case 'T':
            o.tolerant = true;
            break;
        case 'H':
            o.cpu_hz = strtod(optarg, &end);
            if (*end || !(o.cpu_hz > 0))
                goto bad;
            break;
        case 'e':
            events = true;
            break;
        case 'n':
            count = strtoul(optarg, &end, 10);
            if (*end)
                goto bad;
            break;
        case 'i':
            interval = strtoul(optarg, &end, 10);
            if (*end)
                goto bad;
            break;
        case 't':
            timeout = strtod(optarg, &end);
            if (*end || !(timeout >= 0))
                goto bad;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto bad;
        }
    }
    if (nsrc != 1 || optind != argc)
        goto bad;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    s = xcs_open(&o, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "xenclaim-snapshot: %s\n", err);
        return EXIT_NO_SOURCE;
    }
    if (events)
        xcs_set_event_cb(s, on_event, NULL);
    settle(s, &o, (uint64_t)(timeout * 1000));
    for (;;) {
        if (xcs_snapshot(s, &sn) < 0) {
            fprintf(stderr, "xenclaim-snapshot: out of memory\n");
            rc = 1;
            break;
        }
        if (printed)
            putchar('\n');
        printed++;
        print_snapshot(&sn, printed);
        if (stop || (count && printed >= count))
            break;
        {
            uint64_t next = now_ms() + interval;

            while (!stop && now_ms() < next)
                xcs_poll(s, (int)(next - now_ms()));
        }
    }
    if (sn.status == XCS_FAILED ||
        (sn.status == XCS_DOWN && o.kind != XCS_TRACE_FD)) {
        fprintf(stderr, "xenclaim-snapshot: %s: %s\n", sn.source,
                sn.message);
        rc = 1;
    }
    xcs_snapshot_release(&sn);
    xcs_close(s);
    return rc;

bad:
    usage(stderr);
    return EXIT_BAD_USAGE;
}
