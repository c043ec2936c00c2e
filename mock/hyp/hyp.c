/* hyp.c: the mock hypervisor's hypercalls over hv/, its heap and per-domain p2m maps. */
/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/mm.h>
#include <xen/sched.h>
#include <public/memory.h>

#include "hv/page_claim.h"
#include "hvhost/hvhost.h"
#include "hyp.h"

#define P2M_LEAF_BITS   9
#define P2M_MID_BITS    9
#define P2M_LEAF        (1u << P2M_LEAF_BITS)
#define P2M_MID         (1u << P2M_MID_BITS)
#define P2M_TOP_SHIFT   (P2M_LEAF_BITS + P2M_MID_BITS)
#define P2M_MAX_GFN     (1ULL << 40)

/* 4.17: Xen's small-allocation pool (xp_alloc()). */
#define XP_HDR          16u             /* a block's header */
#define XP_REGION       (4096u - 2 * XP_HDR)    /* a fresh region's block */
#define XP_SMALL        128u            /* below: one class per 4 bytes */
#define XP_CLASSES      (6u * 32u)      /* classes up to XP_REGION */
/* 4.17: small allocations per domain (take_xen_pages()). */
#define XEN417_PIECES   17
#define ARRAY_LEN(a)    (sizeof(a) / sizeof((a)[0]))

/* gfn -> mfn + 1 (0: nothing mapped), a three-level table. */
struct p2m {
    uint64_t ***top;
    size_t top_len;
    uint64_t mapped;            /* pages mapped */
    uint64_t high;              /* one above the highest gfn ever mapped */
};

struct hyp_dom {
    pthread_mutex_t p2m_lock;   /* protects p2m; taken before hv's locks */
    struct p2m p2m;
    char name[HYP_NAME_MAX];
    bool paused;
    uint64_t created_ns;
    uint8_t handle[16];
    struct page_info **xen_pages;   /* Xen's own pages for this domain */
    unsigned int nr_xen_pages;
    struct xp_block *piece[XEN417_PIECES];  /* 4.17: in Xen's pool */
    struct hyp_dom *next_deferred;  /* 4.17: in hyp.deferred */
    uint64_t due_ns;            /* 4.17: when its Xen pages come back */
};

/* 4.17: a block of Xen's small-allocation pool, in its one-page region. */
struct xp_block {
    struct xp_block *prev, *next;   /* neighbours in the region */
    struct xp_block *fprev, *fnext; /* in its free list */
    struct page_info *pg;           /* the region's page */
    unsigned int size;              /* bytes, header not counted */
    bool free;
};

static struct {
    bool ready;
    struct hyp_config cfg;
    pthread_mutex_t lock;           /* hdoms[], names, next_domid */
    struct hyp_dom *hdoms[HVH_MAX_DOMID + 1];
    uint32_t next_domid;
    /* 4.17: Xen's small-allocation pool: free blocks by class (lock). */
    struct xp_block *xp_free[XP_CLASSES];
    /* 4.17: destroyed domains whose Xen pages are still out, by due time. */
    pthread_mutex_t deferred_lock;
    struct hyp_dom *deferred, **deferred_tail;
    _Atomic unsigned int nr_deferred;
    _Atomic uint64_t offline_pages;
    uint64_t (*clock)(void *);
    void *clock_opaque;
} hyp = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .deferred_lock = PTHREAD_MUTEX_INITIALIZER,
    .deferred_tail = &hyp.deferred,
};

/* ---- p2m ------------------------------------------------------------ */

static uint64_t *p2m_slot(struct p2m *m, uint64_t gfn, bool alloc)
{
    size_t t = gfn >> P2M_TOP_SHIFT;
    unsigned int mid = (gfn >> P2M_LEAF_BITS) & (P2M_MID - 1);
    uint64_t ***top;

    if (gfn >= P2M_MAX_GFN)
        return NULL;
    if (t >= m->top_len) {
        size_t len = m->top_len ? m->top_len : 1;

        if (!alloc)
            return NULL;
        while (len <= t)
            len *= 2;
        top = realloc(m->top, len * sizeof(*top));
        if (!top)
            return NULL;
        memset(top + m->top_len, 0, (len - m->top_len) * sizeof(*top));
        m->top = top;
        m->top_len = len;
    }
    if (!m->top[t]) {
        if (!alloc || !(m->top[t] = calloc(P2M_MID, sizeof(uint64_t *))))
            return NULL;
    }
    if (!m->top[t][mid]) {
        if (!alloc || !(m->top[t][mid] = calloc(P2M_LEAF, sizeof(uint64_t))))
            return NULL;
    }
    return &m->top[t][mid][gfn & (P2M_LEAF - 1)];
}

static uint64_t p2m_get(struct p2m *m, uint64_t gfn)
{
    uint64_t *s = p2m_slot(m, gfn, false);

    return s ? *s : 0;
}

static void p2m_destroy(struct p2m *m)
{
    size_t t;
    unsigned int i;

    for (t = 0; t < m->top_len; t++) {
        if (!m->top[t])
            continue;
        for (i = 0; i < P2M_MID; i++)
            free(m->top[t][i]);
        free(m->top[t]);
    }
    free(m->top);
    memset(m, 0, sizeof(*m));
}

/*
 * Free every page mapped in gfns [gfn, gfn + nr), in the largest aligned
 * runs of contiguous frames; p2m_lock held.
 */
