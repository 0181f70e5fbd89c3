/* test_reclaim.c - reclaim rules with hand-computed numbers: deserved quota is never taken,
 * queues are compared where their paths diverge, the reclaimer may not end up more saturated
 * than its victim; plus preempt and consolidation basics and eviction notes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "engine/fairshare.h"
#include "engine/reclaim_rules.h"
#include "engine/session.h"
#include "snapshot/report.h"
#include "support/builder.h"

#define NODE_CPU 20000000
#define NODE_MEM 20000000000

static const int32_t dev[8] = {0, 1, 2, 3, 4, 5, 6, 7};

static void only(struct al_cluster *c, enum al_action action) {
    c->config.actions[0] = action;
    c->config.action_count = 1;
}

static void expect_task(const struct al_cluster *c, const struct al_result *r, const char *task,
                        enum al_task_state state, bool evicted, const char *node) {
    int32_t t = tb_find_task(c, task);
    assert_true(t >= 0);
    const struct al_task_outcome *o = &r->tasks[t];
    const char *got = o->node >= 0 ? c->nodes[o->node].name : "-";
    if (o->state != state || o->evicted != evicted || (node && strcmp(got, node) != 0))
        print_error("task %s: expected %s%s on %s, got %s%s on %s\n", task,
                    al_task_state_name(state), evicted ? " (evicted)" : "", node ? node : "any",
                    al_task_state_name(o->state), o->evicted ? " (evicted)" : "", got);
    assert_int_equal(o->state, state);
    assert_int_equal(o->evicted, evicted);
    if (node)
        assert_string_equal(got, node);
}

static void one_gpu_job(struct al_cluster *c, const char *name, const char *queue, int priority,
                        const char *node, int device) {
    char task[64];
    snprintf(task, sizeof(task), "%s-0", name);
    tb_job(c, name, queue, priority, 1);
    tb_task(c, task, node ? AL_TASK_RUNNING : AL_TASK_PENDING, node, 1, 0,
            node ? &dev[device] : NULL);
}

/*
 * 3 GPUs. team-a deserves 2 and holds 2 (its whole fair share), team-c deserves 2 and asks
 * 2: fair shares a 2, c 2. Taking from a would leave it at 0 < deserved 2, so nothing is
 * taken and c's job says reclaim found no acceptable victims.
 */
static void within_deserved_is_never_taken(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 3, NODE_CPU, NODE_MEM);
    tb_queue(&c, "dept", NULL, -1, -1, 1, 100);
    tb_queue(&c, "team-a", "dept", 2000, -1, 1, 100);
    tb_queue(&c, "team-c", "dept", 2000, -1, 1, 100);
    one_gpu_job(&c, "a0", "team-a", 50, "n0", 0);
    one_gpu_job(&c, "a1", "team-a", 50, "n0", 1);
    tb_job(&c, "c0", "team-c", 50, 1);
    tb_task(&c, "c0-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    only(&c, AL_ACTION_RECLAIM);
    struct al_result r;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(r.queues[tb_find_queue(&c, "team-a")].fair_share[AL_GPU], 2000);
    assert_int_equal(r.queues[tb_find_queue(&c, "team-c")].fair_share[AL_GPU], 2000);
    assert_int_equal(r.decision_count, 0);
    expect_task(&c, &r, "c0-0", AL_TASK_PENDING, false, NULL);
    assert_int_equal(r.explanation_count, 1);
    assert_true(r.explanations[0].victim_search & (1u << AL_ACTION_RECLAIM));
    char line[256];
    al_explanation_text(&c, &r.explanations[0], line, sizeof(line));
    assert_non_null(strstr(line, "reclaim found no acceptable victims"));
    al_result_release(&r);
    al_cluster_release(&c);
}

/*
 * 4 GPUs. team-a deserves 0 and borrowed all 4; team-b deserves 2 and asks 2: fair shares
 * a 2, b 2. b takes exactly two of a's jobs, the newest first, and the eviction says who
 * took them and why: a over its fair share 2 GPUs with 4 allocated.
 */
