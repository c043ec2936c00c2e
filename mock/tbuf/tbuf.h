/* tbuf.h: the mock hypervisor's per-CPU trace buffers, Xen's layout. */
/* SPDX-License-Identifier: MIT */
/*
 * An area is one file (a memfd, or a file in /dev/shm) that the mock
 * hypervisor and a xentrace-like consumer map.  It is laid out in 4096-byte
 * pages:
 *
 *   page 0            t_info, as Xen lays it: u16 tbuf_size (pages per
 *                     CPU), u16 mfn_offset[ncpus] (where each CPU's frame
 *                     list starts, in u32 words from the start of t_info),
 *                     then the frame lists: u32 page indices into the area
 *   page 1 ..         the control pages (magic, enable flag, event and CPU
 *                     masks, notification counters, per-CPU statistics)
 *   then              each CPU's buffer: its first page starts with u32
 *                     cons, u32 prod, then pages * 4096 - 8 bytes of data
 *
 * cons and prod are byte offsets counted modulo twice the data size D:
 * the unconsumed bytes are (prod - cons) mod 2D, at most D, so a full ring
 * and an empty one differ.  The producer of a CPU (one thread at a time,
 * which the caller guarantees) only ever writes prod; the consumer (one)
 * only ever writes cons.
 *
 * Producer (the hypervisor side):
 *
 *     a = xtb_create("/dev/shm/xenclaim-trace", ncpus, pages, 0);
 *     xtb_set_enable_hook(a, dump_state, NULL);
 *     ... in a service thread:  xtb_service(a, 100);
 *     ... on CPU c's thread:    xtb_write(a, c, event, tsc, n, words);
 *
 * Consumer (xenclaim-xentrace):
 *
 *     a = xtb_attach(path);
 *     xtb_set_evt_mask(a, mask);
 *     xtb_enable(a);
 *     for (;;) {
 *         uint32_t seq = xtb_notify_seq(a);
 *         for (cpu = 0; cpu < xtb_ncpus(a); cpu++)
 *             xtb_consume(a, cpu, window_fn, arg);
 *         xtb_wait(a, seq, 100);
 *     }
 *
 * Functions returning int return a negative errno on error; functions
 * returning a pointer return NULL and set errno.
 */
#ifndef XTB_TBUF_H
#define XTB_TBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define XTB_PAGE_SIZE       4096u
#define XTB_MAX_CPUS        256u    /* xenalyze accepts CPUs 0..255 */
#define XTB_CPU_MASK_WORDS  (XTB_MAX_CPUS / 64)
#define XTB_EVT_MASK_ALL    0x0ffff000u /* TRC_ALL */
#define XTB_DEFAULT_PATH    "/dev/shm/xenclaim-trace"
#define XTB_PATH_ENV        "XENCLAIM_TRACE_AREA"

/* Domain id written in LOST_RECORDS records: the idle domain. */
#define XTB_LOST_DOMID      0x7fffu

/* xtb_create() flags. */
#define XTB_F_SCATTER       0x1u    /* interleave the CPUs' pages (tests:
                                       the frame lists are then the only
                                       way to find a buffer) */

struct xtb_area;

/* Per-CPU producer statistics, cumulative since the area was created. */
struct xtb_cpu_stats {
    uint64_t written;       /* records written (not counting GEN padding
                               and LOST_RECORDS records) */
    uint64_t dropped;       /* records dropped for lack of space */
    uint64_t filtered;      /* records refused by the masks or while
                               tracing was disabled */
    uint64_t lost_records;  /* LOST_RECORDS records written */
    uint64_t wraps;         /* WRAP_BUFFER padding records written */
    uint64_t bytes;         /* bytes written, padding included */
    uint32_t lost_pending;  /* dropped, not yet reported in the ring */
};

/*
 * Create a new area for ncpus CPUs (1..XTB_MAX_CPUS) of pages pages each
 * (1..65535).  path NULL creates an anonymous memfd whose path
 * (/proc/PID/fd/N) xtb_path() gives; otherwise the file is created fully
 * initialised and appears atomically at path (mode 0600), failing with
 * EEXIST if something is there already.  Tracing starts disabled, with the
 * event mask XTB_EVT_MASK_ALL and every CPU in the CPU mask.  The handle
 * owns its mapping and descriptor (xtb_close()).  NULL with errno EINVAL
 * (ncpus, pages or flags out of range), E2BIG (the frame lists do not fit
 * in the one t_info page), EEXIST, or a system error.
 */
