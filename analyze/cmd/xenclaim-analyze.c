/* xenclaim-analyze.c: post-mortem analysis of a xenclaim trace. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/xca.h"

/* Exit statuses. */
#define EXIT_BADTRACE   1       /* the trace is bad, or an I/O error */
#define EXIT_USAGE      2
#define EXIT_ISSUES     3       /* read fine, the accounting is not */

#define MAX_FILTER      4096u

static const char *prog = "xenclaim-analyze";

static void usage(FILE *f)
{
    fprintf(f,
"usage: %s [OPTIONS] TRACE\n"
"Analyze a xentrace file with xenclaim events: each domain's claims, every\n"
"denial because of claims and who blocked it, refused stakes, the host's\n"
"free / freeable / outstanding timeline and its low points, gaps of lost\n"
"records, and a replay of the accounting with every violation.\n"
"\n"
"  --json, --csv       report as JSON or CSV tables (default: text)\n"
"  -o, --output FILE   write the report to FILE (default: standard output)\n"
"  --from T, --to T    only this window, T after the first record: 2s,\n"
"                      10ms, 250us, 1.5 (seconds)\n"
"  --domain ID         only this domain (repeatable)\n"
"  --dump              print every record instead of the report\n"
"  --cpu-hz HZ         TSC rate (default 1G, the mock's; real Xen traces\n"
"                      need the host's, e.g. 2096M)\n"
"  --svg FILE          timeline plot as SVG\n"
"  --svg-width N       plot width in pixels (default 800)\n"
"  --perfetto FILE     Perfetto trace of the counters and denials\n"
"  --tolerant          skip bad data and go on, saying what was skipped\n"
"  --single-thread     read and analyse in one thread (default: two)\n"
"  --progress, --quiet progress on stderr (default: only for a large\n"
"                      trace when stderr is a terminal)\n"
"  -h, --help, --version\n"
"\n"
"Exit status: 0 success; 1 a bad trace (the first problem is reported as\n"
"TRACE: offset N: what was expected) or an I/O error; 2 bad usage; 3 the\n"
"trace reads fine but its accounting has violations.\n", prog);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fputs("\ntry --help\n", stderr);
    return EXIT_USAGE;
}

static int parse_domid(const char *s, uint32_t *id)
{
    char *end;
    unsigned long v;

    if (s[0] == 'd')
        s++;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno || end == s || *end || v >= XCA_MAX_DOMAINS)
        return -EINVAL;
    *id = (uint32_t)v;
    return 0;
}

