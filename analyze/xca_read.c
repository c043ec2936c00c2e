/* xca_read.c: feeding a trace to an analysis: mapping, two threads. */
/* SPDX-License-Identifier: MIT */
/*
 * A regular file is mapped here (not by the reader) so that the pages
 * the reader is about to check can be mapped in bulk a little ahead of
 * it (MADV_POPULATE_READ), and the pages behind it given back
 * (MADV_DONTNEED): the resident part of the file stays within a few MiB
 * whatever its size.
 *
 * Reading and analysing run in two threads when possible: the reader
 * thread decodes and merges records into batches, the calling thread
 * replays and analyses them (and prints the dump).  Batches go through
 * a small ring guarded by one mutex; every record, status and message
 * reaches the analysis in the reader's order, so the result is the one
 * a single thread would give.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xca_int.h"
#include "xct_dump.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define PROGRESS_MIN    (64ull << 20)   /* smaller files: no progress */
#define BATCH           4096u           /* records per batch */
#define NBATCH          4u              /* batches in the ring */
#define NMSG            8u              /* statuses per batch at most */
#define AHEAD           XCA_PREFETCH_AHEAD
#define MSG_LEN         240u
#define POP_CHUNK       (2ull << 20)    /* mapped ahead at a time */
#define DROP_STEP       (4ull << 20)    /* pages given back at a time */
#define DROP_LAG        (2ull << 20)    /* kept behind the last record */

/* ---- the input: a reader, and the file mapping when it is ours ------- */

struct input {
    struct xct_reader *rd;
    const struct xca *a;        /* for the end of its window */
    uint64_t stop;              /* TSC past which nothing is read */
    int started;
    const uint8_t *map;         /* NULL: the reader reads by itself */
    uint64_t len;
    uint64_t popped, dropped;
    uint64_t lost_events;       /* lost-records records the reader gave */
    unsigned int tick;
    struct wins *ws;            /* non-NULL: read whole batches */
};

/*
 * Keep the pages ahead of the reader's position mapped, and give back
 * those behind it.  (Prefetching the cache lines ahead by hand cost the
 * reader thread a tenth of its time and gained nothing: the hardware
 * prefetcher follows a sequential read.)
 */
static void input_ahead(struct input *in)
{
    struct xct_reader_stats st;
    uint64_t pos, end, last;

    xct_reader_stats(in->rd, &st);
    pos = st.bytes;             /* the next window header */
    if (pos + POP_CHUNK / 2 > in->popped && in->popped < in->len) {
        end = in->popped + POP_CHUNK;
        if (end > in->len)
            end = in->len;
        madvise((void *)(in->map + in->popped), end - in->popped,
                MADV_POPULATE_READ);
        in->popped = end;
    }
    last = xct_reader_offset(in->rd);
    if (last > in->dropped + DROP_STEP + DROP_LAG) {
        /* Only the cached copy goes: the reader can fault it back. */
        end = (last - DROP_LAG) & ~4095ull;
        madvise((void *)(in->map + in->dropped), end - in->dropped,
                MADV_DONTNEED);
        in->dropped = end;
    }
}

static inline enum xct_read_status input_next(struct input *in,
                                              struct xct_record *rec)
{
    if (in->map && !(++in->tick & 63))
        input_ahead(in);
    return xct_reader_next(in->rd, rec);
}

/* ---- windows: the CPU of a record from its offset ------------------ */

/*
 * Whole batches of records come from the reader without their CPUs; the
 * analysis wants the CPU of a lost-records record only.  In a mapped
 * file that the reader checks strictly, the CPU is the one of the
 * window holding the record: the window headers are walked in file
 * order as far as needed, the recent ones kept in wins[].
 */
#define NWIN            4096u   /* windows kept (more than a reader holds) */

struct win {
    uint64_t start, end;        /* the window's records: [start, end) */
    uint32_t cpu;
};

struct wins {
    struct win w[NWIN];
    unsigned int n;
    uint64_t next;              /* the next header to walk */
};

/* Walk headers up to the one holding off; 0, or -1 when the file ends. */
static int wins_walk(struct wins *ws, const struct input *in, uint64_t off)
{
    while (ws->next <= off) {
        const uint8_t *h = in->map + ws->next;
        uint32_t cpu, size;

        if (ws->next + 12 > in->len)
            return -1;
        memcpy(&cpu, h + 4, 4);
        memcpy(&size, h + 8, 4);
        if (ws->n == NWIN) {
            memmove(ws->w, ws->w + NWIN / 2,
                    (NWIN / 2) * sizeof(ws->w[0]));
            ws->n = NWIN / 2;
        }
        ws->w[ws->n].start = ws->next + 12;
        ws->w[ws->n].end = ws->next + 12 + size;
        ws->w[ws->n].cpu = cpu;
        ws->n++;
        ws->next += 12 + (uint64_t)size;
    }
    return 0;
}

