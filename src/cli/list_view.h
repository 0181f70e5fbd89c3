/* list_view.h - what list commands share: every page of a collection, shown in the output
 * format asked for, once or watched (-w). */
#ifndef ALLOT_CLI_LIST_VIEW_H
#define ALLOT_CLI_LIST_VIEW_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/commands.h"
#include "cli/selector.h"

struct al__cli_list_view {
    const char *path;  /* "/api/v1/workloads" */
    const char *query; /* escaped filters, or "" */
    const char *what;  /* "workloads", for "no workloads found" */
    const char *kind;  /* "workload", for -o name */
    void (*print_table)(const struct al__cli *cli, const json_t *items);
    const struct al__cli_selector *selector; /* keeps the items it matches; NULL: all */
    /* The event stream whose events may change the list ("/api/v1/events?follow=1&..."),
     * watched by -w instead of polling; NULL: -w polls. */
    const char *events;
};

/* al__cli_list_view_run - GETs every item of v->path and shows them; with `watch`, again
 * whenever they change, until interrupted. Returns the exit status. */
int al__cli_list_view_run(const struct al__cli *cli, const struct al__cli_list_view *v, bool watch);

#endif
