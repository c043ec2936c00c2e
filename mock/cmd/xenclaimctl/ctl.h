/* ctl.h: xenclaimctl's shared declarations (context, commands, helpers). */
/* SPDX-License-Identifier: MIT */
/*
 * xenclaimctl is split into one module per command group (dom.c, mem.c,
 * create.c, list.c, host.c), a shared units/format module (units.c), the
 * option scanner (opts.c), error reporting (report.c), a JSON writer
 * (json.c) and the guest builder (build.c, config.c).  Every command is a
 * function `int cmd_NAME(struct ctl *, int argc, char **argv)` that gets
 * its own name in argv[0] and returns the program's exit status.
 */
#ifndef CTL_H
#define CTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mock/proto/xcm_client.h"

#define CTL_PROG        "xenclaimctl"
#define CTL_PAGE_SIZE   4096u
#define CTL_PAGE_SHIFT  12
#define CTL_MAX_DOMID   0x7fefu

/* Exit statuses. */
#define CTL_EXIT_OK         0
#define CTL_EXIT_REFUSED    1   /* the hypervisor (or a check) refused */
#define CTL_EXIT_USAGE      2   /* bad command line or configuration */
#define CTL_EXIT_NODAEMON   3   /* the daemon cannot be reached */

/* The program's state, shared by every command. */
struct ctl {
    const char *socket;         /* -s PATH, NULL: the library's default */
    uint32_t act_as;            /* --as DOMID, 0: dom0 */
    struct xcm_client *xc;      /* NULL until ctl_connect() */
};

/* One command of the table in main.c. */
struct ctl_cmd {
    const char *name;
    int (*fn)(struct ctl *ctl, int argc, char **argv);
    const char *args;           /* synopsis after the name */
    const char *summary;        /* one line for --help */
    const char *help;           /* the command's --help body */
};

/* ---- main.c ---------------------------------------------------------- */

/*
 * The connection to the daemon, opened on first use.  Never returns NULL:
 * when the daemon cannot be reached, prints how to start it and exits with
 * CTL_EXIT_NODAEMON.
 */
struct xcm_client *ctl_connect(struct ctl *ctl, const char *cmd);
/* The command named name, or NULL. */
const struct ctl_cmd *ctl_find_cmd(const char *name);
/* Print cmd's --help text on f. */
void ctl_cmd_help(const struct ctl_cmd *cmd, FILE *f);

/* ---- report.c: messages and exit statuses ---------------------------- */

/* "ENOMEM (Cannot allocate memory)" for an errno (static buffer). */
const char *ctl_errstr(int err);
/* Does err (positive) mean the connection to the daemon broke? */
bool ctl_conn_error(int err);
/*
 * "xenclaimctl: WHAT: MSG: ENAME (text)" on stderr, where WHAT is the
 * command and the domain (e.g. "claim d3").  err is a positive or negative
 * errno, 0 for no errno part.  Returns the exit status to use:
 * CTL_EXIT_NODAEMON for a connection error, else CTL_EXIT_REFUSED.
 */
