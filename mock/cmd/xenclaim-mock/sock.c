/* sock.c: xenclaim-mock's lock files, listening socket and pid file. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xcmd.h"

/* path + suffix into buf; -ENAMETOOLONG if it does not fit. */
static int suffixed(char *buf, size_t len, const char *path,
                    const char *suffix)
{
    int n = snprintf(buf, len, "%s%s", path, suffix);

    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The pid written in a lock file, 0 if unreadable. */
static pid_t lock_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return (pid_t)strtol(buf, NULL, 10);
}

int xcmd_lock(const char *path, pid_t *holder)
{
    char lpath[PATH_MAX], buf[32];
    struct stat fst, pst;
    int fd, rc, tries, n;

    *holder = 0;
    rc = suffixed(lpath, sizeof(lpath), path, ".lock");
    if (rc)
        return rc;
    /*
     * The file we lock must still be the one at lpath: a holder that
     * exits unlinks it, and we could otherwise lock a removed inode.
     */
    for (tries = 0; tries < 100; tries++) {
        fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            rc = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
            *holder = lock_holder(fd);
            close(fd);
            return rc;
        }
        if (fstat(fd, &fst) == 0 && stat(lpath, &pst) == 0 &&
            fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino)
            break;
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        return -EAGAIN;
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

void xcmd_unlock(const char *path, int fd)
{
    char lpath[PATH_MAX];

    if (fd < 0)
        return;
    /* Unlink while holding the lock, so nobody holds the old inode. */
    if (!suffixed(lpath, sizeof(lpath), path, ".lock"))
        unlink(lpath);
    close(fd);
}

/* Does a daemon answer at the socket path?  1 yes, 0 no (stale). */
static int socket_alive(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), rc;

    if (fd < 0)
        return -errno;
    rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    if (rc == 0)
        rc = 1;
    else if (errno == ECONNREFUSED)
        rc = 0;
    else
        rc = -errno;
    close(fd);
    return rc;
}

/* Create the parent directory when it is /run/xenclaim and missing. */
static void make_rundir(const char *path)
{
    size_t n = strlen(XCM_SOCKET_RUNDIR);

    if (!strncmp(path, XCM_SOCKET_RUNDIR, n) && path[n] == '/' &&
        !strchr(path + n + 1, '/'))
        mkdir(XCM_SOCKET_RUNDIR, 0755);
}

int xcmd_listen(const char *path, mode_t mode, dev_t *dev, ino_t *ino)
{
    struct sockaddr_un sa;
    struct stat st;
    mode_t old;
    int fd, rc;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        xcmd_log("socket path too long (at most %zu bytes): %s",
                 sizeof(sa.sun_path) - 1, path);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, path, strlen(path));
    make_rundir(path);

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            xcmd_log("%s exists and is not a socket: refusing to replace "
                     "it", path);
            return -EEXIST;
        }
        rc = socket_alive(&sa);
        if (rc == 1) {
            xcmd_log("a daemon already answers on %s: refusing to start",
                     path);
            return -EADDRINUSE;
        }
        if (rc < 0) {
            xcmd_log("cannot probe %s: %s", path, strerror(-rc));
            return rc;
        }
        xcmd_log("replacing stale socket %s", path);
        if (unlink(path) < 0 && errno != ENOENT) {
            rc = -errno;
            xcmd_log("cannot remove stale socket %s: %s", path,
                     strerror(errno));
            return rc;
        }
    } else if (errno != ENOENT) {
        rc = -errno;
        xcmd_log("cannot use %s: %s", path, strerror(errno));
        return rc;
    }

    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* The socket file is born with its final mode: no window open wider. */
    old = umask(~mode & 0777);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || listen(fd, 128) < 0 || stat(path, &st) < 0) {
        rc = -errno;
        xcmd_log("cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    *dev = st.st_dev;
    *ino = st.st_ino;
    return fd;
}

void xcmd_unlink_socket(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;

    if (lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
        unlink(path);
}

int xcmd_write_pidfile(const char *path)
{
    char tmp[PATH_MAX], buf[32];
    int fd, n, rc;

    n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    rc = write(fd, buf, (size_t)n) == n ? 0 : -EIO;
    if (close(fd) < 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}
