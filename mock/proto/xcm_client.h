/* xcm_client.h: client API of the mock hypervisor daemon. */
/* SPDX-License-Identifier: MIT */
/*
 * One struct xcm_client is one connection (a SOCK_SEQPACKET UNIX socket)
 * to a running `xenclaim-mock serve`.  Every hyp_* call of mock/hyp/hyp.h
 * has an xcm_* twin with the same arguments (minus the struct hyp_caller:
 * the connection acts as the domain given to xcm_open(), and the daemon
 * picks the simulated CPU) and the same return convention: a negative
 * errno, or for the extent operations the number of extents done.
 *
 * Errors of the connection itself, distinct from the hypercall's own:
 *   -ECONNRESET  the daemon went away (connection closed or reset)
 *   -EPROTO      the daemon's reply was malformed or out of sequence
 *   -EMSGSIZE    an argument does not fit in one request (e.g. a name)
 * After a connection error every later call fails with -ECONNRESET.
 *
 * Socket path rule (xcm_default_socket_path(), used by the daemon and the
 * clients alike), first that applies:
 *   1. $XENCLAIM_SOCKET, if set and not empty;
 *   2. /run/xenclaim/mock.sock, if the caller is root or /run/xenclaim is a
 *      directory the caller may write (the daemon creates it when root);
 *   3. $XDG_RUNTIME_DIR/xenclaim-mock.sock, if XDG_RUNTIME_DIR is set and
 *      not empty;
 *   4. /tmp/xenclaim-mock-UID.sock (UID: the caller's real user id).
 *
 * Requests of one client are answered in order; a client may be used by
 * one thread at a time (use one client per thread).  Operations whose
 * lists exceed XCM_MAX_EXTENTS (extents) or XCM_MAX_DOMINFO (domains) are
 * split by the library into several requests, which are not atomic as a
 * whole: other clients' requests may run between them.
 */
#ifndef XCM_CLIENT_H
#define XCM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mock/hyp/hyp.h"

#define XCM_SOCKET_ENV      "XENCLAIM_SOCKET"
#define XCM_SOCKET_RUNDIR   "/run/xenclaim"
#define XCM_SOCKET_RUNPATH  "/run/xenclaim/mock.sock"
#define XCM_SOCKET_XDGNAME  "xenclaim-mock.sock"

/* Per request: gfns (and mfns) of one populate/decrease request. */
#define XCM_MAX_EXTENTS     4096u
/* Per request: domains of one getinfo request. */
#define XCM_MAX_DOMINFO     256u
/* Longest trace area path the daemon reports, NUL included. */
#define XCM_PATH_MAX        1024u

struct xcm_client;

/*
 * Write the default socket path (rule above) into buf of len bytes.
 * Returns 0, or -ENAMETOOLONG if it does not fit (or does not fit in a
 * sockaddr_un).
 */
int xcm_default_socket_path(char *buf, size_t len);

/*
 * Connect to the daemon at socket_path (NULL: xcm_default_socket_path())
 * acting as domain act_as_domid (0: dom0, privileged; any other: that
 * domain, unprivileged, which must exist when each call is made), and
 * check that the daemon speaks this protocol version (one round trip).
 * The client owns its socket and caches the daemon's configuration.
 * NULL with errno: ENOENT (no socket there), ECONNREFUSED (no daemon
 * listening), EACCES, ENAMETOOLONG, EPROTO (not a compatible daemon),
 * ENOMEM, or another system error.
 */
struct xcm_client *xcm_open(const char *socket_path, uint32_t act_as_domid);

/* Close the connection and free the client.  Accepts NULL. */
void xcm_close(struct xcm_client *c);

/* The path connected to, owned by the client. */
const char *xcm_socket_path(const struct xcm_client *c);
/* The domain this client acts as. */
uint32_t xcm_act_as(const struct xcm_client *c);
/* Act as another domain from the next call on (no round trip). */
void xcm_set_act_as(struct xcm_client *c, uint32_t domid);

/*
 * The daemon's trace area path (the tbuf area of mock/tbuf/tbuf.h, to
 * xtb_attach()), as reported at xcm_open(); owned by the client.  NULL
 * when the daemon has no trace area (errno ENOENT).
 */
const char *xcm_trace_area_path(const struct xcm_client *c);

/*
 * The daemon's host configuration (struct hyp_config) as reported at
 * xcm_open().  Returns 0.
 */
int xcm_get_config(const struct xcm_client *c, struct hyp_config *cfg);

/* A bare round trip that runs no hypercall.  0 or a connection error. */
int xcm_ping(struct xcm_client *c);

/*
 * Switch tracing on (the daemon enables its trace area and has hv/ write
 * its state dump into the buffers before replying) or off.  -EPERM for an
 * unprivileged client, -ENOENT when the daemon has no trace area.
 */
int xcm_trace_enable(struct xcm_client *c, bool on);

/* ---- the hypercalls: as hyp_* in mock/hyp/hyp.h ------------------------ */

int xcm_physinfo(struct xcm_client *c, struct hyp_physinfo *pi);

int xcm_domain_create(struct xcm_client *c, uint32_t *domid,
                      const char *name);
int xcm_domain_destroy(struct xcm_client *c, uint32_t domid);
int xcm_domain_setmaxmem(struct xcm_client *c, uint32_t domid,
                         uint64_t max_kb);
int xcm_domain_pause(struct xcm_client *c, uint32_t domid, bool pause);
int xcm_domain_rename(struct xcm_client *c, uint32_t domid,
                      const char *name);
/*
 * Info on up to max domains with id >= first, in id order (split into
 * requests of XCM_MAX_DOMINFO).  Returns the number filled in.
 */
int xcm_domain_getinfo(struct xcm_client *c, uint32_t first,
                       unsigned int max, struct hyp_dominfo *out);
/* A domain's id by name, or -ESRCH. */
int xcm_domain_lookup(struct xcm_client *c, const char *name);

int xcm_claim_pages(struct xcm_client *c, uint32_t domid,
                    uint64_t nr_pages, unsigned int flags);
/*
 * Split into requests of XCM_MAX_EXTENTS gfns; stops at the first request
 * that does not complete.  Returns the extents done in all, or the first
 * request's negative errno when nothing was done.
 */
long xcm_populate_physmap(struct xcm_client *c, uint32_t domid,
                          unsigned int order, unsigned int memflags,
                          const uint64_t *gfns, unsigned long nr,
                          uint64_t *mfns);
/* As xcm_populate_physmap() for hyp_decrease_reservation(). */
long xcm_decrease_reservation(struct xcm_client *c, uint32_t domid,
                              unsigned int order, const uint64_t *gfns,
                              unsigned long nr);
int xcm_domain_set_target(struct xcm_client *c, uint32_t domid,
                          uint64_t target_pages);

long xcm_tmem_put(struct xcm_client *c, uint64_t n);
long xcm_tmem_flush(struct xcm_client *c, uint64_t n);
int xcm_page_offline(struct xcm_client *c, uint64_t mfn);
int xcm_page_online(struct xcm_client *c, uint64_t mfn);
long xcm_offline_any(struct xcm_client *c, uint64_t n);

#endif /* XCM_CLIENT_H */
