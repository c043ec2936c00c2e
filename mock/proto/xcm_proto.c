/* xcm_proto.c: strict codecs of the xenclaim-mock wire protocol. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "mock/proto/xcm_proto.h"

/* ---- byte cursors ----------------------------------------------------- */

/* A writer over a buffer: stops writing (and sets err) once it is full. */
struct wbuf {
    uint8_t *p;
    size_t len, off;
    bool err;
};

/* A reader over a message: reads zeros (and sets err) past its end. */
struct rbuf {
    const uint8_t *p;
    size_t len, off;
    bool err;
};

static void put(struct wbuf *w, const void *v, size_t n)
{
    if (w->err || n > w->len - w->off) {
        w->err = true;
        return;
    }
    memcpy(w->p + w->off, v, n);
    w->off += n;
}

static void put32(struct wbuf *w, uint32_t v)
{
    put(w, &v, sizeof(v));
}

static void put16(struct wbuf *w, uint16_t v)
{
    put(w, &v, sizeof(v));
}

static void put64(struct wbuf *w, uint64_t v)
{
    put(w, &v, sizeof(v));
}

static void get(struct rbuf *r, void *v, size_t n)
{
    if (r->err || n > r->len - r->off) {
        r->err = true;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p + r->off, n);
    r->off += n;
}

static uint32_t get32(struct rbuf *r)
{
    uint32_t v;

    get(r, &v, sizeof(v));
    return v;
}

static uint16_t get16(struct rbuf *r)
{
    uint16_t v;

    get(r, &v, sizeof(v));
    return v;
}

static uint64_t get64(struct rbuf *r)
{
    uint64_t v;

    get(r, &v, sizeof(v));
    return v;
}

/* Bytes left to read. */
static size_t rleft(const struct rbuf *r)
{
    return r->len - r->off;
}

/* A name field: NUL-terminated, zero after the NUL. */
static bool name_ok(const char *name)
{
    size_t n = strnlen(name, HYP_NAME_MAX), i;

    if (n == HYP_NAME_MAX)
        return false;
    for (i = n; i < HYP_NAME_MAX; i++)
        if (name[i])
            return false;
    return true;
}

static void put_name(struct wbuf *w, const char *name)
{
    char field[HYP_NAME_MAX];
    size_t n = strnlen(name, HYP_NAME_MAX);

    memset(field, 0, sizeof(field));
    memcpy(field, name, n < HYP_NAME_MAX ? n : HYP_NAME_MAX);
    put(w, field, sizeof(field));
}

/* ---- op table --------------------------------------------------------- */

static const char *const op_names[XCM_OP_MAX + 1] = {
    [XCM_OP_HELLO] = "hello",
    [XCM_OP_PING] = "ping",
    [XCM_OP_TRACE_ENABLE] = "trace_enable",
    [XCM_OP_PHYSINFO] = "physinfo",
    [XCM_OP_DOMAIN_CREATE] = "domain_create",
    [XCM_OP_DOMAIN_DESTROY] = "domain_destroy",
    [XCM_OP_DOMAIN_SETMAXMEM] = "domain_setmaxmem",
    [XCM_OP_DOMAIN_PAUSE] = "domain_pause",
    [XCM_OP_DOMAIN_RENAME] = "domain_rename",
    [XCM_OP_DOMAIN_GETINFO] = "domain_getinfo",
    [XCM_OP_DOMAIN_LOOKUP] = "domain_lookup",
    [XCM_OP_CLAIM_PAGES] = "claim_pages",
    [XCM_OP_POPULATE_PHYSMAP] = "populate_physmap",
    [XCM_OP_DECREASE_RESERVATION] = "decrease_reservation",
    [XCM_OP_DOMAIN_SET_TARGET] = "domain_set_target",
    [XCM_OP_TMEM_PUT] = "tmem_put",
    [XCM_OP_TMEM_FLUSH] = "tmem_flush",
    [XCM_OP_PAGE_OFFLINE] = "page_offline",
    [XCM_OP_PAGE_ONLINE] = "page_online",
    [XCM_OP_OFFLINE_ANY] = "offline_any",
};

const char *xcm_op_name(unsigned int op)
{
    if (op == 0 || op > XCM_OP_MAX)
        return "?";
    return op_names[op];
}

/* ---- requests --------------------------------------------------------- */

