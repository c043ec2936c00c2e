/* scenario.h: scenarios for the mock hypervisor (xsc_). */
/* SPDX-License-Identifier: MIT */
/*
 * A scenario (docs/scenarios.md) describes a host and several toolstacks
 * ("actors") that act on it in parallel, each a sequence of operations in
 * virtual time.  The runner executes it in-process over mock/hyp as a
 * single-threaded discrete-event simulation ordered by (virtual time,
 * actor index), with tracing on from the start, and writes a xentrace
 * file that is byte-identical for the same scenario and seed.
 *
 * Usage:
 *
 *     struct xsc_error err;
 *     struct xsc_scenario *sc = xsc_parse_file(path, &err);
 *     struct xsc_run_opts o = { .trace_path = "out.trace" };
 *     struct xsc_result *res;
 *
 *     if (!sc)
 *         fprintf(stderr, "%s:%u: %s\n", path, err.line, err.msg);
 *     else if (xsc_run(sc, &o, &res) == 0)
 *         xsc_result_print(res, sc, stdout);
 *     xsc_result_free(res);
 *     xsc_free(sc);
 *
 * The mock host can be started once per process (hyp_init()), so
 * xsc_run() succeeds at most once per process.
 */
#ifndef XSC_SCENARIO_H
#define XSC_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "../hyp/hyp.h"

#define XSC_NAME_MAX    HYP_NAME_MAX
#define XSC_MAX_ACTORS  256u
#define XSC_MAX_DEPTH   4u          /* nesting of repeat blocks */
#define XSC_MAX_OPS     (1u << 18)  /* operations after expanding loops */
#define XSC_MAX_REPEAT  100000u
#define XSC_PAGE_SHIFT  12

/* A value fixed in the file, or lo..hi picked at run time (lo + k * step). */
struct xsc_range {
    uint64_t lo;
    uint64_t hi;        /* == lo for a fixed value */
    uint64_t step;      /* granularity of a pick, >= 1 */
};

enum xsc_op_kind {
    XSC_OP_CREATE,      /* build a guest as xl's domain builder does */
    XSC_OP_DESTROY,
    XSC_OP_CLAIM,       /* stake an absolute target */
    XSC_OP_CANCEL,      /* claim 0 */
    XSC_OP_MEMSET,      /* balloon to a target */
    XSC_OP_MEMMAX,      /* set max_pages */
    XSC_OP_TMEM_PUT,
    XSC_OP_TMEM_FLUSH,
    XSC_OP_OFFLINE,     /* offline free frames */
    XSC_OP_WAIT,
    XSC_OP_NR
};

/* When an operation starts, relative to the actor's previous one. */
enum xsc_when {
    XSC_WHEN_NEXT,      /* as soon as the previous operation has ended */
    XSC_WHEN_AT,        /* at virtual time t, or later if still busy */
    XSC_WHEN_AFTER,     /* t after the previous operation ended */
    XSC_WHEN_EVERY,     /* t after anchor[slot] was set, or later if busy */
};

#define XSC_CLAIM_DEFAULT   (-1)    /* create: the host's claim mode */
#define XSC_FLAG_FREE_ONLY  0x1u    /* claim: free memory only, no tmem */

struct xsc_op {
    enum xsc_op_kind kind;
    unsigned int line;          /* line of the file it came from */
    enum xsc_when when;
    struct xsc_range t;         /* AT: time; AFTER, EVERY: delay (ns) */
    int anchor;                 /* EVERY: the anchor slot read */
    int mark;                   /* anchor slot this op's start sets, or -1 */
    char name[XSC_NAME_MAX];    /* guest name, '%i' already substituted */
    struct xsc_range size;      /* pages: memory, target, count; WAIT: ns */
    struct xsc_range maxmem;    /* CREATE: pages, lo 0: same as memory */
    int claim;                  /* CREATE: 0, 1 or XSC_CLAIM_DEFAULT */
    unsigned int flags;         /* CLAIM: XSC_FLAG_* */
};

struct xsc_actor {
    char name[XSC_NAME_MAX];
    unsigned int line;
    int cpu;                    /* simulated CPU, -1: its index */
    struct xsc_op *ops;
    size_t nr_ops;
    size_t cap;
};

