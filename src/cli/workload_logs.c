/* workload_logs.c - `allot workload logs`: a task's output, as it stands or followed, all of it
 * or its last lines or what it wrote since a time. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/time_args.h"
#include "cli/units.h"
#include "cli/util.h"

#define RESUME_TRIES 30 /* x 1 s: how long -f keeps trying to reconnect without progress */

struct options {
    const char *name, *project, *since;
    int64_t task, tail; /* tail -1: all */
    bool follow;
};

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    char err[256];
    int rc;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_positional(&a)) {
            if ((rc = al__cli_args_name(&a, &o->name)) != AL__CLI_RUN)
                return rc;
        } else if (al__cli_args_is(&a, "-f", "--follow")) {
            if (!al__cli_args_flag(&a, &o->follow))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--task")) {
            if (al__cli_args_integer(&a, 0, &o->task) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--tail")) {
            if (al__cli_args_integer(&a, 0, &o->tail) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, "-p", "--project")) {
            if (!(o->project = al__cli_args_value(&a)))
                return AL__CLI_BAD;
            if (!al__name_valid(o->project))
                return al__cli_usage_error(cli,
                                           "--project: '%s' is not a name (1-63 of a-z, 0-9, "
                                           "'-')",
                                           o->project);
        } else if (al__cli_args_is(&a, NULL, "--since")) {
            if (!(o->since = al__cli_args_value(&a)))
                return AL__CLI_BAD;
            if (al__cli_check_since(a.option, o->since, err, sizeof(err)) < 0)
                return al__cli_usage_error(cli, "%s", err);
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    return al__cli_args_finish(&a, "workload", o->name);
}

/* The query's window (tail and since), for the first request only. */
static int window_query(const struct al__cli *cli, const struct options *o, char *out,
                        size_t size) {
    char since[256];
    out[0] = '\0';
    if (o->tail >= 0)
        al__cli_appendf(out, size, "&tail=%" PRId64, o->tail);
    if (o->since && !al__cli_url_escape(o->since, since, sizeof(since)))
        return al__cli_usage_error(cli, "--since: '%s' is too long", o->since);
    if (o->since)
        al__cli_appendf(out, size, "&since=%s", since);
    return AL__CLI_RUN;
}

/* -o json|yaml: the output as one document, {"name", "project", "task", "log"}. */
static int print_document(const struct al__cli *cli, const struct options *o, const char *path) {
    char *text = NULL;
    size_t len = 0;
    FILE *buf = open_memstream(&text, &len);
    if (!buf)
        al__cli_check(NULL);
    int rc = al__cli_stream(cli, path, buf, NULL, NULL, false);
    fclose(buf);
    if (rc != 0) {
        free(text);
        return al__cli_failed();
    }
    /* the project it is in, when the command line did not say */
    json_t *workload = NULL;
    char get[1024];
    const char *project = o->project;
    if (!project && al__cli_path(cli, get, sizeof(get), "workloads", o->name, "") == 0 &&
        al__cli_call(cli, "GET", get, NULL, &workload) == 0)
        project = al__cli_json_str(workload, "project", NULL);
    json_t *doc = json_pack("{s:s, s:s?, s:I, s:s%}", "name", o->name, "project", project, "task",
                            (json_int_t)o->task, "log", text, len);
    json_decref(workload);
    free(text);
    if (!doc) { /* output that is not UTF-8 */
        fprintf(stderr, "allot: the task's output is not UTF-8 text: print it without -o\n");
        return AL__EXIT_FAIL;
    }
    rc = al__cli_print_doc(cli, doc) < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
    json_decref(doc);
    return rc;
}

int al__cmd_workload_logs(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {NULL, NULL, NULL, 0, -1, false};
    char suffix[512], path[1024], window[320];
    int rc = options_parse(cli, argc, argv, &o);

    if (rc == AL__CLI_RUN)
        rc = window_query(cli, &o, window, sizeof(window));
    if (rc == AL__CLI_RUN &&
        (cli->format == AL__CLI_FORMAT_NAME || (AL__CLI_STRUCTURED(cli) && o.follow)))
        rc = al__cli_usage_error(cli, "-o: logs print text, or a json or yaml document without "
                                      "-f");
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!o.project)
        o.project = cli->conn.project;
    /* A stream that drops is resumed where it stopped: from where the window had it start
     * (X-Allot-Log-Start) plus what came, the window asked no more. */
    int64_t offset = 0;
    for (int tries = 0;;) {
        int64_t got = 0, start = -1;
        snprintf(suffix, sizeof(suffix),
                 "/logs?task=%" PRId64 "&follow=%s&offset=%" PRId64 "%s%s%s", o.task,
                 o.follow ? "true" : "false", offset, window, o.project ? "&project=" : "",
                 o.project ? o.project : "");
        if (al__cli_path(cli, path, sizeof(path), "workloads", o.name, suffix) < 0)
            return AL__EXIT_USAGE;
        if (AL__CLI_STRUCTURED(cli))
            return print_document(cli, &o, path);
        bool last = !o.follow || tries + 1 >= RESUME_TRIES;
        rc = al__cli_stream(cli, path, stdout, &got, &start, !last);
        if (window[0] && start >= 0) { /* where the window began: from here on, offsets */
            offset = start;
            window[0] = '\0';
        }
        offset += got;
        if (rc != AL__CLI_BROKE_OFF || last)
            return rc == 0 ? AL__EXIT_OK : al__cli_failed();
        tries = got > 0 ? 0 : tries + 1; /* progress resets the count */
        nanosleep(&(struct timespec){1, 0}, NULL);
    }
}
