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

void al__path_key(char out[AL__PATH_SIZE], const char *base, const char *key) {
    if (base[0])
        snprintf(out, AL__PATH_SIZE, "%s.%s", base, key);
    else
        snprintf(out, AL__PATH_SIZE, "%s", key);
}

void al__path_index(char out[AL__PATH_SIZE], const char *base, size_t index) {
    snprintf(out, AL__PATH_SIZE, "%s[%zu]", base, index);
}

void al__path_format(char out[AL__PATH_SIZE], const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, AL__PATH_SIZE, fmt, ap);
    va_end(ap);
}

static bool key_known(const char *key, const char *const *known) {
    for (size_t i = 0; known[i]; i++)
        if (strcmp(known[i], key) == 0)
            return true;
    return false;
}

int al__check_keys(const json_t *obj, const char *path, const char *const *known,
                   struct al_snapshot_error *err) {
    return al__check_keys2(obj, path, known, NULL, err);
}

int al__check_keys2(const json_t *obj, const char *path, const char *const *known,
                    const char *const *more, struct al_snapshot_error *err) {
    const char *key;
    json_t *value;
    char p[AL__PATH_SIZE];

    /* json_object_foreach takes a non-const object; iteration does not modify it. */
    json_object_foreach((json_t *)obj, key, value) {
        (void)value;
        if (!key_known(key, known) && !(more && key_known(key, more))) {
            al__path_key(p, path, key);
            return al__fail(err, p, "unknown field");
        }
    }
    return 0;
}

int al__want_object(const json_t *v, const char *path, struct al_snapshot_error *err) {
    if (!json_is_object(v))
        return al__fail(err, path, "must be an object");
    return 0;
}

int al__want_array(const json_t *v, const char *path, struct al_snapshot_error *err) {
    if (!json_is_array(v))
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

int al__read_int(const json_t *v, const char *path, int64_t min, int64_t max, int64_t *out,
                 struct al_snapshot_error *err) {
    int64_t x;

    if (json_is_integer(v)) {
        x = (int64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
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

int al__read_number(const json_t *v, const char *path, double *out, struct al_snapshot_error *err) {
    if (!json_is_number(v))
        return al__fail(err, path, "must be a number");
    *out = json_number_value(v);
    return 0;
}

int al__read_string(const json_t *v, const char *path, bool nonempty, const char **out,
                    struct al_snapshot_error *err) {
    if (!json_is_string(v))
        return al__fail(err, path, "must be a string");
    if (nonempty && json_string_length(v) == 0)
        return al__fail(err, path, "must not be empty");
    *out = json_string_value(v);
    return 0;
}

int al__read_bool(const json_t *v, const char *path, bool *out, struct al_snapshot_error *err) {
    if (!json_is_boolean(v))
        return al__fail(err, path, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

int al__read_gpus(const json_t *v, const char *path, bool unlimited_ok, int64_t max_gpus,
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

int al__member_int(const json_t *obj, const char *base, const char *key, bool required, int64_t min,
                   int64_t max, int64_t *out, struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const json_t *v = json_object_get(obj, key);

    al__path_key(p, base, key);
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    return al__read_int(v, p, min, max, out, err);
}

int al__member_int32(const json_t *obj, const char *base, const char *key, bool required,
                     int64_t min, int64_t max, int32_t *out, struct al_snapshot_error *err) {
    int64_t x = *out;
    int rc = al__member_int(obj, base, key, required, min < INT32_MIN ? INT32_MIN : min,
                            max > INT32_MAX ? INT32_MAX : max, &x, err);
    if (rc == 0)
        *out = (int32_t)x;
    return rc;
}

int al__member_string(const json_t *obj, const char *base, const char *key, bool required,
                      const char **out, struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const json_t *v = json_object_get(obj, key);

    al__path_key(p, base, key);
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    return al__read_string(v, p, required, out, err);
}

int al__member_bool(const json_t *obj, const char *base, const char *key, bool required, bool *out,
                    struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const json_t *v = json_object_get(obj, key);

    al__path_key(p, base, key);
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    return al__read_bool(v, p, out, err);
}

static int member_typed(const json_t *obj, const char *base, const char *key, bool required,
                        bool want_array, const json_t **out, struct al_snapshot_error *err) {
    char p[AL__PATH_SIZE];
    const json_t *v = json_object_get(obj, key);

    al__path_key(p, base, key);
    *out = NULL;
    if (!v)
        return required ? al__fail(err, p, "required field is missing") : 0;
    if ((want_array ? al__want_array(v, p, err) : al__want_object(v, p, err)) < 0)
        return -AL_EINVAL;
    *out = v;
    return 0;
}

int al__member_array(const json_t *obj, const char *base, const char *key, bool required,
                     const json_t **out, struct al_snapshot_error *err) {
    return member_typed(obj, base, key, required, true, out, err);
}

int al__member_object(const json_t *obj, const char *base, const char *key, bool required,
                      const json_t **out, struct al_snapshot_error *err) {
    return member_typed(obj, base, key, required, false, out, err);
}

int al__put(json_t *obj, const char *key, json_t *v) {
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v) < 0 ? -1 : 0;
}

int al__push(json_t *array, json_t *v) {
    if (!v)
        return -1;
    return json_array_append_new(array, v) < 0 ? -1 : 0;
}

json_t *al__finish(json_t *v, int rc) {
    if (rc < 0) {
        json_decref(v);
        return NULL;
    }
    return v;
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

json_t *al__gpus_json(int64_t milli) {
    if (milli == AL_UNLIMITED || milli % 1000 == 0)
        return json_integer(milli == AL_UNLIMITED ? -1 : milli / 1000);
    return json_real((double)milli / 1000.0);
}

json_t *al__amounts_json(const int64_t v[AL_RESOURCE_COUNT]) {
    json_t *o = json_object();
    int rc = o ? 0 : -1;

    rc |= al__put(o, "gpu", al__gpus_json(v[AL_GPU]));
    rc |= al__put(o, "cpu_millis", json_integer(v[AL_CPU]));
    rc |= al__put(o, "memory_bytes", json_integer(v[AL_MEMORY]));
    return al__finish(o, rc);
}
