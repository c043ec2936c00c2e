/* public/memory.h: the XENMEM_claim_pages argument, as Xen's public header lays it out. */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_PUBLIC_MEMORY_H
#define HVHOST_PUBLIC_MEMORY_H

#include <xen/types.h>

#define XENMEM_claim_pages 24

/* Claim flags (xenclaim's extension; upstream takes none). */
#define _XENMEM_CLAIMF_free_only 0
#define  XENMEM_CLAIMF_free_only (1U << _XENMEM_CLAIMF_free_only)

/* A guest handle: in userspace, a plain pointer. */
typedef struct { xen_pfn_t *p; } xen_pfn_handle_t;
#define guest_handle_is_null(h) ((h).p == NULL)

struct xen_memory_reservation {
    xen_pfn_handle_t extent_start;
    xen_ulong_t nr_extents;
    unsigned int extent_order;
    unsigned int mem_flags;
    domid_t domid;
};
typedef struct xen_memory_reservation xen_memory_reservation_t;

#endif
