/* snapshot_convert.c - `allot snapshot convert --kai FILE`: a KAI Scheduler snapshot as an allot
 * snapshot document on stdout (what `allot replay --kai` replays), to keep, edit or replay. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

static void usage(FILE *out) {
    fprintf(out, "usage: allot snapshot convert --kai FILE\n\n"
                 "Prints the KAI Scheduler snapshot FILE (the zip its snapshot plugin serves at\n"
                 "/get-snapshot, or its snapshot.json) as an allot snapshot document: the input\n"
                 "of `allot replay`. Objects it cannot use are named on stderr.\n");
}

int al__cmd_snapshot(int argc, char **argv) {
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return AL__EXIT_OK;
    }
    if (argc != 4 || strcmp(argv[1], "convert") != 0 || strcmp(argv[2], "--kai") != 0) {
        usage(stderr);
        return AL__EXIT_USAGE;
    }
    char *text = NULL, err[1024] = "";
    json_t *skipped = NULL, *why;
    size_t i;
    if (al__kai_snapshot_read(argv[3], &text, &skipped, err, sizeof(err)) < 0) {
        fprintf(stderr, "allot snapshot convert: %s\n", err);
        return AL__EXIT_FAIL;
    }
    json_array_foreach(skipped, i, why)
        fprintf(stderr, "%s: left out: %s\n", argv[3], json_string_value(why));
    json_decref(skipped);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    int rc = doc ? json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) : -1;
    json_decref(doc);
    if (rc < 0) {
        fprintf(stderr, "allot snapshot convert: cannot write the snapshot\n");
        return AL__EXIT_FAIL;
    }
    putchar('\n');
    return AL__EXIT_OK;
}
