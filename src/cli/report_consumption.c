/* report_consumption.c - `allot report consumption`: GPU-hours (and CPU, memory, idle time and
 * cost) per project, department or workload over a window, as a table, CSV, JSON or YAML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/time_args.h"
#include "cli/util.h"

struct options {
    char from[64], to[64];
    const char *group_by;
    const char *output; /* text, csv, json, yaml */
};

/*
 * A window's edge as allotd takes it (into buf): YYYY-MM-DD is that day's UTC midnight, an RFC
 * 3339 time or a duration ago ("30d") go as they are. -1 after a usage error.
 */
static int edge_option(const struct al__cli *cli, const char *opt, const char *text, char *buf,
                       size_t size) {
    char err[256];
    int y, m, d, n = 0;
    if (strlen(text) == 10 && sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10) {
        if (m < 1 || m > 12 || d < 1 || d > 31)
            return al__cli_usage_error(cli, "%s %s: not a date (YYYY-MM-DD)", opt, text);
        snprintf(buf, size, "%sT00:00:00Z", text);
        return 0;
    }
    if (al__cli_check_since(opt, text, err, sizeof(err)) < 0)
        return al__cli_usage_error(cli, "%s; or a date, YYYY-MM-DD (UTC midnight)", err);
    snprintf(buf, size, "%s", text);
    return 0;
}

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    const char *v;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        bool from = al__cli_args_is(&a, NULL, "--from");
        if (from || al__cli_args_is(&a, NULL, "--to")) {
            if (!(v = al__cli_args_value(&a)))
                return AL__CLI_BAD;
            int rc = edge_option(cli, a.option, v, from ? o->from : o->to, sizeof(o->from));
            if (rc != 0)
                return rc;
        } else if (al__cli_args_is(&a, "-g", "--group-by")) {
            if (!(o->group_by = al__cli_args_value(&a)))
                return AL__CLI_BAD;
            if (strcmp(o->group_by, "project") && strcmp(o->group_by, "department") &&
                strcmp(o->group_by, "workload"))
                return al__cli_usage_error(cli, "--group-by %s: project, department or workload",
                                           o->group_by);
        } else if (al__cli_args_is(&a, "-o", "--output")) {
            if (!(o->output = al__cli_args_value(&a)))
                return AL__CLI_BAD;
            if (strcmp(o->output, "text") && strcmp(o->output, "csv") &&
                strcmp(o->output, "json") && strcmp(o->output, "yaml"))
                return al__cli_usage_error(cli, "-o %s: text, csv, json or yaml", o->output);
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    int rc = al__cli_args_finish(&a, NULL, NULL);
    if (rc == AL__CLI_RUN && !o->from[0])
        return al__cli_usage_error(cli, "--from is required (a date, YYYY-MM-DD, a time or a "
                                        "duration ago: 30d)");
    return rc;
}

/* The columns: the group's names, then the figures (API field, header, scale for the table). */
static const struct column {
    const char *field, *header;
    double scale; /* the table shows field / scale */
} figures[] = {
    {"runs", "RUNS", 1},
    {"gpu_seconds", "GPU-HOURS", 3600},
    {"cpu_core_seconds", "CPU-CORE-HOURS", 3600},
    {"memory_byte_seconds", "MEMORY-GIB-HOURS", 3600.0 * 1073741824.0},
    {"idle_gpu_seconds", "IDLE-GPU-HOURS", 3600},
    {"cost", "COST", 1},
};
#define FIGURES (sizeof(figures) / sizeof(figures[0]))

/* The group's name columns for `by`: "department", "project", "workload" as grouped. */
static size_t name_columns(const char *by, const char **names) {
    size_t n = 0;
    names[n++] = "department";
    if (strcmp(by, "department") != 0)
        names[n++] = "project";
    if (strcmp(by, "workload") == 0)
        names[n++] = "workload";
    return n;
}

/* A field in RFC 4180's way: quoted when it holds a comma, a quote or a line break. */
static void csv_field(const char *s, bool last) {
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    fputs(last ? "\r\n" : ",", stdout);
}

