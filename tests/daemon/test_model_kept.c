/* test_model_kept.c - the engine's model kept from cycle to cycle: after any sequence of the
 * changes allotd makes (submits, placements, pipelining, stops, ends, requeues, deletes,
 * removals, stale gangs, invalid placements, a removed queue) it says what a model built whole
 * from the same state says; and a change made behind the state's back is caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/cycle_model.h"
#include "daemon/state.h"
#include "support/rng.h"

enum { NODES = 64, GPUS = 4 };

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t next(uint32_t n) {
    return tb_rng_below(&rng, n);
}

static struct al__node_gpu gpus[NODES][GPUS];
static struct al__node nodes[NODES];

/* allotd with 64 nodes of four 1,000 MiB GPUs and projects a, b, c. */
static void daemon_init(struct allotd *d) {
    memset(d, 0, sizeof(*d));
    for (int n = 0; n < NODES; n++) {
        snprintf(nodes[n].name, sizeof(nodes[n].name), "node-%d", n);
        nodes[n].cpu_millis = 64000;
        nodes[n].memory_bytes = (int64_t)1 << 36;
        for (int g = 0; g < GPUS; g++)
            gpus[n][g].memory_mib = 1000;
        nodes[n].gpus = gpus[n];
        nodes[n].gpu_count = GPUS;
        al__state_node(&d->state, nodes[n].name); /* the inventory's nodes come first */
    }
    d->backend.inventory.nodes = nodes;
    d->backend.inventory.node_count = NODES;
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        struct al__dqueue q = {.id = i + 1, .project = true, .priority = 0};
        snprintf(q.name, sizeof(q.name), "%s", names[i]);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            q.deserved[r] = AL_UNLIMITED;
            q.limit[r] = AL_UNLIMITED;
            q.weight[r] = 1;
        }
        al__state_add_queue(&d->state, &q);
    }
}

static void submit(struct allotd *d, int id) {
    struct al__dworkload *w = calloc(1, sizeof(*w));
    char name[32];
    assert_non_null(w);
    al__workload_sets_init(w);
    w->id = id;
    w->project_id = 1 + (int64_t)next(3);
    snprintf(name, sizeof(name), "w%d", id);
    al__workload_name_set(w, d->state.queues[w->project_id - 1].name, name);
    w->spec.workers = 1 + (int32_t)next(3);
    w->spec.min_members = 1 + (int32_t)next((uint32_t)w->spec.workers);
    w->spec.priority = 50 + 25 * (int32_t)next(3);
    w->spec.preemptible = next(2);
    switch (next(3)) {
    case 0:
        w->spec.gpus = 1;
        break;
    case 1:
        w->spec.gpu_milli = 500;
        w->spec.gpu_device_count = 1;
        break;
    default:
        break; /* CPU only */
    }
    w->spec.cpu_millis = 1000;
    w->created_s = id;
    w->finished_s = -1;
    w->state = AL__W_PENDING;
    al__workload_alloc_tasks(w);
    al__state_add_workload(&d->state, w);
}

/* Places task t: on a device some node has, or (rarely) on one it lacks. */
static void place(struct allotd *d, struct al__dworkload *w, struct al__dtask *t, bool pipelined) {
    t->node = (int32_t)next(NODES);
    bool wants = w->spec.gpus > 0 || w->spec.gpu_milli > 0;
    t->gpu_count = wants ? 1 : 0;
    t->gpus[0] = next(50) == 0 ? GPUS + 1 : (int32_t)next(GPUS);
    t->state = pipelined ? AL__T_PIPELINED : AL__T_RUNNING;
    if (!pipelined && !al__workload_is_active(w))
        w->started_s = 1000 + next(100);
    t->started_s = 1000;
    al__state_add_to(&d->state, AL__HOLDING, w);
    al__workload_refresh_state(&d->state, w);
}

