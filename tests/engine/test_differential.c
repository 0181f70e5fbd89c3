/* test_differential.c - the engine's indexed placement against the straightforward scan of
 * tests/support/reference.c, on thousands of random small clusters and session states; and the
 * job queue's cached tournament against a pick computed from scratch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/job_steps.h"
#include "engine/placement.h"
#include "engine/session.h"
#include "engine/statement.h"
#include "engine/victims.h"
#include "support/builder.h"
#include "support/reference.h"

static uint64_t rng;

static uint32_t next(uint32_t n) { /* uniform enough in 0..n-1 */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

/* A random cluster: nodes with 0..4 devices of mixed memory and a zone label, one queue,
 * jobs of whole, fractional, GPU-memory and CPU-only tasks, some with a zone selector. */
static void random_cluster(struct al_cluster *c) {
    char name[32];
    static const int32_t memories[] = {100, 200, 400, 800};
    tb_init(c);
    int nodes = 1 + (int)next(8);
    for (int n = 0; n < nodes; n++) {
        snprintf(name, sizeof(name), "node-%d", (int)next(1000) * 10 + n);
        int32_t id =
            tb_node(c, name, (int)next(5), 1000 * (1 + next(8)), 1000000000LL * (1 + next(8)));
        struct al_node *node = &c->nodes[id];
        bool mixed = next(4) == 0;
        int32_t mem = memories[next(4)];
        for (size_t g = 0; g < node->gpu_count; g++)
            node->gpus[g].memory_mib = mixed ? memories[next(4)] : mem;
        if (next(3))
            tb_label(c, id, "zone", next(2) ? "a" : "b");
    }
    c->config.gpu_placement = next(2) ? AL_BINPACK : AL_SPREAD;
    c->config.cpu_placement = next(2) ? AL_BINPACK : AL_SPREAD;
    c->config.gpu_device_placement = next(2) ? AL_BINPACK : AL_SPREAD;
    c->config.shared_gpu_node_preference = next(3) != 0;
    tb_queue(c, "q", NULL, -1, -1, 1, 100);
    int jobs = 1 + (int)next(10);
    for (int j = 0; j < jobs; j++) {
        snprintf(name, sizeof(name), "job-%d", j);
        tb_job(c, name, "q", 50, 1);
        int tasks = 1 + (int)next(3);
        for (int k = 0; k < tasks; k++) {
            snprintf(name, sizeof(name), "job-%d-%d", j, k);
            int kind = (int)next(4);
            int32_t t = tb_task(c, name, AL_TASK_PENDING, NULL, kind == 0 ? 1 + (int)next(3) : 0,
                                kind == 1 ? 100 * (1 + (int)next(9)) : 0, NULL);
            struct al_task *task = &c->tasks[t];
            task->cpu_millis = 100 * next(20);
            task->memory_bytes = 100000000LL * next(20);
            if (kind == 2)
                task->gpu_memory_mib = 50 * (1 + (int)next(8));
            if (kind == 1 || kind == 2)
                task->gpu_devices = 1 + (int)next(2);
            if (next(5) == 0) {
                task->affinity = calloc(1, sizeof(*task->affinity));
                task->affinity->key = strdup("zone");
                task->affinity->values = calloc(1, sizeof(char *));
                task->affinity->values[0] = strdup(next(2) ? "a" : "b");
                task->affinity->value_count = 1;
                task->affinity_count = 1;
            }
        }
    }
}

static int compared;
static unsigned current_seed;

/* Where a victim search's simulations may place, both ways: for the reference, node by node
 * (labels matching a task of a random job, or a random pick); for the engine, as the solver
 * does it (classes of the label partition, plus listed nodes). */
struct only {
    unsigned char nodes[16];    /* reference */
    unsigned char class_ok[16]; /* engine */
    unsigned char node_ok[16];
    struct al__place_options opt;
};

static void random_only(const struct al__session *s, struct only *o) {
    const struct al_cluster *c = s->cluster;
    const struct al_job *job = &c->jobs[next((uint32_t)c->job_count)];
    const struct al__node_partition *p = s->index.by_labels;
    for (int32_t k = 0; k < p->class_count; k++) {
        o->class_ok[k] = 0;
        for (size_t i = 0; i < job->task_count; i++)
            o->class_ok[k] |= al__node_class_matches(s, p, k, &c->tasks[job->first_task + i]);
    }
    for (size_t n = 0; n < c->node_count; n++) {
        o->node_ok[n] = next(4) == 0;
        bool match = false;
        for (size_t i = 0; i < job->task_count; i++)
            match |= al__node_matches(&c->nodes[n], &c->tasks[job->first_task + i]);
        o->nodes[n] = match || o->node_ok[n];
    }
    o->opt = (struct al__place_options){.class_ok = o->class_ok, .node_ok = o->node_ok};
}

