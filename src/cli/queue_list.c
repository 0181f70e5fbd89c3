/* queue_list.c - `allot project list`, `allot department list`: quotas and allocation. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/list_view.h"
#include "cli/output.h"
#include "cli/queue_fields.h"
#include "cli/units.h"
#include "cli/util.h"

/* A GPU figure of a queue at a dotted path, "-" when absent. */
static void gpu_cell(struct al__cli_table *t, const json_t *q, const char *path) {
    char text[48];
    double v = al__cli_json_path_num(q, path, -2);

    if (v == -2)
        al__cli_table_cell(t, "-");
    else {
        al__cli_format_gpus(v, text, sizeof(text));
        al__cli_table_cell(t, "%s", text);
    }
}

static void print_table(const struct al__cli *cli, const json_t *items) {
    static const char *const project_headers[] = {"NAME",         "DEPARTMENT", "PRIORITY",
                                                  "GPU DESERVED", "LIMIT",      "WEIGHT",
                                                  "ALLOCATED",    "FAIR SHARE"};
    static const char *const department_headers[] = {"NAME",   "PRIORITY",  "GPU DESERVED", "LIMIT",
                                                     "WEIGHT", "ALLOCATED", "FAIR SHARE"};
    bool project = al__cli_queue_is_project(cli);
    struct al__cli_table t;
    size_t i;
    const json_t *q;

    if (project)
        al__cli_table_init(&t, 8, project_headers);
    else
        al__cli_table_init(&t, 7, department_headers);
    json_array_foreach(items, i, q) {
        al__cli_table_cell(&t, "%s", al__cli_json_str(q, "name", "?"));
        if (project)
            al__cli_table_cell(&t, "%s", al__cli_json_str(q, "department", "-"));
        al__cli_table_cell(&t, "%lld", (long long)al__cli_json_int(q, "priority", 0));
        gpu_cell(&t, q, "deserved.gpu");
        gpu_cell(&t, q, "limit.gpu");
        gpu_cell(&t, q, "over_quota_weight.gpu");
        gpu_cell(&t, q, "status.allocated.gpu");
        gpu_cell(&t, q, "status.fair_share.gpu");
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_queue_list(const struct al__cli *cli, int argc, char **argv) {
    bool watch = false;
    const struct al__cli_option options[] = {{"-w", "--watch", &watch, NULL, 0, NULL}};
    const char *none = NULL;
    char path[64];
    int rc = al__cli_parse_simple(cli, argc, argv, NULL, &none, options, 1);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    snprintf(path, sizeof(path), "/api/v1/%s", al__cli_queue_collection(cli));
    const struct al__cli_list_view view = {
        path,        "",   al__cli_queue_collection(cli), cli->noun,
        print_table, NULL, "/api/v1/events?follow=1"}; /* its workloads count in its status */
    return al__cli_list_view_run(cli, &view, watch);
}
