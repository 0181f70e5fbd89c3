/* json_convert.h - a jansson value as a read-only document (json_read.h), for callers that hold
 * jansson values (allotd's request bodies) and the parsers that read documents. */
#ifndef ALLOT_SNAPSHOT_JSON_CONVERT_H
#define ALLOT_SNAPSHOT_JSON_CONVERT_H

#include <jansson.h>

#include "snapshot/json_read.h"

/* al__json_from_jansson - *doc = a copy of v (release it with al__json_doc_release, also on
 * failure). Errors: -AL_ENOMEM. O(size of v). */
int al__json_from_jansson(const json_t *v, struct al__json_doc *doc);

#endif
