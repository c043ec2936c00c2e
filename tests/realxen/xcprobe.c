/* xcprobe.c: dom0 helper of the realxen consumers part (snap, hold, catch). */
/* SPDX-License-Identifier: MIT */
/*
 * Built on the host against Debian's libxen-dev (gcc -O2 xcprobe.c
 * -lxenctrl) and run in dom0 of a real Xen 4.17 host:
 *
 *   xcprobe snap
 *       print the host and every domain as libxenctrl sees them:
 *         host free=N outstanding=N total=N        (pages)
 *         dom D tot=N max=N claim=N dying=0|1      (one per domain)
 *   xcprobe hold MAX POPULATE TARGET SECS
 *       create a PV domain, set its maximum to MAX pages, populate
 *       POPULATE pages, stake a claim of TARGET pages (so TARGET -
 *       POPULATE are outstanding), print "held domid=D ...", then hold
 *       until SIGTERM or SIGINT (or SECS seconds), destroy the domain,
 *       print "released domid=D" and exit 0 (3 when SECS ran out)
 *   xcprobe catch PID SECS
 *       poll the domains until one created after the start has an
 *       outstanding claim while process PID (an `xl create`) builds
 *       it, then stop PID
 *       with SIGSTOP and print "caught domid=D claim=N tot=N"; exit 1
 *       with "missed ..." when PID ends or SECS pass first
 *
 * Exit status: 0 done, 1 the operation failed or missed, 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>

#define BATCH 256u

static int usage(void)
{
    fprintf(stderr, "usage: xcprobe snap\n"
            "       xcprobe hold MAX POPULATE TARGET SECS\n"
            "       xcprobe catch PID SECS\n");
    return 2;
}

static int number(const char *s, unsigned long *v)
{
    char *end;

    errno = 0;
    *v = strtoul(s, &end, 0);
    return (errno || end == s || *end) ? -EINVAL : 0;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print the host and every domain; returns 0 or -errno. */
static int snap(xc_interface *xch)
{
    xc_domaininfo_t info[BATCH];
    xc_physinfo_t pi;
    uint32_t next = 0;
    int n, i;

    memset(&pi, 0, sizeof(pi));
    if (xc_physinfo(xch, &pi) < 0)
        return -errno;
    printf("host free=%" PRIu64 " outstanding=%" PRIu64 " total=%" PRIu64
           "\n", (uint64_t)pi.free_pages, (uint64_t)pi.outstanding_pages,
           (uint64_t)pi.total_pages);
    do {
        n = xc_domain_getinfolist(xch, next, BATCH, info);
        if (n < 0)
            return -errno;
        for (i = 0; i < n; i++)
            printf("dom %u tot=%" PRIu64 " max=%" PRIu64 " claim=%" PRIu64
                   " dying=%d\n", info[i].domain,
                   (uint64_t)info[i].tot_pages, (uint64_t)info[i].max_pages,
                   (uint64_t)info[i].outstanding_pages,
                   !!(info[i].flags & XEN_DOMINF_dying));
        if (n > 0)
            next = info[n - 1].domain + 1;
    } while (n == (int)BATCH);
    return fflush(stdout) ? -EIO : 0;
}

/* Create a PV domain with one vCPU; returns 0 or -errno. */
static int create(xc_interface *xch, uint32_t *domid)
{
    struct xen_domctl_createdomain cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.max_vcpus = 1;
    cfg.max_evtchn_port = 1023;
    cfg.max_grant_frames = -1;
    cfg.max_maptrack_frames = -1;
    cfg.grant_opts = XEN_DOMCTL_GRANT_version(1);
    *domid = 0;
    return xc_domain_create(xch, domid, &cfg) < 0 ? -errno : 0;
}

static int populate(xc_interface *xch, uint32_t domid, unsigned long pages)
{
    xen_pfn_t *gfn;
    unsigned long i;
    int rc = 0;

    if (!pages)
        return 0;
    gfn = calloc(pages, sizeof(*gfn));
    if (!gfn)
        return -ENOMEM;
    for (i = 0; i < pages; i++)
        gfn[i] = i;
    if (xc_domain_populate_physmap_exact(xch, domid, pages, 0, 0, gfn) < 0)
        rc = -errno;
    free(gfn);
    return rc;
}

