/* xsc_cmd.c: the run, gen and check subcommands. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsc_int.h"

#define EXIT_USAGE  2

/* "xenclaim-scenario run": the program, then the subcommand. */
static void prog_name(char *buf, size_t len, const char *sub)
{
    snprintf(buf, len, "%s %s", program_invocation_short_name, sub);
}

static int get_u64(const char *prog, const char *opt, const char *s,
                   uint64_t *v)
{
    char *end;

    errno = 0;
    *v = strtoull(s, &end, 10);
    if (!*s || *end || errno || *s == '-') {
        fprintf(stderr, "%s: %s: '%s' is not a number\n", prog, opt, s);
        return -EINVAL;
    }
    return 0;
}

/* ---- run ---------------------------------------------------------------- */

static void run_usage(FILE *f, const char *prog)
{
    fprintf(f,
"Usage: %s SCENARIO -o TRACE [--seed N] [--summary]\n"
"Run a scenario on the mock hypervisor in this process and write its\n"
"xentrace file.  The same scenario and seed give the same file, byte for\n"
"byte.  SCENARIO '-' reads standard input.  See docs/scenarios.md.\n"
"\n"
"  -o, --output=TRACE   the trace file to write (required)\n"
"  -s, --seed=N         seed of the run's random choices (default: the\n"
"                       host line's seed=)\n"
"  -S, --summary        print what happened to every guest, failed\n"
"                       operations and host totals on standard output\n"
"  -h, --help           this help\n"
"\n"
"Progress goes to standard error when it is a terminal.\n"
"Exit status: 0 done (refusals and failed builds are outcomes, not\n"
"errors), 1 the run failed (trace write, host start-up), 2 usage or a\n"
"scenario with errors (file:line: message).\n", prog);
}

int xsc_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "seed", required_argument, NULL, 's' },
        { "summary", no_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsc_run_opts ro;
    struct xsc_result *res = NULL;
    struct xsc_scenario *sc;
    struct xsc_error err;
    const char *prog = argv[0];
    char pname[128];
    int c, rc, summary = 0;

    prog_name(pname, sizeof(pname), prog);
    memset(&ro, 0, sizeof(ro));
    optind = 0;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "o:s:Sh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            ro.trace_path = optarg;
            break;
        case 's':
            if (get_u64(pname, "--seed", optarg, &ro.seed))
                return EXIT_USAGE;
            ro.seed_set = 1;
            break;
        case 'S':
            summary = 1;
            break;
        case 'h':
            run_usage(stdout, pname);
            return 0;
        default:
            run_usage(stderr, pname);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "%s: %s\n", pname, optind == argc
                ? "a scenario file is required" : "one scenario file only");
        run_usage(stderr, pname);
        return EXIT_USAGE;
    }
    if (!ro.trace_path || !*ro.trace_path) {
        fprintf(stderr, "%s: -o TRACE is required\n", pname);
        return EXIT_USAGE;
    }
    sc = xsc_parse_file(argv[optind], &err);
    if (!sc) {
        if (err.line)
            fprintf(stderr, "%s:%u: %s\n", argv[optind], err.line, err.msg);
        else
            fprintf(stderr, "%s: %s: %s\n", pname, argv[optind], err.msg);
        return errno == EINVAL ? EXIT_USAGE : 1;
    }
    ro.progress = isatty(STDERR_FILENO);
    rc = xsc_run(sc, &ro, &res);
    if (rc == -EALREADY)
        fprintf(stderr, "%s: the mock host runs once per process\n", pname);
    else if (rc && res && res->trace_error)
        fprintf(stderr, "%s: %s: %s\n", pname, ro.trace_path,
                strerror(res->trace_error));
    else if (rc && res)
        fprintf(stderr, "%s: %s: run failed: %s\n", pname, argv[optind],
                strerror(-rc));
    else if (rc)
        fprintf(stderr, "%s: cannot start the host of %s: %s\n", pname,
                argv[optind], strerror(-rc));
    if (!rc && summary) {
        xsc_result_print(res, sc, stdout);
        if (fflush(stdout) || ferror(stdout)) {
            fprintf(stderr, "%s: standard output: %s\n", pname,
                    strerror(errno));
            rc = -EIO;
        }
    }
    xsc_result_free(res);
    xsc_free(sc);
    return rc ? 1 : 0;
}

/* ---- gen ---------------------------------------------------------------- */

static void gen_usage(FILE *f, const char *prog)
{
    struct xsc_gen_opts d;

    xsc_gen_defaults(&d);
    fprintf(f,
"Usage: %s --seed N [--guests N] [--toolstacks N] [--memory SIZE]\n"
"          [--duration TIME]\n"
"Print a random but valid scenario, the same for the same options.\n"
"\n"
"  -s, --seed=N          seed (default %" PRIu64 ")\n"
"  -g, --guests=N        guests, 1-1000 (default %u)\n"
"  -t, --toolstacks=N    toolstacks acting in parallel, 1-64 (default %u)\n"
"  -m, --memory=SIZE     host memory, 1G-1T (default %" PRIu64 "G)\n"
"  -d, --duration=TIME   span of the guests' activity, 1s-1h (default\n"
"                        %" PRIu64 "s)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 done, 1 output error, 2 usage.\n", prog, d.seed, d.guests,
            d.toolstacks, d.memory >> 18, d.duration / XSC_NS_PER_S);
}

