/* workload_delete.c - `allot workload delete`: stop workloads' tasks and remove them, named
 * one by one or chosen together (--all, --state, -l). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/selector.h"
#include "cli/units.h"
#include "cli/util.h"
#include "cli/workload_filter.h"

#define POLL_INTERVAL_MS 250
#define MAX_NAMES        256

struct options {
    const char *names[MAX_NAMES];
    size_t name_count;
    struct al__cli_workload_filter filter;
    bool all, wait;
    int64_t timeout_s;
};

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Polls GET path until allotd answers 404; 0, or -1 after printing why not. */
static int wait_gone(const struct al__cli *cli, const char *path, const char *name,
                     int64_t deadline) {
    struct al__cli_reply reply;

    for (;;) {
        if (al__cli_request(cli, "GET", path, NULL, &reply) < 0 ||
            (reply.message[0] && reply.status != 404)) {
            al__cli_report(cli, &reply);
            al__cli_reply_release(&reply);
            return -1;
        }
        al__cli_reply_release(&reply);
        if (reply.status == 404)
            return 0;
        if (al__cli_now() >= deadline) {
            fprintf(stderr, "allot: workload %s is still stopping\n", name);
            return -1;
        }
        sleep_ms(POLL_INTERVAL_MS);
    }
}

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    int rc;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_positional(&a)) {
            if (o->name_count == MAX_NAMES)
                return al__cli_usage_error(cli, "at most %d names at once", MAX_NAMES);
            o->names[o->name_count++] = a.arg;
        } else if ((rc = al__cli_workload_filter_option(&a, &o->filter)) != 1) {
            if (rc == AL__CLI_BAD)
                return rc;
        } else if (al__cli_args_is(&a, NULL, "--all")) {
            if (!al__cli_args_flag(&a, &o->all))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--wait")) {
            if (!al__cli_args_flag(&a, &o->wait))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--timeout")) {
            if (al__cli_args_integer(&a, 1, &o->timeout_s) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    rc = al__cli_args_finish(&a, NULL, NULL);
    if (rc != AL__CLI_RUN)
        return rc;
    const struct al__cli_workload_filter *f = &o->filter;
    bool chosen = o->all || al__cli_workload_filter_narrows(f);
    if (chosen && o->name_count > 0)
        return al__cli_usage_error(cli, "give workload NAMEs or --all/--state/-l, not both");
    if (!chosen && o->name_count == 0)
        return al__cli_usage_error(cli, "no workload NAME given (or --all, --state STATE or -l "
                                        "SELECTOR with -p PROJECT or -A)");
    if (chosen && !f->project && !f->all_projects && !cli->conn.project)
        return al__cli_usage_error(cli, "--all, --state and -l need -p PROJECT, or -A for every "
                                        "project");
    return AL__CLI_RUN;
}

/* The workloads --all/--state/-l choose, as (name, project) pairs in *items. */
static int chosen(const struct al__cli *cli, const struct options *o, const char *query,
                  json_t **items) {
    if (al__cli_list_all(cli, "/api/v1/workloads", query, items) < 0)
        return al__cli_failed();
    al__cli_selector_filter(&o->filter.selector, *items);
    return AL__EXIT_OK;
}

/* Deletes one; its result object into `results`. The exit status. */
static int delete_one(const struct al__cli *cli, const char *name, const char *project,
                      const struct options *o, int64_t deadline, json_t *results) {
    struct al__cli_reply reply;
    char path[1024], suffix[96] = "";
    const char *outcome;

    if (project)
        snprintf(suffix, sizeof(suffix), "?project=%s", project);
    if (al__cli_path(cli, path, sizeof(path), "workloads", name, suffix) < 0)
        return AL__EXIT_USAGE;
    if (al__cli_request(cli, "DELETE", path, NULL, &reply) < 0 || reply.message[0]) {
        al__cli_report(cli, &reply);
        al__cli_reply_release(&reply);
        return al__cli_failed();
    }
    al__cli_reply_release(&reply);
    outcome = reply.status == 202 ? "stopping" : "deleted";
    if (reply.status == 202 && o->wait) {
        if (wait_gone(cli, path, name, deadline) < 0)
            return AL__EXIT_FAIL;
        outcome = "deleted";
    }
    if (AL__CLI_STRUCTURED(cli))
        json_array_append_new(results, json_pack("{s:s, s:s?, s:s}", "name", name, "project",
                                                 project, "outcome", outcome));
    else if (cli->format == AL__CLI_FORMAT_NAME)
        printf("workload/%s\n", name);
    else
        printf("workload %s %s\n", name,
               strcmp(outcome, "stopping") == 0 ? "is stopping" : "deleted");
    return AL__EXIT_OK;
}

int al__cmd_workload_delete(const struct al__cli *cli, int argc, char **argv) {
    struct options o;
    memset(&o, 0, sizeof(o));
    o.timeout_s = 60;
    int rc = options_parse(cli, argc, argv, &o), status = AL__EXIT_OK;

    char query[512];
    if (rc == AL__CLI_RUN)
        rc = al__cli_workload_filter_query(cli, &o.filter, query, sizeof(query));
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    int64_t deadline = al__cli_now() + o.timeout_s;
    json_t *results = al__cli_json_take(json_array()), *items = NULL;
    if (o.name_count == 0) {
        if ((status = chosen(cli, &o, query, &items)) != AL__EXIT_OK) {
            json_decref(results);
            return status;
        }
        size_t i;
        const json_t *w;
        json_array_foreach(items, i, w) {
            int one = delete_one(cli, al__cli_json_str(w, "name", "?"),
                                 al__cli_json_str(w, "project", NULL), &o, deadline, results);
            if (one != AL__EXIT_OK && one != AL__EXIT_NOT_FOUND) /* gone meanwhile: done */
                status = one;
        }
        if (json_array_size(items) == 0 && !AL__CLI_STRUCTURED(cli))
            fprintf(stderr, "no workloads to delete\n");
        json_decref(items);
    } else {
        for (size_t i = 0; i < o.name_count; i++) {
            int one = delete_one(cli, o.names[i], o.filter.project, &o, deadline, results);
            if (one != AL__EXIT_OK)
                status = one;
        }
    }
    if (AL__CLI_STRUCTURED(cli) && al__cli_print_doc(cli, results) < 0 && status == AL__EXIT_OK)
        status = AL__EXIT_FAIL;
    json_decref(results);
    return status;
}
