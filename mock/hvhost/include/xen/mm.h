/* xen/mm.h: page frames, allocator flags and the buddy-heap hooks hv/ calls. */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_MM_H
#define HVHOST_XEN_MM_H

#include <xen/types.h>

struct domain;

/* One per frame; hv/ never looks inside. */
struct page_info;

/* Allocator flags, with Xen's bit numbers. */
#define _MEMF_no_refcount 0
#define  MEMF_no_refcount (1U << _MEMF_no_refcount)
#define _MEMF_populate_on_demand 1
#define  MEMF_populate_on_demand (1U << _MEMF_populate_on_demand)
#define _MEMF_tmem        2
#define  MEMF_tmem        (1U << _MEMF_tmem)
#define _MEMF_no_dma      3
#define  MEMF_no_dma      (1U << _MEMF_no_dma)
#define _MEMF_exact_node  4
#define  MEMF_exact_node  (1U << _MEMF_exact_node)
#define _MEMF_no_owner    5
#define  MEMF_no_owner    (1U << _MEMF_no_owner)
#define _MEMF_node        8
#define  MEMF_node_mask   ((1U << (8 * sizeof(nodeid_t))) - 1)
#define  MEMF_node(n)     ((((n) + 1) & MEMF_node_mask) << _MEMF_node)
#define  MEMF_get_node(f) ((((f) >> _MEMF_node) - 1) & MEMF_node_mask)
#define NUMA_NO_NODE      0xFF

#define MAX_ORDER 18

/*
 * The buddy heap (in Xen the free lists of page_alloc.c; here the host's
 * simulated heap).  All are called with the heap lock held.
 */
/* Take a free 2^order block from node; NULL if it has none. */
struct page_info *heap_take_block(unsigned int node, unsigned int order);
/* Return a 2^order block to the free lists. */
void heap_put_block(struct page_info *pg, unsigned int order);
/* Remove one free frame (offlining): 0, -EBUSY if it is not free. */
int heap_remove_free_page(struct page_info *pg);
/* Return an offlined frame to the free lists: 0, -EINVAL if not offline. */
int heap_add_offlined_page(struct page_info *pg);
/* Evict one page from the tmem ephemeral pool, or NULL if it is empty. */
struct page_info *tmem_evict_page(void);
/* Add a page just allocated for tmem to its pool. */
void tmem_pool_add_page(struct page_info *pg);
nodeid_t page_to_nid(const struct page_info *pg);

/* Page ownership (struct page_info's owner field in Xen). */
struct domain *page_get_owner(const struct page_info *pg);
void page_set_owner(struct page_info *pg, unsigned int order,
                    struct domain *d);
/* Owned without counting towards tot_pages (Xen's PGC_extra). */
void page_set_extra(struct page_info *pg, unsigned int order, bool extra);
bool page_is_extra(const struct page_info *pg);

#endif
