/* test_cycle_differential.c - whole cycles on thousands of random small clusters (every action,
 * random configuration) run twice: once with the straightforward placement scan of
 * tests/support/reference.c in place of the node index, once as built; every decision and
 * explanation must agree. Every pop of the job queue is also checked against a pick computed
 * from scratch. The reference run also settles no job in bulk (every job has no class,
 * job_classes.h): jobs settled together must end as if each had been tried in turn. Built with
 * -Wl,--wrap=al__placement_find,--wrap=al__job_queue_pop,--wrap=al__job_classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "allot/errors.h"
#include "engine/job_classes.h"
#include "engine/job_steps.h"
#include "engine/placement.h"
#include "engine/session.h"
#include "support/builder.h"
#include "support/reference.h"

bool __real_al__placement_find(struct al__session *s, int32_t t,
                               const struct al__place_options *opt, struct al__choice *out);
bool __wrap_al__placement_find(struct al__session *s, int32_t t,
                               const struct al__place_options *opt, struct al__choice *out);
int32_t __real_al__job_queue_pop(struct al__session *s, struct al__job_queue *jq);
int32_t __wrap_al__job_queue_pop(struct al__session *s, struct al__job_queue *jq);
int __real_al__job_classes(struct al__session *s);
int __wrap_al__job_classes(struct al__session *s);

static bool reference_placement; /* the run being made: with the scan, or as built */
static long placements, pops, pop_mismatches;

/* Where the options let a placement go, node by node (for the reference). */
static void allowed_nodes(const struct al__session *s, const struct al__place_options *opt,
                          unsigned char *out) {
    for (size_t n = 0; n < s->cluster->node_count; n++)
        out[n] = al__place_allowed(s, opt, (int32_t)n);
}

bool __wrap_al__placement_find(struct al__session *s, int32_t t,
                               const struct al__place_options *opt, struct al__choice *out) {
    placements++;
    if (!reference_placement)
        return __real_al__placement_find(s, t, opt, out);
    unsigned char allowed[64];
    allowed_nodes(s, opt, allowed);
    return ref_placement_find(s, t, opt ? allowed : NULL, out);
}

int32_t __wrap_al__job_queue_pop(struct al__session *s, struct al__job_queue *jq) {
    int32_t want = ref_job_queue_pick(s, jq->in_heap);
    int32_t got = __real_al__job_queue_pop(s, jq);
    pops++;
    pop_mismatches += want != got;
    return got;
}

int __wrap_al__job_classes(struct al__session *s) {
    if (!reference_placement || s->job_class)
        return __real_al__job_classes(s);
    s->job_class = al__arena_array_raw(&s->arena, s->cluster->job_count + 1, sizeof(int32_t));
    if (!s->job_class)
        return -AL_ENOMEM;
    for (size_t j = 0; j < s->cluster->job_count; j++)
        s->job_class[j] = -1; /* every job on its own */
    s->class_count = 0;
    return 0;
}

static uint64_t rng;