/* Write the payload of rq; -EINVAL if rq is not valid. */
static int put_req_payload(struct wbuf *w, const struct xcm_request *rq)
{
    uint32_t i;

    switch (rq->op) {
    case XCM_OP_HELLO:
    case XCM_OP_PING:
    case XCM_OP_PHYSINFO:
        break;
    case XCM_OP_TRACE_ENABLE:
        put32(w, rq->flag);
        break;
    case XCM_OP_DOMAIN_CREATE:
    case XCM_OP_DOMAIN_RENAME:
        if (strnlen(rq->name, HYP_NAME_MAX) == HYP_NAME_MAX)
            return -EINVAL;
        put32(w, rq->domid);
        put_name(w, rq->name);
        break;
    case XCM_OP_DOMAIN_LOOKUP:
        if (strnlen(rq->name, HYP_NAME_MAX) == HYP_NAME_MAX)
            return -EINVAL;
        put_name(w, rq->name);
        break;
    case XCM_OP_DOMAIN_DESTROY:
        put32(w, rq->domid);
        break;
    case XCM_OP_DOMAIN_SETMAXMEM:
    case XCM_OP_DOMAIN_SET_TARGET:
        put32(w, rq->domid);
        put32(w, 0);
        put64(w, rq->value);
        break;
    case XCM_OP_DOMAIN_PAUSE:
        put32(w, rq->domid);
        put32(w, rq->flag);
        break;
    case XCM_OP_DOMAIN_GETINFO:
        if (rq->count == 0 || rq->count > XCM_MAX_DOMINFO)
            return -EINVAL;
        put32(w, rq->domid);
        put32(w, rq->count);
        break;
    case XCM_OP_CLAIM_PAGES:
        put32(w, rq->domid);
        put32(w, rq->flags);
        put64(w, rq->value);
        break;
    case XCM_OP_POPULATE_PHYSMAP:
        if (rq->count > XCM_MAX_EXTENTS)
            return -EINVAL;
        put32(w, rq->domid);
        put32(w, rq->order);
        put32(w, rq->flags);
        put32(w, rq->count);
        put32(w, rq->flag);
        put32(w, 0);
        for (i = 0; i < rq->count; i++)
            put64(w, rq->gfns[i]);
        break;
    case XCM_OP_DECREASE_RESERVATION:
        if (rq->count > XCM_MAX_EXTENTS)
            return -EINVAL;
        put32(w, rq->domid);
        put32(w, rq->order);
        put32(w, rq->count);
        put32(w, 0);
        for (i = 0; i < rq->count; i++)
            put64(w, rq->gfns[i]);
        break;
    case XCM_OP_TMEM_PUT:
    case XCM_OP_TMEM_FLUSH:
    case XCM_OP_OFFLINE_ANY:
    case XCM_OP_PAGE_OFFLINE:
    case XCM_OP_PAGE_ONLINE:
        put64(w, rq->value);
        break;
    default:
        return -EINVAL;
    }
    return 0;
}

ssize_t xcm_encode_request(const struct xcm_request *rq, void *buf,
                           size_t len)
{
    struct wbuf w = { .p = buf, .len = len };
    int rc;

    put32(&w, XCM_REQ_MAGIC);
    put16(&w, XCM_VERSION);
    put16(&w, rq->op);
    put32(&w, rq->seq);
    put32(&w, rq->act_as);
    put32(&w, 0);                       /* payload_len, below */
    rc = put_req_payload(&w, rq);
    if (rc)
        return rc;
    if (w.err || w.off > XCM_MSG_MAX)
        return -EMSGSIZE;
    w.len = w.off;
    w.off = XCM_REQ_HDR_SIZE - 4;
    put32(&w, (uint32_t)(w.len - XCM_REQ_HDR_SIZE));
    return (ssize_t)w.len;
}

/* A boolean field: 0 or 1. */
static int get_bool(struct rbuf *r, bool *v)
{
    uint32_t x = get32(r);

    if (x > 1)
        return -EINVAL;
    *v = x;
    return 0;
}

static int get_name(struct rbuf *r, char *name)
{
    get(r, name, HYP_NAME_MAX);
    if (r->err)
        return -EINVAL;
    return name_ok(name) ? 0 : -EINVAL;
}

/* A pad field: 0. */
static int get_pad(struct rbuf *r)
{
    return get32(r) ? -EINVAL : 0;
}

static int get_gfns(struct rbuf *r, struct xcm_request *rq)
{
    uint32_t i;

    if (rq->count > XCM_MAX_EXTENTS)
        return -EINVAL;
    /* Exactly count words must follow. */
    if (rleft(r) != (size_t)rq->count * 8)
        return -EINVAL;
    for (i = 0; i < rq->count; i++)
        rq->gfns[i] = get64(r);
    return 0;
}