struct xsc_host {
    uint64_t memory;            /* pages */
    unsigned int nodes;
    uint64_t tmem;              /* tmem pool capacity, pages */
    unsigned int cpus;          /* 0: one per actor */
    uint64_t dom0;              /* pages */
    uint64_t dom0_max;          /* pages, 0: dom0 */
    unsigned int xen_pages;     /* Xen's own pages per domain created */
    uint64_t seed;
    int claim;                  /* xl's claim_mode: 1 on, 0 off */
    unsigned int batch;         /* superpage extents per populate call */
    enum hyp_profile profile;
};

/* The cost model, virtual nanoseconds (docs/scenarios.md). */
struct xsc_cost {
    uint64_t hypercall;         /* every hypercall */
    uint64_t create;            /* domain_create, on top of a hypercall */
    uint64_t destroy;           /* domain_destroy, on top of a hypercall */
    uint64_t page;              /* per page given to a domain */
    uint64_t extent;            /* per extent populated (any order) */
    uint64_t free;              /* per page taken back from a domain */
    uint64_t tmem;              /* per page put into / flushed from tmem */
    uint64_t offline;           /* per page offlined */
};

struct xsc_scenario {
    char name[256];             /* file name without directories */
    struct xsc_host host;
    struct xsc_cost cost;
    struct xsc_actor *actors;
    unsigned int nr_actors;
    size_t nr_ops;              /* over every actor */
};

/* A parse error: line 0 when it is not about a line (I/O). */
struct xsc_error {
    unsigned int line;
    char msg[200];
};

/*
 * Parse a scenario from text (len bytes, need not be NUL-terminated);
 * name is used in messages and the summary.  Returns a scenario the
 * caller frees with xsc_free(), or NULL with errno EINVAL (syntax; *err
 * says where and what) or ENOMEM.
 */
struct xsc_scenario *xsc_parse_text(const char *text, size_t len,
                                    const char *name, struct xsc_error *err);
/* The same from a file.  NULL with errno from open/read, EINVAL, ENOMEM. */
struct xsc_scenario *xsc_parse_file(const char *path, struct xsc_error *err);
/* Accepts NULL. */
void xsc_free(struct xsc_scenario *sc);

/*
 * Values: a size is a number with a unit K, M, G, T (binary, bytes) or p
 * (pages), or a bare number of pages, and must be whole pages; a time is
 * a number with a unit ns, us, ms, s or min.  Decimals are allowed.
 * Each returns 0 or -EINVAL (then msg, msglen > 0, says why); *step is
 * the unit of the text (pages or ns, at least 1).
 */
int xsc_parse_size(const char *s, uint64_t *pages, uint64_t *step,
                   char *msg, size_t msglen);
int xsc_parse_time(const char *s, uint64_t *ns, uint64_t *step,
                   char *msg, size_t msglen);
/* Write pages as "2G", "512M" or "1234p"; ns as "1.500000s".  Return buf. */
char *xsc_fmt_size(char *buf, size_t len, uint64_t pages);
char *xsc_fmt_time(char *buf, size_t len, uint64_t ns);

/* Names of operation kinds, as written in a scenario. */
const char *xsc_op_name(enum xsc_op_kind k);

/* ---- running ------------------------------------------------------ */

struct xsc_run_opts {
    const char *trace_path;     /* xentrace output, required */
    int seed_set;               /* use seed instead of the host line's */
    uint64_t seed;
    int progress;               /* progress lines on stderr */
};

enum xsc_outcome {
    XSC_PENDING,                /* never started (the run ended first) */
    XSC_BUILDING,               /* still being built at the end */
    XSC_BUILT,
    XSC_CREATE_FAILED,          /* domain_create refused (err) */
    XSC_CLAIM_REFUSED,          /* claim refused (err), destroyed at once */
    XSC_HALF_BUILT,             /* populate failed after taking pages */
    XSC_POPULATE_FAILED,        /* populate failed before taking any */
    XSC_DIED,                   /* destroyed by another actor mid-build */
    XSC_SETUP_FAILED,           /* set-maxmem failed (err) */
};

struct xsc_guest {
    char name[XSC_NAME_MAX];
    unsigned int actor;         /* the actor that built it */
    uint32_t domid;             /* 0 while not created */
    uint64_t pages;             /* memory= */
    uint64_t max_pages;
    int claim;                  /* built with a claim */
    enum xsc_outcome outcome;
    int err;                    /* errno of the failure, positive */
    uint64_t populated;         /* pages populated by the builder */
    uint64_t t_start, t_end;    /* build start, end (ns) */
    int destroyed;
    unsigned int destroyed_by;  /* actor index */
    uint64_t t_destroyed;
    uint64_t tot_at_destroy;    /* tot_pages when destroy was called */
};