static void borrowed_gpus_come_back_newest_first(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 4, NODE_CPU, NODE_MEM);
    tb_queue(&c, "dept", NULL, -1, -1, 1, 100);
    tb_queue(&c, "team-a", "dept", 0, -1, 1, 100);
    tb_queue(&c, "team-b", "dept", 2000, -1, 1, 100);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "a%d", i);
        one_gpu_job(&c, name, "team-a", 50, "n0", i);
        c.jobs[c.job_count - 1].created_s = -100 + i; /* a3 is the newest */
    }
    tb_job(&c, "b0", "team-b", 50, 1);
    tb_task(&c, "b0-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    only(&c, AL_ACTION_RECLAIM);
    struct al_result r;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    expect_task(&c, &r, "a0-0", AL_TASK_RUNNING, false, "n0");
    expect_task(&c, &r, "a1-0", AL_TASK_RUNNING, false, "n0");
    expect_task(&c, &r, "a2-0", AL_TASK_RELEASING, true, "n0");
    expect_task(&c, &r, "a3-0", AL_TASK_RELEASING, true, "n0");
    expect_task(&c, &r, "b0-0", AL_TASK_PIPELINED, false, "n0");
    int evictions = 0;
    for (size_t i = 0; i < r.decision_count; i++) {
        const struct al_decision *d = &r.decisions[i];
        if (d->kind != AL_DECISION_EVICT)
            continue;
        evictions++;
        assert_int_equal(d->reason, AL_REASON_RECLAIMED);
        assert_string_equal(c.jobs[d->by_job].name, "b0");
        assert_string_equal(c.queues[d->queue].name, "team-a");
        assert_int_equal(d->queue_fair_share, 2000);
        char line[256];
        al_decision_text(&c, d, line, sizeof(line));
        assert_non_null(strstr(line, "reclaimed by job b0 of queue team-b: team-a over its fair "
                                     "share 2 GPUs with"));
    }
    assert_int_equal(evictions, 2);
    al_result_release(&r);
    al_cluster_release(&c);
}

/*
 * Departments d1 {a1 (deserved 1), a2 (deserved 0)} and d2 {b1 (deserved 0), b2 (deserved
 * 2, asks 2 but fits nowhere)}, each department deserving 2 of 4 GPUs. a1 asks 1 GPU. b1
 * holds 2 GPUs on n1: above its own fair share 0, but d2 holds exactly its deserved 2, and
 * a1 compares with b1 at the department level, so b1 is safe. a2 borrowed 2 GPUs on n0
 * within d1 (fair share 1): a1 takes one of those.
 */
static void compared_where_paths_diverge(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 2, NODE_CPU, NODE_MEM);
    tb_node(&c, "n1", 2, NODE_CPU, NODE_MEM);
    tb_queue(&c, "d1", NULL, 2000, -1, 0, 100);
    tb_queue(&c, "d2", NULL, 2000, -1, 0, 100);
    tb_queue(&c, "a1", "d1", 1000, -1, 1, 100);
    tb_queue(&c, "a2", "d1", 0, -1, 1, 100);
    tb_queue(&c, "b1", "d2", 0, -1, 1, 100);
    tb_queue(&c, "b2", "d2", 2000, -1, 1, 100);
    one_gpu_job(&c, "a2x", "a2", 50, "n0", 0);
    one_gpu_job(&c, "a2y", "a2", 50, "n0", 1);
    one_gpu_job(&c, "b1x", "b1", 50, "n1", 0);
    one_gpu_job(&c, "b1y", "b1", 50, "n1", 1);
    c.jobs[c.job_count - 1].created_s = 10; /* the newest job of all */
    tb_job(&c, "b2big", "b2", 50, 1);
    tb_task(&c, "b2big-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    c.tasks[c.task_count - 1].cpu_millis = 2 * (int64_t)NODE_CPU; /* fits on no node */
    one_gpu_job(&c, "a1job", "a1", 50, NULL, 0);
    only(&c, AL_ACTION_RECLAIM);
    struct al_result r;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(r.queues[tb_find_queue(&c, "b1")].fair_share[AL_GPU], 0);
    assert_int_equal(r.queues[tb_find_queue(&c, "d2")].fair_share[AL_GPU], 2000);
    assert_int_equal(r.queues[tb_find_queue(&c, "a2")].fair_share[AL_GPU], 1000);
    expect_task(&c, &r, "b1x-0", AL_TASK_RUNNING, false, "n1");
    expect_task(&c, &r, "b1y-0", AL_TASK_RUNNING, false, "n1");
    expect_task(&c, &r, "a1job-0", AL_TASK_PIPELINED, false, "n0");
    int evicted =
        r.tasks[tb_find_task(&c, "a2x-0")].evicted + r.tasks[tb_find_task(&c, "a2y-0")].evicted;
    assert_int_equal(evicted, 1);
    al_result_release(&r);
    al_cluster_release(&c);
}

