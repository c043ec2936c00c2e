/* xct_reader.c: xentrace file reader: framing checks, TSC merge of CPUs. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xct_reader.h"

#define CPU_CHANGE_HDR   0x2001f003u    /* event 0x1f003, 2 words, no TSC */
#define CPU_CHANGE_SWAP  0x03f00120u    /* the same, other byte order */
#define DEFAULT_READ     (1u << 20)
#define MIN_BUF          (64u << 10)
#define RESYNC_CHUNK     (64u << 10)
#define DROP_STEP        (32u << 20)    /* map mode: release pages behind */
#define PREFETCH_AHEAD   4096u          /* bytes read ahead while checking */

/* A window queued for merging: whole, checked records of one CPU. */
struct win {
    struct win *next;
    const uint8_t *data;    /* into the map, or buf */
    size_t len;
    uint64_t off;           /* file offset of data[0] */
    uint64_t index;         /* sequence number of the window in the file */
    uint8_t *buf;           /* stream mode: owned copy */
    size_t cap;
};

struct cpu {
    struct win *head, *tail;    /* queue; head holds the cursor */
    const uint8_t *p, *end;     /* next record, end of head window */
    uint64_t off;               /* file offset of p */
    uint64_t tsc;               /* TSC of the record at p (or inherited) */
    uint64_t vtsc;              /* last TSC seen while checking */
    int seen;
    unsigned int id;            /* index in r->cpu */
};

struct rerr {
    int code;
    uint64_t off;
    char msg[200];
};

struct xct_reader {
    unsigned int flags;

    /* Input: a map (or caller buffer), or a stream into buf. */
    const uint8_t *map;
    size_t map_len;
    size_t unmap_len;           /* non-zero: munmap(map) on free */
    uint64_t dropped;           /* map pages before this are released */
    uint64_t drop_check;        /* next pos at which to try again */
    int fd;                     /* stream fd, -1 if none */
    int own_fd;
    uint8_t *buf;
    size_t cap, len;
    uint64_t base;              /* file offset of buf[0] */
    int eof;
    int io_errno;
    size_t read_size;

    uint64_t pos;               /* offset of the next window header */
    int input_done;

    /* Merge: per-CPU queues and a heap of CPUs ordered by head record. */
    struct cpu cpu[XCT_MAX_CPUS];
    uint16_t heap[XCT_MAX_CPUS];
    unsigned int nheap;
    struct cpu *run;            /* heap root, free to go out; or NULL */
    uint64_t lim_tsc, lim_off;  /* smallest key of the other CPUs */
    unsigned int lookahead;     /* windows read past a record's window */
    unsigned int qcap;          /* most windows queued */
    unsigned int queued;
    uint64_t nwindows;          /* windows read so far (next index) */
    struct win *free_wins;
    size_t win_bytes;           /* stream mode: bytes in window buffers */

    /* Outcome. */
    int final_set;
    enum xct_read_status final;
    struct rerr final_err;
    int has_pend;
    struct rerr pend;
    struct rerr last;           /* error reported last, or the end */
    unsigned int last_cpu;
    uint64_t last_off;
    int last_is_err;
    int last_final;

    struct xct_reader_stats st;
};

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
    uint32_t lo = ld32(p), hi = ld32(p + 4);

    return (uint64_t)lo | ((uint64_t)hi << 32);
}

/* Copy n payload words from p into w[7], zeroing the words past n. */
static inline void copy_words(uint32_t *w, const uint8_t *p, uint32_t n)
{
    switch (n) {
    case 7:
        memcpy(w, p, 28);
        return;
    case 6:
        memcpy(w, p, 24);
        w[6] = 0;
        return;
    case 5:
        memcpy(w, p, 20);
        w[5] = w[6] = 0;
        return;
    case 4:
        memcpy(w, p, 16);
        w[4] = w[5] = w[6] = 0;
        return;
    case 3:
        memcpy(w, p, 12);
        w[3] = w[4] = w[5] = w[6] = 0;
        return;
    case 2:
        memcpy(w, p, 8);
        w[2] = w[3] = w[4] = w[5] = w[6] = 0;
        return;
    case 1:
        memcpy(w, p, 4);
        w[1] = w[2] = w[3] = w[4] = w[5] = w[6] = 0;
        return;
    default:
        memset(w, 0, 28);
        return;
    }
}

typedef uint32_t v4u32 __attribute__((vector_size(16)));

/*
 * Masks of the payload words a record of n words has: word_lo[n] for
 * words 0-3, word_hi[n] for words 3-6.
 */
