/* enforcement.h - whether a workload's GPU limits are enforced, for its API object
 * (enforcement.c; docs/api.md, "enforcement"). */
#ifndef ALLOT_DAEMON_ENFORCEMENT_H
#define ALLOT_DAEMON_ENFORCEMENT_H

#include <jansson.h>

struct allotd;
struct al__dworkload;

/*
 * al__enforcement_json - {"active", "reason", "library", "memory_limit_mib"}: active when its
 * tasks hold a share of a device, the workload did not opt out and the backend runs them under
 * liballot-cuda.so (library: its path); otherwise reason says why not. memory_limit_mib: the
 * cap per device (a memory request's MiB; for a portion, that share of the memory of the first
 * device of its first placed task), null when not known yet. Under allotd's lock. Aborts on
 * out-of-memory (allotd's policy).
 */
json_t *al__enforcement_json(const struct allotd *d, const struct al__dworkload *w);

#endif
