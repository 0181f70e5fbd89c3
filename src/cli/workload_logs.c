/* workload_logs.c - `allot workload logs`: a task's output, as it stands or followed. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/units.h"

#define RESUME_TRIES 30 /* x 1 s: how long -f keeps trying to reconnect without progress */

struct options {
    const char *name, *project;
    int64_t task;
    bool follow;
};

int al__cmd_workload_logs(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {NULL, NULL, 0, false};
    const struct al__cli_option options[] = {
        {"-f", "--follow", &o.follow, NULL, 0, NULL},
        {NULL, "--task", NULL, &o.task, 0, NULL},
        {"-p", "--project", NULL, NULL, 0, &o.project},
    };
    char suffix[192], path[1024];
    int rc = al__cli_parse_simple(cli, argc, argv, "workload", &o.name, options, 3);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!o.project)
        o.project = cli->conn.project;
    int64_t offset = 0;
    for (int tries = 0;;) {
        int64_t got = 0;
        snprintf(suffix, sizeof(suffix), "/logs?task=%" PRId64 "&follow=%s&offset=%" PRId64 "%s%s",
                 o.task, o.follow ? "true" : "false", offset, o.project ? "&project=" : "",
                 o.project ? o.project : "");
        if (al__cli_path(cli, path, sizeof(path), "workloads", o.name, suffix) < 0)
            return AL__EXIT_USAGE;
        bool last = !o.follow || tries + 1 >= RESUME_TRIES;
        rc = al__cli_stream(cli, path, stdout, &got, !last);
        offset += got;
        if (rc != AL__CLI_BROKE_OFF || last)
            return rc == 0 ? AL__EXIT_OK : al__cli_failed();
        tries = got > 0 ? 0 : tries + 1; /* progress resets the count */
        nanosleep(&(struct timespec){1, 0}, NULL);
    }
}
