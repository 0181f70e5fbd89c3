/* events.c - `allot events`: allotd's recent changes of workloads and queues, one line each, and
 * with -f those that follow as they happen (the API's event stream, docs/api.md "Events"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/event_stream.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/util.h"

#define RESUME_S 30 /* a broken stream is opened again after the last event for this long */

struct options {
    const char *project, *kind, *limit;
    bool follow;
};

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        const char **value = al__cli_args_is(&a, "-p", "--project") ? &o->project
                             : al__cli_args_is(&a, NULL, "--kind")  ? &o->kind
                             : al__cli_args_is(&a, NULL, "--limit") ? &o->limit
                                                                    : NULL;
        if (value) {
            if (!(*value = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, "-f", "--follow")) {
            if (!al__cli_args_flag(&a, &o->follow))
                return AL__CLI_BAD;
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    return al__cli_args_finish(&a, NULL, NULL);
}

/* One event as a line: TIME TYPE what it is about, and how it changed. */
static void print_event(const struct al__cli *cli, const json_t *e) {
    if (AL__CLI_STRUCTURED(cli)) {
        char *text = json_dumps(e, JSON_COMPACT);
        fprintf(cli->out, "%s\n", text ? text : "{}");
        free(text);
        fflush(cli->out);
        return;
    }
    char when[32] = "-";
    time_t at = (time_t)al__cli_json_int(e, "time_s", 0);
    struct tm tm;
    if (at > 0)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&at, &tm));
    const char *type = al__cli_json_str(e, "type", "?");
    const char *previous = al__cli_json_str(e, "previous", NULL);
    const char *reason = al__cli_json_str(e, "reason", NULL);
    if (strcmp(type, "reset") == 0)
        fprintf(cli->out, "%s  reset  %s\n", when, al__cli_json_str(e, "reason", "list again"));
    else if (strcmp(al__cli_json_str(e, "kind", ""), "queue") == 0)
        fprintf(cli->out, "%s  %s  %s %s\n", when, type, al__cli_json_str(e, "queue_kind", "?"),
                al__cli_json_str(e, "name", "?"));
    else
        fprintf(cli->out, "%s  %s  %s/%s  %s%s%s%s%s\n", when, type,
                al__cli_json_str(e, "project", "?"), al__cli_json_str(e, "name", "?"),
                al__cli_json_str(e, "state", "?"), previous ? " (was " : "",
                previous ? previous : "", previous ? ")" : "", reason ? "  " : "");
    if (reason && strcmp(type, "reset") != 0 && strcmp(al__cli_json_str(e, "kind", ""), "queue"))
        fprintf(cli->out, "    %s\n", reason);
    fflush(cli->out);
}

struct following {
    const struct al__cli *cli;
    int64_t last_id;
};

static void on_event(void *ctx, const char *type, const char *data) {
    struct following *f = ctx;
    json_t *e = json_loads(data, 0, NULL);
    (void)type;
    if (!e)
        return;
    f->last_id = al__cli_json_int(e, "id", f->last_id);
    print_event(f->cli, e);
    json_decref(e);
}

/* Follows the stream after `last_id` until interrupted, opened again when it breaks (after the
 * last event seen: nothing is lost while allotd still holds it). */
static int follow(const struct al__cli *cli, const char *query, int64_t last_id) {
    struct following f = {cli, last_id};
    time_t broke = 0;
    for (;;) {
        char path[1024];
        long status = 0;
        snprintf(path, sizeof(path), "/api/v1/events?follow=1&since_id=%" PRId64 "%s%s", f.last_id,
                 query[0] ? "&" : "", query);
        struct al__cli_events *e = al__cli_events_open(cli, path, 10000, on_event, &f, &status);
        if (e) {
            broke = 0;
            while (al__cli_events_wait(e, -1) >= 0)
                ;
            al__cli_events_free(e);
        }
        if (!broke)
            broke = time(NULL);
        if (status >= 400 || time(NULL) - broke > RESUME_S) {
            fprintf(stderr, "allot: the event stream of %s ended%s\n", cli->conn.server,
                    status >= 400 ? " (refused)" : ": allotd did not come back");
            return AL__EXIT_UNAVAILABLE;
        }
        nanosleep(&(struct timespec){1, 0}, NULL);
    }
}

int al__cmd_events(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {0};
    char query[512] = "", path[1024];
    json_t *body;
    int rc = options_parse(cli, argc, argv, &o);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    const char *keys[] = {"project", "kind"}, *values[] = {o.project, o.kind};
    for (size_t i = 0; i < 2; i++) {
        char escaped[256];
        if (!values[i])
            continue;
        if (!al__cli_url_escape(values[i], escaped, sizeof(escaped)))
            return al__cli_parse_exit(al__cli_usage_error(cli, "--%s is too long", keys[i]), cli);
        al__cli_appendf(query, sizeof(query), "%s%s=%s", query[0] ? "&" : "", keys[i], escaped);
    }
    /* the recent events (checking the filters); -f follows from the last of them */
    char limit[64];
    if (!al__cli_url_escape(o.limit ? o.limit : (o.follow ? "10" : "100"), limit, sizeof(limit)))
        return al__cli_parse_exit(al__cli_usage_error(cli, "--limit is too long"), cli);
    snprintf(path, sizeof(path), "/api/v1/events?limit=%s%s%s", limit, query[0] ? "&" : "", query);
    if (al__cli_call(cli, "GET", path, NULL, &body) < 0)
        return al__cli_failed();
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(body, "items"), i, e) print_event(cli, e);
    int64_t last_id = al__cli_json_int(body, "last_id", 0);
    json_decref(body);
    return o.follow ? follow(cli, query, last_id) : AL__EXIT_OK;
}
