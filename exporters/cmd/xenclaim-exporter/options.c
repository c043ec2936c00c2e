/* options.c: xenclaim-exporter's command line. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

enum {
    OPT_MOCK = 0x100, OPT_TRACE, OPT_STDIN, OPT_XENCTRL, OPT_FOLLOW,
    OPT_SPEED, OPT_TOLERANT, OPT_CPU_HZ, OPT_POLL, OPT_EVOUT, OPT_EVSOCK,
    OPT_EVSNAP, OPT_RW, OPT_PUSH_INT, OPT_PUSH_LABEL, OPT_PUSH_QUEUE,
    OPT_PUSH_BATCH, OPT_PUSH_TIMEOUT, OPT_PUSH_BACKOFF, OPT_HTTP_THREADS,
    OPT_HTTP_TIMEOUT, OPT_MAX_CONN, OPT_EVLAG,
};

static const struct option longopts[] = {
    { "listen", required_argument, NULL, 'l' },
    { "mock", optional_argument, NULL, OPT_MOCK },
    { "trace", required_argument, NULL, OPT_TRACE },
    { "stdin", no_argument, NULL, OPT_STDIN },
    { "xenctrl", no_argument, NULL, OPT_XENCTRL },
    { "follow", no_argument, NULL, OPT_FOLLOW },
    { "speed", required_argument, NULL, OPT_SPEED },
    { "tolerant", no_argument, NULL, OPT_TOLERANT },
    { "cpu-hz", required_argument, NULL, OPT_CPU_HZ },
    { "poll-interval", required_argument, NULL, OPT_POLL },
    { "events-out", required_argument, NULL, OPT_EVOUT },
    { "events-socket", required_argument, NULL, OPT_EVSOCK },
    { "events-snapshot-interval", required_argument, NULL, OPT_EVSNAP },
    { "events-client-lag", required_argument, NULL, OPT_EVLAG },
    { "remote-write", required_argument, NULL, OPT_RW },
    { "push-interval", required_argument, NULL, OPT_PUSH_INT },
    { "push-label", required_argument, NULL, OPT_PUSH_LABEL },
    { "push-queue", required_argument, NULL, OPT_PUSH_QUEUE },
    { "push-batch", required_argument, NULL, OPT_PUSH_BATCH },
    { "push-timeout", required_argument, NULL, OPT_PUSH_TIMEOUT },
    { "push-max-backoff", required_argument, NULL, OPT_PUSH_BACKOFF },
    { "http-threads", required_argument, NULL, OPT_HTTP_THREADS },
    { "http-timeout", required_argument, NULL, OPT_HTTP_TIMEOUT },
    { "max-connections", required_argument, NULL, OPT_MAX_CONN },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
    fputs(
"Usage: xenclaim-exporter [OPTION]...\n"
"Serve Xen memory claims to Prometheus (/metrics), push them by remote\n"
"write, and stream claim events as protobuf records.\n"
"\n"
"  -l, --listen ADDR:PORT     HTTP address (default 127.0.0.1:9734; port 0\n"
"                             picks a free one, logged at start)\n"
"Source (one of):\n"
"      --mock[=SOCKET]        the mock hypervisor (the default; SOCKET: its\n"
"                             default socket when not given)\n"
"      --trace FILE           a xentrace file\n"
"      --follow               with --trace: wait for more, like tail -f\n"
"      --speed X              with --trace: X times the recorded speed\n"
"                             (default 0: as fast as possible)\n"
"      --tolerant             skip corrupt trace data instead of failing\n"
"      --cpu-hz HZ            the trace's TSC rate (default 1e9)\n"
"      --stdin                a xentrace stream on standard input\n"
"      --xenctrl              poll libxenctrl (a real Xen host, dom0)\n"
"      --poll-interval MS     refresh the snapshot this often (default 100)\n"
"Event stream (length-delimited xcev.Record protobuf messages):\n"
"      --events-out FILE      append it to FILE ('-': standard output)\n"
"      --events-socket PATH   serve it on a UNIX socket, to every client\n"
"      --events-snapshot-interval S  a snapshot record every S seconds\n"
"                             (default 10)\n"
"      --events-client-lag BYTES  cut off a socket client that falls this\n"
"                             far behind (default 33554432)\n"
"Remote write (Prometheus remote write 1.0):\n"
"      --remote-write URL     push to URL, e.g.\n"
"                             http://host:9090/api/v1/write\n"
"      --push-interval S      seconds between collections (default 15)\n"
"      --push-label NAME=VALUE  add a label to every pushed series\n"
"                             (repeatable; default job=xenclaim)\n"
"      --push-queue N         samples kept while the receiver is down, the\n"
"                             oldest dropped first (default 100000)\n"
"      --push-batch N         samples per request at most (default 2000)\n"
"      --push-timeout S       seconds a request may take (default 5)\n"
"      --push-max-backoff S   longest wait between retries (default 30)\n"
"HTTP server:\n"
"      --http-threads N       threads serving requests (default 2)\n"
"      --http-timeout S       idle connections closed after S s (default 10)\n"
"      --max-connections N    concurrent connections (default 512)\n"
"  -q, --quiet                log only errors\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n"
"\n"
"SIGINT or SIGTERM stops it cleanly.  Exit status: 0 after a clean stop,\n"
"1 on an error at start, 2 on a usage error.\n", f);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || !*s || *end || isnan(v) || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

static void defaults(struct exp_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = "127.0.0.1:9734";
    o->src.kind = XCS_MOCK;
    o->src.fd = -1;
    o->poll_ms = 100;
    o->http_threads = 2;
    o->http_timeout = 10;
    o->max_connections = 512;
    o->events_snapshot_s = 10;
    o->events_client_lag = 32u << 20;
    o->push_interval_s = 15;
    o->push_queue = 100000;
    o->push_batch = 2000;
    o->push_timeout_s = 5;
    o->push_max_backoff_s = 30;
}

int exp_opts_parse(struct exp_opts *o, int argc, char **argv)
{
    int c, nsrc = 0;
    double v;
    bool follow = false, speed = false;
    const char *arg_name = NULL;

    defaults(o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:qhV", longopts, NULL)) != -1) {
        arg_name = NULL;
        switch (c) {
        case 'l':
            o->listen = optarg;
            break;
        case OPT_MOCK:
            o->src.kind = XCS_MOCK;
            /* "--mock PATH" as well as "--mock=PATH". */
            if (!optarg && optind < argc && argv[optind][0] != '-')
                optarg = argv[optind++];
            o->src.path = optarg;
            nsrc++;
            break;
        case OPT_TRACE:
            o->src.kind = XCS_TRACE_FILE;
            o->src.path = optarg;
            nsrc++;
            break;
        case OPT_STDIN:
            o->src.kind = XCS_TRACE_FD;
            o->src.fd = 0;
            nsrc++;
            break;
        case OPT_XENCTRL:
            o->src.kind = XCS_XENCTRL;
            nsrc++;
            break;
        case OPT_FOLLOW:
            follow = true;
            o->src.follow = true;
            break;
        case OPT_SPEED:
            arg_name = "--speed";
            if (parse_num(optarg, 0, 1e6, &o->src.speed) < 0)
                goto bad;
            speed = true;
            break;
        case OPT_TOLERANT:
            o->src.tolerant = true;
            break;
        case OPT_CPU_HZ:
            arg_name = "--cpu-hz";
            if (parse_num(optarg, 1e3, 1e12, &o->src.cpu_hz) < 0)
                goto bad;
            break;
        case OPT_POLL:
            arg_name = "--poll-interval";
            if (parse_num(optarg, 1, 60000, &v) < 0)
                goto bad;
            o->poll_ms = (int)v;
            break;
        case OPT_EVOUT:
            o->events_out = optarg;
            break;
        case OPT_EVSOCK:
            o->events_socket = optarg;
            break;
        case OPT_EVSNAP:
            arg_name = "--events-snapshot-interval";
            if (parse_num(optarg, 0.01, 86400, &o->events_snapshot_s) < 0)
                goto bad;
            break;
        case OPT_EVLAG:
            arg_name = "--events-client-lag";
            if (parse_num(optarg, 1024, 1e12, &v) < 0)
                goto bad;
            o->events_client_lag = (size_t)v;
            break;
        case OPT_RW:
            o->remote_write = optarg;
            break;
        case OPT_PUSH_INT:
            arg_name = "--push-interval";
            if (parse_num(optarg, 0.01, 86400, &o->push_interval_s) < 0)
                goto bad;
            break;
        case OPT_PUSH_LABEL: {
            char *eq = strchr(optarg, '=');

            arg_name = "--push-label";
            if (!eq || eq == optarg || o->n_push_labels == EXP_MAX_LABELS)
                goto bad;
            *eq = '\0';
            o->push_label_name[o->n_push_labels] = optarg;
            o->push_label_value[o->n_push_labels++] = eq + 1;
            break;
        }
        case OPT_PUSH_QUEUE:
            arg_name = "--push-queue";
            if (parse_num(optarg, 1, 1e9, &v) < 0)
                goto bad;
            o->push_queue = (size_t)v;
            break;
        case OPT_PUSH_BATCH:
            arg_name = "--push-batch";
            if (parse_num(optarg, 1, 1e7, &v) < 0)
                goto bad;
            o->push_batch = (size_t)v;
            break;
        case OPT_PUSH_TIMEOUT:
            arg_name = "--push-timeout";
            if (parse_num(optarg, 0.01, 3600, &o->push_timeout_s) < 0)
                goto bad;
            break;
        case OPT_PUSH_BACKOFF:
            arg_name = "--push-max-backoff";
            if (parse_num(optarg, 0.1, 86400, &o->push_max_backoff_s) < 0)
                goto bad;
            break;
        case OPT_HTTP_THREADS:
            arg_name = "--http-threads";
            if (parse_num(optarg, 1, 64, &v) < 0)
                goto bad;
            o->http_threads = (unsigned int)v;
            break;
        case OPT_HTTP_TIMEOUT:
            arg_name = "--http-timeout";
            if (parse_num(optarg, 1, 86400, &v) < 0)
                goto bad;
            o->http_timeout = (unsigned int)v;
            break;
        case OPT_MAX_CONN:
            arg_name = "--max-connections";
            if (parse_num(optarg, 1, 100000, &v) < 0)
                goto bad;
            o->max_connections = (unsigned int)v;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            printf("xenclaim-exporter %s\n", XENCLAIM_VERSION);
            return 1;
        default:
            goto usage;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "xenclaim-exporter: unexpected argument '%s'\n",
                argv[optind]);
        goto usage;
    }
    if (nsrc > 1) {
        fprintf(stderr, "xenclaim-exporter: give one source only\n");
        goto usage;
    }
    if ((follow || speed) && o->src.kind != XCS_TRACE_FILE) {
        fprintf(stderr, "xenclaim-exporter: --follow and --speed go with "
                "--trace\n");
        goto usage;
    }
    if (o->n_push_labels == 0) {
        o->push_label_name[0] = "job";
        o->push_label_value[0] = "xenclaim";
        o->n_push_labels = 1;
    }
    switch (o->src.kind) {
    case XCS_MOCK:
        snprintf(o->source_desc, sizeof(o->source_desc), "mock %s",
                 o->src.path ? o->src.path : "(default socket)");
        break;
    case XCS_TRACE_FILE:
        snprintf(o->source_desc, sizeof(o->source_desc), "trace %s",
                 o->src.path);
        break;
    case XCS_TRACE_FD:
        snprintf(o->source_desc, sizeof(o->source_desc), "trace stdin");
        break;
    case XCS_XENCTRL:
        snprintf(o->source_desc, sizeof(o->source_desc), "xenctrl");
        break;
    }
    return 0;
bad:
    fprintf(stderr, "xenclaim-exporter: bad value for %s: '%s'\n",
            arg_name ? arg_name : "option", optarg);
usage:
    fprintf(stderr, "Try 'xenclaim-exporter --help'.\n");
    return -EINVAL;
}