/* Read the payload of rq->op from r; -EINVAL if malformed. */
static int get_req_payload(struct rbuf *r, struct xcm_request *rq)
{
    int rc = 0;

    switch (rq->op) {
    case XCM_OP_HELLO:
    case XCM_OP_PING:
    case XCM_OP_PHYSINFO:
        break;
    case XCM_OP_TRACE_ENABLE:
        rc = get_bool(r, &rq->flag);
        break;
    case XCM_OP_DOMAIN_CREATE:
    case XCM_OP_DOMAIN_RENAME:
        rq->domid = get32(r);
        rc = get_name(r, rq->name);
        break;
    case XCM_OP_DOMAIN_LOOKUP:
        rc = get_name(r, rq->name);
        break;
    case XCM_OP_DOMAIN_DESTROY:
        rq->domid = get32(r);
        break;
    case XCM_OP_DOMAIN_SETMAXMEM:
    case XCM_OP_DOMAIN_SET_TARGET:
        rq->domid = get32(r);
        rc = get_pad(r);
        rq->value = get64(r);
        break;
    case XCM_OP_DOMAIN_PAUSE:
        rq->domid = get32(r);
        rc = get_bool(r, &rq->flag);
        break;
    case XCM_OP_DOMAIN_GETINFO:
        rq->domid = get32(r);
        rq->count = get32(r);
        if (rq->count == 0 || rq->count > XCM_MAX_DOMINFO)
            rc = -EINVAL;
        break;
    case XCM_OP_CLAIM_PAGES:
        rq->domid = get32(r);
        rq->flags = get32(r);
        rq->value = get64(r);
        break;
    case XCM_OP_POPULATE_PHYSMAP:
        rq->domid = get32(r);
        rq->order = get32(r);
        rq->flags = get32(r);
        rq->count = get32(r);
        rc = get_bool(r, &rq->flag);
        if (!rc)
            rc = get_pad(r);
        if (!rc && !r->err)
            rc = get_gfns(r, rq);
        break;
    case XCM_OP_DECREASE_RESERVATION:
        rq->domid = get32(r);
        rq->order = get32(r);
        rq->count = get32(r);
        rc = get_pad(r);
        if (!rc && !r->err)
            rc = get_gfns(r, rq);
        break;
    case XCM_OP_TMEM_PUT:
    case XCM_OP_TMEM_FLUSH:
    case XCM_OP_OFFLINE_ANY:
    case XCM_OP_PAGE_OFFLINE:
    case XCM_OP_PAGE_ONLINE:
        rq->value = get64(r);
        break;
    default:
        return -ENOSYS;
    }
    if (rc)
        return rc;
    /* Short, or bytes left over: the payload has the wrong size. */
    if (r->err || rleft(r))
        return -EINVAL;
    return 0;
}

int xcm_decode_request(const void *buf, size_t len, struct xcm_request *rq)
{
    struct rbuf r = { .p = buf, .len = len };
    uint32_t magic, plen;
    uint16_t version;

    rq->seq = 0;
    rq->op = 0;
    rq->act_as = 0;
    rq->domid = 0;
    rq->order = 0;
    rq->flags = 0;
    rq->count = 0;
    rq->flag = false;
    rq->value = 0;
    memset(rq->name, 0, sizeof(rq->name));
    if (len >= 12)
        memcpy(&rq->seq, (const uint8_t *)buf + 8, sizeof(rq->seq));
    if (len < XCM_REQ_HDR_SIZE || len > XCM_MSG_MAX)
        return -EPROTO;
    magic = get32(&r);
    version = get16(&r);
    rq->op = get16(&r);
    rq->seq = get32(&r);
    rq->act_as = get32(&r);
    plen = get32(&r);
    if (magic != XCM_REQ_MAGIC)
        return -EPROTO;
    if (plen != len - XCM_REQ_HDR_SIZE)
        return -EPROTO;
    if (version != XCM_VERSION)
        return -EPROTONOSUPPORT;
    if (rq->op == 0 || rq->op > XCM_OP_MAX)
        return -ENOSYS;
    return get_req_payload(&r, rq);
}

/* ---- structures in payloads ------------------------------------------ */

static void put_config(struct wbuf *w, const struct hyp_config *c)
{
    unsigned int i;

    put32(w, c->nr_nodes);
    put32(w, c->nr_cpus);
    put32(w, c->xen_pages_per_domain);
    put32(w, (uint32_t)c->profile);
    put64(w, c->tmem_capacity);
    put64(w, c->dom0_pages);
    put64(w, c->dom0_max_pages);
    for (i = 0; i < HYP_MAX_NODES; i++)
        put64(w, c->node_pages[i]);
}

