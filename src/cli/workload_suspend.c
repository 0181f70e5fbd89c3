/* workload_suspend.c - `allot workload suspend` and `resume`: a workload kept from running
 * (its tasks stopped, its GPUs freed) and let run again. */
#include <stdio.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/util.h"

/* POSTs .../NAME/<verb> ("suspend" or "resume") and says what the workload is now. */
static int change(const struct al__cli *cli, int argc, char **argv, const char *verb) {
    const char *name = NULL, *project = NULL;
    const struct al__cli_option options[] = {
        {"-p", "--project", NULL, NULL, 0, &project},
    };
    char suffix[128], path[1024];
    json_t *workload = NULL;
    int rc = al__cli_parse_simple(cli, argc, argv, "workload", &name, options, 1);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!project)
        project = cli->conn.project;
    snprintf(suffix, sizeof(suffix), "/%s%s%s", verb, project ? "?project=" : "",
             project ? project : "");
    if (al__cli_path(cli, path, sizeof(path), "workloads", name, suffix) < 0)
        return AL__EXIT_USAGE;
    if (al__cli_call(cli, "POST", path, NULL, &workload) < 0)
        return al__cli_failed();
    return al__cli_show_line(cli, workload, "workload", "workload %s %s (now %s)",
                             al__cli_json_str(workload, "name", name),
                             verb[0] == 's' ? "suspended" : "resumed",
                             al__cli_json_str(workload, "state", "?"));
}

int al__cmd_workload_suspend(const struct al__cli *cli, int argc, char **argv) {
    return change(cli, argc, argv, "suspend");
}

int al__cmd_workload_resume(const struct al__cli *cli, int argc, char **argv) {
    return change(cli, argc, argv, "resume");
}
