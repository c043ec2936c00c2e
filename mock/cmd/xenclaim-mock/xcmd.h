/* xcmd.h: internals of xenclaim-mock shared by its source files. */
/* SPDX-License-Identifier: MIT */
#ifndef XCMD_H
#define XCMD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hyp/hyp.h"
#include "proto/xcm_proto.h"
#include "tbuf/tbuf.h"

#define XCMD_NAME "xenclaim-mock"

/* What `serve` was asked for. */
struct xcmd_opts {
    struct hyp_config cfg;
    const char *socket;         /* resolved path */
    mode_t socket_mode;
    const char *trace_area;     /* path, "memfd" or "none" */
    unsigned int trace_pages;
    bool daemon;
    const char *pidfile;
};

/* Log one line to stderr: "xenclaim-mock: ...". */
void xcmd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- sock.c: lock files, the listening socket, the pid file ----------- */

/*
 * Take the lock file path.lock (created 0600) and write our pid in it.
 * Returns its descriptor, or -EADDRINUSE when another process holds it
 * (*holder: its pid as written, 0 if unknown), or -errno.
 */
int xcmd_lock(const char *path, pid_t *holder);
/* Remove the lock file of path and close fd.  Accepts fd < 0. */
void xcmd_unlock(const char *path, int fd);

/*
 * Listen on the UNIX SOCK_SEQPACKET socket path with mode (the file is
 * created with that mode from the start).  A stale socket there (nobody
 * answers) is replaced; a live one gives -EADDRINUSE, anything else that
 * is not a socket -EEXIST; both with a message logged.  Stores the new
 * socket's inode in *dev, *ino.  Returns the listening descriptor or
 * -errno.
 */
int xcmd_listen(const char *path, mode_t mode, dev_t *dev, ino_t *ino);
/* Remove path if it is still the socket dev/ino. */
void xcmd_unlink_socket(const char *path, dev_t dev, ino_t ino);

/* Write our pid to path (atomically, via a temporary file).  0 or -errno. */
int xcmd_write_pidfile(const char *path);

/* ---- exec.c: one request against the hypervisor ----------------------- */

struct xcmd_server;

/*
 * Run the decoded request rq on cpu and fill rp (rp->seq and rp->op set).
 * Called on cpu's worker thread, holding its CPU lock.
 */
void xcmd_exec(struct xcmd_server *s, unsigned int cpu,
               const struct xcm_request *rq, struct xcm_reply *rp);

/* ---- server.c --------------------------------------------------------- */

/*
 * Run the daemon until SIGTERM or SIGINT: hyp_init() with o->cfg, the
 * trace area, the socket, the threads.  ready_fd (>= 0) gets one byte once
 * the socket accepts requests, then is closed.  Returns the exit status.
 */
int xcmd_serve(const struct xcmd_opts *o, int ready_fd);

/* Trace switch through the protocol (exec.c calls it; server.c owns it). */
int xcmd_trace_switch(struct xcmd_server *s, unsigned int cpu,
                      uint32_t domid, bool on);
/* Trace area path for HELLO ("" when none). */
const char *xcmd_trace_path(const struct xcmd_server *s);

#endif /* XCMD_H */
