/* submit_env.h - what of the submitter's environment `allot workload submit` carries to its
 * tasks (submit_env.c): Slurm's --export=ALL|NONE|NAME[,NAME...]. */
#ifndef ALLOT_CLI_SUBMIT_ENV_H
#define ALLOT_CLI_SUBMIT_ENV_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/commands.h"

/*
 * al__cli_export_option - reads the value of --export into the request `body`: "export" becomes
 * "all" (ALL), "none" (NONE) or the array of NAMEs, and NAME=VALUE items are set in body.env as
 * -e would (Slurm's --export=ALL,EDITOR=vi). ALL and NONE in either case; NONE stands alone;
 * names are letters, digits and '_', not starting with a digit. Returns 0, or -1 after a usage
 * error naming `opt`.
 */
int al__cli_export_option(const struct al__cli *cli, const char *opt, const char *text,
                          json_t *body);

/*
 * al__cli_export_carry - fills body.exported_env from this process's environment as
 * body.export says: every variable for "all" (but allot's own ALLOT_* ones: a token is not
 * the task's), those named for a list (the ones set), none for "none". Without "export" in
 * body it sets the default first: "none" when the tasks run in a container image (`image`),
 * else "all". A variable whose name or value is not UTF-8 text cannot go into JSON: it is
 * left out, saying so on stderr.
 */
void al__cli_export_carry(json_t *body, bool image);

#endif
