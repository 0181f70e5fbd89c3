/* pool_list.c - `allot pool list` and `allot pool describe`: node pools, their capacity, and per
 * project the quota there, the GPUs held there and its recent GPU usage there. */
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/list_view.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"

static void pool_row(struct al__cli_table *t, const json_t *pool) {
    char used[48], cpu[48], memory[48];
    al__cli_table_cell(t, "%s", al__cli_json_str(pool, "name", "?"));
    al__cli_table_cell(t, "%lld", (long long)al__cli_json_int(pool, "nodes", 0));
    al__cli_format_gpus(al__cli_json_num(pool, "allocated_gpu", 0), used, sizeof(used));
    al__cli_table_cell(t, "%s/%lld", used, (long long)al__cli_json_int(pool, "gpus", 0));
    al__cli_format_cpu(al__cli_json_int(pool, "cpu_millis", 0), cpu, sizeof(cpu));
    al__cli_table_cell(t, "%s", cpu);
    al__cli_format_memory(al__cli_json_int(pool, "memory_bytes", 0), memory, sizeof(memory));
    al__cli_table_cell(t, "%s", memory);
}

static void print_table(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"NAME", "NODES", "GPU ALLOCATED", "CPU", "MEMORY"};
    struct al__cli_table t;
    size_t i;
    const json_t *pool;

    al__cli_table_init(&t, 5, headers);
    json_array_foreach(items, i, pool) {
        pool_row(&t, pool);
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_pool_list(const struct al__cli *cli, int argc, char **argv) {
    bool watch = false;
    const struct al__cli_option options[] = {{"-w", "--watch", &watch, NULL, 0, NULL}};
    const struct al__cli_list_view view = {"/api/v1/pools", "",   "pools", "pool",
                                           print_table,     NULL, NULL}; /* polled, as nodes */
    const char *none = NULL;
    int rc = al__cli_parse_simple(cli, argc, argv, NULL, &none, options, 1);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    return al__cli_list_view_run(cli, &view, watch);
}

/* One project's line: deserved, limit, fair share and allocated GPUs in the pool, and its
 * recent GPU usage there as a share of the pool's GPUs ("-" when allotd keeps no usage). */
static void project_row(struct al__cli_table *t, const json_t *p) {
    char deserved[48], limit[48], held[48], share[48], usage[48];
    const json_t *u = json_object_get(p, "usage");
    al__cli_format_gpus(al__cli_json_num(p, "deserved_gpu", 0), deserved, sizeof(deserved));
    if (json_is_number(json_object_get(p, "limit_gpu")))
        al__cli_format_gpus(al__cli_json_num(p, "limit_gpu", 0), limit, sizeof(limit));
    else
        snprintf(limit, sizeof(limit), "-");
    al__cli_format_gpus(al__cli_json_num(p, "allocated_gpu", 0), held, sizeof(held));
    if (json_is_number(json_object_get(p, "fair_share_gpu")))
        al__cli_format_gpus(al__cli_json_num(p, "fair_share_gpu", 0), share, sizeof(share));
    else
        snprintf(share, sizeof(share), "-");
    if (json_is_object(u))
        snprintf(usage, sizeof(usage), "%.0f%%", 100.0 * al__cli_json_num(u, "gpu", 0));
    else
        snprintf(usage, sizeof(usage), "-");
    al__cli_table_cell(t, "%s", al__cli_json_str(p, "name", "?"));
    al__cli_table_cell(t, "%s", deserved);
    al__cli_table_cell(t, "%s", limit);
    al__cli_table_cell(t, "%s", share);
    al__cli_table_cell(t, "%s", held);
    al__cli_table_cell(t, "%s", usage);
}

static void print_text(const struct al__cli *cli, const json_t *pool) {
    static const char *const headers[] = {"PROJECT",    "GPUS DESERVED", "GPU LIMIT",
                                          "FAIR SHARE", "ALLOCATED",     "GPU USAGE"};
    char used[48], cpu[48], memory[48];
    struct al__cli_table t;
    size_t i;
    const json_t *p;

    printf("Pool %s%s\n", al__cli_json_str(pool, "name", "?"),
           json_is_true(json_object_get(pool, "default")) ? " (the nodes with no pool)" : "");
    al__cli_field("Nodes", "%lld", (long long)al__cli_json_int(pool, "nodes", 0));
    al__cli_format_gpus(al__cli_json_num(pool, "allocated_gpu", 0), used, sizeof(used));
    al__cli_field("GPUs", "%s allocated of %lld", used,
                  (long long)al__cli_json_int(pool, "gpus", 0));
    al__cli_format_cpu(al__cli_json_int(pool, "cpu_millis", 0), cpu, sizeof(cpu));
    al__cli_format_memory(al__cli_json_int(pool, "memory_bytes", 0), memory, sizeof(memory));
    al__cli_field("CPU, memory", "%s cores, %s", cpu, memory);
    al__cli_table_init(&t, 6, headers);
    json_array_foreach(json_object_get(pool, "projects"), i, p) {
        project_row(&t, p);
    }
    printf("\n");
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_pool_describe(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    json_t *pool = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, "pool", &name);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = al__cli_call_name(cli, "GET", "pools", name, &pool)))
        return rc;
    if (cli->format == AL__CLI_FORMAT_NAME)
        printf("pool/%s\n", al__cli_json_str(pool, "name", name));
    else if (AL__CLI_STRUCTURED(cli))
        rc = al__cli_print_doc(cli, pool);
    else
        print_text(cli, pool);
    json_decref(pool);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}
