/* workload_exec.c - `allot workload exec`: a command run in a running task's environment
 * (its variables, directory and PATH), through allotd, with this terminal as its own when
 * stdin is one; exits with the command's exit status. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/stream_client.h"
#include "cli/util.h"

struct options {
    const char *name, *project;
    int64_t task;
    bool tty, no_tty;
    int command; /* argv index of the command */
};

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_positional(&a)) {
            if (al__cli_args_name(&a, &o->name) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, "-p", "--project")) {
            if (!(o->project = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--task")) {
            if (al__cli_args_integer(&a, 0, &o->task) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, "-t", "--tty")) {
            if (!al__cli_args_flag(&a, &o->tty))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, "-T", "--no-tty")) {
            if (!al__cli_args_flag(&a, &o->no_tty))
                return AL__CLI_BAD;
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    if (a.help)
        return AL__CLI_HELP;
    if (!o->name)
        return al__cli_usage_error(cli, "no workload NAME given");
    if (o->tty && o->no_tty)
        return al__cli_usage_error(cli, "give only one of --tty and --no-tty");
    if (a.index >= argc)
        return al__cli_usage_error(cli, "no command given (put it after '--')");
    o->command = a.index;
    return AL__CLI_RUN;
}

/* {"command": [...], "tty": ..., "term": $TERM}, or NULL after a usage error. */
static json_t *exec_body(const struct al__cli *cli, int argc, char **argv, const struct options *o,
                         bool tty) {
    json_t *body = al__cli_json_take(json_object());
    json_t *command = al__cli_json_take(json_array());
    al__cli_json_set(body, "command", command);
    for (int i = o->command; i < argc; i++) {
        json_t *word = al__cli_args_string(cli, "COMMAND", argv[i]);
        if (!word) {
            json_decref(body);
            return NULL;
        }
        if (json_array_append_new(command, word) < 0)
            al__cli_check(NULL);
    }
    al__cli_json_set(body, "tty", json_boolean(tty));
    const char *term = getenv("TERM");
    if (tty && term && term[0]) {
        json_t *t = json_string(term);
        if (t)
            al__cli_json_set(body, "term", t);
    }
    return body;
}

int al__cmd_workload_exec(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {NULL, NULL, 0, false, false, 0};
    char suffix[192], path[1024];
    struct al__cli_opened stream;
    int rc = options_parse(cli, argc, argv, &o);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!o.project)
        o.project = cli->conn.project;
    /* interactive with a terminal when this is one, as `docker exec -it` */
    bool tty = o.tty || (!o.no_tty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
    json_t *body = exec_body(cli, argc, argv, &o, tty);
    if (!body)
        return AL__EXIT_USAGE;
    snprintf(suffix, sizeof(suffix), "/exec?task=%" PRId64 "%s%s", o.task,
             o.project ? "&project=" : "", o.project ? o.project : "");
    rc = al__cli_path(cli, path, sizeof(path), "workloads", o.name, suffix) < 0   ? -1
         : al__cli_stream_open(cli, "POST", path, body, &stream, false, NULL) < 0 ? -2
                                                                                  : 0;
    json_decref(body);
    if (rc < 0)
        return rc == -1 ? AL__EXIT_USAGE : al__cli_failed();
    const struct al__cli_session session = {.raw = tty, .close_input = !tty};
    int signal;
    rc = al__cli_session_run(&session, &stream, &signal);
    return al__cli_session_exit(rc, signal, o.name, o.task, "the command");
}
