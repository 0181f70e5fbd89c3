/* subgroup_arg.h - the argument of `allot workload submit --subgroup` as the API's subgroup
 * object (subgroup_arg.c). */
#ifndef ALLOT_CLI_SUBGROUP_ARG_H
#define ALLOT_CLI_SUBGROUP_ARG_H

#include <jansson.h>
#include <stddef.h>

/*
 * al__cli_subgroup_parse - "NAME:WORKERS[:MIN][,required=LEVEL][,preferred=LEVEL]" as a new
 * object {"name", "workers"[, "min_members"][, "required_topology_level"]
 * [, "preferred_topology_level"]}; WORKERS and MIN positive integers, each level once. allotd
 * checks the rest (names, sums, levels). NULL with a message in err (without the option's
 * name) when text is not so; aborts when out of memory.
 */
json_t *al__cli_subgroup_parse(const char *text, char *err, size_t size);

#endif
