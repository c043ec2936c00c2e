/* server.c: xenclaim-mock's poll loop, per-CPU workers, trace service. */
/* SPDX-License-Identifier: MIT */
/*
 * Threads:
 *   main (poll loop)  waits in epoll for connections, requests and signals
 *                     (a signalfd); reads one request from a connection
 *                     into the connection's buffer and queues it
 *   worker c          one per simulated CPU c: takes the oldest queued
 *                     connection, decodes and runs its request as CPU c
 *                     (holding CPU c's lock), sends the reply and re-arms
 *                     the connection in epoll
 *   trace service     waits for tracing to be enabled in the area (by a
 *                     consumer) and then has hv/ dump its state on CPU 0
 *
 * A connection is in the epoll set only while it waits for a request:
 * the poll loop takes it out before reading one, and its worker adds it
 * back after the reply.  So a connection has at most one request in
 * flight and is answered in order, and whoever holds a connection that is
 * out of the set owns it.  (Out and back in rather than EPOLLONESHOT and
 * EPOLL_CTL_MOD: adding is what orders the worker's last touch of
 * the connection before the poll loop's next one, for ThreadSanitizer
 * too.)  The shared FIFO
 * serves connections round-robin.  A request is run whole whatever the
 * peer does; the reply to a peer that left is dropped (MSG_NOSIGNAL), and
 * the worker closes that connection.  A peer that does not read its
 * replies (send would block) is cut off.
 *
 * Lock order: a CPU lock, then trace_lock, then qlock.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xcmd.h"

/* Connections served at once (each holds a 64 KiB buffer). */
#define XCMD_MAX_CONNS 1024u

struct conn {
    int fd;
    unsigned long id;
    bool warned;            /* a malformed request was logged */
    size_t len;             /* bytes of the message in msg (as received) */
    struct conn *next;      /* work queue link */
    struct conn *prev_all, *next_all;   /* every connection (qlock) */
    uint8_t msg[XCM_MSG_MAX + 1];
};

struct worker {
    struct xcmd_server *s;
    unsigned int cpu;
    pthread_t thread;
    struct xcm_request rq;
    struct xcm_reply rp;
    uint8_t out[XCM_MSG_MAX];
};

struct xcmd_server {
    const struct xcmd_opts *o;
    unsigned int ncpus;

    /* Trace area (NULL: none) and how it was obtained. */
    struct xtb_area *area;
    bool area_created;
    int area_lock;
    char area_path[XCM_PATH_MAX];
    pthread_t service;
    bool service_running;
    atomic_bool service_stop;

    /* One lock per CPU: whoever holds it is that CPU's only writer. */
    pthread_mutex_t *cpu_lock;
    pthread_mutex_t trace_lock;
    uint32_t skip_gen;      /* enable generation an op dumped for */
    bool hv_tracing;        /* hv/ is tracing (hyp_trace_enable) */

    /* Work queue, connections, requests in flight: under qlock. */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;       /* work queued, or workers_stop */
    pthread_cond_t idle;        /* busy fell to 0 */
    struct conn *qhead, *qtail;
    struct conn *all;
    unsigned int nconns;
    unsigned int busy;          /* requests read and not yet answered */
    bool workers_stop;
    struct worker *workers;
    unsigned int nworkers;

    int epfd, listen_fd, sig_fd;
    dev_t sock_dev;
    ino_t sock_ino;
    int sock_lock;
    unsigned long next_id;      /* poll loop only */
};

/* ---- clock and trace sink -------------------------------------------- */

static _Atomic uint64_t last_tsc;

/*
 * CLOCK_MONOTONIC in nanoseconds, made strictly increasing across every
 * CPU: a 1 GHz TSC that never repeats.
 */
static uint64_t tsc_clock(void *opaque)
{
    struct timespec ts;
    uint64_t now, prev, next;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    prev = atomic_load_explicit(&last_tsc, memory_order_relaxed);
    do
        next = now > prev ? now : prev + 1;
    while (!atomic_compare_exchange_weak_explicit(&last_tsc, &prev, next,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed));
    return next;
}

static void trace_sink(void *opaque, unsigned int cpu, uint32_t event,
                       uint64_t tsc, unsigned int nwords,
                       const uint32_t *words)
{
    xtb_write(opaque, cpu, event, tsc, nwords, words);
}

/* ---- tracing switch --------------------------------------------------- */