/* An operation that did not do all it was asked. */
struct xsc_failure {
    unsigned int actor;
    unsigned int line;
    uint64_t t;
    enum xsc_op_kind kind;
    char name[XSC_NAME_MAX];
    int err;                    /* positive errno */
    uint64_t done, asked;       /* pages, for partial tmem/offline/mem-set */
};

struct xsc_actor_stats {
    uint64_t ops;
    uint64_t failed;
    uint64_t hypercalls;
    uint64_t busy_ns;           /* virtual time spent in operations */
};

struct xsc_result {
    uint64_t seed;
    uint64_t end_ns;            /* virtual time the last operation ended */
    uint64_t steps;
    uint64_t records, bytes, windows;
    struct xsc_guest *guests;
    size_t nr_guests;
    struct xsc_failure *failures;
    size_t nr_failures;
    struct xsc_actor_stats *actors;
    unsigned int nr_actors;
    int trace_error;            /* errno of the trace file, 0: none */
    struct hyp_physinfo phys;   /* at the end */
    unsigned int live_domains;  /* at the end, dom0 included */
    uint64_t guest_pages;       /* tot_pages of every live guest at the end */
};

/*
 * Run sc (not modified) in this process: start the mock host, trace from
 * the start into o->trace_path, run every actor to its end.  On 0, *res
 * is a result the caller frees with xsc_result_free().  Errors: -EALREADY
 * (the host was already started in this process), -EINVAL or another
 * error of hyp_init() (a host the mock refuses), -errno of the trace
 * file (then *res is still set, with trace_error: what happened up to
 * the failure), -ENOMEM.
 */
int xsc_run(const struct xsc_scenario *sc, const struct xsc_run_opts *o,
            struct xsc_result **res);
void xsc_result_free(struct xsc_result *res);
/* Print the summary (--summary) to f. */
void xsc_result_print(const struct xsc_result *res,
                      const struct xsc_scenario *sc, FILE *f);
/* A line's words for an outcome: "built", "refused at claim", ... */
const char *xsc_outcome_name(enum xsc_outcome o);

/* ---- generating --------------------------------------------------- */

struct xsc_gen_opts {
    uint64_t seed;
    unsigned int guests;        /* 1..1000 */
    unsigned int toolstacks;    /* 1..64 */
    uint64_t memory;            /* pages, >= 1 GiB */
    uint64_t duration;          /* ns, >= 1 s */
};

/* Defaults of gen's options. */
void xsc_gen_defaults(struct xsc_gen_opts *o);
/*
 * A random valid scenario, the same for the same options.  Returns a
 * NUL-terminated string the caller frees, or NULL with errno EINVAL
 * (options out of range) or ENOMEM.
 */
char *xsc_generate(const struct xsc_gen_opts *o);

/* ---- checking a trace --------------------------------------------- */

/*
 * What a trace says about guests, found from its records alone: every
 * domain that died is classed by the records seen for it before its
 * "dying" record.
 */
struct xsc_check {
    uint64_t records;
    uint64_t windows;
    uint64_t created;           /* domain records "created" */
    uint64_t died;              /* domain records "dying" */
    uint64_t refused_at_claim;  /* died owning nothing after a failed claim */
    uint64_t half_built;        /* died owning pages, last allocation failed */
    uint64_t failed_empty;      /* died owning nothing, allocation failed */
    uint64_t destroyed_other;   /* any other death */
    uint64_t claims, claims_refused;
    uint64_t denied, failed;    /* alloc_denied, alloc_failed records */
    uint64_t max_outstanding;   /* peak of the domains' claims summed */
};

/*
 * Read the xentrace file at path with the record codec and fill *out.
 * 0, -errno of open/read, -EBADMSG for broken framing (a window that does
 * not hold whole records, a TSC going backwards on a CPU, a payload of
 * the wrong size for its event); then msg says where.
 */
int xsc_check_trace(const char *path, struct xsc_check *out, char *msg,
                    size_t msglen);

/* ---- commands ----------------------------------------------------- */

/*
 * The subcommands, with their own option parsing and --help; argv[0] is
 * the subcommand's name.  They return the process exit status: 0 done,
 * 1 failure (I/O, the run failed), 2 usage or a scenario with errors.
 */
int xsc_cmd_run(int argc, char **argv);
int xsc_cmd_gen(int argc, char **argv);
int xsc_cmd_check(int argc, char **argv);

#endif /* XSC_SCENARIO_H */
