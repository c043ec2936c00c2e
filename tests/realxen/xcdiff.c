/* xcdiff.c: the same libxenctrl call sequences on real Xen and on the mock, one canonical line per step, and their comparer. */
/* SPDX-License-Identifier: MIT */
/*
 * Built against Debian's <xenctrl.h> and linked with -lxenctrl: in a real
 * Xen 4.17 dom0 it drives the hypervisor, under LD_LIBRARY_PATH=build/lib
 * it drives the mock's daemon.
 *
 *   xcdiff run [--seeds FIRST:COUNT] [--steps N] [--only focused|random]
 *   xcdiff cmp [--names A,B] FILE_A FILE_B
 *   xcdiff host          (the host line alone: total, free, outstanding)
 *
 * run prints one line per step:
 *
 *   SEQ.STEP OP ARGS = RC ERRNO [EXTRA] | free=F out=O | dK=TOT/OUT/MAX ...
 *
 * SEQ names the sequence (f-NAME focused, rN random with seed N); RC is the
 * call's return value and ERRNO its errno when RC < 0 (else 0); free and
 * out are physinfo's free_pages and outstanding_pages read after the call;
 * then every domain this run created that getinfolist still lists, by its
 * logical name dK (K-th creation attempt of the run; ids differ between
 * hosts, so a creation prints the id's distance from the previous id
 * handed out instead: id=+1).  Domains of others (dom0) are not shown.
 *
 * Xen frees a destroyed domain's own pages (struct domain and its tables)
 * in an RCU callback some time after the destroy returned: a destroy line
 * shows free pages as they are at once, and the next step, "settle",
 * waits (bounded) until those pages came back.  cmp allows the free pages
 * of a destroy line, and no other, to differ by at most the pages that
 * came back late (see compare()).  It reports the first divergence of
 * each sequence.
 *
 * Exit status: run: 0, or 1 when the host could not be used; cmp: 0 when
 * no sequence diverged, 1 when some did, 2 on a usage or file error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenctrl.h>

#define MAX_LOG         64      /* logical domains per sequence */
#define MAX_LIVE        4       /* live domains in a random sequence */
#define MAX_INFO        256     /* domains read back per step */
#define NEVER_ID        30000u  /* an id no test host hands out */
#define GFN_BASE        0x10000ull
#define ORDER9          9u
#define SUPER           (1ull << ORDER9)
#define SETTLE_POLL_MS  5
#define SETTLE_STABLE   4       /* unchanged polls that end a settle */
#define SETTLE_MAX_MS   5000
#define LINE_MAX_LEN    4096

/* ---- the run side ------------------------------------------------------ */

/* One populated extent: what the list held after populate (PV: an MFN). */
struct ext {
    xen_pfn_t pfn;
    unsigned int order;
};

/* A domain as the run knows it. */
struct ldom {
    bool made;                  /* creation succeeded */
    bool live;                  /* made and not destroyed */
    uint32_t id;
    uint64_t xen_taken;         /* free pages its creation took */
    uint64_t next_gfn;
    struct ext *ext;
    size_t n_ext, cap_ext;
    /* Last seen through getinfolist. */
    uint64_t tot, out, max;
};

/* What one read of the host gave. */
struct obs {
    uint64_t total, free, out;
};

struct run {
    xc_interface *xch;
    char seq[32];
    unsigned int step;
    struct ldom dom[MAX_LOG];
    unsigned int ndom;
    bool have_id;
    uint32_t last_id;
    uint64_t rng;
    struct obs o;               /* after the last step */
};

static const char *errno_name(int e)
{
    static char buf[16];

    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case E2BIG: return "E2BIG";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNRESET: return "ECONNRESET";
    default:
        snprintf(buf, sizeof(buf), "E%d", e);
        return buf;
    }
}

