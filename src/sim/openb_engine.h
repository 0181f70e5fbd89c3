/* openb_engine.h - the openb replay through allot's own engine: the arrivals, in order, as one
 * cycle's pending one-task jobs (oldest first, one project without quota) placed by the
 * allocate action under a placement policy - what allotd itself would decide, one pod at a
 * time, none ever leaving: the replay the FGD paper's simulator makes. */
#ifndef ALLOT_SIM_OPENB_ENGINE_H
#define ALLOT_SIM_OPENB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "allot/model.h"
#include "sim/openb.h"

/*
 * al__openb_engine_place - where the engine places the pods t->pods[order[0..count)] arriving in
 * that order: node[i] (an index into t->nodes, -1 when it fitted nowhere) and gpu_mask[i] (bit
 * g: device g), both of count entries. Devices are 1000 milli-GPU; a gpu_spec becomes a node
 * affinity on the node's model. Returns 0, or a negative AL_E code with a message in err.
 */
int al__openb_engine_place(const struct al__openb_trace *t, const int32_t *order, size_t count,
                           enum al_placement placement, int32_t *node, uint32_t *gpu_mask,
                           char *err, size_t err_size);

#endif
