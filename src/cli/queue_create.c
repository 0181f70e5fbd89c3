/* queue_create.c - `allot project create`, `allot department create`. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/queue_fields.h"
#include "cli/util.h"

static void usage(FILE *out, const struct al__cli *cli) {
    fprintf(out, "usage: %s NAME [options]\n\nCreates a %s%s.\n\n", cli->name, cli->noun,
            al__cli_queue_is_project(cli) ? " (a queue that holds workloads)"
                                          : " (a group of projects)");
    al__cli_queue_options_usage(out, cli);
    fprintf(out, "  --json                 print the new %s as JSON\n\n%s", cli->noun,
            al__cli_conn_usage);
}

int al__cmd_queue_create(const struct al__cli *cli, int argc, char **argv) {
    json_t *body = al__cli_json_take(json_object()), *queue = NULL, *name_value;
    const char *name = NULL;
    bool json = false;
    char path[64];
    int rc = al__cli_queue_parse(cli, argc, argv, body, &name, &json);

    if (rc == AL__CLI_RUN && !(name_value = al__cli_args_string(cli, "NAME", name)))
        rc = AL__CLI_BAD;
    if (rc != AL__CLI_RUN) {
        json_decref(body);
        return al__cli_parse_exit(rc, usage, cli);
    }
    al__cli_json_set(body, "name", name_value);
    snprintf(path, sizeof(path), "/api/v1/%s", al__cli_queue_collection(cli));
    rc = al__cli_call(cli, "POST", path, body, &queue);
    json_decref(body);
    if (rc < 0)
        return AL__EXIT_FAIL;
    return al__cli_show_line(queue, json, "%s %s created", cli->noun,
                             al__cli_json_str(queue, "name", name));
}