/* Both placements and both shortfalls of every pending task agree. */
static void compare_all(struct al__session *s, const struct only *only) {
    for (size_t t = 0; t < s->cluster->task_count; t++) {
        if (s->tasks[t].state != AL_TASK_PENDING)
            continue;
        struct al__choice want, got;
        int32_t want_gpus[16];
        bool want_ok = ref_placement_find(s, (int32_t)t, only ? only->nodes : NULL, &want);
        if (want_ok)
            memcpy(want_gpus, want.gpus, (size_t)want.gpu_count * sizeof(int32_t));
        bool got_ok = al__placement_find(s, (int32_t)t, only ? &only->opt : NULL, &got);
        if (want_ok != got_ok ||
            (want_ok && (want.node != got.node || want.gpu_count != got.gpu_count ||
                         want.pipelined != got.pipelined ||
                         memcmp(want_gpus, got.gpus, (size_t)got.gpu_count * sizeof(int32_t))))) {
            print_error(
                "seed %u, task %s: reference %s node %d (%d devices, pipelined %d), index %s "
                "node %d (%d devices, pipelined %d)\n",
                current_seed, s->cluster->tasks[t].name, want_ok ? "fits" : "fits nowhere",
                want.node, want.gpu_count, want.pipelined, got_ok ? "fits" : "fits nowhere",
                got.node, got.gpu_count, got.pipelined);
            for (size_t n = 0; n < s->cluster->node_count; n++)
                print_error(
                    "  node %zu %s gpus %zu class %d cpu %lld/%lld mem %lld allowed %d rel %d\n", n,
                    s->cluster->nodes[n].name, s->cluster->nodes[n].gpu_count,
                    s->index.by_shape.class_of[n],
                    (long long)(s->cluster->nodes[n].cpu_millis - s->nodes[n].used[1]),
                    (long long)s->cluster->nodes[n].cpu_millis,
                    (long long)(s->cluster->nodes[n].memory_bytes - s->nodes[n].used[2]),
                    only ? only->nodes[n] : 1, s->index.releasing_at[n]);
            print_error("  task cpu %lld mem %lld aff %zu cpu_placement %d\n",
                        (long long)s->cluster->tasks[t].cpu_millis,
                        (long long)s->cluster->tasks[t].memory_bytes,
                        s->cluster->tasks[t].affinity_count, s->cluster->config.cpu_placement);
            fail();
        }
        struct al_explanation a = {0}, b = {0};
        ref_placement_shortfall(s, (int32_t)t, &a);
        al__placement_shortfall(s, (int32_t)t, &b);
        if (memcmp(&a, &b, sizeof(a)) != 0) {
            print_error(
                "seed %u, task %s shortfall: reference %d nodes, free %lld/%lld/%lld; index %d "
                "nodes, free %lld/%lld/%lld\n",
                current_seed, s->cluster->tasks[t].name, a.nodes_matching,
                (long long)a.best_free[0], (long long)a.best_free[1], (long long)a.best_free[2],
                b.nodes_matching, (long long)b.best_free[0], (long long)b.best_free[1],
                (long long)b.best_free[2]);
            fail();
        }
        compared++;
    }
}

/* Places a random pending task where the index says, or evicts a random active one. */
static void random_step(struct al__session *s) {
    int32_t count = (int32_t)s->cluster->task_count, t = (int32_t)next((uint32_t)count);
    struct al__choice choice;
    if (s->tasks[t].state == AL_TASK_PENDING && al__placement_find(s, t, NULL, &choice)) {
        assert_int_equal(
            al__session_place(s, t, choice.node, choice.gpus, choice.gpu_count,
                              choice.pipelined ? AL_TASK_PIPELINED : AL_TASK_ALLOCATED),
            0);
    } else if (al__state_charges_queue(s->tasks[t].state) && next(2) == 0) {
        assert_int_equal(al__session_evict(s, t, AL_REASON_PREEMPTED), 0);
    }
}

/* The placed tasks of a first session become the cluster's running and releasing tasks. */
static void settle(struct al_cluster *c, const struct al__session *s) {
    for (size_t t = 0; t < c->task_count; t++) {
        const struct al__task_state *ts = &s->tasks[t];
        if (!al__state_charges_queue(ts->state))
            continue;
        struct al_task *task = &c->tasks[t];
        task->state = next(4) == 0 ? AL_TASK_RELEASING : AL_TASK_RUNNING;
        task->node = ts->node;
        task->gpu_indices = calloc((size_t)ts->gpu_count + 1, sizeof(int32_t));
        if (ts->gpu_count > 0)
            memcpy(task->gpu_indices, ts->gpus, (size_t)ts->gpu_count * sizeof(int32_t));
        task->gpu_index_count = (size_t)ts->gpu_count;
    }
}

