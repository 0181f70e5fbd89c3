/* node_list.c - `allot node list`: nodes with their GPUs, GPU allocation, CPU and memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/model.h"
#include "cli/client.h"
#include "cli/list_view.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"

static bool same_kind(const json_t *g, const json_t *h) {
    return strcmp(al__cli_json_str(g, "model", ""), al__cli_json_str(h, "model", "")) == 0 &&
           al__cli_json_int(g, "memory_mib", 0) == al__cli_json_int(h, "memory_mib", 0);
}

/* "4x A100 80GiB", kinds in the order they first appear, separated by ", "; "0" without GPUs. */
static void gpus_text(const json_t *gpus, char *buf, size_t size) {
    size_t i, count = json_array_size(gpus);
    const json_t *g;
    const char *model;
    char memory[48];

    buf[0] = '\0';
    json_array_foreach(gpus, i, g) {
        size_t same = 1, j;
        for (j = 0; j < i && !same_kind(json_array_get(gpus, j), g); j++)
            ;
        if (j < i)
            continue; /* counted with an earlier GPU of its kind */
        for (j = i + 1; j < count; j++)
            same += same_kind(json_array_get(gpus, j), g);
        al__cli_format_mib(al__cli_json_int(g, "memory_mib", 0), memory, sizeof(memory));
        model = al__cli_json_str(g, "model", "");
        al__cli_appendf(buf, size, "%s%zux %s%s%s", buf[0] ? ", " : "", same, model,
                        model[0] ? " " : "", memory);
    }
    if (buf[0] == '\0')
        snprintf(buf, size, "0");
}

/* The devices held by tasks: the node's allocated.gpu, else the sum over its GPUs. */
static double gpus_allocated(const json_t *node) {
    double sum = 0;
    size_t i;
    const json_t *g;

    if (json_is_number(json_object_get(json_object_get(node, "allocated"), "gpu")))
        return al__cli_json_path_num(node, "allocated.gpu", 0);
    json_array_foreach(json_object_get(node, "gpus"), i, g) {
        sum += al__cli_json_num(g, "allocated", 0);
    }
    return sum;
}

/* "1g.10gb 2/7, 3g.40gb 0/2": each MIG profile the node offers or has in use, instances in use
 * of those offered; "-" for none. */
static void migs_text(const json_t *node, char *buf, size_t size) {
    const json_t *offered = json_object_get(node, "mig");
    const json_t *used = json_object_get(json_object_get(node, "allocated"), "mig");
    const char *profile;
    const json_t *v;
    buf[0] = '\0';
    json_object_foreach((json_t *)offered, profile, v) {
        al__cli_appendf(buf, size, "%s%s %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
                        buf[0] ? ", " : "", profile,
                        json_integer_value(json_object_get(used, profile)), json_integer_value(v));
    }
    json_object_foreach((json_t *)used, profile, v) { /* held beyond a layout that changed */
        if (!json_object_get(offered, profile))
            al__cli_appendf(buf, size, "%s%s %" JSON_INTEGER_FORMAT "/0", buf[0] ? ", " : "",
                            profile, json_integer_value(v));
    }
    if (buf[0] == '\0')
        snprintf(buf, size, "-");
}

static bool offers_mig(const json_t *items) {
    size_t i;
    const json_t *node;
    json_array_foreach(items, i, node) {
        if (json_object_size(json_object_get(node, "mig")) > 0 ||
            json_object_size(json_object_get(json_object_get(node, "allocated"), "mig")) > 0)
            return true;
    }
    return false;
}

static void node_row(struct al__cli_table *t, const json_t *node, bool mig) {
    const json_t *gpus = json_object_get(node, "gpus");
    char text[512], used[48], total[48];

    al__cli_table_cell(t, "%s", al__cli_json_str(node, "name", "?"));
    gpus_text(gpus, text, sizeof(text));
    al__cli_table_cell(t, "%s", text);
    al__cli_format_gpus(gpus_allocated(node), used, sizeof(used));
    size_t capacity = json_array_size(gpus); /* and G GPUs per MIG instance, as quotas count */
    const char *profile;
    const json_t *count;
    json_object_foreach(json_object_get(node, "mig"), profile, count) {
        int32_t g = al_mig_profile_gpus(profile);
        capacity +=
            g > 0 && json_is_integer(count) ? (size_t)g * (size_t)json_integer_value(count) : 0;
    }
    al__cli_table_cell(t, "%s/%zu", used, capacity);
    size_t i, in_use = 0;
    const json_t *g;
    json_array_foreach(gpus, i, g) {
        in_use += al__cli_json_num(g, "allocated", 0) > 0;
    }
    al__cli_table_cell(t, "%zu/%zu", in_use, json_array_size(gpus));
    al__cli_format_cpu((int64_t)al__cli_json_path_num(node, "allocated.cpu_millis", 0), used,
                       sizeof(used));
    al__cli_format_cpu(al__cli_json_int(node, "cpu_millis", 0), total, sizeof(total));
    al__cli_table_cell(t, "%s/%s", used, total);
    al__cli_format_memory((int64_t)al__cli_json_path_num(node, "allocated.memory_bytes", 0), used,
                          sizeof(used));
    al__cli_format_memory(al__cli_json_int(node, "memory_bytes", 0), total, sizeof(total));
    al__cli_table_cell(t, "%s/%s", used, total);
    if (mig) {
        migs_text(node, text, sizeof(text));
        al__cli_table_cell(t, "%s", text);
    }
}

static void print_table(const struct al__cli *cli, const json_t *items) {
    /* MIG IN USE only where some node offers MIG instances */
    static const char *const headers[] = {"NAME", "GPUS",   "GPU ALLOCATED", "DEVICES IN USE",
                                          "CPU",  "MEMORY", "MIG IN USE"};
    struct al__cli_table t;
    size_t i;
    const json_t *node;
    bool mig = offers_mig(items);

    (void)cli;
    al__cli_table_init(&t, mig ? 7 : 6, headers);
    json_array_foreach(items, i, node) {
        node_row(&t, node, mig);
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_node_list(const struct al__cli *cli, int argc, char **argv) {
    bool watch = false;
    const struct al__cli_option options[] = {{"-w", "--watch", &watch, NULL, 0, NULL}};
    const struct al__cli_list_view view = {
        "/api/v1/nodes", "",   "nodes", "node",
        print_table,     NULL, NULL}; /* nodes' changes are not events: polled */
    const char *none = NULL;
    int rc = al__cli_parse_simple(cli, argc, argv, NULL, &none, options, 1);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    return al__cli_list_view_run(cli, &view, watch);
}
