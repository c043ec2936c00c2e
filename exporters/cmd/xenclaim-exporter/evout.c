/* evout.c: the event stream out: framed records to a file and to every client of a UNIX socket, slow clients cut off. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "exp.h"
#include "xce_evs.h"

#define EV_MAX_CLIENTS  64
#define EV_FILE_FLUSH   (1u << 20)      /* write the file buffer past this */

struct ev_client {
    int fd;
    struct xce_buf q;               /* framed records not yet sent */
    size_t off;                     /* sent part of q */
    uint64_t seq;                   /* next sequence number */
};

struct exp_evout {
    struct exp_state *st;
    /* The file: written by the poller thread only. */
    int file_fd;
    bool file_failed;
    struct xce_buf fbuf;
    uint64_t fseq;
    /* The socket: the thread accepts and writes, the poller queues. */
    char *sock_path;
    int lfd;
    int wake[2];
    pthread_t thr;
    bool thr_started;
    atomic_bool quit;
    pthread_mutex_t lock;           /* cl[], ncl */
    struct ev_client cl[EV_MAX_CLIENTS];
    unsigned int ncl;
    struct xce_buf rec;             /* the record being sent out */
};

static const char producer[] = "xenclaim-exporter " XENCLAIM_VERSION;

static void wake(struct exp_evout *e)
{
    char c = 1;

    if (e->wake[1] >= 0 && write(e->wake[1], &c, 1) < 0) {
        /* Full pipe: the thread is awake already. */
    }
}

/* Write all of p to the file; on error give the file up (logged). */
static void file_write(struct exp_evout *e)
{
    size_t off = 0;

    while (off < e->fbuf.len && !e->file_failed) {
        ssize_t k = write(e->file_fd, e->fbuf.p + off, e->fbuf.len - off);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            exp_log("event stream: cannot write the file: %s; no more "
                    "records go to it", strerror(errno));
            e->file_failed = true;
            break;
        }
        off += (size_t)k;
    }
    xce_buf_reset(&e->fbuf);
}

static void client_close(struct exp_evout *e, unsigned int i)
{
    close(e->cl[i].fd);
    xce_buf_free(&e->cl[i].q);
    e->cl[i] = e->cl[--e->ncl];
    memset(&e->cl[e->ncl], 0, sizeof(e->cl[0]));
    EXP_SET(e->st, ev_clients, e->ncl);
}

/* Send e->rec to every output. */
static void emit(struct exp_evout *e)
{
    unsigned int i;
    bool any = false;

    if (e->file_fd >= 0 && !e->file_failed) {
        if (xce_evs_frame(&e->fbuf, e->fseq++, e->rec.p, e->rec.len) == 0)
            EXP_COUNT(e->st, ev_records, 1);
        if (e->fbuf.len >= EV_FILE_FLUSH)
            file_write(e);
    }
    if (e->lfd < 0)
        return;
    pthread_mutex_lock(&e->lock);
    for (i = 0; i < e->ncl;) {
        struct ev_client *c = &e->cl[i];

        if (c->q.len - c->off > e->st->opts->events_client_lag ||
            xce_evs_frame(&c->q, c->seq++, e->rec.p, e->rec.len) < 0) {
            exp_log("event stream: client too slow, disconnected");
            EXP_COUNT(e->st, ev_dropped_clients, 1);
            client_close(e, i);
            continue;
        }
        EXP_COUNT(e->st, ev_records, 1);
        any = true;
        i++;
    }
    pthread_mutex_unlock(&e->lock);
    if (any)
        wake(e);
}

void exp_evout_event(struct exp_evout *e, const struct xcs_event *ev,
                     const char *domain_name)
{
    xce_buf_reset(&e->rec);
    if (xce_evs_event(&e->rec, ev, domain_name) == 0)
        emit(e);
}

void exp_evout_snapshot(struct exp_evout *e, const struct xcs_snapshot *s)
{
    xce_buf_reset(&e->rec);
    if (xce_evs_snapshot(&e->rec, s, exp_unix_ms()) == 0)
        emit(e);
}

void exp_evout_flush(struct exp_evout *e)
{
    if (e->file_fd >= 0 && e->fbuf.len)
        file_write(e);
}