int ctl_fail(const char *what, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * "xenclaimctl: CMD: MSG; see 'xenclaimctl CMD --help'" on stderr (cmd
 * NULL: the program's --help).  Returns CTL_EXIT_USAGE.
 */
int ctl_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "CMD dN", the subject of a domain command's messages (static buffer). */
const char *ctl_what(const char *cmd, uint32_t domid);
/* "xenclaimctl: warning: MSG" on stderr. */
void ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- opts.c: per-command option scanning ---------------------------- */

struct ctl_opt {
    const char *lname;          /* long name without "--", or NULL */
    int sname;                  /* short letter, or 0 */
    bool has_arg;
    int id;                     /* > 0, returned by ctl_opts_next() */
};

enum {
    CTL_OPT_END = 0,            /* no options left */
    CTL_OPT_HELP = -1,          /* -h or --help */
    CTL_OPT_BAD = -2,           /* reported; exit with CTL_EXIT_USAGE */
};

#define CTL_MAX_POS 64

/*
 * Scanner state over a command's argv (argv[0] is the command).  Options
 * may come before, between or after the positional arguments; "--" ends
 * the options; "-" and words like "-5" (a minus then a digit) are
 * positional, so that a negative number reaches the number parser and
 * gets its own message.
 */
struct ctl_opts {
    int argc;
    char **argv;
    int i;
    const char *cmd;
    const struct ctl_opt *table;    /* ended by an entry with id 0 */
    bool only_pos;                  /* after "--" */
    int npos;
    char *pos[CTL_MAX_POS];
};

void ctl_opts_init(struct ctl_opts *o, int argc, char **argv,
                   const struct ctl_opt *table);
/*
 * Next option's id (its argument in *arg, else NULL), CTL_OPT_HELP,
 * CTL_OPT_BAD (message printed) or CTL_OPT_END (o->pos then holds the
 * positional arguments).
 */
int ctl_opts_next(struct ctl_opts *o, const char **arg);
/*
 * Scan the whole command line of a command that has no options but
 * --help.  Returns -1 when the caller should go on (positionals in o),
 * else the exit status (help printed: 0; bad option or a positional count
 * outside [min, max]: CTL_EXIT_USAGE).
 */
int ctl_opts_simple(struct ctl_opts *o, int argc, char **argv, int min,
                    int max, const char *const *names);
/*
 * Check the positional count after a scan: 0 when min <= n <= max, else
 * report the missing (names[n]) or the extra argument and return
 * CTL_EXIT_USAGE.
 */
int ctl_opts_count(const struct ctl_opts *o, int min, int max,
                   const char *const *names);
/* For a CTL_OPT_HELP: print the command's help and return 0. */
int ctl_opts_help(const struct ctl_opts *o);

/* ---- units.c: numbers, sizes and their display ----------------------- */

/*
 * Parse an unsigned decimal (or 0x hex when allow_hex) integer.  0 or
 * -EINVAL (not a number, empty, trailing junk), -ERANGE (too large),
 * -EDOM (negative).
 */
int ctl_parse_u64(const char *s, bool allow_hex, uint64_t *out);
/*
 * Parse a size with an optional unit (B, K, M, G, T; KiB/KB/k... accepted)
 * into bytes; a bare number counts in units of bare_unit bytes.
 * 0, -EINVAL, -ERANGE, -EDOM as ctl_parse_u64().
 */
int ctl_parse_size(const char *s, uint64_t bare_unit, uint64_t *bytes);
/*
 * A PAGES argument: a bare number is pages, a size with a unit is bytes
 * and must be a whole number of pages (else -ENOTSUP).
 */
int ctl_parse_pages(const char *s, uint64_t *pages);
/* A memory argument: bare numbers are MiB (as xl), else ctl_parse_pages(). */
int ctl_parse_memory(const char *s, uint64_t *pages);
/*
 * Report a parse failure of ctl_parse_*() (rc) for argument `what` of
 * command cmd.  Returns CTL_EXIT_USAGE.
 */
int ctl_bad_number(const char *cmd, const char *what, const char *s, int rc);

/* Pages to whole MiB (truncated, as xl shows memory). */
uint64_t ctl_pages_to_mib(uint64_t pages);
/* Pages to bytes, saturating. */
uint64_t ctl_pages_to_bytes(uint64_t pages);
/* A human size of pages, e.g. "512 MiB" or "1.5 GiB", into buf. */
const char *ctl_fmt_pages(uint64_t pages, char *buf, size_t len);
/* "r-----" state letters of a domain's flags into buf (7 bytes). */
const char *ctl_fmt_state(uint32_t flags, char *buf);
/* Seconds since a CLOCK_MONOTONIC stamp in ns (0 if in the future). */
double ctl_uptime(uint64_t created_ns);

/* ---- json.c: a small JSON writer ------------------------------------- */

#define CTL_JSON_DEPTH 8

struct ctl_json {
    FILE *f;
    int depth;
    bool first[CTL_JSON_DEPTH];
};

/* Start the top-level object. */
void ctl_json_begin(struct ctl_json *j, FILE *f);
/* End the top-level object (and a newline). */
void ctl_json_end(struct ctl_json *j);
/* Open an object / array as member key (NULL inside an array). */
void ctl_json_obj(struct ctl_json *j, const char *key);
void ctl_json_arr(struct ctl_json *j, const char *key);
/* Close the innermost object or array. */
void ctl_json_close(struct ctl_json *j, char bracket);
/*
 * Members (key NULL inside an array): an integer, a number, a string, a
 * boolean.  Strings are escaped; invalid UTF-8 bytes become \u00XX.
 */
void ctl_json_u64(struct ctl_json *j, const char *key, uint64_t v);
void ctl_json_num(struct ctl_json *j, const char *key, double v);
void ctl_json_str(struct ctl_json *j, const char *key, const char *s);
void ctl_json_bool(struct ctl_json *j, const char *key, bool v);

/* ---- dom.c: domains by id or name, and the simple domain commands ---- */

/*
 * Resolve a DOMID|NAME argument.  Digits are a domain id, anything else a
 * name.  A privileged caller's ids are checked to exist.  Returns 0 with
 * *domid set, or the exit status after reporting (unknown domain: 1; bad
 * argument: 2; daemon gone: 3).
 */
int ctl_resolve(struct ctl *ctl, const char *cmd, const char *arg,
                uint32_t *domid);
/*
 * Info on one domain: 0, -ESRCH when it does not exist (or is not
 * visible), or the connection's negative errno.
 */
int ctl_dominfo(struct xcm_client *xc, uint32_t domid,
                struct hyp_dominfo *info);
/*
 * Every visible domain, in id order, into a malloc()ed array the caller
 * frees.  Returns the count, or a negative errno.
 */
int ctl_all_domains(struct xcm_client *xc, struct hyp_dominfo **out);

int cmd_destroy(struct ctl *ctl, int argc, char **argv);
int cmd_pause(struct ctl *ctl, int argc, char **argv);
int cmd_unpause(struct ctl *ctl, int argc, char **argv);
int cmd_rename(struct ctl *ctl, int argc, char **argv);
int cmd_domid(struct ctl *ctl, int argc, char **argv);
int cmd_domname(struct ctl *ctl, int argc, char **argv);

/* ---- mem.c: claims and a domain's memory ----------------------------- */

int cmd_claim(struct ctl *ctl, int argc, char **argv);
int cmd_populate(struct ctl *ctl, int argc, char **argv);
int cmd_mem_set(struct ctl *ctl, int argc, char **argv);
int cmd_mem_max(struct ctl *ctl, int argc, char **argv);

/* ---- config.c: xl-style guest configuration -------------------------- */

struct ctl_guest {
    char name[HYP_NAME_MAX];
    uint64_t memory_pages;      /* memory= */
    uint64_t maxmem_pages;      /* maxmem=, 0: memory's */
    bool have_name, have_memory;
};

/*
 * Read an xl-style config file (key = value lines, # comments, quoted
 * strings) into g.  Unknown keys are warned about unless quiet.  Returns
 * 0 or CTL_EXIT_USAGE after reporting (unreadable file, syntax error, bad
 * value).
 */
int ctl_config_file(struct ctl_guest *g, const char *path, bool quiet);
/* Apply one KEY=VALUE of the command line.  0 or CTL_EXIT_USAGE. */
int ctl_config_pair(struct ctl_guest *g, const char *pair, bool quiet);

/* ---- build.c: the domain builder's population ----------------------- */

struct ctl_build_stats {
    uint64_t done;              /* pages populated */
    uint64_t superpages;        /* order-9 extents populated */
    uint64_t small_pages;       /* order-0 pages populated */
    uint64_t superpage_misses;  /* order-9 requests that stopped short */
    uint64_t requests;          /* populate calls */
};

/* Called between batches with the pages done so far. */
typedef void ctl_build_progress_fn(void *opaque, uint64_t done,
                                   uint64_t total);

/*
 * Populate gfns [0, pages) of domid in 2 MiB extents, falling back to
 * order-0 pages for the rest of a batch where a superpage fails, in
 * batches.  Stops early when *stop becomes non-zero (returns -EINTR).
 * Returns 0 when every page is there; -ENOMEM when the hypervisor stopped
 * short (st->done says how far it got); another negative errno of the
 * call (EPERM, or a connection error).
 */
int ctl_build_populate(struct xcm_client *xc, uint32_t domid, uint64_t pages,
                       ctl_build_progress_fn *progress, void *opaque,
                       volatile int *stop, struct ctl_build_stats *st);

/* ---- create.c -------------------------------------------------------- */

int cmd_create(struct ctl *ctl, int argc, char **argv);

/* ---- list.c ---------------------------------------------------------- */

int cmd_list(struct ctl *ctl, int argc, char **argv);
int cmd_claims(struct ctl *ctl, int argc, char **argv);

/* ---- host.c ---------------------------------------------------------- */

int cmd_info(struct ctl *ctl, int argc, char **argv);
int cmd_physinfo(struct ctl *ctl, int argc, char **argv);
int cmd_tmem(struct ctl *ctl, int argc, char **argv);
int cmd_offline(struct ctl *ctl, int argc, char **argv);
int cmd_online(struct ctl *ctl, int argc, char **argv);

#endif /* CTL_H */
