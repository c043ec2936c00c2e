/* main.c: xenclaimtop: a live view of Xen memory claims against free and tmem-freeable pages, on a screen or in batch. */
/* SPDX-License-Identifier: MIT */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "top.h"

#define POLL_MS 50      /* longest wait before keys are looked at */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int exit_status(const struct top *t)
{
    return t->st == XCS_DOWN || t->st == XCS_FAILED ? TOP_EXIT_SOURCE
                                                    : TOP_EXIT_OK;
}

static int clamp_ms(double s, int hi)
{
    double ms = s * 1000.0;

    if (ms < 0)
        return 0;
    return ms > hi ? hi : (int)ms + 1;
}

/* Wait for a key (or a signal) for at most ms. */
static void wait_keys(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (ms > 0)
        poll(&p, fd >= 0 ? 1 : 0, ms);
}

/*
 * Take in what the source has for at most ms, without spinning: a source
 * with nothing to say (down, ended, stepped) leaves the time to keyfd.
 */
static void ingest(struct top *t, int ms, int keyfd)
{
    double t0 = top_now(), spent;
    int n = xcs_poll(t->src, ms);

    if (n > 0) {
        t->ingested += (uint64_t)n;
        return;
    }
    spent = (top_now() - t0) * 1000.0;
    if (spent < ms / 2.0)
        wait_keys(keyfd, ms - (int)spent);
}

/* Replay of a trace that ended, or a trace that is corrupt. */
static bool source_over(const struct top *t)
{
    if (t->opt.src.kind != XCS_TRACE_FILE && t->opt.src.kind != XCS_TRACE_FD)
        return false;
    return (t->replay && t->st == XCS_IDLE) || t->st == XCS_FAILED;
}

static int run_screen(struct top *t)
{
    double next, now;
    bool dirty = true, redraw = true;
    int keyfd, flags, ch, r;

    r = top_screen_open(t);
    if (r < 0) {
        fprintf(stderr, "xenclaimtop: no terminal to draw on (%s); -b "
                "writes frames of text instead\n", strerror(-r));
        return TOP_EXIT_ERROR;
    }
    keyfd = top_screen_fd();
    next = top_now();
    while (!stop_signal) {
        const char *msg = NULL;
        bool frozen = t->paused && t->opt.src.kind == XCS_TRACE_FILE;

        now = top_now();
        if (t->opt.src.step || frozen)
            wait_keys(keyfd, t->paused ? POLL_MS * 4
                                       : clamp_ms(next - now, POLL_MS));
        else
            ingest(t, t->paused ? POLL_MS : clamp_ms(next - now, POLL_MS),
                   keyfd);

        flags = 0;
        while (!(flags & TOP_KEY_QUIT) && (ch = getch()) != ERR)
            flags |= top_key(t, ch);
        if (flags & TOP_KEY_QUIT)
            break;
        now = top_now();
        if ((now >= next && !t->paused) || (flags & TOP_KEY_SNAPSHOT)) {
            top_take_snapshot(t);
            dirty = true;
            next = now + t->interval;
        } else if (t->paused && now >= next) {
            /* Frozen figures, but a source that dies is still told. */
            enum xcs_status st = xcs_status(t->src, &msg);

            if (st != t->st) {
                top_note_status(t, st, msg);
                dirty = true;
            }
            next = now + t->interval;
        }
        if (next > now + t->interval)
            next = now + t->interval;
        if (flags & TOP_KEY_REFRESH) {
            top_refresh_view(t);
            dirty = true;
        }
        if (flags & TOP_KEY_REDRAW)
            redraw = true;
        if (dirty || redraw) {
            top_screen_draw(t, redraw);
            dirty = redraw = false;
        }
    }
    top_screen_close();
    return exit_status(t);
}

static void print_stats(const struct top *t, double secs)
{
    const struct xcs_snapshot *s = top_model_current(&t->model);
    uint64_t rec = s ? s->host.records : 0;

    fprintf(stderr, "xenclaimtop: %" PRIu64 " records in %.3f s: %.0f "
            "records/s, %" PRIu64 " lost, %" PRIu64 " taken in by polls\n",
            rec, secs, secs > 0 ? (double)rec / secs : 0.0,
            s ? s->host.lost : 0, t->ingested);
}

