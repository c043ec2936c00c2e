/* hyp.h: the mock hypervisor's hypercalls (domctl, sysctl, memory ops) over hv/ and its heap. */
/* SPDX-License-Identifier: MIT */
/*
 * Everything a toolstack can ask of the mock, executed in-process and
 * thread-safe: the daemon calls these from its per-CPU worker threads, the
 * scenario runner calls them directly.  Each call acts as a caller domain
 * (dom0 is privileged) on one simulated CPU, whose trace buffer receives
 * the records hv/ writes during the call.
 *
 * Errors follow Xen: a negative errno.  Memory ops that work on extents
 * return the number of extents done (which may be fewer than asked, and 0
 * for a domain that does not exist, as Xen 4.17 answers).
 */
#ifndef HYP_H
#define HYP_H

#include <stdbool.h>
#include <stdint.h>

#define HYP_MAX_NODES     64
#define HYP_NAME_MAX      64
#define HYP_MAX_ORDER     18
#define HYP_DOMID_SELF    0x7ff0u
#define HYP_DOMID_INVALID 0x7ff4u

/* Claim semantics a host follows. */
enum hyp_profile {
    HYP_PROFILE_UPSTREAM = 0,   /* hv/ as meant for Xen today */
    HYP_PROFILE_XEN417 = 1,     /* Xen 4.17 as measured: claims redeemed at
                                   assignment, frees re-grow a live claim */
};

struct hyp_config {
    unsigned int nr_nodes;              /* 1..HYP_MAX_NODES */
    uint64_t node_pages[HYP_MAX_NODES]; /* pages per node */
    uint64_t tmem_capacity;             /* tmem pool size, pages */
    unsigned int nr_cpus;               /* simulated CPUs, 1..256 */
    uint64_t dom0_pages;                /* dom0's size at start */
    uint64_t dom0_max_pages;            /* dom0's max_pages (>= dom0_pages) */
    unsigned int xen_pages_per_domain;  /* anonymous pages a create takes;
                                           4.17: see below */
    enum hyp_profile profile;
    /*
     * 4.17: when Xen's own pages of a destroyed domain come back: at the
     * start of the first call made xen_free_delay_ms or more after the
     * destroy (0: the very next call), never during the destroy itself.
     * Upstream profile: during the destroy, as before.
     */
    unsigned int xen_free_delay_ms;
};

/*
 * 4.17: Xen's own pages per domain, as measured on Xen 4.17 for the
 * smallest PV domain: xen_pages_per_domain - 1 whole pages plus Xen's
 * small allocations for it in a model of Xen's xmalloc pool (one-page
 * regions that domains share), so a creation takes N pages on a fresh
 * host and N - 1 when it fits in holes a destroy left, and a destroy
 * gives back N - 1 to N + 3 (docs/profiles.md).  The host starts with
 * two pool regions taken (those Xen's boot leaves with room in them):
 * physinfo's free pages are then total - dom0 - 2.
 */
/* The N xenclaim-mock serve --profile 4.17 uses unless told otherwise. */
#define HYP_XEN417_PAGES_PER_DOMAIN 14u
/* The delay xenclaim-mock serve --profile 4.17 uses (tens of ms, as seen). */
#define HYP_XEN417_FREE_DELAY_MS 20u

/* Who makes a call, and on which CPU it runs. */
struct hyp_caller {
    uint32_t domid;     /* 0: dom0 */
    unsigned int cpu;   /* < nr_cpus */
};

struct hyp_physinfo {
    uint64_t total_pages;
    uint64_t free_pages;
    uint64_t outstanding_pages;
    uint64_t freeable_pages;
    uint32_t nr_nodes;
    uint32_t nr_cpus;
    uint64_t node_free[HYP_MAX_NODES];
    uint64_t node_size[HYP_MAX_NODES];
    uint64_t offline_pages;
    uint32_t profile;
};

#define HYP_DOMF_DYING      (1u << 0)
#define HYP_DOMF_PAUSED     (1u << 1)
#define HYP_DOMF_PRIV       (1u << 2)

struct hyp_dominfo {
    uint32_t domid;
    uint32_t flags;             /* HYP_DOMF_* */
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t outstanding_pages;
    uint64_t created_ns;        /* CLOCK_MONOTONIC at creation */
    uint8_t handle[16];         /* a UUID, random at creation */
    char name[HYP_NAME_MAX];
};

/*
 * Trace output of the mock: where records go.  sink receives every record
 * (cpu = the caller's CPU); NULL drops them.  Set before tracing starts.
 */
typedef void hyp_trace_sink_fn(void *opaque, unsigned int cpu, uint32_t event,
                               uint64_t tsc, unsigned int nwords,
                               const uint32_t *words);

