/* fit_policy.h - placement policies for one task over node views (frag.h): the FGD paper's
 * baselines (random, dotprod, packing, bestfit) and FGD itself, each scoring a node and
 * picking the devices inside it, a selection step picking the node; and the names of the two
 * the engine places itself (allot's own, KAI's binpack: al__fit_in_engine). No I/O, no random
 * numbers of its own: the caller passes random values in. */
#ifndef ALLOT_ENGINE_FIT_POLICY_H
#define ALLOT_ENGINE_FIT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "allot/model.h"
#include "engine/frag.h"

enum al__fit_policy {
    AL__FIT_ALLOT,   /* allot's own: the engine's placement under gpu_placement "allot"
                      * (placement_scored.h), what allotd uses */
    AL__FIT_BINPACK, /* KAI Scheduler's default: the engine under gpu_placement "binpack" */
    AL__FIT_RANDOM,  /* a random feasible node, a random device */
    AL__FIT_DOTPROD, /* Tetris' dot product, as the FGD paper's simulator scores it */
    AL__FIT_PACKING, /* shared devices first, then used nodes, then free nodes */
    AL__FIT_BESTFIT, /* least CPU and GPU left after placing */
    AL__FIT_FGD,     /* fragmentation gradient descent, scores normalised to 0..99 */
    AL__FIT_POLICY_COUNT
};

/* al__fit_in_engine - p is placed by allot's engine (a whole cycle: al_cycle_run), not by
 * al__fit_score and al__fit_select; al__fit_engine_placement - the engine's config for it. */
bool al__fit_in_engine(enum al__fit_policy p);
enum al_placement al__fit_engine_placement(enum al__fit_policy p);

/* al__fit_policy_name - "allot", "binpack", "random", ...; NULL for a value out of range. */
const char *al__fit_policy_name(enum al__fit_policy p);

/* al__fit_policy_parse - the policy of that name into *out: 0, or -AL_EINVAL. */
int al__fit_policy_parse(const char *name, enum al__fit_policy *out);

/*
 * al__fit_cacheable - whether al__fit_score's result depends on the node view and the request
 * alone (not on rand_gpu nor on other nodes), so that a caller may keep it until the node
 * changes. True for fgd.
 */
bool al__fit_cacheable(enum al__fit_policy p);

/* A node's score (higher is better; comparable only within one request) and its devices. */
struct al__fit_eval {
    int64_t score;
    uint32_t gpu_mask; /* bit i: device i takes gpu_milli */
};

/*
 * al__fit_score - policy p's score of feasible node n for request r, and the devices r would
 * take there. `node_frag` is al__frag_node(fs, n) when the caller keeps it, or -1 to have it
 * computed; fs may be NULL for policies other than fgd. rand_gpu chooses the device
 * of a fractional request under the random policy. Uses the memo of fs. O(devices) for the
 * baselines; O(devices) memo look-ups for fgd. Not for the
 * engine's policies (al__fit_in_engine).
 */
void al__fit_score(enum al__fit_policy p, struct al__frag_shapes *fs, const struct al__fit_node *n,
                   int64_t node_frag, const struct al__fit_request *r, uint64_t rand_gpu,
                   struct al__fit_eval *out);

/*
 * al__fit_select - which of `count` (> 0) feasible nodes, scored by al__fit_score in the
 * caller's order, policy p places on: the index into scores. Scores are normalised first where
 * the policy's simulator does it (bestfit: to 0..100 over these nodes; `scores` is overwritten);
 * the highest wins, ties going to the lowest ranks[i] (unique per node; NULL: the first
 * candidate). The FGD paper's simulator breaks ties by node name, its names prefixed with a
 * seeded random permutation: ranks from a seeded shuffle reproduce it. The random policy
 * ignores the scores and takes candidate rand_pick % count. O(count).
 */
size_t al__fit_select(enum al__fit_policy p, int64_t *scores, const uint32_t *ranks, size_t count,
                      uint64_t rand_pick);

#endif
