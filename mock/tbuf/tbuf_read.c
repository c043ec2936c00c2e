/* tbuf_read.c: the consumer: windows, discard, half-full waits. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "tbuf.h"
#include "tbuf_layout.h"
#include "xct_record.h"

#define MAX_IOV 8

/*
 * Read cons and prod of a ring and check them.  prod is loaded with
 * acquire: pairs with the release in xtb_write(), so the record bytes
 * before prod are visible.  0 or -EIO.
 */
static int ring_span(const struct xtb_area *a, unsigned int cpu,
                     uint32_t *cons, uint32_t *prod, uint32_t *used)
{
    const struct xtb_ring_hdr *h = a->ring[cpu].hdr;
    uint32_t dsize = a->dsize;

    /* Only the consumer writes cons. */
    *cons = atomic_load_explicit(&h->cons, memory_order_relaxed);
    *prod = atomic_load_explicit(&h->prod, memory_order_acquire);
    if (*prod >= 2 * dsize || *cons >= 2 * dsize || (*prod | *cons) % 4)
        return -EIO;
    *used = xtb_ring_used(*prod, *cons, dsize);
    return *used > dsize ? -EIO : 0;
}

ssize_t xtb_consume(struct xtb_area *a, unsigned int cpu, xtb_window_fn *fn,
                    void *arg)
{
    uint8_t hdr[XCT_CPU_CHANGE_BYTES];
    struct iovec iov[3];
    uint32_t cons, prod, used, pos, first;
    int rc, n = 2;

    if (cpu >= a->ncpus)
        return -EINVAL;
    rc = ring_span(a, cpu, &cons, &prod, &used);
    if (rc || !used)
        return rc;

    pos = xtb_ring_pos(cons, a->dsize);
    first = a->dsize - pos < used ? a->dsize - pos : used;
    xct_cpu_change_encode(hdr, (int32_t)cpu, used);
    iov[0].iov_base = hdr;
    iov[0].iov_len = sizeof(hdr);
    iov[1].iov_base = a->ring[cpu].data + pos;
    iov[1].iov_len = first;
    if (first < used) {
        iov[2].iov_base = a->ring[cpu].data;
        iov[2].iov_len = used - first;
        n = 3;
    }
    rc = fn(arg, cpu, iov, n, used);
    if (rc < 0)
        return rc;
    /*
     * Pairs with the acquire in xtb_write(): our reads of these bytes
     * happen before the producer writes over them.
     */
    atomic_store_explicit(&a->ring[cpu].hdr->cons,
                          xtb_ring_add(cons, used, a->dsize),
                          memory_order_release);
    return used;
}

int xtb_write_window(int fd, const struct iovec *iov, int iovcnt)
{
    struct iovec v[MAX_IOV];
    int i = 0;
    ssize_t n;

    if (iovcnt < 0 || iovcnt > MAX_IOV)
        return -EINVAL;
    memcpy(v, iov, sizeof(*iov) * (size_t)iovcnt);
    while (i < iovcnt) {
        if (!v[i].iov_len) {
            i++;
            continue;
        }
        n = writev(fd, v + i, iovcnt - i);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        while (n > 0 && i < iovcnt) {
            if ((size_t)n >= v[i].iov_len) {
                n -= v[i].iov_len;
                v[i].iov_len = 0;
                i++;
            } else {
                v[i].iov_base = (uint8_t *)v[i].iov_base + n;
                v[i].iov_len -= n;
                n = 0;
            }
        }
    }
    return 0;
}

static int fd_window(void *arg, unsigned int cpu, const struct iovec *iov,
                     int iovcnt, size_t bytes)
{
    return xtb_write_window(*(int *)arg, iov, iovcnt);
}

ssize_t xtb_consume_fd(struct xtb_area *a, unsigned int cpu, int fd)
{
    return xtb_consume(a, cpu, fd_window, &fd);
}

ssize_t xtb_discard(struct xtb_area *a, unsigned int cpu)
{
    uint32_t cons, prod, used;
    int rc;

    if (cpu >= a->ncpus)
        return -EINVAL;
    rc = ring_span(a, cpu, &cons, &prod, &used);
    if (rc)
        return rc;
    /* Pairs with the acquire in xtb_write(), as in xtb_consume(). */
    atomic_store_explicit(&a->ring[cpu].hdr->cons, prod,
                          memory_order_release);
    return used;
}

ssize_t xtb_pending(const struct xtb_area *a, unsigned int cpu)
{
    uint32_t cons, prod, used;
    int rc;

    if (cpu >= a->ncpus)
        return -EINVAL;
    rc = ring_span(a, cpu, &cons, &prod, &used);
    return rc ? rc : (ssize_t)used;
}

uint32_t xtb_notify_seq(const struct xtb_area *a)
{
    return atomic_load(&a->ctl->notify);
}

int xtb_wait(struct xtb_area *a, uint32_t seq, int timeout_ms)
{
    struct xtb_ctl *ctl = a->ctl;
    int rc = 0;

    /* seq_cst, against the increment and load in notify_half_full(). */
    atomic_store(&ctl->waiters, 1);
    if (atomic_load(&ctl->notify) == seq)
        rc = xtb_futex_wait(&ctl->notify, seq, timeout_ms);
    atomic_store(&ctl->waiters, 0);
    if (atomic_load(&ctl->notify) != seq)
        return 1;
    return rc == -EINTR ? -EINTR : 0;
}
