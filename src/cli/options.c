/* options.c - command-line parsing shared by allot's commands: options, values, usage errors. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/help.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/selector.h"
#include "cli/util.h"

void al__cli_args_init(struct al__cli_args *a, const struct al__cli *cli, int argc, char **argv) {
    memset(a, 0, sizeof(*a));
    a->cli = cli;
    a->argc = argc;
    a->argv = argv;
    a->index = 1;
}

bool al__cli_args_next(struct al__cli_args *a) {
    a->arg = NULL;
    a->option = NULL;
    a->inline_value = NULL;
    if (a->index >= a->argc)
        return false;
    a->arg = a->argv[a->index++];
    a->help = strcmp(a->arg, "--help") == 0 || strcmp(a->arg, "-h") == 0;
    if (a->help || strcmp(a->arg, "--") == 0) {
        a->arg = NULL;
        return false;
    }
    return true;
}

bool al__cli_args_positional(const struct al__cli_args *a) {
    return a->arg[0] != '-' || a->arg[1] == '\0';
}

/* A parser that accepts an option the command table does not list is a bug: --help, the man
 * page and completion would not tell it. Found at the first use, in any test that uses it. */
static void check_documented(const struct al__cli_args *a, const char *long_name) {
    const struct al__cli_command *c = a->cli->command;

    if (c && !al__cli_command_option(c, long_name)) {
        fprintf(stderr, "%s: internal error: option %s is not in the command table\n", a->cli->name,
                long_name);
        abort();
    }
}

bool al__cli_args_is(struct al__cli_args *a, const char *short_name, const char *long_name) {
    size_t len = strlen(long_name);

    if ((short_name && strcmp(a->arg, short_name) == 0) || strcmp(a->arg, long_name) == 0) {
        check_documented(a, long_name);
        a->option = a->arg;
        a->inline_value = NULL;
        return true;
    }
    if (strncmp(a->arg, long_name, len) == 0 && a->arg[len] == '=' && len < sizeof(a->option_buf)) {
        check_documented(a, long_name);
        memcpy(a->option_buf, long_name, len + 1);
        a->option = a->option_buf;
        a->inline_value = a->arg + len + 1;
        return true;
    }
    return false;
}

bool al__cli_args_flag(struct al__cli_args *a, bool *out) {
    if (a->inline_value) {
        al__cli_usage_error(a->cli, "option '%s' takes no value", a->option);
        return false;
    }
    if (out)
        *out = true;
    return true;
}

const char *al__cli_args_value(struct al__cli_args *a) {
    if (a->inline_value)
        return a->inline_value;
    if (a->index < a->argc && strcmp(a->argv[a->index], "--") != 0)
        return a->argv[a->index++];
    al__cli_usage_error(a->cli, "option '%s' needs a value", a->option);
    return NULL;
}

int al__cli_args_integer(struct al__cli_args *a, int64_t min, int64_t *out) {
    const char *text = al__cli_args_value(a);
    char err[256];

    if (!text)
        return AL__CLI_BAD;
    if (al__cli_parse_integer(a->option, text, min, out, err, sizeof(err)) < 0)
        return al__cli_usage_error(a->cli, "%s", err);
    return AL__CLI_RUN;
}

int al__cli_args_amount(struct al__cli_args *a, enum al__cli_unit unit, bool unlimited_ok,
                        json_t *obj, const char *key) {
    const char *text = al__cli_args_value(a);
    char err[256];
    json_t *value;

    if (!text)
        return AL__CLI_BAD;
    if (unlimited_ok && (strcmp(text, "unlimited") == 0 || strcmp(text, "-1") == 0)) {
        al__cli_json_set(obj, key, json_integer(-1));
        return 0;
    }
    if (al__cli_parse_json(unit, a->option, text, &value, err, sizeof(err)) < 0)
        return al__cli_usage_error(a->cli, "%s", err);
    al__cli_json_set(obj, key, value);
    return 0;
}

int al__cli_args_name(const struct al__cli_args *a, const char **name) {
    if (*name)
        return al__cli_usage_error(a->cli, "unexpected argument '%s'", a->arg);
    *name = a->arg;
    return AL__CLI_RUN;
}