/* splitmix64: the sequences' own generator, the same everywhere. */
static uint64_t rnd(struct run *r)
{
    uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A number in [0, n); 0 when n is 0. */
static uint64_t below(struct run *r, uint64_t n)
{
    return n ? rnd(r) % n : 0;
}

static void die(const char *what)
{
    fprintf(stderr, "xcdiff: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void read_host(struct run *r, struct obs *o)
{
    xc_physinfo_t pi;

    memset(&pi, 0, sizeof(pi));
    if (xc_physinfo(r->xch, &pi) < 0)
        die("xc_physinfo");
    o->total = pi.total_pages;
    o->free = pi.free_pages;
    o->out = pi.outstanding_pages;
}

/*
 * Read the host and every domain after a step, and print the step's line:
 * what was done (desc) and what it answered.
 */
static void report(struct run *r, const char *desc, long rc, int err,
                   const char *extra)
{
    static xc_domaininfo_t info[MAX_INFO];
    struct ldom *d;
    int n, i;
    unsigned int k;
    char doms[LINE_MAX_LEN / 2];
    size_t len = 0;

    read_host(r, &r->o);
    n = xc_domain_getinfolist(r->xch, 1, MAX_INFO, info);
    if (n < 0)
        die("xc_domain_getinfolist");
    doms[0] = '\0';
    for (k = 0; k < r->ndom; k++) {
        d = &r->dom[k];
        if (!d->made)
            continue;
        for (i = 0; i < n; i++)
            if (info[i].domain == d->id)
                break;
        if (i == n)
            continue;
        d->tot = info[i].tot_pages;
        d->out = info[i].outstanding_pages;
        d->max = info[i].max_pages;
        len += snprintf(doms + len, sizeof(doms) - len,
                        " d%u=%s%" PRIu64 "/%" PRIu64 "/%" PRIu64, k,
                        (info[i].flags & XEN_DOMINF_dying) ? "dying:" : "",
                        d->tot, d->out, d->max);
        if (len >= sizeof(doms))
            len = sizeof(doms) - 1;
    }
    printf("%s.%u %s = %ld %s%s%s | free=%" PRIu64 " out=%" PRIu64 " |%s\n",
           r->seq, r->step, desc, rc, rc < 0 ? errno_name(err) : "0",
           extra && *extra ? " " : "", extra ? extra : "", r->o.free,
           r->o.out, doms);
    fflush(stdout);
    r->step++;
}

/* Start a sequence: a fresh set of logical domains and the seed. */
static void seq_begin(struct run *r, const char *name, uint64_t seed)
{
    unsigned int k;

    for (k = 0; k < r->ndom; k++)
        free(r->dom[k].ext);
    memset(r->dom, 0, sizeof(r->dom));
    r->ndom = 0;
    snprintf(r->seq, sizeof(r->seq), "%s", name);
    r->step = 0;
    r->rng = seed;
    report(r, "start", 0, 0, NULL);
}

/* The name of a target: dK, or "never" for the id nobody has. */
static void target_name(int k, char *buf, size_t len)
{
    if (k < 0)
        snprintf(buf, len, "never");
    else
        snprintf(buf, len, "d%d", k);
}

static uint32_t target_id(struct run *r, int k)
{
    return k < 0 ? NEVER_ID : r->dom[k].id;
}

/* ---- the operations ---------------------------------------------------- */

/* Create a PV domain with one vCPU; returns its logical index, or -1. */
static int op_create(struct run *r)
{
    struct xen_domctl_createdomain cfg;
    struct ldom *d;
    uint32_t id = 0;
    uint64_t before = r->o.free;
    char desc[64], extra[64] = "";
    int rc, err, k;

    if (r->ndom >= MAX_LOG)
        return -1;
    k = (int)r->ndom++;
    d = &r->dom[k];
    /*
     * The smallest PV domain: one grant frame, no maptrack, no event
     * channel beyond port 0.  Its Xen pages follow the plainest pattern
     * on Xen 4.17 (14 per creation from a fresh host; larger tables add
     * pages and shared pieces that vary more).
     */
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = 0;
    cfg.max_vcpus = 1;
    cfg.max_evtchn_port = 0;
    cfg.max_grant_frames = 1;
    cfg.max_maptrack_frames = 0;
    cfg.grant_opts = XEN_DOMCTL_GRANT_version(1);
    errno = 0;
    rc = xc_domain_create(r->xch, &id, &cfg);
    err = errno;
    if (rc == 0) {
        d->made = d->live = true;
        d->id = id;
        d->next_gfn = GFN_BASE;
        if (r->have_id)
            snprintf(extra, sizeof(extra), "id=%+" PRId64,
                     (int64_t)id - (int64_t)r->last_id);
        else
            snprintf(extra, sizeof(extra), "id=first");
        r->have_id = true;
        r->last_id = id;
    }
    snprintf(desc, sizeof(desc), "create d%d", k);
    report(r, desc, rc, err, extra);
    if (rc == 0)
        d->xen_taken = before > r->o.free ? before - r->o.free : 0;
    return rc == 0 ? k : -1;
}

static void op_setmaxmem(struct run *r, int k, uint64_t pages)
{
    char name[16], desc[96];
    int rc, err;

    target_name(k, name, sizeof(name));
    errno = 0;
    rc = xc_domain_setmaxmem(r->xch, target_id(r, k), pages * 4);
    err = errno;
    snprintf(desc, sizeof(desc), "setmaxmem %s pages=%" PRIu64, name, pages);
    report(r, desc, rc, err, NULL);
}

static void op_claim(struct run *r, int k, uint64_t target)
{
    char name[16], desc[96];
    int rc, err;

    target_name(k, name, sizeof(name));
    errno = 0;
    rc = xc_domain_claim_pages(r->xch, target_id(r, k), target);
    err = errno;
    snprintf(desc, sizeof(desc), "claim %s target=%" PRIu64, name, target);
    report(r, desc, rc, err, NULL);
}

static void ext_push(struct ldom *d, xen_pfn_t pfn, unsigned int order)
{
    struct ext *e;

    if (d->n_ext == d->cap_ext) {
        d->cap_ext = d->cap_ext ? 2 * d->cap_ext : 256;
        e = realloc(d->ext, d->cap_ext * sizeof(*e));
        if (!e)
            die("realloc");
        d->ext = e;
    }
    d->ext[d->n_ext].pfn = pfn;
    d->ext[d->n_ext].order = order;
    d->n_ext++;
}

/*
 * Populate n extents of 2^order pages at fresh gfns (aligned to the
 * order).  What the list holds afterwards (a PV guest's MFNs on Xen, the
 * gfns on the mock) is kept for decreases.  Returns the extents done.
 */
static long op_populate(struct run *r, int k, unsigned int order,
                        unsigned long n)
{
    struct ldom *d = k >= 0 ? &r->dom[k] : NULL;
    xen_pfn_t *list;
    uint64_t gfn, size = 1ull << order;
    unsigned long i;
    char name[16], desc[96];
    long rc;
    int err;

    target_name(k, name, sizeof(name));
    list = calloc(n ? n : 1, sizeof(*list));
    if (!list)
        die("calloc");
    gfn = d ? (d->next_gfn + size - 1) & ~(size - 1) : GFN_BASE;
    for (i = 0; i < n; i++)
        list[i] = gfn + i * size;
    errno = 0;
    rc = xc_domain_populate_physmap(r->xch, target_id(r, k), n, order, 0,
                                    list);
    err = errno;
    if (d) {
        d->next_gfn = gfn + n * size;
        for (i = 0; rc > 0 && i < (unsigned long)rc; i++)
            ext_push(d, list[i], order);
    }
    free(list);
    snprintf(desc, sizeof(desc), "populate %s order=%u n=%lu", name, order,
             n);
    report(r, desc, rc, err, NULL);
    return rc;
}

/*
 * Decrease reservation.  For a live domain: its last extents kept, up to
 * n of them, all of the last one's order, the last first (so that those
 * done are the ones dropped).  For any other: n gfns that mean nothing.
 * n may be 0.
 */
static void op_decrease(struct run *r, int k, unsigned long n)
{
    struct ldom *d = k >= 0 && r->dom[k].live ? &r->dom[k] : NULL;
    xen_pfn_t *list;
    unsigned int order = 0;
    unsigned long i;
    char name[16], desc[96];
    long rc;
    int err;

    target_name(k, name, sizeof(name));
    if (d) {
        order = d->n_ext ? d->ext[d->n_ext - 1].order : 0;
        for (i = 0; i < n && i < d->n_ext &&
             d->ext[d->n_ext - 1 - i].order == order; i++)
            ;
        n = i;
    }
    list = calloc(n ? n : 1, sizeof(*list));
    if (!list)
        die("calloc");
    for (i = 0; i < n; i++)
        list[i] = d ? d->ext[d->n_ext - 1 - i].pfn : GFN_BASE + i;
    errno = 0;
    rc = xc_domain_decrease_reservation(r->xch, target_id(r, k), n, order,
                                        list);
    err = errno;
    if (d && rc > 0)
        d->n_ext -= (size_t)rc;
    free(list);
    snprintf(desc, sizeof(desc), "decrease %s order=%u n=%lu", name, order,
             n);
    report(r, desc, rc, err, NULL);
}

/*
 * Wait until the Xen pages of a destroyed domain came back: when the
 * destroy left pages owed (free pages short of the domain's pages plus
 * its creation's Xen pages by 2 or more), poll until free pages changed
 * and then stayed put for SETTLE_STABLE polls, at most SETTLE_MAX_MS.
 */
static void op_settle(struct run *r, int64_t owed)
{
    struct obs o;
    uint64_t start = now_ms(), seen = r->o.free;
    unsigned int stable = 0;
    bool moved = false;
    int rc = 0, err = 0;

    if (owed >= 2) {
        for (;;) {
            if (now_ms() - start > SETTLE_MAX_MS) {
                rc = -1;
                err = ETIMEDOUT;
                break;
            }
            sleep_ms(SETTLE_POLL_MS);
            read_host(r, &o);
            if (o.free != seen) {
                moved = true;
                stable = 0;
                seen = o.free;
                continue;
            }
            if (moved && ++stable >= SETTLE_STABLE)
                break;
        }
    }
    report(r, "settle", rc, err, NULL);
}

static void op_destroy(struct run *r, int k)
{
    struct ldom *d = k >= 0 ? &r->dom[k] : NULL;
    uint64_t before = r->o.free, tot = d && d->live ? d->tot : 0;
    char name[16], desc[64];
    int rc, err;

    target_name(k, name, sizeof(name));
    errno = 0;
    rc = xc_domain_destroy(r->xch, target_id(r, k));
    err = errno;
    snprintf(desc, sizeof(desc), "destroy %s", name);
    report(r, desc, rc, err, NULL);
    if (rc == 0 && d && d->live) {
        d->live = false;
        op_settle(r, (int64_t)(before + tot + d->xen_taken) -
                     (int64_t)r->o.free);
    }
}

/* Destroy every live domain of the sequence, and say it ended. */
static void seq_end(struct run *r)
{
    unsigned int k;

    for (k = 0; k < r->ndom; k++)
        if (r->dom[k].live)
            op_destroy(r, (int)k);
    report(r, "end", 0, 0, NULL);
}

/* free - outstanding as last seen, never below 0. */
static uint64_t unclaimed(const struct run *r)
{
    return r->o.free > r->o.out ? r->o.free - r->o.out : 0;
}

/* ---- focused sequences ------------------------------------------------- */

/* claims.md's example: frees re-grow a live claim (4.17), not upstream. */
static void f_claim_free(struct run *r)
{
    int a;

    seq_begin(r, "f-claim-free", 1);
    a = op_create(r);
    if (a < 0)
        goto out;
    op_setmaxmem(r, a, 12000);
    op_populate(r, a, 0, 1000);
    op_claim(r, a, 11000);
    op_populate(r, a, 0, 3000);
    op_decrease(r, a, 500);
    op_decrease(r, a, 3500);
    op_populate(r, a, 0, 10000);
    op_populate(r, a, 0, 1000);
    op_decrease(r, a, 100);
    op_claim(r, a, 0);
    op_claim(r, a, 11000);
    op_populate(r, a, ORDER9, 2);
    op_decrease(r, a, 1);
    op_claim(r, a, 0);
 out:
    seq_end(r);
}

/* A populate beyond max_pages while a claim is live. */
static void f_beyond_max(struct run *r)
{
    int a;

    seq_begin(r, "f-beyond-max", 2);
    a = op_create(r);
    if (a < 0)
        goto out;
    op_setmaxmem(r, a, 1000);
    op_claim(r, a, 1000);
    op_populate(r, a, ORDER9, 1);
    op_populate(r, a, ORDER9, 1);
    op_populate(r, a, 0, 600);
    op_populate(r, a, 0, 1);
    op_claim(r, a, 0);
    op_setmaxmem(r, a, 2000);
    op_claim(r, a, 1800);
    op_setmaxmem(r, a, 1100);
    op_populate(r, a, 0, 200);
    op_populate(r, a, ORDER9, 1);
    op_setmaxmem(r, a, 500);
    op_populate(r, a, 0, 1);
    op_decrease(r, a, 1);
    op_claim(r, a, 0);
 out:
    seq_end(r);
}

/*
 * Order 9 at the end of a claim: a filler leaves 2,000 pages free, the
 * claimer claims 1,700 of them (300 unclaimed), draws its claim to 488:
 * an order-9 request is denied, 488 order-0 pages are served.
 */
static void f_order9_end(struct run *r)
{
    uint64_t fill;
    int a, b;

    seq_begin(r, "f-order9-end", 3);
    a = op_create(r);
    b = op_create(r);
    if (a < 0 || b < 0)
        goto out;
    op_setmaxmem(r, a, r->o.total);
    op_setmaxmem(r, b, r->o.total);
    /* Superpages while plenty is free, the last 16 MiB page by page. */
    fill = r->o.free > 2000 + 4096 ? r->o.free - 2000 - 4096 : 0;
    if (fill >= SUPER)
        op_populate(r, a, ORDER9, fill / SUPER);
    fill = r->o.free > 2000 ? r->o.free - 2000 : 0;
    op_populate(r, a, 0, fill);
    op_claim(r, b, 1700);
    op_populate(r, b, 0, 1212);
    op_populate(r, b, ORDER9, 1);
    op_populate(r, a, ORDER9, 1);
    op_populate(r, b, 0, 488);
    op_populate(r, b, 0, 1);
    op_populate(r, a, 0, 1);
    op_decrease(r, b, 100);
    op_claim(r, b, 0);
 out:
    seq_end(r);
}

/*
 * Creating a domain needs unclaimed pages of Xen's own: none, 13 and 14
 * left unclaimed; ids after a failed creation.
 */
static void f_create_claimed(struct run *r)
{
    int a, k;

    seq_begin(r, "f-create-claimed", 4);
    a = op_create(r);
    if (a < 0)
        goto out;
    op_setmaxmem(r, a, r->o.total);
    op_claim(r, a, unclaimed(r));
    op_create(r);
    op_create(r);
    op_claim(r, a, 0);
    op_create(r);
    for (k = 0; k < 3; k++) {
        op_claim(r, a, r->dom[a].tot + unclaimed(r) - 13);
        op_create(r);
        op_claim(r, a, 0);
        op_claim(r, a, r->dom[a].tot + unclaimed(r) - 14);
        op_create(r);
        op_claim(r, a, 0);
    }
    op_populate(r, a, 0, 100);
    op_claim(r, a, r->dom[a].tot + unclaimed(r));
    op_populate(r, a, 0, 100);
    op_decrease(r, a, 50);
    op_create(r);
 out:
    seq_end(r);
}

/* Every errno case of claims.md, and calls on domains that do not exist. */
static void calls_on(struct run *r, int k)
{
    op_setmaxmem(r, k, 256);
    op_destroy(r, k);
    op_claim(r, k, 16);
    op_claim(r, k, 0);
    op_populate(r, k, 0, 1);
    op_populate(r, k, ORDER9, 1);
    op_decrease(r, k, 0);
    op_decrease(r, k, 1);
}

static void f_errno(struct run *r)
{
    uint64_t avail;
    int a, b, c;

    seq_begin(r, "f-errno", 5);
    calls_on(r, -1);
    a = op_create(r);
    b = op_create(r);
    if (a < 0 || b < 0)
        goto out;
    op_claim(r, a, 1);
    op_claim(r, a, 0);
    op_setmaxmem(r, a, 256);
    op_claim(r, a, 0);
    op_claim(r, a, 256);
    op_claim(r, a, 256);
    op_claim(r, a, 100);
    op_claim(r, a, 0);
    op_claim(r, a, 257);
    op_populate(r, a, 0, 3);
    op_claim(r, a, 3);
    op_claim(r, a, 2);
    op_claim(r, a, 4);
    op_populate(r, a, 0, 1);
    op_claim(r, a, 10);
    op_claim(r, a, 0);
    /* The ENOMEM limit is exactly free minus outstanding. */
    op_claim(r, a, r->dom[a].tot + 100);
    op_setmaxmem(r, b, r->o.total);
    avail = unclaimed(r);
    op_claim(r, b, avail + 1);
    op_claim(r, b, avail);
    op_claim(r, b, 0);
    op_claim(r, b, avail);
    /* Destroy releases the claim; then every call on the dead domain. */
    op_destroy(r, b);
    calls_on(r, b);
    c = op_create(r);
    if (c >= 0) {
        op_destroy(r, c);
        op_destroy(r, c);
    }
    op_claim(r, a, 0);
 out:
    seq_end(r);
}

/* ---- random sequences -------------------------------------------------- */

/* A live domain at random, or -1. */
static int pick_live(struct run *r)
{
    int live[MAX_LOG], n = 0;
    unsigned int k;

    for (k = 0; k < r->ndom; k++)
        if (r->dom[k].live)
            live[n++] = (int)k;
    return n ? live[below(r, (uint64_t)n)] : -1;
}

/* A destroyed domain at random, else the one that never existed. */
static int pick_gone(struct run *r)
{
    int gone[MAX_LOG], n = 0;
    unsigned int k;

    for (k = 0; k < r->ndom; k++)
        if (r->dom[k].made && !r->dom[k].live)
            gone[n++] = (int)k;
    return n && below(r, 4) ? gone[below(r, (uint64_t)n)] : -1;
}

static unsigned int nr_live(const struct run *r)
{
    unsigned int k, n = 0;

    for (k = 0; k < r->ndom; k++)
        n += r->dom[k].live;
    return n;
}

static void random_claim(struct run *r, int k)
{
    struct ldom *d = &r->dom[k];
    uint64_t room = d->max > d->tot ? d->max - d->tot : 0;

    switch (below(r, 8)) {
    case 0: op_claim(r, k, 0); break;
    case 1: op_claim(r, k, d->tot); break;
    case 2: op_claim(r, k, d->max + 1); break;
    case 3: op_claim(r, k, d->tot + unclaimed(r)); break;
    case 4: op_claim(r, k, d->tot + unclaimed(r) + 1); break;
    case 5:
        op_claim(r, k, d->tot + (unclaimed(r) > 13 ? unclaimed(r) - 13 : 1));
        break;
    default: op_claim(r, k, d->tot + 1 + below(r, room ? room : 1)); break;
    }
}

static void random_setmaxmem(struct run *r, int k)
{
    struct ldom *d = &r->dom[k];

    switch (below(r, 5)) {
    case 0: op_setmaxmem(r, k, r->o.total); break;
    case 1: op_setmaxmem(r, k, below(r, 8192)); break;
    case 2: op_setmaxmem(r, k, d->tot); break;
    default: op_setmaxmem(r, k, d->tot + below(r, 4096)); break;
    }
}

static void random_populate(struct run *r, int k)
{
    switch (below(r, 6)) {
    case 0: op_populate(r, k, ORDER9, 1 + below(r, 4)); break;
    case 1: op_populate(r, k, ORDER9, 1 + below(r, 32)); break;
    default: op_populate(r, k, 0, 1 + below(r, 600)); break;
    }
}

static void random_gone(struct run *r)
{
    int k = pick_gone(r);

    switch (below(r, 6)) {
    case 0: op_setmaxmem(r, k, 1 + below(r, 4096)); break;
    case 1: op_destroy(r, k); break;
    case 2: op_claim(r, k, below(r, 3) ? 1 + below(r, 4096) : 0); break;
    case 3: op_populate(r, k, 0, 1 + below(r, 8)); break;
    default: op_decrease(r, k, below(r, 2)); break;
    }
}

static void random_seq(struct run *r, uint64_t seed, unsigned int steps)
{
    char name[32];
    unsigned int i, w;
    int k;

    snprintf(name, sizeof(name), "r%" PRIu64, seed);
    seq_begin(r, name, seed * 0x100000001b3ull + 1);
    for (i = 0; i < steps; i++) {
        k = pick_live(r);
        w = (unsigned int)below(r, 100);
        if (k < 0 || (w < 12 && nr_live(r) < MAX_LIVE && r->ndom < MAX_LOG)) {
            op_create(r);
        } else if (w < 22) {
            random_setmaxmem(r, k);
        } else if (w < 46) {
            random_claim(r, k);
        } else if (w < 72) {
            random_populate(r, k);
        } else if (w < 86) {
            if (r->dom[k].n_ext)
                op_decrease(r, k, 1 + below(r, 400));
            else
                random_populate(r, k);
        } else if (w < 93) {
            op_destroy(r, k);
        } else {
            random_gone(r);
        }
    }
    seq_end(r);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;

    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno || end == s || *end ? -1 : 0;
}

static int cmd_run(int argc, char **argv)
{
    static struct run r;
    uint64_t first = 1, count = 20, steps = 40, s;
    const char *only = NULL;
    char *colon;
    int i;

    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
            colon = strchr(argv[++i], ':');
            if (!colon)
                goto usage;
            *colon = '\0';
            if (parse_u64(argv[i], &first) || parse_u64(colon + 1, &count))
                goto usage;
        } else if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
            if (parse_u64(argv[++i], &steps))
                goto usage;
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
            if (strcmp(only, "focused") && strcmp(only, "random"))
                goto usage;
        } else {
            goto usage;
        }
    }

    r.xch = xc_interface_open(NULL, NULL, 0);
    if (!r.xch)
        die("xc_interface_open");
    read_host(&r, &r.o);
    /* What the mock needs to match this host, and what was run. */
    printf("host.0 physinfo total=%" PRIu64 " free=%" PRIu64 " out=%" PRIu64
           "\n", r.o.total, r.o.free, r.o.out);
    printf("run.0 args seeds=%" PRIu64 ":%" PRIu64 " steps=%" PRIu64
           " only=%s\n", first, count, steps, only ? only : "all");
    fflush(stdout);

    if (!only || !strcmp(only, "focused")) {
        f_errno(&r);
        f_claim_free(&r);
        f_beyond_max(&r);
        f_create_claimed(&r);
        f_order9_end(&r);
    }
    if (!only || !strcmp(only, "random"))
        for (s = first; s < first + count; s++)
            random_seq(&r, s, (unsigned int)steps);
    for (i = 0; i < MAX_LOG; i++)
        free(r.dom[i].ext);
    xc_interface_close(r.xch);
    return 0;

 usage:
    fprintf(stderr, "usage: xcdiff run [--seeds FIRST:COUNT] [--steps N] "
            "[--only focused|random]\n");
    return 2;
}