static int get_config(struct rbuf *r, struct hyp_config *c)
{
    unsigned int i;

    memset(c, 0, sizeof(*c));
    c->nr_nodes = get32(r);
    c->nr_cpus = get32(r);
    c->xen_pages_per_domain = get32(r);
    c->profile = (enum hyp_profile)get32(r);
    c->tmem_capacity = get64(r);
    c->dom0_pages = get64(r);
    c->dom0_max_pages = get64(r);
    for (i = 0; i < HYP_MAX_NODES; i++)
        c->node_pages[i] = get64(r);
    if (c->nr_nodes == 0 || c->nr_nodes > HYP_MAX_NODES ||
        c->nr_cpus == 0 || c->nr_cpus > 256)
        return -EPROTO;
    return 0;
}

static void put_physinfo(struct wbuf *w, const struct hyp_physinfo *pi)
{
    unsigned int i;

    put64(w, pi->total_pages);
    put64(w, pi->free_pages);
    put64(w, pi->outstanding_pages);
    put64(w, pi->freeable_pages);
    put64(w, pi->offline_pages);
    put32(w, pi->nr_nodes);
    put32(w, pi->nr_cpus);
    put32(w, pi->profile);
    put32(w, 0);
    for (i = 0; i < HYP_MAX_NODES; i++)
        put64(w, pi->node_free[i]);
    for (i = 0; i < HYP_MAX_NODES; i++)
        put64(w, pi->node_size[i]);
}

static int get_physinfo(struct rbuf *r, struct hyp_physinfo *pi)
{
    unsigned int i;

    memset(pi, 0, sizeof(*pi));
    pi->total_pages = get64(r);
    pi->free_pages = get64(r);
    pi->outstanding_pages = get64(r);
    pi->freeable_pages = get64(r);
    pi->offline_pages = get64(r);
    pi->nr_nodes = get32(r);
    pi->nr_cpus = get32(r);
    pi->profile = get32(r);
    if (get32(r))
        return -EPROTO;
    for (i = 0; i < HYP_MAX_NODES; i++)
        pi->node_free[i] = get64(r);
    for (i = 0; i < HYP_MAX_NODES; i++)
        pi->node_size[i] = get64(r);
    if (pi->nr_nodes > HYP_MAX_NODES)
        return -EPROTO;
    return 0;
}

static void put_dominfo(struct wbuf *w, const struct hyp_dominfo *d)
{
    put32(w, d->domid);
    put32(w, d->flags);
    put64(w, d->tot_pages);
    put64(w, d->max_pages);
    put64(w, d->outstanding_pages);
    put64(w, d->created_ns);
    put(w, d->handle, sizeof(d->handle));
    put_name(w, d->name);
}

static int get_dominfo(struct rbuf *r, struct hyp_dominfo *d)
{
    memset(d, 0, sizeof(*d));
    d->domid = get32(r);
    d->flags = get32(r);
    d->tot_pages = get64(r);
    d->max_pages = get64(r);
    d->outstanding_pages = get64(r);
    d->created_ns = get64(r);
    get(r, d->handle, sizeof(d->handle));
    return get_name(r, d->name) ? -EPROTO : 0;
}

/* ---- replies ---------------------------------------------------------- */

ssize_t xcm_encode_error(uint32_t seq, int32_t rc, void *buf, size_t len)
{
    struct wbuf w = { .p = buf, .len = len };

    put32(&w, XCM_REP_MAGIC);
    put32(&w, seq);
    put32(&w, (uint32_t)rc);
    put32(&w, 0);
    return w.err ? -EMSGSIZE : (ssize_t)w.off;
}

static int put_rep_payload(struct wbuf *w, const struct xcm_reply *rp)
{
    const struct xcm_hello *h = &rp->u.hello;
    size_t n;
    int32_t i;

    switch (rp->op) {
    case XCM_OP_HELLO:
        put32(w, h->version);
        put32(w, 0);
        put_config(w, &h->config);
        n = strnlen(h->trace_path, XCM_PATH_MAX);
        if (n == XCM_PATH_MAX)
            return -EINVAL;
        put32(w, n ? (uint32_t)n + 1 : 0);
        if (n)
            put(w, h->trace_path, n + 1);
        break;
    case XCM_OP_PHYSINFO:
        put_physinfo(w, &rp->u.physinfo);
        break;
    case XCM_OP_DOMAIN_CREATE:
        put32(w, rp->domid);
        break;
    case XCM_OP_DOMAIN_GETINFO:
        if (rp->rc > (int32_t)XCM_MAX_DOMINFO)
            return -EINVAL;
        for (i = 0; i < rp->rc; i++) {
            if (strnlen(rp->u.info[i].name, HYP_NAME_MAX) == HYP_NAME_MAX)
                return -EINVAL;
            put_dominfo(w, &rp->u.info[i]);
        }
        break;
    case XCM_OP_POPULATE_PHYSMAP:
        if (rp->rc > (int32_t)XCM_MAX_EXTENTS)
            return -EINVAL;
        if (rp->has_mfns)
            for (i = 0; i < rp->rc; i++)
                put64(w, rp->u.mfns[i]);
        break;
    case XCM_OP_TMEM_PUT:
    case XCM_OP_TMEM_FLUSH:
    case XCM_OP_OFFLINE_ANY:
        put64(w, rp->count);
        break;
    default:
        break;
    }
    return 0;
}

