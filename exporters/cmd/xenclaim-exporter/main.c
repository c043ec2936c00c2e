/* main.c: xenclaim-exporter: start the poller, the HTTP server, remote write and the event stream; stop them on SIGINT/SIGTERM. */
/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exp.h"

void exp_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One write per line, so that threads do not interleave. */
    fprintf(stderr, "xenclaim-exporter: %s\n", line);
}

uint64_t exp_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t exp_unix_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000u;
}

int main(int argc, char **argv)
{
    struct exp_opts o;
    struct exp_state st;
    struct exp_http *http = NULL;
    struct exp_push *push = NULL;
    struct exp_evout *ev = NULL;
    struct exp_snapbox *last;
    pthread_t poller;
    bool poller_started = false;
    sigset_t set;
    int rc, sig, status = 1;

    rc = exp_opts_parse(&o, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    setvbuf(stderr, NULL, _IOLBF, 0);
    /*
     * Bodies of several MB are rendered and freed at every scrape: keep
     * them in the heap (no mmap/munmap and fresh page faults each time).
     */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    /* Few arenas: bodies freed by other threads are reused, not kept. */
    mallopt(M_ARENA_MAX, 2);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        exp_log("cannot initialise libcurl");
        return 1;
    }
    /* Threads inherit this mask: only the main thread takes signals. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (exp_state_init(&st, &o) < 0)
        goto out;
    if (o.events_out || o.events_socket) {
        ev = exp_evout_open(&st);
        if (!ev)
            goto out_state;
    }
    http = exp_http_start(&st);
    if (!http)
        goto out_ev;
    rc = exp_poller_start(&st, ev, &poller);
    if (rc < 0) {
        exp_log("cannot start the poller: %s", strerror(-rc));
        goto out_http;
    }
    poller_started = true;
    if (o.remote_write) {
        push = exp_push_start(&st);
        if (!push)
            goto out_poller;
    }
    if (!o.quiet)
        exp_log("reading %s", o.source_desc);
    status = 0;
    do {
        rc = sigwait(&set, &sig);
    } while (rc != 0);
    if (!o.quiet)
        exp_log("%s: stopping", strsignal(sig));

out_poller:
    atomic_store(&st.stop, true);
    if (poller_started)
        pthread_join(poller, NULL);
    exp_push_stop(push);
out_http:
    exp_http_stop(http);
out_ev:
    last = exp_snap_get(&st);
    exp_evout_close(ev, last && poller_started ? &last->snap : NULL);
    exp_snap_put(&st, last);
    exp_poller_close();
out_state:
    exp_state_destroy(&st);
out:
    curl_global_cleanup();
    return status;
}
