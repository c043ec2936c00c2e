/* report.c: xenclaimctl's error messages and exit statuses. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char *ctl_errstr(int err)
{
    static char buf[160];
    const char *name;

    if (err < 0)
        err = -err;
    name = strerrorname_np(err);
    if (name)
        snprintf(buf, sizeof(buf), "%s (%s)", name, strerror(err));
    else
        snprintf(buf, sizeof(buf), "errno %d (%s)", err, strerror(err));
    return buf;
}

bool ctl_conn_error(int err)
{
    if (err < 0)
        err = -err;
    return err == ECONNRESET || err == EPROTO || err == EPIPE ||
           err == ENOTCONN;
}

int ctl_fail(const char *what, int err, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, CTL_PROG ": %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err)
        fprintf(stderr, ": %s", ctl_errstr(err));
    if (ctl_conn_error(err)) {
        fputs(" (the daemon went away)\n", stderr);
        return CTL_EXIT_NODAEMON;
    }
    fputc('\n', stderr);
    return CTL_EXIT_REFUSED;
}

int ctl_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, CTL_PROG ": ");
    if (cmd)
        fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "; see '" CTL_PROG " %s --help'\n", cmd);
    else
        fprintf(stderr, "; see '" CTL_PROG " --help'\n");
    return CTL_EXIT_USAGE;
}

void ctl_warn(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, CTL_PROG ": warning: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *ctl_what(const char *cmd, uint32_t domid)
{
    static char buf[96];

    snprintf(buf, sizeof(buf), "%s d%u", cmd, domid);
    return buf;
}