/* A new client: its stream starts with a Header and the latest state. */
static void client_add(struct exp_evout *e, int fd)
{
    struct xce_buf b = { 0 };
    struct ev_client *c;
    struct exp_snapbox *box;

    if (e->ncl == EV_MAX_CLIENTS) {
        close(fd);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    box = exp_snap_get(e->st);
    pthread_mutex_lock(&e->lock);
    c = &e->cl[e->ncl];
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    if (xce_evs_header(&b, e->st->opts->source_desc, producer,
                       exp_unix_ms()) == 0)
        xce_evs_frame(&c->q, c->seq++, b.p, b.len);
    xce_buf_reset(&b);
    if (box && xce_evs_snapshot(&b, &box->snap, exp_unix_ms()) == 0)
        xce_evs_frame(&c->q, c->seq++, b.p, b.len);
    e->ncl++;
    EXP_SET(e->st, ev_clients, e->ncl);
    pthread_mutex_unlock(&e->lock);
    exp_snap_put(e->st, box);
    xce_buf_free(&b);
}

/* Write what client i has pending.  -1 when it must be closed. */
static int client_send(struct ev_client *c)
{
    while (c->off < c->q.len) {
        ssize_t k = send(c->fd, c->q.p + c->off, c->q.len - c->off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->off += (size_t)k;
    }
    xce_buf_reset(&c->q);
    c->off = 0;
    return 0;
}

static void *sock_thread(void *arg)
{
    struct exp_evout *e = arg;
    struct pollfd pfd[EV_MAX_CLIENTS + 2];
    int fdof[EV_MAX_CLIENTS];
    unsigned int i, n, nfd;

    while (!atomic_load(&e->quit)) {
        pfd[0] = (struct pollfd){ .fd = e->lfd, .events = POLLIN };
        pfd[1] = (struct pollfd){ .fd = e->wake[0], .events = POLLIN };
        pthread_mutex_lock(&e->lock);
        n = e->ncl;
        for (i = 0; i < n; i++) {
            fdof[i] = e->cl[i].fd;
            pfd[2 + i] = (struct pollfd){
                .fd = e->cl[i].fd,
                .events = POLLIN |
                          (e->cl[i].q.len > e->cl[i].off ? POLLOUT : 0),
            };
        }
        pthread_mutex_unlock(&e->lock);
        nfd = 2 + n;
        if (poll(pfd, nfd, 1000) < 0)
            continue;
        if (pfd[1].revents & POLLIN) {
            char buf[64];

            while (read(e->wake[0], buf, sizeof(buf)) > 0)
                ;
        }
        pthread_mutex_lock(&e->lock);
        for (i = 0; i < n; i++) {
            unsigned int j;
            short re = pfd[2 + i].revents;
            int bad = 0;

            /* The client list may have changed: find it by its fd. */
            for (j = 0; j < e->ncl && e->cl[j].fd != fdof[i]; j++)
                ;
            if (j == e->ncl || !re)
                continue;
            if (re & (POLLIN | POLLHUP | POLLERR)) {
                char buf[256];
                ssize_t k = recv(e->cl[j].fd, buf, sizeof(buf),
                                 MSG_DONTWAIT);

                /* Clients only read: anything else is ignored, EOF or an
                 * error ends them. */
                if (k == 0 || (k < 0 && errno != EAGAIN &&
                               errno != EWOULDBLOCK && errno != EINTR))
                    bad = 1;
            }
            if (!bad && (re & POLLOUT))
                bad = client_send(&e->cl[j]) < 0;
            if (bad)
                client_close(e, j);
        }
        /* Write what arrived since the poll, too. */
        for (i = 0; i < e->ncl;)
            if (e->cl[i].q.len > e->cl[i].off && client_send(&e->cl[i]) < 0)
                client_close(e, i);
            else
                i++;
        pthread_mutex_unlock(&e->lock);
        if (pfd[0].revents & POLLIN) {
            int fd = accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC);

            if (fd >= 0)
                client_add(e, fd);
        }
    }
    return NULL;
}

static int sock_open(struct exp_evout *e, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat sb;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        exp_log("event socket path too long: %s", path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    /* A socket left by a previous run goes; any other file stays. */
    if (lstat(path, &sb) == 0) {
        if (!S_ISSOCK(sb.st_mode)) {
            exp_log("%s exists and is not a socket", path);
            return -EEXIST;
        }
        unlink(path);
    }
    e->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (e->lfd < 0)
        return -errno;
    if (bind(e->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(e->lfd, 16) < 0) {
        int err = errno;

        exp_log("cannot listen on %s: %s", path, strerror(err));
        close(e->lfd);
        e->lfd = -1;
        return -err;
    }
    e->sock_path = strdup(path);
    if (pipe2(e->wake, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    if (pthread_create(&e->thr, NULL, sock_thread, e) != 0)
        return -EAGAIN;
    e->thr_started = true;
    return 0;
}

struct exp_evout *exp_evout_open(struct exp_state *st)
{
    const struct exp_opts *o = st->opts;
    struct exp_evout *e = calloc(1, sizeof(*e));
    int rc;

    if (!e)
        return NULL;
    e->st = st;
    e->file_fd = e->lfd = -1;
    e->wake[0] = e->wake[1] = -1;
    pthread_mutex_init(&e->lock, NULL);
    if (o->events_out) {
        if (strcmp(o->events_out, "-") == 0) {
            e->file_fd = STDOUT_FILENO;
        } else {
            e->file_fd = open(o->events_out,
                              O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                              0644);
            if (e->file_fd < 0) {
                rc = errno;
                exp_log("cannot open %s: %s", o->events_out, strerror(rc));
                goto fail;
            }
        }
        if (xce_evs_header(&e->rec, o->source_desc, producer,
                           exp_unix_ms()) == 0)
            emit(e);
        exp_evout_flush(e);
    }
    if (o->events_socket) {
        rc = -sock_open(e, o->events_socket);
        if (rc)
            goto fail;
    }
    return e;
fail:
    exp_evout_close(e, NULL);
    errno = rc;
    return NULL;
}

void exp_evout_close(struct exp_evout *e, const struct xcs_snapshot *last)
{
    unsigned int i;

    if (!e)
        return;
    if (last)
        exp_evout_snapshot(e, last);
    exp_evout_flush(e);
    if (e->thr_started) {
        atomic_store(&e->quit, true);
        wake(e);
        pthread_join(e->thr, NULL);
    }
    for (i = e->ncl; i-- > 0;) {
        client_send(&e->cl[i]);
        client_close(e, i);
    }
    if (e->lfd >= 0) {
        close(e->lfd);
        unlink(e->sock_path);
    }
    if (e->wake[0] >= 0) {
        close(e->wake[0]);
        close(e->wake[1]);
    }
    if (e->file_fd > STDOUT_FILENO)
        close(e->file_fd);
    free(e->sock_path);
    xce_buf_free(&e->fbuf);
    xce_buf_free(&e->rec);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