/* CPU of the record at off. */
static uint32_t wins_cpu(struct wins *ws, const struct input *in,
                         uint64_t off)
{
    unsigned int lo, hi;

    if (wins_walk(ws, in, off) < 0)
        return 0;
    if (!ws->n || off < ws->w[0].start) {
        /* Older than what is kept: walk again from the start. */
        ws->n = 0;
        ws->next = 0;
        if (wins_walk(ws, in, off) < 0)
            return 0;
    }
    lo = 0;
    hi = ws->n;
    while (hi - lo > 1) {
        unsigned int mid = lo + (hi - lo) / 2;

        if (ws->w[mid].start <= off)
            lo = mid;
        else
            hi = mid;
    }
    return ws->w[lo].cpu;
}

/* ---- batches ------------------------------------------------------------ */

/*
 * Slot i of a batch is a record (st[i] == XCT_READ_OK) or a status.
 * cpu[i] is a record's CPU, when known: always but in whole-batch
 * reading, where only lost-records records have theirs.
 */
struct batch {
    struct xct_record rec[BATCH];
    uint64_t off[BATCH];
    uint16_t cpu[BATCH];
    uint8_t st[BATCH];          /* enum xct_read_status */
    uint8_t final[BATCH];       /* the reader is at its end */
    uint8_t msg[BATCH];         /* index into the batch's msgs */
    unsigned int n, nmsg;
    char msgs[NMSG][MSG_LEN];
};

struct pipe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct batch b[NBATCH];
    uint64_t put, got;          /* batches filled, consumed */
    uint64_t done;              /* the reader thread has finished */
    uint64_t stop;              /* the consumer wants no more */
    struct input *in;
    int tolerant;
    struct xct_reader_stats st; /* the reader's, at its end */
};

/* A status into slot b->n; returns 1 when the input is over, 2 full. */
static int fill_status(struct input *in, struct batch *b,
                       enum xct_read_status s, int tolerant)
{
    unsigned int i = b->n++;

    b->st[i] = (uint8_t)s;
    b->off[i] = xct_reader_offset(in->rd);
    b->final[i] = s == XCT_READ_END || !tolerant ||
                  xct_reader_at_end(in->rd);
    if (s != XCT_READ_END) {
        b->msg[i] = (uint8_t)b->nmsg;
        snprintf(b->msgs[b->nmsg++], MSG_LEN, "%s",
                 xct_reader_message(in->rd));
    }
    if (b->final[i])
        return 1;
    if (b->nmsg == NMSG)
        return 2;
    return 0;
}

/* The first record read: the window's end is known from it. */
static inline void fill_start(struct input *in, uint64_t tsc)
{
    if (__builtin_expect(!in->started, 0)) {
        in->started = 1;
        in->stop = xca_window_end(in->a, tsc);
    }
}

/* fill() a record at a time, with every record's CPU. */
static int fill_each(struct input *in, struct batch *b, int tolerant)
{
    enum xct_read_status s;
    unsigned int i;
    int rc;

    while (b->n < BATCH) {
        i = b->n;
        s = input_next(in, &b->rec[i]);
        if (__builtin_expect(s == XCT_READ_OK, 1)) {
            b->n++;
            b->st[i] = XCT_READ_OK;
            b->off[i] = xct_reader_offset(in->rd);
            b->cpu[i] = (uint16_t)xct_reader_cpu(in->rd);
            fill_start(in, b->rec[i].tsc);
            /* Past the window: the analysis stops at this record. */
            if (__builtin_expect(b->rec[i].tsc > in->stop, 0))
                return 1;
            continue;
        }
        rc = fill_status(in, b, s, tolerant);
        if (rc)
            return rc == 1;
    }
    return 0;
}

#define CHUNK   256u            /* records asked of the reader at a time */

