/* exec.c: xenclaim-mock's execution of one decoded request as a hypercall. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xcmd.h"

/*
 * May the connection act as domid at all?  dom0 always; any other id must
 * be an existing ordinary domain (ids from HYP_DOMID_SELF up are special
 * and never a caller).  0 or -ESRCH.
 */
static int caller_exists(const struct hyp_caller *c)
{
    struct hyp_dominfo info;
    int rc;

    if (c->domid == 0)
        return 0;
    if (c->domid >= HYP_DOMID_SELF)
        return -ESRCH;
    /* An unprivileged caller sees itself (or nothing if it is gone). */
    rc = hyp_domain_getinfo(c, c->domid, 1, &info);
    if (rc < 0)
        return rc;
    return rc == 1 && info.domid == c->domid ? 0 : -ESRCH;
}

/* A long result into a reply: a count (rc 0) or an error. */
static void counted(struct xcm_reply *rp, long n)
{
    if (n < 0) {
        rp->rc = (int32_t)n;
        return;
    }
    rp->rc = 0;
    rp->count = (uint64_t)n;
}

void xcmd_exec(struct xcmd_server *s, unsigned int cpu,
               const struct xcm_request *rq, struct xcm_reply *rp)
{
    const struct hyp_caller c = { .domid = rq->act_as, .cpu = cpu };
    long n;
    int rc;

    rp->rc = 0;
    rp->domid = 0;
    rp->count = 0;
    rp->has_mfns = false;

    switch (rq->op) {
    case XCM_OP_HELLO:
        memset(&rp->u.hello, 0, sizeof(rp->u.hello));
        rp->u.hello.version = XCM_VERSION;
        rp->u.hello.config = *hyp_config();
        snprintf(rp->u.hello.trace_path, sizeof(rp->u.hello.trace_path),
                 "%s", xcmd_trace_path(s));
        return;
    case XCM_OP_PING:
        return;
    default:
        break;
    }

    /* Ids hyp_* would read as dom0 (DOMID_SELF...) never act as callers. */
    if (c.domid >= HYP_DOMID_SELF) {
        rp->rc = -ESRCH;
        return;
    }

    switch (rq->op) {
    case XCM_OP_TRACE_ENABLE:
        rc = caller_exists(&c);
        if (!rc && c.domid != 0)
            rc = -EPERM;
        rp->rc = rc ? rc : xcmd_trace_switch(s, cpu, c.domid, rq->flag);
        break;
    case XCM_OP_PHYSINFO:
        rp->rc = hyp_physinfo(&c, &rp->u.physinfo);
        break;
    case XCM_OP_DOMAIN_CREATE:
        rp->domid = rq->domid;
        rp->rc = hyp_domain_create(&c, &rp->domid, rq->name);
        break;
    case XCM_OP_DOMAIN_DESTROY:
        rp->rc = hyp_domain_destroy(&c, rq->domid);
        break;
    case XCM_OP_DOMAIN_SETMAXMEM:
        rp->rc = hyp_domain_setmaxmem(&c, rq->domid, rq->value);
        break;
    case XCM_OP_DOMAIN_PAUSE:
        rp->rc = hyp_domain_pause(&c, rq->domid, rq->flag);
        break;
    case XCM_OP_DOMAIN_RENAME:
        rp->rc = hyp_domain_rename(&c, rq->domid, rq->name);
        break;
    case XCM_OP_DOMAIN_GETINFO:
        rp->rc = hyp_domain_getinfo(&c, rq->domid, rq->count, rp->u.info);
        break;
    case XCM_OP_DOMAIN_LOOKUP:
        rc = caller_exists(&c);
        rp->rc = rc ? rc : hyp_domain_lookup(rq->name);
        break;
    case XCM_OP_CLAIM_PAGES:
        rp->rc = hyp_claim_pages(&c, rq->domid, rq->value, rq->flags);
        break;
    case XCM_OP_POPULATE_PHYSMAP:
        n = hyp_populate_physmap(&c, rq->domid, rq->order, rq->flags,
                                 rq->gfns, rq->count,
                                 rq->flag ? rp->u.mfns : NULL);
        rp->rc = (int32_t)n;
        rp->has_mfns = rq->flag;
        break;
    case XCM_OP_DECREASE_RESERVATION:
        n = hyp_decrease_reservation(&c, rq->domid, rq->order, rq->gfns,
                                     rq->count);
        rp->rc = (int32_t)n;
        break;
    case XCM_OP_DOMAIN_SET_TARGET:
        rp->rc = hyp_domain_set_target(&c, rq->domid, rq->value);
        break;
    case XCM_OP_TMEM_PUT:
        counted(rp, hyp_tmem_put(&c, rq->value));
        break;
    case XCM_OP_TMEM_FLUSH:
        counted(rp, hyp_tmem_flush(&c, rq->value));
        break;
    case XCM_OP_OFFLINE_ANY:
        counted(rp, hyp_offline_any(&c, rq->value));
        break;
    case XCM_OP_PAGE_OFFLINE:
        rp->rc = hyp_page_offline(&c, rq->value);
        break;
    case XCM_OP_PAGE_ONLINE:
        rp->rc = hyp_page_online(&c, rq->value);
        break;
    default:
        rp->rc = -ENOSYS;
        break;
    }
}
