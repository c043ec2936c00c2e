/* push.c: remote write: a thread that queues a collection every push interval and posts it (snappy, protobuf) with libcurl, backing off while the receiver fails. */
/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exp.h"
#include "xce_rw.h"

#define BACKOFF_MIN_NS 100000000ull     /* first retry after 100 ms */

struct exp_push {
    struct exp_state *st;
    pthread_t thr;
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* signalled to stop */
    struct xce_rwq *q;
    CURL *curl;
    struct curl_slist *headers;
    uint64_t rejected;              /* samples a 4xx made us drop */
    char errbuf[CURL_ERROR_SIZE];
};

/* Discard whatever the receiver answers. */
static size_t sink(char *p, size_t size, size_t n, void *opaque)
{
    return size * n;
}

/* Sleep until CLOCK_MONOTONIC deadline_ns or stop. */
static void wait_until(struct exp_push *p, uint64_t deadline_ns)
{
    struct timespec ts;
    uint64_t now = exp_mono_ns();

    if (deadline_ns <= now)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    deadline_ns = (uint64_t)ts.tv_sec * 1000000000ull +
                  (uint64_t)ts.tv_nsec + (deadline_ns - now);
    ts.tv_sec = (time_t)(deadline_ns / 1000000000ull);
    ts.tv_nsec = (long)(deadline_ns % 1000000000ull);
    pthread_mutex_lock(&p->lock);
    while (!atomic_load(&p->st->stop) &&
           pthread_cond_timedwait(&p->cond, &p->lock, &ts) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&p->lock);
}

static void update_counters(struct exp_push *p)
{
    EXP_SET(p->st, rw_pending, xce_rwq_pending(p->q));
    EXP_SET(p->st, rw_dropped, xce_rwq_dropped(p->q) + p->rejected);
}

/*
 * Post one batch.  Returns 0 when it is done with (sent or rejected for
 * good), -EAGAIN when it should be retried later.
 */
static int post(struct exp_push *p, struct xce_buf *body)
{
    const struct exp_opts *o = p->st->opts;
    uint64_t first;
    size_t n, done;
    long code = 0;
    CURLcode cc;

    if (xce_rwq_encode(p->q, o->push_batch, body, &first, &n) < 0) {
        exp_log("remote write: cannot encode a request");
        return -EAGAIN;
    }
    if (n == 0)
        return 0;
    curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, body->p);
    curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)body->len);
    p->errbuf[0] = '\0';
    cc = curl_easy_perform(p->curl);
    if (cc == CURLE_OK)
        curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_OK && code >= 200 && code < 300) {
        done = xce_rwq_ack(p->q, first, n);
        EXP_COUNT(p->st, rw_sent, done);
        update_counters(p);
        return 0;
    }
    EXP_COUNT(p->st, rw_failed, 1);
    if (cc == CURLE_OK && code >= 400 && code < 500 && code != 429) {
        /* The receiver will never take these: give them up. */
        done = xce_rwq_ack(p->q, first, n);
        p->rejected += done;
        update_counters(p);
        if (!o->quiet)
            exp_log("remote write: HTTP %ld, %zu samples dropped", code,
                    done);
        return 0;
    }
    if (!o->quiet) {
        if (cc != CURLE_OK)
            exp_log("remote write: %s", p->errbuf[0] ? p->errbuf
                                                     : curl_easy_strerror(cc));
        else
            exp_log("remote write: HTTP %ld, will retry", code);
    }
    return -EAGAIN;
}

static void *run(void *arg)
{
    struct exp_push *p = arg;
    struct exp_state *st = p->st;
    const struct exp_opts *o = st->opts;
    uint64_t interval = (uint64_t)(o->push_interval_s * 1e9);
    uint64_t max_backoff = (uint64_t)(o->push_max_backoff_s * 1e9);
    uint64_t next_collect = exp_mono_ns(), retry_at = 0, backoff = 0, now;
    uint64_t deadline;
    struct xce_buf body = { 0 };
    struct xce_mset ms;
    bool failing = false;

    xce_mset_init(&ms);
    while (!atomic_load(&st->stop)) {
        now = exp_mono_ns();
        if (now >= next_collect) {
            if (exp_collect(st, &ms, NULL) == 0 &&
                xce_rwq_push(p->q, &ms, (int64_t)exp_unix_ms()) < 0)
                exp_log("remote write: out of memory queueing samples");
            update_counters(p);
            next_collect += interval;
            if (next_collect <= now)
                next_collect = now + interval;
        }
        while (xce_rwq_pending(p->q) && now >= retry_at &&
               !atomic_load(&st->stop)) {
            if (post(p, &body) < 0) {
                backoff = backoff ? backoff * 2 : BACKOFF_MIN_NS;
                if (backoff > max_backoff)
                    backoff = max_backoff;
                retry_at = exp_mono_ns() + backoff;
                failing = true;
                break;
            }
            if (failing && !o->quiet)
                exp_log("remote write: receiver back");
            failing = false;
            backoff = 0;
            now = exp_mono_ns();
            if (now >= next_collect)
                break;
        }
        /* Until the next collection, or the retry before it. */
        deadline = next_collect;
        if (xce_rwq_pending(p->q) && retry_at < deadline)
            deadline = retry_at;
        wait_until(p, deadline);
    }
    xce_buf_free(&body);
    xce_mset_free(&ms);
    return NULL;
}

struct exp_push *exp_push_start(struct exp_state *st)
{
    const struct exp_opts *o = st->opts;
    struct exp_push *p = calloc(1, sizeof(*p));
    pthread_condattr_t ca;

    if (!p)
        return NULL;
    p->st = st;
    p->q = xce_rwq_new(o->push_queue, o->n_push_labels, o->push_label_name,
                       o->push_label_value);
    p->curl = curl_easy_init();
    if (!p->q || !p->curl) {
        exp_log("remote write: cannot set up (%s)", strerror(ENOMEM));
        goto fail;
    }
    p->headers = curl_slist_append(NULL, "Content-Encoding: snappy");
    p->headers = curl_slist_append(p->headers,
                                   "Content-Type: application/x-protobuf");
    p->headers = curl_slist_append(p->headers,
                                   "X-Prometheus-Remote-Write-Version: "
                                   "0.1.0");
    p->headers = curl_slist_append(p->headers, "Expect:");
    curl_easy_setopt(p->curl, CURLOPT_URL, o->remote_write);
    curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(p->curl, CURLOPT_USERAGENT,
                     "xenclaim-exporter/" XENCLAIM_VERSION);
    curl_easy_setopt(p->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS,
                     (long)(o->push_timeout_s * 1000));
    curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->push_timeout_s * 1000));
    curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, p->errbuf);
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&p->thr, NULL, run, p) != 0) {
        exp_log("remote write: cannot start its thread");
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        goto fail;
    }
    return p;
fail:
    curl_slist_free_all(p->headers);
    if (p->curl)
        curl_easy_cleanup(p->curl);
    xce_rwq_free(p->q);
    free(p);
    return NULL;
}

void exp_push_stop(struct exp_push *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thr, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    curl_slist_free_all(p->headers);
    curl_easy_cleanup(p->curl);
    xce_rwq_free(p->q);
    free(p);
}