/* A figure as text: "" for null (not known), v / scale otherwise. */
static void number_text(const json_t *v, double scale, char *buf, size_t size) {
    if (!json_is_number(v))
        snprintf(buf, size, "%s", "");
    else if (json_is_integer(v) && scale == 1)
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, size, "%.6g", json_number_value(v) / scale);
}

/* CSV's figures: the API's fields and units (seconds; an unknown one empty). */
static const char *const csv_figures[] = {
    "runs",
    "gpu_seconds",
    "gpu_hours",
    "cpu_core_seconds",
    "memory_byte_seconds",
    "idle_gpu_seconds",
    "cost",
};
#define CSV_FIGURES (sizeof(csv_figures) / sizeof(csv_figures[0]))

static void print_csv(const json_t *items, const char *by) {
    const char *names[3];
    size_t nn = name_columns(by, names), i;
    const json_t *row;
    for (size_t k = 0; k < nn; k++)
        csv_field(names[k], false);
    for (size_t k = 0; k < CSV_FIGURES; k++)
        csv_field(csv_figures[k], k + 1 == CSV_FIGURES);
    json_array_foreach(items, i, row) {
        char num[64];
        for (size_t k = 0; k < nn; k++)
            csv_field(al__cli_json_str(row, names[k], ""), false);
        for (size_t k = 0; k < CSV_FIGURES; k++) {
            number_text(json_object_get(row, csv_figures[k]), 1, num, sizeof(num));
            csv_field(num, k + 1 == CSV_FIGURES);
        }
    }
}

static void print_table(const struct al__cli *cli, const json_t *items, const char *by) {
    const char *names[3], *headers[3 + FIGURES];
    size_t nn = name_columns(by, names), i;
    const json_t *row;
    for (size_t k = 0; k < nn; k++)
        headers[k] = strcmp(names[k], "department") == 0 ? "DEPARTMENT"
                     : strcmp(names[k], "project") == 0  ? "PROJECT"
                                                         : "WORKLOAD";
    for (size_t k = 0; k < FIGURES; k++)
        headers[nn + k] = figures[k].header;
    struct al__cli_table t;
    al__cli_table_init(&t, nn + FIGURES, headers);
    json_array_foreach(items, i, row) {
        char num[64];
        for (size_t k = 0; k < nn; k++) {
            const char *s = al__cli_json_str(row, names[k], "");
            al__cli_table_cell(&t, "%s", s[0] ? s : "-");
        }
        for (size_t k = 0; k < FIGURES; k++) {
            number_text(json_object_get(row, figures[k].field), figures[k].scale, num, sizeof(num));
            al__cli_table_cell(&t, "%s", num[0] ? num : "-");
        }
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_report_consumption(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {.group_by = "project", .output = "text"};
    char path[512], from[200], to[200] = "";
    json_t *doc;
    int rc = options_parse(cli, argc, argv, &o);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!al__cli_url_escape(o.from, from, sizeof(from)) ||
        !al__cli_url_escape(o.to, to, sizeof(to)))
        return al__cli_parse_exit(al__cli_usage_error(cli, "--from/--to: too long"), cli);
    snprintf(path, sizeof(path), "/api/v1/reports/consumption?group_by=%s&from=%s%s%s", o.group_by,
             from, o.to[0] ? "&to=" : "", to);
    /* -o is this command's own (it has csv): under json or yaml an error is a document too */
    struct al__cli view = *cli;
    if (strcmp(o.output, "json") == 0 || strcmp(o.output, "yaml") == 0)
        view.format = o.output[0] == 'j' ? AL__CLI_FORMAT_JSON : AL__CLI_FORMAT_YAML;
    if (al__cli_call(&view, "GET", path, NULL, &doc) < 0)
        return al__cli_failed();
    const json_t *items = json_object_get(doc, "items");
    rc = AL__EXIT_OK;
    if (AL__CLI_STRUCTURED(&view)) {
        rc = al__cli_print_doc(&view, doc) < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
    } else if (strcmp(o.output, "csv") == 0) {
        print_csv(items, o.group_by);
    } else if (json_array_size(items) == 0) {
        fprintf(stderr, "no consumption in the window\n");
    } else {
        print_table(cli, items, o.group_by);
    }
    if (fflush(stdout) != 0)
        rc = AL__EXIT_FAIL;
    json_decref(doc);
    return rc;
}