static const v4u32 word_lo[8] = {
    { 0, 0, 0, 0 }, { ~0u, 0, 0, 0 }, { ~0u, ~0u, 0, 0 },
    { ~0u, ~0u, ~0u, 0 }, { ~0u, ~0u, ~0u, ~0u }, { ~0u, ~0u, ~0u, ~0u },
    { ~0u, ~0u, ~0u, ~0u }, { ~0u, ~0u, ~0u, ~0u },
};
static const v4u32 word_hi[8] = {
    { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 },
    { ~0u, 0, 0, 0 }, { ~0u, ~0u, 0, 0 }, { ~0u, ~0u, ~0u, 0 },
    { ~0u, ~0u, ~0u, ~0u },
};

/*
 * Copy the n payload words at p into w[7], zeroing the rest, when 28
 * bytes may be read at p (without a branch on n).
 */
static inline void copy_words_wide(uint32_t *w, const uint8_t *p, uint32_t n)
{
    v4u32 lo, hi;

    memcpy(&lo, p, 16);
    memcpy(&hi, p + 12, 16);
    lo &= word_lo[n];
    hi &= word_hi[n];
    memcpy(w + 3, &hi, 16);
    memcpy(w, &lo, 16);
}

static inline size_t rec_size(uint32_t hdr)
{
    return 4 + ((hdr >> 31) << 3) + (((hdr >> 28) & 7u) << 2);
}

static void set_err(struct rerr *e, int code, uint64_t off,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(struct rerr *e, int code, uint64_t off,
                    const char *fmt, ...)
{
    va_list ap;

    e->code = code;
    e->off = off;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}

/* ---- input ------------------------------------------------------------ */

static void note_buffered(struct xct_reader *r)
{
    size_t b = r->cap + r->win_bytes;

    if (b > r->st.max_buffered)
        r->st.max_buffered = b;
}

/*
 * Make bytes [pos, pos + want) of the input available at *out, reading as
 * needed; bytes before pos may be dropped.  Returns how many are there:
 * want, or fewer at the end of the input (or after a read error, noted
 * in io_errno).  pos never goes back below an earlier pos.
 */
static size_t peek(struct xct_reader *r, uint64_t pos, size_t want,
                   const uint8_t **out)
{
    uint64_t have_end;
    size_t drop, avail;

    if (r->map || r->fd < 0) {
        if (pos >= r->map_len) {
            *out = r->map;
            return 0;
        }
        avail = r->map_len - pos;
        *out = r->map + pos;
        return avail < want ? avail : want;
    }

    have_end = r->base + r->len;
    if (pos + want > have_end && !r->eof) {
        /* Drop what lies before pos (all of it if pos is beyond). */
        drop = pos - r->base < r->len ? (size_t)(pos - r->base) : r->len;
        memmove(r->buf, r->buf + drop, r->len - drop);
        r->len -= drop;
        r->base += drop;
        if (r->cap < want) {
            size_t ncap = r->cap ? r->cap : MIN_BUF;
            uint8_t *nb;

            while (ncap < want)
                ncap *= 2;
            nb = realloc(r->buf, ncap);
            if (!nb) {
                r->io_errno = ENOMEM;
                r->eof = 1;
            } else {
                r->buf = nb;
                r->cap = ncap;
                note_buffered(r);
            }
        }
        while (!r->eof && r->base + r->len < pos + want) {
            size_t room = r->cap - r->len;
            ssize_t n;

            if (room > r->read_size)
                room = r->read_size;
            if (room == 0)
                break;
            n = read(r->fd, r->buf + r->len, room);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                r->io_errno = errno;
                r->eof = 1;
            } else if (n == 0) {
                r->eof = 1;
            } else {
                r->len += (size_t)n;
            }
            /* Bytes before pos that were skipped over are dropped too. */
            if (r->base < pos && r->len > 0) {
                drop = pos - r->base < r->len ? (size_t)(pos - r->base)
                                              : r->len;
                memmove(r->buf, r->buf + drop, r->len - drop);
                r->len -= drop;
                r->base += drop;
            }
        }
        have_end = r->base + r->len;
    }
    if (pos >= have_end || pos < r->base) {
        *out = r->buf;
        return 0;
    }
    avail = (size_t)(have_end - pos);
    *out = r->buf + (pos - r->base);
    return avail < want ? avail : want;
}

/* ---- window queues and heap --------------------------------------------- */

static inline int key_less(const struct cpu *a, const struct cpu *b)
{
    return a->tsc < b->tsc || (a->tsc == b->tsc && a->off < b->off);
}

static inline void heap_set(struct xct_reader *r, unsigned int i,
                            unsigned int c)
{
    r->heap[i] = (uint16_t)c;
}

static void sift_up(struct xct_reader *r, unsigned int i)
{
    unsigned int c = r->heap[i];

    while (i > 0) {
        unsigned int parent = (i - 1) / 2;

        if (!key_less(&r->cpu[c], &r->cpu[r->heap[parent]]))
            break;
        heap_set(r, i, r->heap[parent]);
        i = parent;
    }
    heap_set(r, i, c);
}

