/* selector.h - label selectors as kubectl's -l takes them ("team=vision,tier!=dev,gpu"): which
 * workloads a list or a delete is about. */
#ifndef ALLOT_CLI_SELECTOR_H
#define ALLOT_CLI_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define AL__CLI_SELECTOR_MAX 16

struct al__cli_selector_term {
    char key[320], value[64];
    enum { AL__SEL_EQ, AL__SEL_NE, AL__SEL_EXISTS, AL__SEL_ABSENT } op;
};

struct al__cli_selector {
    struct al__cli_selector_term terms[AL__CLI_SELECTOR_MAX];
    size_t count; /* 0: selects everything */
};

/*
 * al__cli_selector_parse - comma-separated terms: KEY=VALUE (or ==), KEY!=VALUE, KEY (has the
 * label), !KEY (has not). Returns 0, or -1 with err saying what is wrong with which term.
 */
int al__cli_selector_parse(const char *text, struct al__cli_selector *s, char *err, size_t size);

/* Whether an API object's "labels" match every term. */
bool al__cli_selector_matches(const struct al__cli_selector *s, const json_t *object);

/* Keeps in `items` (a JSON array) the objects s matches. */
void al__cli_selector_filter(const struct al__cli_selector *s, json_t *items);

#endif
