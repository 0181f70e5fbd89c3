/* queue_delete.c - `allot project delete [--force]`, `allot department delete`. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/queue_fields.h"

int al__cmd_queue_delete(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    bool force = false;
    const struct al__cli_option options[] = {{NULL, "--force", &force, NULL, 0, NULL}};
    bool project = al__cli_queue_is_project(cli); /* a department has no --force */
    json_t *answer = NULL;
    char path[1024];
    int rc = al__cli_parse_simple(cli, argc, argv, cli->noun, &name, options, project ? 1 : 0);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (al__cli_path(cli, path, sizeof(path), al__cli_queue_collection(cli), name,
                     force ? "?force=true" : "") < 0)
        return AL__EXIT_USAGE;
    if (al__cli_call(cli, "DELETE", path, NULL, &answer) < 0)
        return al__cli_failed();
    if (json_is_true(json_object_get(answer, "deleting"))) /* 202: its workloads are stopping */
        return al__cli_show_line(cli, answer, cli->noun,
                                 "%s %s is being deleted: its workloads are stopping, and it goes "
                                 "once they have exited",
                                 cli->noun, name);
    return al__cli_show_line(cli, answer, cli->noun, "%s %s deleted", cli->noun, name);
}
