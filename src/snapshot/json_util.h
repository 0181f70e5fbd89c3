/* json_util.h - JSON paths, error reports and typed reads shared by the snapshot parsers. */
#ifndef ALLOT_SNAPSHOT_JSON_UTIL_H
#define ALLOT_SNAPSHOT_JSON_UTIL_H

#include "snapshot/json_read.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allot/snapshot.h"

/* Size of a path buffer; equals sizeof(struct al_snapshot_error.path). */
#define AL__PATH_SIZE 192

#if defined(__GNUC__) || defined(__clang__)
#define AL__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define AL__PRINTF(fmt, args)
#endif

/*
 * al__fail - records `path` and the formatted message in *err (which may be NULL)
 * and returns -AL_EINVAL, so that callers can write `return al__fail(...)`.
 */
int al__fail(struct al_snapshot_error *err, const char *path, const char *fmt, ...)
    AL__PRINTF(3, 4);

/* al__fail_nomem - records "out of memory" at `path` and returns -AL_ENOMEM. */
int al__fail_nomem(struct al_snapshot_error *err, const char *path);

/* al__path_key - out = base + "." + key (or key alone when base is ""); truncates. */
void al__path_key(char out[AL__PATH_SIZE], const char *base, const char *key);

/* al__path_index - out = base + "[index]"; truncates. */
void al__path_index(char out[AL__PATH_SIZE], const char *base, size_t index);

/* al__path_format - out = the formatted path; truncates. */
void al__path_format(char out[AL__PATH_SIZE], const char *fmt, ...) AL__PRINTF(2, 3);

/*
 * al__check_keys - rejects the first member of `obj` whose key is not in `known`
 * (a NULL-terminated list): "<path>.<key>: unknown field".
 */
int al__check_keys(const struct al__json *obj, const char *path, const char *const *known,
                   struct al_snapshot_error *err);
/* al__check_keys2 - the same with the keys of two lists (`more` may be NULL). */
int al__check_keys2(const struct al__json *obj, const char *path, const char *const *known,
                    const char *const *more, struct al_snapshot_error *err);

/* Type checks of a value at `path`: "must be an object" and so on. NULL fails too. */
int al__want_object(const struct al__json *v, const char *path, struct al_snapshot_error *err);
int al__want_array(const struct al__json *v, const char *path, struct al_snapshot_error *err);

/*
 * al__read_int - an integer in [min, max]. JSON integers and reals with an integral
 * value are accepted; "must be an integer", "must be >= min", "must be <= max".
 */
int al__read_int(const struct al__json *v, const char *path, int64_t min, int64_t max, int64_t *out,
                 struct al_snapshot_error *err);

/* al__read_number - any JSON number, as a double. */
int al__read_number(const struct al__json *v, const char *path, double *out,
                    struct al_snapshot_error *err);

/* al__read_scaled - a number in [0, max] times `scale`, rounded to the nearest integer
 * (usage 0.42 -> 420000 ppm, kValue 1.5 -> 1500 thousandths); "must be between 0 and max". */
int al__read_scaled(const struct al__json *v, const char *path, double max, int64_t scale,
                    int64_t *out, struct al_snapshot_error *err);

/* al__read_string - a string (borrowed from the document); `nonempty` rejects "". */
int al__read_string(const struct al__json *v, const char *path, bool nonempty, const char **out,
                    struct al_snapshot_error *err);

/* al__read_bool - true or false. */
int al__read_bool(const struct al__json *v, const char *path, bool *out,
                  struct al_snapshot_error *err);

/*
 * al__read_gpus - a GPU amount written in devices (2, 0.5) as milli-GPU, rounded to the
 * nearest milli. `unlimited_ok` accepts -1 (AL_UNLIMITED, kept as -1). At most max_gpus.
 */
int al__read_gpus(const struct al__json *v, const char *path, bool unlimited_ok, int64_t max_gpus,
                  int64_t *out, struct al_snapshot_error *err);

/*
 * Member reads: look `key` up in `obj` (path = base.key). An absent member leaves *out
 * untouched and returns 0, unless `required`: then "required field is missing".
 * A present member is read like the al__read_* functions above; a required string
 * must also not be empty.
 */
int al__member_int(const struct al__json *obj, const char *base, const char *key, bool required,
                   int64_t min, int64_t max, int64_t *out, struct al_snapshot_error *err);
int al__member_int32(const struct al__json *obj, const char *base, const char *key, bool required,
                     int64_t min, int64_t max, int32_t *out, struct al_snapshot_error *err);
int al__member_string(const struct al__json *obj, const char *base, const char *key, bool required,
                      const char **out, struct al_snapshot_error *err);
int al__member_bool(const struct al__json *obj, const char *base, const char *key, bool required,
                    bool *out, struct al_snapshot_error *err);
/* al__member_array/object - *out = the member, or NULL when absent (and not required). */
int al__member_array(const struct al__json *obj, const char *base, const char *key, bool required,
                     const struct al__json **out, struct al_snapshot_error *err);
int al__member_object(const struct al__json *obj, const char *base, const char *key, bool required,
                      const struct al__json **out, struct al_snapshot_error *err);

/* al__dup - *out = a heap copy of s. -AL_ENOMEM (reported at path) when out of memory. */
int al__dup(char **out, const char *s, const char *path, struct al_snapshot_error *err);

#endif