static void p2m_free_range(struct p2m *m, uint64_t gfn, uint64_t nr)
{
    uint64_t end = gfn + nr, mfn, *s;
    unsigned int order, k;
    bool run;

    while (gfn < end) {
        mfn = p2m_get(m, gfn);
        if (!mfn) {
            gfn++;
            continue;
        }
        mfn--;
        /* The largest order at which gfn and mfn are aligned and mapped. */
        for (order = HYP_MAX_ORDER; order > 0; order--) {
            uint64_t n = 1ULL << order;

            if ((gfn & (n - 1)) || (mfn & (n - 1)) || gfn + n > end)
                continue;
            run = true;
            for (k = 1; k < n && run; k++)
                run = p2m_get(m, gfn + k) == mfn + k + 1;
            if (run)
                break;
        }
        for (k = 0; k < (1u << order); k++) {
            s = p2m_slot(m, gfn + k, false);
            *s = 0;
        }
        m->mapped -= 1ULL << order;
        free_domheap_pages(hvh_mfn_to_page(mfn), order);
        gfn += 1ULL << order;
    }
}

/* ---- helpers -------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool is_xen417(void)
{
    return hyp.cfg.profile == HYP_PROFILE_XEN417;
}

static void hdom_free(struct hyp_dom *hd);

/*
 * 4.17: Xen's small allocations (xmalloc) live in a pool of one-page
 * regions, run as a two-level segregated fit: a block has a 16-byte
 * header, sizes are multiples of 16, a fresh region is one free block of
 * 4096 - 32 bytes.  Free blocks sit in lists by size class (below 128
 * bytes one class per 4 bytes; above, 32 classes per power of two), the
 * block freed last first in its list.  A request is rounded up to the
 * first size of the next class, and served by the first block of the
 * smallest non-empty class at or above it, split when the rest can hold
 * a header and 16 bytes; with none, a region is taken from the heap.  A
 * freed block merges with free neighbours, and a region wholly free goes
 * back to the heap.  Everything under hyp.lock.
 */
static unsigned int xp_class(unsigned int size)
{
    unsigned int fl;

    if (size < XP_SMALL)
        return size / 4;
    fl = 31u - (unsigned int)__builtin_clz(size);
    return (fl - 6) * 32 + ((size >> (fl - 5)) - 32);
}

/* The size a request is served as: 16 at least, rounded to its class. */
static unsigned int xp_round(unsigned int size)
{
    unsigned int t;

    size = size < 16 ? 16 : (size + 15) & ~15u;
    if (size < XP_SMALL)
        return size;
    t = (1u << (31u - (unsigned int)__builtin_clz(size) - 5)) - 1;
    return (size + t) & ~t;
}

static void xp_list_add(struct xp_block *b)
{
    struct xp_block **head = &hyp.xp_free[xp_class(b->size)];

    b->fprev = NULL;
    b->fnext = *head;
    if (*head)
        (*head)->fprev = b;
    *head = b;
    b->free = true;
}

static void xp_list_del(struct xp_block *b)
{
    if (b->fprev)
        b->fprev->fnext = b->fnext;
    else
        hyp.xp_free[xp_class(b->size)] = b->fnext;
    if (b->fnext)
        b->fnext->fprev = b->fprev;
    b->fprev = b->fnext = NULL;
    b->free = false;
}

/* A fresh region from the heap, one free block.  0 or -ENOMEM. */
static int xp_grow(void)
{
    struct xp_block *b = calloc(1, sizeof(*b));

    if (!b)
        return -ENOMEM;
    b->pg = alloc_domheap_pages(NULL, 0, 0);
    if (!b->pg) {
        free(b);
        return -ENOMEM;
    }
    b->size = XP_REGION;
    xp_list_add(b);
    return 0;
}

/*
 * Serve a request of size bytes.  Returns the block, or NULL when a new
 * region was needed and the heap refused it.
 */
static struct xp_block *xp_alloc(unsigned int size)
{
    struct xp_block *b = NULL, *rest;
    unsigned int c;

    size = xp_round(size);
    for (;;) {
        for (c = xp_class(size); c < XP_CLASSES && !hyp.xp_free[c]; c++)
            ;
        if (c < XP_CLASSES) {
            b = hyp.xp_free[c];
            break;
        }
        if (xp_grow())
            return NULL;
    }
    xp_list_del(b);
    if (b->size - size >= 2 * XP_HDR) {
        rest = calloc(1, sizeof(*rest));
        if (rest) {
            rest->size = b->size - size - XP_HDR;
            rest->pg = b->pg;
            rest->prev = b;
            rest->next = b->next;
            if (b->next)
                b->next->prev = rest;
            b->next = rest;
            b->size = size;
            xp_list_add(rest);
        }
    }
    return b;
}

/* Merge block b's free neighbour n (after it) into it. */
static void xp_merge(struct xp_block *b, struct xp_block *n)
{
    b->size += n->size + XP_HDR;
    b->next = n->next;
    if (n->next)
        n->next->prev = b;
    free(n);
}

/* Give a block back; NULL is nothing. */
static void xp_free(struct xp_block *b)
{
    struct xp_block *p;

    if (!b)
        return;
    if (b->next && b->next->free) {
        xp_list_del(b->next);
        xp_merge(b, b->next);
    }
    if (b->prev && b->prev->free) {
        p = b->prev;
        xp_list_del(p);
        xp_merge(p, b);
        b = p;
    }
    if (!b->prev && !b->next) {
        /* The whole region is free: its page goes back. */
        free_domheap_pages(b->pg, 0);
        free(b);
        return;
    }
    xp_list_add(b);
}

/*
 * One region as Xen 4.17's boot leaves it: blocks that stay taken, then
 * a free block of hole bytes at its end.  0, -ENOMEM, or -EINVAL when
 * hole cannot be carved that way.
 */
