/* node_describe.c - `allot node describe NAME`: one node's capacity and what its tasks hold: its
 * devices one by one, and its MIG instances by profile (offered, in use, free). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"

/* PROFILE, OFFERED, IN USE, FREE: each profile the node offers, then any held beyond a layout
 * that changed under its tasks (offered 0). */
static void print_migs(const struct al__cli *cli, const json_t *node) {
    static const char *const headers[] = {"MIG PROFILE", "OFFERED", "IN USE", "FREE"};
    const json_t *offered = json_object_get(node, "mig");
    const json_t *used = json_object_get(json_object_get(node, "allocated"), "mig");
    const char *profile;
    const json_t *v;
    struct al__cli_table t;

    if (json_object_size(offered) == 0 && json_object_size(used) == 0)
        return;
    al__cli_table_init(&t, 4, headers);
    json_object_foreach((json_t *)offered, profile, v) {
        json_int_t have = json_integer_value(v);
        json_int_t held = json_integer_value(json_object_get(used, profile));
        al__cli_table_cell(&t, "%s", profile);
        al__cli_table_cell(&t, "%" JSON_INTEGER_FORMAT, have);
        al__cli_table_cell(&t, "%" JSON_INTEGER_FORMAT, held);
        al__cli_table_cell(&t, "%" JSON_INTEGER_FORMAT, have > held ? have - held : 0);
    }
    json_object_foreach((json_t *)used, profile, v) {
        if (json_object_get(offered, profile))
            continue;
        al__cli_table_cell(&t, "%s", profile);
        al__cli_table_cell(&t, "0");
        al__cli_table_cell(&t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        al__cli_table_cell(&t, "0");
    }
    printf("\n");
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

/* INDEX, MODEL, MEMORY, ALLOCATED, WORKLOADS: each device. */
static void print_devices(const struct al__cli *cli, const json_t *node) {
    static const char *const headers[] = {"GPU", "MODEL", "MEMORY", "ALLOCATED", "WORKLOADS"};
    const json_t *gpus = json_object_get(node, "gpus"), *g, *name;
    struct al__cli_table t;
    size_t i, k;
    char memory[48], allocated[48], names[512];

    if (json_array_size(gpus) == 0)
        return;
    al__cli_table_init(&t, 5, headers);
    json_array_foreach(gpus, i, g) {
        al__cli_format_mib(al__cli_json_int(g, "memory_mib", 0), memory, sizeof(memory));
        al__cli_format_gpus(al__cli_json_num(g, "allocated", 0), allocated, sizeof(allocated));
        names[0] = '\0';
        json_array_foreach(json_object_get(g, "workloads"), k, name) {
            al__cli_appendf(names, sizeof(names), "%s%s", k ? "," : "",
                            json_is_string(name) ? json_string_value(name) : "?");
        }
        al__cli_table_cell(&t, "%" PRId64, al__cli_json_int(g, "index", (int64_t)i));
        al__cli_table_cell(&t, "%s",
                           al__cli_json_str(g, "model", "-")[0] ? al__cli_json_str(g, "model", "-")
                                                                : "-");
        al__cli_table_cell(&t, "%s", memory);
        al__cli_table_cell(&t, "%s", allocated);
        al__cli_table_cell(&t, "%s", names[0] ? names : "-");
    }
    printf("\n");
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

static void print_text(const struct al__cli *cli, const json_t *node) {
    const json_t *pool = json_object_get(node, "pool");
    char used[48], total[48];

    printf("Node %s%s\n", al__cli_json_str(node, "name", "?"),
           json_is_true(json_object_get(node, "unschedulable")) ? " (takes no new tasks)" : "");
    al__cli_field("Pool", "%s", json_is_string(pool) ? json_string_value(pool) : "default");
    al__cli_format_gpus(al__cli_json_path_num(node, "allocated.gpu", 0), used, sizeof(used));
    al__cli_field("GPUs allocated", "%s (a MIG instance of <G>g counted as G)", used);
    al__cli_format_cpu((int64_t)al__cli_json_path_num(node, "allocated.cpu_millis", 0), used,
                       sizeof(used));
    al__cli_format_cpu(al__cli_json_int(node, "cpu_millis", 0), total, sizeof(total));
    al__cli_field("CPU", "%s of %s", used, total);
    al__cli_format_memory((int64_t)al__cli_json_path_num(node, "allocated.memory_bytes", 0), used,
                          sizeof(used));
    al__cli_format_memory(al__cli_json_int(node, "memory_bytes", 0), total, sizeof(total));
    al__cli_field("Memory", "%s of %s", used, total);
    print_devices(cli, node);
    print_migs(cli, node);
}

int al__cmd_node_describe(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    json_t *node = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, "node", &name);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = al__cli_call_name(cli, "GET", "nodes", name, &node)))
        return rc;
    if (cli->format == AL__CLI_FORMAT_NAME)
        printf("node/%s\n", al__cli_json_str(node, "name", name));
    else if (AL__CLI_STRUCTURED(cli))
        rc = al__cli_print_doc(cli, node);
    else
        print_text(cli, node);
    json_decref(node);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}
