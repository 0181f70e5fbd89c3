/* queue_update.c - `allot project update`, `allot department update`: change some fields. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/queue_fields.h"
#include "cli/util.h"

static void usage(FILE *out, const struct al__cli *cli) {
    fprintf(out,
            "usage: %s NAME [options]\n\nChanges the given fields of a %s and leaves the "
            "others.\n\n",
            cli->name, cli->noun);
    al__cli_queue_options_usage(out, cli);
    fprintf(out, "  --json                 print the %s as JSON\n\n%s", cli->noun,
            al__cli_conn_usage);
}

int al__cmd_queue_update(const struct al__cli *cli, int argc, char **argv) {
    json_t *body = al__cli_json_take(json_object()), *queue = NULL;
    const char *name = NULL;
    bool json = false;
    char path[1024];
    int rc = al__cli_queue_parse(cli, argc, argv, body, &name, &json);

    if (rc == AL__CLI_RUN && json_object_size(body) == 0)
        rc = al__cli_usage_error(cli, "nothing to update (give at least one field option)");
    if (rc == AL__CLI_RUN &&
        al__cli_path(cli, path, sizeof(path), al__cli_queue_collection(cli), name, "") < 0)
        rc = AL__CLI_BAD;
    if (rc != AL__CLI_RUN) {
        json_decref(body);
        return al__cli_parse_exit(rc, usage, cli);
    }
    rc = al__cli_call(cli, "PATCH", path, body, &queue);
    json_decref(body);
    if (rc < 0)
        return AL__EXIT_FAIL;
    return al__cli_show_line(queue, json, "%s %s updated", cli->noun, name);
}