static int run_batch(struct top *t)
{
    double start = top_now(), next, now;
    enum xcs_status st;
    const char *msg;

    /* The first frame once the source has given figures (or an interval). */
    for (;;) {
        ingest(t, POLL_MS, -1);
        top_take_snapshot(t);
        if (stop_signal || top_model_current(&t->model) ||
            t->st == XCS_DOWN || t->st == XCS_FAILED ||
            top_now() >= start + t->interval)
            break;
    }
    top_batch_frame(t, stdout);
    next = top_now() + t->interval;
    while (!stop_signal && !source_over(t) &&
           (!t->opt.iterations || (long)t->frames_out < t->opt.iterations)) {
        while (!stop_signal && (now = top_now()) < next) {
            ingest(t, clamp_ms(next - now, 100), -1);
            st = xcs_status(t->src, &msg);
            if (st != t->st)
                top_note_status(t, st, msg);
            if (source_over(t))
                break;
        }
        if (stop_signal)
            break;
        top_take_snapshot(t);
        top_batch_frame(t, stdout);
        if (ferror(stdout))
            break;
        next += t->interval;
        now = top_now();
        if (next < now)
            next = now + t->interval;
    }
    if (t->opt.stats)
        print_stats(t, top_now() - start);
    return exit_status(t);
}

static void open_failed(const struct top *t, const char *err)
{
    const struct xcs_opts *o = &t->opt.src;

    if (t->opt.src_default) {
        fprintf(stderr,
"xenclaimtop: no mock hypervisor to watch: %s\n"
"  start one:               xenclaim-mock serve -d\n"
"  or name its socket:      xenclaimtop -s PATH\n"
"  or replay a trace:       xenclaimtop TRACE   ('-': a stream on stdin)\n"
"  or poll a real Xen host: xenclaimtop --xenctrl   (in dom0, as root)\n",
                err);
        return;
    }
    switch (o->kind) {
    case XCS_TRACE_FILE:
        fprintf(stderr, "xenclaimtop: cannot open trace %s: %s\n", o->path,
                err);
        break;
    case XCS_TRACE_FD:
        fprintf(stderr, "xenclaimtop: cannot read a trace on stdin: %s\n",
                err);
        break;
    case XCS_MOCK:
        fprintf(stderr, "xenclaimtop: no mock hypervisor on %s: %s\n"
                "  start one: xenclaim-mock serve -s %s -d\n", o->path, err,
                o->path);
        break;
    case XCS_XENCTRL:
        fprintf(stderr, "xenclaimtop: cannot poll libxenctrl: %s\n"
                "  run it in dom0 as root on a Xen host\n", err);
        break;
    }
}

int main(int argc, char **argv)
{
    struct top t;
    struct sigaction sa;
    char err[256] = "";
    int r;

    memset(&t, 0, sizeof(t));
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    r = top_opts_parse(&t.opt, argc, argv, stdout, stderr);
    if (r > 0)
        return TOP_EXIT_OK;
    if (r < 0)
        return TOP_EXIT_USAGE;
    t.sort = t.opt.sort;
    t.reverse = t.opt.reverse;
    t.interval = t.opt.interval;
    t.unit = t.opt.unit;
    t.color = t.opt.color;
    snprintf(t.filter, sizeof(t.filter), "%s", t.opt.filter);
    t.replay = (t.opt.src.kind == XCS_TRACE_FILE ||
                t.opt.src.kind == XCS_TRACE_FD) && !t.opt.src.follow;
    t.st = XCS_STARTING;
    t.detail_domid = TOP_NO_DOMAIN;
    t.sel_domid = TOP_NO_DOMAIN;
    top_model_init(&t.model);
    t.model.no_counters = t.opt.src.kind == XCS_XENCTRL;

    if (t.opt.src.kind == XCS_TRACE_FD && isatty(STDIN_FILENO)) {
        fprintf(stderr, "xenclaimtop: '-' reads a trace stream on standard "
                "input, which is a terminal: pipe one in\n");
        return TOP_EXIT_USAGE;
    }
    if (t.opt.out == TOP_OUT_CURSES && !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "xenclaimtop: standard output is not a terminal; "
                "-b writes frames of text instead\n");
        return TOP_EXIT_ERROR;
    }
    if (t.opt.out == TOP_OUT_CURSES &&
        top_events_init(&t.events, 4096, 512) < 0) {
        fprintf(stderr, "xenclaimtop: out of memory\n");
        return TOP_EXIT_ERROR;
    }

    t.src = xcs_open(&t.opt.src, err, sizeof(err));
    if (!t.src) {
        if (!err[0])
            snprintf(err, sizeof(err), "%s", strerror(errno));
        open_failed(&t, err);
        top_events_free(&t.events);
        return TOP_EXIT_NOSRC;
    }
    snprintf(t.source, sizeof(t.source), "%s", t.opt.src.path ?
             t.opt.src.path : "");
    if (t.opt.out == TOP_OUT_CURSES)
        xcs_set_event_cb(t.src, top_events_push, &t.events);

    /* No SA_RESTART: a signal ends the waits at once. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (t.opt.out == TOP_OUT_CURSES)
        r = run_screen(&t);
    else
        r = run_batch(&t);

    xcs_close(t.src);
    top_model_free(&t.model);
    top_events_free(&t.events);
    return r;
}
