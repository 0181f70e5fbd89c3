/* output.h - what allot prints: column-aligned tables, JSON documents, labelled fields. */
#ifndef ALLOT_CLI_OUTPUT_H
#define ALLOT_CLI_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/commands.h"

/*
 * A table filled cell by cell, row after row, then printed with its columns aligned (three
 * spaces apart, the last column not padded). Cells are copied.
 */
struct al__cli_table {
    size_t columns;
    size_t count; /* cells so far, headers included */
    size_t capacity;
    char **cells;
};

/* Starts a table with `columns` headers; the caller releases it with al__cli_table_release. */
void al__cli_table_init(struct al__cli_table *t, size_t columns, const char *const *headers);

/* Appends the next cell (printf-style); a row ends after `columns` cells. */
void al__cli_table_cell(struct al__cli_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the headers and the rows, each line indented by `indent` spaces. */
void al__cli_table_print(const struct al__cli_table *t, FILE *out, int indent);

void al__cli_table_release(struct al__cli_table *t);

/* A list's table on stdout, without its header line under --no-headers. */
void al__cli_table_print_list(const struct al__cli *cli, struct al__cli_table *t);

/*
 * al__cli_json_print - writes `doc` to stdout, indented, with a newline. Returns 0, or -1
 * after printing an error when stdout cannot be written.
 */
int al__cli_json_print(const json_t *doc);

/* al__cli_print_doc - `doc` on stdout as the command's -o says: YAML, else JSON. 0 or -1. */
int al__cli_print_doc(const struct al__cli *cli, const json_t *doc);

/* An error as a document on stderr, for -o json|yaml: {"error": {code, message, field}}. */
void al__cli_error_document(const struct al__cli *cli, const char *code, const char *field,
                            const char *message);

/*
 * al__cli_show_line - the answer to a command that changed something: `doc` as JSON or YAML
 * under -o json|yaml, "KIND/NAME" under -o name, else the printf-style line. Releases doc;
 * returns the exit status.
 */
int al__cli_show_line(const struct al__cli *cli, json_t *doc, const char *kind, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/*
 * al__cli_show_list - the answer to a list command: `items` as a JSON or YAML array, one
 * "KIND/NAME" line per item under -o name, else "no <what> found" on stderr when there are
 * none, else print_table(cli, items). Releases items; returns the exit status.
 */
int al__cli_show_list(const struct al__cli *cli, json_t *items, const char *what, const char *kind,
                      void (*print_table)(const struct al__cli *cli, const json_t *items));

/* Prints "  LABEL:" padded to a fixed width and then the printf-style value and a newline. */
void al__cli_field(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "N ago" for an epoch time (e.g. "3m ago"), "-" when `time_s` is negative (absent). */
void al__cli_format_ago(int64_t time_s, int64_t now, char *buf, size_t size);

#endif
