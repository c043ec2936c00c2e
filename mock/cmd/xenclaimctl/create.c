/* create.c: xenclaimctl create, an xl-like domain builder. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define CLAIM_MODE_ENV      "XENCLAIM_CLAIM_MODE"
/* Guests from this size on get a progress line (on a terminal). */
#define PROGRESS_MIN_PAGES  (256ull << (20 - CTL_PAGE_SHIFT))
#define PROGRESS_EVERY_NS   100000000ull

struct create_opts {
    const char *config;
    bool claim_mode, paused, quiet, verbose;
};

struct progress {
    const char *label;
    bool on;
    int shown;                  /* columns of the line on screen, 0: none */
    uint64_t last_ns;
};

static volatile int stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "on"/"off" and their usual spellings: 1, 0, or -1 when neither. */
static int parse_bool(const char *s)
{
    static const char *const on[] = { "on", "1", "yes", "true" };
    static const char *const off[] = { "off", "0", "no", "false" };
    unsigned int i;

    for (i = 0; i < 4; i++) {
        if (!strcasecmp(s, on[i]))
            return 1;
        if (!strcasecmp(s, off[i]))
            return 0;
    }
    return -1;
}

static void show_progress(void *opaque, uint64_t done, uint64_t total)
{
    struct progress *p = opaque;
    uint64_t now;
    int n;

    if (!p->on)
        return;
    now = now_ns();
    if (done < total && now - p->last_ns < PROGRESS_EVERY_NS)
        return;
    p->last_ns = now;
    n = fprintf(stderr, "\r" CTL_PROG ": %s: %" PRIu64 "/%" PRIu64
                " pages (%" PRIu64 "/%" PRIu64 " MiB) %3u%%", p->label, done,
                total, ctl_pages_to_mib(done), ctl_pages_to_mib(total),
                (unsigned int)(total ? done * 100 / total : 100));
    if (n > p->shown)
        p->shown = n;
    fflush(stderr);
}

static void end_progress(struct progress *p)
{
    if (p->shown)
        fprintf(stderr, "\r%*s\r", p->shown, "");
    p->shown = 0;
}

