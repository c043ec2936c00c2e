/* config.c: xenclaimctl's xl-style guest config (files, KEY=VALUE). */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MAX_CONFIG_BYTES (1u << 20)
#define MAX_VALUE        4096

/* Where a key came from, for messages: "FILE:LINE" or "argument". */
struct src {
    const char *file;
    unsigned int line;
};

static int config_error(const struct src *at, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int config_error(const struct src *at, const char *fmt, ...)
{
    va_list ap;

    if (at->file)
        fprintf(stderr, CTL_PROG ": create: %s:%u: ", at->file, at->line);
    else
        fprintf(stderr, CTL_PROG ": create: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CTL_EXIT_USAGE;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static int memory_value(const struct src *at, const char *key,
                        const char *value, uint64_t *pages)
{
    int rc = ctl_parse_memory(value, pages);

    switch (rc) {
    case 0:
        return 0;
    case -EDOM:
        return config_error(at, "bad %s '%s': negative numbers are not "
                            "allowed", key, value);
    case -ERANGE:
        return config_error(at, "bad %s '%s': too large", key, value);
    case -ENOTSUP:
        return config_error(at, "bad %s '%s': not a whole number of 4 KiB "
                            "pages", key, value);
    default:
        return config_error(at, "bad %s '%s': MiB, or a size with a unit "
                            "(512M, 2G)", key, value);
    }
}

/* Apply key = value; is_list: the value was a [ ... ] list. */
static int apply(struct ctl_guest *g, const struct src *at, const char *key,
                 const char *value, bool is_list, bool quiet)
{
    bool known = !strcmp(key, "name") || !strcmp(key, "memory") ||
                 !strcmp(key, "maxmem");

    if (known && is_list)
        return config_error(at, "%s takes a single value, not a list", key);
    if (!strcmp(key, "name")) {
        if (!*value || strlen(value) >= HYP_NAME_MAX)
            return config_error(at, "bad name '%s': 1 to %u bytes", value,
                                HYP_NAME_MAX - 1);
        if (all_digits(value))
            return config_error(at, "bad name '%s': a name of digits only "
                                "would read as a domain id", value);
        snprintf(g->name, sizeof(g->name), "%s", value);
        g->have_name = true;
        return 0;
    }
    if (!strcmp(key, "memory")) {
        if (memory_value(at, key, value, &g->memory_pages))
            return CTL_EXIT_USAGE;
        g->have_memory = true;
        return 0;
    }
    if (!strcmp(key, "maxmem"))
        return memory_value(at, key, value, &g->maxmem_pages);
    if (!strcmp(key, "vcpus") && !strcmp(value, "1"))
        return 0;
    if (!quiet) {
        if (at->file)
            ctl_warn("create: %s:%u: ignoring '%s' (the mock builds name, "
                     "memory and maxmem only)", at->file, at->line, key);
        else
            ctl_warn("create: ignoring '%s' (the mock builds name, memory "
                     "and maxmem only)", key);
    }
    return 0;
}

/* ---- the file's tokenizer ------------------------------------------ */

struct lexer {
    const char *p;
    struct src at;
};

/* Skip blanks (and, when newlines, line ends and comments). */
static void skip_space(struct lexer *lx, bool newlines)
{
    for (;;) {
        if (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r') {
            lx->p++;
        } else if (*lx->p == '#' && newlines) {
            while (*lx->p && *lx->p != '\n')
                lx->p++;
        } else if (*lx->p == '\n' && newlines) {
            lx->p++;
            lx->at.line++;
        } else {
            return;
        }
    }
}

/* A quoted string (the opening quote at lx->p) into out. */
static int lex_string(struct lexer *lx, char *out, size_t len)
{
    char quote = *lx->p++, c;
    size_t n = 0;

    for (;;) {
        c = *lx->p++;
        if (!c || c == '\n')
            return config_error(&lx->at, "unterminated string");
        if (c == quote)
            break;
        if (c == '\\' && quote == '"') {
            c = *lx->p++;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c != '\\' && c != '"' && c != '\'')
                return config_error(&lx->at, "unknown escape '\\%c'", c);
        }
        if (n + 1 >= len)
            return config_error(&lx->at, "value too long");
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

/* A [ ... ] list, kept as raw text (no key the mock uses takes one). */
static int lex_list(struct lexer *lx, char *out, size_t len)
{
    const char *start = lx->p;
    char scratch[MAX_VALUE];
    int depth = 0, rc;

    for (;;) {
        if (!*lx->p)
            return config_error(&lx->at, "unterminated list");
        if (*lx->p == '"' || *lx->p == '\'') {
            rc = lex_string(lx, scratch, sizeof(scratch));
            if (rc)
                return rc;
            continue;
        }
        if (*lx->p == '#' || *lx->p == '\n') {
            skip_space(lx, true);
            continue;
        }
        if (*lx->p == '[')
            depth++;
        if (*lx->p == ']' && --depth == 0) {
            lx->p++;
            break;
        }
        lx->p++;
    }
    snprintf(out, len, "%.*s", (int)(lx->p - start), start);
    return 0;
}

static int parse_buffer(struct ctl_guest *g, const char *file,
                        const char *text, bool quiet)
{
    struct lexer lx = { text, { file, 1 } };
    char key[64], value[MAX_VALUE];
    struct src key_at;
    size_t n;
    bool is_list;
    int rc;

    for (;;) {
        skip_space(&lx, true);
        if (!*lx.p)
            return 0;
        key_at = lx.at;
        n = 0;
        if (!isalpha((unsigned char)*lx.p) && *lx.p != '_')
            return config_error(&lx.at, "expected 'key = value'");
        while (isalnum((unsigned char)*lx.p) || *lx.p == '_') {
            if (n + 1 >= sizeof(key))
                return config_error(&lx.at, "key too long");
            key[n++] = *lx.p++;
        }
        key[n] = '\0';
        skip_space(&lx, false);
        if (*lx.p != '=')
            return config_error(&lx.at, "expected '=' after '%s'", key);
        lx.p++;
        skip_space(&lx, false);
        is_list = *lx.p == '[';
        if (*lx.p == '"' || *lx.p == '\'') {
            rc = lex_string(&lx, value, sizeof(value));
        } else if (is_list) {
            rc = lex_list(&lx, value, sizeof(value));
        } else {
            n = 0;
            while (*lx.p && !isspace((unsigned char)*lx.p) &&
                   *lx.p != '#' && *lx.p != ';') {
                if (n + 1 >= sizeof(value))
                    return config_error(&lx.at, "value too long");
                value[n++] = *lx.p++;
            }
            value[n] = '\0';
            rc = n ? 0 : config_error(&lx.at, "missing value for '%s'", key);
        }
        if (rc)
            return rc;
        skip_space(&lx, false);
        if (*lx.p == ';') {
            lx.p++;
            skip_space(&lx, false);
        }
        if (*lx.p && *lx.p != '\n' && *lx.p != '#')
            return config_error(&lx.at, "unexpected text after the value "
                                "of '%s'", key);
        rc = apply(g, &key_at, key, value, is_list, quiet);
        if (rc)
            return rc;
    }
}

int ctl_config_file(struct ctl_guest *g, const char *path, bool quiet)
{
    struct src at = { path, 0 };
    char *text;
    size_t n;
    FILE *f;
    int rc;

    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, CTL_PROG ": create: cannot read config '%s': %s\n",
                path, ctl_errstr(errno));
        return CTL_EXIT_USAGE;
    }
    text = malloc(MAX_CONFIG_BYTES + 1);
    if (!text) {
        fclose(f);
        return config_error(&at, "out of memory");
    }
    n = fread(text, 1, MAX_CONFIG_BYTES + 1, f);
    if (ferror(f) || n > MAX_CONFIG_BYTES) {
        rc = config_error(&at, ferror(f) ? "read error" : "file too large");
    } else if (memchr(text, '\0', n)) {
        rc = config_error(&at, "not a text file");
    } else {
        text[n] = '\0';
        rc = parse_buffer(g, path, text, quiet);
    }
    free(text);
    fclose(f);
    return rc;
}

int ctl_config_pair(struct ctl_guest *g, const char *pair, bool quiet)
{
    static const struct src at = { NULL, 0 };
    const char *eq = strchr(pair, '=');
    char key[64];
    size_t n;

    if (!eq || eq == pair)
        return ctl_usage_error("create", "expected KEY=VALUE, got '%s'",
                               pair);
    n = (size_t)(eq - pair);
    if (n >= sizeof(key))
        return config_error(&at, "key too long in '%s'", pair);
    memcpy(key, pair, n);
    key[n] = '\0';
    while (n > 0 && isspace((unsigned char)key[n - 1]))
        key[--n] = '\0';
    return apply(g, &at, key, eq + 1, eq[1] == '[', quiet);
}