/*
 * The saturation rule, on the rule itself with fair shares set by hand: d1 {a1, a2},
 * d2 {b1}. a2 holds 2 GPUs, b1 holds `held`; fair shares a1 1, d1 2, d2 1, b1 1. a1 asks 1,
 * so d1 ends at 3 / 2 = 1.5 times its fair share. Taking one GPU from b1 is allowed when d2
 * stays more saturated than that (held 3: 2 / 1 = 2 > 1.5) and refused when it would not
 * (held 2: 1 / 1 = 1 <= 1.5).
 */
static bool saturation_case(int held) {
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 8, NODE_CPU, NODE_MEM);
    tb_queue(&c, "d1", NULL, 0, -1, 1, 100);
    tb_queue(&c, "d2", NULL, 0, -1, 1, 100);
    tb_queue(&c, "a1", "d1", 0, -1, 1, 100);
    tb_queue(&c, "a2", "d1", 0, -1, 1, 100);
    tb_queue(&c, "b1", "d2", 0, -1, 1, 100);
    tb_job(&c, "a2job", "a2", 50, 2);
    tb_task(&c, "a2job-0", AL_TASK_RUNNING, "n0", 1, 0, &dev[0]);
    tb_task(&c, "a2job-1", AL_TASK_RUNNING, "n0", 1, 0, &dev[1]);
    tb_job(&c, "b1job", "b1", 50, 1);
    for (int i = 0; i < held; i++) {
        char name[32];
        snprintf(name, sizeof(name), "b1job-%d", i);
        tb_task(&c, name, AL_TASK_RUNNING, "n0", 1, 0, &dev[2 + i]);
    }
    tb_job(&c, "a1job", "a1", 50, 1);
    int32_t pending = tb_task(&c, "a1job-0", AL_TASK_PENDING, NULL, 1, 0, NULL);
    struct al__session s;
    assert_int_equal(al__session_init(&s, &c, NULL), 0);
    al__fair_share_compute(&s);
    const char *names[] = {"a1", "d1", "d2", "b1"};
    const int64_t fair[] = {1000, 2000, 1000, 1000};
    for (int i = 0; i < 4; i++)
        s.queues[tb_find_queue(&c, names[i])].fair_share[AL_GPU] = fair[i];
    size_t q = c.queue_count;
    int64_t base[8][AL_RESOURCE_COUNT], base_np[8][AL_RESOURCE_COUNT],
        scratch[8][AL_RESOURCE_COUNT];
    unsigned char touched[8] = {0}, involved[8] = {0}, marks[16] = {0};
    int32_t touched_list[8];
    for (size_t i = 0; i < q; i++) {
        memcpy(base[i], s.queues[i].allocated, sizeof(base[i]));
        memcpy(base_np[i], s.queues[i].allocated_np, sizeof(base_np[i]));
    }
    int32_t victim = tb_find_task(&c, "b1job-1");
    assert_int_equal(al__session_evict(&s, victim, AL_REASON_RECLAIMED), 0);
    int32_t scratch_tasks[16];
    struct al__scenario sc = {.preemptor = c.tasks[pending].job,
                              .pending = &pending,
                              .pending_count = 1,
                              .victims = &victim,
                              .victim_count = 1,
                              .base = (const int64_t(*)[AL_RESOURCE_COUNT])base,
                              .base_np = (const int64_t(*)[AL_RESOURCE_COUNT])base_np,
                              .task_scratch = scratch_tasks,
                              .job_marks = marks};
    bool ok = al__reclaim_acceptable(&s, &sc, scratch, touched, involved, touched_list);
    for (int i = 0; i < 8; i++) /* the scratch is left as found */
        assert_true(touched[i] == 0 && involved[i] == 0);
    al__session_release(&s, NULL);
    al_cluster_release(&c);
    return ok;
}

