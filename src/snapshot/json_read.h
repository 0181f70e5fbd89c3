/* json_read.h - a read-only JSON document in one arena: the fast reader of snapshot files. */
#ifndef ALLOT_SNAPSHOT_JSON_READ_H
#define ALLOT_SNAPSHOT_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

/*
 * The snapshot parser reads documents of tens of megabytes (a fleet's state); a general
 * JSON library spends most of that time allocating and freeing one object per value. This
 * reader keeps the whole document in one arena: values are plain structs, arrays and
 * objects contiguous, strings NUL-terminated copies; releasing the document frees the arena.
 * It accepts RFC 8259 JSON whose root is an object or an array: UTF-8 checked, no NUL in
 * strings, integers within int64 (others are reals), nesting at most AL__JSON_MAX_DEPTH,
 * and no key twice in one object.
 */
#define AL__JSON_MAX_DEPTH 2048

enum al__json_type {
    AL__JSON_NULL,
    AL__JSON_FALSE,
    AL__JSON_TRUE,
    AL__JSON_INTEGER,
    AL__JSON_REAL,
    AL__JSON_STRING,
    AL__JSON_ARRAY,
    AL__JSON_OBJECT,
};

struct al__json_member;

struct al__json {
    enum al__json_type type;
    size_t count; /* string bytes, array items, object members */
    union {
        int64_t integer;
        double real;
        const char *string; /* NUL-terminated (no NUL inside) */
        const struct al__json *items;
        const struct al__json_member *members; /* in document order */
    } u;
};

struct al__json_member {
    const char *key;
    struct al__json value;
};

struct al__json_doc {
    struct al__arena arena;
    const struct al__json *root;
};

/*
 * al__json_parse - reads text[0..len) into *doc (release it with al__json_doc_release, also on
 * failure). On a syntax error returns -AL_EINVAL with a message ("unexpected end of file",
 * "duplicate object key \"a\"", ...) in msg and the line (from 1) in *line; -AL_ENOMEM when
 * out of memory. O(len).
 */
int al__json_parse(const char *text, size_t len, struct al__json_doc *doc, char *msg,
                   size_t msg_size, int *line);

/* al__json_doc_release - frees the document; accepts a zeroed or failed one. */
void al__json_doc_release(struct al__json_doc *doc);

/* al__json_doc_init - an empty document, to be filled by a converter (json_convert.h). */
void al__json_doc_init(struct al__json_doc *doc);

/* al__json_get - the member `key` of an object; NULL when absent or v is not an object.
 * O(members). */
const struct al__json *al__json_get(const struct al__json *v, const char *key);

/* al__json_size - items of an array, members of an object, else 0. */
size_t al__json_size(const struct al__json *v);

/* al__json_at - item i of an array (i < al__json_size). */
const struct al__json *al__json_at(const struct al__json *v, size_t i);

static inline bool al__json_is(const struct al__json *v, enum al__json_type type) {
    return v && v->type == type;
}

static inline bool al__json_is_number(const struct al__json *v) {
    return v && (v->type == AL__JSON_INTEGER || v->type == AL__JSON_REAL);
}

static inline bool al__json_is_bool(const struct al__json *v) {
    return v && (v->type == AL__JSON_TRUE || v->type == AL__JSON_FALSE);
}

/* al__json_array_foreach - for each item v (const struct al__json *) of array arr at i. */
#define al__json_array_foreach(arr, i, v)                                                          \
    for ((i) = 0; (i) < al__json_size(arr) && ((v) = al__json_at((arr), (i)), 1); (i)++)

/* al__json_object_foreach - for each member key (const char *) and value v of object obj. */
#define al__json_object_foreach(obj, name_, v)                                                     \
    for (size_t al__json_i_ = 0;                                                                   \
         al__json_i_ < al__json_size(obj) && ((name_) = (obj)->u.members[al__json_i_].key,         \
                                             (v) = &(obj)->u.members[al__json_i_].value, 1);       \
         al__json_i_++)

/* al__json_string - the string of a string value, NULL otherwise. */
static inline const char *al__json_string(const struct al__json *v) {
    return v && v->type == AL__JSON_STRING ? v->u.string : NULL;
}

/* al__json_number - an integer or real as a double (0 otherwise). */
static inline double al__json_number(const struct al__json *v) {
    if (!v)
        return 0;
    return v->type == AL__JSON_INTEGER ? (double)v->u.integer
           : v->type == AL__JSON_REAL  ? v->u.real
                                       : 0;
}

#endif
