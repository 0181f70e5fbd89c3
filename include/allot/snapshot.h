/* snapshot.h - the snapshot JSON format (conformance/SCHEMA.md) read into and written from the
 * model. */
#ifndef ALLOT_SNAPSHOT_H
#define ALLOT_SNAPSHOT_H

#include <stddef.h>

#include "allot/cycle.h"
#include "allot/model.h"

/* Where and why a document was rejected: "nodes[3].gpus: must be >= 0". */
struct al_snapshot_error {
    char path[192];    /* JSON path of the offending value, e.g. "jobs[2].tasks[0].node" */
    char message[256]; /* what is wrong with it */
    int line;          /* line in the text for syntax errors, 0 otherwise */
};

/*
 * al_snapshot_parse - reads a snapshot document (text of `len` bytes) into *cluster.
 * On failure returns -AL_EINVAL (or -AL_ENOMEM), fills *err when it is not NULL and
 * leaves *cluster zeroed. Every field is validated: types, ranges, references
 * between objects, unique names, leaf-only jobs, device capacity of active tasks.
 * The `expect` member, if any, is ignored here (see the scenario API of replay).
 */
int al_snapshot_parse(const char *text, size_t len, struct al_cluster *cluster,
                      struct al_snapshot_error *err);

/*
 * al_snapshot_write - the cluster as a snapshot document (UTF-8 JSON, NUL-terminated,
 * heap-allocated; the caller frees it). Parsing the text gives an equal cluster.
 * Returns NULL when out of memory.
 */
char *al_snapshot_write(const struct al_cluster *cluster);

#endif