static void sift_down(struct xct_reader *r, unsigned int i)
{
    unsigned int c = r->heap[i];

    for (;;) {
        unsigned int l = 2 * i + 1, m;

        if (l >= r->nheap)
            break;
        m = l;
        if (l + 1 < r->nheap &&
            key_less(&r->cpu[r->heap[l + 1]], &r->cpu[r->heap[l]]))
            m = l + 1;
        if (!key_less(&r->cpu[r->heap[m]], &r->cpu[c]))
            break;
        heap_set(r, i, r->heap[m]);
        i = m;
    }
    heap_set(r, i, c);
}

static void heap_pop_root(struct xct_reader *r)
{
    r->nheap--;
    if (r->nheap > 0) {
        heap_set(r, 0, r->heap[r->nheap]);
        sift_down(r, 0);
    }
}

static void win_release(struct xct_reader *r, struct win *w)
{
    w->next = r->free_wins;
    r->free_wins = w;
    r->queued--;
}

/*
 * Move c's cursor to its next record that is not wrap padding, dropping
 * finished windows.  Returns 1 when c has a record at p, 0 when its queue
 * is empty.  The record's TSC (or the inherited one) is left in c->tsc.
 */
static inline int cpu_settle(struct xct_reader *r, struct cpu *c)
{
    for (;;) {
        uint32_t hdr;
        size_t sz;

        while (c->p == c->end) {
            struct win *w = c->head;

            c->head = w->next;
            win_release(r, w);
            if (!c->head) {
                c->tail = NULL;
                return 0;
            }
            c->p = c->head->data;
            c->end = c->p + c->head->len;
            c->off = c->head->off;
        }
        hdr = ld32(c->p);
        if (hdr & XCT_HDR_TSC)
            c->tsc = ld64(c->p + 4);
        if ((hdr & XCT_HDR_EVENT_MASK) != XCT_TRC_WRAP_BUFFER)
            return 1;
        r->st.wraps++;
        sz = rec_size(hdr);
        c->p += sz;
        c->off += sz;
    }
}

/* Queue len checked bytes at data (file offset off) for CPU n. */
static int enqueue(struct xct_reader *r, unsigned int n, const uint8_t *data,
                   size_t len, uint64_t off, uint64_t index)
{
    struct cpu *c = &r->cpu[n];
    struct win *w = r->free_wins;

    if (w) {
        r->free_wins = w->next;
    } else {
        w = calloc(1, sizeof(*w));
        if (!w)
            return -ENOMEM;
    }
    if (!r->map) {
        if (w->cap < len) {
            uint8_t *nb = realloc(w->buf, len);

            if (!nb) {
                w->next = r->free_wins;
                r->free_wins = w;
                return -ENOMEM;
            }
            r->win_bytes += len - w->cap;
            w->buf = nb;
            w->cap = len;
            note_buffered(r);
        }
        memcpy(w->buf, data, len);
        data = w->buf;
    }
    w->data = data;
    w->len = len;
    w->off = off;
    w->index = index;
    w->next = NULL;
    r->queued++;
    if (r->queued > r->st.max_queued)
        r->st.max_queued = r->queued;

    if (c->head) {
        c->tail->next = w;
        c->tail = w;
        return 0;
    }
    c->head = c->tail = w;
    c->p = w->data;
    c->end = w->data + len;
    c->off = off;
    if (cpu_settle(r, c)) {
        heap_set(r, r->nheap++, n);
        sift_up(r, r->nheap - 1);
    }
    return 0;
}

/*
 * Map mode: give back the pages of the file that no queued window needs
 * any more, so that the resident size stays bounded like the queues
 * (the data stays in the page cache).  Checked every DROP_STEP bytes.
 */
static void drop_behind(struct xct_reader *r)
{
    uint64_t low = r->pos;
    long page = sysconf(_SC_PAGESIZE);
    unsigned int i;

    r->drop_check = r->pos + DROP_STEP;
    for (i = 0; i < XCT_MAX_CPUS; i++)
        if (r->cpu[i].head && r->cpu[i].head->off < low)
            low = r->cpu[i].head->off;
    if (page <= 0)
        return;
    low -= low % (uint64_t)page;
    if (low > r->dropped) {
        madvise((void *)(r->map + r->dropped), (size_t)(low - r->dropped),
                MADV_DONTNEED);
        r->dropped = low;
    }
}

/* ---- reading and checking windows --------------------------------------- */

static int plausible_header(const uint8_t *p)
{
    uint32_t cpu = ld32(p + 4), size = ld32(p + 8);

    return ld32(p) == CPU_CHANGE_HDR && cpu < XCT_MAX_CPUS &&
           size % 4 == 0 && size <= XCT_WINDOW_MAX;
}

