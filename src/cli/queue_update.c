/* queue_update.c - `allot project update`, `allot department update`: change some fields. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/queue_fields.h"
#include "cli/util.h"

int al__cmd_queue_update(const struct al__cli *cli, int argc, char **argv) {
    json_t *body = al__cli_json_take(json_object()), *queue = NULL;
    const char *name = NULL;
    char path[1024];
    int rc = al__cli_queue_parse(cli, argc, argv, body, &name);

    if (rc == AL__CLI_RUN && json_object_size(body) == 0)
        rc = al__cli_usage_error(cli, "nothing to update (give at least one field option)");
    if (rc == AL__CLI_RUN &&
        al__cli_path(cli, path, sizeof(path), al__cli_queue_collection(cli), name, "") < 0)
        rc = AL__CLI_BAD;
    if (rc != AL__CLI_RUN) {
        json_decref(body);
        return al__cli_parse_exit(rc, cli);
    }
    rc = al__cli_call(cli, "PATCH", path, body, &queue);
    json_decref(body);
    if (rc < 0)
        return al__cli_failed();
    return al__cli_show_line(cli, queue, cli->noun, "%s %s updated", cli->noun, name);
}
