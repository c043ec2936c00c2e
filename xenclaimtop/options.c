/* options.c: xenclaimtop's command line. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#ifndef XENCLAIM_VERSION
#define XENCLAIM_VERSION "0"
#endif

enum {
    OPT_CSV = 0x100, OPT_JSON, OPT_XENCTRL, OPT_SPEED, OPT_STEP,
    OPT_TOLERANT, OPT_CPU_HZ, OPT_SORT, OPT_STATS,
};

static const struct option longopts[] = {
    { "batch", no_argument, NULL, 'b' },
    { "iterations", required_argument, NULL, 'i' },
    { "delay", required_argument, NULL, 'd' },
    { "csv", no_argument, NULL, OPT_CSV },
    { "json", no_argument, NULL, OPT_JSON },
    { "units", required_argument, NULL, 'u' },
    { "socket", required_argument, NULL, 's' },
    { "xenctrl", no_argument, NULL, OPT_XENCTRL },
    { "speed", required_argument, NULL, OPT_SPEED },
    { "step", no_argument, NULL, OPT_STEP },
    { "follow", no_argument, NULL, 'f' },
    { "tolerant", no_argument, NULL, OPT_TOLERANT },
    { "cpu-hz", required_argument, NULL, OPT_CPU_HZ },
    { "sort", required_argument, NULL, OPT_SORT },
    { "reverse", no_argument, NULL, 'r' },
    { "filter", required_argument, NULL, 'F' },
    { "no-color", no_argument, NULL, 'C' },
    { "no-colour", no_argument, NULL, 'C' },
    { "stats", no_argument, NULL, OPT_STATS },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

void top_opts_usage(FILE *f)
{
    fputs(
"Usage: xenclaimtop [OPTION]... [TRACE|-]\n"
"Watch Xen memory claims live: per-domain outstanding claims against free\n"
"and tmem-freeable pages.\n"
"\n"
"Sources (one of):\n"
"  (none)                 the mock hypervisor on its default socket\n"
"  -s, --socket PATH      the mock hypervisor (xenclaim-mock serve) on PATH\n"
"  TRACE                  a xentrace file; '-' reads a stream on stdin\n"
"      --xenctrl          poll libxenctrl (a real Xen host, dom0)\n"
"Trace replay:\n"
"      --speed X          X times the recorded speed (default 1; 0: as\n"
"                         fast as possible)\n"
"      --step             advance only on keys: space/n one record,\n"
"                         N a thousand\n"
"  -f, --follow           wait for more at the end, like tail -f\n"
"      --tolerant         skip corrupt data instead of stopping\n"
"      --cpu-hz HZ        the trace's TSC rate (default 1e9, the mock's)\n"
"Display:\n"
"  -d, --delay SECONDS    seconds between frames (default 1; 0.5 works)\n"
"  -u, --units UNIT       pages, MiB or GiB (default MiB)\n"
"      --sort COLUMN      domid, name, tot, max, claim (default), share,\n"
"                         age, draw, denials or last\n"
"  -r, --reverse          reverse the sort order\n"
"  -F, --filter TEXT      show domains whose name or domid contains TEXT\n"
"  -C, --no-color         no colour (also when NO_COLOR is set)\n"
"Batch mode:\n"
"  -b, --batch            frames of text on stdout instead of a screen\n"
"  -i, --iterations N     stop after N frames\n"
"      --csv              batch frames as CSV (units in the header)\n"
"      --json             batch frames as JSON lines (units in the keys)\n"
"      --stats            print records taken in and their rate on stderr\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Keys: h or ? for help, q to quit.  Exit status: 0 the source was healthy\n"
"to the end, 1 it was down or failed, 2 bad usage, 3 no source, 4 no\n"
"terminal or another error.\n", f);
}

/* The long name of option c. */
static const char *opt_name(int c)
{
    const struct option *l;

    for (l = longopts; l->name; l++)
        if (l->val == c)
            return l->name;
    return "?";
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || !*s || *end || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
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

static void defaults(struct top_opts *o)
{
    const char *nc = getenv("NO_COLOR");

    memset(o, 0, sizeof(*o));
    o->src.kind = XCS_MOCK;
    o->src.fd = -1;
    o->src.speed = 1;
    o->src_default = true;
    o->out = TOP_OUT_CURSES;
    o->interval = 1;
    o->unit = TOP_UNIT_MIB;
    o->sort = &top_cols[TOP_COL_CLAIM];
    o->color = !(nc && *nc);
}

int top_opts_parse(struct top_opts *o, int argc, char **argv, FILE *out,
                   FILE *err)
{
    bool batch = false, speed_set = false, mock = false, xenctrl = false;
    int c;

    defaults(o);
    optind = 0;         /* GNU getopt: start afresh */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "bi:d:u:s:frF:ChV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'b':
            batch = true;
            break;
        case 'i':
            if (parse_long(optarg, 1, 1000000000L, &o->iterations) < 0)
                goto bad_arg;
            break;
        case 'd':
            if (parse_double(optarg, 0.01, 3600, &o->interval) < 0)
                goto bad_arg;
            break;
        case OPT_CSV:
            o->out = TOP_OUT_CSV;
            break;
        case OPT_JSON:
            o->out = TOP_OUT_JSON;
            break;
        case 'u':
            if (top_unit_parse(optarg, &o->unit) < 0)
                goto bad_arg;
            break;
        case 's':
            mock = true;
            o->src.path = optarg;
            break;
        case OPT_XENCTRL:
            xenctrl = true;
            break;
        case OPT_SPEED:
            if (parse_double(optarg, 0, 1e6, &o->src.speed) < 0)
                goto bad_arg;
            speed_set = true;
            break;
        case OPT_STEP:
            o->src.step = true;
            break;
        case 'f':
            o->src.follow = true;
            break;
        case OPT_TOLERANT:
            o->src.tolerant = true;
            break;
        case OPT_CPU_HZ:
            if (parse_double(optarg, 1e3, 1e12, &o->src.cpu_hz) < 0)
                goto bad_arg;
            break;
        case OPT_SORT:
            o->sort = top_col_find(optarg);
            if (!o->sort)
                goto bad_arg;
            break;
        case 'r':
            o->reverse = true;
            break;
        case 'F':
            if (strlen(optarg) >= sizeof(o->filter))
                goto bad_arg;
            strcpy(o->filter, optarg);
            break;
        case 'C':
            o->color = false;
            break;
        case OPT_STATS:
            o->stats = true;
            break;
        case 'h':
            top_opts_usage(out);
            return 1;
        case 'V':
            fprintf(out, "xenclaimtop %s\n", XENCLAIM_VERSION);
            return 1;
        case ':':
        case '?':
        default:
            if (optopt && optopt < 0x100)
                fprintf(err, "xenclaimtop: bad option or missing value: "
                        "-%c\n", optopt);
            else
                fprintf(err, "xenclaimtop: bad option or missing value: "
                        "%s\n", argv[optind - 1]);
            fprintf(err, "Try 'xenclaimtop --help'.\n");
            return -EINVAL;
        }
    }

    if (o->out == TOP_OUT_CURSES && batch)
        o->out = TOP_OUT_TEXT;
    if (optind < argc - 1) {
        fprintf(err, "xenclaimtop: one trace at most (got '%s' and '%s')\n",
                argv[optind], argv[optind + 1]);
        return -EINVAL;
    }
    if ((optind < argc) + mock + xenctrl > 1) {
        fprintf(err, "xenclaimtop: choose one source: a trace, --socket "
                "or --xenctrl\n");
        return -EINVAL;
    }
    if (optind < argc) {
        o->src_default = false;
        if (strcmp(argv[optind], "-") == 0) {
            o->src.kind = XCS_TRACE_FD;
            o->src.fd = 0;
        } else {
            o->src.kind = XCS_TRACE_FILE;
            o->src.path = argv[optind];
        }
    } else if (mock) {
        o->src_default = false;
    } else if (xenctrl) {
        o->src_default = false;
        o->src.kind = XCS_XENCTRL;
    }
    if (o->src.kind != XCS_TRACE_FILE &&
        (speed_set || o->src.step || o->src.follow)) {
        fprintf(err, "xenclaimtop: --speed, --step and --follow replay a "
                "trace file\n");
        return -EINVAL;
    }
    if (o->src.step && speed_set) {
        fprintf(err, "xenclaimtop: --step and --speed do not go together\n");
        return -EINVAL;
    }
    if (o->src.step && o->out != TOP_OUT_CURSES) {
        fprintf(err, "xenclaimtop: --step needs the screen (keys advance "
                "it), not batch mode\n");
        return -EINVAL;
    }
    if (o->src.step)
        o->src.speed = 0;
    return 0;

bad_arg:
    fprintf(err, "xenclaimtop: bad value '%s' for --%s\n", optarg,
            opt_name(c));
    fprintf(err, "Try 'xenclaimtop --help'.\n");
    return -EINVAL;
}
