/* subgroup_arg.c - `allot workload submit --subgroup NAME:WORKERS[:MIN][,required=LEVEL]
 * [,preferred=LEVEL]` read into the API's subgroup object (subgroup_arg.h). */
#include "cli/subgroup_arg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/util.h"

#define SYNTAX "NAME:WORKERS[:MIN][,required=LEVEL][,preferred=LEVEL]"

/* A count of 1..1024 spelled exactly as text[0..len); -1 when it is not one. */
static long count_of(const char *text, size_t len) {
    char digits[8], *end;
    if (len == 0 || len >= sizeof(digits) || strspn(text, "0123456789") < len)
        return -1;
    memcpy(digits, text, len);
    digits[len] = '\0';
    errno = 0;
    long n = strtol(digits, &end, 10);
    return errno || *end || n < 1 || n > 1024 ? -1 : n;
}

/* NAME:WORKERS[:MIN], text[0..len), into o. */
static int read_counts(const char *text, size_t len, json_t *o) {
    const char *colon = memchr(text, ':', len);
    if (!colon || colon == text)
        return -1;
    const char *rest = colon + 1, *end = text + len;
    const char *second = memchr(rest, ':', (size_t)(end - rest));
    long workers = count_of(rest, (size_t)((second ? second : end) - rest));
    long min = second ? count_of(second + 1, (size_t)(end - second - 1)) : 0;
    if (workers < 0 || min < 0)
        return -1;
    json_t *name = json_stringn(text, (size_t)(colon - text));
    if (!name) /* not UTF-8 */
        return -1;
    al__cli_json_set(o, "name", name);
    al__cli_json_set(o, "workers", al__cli_json_take(json_integer(workers)));
    if (second)
        al__cli_json_set(o, "min_members", al__cli_json_take(json_integer(min)));
    return 0;
}

/* required=LEVEL or preferred=LEVEL, item[0..len), into o (once each). */
static int read_level(const char *item, size_t len, json_t *o, char *err, size_t size) {
    static const struct {
        const char *word, *key;
    } levels[] = {{"required=", "required_topology_level"},
                  {"preferred=", "preferred_topology_level"}};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        size_t n = strlen(levels[i].word);
        if (len <= n || strncmp(item, levels[i].word, n) != 0)
            continue;
        json_t *level = json_stringn(item + n, len - n);
        if (json_object_get(o, levels[i].key) || !level) {
            json_decref(level);
            snprintf(err, size, "'%.*s': each level once, as text", (int)len, item);
            return -1;
        }
        al__cli_json_set(o, levels[i].key, level);
        return 0;
    }
    snprintf(err, size, "'%.*s': give required=LEVEL or preferred=LEVEL after the counts", (int)len,
             item);
    return -1;
}

json_t *al__cli_subgroup_parse(const char *text, char *err, size_t size) {
    json_t *o = al__cli_json_take(json_object());
    size_t head = strcspn(text, ",");
    if (read_counts(text, head, o) < 0) {
        snprintf(err, size, "'%s' is not " SYNTAX " (WORKERS and MIN: 1-1024)", text);
        json_decref(o);
        return NULL;
    }
    for (const char *item = text + head; *item == ',';) {
        item++;
        size_t len = strcspn(item, ",");
        if (read_level(item, len, o, err, size) < 0) {
            json_decref(o);
            return NULL;
        }
        item += len;
    }
    return o;
}
