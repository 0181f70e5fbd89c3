/* queue_create.c - `allot project create`, `allot department create`. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/queue_fields.h"
#include "cli/util.h"

int al__cmd_queue_create(const struct al__cli *cli, int argc, char **argv) {
    json_t *body = al__cli_json_take(json_object()), *queue = NULL, *name_value;
    const char *name = NULL;
    char path[64];
    int rc = al__cli_queue_parse(cli, argc, argv, body, &name);

    if (rc == AL__CLI_RUN && !(name_value = al__cli_args_string(cli, "NAME", name)))
        rc = AL__CLI_BAD;
    if (rc != AL__CLI_RUN) {
        json_decref(body);
        return al__cli_parse_exit(rc, cli);
    }
    al__cli_json_set(body, "name", name_value);
    snprintf(path, sizeof(path), "/api/v1/%s", al__cli_queue_collection(cli));
    rc = al__cli_call(cli, "POST", path, body, &queue);
    json_decref(body);
    if (rc < 0)
        return al__cli_failed();
    return al__cli_show_line(cli, queue, cli->noun, "%s %s created", cli->noun,
                             al__cli_json_str(queue, "name", name));
}
