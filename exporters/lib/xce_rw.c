/* xce_rw.c: the remote-write queue (collections in chunks, oldest dropped first) and its WriteRequest encoder. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "xce_mset.h"
#include "xce_rw.h"
#include "xrw.pb-c.h"

/* One sample of a chunk: its family, label set and value. */
struct rw_sample {
    uint32_t fam;
    uint32_t lab;
    double value;
};

struct rw_lab {
    unsigned int n;
    const char *name[XCE_MAX_LABELS];
    const char *value[XCE_MAX_LABELS];
};

struct rw_fam {
    const char *name;               /* as on the wire, _total included */
    const char *help;
    int counter;
};

/* One collection: its own copies of names and label sets. */
struct rw_chunk {
    struct rw_chunk *next;
    int64_t ts_ms;
    size_t start, n;                /* samples[start..n) still queued */
    struct rw_sample *smp;
    struct rw_lab *lab;
    size_t nlab;
    struct rw_fam *fam;
    size_t nfam;
    char *strings;
    size_t bytes;                   /* everything above */
};

struct xce_rwq {
    struct rw_chunk *head, *tail;
    size_t pending, max;
    uint64_t head_seq;              /* sequence number of the oldest */
    uint64_t dropped;
    size_t bytes;
    unsigned int n_extra;
    char *extra_name[XCE_RW_MAX_EXTRA];
    char *extra_value[XCE_RW_MAX_EXTRA];
};

struct xce_rwq *xce_rwq_new(size_t max_samples, unsigned int n_extra,
                            const char *const *names,
                            const char *const *values)
{
    struct xce_rwq *q;
    unsigned int i;

    if (max_samples == 0 || n_extra > XCE_RW_MAX_EXTRA) {
        errno = EINVAL;
        return NULL;
    }
    q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->max = max_samples;
    for (i = 0; i < n_extra; i++) {
        q->extra_name[i] = strdup(names[i]);
        q->extra_value[i] = strdup(values[i]);
        q->n_extra = i + 1;
        if (!q->extra_name[i] || !q->extra_value[i]) {
            xce_rwq_free(q);
            errno = ENOMEM;
            return NULL;
        }
    }
    return q;
}

static void chunk_free(struct rw_chunk *c)
{
    if (!c)
        return;
    free(c->smp);
    free(c->lab);
    free(c->fam);
    free(c->strings);
    free(c);
}

void xce_rwq_free(struct xce_rwq *q)
{
    struct rw_chunk *c, *next;
    unsigned int i;

    if (!q)
        return;
    for (c = q->head; c; c = next) {
        next = c->next;
        chunk_free(c);
    }
    for (i = 0; i < q->n_extra; i++) {
        free(q->extra_name[i]);
        free(q->extra_value[i]);
    }
    free(q);
}

size_t xce_rwq_pending(const struct xce_rwq *q)
{
    return q->pending;
}

uint64_t xce_rwq_dropped(const struct xce_rwq *q)
{
    return q->dropped;
}

size_t xce_rwq_memory(const struct xce_rwq *q)
{
    return q ? sizeof(*q) + q->bytes : 0;
}

/* Remove up to n samples from the head; returns how many. */
static size_t pop(struct xce_rwq *q, size_t n)
{
    size_t done = 0;

    while (n > done && q->head) {
        struct rw_chunk *c = q->head;
        size_t k = c->n - c->start;

        if (k > n - done)
            k = n - done;
        c->start += k;
        done += k;
        if (c->start == c->n) {
            q->head = c->next;
            if (!q->head)
                q->tail = NULL;
            q->bytes -= c->bytes;
            chunk_free(c);
        }
    }
    q->pending -= done;
    q->head_seq += done;
    return done;
}

/* Bytes of the strings a chunk copies from ms. */
static size_t strings_size(const struct xce_mset *ms)
{
    size_t n = 0, i;
    unsigned int j;

    for (i = 0; i < ms->nfam; i++)
        n += strlen(ms->fam[i].name) + sizeof("_total") +
             strlen(ms->fam[i].help ? ms->fam[i].help : "") + 1;
    for (i = 0; i < ms->nlab; i++)
        for (j = 0; j < ms->lab[i].n; j++)
            n += strlen(ms->lab[i].name[j]) + 1 +
                 strlen(ms->lab[i].value[j]) + 1;
    return n;
}

