/* test_statement.c - random operations inside statements, then rollback: the session is identical.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/placement.h"
#include "engine/session.h"
#include "engine/statement.h"
#include "support/builder.h"

/* A copy of everything the operations may change. */
struct image {
    int64_t *node_words;
    size_t node_len;
    int64_t *queue_words;
    size_t queue_len;
    int64_t *job_words;
    size_t job_len;
    int64_t *task_words;
    size_t task_len;
};

static void push64(int64_t **v, size_t *n, int64_t x) {
    *v = realloc(*v, (*n + 1) * sizeof(**v));
    assert_non_null(*v);
    (*v)[(*n)++] = x;
}

static void image_take(const struct al__session *s, struct image *im) {
    memset(im, 0, sizeof(*im));
    const struct al_cluster *c = s->cluster;
    for (size_t n = 0; n < c->node_count; n++) {
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            push64(&im->node_words, &im->node_len, s->nodes[n].used[r]);
            push64(&im->node_words, &im->node_len, s->nodes[n].releasing[r]);
        }
        for (int32_t g = 0; g < s->nodes[n].gpu_count; g++) {
            const struct al__gpu_state *gs = &s->nodes[n].gpus[g];
            push64(&im->node_words, &im->node_len, gs->used);
            push64(&im->node_words, &im->node_len, gs->releasing);
            push64(&im->node_words, &im->node_len, gs->shared);
            push64(&im->node_words, &im->node_len, gs->pipelined);
            push64(&im->node_words, &im->node_len, gs->pipelined_units);
        }
    }
    for (size_t q = 0; q < c->queue_count; q++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            push64(&im->queue_words, &im->queue_len, s->queues[q].allocated[r]);
            push64(&im->queue_words, &im->queue_len, s->queues[q].allocated_np[r]);
        }
    for (size_t j = 0; j < c->job_count; j++) {
        push64(&im->job_words, &im->job_len, s->jobs[j].active);
        push64(&im->job_words, &im->job_len, s->jobs[j].pending);
        for (size_t g = 0; g < c->jobs[j].subgroup_count; g++)
            push64(&im->job_words, &im->job_len, s->jobs[j].sub_active[g]);
    }
    for (size_t t = 0; t < c->task_count; t++) {
        const struct al__task_state *ts = &s->tasks[t];
        push64(&im->task_words, &im->task_len, ts->state);
        push64(&im->task_words, &im->task_len, ts->node);
        push64(&im->task_words, &im->task_len, ts->evicted);
        push64(&im->task_words, &im->task_len, ts->gpu_count);
        for (int32_t i = 0; i < ts->gpu_count; i++)
            push64(&im->task_words, &im->task_len, ts->gpus[i]);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            push64(&im->task_words, &im->task_len, ts->charge[r]);
    }
}

static void image_free(struct image *im) {
    free(im->node_words);
    free(im->queue_words);
    free(im->job_words);
    free(im->task_words);
}

static void expect_same(const char *what, const int64_t *a, size_t na, const int64_t *b,
                        size_t nb) {
    if (na != nb)
        print_error("%s: %zu words before, %zu after\n", what, na, nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        if (a[i] != b[i])
            print_error("%s word %zu: %lld before, %lld after\n", what, i, (long long)a[i],
                        (long long)b[i]);
        assert_int_equal(a[i], b[i]);
    }
}

static void images_equal(const struct image *a, const struct image *b) {
    expect_same("nodes", a->node_words, a->node_len, b->node_words, b->node_len);
    expect_same("queues", a->queue_words, a->queue_len, b->queue_words, b->queue_len);
    expect_same("jobs", a->job_words, a->job_len, b->job_words, b->job_len);
    expect_same("tasks", a->task_words, a->task_len, b->task_words, b->task_len);
}

