/* queue_fields.h - what `project` and `department` commands share: paths, fields, amounts. */
#ifndef ALLOT_CLI_QUEUE_FIELDS_H
#define ALLOT_CLI_QUEUE_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/options.h"

/* Whether the command runs under `allot project` (else `allot department`). */
bool al__cli_queue_is_project(const struct al__cli *cli);

/* The API collection of the command's noun: "projects" or "departments". */
const char *al__cli_queue_collection(const struct al__cli *cli);

/*
 * al__cli_queue_option - the current argument as one of the queue's field options
 * (--department, --no-department, --priority, --{gpu,cpu,memory}-{deserved,limit,weight},
 * --{preempt,reclaim}-min-runtime)
 * stored into the request body (nested members such as deserved.gpu are created as
 * needed). Returns AL__CLI_RUN when it was one, 1 when it is not, AL__CLI_BAD after a
 * usage error.
 */
int al__cli_queue_option(struct al__cli_args *a, json_t *body);

/*
 * al__cli_queue_parse - the command line of `create` and `update`: NAME, field options into
 * body; after --pool NAME the amount options (deserved, limit, weight) go into pools.NAME (the
 * queue's quota in that node pool), --no-pool NAME removes it. Returns AL__CLI_RUN, AL__CLI_HELP or
 * AL__CLI_BAD (after a usage error).
 */
int al__cli_queue_parse(const struct al__cli *cli, int argc, char **argv, json_t *body,
                        const char **name);

/*
 * One resource row of a queue as text: GPU devices, CPU cores and memory from a member such
 * as "deserved" or "status.allocated" ({"gpu": 2, "cpu_millis": -1, "memory_bytes": -1});
 * "-" for what is absent.
 */
void al__cli_queue_amounts(const json_t *amounts, char *gpu, char *cpu, char *memory, size_t size);

#endif
