/* xenclaim-replay-bench.c: times the trace reader plus the replay. */
/* SPDX-License-Identifier: MIT */
/*
 * xenclaim-replay-bench FILE
 *
 * Reads FILE with xct_reader (which maps it) and feeds every record to
 * xct_replay with no callback, as the core issue's benchmark asks
 * ("reader plus replay against xenalyze --summary").  Prints
 * "records=N seconds=S rate=R issues=I" (rate in records per second,
 * wall clock, the file's pages already cached).  Exit 1 on a bad trace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "xct_reader.h"
#include "xct_replay.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct xct_reader *rd;
    struct xct_replay *rp;
    struct xct_record rec;
    enum xct_read_status st;
    const struct xct_replay_host *h;
    uint64_t n = 0, issues = 0;
    unsigned int i;
    double t0, dt;

    if (argc != 2) {
        fputs("usage: xenclaim-replay-bench FILE\n", stderr);
        return 2;
    }
    t0 = now();
    rd = xct_reader_new(argv[1], NULL);
    rp = xct_replay_new();
    if (!rd || !rp) {
        fprintf(stderr, "xenclaim-replay-bench: %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    while ((st = xct_reader_next(rd, &rec)) == XCT_READ_OK) {
        xct_replay_feed(rp, &rec, xct_reader_offset(rd));
        n++;
    }
    dt = now() - t0;
    if (st != XCT_READ_END) {
        fprintf(stderr, "xenclaim-replay-bench: %s: offset %" PRIu64 ": %s\n",
                argv[1], xct_reader_offset(rd), xct_reader_message(rd));
        return 1;
    }
    h = xct_replay_host(rp);
    for (i = 0; i < XCT_REPLAY_NISSUES; i++)
        issues += h->n.issues[i];
    printf("records=%" PRIu64 " seconds=%.6f rate=%.0f issues=%" PRIu64 "\n",
           n, dt, dt > 0 ? (double)n / dt : 0.0, issues);
    xct_replay_free(rp);
    xct_reader_free(rd);
    return 0;
}
