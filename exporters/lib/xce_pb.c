/* xce_pb.c: the protobuf renderer: delimited io.prometheus.client.MetricFamily messages built with protobuf-c. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xce_mset.h"
#include "xce_render.h"
#include "xpm.pb-c.h"

/*
 * Every label set becomes one array of LabelPair pointers, shared by all
 * the Metric messages that use it; each sample is one Metric with one
 * Gauge or Counter.  All of it lives in four arrays allocated per call.
 */
union xce_pbval {
    Xpm__Gauge g;
    Xpm__Counter c;
};

/* Bytes of a varint. */
static size_t vlen(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Bytes a length-delimited field of n bytes takes (tag < 16). */
static size_t field_len(size_t n)
{
    return 1 + vlen(n) + n;
}

int xce_render_protobuf(const struct xce_mset *ms, struct xce_buf *out)
{
    size_t nlp = 0, i, f, k, maxn = 0, est = 0;
    Xpm__LabelPair *lp = NULL, **lpp = NULL;
    ProtobufCMessageUnknownField *uf = NULL;
    uint8_t *packed = NULL;
    size_t packed_len = 0, at;
    size_t *lab_off = NULL, *lab_bytes = NULL;
    Xpm__Metric *m = NULL, **mp = NULL;
    union xce_pbval *val = NULL;
    char name[256];
    int rc = -ENOMEM;

    for (i = 0; i < ms->nlab; i++)
        nlp += ms->lab[i].n;
    for (f = 0; f < ms->nfam; f++)
        if (ms->fam[f].n > maxn)
            maxn = ms->fam[f].n;
    lp = malloc((nlp ? nlp : 1) * sizeof(*lp));
    lpp = malloc((nlp ? nlp : 1) * sizeof(*lpp));
    lab_off = malloc(ms->nlab * sizeof(*lab_off));
    lab_bytes = malloc(ms->nlab * sizeof(*lab_bytes));
    /* Metric messages of one family at a time: the largest decides. */
    m = malloc((maxn ? maxn : 1) * sizeof(*m));
    mp = malloc((maxn ? maxn : 1) * sizeof(*mp));
    val = malloc((maxn ? maxn : 1) * sizeof(*val));
    uf = malloc((nlp ? nlp : 1) * sizeof(*uf));
    if (!lp || !lpp || !lab_off || !lab_bytes || !m || !mp || !val || !uf)
        goto out;

    for (i = 0, k = 0; i < ms->nlab; i++) {
        const struct xce_labels *l = &ms->lab[i];
        unsigned int j;

        lab_off[i] = k;
        lab_bytes[i] = 0;
        for (j = 0; j < l->n; j++, k++) {
            xpm__label_pair__init(&lp[k]);
            /* protobuf-c wants char *; it never writes through it. */
            lp[k].name = (char *)l->name[j];
            lp[k].value = (char *)l->value[j];
            lpp[k] = &lp[k];
            lab_bytes[i] += field_len(field_len(strlen(l->name[j])) +
                                      field_len(strlen(l->value[j])));
        }
        packed_len += lab_bytes[i];
    }
    /*
     * Each label pair is packed once here and handed to every Metric that
     * carries it as an already-encoded field 1 (protobuf-c writes "unknown
     * fields" verbatim after the known ones; field order is free on the
     * wire), instead of being sized and packed again for every family.
     */
    packed = malloc(packed_len ? packed_len : 1);
    if (!packed)
        goto out;
    for (k = 0, at = 0; k < nlp; k++) {
        size_t n = xpm__label_pair__get_packed_size(&lp[k]);

        /* An unknown field's data starts with its own length prefix. */
        uf[k].tag = 1;
        uf[k].wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        uf[k].data = packed + at;
        at += xce_varint_put(packed + at, n);
        at += xpm__label_pair__pack(&lp[k], packed + at);
        uf[k].len = (size_t)(packed + at - uf[k].data);
    }
    /*
     * Room for the whole body at once (each Metric: its labels and an
     * 11-byte gauge or counter), so that it is not copied as it grows.
     */
    for (f = 0; f < ms->nfam; f++) {
        const struct xce_family *fa = &ms->fam[f];

        est += 16 + field_len(strlen(fa->name) + 6) +
               field_len(fa->help ? strlen(fa->help) : 0);
        for (i = fa->first; i < fa->first + fa->n; i++)
            est += field_len(lab_bytes[ms->smp[i].labels] + 11);
    }
    if (xce_buf_reserve(out, est) < 0)
        goto out;

    for (f = 0; f < ms->nfam; f++) {
        const struct xce_family *fa = &ms->fam[f];
        Xpm__MetricFamily mf = XPM__METRIC_FAMILY__INIT;
        int counter = fa->type == XCE_COUNTER;
        size_t size, nl = strlen(fa->name);
        uint8_t hdr[XCE_VARINT_MAX];

        if (nl + sizeof("_total") > sizeof(name)) {
            rc = -EINVAL;
            goto out;
        }
        memcpy(name, fa->name, nl);
        strcpy(name + nl, counter ? "_total" : "");
        for (i = 0; i < fa->n; i++) {
            const struct xce_sample *s = &ms->smp[fa->first + i];
            const struct xce_labels *l = &ms->lab[s->labels];

            xpm__metric__init(&m[i]);
            m[i].base.n_unknown_fields = l->n;
            m[i].base.unknown_fields = l->n ? &uf[lab_off[s->labels]] : NULL;
            if (counter) {
                xpm__counter__init(&val[i].c);
                val[i].c.has_value = 1;
                val[i].c.value = s->value;
                m[i].counter = &val[i].c;
            } else {
                xpm__gauge__init(&val[i].g);
                val[i].g.has_value = 1;
                val[i].g.value = s->value;
                m[i].gauge = &val[i].g;
            }
            mp[i] = &m[i];
        }
        mf.name = name;
        mf.help = (char *)(fa->help ? fa->help : "");
        mf.has_type = 1;
        mf.type = counter ? XPM__METRIC_TYPE__COUNTER
                          : XPM__METRIC_TYPE__GAUGE;
        mf.n_metric = fa->n;
        mf.metric = fa->n ? mp : NULL;

        size = xpm__metric_family__get_packed_size(&mf);
        k = xce_varint_put(hdr, size);
        if (xce_buf_reserve(out, k + size) < 0)
            goto out;
        xce_buf_add_unchecked(out, hdr, k);
        out->len += xpm__metric_family__pack(&mf,
                                             (uint8_t *)out->p + out->len);
    }
    rc = 0;
out:
    free(lp);
    free(lpp);
    free(uf);
    free(packed);
    free(lab_off);
    free(lab_bytes);
    free(m);
    free(mp);
    free(val);
    return rc;
}