/* A mixed cluster: whole and shared GPUs, releasing and pipelined tasks, two queues. */
static void build(struct al_cluster *c) {
    tb_init(c);
    tb_node(c, "n0", 4, 8000, 64000000000);
    tb_node(c, "n1", 2, 8000, 64000000000);
    tb_node(c, "n2", 0, 16000, 64000000000);
    tb_queue(c, "dept", NULL, 4000, -1, 1, 100);
    tb_queue(c, "a", "dept", 2000, -1, 1, 100);
    tb_queue(c, "b", "dept", 1000, 6000, 2, 100);
    const int32_t d0[] = {0}, d1[] = {1}, d2[] = {2};
    tb_job(c, "ra", "a", 100, 1);
    tb_task(c, "ra-0", AL_TASK_RUNNING, "n0", 1, 0, d0);
    tb_job(c, "rb", "b", 50, 1);
    tb_task(c, "rb-0", AL_TASK_RUNNING, "n0", 0, 500, d1);
    tb_task(c, "rb-1", AL_TASK_RELEASING, "n1", 1, 0, d0);
    tb_job(c, "pb", "b", 50, 1);
    tb_task(c, "pb-0", AL_TASK_PIPELINED, "n1", 0, 300, d0);
    tb_task(c, "pb-1", AL_TASK_RUNNING, "n0", 0, 250, d2);
    /* a gang of two subgroups (min 1 each), one task of each running */
    tb_job(c, "sg", "a", 50, 0);
    struct al_job *sg = &c->jobs[c->job_count - 1];
    sg->subgroups = calloc(2, sizeof(*sg->subgroups));
    assert_non_null(sg->subgroups);
    sg->subgroups[0] = (struct al_subgroup){.name = strdup("w"), .min_members = 1};
    sg->subgroups[1] = (struct al_subgroup){.name = strdup("ps"), .min_members = 1};
    sg->subgroup_count = 2;
    const int32_t d3[] = {3};
    tb_task(c, "sg-w0", AL_TASK_RUNNING, "n0", 1, 0, d3);
    tb_task(c, "sg-w1", AL_TASK_PENDING, NULL, 1, 0, NULL);
    tb_task(c, "sg-ps0", AL_TASK_RUNNING, "n2", 0, 0, NULL);
    tb_task(c, "sg-ps1", AL_TASK_PENDING, NULL, 0, 0, NULL);
    c->tasks[c->task_count - 4].subgroup = 0;
    c->tasks[c->task_count - 3].subgroup = 0;
    c->tasks[c->task_count - 2].subgroup = 1;
    c->tasks[c->task_count - 1].subgroup = 1;
    /* a semi-preemptible job (core of 2, CPU only): two running, two pending */
    tb_job(c, "semi", "a", 50, 2);
    c->jobs[c->job_count - 1].preemptible = false;
    c->jobs[c->job_count - 1].semi_preemptible = true;
    tb_task(c, "semi-0", AL_TASK_RUNNING, "n2", 0, 0, NULL);
    tb_task(c, "semi-1", AL_TASK_RUNNING, "n2", 0, 0, NULL);
    tb_task(c, "semi-2", AL_TASK_PENDING, NULL, 0, 0, NULL);
    tb_task(c, "semi-3", AL_TASK_PENDING, NULL, 0, 0, NULL);
    char name[32];
    for (int j = 0; j < 6; j++) {
        snprintf(name, sizeof(name), "p%d", j);
        tb_job(c, name, j % 2 ? "a" : "b", 50 + 25 * (j % 3), 0);
        for (int t = 0; t < 3; t++) {
            char task[40];
            snprintf(task, sizeof(task), "p%d-%d", j, t);
            tb_task(c, task, AL_TASK_PENDING, NULL, (j + t) % 3 == 0 ? 0 : (j + t) % 3,
                    (j + t) % 3 == 0 ? 250 * (1 + t) : 0, NULL);
        }
    }
}

static unsigned kinds_seen; /* which kinds of operation ran (bits, in random_op's order) */

/* One random operation; returns whether it did anything. Covers placing, pipelining,
 * evicting (plain and on behalf of a job, as reclaim does), un-evicting, and relocating a task
 * evicted in this cycle (as a victim search moves it). */
