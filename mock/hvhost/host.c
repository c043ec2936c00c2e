/* host.c: the userspace host of hv/: locks, domains, current, heap hooks, tmem pool, tracing. */
/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/trace.h>

#include "hv/page_claim.h"
#include "heap/heap.h"
#include "hvhost.h"

/* One per frame: the owner's domain id (DOMID_INVALID when none), flags. */
struct page_info {
    _Atomic uint16_t owner;
    _Atomic uint8_t extra;          /* owned, not counted (PGC_extra) */
};

struct hvh_dom {
    struct domain d;
    _Atomic unsigned int refs;
};

static struct {
    bool ready;
    struct mheap *heap;
    struct page_info *frames;
    uint64_t nr_frames;

    pthread_rwlock_t domlist_lock;
    struct domain *domains[HVH_MAX_DOMID + 1];
    struct domain *domlist;
    unsigned int nr_domains;

    pthread_mutex_t tmem_lock;      /* inside the heap lock */
    uint64_t *tmem_pool;
    uint64_t tmem_count, tmem_reserved, tmem_capacity;

    hvh_trace_sink_fn *sink;
    void *sink_opaque;
    hvh_clock_fn *clock;
    void *clock_opaque;
} host = {
    .domlist_lock = PTHREAD_RWLOCK_INITIALIZER,
    .tmem_lock = PTHREAD_MUTEX_INITIALIZER,
};

_Atomic bool tb_init_done_flag;
static _Atomic uint64_t vclock;
static _Atomic unsigned long next_thread_id = 1;
static __thread unsigned long thread_id;
static __thread struct vcpu this_vcpu;

/* ---- xen/lib.h ------------------------------------------------------ */

void hvhost_bug(const char *what, const char *file, int line)
{
    fprintf(stderr, "hv: %s failed at %s:%d\n", what, file, line);
    abort();
}