/* ---- the comparer ------------------------------------------------------ */

/* One parsed step line. */
struct line {
    char text[LINE_MAX_LEN];
    char seq[64];
    char op[32];
    char target[32];            /* the op's first argument */
    long rc;
    bool has_free;
    uint64_t free;
    char rest[LINE_MAX_LEN];    /* the line with the free figure cut out */
};

/* Every step line of one file. */
struct file {
    const char *path;
    const char *name;
    struct line *lines;
    size_t n;
};

/* Parse one step line. */
static void parse_line(struct line *l)
{
    char *p, *q, *dot, *eq;
    size_t n;

    memset(l->seq, 0, sizeof(l->seq));
    memset(l->op, 0, sizeof(l->op));
    memset(l->target, 0, sizeof(l->target));
    dot = strchr(l->text, '.');
    n = dot ? (size_t)(dot - l->text) : 0;
    if (n >= sizeof(l->seq))
        n = sizeof(l->seq) - 1;
    memcpy(l->seq, l->text, n);
    sscanf(l->text, "%*s %31s %31s", l->op, l->target);
    eq = strstr(l->text, " = ");
    l->rc = eq ? strtol(eq + 3, NULL, 10) : 0;
    /* The free figure apart, the rest compared as text. */
    l->has_free = false;
    p = strstr(l->text, " free=");
    if (p) {
        l->has_free = true;
        l->free = strtoull(p + 6, &q, 10);
        n = (size_t)(p - l->text);
        memcpy(l->rest, l->text, n);
        snprintf(l->rest + n, sizeof(l->rest) - n, " free=*%s", q);
    } else {
        snprintf(l->rest, sizeof(l->rest), "%s", l->text);
    }
}