/*
 * Offset of the first plausible CPU_CHANGE header at or after from, or
 * the end of the input when there is none.
 */
static uint64_t resync(struct xct_reader *r, uint64_t from)
{
    uint32_t magic = CPU_CHANGE_HDR;

    for (;;) {
        const uint8_t *p, *hit;
        size_t avail = peek(r, from, RESYNC_CHUNK, &p), i = 0;

        if (avail < XCT_CPU_CHANGE_BYTES)
            return from + avail;
        while (i + XCT_CPU_CHANGE_BYTES <= avail) {
            hit = memmem(p + i, avail - i, &magic, 4);
            if (!hit || (size_t)(hit - p) + XCT_CPU_CHANGE_BYTES > avail)
                break;
            i = (size_t)(hit - p);
            if (plausible_header(hit))
                return from + i;
            i++;
        }
        from += avail - (XCT_CPU_CHANGE_BYTES - 1);
    }
}

/*
 * Check the records of a window of CPU n: avail bytes at data (file
 * offset off) of a window declared as size bytes.  Returns the length of
 * the prefix of whole valid records; when that is not the whole window,
 * fills *e and returns with *trunc set if the input simply ended.
 */
static size_t check_records(struct xct_reader *r, unsigned int n,
                            const uint8_t *data, size_t avail, size_t size,
                            uint64_t off, struct rerr *e, int *trunc)
{
    struct cpu *c = &r->cpu[n];
    uint64_t vtsc = c->vtsc, tsc;
    size_t i = 0, lim = avail < size ? avail : size;

    *trunc = 0;
    while (i + 4 <= avail) {
        uint32_t hdr, ev;
        uint32_t cls;
        size_t sz;

        /* The input is read once, here: keep the next lines coming. */
        __builtin_prefetch(data + i + PREFETCH_AHEAD);
        hdr = ld32(data + i);
        ev = hdr & XCT_HDR_EVENT_MASK;
        cls = (ev >> 16) & 0xffu;
        sz = rec_size(hdr);

        if (i + XCT_RECORD_MAX_BYTES <= lim) {
            /*
             * The common case, checked with few branches: the record is
             * whole (at most 40 bytes), so only its event and TSC need a
             * look.  Anything unusual takes the full checks below.
             */
            uint32_t odd = (cls & (cls - 1)) | (cls == 0) |
                           (ev == XCT_TRC_CPU_CHANGE) |
                           (ev == XCT_TRC_LOST_RECORDS);

            if (__builtin_expect(!odd, 1)) {
                if (!(hdr & XCT_HDR_TSC)) {
                    i += sz;
                    continue;
                }
                tsc = ld64(data + i + 4);
                if (__builtin_expect(tsc >= vtsc, 1)) {
                    vtsc = tsc;
                    i += sz;
                    continue;
                }
            }
        }
        if (sz > size - i) {
            set_err(e, XCT_E_WINDOW_SPLIT, off + i,
                    "record 0x%08" PRIx32 " of %zu bytes crosses the end of "
                    "its window at offset %" PRIu64 ": expected whole "
                    "records", hdr, sz, off + size);
            goto out;
        }
        if (sz > avail - i) {
            *trunc = 1;
            set_err(e, XCT_E_TRUNC_RECORD, off + i,
                    "file ends at offset %" PRIu64 " inside a record of "
                    "%zu bytes (header 0x%08" PRIx32 ")", off + avail, sz,
                    hdr);
            goto out;
        }
        if (cls == 0 || (cls & (cls - 1)) != 0) {
            set_err(e, XCT_E_CLASS_BITS, off + i,
                    "event 0x%07" PRIx32 " has %d class bits set in bits "
                    "16-23: expected exactly one", ev,
                    __builtin_popcount(cls));
            goto out;
        }
        if (ev == XCT_TRC_CPU_CHANGE) {
            set_err(e, XCT_E_NESTED_WINDOW, off + i,
                    "CPU_CHANGE record inside the window of CPU %u that "
                    "ends at offset %" PRIu64 ": expected a record",
                    n, off + size);
            goto out;
        }
        if (ev == XCT_TRC_LOST_RECORDS &&
            ((hdr >> 28) & 7u) != XCT_LOST_RECORDS_WORDS) {
            set_err(e, XCT_E_LOST_WORDS, off + i,
                    "LOST_RECORDS record with %" PRIu32 " words: expected 4",
                    (hdr >> 28) & 7u);
            goto out;
        }
        if (hdr & XCT_HDR_TSC) {
            tsc = ld64(data + i + 4);
            if (tsc < vtsc) {
                set_err(e, XCT_E_TSC_BACKWARDS, off + i,
                        "TSC %" PRIu64 " on CPU %u is below the previous "
                        "%" PRIu64 ": expected non-decreasing TSCs", tsc, n,
                        vtsc);
                goto out;
            }
            vtsc = tsc;
        }
        i += sz;
    }
    if (i < size) {
        *trunc = 1;
        if (i < avail)
            set_err(e, XCT_E_TRUNC_RECORD, off + i,
                    "file ends at offset %" PRIu64 " inside a record "
                    "header", off + avail);
        else
            set_err(e, XCT_E_TRUNC_WINDOW, off + i,
                    "file ends at offset %" PRIu64 " inside the window at "
                    "offset %" PRIu64 " (%zu bytes declared, %zu present)",
                    off + avail, off - XCT_CPU_CHANGE_BYTES, size, avail);
    }
out:
    c->vtsc = vtsc;
    return i;
}

