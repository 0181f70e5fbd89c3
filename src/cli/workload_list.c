/* workload_list.c - `allot workload list`: workloads with state, GPUs, placement and reason. */
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"
#include "cli/workload_format.h"

struct options {
    const char *project; /* NULL: all projects */
    const char *state;   /* NULL: every state */
    bool json;
};

static const char *const states[] = {"pending", "running", "succeeded", "failed", "deleting"};

static void usage(FILE *out, const struct al__cli *cli) {
    fprintf(out,
            "usage: %s [-p PROJECT | -A] [--state STATE] [--json]\n\n"
            "Lists workloads, oldest first: NAME, PROJECT, STATE, GPUS (per task; \"2x0.5\" is\n"
            "half of each of 2 GPUs, \"4x1\" is 4 workers of 1 GPU), NODE/DEVICES (node:GPU\n"
            "indices), AGE and, for pending ones, the REASON.\n\n"
            "  -p, --project P     only project P's workloads\n"
            "  -A, --all-projects  every project's workloads (the default)\n"
            "  --state STATE       only workloads in STATE: pending, running, succeeded,\n"
            "                      failed or deleting\n"
            "  --json              print the API's items array\n\n%s",
            cli->name, al__cli_conn_usage);
}

static bool state_known(const char *state) {
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(state, states[i]) == 0)
            return true;
    return false;
}

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_is(&a, NULL, "--json")) {
            if (!al__cli_args_flag(&a, &o->json))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, "-A", "--all-projects")) {
            if (!al__cli_args_flag(&a, NULL))
                return AL__CLI_BAD;
            o->project = NULL;
        } else if (al__cli_args_is(&a, "-p", "--project")) {
            if (!(o->project = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--state")) {
            if (!(o->state = al__cli_args_value(&a)))
                return AL__CLI_BAD;
            if (!state_known(o->state))
                return al__cli_usage_error(cli,
                                           "--state: '%s' is not a state (pending, running, "
                                           "succeeded, failed or deleting)",
                                           o->state);
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    return al__cli_args_finish(&a, NULL, NULL);
}

static void print_table(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"NAME",         "PROJECT", "STATE", "GPUS",
                                          "NODE/DEVICES", "AGE",     "REASON"};
    struct al__cli_table t;
    int64_t now = al__cli_now();
    size_t i;
    const json_t *w;
    char gpus[64], placement[512], age[32];

    (void)cli;

    al__cli_table_init(&t, 7, headers);
    json_array_foreach(items, i, w) {
        const char *state = al__cli_json_str(w, "state", "?");
        al__cli_workload_gpus(w, gpus, sizeof(gpus));
        al__cli_workload_placement(w, placement, sizeof(placement));
        al__cli_format_age(now - al__cli_json_int(w, "created_s", now), age, sizeof(age));
        al__cli_table_cell(&t, "%s", al__cli_json_str(w, "name", "?"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(w, "project", "?"));
        al__cli_table_cell(&t, "%s", state);
        al__cli_table_cell(&t, "%s", gpus);
        al__cli_table_cell(&t, "%s", placement);
        al__cli_table_cell(&t, "%s", age);
        al__cli_table_cell(&t, "%s",
                           strcmp(state, "pending") == 0 ? al__cli_json_str(w, "reason", "") : "");
    }
    al__cli_table_print(&t, stdout, 0);
    al__cli_table_release(&t);
}

int al__cmd_workload_list(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {NULL, NULL, false};
    json_t *items;
    char query[512] = "", escaped[256];
    int rc = options_parse(cli, argc, argv, &o);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, usage, cli);
    if (o.project) {
        if (!al__cli_url_escape(o.project, escaped, sizeof(escaped)))
            return al__cli_parse_exit(al__cli_usage_error(cli, "--project: name too long"), usage,
                                      cli);
        al__cli_appendf(query, sizeof(query), "project=%s", escaped);
    }
    if (o.state)
        al__cli_appendf(query, sizeof(query), "%sstate=%s", query[0] ? "&" : "", o.state);
    if (al__cli_list_all(cli, "/api/v1/workloads", query, &items) < 0)
        return AL__EXIT_FAIL;
    return al__cli_show_list(cli, items, o.json, "workloads", print_table);
}