/* Read every step line (comments and blank lines skipped).  0 or -1. */
static int read_file(struct file *fl)
{
    char buf[LINE_MAX_LEN];
    struct line *l;
    size_t cap = 0, len;
    FILE *f = fopen(fl->path, "r");

    if (!f)
        return -1;
    while (fgets(buf, sizeof(buf), f)) {
        len = strlen(buf);
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if (!len || buf[0] == '#')
            continue;
        if (fl->n == cap) {
            cap = cap ? 2 * cap : 1024;
            l = realloc(fl->lines, cap * sizeof(*l));
            if (!l) {
                fclose(f);
                return -1;
            }
            fl->lines = l;
        }
        l = &fl->lines[fl->n++];
        snprintf(l->text, sizeof(l->text), "%s", buf);
        parse_line(l);
    }
    fclose(f);
    return 0;
}

/* The index of the first line of sequence seq in fl, or fl->n. */
static size_t seq_start(const struct file *fl, const char *seq)
{
    size_t i;

    for (i = 0; i < fl->n; i++)
        if (!strcmp(fl->lines[i].seq, seq))
            return i;
    return fl->n;
}

static size_t seq_len(const struct file *fl, size_t i)
{
    size_t j = i;

    while (j < fl->n && !strcmp(fl->lines[j].seq, fl->lines[i].seq))
        j++;
    return j - i;
}