static char *put(char **p, const char *a, const char *b)
{
    char *s = *p;
    size_t na = strlen(a), nb = b ? strlen(b) : 0;

    memcpy(s, a, na);
    memcpy(s + na, b ? b : "", nb);
    s[na + nb] = '\0';
    *p += na + nb + 1;
    return s;
}

static struct rw_chunk *chunk_new(const struct xce_mset *ms, int64_t ts,
                                  size_t skip)
{
    struct rw_chunk *c = calloc(1, sizeof(*c));
    size_t i, f, k, ss;
    char *p;

    if (!c)
        return NULL;
    c->ts_ms = ts;
    c->n = ms->nsmp - skip;
    ss = strings_size(ms);
    c->smp = malloc((c->n ? c->n : 1) * sizeof(*c->smp));
    c->lab = malloc(ms->nlab * sizeof(*c->lab));
    c->fam = malloc((ms->nfam ? ms->nfam : 1) * sizeof(*c->fam));
    c->strings = malloc(ss ? ss : 1);
    if (!c->smp || !c->lab || !c->fam || !c->strings) {
        chunk_free(c);
        return NULL;
    }
    c->bytes = sizeof(*c) + c->n * sizeof(*c->smp) +
               ms->nlab * sizeof(*c->lab) + ms->nfam * sizeof(*c->fam) + ss;
    p = c->strings;
    c->nfam = ms->nfam;
    c->nlab = ms->nlab;
    for (f = 0; f < ms->nfam; f++) {
        const struct xce_family *fa = &ms->fam[f];

        c->fam[f].counter = fa->type == XCE_COUNTER;
        c->fam[f].name = put(&p, fa->name,
                             c->fam[f].counter ? "_total" : NULL);
        c->fam[f].help = put(&p, fa->help ? fa->help : "", NULL);
    }
    for (i = 0; i < ms->nlab; i++) {
        c->lab[i].n = ms->lab[i].n;
        for (k = 0; k < ms->lab[i].n; k++) {
            c->lab[i].name[k] = put(&p, ms->lab[i].name[k], NULL);
            c->lab[i].value[k] = put(&p, ms->lab[i].value[k], NULL);
        }
    }
    /* Samples in family order, the first skip ones left out. */
    for (f = 0, k = 0; f < ms->nfam; f++)
        for (i = ms->fam[f].first; i < ms->fam[f].first + ms->fam[f].n;
             i++) {
            if (i < skip)
                continue;
            c->smp[k].fam = (uint32_t)f;
            c->smp[k].lab = ms->smp[i].labels;
            c->smp[k].value = ms->smp[i].value;
            k++;
        }
    c->n = k;
    return c;
}

long xce_rwq_push(struct xce_rwq *q, const struct xce_mset *ms, int64_t ts)
{
    size_t n = ms->nsmp, skip = 0, drop = 0;
    struct rw_chunk *c;

    if (n == 0)
        return 0;
    if (n > q->max) {
        skip = n - q->max;
        drop = skip;
    }
    c = chunk_new(ms, ts, skip);
    if (!c)
        return -ENOMEM;
    if (q->pending + c->n > q->max)
        drop += pop(q, q->pending + c->n - q->max);
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    q->pending += c->n;
    q->bytes += c->bytes;
    q->dropped += drop;
    return (long)drop;
}

size_t xce_rwq_ack(struct xce_rwq *q, uint64_t first, size_t n)
{
    uint64_t end = first + n;

    if (end <= q->head_seq)
        return 0;
    /* Samples before head_seq were dropped while in flight. */
    return pop(q, (size_t)(end - q->head_seq));
}

/* ---- encoding ----------------------------------------------------------- */

#define RW_MAX_PAIRS (XCE_MAX_LABELS + XCE_RW_MAX_EXTRA + 1)
#define RW_COUNTER   XRW__METRIC_METADATA__METRIC_TYPE__COUNTER
#define RW_GAUGE     XRW__METRIC_METADATA__METRIC_TYPE__GAUGE

static int by_name(const void *a, const void *b)
{
    const Xrw__Label *x = *(Xrw__Label *const *)a;
    const Xrw__Label *y = *(Xrw__Label *const *)b;

    return strcmp(x->name, y->name);
}

