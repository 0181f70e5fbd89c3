/* workload_logs.c - `allot workload logs`: a task's output, as it stands or followed. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/units.h"

struct options {
    const char *name;
    int64_t task;
    bool follow;
};

static void usage(FILE *out, const struct al__cli *cli) {
    fprintf(out,
            "usage: %s NAME [--task K] [-f]\n\n"
            "Prints a task's combined standard output and error.\n\n"
            "  --task K       the task (worker) index (default 0)\n"
            "  -f, --follow   keep printing as the task writes, until it ends\n\n%s",
            cli->name, al__cli_conn_usage);
}

int al__cmd_workload_logs(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {NULL, 0, false};
    const struct al__cli_option options[] = {
        {"-f", "--follow", &o.follow, NULL, 0},
        {NULL, "--task", NULL, &o.task, 0},
    };
    char suffix[96], path[1024];
    int rc = al__cli_parse_simple(cli, argc, argv, "workload", &o.name, options, 2);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, usage, cli);
    snprintf(suffix, sizeof(suffix), "/logs?task=%" PRId64 "&follow=%s", o.task,
             o.follow ? "true" : "false");
    if (al__cli_path(cli, path, sizeof(path), "workloads", o.name, suffix) < 0)
        return AL__EXIT_USAGE;
    return al__cli_stream(cli, path, stdout) < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}
