/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memory_claim.c: the XENMEM_claim_pages memory op.
 *
 * In Xen this is the XENMEM_claim_pages case of do_memory_op() in
 * common/memory.c; the argument has already been copied from the guest.
 */

#include <xen/types.h>
#include <xen/errno.h>
#include <xen/lib.h>
#include <xen/sched.h>
#include <public/memory.h>
#include <xsm/xsm.h>

#include "page_claim.h"

/* Refusals before a domain is in hand change nothing: trace and return. */
static long claim_refused(const struct xen_memory_reservation *r, long rc)
{
    claim_trace_refused(r->domid, r->mem_flags, rc, r->nr_extents);

    return rc;
}

long memory_claim_pages(const struct xen_memory_reservation *reservation)
{
    struct domain *d;
    long rc;

    if ( reservation->extent_order != 0 ||
         !guest_handle_is_null(reservation->extent_start) ||
         (reservation->mem_flags & ~XENMEM_CLAIMF_free_only) )
        return claim_refused(reservation, -EINVAL);

    d = rcu_lock_domain_by_id(reservation->domid);
    if ( d == NULL )
        return claim_refused(reservation, -EINVAL);

    rc = xsm_claim_pages(XSM_PRIV, d);
    if ( rc )
    {
        rcu_unlock_domain(d);
        return claim_refused(reservation, rc);
    }

    rc = domain_set_outstanding_pages(d, reservation->nr_extents,
                                      reservation->mem_flags);

    rcu_unlock_domain(d);

    return rc;
}
