/* main.c: xenclaim-mock, the mock hypervisor daemon: command line. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario/scenario.h"
#include "xcmd.h"

#define PAGE_SHIFT 12

enum {
    OPT_TMEM = 256,
    OPT_DOM0_MEM,
    OPT_SOCKET_MODE,
    OPT_PROFILE,
    OPT_XEN_PAGES,
    OPT_XEN_FREE_DELAY,
    OPT_PIDFILE,
};

static const struct option long_opts[] = {
    { "memory", required_argument, NULL, 'm' },
    { "nodes", required_argument, NULL, 'n' },
    { "tmem", required_argument, NULL, OPT_TMEM },
    { "cpus", required_argument, NULL, 'c' },
    { "dom0-mem", required_argument, NULL, OPT_DOM0_MEM },
    { "socket", required_argument, NULL, 's' },
    { "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
    { "trace-area", required_argument, NULL, 't' },
    { "trace-pages", required_argument, NULL, 'S' },
    { "profile", required_argument, NULL, OPT_PROFILE },
    { "xen-pages-per-domain", required_argument, NULL, OPT_XEN_PAGES },
    { "xen-free-delay", required_argument, NULL, OPT_XEN_FREE_DELAY },
    { "foreground", no_argument, NULL, 'f' },
    { "daemon", no_argument, NULL, 'd' },
    { "pidfile", required_argument, NULL, OPT_PIDFILE },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

void xcmd_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One write per line, so concurrent lines do not interleave. */
    fprintf(stderr, "%s[%ld]: %s\n", XCMD_NAME, (long)getpid(), line);
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: %s serve [OPTION]...\n"
"       %s run SCENARIO -o TRACE [OPTION]...   (see: run --help)\n"
"       %s gen --seed N [OPTION]...            (see: gen --help)\n"
"       %s check TRACE                          (see: check --help)\n"
"Run a mock Xen hypervisor (hv/'s claim code over a simulated heap) and\n"
"serve its hypercalls on a UNIX socket; or run a scenario on one in this\n"
"process (deterministic: the same scenario and seed give the same trace),\n"
"generate a random scenario, or check a scenario's trace.\n"
"\n"
"  -m, --memory SIZE           host memory (default 16G)\n"
"  -n, --nodes N               NUMA nodes, memory split evenly (default 1)\n"
"      --tmem SIZE             tmem pool size (default 0)\n"
"  -c, --cpus N                simulated CPUs, one worker each (default 4)\n"
"      --dom0-mem SIZE         dom0's memory (default 1G)\n"
"      --xen-pages-per-domain N  pages Xen takes per created domain "
"(default 0;\n"
"                              %u with --profile 4.17)\n"
"      --xen-free-delay MS     4.17: a destroyed domain's Xen pages come\n"
"                              back MS ms after the destroy (default %u;\n"
"                              0: at the next call)\n"
"      --profile P             claim semantics: upstream (default) or 4.17\n"
"  -s, --socket PATH           socket (default: $XENCLAIM_SOCKET, else\n"
"                              /run/xenclaim/mock.sock when root or\n"
"                              writable, else\n"
"                              $XDG_RUNTIME_DIR/xenclaim-mock.sock, else\n"
"                              /tmp/xenclaim-mock-UID.sock)\n"
"      --socket-mode MODE      socket permissions, octal (default 0600)\n"
"  -t, --trace-area PATH       trace buffers: a file, 'memfd' or 'none'\n"
"                              (default $%s, else %s)\n"
"  -S, --trace-pages N         trace buffer pages per CPU (default 64)\n"
"  -f, --foreground            stay in the foreground (the default)\n"
"  -d, --daemon                detach once the socket is ready\n"
"      --pidfile PATH          write the daemon's pid to PATH\n"
"  -h, --help                  show this help and exit\n"
"  -V, --version               show the version and exit\n"
"\n"
"SIZE is a number of bytes with an optional suffix K, M, G or T (powers\n"
"of 1024); it is rounded down to whole 4 KiB pages.  SIGTERM or SIGINT\n"
"stops the daemon cleanly.  Exit status: 0 after a clean stop, 1 on an\n"
"error, 2 on a usage error.\n",
            XCMD_NAME, XCMD_NAME, XCMD_NAME, XCMD_NAME,
            HYP_XEN417_PAGES_PER_DOMAIN, HYP_XEN417_FREE_DELAY_MS,
            XTB_PATH_ENV, XTB_DEFAULT_PATH);
}

