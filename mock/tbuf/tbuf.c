/* tbuf.c: trace-buffer areas: create, attach, map via t_info, controls. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tbuf.h"
#include "tbuf_layout.h"

/* t_info: u16 tbuf_size, u16 mfn_offset[ncpus], then u32 frame lists. */
static uint32_t tinfo_first_word(unsigned int ncpus)
{
    return (2 * (1 + ncpus) + 3) / 4;
}

static size_t ctl_bytes(unsigned int ncpus)
{
    return sizeof(struct xtb_ctl) + ncpus * sizeof(struct xtb_cpu_ctl);
}

static uint32_t ctl_pages(unsigned int ncpus)
{
    return (ctl_bytes(ncpus) + XTB_PAGE_SIZE - 1) / XTB_PAGE_SIZE;
}

static uint16_t tinfo_u16(const uint8_t *tinfo, unsigned int i)
{
    uint16_t v;

    memcpy(&v, tinfo + 2 * i, 2);
    return v;
}

static uint32_t tinfo_u32(const uint8_t *tinfo, uint32_t word)
{
    uint32_t v;

    memcpy(&v, tinfo + 4 * word, 4);
    return v;
}

static void free_area(struct xtb_area *a)
{
    unsigned int cpu;

    if (a->ring) {
        for (cpu = 0; cpu < a->ncpus; cpu++)
            if (a->ring[cpu].view)
                munmap(a->ring[cpu].view, a->ring[cpu].view_len);
        free(a->ring);
    }
    if (a->base)
        munmap(a->base, a->size);
    if (a->fd >= 0)
        close(a->fd);
    free(a->path);
    free(a);
}

/*
 * Map each CPU's buffer through its frame list in t_info.  A contiguous
 * list is used in place in the file mapping; any other gets a view of its
 * own, page by page, so that the ring is contiguous in memory.  Checks
 * that every frame is a buffer page and that no page is used twice.
 * 0, -EPROTO or -errno.
 */
static int map_rings(struct xtb_area *a)
{
    const uint8_t *tinfo = a->base;
    uint32_t first_buf = 1 + a->ctl->ctl_pages;
    uint32_t npages = a->ctl->area_pages;
    uint32_t limit = XTB_PAGE_SIZE / 4;
    unsigned int cpu, i;
    uint8_t *seen;
    int rc = 0;

    a->ring = calloc(a->ncpus, sizeof(*a->ring));
    seen = calloc(npages, 1);
    if (!a->ring || !seen) {
        free(seen);
        return -ENOMEM;
    }
    for (cpu = 0; cpu < a->ncpus && !rc; cpu++) {
        struct xtb_ring *r = &a->ring[cpu];
        uint32_t off = tinfo_u16(tinfo, 1 + cpu);
        uint32_t f0, f;
        int contiguous = 1;
        uint8_t *p;

        if (off < tinfo_first_word(a->ncpus) || off + a->pages > limit) {
            rc = -EPROTO;
            break;
        }
        f0 = tinfo_u32(tinfo, off);
        for (i = 0; i < a->pages; i++) {
            f = tinfo_u32(tinfo, off + i);
            if (f < first_buf || f >= npages || seen[f]) {
                rc = -EPROTO;
                break;
            }
            seen[f] = 1;
            if (f != f0 + i)
                contiguous = 0;
        }
        if (rc)
            break;
        if (contiguous) {
            p = a->base + (size_t)f0 * XTB_PAGE_SIZE;
        } else {
            r->view_len = (size_t)a->pages * XTB_PAGE_SIZE;
            r->view = mmap(NULL, r->view_len, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (r->view == MAP_FAILED) {
                r->view = NULL;
                rc = -errno;
                break;
            }
            for (i = 0; i < a->pages && !rc; i++) {
                f = tinfo_u32(tinfo, off + i);
                if (mmap((uint8_t *)r->view + (size_t)i * XTB_PAGE_SIZE,
                         XTB_PAGE_SIZE, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_FIXED, a->fd,
                         (off_t)f * XTB_PAGE_SIZE) == MAP_FAILED)
                    rc = -errno;
            }
            p = r->view;
        }
        r->hdr = (struct xtb_ring_hdr *)p;
        r->data = p + XTB_RING_HDR_BYTES;
    }
    free(seen);
    return rc;
}

/* Lay out t_info and the control pages of a new, zeroed area. */
static void init_area(struct xtb_area *a, uint32_t cpages, uint32_t npages,
                      unsigned int flags)
{
    uint8_t *tinfo = a->base;
    struct xtb_ctl *ctl = a->ctl;
    uint32_t first = tinfo_first_word(a->ncpus);
    uint32_t first_buf = 1 + cpages;
    uint16_t v16;
    uint32_t v32;
    unsigned int cpu, i;

    v16 = (uint16_t)a->pages;
    memcpy(tinfo, &v16, 2);
    for (cpu = 0; cpu < a->ncpus; cpu++) {
        uint32_t off = first + cpu * a->pages;

        v16 = (uint16_t)off;
        memcpy(tinfo + 2 * (1 + cpu), &v16, 2);
        for (i = 0; i < a->pages; i++) {
            if (flags & XTB_F_SCATTER)
                v32 = first_buf + i * a->ncpus + cpu;
            else
                v32 = first_buf + cpu * a->pages + i;
            memcpy(tinfo + 4 * (off + i), &v32, 4);
        }
    }

    ctl->version = XTB_VERSION;
    ctl->ncpus = a->ncpus;
    ctl->pages = a->pages;
    ctl->ctl_pages = cpages;
    ctl->area_pages = npages;
    ctl->page_size = XTB_PAGE_SIZE;
    ctl->ctl_bytes = sizeof(struct xtb_ctl);
    atomic_store_explicit(&ctl->evt_mask, XTB_EVT_MASK_ALL,
                          memory_order_relaxed);
    for (cpu = 0; cpu < a->ncpus; cpu++)
        atomic_fetch_or_explicit(&ctl->cpu_mask[cpu / 64],
                                 (uint64_t)1 << (cpu % 64),
                                 memory_order_relaxed);
    /* Nobody can see the file yet: a named one appears with link(). */
    ctl->magic = XTB_MAGIC;
}

static char *memfd_path(int fd)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "/proc/%ld/fd/%d", (long)getpid(), fd);
    return strdup(buf);
}