/* A session on cluster c (from `build`) after `steps` random placements and evictions were
 * settled into the cluster as running and releasing tasks. */
static void settled_session(struct al_cluster *c, void (*build)(struct al_cluster *), int steps,
                            struct al__session *s) {
    build(c);
    assert_int_equal(al__session_init(s, c, NULL), 0);
    for (int i = 0; i < steps; i++)
        random_step(s);
    settle(c, s);
    al__session_release(s, NULL);
    assert_int_equal(al__session_init(s, c, NULL), 0);
}

static void indexed_placement_matches_the_scan(void **state) {
    (void)state;
    for (unsigned seed = 1; seed <= 3000; seed++) {
        rng = 0x9E3779B97F4A7C15ULL * seed;
        current_seed = seed;
        struct al_cluster c;
        struct al__session s;
        settled_session(&c, random_cluster, 12, &s);
        struct only only;
        for (int step = 0; step < 20; step++) {
            size_t mark = al__session_checkpoint(&s);
            bool restricted = next(4) == 0;
            if (restricted)
                random_only(&s, &only);
            compare_all(&s, restricted ? &only : NULL);
            random_step(&s);
            if (next(5) == 0)
                al__session_rollback(&s, mark);
        }
        compare_all(&s, NULL);
        al__session_release(&s, NULL);
        al_cluster_release(&c);
    }
    assert_true(compared > 10000);
}

/* A queue tree (departments, projects) with gangs and elastic jobs, some partly running. */
static void random_queued_cluster(struct al_cluster *c) {
    char name[32], parent[32];
    tb_init(c);
    for (int n = 0; n < 4; n++) {
        snprintf(name, sizeof(name), "n%d", n);
        tb_node(c, name, 4, 64000, 64000000000LL);
    }
    int depts = 1 + (int)next(3), leaves = 0;
    char leaf[12][32];
    for (int d = 0; d < depts; d++) {
        snprintf(parent, sizeof(parent), "d%d", d);
        tb_queue(c, parent, NULL, 1000 * next(8), -1, 1 + next(3), 100 + 10 * (int)next(2));
        int projects = 1 + (int)next(3);
        for (int p = 0; p < projects; p++) {
            snprintf(leaf[leaves], sizeof(leaf[0]), "d%d-p%d", d, p);
            tb_queue(c, leaf[leaves], parent, 1000 * next(6),
                     next(4) ? -1 : 1000 * (int64_t)next(12), 1 + next(3), 100);
            leaves++;
        }
    }
    int jobs = 4 + (int)next(11);
    for (int j = 0; j < jobs; j++) {
        int tasks = 1 + (int)next(4);
        snprintf(name, sizeof(name), "j%d", j);
        tb_job(c, name, leaf[next((uint32_t)leaves)], 50 + 25 * (int)next(3),
               (int)next((uint32_t)tasks + 1));
        c->jobs[c->job_count - 1].created_s = -(int64_t)next(5);
        for (int t = 0; t < tasks; t++) {
            char task[40];
            snprintf(task, sizeof(task), "j%d-%d", j, t);
            tb_task(c, task, AL_TASK_PENDING, NULL, next(3) ? 1 : 0, next(3) ? 0 : 500, NULL);
        }
    }
}

/* Pops from the job queue agree with a from-scratch pick while, between pops, popped jobs are
 * placed and pushed back and running tasks of waiting jobs are evicted (which changes their
 * gang state, the order of the heaps they wait in: the job queue must notice). */
static void job_queue_matches_the_reference(void **state) {
    (void)state;
    int pops = 0;
    for (unsigned seed = 1; seed <= 2000; seed++) {
        rng = 0x2545F4914F6CDD1DULL * seed;
        current_seed = seed;
        struct al_cluster c;
        struct al__session s;
        settled_session(&c, random_queued_cluster, 10, &s);
        struct al__job_queue jq;
        assert_int_equal(al__job_queue_init(&s, &jq), 0);
        unsigned char waiting[64] = {0};
        for (size_t j = 0; j < c.job_count; j++)
            waiting[j] = s.jobs[j].pending > 0;
        for (;;) {
            int32_t want = ref_job_queue_pick(&s, waiting), got = al__job_queue_pop(&s, &jq);
            if (want != got) {
                print_error("seed %u: the job queue gives %s, the reference %s\n", seed,
                            got >= 0 ? c.jobs[got].name : "none",
                            want >= 0 ? c.jobs[want].name : "none");
                fail();
            }
            if (got < 0)
                break;
            pops++;
            waiting[got] = 0;
            if (next(3) == 0) { /* evict a running task somewhere */
                int32_t t = (int32_t)next((uint32_t)c.task_count);
                if (s.tasks[t].state == AL_TASK_RUNNING) {
                    struct al__statement st;
                    al__statement_begin(&st, &s);
                    assert_int_equal(al__statement_evict(&st, t, AL_REASON_PREEMPTED), 0);
                    al__statement_commit(&st);
                }
            }
            bool complete, placed;
            int32_t n = al__job_next_tasks(&s, got, NULL, jq.tasks, jq.sub_need, &complete);
            if (n == 0 || !complete || next(4) == 0)
                continue;
            assert_int_equal(al__place_tasks(&s, got, jq.tasks, n, NULL, &placed, NULL), 0);
            if (placed && s.jobs[got].pending > 0) {
                al__job_queue_push(&s, &jq, got);
                waiting[got] = 1;
            }
        }
        al__session_release(&s, NULL);
        al_cluster_release(&c);
    }
    assert_true(pops > 10000);
}

