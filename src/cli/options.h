/* options.h - command-line parsing shared by allot's commands: options, values, usage errors. */
#ifndef ALLOT_CLI_OPTIONS_H
#define ALLOT_CLI_OPTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/commands.h"
#include "cli/units.h"
#include "util/names.h"

/* What a command's option parser returns. */
#define AL__CLI_RUN  0  /* go on */
#define AL__CLI_HELP 1  /* --help was given */
#define AL__CLI_BAD  -1 /* a usage error was printed */

/*
 * A walk over a command's arguments. Options take their value as the next argument or
 * after '=' (`--project team-a`, `--project=team-a`). The walk stops at "--"; what
 * follows is argv[index] .. argv[argc - 1].
 */
struct al__cli_args {
    const struct al__cli *cli;
    int argc;
    char **argv;
    int index;                /* of the next argument */
    const char *arg;          /* the current argument */
    const char *option;       /* the option matched last, without "=value" */
    const char *inline_value; /* the text after '=' in "--opt=value", or NULL */
    bool help;                /* the walk stopped at --help or -h */
    char option_buf[64];
};

/* Starts a walk at argv[1] (argv[0] is the verb). All three are borrowed. */
void al__cli_args_init(struct al__cli_args *a, const struct al__cli *cli, int argc, char **argv);

/*
 * Moves to the next argument: true with a->arg set; false at the end, after "--", or at
 * "--help" or "-h" (then a->help is set).
 */
bool al__cli_args_next(struct al__cli_args *a);

/* Whether the current argument is a positional one (not an option; "-" is positional). */
bool al__cli_args_positional(const struct al__cli_args *a);

/*
 * Whether the current argument is the option `short_name` (may be NULL) or `long_name`,
 * with or without "=value". A flag given a value is reported by al__cli_args_flag.
 */
bool al__cli_args_is(struct al__cli_args *a, const char *short_name, const char *long_name);

/*
 * The matched option as a flag: true after setting *out (when not NULL) to true, or false
 * after printing a usage error when it came with "=value".
 */
bool al__cli_args_flag(struct al__cli_args *a, bool *out);

/* The matched option's value (borrowed from argv), or NULL after printing a usage error. */
const char *al__cli_args_value(struct al__cli_args *a);

/* The matched option's value as an integer >= min into *out: AL__CLI_RUN or AL__CLI_BAD. */
int al__cli_args_integer(struct al__cli_args *a, int64_t min, int64_t *out);

/*
 * The matched option's value parsed as `unit` and stored in obj[key] (integer or real), or
 * -1 after printing a usage error that names the option. "unlimited" and "-1" give -1 when
 * `unlimited_ok`. Returns 0 on success.
 */
int al__cli_args_amount(struct al__cli_args *a, enum al__cli_unit unit, bool unlimited_ok,
                        json_t *obj, const char *key);

/*
 * Takes the current (positional) argument as the command's one NAME into *name: AL__CLI_RUN,
 * or AL__CLI_BAD after a usage error when a NAME came already.
 */
int al__cli_args_name(const struct al__cli_args *a, const char **name);

/*
 * Ends a walk: AL__CLI_HELP when it stopped at --help; AL__CLI_BAD after a usage error when
 * arguments follow "--" or, when `what` is not NULL, when no NAME came ("no <what> NAME
 * given"); else AL__CLI_RUN.
 */
int al__cli_args_finish(const struct al__cli_args *a, const char *what, const char *name);

/* The matched option's value as a workload state (--state): AL__CLI_RUN or AL__CLI_BAD. */
int al__cli_args_state(struct al__cli_args *a, const char **state);

/* The matched option's value as a label selector (-l): AL__CLI_RUN or AL__CLI_BAD. */
struct al__cli_selector;
int al__cli_args_selector(struct al__cli_args *a, struct al__cli_selector *selector);

/* An option of a simple command: a flag, one that takes an integer, or one that takes a
 * name (of a project, say: 1-63 of [a-z0-9-]). */
struct al__cli_option {
    const char *short_name; /* may be NULL */
    const char *long_name;
    bool *flag;       /* a flag: set to true when given; or */
    int64_t *integer; /* an integer option: set to its value, which must be >= min */
    int64_t min;
    const char **name; /* or a name option: set to its value */
};

/*
 * al__cli_parse_simple - the whole command line of a command that takes one NAME of a `what`
 * (no argument at all when `what` is NULL) and the `count` options described. Returns
 * AL__CLI_RUN, AL__CLI_HELP or AL__CLI_BAD (after a usage error).
 */
int al__cli_parse_simple(const struct al__cli *cli, int argc, char **argv, const char *what,
                         const char **name, const struct al__cli_option *options, size_t count);

/* al__cli_parse_simple without options. */
int al__cli_parse_name(const struct al__cli *cli, int argc, char **argv, const char *what,
                       const char **name);

/*
 * A command-line text as a new JSON string (the caller owns it), or NULL after printing a
 * usage error naming `what` when it is not UTF-8.
 */
json_t *al__cli_args_string(const struct al__cli *cli, const char *what, const char *text);

/* Prints a usage error for an unknown option or an unexpected argument; returns AL__CLI_BAD. */
int al__cli_args_unknown(const struct al__cli_args *a);

/*
 * Prints "<command>: MESSAGE" and the hint to run "<command> --help" to stderr (under -o
 * json|yaml: the error document, code "usage"); returns AL__CLI_BAD.
 */
int al__cli_usage_error(const struct al__cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The exit status for what a parser returned: 0 after help (the command's usage, printed),
 * 2 if bad. */
int al__cli_parse_exit(int parsed, const struct al__cli *cli);

#endif