/*
 * What the comparer follows along one sequence, from file A's lines (they
 * agree with B's up to the line compared): the previous line, and the
 * pages Xen holds for the sequence's domains (what their creations took,
 * less what their destroys gave back late).
 */
struct seqstate {
    const struct line *prev;
    uint64_t xen_out;
};

/* dK's tot_pages on line l: 0 if l does not list dK. */
static uint64_t dom_tot(const struct line *l, const char *target)
{
    char key[40];
    const char *p;

    snprintf(key, sizeof(key), " %s=", target);
    p = strstr(l->text, key);
    if (!p)
        return 0;
    p += strlen(key);
    if (!strncmp(p, "dying:", 6))
        p += 6;
    return strtoull(p, NULL, 10);
}

/*
 * Compare line a of A with line b of B (a_next: A's next line, or NULL);
 * NULL when they agree, else why not.  Free pages must be equal, except
 * on the line of a destroy that worked: Xen gives a destroyed domain's
 * own pages back some time after the destroy returned (the next line,
 * "settle", waits for them and must agree), so there the runs may differ
 * by at most the Xen pages that came back late: free pages at the settle
 * less those before the destroy and the domain's own pages; and no more
 * can come back than Xen held for the sequence's domains.
 */
static const char *compare(struct seqstate *st, const struct line *a,
                           const struct line *a_next, const struct line *b,
                           char *why, size_t len)
{
    uint64_t diff, allowed = 0, late = 0, before, tot;
    bool destroy = !strcmp(a->op, "destroy") && a->rc == 0;

    if (strcmp(a->rest, b->rest)) {
        snprintf(why, len, "the lines differ");
        return why;
    }
    if (destroy && st->prev && st->prev->has_free && a_next &&
        !strcmp(a_next->op, "settle") && a_next->has_free) {
        before = st->prev->free;
        tot = dom_tot(st->prev, a->target);
        if (a_next->free > before + tot)
            late = a_next->free - before - tot;
        if (late > st->xen_out) {
            snprintf(why, len, "%" PRIu64 " pages came back after the "
                     "destroy, Xen held %" PRIu64, late, st->xen_out);
            return why;
        }
        allowed = late;
        st->xen_out -= late;
    }
    if (a->has_free && a->free != b->free) {
        diff = a->free > b->free ? a->free - b->free : b->free - a->free;
        if (diff > allowed) {
            snprintf(why, len, "free pages differ by %" PRIu64
                     " (allowed %" PRIu64 ")", diff, allowed);
            return why;
        }
    }
    /* What a creation took is Xen's. */
    if (!strcmp(a->op, "create") && a->rc == 0 && st->prev &&
        st->prev->has_free && a->has_free && st->prev->free > a->free)
        st->xen_out += st->prev->free - a->free;
    st->prev = a;
    return NULL;
}