static int xp_boot_region(unsigned int hole)
{
    unsigned int head = XP_REGION - hole - XP_HDR;
    struct xp_block *b;

    if (hole < 16 || hole % 16 || hole > XP_REGION - XP_HDR - 16 ||
        xp_round(head) != head)
        return -EINVAL;
    if (xp_grow())
        return -ENOMEM;
    b = xp_alloc(head);
    if (!b || !b->next || !b->next->free || b->next->size != hole)
        return -EINVAL;
    return 0;
}

/*
 * The pool as Xen 4.17's boot leaves it, read from a real host's memory
 * (docs/profiles.md): of its regions, two have room, a free block of
 * 2608 bytes at the end of one and of 16 bytes at the end of another;
 * the others are full and never change.  0 or negative errno.
 */
static int xp_boot(void)
{
    static const unsigned int holes[] = { 2608, 16 };
    unsigned int i;
    int rc;

    for (i = 0; i < ARRAY_LEN(holes); i++) {
        rc = xp_boot_region(holes[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * 4.17: what a creation of the smallest PV domain (one vCPU slot, one
 * grant frame, no maptrack, event channel port 0) asks of Xen, in
 * order: whole pages (XS_PAGE) and small allocations (their sizes in
 * bytes as xmalloc gets them).  Xen 4.17.7's code, Debian's build:
 * struct domain; d->vcpu[]; the dirty cpumask (NR_CPUS = 256 bits); the
 * p2m (struct p2m_domain), its cpumask and log-dirty rangeset; the CPU
 * policy; the I/O port rangeset; shared_info; the GDT/LDT L1 page, the
 * CPUID masks (struct cpuidmasks) and the per-domain L3 and L2; the I/O
 * memory and IRQ rangesets; the event channel bucket and poll mask;
 * struct grant_table and its active, shared and status arrays, then 6
 * active frames and 1 shared frame; the console buffer; credit2's domain
 * data.  Everything up to the L2 is arch_domain_create()'s.
 */
enum xs_piece {
    XS_VCPUS, XS_DIRTY, XS_P2M, XS_P2M_DIRTY, XS_RS_LOGDIRTY, XS_POLICY,
    XS_RS_IOPORTS, XS_CPUIDMASKS, XS_RS_IOMEM, XS_RS_IRQ, XS_POLL, XS_GNT,
    XS_GNT_ACTIVE, XS_GNT_SHARED, XS_GNT_STATUS, XS_PBUF, XS_SCHED,
    XS_PAGE = -1,
};

static const unsigned short xs_size[XEN417_PIECES] = {
    [XS_VCPUS] = 8, [XS_DIRTY] = 32, [XS_P2M] = 680, [XS_P2M_DIRTY] = 32,
    [XS_RS_LOGDIRTY] = 96, [XS_POLICY] = 1976, [XS_RS_IOPORTS] = 96,
    [XS_CPUIDMASKS] = 40, [XS_RS_IOMEM] = 96, [XS_RS_IRQ] = 96,
    [XS_POLL] = 8, [XS_GNT] = 136, [XS_GNT_ACTIVE] = 48,
    [XS_GNT_SHARED] = 8, [XS_GNT_STATUS] = 8, [XS_PBUF] = 200,
    [XS_SCHED] = 128,
};

static const signed char xs_create[] = {
    XS_PAGE, XS_VCPUS, XS_DIRTY, XS_P2M, XS_P2M_DIRTY, XS_RS_LOGDIRTY,
    XS_POLICY, XS_RS_IOPORTS, XS_PAGE, XS_PAGE, XS_CPUIDMASKS, XS_PAGE,
    XS_PAGE, XS_RS_IOMEM, XS_RS_IRQ, XS_PAGE, XS_POLL, XS_GNT,
    XS_GNT_ACTIVE, XS_GNT_SHARED, XS_GNT_STATUS, XS_PAGE, XS_PAGE, XS_PAGE,
    XS_PAGE, XS_PAGE, XS_PAGE, XS_PAGE, XS_PBUF, XS_SCHED,
};

/* The order a destroyed domain's small allocations are freed in. */
static const signed char xs_destroy[XEN417_PIECES] = {
    XS_GNT_SHARED, XS_GNT_ACTIVE, XS_GNT_STATUS, XS_GNT, XS_POLICY,
    XS_RS_LOGDIRTY, XS_P2M_DIRTY, XS_P2M, XS_CPUIDMASKS, XS_SCHED,
    XS_POLL, XS_VCPUS, XS_PBUF, XS_RS_IRQ, XS_RS_IOMEM, XS_RS_IOPORTS,
    XS_DIRTY,
};

/*
 * The order of a failed creation's unwinding, from what it had taken.
 * Failed in arch_domain_create(): its own error path (the CPUID masks,
 * the CPU policy, the p2m's pieces), then domain_create()'s (the vCPU
 * array, the rangesets, the dirty cpumask).
 */
static const signed char xs_unwind_arch[] = {
    XS_CPUIDMASKS, XS_POLICY, XS_RS_LOGDIRTY, XS_P2M_DIRTY, XS_P2M,
    XS_VCPUS, XS_RS_IOPORTS, XS_DIRTY,
};

/*
 * Failed later: the grant table's own first when it failed there, then
 * domain_create()'s error path.
 */
static const signed char xs_unwind[XEN417_PIECES + 4] = {
    XS_GNT_SHARED, XS_GNT_ACTIVE, XS_GNT_STATUS, XS_GNT,
    XS_SCHED, XS_VCPUS, XS_POLICY, XS_RS_LOGDIRTY, XS_P2M_DIRTY, XS_P2M,
    XS_CPUIDMASKS, XS_GNT_SHARED, XS_GNT_ACTIVE, XS_GNT_STATUS, XS_GNT,
    XS_POLL, XS_PBUF, XS_RS_IRQ, XS_RS_IOMEM, XS_RS_IOPORTS, XS_DIRTY,
};

/* Free Xen's own pages for a domain and its small allocations. */
static void free_xen_pages_locked(struct hyp_dom *hd, const signed char *order,
                                  unsigned int n)
{
    unsigned int i;

    for (i = 0; i < hd->nr_xen_pages; i++)
        free_domheap_pages(hd->xen_pages[i], 0);
    hd->nr_xen_pages = 0;
    for (i = 0; i < n; i++) {
        xp_free(hd->piece[order[i]]);
        hd->piece[order[i]] = NULL;
    }
}

static void free_xen_pages(struct hyp_dom *hd)
{
    pthread_mutex_lock(&hyp.lock);
    free_xen_pages_locked(hd, xs_destroy, XEN417_PIECES);
    pthread_mutex_unlock(&hyp.lock);
}

/* One whole page of Xen's for hd.  0 or -ENOMEM. */
static int take_one_page(struct hyp_dom *hd)
{
    struct page_info *pg = alloc_domheap_pages(NULL, 0, 0);

    if (!pg)
        return -ENOMEM;
    hd->xen_pages[hd->nr_xen_pages++] = pg;
    return 0;
}

/*
 * Take Xen's own pages for a new domain (struct domain, its tables...),
 * anonymous allocations that claims can refuse: xen_pages_per_domain of
 * them.  0, or -ENOMEM with nothing taken; hyp.lock held.
 *
 * 4.17: N - 1 whole pages and the small allocations of xs_create[] in
 * Xen's pool (xp_alloc()), in Xen 4.17's order: a creation takes N pages
 * when its small allocations need a fresh region, fewer when they fit in
 * room other domains left, and a destroy gives back its whole pages and
 * the regions it was the last user of.  With N = 14 (13 whole pages, as
 * Xen 4.17 takes) this gives what Xen 4.17 does (docs/profiles.md).
 */
static int take_xen_pages(struct hyp_dom *hd)
{
    unsigned int n = hyp.cfg.xen_pages_per_domain, own = n, i;
    int k, grant_at = -1;
    bool arch_done = false;

    if (!n)
        return 0;
    if (is_xen417())
        own = n - 1;
    hd->xen_pages = calloc(own ? own : 1, sizeof(*hd->xen_pages));
    if (!hd->xen_pages)
        return -ENOMEM;
    for (i = 0; is_xen417() && i < ARRAY_LEN(xs_create); i++) {
        k = xs_create[i];
        if (k == XS_RS_IOMEM)
            arch_done = true;
        if (k == XS_GNT)
            grant_at = (int)i;
        if (k == XS_PBUF)
            grant_at = -1;
        if (k == XS_PAGE) {
            if (hd->nr_xen_pages < own && take_one_page(hd))
                goto fail;
        } else if (!(hd->piece[k] = xp_alloc(xs_size[k]))) {
            goto fail;
        }
    }
    while (hd->nr_xen_pages < own)
        if (take_one_page(hd))
            goto fail;
    return 0;

 fail:
    if (!arch_done)
        free_xen_pages_locked(hd, xs_unwind_arch, ARRAY_LEN(xs_unwind_arch));
    else if (grant_at >= 0)
        free_xen_pages_locked(hd, xs_unwind, ARRAY_LEN(xs_unwind));
    else
        free_xen_pages_locked(hd, xs_unwind + 4, ARRAY_LEN(xs_unwind) - 4);
    return -ENOMEM;
}

/*
 * 4.17: Xen frees a destroyed domain's own pages (struct domain, its
 * tables...) in an RCU callback, some time after the destroy returned.
 * Queue them; a later call gives them back (reap_deferred()).
 */
static void defer_xen_pages(struct hyp_dom *hd)
{
    hd->due_ns = now_ns() + hyp.cfg.xen_free_delay_ms * 1000000ULL;
    hd->next_deferred = NULL;
    pthread_mutex_lock(&hyp.deferred_lock);
    *hyp.deferred_tail = hd;
    hyp.deferred_tail = &hd->next_deferred;
    atomic_fetch_add(&hyp.nr_deferred, 1);
    pthread_mutex_unlock(&hyp.deferred_lock);
}

/*
 * 4.17: at the start of a call, give back the Xen pages of every destroyed
 * domain whose time has come (the queue is in due order: one delay).
 */
static void reap_deferred(void)
{
    struct hyp_dom *due = NULL, **tail = &due, *hd;
    uint64_t now;

    if (!atomic_load(&hyp.nr_deferred))
        return;
    now = now_ns();
    pthread_mutex_lock(&hyp.deferred_lock);
    while ((hd = hyp.deferred) && hd->due_ns <= now) {
        hyp.deferred = hd->next_deferred;
        if (!hyp.deferred)
            hyp.deferred_tail = &hyp.deferred;
        hd->next_deferred = NULL;
        *tail = hd;
        tail = &hd->next_deferred;
        atomic_fetch_sub(&hyp.nr_deferred, 1);
    }
    pthread_mutex_unlock(&hyp.deferred_lock);
    while ((hd = due)) {
        due = hd->next_deferred;
        free_xen_pages(hd);
        hdom_free(hd);
    }
}

/*
 * Enter a call: the caller's domain becomes `current` on its CPU.
 * -ESRCH when the caller's domain does not exist, -EINVAL for a bad CPU.
 */
static int enter(const struct hyp_caller *c, struct domain **caller)
{
    struct domain *d;

    if (!hyp.ready)
        return -ENODEV;
    if (c->cpu >= hyp.cfg.nr_cpus)
        return -EINVAL;
    /* 4.17: pages of destroyed domains that are due come back first. */
    reap_deferred();
    /* The caller names itself: DOMID_SELF or a reserved id is no one. */
    if (c->domid > HVH_MAX_DOMID)
        return -ESRCH;
    d = rcu_lock_domain_by_id(c->domid);
    if (!d)
        return -ESRCH;
    hvh_set_current(d, c->cpu);
    *caller = d;
    return 0;
}

static void leave(struct domain *caller)
{
    rcu_unlock_domain(caller);
}

static int enter_priv(const struct hyp_caller *c, struct domain **caller)
{
    int rc = enter(c, caller);

    if (rc)
        return rc;
    if (!is_control_domain(*caller)) {
        leave(*caller);
        return -EPERM;
    }
    return 0;
}

/* The target domain of a memory op, with a reference; NULL if none. */
static struct domain *target(struct domain *caller, uint32_t domid,
                             struct hyp_dom **hd)
{
    struct domain *d;

    if (domid == HYP_DOMID_SELF)
        domid = caller->domain_id;
    if (domid > HVH_MAX_DOMID)
        return NULL;
    d = rcu_lock_domain_by_id(domid);
    if (!d)
        return NULL;
    pthread_mutex_lock(&hyp.lock);
    *hd = hyp.hdoms[domid];
    pthread_mutex_unlock(&hyp.lock);
    if (!*hd) {
        rcu_unlock_domain(d);
        return NULL;
    }
    return d;
}

/* ---- set-up --------------------------------------------------------- */

static int populate_dom0(struct domain *d, struct hyp_dom *hd, uint64_t pages)
{
    uint64_t gfn = 0;
    unsigned int order;
    struct page_info *pg;
    uint64_t mfn, *s, k;

    while (gfn < pages) {
        order = pages - gfn >= 512 ? 9 : 0;
        pg = alloc_domheap_pages(d, order, 0);
        if (!pg && order) {
            order = 0;
            pg = alloc_domheap_pages(d, 0, 0);
        }
        if (!pg)
            return -ENOMEM;
        mfn = hvh_page_to_mfn(pg);
        for (k = 0; k < (1ULL << order); k++) {
            s = p2m_slot(&hd->p2m, gfn + k, true);
            if (!s)
                return -ENOMEM;
            *s = mfn + k + 1;
        }
        hd->p2m.mapped += 1ULL << order;
        gfn += 1ULL << order;
        hd->p2m.high = gfn;
    }
    return 0;
}

static struct hyp_dom *hdom_new(const char *name)
{
    struct hyp_dom *hd = calloc(1, sizeof(*hd));
    unsigned int i;

    if (!hd)
        return NULL;
    pthread_mutex_init(&hd->p2m_lock, NULL);
    snprintf(hd->name, sizeof(hd->name), "%s", name ? name : "");
    hd->created_ns = now_ns();
    for (i = 0; i < 16; i++)
        hd->handle[i] = (uint8_t)random();
    hd->handle[6] = (hd->handle[6] & 0x0f) | 0x40;
    hd->handle[8] = (hd->handle[8] & 0x3f) | 0x80;
    return hd;
}

static void hdom_free(struct hyp_dom *hd)
{
    if (!hd)
        return;
    p2m_destroy(&hd->p2m);
    free(hd->xen_pages);
    pthread_mutex_destroy(&hd->p2m_lock);
    free(hd);
}

int hyp_init(const struct hyp_config *cfg)
{
    struct hvh_config hc;
    struct hyp_dom *hd;
    struct domain *d0;
    unsigned int i;
    int rc;

    if (hyp.ready)
        return -EALREADY;
    if (!cfg->nr_nodes || cfg->nr_nodes > HYP_MAX_NODES || !cfg->nr_cpus ||
        cfg->nr_cpus > 256 || cfg->dom0_max_pages < cfg->dom0_pages ||
        cfg->dom0_max_pages > UINT32_MAX)
        return -EINVAL;
    if (cfg->profile != HYP_PROFILE_UPSTREAM &&
        cfg->profile != HYP_PROFILE_XEN417)
        return -EINVAL;

    memset(&hc, 0, sizeof(hc));
    hc.nr_nodes = cfg->nr_nodes;
    for (i = 0; i < cfg->nr_nodes; i++)
        hc.node_pages[i] = cfg->node_pages[i];
    hc.tmem_capacity = cfg->tmem_capacity;
    /* Before any page moves: the claim semantics the host follows. */
    claim_xen417_compat = cfg->profile == HYP_PROFILE_XEN417;
    rc = hvh_init(&hc);
    if (rc)
        return rc;
    hyp.cfg = *cfg;

    d0 = hvh_domain_create(0, true);
    hd = hdom_new("Domain-0");
    if (!d0 || !hd)
        return -ENOMEM;
    hyp.hdoms[0] = hd;
    hyp.next_domid = 1;
    hvh_set_current(d0, 0);
    domain_set_max_pages(d0, cfg->dom0_max_pages);
    rc = populate_dom0(d0, hd, cfg->dom0_pages);
    if (rc)
        return rc;
    /* 4.17: the pool region Xen's boot leaves with room in it. */
    if (is_xen417() && cfg->xen_pages_per_domain) {
        pthread_mutex_lock(&hyp.lock);
        rc = xp_boot();
        pthread_mutex_unlock(&hyp.lock);
        if (rc < 0)
            return rc;
    }
    hyp.ready = true;
    return 0;
}

const struct hyp_config *hyp_config(void)
{
    return &hyp.cfg;
}

void hyp_set_trace(hyp_trace_sink_fn *sink, void *opaque,
                   uint64_t (*clock)(void *opaque), void *clock_opaque)
{
    hvh_set_clock(clock, clock_opaque);
    hvh_set_trace_sink(sink, opaque);
}

int hyp_trace_enable(const struct hyp_caller *c, bool on)
{
    struct domain *caller;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    if (on)
        hvh_trace_start();
    else
        hvh_trace_stop();
    leave(caller);
    return 0;
}

int hyp_physinfo(const struct hyp_caller *c, struct hyp_physinfo *pi)
{
    static struct heap_totals t;    /* large: keep it off the stack */
    static pthread_mutex_t t_lock = PTHREAD_MUTEX_INITIALIZER;
    struct domain *caller;
    unsigned int i;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    memset(pi, 0, sizeof(*pi));
    pthread_mutex_lock(&t_lock);
    get_heap_totals(&t);
    pi->total_pages = hvh_nr_frames();
    pi->free_pages = t.free_pages;
    pi->outstanding_pages = t.outstanding;
    pi->freeable_pages = t.freeable_pages;
    pi->nr_nodes = t.nr_nodes;
    for (i = 0; i < t.nr_nodes && i < HYP_MAX_NODES; i++) {
        pi->node_free[i] = t.node_free[i];
        pi->node_size[i] = hyp.cfg.node_pages[i];
    }
    pthread_mutex_unlock(&t_lock);
    pi->nr_cpus = hyp.cfg.nr_cpus;
    pi->offline_pages = atomic_load(&hyp.offline_pages);
    pi->profile = hyp.cfg.profile;
    leave(caller);
    return 0;
}

/* ---- domctl --------------------------------------------------------- */

static bool name_taken(const char *name)
{
    unsigned int i;

    if (!name || !*name)
        return false;
    for (i = 0; i <= HVH_MAX_DOMID; i++)
        if (hyp.hdoms[i] && !strcmp(hyp.hdoms[i]->name, name))
            return true;
    return false;
}

int hyp_domain_create(const struct hyp_caller *c, uint32_t *domid,
                      const char *name)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    uint32_t id;
    unsigned int tries;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    if (name && strlen(name) >= HYP_NAME_MAX) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    hd = hdom_new(name);
    if (!hd) {
        rc = -ENOMEM;
        goto out;
    }

    pthread_mutex_lock(&hyp.lock);
    if (name_taken(name)) {
        pthread_mutex_unlock(&hyp.lock);
        hdom_free(hd);
        rc = -EEXIST;
        goto out;
    }
    if (*domid) {
        id = *domid;
        if (id > HVH_MAX_DOMID || hyp.hdoms[id]) {
            pthread_mutex_unlock(&hyp.lock);
            hdom_free(hd);
            rc = id > HVH_MAX_DOMID ? -EINVAL : -EEXIST;
            goto out;
        }
    } else {
        /* Ids increase and are not reused at once, as Xen hands them out. */
        id = hyp.next_domid;
        for (tries = 0; tries < HVH_MAX_DOMID && hyp.hdoms[id]; tries++)
            id = id >= HVH_MAX_DOMID ? 1 : id + 1;
        if (hyp.hdoms[id]) {
            pthread_mutex_unlock(&hyp.lock);
            hdom_free(hd);
            rc = -ENOSPC;
            goto out;
        }
    }

    /*
     * 4.17: Xen's domctl moves its id rover before creating the domain,
     * so an id handed out is used up even if the creation fails.
     */
    if (!*domid && is_xen417())
        hyp.next_domid = id >= HVH_MAX_DOMID ? 1 : id + 1;

    rc = take_xen_pages(hd);
    if (rc) {
        pthread_mutex_unlock(&hyp.lock);
        hdom_free(hd);
        goto out;
    }

    d = hvh_domain_create(id, false);
    if (!d) {
        rc = -errno;
        free_xen_pages_locked(hd, xs_unwind + 4, ARRAY_LEN(xs_unwind) - 4);
        pthread_mutex_unlock(&hyp.lock);
        hdom_free(hd);
        goto out;
    }
    /* New domains start paused, as Xen creates them; the builder unpauses. */
    hd->paused = true;
    hyp.hdoms[id] = hd;
    if (!*domid)
        hyp.next_domid = id >= HVH_MAX_DOMID ? 1 : id + 1;
    pthread_mutex_unlock(&hyp.lock);
    *domid = id;

 out:
    leave(caller);
    return rc;
}

int hyp_domain_destroy(const struct hyp_caller *c, uint32_t domid)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    if (domid == 0 || domid == caller->domain_id) {
        rc = -EPERM;
        goto out;
    }
    d = target(caller, domid, &hd);
    if (!d) {
        rc = -ESRCH;
        goto out;
    }
    if (d->is_dying) {
        /* Someone else is destroying it. */
        rcu_unlock_domain(d);
        rc = -ESRCH;
        goto out;
    }
    hvh_domain_kill(d);

    pthread_mutex_lock(&hd->p2m_lock);
    p2m_free_range(&hd->p2m, 0, hd->p2m.high);
    pthread_mutex_unlock(&hd->p2m_lock);
    rcu_unlock_domain(d);

    rc = hvh_domain_destroy(d);
    if (rc)
        goto out;

    pthread_mutex_lock(&hyp.lock);
    hyp.hdoms[domid] = NULL;
    pthread_mutex_unlock(&hyp.lock);
    /* 4.17: Xen's own pages for it come back after this call returns. */
    if (is_xen417()) {
        defer_xen_pages(hd);
        goto out;
    }
    free_xen_pages(hd);
    hdom_free(hd);

 out:
    leave(caller);
    return rc;
}

int hyp_domain_setmaxmem(const struct hyp_caller *c, uint32_t domid,
                         uint64_t max_kb)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    d = target(caller, domid, &hd);
    if (!d) {
        rc = -ESRCH;
        goto out;
    }
    domain_set_max_pages(d, max_kb >> 2);
    rcu_unlock_domain(d);
 out:
    leave(caller);
    return rc;
}

int hyp_domain_pause(const struct hyp_caller *c, uint32_t domid, bool pause)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    d = target(caller, domid, &hd);
    if (!d) {
        rc = -ESRCH;
        goto out;
    }
    pthread_mutex_lock(&hyp.lock);
    hd->paused = pause;
    pthread_mutex_unlock(&hyp.lock);
    rcu_unlock_domain(d);
 out:
    leave(caller);
    return rc;
}