static int random_op(struct al__session *s, struct al__statement *st, unsigned *seed) {
    int32_t t = (int32_t)(rand_r(seed) % s->cluster->task_count);
    struct al__task_state *ts = &s->tasks[t];
    struct al__choice ch;
    if (ts->state == AL_TASK_PENDING) {
        if (!al__placement_find(s, t, NULL, &ch))
            return 0;
        assert_int_equal(
            al__statement_allocate(st, t, ch.node, ch.gpus, ch.gpu_count, ch.pipelined), 0);
        kinds_seen |= 1u;
        return 1;
    }
    if (ts->state == AL_TASK_RELEASING && ts->evicted) {
        if (rand_r(seed) % 2) {
            assert_int_equal(al__statement_unevict(st, t), 0);
            kinds_seen |= 16u;
            return 1;
        }
        const struct al__place_options moving = {.move_evicted = true, .pipeline_only = true};
        if (!al__placement_find(s, t, &moving, &ch))
            return 0;
        assert_int_equal(al__statement_allocate(st, t, ch.node, ch.gpus, ch.gpu_count, true), 0);
        kinds_seen |= 32u;
        return 1;
    }
    if (ts->state == AL_TASK_ALLOCATED && rand_r(seed) % 2) {
        assert_int_equal(al__statement_pipeline(st, t), 0);
        kinds_seen |= 2u;
        return 1;
    }
    if (ts->state == AL_TASK_RUNNING || ts->state == AL_TASK_ALLOCATED ||
        ts->state == AL_TASK_PIPELINED) {
        int32_t by = (int32_t)(rand_r(seed) % s->cluster->job_count);
        bool plain = rand_r(seed) % 2;
        assert_int_equal(plain ? al__statement_evict(st, t, AL_REASON_NONE)
                               : al__statement_evict_for(st, t, AL_REASON_RECLAIMED, by),
                         0);
        kinds_seen |= plain ? 4u : 8u;
        return 1;
    }
    return 0;
}

static void random_sequences_roll_back_exactly(void **state) {
    (void)state;
    struct al_cluster c;
    build(&c);
    unsigned seed = 12345;
    int total = 0;
    for (int round = 0; round < 400; round++) {
        struct al__session s;
        assert_int_equal(al__session_init(&s, &c, NULL), 0);
        struct image before, middle, after;
        image_take(&s, &before);
        struct al__statement st;
        al__statement_begin(&st, &s);
        int n = 1 + (int)(rand_r(&seed) % 40), done = 0;
        size_t mark = 0;
        for (int i = 0; i < n; i++) {
            if (i == n / 2) {
                mark = al__statement_checkpoint(&st);
                image_take(&s, &middle);
            }
            done += random_op(&s, &st, &seed);
        }
        total += done;
        al__statement_rollback(&st, mark);
        image_take(&s, &after);
        images_equal(&middle, &after);
        image_free(&after);
        al__statement_discard(&st);
        image_take(&s, &after);
        images_equal(&before, &after);
        image_free(&before);
        image_free(&middle);
        image_free(&after);
        al__session_release(&s, NULL);
    }
    assert_true(total > 500); /* the sequences really changed the session */
    assert_true(kinds_seen == 0x3f);
    al_cluster_release(&c);
}

/* Committed work stays; a later discard of a new statement only undoes its own work. */
static void commit_keeps_and_discard_undoes_only_its_own(void **state) {
    (void)state;
    struct al_cluster c;
    build(&c);
    struct al__session s;
    assert_int_equal(al__session_init(&s, &c, NULL), 0);
    struct al__statement st;
    al__statement_begin(&st, &s);
    int32_t t = tb_find_task(&c, "p0-1");
    struct al__choice ch;
    assert_true(al__placement_find(&s, t, NULL, &ch));
    assert_int_equal(al__statement_allocate(&st, t, ch.node, ch.gpus, ch.gpu_count, false), 0);
    al__statement_commit(&st);
    struct image kept, after;
    image_take(&s, &kept);
    al__statement_begin(&st, &s);
    assert_int_equal(al__statement_evict(&st, t, AL_REASON_NONE), 0);
    assert_int_equal(s.tasks[t].state, AL_TASK_RELEASING);
    al__statement_discard(&st);
    image_take(&s, &after);
    images_equal(&kept, &after);
    assert_int_equal(s.tasks[t].state, AL_TASK_ALLOCATED);
    image_free(&kept);
    image_free(&after);
    al__session_release(&s, NULL);
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_sequences_roll_back_exactly),
        cmocka_unit_test(commit_keeps_and_discard_undoes_only_its_own),
    };
    return cmocka_run_group_tests_name("statement", tests, NULL, NULL);
}