struct xtb_area *xtb_create(const char *path, unsigned int ncpus,
                            unsigned int pages, unsigned int flags);

/*
 * Attach to an existing area (created by another process or another
 * handle) and check its layout.  NULL with errno ENOENT, EPROTO (not an
 * area of this version, or inconsistent), or a system error.
 */
struct xtb_area *xtb_attach(const char *path);

/*
 * Attach to the area at path if it exists, otherwise create it with ncpus
 * and pages (flags as xtb_create()).  *created (may be NULL) tells which
 * happened.  An existing area keeps its own geometry: compare
 * xtb_ncpus()/xtb_pages() with what you asked.  NULL with errno as
 * xtb_create() or xtb_attach().
 */
struct xtb_area *xtb_open(const char *path, unsigned int ncpus,
                          unsigned int pages, unsigned int flags,
                          int *created);

/* Unmap and close; accepts NULL.  Does not remove the file. */
void xtb_close(struct xtb_area *a);

/* Remove the area's file (not a memfd).  0 or -errno. */
int xtb_unlink(const struct xtb_area *a);

/* The area's path (for a memfd, /proc/PID/fd/N), owned by the handle. */
const char *xtb_path(const struct xtb_area *a);
unsigned int xtb_ncpus(const struct xtb_area *a);
unsigned int xtb_pages(const struct xtb_area *a);      /* per CPU */
uint32_t xtb_data_size(const struct xtb_area *a);      /* D, per CPU */

/* ---- control (either side) ---------------------------------------------- */

/*
 * Xen's filter: event passes mask when they overlap, their class bits
 * (16-27) overlap and their subclass nibbles (bits 12-15) overlap.
 * Returns 1 if it passes, 0 if not.
 */
int xtb_mask_match(uint32_t mask, uint32_t event);

/* Enable or disable tracing.  Enabling wakes xtb_service().  0. */
int xtb_enable(struct xtb_area *a);
int xtb_disable(struct xtb_area *a);
/* Count of enable requests so far (each asks for a state dump). */
uint32_t xtb_enable_gen(const struct xtb_area *a);
int xtb_enabled(const struct xtb_area *a);             /* 1 or 0 */

void xtb_set_evt_mask(struct xtb_area *a, uint32_t mask);
uint32_t xtb_evt_mask(const struct xtb_area *a);

/*
 * Set the CPU mask from nwords 64-bit words (bit c%64 of word c/64 for CPU
 * c); CPUs beyond nwords * 64 are cleared.  0, or -EINVAL if nwords is
 * more than XTB_CPU_MASK_WORDS.
 */
int xtb_set_cpu_mask(struct xtb_area *a, const uint64_t *mask,
                     unsigned int nwords);
/* 1 if cpu is in the CPU mask, 0 if not (or out of range). */
int xtb_cpu_traced(const struct xtb_area *a, unsigned int cpu);

/* Statistics of one CPU.  0, or -EINVAL for a bad CPU. */
int xtb_stats(const struct xtb_area *a, unsigned int cpu,
              struct xtb_cpu_stats *st);

/* ---- producer (the hypervisor side) ------------------------------------- */

/*
 * Write one record (event, with tsc, nwords payload words) into cpu's ring
 * as Xen's __trace_var does: filtered by the enable flag and the masks;
 * when it would cross the end of the ring, a WRAP_BUFFER record first pads
 * the ring to its end; when records were dropped before, a LOST_RECORDS
 * record {lost, XTB_LOST_DOMID | cpu << 16, first dropped TSC} goes first.
 * When the lot does not fit in the free space the record is dropped and
 * counted.  prod is published once, after all the bytes.
 *
 * Padding of a gap of g bytes (4 <= g <= 36, since a record is at most 40
 * bytes): for g <= 32 a header with (g - 4) / 4 payload words and no TSC,
 * the words zero; for g = 36 a header with a TSC (the TSC of the record
 * that follows) and 6 zero words.  This is what Xen writes (its payload is
 * whatever was in the ring; here it is zero).
 *
 * Only one thread may write to a given CPU at a time.  No locks, no system
 * call except one futex wake when the ring crosses half full while a
 * consumer sleeps in xtb_wait().
 *
 * Returns 1 when written, 0 when filtered out (tracing disabled, event or
 * CPU masked), -ENOSPC when dropped for lack of space (counted, reported
 * later), -EINVAL for a bad cpu or nwords > 7.
 */
