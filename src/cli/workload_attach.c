/* workload_attach.c - `allot workload attach`: this terminal connected to the terminal a
 * workspace's task runs under, through allotd, until ^P ^Q detaches or the task ends. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/stream_client.h"

int al__cmd_workload_attach(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL, *project = NULL;
    int64_t task = 0;
    const struct al__cli_option options[] = {
        {NULL, "--task", NULL, &task, 0, NULL},
        {"-p", "--project", NULL, NULL, 0, &project},
    };
    char suffix[192], path[1024];
    struct al__cli_opened stream;
    int rc = al__cli_parse_simple(cli, argc, argv, "workload", &name, options, 2);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!project)
        project = cli->conn.project;
    snprintf(suffix, sizeof(suffix), "/attach?task=%" PRId64 "%s%s", task,
             project ? "&project=" : "", project ? project : "");
    if (al__cli_path(cli, path, sizeof(path), "workloads", name, suffix) < 0)
        return AL__EXIT_USAGE;
    if (al__cli_stream_open(cli, "GET", path, NULL, &stream, false, NULL) < 0)
        return al__cli_failed();
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "attached to task %" PRId64 " of workload %s (^P ^Q detaches)\n", task,
                name);
    const struct al__cli_session session = {.raw = true, .detach_keys = true};
    int signal;
    rc = al__cli_session_run(&session, &stream, &signal);
    return al__cli_session_exit(rc, signal, name, task, "the task");
}