/*
 * An error at e->off: strict mode stops the input there (records before
 * it still come out); tolerant mode queues the error for the caller and
 * carries on at the next plausible window header after from.  skip_from
 * is the first byte not returned.  Returns 1 when an error is pending.
 */
static int fail(struct xct_reader *r, struct rerr *e, int trunc,
                uint64_t skip_from, uint64_t from)
{
    r->st.errors++;
    if (!(r->flags & XCT_READER_TOLERANT) || r->io_errno) {
        r->input_done = 1;
        r->final_set = 1;
        r->final = trunc ? XCT_READ_TRUNCATED : XCT_READ_ERROR;
        r->final_err = *e;
        return 0;
    }
    r->pos = resync(r, from);
    if (trunc) {
        const uint8_t *p;

        if (peek(r, r->pos, 1, &p) == 0) {
            /* Nothing follows: a plain truncation after all. */
            r->input_done = 1;
            r->final_set = 1;
            r->final = XCT_READ_TRUNCATED;
            r->final_err = *e;
            return 0;
        }
        set_err(e, XCT_E_WINDOW_SIZE, e->off,
                "window runs past the end of the file, yet a window header "
                "follows at offset %" PRIu64, r->pos);
    }
    r->st.skipped_bytes += r->pos - skip_from;
    r->st.skipped_windows++;
    r->pend = *e;
    r->has_pend = 1;
    return 1;
}

/*
 * Read, check and queue the window at r->pos.  Returns 1 when an error is
 * pending for the caller (tolerant mode), 0 otherwise (input_done is set
 * at the end of the input or after a fatal problem), -ENOMEM.
 */
static int read_window(struct xct_reader *r)
{
    const uint8_t *p;
    uint64_t hpos = r->pos, doff = hpos + XCT_CPU_CHANGE_BYTES;
    uint32_t w0, size;
    int32_t cpu;
    size_t avail, good;
    struct rerr e;
    int trunc, rc;

    avail = peek(r, hpos, XCT_CPU_CHANGE_BYTES, &p);
    if (avail < XCT_CPU_CHANGE_BYTES) {
        if (r->io_errno) {
            set_err(&e, XCT_E_IO, hpos, "read: %s", strerror(r->io_errno));
            return fail(r, &e, 0, hpos, hpos);
        }
        if (avail == 0) {
            r->input_done = 1;
            return 0;
        }
        if (avail >= 4 && ld32(p) != CPU_CHANGE_HDR) {
            set_err(&e, XCT_E_NO_WINDOW, hpos, "expected a CPU_CHANGE "
                    "header 0x%08x, found 0x%08" PRIx32, CPU_CHANGE_HDR,
                    ld32(p));
            return fail(r, &e, 0, hpos, hpos + 1);
        }
        set_err(&e, XCT_E_TRUNC_HEADER, hpos, "file ends at offset %" PRIu64
                " inside a CPU_CHANGE header (12 bytes expected, %zu "
                "present)", hpos + avail, avail);
        r->st.errors++;
        r->input_done = 1;
        r->final_set = 1;
        r->final = XCT_READ_TRUNCATED;
        r->final_err = e;
        return 0;
    }
    w0 = ld32(p);
    cpu = (int32_t)ld32(p + 4);
    size = ld32(p + 8);
    if (w0 != CPU_CHANGE_HDR) {
        if (w0 == CPU_CHANGE_SWAP)
            set_err(&e, XCT_E_BYTE_ORDER, hpos, "found 0x%08" PRIx32 ", a "
                    "byte-swapped CPU_CHANGE header: the trace was written "
                    "in the other byte order", w0);
        else
            set_err(&e, XCT_E_NO_WINDOW, hpos, "expected a CPU_CHANGE "
                    "header 0x%08x, found 0x%08" PRIx32, CPU_CHANGE_HDR, w0);
        return fail(r, &e, 0, hpos, hpos + 1);
    }
    if (cpu < 0 || cpu >= (int32_t)XCT_MAX_CPUS) {
        set_err(&e, XCT_E_BAD_CPU, hpos, "window header names CPU %" PRId32
                ": expected 0-%u", cpu, XCT_MAX_CPUS - 1);
        return fail(r, &e, 0, hpos, hpos + 1);
    }
    if (size % 4 != 0 || size > XCT_WINDOW_MAX) {
        set_err(&e, XCT_E_WINDOW_SIZE, hpos, "window size %" PRIu32
                ": expected a multiple of 4 up to %u", size, XCT_WINDOW_MAX);
        return fail(r, &e, 0, hpos, hpos + 1);
    }

    /* A valid header: the window counts, and so may its CPU. */
    r->st.windows++;
    if (!r->cpu[cpu].seen) {
        r->cpu[cpu].seen = 1;
        r->st.cpus++;
        r->lookahead = 2 * r->st.cpus + 2;
        r->qcap = 2 * r->lookahead + 8;
    }
    avail = peek(r, doff, size, &p);
    good = check_records(r, (unsigned int)cpu, p, avail, size, doff, &e,
                         &trunc);
    if (good > 0) {
        rc = enqueue(r, (unsigned int)cpu, p, good, doff, r->nwindows);
        if (rc < 0)
            return rc;
    }
    r->nwindows++;
    if (good == size) {
        r->pos = doff + size;
        r->st.bytes = r->pos;
        if (r->unmap_len && r->pos >= r->drop_check)
            drop_behind(r);
        return 0;
    }
    if (trunc && r->io_errno) {
        set_err(&e, XCT_E_IO, doff + good, "read: %s",
                strerror(r->io_errno));
        trunc = 0;
    }
    r->st.bytes = doff + good;
    return fail(r, &e, trunc, doff + good, doff + good);
}