int xsc_cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' },
        { "guests", required_argument, NULL, 'g' },
        { "toolstacks", required_argument, NULL, 't' },
        { "memory", required_argument, NULL, 'm' },
        { "duration", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsc_gen_opts go;
    char pname[128], msg[160], *text;
    uint64_t v, step;
    int c;

    prog_name(pname, sizeof(pname), argv[0]);
    xsc_gen_defaults(&go);
    optind = 0;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "s:g:t:m:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (get_u64(pname, "--seed", optarg, &go.seed))
                return EXIT_USAGE;
            break;
        case 'g':
        case 't':
            if (get_u64(pname, c == 'g' ? "--guests" : "--toolstacks",
                        optarg, &v))
                return EXIT_USAGE;
            if (c == 'g' ? (!v || v > 1000) : (!v || v > 64)) {
                fprintf(stderr, "%s: %s: %s out of range (%s)\n", pname,
                        c == 'g' ? "--guests" : "--toolstacks", optarg,
                        c == 'g' ? "1-1000" : "1-64");
                return EXIT_USAGE;
            }
            if (c == 'g')
                go.guests = (unsigned int)v;
            else
                go.toolstacks = (unsigned int)v;
            break;
        case 'm':
            if (xsc_parse_size(optarg, &go.memory, &step, msg,
                               sizeof(msg))) {
                fprintf(stderr, "%s: --memory: %s\n", pname, msg);
                return EXIT_USAGE;
            }
            if (go.memory < (1ULL << 18) || go.memory > (1ULL << 28)) {
                fprintf(stderr, "%s: --memory: %s out of range (1G-1T)\n",
                        pname, optarg);
                return EXIT_USAGE;
            }
            break;
        case 'd':
            if (xsc_parse_time(optarg, &go.duration, &step, msg,
                               sizeof(msg))) {
                fprintf(stderr, "%s: --duration: %s\n", pname, msg);
                return EXIT_USAGE;
            }
            if (go.duration < XSC_NS_PER_S ||
                go.duration > 3600 * XSC_NS_PER_S) {
                fprintf(stderr, "%s: --duration: %s out of range (1s-1h)\n",
                        pname, optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            gen_usage(stdout, pname);
            return 0;
        default:
            gen_usage(stderr, pname);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", pname,
                argv[optind]);
        gen_usage(stderr, pname);
        return EXIT_USAGE;
    }
    text = xsc_generate(&go);
    if (!text) {
        fprintf(stderr, "%s: %s\n", pname, strerror(errno));
        return 1;
    }
    fputs(text, stdout);
    free(text);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "%s: standard output: %s\n", pname, strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- check -------------------------------------------------------------- */

static void check_usage(FILE *f, const char *prog)
{
    fprintf(f,
"Usage: %s TRACE\n"
"Read a xentrace file written by 'run' and class every domain death from\n"
"the records alone: refused at claim (died owning nothing after a refused\n"
"claim), half-built (died owning pages right after an allocation of its\n"
"own failed), failed empty, or destroyed otherwise.  Prints key=value\n"
"lines.\n"
"\n"
"Exit status: 0 done, 1 unreadable or malformed trace, 2 usage.\n", prog);
}

int xsc_cmd_check(int argc, char **argv)
{
    struct xsc_check ck;
    char pname[128], msg[200];
    int rc;

    prog_name(pname, sizeof(pname), argv[0]);
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        check_usage(stdout, pname);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        check_usage(stderr, pname);
        return EXIT_USAGE;
    }
    rc = xsc_check_trace(argv[1], &ck, msg, sizeof(msg));
    if (rc) {
        fprintf(stderr, "%s: %s: %s\n", pname, argv[1],
                msg[0] ? msg : strerror(-rc));
        return 1;
    }
    printf("records=%" PRIu64 "\nwindows=%" PRIu64 "\ncreated=%" PRIu64
           "\ndied=%" PRIu64 "\nrefused-at-claim=%" PRIu64
           "\nhalf-built=%" PRIu64 "\nfailed-empty=%" PRIu64
           "\ndestroyed-other=%" PRIu64 "\nclaims=%" PRIu64
           "\nclaims-refused=%" PRIu64 "\nalloc-denied=%" PRIu64
           "\nalloc-failed=%" PRIu64 "\nmax-outstanding=%" PRIu64 "\n",
           ck.records, ck.windows, ck.created, ck.died, ck.refused_at_claim,
           ck.half_built, ck.failed_empty, ck.destroyed_other, ck.claims,
           ck.claims_refused, ck.denied, ck.failed, ck.max_outstanding);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "%s: standard output: %s\n", pname, strerror(errno));
        return 1;
    }
    return 0;
}