/* Make the file at tmp appear at path, failing if path exists. */
static int publish(const char *tmp, const char *path)
{
    int rc = 0;

    if (link(tmp, path))
        rc = -errno;
    unlink(tmp);
    return rc;
}

struct xtb_area *xtb_create(const char *path, unsigned int ncpus,
                            unsigned int pages, unsigned int flags)
{
    struct xtb_area *a;
    uint32_t cpages, npages;
    char *tmp = NULL;
    int rc;

    if (ncpus < 1 || ncpus > XTB_MAX_CPUS || pages < 1 ||
        pages > XTB_MAX_PAGES || (flags & ~XTB_F_SCATTER)) {
        errno = EINVAL;
        return NULL;
    }
    if (tinfo_first_word(ncpus) + (uint64_t)ncpus * pages >
        XTB_PAGE_SIZE / 4) {
        errno = E2BIG;
        return NULL;
    }
    cpages = ctl_pages(ncpus);
    npages = 1 + cpages + ncpus * pages;

    a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->fd = -1;
    a->ncpus = ncpus;
    a->pages = pages;
    a->dsize = pages * XTB_PAGE_SIZE - XTB_RING_HDR_BYTES;
    a->size = (size_t)npages * XTB_PAGE_SIZE;

    if (!path) {
        a->is_memfd = 1;
        a->fd = memfd_create("xenclaim-trace", MFD_CLOEXEC);
        if (a->fd < 0)
            goto fail_errno;
        a->path = memfd_path(a->fd);
    } else {
        if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
            tmp = NULL;
            errno = ENOMEM;
            goto fail_errno;
        }
        a->fd = mkostemp(tmp, O_CLOEXEC);
        if (a->fd < 0)
            goto fail_errno;
        a->path = strdup(path);
    }
    if (!a->path) {
        errno = ENOMEM;
        goto fail_errno;
    }
    /* Reserve the pages now: a full tmpfs must fail here, not SIGBUS. */
    rc = posix_fallocate(a->fd, 0, (off_t)a->size);
    if (rc) {
        errno = rc;
        goto fail_errno;
    }
    a->base = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   a->fd, 0);
    if (a->base == MAP_FAILED) {
        a->base = NULL;
        goto fail_errno;
    }
    a->ctl = (struct xtb_ctl *)(a->base + XTB_CTL_PAGE * XTB_PAGE_SIZE);
    init_area(a, cpages, npages, flags);
    rc = map_rings(a);
    if (rc) {
        errno = -rc;
        goto fail_errno;
    }
    if (tmp) {
        rc = publish(tmp, path);
        free(tmp);
        tmp = NULL;
        if (rc) {
            errno = -rc;
            goto fail_errno;
        }
    }
    return a;

