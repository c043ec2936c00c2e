/* rw_sink.c: a remote-write receiver for tests: answers with a status read from a file, decodes what it accepts and logs each request. */
/* SPDX-License-Identifier: MIT */
/*
 * Usage: xce-rw-sink PORT_FILE LOG_FILE [STATUS_FILE]
 *
 * Listens on 127.0.0.1 (a free port, written to PORT_FILE), takes POST
 * /api/v1/write.  The status of each answer is the number in STATUS_FILE
 * when it exists (204 otherwise).  Every request appends one line to
 * LOG_FILE: "t=MS status=S samples=N series=K headers=ok|bad" (MS: the
 * monotonic clock in milliseconds) where N and K
 * come from decoding the body (snappy block, then WriteRequest), or
 * "decode=bad" when it does not decode.  Stops on SIGTERM/SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build/gen/exporters/proto/xrw.pb-c.h"

struct req {
    char *body;
    size_t len, cap;
};

static const char *log_path, *status_path;

static unsigned long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int status_now(void)
{
    FILE *f = status_path ? fopen(status_path, "r") : NULL;
    int code = 204;

    if (f) {
        if (fscanf(f, "%d", &code) != 1)
            code = 204;
        fclose(f);
    }
    return code;
}

static int header_is(struct MHD_Connection *c, const char *name,
                     const char *want)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

    return v && strcmp(v, want) == 0;
}

static void log_request(struct MHD_Connection *c, int code,
                        const struct req *rq)
{
    Xrw__WriteRequest *wr = NULL;
    size_t raw_len = 0, samples = 0, i;
    char *raw = NULL;
    int hdr_ok;
    FILE *f;

    hdr_ok = header_is(c, "Content-Encoding", "snappy") &&
             header_is(c, "Content-Type", "application/x-protobuf") &&
             header_is(c, "X-Prometheus-Remote-Write-Version", "0.1.0");
    if (snappy_uncompressed_length(rq->body, rq->len, &raw_len) ==
            SNAPPY_OK &&
        (raw = malloc(raw_len ? raw_len : 1)) &&
        snappy_uncompress(rq->body, rq->len, raw, &raw_len) == SNAPPY_OK)
        wr = xrw__write_request__unpack(NULL, raw_len, (uint8_t *)raw);
    f = fopen(log_path, "a");
    if (f) {
        if (wr) {
            for (i = 0; i < wr->n_timeseries; i++)
                samples += wr->timeseries[i]->n_samples;
            fprintf(f, "t=%llu status=%d samples=%zu series=%zu headers=%s\n",
                    now_ms(), code, samples, wr->n_timeseries,
                    hdr_ok ? "ok" : "bad");
        } else {
            fprintf(f, "t=%llu status=%d decode=bad headers=%s\n", now_ms(),
                    code, hdr_ok ? "ok" : "bad");
        }
        fclose(f);
    }
    if (wr)
        xrw__write_request__free_unpacked(wr, NULL);
    free(raw);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct req *rq = *con_cls;
    struct MHD_Response *r;
    enum MHD_Result ret;
    int code;

    if (!rq) {
        rq = calloc(1, sizeof(*rq));
        *con_cls = rq;
        return rq ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        if (rq->len + *upload_size > rq->cap) {
            size_t cap = (rq->len + *upload_size) * 2;
            char *b = realloc(rq->body, cap);

            if (!b)
                return MHD_NO;
            rq->body = b;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, *upload_size);
        rq->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    code = strcmp(method, "POST") == 0 && strcmp(url, "/api/v1/write") == 0
               ? status_now()
               : 404;
    if (code != 404)
        log_request(c, code, rq);
    r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, (unsigned int)code, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;

    if (rq)
        free(rq->body);
    free(rq);
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    sigset_t set;
    FILE *f;
    int sig;

    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT_FILE LOG_FILE [STATUS_FILE]\n",
                argv[0]);
        return 2;
    }
    log_path = argv[2];
    status_path = argc > 3 ? argv[3] : NULL;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    {
        struct sockaddr_in sa = { .sin_family = AF_INET };

        sa.sin_addr.s_addr = htonl(0x7f000001);
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                             handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                             MHD_OPTION_END);
    }
    if (!d) {
        perror("MHD_start_daemon");
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    f = fopen(argv[1], "w");
    if (!f || !info)
        return 1;
    fprintf(f, "%u\n", info->port);
    fclose(f);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
