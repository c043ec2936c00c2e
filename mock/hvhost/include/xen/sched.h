/* xen/sched.h: the parts of struct domain and the domain list that hv/ uses. */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_SCHED_H
#define HVHOST_XEN_SCHED_H

#include <xen/types.h>
#include <xen/spinlock.h>

#define DOMID_FIRST_RESERVED 0x7ff0U
#define DOMID_INVALID        0x7ff4U

enum domain_dying {
    DOMDYING_alive,
    DOMDYING_dying,
    DOMDYING_dead,
};

struct domain {
    domid_t domain_id;
    bool is_privileged;
    /* Protected by page_alloc_lock. */
    spinlock_t page_alloc_lock;
    unsigned int tot_pages;
    unsigned int max_pages;
    /* Protected by the heap lock (hv/page_claim.c). */
    unsigned int outstanding_pages;
    _Atomic int is_dying;
    struct domain *next_in_list;
    void *host;                     /* the host's own per-domain data */
};

struct vcpu {
    struct domain *domain;
    unsigned int processor;
};

/* The vCPU the calling thread acts as (a per-thread value in the host). */
struct vcpu *hvhost_current(void);
#define current (hvhost_current())

static inline bool is_control_domain(const struct domain *d)
{
    return d->is_privileged;
}

/* Look up a domain and hold a reference; NULL if there is none. */
struct domain *rcu_lock_domain_by_id(domid_t dom);
void rcu_unlock_domain(struct domain *d);

/* Walk every domain with the domain list read-locked. */
void domlist_read_lock(void);
void domlist_read_unlock(void);
struct domain *domlist_first(void);
#define for_each_domain(d) \
    for ( (d) = domlist_first(); (d) != NULL; (d) = (d)->next_in_list )

#endif