int hyp_domain_rename(const struct hyp_caller *c, uint32_t domid,
                      const char *name)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    if (!name || strlen(name) >= HYP_NAME_MAX) {
        rc = -EINVAL;
        goto out;
    }
    d = target(caller, domid, &hd);
    if (!d) {
        rc = -ESRCH;
        goto out;
    }
    pthread_mutex_lock(&hyp.lock);
    if (name_taken(name) && strcmp(hd->name, name))
        rc = -EEXIST;
    else
        snprintf(hd->name, sizeof(hd->name), "%s", name);
    pthread_mutex_unlock(&hyp.lock);
    rcu_unlock_domain(d);
 out:
    leave(caller);
    return rc;
}

int hyp_domain_getinfo(const struct hyp_caller *c, uint32_t first,
                       unsigned int max, struct hyp_dominfo *out)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    struct hyp_dominfo *o;
    unsigned int n = 0;
    uint32_t id;
    int rc = enter(c, &caller);

    if (rc)
        return rc;
    for (id = first; id <= HVH_MAX_DOMID && n < max; id++) {
        pthread_mutex_lock(&hyp.lock);
        hd = hyp.hdoms[id];
        pthread_mutex_unlock(&hyp.lock);
        if (!hd)
            continue;
        /* An unprivileged caller sees only itself, as Xen's XSM allows. */
        if (!is_control_domain(caller) && id != caller->domain_id)
            continue;
        d = target(caller, id, &hd);
        if (!d)
            continue;
        o = &out[n++];
        memset(o, 0, sizeof(*o));
        o->domid = id;
        spin_lock(&d->page_alloc_lock);
        o->tot_pages = d->tot_pages;
        o->max_pages = d->max_pages;
        spin_unlock(&d->page_alloc_lock);
        o->outstanding_pages = domain_outstanding_pages(d);
        pthread_mutex_lock(&hyp.lock);
        o->flags = (d->is_dying ? HYP_DOMF_DYING : 0) |
                   (hd->paused ? HYP_DOMF_PAUSED : 0) |
                   (d->is_privileged ? HYP_DOMF_PRIV : 0);
        o->created_ns = hd->created_ns;
        memcpy(o->handle, hd->handle, sizeof(o->handle));
        memcpy(o->name, hd->name, sizeof(o->name));
        pthread_mutex_unlock(&hyp.lock);
        rcu_unlock_domain(d);
    }
    leave(caller);
    return (int)n;
}