ssize_t xcm_encode_reply(const struct xcm_reply *rp, void *buf, size_t len)
{
    struct wbuf w = { .p = buf, .len = len };
    int rc;

    if (rp->rc < 0)
        return xcm_encode_error(rp->seq, rp->rc, buf, len);
    put32(&w, XCM_REP_MAGIC);
    put32(&w, rp->seq);
    put32(&w, (uint32_t)rp->rc);
    put32(&w, 0);
    rc = put_rep_payload(&w, rp);
    if (rc)
        return rc;
    if (w.err || w.off > XCM_MSG_MAX)
        return -EMSGSIZE;
    w.len = w.off;
    w.off = XCM_REP_HDR_SIZE - 4;
    put32(&w, (uint32_t)(w.len - XCM_REP_HDR_SIZE));
    return (ssize_t)w.len;
}

static int get_hello(struct rbuf *r, struct xcm_hello *h)
{
    uint32_t plen;

    h->version = get32(r);
    if (get32(r) || get_config(r, &h->config))
        return -EPROTO;
    plen = get32(r);
    memset(h->trace_path, 0, sizeof(h->trace_path));
    if (plen > XCM_PATH_MAX || plen > rleft(r))
        return -EPROTO;
    if (plen) {
        get(r, h->trace_path, plen);
        /* One NUL, at the end, and a non-empty path. */
        if (plen < 2 || strnlen(h->trace_path, plen) != plen - 1)
            return -EPROTO;
    }
    return 0;
}

static int get_rep_payload(struct rbuf *r, const struct xcm_request *rq,
                           struct xcm_reply *rp)
{
    int32_t i;

    switch (rq->op) {
    case XCM_OP_HELLO:
        if (get_hello(r, &rp->u.hello))
            return -EPROTO;
        break;
    case XCM_OP_PHYSINFO:
        if (get_physinfo(r, &rp->u.physinfo))
            return -EPROTO;
        break;
    case XCM_OP_DOMAIN_CREATE:
        rp->domid = get32(r);
        break;
    case XCM_OP_DOMAIN_GETINFO:
        if (rp->rc > (int32_t)rq->count)
            return -EPROTO;
        for (i = 0; i < rp->rc; i++)
            if (get_dominfo(r, &rp->u.info[i]))
                return -EPROTO;
        break;
    case XCM_OP_POPULATE_PHYSMAP:
        if (rp->rc > (int32_t)rq->count)
            return -EPROTO;
        rp->has_mfns = rq->flag;
        if (rq->flag)
            for (i = 0; i < rp->rc; i++)
                rp->u.mfns[i] = get64(r);
        break;
    case XCM_OP_DECREASE_RESERVATION:
        if (rp->rc > (int32_t)rq->count)
            return -EPROTO;
        break;
    case XCM_OP_TMEM_PUT:
    case XCM_OP_TMEM_FLUSH:
    case XCM_OP_OFFLINE_ANY:
        rp->count = get64(r);
        break;
    default:
        break;
    }
    if (r->err || rleft(r))
        return -EPROTO;
    return 0;
}

int xcm_decode_reply(const void *buf, size_t len,
                     const struct xcm_request *rq, struct xcm_reply *rp)
{
    struct rbuf r = { .p = buf, .len = len };
    uint32_t magic, plen;

    rp->op = rq->op;
    rp->domid = 0;
    rp->count = 0;
    rp->has_mfns = false;
    if (len < XCM_REP_HDR_SIZE || len > XCM_MSG_MAX)
        return -EPROTO;
    magic = get32(&r);
    rp->seq = get32(&r);
    rp->rc = (int32_t)get32(&r);
    plen = get32(&r);
    if (magic != XCM_REP_MAGIC || rp->seq != rq->seq ||
        plen != len - XCM_REP_HDR_SIZE)
        return -EPROTO;
    if (rp->rc < 0)
        return plen ? -EPROTO : 0;
    return get_rep_payload(&r, rq, rp);
}
