/* queue_delete.c - `allot project delete`, `allot department delete`. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/queue_fields.h"

int al__cmd_queue_delete(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    json_t *answer = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, cli->noun, &name);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = al__cli_call_name(cli, "DELETE", al__cli_queue_collection(cli), name, &answer)))
        return rc;
    return al__cli_show_line(cli, answer, cli->noun, "%s %s deleted", cli->noun, name);
}
