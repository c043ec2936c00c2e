/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * page_claim.c: memory claims in the heap allocator, with trace points.
 *
 * A claim sets aside a quantity of free pages (not particular frames) for
 * one domain.  Allocations by that domain draw the claim down; other
 * allocations may not eat into it.  Every claim, every tot_pages change and
 * every claim-based denial is traced (see tracepoints/xct_events.h).
 *
 * Locking: a domain's page_alloc_lock is taken before the heap lock.  The
 * heap lock protects the host counters below and every domain's
 * outstanding_pages; page_alloc_lock protects tot_pages and max_pages.
 * Every trace record is written with the heap lock held, so that the
 * figures it carries are exact at the record's time stamp.
 */

#include <xen/types.h>
#include <xen/errno.h>
#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/trace.h>
#include <public/memory.h>

#include <xct_events.h>

#include "page_claim.h"

static DEFINE_SPINLOCK(heap_lock);

/* All protected by heap_lock. */
static unsigned long total_avail_pages;
static unsigned long node_avail_pages[MAX_NUMNODES];
static unsigned int nr_heap_nodes;
static unsigned long outstanding_claims;
static unsigned long tmem_freeable_pages;

/*
 * Xen 4.17 compatibility, for a host that models the hypervisor most users
 * run today (the mock's "4.17" profile); Xen itself never sets it.  With
 * it, a claim is redeemed when pages are assigned (tot_pages grows), not
 * in the allocator, and while a claim is live every page the domain frees
 * goes back into it.  Each place that differs is marked "4.17:".
 */
bool claim_xen417_compat;

/* Tracing switched off costs this one predictable branch. */
static inline bool claim_tracing(void)
{
#ifdef CONFIG_TRACEBUFFER
    return unlikely(tb_init_done);
#else
    return false;
#endif
}

