/* json_text.h - JSON written in a test, parsed (the test fails, showing it, if it is not JSON). */
#ifndef ALLOT_TESTS_JSON_TEXT_H
#define ALLOT_TESTS_JSON_TEXT_H

#include <jansson.h>

/* tb_json - text parsed; the caller decrefs it. */
json_t *tb_json(const char *text);

#endif