static void print_divergence(const char *seq, const char *why,
                             const struct file *fa, const struct line *a,
                             const struct file *fb, const struct line *b)
{
    printf("diverge %s: %s\n  %s: %s\n  %s: %s\n", seq, why, fa->name,
           a ? a->text : "(no such line)", fb->name,
           b ? b->text : "(no such line)");
}

/* Compare one sequence of A (from line i) with B's.  true if the same. */
static bool cmp_seq(const struct file *fa, size_t i, const struct file *fb)
{
    static struct seqstate st;
    const char *seq = fa->lines[i].seq;
    size_t na = seq_len(fa, i), j = seq_start(fb, seq), nb, s;
    const struct line *a, *b;
    char why[128];

    memset(&st, 0, sizeof(st));
    nb = j < fb->n ? seq_len(fb, j) : 0;
    for (s = 0; s < na || s < nb; s++) {
        a = s < na ? &fa->lines[i + s] : NULL;
        b = s < nb ? &fb->lines[j + s] : NULL;
        if (!a || !b) {
            print_divergence(seq, "a step is missing on one side", fa, a,
                             fb, b);
            return false;
        }
        if (compare(&st, a, s + 1 < na ? &fa->lines[i + s + 1] : NULL, b,
                    why, sizeof(why))) {
            print_divergence(seq, why, fa, a, fb, b);
            return false;
        }
    }
    printf("same %s %zu\n", seq, na);
    return true;
}