/* Pops of a victim queue until it is empty: (job, tasks) pairs, flattened. */
static int pop_all(struct al__victim_queue *vq, int32_t *out, int cap) {
    int n = 0;
    int32_t tasks[64], job;
    for (int32_t k; n + 66 < cap && (k = al__victims_pop(vq, &job, tasks)) > 0;) {
        out[n++] = job;
        out[n++] = k;
        for (int32_t i = 0; i < k; i++)
            out[n++] = tasks[i];
    }
    return n;
}

/* The victim queue kept for a whole cycle (its base reused across searches and actions,
 * searches undone, commits folded in) hands out the same victims as a queue built afresh
 * for every search. */
static void kept_victim_queue_matches_a_fresh_one(void **state) {
    static const struct {
        enum al_action action;
        enum al__victim_scope scope;
    } kinds[] = {{AL_ACTION_CONSOLIDATION, AL__SCOPE_ALL},
                 {AL_ACTION_RECLAIM, AL__SCOPE_OTHER_QUEUES},
                 {AL_ACTION_PREEMPT, AL__SCOPE_OWN_LOWER}};
    (void)state;
    int compared_pops = 0;
    for (unsigned seed = 1; seed <= 1500; seed++) {
        rng = 0x9E3779B97F4A7C15ULL * (seed + 7);
        current_seed = seed;
        struct al_cluster c;
        struct al__session s;
        settled_session(&c, random_queued_cluster, 14, &s);
        struct al__victim_queue kept;
        assert_int_equal(al__victims_init(&s, &kept), 0);
        int kind = (int)next(3);
        al__victims_begin(&kept, kinds[kind].action, kinds[kind].scope);
        for (int search = 0; search < 12; search++) {
            if (next(5) == 0) { /* the next action */
                kind = (int)next(3);
                al__victims_begin(&kept, kinds[kind].action, kinds[kind].scope);
            }
            int32_t pre = (int32_t)next((uint32_t)c.job_count), skip[8], skips = 0;
            for (int i = 0; i < 3; i++) {
                int32_t t = (int32_t)next((uint32_t)c.task_count);
                if (al__victim_task(&s, t))
                    skip[skips++] = t;
            }
            struct al__victim_queue fresh;
            assert_int_equal(al__victims_init(&s, &fresh), 0);
            al__victims_begin(&fresh, kinds[kind].action, kinds[kind].scope);
            int pa = al__victims_fill(&kept, pre, skip, skips);
            int pb = al__victims_fill(&fresh, pre, skip, skips);
            assert_int_equal(pa, pb);
            int32_t a[4096], b[4096];
            int limit = next(2) ? 4096 : 70; /* sometimes a search stops early */
            int na = pop_all(&kept, a, limit), nb = pop_all(&fresh, b, limit);
            if (na != nb || memcmp(a, b, (size_t)na * sizeof(int32_t)) != 0) {
                print_error("seed %u, search %d: the kept queue differs from a fresh one\n", seed,
                            search);
                fail();
            }
            compared_pops += na > 0;
            if (next(3) == 0) { /* the search's victims are kept: evict two running tasks */
                int32_t evicted[2], count = 0;
                struct al__statement st;
                al__statement_begin(&st, &s);
                for (int i = 0; i < 2; i++) {
                    int32_t t = (int32_t)next((uint32_t)c.task_count);
                    if (al__victim_task(&s, t)) {
                        assert_int_equal(al__statement_evict(&st, t, AL_REASON_RECLAIMED), 0);
                        evicted[count++] = t;
                    }
                }
                al__statement_commit(&st);
                assert_int_equal(al__victims_commit(&kept, evicted, count), 0);
            }
        }
        al__session_release(&s, NULL);
        al_cluster_release(&c);
    }
    assert_true(compared_pops > 5000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(indexed_placement_matches_the_scan),
        cmocka_unit_test(job_queue_matches_the_reference),
        cmocka_unit_test(kept_victim_queue_matches_a_fresh_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