/* fill() by whole batches of the reader (mapped, strict reading). */
static int fill_batch(struct input *in, struct batch *b, struct wins *ws)
{
    struct xct_reader_stats st;
    enum xct_read_status s;
    unsigned int i, k;
    size_t got;

    while (b->n < BATCH) {
        size_t want = BATCH - b->n < CHUNK ? BATCH - b->n : CHUNK;

        input_ahead(in);
        i = b->n;
        s = xct_reader_next_batch(in->rd, &b->rec[i], &b->off[i], want,
                                  &got);
        if (__builtin_expect(s != XCT_READ_OK, 0))
            return fill_status(in, b, s, 0) == 1;
        fill_start(in, b->rec[i].tsc);
        memset(&b->st[i], XCT_READ_OK, got);
        b->n += (unsigned int)got;
        /* The CPUs of lost-records records, when the reader saw any. */
        xct_reader_stats(in->rd, &st);
        if (__builtin_expect(st.lost_events != in->lost_events, 0)) {
            in->lost_events = st.lost_events;
            for (k = i; k < b->n; k++)
                if (b->rec[k].event == XCT_TRC_LOST_RECORDS)
                    b->cpu[k] = (uint16_t)wins_cpu(ws, in, b->off[k]);
        }
        if (__builtin_expect(in->stop != UINT64_MAX, 0)) {
            for (k = i; k < b->n; k++) {
                /* Past the window: the analysis stops at this record. */
                if (b->rec[k].tsc > in->stop) {
                    b->n = k + 1;
                    return 1;
                }
            }
        }
    }
    return 0;
}

/*
 * Read into b until it is full, a status ends the input, or its message
 * slots run out.  Returns 1 when the input is over.
 */
static int fill(struct input *in, struct batch *b, int tolerant,
                struct wins *ws)
{
    b->n = 0;
    b->nmsg = 0;
    if (ws)
        return fill_batch(in, b, ws);
    return fill_each(in, b, tolerant);
}

/*
 * The counters are written under the lock, atomically, so that the other
 * side may watch them without it: a side that would wait first spins a
 * little (a batch takes some tens of microseconds to fill or take),
 * and only then sleeps on the condition variable.  Sleeping at every
 * batch cost a wake-up of the other thread each time.
 */
#define SPIN            4096u           /* pauses before sleeping */