int hyp_domain_lookup(const char *name)
{
    unsigned int i;
    int rc = -ESRCH;

    if (!name || !*name)
        return -ESRCH;
    pthread_mutex_lock(&hyp.lock);
    for (i = 0; i <= HVH_MAX_DOMID; i++) {
        if (hyp.hdoms[i] && !strcmp(hyp.hdoms[i]->name, name)) {
            rc = (int)i;
            break;
        }
    }
    pthread_mutex_unlock(&hyp.lock);
    return rc;
}

/* ---- memory ops ----------------------------------------------------- */

int hyp_claim_pages(const struct hyp_caller *c, uint32_t domid,
                    uint64_t nr_pages, unsigned int flags)
{
    struct xen_memory_reservation r;
    struct domain *caller;
    int rc = enter(c, &caller);

    if (rc)
        return rc;
    memset(&r, 0, sizeof(r));
    r.nr_extents = nr_pages;
    r.mem_flags = flags;
    r.domid = domid == HYP_DOMID_SELF ? caller->domain_id : (domid_t)domid;
    if (domid > 0xffff)
        r.domid = HYP_DOMID_INVALID;
    /* 4.17: claims take no flags; any is refused before the domain. */
    if (is_xen417() && flags) {
        claim_trace_refused(r.domid, flags, -EINVAL, nr_pages);
        rc = -EINVAL;
    } else {
        rc = (int)memory_claim_pages(&r);
    }
    leave(caller);
    return rc;
}

