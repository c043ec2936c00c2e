/* json.c: xenclaimctl's small JSON writer. */
/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* Is s valid UTF-8 (so that it may be written as it is)? */
static bool valid_utf8(const unsigned char *s)
{
    unsigned int need, k;

    while (*s) {
        if (*s < 0x80) {
            s++;
            continue;
        }
        if ((*s & 0xe0) == 0xc0 && *s >= 0xc2)
            need = 1;
        else if ((*s & 0xf0) == 0xe0)
            need = 2;
        else if ((*s & 0xf8) == 0xf0 && *s <= 0xf4)
            need = 3;
        else
            return false;
        for (k = 1; k <= need; k++)
            if ((s[k] & 0xc0) != 0x80)
                return false;
        s += need + 1;
    }
    return true;
}

/* A JSON string; bytes of invalid UTF-8 become \u00XX. */
static void write_string(FILE *f, const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
    bool raw_high = valid_utf8(p);

    fputc('"', f);
    for (; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !raw_high))
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Comma, newline and indent before a value, then "key": inside an object. */
static void member(struct ctl_json *j, const char *key)
{
    int i;

    if (j->depth > 0) {
        if (!j->first[j->depth - 1])
            fputc(',', j->f);
        j->first[j->depth - 1] = false;
        fputc('\n', j->f);
        for (i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    if (key) {
        write_string(j->f, key);
        fputs(": ", j->f);
    }
}

static void open_bracket(struct ctl_json *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->f);
    if (j->depth < CTL_JSON_DEPTH) {
        j->first[j->depth] = true;
        j->depth++;
    }
}

void ctl_json_begin(struct ctl_json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
    open_bracket(j, NULL, '{');
}

void ctl_json_end(struct ctl_json *j)
{
    while (j->depth > 0)
        ctl_json_close(j, '}');
    fputc('\n', j->f);
}

void ctl_json_obj(struct ctl_json *j, const char *key)
{
    open_bracket(j, key, '{');
}

void ctl_json_arr(struct ctl_json *j, const char *key)
{
    open_bracket(j, key, '[');
}

void ctl_json_close(struct ctl_json *j, char bracket)
{
    int i;
    bool empty;

    if (j->depth == 0)
        return;
    empty = j->first[j->depth - 1];
    j->depth--;
    if (!empty) {
        fputc('\n', j->f);
        for (i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    fputc(bracket, j->f);
}

void ctl_json_u64(struct ctl_json *j, const char *key, uint64_t v)
{
    member(j, key);
    fprintf(j->f, "%" PRIu64, v);
}

void ctl_json_num(struct ctl_json *j, const char *key, double v)
{
    member(j, key);
    if (isfinite(v))
        fprintf(j->f, "%.3f", v);
    else
        fputs("null", j->f);
}

void ctl_json_str(struct ctl_json *j, const char *key, const char *s)
{
    member(j, key);
    write_string(j->f, s);
}

void ctl_json_bool(struct ctl_json *j, const char *key, bool v)
{
    member(j, key);
    fputs(v ? "true" : "false", j->f);
}
