/* workload_list.c - `allot workload list`: workloads with state, GPUs, placement and reason. */
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/list_view.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"
#include "cli/workload_filter.h"
#include "cli/workload_format.h"

struct options {
    struct al__cli_workload_filter filter;
    bool watch;
};

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        int rc = al__cli_workload_filter_option(&a, &o->filter);
        if (rc == AL__CLI_BAD)
            return rc;
        if (rc == AL__CLI_RUN)
            continue;
        if (!al__cli_args_is(&a, "-w", "--watch"))
            return al__cli_args_unknown(&a);
        if (!al__cli_args_flag(&a, &o->watch))
            return AL__CLI_BAD;
    }
    return al__cli_args_finish(&a, NULL, NULL);
}

static void print_table(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"NAME", "PROJECT",      "STATE",  "RESTARTS",
                                          "GPUS", "NODE/DEVICES", "AGE",    "REASON",
                                          "KIND", "PRIORITY",     "REQUEST"};
    bool wide = cli->format == AL__CLI_FORMAT_WIDE;
    struct al__cli_table t;
    int64_t now = al__cli_now();
    size_t i;
    const json_t *w;
    char gpus[64], placement[512], age[32], state[48], request[256];

    al__cli_table_init(&t, wide ? 11 : 8, headers);
    json_array_foreach(items, i, w) {
        al__cli_workload_state(w, state, sizeof(state));
        al__cli_workload_gpus(w, gpus, sizeof(gpus));
        al__cli_workload_placement(w, placement, sizeof(placement));
        al__cli_format_age(now - al__cli_json_int(w, "created_s", now), age, sizeof(age));
        al__cli_table_cell(&t, "%s", al__cli_json_str(w, "name", "?"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(w, "project", "?"));
        al__cli_table_cell(&t, "%s", state);
        al__cli_table_cell(&t, "%lld", (long long)al__cli_json_int(w, "restarts", 0));
        al__cli_table_cell(&t, "%s", gpus);
        al__cli_table_cell(&t, "%s", placement);
        al__cli_table_cell(&t, "%s", age);
        al__cli_table_cell(&t, "%s", al__cli_workload_reason_short(w));
        if (!wide)
            continue;
        al__cli_workload_request(w, request, sizeof(request));
        al__cli_table_cell(&t, "%s", al__cli_json_str(w, "kind", "training"));
        al__cli_table_cell(&t, "%lld", (long long)al__cli_json_int(w, "priority", 0));
        al__cli_table_cell(&t, "%s", request);
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_workload_list(const struct al__cli *cli, int argc, char **argv) {
    struct options o;
    memset(&o, 0, sizeof(o));
    char query[512];
    int rc = options_parse(cli, argc, argv, &o);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = al__cli_workload_filter_query(cli, &o.filter, query, sizeof(query))) != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    /* -w redraws on the events of the workloads it shows (their project's, where one) */
    char events[256] = "/api/v1/events?follow=1&kind=workload";
    if (o.filter.project && strlen(o.filter.project) < 64)
        snprintf(events + strlen(events), sizeof(events) - strlen(events), "&project=%s",
                 o.filter.project);
    const struct al__cli_list_view view = {
        "/api/v1/workloads", query, "workloads", "workload", print_table,
        &o.filter.selector,  events};
    return al__cli_list_view_run(cli, &view, o.watch);
}