/* May caller work on d's memory?  Itself, or anyone when privileged. */
static bool may_touch(const struct domain *caller, uint32_t domid)
{
    return is_control_domain(caller) || domid == HYP_DOMID_SELF ||
           domid == caller->domain_id;
}

long hyp_populate_physmap(const struct hyp_caller *c, uint32_t domid,
                          unsigned int order, unsigned int memflags,
                          const uint64_t *gfns, unsigned long nr,
                          uint64_t *mfns)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    struct page_info *pg;
    uint64_t n, k, mfn, gfn, *s;
    unsigned long done = 0;
    long rc = enter(c, &caller);

    if (rc)
        return rc;
    if (order > HYP_MAX_ORDER) {
        rc = -EINVAL;
        goto out;
    }
    if (!may_touch(caller, domid)) {
        rc = -EPERM;
        goto out;
    }
    d = target(caller, domid, &hd);
    if (!d)
        goto out;   /* no such domain: nothing done */
    n = 1ULL << order;

    pthread_mutex_lock(&hd->p2m_lock);
    for (done = 0; done < nr; done++) {
        gfn = gfns[done];
        if ((gfn & (n - 1)) || gfn + n > P2M_MAX_GFN)
            break;
        for (k = 0; k < n; k++)
            if (p2m_get(&hd->p2m, gfn + k))
                break;
        if (k < n)
            break;
        /* Make room in the map first, so that a mapped page is never lost. */
        for (k = 0; k < n; k++)
            if (!p2m_slot(&hd->p2m, gfn + k, true))
                break;
        if (k < n)
            break;
        pg = alloc_domheap_pages(d, order, memflags & ~MEMF_no_owner);
        if (!pg)
            break;
        mfn = hvh_page_to_mfn(pg);
        for (k = 0; k < n; k++) {
            s = p2m_slot(&hd->p2m, gfn + k, false);
            *s = mfn + k + 1;
        }
        hd->p2m.mapped += n;
        if (gfn + n > hd->p2m.high)
            hd->p2m.high = gfn + n;
        if (mfns)
            mfns[done] = mfn;
    }
    pthread_mutex_unlock(&hd->p2m_lock);
    rcu_unlock_domain(d);
    rc = (long)done;
 out:
    leave(caller);
    return rc;
}

