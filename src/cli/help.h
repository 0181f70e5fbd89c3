/* help.h - --help texts printed from the command table. */
#ifndef ALLOT_CLI_HELP_H
#define ALLOT_CLI_HELP_H

#include <stddef.h>
#include <stdio.h>

#include "cli/command_table.h"

/* "allot workload submit": the words that run command c. */
void al__cli_command_words(const struct al__cli_command *c, char *buf, size_t size);

/* "-p, --project P": an option as its help lists it. */
void al__cli_option_words(const struct al__cli_opt *o, char *buf, size_t size);

/* A command's --help: usage line, description, its options, output and connection options. */
void al__cli_usage(FILE *out, const struct al__cli_command *c);

/* `allot NOUN --help`: the noun's verbs. */
void al__cli_noun_usage(FILE *out, const char *noun);

/* `allot --help`: the commands and the exit statuses. */
void al__cli_overview(FILE *out);

#endif