/*
 * Enable hook, on the service thread: a consumer enabled tracing in the
 * area.  Dump hv/'s state on CPU 0 unless a TRACE_ENABLE op already did
 * for this enable.
 */
static void enable_hook(struct xtb_area *a, void *arg)
{
    struct xcmd_server *s = arg;
    const struct hyp_caller c0 = { .domid = 0, .cpu = 0 };
    int rc = 0;

    pthread_mutex_lock(&s->cpu_lock[0]);
    pthread_mutex_lock(&s->trace_lock);
    /* No dump when the latest enable request was an op's: it dumped. */
    if (xtb_enable_gen(a) != s->skip_gen) {
        rc = hyp_trace_enable(&c0, true);
        if (!rc)
            s->hv_tracing = true;
    }
    pthread_mutex_unlock(&s->trace_lock);
    pthread_mutex_unlock(&s->cpu_lock[0]);
    if (rc)
        xcmd_log("cannot start tracing: %s", strerror(-rc));
}

int xcmd_trace_switch(struct xcmd_server *s, unsigned int cpu,
                      uint32_t domid, bool on)
{
    const struct hyp_caller c = { .domid = domid, .cpu = cpu };
    int rc = 0;

    if (!s->area)
        return -ENOENT;
    pthread_mutex_lock(&s->trace_lock);
    if (on) {
        /*
         * Our enable wakes the service thread too; its hook must not dump
         * a second time for it.  A consumer's enable after ours bumps the
         * generation again, and gets its own dump from the hook.
         */
        xtb_enable(s->area);
        s->skip_gen = xtb_enable_gen(s->area);
        rc = hyp_trace_enable(&c, true);
        if (!rc)
            s->hv_tracing = true;
    } else {
        rc = hyp_trace_enable(&c, false);
        if (!rc) {
            s->hv_tracing = false;
            xtb_disable(s->area);
        }
    }
    pthread_mutex_unlock(&s->trace_lock);
    return rc;
}

const char *xcmd_trace_path(const struct xcmd_server *s)
{
    return s->area_path;
}

static void *service_main(void *arg)
{
    struct xcmd_server *s = arg;

    while (!atomic_load(&s->service_stop))
        xtb_service(s->area, 100);
    return NULL;
}

/* ---- workers ---------------------------------------------------------- */

/* Close a connection the caller owns (or, at the end, any), and forget it. */
static void conn_destroy(struct xcmd_server *s, struct conn *c)
{
    pthread_mutex_lock(&s->qlock);
    if (c->prev_all)
        c->prev_all->next_all = c->next_all;
    else
        s->all = c->next_all;
    if (c->next_all)
        c->next_all->prev_all = c->prev_all;
    s->nconns--;
    pthread_mutex_unlock(&s->qlock);
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

/*
 * Put c (owned by the caller) in the epoll set for its next request; the
 * caller must not touch it afterwards.  0 or -1 (errno).
 */
static int conn_arm(struct xcmd_server *s, struct conn *c)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT,
                              .data.ptr = c };

    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Decode, run and answer the request in c, as w's CPU.  false: dead. */
