/* hvhost.h: hosts hv/ in userspace: the heap, domains, vCPU identity and the trace sink. */
/* SPDX-License-Identifier: MIT */
/*
 * hv/ is compiled against the headers in mock/hvhost/include, which stand
 * in for Xen's.  This module implements what those headers declare (locks,
 * the domain list, `current`, the buddy-heap hooks over mock/heap, tmem's
 * pool, __trace_var) and gives the mock and the tests one set-up call.
 *
 * One host per process: hv/ keeps its heap counters in file-scope
 * variables, as Xen does.
 */
#ifndef HVHOST_H
#define HVHOST_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/types.h>
#include <xen/sched.h>
#include <xen/mm.h>

#define HVH_MAX_NODES   64
#define HVH_MAX_DOMID   0x7fefu     /* highest ordinary domain id */

struct hvh_config {
    unsigned int nr_nodes;                  /* 1..HVH_MAX_NODES */
    uint64_t node_pages[HVH_MAX_NODES];     /* free pages per node at start */
    uint64_t tmem_capacity;                 /* most pages tmem's pool holds */
};

/*
 * Trace sink: receives every record hv/ writes, on the calling thread.
 * cpu is the calling thread's vCPU processor (hvh_set_current()).
 */
typedef void hvh_trace_sink_fn(void *opaque, unsigned int cpu, uint32_t event,
                               uint64_t tsc, unsigned int nwords,
                               const uint32_t *words);
/* Time stamp source; the default is a global counter that never repeats. */
typedef uint64_t hvh_clock_fn(void *opaque);

/*
 * Set up the host: a heap of cfg's nodes, all free.  Must be called once,
 * before anything else.  0, -EINVAL (bad config), -EALREADY, -ENOMEM.
 */
int hvh_init(const struct hvh_config *cfg);

/* Total frames of the heap (free or not). */
uint64_t hvh_nr_frames(void);

/*
 * Create domain domid (privileged: a control domain such as dom0).  Traces
 * its creation.  NULL with errno EEXIST, EINVAL (domid above
 * HVH_MAX_DOMID) or ENOMEM.
 */
struct domain *hvh_domain_create(domid_t domid, bool privileged);
/* Look up a live domain without a reference (tests); NULL if none. */
struct domain *hvh_domain_find(domid_t domid);
/*
 * Start killing d: mark it dying and release its claim (hv/), so that it
 * can take no new claim.  Its pages are the caller's to free next.
 */
void hvh_domain_kill(struct domain *d);
/*
 * Remove a dying domain that owns no pages and free it, once every
 * reference taken with rcu_lock_domain_by_id() is dropped.  0, -EBUSY if
 * it still owns pages, -EINVAL if it is not dying.
 */
int hvh_domain_destroy(struct domain *d);
/* Number of live domains. */
unsigned int hvh_nr_domains(void);

/* Make the calling thread act as domain d's vCPU on processor cpu. */
void hvh_set_current(struct domain *d, unsigned int cpu);

/* Frame number of a page and back. */
uint64_t hvh_page_to_mfn(const struct page_info *pg);
struct page_info *hvh_mfn_to_page(uint64_t mfn);   /* NULL if out of range */

/*
 * tmem: put one page into the ephemeral pool (0, -ENOMEM when the heap has
 * no page, -ENOSPC when the pool is full), or flush one out (0, -ENOENT
 * when the pool is empty).  Pages are also evicted by allocations.
 */
int hvh_tmem_put(void);
int hvh_tmem_flush(void);
uint64_t hvh_tmem_pool_pages(void);

/* Offline a free frame, or bring an offlined one back (hv/'s errors). */
int hvh_offline_page(uint64_t mfn);
int hvh_online_page(uint64_t mfn);

/*
 * Tracing: route records to sink (NULL: drop them) and choose the clock
 * (NULL: the default counter).  hvh_trace_start() switches tracing on and
 * writes hv/'s state dump; hvh_trace_stop() switches it off.
 */
void hvh_set_trace_sink(hvh_trace_sink_fn *sink, void *opaque);
void hvh_set_clock(hvh_clock_fn *clock, void *opaque);
void hvh_trace_start(void);
void hvh_trace_stop(void);

/* Internal consistency check of the heap (tests): 0 or -EIO. */
int hvh_heap_check(void);

#endif /* HVHOST_H */
