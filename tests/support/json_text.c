/* json_text.c - JSON written in tests, parsed (see json_text.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/json_text.h"

json_t *tb_json(const char *text) {
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    if (!o)
        fail_msg("test JSON: %s: %s", e.text, text);
    return o;
}