/* One change, as allotd makes it, to a random workload (or a new one). */
static void change(struct allotd *d, int *ids) {
    struct al__state *st = &d->state;
    if (st->workload_count == 0 || next(6) == 0) {
        submit(d, ++*ids);
        return;
    }
    struct al__dworkload *w = st->workloads[next((uint32_t)st->workload_count)];
    struct al__dtask *t = &w->tasks[next((uint32_t)w->spec.workers)];
    switch (next(10)) {
    case 0:
    case 1:
        if (t->state == AL__T_PENDING && w->state != AL__W_DELETING)
            place(d, w, t, next(4) == 0);
        break;
    case 2:
        if (t->state == AL__T_RUNNING) {
            t->state = AL__T_STOPPING;
            t->evicting = next(2);
            al__state_add_to(st, AL__WATCHED, w);
        } else if (t->state == AL__T_PIPELINED) {
            t->state = AL__T_RUNNING;
            al__state_add_to(st, AL__HOLDING, w);
            al__workload_refresh_state(st, w);
        }
        break;
    case 3:
        if (t->state == AL__T_RUNNING || t->state == AL__T_STOPPING) {
            t->state = next(2) ? AL__T_SUCCEEDED : AL__T_FAILED;
            t->finished_s = 2000;
            al__workload_refresh_state(st, w);
        }
        break;
    case 4:
        if (t->state == AL__T_STOPPING) {
            al__task_requeue(st, t);
            al__workload_refresh_state(st, w);
        }
        break;
    case 5:
        if (w->state != AL__W_DELETING) {
            w->state = AL__W_DELETING;
            al__state_add_to(st, AL__WATCHED, w);
        }
        break;
    case 6:
        if (w->state == AL__W_DELETING || w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED ||
            next(2) == 0)
            al__state_remove_workload(st, w);
        break;
    case 7: /* the cycle's pass over holding workloads */
        for (size_t i = 0; i < st->sets[AL__HOLDING].count; i++)
            al__workload_track_stale(st, st->sets[AL__HOLDING].items[i], 3000 + next(10));
        al__state_prune(st, AL__HOLDING);
        al__state_prune(st, AL__WATCHED);
        break;
    case 8: /* suspend (its running tasks would be stopped next), or resume */
        if (w->state == AL__W_PENDING || w->state == AL__W_RUNNING) {
            w->state = AL__W_SUSPENDED;
            al__state_changed(st, w);
        } else if (w->state == AL__W_SUSPENDED) {
            w->state = AL__W_PENDING;
            al__workload_refresh_state(st, w);
        }
        break;
    default:
        submit(d, ++*ids);
        break;
    }
}

static void assert_same(struct allotd *d, struct al__kept_model *k) {
    struct al__cycle_model kept, whole;
    char why[512] = "";
    al__kept_build(d, k, &kept);
    al__model_build(d, &whole);
    if (!al__model_same(&kept, &whole, why, sizeof(why)))
        fail_msg("the kept model differs: %s", why);
    assert_int_equal(d->state.gone_count, 0);
    al__model_release(&whole);
    al__model_release(&kept);
}

static void kept_model_says_what_a_whole_one_says(void **state) {
    struct allotd d;
    struct al__kept_model *k = al__kept_create();
    int ids = 0;
    (void)state;
    daemon_init(&d);
    for (int step = 0; step < 3000; step++) {
        change(&d, &ids);
        if (next(3) == 0)
            change(&d, &ids);
        if (step == 2000) /* queue indices move; c's workloads are left out */
            al__state_remove_queue(&d.state, "b");
        assert_same(&d, k);
    }
    al__kept_free(k);
    al__state_release(&d.state);
}

static void a_quiet_build_reads_nothing_again(void **state) {
    struct allotd d;
    struct al__kept_model *k = al__kept_create();
    struct al__cycle_model m;
    int ids = 0;
    (void)state;
    daemon_init(&d);
    for (int i = 0; i < 50; i++)
        submit(&d, ++ids);
    al__kept_build(&d, k, &m);
    assert_int_equal(m.cluster.job_count, 50);
    assert_int_equal(d.state.sets[AL__CHANGED].count, 0);
    al__model_release(&m);
    place(&d, d.state.workloads[7], &d.state.workloads[7]->tasks[0], false);
    assert_int_equal(d.state.sets[AL__CHANGED].count, 1); /* only it is read again */
    al__kept_build(&d, k, &m);
    assert_int_equal(d.state.sets[AL__CHANGED].count, 0);
    assert_int_equal(m.cluster.job_count, 50);
    al__model_release(&m);
    al__kept_free(k);
    al__state_release(&d.state);
}

/* A change that bypasses the state's functions is not seen by the kept model: the comparison
 * that allotd runs under ALLOTD_CHECK_MODEL (and these tests) finds it. */
static void a_change_behind_the_states_back_is_caught(void **state) {
    struct allotd d;
    struct al__kept_model *k = al__kept_create();
    struct al__cycle_model kept, whole;
    char why[512] = "";
    int ids = 0;
    (void)state;
    daemon_init(&d);
    for (int i = 0; i < 10; i++)
        submit(&d, ++ids);
    assert_same(&d, k);
    d.state.workloads[3]->tasks[0].state = AL__T_FAILED; /* not marked changed */
    al__kept_build(&d, k, &kept);
    al__model_build(&d, &whole);
    assert_false(al__model_same(&kept, &whole, why, sizeof(why)));
    assert_non_null(strstr(why, "w4"));
    al__model_release(&whole);
    al__model_release(&kept);
    al__kept_free(k);
    al__state_release(&d.state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kept_model_says_what_a_whole_one_says),
        cmocka_unit_test(a_quiet_build_reads_nothing_again),
        cmocka_unit_test(a_change_behind_the_states_back_is_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
