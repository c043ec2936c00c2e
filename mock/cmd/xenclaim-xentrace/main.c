/* main.c: xenclaim-xentrace, xentrace for the mock's trace buffers. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tbuf/tbuf.h"
#include "xct_record.h"

#define PROG            "xenclaim-xentrace"
#define DEFAULT_PAGES   32u
#define DEFAULT_POLL_MS 100

struct opts {
    const char *area;
    const char *outfile;        /* NULL or "-": stdout */
    uint32_t evt_mask;
    uint64_t cpu_mask[XTB_CPU_MASK_WORDS];
    int cpu_mask_set;
    int discard;
    double run_time;            /* seconds, 0: until a signal */
    unsigned int pages;         /* 0: not given */
    unsigned int cpus;          /* 0: not given */
    int poll_ms;
    int verbose;
};

/* What went to the output, for the summary and for a clean stop. */
struct out {
    int fd;
    const char *name;
    off_t start;                /* offset of the first window, -1: a pipe */
    uint64_t good;              /* bytes of complete windows */
    uint64_t windows;
    uint64_t records;           /* records, padding and LOST not counted */
    uint64_t pad_records;
    uint64_t lost;              /* sum of the LOST_RECORDS counts */
    uint64_t malformed;         /* bytes that did not parse as records */
    int err;                    /* errno of a failed write, else 0 */
    unsigned int err_cpu;
    size_t err_bytes;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = sig;
}

static void msg(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: " PROG " [OPTION]... [OUTFILE]\n"
"Copy the mock hypervisor's per-CPU trace buffers into a xentrace file\n"
"(OUTFILE, or standard output when it is missing or '-').\n"
"\n"
"  -e, --evt-mask=MASK        trace only events passing MASK (hex, or\n"
"                             'all', the default; TRC_MEM is 0x0010f000)\n"
"  -c, --cpu-mask=CPUS        trace only these CPUs: a hex mask with 0x\n"
"                             (0x3) or a list (0-3,5); default all\n"
"  -D, --discard-buffers      discard what is in the buffers on start\n"
"  -T, --time-interval=SECS   stop after SECS seconds (may be fractional)\n"
"  -S, --trace-buf-size=PAGES pages per CPU buffer, when this program\n"
"                             creates the area (default %u)\n"
"      --cpus=N               CPUs, when this program creates the area\n"
"                             (default: the online CPUs)\n"
"  -s, --poll-sleep=MS        poll the buffers every MS ms (default %d)\n"
"      --area=PATH            the trace-buffer area (default $%s,\n"
"                             else %s)\n"
"  -v, --verbose              report the set-up and per-CPU statistics\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n"
"\n"
"Stops on SIGINT or SIGTERM after a last copy of the buffers, then prints\n"
"the records and bytes written and the records lost on standard error.\n"
"Exit status: 0 on success, 1 on an error (output, area), 2 on bad usage.\n",
            DEFAULT_PAGES, DEFAULT_POLL_MS, XTB_PATH_ENV, XTB_DEFAULT_PATH);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;

    errno = 0;
    if (!*s || *s == '-')
        return -1;
    *v = strtoul(s, &end, 0);
    return (errno || *end || *v > max) ? -1 : 0;
}

