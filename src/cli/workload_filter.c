/* workload_filter.c - -p/-A, --state and -l of the commands that choose workloads. */
#include "cli/workload_filter.h"
#include "cli/util.h"

int al__cli_workload_filter_option(struct al__cli_args *a, struct al__cli_workload_filter *f) {
    if (al__cli_args_is(a, "-A", "--all-projects"))
        return al__cli_args_flag(a, &f->all_projects) ? AL__CLI_RUN : AL__CLI_BAD;
    if (al__cli_args_is(a, "-p", "--project"))
        return (f->project = al__cli_args_value(a)) ? AL__CLI_RUN : AL__CLI_BAD;
    if (al__cli_args_is(a, NULL, "--state"))
        return al__cli_args_state(a, &f->state);
    if (al__cli_args_is(a, "-l", "--selector"))
        return al__cli_args_selector(a, &f->selector);
    return 1;
}

bool al__cli_workload_filter_narrows(const struct al__cli_workload_filter *f) {
    return f->state || f->selector.count > 0;
}

int al__cli_workload_filter_query(const struct al__cli *cli, struct al__cli_workload_filter *f,
                                  char *buf, size_t size) {
    char escaped[256];

    if (f->all_projects && f->project)
        return al__cli_usage_error(cli, "give -p PROJECT or -A, not both");
    if (!f->project && !f->all_projects)
        f->project = cli->conn.project;
    buf[0] = '\0';
    if (f->project) {
        if (!al__cli_url_escape(f->project, escaped, sizeof(escaped)))
            return al__cli_usage_error(cli, "--project: name too long");
        al__cli_appendf(buf, size, "project=%s", escaped);
    }
    if (f->state)
        al__cli_appendf(buf, size, "%sstate=%s", buf[0] ? "&" : "", f->state);
    return AL__CLI_RUN;
}