long hyp_decrease_reservation(const struct hyp_caller *c, uint32_t domid,
                              unsigned int order, const uint64_t *gfns,
                              unsigned long nr)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    uint64_t n, k, gfn;
    unsigned long done = 0;
    long rc = enter(c, &caller);

    if (rc)
        return rc;
    if (order > HYP_MAX_ORDER) {
        rc = -EINVAL;
        goto out;
    }
    if (!may_touch(caller, domid)) {
        rc = -EPERM;
        goto out;
    }
    d = target(caller, domid, &hd);
    if (!d)
        goto out;
    n = 1ULL << order;

    pthread_mutex_lock(&hd->p2m_lock);
    for (done = 0; done < nr; done++) {
        gfn = gfns[done];
        if ((gfn & (n - 1)) || gfn + n > P2M_MAX_GFN)
            break;
        for (k = 0; k < n; k++)
            if (!p2m_get(&hd->p2m, gfn + k))
                break;
        if (k < n)
            break;
        p2m_free_range(&hd->p2m, gfn, n);
    }
    pthread_mutex_unlock(&hd->p2m_lock);
    rcu_unlock_domain(d);
    rc = (long)done;
 out:
    leave(caller);
    return rc;
}

int hyp_domain_set_target(const struct hyp_caller *c, uint32_t domid,
                          uint64_t target_pages)
{
    struct domain *caller, *d;
    struct hyp_dom *hd;
    struct page_info *pg;
    uint64_t gfn, *s;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    d = target(caller, domid, &hd);
    if (!d) {
        rc = -ESRCH;
        goto out;
    }
    pthread_mutex_lock(&hd->p2m_lock);
    /* Balloon down from the top of the map... */
    gfn = hd->p2m.high;
    while (hd->p2m.mapped > target_pages && gfn > 0) {
        gfn--;
        if (p2m_get(&hd->p2m, gfn))
            p2m_free_range(&hd->p2m, gfn, 1);
    }
    /* ...or up, filling holes from gfn 0. */
    for (gfn = 0; hd->p2m.mapped < target_pages; gfn++) {
        if (gfn >= P2M_MAX_GFN) {
            rc = -EINVAL;
            break;
        }
        if (p2m_get(&hd->p2m, gfn))
            continue;
        s = p2m_slot(&hd->p2m, gfn, true);
        if (!s) {
            rc = -ENOMEM;
            break;
        }
        pg = alloc_domheap_pages(d, 0, 0);
        if (!pg) {
            rc = -ENOMEM;
            break;
        }
        *s = hvh_page_to_mfn(pg) + 1;
        hd->p2m.mapped++;
        if (gfn + 1 > hd->p2m.high)
            hd->p2m.high = gfn + 1;
    }
    pthread_mutex_unlock(&hd->p2m_lock);
    rcu_unlock_domain(d);
 out:
    leave(caller);
    return rc;
}