static int parse_evt_mask(const char *s, uint32_t *mask)
{
    unsigned long v;
    char *end;

    if (!strcmp(s, "all")) {
        *mask = XTB_EVT_MASK_ALL;
        return 0;
    }
    errno = 0;
    v = strtoul(s, &end, 16);
    if (!*s || *s == '-' || errno || *end || v > 0x0ffffffful)
        return -1;
    *mask = (uint32_t)v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "0x..." (hex mask) or "0-3,5" (list). */
static int parse_cpu_mask(const char *s, uint64_t *mask)
{
    memset(mask, 0, sizeof(uint64_t) * XTB_CPU_MASK_WORDS);
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        size_t len = strlen(s + 2), i;

        if (!len || len > XTB_MAX_CPUS / 4)
            return -1;
        for (i = 0; i < len; i++) {
            int h = hexval(s[2 + len - 1 - i]);

            if (h < 0)
                return -1;
            mask[i / 16] |= (uint64_t)h << (4 * (i % 16));
        }
        return 0;
    }
    while (*s) {
        unsigned long lo, hi;
        char *end;

        if (*s < '0' || *s > '9')
            return -1;
        lo = hi = strtoul(s, &end, 10);
        if (*end == '-') {
            s = end + 1;
            if (*s < '0' || *s > '9')
                return -1;
            hi = strtoul(s, &end, 10);
        }
        if (hi < lo || hi >= XTB_MAX_CPUS)
            return -1;
        for (; lo <= hi; lo++)
            mask[lo / 64] |= (uint64_t)1 << (lo % 64);
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    enum { OPT_AREA = 256, OPT_CPUS };
    static const struct option longopts[] = {
        { "evt-mask",        required_argument, NULL, 'e' },
        { "cpu-mask",        required_argument, NULL, 'c' },
        { "discard-buffers", no_argument,       NULL, 'D' },
        { "time-interval",   required_argument, NULL, 'T' },
        { "trace-buf-size",  required_argument, NULL, 'S' },
        { "poll-sleep",      required_argument, NULL, 's' },
        { "area",            required_argument, NULL, OPT_AREA },
        { "cpus",            required_argument, NULL, OPT_CPUS },
        { "verbose",         no_argument,       NULL, 'v' },
        { "help",            no_argument,       NULL, 'h' },
        { "version",         no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    unsigned long v;
    char *end;
    int c;

    memset(o, 0, sizeof(*o));
    o->evt_mask = XTB_EVT_MASK_ALL;
    o->poll_ms = DEFAULT_POLL_MS;
    o->area = getenv(XTB_PATH_ENV);
    if (!o->area || !*o->area)
        o->area = XTB_DEFAULT_PATH;

    while ((c = getopt_long(argc, argv, "e:c:DT:S:s:vhV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'e':
            if (parse_evt_mask(optarg, &o->evt_mask)) {
                msg("bad event mask '%s' (hex, e.g. 0x0010f000, or all)",
                    optarg);
                return 2;
            }
            break;
        case 'c':
            if (parse_cpu_mask(optarg, o->cpu_mask)) {
                msg("bad CPU mask '%s' (e.g. 0x3 or 0-3,5; CPUs 0-%u)",
                    optarg, XTB_MAX_CPUS - 1);
                return 2;
            }
            o->cpu_mask_set = 1;
            break;
        case 'D':
            o->discard = 1;
            break;
        case 'T':
            errno = 0;
            o->run_time = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(o->run_time >= 0) ||
                o->run_time > 1e9) {
                msg("bad run time '%s' (seconds)", optarg);
                return 2;
            }
            break;
        case 'S':
            if (parse_uint(optarg, 0xffff, &v) || !v) {
                msg("bad buffer size '%s' (pages, 1-65535)", optarg);
                return 2;
            }
            o->pages = (unsigned int)v;
            break;
        case 's':
            if (parse_uint(optarg, 3600000, &v) || !v) {
                msg("bad poll interval '%s' (ms, 1-3600000)", optarg);
                return 2;
            }
            o->poll_ms = (int)v;
            break;
        case OPT_AREA:
            o->area = optarg;
            break;
        case OPT_CPUS:
            if (parse_uint(optarg, XTB_MAX_CPUS, &v) || !v) {
                msg("bad CPU count '%s' (1-%u)", optarg, XTB_MAX_CPUS);
                return 2;
            }
            o->cpus = (unsigned int)v;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf(PROG " " XENCLAIM_VERSION "\n");
            return -1;
        default:
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return 2;
        }
    }
    if (optind < argc)
        o->outfile = argv[optind++];
    if (optind < argc) {
        msg("one output file only ('%s' is extra)", argv[optind]);
        return 2;
    }
    return 0;
}

/* Count the records of one chunk of ring bytes (whole records only). */
static void count_chunk(struct out *o, const uint8_t *p, size_t len)
{
    struct xct_record r;
    size_t n;

    while (len) {
        n = xct_record_decode(p, len, 0, &r);
        if (!n) {
            o->malformed += len;
            return;
        }
        if (r.event == XCT_TRC_WRAP_BUFFER)
            o->pad_records++;
        else if (r.event == XCT_TRC_LOST_RECORDS)
            o->lost += r.words[0];
        else
            o->records++;
        p += n;
        len -= n;
    }
}

static int out_window(void *arg, unsigned int cpu, const struct iovec *iov,
                      int iovcnt, size_t bytes)
{
    struct out *o = arg;
    int rc, i;

    rc = xtb_write_window(o->fd, iov, iovcnt);
    if (rc) {
        o->err = -rc;
        o->err_cpu = cpu;
        o->err_bytes = bytes;
        return rc;
    }
    o->good += iov[0].iov_len + bytes;
    o->windows++;
    for (i = 1; i < iovcnt; i++)
        count_chunk(o, iov[i].iov_base, iov[i].iov_len);
    return 0;
}

/* Copy every CPU's buffer once.  0 or a negative errno. */
static int drain(struct xtb_area *a, struct out *o)
{
    unsigned int cpu;
    ssize_t n;

    for (cpu = 0; cpu < xtb_ncpus(a); cpu++) {
        n = xtb_consume(a, cpu, out_window, o);
        if (n == -EIO && !o->err) {
            msg("the buffer of CPU %u is corrupt (cons/prod out of range)",
                cpu);
            return (int)n;
        }
        if (n < 0)
            return (int)n;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Largest buffer, in pages, whose frame lists fit in one t_info page. */
static unsigned int max_pages(unsigned int ncpus)
{
    unsigned int first = (2 * (1 + ncpus) + 3) / 4;

    return (XTB_PAGE_SIZE / 4 - first) / ncpus;
}

static struct xtb_area *open_area(const struct opts *o)
{
    unsigned int ncpus = o->cpus, pages = o->pages, maxp;
    struct xtb_area *a;
    long online;
    int created = 0;

    if (!ncpus) {
        online = sysconf(_SC_NPROCESSORS_ONLN);
        ncpus = online < 1 ? 1 : online > (long)XTB_MAX_CPUS ?
                XTB_MAX_CPUS : (unsigned int)online;
    }
    maxp = max_pages(ncpus);
    if (!pages)
        pages = DEFAULT_PAGES < maxp ? DEFAULT_PAGES : maxp;

    a = xtb_open(o->area, ncpus, pages, 0, &created);
    if (!a) {
        if (errno == E2BIG)
            msg("cannot create %s: %u pages per CPU for %u CPUs do not "
                "fit in t_info (at most %u pages)", o->area, pages, ncpus,
                maxp);
        else if (errno == EPROTO)
            msg("%s is not a xenclaim trace-buffer area of this version "
                "(remove it to start afresh)", o->area);
        else
            msg("cannot open the trace-buffer area %s: %s", o->area,
                strerror(errno));
        return NULL;
    }
    if (!created && o->pages && o->pages != xtb_pages(a))
        msg("the area %s already exists with %u pages per CPU: -S %u "
            "ignored", o->area, xtb_pages(a), o->pages);
    if (!created && o->cpus && o->cpus != xtb_ncpus(a))
        msg("the area %s already exists with %u CPUs: --cpus %u ignored",
            o->area, xtb_ncpus(a), o->cpus);
    if (o->verbose)
        msg("%s area %s: %u CPUs, %u pages (%u data bytes) per CPU",
            created ? "created" : "attached to", xtb_path(a), xtb_ncpus(a),
            xtb_pages(a), xtb_data_size(a));
    return a;
}

static int open_output(const struct opts *o, struct out *out)
{
    struct stat st;

    memset(out, 0, sizeof(*out));
    if (!o->outfile || !strcmp(o->outfile, "-")) {
        if (isatty(STDOUT_FILENO)) {
            msg("refusing to write a binary trace to a terminal: give "
                "OUTFILE or redirect standard output");
            return -1;
        }
        out->fd = STDOUT_FILENO;
        out->name = "standard output";
    } else {
        out->fd = open(o->outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                       0644);
        if (out->fd < 0) {
            msg("cannot open %s: %s", o->outfile, strerror(errno));
            return -1;
        }
        out->name = o->outfile;
    }
    out->start = -1;
    if (!fstat(out->fd, &st) && S_ISREG(st.st_mode))
        out->start = lseek(out->fd, 0, SEEK_CUR);
    return 0;
}

static void setup_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;      /* no SA_RESTART: wake the wait */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);       /* a closed pipe is a write error */
    signal(SIGXFSZ, SIG_IGN);       /* so is a file size limit */
}

/* After a failed write: say what was kept, cut a partial window off. */
static void report_write_error(struct out *o)
{
    msg("writing to %s failed: %s", o->name, strerror(o->err));
    msg("%zu bytes of CPU %u were not written and are still in its trace "
        "buffer", o->err_bytes, o->err_cpu);
    if (o->start >= 0) {
        if (ftruncate(o->fd, o->start + (off_t)o->good))
            msg("could not cut the partial window off %s: %s", o->name,
                strerror(errno));
        else
            msg("%s holds the %" PRIu64 " complete windows written before",
                o->name, o->windows);
    } else {
        msg("the output may end with a partial window");
    }
}

static void report(struct xtb_area *a, const struct opts *o,
                   const struct out *out)
{
    uint64_t pending = 0;
    struct xtb_cpu_stats st;
    unsigned int cpu;

    for (cpu = 0; cpu < xtb_ncpus(a); cpu++) {
        if (xtb_stats(a, cpu, &st))
            continue;
        pending += st.lost_pending;
        if (o->verbose)
            msg("cpu %u: %" PRIu64 " records written, %" PRIu64
                " dropped, %" PRIu64 " filtered, %" PRIu64 " wraps, %"
                PRIu64 " bytes (totals since the area was created)",
                cpu, st.written, st.dropped, st.filtered, st.wraps,
                st.bytes);
    }
    msg("%" PRIu64 " records, %" PRIu64 " bytes in %" PRIu64
        " windows written to %s; %" PRIu64 " records lost", out->records,
        out->good, out->windows, out->name, out->lost);
    if (pending)
        msg("%" PRIu64 " more records dropped by the producers are not "
            "reported yet (no record has fitted since)", pending);
    if (out->malformed)
        msg("%" PRIu64 " bytes of the buffers did not parse as records "
            "(copied as they were)", out->malformed);
}

int main(int argc, char **argv)
{
    struct xtb_area *a;
    struct opts o;
    struct out out;
    double deadline = 0, left;
    int rc, status = 0, wait_ms;
    unsigned int cpu;
    ssize_t n;

    rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    setup_signals();
    if (open_output(&o, &out))
        return 1;
    a = open_area(&o);
    if (!a)
        return 1;

    xtb_set_evt_mask(a, o.evt_mask);
    if (o.cpu_mask_set) {
        xtb_set_cpu_mask(a, o.cpu_mask, XTB_CPU_MASK_WORDS);
    } else {
        uint64_t all[XTB_CPU_MASK_WORDS];

        memset(all, 0xff, sizeof(all));
        xtb_set_cpu_mask(a, all, XTB_CPU_MASK_WORDS);
    }
    /*
     * Discard the backlog before enabling: enabling makes the hypervisor
     * write its state dump, which must reach the file.
     */
    if (o.discard) {
        for (cpu = 0; cpu < xtb_ncpus(a); cpu++) {
            n = xtb_discard(a, cpu);
            if (n > 0 && o.verbose)
                msg("cpu %u: discarded %zd bytes", cpu, n);
        }
    }
    xtb_enable(a);
    if (o.verbose)
        msg("tracing: event mask 0x%08x, writing to %s", o.evt_mask,
            out.name);
    if (o.run_time > 0)
        deadline = now() + o.run_time;

    for (;;) {
        uint32_t seq = xtb_notify_seq(a);

        rc = drain(a, &out);
        if (rc)
            break;
        if (stop)
            break;
        wait_ms = o.poll_ms;
        if (deadline) {
            left = deadline - now();
            if (left <= 0)
                break;
            if (left * 1000 < wait_ms)
                wait_ms = (int)(left * 1000) + 1;
        }
        xtb_wait(a, seq, wait_ms);
    }

    xtb_disable(a);
    if (!rc)
        rc = drain(a, &out);    /* the last copy */
    if (rc) {
        status = 1;
        if (out.err)
            report_write_error(&out);
    }
    if (out.fd != STDOUT_FILENO ? close(out.fd) : 0) {
        msg("closing %s failed: %s", out.name, strerror(errno));
        status = 1;
    }
    if (o.verbose && stop)
        msg("stopped by signal %d", (int)stop);
    report(a, &o, &out);
    xtb_close(a);
    return status;
}
