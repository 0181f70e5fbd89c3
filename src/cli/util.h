/* util.h - small helpers of allot's commands: abort-on-failure allocation, JSON members. */
#ifndef ALLOT_CLI_UTIL_H
#define ALLOT_CLI_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * For what libraries allocate (util/xalloc.h has the program's own allocators):
 * al__cli_json_take checks a value made by a jansson constructor (json_object(),
 * json_string(), json_pack(), ...) and returns it, printing "allot: out of memory" and
 * exiting with status 1 when it is NULL, so callers never test for NULL.
 */
json_t *al__cli_json_take(json_t *value);

/* Returns p, or exits like the allocators when it is NULL (an allocation a library made). */
void *al__cli_check(void *p);

/* obj[key] = value, taking the reference to value; aborts like the allocators on failure. */
void al__cli_json_set(json_t *obj, const char *key, json_t *value);

/*
 * Members of API objects, tolerant of what a server may leave out: `fallback` when obj is not
 * an object, the member is absent or null, or it has another type. Strings are borrowed from
 * obj. Integers accept reals (truncated) and numbers accept integers.
 */
const char *al__cli_json_str(const json_t *obj, const char *key, const char *fallback);
int64_t al__cli_json_int(const json_t *obj, const char *key, int64_t fallback);
double al__cli_json_num(const json_t *obj, const char *key, double fallback);
bool al__cli_json_bool(const json_t *obj, const char *key, bool fallback);

/* The member at a dotted path ("status.fair_share.gpu") as a number, else `fallback`. */
double al__cli_json_path_num(const json_t *obj, const char *path, double fallback);

/*
 * al__cli_url_escape - percent-encodes everything in `in` but unreserved characters
 * (A-Z a-z 0-9 - _ ~) for a URL path segment or query value; dots too, so that a name
 * like ".." stays one segment. Always NUL-terminates `out`; returns false when it did not fit.
 */
bool al__cli_url_escape(const char *in, char *out, size_t size);

/*
 * al__cli_appendf - appends printf-style text to the NUL-terminated string in buf (of `size`
 * bytes), truncating; buf stays NUL-terminated.
 */
void al__cli_appendf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Seconds since the Unix epoch now. */
int64_t al__cli_now(void);

#endif