void printk(const char *fmt, ...)
{
    va_list ap;

    if (!getenv("XENCLAIM_HV_LOG"))
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ---- xen/spinlock.h ------------------------------------------------- */

static unsigned long my_thread_id(void)
{
    if (!thread_id)
        thread_id = atomic_fetch_add(&next_thread_id, 1);
    return thread_id;
}

void spin_lock_init(spinlock_t *l)
{
    pthread_mutex_init(&l->m, NULL);
    atomic_store(&l->owner, 0);
}

void spin_lock(spinlock_t *l)
{
    pthread_mutex_lock(&l->m);
    atomic_store_explicit(&l->owner, my_thread_id(), memory_order_relaxed);
}

void spin_unlock(spinlock_t *l)
{
    atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
    pthread_mutex_unlock(&l->m);
}

bool spin_is_locked(const spinlock_t *l)
{
    return atomic_load_explicit(&l->owner, memory_order_relaxed) ==
           my_thread_id();
}

/* ---- xen/sched.h ---------------------------------------------------- */

struct vcpu *hvhost_current(void)
{
    return &this_vcpu;
}

void hvh_set_current(struct domain *d, unsigned int cpu)
{
    this_vcpu.domain = d;
    this_vcpu.processor = cpu;
}

struct domain *rcu_lock_domain_by_id(domid_t dom)
{
    struct domain *d = NULL;

    pthread_rwlock_rdlock(&host.domlist_lock);
    if (dom <= HVH_MAX_DOMID && host.domains[dom]) {
        d = host.domains[dom];
        atomic_fetch_add(&((struct hvh_dom *)d->host)->refs, 1);
    }
    pthread_rwlock_unlock(&host.domlist_lock);
    return d;
}

void rcu_unlock_domain(struct domain *d)
{
    atomic_fetch_sub(&((struct hvh_dom *)d->host)->refs, 1);
}

void domlist_read_lock(void)
{
    pthread_rwlock_rdlock(&host.domlist_lock);
}

void domlist_read_unlock(void)
{
    pthread_rwlock_unlock(&host.domlist_lock);
}

struct domain *domlist_first(void)
{
    return host.domlist;
}

/* ---- xen/mm.h: heap hooks (heap lock held by the caller) ------------ */

uint64_t hvh_page_to_mfn(const struct page_info *pg)
{
    return (uint64_t)(pg - host.frames);
}

struct page_info *hvh_mfn_to_page(uint64_t mfn)
{
    return mfn < host.nr_frames ? &host.frames[mfn] : NULL;
}

struct page_info *heap_take_block(unsigned int node, unsigned int order)
{
    uint64_t mfn;

    if (mheap_take(host.heap, node, order, &mfn))
        return NULL;
    return &host.frames[mfn];
}

void heap_put_block(struct page_info *pg, unsigned int order)
{
    int rc = mheap_put(host.heap, hvh_page_to_mfn(pg), order);

    if (rc)
        hvhost_bug("heap_put_block", __FILE__, __LINE__);
}

int heap_remove_free_page(struct page_info *pg)
{
    return mheap_offline(host.heap, hvh_page_to_mfn(pg));
}

int heap_add_offlined_page(struct page_info *pg)
{
    return mheap_online(host.heap, hvh_page_to_mfn(pg));
}

nodeid_t page_to_nid(const struct page_info *pg)
{
    int node = mheap_node_of(host.heap, hvh_page_to_mfn(pg));

    BUG_ON(node < 0);
    return (nodeid_t)node;
}

struct domain *page_get_owner(const struct page_info *pg)
{
    uint16_t id = atomic_load_explicit(&pg->owner, memory_order_relaxed);

    return id <= HVH_MAX_DOMID ? host.domains[id] : NULL;
}

void page_set_owner(struct page_info *pg, unsigned int order, struct domain *d)
{
    uint16_t id = d ? d->domain_id : DOMID_INVALID;
    unsigned long i;

    for (i = 0; i < (1UL << order); i++)
        atomic_store_explicit(&pg[i].owner, id, memory_order_relaxed);
}

void page_set_extra(struct page_info *pg, unsigned int order, bool extra)
{
    unsigned long i;

    for (i = 0; i < (1UL << order); i++)
        atomic_store_explicit(&pg[i].extra, extra, memory_order_relaxed);
}

bool page_is_extra(const struct page_info *pg)
{
    return atomic_load_explicit(&pg->extra, memory_order_relaxed);
}

void tmem_pool_add_page(struct page_info *pg)
{
    pthread_mutex_lock(&host.tmem_lock);
    if (host.tmem_count >= host.tmem_capacity)
        hvhost_bug("tmem pool overfilled", __FILE__, __LINE__);
    host.tmem_pool[host.tmem_count++] = hvh_page_to_mfn(pg);
    host.tmem_reserved--;
    pthread_mutex_unlock(&host.tmem_lock);
}

struct page_info *tmem_evict_page(void)
{
    struct page_info *pg = NULL;

    pthread_mutex_lock(&host.tmem_lock);
    if (host.tmem_count)
        pg = &host.frames[host.tmem_pool[--host.tmem_count]];
    pthread_mutex_unlock(&host.tmem_lock);
    return pg;
}

/* ---- xen/trace.h ---------------------------------------------------- */

void __trace_var(uint32_t event, bool cycles, unsigned int extra,
                 const void *extra_data)
{
    hvh_trace_sink_fn *sink = host.sink;
    uint64_t tsc = 0;

    if (unlikely(extra > 28 || (extra & 3)))
        hvhost_bug("__trace_var: bad payload size", __FILE__, __LINE__);
    if (!sink)
        return;
    if (cycles)
        tsc = host.clock ? host.clock(host.clock_opaque)
                         : atomic_fetch_add_explicit(&vclock, 1,
                                                     memory_order_relaxed) + 1;
    sink(host.sink_opaque, this_vcpu.processor, event, tsc, extra / 4,
         extra_data);
}

void hvh_set_trace_sink(hvh_trace_sink_fn *sink, void *opaque)
{
    host.sink_opaque = opaque;
    host.sink = sink;
}

void hvh_set_clock(hvh_clock_fn *clock, void *opaque)
{
    host.clock_opaque = opaque;
    host.clock = clock;
}

void hvh_trace_start(void)
{
    atomic_store(&tb_init_done_flag, true);
    claim_trace_dump();
}

void hvh_trace_stop(void)
{
    atomic_store(&tb_init_done_flag, false);
}

/* ---- set-up, domains ------------------------------------------------ */

int hvh_init(const struct hvh_config *cfg)
{
    unsigned int i;

    if (host.ready)
        return -EALREADY;
    if (!cfg->nr_nodes || cfg->nr_nodes > HVH_MAX_NODES)
        return -EINVAL;
    host.heap = mheap_new(cfg->nr_nodes, cfg->node_pages);
    if (!host.heap)
        return -errno;
    host.nr_frames = mheap_nr_frames(host.heap);
    host.frames = malloc(host.nr_frames * sizeof(*host.frames));
    host.tmem_pool = malloc((cfg->tmem_capacity + 1) * sizeof(uint64_t));
    if (!host.frames || !host.tmem_pool) {
        free(host.frames);
        free(host.tmem_pool);
        mheap_free(host.heap);
        return -ENOMEM;
    }
    for (i = 0; i < host.nr_frames; i++) {
        atomic_init(&host.frames[i].owner, DOMID_INVALID);
        atomic_init(&host.frames[i].extra, 0);
    }
    host.tmem_capacity = cfg->tmem_capacity;
    for (i = 0; i < cfg->nr_nodes; i++)
        heap_add_node_pages(i, cfg->node_pages[i]);
    host.ready = true;
    return 0;
}

uint64_t hvh_nr_frames(void)
{
    return host.nr_frames;
}

struct domain *hvh_domain_create(domid_t domid, bool privileged)
{
    struct hvh_dom *hd;
    struct domain *d;

    if (domid > HVH_MAX_DOMID) {
        errno = EINVAL;
        return NULL;
    }
    hd = calloc(1, sizeof(*hd));
    if (!hd) {
        errno = ENOMEM;
        return NULL;
    }
    d = &hd->d;
    d->domain_id = domid;
    d->is_privileged = privileged;
    d->host = hd;
    spin_lock_init(&d->page_alloc_lock);

    pthread_rwlock_wrlock(&host.domlist_lock);
    if (host.domains[domid]) {
        pthread_rwlock_unlock(&host.domlist_lock);
        free(hd);
        errno = EEXIST;
        return NULL;
    }
    host.domains[domid] = d;
    d->next_in_list = host.domlist;
    host.domlist = d;
    host.nr_domains++;
    pthread_rwlock_unlock(&host.domlist_lock);

    domain_claim_created(d);
    return d;
}

struct domain *hvh_domain_find(domid_t domid)
{
    struct domain *d = NULL;

    pthread_rwlock_rdlock(&host.domlist_lock);
    if (domid <= HVH_MAX_DOMID)
        d = host.domains[domid];
    pthread_rwlock_unlock(&host.domlist_lock);
    return d;
}

void hvh_domain_kill(struct domain *d)
{
    atomic_store(&d->is_dying, DOMDYING_dying);
    smp_mb();
    domain_claim_kill(d);
}

int hvh_domain_destroy(struct domain *d)
{
    struct hvh_dom *hd = d->host;
    struct domain **pp;

    if (!d->is_dying)
        return -EINVAL;
    spin_lock(&d->page_alloc_lock);
    if (d->tot_pages) {
        spin_unlock(&d->page_alloc_lock);
        return -EBUSY;
    }
    atomic_store(&d->is_dying, DOMDYING_dead);
    spin_unlock(&d->page_alloc_lock);

    domain_claim_destroyed(d);

    pthread_rwlock_wrlock(&host.domlist_lock);
    host.domains[d->domain_id] = NULL;
    for (pp = &host.domlist; *pp; pp = &(*pp)->next_in_list) {
        if (*pp == d) {
            *pp = d->next_in_list;
            break;
        }
    }
    host.nr_domains--;
    pthread_rwlock_unlock(&host.domlist_lock);

    /* Wait for lookups that found it before it left the table. */
    while (atomic_load(&hd->refs))
        sched_yield();
    pthread_mutex_destroy(&d->page_alloc_lock.m);
    free(hd);
    return 0;
}

unsigned int hvh_nr_domains(void)
{
    unsigned int n;

    pthread_rwlock_rdlock(&host.domlist_lock);
    n = host.nr_domains;
    pthread_rwlock_unlock(&host.domlist_lock);
    return n;
}

/* ---- tmem, offlining ------------------------------------------------ */

int hvh_tmem_put(void)
{
    int rc;

    pthread_mutex_lock(&host.tmem_lock);
    if (host.tmem_count + host.tmem_reserved >= host.tmem_capacity) {
        pthread_mutex_unlock(&host.tmem_lock);
        return -ENOSPC;
    }
    /* Reserve the slot; tmem_pool_add_page() fills it under the heap lock. */
    host.tmem_reserved++;
    pthread_mutex_unlock(&host.tmem_lock);

    rc = tmem_put_page();
    if (rc) {
        pthread_mutex_lock(&host.tmem_lock);
        host.tmem_reserved--;
        pthread_mutex_unlock(&host.tmem_lock);
    }
    return rc;
}

int hvh_tmem_flush(void)
{
    return tmem_flush_page();
}

uint64_t hvh_tmem_pool_pages(void)
{
    uint64_t n;

    pthread_mutex_lock(&host.tmem_lock);
    n = host.tmem_count;
    pthread_mutex_unlock(&host.tmem_lock);
    return n;
}

int hvh_offline_page(uint64_t mfn)
{
    struct page_info *pg = hvh_mfn_to_page(mfn);

    return pg ? offline_free_page(pg) : -EINVAL;
}

int hvh_online_page(uint64_t mfn)
{
    struct page_info *pg = hvh_mfn_to_page(mfn);

    return pg ? online_offlined_page(pg) : -EINVAL;
}

int hvh_heap_check(void)
{
    return mheap_check(host.heap);
}
