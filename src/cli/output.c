/* output.c - what allot prints: column-aligned tables, JSON documents, labelled fields. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"
#include "cli/yaml_out.h"
#include "util/xalloc.h"

#define COLUMN_GAP  3
#define FIELD_WIDTH 16

void al__cli_table_init(struct al__cli_table *t, size_t columns, const char *const *headers) {
    t->columns = columns;
    t->count = 0;
    t->capacity = 0;
    t->cells = NULL;
    for (size_t i = 0; i < columns; i++)
        al__cli_table_cell(t, "%s", headers[i]);
}

void al__cli_table_cell(struct al__cli_table *t, const char *fmt, ...) {
    va_list ap;
    int len;
    char *cell;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    cell = al__xmalloc(len > 0 ? (size_t)len + 1 : 1);
    cell[0] = '\0';
    if (len > 0) {
        va_start(ap, fmt);
        vsnprintf(cell, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    al__xgrow(&t->cells, &t->capacity, t->count + 1, sizeof(*t->cells));
    t->cells[t->count++] = cell;
}

/* Whether the cells from i to the end of its row are all empty. */
static bool rest_empty(const struct al__cli_table *t, size_t i) {
    for (; i < t->count && i % t->columns != 0; i++)
        if (t->cells[i][0])
            return false;
    return true;
}

void al__cli_table_print(const struct al__cli_table *t, FILE *out, int indent) {
    size_t *width = al__xcalloc(t->columns, sizeof(*width));

    for (size_t i = 0; i < t->count; i++) {
        size_t len = strlen(t->cells[i]);
        if (len > width[i % t->columns])
            width[i % t->columns] = len;
    }
    for (size_t i = 0; i < t->count; i++) {
        size_t c = i % t->columns;
        if (c == 0)
            fprintf(out, "%*s", indent, "");
        if (rest_empty(t, i + 1)) { /* the line ends here: no padding, no empty cells */
            fprintf(out, "%s\n", t->cells[i]);
            i += t->columns - 1 - c;
        } else {
            fprintf(out, "%-*s%*s", (int)width[c], t->cells[i], COLUMN_GAP, "");
        }
    }
    free(width);
}

void al__cli_table_release(struct al__cli_table *t) {
    for (size_t i = 0; i < t->count; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->count = t->capacity = 0;
}

void al__cli_table_print_list(const struct al__cli *cli, struct al__cli_table *t) {
    if (cli->no_headers) { /* the header row goes; the widths follow the rows alone */
        struct al__cli_table rows = {t->columns, t->count - t->columns, 0, t->cells + t->columns};
        if (rows.count > 0)
            al__cli_table_print(&rows, cli->out, 0);
        return;
    }
    al__cli_table_print(t, cli->out, 0);
}

/* doc as indented JSON and a newline on `out`; 0, or -1 after saying so. */
static int json_to(FILE *out, const json_t *doc) {
    if (json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0 ||
        fputc('\n', out) == EOF || fflush(out) != 0) {
        fprintf(stderr, "allot: cannot write JSON to standard output\n");
        return -1;
    }
    return 0;
}

int al__cli_json_print(const json_t *doc) {
    return json_to(stdout, doc);
}

int al__cli_print_doc(const struct al__cli *cli, const json_t *doc) {
    FILE *out = cli->out ? cli->out : stdout;

    if (cli->format != AL__CLI_FORMAT_YAML)
        return json_to(out, doc);
    if (al__cli_yaml_write(doc, out) < 0 || fflush(out) != 0) {
        fprintf(stderr, "allot: cannot write YAML to standard output\n");
        return -1;
    }
    return 0;
}

void al__cli_error_document(const struct al__cli *cli, const char *code, const char *field,
                            const char *message) {
    json_t *doc = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", code, "message", message,
                            "field", field);

    if (!doc)
        return;
    if (cli->format == AL__CLI_FORMAT_YAML)
        al__cli_yaml_write(doc, stderr);
    else
        json_dumpf(doc, stderr, JSON_INDENT(2));
    if (cli->format != AL__CLI_FORMAT_YAML)
        fputc('\n', stderr);
    json_decref(doc);
}

/* "KIND/NAME" of an API object, for -o name; nothing when it has no name. */
static void print_name(FILE *out, const char *kind, const json_t *obj) {
    const char *name = al__cli_json_str(obj, "name", NULL);

    if (name)
        fprintf(out, "%s/%s\n", kind, name);
}

int al__cli_show_line(const struct al__cli *cli, json_t *doc, const char *kind, const char *fmt,
                      ...) {
    va_list ap;
    int rc = 0;

    if (AL__CLI_STRUCTURED(cli)) {
        rc = al__cli_print_doc(cli, doc);
    } else if (cli->format == AL__CLI_FORMAT_NAME) {
        print_name(stdout, kind, doc);
    } else {
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
    }
    json_decref(doc);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}

int al__cli_show_list(const struct al__cli *cli, json_t *items, const char *what, const char *kind,
                      void (*print_table)(const struct al__cli *cli, const json_t *items)) {
    int rc = 0;
    size_t i;
    const json_t *item;

    if (AL__CLI_STRUCTURED(cli))
        rc = al__cli_print_doc(cli, items);
    else if (cli->format == AL__CLI_FORMAT_NAME)
        json_array_foreach(items, i, item) print_name(cli->out, kind, item);
    else if (json_array_size(items) == 0 && cli->out != stdout)
        fprintf(cli->out, "no %s found\n", what); /* a watched list that became empty */
    else if (json_array_size(items) == 0)
        fprintf(stderr, "no %s found\n", what);
    else
        print_table(cli, items);
    json_decref(items);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}

void al__cli_field(const char *label, const char *fmt, ...) {
    va_list ap;

    printf("%s:%*s", label, (int)(strlen(label) < FIELD_WIDTH ? FIELD_WIDTH - strlen(label) : 1),
           "");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void al__cli_format_ago(int64_t time_s, int64_t now, char *buf, size_t size) {
    size_t len;

    if (time_s < 0) {
        snprintf(buf, size, "-");
        return;
    }
    al__cli_format_age(now - time_s, buf, size);
    len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, " ago");
}
