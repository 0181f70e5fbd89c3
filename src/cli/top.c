/* top.c - `allot top`: per project, GPUs deserved, fair share, allocated and pending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"
#include "util/xalloc.h"

/* Column sums; a deserved quota of -1 (unlimited) makes the deserved sum unlimited. */
struct totals {
    double deserved, fair_share, allocated, pending;
    bool unlimited;
};

static void usage(FILE *out, const struct al__cli *cli) {
    fprintf(out,
            "usage: %s [--json]\n\n"
            "Shows per project, grouped by department: GPUs deserved, fair share in the last\n"
            "scheduling cycle, allocated and requested by pending workloads; then the totals\n"
            "and the cluster's GPUs.\n\n"
            "  --json   print the API's projects array\n\n%s",
            cli->name, al__cli_conn_usage);
}

/* Department (top level first), then name: a total order, names being unique. */
static int compare_projects(const void *a, const void *b) {
    const json_t *p = *(const json_t *const *)a, *q = *(const json_t *const *)b;
    int c = strcmp(al__cli_json_str(p, "department", ""), al__cli_json_str(q, "department", ""));

    return c ? c : strcmp(al__cli_json_str(p, "name", ""), al__cli_json_str(q, "name", ""));
}

static void gpu_cell(struct al__cli_table *t, double v) {
    char text[48];

    al__cli_format_gpus(v, text, sizeof(text));
    al__cli_table_cell(t, "%s", text);
}

static void project_row(struct al__cli_table *t, const json_t *p, struct totals *sum) {
    double deserved = al__cli_json_path_num(p, "deserved.gpu", 0);
    double fair = al__cli_json_path_num(p, "status.fair_share.gpu", 0);
    double allocated = al__cli_json_path_num(p, "status.allocated.gpu", 0);
    double pending = al__cli_json_path_num(p, "status.pending.gpu", 0);

    al__cli_table_cell(t, "%s", al__cli_json_str(p, "department", "-"));
    al__cli_table_cell(t, "%s", al__cli_json_str(p, "name", "?"));
    gpu_cell(t, deserved);
    gpu_cell(t, fair);
    gpu_cell(t, allocated);
    gpu_cell(t, pending);
    if (deserved < 0)
        sum->unlimited = true;
    else
        sum->deserved += deserved;
    sum->fair_share += fair;
    sum->allocated += allocated;
    sum->pending += pending;
}

static void print_table(const json_t *items) {
    static const char *const headers[] = {"DEPARTMENT", "PROJECT",   "GPU DESERVED",
                                          "FAIR SHARE", "ALLOCATED", "PENDING"};
    size_t count = json_array_size(items);
    const json_t **sorted = al__xmalloc(count * sizeof(*sorted));
    struct totals sum = {0, 0, 0, 0, false};
    struct al__cli_table t;

    for (size_t i = 0; i < count; i++)
        sorted[i] = json_array_get(items, i);
    qsort(sorted, count, sizeof(*sorted), compare_projects);
    al__cli_table_init(&t, 6, headers);
    for (size_t i = 0; i < count; i++)
        project_row(&t, sorted[i], &sum);
    al__cli_table_cell(&t, "TOTAL");
    al__cli_table_cell(&t, "%zu project%s", count, count == 1 ? "" : "s");
    gpu_cell(&t, sum.unlimited ? -1 : sum.deserved);
    gpu_cell(&t, sum.fair_share);
    gpu_cell(&t, sum.allocated);
    gpu_cell(&t, sum.pending);
    al__cli_table_print(&t, stdout, 0);
    al__cli_table_release(&t);
    free(sorted);
}

/* "cluster: 1.5 of 4 GPUs allocated on 1 node". */
static int print_cluster(const struct al__cli *cli) {
    json_t *nodes;
    double allocated = 0;
    size_t gpus = 0, i;
    const json_t *n;
    char text[48];

    if (al__cli_list_all(cli, "/api/v1/nodes", "", &nodes) < 0)
        return -1;
    json_array_foreach(nodes, i, n) {
        allocated += al__cli_json_path_num(n, "allocated.gpu", 0);
        gpus += json_array_size(json_object_get(n, "gpus"));
    }
    al__cli_format_gpus(allocated, text, sizeof(text));
    printf("\ncluster: %s of %zu GPU%s allocated on %zu node%s\n", text, gpus, gpus == 1 ? "" : "s",
           json_array_size(nodes), json_array_size(nodes) == 1 ? "" : "s");
    json_decref(nodes);
    return 0;
}

int al__cmd_top(const struct al__cli *cli, int argc, char **argv) {
    bool json = false;
    const char *none = NULL;
    json_t *items;
    int rc = al__cli_parse_name(cli, argc, argv, NULL, &none, &json);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, usage, cli);
    if (al__cli_list_all(cli, "/api/v1/projects", "", &items) < 0)
        return AL__EXIT_FAIL;
    if (json) {
        rc = al__cli_json_print(items);
    } else {
        if (json_array_size(items) == 0)
            printf("no projects\n");
        else
            print_table(items);
        rc = print_cluster(cli);
    }
    json_decref(items);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}