fail_errno:
    rc = errno;
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free_area(a);
    errno = rc;
    return NULL;
}

/* Check the geometry of an attached area.  0 or -EPROTO. */
static int check_geometry(const struct xtb_area *a)
{
    const struct xtb_ctl *ctl = a->ctl;
    uint32_t n = ctl->ncpus, p = ctl->pages;

    if (ctl->magic != XTB_MAGIC || ctl->version != XTB_VERSION ||
        ctl->page_size != XTB_PAGE_SIZE ||
        ctl->ctl_bytes != sizeof(struct xtb_ctl))
        return -EPROTO;
    if (n < 1 || n > XTB_MAX_CPUS || p < 1 || p > XTB_MAX_PAGES)
        return -EPROTO;
    if (ctl->ctl_pages != ctl_pages(n) ||
        ctl->area_pages != 1 + ctl->ctl_pages + n * p ||
        (uint64_t)ctl->area_pages * XTB_PAGE_SIZE != a->size)
        return -EPROTO;
    if (tinfo_u16(a->base, 0) != p)
        return -EPROTO;
    return 0;
}

struct xtb_area *xtb_attach(const char *path)
{
    struct xtb_area *a;
    struct stat st;
    int rc;

    a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->path = strdup(path);
    if (!a->path)
        goto fail_errno;
    a->is_memfd = !strncmp(path, "/proc/", 6);
    a->fd = open(path, O_RDWR | O_CLOEXEC);
    if (a->fd < 0)
        goto fail_errno;
    if (fstat(a->fd, &st))
        goto fail_errno;
    if (st.st_size < 2 * XTB_PAGE_SIZE || st.st_size % XTB_PAGE_SIZE) {
        errno = EPROTO;
        goto fail_errno;
    }
    a->size = (size_t)st.st_size;
    a->base = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   a->fd, 0);
    if (a->base == MAP_FAILED) {
        a->base = NULL;
        goto fail_errno;
    }
    a->ctl = (struct xtb_ctl *)(a->base + XTB_CTL_PAGE * XTB_PAGE_SIZE);
    rc = check_geometry(a);
    if (rc) {
        errno = -rc;
        goto fail_errno;
    }
    a->ncpus = a->ctl->ncpus;
    a->pages = a->ctl->pages;
    a->dsize = a->pages * XTB_PAGE_SIZE - XTB_RING_HDR_BYTES;
    rc = map_rings(a);
    if (rc) {
        errno = -rc;
        goto fail_errno;
    }
    return a;

fail_errno:
    rc = errno;
    free_area(a);
    errno = rc;
    return NULL;
}

struct xtb_area *xtb_open(const char *path, unsigned int ncpus,
                          unsigned int pages, unsigned int flags,
                          int *created)
{
    struct xtb_area *a;
    int tries;

    /* Another process may create or remove it between our two calls. */
    for (tries = 0; tries < 8; tries++) {
        a = xtb_attach(path);
        if (a || errno != ENOENT) {
            if (a && created)
                *created = 0;
            return a;
        }
        a = xtb_create(path, ncpus, pages, flags);
        if (a || errno != EEXIST) {
            if (a && created)
                *created = 1;
            return a;
        }
    }
    return NULL;
}

void xtb_close(struct xtb_area *a)
{
    if (a)
        free_area(a);
}

int xtb_unlink(const struct xtb_area *a)
{
    if (a->is_memfd)
        return -EINVAL;
    return unlink(a->path) ? -errno : 0;
}

const char *xtb_path(const struct xtb_area *a)
{
    return a->path;
}

unsigned int xtb_ncpus(const struct xtb_area *a)
{
    return a->ncpus;
}

unsigned int xtb_pages(const struct xtb_area *a)
{
    return a->pages;
}

uint32_t xtb_data_size(const struct xtb_area *a)
{
    return a->dsize;
}

/* ---- controls ----------------------------------------------------------- */

