/* queue_delete.c - `allot project delete`, `allot department delete`. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/queue_fields.h"

static void usage(FILE *out, const struct al__cli *cli) {
    fprintf(out, "usage: %s NAME\n\nDeletes a %s. %s\n\n%s", cli->name, cli->noun,
            al__cli_queue_is_project(cli)
                ? "allotd refuses while it has pending or running workloads;\nits finished "
                  "workloads go with it."
                : "allotd refuses while projects belong to it.",
            al__cli_conn_usage);
}

int al__cmd_queue_delete(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    json_t *answer = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, cli->noun, &name, NULL);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, usage, cli);
    if ((rc = al__cli_call_name(cli, "DELETE", al__cli_queue_collection(cli), name, &answer)))
        return rc;
    return al__cli_show_line(answer, false, "%s %s deleted", cli->noun, name);
}
