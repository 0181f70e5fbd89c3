/* yaml_out.c - a JSON document written as YAML (-o yaml), through libyaml's emitter so that
 * strings are quoted where YAML needs it. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "cli/yaml_out.h"

static int scalar(yaml_emitter_t *e, const char *text, yaml_scalar_style_t style) {
    yaml_event_t ev;

    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
                                      style))
        return -1;
    return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit(yaml_emitter_t *e, const json_t *v) {
    yaml_event_t ev;
    char buf[64];

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        const json_t *member;
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return -1;
        json_object_foreach((json_t *)v, key, member) {
            if (scalar(e, key, YAML_ANY_SCALAR_STYLE) < 0 || emit(e, member) < 0)
                return -1;
        }
        if (!yaml_mapping_end_event_initialize(&ev))
            return -1;
        return yaml_emitter_emit(e, &ev) ? 0 : -1;
    }
    case JSON_ARRAY: {
        size_t i;
        const json_t *item;
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return -1;
        json_array_foreach(v, i, item) {
            if (emit(e, item) < 0)
                return -1;
        }
        if (!yaml_sequence_end_event_initialize(&ev))
            return -1;
        return yaml_emitter_emit(e, &ev) ? 0 : -1;
    }
    case JSON_STRING: {
        /* a string that reads as another type ("true", "42", "null") keeps its quotes */
        const char *s = json_string_value(v);
        json_t *as = json_loads(s, JSON_DECODE_ANY, NULL);
        bool other = as != NULL || strcmp(s, "~") == 0 || strcmp(s, "yes") == 0 ||
                     strcmp(s, "no") == 0 || s[0] == '\0';
        json_decref(as);
        return scalar(e, s, other ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
    }
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
        return scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
    case JSON_TRUE:
        return scalar(e, "true", YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return scalar(e, "false", YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
    default:
        return scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
    }
}

int al__cli_yaml_write(const json_t *doc, FILE *out) {
    yaml_emitter_t e;
    yaml_event_t ev;
    int rc = -1;

    if (!yaml_emitter_initialize(&e))
        return -1;
    yaml_emitter_set_output_file(&e, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&e, &ev) &&
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
        yaml_emitter_emit(&e, &ev) && emit(&e, doc) == 0 &&
        yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
        yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) &&
        yaml_emitter_flush(&e))
        rc = 0;
    yaml_emitter_delete(&e);
    return rc;
}