int xce_rwq_encode(struct xce_rwq *q, size_t max, struct xce_buf *body,
                   uint64_t *first, size_t *np)
{
    Xrw__WriteRequest req = XRW__WRITE_REQUEST__INIT;
    Xrw__TimeSeries *ts = NULL, **tsp = NULL;
    Xrw__Label *lb = NULL, **lbp = NULL;
    Xrw__Sample *sm = NULL, **smp = NULL;
    Xrw__MetricMetadata *md = NULL, **mdp = NULL;
    size_t n = q->pending < max ? q->pending : max;
    size_t i, nmd = 0, packed, clen;
    struct rw_chunk *c = q->head;
    const struct rw_chunk *mdc = NULL;
    uint32_t mdfam = 0;
    size_t at;
    uint8_t *raw = NULL;
    int rc = -ENOMEM;

    xce_buf_reset(body);
    *first = q->head_seq;
    *np = 0;
    if (n == 0)
        return 0;
    ts = calloc(n, sizeof(*ts));
    tsp = calloc(n, sizeof(*tsp));
    lb = calloc(n * RW_MAX_PAIRS, sizeof(*lb));
    lbp = calloc(n * RW_MAX_PAIRS, sizeof(*lbp));
    sm = calloc(n, sizeof(*sm));
    smp = calloc(n, sizeof(*smp));
    md = calloc(n, sizeof(*md));
    mdp = calloc(n, sizeof(*mdp));
    if (!ts || !tsp || !lb || !lbp || !sm || !smp || !md || !mdp)
        goto out;

    at = c->start;
    for (i = 0; i < n; i++) {
        const struct rw_sample *s;
        const struct rw_lab *l;
        const struct rw_fam *fa;
        Xrw__Label **pairs = &lbp[i * RW_MAX_PAIRS];
        Xrw__Label *pl = &lb[i * RW_MAX_PAIRS];
        size_t k = 0;
        unsigned int j, e;

        while (at == c->n) {
            c = c->next;
            at = c->start;
        }
        s = &c->smp[at++];
        l = &c->lab[s->lab];
        fa = &c->fam[s->fam];

        xrw__label__init(&pl[k]);
        pl[k].name = "__name__";
        pl[k].value = (char *)fa->name;
        pairs[k] = &pl[k];
        k++;
        for (j = 0; j < l->n; j++, k++) {
            xrw__label__init(&pl[k]);
            pl[k].name = (char *)l->name[j];
            pl[k].value = (char *)l->value[j];
            pairs[k] = &pl[k];
        }
        for (e = 0; e < q->n_extra; e++) {
            for (j = 0; j < l->n; j++)
                if (strcmp(l->name[j], q->extra_name[e]) == 0)
                    break;
            if (j < l->n)
                continue;
            xrw__label__init(&pl[k]);
            pl[k].name = q->extra_name[e];
            pl[k].value = q->extra_value[e];
            pairs[k] = &pl[k];
            k++;
        }
        qsort(pairs, k, sizeof(*pairs), by_name);

        xrw__sample__init(&sm[i]);
        sm[i].value = s->value;
        sm[i].timestamp = c->ts_ms;
        smp[i] = &sm[i];
        xrw__time_series__init(&ts[i]);
        ts[i].n_labels = k;
        ts[i].labels = pairs;
        ts[i].n_samples = 1;
        ts[i].samples = &smp[i];
        tsp[i] = &ts[i];

        /* Metadata: once per family of each chunk met. */
        if (c != mdc || s->fam != mdfam) {
            xrw__metric_metadata__init(&md[nmd]);
            md[nmd].type = fa->counter ? RW_COUNTER : RW_GAUGE;
            md[nmd].metric_family_name = (char *)fa->name;
            md[nmd].help = (char *)fa->help;
            mdp[nmd] = &md[nmd];
            nmd++;
            mdc = c;
            mdfam = s->fam;
        }
    }
    req.n_timeseries = n;
    req.timeseries = tsp;
    req.n_metadata = nmd;
    req.metadata = mdp;

    packed = xrw__write_request__get_packed_size(&req);
    raw = malloc(packed ? packed : 1);
    if (!raw)
        goto out;
    xrw__write_request__pack(&req, raw);
    clen = snappy_max_compressed_length(packed);
    if (xce_buf_reserve(body, clen) < 0)
        goto out;
    if (snappy_compress((const char *)raw, packed, body->p, &clen) !=
        SNAPPY_OK) {
        rc = -EIO;
        goto out;
    }
    body->len = clen;
    *np = n;
    rc = 0;
out:
    free(raw);
    free(ts);
    free(tsp);
    free(lb);
    free(lbp);
    free(sm);
    free(smp);
    free(md);
    free(mdp);
    return rc;
}
