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

/* 4.17: kinds of small pieces of Xen's own per domain (take_xen_pages()). */
#define XEN417_KINDS    3

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
    int piece[XEN417_KINDS];    /* 4.17: its pieces' pool pages, or -1 */
    struct hyp_dom *next_deferred;  /* 4.17: in hyp.deferred */
    uint64_t due_ns;            /* 4.17: when its Xen pages come back */
};

/* 4.17: a page of Xen's small allocations: one slot of each kind. */
struct xen_pool_page {
    struct page_info *pg;       /* NULL: entry unused */
    unsigned int used;          /* bit k: the kind-k slot is taken */
};

/* 4.17: pool pages with a free slot of one kind, the next to take first. */
struct xen_slot_list {
    unsigned int *page;
    unsigned int len, cap;
};

static struct {
    bool ready;
    struct hyp_config cfg;
    pthread_mutex_t lock;           /* hdoms[], names, next_domid */
    struct hyp_dom *hdoms[HVH_MAX_DOMID + 1];
    uint32_t next_domid;
    /* 4.17: pages of Xen's small allocations (under lock). */
    struct xen_pool_page *pool;
    unsigned int pool_len;
    struct xen_slot_list slots[XEN417_KINDS];
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

/* 4.17: slot list operations; hyp.lock held.  0 or -ENOMEM. */
static int slots_insert(struct xen_slot_list *l, unsigned int at,
                        unsigned int page)
{
    unsigned int *p;

    if (l->len == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        p = realloc(l->page, l->cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        l->page = p;
    }
    memmove(l->page + at + 1, l->page + at, (l->len - at) * sizeof(*p));
    l->page[at] = page;
    l->len++;
    return 0;
}

static void slots_remove(struct xen_slot_list *l, unsigned int page)
{
    unsigned int i;

    for (i = 0; i < l->len; i++) {
        if (l->page[i] == page) {
            memmove(l->page + i, l->page + i + 1,
                    (l->len - i - 1) * sizeof(*l->page));
            l->len--;
            return;
        }
    }
}

/*
 * 4.17: a new pool page with the slots of used taken, its free slots
 * queued last.  Returns its index, or -ENOMEM; hyp.lock held.
 */
static int pool_new_page(unsigned int used)
{
    struct xen_pool_page *p;
    unsigned int i, k, len;

    for (i = 0; i < hyp.pool_len && hyp.pool[i].pg; i++)
        ;
    if (i == hyp.pool_len) {
        len = hyp.pool_len ? 2 * hyp.pool_len : 16;
        p = realloc(hyp.pool, len * sizeof(*p));
        if (!p)
            return -ENOMEM;
        memset(p + hyp.pool_len, 0, (len - hyp.pool_len) * sizeof(*p));
        hyp.pool = p;
        hyp.pool_len = len;
    }
    /* Room in every list first: once the page is in, nothing can fail. */
    for (k = 0; k < XEN417_KINDS; k++)
        if (slots_insert(&hyp.slots[k], 0, i))
            goto fail;
    for (k = 0; k < XEN417_KINDS; k++)
        slots_remove(&hyp.slots[k], i);
    hyp.pool[i].pg = alloc_domheap_pages(NULL, 0, 0);
    if (!hyp.pool[i].pg)
        return -ENOMEM;
    hyp.pool[i].used = used;
    for (k = 0; k < XEN417_KINDS; k++)
        if (!(used & (1u << k)))
            slots_insert(&hyp.slots[k], hyp.slots[k].len, i);
    return (int)i;

 fail:
    for (k = 0; k < XEN417_KINDS; k++)
        slots_remove(&hyp.slots[k], i);
    return -ENOMEM;
}

/*
 * 4.17: place a piece of kind k: in the slot of that kind freed last, or
 * in a new page.  Returns the page's index, or -ENOMEM; hyp.lock held.
 */
static int pool_take(unsigned int k)
{
    struct xen_slot_list *l = &hyp.slots[k];
    unsigned int i;

    if (!l->len)
        return pool_new_page(1u << k);
    i = l->page[0];
    memmove(l->page, l->page + 1, (l->len - 1) * sizeof(*l->page));
    l->len--;
    hyp.pool[i].used |= 1u << k;
    return (int)i;
}

/*
 * 4.17: give a kind-k slot of page i back: first in its list, or the
 * whole page back to the heap once every slot of it is free.  hyp.lock
 * held.
 */
static void pool_give(int i, unsigned int k)
{
    struct xen_pool_page *p;
    unsigned int j;

    if (i < 0)
        return;
    p = &hyp.pool[i];
    p->used &= ~(1u << k);
    if (p->used) {
        /* The list had room for this slot when the page came. */
        if (slots_insert(&hyp.slots[k], 0, (unsigned int)i))
            abort();
        return;
    }
    for (j = 0; j < XEN417_KINDS; j++)
        slots_remove(&hyp.slots[j], (unsigned int)i);
    free_domheap_pages(p->pg, 0);
    p->pg = NULL;
}

/* Free Xen's own pages for a domain, leave its shared page; hyp.lock held. */
static void free_xen_pages_locked(struct hyp_dom *hd)
{
    unsigned int i;

    for (i = 0; i < hd->nr_xen_pages; i++)
        free_domheap_pages(hd->xen_pages[i], 0);
    hd->nr_xen_pages = 0;
    for (i = 0; i < XEN417_KINDS; i++) {
        pool_give(hd->piece[i], i);
        hd->piece[i] = -1;
    }
}

static void free_xen_pages(struct hyp_dom *hd)
{
    pthread_mutex_lock(&hyp.lock);
    free_xen_pages_locked(hd);
    pthread_mutex_unlock(&hyp.lock);
}

/*
 * Take Xen's own pages for a new domain (struct domain, its tables...),
 * anonymous allocations that claims can refuse: xen_pages_per_domain of
 * them.  0, or -ENOMEM with nothing taken; hyp.lock held.
 *
 * 4.17: N - 1 pages of the domain's own, and three small pieces (one of
 * each kind) in pool pages that hold one piece of each kind: a piece
 * takes the slot of its kind freed last, else a new page whose other
 * slots are queued last; a page goes back to the heap when its last
 * piece does.  With the two pool pages Xen 4.17 leaves with free slots
 * at boot (hyp_init()), this gives what Xen 4.17 does for the
 * smallest PV domain (measured, docs/profiles.md): 14 pages per creation
 * from a fresh host, 13 into the holes a destroy left, 13 to 16 back per
 * destroy depending on the order.
 */
static int take_xen_pages(struct hyp_dom *hd)
{
    unsigned int n = hyp.cfg.xen_pages_per_domain, own = n, k;
    int page;

    if (!n)
        return 0;
    if (is_xen417())
        own = n - 1;
    hd->xen_pages = calloc(own ? own : 1, sizeof(*hd->xen_pages));
    if (!hd->xen_pages)
        return -ENOMEM;
    while (hd->nr_xen_pages < own) {
        hd->xen_pages[hd->nr_xen_pages] = alloc_domheap_pages(NULL, 0, 0);
        if (!hd->xen_pages[hd->nr_xen_pages])
            goto fail;
        hd->nr_xen_pages++;
    }
    for (k = 0; is_xen417() && k < XEN417_KINDS; k++) {
        page = pool_take(k);
        if (page < 0)
            goto fail;
        hd->piece[k] = page;
    }
    return 0;

 fail:
    free_xen_pages_locked(hd);
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
    for (i = 0; i < XEN417_KINDS; i++)
        hd->piece[i] = -1;
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
    /*
     * 4.17: the pool pages Xen's boot left with free slots: one with only
     * a slot of the last kind free, one with all but the first.
     */
    if (is_xen417() && cfg->xen_pages_per_domain) {
        pthread_mutex_lock(&hyp.lock);
        rc = pool_new_page(3u);
        if (rc >= 0)
            rc = pool_new_page(1u);
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
        free_xen_pages_locked(hd);
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