int xtb_write(struct xtb_area *a, unsigned int cpu, uint32_t event,
              uint64_t tsc, unsigned int nwords, const uint32_t *words);

/* Called when tracing becomes enabled, to dump the hypervisor's state. */
typedef void xtb_enable_hook_fn(struct xtb_area *a, void *arg);

/* Register (or with NULL remove) the enable hook of this handle. */
void xtb_set_enable_hook(struct xtb_area *a, xtb_enable_hook_fn *fn,
                         void *arg);

/*
 * Run the enable hook if tracing has been enabled (by any process) since
 * the last call through this handle, including an enable that happened
 * before the handle was opened; otherwise wait up to timeout_ms (0: do not
 * wait, < 0: forever) for an enable and then run it.  The hook runs on the
 * calling thread, which must respect the one-writer-per-CPU rule.  Returns
 * 1 if the hook ran, 0 if not, -EINTR if a signal interrupted the wait.
 */
int xtb_service(struct xtb_area *a, int timeout_ms);

/* ---- consumer ----------------------------------------------------------- */

/*
 * One window of a CPU: iov[0] is the 12-byte CPU_CHANGE record, iov[1]
 * (and iov[2] when the window spans the end of the ring) the raw ring
 * bytes, bytes in all after the header.  The pointers are into the ring
 * and valid during the call only.  Return 0 to have the bytes released to
 * the producer, < 0 to keep them (the consumer then returns that value).
 */
typedef int xtb_window_fn(void *arg, unsigned int cpu,
                          const struct iovec *iov, int iovcnt, size_t bytes);

/*
 * Read every byte between cons and prod of cpu (wrap padding included, as
 * xentrace copies raw bytes), pass it to fn as one window, then publish
 * cons.  Returns the bytes consumed (0 when the ring was empty), fn's
 * negative value, -EINVAL for a bad cpu, or -EIO when prod or cons is out
 * of range (a corrupt area; nothing is consumed).
 */
ssize_t xtb_consume(struct xtb_area *a, unsigned int cpu, xtb_window_fn *fn,
                    void *arg);

/*
 * xtb_consume() writing the window to fd (xtb_write_window()).  On a
 * write error nothing is consumed, but part of the window may already be
 * in the file.  Returns the bytes consumed or -errno.
 */
ssize_t xtb_consume_fd(struct xtb_area *a, unsigned int cpu, int fd);

/*
 * Write iovcnt buffers to fd in order, retrying short writes and EINTR.
 * 0 or -errno (-EIO if write() returned 0).
 */
int xtb_write_window(int fd, const struct iovec *iov, int iovcnt);

/* Drop cpu's unconsumed bytes (cons = prod): the bytes dropped, or -EINVAL. */
ssize_t xtb_discard(struct xtb_area *a, unsigned int cpu);

/* Unconsumed bytes of cpu, or -EINVAL / -EIO as xtb_consume(). */
ssize_t xtb_pending(const struct xtb_area *a, unsigned int cpu);

/*
 * Half-full notifications: read the counter with xtb_notify_seq() before
 * draining, then xtb_wait(a, seq, timeout_ms) sleeps until a producer
 * crosses half full after that read, or timeout_ms passes (< 0: forever).
 * Returns 1 when notified, 0 on timeout, -EINTR on a signal.
 */
uint32_t xtb_notify_seq(const struct xtb_area *a);
int xtb_wait(struct xtb_area *a, uint32_t seq, int timeout_ms);

#endif /* XTB_TBUF_H */
