/* xce_mset.c: metric set storage: families, shared label sets, samples, a string arena. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xce_mset.h"

#define CHUNK_BYTES (64u * 1024u)

/* Strings live in chunks that never move (label sets point into them). */
struct xce_strchunk {
    struct xce_strchunk *next;
    size_t used, size;
    char data[];
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 64;
    void *q;

    while (c < need)
        c *= 2;
    if (c == *cap)
        return p;
    if (c > SIZE_MAX / elem)
        return NULL;
    q = realloc(p, c * elem);
    if (q)
        *cap = c;
    return q;
}

void xce_mset_init(struct xce_mset *ms)
{
    memset(ms, 0, sizeof(*ms));
    xce_mset_reset(ms);
}

void xce_mset_reset(struct xce_mset *ms)
{
    struct xce_strchunk *c;

    ms->nfam = 0;
    ms->nsmp = 0;
    ms->oom = 0;
    for (c = ms->chunks; c; c = c->next)
        c->used = 0;
    /* The empty set is always lab[0]. */
    ms->nlab = 0;
    if (ms->caplab == 0) {
        struct xce_labels *l = grow(ms->lab, &ms->caplab, 1, sizeof(*l));

        if (!l) {
            ms->oom = 1;
            return;
        }
        ms->lab = l;
    }
    memset(&ms->lab[0], 0, sizeof(ms->lab[0]));
    ms->nlab = 1;
}

void xce_mset_free(struct xce_mset *ms)
{
    struct xce_strchunk *c, *next;

    if (!ms)
        return;
    for (c = ms->chunks; c; c = next) {
        next = c->next;
        free(c);
    }
    free(ms->fam);
    free(ms->smp);
    free(ms->lab);
    memset(ms, 0, sizeof(*ms));
}

int xce_mset_ok(const struct xce_mset *ms)
{
    return ms->oom ? -ENOMEM : 0;
}

static const char *unit_of(const char *name)
{
    static const char *const units[] = { "bytes", "seconds", "pages" };
    size_t n = strlen(name), i, u;

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        u = strlen(units[i]);
        if (n > u + 1 && name[n - u - 1] == '_' &&
            memcmp(name + n - u, units[i], u) == 0)
            return units[i];
    }
    return NULL;
}

int xce_mset_family(struct xce_mset *ms, const char *name, const char *help,
                    enum xce_type type)
{
    struct xce_family *f;

    if (ms->nfam == ms->capfam) {
        f = grow(ms->fam, &ms->capfam, ms->nfam + 1, sizeof(*f));
        if (!f) {
            ms->oom = 1;
            return -ENOMEM;
        }
        ms->fam = f;
    }
    f = &ms->fam[ms->nfam++];
    f->name = name;
    f->help = help;
    f->unit = unit_of(name);
    f->type = type;
    f->first = ms->nsmp;
    f->n = 0;
    return 0;
}

int xce_mset_add(struct xce_mset *ms, uint32_t labels, double value)
{
    struct xce_sample *s;

    if (ms->nfam == 0 || labels >= ms->nlab)
        return -EINVAL;
    if (ms->nsmp == ms->capsmp) {
        s = grow(ms->smp, &ms->capsmp, ms->nsmp + 1, sizeof(*s));
        if (!s) {
            ms->oom = 1;
            return -ENOMEM;
        }
        ms->smp = s;
    }
    s = &ms->smp[ms->nsmp++];
    s->labels = labels;
    s->value = value;
    ms->fam[ms->nfam - 1].n++;
    return 0;
}

/* Room for n bytes in the arena; NULL on failure. */
static char *arena_alloc(struct xce_mset *ms, size_t n)
{
    struct xce_strchunk *c, **pp;
    size_t size;

    for (pp = &ms->chunks; (c = *pp); pp = &c->next)
        if (c->size - c->used >= n) {
            c->used += n;
            return c->data + c->used - n;
        }
    size = n > CHUNK_BYTES ? n : CHUNK_BYTES;
    c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = n;
    *pp = c;
    return c->data;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0;               /* overlong */
        if (c == 0xed && s[1] >= 0xa0)
            return 0;               /* surrogates */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
            (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0;
        if (c == 0xf4 && s[1] >= 0x90)
            return 0;               /* above U+10FFFF */
        return 4;
    }
    return 0;
}

size_t xce_utf8_clean(char *out, size_t outlen, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, k;

    if (outlen == 0)
        return 0;
    while (*p) {
        k = utf8_seq(p);
        if (k == 0) {
            if (o + 3 >= outlen)
                break;
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
            continue;
        }
        if (o + k >= outlen)
            break;
        memcpy(out + o, p, k);
        o += k;
        p += k;
    }
    out[o] = '\0';
    return o;
}

static bool is_ascii(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p && *p < 0x80)
        p++;
    *len = (size_t)(p - (const unsigned char *)s);
    return *p == '\0';
}

static const char *copy_str(struct xce_mset *ms, const char *s, bool clean)
{
    size_t n;
    char *d;

    if (!clean || is_ascii(s, &n)) {
        n = strlen(s);
        d = arena_alloc(ms, n + 1);
        if (d)
            memcpy(d, s, n + 1);
        return d;
    }
    /* Worst case: every byte becomes a 3-byte U+FFFD. */
    n = strlen(s) * 3 + 1;
    d = arena_alloc(ms, n);
    if (d)
        xce_utf8_clean(d, n, s);
    return d;
}

long xce_mset_labels(struct xce_mset *ms, unsigned int n,
                     const char *const *names, const char *const *values)
{
    struct xce_labels *l;
    unsigned int i;

    if (n > XCE_MAX_LABELS)
        return -EINVAL;
    if (ms->nlab == ms->caplab) {
        l = grow(ms->lab, &ms->caplab, ms->nlab + 1, sizeof(*l));
        if (!l) {
            ms->oom = 1;
            return -ENOMEM;
        }
        ms->lab = l;
    }
    l = &ms->lab[ms->nlab];
    l->n = n;
    for (i = 0; i < n; i++) {
        l->name[i] = copy_str(ms, names[i], false);
        l->value[i] = copy_str(ms, values[i], true);
        if (!l->name[i] || !l->value[i]) {
            ms->oom = 1;
            return -ENOMEM;
        }
    }
    return (long)ms->nlab++;
}
