/* main.c: xenclaim-mock-bench, hypercall vs bare round trip. */
/* SPDX-License-Identifier: MIT */
/*
 * Prints "<label> <value>" lines (bench/run.sh reads the value):
 *   ping_rtt_ns             a bare round trip (PING)
 *   physinfo_rtt_ns         sysctl physinfo through the socket
 *   claim_rtt_ns            one claim_pages call (stake or cancel)
 *   physinfo_ping_ratio     physinfo / ping
 *   claim_ping_ratio        claim / ping
 * and, with --clients N > 1, the same PING and physinfo from N threads at
 * once as aggregate calls per second (ping_calls_per_s, physinfo_...).
 *
 * Without --socket it starts its own daemon (the xenclaim-mock next to
 * this program) on a temporary socket, and stops it at the end.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/xcm_client.h"

static const char *sock;
static unsigned long iters = 100000;
static unsigned int nclients = 1;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "xenclaim-mock-bench: %s: %s\n", what, strerror(err));
    exit(1);
}

/* Start build/bin/xenclaim-mock beside us on path; its pid. */
static pid_t spawn_daemon(const char *path, unsigned int cpus)
{
    char self[PATH_MAX], prog[PATH_MAX + 32], ncpu[16], *slash;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    pid_t pid;

    if (n < 0)
        die("readlink /proc/self/exe", errno);
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(prog, sizeof(prog), "%s/xenclaim-mock", self);
    snprintf(ncpu, sizeof(ncpu), "%u", cpus);
    pid = fork();
    if (pid < 0)
        die("fork", errno);
    if (pid == 0) {
        execl(prog, prog, "serve", "--socket", path, "--trace-area", "none",
              "--memory", "2G", "--dom0-mem", "256M", "--cpus", ncpu,
              (char *)NULL);
        fprintf(stderr, "xenclaim-mock-bench: cannot run %s: %s\n", prog,
                strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Poll until the daemon answers (5 ms apart, 10 s at most). */
static struct xcm_client *connect_ready(pid_t daemon)
{
    const struct timespec tick = { 0, 5 * 1000 * 1000 };
    struct xcm_client *c;
    int i, status;

    for (i = 0; i < 2000; i++) {
        c = xcm_open(sock, 0);
        if (c)
            return c;
        if (daemon > 0 && waitpid(daemon, &status, WNOHANG) == daemon) {
            fprintf(stderr, "xenclaim-mock-bench: the daemon exited\n");
            exit(1);
        }
        nanosleep(&tick, NULL);
    }
    die("connecting to the daemon", errno);
    return NULL;
}

/* ns per call of fn over iters calls. */
static double time_ping(struct xcm_client *c, unsigned long n)
{
    double t0 = now_ns();
    unsigned long i;
    int rc;

    for (i = 0; i < n; i++)
        if ((rc = xcm_ping(c)))
            die("ping", -rc);
    return (now_ns() - t0) / (double)n;
}

static double time_physinfo(struct xcm_client *c, unsigned long n)
{
    struct hyp_physinfo pi;
    double t0 = now_ns();
    unsigned long i;
    int rc;

    for (i = 0; i < n; i++)
        if ((rc = xcm_physinfo(c, &pi)))
            die("physinfo", -rc);
    return (now_ns() - t0) / (double)n;
}

/* Claim 1000 pages and cancel, n / 2 times: ns per claim call. */
static double time_claim(struct xcm_client *c, uint32_t domid,
                         unsigned long n)
{
    double t0 = now_ns();
    unsigned long i;
    int rc;

    for (i = 0; i < n / 2; i++) {
        if ((rc = xcm_claim_pages(c, domid, 1000, 0)))
            die("claim", -rc);
        if ((rc = xcm_claim_pages(c, domid, 0, 0)))
            die("cancel", -rc);
    }
    return (now_ns() - t0) / (double)(n / 2 * 2);
}

struct thr {
    pthread_t t;
    bool physinfo;
    pthread_barrier_t *go;
};

static void *thread_main(void *arg)
{
    struct thr *t = arg;
    struct xcm_client *c = xcm_open(sock, 0);

    if (!c)
        die("connect", errno);
    pthread_barrier_wait(t->go);
    if (t->physinfo)
        time_physinfo(c, iters);
    else
        time_ping(c, iters);
    xcm_close(c);
    return NULL;
}

/* Calls per second of nclients threads doing iters calls each. */
static double parallel(bool physinfo)
{
    struct thr *t = calloc(nclients, sizeof(*t));
    pthread_barrier_t go;
    unsigned int i;
    double t0;

    if (!t)
        die("calloc", ENOMEM);
    pthread_barrier_init(&go, NULL, nclients + 1);
    for (i = 0; i < nclients; i++) {
        t[i].physinfo = physinfo;
        t[i].go = &go;
        if (pthread_create(&t[i].t, NULL, thread_main, &t[i]))
            die("pthread_create", errno);
    }
    pthread_barrier_wait(&go);
    t0 = now_ns();
    for (i = 0; i < nclients; i++)
        pthread_join(t[i].t, NULL);
    t0 = now_ns() - t0;
    pthread_barrier_destroy(&go);
    free(t);
    return (double)nclients * (double)iters / (t0 / 1e9);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: xenclaim-mock-bench [--socket PATH] [--iterations N] "
            "[--clients N]\n"
            "Time PING, physinfo and claim round trips through "
            "xenclaim-mock's socket.\n"
            "Without --socket, a daemon is started on a temporary socket.\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "socket", required_argument, NULL, 's' },
        { "iterations", required_argument, NULL, 'n' },
        { "clients", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char tmp[108];
    struct xcm_client *c;
    double ping, phys, claim;
    uint32_t domid = 0;
    pid_t daemon = -1;
    int o, rc, status;

    while ((o = getopt_long(argc, argv, "s:n:c:h", lo, NULL)) != -1) {
        switch (o) {
        case 's': sock = optarg; break;
        case 'n': iters = strtoul(optarg, NULL, 10); break;
        case 'c': nclients = (unsigned int)strtoul(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (iters < 2 || nclients < 1 || nclients > 256) {
        usage(stderr);
        return 2;
    }
    if (!sock) {
        snprintf(tmp, sizeof(tmp), "/tmp/xenclaim-mock-bench.%ld.sock",
                 (long)getpid());
        sock = tmp;
        daemon = spawn_daemon(sock, nclients > 4 ? nclients : 4);
    }
    c = connect_ready(daemon);
    rc = xcm_domain_create(c, &domid, NULL);
    if (!rc)
        rc = xcm_domain_setmaxmem(c, domid, 64 * 1024);
    if (rc)
        die("creating the benchmark's domain", -rc);

    /* Warm up first (connections, caches, the heap's first touches). */
    time_ping(c, iters / 10 + 1);
    time_physinfo(c, iters / 10 + 1);
    ping = time_ping(c, iters);
    phys = time_physinfo(c, iters);
    claim = time_claim(c, domid, iters);
    printf("ping_rtt_ns %.1f\n", ping);
    printf("physinfo_rtt_ns %.1f\n", phys);
    printf("claim_rtt_ns %.1f\n", claim);
    printf("physinfo_ping_ratio %.3f\n", phys / ping);
    printf("claim_ping_ratio %.3f\n", claim / ping);
    if (nclients > 1) {
        printf("ping_calls_per_s_%u_clients %.0f\n", nclients,
               parallel(false));
        printf("physinfo_calls_per_s_%u_clients %.0f\n", nclients,
               parallel(true));
    }
    xcm_domain_destroy(c, domid);
    xcm_close(c);

    if (daemon > 0) {
        kill(daemon, SIGTERM);
        if (waitpid(daemon, &status, 0) == daemon &&
            (!WIFEXITED(status) || WEXITSTATUS(status))) {
            fprintf(stderr, "xenclaim-mock-bench: the daemon did not stop "
                    "cleanly\n");
            return 1;
        }
    }
    return 0;
}
