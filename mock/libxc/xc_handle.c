/* xc_handle.c: libxenctrl handles over the mock daemon: open, close, logging, last error. */
/* SPDX-License-Identifier: LGPL-2.1-only */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xc_private.h"

static const char *const level_names[XTL_NUM_LEVELS] = {
    [XTL_NONE] = "none",         [XTL_DEBUG] = "debug",
    [XTL_VERBOSE] = "verbose",   [XTL_DETAIL] = "detail",
    [XTL_PROGRESS] = "progress", [XTL_INFO] = "info",
    [XTL_NOTICE] = "notice",     [XTL_WARN] = "warning",
    [XTL_ERROR] = "error",       [XTL_CRITICAL] = "critical",
};

/* Hand one message to logger, with a va_list: the logger's own contract. */
static void send_to_logger(xentoollog_logger *logger, xentoollog_level level,
                           int errnoval, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void send_to_logger(xentoollog_logger *logger, xentoollog_level level,
                           int errnoval, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    logger->vmessage(logger, level, errnoval, "xc", fmt, ap);
    va_end(ap);
}

/* Without a logger: errors to stderr, as libxenctrl's default logger. */
static void log_stderr(xentoollog_level level, int errnoval, const char *msg)
{
    char ebuf[128];

    if (level < XTL_PROGRESS)
        return;
    if (errnoval >= 0)
        fprintf(stderr, "xc: %s: %s: %s\n", level_names[level], msg,
                strerror_r(errnoval, ebuf, sizeof(ebuf)));
    else
        fprintf(stderr, "xc: %s: %s\n", level_names[level], msg);
}

/* The common part of xcl_log() once the message is formatted. */
static void log_msg(xc_interface *xch, xentoollog_logger *logger,
                    xentoollog_level level, int errnoval, const char *msg)
{
    if (level <= XTL_NONE || level >= XTL_NUM_LEVELS)
        level = XTL_ERROR;
    if (xch && level >= XTL_ERROR) {
        xch->last_error.code = XC_INTERNAL_ERROR;
        snprintf(xch->last_error.message, sizeof(xch->last_error.message),
                 "%s", msg);
    }
    if (logger)
        send_to_logger(logger, level, errnoval, "%s", msg);
    else
        log_stderr(level, errnoval, msg);
}

void xcl_log(xc_interface *xch, xentoollog_level level, int errnoval,
             const char *fmt, ...)
{
    char msg[XC_MAX_ERROR_MSG_LEN];
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(xch, xch ? xch->logger : NULL, level, errnoval, msg);
    errno = saved;
}

struct xcm_client *xcl_get(xc_interface *xch)
{
    if (!xch || !xch->cli) {
        errno = EBADF;
        return NULL;
    }
    if (xch->locked)
        pthread_mutex_lock(&xch->lock);
    return xch->cli;
}

void xcl_put(xc_interface *xch)
{
    if (xch->locked)
        pthread_mutex_unlock(&xch->lock);
}

int xcl_fail(xc_interface *xch, const char *what, long rc)
{
    int err = rc < 0 && rc > -4096 ? (int)-rc : EIO;

    if (err == ECONNRESET || err == EPROTO)
        xcl_log(xch, XTL_ERROR, err, "%s: lost the xenclaim mock daemon",
                what);
    errno = err;
    return -1;
}

/*
 * Open a handle: connect to the daemon (socket: $XENCLAIM_SOCKET, else the
 * xcm client's default rule) acting as dom0.  XC_OPENFLAG_DUMMY gives a
 * handle with no connection (every call on it fails with EBADF);
 * XC_OPENFLAG_NON_REENTRANT drops the handle's lock.  Loggers may be NULL
 * (errors then go to stderr); the handle keeps them without owning them.
 * Returns the handle, owned by the caller until xc_interface_close(), or
 * NULL with errno (ENOENT, ECONNREFUSED: no daemon; EACCES; EPROTO: not a
 * compatible daemon; ENOMEM), the reason logged as an error.
 */
xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    char path[XCM_PATH_MAX];
    xc_interface *xch;
    int err;

    xch = calloc(1, sizeof(*xch));
    if (!xch) {
        err = errno;
        log_msg(NULL, logger, XTL_CRITICAL, err, "cannot allocate a handle");
        errno = err;
        return NULL;
    }
    xch->logger = logger;
    xch->dombuild_logger = dombuild_logger;
    xch->open_flags = open_flags;
    if (!(open_flags & XC_OPENFLAG_NON_REENTRANT)) {
        pthread_mutex_init(&xch->lock, NULL);
        xch->locked = true;
    }
    if (open_flags & XC_OPENFLAG_DUMMY)
        return xch;

    xch->cli = xcm_open(NULL, 0);
    if (!xch->cli) {
        err = errno;
        if (xcm_default_socket_path(path, sizeof(path)) < 0)
            snprintf(path, sizeof(path), "(path too long)");
        xcl_log(xch, XTL_ERROR, err,
                "cannot reach the xenclaim mock daemon at %s", path);
        if (xch->locked)
            pthread_mutex_destroy(&xch->lock);
        free(xch);
        errno = err;
        return NULL;
    }
    return xch;
}

/*
 * Close the connection and free the handle (and nothing the caller gave:
 * loggers stay the caller's).  Accepts NULL.  Returns 0.
 */
int xc_interface_close(xc_interface *xch)
{
    if (!xch)
        return 0;
    xcm_close(xch->cli);
    if (xch->locked)
        pthread_mutex_destroy(&xch->lock);
    free(xch);
    return 0;
}

/*
 * A fixed description of an xc_error_code; never fails (an unknown code
 * gets a generic text).  The string is static.
 */
const char *xc_error_code_to_desc(int code)
{
    switch (code) {
    case XC_ERROR_NONE:
        return "No error";
    case XC_INTERNAL_ERROR:
        return "Internal error";
    case XC_INVALID_KERNEL:
        return "Invalid kernel image";
    case XC_INVALID_PARAM:
        return "Invalid parameter";
    case XC_OUT_OF_MEMORY:
        return "Out of memory";
    }
    return "Unknown error code";
}

/*
 * The text of errno value errcode, in a buffer of the calling thread
 * (valid until its next call).  Never NULL.
 */
const char *xc_strerror(xc_interface *xch, int errcode)
{
    static __thread char buf[128];

    return strerror_r(errcode, buf, sizeof(buf));
}

/*
 * The last error logged on the handle at XTL_ERROR or above (code
 * XC_ERROR_NONE when none), owned by the handle.  NULL with errno EINVAL
 * for a NULL handle.
 */
const xc_error *xc_get_last_error(xc_interface *xch)
{
    if (!xch) {
        errno = EINVAL;
        return NULL;
    }
    return &xch->last_error;
}

/* Forget the handle's last error.  Accepts NULL. */
void xc_clear_last_error(xc_interface *xch)
{
    if (!xch)
        return;
    xch->last_error.code = XC_ERROR_NONE;
    xch->last_error.message[0] = '\0';
}
