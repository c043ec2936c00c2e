/* main.c: xenclaim-mock-selftest, drives and checks a daemon. */
/* SPDX-License-Identifier: MIT */
/*
 * Used by tests/scripts/mock_daemon.sh.  Each command prints what it
 * found wrong as "expected X, got Y" on stderr and exits 1; 0 when all
 * was as expected; 2 on a usage error.
 *
 *   wait SOCKET [TIMEOUT_MS]   poll until the daemon answers a PING
 *   stress SOCKET SEED ROUNDS [MAXPAGES]
 *                              domains (up to MAXPAGES pages, at most
 *                              12288) with claims, populates, decreases,
 *                              checked against this program's own model
 *   churn SOCKET               the same, forever (to be killed); prints
 *                              "running" once the first round is done
 *   check SOCKET               host-wide invariants (quiescent daemon)
 *   privilege SOCKET           what an unprivileged caller may not do
 *   area SOCKET                print the daemon's trace area path
 *   lookup SOCKET NAME         print NAME's domain id; 1 if none
 *   trace SOCKET on|off        TRACE_ENABLE
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/xcm_client.h"

#define MAX_DOMS 4096

static int failures;

static void fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "xenclaim-mock-selftest: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
}

#define EXPECT_EQ(seen, want, ...)                                         \
    do {                                                                   \
        long long s_ = (long long)(seen), w_ = (long long)(want);          \
        if (s_ != w_) {                                                    \
            char m_[256];                                                  \
            snprintf(m_, sizeof(m_), __VA_ARGS__);                         \
            fail("%s: expected %lld, got %lld", m_, w_, s_);               \
        }                                                                  \
    } while (0)

static struct xcm_client *open_or_die(const char *path, uint32_t domid)
{
    struct xcm_client *c = xcm_open(path, domid);

    if (!c) {
        fprintf(stderr, "xenclaim-mock-selftest: cannot connect to %s: "
                "%s\n", path, strerror(errno));
        exit(1);
    }
    return c;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Poll for a daemon that answers, every 5 ms, up to timeout_ms. */
