/* xcm_client.c: client library of the xenclaim-mock daemon. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mock/proto/xcm_client.h"
#include "mock/proto/xcm_proto.h"

struct xcm_client {
    int fd;
    bool broken;            /* a connection error happened */
    uint32_t act_as;
    uint32_t seq;
    struct xcm_hello hello;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct xcm_request rq;
    struct xcm_reply rp;
    uint8_t msg[XCM_MSG_MAX + 1];
};

int xcm_default_socket_path(char *buf, size_t len)
{
    const char *env = getenv(XCM_SOCKET_ENV);
    struct stat st;
    int n;

    if (env && *env)
        n = snprintf(buf, len, "%s", env);
    else if (geteuid() == 0 ||
             (stat(XCM_SOCKET_RUNDIR, &st) == 0 && S_ISDIR(st.st_mode) &&
              access(XCM_SOCKET_RUNDIR, W_OK | X_OK) == 0))
        n = snprintf(buf, len, "%s", XCM_SOCKET_RUNPATH);
    else if ((env = getenv("XDG_RUNTIME_DIR")) && *env)
        n = snprintf(buf, len, "%s/%s", env, XCM_SOCKET_XDGNAME);
    else
        n = snprintf(buf, len, "/tmp/xenclaim-mock-%u.sock",
                     (unsigned int)getuid());
    if (n < 0 || (size_t)n >= len ||
        (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return -ENAMETOOLONG;
    return 0;
}

/* Mark the connection dead and return the error every later call gets. */
static int broken(struct xcm_client *c)
{
    c->broken = true;
    return -ECONNRESET;
}

/*
 * Send c->rq and receive its reply into c->rp.  Returns 0 (the call's own
 * result is in c->rp.rc) or a connection error.
 */
static int roundtrip(struct xcm_client *c)
{
    ssize_t n;
    int rc;

    if (c->broken)
        return -ECONNRESET;
    c->rq.seq = ++c->seq;
    c->rq.act_as = c->act_as;
    n = xcm_encode_request(&c->rq, c->msg, XCM_MSG_MAX);
    if (n < 0)
        return (int)n;
    do
        rc = (int)send(c->fd, c->msg, (size_t)n, MSG_NOSIGNAL);
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return broken(c);
    do
        n = recv(c->fd, c->msg, sizeof(c->msg), MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return broken(c);
    if ((size_t)n > XCM_MSG_MAX) {
        c->broken = true;
        return -EPROTO;
    }
    rc = xcm_decode_reply(c->msg, (size_t)n, &c->rq, &c->rp);
    if (rc) {
        c->broken = true;
        return rc;
    }
    return 0;
}

/* Round trip of c->rq; the call's result (>= 0 or -errno). */
static int call(struct xcm_client *c)
{
    int rc = roundtrip(c);

    return rc ? rc : c->rp.rc;
}

/* Start a request of op with every scalar field zero. */
static struct xcm_request *req(struct xcm_client *c, uint16_t op)
{
    struct xcm_request *rq = &c->rq;

    rq->op = op;
    rq->domid = 0;
    rq->order = 0;
    rq->flags = 0;
    rq->count = 0;
    rq->flag = false;
    rq->value = 0;
    rq->name[0] = '\0';
    return rq;
}

/* Copy a name argument; -EMSGSIZE if it does not fit. */
static int set_name(struct xcm_request *rq, const char *name)
{
    size_t n = strlen(name);

    if (n >= HYP_NAME_MAX)
        return -EMSGSIZE;
    memset(rq->name, 0, sizeof(rq->name));
    memcpy(rq->name, name, n);
    return 0;
}

struct xcm_client *xcm_open(const char *socket_path, uint32_t act_as_domid)
{
    struct sockaddr_un sa;
    struct xcm_client *c;
    char def[sizeof(sa.sun_path)];
    int rc, err;

    if (!socket_path) {
        rc = xcm_default_socket_path(def, sizeof(def));
        if (rc) {
            errno = -rc;
            return NULL;
        }
        socket_path = def;
    }
    if (strlen(socket_path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    snprintf(c->path, sizeof(c->path), "%s", socket_path);
    c->act_as = act_as_domid;
    c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        goto fail;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, c->path, strlen(c->path));
    do
        rc = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        goto fail;
    req(c, XCM_OP_HELLO);
    rc = call(c);
    if (rc == 0 && c->rp.u.hello.version != XCM_VERSION)
        rc = -EPROTO;
    if (rc < 0) {
        /* A daemon that refuses HELLO does not speak this protocol. */
        errno = rc == -ECONNRESET ? ECONNRESET : EPROTO;
        goto fail;
    }
    c->hello = c->rp.u.hello;
    return c;

 fail:
    err = errno;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    errno = err;
    return NULL;
}

void xcm_close(struct xcm_client *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

const char *xcm_socket_path(const struct xcm_client *c)
{
    return c->path;
}

uint32_t xcm_act_as(const struct xcm_client *c)
{
    return c->act_as;
}

void xcm_set_act_as(struct xcm_client *c, uint32_t domid)
{
    c->act_as = domid;
}

const char *xcm_trace_area_path(const struct xcm_client *c)
{
    if (!c->hello.trace_path[0]) {
        errno = ENOENT;
        return NULL;
    }
    return c->hello.trace_path;
}

int xcm_get_config(const struct xcm_client *c, struct hyp_config *cfg)
{
    *cfg = c->hello.config;
    return 0;
}

int xcm_ping(struct xcm_client *c)
{
    req(c, XCM_OP_PING);
    return call(c);
}

int xcm_trace_enable(struct xcm_client *c, bool on)
{
    req(c, XCM_OP_TRACE_ENABLE)->flag = on;
    return call(c);
}

int xcm_physinfo(struct xcm_client *c, struct hyp_physinfo *pi)
{
    int rc;

    req(c, XCM_OP_PHYSINFO);
    rc = call(c);
    if (rc >= 0)
        *pi = c->rp.u.physinfo;
    return rc < 0 ? rc : 0;
}

int xcm_domain_create(struct xcm_client *c, uint32_t *domid,
                      const char *name)
{
    struct xcm_request *rq = req(c, XCM_OP_DOMAIN_CREATE);
    int rc;

    rq->domid = *domid;
    rc = set_name(rq, name ? name : "");
    if (rc)
        return rc;
    rc = call(c);
    if (rc >= 0)
        *domid = c->rp.domid;
    return rc < 0 ? rc : 0;
}

int xcm_domain_destroy(struct xcm_client *c, uint32_t domid)
{
    req(c, XCM_OP_DOMAIN_DESTROY)->domid = domid;
    return call(c);
}

int xcm_domain_setmaxmem(struct xcm_client *c, uint32_t domid,
                         uint64_t max_kb)
{
    struct xcm_request *rq = req(c, XCM_OP_DOMAIN_SETMAXMEM);

    rq->domid = domid;
    rq->value = max_kb;
    return call(c);
}

int xcm_domain_pause(struct xcm_client *c, uint32_t domid, bool pause)
{
    struct xcm_request *rq = req(c, XCM_OP_DOMAIN_PAUSE);

    rq->domid = domid;
    rq->flag = pause;
    return call(c);
}

int xcm_domain_rename(struct xcm_client *c, uint32_t domid,
                      const char *name)
{
    struct xcm_request *rq = req(c, XCM_OP_DOMAIN_RENAME);
    int rc;

    rq->domid = domid;
    rc = set_name(rq, name);
    return rc ? rc : call(c);
}

int xcm_domain_getinfo(struct xcm_client *c, uint32_t first,
                       unsigned int max, struct hyp_dominfo *out)
{
    unsigned int done = 0, ask;
    struct xcm_request *rq;
    int rc;

    while (done < max) {
        ask = max - done < XCM_MAX_DOMINFO ? max - done : XCM_MAX_DOMINFO;
        rq = req(c, XCM_OP_DOMAIN_GETINFO);
        rq->domid = first;
        rq->count = ask;
        rc = call(c);
        if (rc < 0)
            return done ? (int)done : rc;
        if (rc > 0)
            memcpy(out + done, c->rp.u.info, (size_t)rc * sizeof(*out));
        done += (unsigned int)rc;
        if ((unsigned int)rc < ask)
            break;
        /* Continue after the last domain seen. */
        first = out[done - 1].domid + 1;
    }
    return (int)done;
}

int xcm_domain_lookup(struct xcm_client *c, const char *name)
{
    int rc = set_name(req(c, XCM_OP_DOMAIN_LOOKUP), name);

    return rc ? rc : call(c);
}

int xcm_claim_pages(struct xcm_client *c, uint32_t domid,
                    uint64_t nr_pages, unsigned int flags)
{
    struct xcm_request *rq = req(c, XCM_OP_CLAIM_PAGES);

    rq->domid = domid;
    rq->value = nr_pages;
    rq->flags = flags;
    return call(c);
}

/* Populate or decrease nr extents in requests of XCM_MAX_EXTENTS. */
static long extents(struct xcm_client *c, uint16_t op, uint32_t domid,
                    unsigned int order, unsigned int memflags,
                    const uint64_t *gfns, unsigned long nr, uint64_t *mfns)
{
    unsigned long done = 0, ask;
    struct xcm_request *rq;
    int rc;

    /* A request of 0 extents still goes out: it checks the caller. */
    do {
        ask = nr - done < XCM_MAX_EXTENTS ? nr - done : XCM_MAX_EXTENTS;
        rq = req(c, op);
        rq->domid = domid;
        rq->order = order;
        rq->flags = memflags;
        rq->count = (uint32_t)ask;
        rq->flag = mfns != NULL;
        if (ask)
            memcpy(rq->gfns, gfns + done, ask * sizeof(*gfns));
        rc = call(c);
        if (rc < 0)
            return done ? (long)done : rc;
        if (mfns && rc > 0)
            memcpy(mfns + done, c->rp.u.mfns, (size_t)rc * sizeof(*mfns));
        done += (unsigned long)rc;
        if ((unsigned long)rc < ask)
            break;
    } while (done < nr);
    return (long)done;
}

long xcm_populate_physmap(struct xcm_client *c, uint32_t domid,
                          unsigned int order, unsigned int memflags,
                          const uint64_t *gfns, unsigned long nr,
                          uint64_t *mfns)
{
    return extents(c, XCM_OP_POPULATE_PHYSMAP, domid, order, memflags,
                   gfns, nr, mfns);
}

long xcm_decrease_reservation(struct xcm_client *c, uint32_t domid,
                              unsigned int order, const uint64_t *gfns,
                              unsigned long nr)
{
    return extents(c, XCM_OP_DECREASE_RESERVATION, domid, order, 0, gfns,
                   nr, NULL);
}

int xcm_domain_set_target(struct xcm_client *c, uint32_t domid,
                          uint64_t target_pages)
{
    struct xcm_request *rq = req(c, XCM_OP_DOMAIN_SET_TARGET);

    rq->domid = domid;
    rq->value = target_pages;
    return call(c);
}

/* An op with one u64 argument that answers a count. */
static long counted(struct xcm_client *c, uint16_t op, uint64_t n)
{
    int rc;

    req(c, op)->value = n;
    rc = call(c);
    return rc < 0 ? rc : (long)c->rp.count;
}

long xcm_tmem_put(struct xcm_client *c, uint64_t n)
{
    return counted(c, XCM_OP_TMEM_PUT, n);
}

long xcm_tmem_flush(struct xcm_client *c, uint64_t n)
{
    return counted(c, XCM_OP_TMEM_FLUSH, n);
}

long xcm_offline_any(struct xcm_client *c, uint64_t n)
{
    return counted(c, XCM_OP_OFFLINE_ANY, n);
}

int xcm_page_offline(struct xcm_client *c, uint64_t mfn)
{
    req(c, XCM_OP_PAGE_OFFLINE)->value = mfn;
    return call(c);
}

int xcm_page_online(struct xcm_client *c, uint64_t mfn)
{
    req(c, XCM_OP_PAGE_ONLINE)->value = mfn;
    return call(c);
}
