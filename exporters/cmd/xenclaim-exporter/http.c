/* http.c: the HTTP side: libmicrohttpd serving /metrics in the negotiated format, with one rendered body per format and snapshot shared by concurrent scrapes. */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

/*
 * A rendered body is an MHD response, kept per format until the snapshot
 * generation changes: concurrent scrapes of one generation share it (MHD
 * counts the references of a response queued on several connections).
 * The format's mutex serialises rendering, so a burst of scrapers renders
 * once.  The body's own counters (scrapes...) are those of the moment it
 * was rendered.
 */
struct body_cache {
    pthread_mutex_t lock;
    struct MHD_Response *resp;
    uint64_t gen;                   /* snapshot generation rendered */
    uint64_t self_gen;              /* and st->self_gen */
};

struct exp_http {
    struct exp_state *st;
    struct MHD_Daemon *d;
    struct body_cache cache[XCE_NFORMATS];
};

/* Per-request state: set on the first call of the handler. */
struct req {
    size_t body;                /* request body bytes seen (discarded) */
};

static const char index_html[] =
    "<html><head><title>xenclaim-exporter</title></head><body>\n"
    "<h1>xenclaim-exporter</h1>\n"
    "<p>Xen memory claims for Prometheus: <a href=\"/metrics\">/metrics"
    "</a> (text 0.0.4, OpenMetrics 1.0 or protobuf, by Accept; or "
    "?format=text|openmetrics|protobuf).</p>\n</body></html>\n";

static enum MHD_Result reply(struct exp_http *h, struct MHD_Connection *c,
                             unsigned int code, const char *type,
                             const char *text)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (code >= 400)
        EXP_COUNT(h->st, http_errors, 1);
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static void free_body(void *p)
{
    free(p);
}

/* Render format f into a new response (NULL on failure). */
static struct MHD_Response *render(struct exp_http *h, enum xce_format f,
                                   uint64_t *gen)
{
    struct xce_mset ms;
    struct xce_buf out = { 0 };
    struct MHD_Response *r = NULL;
    size_t len;
    char *p;

    xce_mset_init(&ms);
    if (exp_collect(h->st, &ms, gen) < 0 || xce_render(&ms, f, &out) < 0)
        goto out;
    p = xce_buf_steal(&out, &len);
    r = MHD_create_response_from_buffer_with_free_callback(len, p,
                                                           free_body);
    if (!r) {
        free(p);
        goto out;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            xce_format_content_type(f));
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
out:
    xce_buf_free(&out);
    xce_mset_free(&ms);
    return r;
}

static enum MHD_Result metrics(struct exp_http *h, struct MHD_Connection *c)
{
    const char *accept, *q;
    struct body_cache *bc;
    enum xce_format f;
    enum MHD_Result ret;
    uint64_t gen, self_gen;

    q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    if (q) {
        int k = xce_format_parse(q);

        if (k < 0)
            return reply(h, c, MHD_HTTP_BAD_REQUEST, "text/plain",
                         "unknown format: use text, openmetrics or "
                         "protobuf\n");
        f = (enum xce_format)k;
    } else {
        accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                             MHD_HTTP_HEADER_ACCEPT);
        f = xce_negotiate(accept);
    }
    atomic_fetch_add(&h->st->scrapes[f], 1);
    bc = &h->cache[f];
    pthread_mutex_lock(&bc->lock);
    gen = exp_gen(h->st);
    self_gen = atomic_load(&h->st->self_gen);
    if (!bc->resp || bc->gen != gen || bc->self_gen != self_gen) {
        struct MHD_Response *r = render(h, f, &gen);

        if (!r) {
            pthread_mutex_unlock(&bc->lock);
            return reply(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                         "out of memory\n");
        }
        if (bc->resp)
            MHD_destroy_response(bc->resp);
        bc->resp = r;
        bc->gen = gen;
        bc->self_gen = self_gen;
    }
    /* Queued under the lock: the cached response cannot go away here. */
    ret = MHD_queue_response(c, MHD_HTTP_OK, bc->resp);
    pthread_mutex_unlock(&bc->lock);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct exp_http *h = cls;
    struct req *rq = *con_cls;

    if (!rq) {
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        /* No endpoint takes a body: count it and drop it. */
        rq->body += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                     "only GET and HEAD\n");
    if (rq->body)
        return reply(h, c, MHD_HTTP_BAD_REQUEST, "text/plain",
                     "a GET request has no body\n");
    if (strcmp(url, "/metrics") == 0)
        return metrics(h, c);
    if (strcmp(url, "/") == 0)
        return reply(h, c, MHD_HTTP_OK, "text/html; charset=utf-8",
                     index_html);
    if (strcmp(url, "/-/healthy") == 0 || strcmp(url, "/-/ready") == 0)
        return reply(h, c, MHD_HTTP_OK, "text/plain", "OK\n");
    return reply(h, c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    free(*con_cls);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const struct exp_http *h = cls;
    char line[512];
    size_t n;

    if (h->st->opts->quiet)
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    exp_log("http: %s", line);
}

/*
 * Parse ADDR:PORT ("127.0.0.1:9734", "[::1]:9734", "localhost:0",
 * ":9734" for every address) into ss.  0 or -EINVAL.
 */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        socklen_t *len)
{
    char host[256], *colon;
    const char *port;
    struct addrinfo hints = { 0 }, *ai;
    size_t n;

    if (s[0] == '[') {
        const char *end = strchr(s, ']');

        if (!end || end[1] != ':')
            return -EINVAL;
        n = (size_t)(end - s - 1);
        if (n >= sizeof(host))
            return -EINVAL;
        memcpy(host, s + 1, n);
        host[n] = '\0';
        port = end + 2;
    } else {
        if (strlen(s) >= sizeof(host))
            return -EINVAL;
        strcpy(host, s);
        colon = strrchr(host, ':');
        if (!colon)
            return -EINVAL;
        *colon = '\0';
        port = s + (colon - host) + 1;
    }
    if (!*port)
        return -EINVAL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(*host ? host : NULL, port, &hints, &ai) != 0)
        return -EINVAL;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

struct exp_http *exp_http_start(struct exp_state *st)
{
    const struct exp_opts *o = st->opts;
    struct sockaddr_storage ss;
    socklen_t sl;
    struct exp_http *h;
    unsigned int flags, i;
    const union MHD_DaemonInfo *info;
    char addr[INET6_ADDRSTRLEN] = "?";

    if (parse_listen(o->listen, &ss, &sl) < 0) {
        exp_log("bad --listen address '%s' (want ADDR:PORT)", o->listen);
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->st = st;
    for (i = 0; i < XCE_NFORMATS; i++)
        pthread_mutex_init(&h->cache[i].lock, NULL);
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
            MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, o->http_threads,
        MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, o->http_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed, h,
        MHD_OPTION_END);
    if (!h->d) {
        exp_log("cannot listen on %s: %s", o->listen, strerror(errno));
        exp_http_stop(h);
        return NULL;
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr,
                  sizeof(addr));
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr,
                  sizeof(addr));
    exp_log(ss.ss_family == AF_INET6 ? "listening on http://[%s]:%u/metrics"
                                     : "listening on http://%s:%u/metrics",
            addr, info ? info->port : 0);
    return h;
}

void exp_http_stop(struct exp_http *h)
{
    unsigned int i;

    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    for (i = 0; i < XCE_NFORMATS; i++) {
        if (h->cache[i].resp)
            MHD_destroy_response(h->cache[i].resp);
        pthread_mutex_destroy(&h->cache[i].lock);
    }
    free(h);
}