static bool handle(struct worker *w, struct conn *c)
{
    struct xcmd_server *s = w->s;
    ssize_t n;
    int rc;

    rc = xcm_decode_request(c->msg, c->len, &w->rq);
    w->rp.op = w->rq.op;
    w->rp.seq = w->rq.seq;
    if (rc) {
        if (!c->warned)
            xcmd_log("connection %lu: malformed request (%zu bytes, "
                     "op %u): %s", c->id, c->len, w->rq.op, strerror(-rc));
        c->warned = true;
        n = xcm_encode_error(w->rq.seq, rc, w->out, sizeof(w->out));
    } else {
        pthread_mutex_lock(&s->cpu_lock[w->cpu]);
        xcmd_exec(s, w->cpu, &w->rq, &w->rp);
        pthread_mutex_unlock(&s->cpu_lock[w->cpu]);
        n = xcm_encode_reply(&w->rp, w->out, sizeof(w->out));
        if (n < 0) {
            xcmd_log("connection %lu: cannot encode the reply to %s: %s",
                     c->id, xcm_op_name(w->rq.op), strerror((int)-n));
            n = xcm_encode_error(w->rq.seq, -EIO, w->out, sizeof(w->out));
        }
    }
    /* Non-blocking: a peer with one request in flight always has room. */
    if (send(c->fd, w->out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        if (errno == EAGAIN)
            xcmd_log("connection %lu: peer does not read its replies: "
                     "closing it", c->id);
        return false;
    }
    return true;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct xcmd_server *s = w->s;
    struct conn *c;

    for (;;) {
        pthread_mutex_lock(&s->qlock);
        while (!s->qhead && !s->workers_stop)
            pthread_cond_wait(&s->qcond, &s->qlock);
        c = s->qhead;
        if (!c) {
            pthread_mutex_unlock(&s->qlock);
            break;
        }
        s->qhead = c->next;
        if (!s->qhead)
            s->qtail = NULL;
        pthread_mutex_unlock(&s->qlock);

        if (!handle(w, c) || conn_arm(s, c) < 0)
            conn_destroy(s, c);

        pthread_mutex_lock(&s->qlock);
        if (--s->busy == 0)
            pthread_cond_broadcast(&s->idle);
        pthread_mutex_unlock(&s->qlock);
    }
    return NULL;
}

/* ---- the poll loop ---------------------------------------------------- */

static void do_accept(struct xcmd_server *s)
{
    struct conn *c;
    unsigned int n;
    int fd;

    fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            xcmd_log("accept: %s", strerror(errno));
        return;
    }
    pthread_mutex_lock(&s->qlock);
    n = s->nconns;
    pthread_mutex_unlock(&s->qlock);
    if (n >= XCMD_MAX_CONNS) {
        xcmd_log("%u connections already: refusing another", n);
        close(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        xcmd_log("out of memory: refusing a connection");
        close(fd);
        return;
    }
    c->fd = fd;
    c->id = ++s->next_id;
    pthread_mutex_lock(&s->qlock);
    c->next_all = s->all;
    if (s->all)
        s->all->prev_all = c;
    s->all = c;
    s->nconns++;
    pthread_mutex_unlock(&s->qlock);
    if (conn_arm(s, c) < 0) {
        xcmd_log("epoll: %s", strerror(errno));
        conn_destroy(s, c);
    }
}

/* Read one message from c (which just fired); queue it or close c. */
static void do_read(struct xcmd_server *s, struct conn *c)
{
    ssize_t n;

    /* Ours from here until a worker (or we) add it back. */
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    n = recv(c->fd, c->msg, sizeof(c->msg), MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (conn_arm(s, c) < 0)
            conn_destroy(s, c);
        return;
    }
    if (n <= 0) {
        /* The peer closed (0) or the connection broke. */
        conn_destroy(s, c);
        return;
    }
    /* MSG_TRUNC: n is the real size; the decoder refuses > XCM_MSG_MAX. */
    c->len = (size_t)n;
    c->next = NULL;
    pthread_mutex_lock(&s->qlock);
    s->busy++;
    if (s->qtail)
        s->qtail->next = c;
    else
        s->qhead = c;
    s->qtail = c;
    pthread_cond_signal(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
}

/* Stop taking connections: close and remove the socket. */
static void stop_listening(struct xcmd_server *s)
{
    if (s->listen_fd < 0)
        return;
    close(s->listen_fd);
    s->listen_fd = -1;
    xcmd_unlink_socket(s->o->socket, s->sock_dev, s->sock_ino);
}

/*
 * Serve until a signal asks to stop; then stop reading and wait for the
 * requests in flight to be answered.  Returns 0, or 1 on a fatal error.
 */
static int poll_loop(struct xcmd_server *s)
{
    struct epoll_event evs[64];
    struct signalfd_siginfo si;
    unsigned int busy;
    int n, i;

    for (;;) {
        n = epoll_wait(s->epfd, evs, 64, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            xcmd_log("epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (i = 0; i < n; i++) {
            if (evs[i].data.ptr == &s->sig_fd) {
                if (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
                    break;
            } else if (evs[i].data.ptr == &s->listen_fd) {
                do_accept(s);
            } else {
                do_read(s, evs[i].data.ptr);
            }
        }
        if (i < n)
            break;
    }

    pthread_mutex_lock(&s->qlock);
    busy = s->busy;
    pthread_mutex_unlock(&s->qlock);
    xcmd_log("stopping on %s (%u request%s in flight)",
             strsignal((int)si.ssi_signo), busy, busy == 1 ? "" : "s");
    stop_listening(s);
    /* Connections added back from now on are never read again. */
    pthread_mutex_lock(&s->qlock);
    while (s->busy)
        pthread_cond_wait(&s->idle, &s->qlock);
    pthread_mutex_unlock(&s->qlock);
    return 0;
}

/* Add fd to the epoll set, level-triggered, tagged with tag. */
static int watch(struct xcmd_server *s, int fd, void *tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- set-up and tear-down -------------------------------------------- */

static int open_area(struct xcmd_server *s)
{
    const struct xcmd_opts *o = s->o;
    const char *path = o->trace_area;
    pid_t holder;
    int created = 0;

    s->area_lock = -1;
    if (!strcmp(path, "none"))
        return 0;
    if (!strcmp(path, "memfd")) {
        s->area = xtb_create(NULL, s->ncpus, o->trace_pages, 0);
        if (!s->area) {
            xcmd_log("cannot create a trace area of %u CPUs x %u pages: "
                     "%s", s->ncpus, o->trace_pages, strerror(errno));
            return -1;
        }
        s->area_created = true;
    } else {
        s->area_lock = xcmd_lock(path, &holder);
        if (s->area_lock < 0) {
            if (s->area_lock == -EADDRINUSE)
                xcmd_log("trace area %s is in use by another xenclaim-mock "
                         "(pid %ld): choose another with --trace-area",
                         path, (long)holder);
            else
                xcmd_log("cannot lock trace area %s.lock: %s", path,
                         strerror(-s->area_lock));
            return -1;
        }
        s->area = xtb_open(path, s->ncpus, o->trace_pages, 0, &created);
        if (!s->area) {
            if (errno == E2BIG)
                xcmd_log("cannot create trace area %s: %u CPUs of %u "
                         "pages do not fit in its frame lists; use fewer "
                         "--trace-pages", path, s->ncpus, o->trace_pages);
            else
                xcmd_log("cannot open trace area %s: %s", path,
                         strerror(errno));
            return -1;
        }
        s->area_created = created;
        if (xtb_ncpus(s->area) < s->ncpus) {
            xcmd_log("trace area %s has %u CPUs, fewer than the %u asked: "
                     "remove it or choose another", path,
                     xtb_ncpus(s->area), s->ncpus);
            return -1;
        }
        if (!created && xtb_pages(s->area) != o->trace_pages)
            xcmd_log("trace area %s exists with %u pages per CPU: using "
                     "it as it is", path, xtb_pages(s->area));
    }
    if (strlen(xtb_path(s->area)) >= sizeof(s->area_path)) {
        xcmd_log("trace area path too long: %s", xtb_path(s->area));
        return -1;
    }
    snprintf(s->area_path, sizeof(s->area_path), "%s", xtb_path(s->area));
    xtb_set_enable_hook(s->area, enable_hook, s);
    return 0;
}

static void close_area(struct xcmd_server *s)
{
    if (!s->area)
        goto unlock;
    if (s->area_created && strcmp(s->o->trace_area, "memfd"))
        xtb_unlink(s->area);
    xtb_close(s->area);
    s->area = NULL;
 unlock:
    if (s->area_lock >= 0)
        xcmd_unlock(s->o->trace_area, s->area_lock);
    s->area_lock = -1;
}

static int start_threads(struct xcmd_server *s)
{
    unsigned int i;
    int rc;

    s->workers = calloc(s->ncpus, sizeof(*s->workers));
    if (!s->workers)
        return -ENOMEM;
    for (i = 0; i < s->ncpus; i++) {
        s->workers[i].s = s;
        s->workers[i].cpu = i;
        rc = pthread_create(&s->workers[i].thread, NULL, worker_main,
                            &s->workers[i]);
        if (rc)
            return -rc;
        s->nworkers++;
    }
    if (s->area) {
        rc = pthread_create(&s->service, NULL, service_main, s);
        if (rc)
            return -rc;
        s->service_running = true;
    }
    return 0;
}

static void stop_threads(struct xcmd_server *s)
{
    unsigned int i;

    pthread_mutex_lock(&s->qlock);
    s->workers_stop = true;
    pthread_cond_broadcast(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    for (i = 0; i < s->nworkers; i++)
        pthread_join(s->workers[i].thread, NULL);
    free(s->workers);
    s->workers = NULL;
    if (s->service_running) {
        atomic_store(&s->service_stop, true);
        pthread_join(s->service, NULL);
    }
}

/* Signals: SIGTERM and SIGINT through a signalfd, SIGPIPE ignored. */
static int setup_signals(struct xcmd_server *s)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Blocked before any thread starts, so every thread inherits it. */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL))
        return -1;
    s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return s->sig_fd < 0 ? -1 : 0;
}

static const char *profile_name(enum hyp_profile p)
{
    return p == HYP_PROFILE_XEN417 ? "4.17" : "upstream";
}

int xcmd_serve(const struct xcmd_opts *o, int ready_fd)
{
    static struct xcmd_server srv;
    struct xcmd_server *s = &srv;
    const char byte = 1;
    uint64_t pages = 0;
    unsigned int i;
    pid_t holder;
    int rc, status = 1;

    s->o = o;
    s->ncpus = o->cfg.nr_cpus;
    s->listen_fd = s->epfd = s->sig_fd = s->sock_lock = -1;
    s->area_lock = -1;
    pthread_mutex_init(&s->trace_lock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->cpu_lock = calloc(s->ncpus, sizeof(*s->cpu_lock));
    if (!s->cpu_lock) {
        xcmd_log("out of memory");
        return 1;
    }
    for (i = 0; i < s->ncpus; i++)
        pthread_mutex_init(&s->cpu_lock[i], NULL);

    if (setup_signals(s)) {
        xcmd_log("cannot set up signals: %s", strerror(errno));
        goto out;
    }
    s->sock_lock = xcmd_lock(o->socket, &holder);
    if (s->sock_lock < 0) {
        if (s->sock_lock == -EADDRINUSE)
            xcmd_log("another xenclaim-mock (pid %ld) serves %s: refusing "
                     "to start", (long)holder, o->socket);
        else
            xcmd_log("cannot lock %s.lock: %s", o->socket,
                     strerror(-s->sock_lock));
        goto out;
    }

    /*
     * Listen before the (possibly long) set-up: refusals come at once,
     * and early clients wait in the backlog until the workers start.
     */
    s->listen_fd = xcmd_listen(o->socket, o->socket_mode, &s->sock_dev,
                               &s->sock_ino);
    if (s->listen_fd < 0)
        goto out;

    rc = hyp_init(&o->cfg);
    if (rc) {
        if (rc == -EOPNOTSUPP)
            xcmd_log("profile %s is not implemented yet",
                     profile_name(o->cfg.profile));
        else
            xcmd_log("cannot start the hypervisor: %s", strerror(-rc));
        goto out;
    }
    if (open_area(s))
        goto out;
    hyp_set_trace(s->area ? trace_sink : NULL, s->area, tsc_clock, NULL);

    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0 || watch(s, s->sig_fd, &s->sig_fd) ||
        watch(s, s->listen_fd, &s->listen_fd)) {
        xcmd_log("epoll: %s", strerror(errno));
        goto out;
    }
    if (o->pidfile) {
        rc = xcmd_write_pidfile(o->pidfile);
        if (rc) {
            xcmd_log("cannot write pid file %s: %s", o->pidfile,
                     strerror(-rc));
            goto out;
        }
    }
    rc = start_threads(s);
    if (rc) {
        xcmd_log("cannot start threads: %s", strerror(-rc));
        goto out;
    }

    for (i = 0; i < o->cfg.nr_nodes; i++)
        pages += o->cfg.node_pages[i];
    xcmd_log("serving %s: %llu MiB in %u node%s, %u CPU%s, profile %s, "
             "trace area %s", o->socket,
             (unsigned long long)(pages >> 8), o->cfg.nr_nodes,
             o->cfg.nr_nodes == 1 ? "" : "s", s->ncpus,
             s->ncpus == 1 ? "" : "s", profile_name(o->cfg.profile),
             s->area ? s->area_path : "none");
    if (ready_fd >= 0) {
        if (write(ready_fd, &byte, 1) != 1)
            xcmd_log("cannot report readiness: %s", strerror(errno));
        close(ready_fd);
        ready_fd = -1;
    }

    status = poll_loop(s);
    stop_listening(s);
    stop_threads(s);
    while (s->all)
        conn_destroy(s, s->all);
    if (o->pidfile)
        unlink(o->pidfile);
    if (!status)
        xcmd_log("stopped");

 out:
    stop_listening(s);
    if (s->workers)
        stop_threads(s);
    close_area(s);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->sig_fd >= 0)
        close(s->sig_fd);
    xcmd_unlock(o->socket, s->sock_lock);
    s->sock_lock = -1;
    if (ready_fd >= 0)
        close(ready_fd);
    free(s->cpu_lock);
    s->cpu_lock = NULL;
    return status;
}
