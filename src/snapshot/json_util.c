/* json_util.c - JSON paths, error reports and typed reads shared by the snapshot parsers. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"

int al__fail(struct al_snapshot_error *err, const char *path, const char *fmt, ...) {
    if (err) {
        va_list ap;
        snprintf(err->path, sizeof(err->path), "%s", path);
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        err->line = 0;
    }
    return -AL_EINVAL;
}

int al__fail_nomem(struct al_snapshot_error *err, const char *path) {
    al__fail(err, path, "out of memory");
    return -AL_ENOMEM;
}

/* Appends s to out (holding *len bytes), truncating at AL__PATH_SIZE - 1. Paths are built for
 * every value a snapshot holds, so this avoids printf's machinery. */
static void path_append(char out[AL__PATH_SIZE], size_t *len, const char *s) {
    while (*s && *len < AL__PATH_SIZE - 1)
        out[(*len)++] = *s++;
    out[*len] = '\0';
}

void al__path_key(char out[AL__PATH_SIZE], const char *base, const char *key) {
    size_t len = 0;
    out[0] = '\0';
    if (base[0]) {
        path_append(out, &len, base);
        path_append(out, &len, ".");
    }
    path_append(out, &len, key);
}

void al__path_index(char out[AL__PATH_SIZE], const char *base, size_t index) {
    char digits[24], *d = digits + sizeof(digits) - 1;
    size_t len = 0;
    *d = '\0';
    do
        *--d = (char)('0' + index % 10);
    while ((index /= 10) > 0);
    out[0] = '\0';
    path_append(out, &len, base);
    path_append(out, &len, "[");
    path_append(out, &len, d);
    path_append(out, &len, "]");
}

void al__path_format(char out[AL__PATH_SIZE], const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, AL__PATH_SIZE, fmt, ap);
    va_end(ap);
}

static bool key_known(const char *key, const char *const *known) {
    for (size_t i = 0; known[i]; i++)
        if (known[i][0] == key[0] && strcmp(known[i], key) == 0)
            return true;
    return false;
}

int al__check_keys(const struct al__json *obj, const char *path, const char *const *known,
                   struct al_snapshot_error *err) {
    return al__check_keys2(obj, path, known, NULL, err);
}

int al__check_keys2(const struct al__json *obj, const char *path, const char *const *known,
                    const char *const *more, struct al_snapshot_error *err) {
    const char *key;
    const struct al__json *value;
    char p[AL__PATH_SIZE];

    if (!al__json_is(obj, AL__JSON_OBJECT)) /* an array's items have no keys (found by fuzzing) */
        return al__fail(err, path[0] ? path : "(document)", "must be an object");
    /* json_object_foreach takes a non-const object; iteration does not modify it. */
    al__json_object_foreach(obj, key, value) {
        (void)value;
        if (!key_known(key, known) && !(more && key_known(key, more))) {
            al__path_key(p, path, key);
            return al__fail(err, p, "unknown field");
        }
    }
    return 0;
}

int al__want_object(const struct al__json *v, const char *path, struct al_snapshot_error *err) {
    if (!al__json_is(v, AL__JSON_OBJECT))
        return al__fail(err, path, "must be an object");
    return 0;
}

int al__want_array(const struct al__json *v, const char *path, struct al_snapshot_error *err) {
    if (!al__json_is(v, AL__JSON_ARRAY))
        return al__fail(err, path, "must be an array");
    return 0;
}

static int check_range(int64_t x, const char *path, int64_t min, int64_t max,
                       struct al_snapshot_error *err) {
    if (x < min)
        return al__fail(err, path, "must be >= %lld", (long long)min);
    if (x > max)
        return al__fail(err, path, "must be <= %lld", (long long)max);
    return 0;
}

int al__read_int(const struct al__json *v, const char *path, int64_t min, int64_t max, int64_t *out,
                 struct al_snapshot_error *err) {
    int64_t x;

    if (al__json_is(v, AL__JSON_INTEGER)) {
        x = (int64_t)(v)->u.integer;
    } else if (al__json_is(v, AL__JSON_REAL)) {
        double d = (v)->u.real;
        if (d != floor(d))
            return al__fail(err, path, "must be an integer");
        /* Doubles beyond +-9e18 would not convert; they are out of range anyway. */
        if (d < -9.0e18)
            return al__fail(err, path, "must be >= %lld", (long long)min);
        if (d > 9.0e18)
            return al__fail(err, path, "must be <= %lld", (long long)max);
        x = (int64_t)d;
    } else {
        return al__fail(err, path, "must be an integer");
    }
    if (check_range(x, path, min, max, err) < 0)
        return -AL_EINVAL;
    *out = x;
    return 0;
}