static void reclaimer_not_more_saturated_than_victim(void **state) {
    (void)state;
    assert_true(saturation_case(3));
    assert_false(saturation_case(2));
}

/* Preempt: a priority-125 job evicts the lower-priority job of its own queue, never another
 * queue's; the eviction names it. */
static void preempt_takes_lower_priority_of_own_queue(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 2, NODE_CPU, NODE_MEM);
    tb_queue(&c, "dept", NULL, -1, -1, 1, 100);
    tb_queue(&c, "team", "dept", 2000, -1, 1, 100);
    tb_queue(&c, "other", "dept", 0, -1, 1, 100);
    one_gpu_job(&c, "train", "team", 50, "n0", 0);
    one_gpu_job(&c, "theirs", "other", 50, "n0", 1);
    one_gpu_job(&c, "serve", "team", 125, NULL, 0);
    only(&c, AL_ACTION_PREEMPT);
    struct al_result r;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    expect_task(&c, &r, "train-0", AL_TASK_RELEASING, true, "n0");
    expect_task(&c, &r, "theirs-0", AL_TASK_RUNNING, false, "n0");
    expect_task(&c, &r, "serve-0", AL_TASK_PIPELINED, false, "n0");
    char line[256];
    for (size_t i = 0; i < r.decision_count; i++)
        if (r.decisions[i].kind == AL_DECISION_EVICT) {
            al_decision_text(&c, &r.decisions[i], line, sizeof(line));
            assert_string_equal(line, "preempted by job serve (priority 125 over 50)");
        }
    al_result_release(&r);
    al_cluster_release(&c);
}

/* Min runtime: a job that started 30 s ago in a queue whose ancestor protects for 60 s is
 * no victim of preempt; the pending job says why. */
static void min_runtime_protects_fresh_jobs(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 1, NODE_CPU, NODE_MEM);
    int32_t dept = tb_queue(&c, "dept", NULL, -1, -1, 1, 100);
    tb_queue(&c, "team", "dept", 1000, -1, 1, 100);
    c.queues[dept].has_preempt_min_runtime = true;
    c.queues[dept].preempt_min_runtime_s = 60;
    one_gpu_job(&c, "train", "team", 50, "n0", 0);
    c.jobs[c.job_count - 1].has_started = true;
    c.jobs[c.job_count - 1].started_s = -30;
    one_gpu_job(&c, "serve", "team", 125, NULL, 0);
    only(&c, AL_ACTION_PREEMPT);
    struct al_result r;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    expect_task(&c, &r, "train-0", AL_TASK_RUNNING, false, "n0");
    assert_int_equal(r.explanation_count, 1);
    assert_int_equal(r.explanations[0].victims_protected, 1);
    al_result_release(&r);
    c.jobs[0].started_s = -90; /* ran long enough */
    assert_int_equal(al_cycle_run(&c, &r), 0);
    expect_task(&c, &r, "train-0", AL_TASK_RELEASING, true, "n0");
    al_result_release(&r);
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(within_deserved_is_never_taken),
        cmocka_unit_test(borrowed_gpus_come_back_newest_first),
        cmocka_unit_test(compared_where_paths_diverge),
        cmocka_unit_test(reclaimer_not_more_saturated_than_victim),
        cmocka_unit_test(preempt_takes_lower_priority_of_own_queue),
        cmocka_unit_test(min_runtime_protects_fresh_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
