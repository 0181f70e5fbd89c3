/* workload_filter.h - which workloads a list or a delete is about: -p PROJECT or -A, --state,
 * -l SELECTOR; parsed alike, sent as the list's query, the selector applied to what comes. */
#ifndef ALLOT_CLI_WORKLOAD_FILTER_H
#define ALLOT_CLI_WORKLOAD_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/options.h"
#include "cli/selector.h"

struct al__cli_workload_filter {
    const char *project; /* NULL: every project (-A, or no context project) */
    const char *state;   /* NULL: every state */
    bool all_projects;
    struct al__cli_selector selector;
};

/* The current argument as one of the filter's options: AL__CLI_RUN, AL__CLI_BAD, or 1 when it
 * is none of them. */
int al__cli_workload_filter_option(struct al__cli_args *a, struct al__cli_workload_filter *f);

/* Whether the command line chose by state or labels (not by project alone). */
bool al__cli_workload_filter_narrows(const struct al__cli_workload_filter *f);

/*
 * al__cli_workload_filter_query - the context's project where neither -p nor -A was given,
 * then the list query ("project=P&state=S", escaped) into buf. AL__CLI_RUN, or AL__CLI_BAD
 * after a usage error (-p with -A, a project name too long).
 */
int al__cli_workload_filter_query(const struct al__cli *cli, struct al__cli_workload_filter *f,
                                  char *buf, size_t size);

#endif