/*
 * Start the host: heap, dom0 (privileged, dom0_pages populated in
 * order-9 extents where possible).  Once per process.  0, -EINVAL,
 * -EALREADY, -ENOMEM.
 */
int hyp_init(const struct hyp_config *cfg);
const struct hyp_config *hyp_config(void);

/* Tracing: records go to sink; the clock gives TSCs (NULL: a counter). */
void hyp_set_trace(hyp_trace_sink_fn *sink, void *opaque,
                   uint64_t (*clock)(void *opaque), void *clock_opaque);
/* Switch tracing on (writes hv/'s state dump on the caller's CPU) / off. */
int hyp_trace_enable(const struct hyp_caller *c, bool on);

/* sysctl physinfo: every figure read together. */
int hyp_physinfo(const struct hyp_caller *c, struct hyp_physinfo *pi);

/*
 * domctl: create a domain (*domid 0: the next free id, increasing and not
 * reused at once, as Xen does; otherwise that id: -EEXIST if taken).
 * -EPERM for an unprivileged caller, -ENOMEM when Xen's own pages for it
 * cannot be had (claims may cover all free memory).  4.17: an id handed
 * out is used up even when the creation then fails, as Xen 4.17's domctl
 * moves its id rover before creating.
 */
int hyp_domain_create(const struct hyp_caller *c, uint32_t *domid,
                      const char *name);
/*
 * Kill and destroy: releases the claim, frees every page of the domain.
 * Xen's own pages for it are freed here too (upstream profile), or queued
 * to come back later (4.17: see xen_free_delay_ms).  -ESRCH, -EPERM.
 */
int hyp_domain_destroy(const struct hyp_caller *c, uint32_t domid);
/* max_pages := max_kb / 4.  -ESRCH, -EPERM. */
int hyp_domain_setmaxmem(const struct hyp_caller *c, uint32_t domid,
                         uint64_t max_kb);
int hyp_domain_pause(const struct hyp_caller *c, uint32_t domid, bool pause);
int hyp_domain_rename(const struct hyp_caller *c, uint32_t domid,
                      const char *name);
/*
 * Info on up to max domains with id >= first, in id order.  Returns the
 * number filled in.
 */
int hyp_domain_getinfo(const struct hyp_caller *c, uint32_t first,
                       unsigned int max, struct hyp_dominfo *out);
/* Find a domain by name: its id, or -ESRCH. */
int hyp_domain_lookup(const char *name);

/*
 * XENMEM_claim_pages: nr_pages is an absolute target; 0 cancels.  flags:
 * XENMEM_CLAIMF_* (4.17: any flag is -EINVAL, as Xen 4.17 has none).
 */
int hyp_claim_pages(const struct hyp_caller *c, uint32_t domid,
                    uint64_t nr_pages, unsigned int flags);
/*
 * XENMEM_populate_physmap: for each gfn, allocate a 2^order extent and map
 * it at gfn (aligned to 2^order).  Returns the extents done; stops at the
 * first that fails (claims, no block, max_pages, gfn already mapped).
 * memflags: hv/'s MEMF_* (MEMF_node(n) to prefer a node).
 * If mfns is not NULL, the first frame of each extent done is stored.
 */
long hyp_populate_physmap(const struct hyp_caller *c, uint32_t domid,
                          unsigned int order, unsigned int memflags,
                          const uint64_t *gfns, unsigned long nr,
                          uint64_t *mfns);
/*
 * XENMEM_decrease_reservation: free the 2^order pages mapped at each gfn.
 * Returns the extents done; stops at the first gfn not fully mapped.
 */
long hyp_decrease_reservation(const struct hyp_caller *c, uint32_t domid,
                              unsigned int order, const uint64_t *gfns,
                              unsigned long nr);
/* Balloon to target_pages by freeing or populating at the top gfns. */
int hyp_domain_set_target(const struct hyp_caller *c, uint32_t domid,
                          uint64_t target_pages);

/* tmem: put / flush n pages; returns pages done (>= 0) or -errno. */
long hyp_tmem_put(const struct hyp_caller *c, uint64_t n);
long hyp_tmem_flush(const struct hyp_caller *c, uint64_t n);
/* Offline a free frame / online it again.  -EBUSY if not free. */
int hyp_page_offline(const struct hyp_caller *c, uint64_t mfn);
int hyp_page_online(const struct hyp_caller *c, uint64_t mfn);
/* Offline up to n free frames anywhere; returns how many. */
long hyp_offline_any(const struct hyp_caller *c, uint64_t n);

#endif /* HYP_H */