/* ---- the iterator ------------------------------------------------------- */

static enum xct_read_status report(struct xct_reader *r,
                                   enum xct_read_status s,
                                   const struct rerr *e, int final)
{
    r->last = *e;
    r->last_off = e->off;
    r->last_is_err = 1;
    r->last_final = final;
    return s;
}

/* May the head of c go out now, or must more windows be read first? */
static inline int released(const struct xct_reader *r, const struct cpu *c)
{
    return r->nwindows > c->head->index + r->lookahead || r->input_done ||
           r->queued >= r->qcap;
}

/*
 * After the heap changed: note whether its root may go out without
 * reading more (r->run), and the key it must stay below to remain the
 * root, the smallest key of the other CPUs (r->lim_tsc, r->lim_off).
 */
static void set_run(struct xct_reader *r)
{
    const struct cpu *o;

    if (r->nheap == 0 || !released(r, &r->cpu[r->heap[0]])) {
        r->run = NULL;
        return;
    }
    r->run = &r->cpu[r->heap[0]];
    if (r->nheap == 1) {
        r->lim_tsc = UINT64_MAX;
        r->lim_off = UINT64_MAX;
        return;
    }
    o = &r->cpu[r->heap[1]];
    if (r->nheap > 2 && key_less(&r->cpu[r->heap[2]], o))
        o = &r->cpu[r->heap[2]];
    r->lim_tsc = o->tsc;
    r->lim_off = o->off;
}

/* Decode the record with header hdr at p (window end at end) into rec. */
static inline __attribute__((always_inline)) void
decode(struct xct_record *rec, const uint8_t *p, const uint8_t *end,
       uint32_t hdr, size_t sz, uint64_t tsc)
{
    uint32_t n = (hdr >> 28) & 7u;

    rec->event = hdr & XCT_HDR_EVENT_MASK;
    rec->nwords = n;
    rec->has_tsc = hdr >> 31;
    rec->tsc = tsc;
    if (__builtin_expect(end - p >= (ptrdiff_t)XCT_RECORD_MAX_BYTES, 1))
        copy_words_wide(rec->words, p + sz - 4 * n, n);
    else
        copy_words(rec->words, p + sz - 4 * n, n);
}

/*
 * Return up to max records from c, the CPU with the smallest (TSC,
 * offset), into rec[] (their offsets into offs[] unless it is NULL), as
 * long as c stays the smallest, and move c on.  While c's next record is
 * in the same window and stays below every other CPU's head (the usual
 * case: CPUs come in runs), the heap is left alone.  Returns how many,
 * at least 1.
 */