static int cmd_cmp(int argc, char **argv)
{
    static struct file fa, fb;
    const char *names = "a,b";
    unsigned int nseq = 0, ndiv = 0;
    size_t i, n;
    int k = 0;

    if (argc >= 2 && !strcmp(argv[0], "--names")) {
        names = argv[1];
        k = 2;
    }
    if (argc - k != 2 || !strchr(names, ',')) {
        fprintf(stderr, "usage: xcdiff cmp [--names A,B] FILE_A FILE_B\n");
        return 2;
    }
    fa.path = argv[k];
    fb.path = argv[k + 1];
    if (read_file(&fa) || read_file(&fb)) {
        fprintf(stderr, "xcdiff: cannot read %s or %s\n", fa.path,
                fb.path);
        return 2;
    }
    n = (size_t)(strchr(names, ',') - names);
    fa.name = strndup(names, n);
    fb.name = names + n + 1;

    /* Every sequence of A, in A's order, against B's of the same name. */
    for (i = 0; i < fa.n; i += seq_len(&fa, i)) {
        nseq++;
        ndiv += !cmp_seq(&fa, i, &fb);
    }
    /* Sequences only B has. */
    for (i = 0; i < fb.n; i += seq_len(&fb, i)) {
        if (seq_start(&fa, fb.lines[i].seq) < fa.n)
            continue;
        nseq++;
        ndiv++;
        print_divergence(fb.lines[i].seq, "a sequence is missing on one "
                         "side", &fa, NULL, &fb, &fb.lines[i]);
    }
    printf("sequences %u diverged %u\n", nseq, ndiv);
    free(fa.lines);
    free(fb.lines);
    free((char *)fa.name);
    return ndiv ? 1 : 0;
}

/* The host line alone, as run prints it first. */
static int cmd_host(void)
{
    static struct run r;

    r.xch = xc_interface_open(NULL, NULL, 0);
    if (!r.xch)
        die("xc_interface_open");
    read_host(&r, &r.o);
    printf("host.0 physinfo total=%" PRIu64 " free=%" PRIu64 " out=%" PRIu64
           "\n", r.o.total, r.o.free, r.o.out);
    xc_interface_close(r.xch);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "host"))
        return cmd_host();
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return cmd_run(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "cmp"))
        return cmd_cmp(argc - 2, argv + 2);
    fprintf(stderr, "usage: xcdiff run [--seeds FIRST:COUNT] [--steps N] "
            "[--only focused|random]\n"
            "       xcdiff cmp [--names A,B] FILE_A FILE_B\n"
            "       xcdiff host\n");
    return 2;
}
