/* workload_format.h - how workloads read in allot's tables and descriptions. */
#ifndef ALLOT_CLI_WORKLOAD_FORMAT_H
#define ALLOT_CLI_WORKLOAD_FORMAT_H

#include <jansson.h>
#include <stddef.h>

/*
 * These take an API workload object (members it lacks count as their API defaults) and
 * write a short text, always NUL-terminated, truncated to `size`.
 */

/*
 * al__cli_workload_gpus - the GPU request as one column: the amount per task ("1", "0.5",
 * "20GiB"; "2x0.5" for a fraction on two devices), preceded by "Nx" when it has N > 1
 * workers ("4x1", "4x2x0.5"); "0" when it asks for no GPU.
 */
void al__cli_workload_gpus(const json_t *workload, char *buf, size_t size);

/*
 * al__cli_workload_placement - where its tasks run: "host:0,1" (node and GPU indices), one
 * such word per node ("a:0 b:1,2"), a bare node name when its tasks there have no GPU, or
 * "-" when nothing is placed. Taken from `tasks` when present, else from node and
 * gpu_devices.
 */
void al__cli_workload_placement(const json_t *workload, char *buf, size_t size);

/* al__cli_workload_request - the whole request in words, e.g. "0.5 of each of 2 GPUs, 1.5 CPU
 * cores, 16GiB memory per task; 4 workers (at least 2 together)". */
void al__cli_workload_request(const json_t *workload, char *buf, size_t size);

/* al__cli_workload_state - its state, "2/4 running" while only some of its tasks run. */
void al__cli_workload_state(const json_t *workload, char *buf, size_t size);

/* al__cli_workload_reason_short - why it (or some of its tasks) waits as a short code:
 * allotd's reason_short (QuotaLimit, FairShare, Gang, NoFit, ...), else "" (borrowed). */
const char *al__cli_workload_reason_short(const json_t *workload);

/* "0,1" from a JSON array of device indices; "-" when empty or not an array. */
void al__cli_devices_text(const json_t *devices, char *buf, size_t size);

#endif