static inline __attribute__((always_inline)) size_t
emit(struct xct_reader *r, struct cpu *c, struct xct_record *rec,
     uint64_t *offs, size_t max)
{
    const uint8_t *p = c->p, *end = c->end;
    uint64_t off = c->off, tsc = c->tsc, lim_tsc = r->lim_tsc;
    uint64_t lim_off = r->lim_off, last;
    size_t k = 0;

    for (;;) {
        uint32_t hdr = ld32(p), nh;
        size_t sz = rec_size(hdr);

        decode(&rec[k], p, end, hdr, sz, tsc);
        if (offs)
            offs[k] = off;
        if (__builtin_expect(rec[k].event == XCT_TRC_LOST_RECORDS, 0)) {
            r->st.lost_events++;
            r->st.lost += rec[k].words[0];
        }
        k++;
        last = off;
        p += sz;
        off += sz;
        if (__builtin_expect(p >= end, 0))
            break;
        nh = ld32(p);
        if (__builtin_expect((nh & XCT_HDR_EVENT_MASK) ==
                             XCT_TRC_WRAP_BUFFER, 0))
            break;
        if (nh & XCT_HDR_TSC)
            tsc = ld64(p + 4);
        if (__builtin_expect(!(tsc < lim_tsc ||
                               (tsc == lim_tsc && off < lim_off)), 0)) {
            c->p = p;
            c->off = off;
            c->tsc = tsc;
            goto reorder;
        }
        if (k == max) {
            c->p = p;
            c->off = off;
            c->tsc = tsc;
            goto done;
        }
    }
    /* The end of c's window, or wrap padding: the general way. */
    c->p = p;
    c->off = off;
    c->tsc = tsc;
    if (!cpu_settle(r, c)) {
        heap_pop_root(r);
        set_run(r);
        goto done;
    }
reorder:
    if (r->nheap == 2) {
        unsigned int o = r->heap[1];

        if (key_less(&r->cpu[o], c)) {
            r->heap[1] = r->heap[0];
            r->heap[0] = (uint16_t)o;
        }
    } else if (r->nheap > 2) {
        sift_down(r, 0);
    }
    set_run(r);
done:
    r->last_cpu = c->id;
    r->last_off = last;
    r->last_is_err = 0;
    r->last_final = 0;
    r->st.records += k;
    return k;
}

/* Everything but the common case: reading windows, errors, the end. */
static enum xct_read_status __attribute__((noinline))
next_slow(struct xct_reader *r, struct xct_record *rec)
{
    struct cpu *c;
    int rc;

    r->run = NULL;
    if (r->has_pend) {
        r->has_pend = 0;
        return report(r, XCT_READ_ERROR, &r->pend, 0);
    }
    for (;;) {
        if (r->nheap == 0) {
            if (r->input_done)
                break;
        } else {
            c = &r->cpu[r->heap[0]];
            if (released(r, c)) {
                set_run(r);         /* the limit emit() compares with */
                emit(r, c, rec, NULL, 1);
                return XCT_READ_OK;
            }
        }
        rc = read_window(r);
        if (rc < 0) {
            set_err(&r->final_err, XCT_E_IO, r->pos, "out of memory");
            r->st.errors++;
            r->input_done = 1;
            r->final_set = 1;
            r->final = XCT_READ_ERROR;
            continue;
        }
        if (rc > 0) {
            r->has_pend = 0;
            return report(r, XCT_READ_ERROR, &r->pend, 0);
        }
    }
    if (!r->final_set) {
        r->final_set = 1;
        r->final = XCT_READ_END;
        r->final_err.code = 0;
        r->final_err.off = r->pos;
        r->final_err.msg[0] = '\0';
    }
    return report(r, r->final, &r->final_err, 1);
}

enum xct_read_status xct_reader_next(struct xct_reader *r,
                                     struct xct_record *rec)
{
    struct cpu *c;

    if (!r || !rec) {
        errno = EINVAL;
        return XCT_READ_ERROR;
    }
    c = r->run;
    if (__builtin_expect(c != NULL, 1)) {
        emit(r, c, rec, NULL, 1);
        return XCT_READ_OK;
    }
    return next_slow(r, rec);
}

enum xct_read_status xct_reader_next_batch(struct xct_reader *r,
                                           struct xct_record *recs,
                                           uint64_t *offs, size_t n,
                                           size_t *got)
{
    enum xct_read_status st;
    size_t k = 0;

    if (got)
        *got = 0;
    if (!r || !recs || !got || n == 0) {
        errno = EINVAL;
        return XCT_READ_ERROR;
    }
    for (;;) {
        struct cpu *c;

        while (k < n && (c = r->run) != NULL)
            k += emit(r, c, recs + k, offs ? offs + k : NULL, n - k);
        if (k > 0)
            break;
        /* Windows to read, an error or the end: one record at a time. */
        st = next_slow(r, recs);
        if (st != XCT_READ_OK)
            return st;
        if (offs)
            offs[0] = r->last_off;
        k = 1;
    }
    *got = k;
    return XCT_READ_OK;
}

/* ---- construction ------------------------------------------------------- */

static struct xct_reader *reader_alloc(const struct xct_reader_opts *opts)
{
    struct xct_reader *r = calloc(1, sizeof(*r));
    unsigned int i;

