/* command_table.h - every allot command described once: the source of --help, the man pages
 * and shell completion, and the list the parsers check the options they accept against. */
#ifndef ALLOT_CLI_COMMAND_TABLE_H
#define ALLOT_CLI_COMMAND_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/commands.h"

/* An option as the user sees it. */
struct al__cli_opt {
    const char *short_name; /* "-p", or NULL */
    const char *long_name;  /* "--project" */
    const char *arg;        /* what its value is called ("P"), or NULL for a flag */
    const char *help;       /* lines joined by '\n', each at most 54 characters */
    /* What completion offers for the value: space-separated words ("json yaml"), or one of
     * "@project", "@department", "@workload", "@context", "@file", "@dir"; NULL: nothing. */
    const char *complete;
};

/* A command gets its own argv (argv[0] is its last word) and returns the exit status. */
typedef int (*al__cli_run_fn)(const struct al__cli *cli, int argc, char **argv);

/* What a command does besides its own options. */
enum {
    AL__CLI_API = 1 << 0,    /* talks to allotd: takes the connection options */
    AL__CLI_OUTPUT = 1 << 1, /* prints objects: takes -o/--output, --json, --no-headers */
    AL__CLI_HIDDEN = 1 << 2, /* left out of the overview (run by machines, not people) */
};

struct al__cli_command {
    const char *noun;        /* "workload" */
    const char *verb;        /* "submit"; NULL for a command without verbs ("top") */
    const char *synopsis;    /* after the command's words: "NAME -p PROJECT [options]" */
    const char *summary;     /* one line for the lists */
    const char *description; /* paragraphs; lines joined by '\n', at most 78 characters */
    const struct al__cli_opt *options;
    size_t option_count;
    const char *positional; /* completion of the first positional argument (as `complete`) */
    al__cli_run_fn run;
    unsigned flags;
};

/* A noun and what it is for, in the order the overview lists them. */
struct al__cli_noun {
    const char *name;
    const char *summary;
};

extern const struct al__cli_command al__cli_command_table[];
extern const size_t al__cli_command_count;
extern const struct al__cli_noun al__cli_noun_table[];
extern const size_t al__cli_noun_count;

/* The options every command over the API takes, and those of commands that print objects. */
extern const struct al__cli_opt al__cli_conn_options[];
extern const size_t al__cli_conn_option_count;
extern const struct al__cli_opt al__cli_output_options[];
extern const size_t al__cli_output_option_count;

/* The exit statuses, for the overview and the man page: status, meaning. */
struct al__cli_exit_doc {
    int status;
    const char *meaning;
};
extern const struct al__cli_exit_doc al__cli_exit_docs[];
extern const size_t al__cli_exit_doc_count;

/* The command noun [verb], or NULL. A NULL verb finds a command without verbs. */
const struct al__cli_command *al__cli_command_find(const char *noun, const char *verb);

/* Whether `noun` has verbs (is a group of commands) in the table. */
bool al__cli_noun_has_verbs(const char *noun);

/* The option (or argument: "NAME") of command c that sets allotd's request field `field`
 * ("gpu_fraction": "--gpu-portion"; "labels.k": "--label"), or NULL. */
const char *al__cli_field_option(const struct al__cli_command *c, const char *field);

/* The option of `c` (its own, the connection or the output options it takes) whose short or
 * long name is `name`, or NULL. */
const struct al__cli_opt *al__cli_command_option(const struct al__cli_command *c, const char *name);

#endif
