/* opts.c: xenclaimctl's per-command option scanner. */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

void ctl_opts_init(struct ctl_opts *o, int argc, char **argv,
                   const struct ctl_opt *table)
{
    memset(o, 0, sizeof(*o));
    o->argc = argc;
    o->argv = argv;
    o->i = 1;
    o->cmd = argv[0];
    o->table = table;
}

static int add_pos(struct ctl_opts *o, char *s)
{
    if (o->npos >= CTL_MAX_POS) {
        ctl_usage_error(o->cmd, "too many arguments");
        return CTL_OPT_BAD;
    }
    o->pos[o->npos++] = s;
    return 0;
}

/* A word that is an option (not "-", not "-5", not after "--"). */
static bool is_option(const char *s)
{
    return s[0] == '-' && s[1] && !isdigit((unsigned char)s[1]);
}

static const struct ctl_opt *find_long(const struct ctl_opt *t,
                                       const char *name, size_t len)
{
    for (; t && t->id; t++)
        if (t->lname && strlen(t->lname) == len &&
            !strncmp(t->lname, name, len))
            return t;
    return NULL;
}

static const struct ctl_opt *find_short(const struct ctl_opt *t, int c)
{
    for (; t && t->id; t++)
        if (t->sname && t->sname == c)
            return t;
    return NULL;
}

static int long_option(struct ctl_opts *o, const char *word, const char **arg)
{
    const char *name = word + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct ctl_opt *opt = find_long(o->table, name, len);

    if (!opt) {
        if (len == 4 && !strncmp(name, "help", 4))
            return CTL_OPT_HELP;
        ctl_usage_error(o->cmd, "unknown option '--%.*s'", (int)len, name);
        return CTL_OPT_BAD;
    }
    if (!opt->has_arg) {
        if (eq) {
            ctl_usage_error(o->cmd, "option '--%s' takes no value",
                            opt->lname);
            return CTL_OPT_BAD;
        }
        return opt->id;
    }
    if (eq) {
        *arg = eq + 1;
    } else if (o->i < o->argc) {
        *arg = o->argv[o->i++];
    } else {
        ctl_usage_error(o->cmd, "option '--%s' needs a value", opt->lname);
        return CTL_OPT_BAD;
    }
    return opt->id;
}

static int short_option(struct ctl_opts *o, const char *word, const char **arg)
{
    const struct ctl_opt *opt = find_short(o->table, word[1]);

    if (!opt) {
        if (word[1] == 'h' && !word[2])
            return CTL_OPT_HELP;
        ctl_usage_error(o->cmd, "unknown option '-%c'", word[1]);
        return CTL_OPT_BAD;
    }
    if (!opt->has_arg) {
        if (word[2]) {
            ctl_usage_error(o->cmd, "unknown option '%s'", word);
            return CTL_OPT_BAD;
        }
        return opt->id;
    }
    if (word[2]) {
        *arg = word + 2;
    } else if (o->i < o->argc) {
        *arg = o->argv[o->i++];
    } else {
        ctl_usage_error(o->cmd, "option '-%c' needs a value", word[1]);
        return CTL_OPT_BAD;
    }
    return opt->id;
}

int ctl_opts_next(struct ctl_opts *o, const char **arg)
{
    char *word;

    *arg = NULL;
    while (o->i < o->argc) {
        word = o->argv[o->i++];
        if (o->only_pos || !is_option(word)) {
            if (add_pos(o, word))
                return CTL_OPT_BAD;
            continue;
        }
        if (!strcmp(word, "--")) {
            o->only_pos = true;
            continue;
        }
        if (word[1] == '-')
            return long_option(o, word, arg);
        return short_option(o, word, arg);
    }
    return CTL_OPT_END;
}

int ctl_opts_count(const struct ctl_opts *o, int min, int max,
                   const char *const *names)
{
    if (o->npos < min)
        return ctl_usage_error(o->cmd, "missing %s", names[o->npos]);
    if (o->npos > max)
        return ctl_usage_error(o->cmd, "unexpected argument '%s'",
                               o->pos[max]);
    return 0;
}

int ctl_opts_help(const struct ctl_opts *o)
{
    const struct ctl_cmd *cmd = ctl_find_cmd(o->cmd);

    if (cmd)
        ctl_cmd_help(cmd, stdout);
    return CTL_EXIT_OK;
}

int ctl_opts_simple(struct ctl_opts *o, int argc, char **argv, int min,
                    int max, const char *const *names)
{
    static const struct ctl_opt none[] = { { NULL, 0, false, 0 } };
    const char *arg;
    int id;

    ctl_opts_init(o, argc, argv, none);
    while ((id = ctl_opts_next(o, &arg)) != CTL_OPT_END) {
        if (id == CTL_OPT_HELP)
            return ctl_opts_help(o);
        return CTL_EXIT_USAGE;
    }
    if (ctl_opts_count(o, min, max, names))
        return CTL_EXIT_USAGE;
    return -1;
}