static int bad_usage(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", XCMD_NAME);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", XCMD_NAME);
    return 2;
}

/* "16G" -> bytes.  0, or -EINVAL. */
static int parse_size(const char *s, uint64_t *bytes)
{
    unsigned long long v;
    unsigned int shift = 0;
    char *end;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return -EINVAL;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
    if (*end || (shift && v > (~0ull >> shift)))
        return -EINVAL;
    *bytes = (uint64_t)v << shift;
    return 0;
}

/* An unsigned number in [min, max] (base 0: 0x, 0 prefixes). */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
                      unsigned int base, unsigned long *out)
{
    unsigned long v;
    char *end;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, base);
    if (errno || *end || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Parse serve's options into o.  0, or the exit status to return now. */
static int parse_serve(int argc, char **argv, struct xcmd_opts *o,
                       int *exit_now)
{
    static char socket_buf[4096];
    uint64_t memory = 16ull << 30, tmem = 0, dom0 = 1ull << 30, pages;
    unsigned long nodes = 1, cpus = 4, v;
    const char *env;
    unsigned int i;
    int c, rc;
    bool xen_pages_set = false;
    unsigned long free_delay = HYP_XEN417_FREE_DELAY_MS;

    memset(o, 0, sizeof(*o));
    o->socket_mode = 0600;
    o->trace_pages = 64;
    o->cfg.profile = HYP_PROFILE_UPSTREAM;
    *exit_now = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:n:c:s:t:S:fdhV", long_opts,
                            NULL)) != -1) {
        switch (c) {
        case 'm':
            if (parse_size(optarg, &memory))
                return *exit_now = bad_usage("bad --memory: %s", optarg);
            break;
        case 'n':
            if (parse_uint(optarg, 1, HYP_MAX_NODES, 10, &nodes))
                return *exit_now = bad_usage("bad --nodes (1..%u): %s",
                                             HYP_MAX_NODES, optarg);
            break;
        case OPT_TMEM:
            if (parse_size(optarg, &tmem))
                return *exit_now = bad_usage("bad --tmem: %s", optarg);
            break;
        case 'c':
            if (parse_uint(optarg, 1, XTB_MAX_CPUS, 10, &cpus))
                return *exit_now = bad_usage("bad --cpus (1..%u): %s",
                                             XTB_MAX_CPUS, optarg);
            break;
        case OPT_DOM0_MEM:
            if (parse_size(optarg, &dom0))
                return *exit_now = bad_usage("bad --dom0-mem: %s", optarg);
            break;
        case 's':
            if (!*optarg)
                return *exit_now = bad_usage("empty --socket");
            o->socket = optarg;
            break;
        case OPT_SOCKET_MODE:
            if (parse_uint(optarg, 0, 0777, 8, &v))
                return *exit_now = bad_usage("bad --socket-mode (octal, "
                                             "at most 0777): %s", optarg);
            o->socket_mode = (mode_t)v;
            break;
        case 't':
            if (!*optarg)
                return *exit_now = bad_usage("empty --trace-area");
            o->trace_area = optarg;
            break;
        case 'S':
            if (parse_uint(optarg, 1, 65535, 10, &v))
                return *exit_now = bad_usage("bad --trace-pages (1..65535): "
                                             "%s", optarg);
            o->trace_pages = (unsigned int)v;
            break;
        case OPT_PROFILE:
            if (!strcmp(optarg, "upstream"))
                o->cfg.profile = HYP_PROFILE_UPSTREAM;
            else if (!strcmp(optarg, "4.17"))
                o->cfg.profile = HYP_PROFILE_XEN417;
            else
                return *exit_now = bad_usage("bad --profile (upstream or "
                                             "4.17): %s", optarg);
            break;
        case OPT_XEN_PAGES:
            if (parse_uint(optarg, 0, 1u << 20, 10, &v))
                return *exit_now = bad_usage("bad --xen-pages-per-domain: "
                                             "%s", optarg);
            o->cfg.xen_pages_per_domain = (unsigned int)v;
            xen_pages_set = true;
            break;
        case OPT_XEN_FREE_DELAY:
            if (parse_uint(optarg, 0, 3600000, 10, &free_delay))
                return *exit_now = bad_usage("bad --xen-free-delay (ms, at "
                                             "most 3600000): %s", optarg);
            break;
        case 'f':
            o->daemon = false;
            break;
        case 'd':
            o->daemon = true;
            break;
        case OPT_PIDFILE:
            if (!*optarg)
                return *exit_now = bad_usage("empty --pidfile");
            o->pidfile = optarg;
            break;
        case 'h':
            usage(stdout);
            return *exit_now = 0;
        case 'V':
            printf("%s %s (protocol %u)\n", XCMD_NAME, XENCLAIM_VERSION,
                   XCM_VERSION);
            return *exit_now = 0;
        default:
            return *exit_now = bad_usage("unknown option");
        }
    }
    if (optind < argc)
        return *exit_now = bad_usage("unexpected argument: %s", argv[optind]);
    /* 4.17: Xen's own pages per domain, back some time after a destroy. */
    if (o->cfg.profile == HYP_PROFILE_XEN417) {
        if (!xen_pages_set)
            o->cfg.xen_pages_per_domain = HYP_XEN417_PAGES_PER_DOMAIN;
        o->cfg.xen_free_delay_ms = (unsigned int)free_delay;
    }

    pages = memory >> PAGE_SHIFT;
    if (pages < nodes)
        return *exit_now = bad_usage("--memory too small for %lu node%s",
                                     nodes, nodes == 1 ? "" : "s");
    o->cfg.nr_nodes = (unsigned int)nodes;
    for (i = 0; i < nodes; i++)
        o->cfg.node_pages[i] = pages / nodes + (i < pages % nodes);
    o->cfg.tmem_capacity = tmem >> PAGE_SHIFT;
    o->cfg.nr_cpus = (unsigned int)cpus;
    o->cfg.dom0_pages = dom0 >> PAGE_SHIFT;
    o->cfg.dom0_max_pages = o->cfg.dom0_pages;
    if (o->cfg.dom0_pages >= pages)
        return *exit_now = bad_usage("--dom0-mem must be less than "
                                     "--memory");
    if (o->cfg.dom0_max_pages > UINT32_MAX)
        return *exit_now = bad_usage("--dom0-mem too large");

    if (!o->socket) {
        rc = xcm_default_socket_path(socket_buf, sizeof(socket_buf));
        if (rc)
            return *exit_now = bad_usage("default socket path too long");
        o->socket = socket_buf;
    }
    if (!o->trace_area) {
        env = getenv(XTB_PATH_ENV);
        o->trace_area = env && *env ? env : XTB_DEFAULT_PATH;
    }
    return 0;
}

