/* report.h - results of a cycle for people and programs: amounts, explanation lines, JSON. */
#ifndef ALLOT_SNAPSHOT_REPORT_H
#define ALLOT_SNAPSHOT_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "allot/cycle.h"
#include "allot/model.h"

/*
 * al_amount_text - an amount in engine units as text: GPUs as devices ("8", "0.5",
 * "1.25"), CPU as cores ("1.5 cores", "1 core"), memory with a binary unit ("16 GiB",
 * "512 MiB", "100 bytes"). AL_UNLIMITED (-1) is "unlimited". `unit` adds " GPU"/" GPUs"
 * to GPU amounts (CPU and memory always carry theirs). Always NUL-terminates buf.
 */
void al_amount_text(enum al_resource resource, int64_t amount, bool unit, char *buf, size_t size);

/*
 * al_explanation_text - one line (no newline) saying why a job is pending, e.g.
 * "queue team-a over its GPU limit: allocated 8, requested 2, limit 8". Writes like
 * snprintf (truncating, always NUL-terminated when size > 0) and returns the length
 * the whole line needs. Indices in the explanation must be valid for `cluster`.
 */
size_t al_explanation_text(const struct al_cluster *cluster, const struct al_explanation *e,
                           char *buf, size_t size);

/*
 * al_decision_text - one line (no newline) saying why a task is evicted, e.g.
 * "reclaimed by job train-b of queue team-b: team-a over its fair share 4 GPUs with 6
 * allocated", "preempted by job serve-1 (priority 125 over 50)", "moved by consolidation
 * to make room for job big-1", "stale gang: below its minimum past the grace period".
 * Empty for decisions other than evictions. Writes and returns like al_explanation_text.
 */
size_t al_decision_text(const struct al_cluster *cluster, const struct al_decision *d, char *buf,
                        size_t size);

/*
 * al__explanations_by_name - the result's explanations in job-name order (then job order), as
 * indices into result->explanations: malloc'd, the caller frees it; NULL when out of memory.
 * For what people read; the engine lists them in job order.
 */
int32_t *al__explanations_by_name(const struct al_cluster *cluster, const struct al_result *result);

/*
 * al_result_json - the result as a JSON object: decisions (kind, task, job, node, gpus,
 * reason), pending (one per explanation: job, reason code, its numbers, message) and
 * queues (fair share, allocated, requested; GPUs as devices). The caller owns the
 * object (json_decref). NULL when out of memory.
 */
json_t *al_result_json(const struct al_cluster *cluster, const struct al_result *result);

#endif