static int hold(xc_interface *xch, unsigned long max, unsigned long pop,
                unsigned long target, unsigned long secs)
{
    struct timespec limit = { .tv_sec = (time_t)secs };
    xc_domaininfo_t info;
    uint32_t domid;
    sigset_t set;
    int rc, sig;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);

    rc = create(xch, &domid);
    if (rc < 0) {
        fprintf(stderr, "xcprobe: xc_domain_create: %s\n", strerror(-rc));
        return 1;
    }
    rc = xc_domain_setmaxmem(xch, domid, max * 4) < 0 ? -errno : 0;
    if (!rc)
        rc = populate(xch, domid, pop);
    if (!rc)
        rc = xc_domain_claim_pages(xch, domid, target) < 0 ? -errno : 0;
    if (!rc)
        rc = xc_domain_getinfolist(xch, domid, 1, &info) == 1 &&
             info.domain == domid ? 0 : -ESRCH;
    if (rc < 0) {
        fprintf(stderr, "xcprobe: holding a claim on d%u: %s\n", domid,
                strerror(-rc));
        xc_domain_destroy(xch, domid);
        return 1;
    }
    printf("held domid=%u max=%lu tot=%" PRIu64 " claim=%" PRIu64 "\n",
           domid, max, (uint64_t)info.tot_pages,
           (uint64_t)info.outstanding_pages);
    fflush(stdout);

    sig = sigtimedwait(&set, NULL, &limit);
    if (xc_domain_destroy(xch, domid) < 0) {
        fprintf(stderr, "xcprobe: destroying d%u: %s\n", domid,
                strerror(errno));
        return 1;
    }
    printf("released domid=%u%s\n", domid, sig < 0 ? " (time ran out)" : "");
    return sig < 0 ? 3 : 0;
}

static int catch_build(xc_interface *xch, pid_t pid, unsigned long secs)
{
    xc_domaininfo_t info[BATCH];
    double end = now() + secs;
    uint32_t first = 1;
    int n, i;

    /* Domains that exist now are not the one being built. */
    do {
        n = xc_domain_getinfolist(xch, first, BATCH, info);
        if (n > 0)
            first = info[n - 1].domain + 1;
    } while (n == (int)BATCH);
    while (now() < end) {
        if (kill(pid, 0) < 0) {
            printf("missed: process %d ended first\n", (int)pid);
            return 1;
        }
        n = xc_domain_getinfolist(xch, first, BATCH, info);
        if (n < 0) {
            fprintf(stderr, "xcprobe: getinfolist: %s\n", strerror(errno));
            return 1;
        }
        for (i = 0; i < n; i++) {
            if (!info[i].outstanding_pages ||
                (info[i].flags & XEN_DOMINF_dying))
                continue;
            if (kill(pid, SIGSTOP) < 0) {
                printf("missed: process %d: %s\n", (int)pid,
                       strerror(errno));
                return 1;
            }
            printf("caught domid=%u claim=%" PRIu64 " tot=%" PRIu64 "\n",
                   info[i].domain, (uint64_t)info[i].outstanding_pages,
                   (uint64_t)info[i].tot_pages);
            return 0;
        }
    }
    printf("missed: no claim seen in %lu s\n", secs);
    return 1;
}

int main(int argc, char **argv)
{
    unsigned long v[4];
    xc_interface *xch;
    int i, rc;

    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "snap") && argc == 2) {
        rc = 0;
    } else if (!strcmp(argv[1], "hold") && argc == 6) {
        for (i = 0; i < 4; i++)
            if (number(argv[i + 2], &v[i]) < 0)
                return usage();
    } else if (!strcmp(argv[1], "catch") && argc == 4) {
        for (i = 0; i < 2; i++)
            if (number(argv[i + 2], &v[i]) < 0)
                return usage();
    } else {
        return usage();
    }

    xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        fprintf(stderr, "xcprobe: xc_interface_open: %s\n", strerror(errno));
        return 1;
    }
    if (!strcmp(argv[1], "snap")) {
        rc = snap(xch);
        if (rc < 0)
            fprintf(stderr, "xcprobe: snap: %s\n", strerror(-rc));
        rc = rc < 0;
    } else if (!strcmp(argv[1], "hold")) {
        rc = hold(xch, v[0], v[1], v[2], v[3]);
    } else {
        rc = catch_build(xch, (pid_t)v[0], v[1]);
    }
    xc_interface_close(xch);
    return rc;
}