/* --daemon: fork; the parent exits 0 once the child is ready, else 1. */
static int daemonize(const struct xcmd_opts *o)
{
    int pfd[2], null;
    char byte;
    pid_t pid;
    ssize_t n;

    if (pipe2(pfd, O_CLOEXEC) < 0) {
        xcmd_log("pipe: %s", strerror(errno));
        return 1;
    }
    pid = fork();
    if (pid < 0) {
        xcmd_log("fork: %s", strerror(errno));
        return 1;
    }
    if (pid > 0) {
        close(pfd[1]);
        do
            n = read(pfd[0], &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1)
            return 0;
        /* The child failed and said why on stderr. */
        waitpid(pid, NULL, 0);
        return 1;
    }
    close(pfd[0]);
    setsid();
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    exit(xcmd_serve(o, pfd[1]));
}

int main(int argc, char **argv)
{
    struct xcmd_opts o;
    int exit_now;

    if (argc < 2)
        return bad_usage("missing command (serve)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("%s %s (protocol %u)\n", XCMD_NAME, XENCLAIM_VERSION,
               XCM_VERSION);
        return 0;
    }
    /* Scenarios run in this process, on a host of their own. */
    if (!strcmp(argv[1], "run"))
        return xsc_cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen"))
        return xsc_cmd_gen(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return xsc_cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "serve"))
        return bad_usage("unknown command: %s", argv[1]);
    parse_serve(argc - 1, argv + 1, &o, &exit_now);
    if (exit_now >= 0)
        return exit_now;
    if (o.daemon)
        return daemonize(&o);
    return xcmd_serve(&o, -1);
}