static int cmd_wait(const char *path, unsigned long timeout_ms)
{
    const struct timespec tick = { 0, 5 * 1000 * 1000 };
    uint64_t end = now_ms() + timeout_ms;
    struct xcm_client *c;
    int err;

    for (;;) {
        c = xcm_open(path, 0);
        if (c) {
            err = xcm_ping(c);
            xcm_close(c);
            if (!err)
                return 0;
            errno = -err;
        }
        err = errno;
        if (now_ms() >= end) {
            fprintf(stderr, "xenclaim-mock-selftest: no daemon answered on "
                    "%s within %lu ms: %s\n", path, timeout_ms,
                    strerror(err));
            return 1;
        }
        nanosleep(&tick, NULL);
    }
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state;

static uint64_t rnd(uint64_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (rng_state * 0x2545f4914f6cdd1dull) % n;
}

static struct hyp_dominfo one_info(struct xcm_client *c, uint32_t domid)
{
    struct hyp_dominfo d;
    int rc = xcm_domain_getinfo(c, domid, 1, &d);

    if (rc != 1 || d.domid != domid) {
        fail("getinfo of domain %u: expected 1 entry for it, got %d "
             "(domid %u)", domid, rc, rc == 1 ? d.domid : 0);
        memset(&d, 0, sizeof(d));
    }
    return d;
}

static uint64_t gfns[3 * XCM_MAX_EXTENTS];
/* Largest domain of a round, in pages (at most the gfns above). */
static uint64_t max_size = 3 * XCM_MAX_EXTENTS;

/*
 * One round: a domain with a claim, populated and partly freed, checked
 * against this model: after a claim of target pages with tot pages owned
 * the domain has target - tot outstanding; populating k pages draws it
 * down by k; freeing does not re-grow it; cancelling zeroes it.
 */
static void one_round(struct xcm_client *c, const char *tag,
                      unsigned long round)
{
    uint64_t max = 1 + rnd(max_size), target, k, i, drop;
    struct hyp_dominfo d;
    uint32_t domid = 0;
    char name[HYP_NAME_MAX];
    long done;
    int rc;

    snprintf(name, sizeof(name), "%s-%lu", tag, round);
    rc = xcm_domain_create(c, &domid, name);
    if (rc == -ENOMEM)
        return;                 /* claims of others cover free memory */
    EXPECT_EQ(rc, 0, "create %s", name);
    if (rc)
        return;
    EXPECT_EQ(xcm_domain_lookup(c, name), domid, "lookup %s", name);
    EXPECT_EQ(xcm_domain_setmaxmem(c, domid, max * 4), 0, "setmaxmem %u",
              domid);
    target = 1 + rnd(max);
    rc = xcm_claim_pages(c, domid, target, 0);
    if (rc == -ENOMEM)
        goto destroy;
    EXPECT_EQ(rc, 0, "claim %llu for %u", (unsigned long long)target,
              domid);
    d = one_info(c, domid);
    EXPECT_EQ(d.outstanding_pages, target, "claim of %u after staking",
              domid);

    /* Populate k <= target pages: the claim covers them all. */
    k = rnd(target + 1);
    for (i = 0; i < k; i++)
        gfns[i] = i;
    done = xcm_populate_physmap(c, domid, 0, 0, gfns, k, NULL);
    EXPECT_EQ(done, k, "populate %llu pages of %u", (unsigned long long)k,
              domid);
    d = one_info(c, domid);
    EXPECT_EQ(d.tot_pages, k, "tot_pages of %u", domid);
    EXPECT_EQ(d.outstanding_pages, target - k, "claim of %u after "
              "populating", domid);

    /* Free some: the claim stays where it was. */
    drop = rnd(k + 1);
    done = xcm_decrease_reservation(c, domid, 0, gfns, drop);
    EXPECT_EQ(done, drop, "decrease %llu pages of %u",
              (unsigned long long)drop, domid);
    d = one_info(c, domid);
    EXPECT_EQ(d.tot_pages, k - drop, "tot_pages of %u after freeing",
              domid);
    EXPECT_EQ(d.outstanding_pages, target - k, "claim of %u after freeing",
              domid);

    if (rnd(2)) {
        EXPECT_EQ(xcm_claim_pages(c, domid, 0, 0), 0, "cancel %u", domid);
        d = one_info(c, domid);
        EXPECT_EQ(d.outstanding_pages, 0, "claim of %u after cancel",
                  domid);
    }
    if (rnd(4) == 0)
        return;                 /* leave it for the invariant check */
 destroy:
    EXPECT_EQ(xcm_domain_destroy(c, domid), 0, "destroy %u", domid);
    EXPECT_EQ(xcm_domain_lookup(c, name), -ESRCH, "lookup of destroyed %s",
              name);
}

static int cmd_stress(const char *path, unsigned long seed,
                      unsigned long rounds, bool forever)
{
    struct xcm_client *c = open_or_die(path, 0);
    char tag[32];
    unsigned long r;

    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    snprintf(tag, sizeof(tag), "st%lu-%ld", seed, (long)getpid());
    for (r = 0; forever || r < rounds; r++) {
        one_round(c, tag, r);
        if (forever && r == 0) {
            printf("running\n");
            fflush(stdout);
        }
        /* A failure (a lost daemon included) ends a churn too. */
        if (failures)
            break;
    }
    xcm_close(c);
    return failures ? 1 : 0;
}

/*
 * Host invariants, with nobody else working: outstanding == the sum of
 * the domains' claims, and every page is free, owned by a domain, Xen's
 * own for a domain other than dom0, in the tmem pool, or offline.
 */
static int cmd_check(const char *path)
{
    static struct hyp_dominfo doms[MAX_DOMS];
    struct xcm_client *c = open_or_die(path, 0);
    uint64_t claims = 0, owned = 0, xen, node_free = 0;
    struct hyp_physinfo pi, pi2;
    struct hyp_config cfg;
    int n, i, tries;

    xcm_get_config(c, &cfg);
    /*
     * A consistent snapshot: physinfo, getinfo, physinfo again until both
     * physinfos agree (a request of a client that just died may still be
     * running: it is run whole).
     */
    for (tries = 0;; tries++) {
        EXPECT_EQ(xcm_physinfo(c, &pi), 0, "physinfo");
        n = xcm_domain_getinfo(c, 0, MAX_DOMS, doms);
        EXPECT_EQ(xcm_physinfo(c, &pi2), 0, "physinfo");
        if (failures)
            return 1;
        if (!memcmp(&pi, &pi2, sizeof(pi)))
            break;
        if (tries == 1000) {
            fail("the host never stood still for a snapshot");
            return 1;
        }
    }
    if (n < 1) {
        fail("getinfo: expected at least dom0, got %d", n);
        return 1;
    }
    EXPECT_EQ(doms[0].domid, 0, "first domain");
    for (i = 0; i < n; i++) {
        claims += doms[i].outstanding_pages;
        owned += doms[i].tot_pages;
        EXPECT_EQ(!!(doms[i].flags & HYP_DOMF_DYING), 0, "domain %u dying",
                  doms[i].domid);
    }
    for (i = 0; i < (int)pi.nr_nodes; i++)
        node_free += pi.node_free[i];
    xen = (uint64_t)cfg.xen_pages_per_domain * (uint64_t)(n - 1);
    EXPECT_EQ(pi.outstanding_pages, claims, "outstanding vs the sum of %d "
              "domains' claims", n);
    EXPECT_EQ(pi.free_pages + owned + xen + pi.freeable_pages +
              pi.offline_pages, pi.total_pages,
              "free %llu + owned %llu + xen %llu + tmem %llu + offline %llu",
              (unsigned long long)pi.free_pages, (unsigned long long)owned,
              (unsigned long long)xen,
              (unsigned long long)pi.freeable_pages,
              (unsigned long long)pi.offline_pages);
    EXPECT_EQ(node_free, pi.free_pages, "sum of nodes' free pages");
    printf("domains %d total %llu free %llu outstanding %llu owned %llu\n",
           n, (unsigned long long)pi.total_pages,
           (unsigned long long)pi.free_pages,
           (unsigned long long)pi.outstanding_pages,
           (unsigned long long)owned);
    xcm_close(c);
    return failures ? 1 : 0;
}

/* An unprivileged caller: -EPERM where Xen says so, -ESRCH if absent. */
static int cmd_privilege(const char *path)
{
    struct xcm_client *c0 = open_or_die(path, 0), *cu;
    struct hyp_physinfo pi;
    struct hyp_dominfo info[4];
    uint32_t domid = 0, other = 0, none;
    int rc;

    EXPECT_EQ(xcm_domain_create(c0, &domid, NULL), 0, "create (dom0)");
    EXPECT_EQ(xcm_domain_create(c0, &other, NULL), 0, "create (dom0)");
    EXPECT_EQ(xcm_domain_setmaxmem(c0, domid, 4096), 0, "setmaxmem");
    none = other + 1000;

    cu = open_or_die(path, domid);
    EXPECT_EQ(xcm_ping(cu), 0, "ping as domain %u", domid);
    EXPECT_EQ(xcm_physinfo(cu, &pi), -EPERM, "physinfo as domain %u",
              domid);
    EXPECT_EQ(xcm_domain_create(cu, &none, NULL), -EPERM, "create as %u",
              domid);
    EXPECT_EQ(xcm_domain_destroy(cu, other), -EPERM, "destroy as %u",
              domid);
    EXPECT_EQ(xcm_trace_enable(cu, true), -EPERM, "trace as %u", domid);
    rc = xcm_domain_getinfo(cu, 0, 4, info);
    EXPECT_EQ(rc, 1, "getinfo as %u sees itself only", domid);
    if (rc == 1)
        EXPECT_EQ(info[0].domid, domid, "the domain seen");

    /* A domain that does not exist cannot act. */
    xcm_set_act_as(cu, none);
    EXPECT_EQ(xcm_physinfo(cu, &pi), -ESRCH, "physinfo as absent %u", none);
    EXPECT_EQ(xcm_domain_lookup(cu, "Domain-0"), -ESRCH, "lookup as absent");
    EXPECT_EQ(xcm_trace_enable(cu, true), -ESRCH, "trace as absent");
    /* Nor may special ids, which hyp_* would read as the caller itself. */
    xcm_set_act_as(cu, HYP_DOMID_SELF);
    EXPECT_EQ(xcm_physinfo(cu, &pi), -ESRCH, "physinfo as DOMID_SELF");
    xcm_set_act_as(cu, 0xffffffffu);
    EXPECT_EQ(xcm_physinfo(cu, &pi), -ESRCH, "physinfo as 0xffffffff");
    xcm_close(cu);

    EXPECT_EQ(xcm_domain_destroy(c0, domid), 0, "destroy %u", domid);
    EXPECT_EQ(xcm_domain_destroy(c0, other), 0, "destroy %u", other);
    xcm_close(c0);
    return failures ? 1 : 0;
}

static int cmd_trace(const char *path, const char *onoff)
{
    struct xcm_client *c = open_or_die(path, 0);
    int rc = xcm_trace_enable(c, !strcmp(onoff, "on"));

    xcm_close(c);
    if (rc) {
        fprintf(stderr, "xenclaim-mock-selftest: trace %s: %s\n", onoff,
                strerror(-rc));
        return 1;
    }
    return 0;
}

static int cmd_lookup(const char *path, const char *name)
{
    struct xcm_client *c = open_or_die(path, 0);
    int rc = xcm_domain_lookup(c, name);

    xcm_close(c);
    if (rc < 0)
        return 1;
    printf("%d\n", rc);
    return 0;
}

static int cmd_area(const char *path)
{
    struct xcm_client *c = open_or_die(path, 0);
    const char *area = xcm_trace_area_path(c);

    if (area)
        printf("%s\n", area);
    xcm_close(c);
    return area ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: xenclaim-mock-selftest wait|stress|churn|check|"
            "privilege|area|lookup|trace SOCKET [ARGS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *cmd, *path;

    if (argc < 3)
        return usage();
    cmd = argv[1];
    path = argv[2];
    if (!strcmp(cmd, "wait"))
        return cmd_wait(path, argc > 3 ? strtoul(argv[3], NULL, 10) : 10000);
    if (!strcmp(cmd, "stress") && (argc == 5 || argc == 6)) {
        if (argc == 6)
            max_size = strtoull(argv[5], NULL, 10);
        if (max_size == 0 || max_size > 3 * XCM_MAX_EXTENTS)
            return usage();
        return cmd_stress(path, strtoul(argv[3], NULL, 10),
                          strtoul(argv[4], NULL, 10), false);
    }
    if (!strcmp(cmd, "churn"))
        return cmd_stress(path, (unsigned long)getpid(), 0, true);
    if (!strcmp(cmd, "check"))
        return cmd_check(path);
    if (!strcmp(cmd, "privilege"))
        return cmd_privilege(path);
    if (!strcmp(cmd, "area"))
        return cmd_area(path);
    if (!strcmp(cmd, "lookup") && argc == 4)
        return cmd_lookup(path, argv[3]);
    if (!strcmp(cmd, "trace") && argc == 4)
        return cmd_trace(path, argv[3]);
    return usage();
}