static void step(const struct create_opts *co, const char *what,
                 uint64_t t0, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void step(const struct create_opts *co, const char *what,
                 uint64_t t0, const char *fmt, ...)
{
    va_list ap;

    if (!co->verbose)
        return;
    fprintf(stderr, CTL_PROG ": %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (%.3f ms)\n", (double)(now_ns() - t0) / 1e6);
}

/* Destroy a half-built domain; a failure is reported on a line of its own. */
static const char *undo(struct xcm_client *xc, const char *what,
                        uint32_t domid)
{
    int rc = xcm_domain_destroy(xc, domid);

    if (rc < 0) {
        fprintf(stderr, CTL_PROG ": %s: destroying it again failed: %s\n",
                what, ctl_errstr(rc));
        return "domain NOT destroyed";
    }
    return "domain destroyed";
}

static int parse_args(int argc, char **argv, struct create_opts *co,
                      struct ctl_opts *o)
{
    enum { OPT_CONFIG = 1, OPT_CLAIM_MODE, OPT_PAUSED, OPT_QUIET,
           OPT_VERBOSE };
    static const struct ctl_opt opts[] = {
        { "config", 'f', true, OPT_CONFIG },
        { "claim-mode", 0, true, OPT_CLAIM_MODE },
        { "paused", 'p', false, OPT_PAUSED },
        { "quiet", 'q', false, OPT_QUIET },
        { "verbose", 'v', false, OPT_VERBOSE },
        { NULL, 0, false, 0 },
    };
    const char *arg, *env = getenv(CLAIM_MODE_ENV);
    int id, b;

    memset(co, 0, sizeof(*co));
    co->claim_mode = true;
    if (env && *env) {
        b = parse_bool(env);
        if (b < 0)
            return ctl_usage_error(argv[0], "bad $%s '%s': on or off",
                                   CLAIM_MODE_ENV, env);
        co->claim_mode = b;
    }
    ctl_opts_init(o, argc, argv, opts);
    while ((id = ctl_opts_next(o, &arg)) != CTL_OPT_END) {
        switch (id) {
        case CTL_OPT_HELP:
            ctl_opts_help(o);
            return -1;
        case CTL_OPT_BAD:
            return CTL_EXIT_USAGE;
        case OPT_CONFIG:
            co->config = arg;
            break;
        case OPT_CLAIM_MODE:
            b = parse_bool(arg);
            if (b < 0)
                return ctl_usage_error(argv[0], "bad --claim-mode '%s': on "
                                       "or off", arg);
            co->claim_mode = b;
            break;
        case OPT_PAUSED:
            co->paused = true;
            break;
        case OPT_QUIET:
            co->quiet = true;
            break;
        case OPT_VERBOSE:
            co->verbose = true;
            break;
        }
    }
    return 0;
}

static int read_guest(const struct create_opts *co, const struct ctl_opts *o,
                      struct ctl_guest *g)
{
    int i, rc;

    memset(g, 0, sizeof(*g));
    if (co->config) {
        rc = ctl_config_file(g, co->config, co->quiet);
        if (rc)
            return rc;
    }
    for (i = 0; i < o->npos; i++) {
        rc = ctl_config_pair(g, o->pos[i], co->quiet);
        if (rc)
            return rc;
    }
    if (!g->have_name)
        return ctl_usage_error("create", "no name= given");
    if (!g->have_memory)
        return ctl_usage_error("create", "no memory= given");
    if (!g->memory_pages)
        return ctl_usage_error("create", "memory must be above 0");
    if (!g->maxmem_pages)
        g->maxmem_pages = g->memory_pages;
    if (g->maxmem_pages < g->memory_pages)
        return ctl_usage_error("create", "maxmem (%" PRIu64 " MiB) is below "
                               "memory (%" PRIu64 " MiB)",
                               ctl_pages_to_mib(g->maxmem_pages),
                               ctl_pages_to_mib(g->memory_pages));
    if (g->maxmem_pages > UINT32_MAX)
        return ctl_usage_error("create", "maxmem is too large");
    return 0;
}

/* The builder proper, once the domain exists.  Returns the exit status. */
static int build(struct ctl *ctl, const struct create_opts *co,
                 const struct ctl_guest *g, uint32_t domid, const char *what)
{
    struct xcm_client *xc = ctl->xc;
    struct ctl_build_stats st;
    struct progress pr = { what, false, 0, 0 };
    char sz[32];
    uint64_t t0;
    int rc;

    t0 = now_ns();
    rc = xcm_domain_pause(xc, domid, true);
    if (rc < 0)
        return ctl_fail(what, rc, "pause (%s)", undo(xc, what, domid));
    rc = xcm_domain_setmaxmem(xc, domid, g->maxmem_pages * 4);
    if (rc < 0)
        return ctl_fail(what, rc, "set max memory to %s (%s)",
                        ctl_fmt_pages(g->maxmem_pages, sz, sizeof(sz)),
                        undo(xc, what, domid));
    step(co, what, t0, "max memory %s", ctl_fmt_pages(g->maxmem_pages, sz,
                                                      sizeof(sz)));

    if (co->claim_mode) {
        t0 = now_ns();
        rc = xcm_claim_pages(xc, domid, g->memory_pages, 0);
        if (rc < 0)
            return ctl_fail(what, rc, "claim %" PRIu64 " pages (%s)",
                            g->memory_pages, undo(xc, what, domid));
        step(co, what, t0, "claimed %" PRIu64 " pages", g->memory_pages);
    }

    pr.on = !co->quiet && isatty(STDERR_FILENO) &&
            g->memory_pages >= PROGRESS_MIN_PAGES;
    t0 = now_ns();
    rc = ctl_build_populate(xc, domid, g->memory_pages, show_progress, &pr,
                            &stop_signal, &st);
    end_progress(&pr);
    if (rc == -EINTR) {
        ctl_fail(what, EINTR, "interrupted after %" PRIu64 " of %" PRIu64
                 " pages (%s)", st.done, g->memory_pages,
                 undo(xc, what, domid));
        return 128 + stop_signal;
    }
    if (rc < 0)
        return ctl_fail(what, rc, "populate stopped at %" PRIu64 " of %"
                        PRIu64 " pages (%" PRIu64 " of %" PRIu64 " MiB; %s)",
                        st.done, g->memory_pages, ctl_pages_to_mib(st.done),
                        ctl_pages_to_mib(g->memory_pages),
                        undo(xc, what, domid));
    step(co, what, t0, "populated %" PRIu64 " pages: %" PRIu64 " 2 MiB "
         "extents, %" PRIu64 " 4 KiB pages, %" PRIu64 " superpage misses, %"
         PRIu64 " calls", st.done, st.superpages, st.small_pages,
         st.superpage_misses, st.requests);

    if (co->claim_mode) {
        t0 = now_ns();
        rc = xcm_claim_pages(xc, domid, 0, 0);
        if (rc < 0)
            return ctl_fail(what, rc, "cancel the claim (claim 0; %s)",
                            undo(xc, what, domid));
        step(co, what, t0, "claim cancelled");
    }
    if (!co->paused) {
        rc = xcm_domain_pause(xc, domid, false);
        if (rc < 0)
            return ctl_fail(what, rc, "unpause (%s)", undo(xc, what, domid));
    }
    return CTL_EXIT_OK;
}

int cmd_create(struct ctl *ctl, int argc, char **argv)
{
    struct create_opts co;
    struct ctl_opts o;
    struct ctl_guest g;
    struct sigaction sa;
    char what[HYP_NAME_MAX + 64];
    uint32_t domid = 0;
    uint64_t t0;
    int rc;

    rc = parse_args(argc, argv, &co, &o);
    if (rc)
        return rc < 0 ? CTL_EXIT_OK : rc;
    rc = read_guest(&co, &o, &g);
    if (rc)
        return rc;

    ctl_connect(ctl, argv[0]);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;       /* the client's calls must not fail */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    snprintf(what, sizeof(what), "%s '%s'", argv[0], g.name);
    t0 = now_ns();
    rc = xcm_domain_create(ctl->xc, &domid, g.name);
    if (rc < 0)
        return ctl_fail(what, rc, "create the domain");
    snprintf(what, sizeof(what), "%s d%u '%s'", argv[0], domid, g.name);
    step(&co, what, t0, "domain created (claim mode %s)",
         co.claim_mode ? "on" : "off");
    rc = build(ctl, &co, &g, domid, what);
    if (rc)
        return rc;
    printf("%u\n", domid);
    return CTL_EXIT_OK;
}
