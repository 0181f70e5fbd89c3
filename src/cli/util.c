/* util.c - small helpers of allot's commands: abort-on-failure allocation, JSON members. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/util.h"

static void out_of_memory(void) {
    fprintf(stderr, "allot: out of memory\n");
    exit(AL__EXIT_FAIL);
}

json_t *al__cli_json_take(json_t *value) {
    if (!value)
        out_of_memory();
    return value;
}

void *al__cli_check(void *p) {
    if (!p)
        out_of_memory();
    return p;
}

void al__cli_json_set(json_t *obj, const char *key, json_t *value) {
    if (json_object_set_new(obj, key, al__cli_json_take(value)) < 0)
        out_of_memory();
}

const char *al__cli_json_str(const json_t *obj, const char *key, const char *fallback) {
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : fallback;
}

int64_t al__cli_json_int(const json_t *obj, const char *key, int64_t fallback) {
    const json_t *v = json_object_get(obj, key);

    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) > -9.2e18 && json_real_value(v) < 9.2e18)
        return (int64_t)json_real_value(v);
    return fallback;
}

double al__cli_json_num(const json_t *obj, const char *key, double fallback) {
    const json_t *v = json_object_get(obj, key);

    return json_is_number(v) ? json_number_value(v) : fallback;
}

bool al__cli_json_bool(const json_t *obj, const char *key, bool fallback) {
    const json_t *v = json_object_get(obj, key);

    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

double al__cli_json_path_num(const json_t *obj, const char *path, double fallback) {
    char key[128];
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL) {
        size_t len = (size_t)(dot - path);
        if (len >= sizeof(key))
            return fallback;
        memcpy(key, path, len);
        key[len] = '\0';
        obj = json_object_get(obj, key);
        path = dot + 1;
    }
    return al__cli_json_num(obj, path, fallback);
}

bool al__cli_url_escape(const char *in, char *out, size_t size) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    if (size == 0)
        return false;
    for (; *in; in++) {
        unsigned char c = (unsigned char)*in;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '~';
        size_t need = plain ? 1 : 3;
        if (n + need >= size) {
            out[n] = '\0';
            return false;
        }
        if (plain) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
    return true;
}

void al__cli_appendf(char *buf, size_t size, const char *fmt, ...) {
    size_t len = strnlen(buf, size);
    va_list ap;

    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

int64_t al__cli_now(void) {
    return (int64_t)time(NULL);
}
