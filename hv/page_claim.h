/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * page_claim.h: memory claims in the heap allocator.
 *
 * In Xen these declarations belong in xen/include/xen/mm.h.
 */
#ifndef __XEN_PAGE_CLAIM_H__
#define __XEN_PAGE_CLAIM_H__

#include <xen/types.h>
#include <xen/mm.h>

struct domain;
struct xen_memory_reservation;

/* Host totals read together under the heap lock. */
struct heap_totals {
    unsigned long free_pages;       /* free pages in the heap */
    unsigned long freeable_pages;   /* tmem pages reclaimable on demand */
    unsigned long outstanding;      /* sum of all outstanding claims */
    unsigned int nr_nodes;
    unsigned long node_free[MAX_NUMNODES];
};

/* 4.17 semantics instead of upstream's (a host's choice; see page_claim.c). */
extern bool claim_xen417_compat;

/* Heap set-up: nr_pages free pages of node have been added to the heap. */
void heap_add_node_pages(unsigned int node, unsigned long nr_pages);

/*
 * Allocate 2^order pages.  d == NULL is an anonymous allocation; with a
 * domain the pages are assigned to it (and count towards its tot_pages
 * unless MEMF_no_refcount).  NULL when refused because of outstanding
 * claims, when no block is free, or when assignment fails.
 */
struct page_info *alloc_domheap_pages(struct domain *d, unsigned int order,
                                      unsigned int memflags);
/* Free 2^order pages allocated by alloc_domheap_pages(). */
void free_domheap_pages(struct page_info *pg, unsigned int order);

/* Change d's tot_pages by pages; d->page_alloc_lock must be held. */
unsigned long domain_adjust_tot_pages(struct domain *d, long pages);

/*
 * Stake (pages > 0, an absolute target for d's size) or cancel
 * (pages == 0) d's claim.  flags: XENMEM_CLAIMF_*.  0, -EINVAL, -ENOMEM.
 */
int domain_set_outstanding_pages(struct domain *d, unsigned long pages,
                                 unsigned int flags);

/*
 * Trace a claim request refused before domain_set_outstanding_pages()
 * (bad arguments, no privilege), with the domain's figures if it exists.
 */
void claim_trace_refused(domid_t domid, unsigned int flags, long rc,
                         unsigned long pages);

/* XENMEM_claim_pages, after the argument has been copied in. */
long memory_claim_pages(const struct xen_memory_reservation *reservation);

/* Free pages and outstanding claims, read together. */
void get_outstanding_claims(uint64_t *free_pages, uint64_t *outstanding_pages);
/* d's outstanding claim, read under the heap lock (getdomaininfo). */
unsigned long domain_outstanding_pages(const struct domain *d);
/* Every host total, read together. */
void get_heap_totals(struct heap_totals *t);

/* Domain life cycle: creation, max_pages, the start of dying, the end. */
void domain_claim_created(struct domain *d);
void domain_set_max_pages(struct domain *d, uint64_t max_pages);
void domain_claim_kill(struct domain *d);
void domain_claim_destroyed(struct domain *d);

/*
 * tmem's ephemeral pool: put one page into it (0, -ENOMEM), or flush one
 * out (0, -ENOENT when empty).  Pool membership changes under the heap
 * lock, so that every freeable page can be evicted when counted.
 */
int tmem_put_page(void);
int tmem_flush_page(void);

/* Page offlining of a free page, and putting it back. 0, -EBUSY, -EINVAL. */
int offline_free_page(struct page_info *pg);
int online_offlined_page(struct page_info *pg);

/* Trace every host total and every domain: called when tracing starts. */
/* Trace the host totals and every domain: called when tracing starts. */
void claim_trace_dump(void);

#endif /* __XEN_PAGE_CLAIM_H__ */