static uint32_t next(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

/* Appends `count` instances of `profile` to *migs (a node's offer or a task's ask). */
static void add_mig(struct al_mig **migs, size_t *mig_count, const char *profile, int32_t count) {
    struct al_mig *grown = realloc(*migs, (*mig_count + 1) * sizeof(**migs));
    if (!grown)
        abort();
    *migs = grown;
    grown[*mig_count].profile = strdup(profile);
    if (!grown[*mig_count].profile)
        abort();
    grown[(*mig_count)++].count = count;
}

static const char *const mig_profiles[] = {"1g.10gb", "2g.20gb", "3g.40gb"};

/* Task t (just built) asks 1..2 profiles instead of devices: alike asks make alike jobs. */
static void ask_mig(struct al_task *t) {
    t->gpus = t->gpu_milli = 0;
    t->gpu_memory_mib = 0;
    int first = (int)next(3);
    add_mig(&t->migs, &t->mig_count, mig_profiles[first], 1 + (int32_t)next(2));
    if (first < 2 && next(3) == 0)
        add_mig(&t->migs, &t->mig_count, mig_profiles[2], 1);
}

/* Some pending jobs get 1..4 copies (same queue, priority, minimum and tasks): jobs of one class
 * (job_classes.h) that the engine may settle together. */
static void copy_pending_jobs(struct al_cluster *c) {
    size_t originals = c->job_count;
    for (size_t j = 0; j < originals; j++) {
        const struct al_job *job = &c->jobs[j];
        if (job->has_started || next(3) != 0)
            continue;
        for (int k = 1 + (int)next(4); k > 0; k--) {
            char name[40];
            snprintf(name, sizeof(name), "%s-copy%d", c->jobs[j].name, k);
            tb_job(c, name, c->queues[c->jobs[j].queue].name, c->jobs[j].priority,
                   c->jobs[j].min_members);
            c->jobs[c->job_count - 1].created_s = c->jobs[j].created_s + (int64_t)next(3);
            for (size_t i = 0; i < c->jobs[j].task_count; i++) {
                const struct al_task *t = &c->tasks[c->jobs[j].first_task + i];
                snprintf(name, sizeof(name), "%s-copy%d-%zu", c->jobs[j].name, k, i);
                tb_task(c, name, AL_TASK_PENDING, NULL, t->gpus, t->gpu_milli, NULL);
                struct al_task *copy = &c->tasks[c->task_count - 1];
                t = &c->tasks[c->jobs[j].first_task + i]; /* tb_task may move the array */
                copy->gpu_memory_mib = t->gpu_memory_mib;
                for (size_t m = 0; m < t->mig_count; m++)
                    add_mig(&copy->migs, &copy->mig_count, t->migs[m].profile, t->migs[m].count);
            }
        }
    }
}

/* A random cluster: 2..5 nodes (some with labels, mixed device memory), a department and
 * project tree with quotas and limits, running (some releasing or pipelined-free) and pending
 * jobs of mixed priorities, gangs and elastic jobs, whole, fractional and memory requests; with
 * `mig`, nodes also offer MIG instances and some tasks ask them instead (some held, some being
 * released). */
static void random_cluster(struct al_cluster *c, bool mig) {
    char name[32], parent[32], leaf[9][32];
    int32_t used[6][4] = {{0}}; /* per node and device: milli held */
    tb_init(c);
    int nodes = 2 + (int)next(4);
    for (int n = 0; n < nodes; n++) {
        snprintf(name, sizeof(name), "n%d", n);
        int32_t id = tb_node(c, name, 4, 32000, 64000000000LL);
        tb_gpu_memory(c, id, next(2) ? 800 : 400);
        if (next(2))
            tb_label(c, id, "zone", next(2) ? "a" : "b");
        for (int k = 0; mig && k < 3; k++)
            if (next(3) != 0)
                add_mig(&c->nodes[id].migs, &c->nodes[id].mig_count, mig_profiles[k],
                        1 + (int32_t)next(3));
    }
    int leaves = 0, depts = 1 + (int)next(3);
    for (int d = 0; d < depts; d++) {
        snprintf(parent, sizeof(parent), "d%d", d);
        tb_queue(c, parent, NULL, 1000 * (int64_t)next(8), -1, 1 + next(3), 100);
        for (int p = 0; p < 1 + (int)next(3); p++) {
            snprintf(leaf[leaves], sizeof(leaf[0]), "d%d-p%d", d, p);
            tb_queue(c, leaf[leaves], parent, 1000 * (int64_t)next(6),
                     next(4) ? -1 : 1000 * (int64_t)(2 + next(10)), 1 + next(3), 100);
            if (next(6) == 0) {
                c->queues[c->queue_count - 1].has_reclaim_min_runtime = true;
                c->queues[c->queue_count - 1].reclaim_min_runtime_s = 30;
            }
            leaves++;
        }
    }
    int jobs = 3 + (int)next(10);
    for (int j = 0; j < jobs; j++) {
        int tasks = 1 + (int)next(3), kind = (int)next(3);
        bool running = next(2);
        snprintf(name, sizeof(name), "j%d", j);
        tb_job(c, name, leaf[next((uint32_t)leaves)], 50 + 25 * (int)next(3),
               (int)next((uint32_t)tasks + 1));
        c->jobs[c->job_count - 1].created_s = -(int64_t)next(100);
        if (running) {
            c->jobs[c->job_count - 1].has_started = true;
            c->jobs[c->job_count - 1].started_s = -(int64_t)next(60);
        }
        for (int t = 0; t < tasks; t++) {
            char task[40];
            int32_t n = (int32_t)next((uint32_t)nodes), d = -1, milli = kind == 1 ? 250 : 0;
            snprintf(task, sizeof(task), "j%d-%d", j, t);
            for (int32_t g = 0; running && g < 4 && d < 0; g++)
                if (used[n][g] + (kind == 1 ? milli : 1000) <= 1000)
                    d = g;
            if (running && mig && c->nodes[n].mig_count > 0 && next(3) == 0) {
                const struct al_mig *offer =
                    &c->nodes[n].migs[next((uint32_t)c->nodes[n].mig_count)];
                snprintf(parent, sizeof(parent), "n%d", n);
                tb_task(c, task, next(3) ? AL_TASK_RUNNING : AL_TASK_RELEASING, parent, 0, 0, NULL);
                struct al_task *held = &c->tasks[c->task_count - 1];
                add_mig(&held->migs, &held->mig_count, offer->profile, 1);
            } else if (d >= 0) {
                used[n][d] += kind == 1 ? milli : 1000;
                snprintf(parent, sizeof(parent), "n%d", n);
                tb_task(c, task, next(8) ? AL_TASK_RUNNING : AL_TASK_RELEASING, parent,
                        kind == 1 ? 0 : 1, milli, &d);
            } else {
                tb_task(c, task, AL_TASK_PENDING, NULL, kind == 1 ? 0 : 1 + (int)next(2), milli,
                        NULL);
                if (kind == 2) {
                    c->tasks[c->task_count - 1].gpus = 0;
                    c->tasks[c->task_count - 1].gpu_memory_mib = 100 * (1 + (int)next(4));
                }
                if (mig && next(2) == 0)
                    ask_mig(&c->tasks[c->task_count - 1]);
            }
        }
    }
    copy_pending_jobs(c);
    const enum al_action all[] = {AL_ACTION_ALLOCATE, AL_ACTION_CONSOLIDATION, AL_ACTION_RECLAIM,
                                  AL_ACTION_PREEMPT, AL_ACTION_STALE_GANG_EVICTION};
    memcpy(c->config.actions, all, sizeof(all));
    c->config.action_count = 5;
    c->config.gpu_placement = next(4) ? AL_BINPACK : AL_SPREAD;
    c->config.gpu_device_placement = next(2) ? AL_BINPACK : AL_SPREAD;
    c->config.shared_gpu_node_preference = next(3) != 0;
}

static bool same_results(const struct al_result *a, const struct al_result *b) {
    if (a->decision_count != b->decision_count || a->explanation_count != b->explanation_count)
        return false;
    for (size_t i = 0; i < a->decision_count; i++) {
        const struct al_decision *x = &a->decisions[i], *y = &b->decisions[i];
        if (x->kind != y->kind || x->task != y->task || x->node != y->node ||
            x->gpu_count != y->gpu_count || x->reason != y->reason || x->by_job != y->by_job ||
            (x->gpu_count && memcmp(x->gpus, y->gpus, x->gpu_count * sizeof(int32_t)) != 0))
            return false;
    }
    for (size_t i = 0; i < a->explanation_count; i++) {
        const struct al_explanation *x = &a->explanations[i], *y = &b->explanations[i];
        if (x->job != y->job || x->reason != y->reason || x->task != y->task ||
            x->placeable != y->placeable || x->needed != y->needed ||
            x->nodes_matching != y->nodes_matching || x->victim_search != y->victim_search ||
            x->victims_protected != y->victims_protected ||
            memcmp(x->best_free, y->best_free, sizeof(x->best_free)) != 0 ||
            x->mig_short != y->mig_short || x->mig_free != y->mig_free ||
            x->mig_releasing != y->mig_releasing)
            return false;
    }
    return true;
}

/* MIG tasks placed and MIG explanations seen by cycles_compared (that the MIG run meets them). */
static long mig_placed, mig_explained;

static long cycles_compared(bool mig, unsigned seeds) {
    long decisions = 0;
    for (unsigned seed = 1; seed <= seeds; seed++) {
        rng = 0xD1B54A32D192ED03ULL * seed;
        struct al_cluster c;
        random_cluster(&c, mig);
        struct al_result want, got;
        reference_placement = true;
        assert_int_equal(al_cycle_run(&c, &want), 0);
        reference_placement = false;
        assert_int_equal(al_cycle_run(&c, &got), 0);
        if (!same_results(&want, &got)) {
            print_error("seed %u%s: the optimised cycle decides differently from the reference\n",
                        seed, mig ? " (MIG)" : "");
            fail();
        }
        decisions += (long)got.decision_count;
        for (size_t t = 0; t < c.task_count; t++)
            mig_placed += c.tasks[t].mig_count > 0 && c.tasks[t].state == AL_TASK_PENDING &&
                          got.tasks[t].state != AL_TASK_PENDING;
        for (size_t i = 0; i < got.explanation_count; i++)
            mig_explained += got.explanations[i].mig_short > 0;
        al_result_release(&want);
        al_result_release(&got);
        al_cluster_release(&c);
    }
    return decisions;
}

static void optimised_cycles_decide_as_the_reference(void **state) {
    (void)state;
    long decisions = cycles_compared(false, 3000);
    if (pop_mismatches > 0) {
        print_error("%ld of %ld job-queue pops differ from the from-scratch pick\n", pop_mismatches,
                    pops);
        fail();
    }
    print_message("%ld decisions, %ld placements, %ld pops compared\n", decisions, placements,
                  pops);
    assert_true(decisions > 3000);
}

/* The same with MIG instances offered, asked, held and being released: alike MIG jobs settled
 * together (job classes) end as if each had been tried, with the same explanations. */
static void optimised_mig_cycles_decide_as_the_reference(void **state) {
    (void)state;
    long decisions = cycles_compared(true, 1500);
    assert_int_equal(pop_mismatches, 0);
    print_message("%ld decisions compared with MIG (%ld MIG tasks placed, %ld explained)\n",
                  decisions, mig_placed, mig_explained);
    assert_true(decisions > 1500 && mig_placed > 500 && mig_explained > 100);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(optimised_cycles_decide_as_the_reference),
        cmocka_unit_test(optimised_mig_cycles_decide_as_the_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