/* ---- tmem, offlining ------------------------------------------------ */

long hyp_tmem_put(const struct hyp_caller *c, uint64_t n)
{
    struct domain *caller;
    uint64_t done;
    long rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    for (done = 0; done < n; done++) {
        rc = hvh_tmem_put();
        if (rc)
            break;
    }
    leave(caller);
    return done || !n ? (long)done : rc;
}

long hyp_tmem_flush(const struct hyp_caller *c, uint64_t n)
{
    struct domain *caller;
    uint64_t done;
    long rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    for (done = 0; done < n; done++) {
        rc = hvh_tmem_flush();
        if (rc)
            break;
    }
    leave(caller);
    return done || !n ? (long)done : rc;
}

int hyp_page_offline(const struct hyp_caller *c, uint64_t mfn)
{
    struct domain *caller;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    rc = hvh_offline_page(mfn);
    if (!rc)
        atomic_fetch_add(&hyp.offline_pages, 1);
    leave(caller);
    return rc;
}

int hyp_page_online(const struct hyp_caller *c, uint64_t mfn)
{
    struct domain *caller;
    int rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    rc = hvh_online_page(mfn);
    if (!rc)
        atomic_fetch_sub(&hyp.offline_pages, 1);
    leave(caller);
    return rc;
}

long hyp_offline_any(const struct hyp_caller *c, uint64_t n)
{
    struct domain *caller;
    uint64_t mfn, done = 0;
    long rc = enter_priv(c, &caller);

    if (rc)
        return rc;
    /* From the top of memory down, the frames least likely to be in use. */
    for (mfn = hvh_nr_frames(); mfn-- > 0 && done < n;) {
        if (hvh_offline_page(mfn) == 0) {
            done++;
            atomic_fetch_add(&hyp.offline_pages, 1);
        }
    }
    leave(caller);
    return (long)done;
}
