/* selector.c - label selectors (kubectl's -l): parsed once, matched against API objects. */
#include <stdio.h>
#include <string.h>

#include "cli/selector.h"
#include "cli/util.h"

/* Copies text[0..n) into dst of `size`; false when empty or too long. */
static bool take(char *dst, size_t size, const char *text, size_t n, bool empty_ok) {
    if ((n == 0 && !empty_ok) || n >= size)
        return false;
    memcpy(dst, text, n);
    dst[n] = '\0';
    return true;
}

int al__cli_selector_parse(const char *text, struct al__cli_selector *s, char *err, size_t size) {
    memset(s, 0, sizeof(*s));
    for (const char *p = text; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (s->count == AL__CLI_SELECTOR_MAX) {
            snprintf(err, size, "at most %d terms", AL__CLI_SELECTOR_MAX);
            return -1;
        }
        struct al__cli_selector_term *t = &s->terms[s->count];
        const char *ne = memchr(p, '!', len), *eq = memchr(p, '=', len);
        bool ok;
        if (ne && ne == p && !eq) { /* !KEY */
            t->op = AL__SEL_ABSENT;
            ok = take(t->key, sizeof(t->key), p + 1, len - 1, false);
        } else if (ne && eq == ne + 1) { /* KEY!=VALUE */
            t->op = AL__SEL_NE;
            ok = take(t->key, sizeof(t->key), p, (size_t)(ne - p), false) &&
                 take(t->value, sizeof(t->value), eq + 1, len - (size_t)(eq + 1 - p), true);
        } else if (eq && !ne) { /* KEY=VALUE, KEY==VALUE */
            const char *v = eq + 1 < p + len && eq[1] == '=' ? eq + 2 : eq + 1;
            t->op = AL__SEL_EQ;
            ok = take(t->key, sizeof(t->key), p, (size_t)(eq - p), false) &&
                 take(t->value, sizeof(t->value), v, len - (size_t)(v - p), true);
        } else if (!eq && !ne) { /* KEY */
            t->op = AL__SEL_EXISTS;
            ok = take(t->key, sizeof(t->key), p, len, false);
        } else {
            ok = false;
        }
        if (!ok || strpbrk(t->key, " =!") || strpbrk(t->value, " =!")) {
            snprintf(err, size, "'%.*s' is not KEY=VALUE, KEY!=VALUE, KEY or !KEY", (int)len, p);
            return -1;
        }
        s->count++;
        p = end ? end + 1 : p + len;
    }
    return 0;
}

bool al__cli_selector_matches(const struct al__cli_selector *s, const json_t *object) {
    const json_t *labels = json_object_get(object, "labels");

    for (size_t i = 0; i < s->count; i++) {
        const char *have = al__cli_json_str(labels, s->terms[i].key, NULL);
        switch (s->terms[i].op) {
        case AL__SEL_EQ:
            if (!have || strcmp(have, s->terms[i].value) != 0)
                return false;
            break;
        case AL__SEL_NE:
            if (have && strcmp(have, s->terms[i].value) == 0)
                return false;
            break;
        case AL__SEL_EXISTS:
            if (!have)
                return false;
            break;
        case AL__SEL_ABSENT:
            if (have)
                return false;
            break;
        }
    }
    return true;
}

void al__cli_selector_filter(const struct al__cli_selector *s, json_t *items) {
    for (size_t i = json_array_size(items); s->count > 0 && i-- > 0;)
        if (!al__cli_selector_matches(s, json_array_get(items, i)))
            json_array_remove(items, i);
}
