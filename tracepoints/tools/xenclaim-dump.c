/* xenclaim-dump.c: print a xentrace file, one decoded record per line. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xct_dump.h"
#include "xct_reader.h"

static void usage(FILE *f)
{
    fputs("usage: xenclaim-dump [--help] [--version] [--tolerant] "
          "[--cpu-hz HZ] FILE|-\n"
          "Print every record of a xentrace file, merged by TSC, one per "
          "line;\nxenclaim events are decoded by field, others shown as id "
          "and hex words.\n"
          "  --tolerant    skip bad data to the next window and go on\n"
          "  --cpu-hz HZ   show seconds since the first record (HZ may end "
          "in k, M or G)\n"
          "Exit status: 0 for a good trace, 1 for a bad one (the first "
          "problem is\nreported as FILE: offset N: message), 2 for bad "
          "usage.\n", f);
}

static int parse_hz(const char *s, double *hz)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s)
        return -EINVAL;
    switch (*end) {
    case 'k': case 'K': v *= 1e3; end++; break;
    case 'M': v *= 1e6; end++; break;
    case 'G': v *= 1e9; end++; break;
    default: break;
    }
    if (*end == 'H' && end[1] == 'z')
        end += 2;
    if (*end != '\0' || !(v > 0))
        return -EINVAL;
    *hz = v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help",     no_argument,       NULL, 'h' },
        { "version",  no_argument,       NULL, 'V' },
        { "tolerant", no_argument,       NULL, 't' },
        { "cpu-hz",   required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    struct xct_reader_opts ro = { 0, 0 };
    struct xct_dump_opts dopts = { 0, 0, 0 };
    struct xct_reader *rd;
    struct xct_record rec;
    enum xct_read_status st;
    const char *path;
    char line[1024];
    int opt, bad = 0, first = 1;

    while ((opt = getopt_long(argc, argv, "htc:V", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("xenclaim-dump %s\n", XENCLAIM_VERSION);
            return 0;
        case 't':
            ro.flags |= XCT_READER_TOLERANT;
            dopts.tolerant = 1;
            break;
        case 'c':
            if (parse_hz(optarg, &dopts.cpu_hz) < 0) {
                fprintf(stderr, "xenclaim-dump: bad --cpu-hz '%s'\n", optarg);
                return 2;
            }
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    path = argv[optind];
    if (strcmp(path, "-") == 0) {
        rd = xct_reader_new_fd(0, &ro);
        path = "(stdin)";
    } else {
        rd = xct_reader_new(path, &ro);
    }
    if (!rd) {
        fprintf(stderr, "xenclaim-dump: %s: %s\n", path, strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    for (;;) {
        st = xct_reader_next(rd, &rec);
        if (st == XCT_READ_END)
            break;
        if (st == XCT_READ_OK) {
            if (first && dopts.cpu_hz > 0)
                dopts.first_tsc = rec.tsc;
            first = 0;
            xct_dump_format(line, sizeof(line), &rec, xct_reader_cpu(rd),
                            &dopts);
            puts(line);
            continue;
        }
        bad = 1;
        xct_dump_status(line, sizeof(line), st, rd);
        puts(line);
        fflush(stdout);
        fprintf(stderr, "%s: offset %" PRIu64 ": %s\n", path,
                xct_reader_offset(rd), xct_reader_message(rd));
        if (!dopts.tolerant || xct_reader_at_end(rd))
            break;
    }
    xct_reader_free(rd);
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fprintf(stderr, "xenclaim-dump: writing output: %s\n",
                strerror(errno));
        return 1;
    }
    return bad;
}
