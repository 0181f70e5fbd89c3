/* body_path.c - the field path at a byte offset of a JSON body (see body_path.h). */
#include <stdbool.h>
#include <stdio.h>

#include "daemon/body_path.h"

#define MAX_LEVELS 64

struct level {
    bool object;
    bool in_value;       /* object: past the ':' of the current member */
    size_t key, key_len; /* object: the current member's key, as written */
    size_t index;        /* array: the current item */
};

/* Skips the string whose opening quote is at text[i]; returns the offset of its closing quote
 * (or pos when it runs past pos). */
static size_t string_end(const char *text, size_t i, size_t pos) {
    for (i++; i < pos; i++) {
        if (text[i] == '\\')
            i++;
        else if (text[i] == '"')
            return i;
    }
    return pos;
}

/* Appends ".key" (or "key" first) for an object level, "[index]" for an array level. */
static void append(char *out, size_t size, size_t *used, const char *text, const struct level *l) {
    if (*used >= size)
        return;
    int w;
    if (l->object)
        w = snprintf(out + *used, size - *used, "%s%.*s", *used ? "." : "", (int)l->key_len,
                     text + l->key);
    else
        w = snprintf(out + *used, size - *used, "[%zu]", l->index);
    *used = w < 0 ? size : *used + (size_t)w;
}

void al__body_path_at(const char *text, size_t pos, char *out, size_t size) {
    struct level levels[MAX_LEVELS];
    size_t depth = 0, deeper = 0; /* deeper: levels past MAX_LEVELS, not tracked */

    if (size == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < pos; i++) {
        struct level *top = depth ? &levels[depth - 1] : NULL;
        char c = text[i];
        if (c == '"') {
            size_t end = string_end(text, i, pos);
            if (top && top->object && !top->in_value && !deeper) {
                top->key = i + 1;
                top->key_len = end - i - 1;
            }
            i = end;
        } else if (c == '{' || c == '[') {
            if (depth == MAX_LEVELS || deeper) {
                deeper++;
                continue;
            }
            levels[depth++] = (struct level){.object = c == '{'};
        } else if (c == '}' || c == ']') {
            if (deeper)
                deeper--;
            else if (depth)
                depth--;
        } else if (c == ':' && top && top->object && !deeper) {
            top->in_value = true;
        } else if (c == ',' && top && !deeper) {
            if (top->object)
                top->in_value = false;
            else
                top->index++;
        }
    }
    size_t used = 0;
    for (size_t k = 0; k < depth; k++) {
        const struct level *l = &levels[k];
        if (l->object && !l->in_value)
            break;
        append(out, size, &used, text, l);
    }
}