enum { OPT_JSON = 256, OPT_CSV, OPT_FROM, OPT_TO, OPT_DOMAIN, OPT_DUMP,
       OPT_HZ, OPT_SVG, OPT_SVGW, OPT_PERFETTO, OPT_TOLERANT, OPT_PROGRESS,
       OPT_QUIET, OPT_VERSION, OPT_SINGLE };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json",      no_argument,       NULL, OPT_JSON },
        { "csv",       no_argument,       NULL, OPT_CSV },
        { "output",    required_argument, NULL, 'o' },
        { "from",      required_argument, NULL, OPT_FROM },
        { "to",        required_argument, NULL, OPT_TO },
        { "domain",    required_argument, NULL, OPT_DOMAIN },
        { "dump",      no_argument,       NULL, OPT_DUMP },
        { "cpu-hz",    required_argument, NULL, OPT_HZ },
        { "svg",       required_argument, NULL, OPT_SVG },
        { "svg-width", required_argument, NULL, OPT_SVGW },
        { "perfetto",  required_argument, NULL, OPT_PERFETTO },
        { "tolerant",  no_argument,       NULL, OPT_TOLERANT },
        { "progress",  no_argument,       NULL, OPT_PROGRESS },
        { "quiet",     no_argument,       NULL, OPT_QUIET },
        { "single-thread", no_argument,   NULL, OPT_SINGLE },
        { "help",      no_argument,       NULL, 'h' },
        { "version",   no_argument,       NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    static uint32_t filter[MAX_FILTER];
    struct xca_opts o = XCA_OPTS_INIT;
    struct xca_read_opts ro = { 0, -1, 0, NULL, 0 };
    const char *out_path = NULL, *svg_path = NULL, *pf_path = NULL, *path;
    FILE *out = stdout, *pf = NULL, *svg = NULL;
    struct xca *a = NULL;
    unsigned int svg_w = 800;
    int fmt = 0, opt, rc, status = 0;
    double v;

    while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON:
        case OPT_CSV:
            if (fmt && fmt != opt)
                return bad_usage("%s", "--json and --csv exclude each other");
            fmt = opt;
            break;
        case 'o':
            out_path = optarg;
            break;
        case OPT_FROM:
        case OPT_TO:
            if (xca_parse_time(optarg, &v) < 0)
                return bad_usage("bad time '%s': expected a number with an "
                                 "optional unit ns, us, ms, s or min",
                                 optarg);
            if (opt == OPT_FROM) {
                o.has_from = 1;
                o.from_s = v;
            } else {
                o.has_to = 1;
                o.to_s = v;
            }
            break;
        case OPT_DOMAIN:
            if (o.ndomains >= MAX_FILTER)
                return bad_usage("%s", "too many --domain options");
            if (parse_domid(optarg, &filter[o.ndomains]) < 0)
                return bad_usage("bad domain '%s': expected 0 to 65535",
                                 optarg);
            o.ndomains++;
            o.domains = filter;
            break;
        case OPT_DUMP:
            ro.dump = 1;
            break;
        case OPT_HZ:
            if (xca_parse_hz(optarg, &o.cpu_hz) < 0)
                return bad_usage("bad --cpu-hz '%s': expected a rate such "
                                 "as 1e9, 2.1G or 2096MHz", optarg);
            break;
        case OPT_SVG:
            svg_path = optarg;
            break;
        case OPT_SVGW:
            svg_w = (unsigned int)strtoul(optarg, NULL, 10);
            if (svg_w < 100 || svg_w > 8192)
                return bad_usage("bad --svg-width '%s': expected 100 to "
                                 "8192", optarg);
            break;
        case OPT_PERFETTO:
            pf_path = optarg;
            break;
        case OPT_TOLERANT:
            ro.tolerant = 1;
            break;
        case OPT_PROGRESS:
            ro.progress = 1;
            break;
        case OPT_QUIET:
            ro.progress = 0;
            break;
        case OPT_SINGLE:
            ro.single_thread = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("%s %s\n", prog, XENCLAIM_VERSION);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    path = argv[optind];
    if (o.has_from && o.has_to && o.to_s < o.from_s)
        return bad_usage("%s", "--to is before --from");
    if (svg_path && strcmp(path, "-") == 0)
        return bad_usage("%s", "--svg reads the trace twice: give a file, "
                         "not standard input");

    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "%s: %s: %s\n", prog, out_path, strerror(errno));
        return EXIT_BADTRACE;
    }
    if (pf_path) {
        pf = fopen(pf_path, "wb");
        if (!pf) {
            fprintf(stderr, "%s: %s: %s\n", prog, pf_path, strerror(errno));
            status = EXIT_BADTRACE;
            goto out;
        }
        setvbuf(pf, NULL, _IOFBF, 1u << 20);
        o.perfetto = pf;
    }
    setvbuf(out, NULL, _IOFBF, 1u << 16);
    ro.dump_out = out;

    a = xca_new(&o);
    if (!a) {
        fprintf(stderr, "%s: %s\n", prog, strerror(errno));
        status = EXIT_BADTRACE;
        goto out;
    }
    rc = xca_read_file(a, path, &ro, stderr);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-rc));
        status = EXIT_BADTRACE;
        goto out;
    }
    if (rc == XCA_READ_BAD)
        status = EXIT_BADTRACE;
    if (ro.dump || (status && !ro.tolerant))
        goto out;

    if (fmt == OPT_JSON)
        rc = xca_report_json(a, out, path);
    else if (fmt == OPT_CSV)
        rc = xca_report_csv(a, out);
    else
        rc = xca_report_text(a, out, path);
    if (rc < 0) {
        fprintf(stderr, "%s: writing the report: %s\n", prog, strerror(-rc));
        status = EXIT_BADTRACE;
        goto out;
    }
    if (svg_path) {
        struct xca_plot *p = xca_plot_new(a, svg_w);

        rc = p ? xca_plot_read_file(p, path, ro.tolerant) : -errno;
        if (rc == 0) {
            svg = fopen(svg_path, "w");
            rc = svg ? xca_plot_svg(p, svg, path) : -errno;
            if (svg && fclose(svg) == EOF && rc == 0)
                rc = -errno;
        }
        xca_plot_free(p);
        if (rc < 0) {
            fprintf(stderr, "%s: %s: %s\n", prog, svg_path, strerror(-rc));
            status = EXIT_BADTRACE;
            goto out;
        }
    }
    if (!status && xca_summary(a)->issues)
        status = EXIT_ISSUES;

out:
    xca_free(a);
    if (pf && fclose(pf) == EOF && !status) {
        fprintf(stderr, "%s: %s: %s\n", prog, pf_path, strerror(errno));
        status = EXIT_BADTRACE;
    }
    if (out != stdout) {
        if (fclose(out) == EOF && !status) {
            fprintf(stderr, "%s: %s: %s\n", prog, out_path, strerror(errno));
            status = EXIT_BADTRACE;
        }
    } else if (fflush(stdout) == EOF && !status) {
        fprintf(stderr, "%s: writing: %s\n", prog, strerror(errno));
        status = EXIT_BADTRACE;
    }
    return status;
}
