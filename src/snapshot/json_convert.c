/* json_convert.c - a jansson value as a read-only document (see json_convert.h). */
#include "snapshot/json_convert.h"

#include <string.h>

#include "allot/errors.h"

static const char *copy_string(struct al__arena *a, const char *s, size_t n) {
    char *out = al__arena_array_raw(a, n + 1, 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

static int convert(struct al__arena *a, const json_t *v, struct al__json *out) {
    memset(out, 0, sizeof(*out));
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        struct al__json_member *m = al__arena_array(a, json_object_size(v) + 1, sizeof(*m));
        const char *key;
        json_t *value;
        size_t n = 0;
        if (!m)
            return -AL_ENOMEM;
        json_object_foreach((json_t *)v, key, value) {
            m[n].key = copy_string(a, key, strlen(key));
            if (!m[n].key || convert(a, value, &m[n].value) < 0)
                return -AL_ENOMEM;
            n++;
        }
        out->type = AL__JSON_OBJECT;
        out->count = n;
        out->u.members = m;
        return 0;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        struct al__json *items = al__arena_array(a, n + 1, sizeof(*items));
        if (!items)
            return -AL_ENOMEM;
        for (size_t i = 0; i < n; i++)
            if (convert(a, json_array_get(v, i), &items[i]) < 0)
                return -AL_ENOMEM;
        out->type = AL__JSON_ARRAY;
        out->count = n;
        out->u.items = items;
        return 0;
    }
    case JSON_STRING:
        out->type = AL__JSON_STRING;
        out->count = json_string_length(v);
        out->u.string = copy_string(a, json_string_value(v), out->count);
        return out->u.string ? 0 : -AL_ENOMEM;
    case JSON_INTEGER:
        out->type = AL__JSON_INTEGER;
        out->u.integer = (int64_t)json_integer_value(v);
        return 0;
    case JSON_REAL:
        out->type = AL__JSON_REAL;
        out->u.real = json_real_value(v);
        return 0;
    case JSON_TRUE:
        out->type = AL__JSON_TRUE;
        return 0;
    case JSON_FALSE:
        out->type = AL__JSON_FALSE;
        return 0;
    default:
        out->type = AL__JSON_NULL;
        return 0;
    }
}

int al__json_from_jansson(const json_t *v, struct al__json_doc *doc) {
    struct al__json *root;
    al__json_doc_init(doc);
    root = al__arena_alloc(&doc->arena, sizeof(*root));
    if (!root || convert(&doc->arena, v, root) < 0)
        return -AL_ENOMEM;
    doc->root = root;
    return 0;
}