static inline uint64_t ld_acq(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

static inline void st_rel(uint64_t *v, uint64_t x)
{
    __atomic_store_n(v, x, __ATOMIC_RELEASE);
}

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spin while the ring is full; the lock is not held. */
static void spin_full(const struct pipe *p)
{
    unsigned int k;

    for (k = 0; k < SPIN; k++) {
        if (ld_acq(&p->put) - ld_acq(&p->got) != NBATCH ||
            ld_acq(&p->stop))
            return;
        spin_pause();
    }
}

/* Spin while the ring is empty; the lock is not held. */
static void spin_empty(const struct pipe *p)
{
    unsigned int k;

    for (k = 0; k < SPIN; k++) {
        if (ld_acq(&p->put) != ld_acq(&p->got) || ld_acq(&p->done))
            return;
        spin_pause();
    }
}

static void *reader_main(void *arg)
{
    struct pipe *p = arg;
    int over = 0;

    while (!over) {
        struct batch *b;

        spin_full(p);
        pthread_mutex_lock(&p->lock);
        while (p->put - p->got == NBATCH && !p->stop)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            break;
        }
        b = &p->b[p->put % NBATCH];
        pthread_mutex_unlock(&p->lock);

        over = fill(p->in, b, p->tolerant, p->in->ws);

        pthread_mutex_lock(&p->lock);
        st_rel(&p->put, p->put + 1);
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
    }
    pthread_mutex_lock(&p->lock);
    xct_reader_stats(p->in->rd, &p->st);
    st_rel(&p->done, 1);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- the consumer side ------------------------------------------------ */

struct progress {
    int on;
    uint64_t size;
    double next;
    int shown;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress_show(struct progress *p, uint64_t off, const char *name)
{
    double t = now();

    if (t < p->next)
        return;
    p->next = t + 0.2;
    p->shown = 1;
    fprintf(stderr, "\rxenclaim-analyze: %s: %3.0f%% (%" PRIu64 " of %"
            PRIu64 " MiB)", name, p->size ? 100.0 * (double)off /
            (double)p->size : 0.0, off >> 20, p->size >> 20);
    fflush(stderr);
}

static void progress_end(struct progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

/* Is record r shown by the dump under a's domain filter? */
static int dump_wanted(const struct xca *a, const struct xct_record *r)
{
    uint32_t minor = r->event - (XCT_TRC_MEM | XCT_MINOR_BASE);

    if (!a->o.ndomains || r->event == XCT_TRC_LOST_RECORDS ||
        r->event == XCT_EV_HEAP)
        return 1;
    if (minor >= XCT_REPLAY_NREC - 1 || r->nwords < 1)
        return 0;
    return xca_wanted(a, r->words[0]);
}

struct consumer {
    struct xca *a;
    const struct xca_read_opts *o;
    const char *name;
    FILE *err;
    struct progress pg;
    uint64_t n;
    int bad;                    /* a problem with the trace was seen */
    int over;                   /* stop: input over, window passed */
    int rc;                     /* negative errno */
};

static void take_status(struct consumer *c, const struct batch *b,
                        unsigned int i)
{
    const char *msg = b->msgs[b->msg[i]];
    char line[MSG_LEN + 64];

    c->bad = 1;
    if (c->err) {
        fprintf(c->err, "%s: offset %" PRIu64 ": %s\n", c->name, b->off[i],
                msg);
        fflush(c->err);
    }
    if (c->o->dump) {
        snprintf(line, sizeof(line), "! offset %" PRIu64 ": %s: %s",
                 b->off[i], b->st[i] == XCT_READ_TRUNCATED ? "truncated" :
                 "error", msg);
        fprintf(c->o->dump_out, "%s\n", line);
    }
    c->rc = xca_note_read(c->a, (enum xct_read_status)b->st[i], b->off[i],
                          msg, b->final[i]);
}

/* Consume one batch; sets c->over when reading should stop. */
static void take(struct consumer *c, const struct batch *b)
{
    struct xca *a = c->a;
    unsigned int i;
    int rc, ahead = a->nseen >= XCA_PREFETCH_DOMAINS;

    for (i = 0; i < b->n && !c->over; i++) {
        const struct xct_record *r = &b->rec[i];

        if (__builtin_expect(b->st[i] == XCT_READ_OK, 1) && !c->o->dump) {
            unsigned int j = i + 1, k;

            while (j < b->n && b->st[j] == XCT_READ_OK)
                j++;
            k = xca_feed_run(a, r, &b->off[i], &b->cpu[i], j - i, &rc);
            if (__builtin_expect(rc != 0, 0)) {
                c->over = 1;
                if (rc < 0)
                    c->rc = rc;
                break;
            }
            i += k - 1;
            continue;
        }
        if (ahead && i + AHEAD < b->n && b->st[i + AHEAD] == XCT_READ_OK)
            xca_prefetch(a, &b->rec[i + AHEAD], 1);
        if (__builtin_expect(b->st[i] == XCT_READ_OK, 1)) {
            rc = xca_feed(a, r, b->cpu[i], b->off[i]);
            if (__builtin_expect(rc != 0, 0)) {
                c->over = 1;
                if (rc < 0)
                    c->rc = rc;
                break;
            }
            if (dump_wanted(a, r) && a->in_win) {
                struct xct_dump_opts d = { a->o.cpu_hz, a->s.first_tsc, 0 };
                char line[1024];

                xct_dump_format(line, sizeof(line), r, b->cpu[i], &d);
                if (fputs(line, c->o->dump_out) == EOF ||
                    fputc('\n', c->o->dump_out) == EOF) {
                    c->rc = -EIO;
                    c->over = 1;
                }
            }
            continue;
        }
        if (b->st[i] != XCT_READ_END)
            take_status(c, b, i);
        if (b->final[i] || c->rc < 0)
            c->over = 1;
    }
    c->n += b->n;
    if (c->pg.on && b->n)
        progress_show(&c->pg, b->off[b->n - 1], c->name);
}

/* Both sides in this thread, batch by batch. */
static void run_single(struct consumer *c, struct input *in, int tolerant,
                       struct xct_reader_stats *st)
{
    struct batch *b = malloc(sizeof(*b));
    int over = 0;

    if (!b) {
        c->rc = -ENOMEM;
        return;
    }
    while (!over && !c->over) {
        over = fill(in, b, tolerant, in->ws);
        take(c, b);
    }
    free(b);
    xct_reader_stats(in->rd, st);
}

static int run_threads(struct consumer *c, struct input *in, int tolerant,
                       struct xct_reader_stats *st)
{
    struct pipe *p = calloc(1, sizeof(*p));
    pthread_t th;

    if (!p)
        return -ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->in = in;
    p->tolerant = tolerant;
    if (pthread_create(&th, NULL, reader_main, p) != 0) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return -EAGAIN;
    }
    for (;;) {
        struct batch *b;

        spin_empty(p);
        pthread_mutex_lock(&p->lock);
        while (p->put == p->got && !p->done)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->put == p->got) {
            pthread_mutex_unlock(&p->lock);
            break;              /* done, and every batch taken */
        }
        b = &p->b[p->got % NBATCH];
        pthread_mutex_unlock(&p->lock);

        take(c, b);

        pthread_mutex_lock(&p->lock);
        st_rel(&p->got, p->got + 1);
        if (c->over)
            st_rel(&p->stop, 1);
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        if (c->over)
            break;
    }
    pthread_join(th, NULL);
    *st = p->st;
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return 0;
}

static int read_input(struct xca *a, struct input *in,
                      const struct xca_read_opts *opts, const char *name,
                      FILE *err)
{
    static const struct xca_read_opts none = { 0, 0, 0, NULL, 0 };
    struct consumer c;
    struct xct_reader_stats st;
    int rc;

    if (!opts)
        opts = &none;
    memset(&c, 0, sizeof(c));
    c.a = a;
    c.o = opts;
    c.name = name ? name : "trace";
    c.err = err;
    if (opts->progress) {
        c.pg.on = opts->progress > 0 || isatty(2);
        c.pg.size = a->s.file_size;
        if (opts->progress < 0 && c.pg.size < PROGRESS_MIN)
            c.pg.on = 0;
    }
    memset(&st, 0, sizeof(st));
    /* Two threads only help with two CPUs to run them. */
    if (opts->single_thread || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
        run_threads(&c, in, opts->tolerant, &st) < 0)
        run_single(&c, in, opts->tolerant, &st);
    progress_end(&c.pg);
    if (c.rc < 0)
        return c.rc;
    if (!c.bad && st.records == 0 && st.windows == 0 && st.errors == 0 &&
        !a->s.records) {
        /* Nothing at all: not a trace. */
        c.bad = 1;
        if (err)
            fprintf(err, "%s: offset 0: empty file: expected a CPU_CHANGE "
                    "window header (0x%08x)\n", c.name,
                    xct_record_header(XCT_TRC_CPU_CHANGE, 2, 0));
        xca_note_read(a, XCT_READ_TRUNCATED, 0, "empty file: expected a "
                      "CPU_CHANGE window header", 1);
    }
    rc = xca_finish(a, &st, a->s.file_size);
    if (rc < 0)
        return rc;
    return c.bad ? XCA_READ_BAD : XCA_READ_CLEAN;
}

int xca_read(struct xca *a, struct xct_reader *rd,
             const struct xca_read_opts *opts, const char *name, FILE *err)
{
    struct input in;

    if (!a || !rd)
        return -EINVAL;
    memset(&in, 0, sizeof(in));
    in.rd = rd;
    in.a = a;
    return read_input(a, &in, opts, name, err);
}

int xca_read_file(struct xca *a, const char *path,
                  const struct xca_read_opts *opts, FILE *err)
{
    struct xct_reader_opts ro = { 0, 0 };
    struct input in;
    struct stat sb;
    void *map = MAP_FAILED;
    int fd, rc;

    if (!a || !path)
        return -EINVAL;
    memset(&in, 0, sizeof(in));
    in.a = a;
    if (opts && opts->tolerant)
        ro.flags |= XCT_READER_TOLERANT;
    if (strcmp(path, "-") == 0) {
        fd = dup(0);
        path = "(stdin)";
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        lseek(fd, 0, SEEK_CUR) == 0) {
        a->s.file_size = (uint64_t)sb.st_size;
        if (sb.st_size > 0)
            map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE,
                       fd, 0);
    }
    if (map != MAP_FAILED) {
        madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
        in.map = map;
        in.len = (uint64_t)sb.st_size;
        in.rd = xct_reader_new_mem(map, (size_t)sb.st_size, &ro);
    } else {
        in.rd = xct_reader_new_fd(fd, &ro);
    }
    if (!in.rd) {
        rc = -errno;
    } else {
        /* Whole batches need the map, strict reading and no dump. */
        if (in.map && !(opts && (opts->tolerant || opts->dump))) {
            in.ws = malloc(sizeof(*in.ws));
            if (in.ws) {
                in.ws->n = 0;
                in.ws->next = 0;
            }
        }
        rc = read_input(a, &in, opts, path, err);
        free(in.ws);
        xct_reader_free(in.rd);
    }
    if (map != MAP_FAILED)
        munmap(map, (size_t)sb.st_size);
    close(fd);
    return rc;
}