int al__cli_args_finish(const struct al__cli_args *a, const char *what, const char *name) {
    if (a->help)
        return AL__CLI_HELP;
    if (a->index < a->argc)
        return al__cli_usage_error(a->cli, "unexpected argument '%s'", a->argv[a->index]);
    if (what && !name)
        return al__cli_usage_error(a->cli, "no %s NAME given", what);
    return AL__CLI_RUN;
}

static int simple_option(struct al__cli_args *a, const struct al__cli_option *options,
                         size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (!al__cli_args_is(a, options[i].short_name, options[i].long_name))
            continue;
        if (options[i].flag)
            return al__cli_args_flag(a, options[i].flag) ? AL__CLI_RUN : AL__CLI_BAD;
        if (options[i].name) {
            const char *v = al__cli_args_value(a);
            if (!v)
                return AL__CLI_BAD;
            if (!al__name_valid(v))
                return al__cli_usage_error(a->cli, "%s: '%s' is not a name (1-63 of a-z, 0-9, '-')",
                                           options[i].long_name, v);
            *options[i].name = v;
            return AL__CLI_RUN;
        }
        return al__cli_args_integer(a, options[i].min, options[i].integer);
    }
    return 1;
}

int al__cli_parse_simple(const struct al__cli *cli, int argc, char **argv, const char *what,
                         const char **name, const struct al__cli_option *options, size_t count) {
    struct al__cli_args a;
    int rc;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (what && al__cli_args_positional(&a)) {
            if (al__cli_args_name(&a, name) < 0)
                return AL__CLI_BAD;
        } else if ((rc = simple_option(&a, options, count)) != AL__CLI_RUN) {
            return rc < 0 ? rc : al__cli_args_unknown(&a);
        }
    }
    return al__cli_args_finish(&a, what, *name);
}

int al__cli_parse_name(const struct al__cli *cli, int argc, char **argv, const char *what,
                       const char **name) {
    return al__cli_parse_simple(cli, argc, argv, what, name, NULL, 0);
}

json_t *al__cli_args_string(const struct al__cli *cli, const char *what, const char *text) {
    json_t *s = json_string(text); /* NULL for text that is not UTF-8 (or out of memory) */

    if (!s)
        al__cli_usage_error(cli, "%s: '%s' is not UTF-8 text", what, text);
    return s;
}

int al__cli_args_unknown(const struct al__cli_args *a) {
    if (al__cli_args_positional(a))
        return al__cli_usage_error(a->cli, "unexpected argument '%s'", a->arg);
    return al__cli_usage_error(a->cli, "unknown option '%s'", a->arg);
}

int al__cli_usage_error(const struct al__cli *cli, const char *fmt, ...) {
    va_list ap;
    char message[1024];

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (AL__CLI_STRUCTURED(cli)) {
        al__cli_error_document(cli, "usage", NULL, message);
        return AL__CLI_BAD;
    }
    fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", cli->name, message, cli->name);
    return AL__CLI_BAD;
}

int al__cli_parse_exit(int parsed, const struct al__cli *cli) {
    if (parsed == AL__CLI_HELP) {
        al__cli_usage(stdout, cli->command);
        return AL__EXIT_OK;
    }
    return AL__EXIT_USAGE;
}

int al__cli_args_state(struct al__cli_args *a, const char **state) {
    static const char *const states[] = {"pending",   "running", "suspended",
                                         "succeeded", "failed",  "deleting"};

    if (!(*state = al__cli_args_value(a)))
        return AL__CLI_BAD;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(*state, states[i]) == 0)
            return AL__CLI_RUN;
    return al__cli_usage_error(a->cli,
                               "%s: '%s' is not a state (pending, running, suspended, "
                               "succeeded, failed or deleting)",
                               a->option, *state);
}

int al__cli_args_selector(struct al__cli_args *a, struct al__cli_selector *selector) {
    const char *text = al__cli_args_value(a);
    char err[256];

    if (!text)
        return AL__CLI_BAD;
    if (al__cli_selector_parse(text, selector, err, sizeof(err)) < 0)
        return al__cli_usage_error(a->cli, "%s: %s", a->option, err);
    return AL__CLI_RUN;
}