int xtb_mask_match(uint32_t mask, uint32_t event)
{
    return xtb_mask_match_inline(mask, event);
}

int xtb_enable(struct xtb_area *a)
{
    struct xtb_ctl *ctl = a->ctl;

    /*
     * Every enable is a request for a fresh state dump, also when tracing
     * is on already: a consumer that joins late (or discarded the backlog)
     * starts from exact state.
     */
    atomic_store(&ctl->enabled, 1);
    /* Pairs with the acquire in xtb_service(). */
    atomic_fetch_add_explicit(&ctl->enable_gen, 1, memory_order_release);
    xtb_futex_wake(&ctl->enable_gen);
    return 0;
}

uint32_t xtb_enable_gen(const struct xtb_area *a)
{
    return atomic_load_explicit(&a->ctl->enable_gen, memory_order_acquire);
}

int xtb_disable(struct xtb_area *a)
{
    atomic_store(&a->ctl->enabled, 0);
    return 0;
}

int xtb_enabled(const struct xtb_area *a)
{
    return !!atomic_load_explicit(&a->ctl->enabled, memory_order_relaxed);
}

void xtb_set_evt_mask(struct xtb_area *a, uint32_t mask)
{
    atomic_store_explicit(&a->ctl->evt_mask, mask, memory_order_relaxed);
}

uint32_t xtb_evt_mask(const struct xtb_area *a)
{
    return atomic_load_explicit(&a->ctl->evt_mask, memory_order_relaxed);
}

int xtb_set_cpu_mask(struct xtb_area *a, const uint64_t *mask,
                     unsigned int nwords)
{
    unsigned int i;

    if (nwords > XTB_CPU_MASK_WORDS)
        return -EINVAL;
    for (i = 0; i < XTB_CPU_MASK_WORDS; i++)
        atomic_store_explicit(&a->ctl->cpu_mask[i], i < nwords ? mask[i] : 0,
                              memory_order_relaxed);
    return 0;
}

int xtb_cpu_traced(const struct xtb_area *a, unsigned int cpu)
{
    if (cpu >= XTB_MAX_CPUS)
        return 0;
    return (atomic_load_explicit(&a->ctl->cpu_mask[cpu / 64],
                                 memory_order_relaxed) >> (cpu % 64)) & 1;
}

int xtb_stats(const struct xtb_area *a, unsigned int cpu,
              struct xtb_cpu_stats *st)
{
    struct xtb_cpu_ctl *c;

    if (cpu >= a->ncpus)
        return -EINVAL;
    c = &a->ctl->cpu[cpu];
    st->written = atomic_load_explicit(&c->written, memory_order_relaxed);
    st->dropped = atomic_load_explicit(&c->dropped, memory_order_relaxed);
    st->filtered = atomic_load_explicit(&c->filtered, memory_order_relaxed);
    st->lost_records = atomic_load_explicit(&c->lost_records,
                                            memory_order_relaxed);
    st->wraps = atomic_load_explicit(&c->wraps, memory_order_relaxed);
    st->bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
    st->lost_pending = atomic_load_explicit(&c->lost_pending,
                                            memory_order_relaxed);
    return 0;
}

void xtb_set_enable_hook(struct xtb_area *a, xtb_enable_hook_fn *fn,
                         void *arg)
{
    a->hook = fn;
    a->hook_arg = arg;
}

/* Run the hook if an enable happened that this handle has not seen. */
static int service_once(struct xtb_area *a, uint32_t gen)
{
    if (gen == a->seen_gen ||
        !atomic_load_explicit(&a->ctl->enabled, memory_order_relaxed))
        return 0;
    a->seen_gen = gen;
    if (!a->hook)
        return 0;
    a->hook(a, a->hook_arg);
    return 1;
}

int xtb_service(struct xtb_area *a, int timeout_ms)
{
    /* Pairs with the release in xtb_enable(). */
    uint32_t gen = atomic_load_explicit(&a->ctl->enable_gen,
                                        memory_order_acquire);
    int rc;

    if (service_once(a, gen))
        return 1;
    if (timeout_ms == 0)
        return 0;
    rc = xtb_futex_wait(&a->ctl->enable_gen, gen, timeout_ms);
    gen = atomic_load_explicit(&a->ctl->enable_gen, memory_order_acquire);
    if (service_once(a, gen))
        return 1;
    return rc == -EINTR ? -EINTR : 0;
}