#define TRACE_CLAIM(ev, ...)                                        \
    do {                                                            \
        if ( claim_tracing() )                                      \
        {                                                           \
            uint32_t d_[XCT_MAX_WORDS];                             \
            unsigned int n_ = xct_enc_##ev(d_, __VA_ARGS__);        \
                                                                    \
            __trace_var(XCT_EV_##ev, true, n_ * sizeof(uint32_t), d_); \
        }                                                           \
    } while ( 0 )

/* Host totals; heap_lock held. */
static void trace_heap(unsigned int reason)
{
    ASSERT(spin_is_locked(&heap_lock));
    TRACE_CLAIM(HEAP, reason, XCT_NODE_ALL, total_avail_pages,
                tmem_freeable_pages, outstanding_claims);
}

/* Pages that claims may be staked against or allocations served from. */
static unsigned long avail_pages(bool free_only)
{
    ASSERT(spin_is_locked(&heap_lock));
    return total_avail_pages + (free_only ? 0 : tmem_freeable_pages);
}

/* Take pages off a domain's claim; heap_lock held. */
static void claim_take(struct domain *d, unsigned long pages)
{
    ASSERT(spin_is_locked(&heap_lock));
    BUG_ON(pages > d->outstanding_pages);
    BUG_ON(pages > outstanding_claims);
    d->outstanding_pages -= pages;
    outstanding_claims -= pages;
}

void heap_add_node_pages(unsigned int node, unsigned long nr_pages)
{
    BUG_ON(node >= MAX_NUMNODES);

    spin_lock(&heap_lock);
    total_avail_pages += nr_pages;
    node_avail_pages[node] += nr_pages;
    if ( node >= nr_heap_nodes )
        nr_heap_nodes = node + 1;
    spin_unlock(&heap_lock);
}

/*
 * Would an allocation of request pages by d eat into other domains'
 * claims?  True unless enough unclaimed memory remains, or the
 * allocation counts towards d's tot_pages and d's own claim covers it.
 */
static bool claims_deny(const struct domain *d, unsigned long request,
                        unsigned int memflags)
{
    ASSERT(spin_is_locked(&heap_lock));

    /* A tmem page stays available to claims: putting one takes none. */
    if ( memflags & MEMF_tmem )
        return false;

    if ( outstanding_claims + request <= avail_pages(false) )
        return false;

    return !d || (memflags & MEMF_no_refcount) ||
           d->outstanding_pages < request;
}

/* Evict tmem pages into the heap until request pages came back. */
static unsigned long tmem_reclaim(unsigned long request)
{
    struct page_info *pg;
    unsigned long n = 0;

    ASSERT(spin_is_locked(&heap_lock));

    while ( n < request && tmem_freeable_pages )
    {
        pg = tmem_evict_page();
        if ( !pg )
            break;
        heap_put_block(pg, 0);
        tmem_freeable_pages--;
        total_avail_pages++;
        node_avail_pages[page_to_nid(pg)]++;
        n++;
    }

    return n;
}

/* Find a free block, first on the requested node, then anywhere. */
static struct page_info *take_block(unsigned int order, unsigned int memflags,
                                    unsigned int *node)
{
    unsigned long request = 1UL << order;
    unsigned int want = MEMF_get_node(memflags);
    struct page_info *pg;
    unsigned int i, n;

    if ( want != NUMA_NO_NODE && want < nr_heap_nodes &&
         node_avail_pages[want] >= request )
    {
        pg = heap_take_block(want, order);
        if ( pg )
        {
            *node = want;
            return pg;
        }
    }
    if ( want != NUMA_NO_NODE && (memflags & MEMF_exact_node) )
        return NULL;

    for ( i = 0; i < nr_heap_nodes; i++ )
    {
        n = want == NUMA_NO_NODE ? i : (want + 1 + i) % nr_heap_nodes;
        if ( node_avail_pages[n] < request )
            continue;
        pg = heap_take_block(n, order);
        if ( pg )
        {
            *node = n;
            return pg;
        }
    }

    return NULL;
}

/* Smallest order whose block holds pages pages (for claim_draw records). */
static unsigned int pages_order(unsigned long pages)
{
    unsigned int order = 0;

    while ( order < 63 && (1UL << order) < pages )
        order++;

    return order;
}

/*
 * 4.17: redeem d's claim at assignment (pages > 0), or give freed pages
 * back to a live claim (pages < 0); heap_lock held.
 */
static void claim_adjust_417(struct domain *d, long pages)
{
    unsigned long n;

    ASSERT(spin_is_locked(&heap_lock));

    if ( !d->outstanding_pages || !pages )
        return;

    if ( pages > 0 )
    {
        n = min_t(unsigned long, d->outstanding_pages, pages);
        claim_take(d, n);
        TRACE_CLAIM(CLAIM_DRAW, d->domain_id, pages_order(pages), n,
                    d->outstanding_pages, total_avail_pages);
        if ( !d->outstanding_pages )
            TRACE_CLAIM(CLAIM_RELEASE, d->domain_id, XCT_RELEASE_DRAWN,
                        0, outstanding_claims);
        return;
    }

    n = -pages;
    BUG_ON(d->outstanding_pages + n > UINT32_MAX);
    d->outstanding_pages += n;
    outstanding_claims += n;
}

/* Change tot_pages and trace it; page_alloc_lock and heap_lock held. */
static void adjust_tot_pages_locked(struct domain *d, long pages)
{
    ASSERT(spin_is_locked(&d->page_alloc_lock));
    ASSERT(spin_is_locked(&heap_lock));
    BUG_ON(pages < 0 && d->tot_pages < (unsigned long)-pages);
    BUG_ON(pages > 0 && d->tot_pages + (unsigned long)pages > UINT32_MAX);

    d->tot_pages += pages;
    /* 4.17: the claim follows tot_pages. */
    if ( unlikely(claim_xen417_compat) )
        claim_adjust_417(d, pages);
    TRACE_CLAIM(TOT_PAGES, d->domain_id, pages, d->tot_pages,
                d->outstanding_pages, total_avail_pages);
}

unsigned long domain_adjust_tot_pages(struct domain *d, long pages)
{
    ASSERT(spin_is_locked(&d->page_alloc_lock));

    if ( claim_tracing() || unlikely(claim_xen417_compat) )
    {
        spin_lock(&heap_lock);
        adjust_tot_pages_locked(d, pages);
        spin_unlock(&heap_lock);
    }
    else
    {
        BUG_ON(pages < 0 && d->tot_pages < (unsigned long)-pages);
        BUG_ON(pages > 0 &&
               d->tot_pages + (unsigned long)pages > UINT32_MAX);
        d->tot_pages += pages;
    }

    return d->tot_pages;
}

/*
 * Take 2^order pages from the heap.  For an allocation that counts
 * towards d's tot_pages (d set, no MEMF_no_refcount), the caller holds
 * d->page_alloc_lock and the pages are accounted to d here, in the same
 * locked region that lowers the free count and redeems the claim.
 */
static struct page_info *alloc_heap_pages(unsigned int order,
                                          unsigned int memflags,
                                          struct domain *d)
{
    unsigned long request = 1UL << order;
    unsigned int node = 0;
    unsigned int drawn = 0;
    struct page_info *pg = NULL;
    domid_t domid = d ? d->domain_id : DOMID_INVALID;
    bool counted = d && !(memflags & (MEMF_no_refcount | MEMF_tmem));

    ASSERT(!counted || spin_is_locked(&d->page_alloc_lock));

    if ( order > MAX_ORDER )
        return NULL;

    spin_lock(&heap_lock);

    if ( claims_deny(d, request, memflags) )
    {
        /*
         * A denial because of claims is one that would have been served
         * without them; beyond the available pages it is plain shortage.
         */
        if ( request > avail_pages(false) )
        {
            TRACE_CLAIM(ALLOC_FAILED, domid, order, memflags,
                        d ? d->outstanding_pages : 0);
            trace_heap(XCT_HEAP_FAILED);
        }
        else
        {
            TRACE_CLAIM(ALLOC_DENIED, domid, order, memflags,
                        d ? d->outstanding_pages : 0);
            trace_heap(XCT_HEAP_DENIED);
        }
        goto out;
    }

    pg = take_block(order, memflags, &node);
    while ( !pg && tmem_freeable_pages && !(memflags & MEMF_tmem) )
    {
        if ( !tmem_reclaim(request) )
            break;
        trace_heap(XCT_HEAP_TMEM_RECLAIM);
        pg = take_block(order, memflags, &node);
    }
    if ( !pg )
    {
        TRACE_CLAIM(ALLOC_FAILED, domid, order, memflags,
                    d ? d->outstanding_pages : 0);
        trace_heap(XCT_HEAP_FAILED);
        goto out;
    }

    ASSERT(page_get_owner(pg) == NULL);
    BUG_ON(total_avail_pages < request);
    BUG_ON(node_avail_pages[node] < request);
    total_avail_pages -= request;
    node_avail_pages[node] -= request;

    if ( memflags & MEMF_tmem )
    {
        /* Into the pool in this locked region, so evictions can find it. */
        tmem_freeable_pages += request;
        tmem_pool_add_page(pg);
        trace_heap(XCT_HEAP_TMEM_PUT);
        goto out;
    }
    if ( !counted )
    {
        trace_heap(XCT_HEAP_ANON_ALLOC);
        goto out;
    }

    /*
     * Redeem the claim in the same locked region that lowers the free
     * count, so that free minus claimed is never momentarily negative.
     * 4.17: redeemed at assignment instead, in adjust_tot_pages_locked().
     */
    if ( d->outstanding_pages && !claim_xen417_compat )
    {
        drawn = min_t(unsigned long, d->outstanding_pages, request);
        claim_take(d, drawn);
        TRACE_CLAIM(CLAIM_DRAW, d->domain_id, order, drawn,
                    d->outstanding_pages, total_avail_pages);
        if ( !d->outstanding_pages )
            TRACE_CLAIM(CLAIM_RELEASE, d->domain_id, XCT_RELEASE_DRAWN,
                        0, outstanding_claims);
    }

    if ( unlikely(d->tot_pages + request > d->max_pages) )
    {
        /*
         * Assignment fails.  The claim drawn down for these pages is not
         * given back: a claim consumed by an allocation whose assignment
         * fails is lost.  A tot_pages record of delta 0 says so.
         */
        printk(XENLOG_G_WARNING "d%u: over-allocation: %u + %lu > %u\n",
               d->domain_id, d->tot_pages, request, d->max_pages);
        heap_put_block(pg, order);
        total_avail_pages += request;
        node_avail_pages[node] += request;
        pg = NULL;
        if ( drawn )
            adjust_tot_pages_locked(d, 0);
        goto out;
    }

    adjust_tot_pages_locked(d, request);

 out:
    spin_unlock(&heap_lock);

    return pg;
}

/*
 * Return 2^order pages to the heap.  Pages that counted towards d's
 * tot_pages are given back under d->page_alloc_lock (held by the caller)
 * in the same locked region that raises the free count.
 */
static void free_heap_pages(struct page_info *pg, unsigned int order,
                            struct domain *d)
{
    unsigned long request = 1UL << order;
    unsigned int node = page_to_nid(pg);

    ASSERT(!d || spin_is_locked(&d->page_alloc_lock));

    spin_lock(&heap_lock);
    heap_put_block(pg, order);
    total_avail_pages += request;
    node_avail_pages[node] += request;
    if ( d )
        adjust_tot_pages_locked(d, -(long)request);
    else
        trace_heap(XCT_HEAP_ANON_FREE);
    spin_unlock(&heap_lock);
}

struct page_info *alloc_domheap_pages(struct domain *d, unsigned int order,
                                      unsigned int memflags)
{
    struct page_info *pg;

    if ( d && (memflags & MEMF_no_owner) )
        memflags |= MEMF_no_refcount;

    if ( !d || (memflags & MEMF_no_refcount) )
    {
        pg = alloc_heap_pages(order, memflags, d);
        if ( !pg )
            return NULL;
        /*
         * Pages leave the heap without an owner.  A tmem page is in the
         * pool already and may be evicted at any time: leave it alone.
         */
        if ( !d || (memflags & MEMF_no_owner) )
            return pg;
        /* Owned by d without counting towards its tot_pages. */
        spin_lock(&d->page_alloc_lock);
        if ( unlikely(d->is_dying) )
        {
            spin_unlock(&d->page_alloc_lock);
            free_heap_pages(pg, order, NULL);
            return NULL;
        }
        page_set_owner(pg, order, d);
        page_set_extra(pg, order, true);
        spin_unlock(&d->page_alloc_lock);
        return pg;
    }

    spin_lock(&d->page_alloc_lock);
    if ( unlikely(d->is_dying) )
        pg = NULL;
    else
        pg = alloc_heap_pages(order, memflags, d);
    if ( pg )
        page_set_owner(pg, order, d);
    spin_unlock(&d->page_alloc_lock);

    return pg;
}

void free_domheap_pages(struct page_info *pg, unsigned int order)
{
    struct domain *d = page_get_owner(pg);

    if ( !d || page_is_extra(pg) )
    {
        /* Anonymous, or owned without counting towards tot_pages. */
        if ( page_is_extra(pg) )
            page_set_extra(pg, order, false);
        if ( d )
            page_set_owner(pg, order, NULL);
        free_heap_pages(pg, order, NULL);
        return;
    }

    spin_lock(&d->page_alloc_lock);
    page_set_owner(pg, order, NULL);
    free_heap_pages(pg, order, d);
    spin_unlock(&d->page_alloc_lock);
}

int domain_set_outstanding_pages(struct domain *d, unsigned long pages,
                                 unsigned int flags)
{
    unsigned long claim, avail;
    int ret = -EINVAL;

    /*
     * Take page_alloc_lock as well, so that tot_pages cannot change while
     * the claim is computed from it.
     */
    spin_lock(&d->page_alloc_lock);
    spin_lock(&heap_lock);

    if ( d->is_dying )
        goto out;

    if ( pages == 0 )
    {
        claim = d->outstanding_pages;
        claim_take(d, claim);
        ret = 0;
        TRACE_CLAIM(CLAIM, d->domain_id, flags, ret, pages,
                    d->outstanding_pages, d->tot_pages);
        if ( claim )
            TRACE_CLAIM(CLAIM_RELEASE, d->domain_id, XCT_RELEASE_CANCEL,
                        claim, outstanding_claims);
        goto unlock;
    }

    /* One claim per domain: cancel the old one first. */
    if ( d->outstanding_pages )
        goto out;

    /* The target must add pages, within the domain's limit. */
    if ( pages <= d->tot_pages || pages > d->max_pages )
        goto out;

    claim = pages - d->tot_pages;

    avail = avail_pages(flags & XENMEM_CLAIMF_free_only);
    avail = avail > outstanding_claims ? avail - outstanding_claims : 0;
    if ( claim > avail )
    {
        ret = -ENOMEM;
        goto out;
    }

    d->outstanding_pages = claim;
    outstanding_claims += claim;
    ret = 0;

 out:
    TRACE_CLAIM(CLAIM, d->domain_id, flags, ret, pages, d->outstanding_pages,
                d->tot_pages);
 unlock:
    spin_unlock(&heap_lock);
    spin_unlock(&d->page_alloc_lock);

    return ret;
}

void get_outstanding_claims(uint64_t *free_pages, uint64_t *outstanding_pages)
{
    spin_lock(&heap_lock);
    *outstanding_pages = outstanding_claims;
    *free_pages = total_avail_pages;
    spin_unlock(&heap_lock);
}

void claim_trace_refused(domid_t domid, unsigned int flags, long rc,
                         unsigned long pages)
{
    struct domain *d;

    if ( !claim_tracing() )
        return;

    /* The domain's figures when it exists, read as a claim record's are. */
    d = rcu_lock_domain_by_id(domid);
    if ( d )
        spin_lock(&d->page_alloc_lock);
    spin_lock(&heap_lock);
    TRACE_CLAIM(CLAIM, domid, flags, rc, pages,
                d ? d->outstanding_pages : 0, d ? d->tot_pages : 0);
    spin_unlock(&heap_lock);
    if ( d )
    {
        spin_unlock(&d->page_alloc_lock);
        rcu_unlock_domain(d);
    }
}

unsigned long domain_outstanding_pages(const struct domain *d)
{
    unsigned long claim;

    spin_lock(&heap_lock);
    claim = d->outstanding_pages;
    spin_unlock(&heap_lock);

    return claim;
}

void get_heap_totals(struct heap_totals *t)
{
    unsigned int i;

    spin_lock(&heap_lock);
    t->free_pages = total_avail_pages;
    t->freeable_pages = tmem_freeable_pages;
    t->outstanding = outstanding_claims;
    t->nr_nodes = nr_heap_nodes;
    for ( i = 0; i < nr_heap_nodes; i++ )
        t->node_free[i] = node_avail_pages[i];
    spin_unlock(&heap_lock);
}

/* A domain record; page_alloc_lock and heap_lock held. */
static void trace_domain(const struct domain *d, unsigned int state)
{
    TRACE_CLAIM(DOMAIN, d->domain_id, state, d->tot_pages, d->max_pages,
                d->outstanding_pages);
}

static void domain_event(struct domain *d, unsigned int state)
{
    if ( !claim_tracing() )
        return;

    spin_lock(&d->page_alloc_lock);
    spin_lock(&heap_lock);
    trace_domain(d, state);
    spin_unlock(&heap_lock);
    spin_unlock(&d->page_alloc_lock);
}

void domain_claim_created(struct domain *d)
{
    domain_event(d, XCT_DOM_CREATED);
}

void domain_set_max_pages(struct domain *d, uint64_t max_pages)
{
    spin_lock(&d->page_alloc_lock);
    d->max_pages = min_t(uint64_t, max_pages, UINT32_MAX);
    if ( claim_tracing() )
    {
        spin_lock(&heap_lock);
        trace_domain(d, XCT_DOM_MAX_PAGES);
        spin_unlock(&heap_lock);
    }
    spin_unlock(&d->page_alloc_lock);
}

/*
 * A dying domain holds no claim: called by domain_kill() once is_dying is
 * set, so that no new claim can be staked after this.
 */
void domain_claim_kill(struct domain *d)
{
    unsigned long claim;

    ASSERT(d->is_dying);

    spin_lock(&d->page_alloc_lock);
    spin_lock(&heap_lock);
    claim = d->outstanding_pages;
    claim_take(d, claim);
    if ( claim )
        TRACE_CLAIM(CLAIM_RELEASE, d->domain_id, XCT_RELEASE_DEATH, claim,
                    outstanding_claims);
    trace_domain(d, XCT_DOM_DYING);
    spin_unlock(&heap_lock);
    spin_unlock(&d->page_alloc_lock);
}

void domain_claim_destroyed(struct domain *d)
{
    ASSERT(!d->outstanding_pages);
    domain_event(d, XCT_DOM_DESTROYED);
}

int tmem_put_page(void)
{
    return alloc_domheap_pages(NULL, 0, MEMF_tmem) ? 0 : -ENOMEM;
}

int tmem_flush_page(void)
{
    struct page_info *pg;
    int rc = -ENOENT;

    spin_lock(&heap_lock);
    pg = tmem_freeable_pages ? tmem_evict_page() : NULL;
    if ( pg )
    {
        tmem_freeable_pages--;
        heap_put_block(pg, 0);
        total_avail_pages++;
        node_avail_pages[page_to_nid(pg)]++;
        trace_heap(XCT_HEAP_TMEM_FLUSH);
        rc = 0;
    }
    spin_unlock(&heap_lock);

    return rc;
}

int offline_free_page(struct page_info *pg)
{
    unsigned int node = page_to_nid(pg);
    int rc;

    spin_lock(&heap_lock);
    rc = heap_remove_free_page(pg);
    if ( rc == 0 )
    {
        /* Claims are left alone: they may now exceed free memory. */
        BUG_ON(!total_avail_pages || !node_avail_pages[node]);
        total_avail_pages--;
        node_avail_pages[node]--;
        trace_heap(XCT_HEAP_OFFLINE);
    }
    spin_unlock(&heap_lock);

    return rc;
}

int online_offlined_page(struct page_info *pg)
{
    unsigned int node = page_to_nid(pg);
    int rc;

    spin_lock(&heap_lock);
    rc = heap_add_offlined_page(pg);
    if ( rc == 0 )
    {
        total_avail_pages++;
        node_avail_pages[node]++;
        trace_heap(XCT_HEAP_ONLINE);
    }
    spin_unlock(&heap_lock);

    return rc;
}

void claim_trace_dump(void)
{
    struct domain *d;
    unsigned int i;

    if ( !claim_tracing() )
        return;

    domlist_read_lock();

    spin_lock(&heap_lock);
    trace_heap(XCT_HEAP_DUMP);
    if ( nr_heap_nodes > 1 )
        for ( i = 0; i < nr_heap_nodes; i++ )
            TRACE_CLAIM(HEAP, XCT_HEAP_DUMP, i, node_avail_pages[i], 0, 0);
    spin_unlock(&heap_lock);

    for_each_domain ( d )
    {
        spin_lock(&d->page_alloc_lock);
        spin_lock(&heap_lock);
        trace_domain(d, XCT_DOM_DUMP);
        spin_unlock(&heap_lock);
        spin_unlock(&d->page_alloc_lock);
    }

    domlist_read_unlock();
}