    if (!r)
        return NULL;
    for (i = 0; i < XCT_MAX_CPUS; i++)
        r->cpu[i].id = i;
    r->flags = opts ? opts->flags : 0;
    r->read_size = opts && opts->read_size ? opts->read_size : DEFAULT_READ;
    r->fd = -1;
    r->lookahead = 2;
    r->qcap = 12;
    return r;
}

/* Set r up to read fd from its current offset. */
static int reader_attach(struct xct_reader *r, int fd)
{
    struct stat sb;
    off_t start;
    void *m;

    if (fstat(fd, &sb) < 0)
        return -errno;
    start = lseek(fd, 0, SEEK_CUR);
    if (S_ISREG(sb.st_mode) && !(r->flags & XCT_READER_STREAM) &&
        start >= 0 && start <= sb.st_size) {
        r->pos = (uint64_t)start;
        if (sb.st_size == 0) {
            r->map = (const uint8_t *)"";
            return 0;
        }
        m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
            r->map = m;
            r->map_len = (size_t)sb.st_size;
            r->unmap_len = (size_t)sb.st_size;
            r->drop_check = r->pos + DROP_STEP;
            return 0;
        }
    }
    /* A stream: offsets count from where reading starts. */
    r->fd = fd;
    r->pos = start >= 0 ? (uint64_t)start : 0;
    r->base = r->pos;
    r->cap = r->read_size < MIN_BUF ? MIN_BUF : r->read_size;
    r->buf = malloc(r->cap);
    if (!r->buf)
        return -ENOMEM;
    note_buffered(r);
    return 0;
}

struct xct_reader *xct_reader_new_fd(int fd,
                                     const struct xct_reader_opts *opts)
{
    struct xct_reader *r;
    int rc;

    if (fd < 0) {
        errno = EBADF;
        return NULL;
    }
    r = reader_alloc(opts);
    if (!r)
        return NULL;
    rc = reader_attach(r, fd);
    if (rc < 0) {
        xct_reader_free(r);
        errno = -rc;
        return NULL;
    }
    return r;
}

struct xct_reader *xct_reader_new(const char *path,
                                  const struct xct_reader_opts *opts)
{
    struct xct_reader *r;
    int fd, rc;

    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    r = reader_alloc(opts);
    if (!r) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    rc = reader_attach(r, fd);
    if (rc < 0) {
        close(fd);
        xct_reader_free(r);
        errno = -rc;
        return NULL;
    }
    if (r->fd >= 0)
        r->own_fd = 1;
    else
        close(fd);
    return r;
}

struct xct_reader *xct_reader_new_mem(const void *buf, size_t len,
                                      const struct xct_reader_opts *opts)
{
    struct xct_reader *r;

    if (!buf && len) {
        errno = EINVAL;
        return NULL;
    }
    r = reader_alloc(opts);
    if (!r)
        return NULL;
    r->map = buf ? buf : (const void *)"";
    r->map_len = len;
    return r;
}

void xct_reader_free(struct xct_reader *r)
{
    struct win *w, *next;
    unsigned int i;

    if (!r)
        return;
    for (i = 0; i < XCT_MAX_CPUS; i++) {
        for (w = r->cpu[i].head; w; w = next) {
            next = w->next;
            free(w->buf);
            free(w);
        }
    }
    for (w = r->free_wins; w; w = next) {
        next = w->next;
        free(w->buf);
        free(w);
    }
    if (r->unmap_len)
        munmap((void *)r->map, r->unmap_len);
    if (r->own_fd)
        close(r->fd);
    free(r->buf);
    free(r);
}

/* ---- getters ------------------------------------------------------------ */

unsigned int xct_reader_cpu(const struct xct_reader *r)
{
    return r ? r->last_cpu : 0;
}

uint64_t xct_reader_offset(const struct xct_reader *r)
{
    return r ? r->last_off : 0;
}

int xct_reader_error(const struct xct_reader *r)
{
    return r && r->last_is_err ? r->last.code : 0;
}

const char *xct_reader_message(const struct xct_reader *r)
{
    return r && r->last_is_err ? r->last.msg : "";
}

int xct_reader_at_end(const struct xct_reader *r)
{
    return !r || r->last_final;
}

uint64_t xct_reader_lost(const struct xct_reader *r)
{
    return r ? r->st.lost : 0;
}

void xct_reader_stats(const struct xct_reader *r, struct xct_reader_stats *st)
{
    if (r && st)
        *st = r->st;
}

const char *xct_read_status_name(enum xct_read_status s)
{
    switch (s) {
    case XCT_READ_OK:
        return "ok";
    case XCT_READ_END:
        return "end";
    case XCT_READ_TRUNCATED:
        return "truncated";
    case XCT_READ_ERROR:
        return "error";
    }
    return "?";
}
