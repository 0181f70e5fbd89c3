/* snapshot_convert.c - `allot snapshot convert --kai FILE`: a KAI Scheduler snapshot as an allot
 * snapshot document on stdout (what `allot replay --kai` replays), to keep, edit or replay. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"

int al__cmd_snapshot_convert(const struct al__cli *cli, int argc, char **argv) {
    const char *file = NULL;
    struct al__cli_args a;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (!al__cli_args_is(&a, NULL, "--kai"))
            return al__cli_parse_exit(al__cli_args_unknown(&a), cli);
        if (!(file = al__cli_args_value(&a)))
            return AL__EXIT_USAGE;
    }
    int rc = al__cli_args_finish(&a, NULL, NULL);
    if (rc == AL__CLI_RUN && !file)
        rc = al__cli_usage_error(cli, "no KAI snapshot given (--kai FILE)");
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    char *text = NULL, err[1024] = "";
    json_t *skipped = NULL, *why;
    size_t i;
    if (al__kai_snapshot_read(file, &text, &skipped, err, sizeof(err)) < 0) {
        fprintf(stderr, "allot snapshot convert: %s\n", err);
        return AL__EXIT_FAIL;
    }
    json_array_foreach(skipped, i, why)
        fprintf(stderr, "%s: left out: %s\n", file, json_string_value(why));
    json_decref(skipped);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    rc = doc ? json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) : -1;
    json_decref(doc);
    if (rc < 0) {
        fprintf(stderr, "allot snapshot convert: cannot write the snapshot\n");
        return AL__EXIT_FAIL;
    }
    putchar('\n');
    return AL__EXIT_OK;
}
