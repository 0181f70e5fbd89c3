/* snapshot_save.c - `allot snapshot [-o FILE]`: the live state of allotd as a snapshot file,
 * the input of `allot replay`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/options.h"

int al__cmd_snapshot_save(const struct al__cli *cli, int argc, char **argv) {
    const char *file = NULL, *none = NULL;
    const struct al__cli_option options[] = {{"-o", "--output", NULL, NULL, 0, NULL}};
    struct al__cli_args a;
    json_t *doc = NULL;

    (void)none;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (!al__cli_args_is(&a, options[0].short_name, options[0].long_name))
            return al__cli_parse_exit(al__cli_args_unknown(&a), cli);
        if (!(file = al__cli_args_value(&a)))
            return AL__EXIT_USAGE;
    }
    int rc = al__cli_args_finish(&a, NULL, NULL);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (al__cli_call(cli, "GET", "/api/v1/snapshot", NULL, &doc) < 0)
        return al__cli_failed();
    /* written whole: to FILE.tmp, renamed over FILE once complete */
    char tmp[4200];
    FILE *out = stdout;
    if (file) {
        snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", file, (long)getpid());
        if (!(out = fopen(tmp, "w"))) {
            fprintf(stderr, "%s: cannot write %s: %s\n", cli->name, file, strerror(errno));
            json_decref(doc);
            return AL__EXIT_FAIL;
        }
    }
    bool ok = json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) == 0 &&
              fputc('\n', out) != EOF;
    ok = (out == stdout ? fflush(out) : fclose(out)) == 0 && ok;
    json_decref(doc);
    if (file && (!ok || rename(tmp, file) != 0)) {
        fprintf(stderr, "%s: cannot write %s: %s\n", cli->name, file, strerror(errno));
        unlink(tmp);
        return AL__EXIT_FAIL;
    }
    if (!ok)
        fprintf(stderr, "%s: cannot write the snapshot to standard output\n", cli->name);
    else if (file)
        fprintf(stderr, "snapshot saved to %s (allot replay %s runs a cycle on it)\n", file, file);
    return ok ? AL__EXIT_OK : AL__EXIT_FAIL;
}