int al__read_number(const struct al__json *v, const char *path, double *out,
                    struct al_snapshot_error *err) {
    if (!al__json_is_number(v))
        return al__fail(err, path, "must be a number");
    *out = al__json_number(v);
    return 0;
}

int al__read_scaled(const struct al__json *v, const char *path, double max, int64_t scale,
                    int64_t *out, struct al_snapshot_error *err) {
    double d = 0;

    if (al__read_number(v, path, &d, err) < 0)
        return -AL_EINVAL;
    if (!(d >= 0 && d <= max))
        return al__fail(err, path, "must be between 0 and %g", max);
    *out = (int64_t)llround(d * (double)scale);
    return 0;
}

int al__read_string(const struct al__json *v, const char *path, bool nonempty, const char **out,
                    struct al_snapshot_error *err) {
    if (!al__json_is(v, AL__JSON_STRING))
        return al__fail(err, path, "must be a string");
    if (nonempty && (v)->count == 0)
        return al__fail(err, path, "must not be empty");
    *out = al__json_string(v);
    return 0;
}

int al__read_bool(const struct al__json *v, const char *path, bool *out,
                  struct al_snapshot_error *err) {
    if (!al__json_is_bool(v))
        return al__fail(err, path, "must be true or false");
    *out = al__json_is(v, AL__JSON_TRUE);
    return 0;
}

int al__read_gpus(const struct al__json *v, const char *path, bool unlimited_ok, int64_t max_gpus,
                  int64_t *out, struct al_snapshot_error *err) {
    double d = 0;

    if (al__read_number(v, path, &d, err) < 0)
        return -AL_EINVAL;
    if (unlimited_ok && d == -1.0) {
        *out = AL_UNLIMITED;
        return 0;
    }
    if (d < 0)
        return al__fail(err, path,
                        unlimited_ok ? "must be >= 0 or -1 (unlimited)" : "must be >= 0");
    if (d > (double)max_gpus)
        return al__fail(err, path, "must be <= %lld", (long long)max_gpus);
    *out = (int64_t)llround(d * 1000.0);
    return 0;
}

int al__member_int(const struct al__json *obj, const char *base, const char *key, bool required,
                   int64_t min, int64_t max, int64_t *out, struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const struct al__json *v = al__json_get(obj, key);

    al__path_key(p, base, key);
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    return al__read_int(v, p, min, max, out, err);
}

int al__member_int32(const struct al__json *obj, const char *base, const char *key, bool required,
                     int64_t min, int64_t max, int32_t *out, struct al_snapshot_error *err) {
    int64_t x = *out;
    int rc = al__member_int(obj, base, key, required, min < INT32_MIN ? INT32_MIN : min,
                            max > INT32_MAX ? INT32_MAX : max, &x, err);
    if (rc == 0)
        *out = (int32_t)x;
    return rc;
}

int al__member_string(const struct al__json *obj, const char *base, const char *key, bool required,
                      const char **out, struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const struct al__json *v = al__json_get(obj, key);

    al__path_key(p, base, key);
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    return al__read_string(v, p, required, out, err);
}

int al__member_bool(const struct al__json *obj, const char *base, const char *key, bool required,
                    bool *out, struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const struct al__json *v = al__json_get(obj, key);

    al__path_key(p, base, key);
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    return al__read_bool(v, p, out, err);
}

static int member_typed(const struct al__json *obj, const char *base, const char *key,
                        bool required, bool want_array, const struct al__json **out,
                        struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const struct al__json *v = al__json_get(obj, key);

    al__path_key(p, base, key);
    *out = NULL;
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    if ((want_array ? al__want_array(v, p, err) : al__want_object(v, p, err)) < 0)
        return -AL_EINVAL;
    *out = v;
    return 0;
}

int al__member_array(const struct al__json *obj, const char *base, const char *key, bool required,
                     const struct al__json **out, struct al_snapshot_error *err) {
    return member_typed(obj, base, key, required, true, out, err);
}

int al__member_object(const struct al__json *obj, const char *base, const char *key, bool required,
                      const struct al__json **out, struct al_snapshot_error *err) {
    return member_typed(obj, base, key, required, false, out, err);
}

int al__dup(char **out, const char *s, const char *path, struct al_snapshot_error *err) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);

    if (!copy)
        return al__fail_nomem(err, path);
    memcpy(copy, s, n);
    *out = copy;
    return 0;
}
