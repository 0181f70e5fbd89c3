/* usage_text.h - time-based fair share in words, for `allot top` and `allot project describe`
 * (usage_text.c): a queue's recent usage and what it did to its fair share. */
#ifndef ALLOT_CLI_USAGE_TEXT_H
#define ALLOT_CLI_USAGE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* al__cli_usage_settings - "k 1, window 7d, half-life 1d" from a queue's status.usage; false
 * (buf "") when the queue has none (allotd keeps no usage). */
bool al__cli_usage_settings(const json_t *queue, char *buf, size_t size);

/*
 * al__cli_usage_effect - the queue's usage and its effect on the GPU fair share:
 * "GPU 0.42, CPU 0.10, memory 0.00 of the cluster; over-quota GPUs lowered from 3 to 1 (fair
 * share 5 -> 3)", "...; fair share unchanged", or "...; no effect (k 0)". false (buf "") when
 * the queue has no status.usage.
 */
bool al__cli_usage_effect(const json_t *queue, char *buf, size_t size);

/* al__cli_usage_pools - "a100 GPU 0.93, CPU 0.10, memory 0.05; h100 ..." from a queue's
 * status.usage.pools (its usage in each node pool, a share of that pool); false (buf "") when
 * it has none. */
bool al__cli_usage_pools(const json_t *queue, char *buf, size_t size);

#endif
