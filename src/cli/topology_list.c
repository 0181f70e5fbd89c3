/* topology_list.c - `allot topology list`: the topologies the nodes' labels describe, with their
 * levels (what --required-topology-level and --preferred-topology-level name). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/list_view.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/util.h"

static void print_table(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"NAME", "LEVELS (OUTERMOST FIRST)"};
    struct al__cli_table t;
    size_t i, l;
    const json_t *topology, *level;

    (void)cli;
    al__cli_table_init(&t, 2, headers);
    json_array_foreach(items, i, topology) {
        char levels[1024] = "";
        al__cli_table_cell(&t, "%s", al__cli_json_str(topology, "name", "?"));
        json_array_foreach(json_object_get(topology, "levels"), l, level) {
            al__cli_appendf(levels, sizeof(levels), "%s%s", l ? ", " : "",
                            json_is_string(level) ? json_string_value(level) : "?");
        }
        al__cli_table_cell(&t, "%s", levels);
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_topology_list(const struct al__cli *cli, int argc, char **argv) {
    const struct al__cli_list_view view = {"/api/v1/topologies", "",   "topologies", "topology",
                                           print_table,          NULL, NULL};
    const char *none = NULL;
    int rc = al__cli_parse_simple(cli, argc, argv, NULL, &none, NULL, 0);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    return al__cli_list_view_run(cli, &view, false);
}
