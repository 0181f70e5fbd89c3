/* json_write.h - builders for writing JSON (jansson): snapshots, results, API replies. */
#ifndef ALLOT_SNAPSHOT_JSON_WRITE_H
#define ALLOT_SNAPSHOT_JSON_WRITE_H

#include <jansson.h>
#include <stdint.h>

#include "allot/model.h"

/*
 * Builders for writing JSON. al__put()/al__push() take ownership of v (NULL, from a failed
 * json_* constructor, included) and return -1 on failure, 0 on success, so a chain of
 * calls can be OR-ed together and checked once. al__finish(v, rc) returns v, or frees it
 * and returns NULL when rc < 0.
 */
int al__put(json_t *obj, const char *key, json_t *v);

/* al__gpus_json - milli-GPU as devices: whole amounts as integers (2), fractions as reals (0.5),
 * AL_UNLIMITED as -1. NULL when out of memory. */
json_t *al__gpus_json(int64_t milli);

/* al__amounts_json - {gpu (devices), cpu_millis, memory_bytes}. NULL when out of memory. */
json_t *al__amounts_json(const int64_t v[AL_RESOURCE_COUNT]);
int al__push(json_t *array, json_t *v);
json_t *al__finish(json_t *v, int rc);

#endif
