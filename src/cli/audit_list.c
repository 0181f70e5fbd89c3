/* audit_list.c - `allot audit list`: the audit log, filtered by time, subject and project. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/time_args.h"
#include "cli/util.h"

struct options {
    const char *since, *subject, *project;
};

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    char err[256];

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_is(&a, NULL, "--since")) {
            if (!(o->since = al__cli_args_value(&a)))
                return AL__CLI_BAD;
            if (al__cli_check_since(a.option, o->since, err, sizeof(err)) < 0)
                return al__cli_usage_error(cli, "%s", err);
        } else if (al__cli_args_is(&a, NULL, "--subject")) {
            if (!(o->subject = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, "-p", "--project")) {
            if (!(o->project = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    return al__cli_args_finish(&a, NULL, NULL);
}

/* "&KEY=VALUE" escaped onto query, when value is given; false when it does not fit. */
static bool add_filter(char *query, size_t size, const char *key, const char *value) {
    char escaped[512];
    if (!value)
        return true;
    if (!al__cli_url_escape(value, escaped, sizeof(escaped)))
        return false;
    al__cli_appendf(query, size, "%s%s=%s", query[0] ? "&" : "", key, escaped);
    return true;
}

/* "kind project/name", or what of it there is. */
static void resource_text(const json_t *row, char *buf, size_t size) {
    const json_t *r = json_object_get(row, "resource");
    const char *project = al__cli_json_str(r, "project", NULL);
    const char *name = al__cli_json_str(r, "name", NULL);
    snprintf(buf, size, "%s", al__cli_json_str(r, "kind", "?"));
    if (project && name && strcmp(project, name) != 0)
        al__cli_appendf(buf, size, " %s/%s", project, name);
    else if (name || project)
        al__cli_appendf(buf, size, " %s", name ? name : project);
}

static void print_table(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"SEQ",  "TIME",     "SUBJECT", "SOURCE",
                                          "VERB", "RESOURCE", "OUTCOME"};
    struct al__cli_table t;
    size_t i;
    const json_t *row;

    al__cli_table_init(&t, 7, headers);
    json_array_foreach(items, i, row) {
        char when[32], resource[256];
        time_t at = (time_t)al__cli_json_int(row, "time_s", 0);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&at, &tm));
        resource_text(row, resource, sizeof(resource));
        al__cli_table_cell(&t, "%" PRId64, al__cli_json_int(row, "seq", 0));
        al__cli_table_cell(&t, "%s", when);
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "subject", "-"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "source", "-"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "verb", "-"));
        al__cli_table_cell(&t, "%s", resource);
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "outcome", "-"));
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_audit_list(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {0};
    char query[2048] = "";
    json_t *items;
    size_t i;
    json_t *row;
    int rc = options_parse(cli, argc, argv, &o);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!add_filter(query, sizeof(query), "since", o.since) ||
        !add_filter(query, sizeof(query), "subject", o.subject) ||
        !add_filter(query, sizeof(query), "project", o.project))
        return al__cli_parse_exit(al__cli_usage_error(cli, "a filter is too long"), cli);
    if (al__cli_list_all(cli, "/api/v1/audit", query, &items) < 0)
        return al__cli_failed();
    json_array_foreach(items, i, row) { /* -o name: audit/SEQ */
        char seq[32];
        snprintf(seq, sizeof(seq), "%" PRId64, al__cli_json_int(row, "seq", 0));
        json_object_set_new(row, "name", json_string(seq));
    }
    if (AL__CLI_STRUCTURED(cli))
        json_array_foreach(items, i, row) json_object_del(row, "name");
    return al__cli_show_list(cli, items, "audit rows", "audit", print_table);
}
