/* top.c - `allot top`: per project, GPUs deserved, fair share, allocated and pending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/model.h"
#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/usage_text.h"
#include "cli/util.h"
#include "cli/watch.h"
#include "util/xalloc.h"

/* Column sums; a deserved quota of -1 (unlimited) makes the deserved sum unlimited. */
struct totals {
    double deserved, fair_share, allocated, pending;
    bool unlimited;
};

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

static void print_table(const struct al__cli *cli, const json_t *items) {
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
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
    free(sorted);
}

/* Time-based fair share, where it is on (k > 0): each project's usage and its effect. */
static void print_usage(const struct al__cli *cli, const json_t *items) {
    char settings[128], text[512];
    size_t i;
    const json_t *p;

    if (!al__cli_usage_settings(json_array_get(items, 0), settings, sizeof(settings)) ||
        al__cli_json_path_num(json_array_get(items, 0), "status.usage.k", 0) <= 0)
        return;
    fprintf(cli->out, "\nrecent usage (time-based fair share: %s):\n", settings);
    json_array_foreach(items, i, p) {
        if (al__cli_usage_effect(p, text, sizeof(text)))
            fprintf(cli->out, "  %s: %s\n", al__cli_json_str(p, "name", "?"), text);
    }
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
        const char *profile; /* and G GPUs per MIG instance, as quotas count them */
        const json_t *count;
        json_object_foreach(json_object_get(n, "mig"), profile, count) {
            int32_t g = al_mig_profile_gpus(profile);
            gpus +=
                g > 0 && json_is_integer(count) ? (size_t)g * (size_t)json_integer_value(count) : 0;
        }
    }
    al__cli_format_gpus(allocated, text, sizeof(text));
    fprintf(cli->out, "\ncluster: %s of %zu GPU%s allocated on %zu node%s\n", text, gpus,
            gpus == 1 ? "" : "s", json_array_size(nodes), json_array_size(nodes) == 1 ? "" : "s");
    json_decref(nodes);
    return 0;
}

static int render(const struct al__cli *cli, void *ctx) {
    json_t *items;
    int rc;

    (void)ctx;
    if (al__cli_list_all(cli, "/api/v1/projects", "", &items) < 0)
        return al__cli_failed();
    if (cli->format == AL__CLI_FORMAT_NAME) {
        rc = al__cli_show_list(cli, items, "projects", "project", NULL);
        return rc;
    }
    if (AL__CLI_STRUCTURED(cli)) {
        rc = al__cli_print_doc(cli, items);
    } else {
        if (json_array_size(items) == 0)
            fprintf(cli->out, "no projects\n");
        else
            print_table(cli, items);
        print_usage(cli, items);
        rc = print_cluster(cli);
        if (rc < 0)
            rc = al__cli_failed();
    }
    json_decref(items);
    return rc < 0 ? AL__EXIT_FAIL : rc;
}

int al__cmd_top(const struct al__cli *cli, int argc, char **argv) {
    bool watch = false;
    const struct al__cli_option options[] = {{"-w", "--watch", &watch, NULL, 0, NULL}};
    const char *none = NULL;
    int rc = al__cli_parse_simple(cli, argc, argv, NULL, &none, options, 1);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    return watch ? al__cli_watch(cli, render, NULL) : render(cli, NULL);
}
