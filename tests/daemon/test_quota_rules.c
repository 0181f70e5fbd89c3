/* test_quota_rules.c - the quota rules of API writes (quota_rules.h): what each refuses, and that
 * contradictions already stored (or mirrored from a cluster) block only writes that worsen them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/quota_rules.h"

/* A queue with gpu deserved/limit as given (milli-GPU), CPU and memory not under quota. */
static struct al__dqueue queue(const char *name, const char *parent, int64_t deserved,
                               int64_t limit) {
    struct al__dqueue q;
    memset(&q, 0, sizeof(q));
    snprintf(q.name, sizeof(q.name), "%s", name);
    snprintf(q.parent, sizeof(q.parent), "%s", parent);
    q.project = parent[0] != '\0';
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        q.deserved[r] = q.limit[r] = AL_UNLIMITED;
        q.weight[r] = 1;
    }
    q.deserved[AL_GPU] = deserved;
    q.limit[AL_GPU] = limit;
    return q;
}

/* A department "d" deserving `d` with projects "a" and "b" deserving `a` and `b`, stored as they
 * are (no rule applied). */
static void tree(struct al__state *st, int64_t d, int64_t a, int64_t b) {
    struct al__dqueue q = queue("d", "", d, AL_UNLIMITED);
    al__state_add_queue(st, &q);
    q = queue("a", "d", a, AL_UNLIMITED);
    al__state_add_queue(st, &q);
    q = queue("b", "d", b, AL_UNLIMITED);
    al__state_add_queue(st, &q);
}

/* al__quota_check on an update of the stored queue `name` to `to`. */
static int update(struct al__state *st, const struct al__dqueue *to, struct al__failure *f) {
    struct al__dqueue was = *al__state_queue(st, to->name);
    return al__quota_check(st, &was, to, f);
}

static void own_settings_are_judged(void **state) {
    struct al__state st = {0};
    struct al__failure f;
    struct al__dqueue q = queue("p", "", AL_UNLIMITED, AL_UNLIMITED);
    (void)state;
    assert_int_equal(al__quota_check(&st, NULL, &q, &f), -1);
    assert_string_equal(f.code, "invalid_argument");
    assert_string_equal(f.field, "deserved.gpu");
    q = queue("p", "", 6000, 4000);
    assert_int_equal(al__quota_check(&st, NULL, &q, &f), -1);
    assert_string_equal(f.message, "deserved 6 GPUs is above the limit of 4 GPUs");
    q.deserved[AL_GPU] = 4000;
    q.limit[AL_MEMORY] = 1 << 30; /* memory not under quota, capped */
    assert_int_equal(al__quota_check(&st, NULL, &q, &f), 0);
    al__state_release(&st);
}

static void a_stored_oversubscription_blocks_only_what_worsens_it(void **state) {
    struct al__state st = {0};
    struct al__failure f;
    (void)state;
    tree(&st, 2000, 2000, 1000); /* 3 GPUs under a department of 2 */
    struct al__dqueue a = *al__state_queue(&st, "a");
    a.priority = 7;
    assert_int_equal(update(&st, &a, &f), 0); /* unrelated */
    a.deserved[AL_GPU] = 1500;
    assert_int_equal(update(&st, &a, &f), 0); /* better, if not good yet */
    a.deserved[AL_GPU] = 2500;
    assert_int_equal(update(&st, &a, &f), -1); /* worse */
    assert_string_equal(f.message,
                        "projects of department d would deserve 3.5 GPUs in all, above its 2 GPUs");
    struct al__dqueue d = *al__state_queue(&st, "d");
    d.priority = 1;
    assert_int_equal(update(&st, &d, &f), 0);
    d.deserved[AL_GPU] = 1000; /* lower still */
    assert_int_equal(update(&st, &d, &f), -1);
    assert_string_equal(f.field, "deserved.gpu");
    assert_string_equal(f.message,
                        "projects of department d deserve 3 GPUs in all, above its 1 GPU");
    al__state_release(&st);
}

static void a_new_project_counts_against_its_department(void **state) {
    struct al__state st = {0};
    struct al__failure f;
    (void)state;
    tree(&st, 4000, 2000, 1000);
    struct al__dqueue c = queue("c", "d", 1000, AL_UNLIMITED);
    assert_int_equal(al__quota_check(&st, NULL, &c, &f), 0);
    c.deserved[AL_GPU] = 1001;
    assert_int_equal(al__quota_check(&st, NULL, &c, &f), -1);
    /* unlimited CPU under a department that guarantees a number of cores */
    al__state_queue(&st, "d")->deserved[AL_CPU] = 8000;
    c.deserved[AL_GPU] = 0;
    assert_int_equal(al__quota_check(&st, NULL, &c, &f), -1);
    assert_string_equal(f.field, "deserved.cpu_millis");
    c.deserved[AL_CPU] = 8000;
    assert_int_equal(al__quota_check(&st, NULL, &c, &f), 0); /* a and b: stored, unlimited */
    al__state_release(&st);
}

/* Gives queue q an entry for `pool` deserving `deserved` (limit and weight its own). */
static void pool_entry(struct al__dqueue *q, const char *pool, int64_t deserved) {
    struct al__dqueue_pool *e = &q->pools[q->pool_count++];
    snprintf(e->pool, sizeof(e->pool), "%s", pool);
    memcpy(e->deserved, q->deserved, sizeof(e->deserved));
    memcpy(e->limit, q->limit, sizeof(e->limit));
    memcpy(e->weight, q->weight, sizeof(e->weight));
    e->deserved[AL_GPU] = deserved;
}

/* In a pool each queue's quota is its entry for the pool, else its own: a project's entry
 * counts against the department's entry (or its own values), its siblings' own values too. */
static void pool_entries_count_against_the_department_in_their_pool(void **state) {
    struct al__state st = {0};
    struct al__failure f;
    (void)state;
    tree(&st, 4000, 1000, 1000);
    pool_entry(al__state_queue(&st, "d"), "a100", 2000);
    struct al__dqueue a = *al__state_queue(&st, "a");
    pool_entry(&a, "a100", 1000);
    assert_int_equal(update(&st, &a, &f), 0); /* 1 + b's own 1 within 2 */
    a.pools[0].deserved[AL_GPU] = 1500;
    assert_int_equal(update(&st, &a, &f), -1);
    assert_string_equal(f.field, "pools.a100.deserved.gpu");
    assert_string_equal(f.message, "in pool a100, projects of department d would deserve 2.5 GPUs "
                                   "in all, above its 2 GPUs");
    /* in a pool the department lists nowhere its own 4 GPUs bound the entry */
    a.pools[0].deserved[AL_GPU] = 1000;
    pool_entry(&a, "h100", 3500);
    assert_int_equal(update(&st, &a, &f), -1);
    assert_string_equal(f.field, "pools.h100.deserved.gpu");
    a.pools[1].deserved[AL_GPU] = 3000;
    assert_int_equal(update(&st, &a, &f), 0);
    /* an entry's own deserved above its limit */
    a.pools[1].limit[AL_GPU] = 2000;
    assert_int_equal(update(&st, &a, &f), -1);
    assert_string_equal(f.field, "pools.h100.deserved.gpu");
    assert_string_equal(f.message, "in pool h100, deserved 3 GPUs is above the limit of 2 GPUs");
    al__state_release(&st);
}

/* A department's entry lowered below what its projects deserve in the pool is refused; its own
 * quota lowered below a project's entry for a pool it does not list, too. */
static void a_department_pool_entry_cannot_fall_below_its_projects(void **state) {
    struct al__state st = {0};
    struct al__failure f;
    (void)state;
    tree(&st, 4000, 2000, 1000);
    pool_entry(al__state_queue(&st, "a"), "a100", 3000);
    struct al__dqueue d = *al__state_queue(&st, "d");
    pool_entry(&d, "a100", 4000);
    assert_int_equal(update(&st, &d, &f), 0); /* a100: 3 + b's own 1 */
    d.pools[0].deserved[AL_GPU] = 3000;
    assert_int_equal(update(&st, &d, &f), -1);
    assert_string_equal(f.field, "pools.a100.deserved.gpu");
    assert_string_equal(f.message,
                        "in pool a100, projects of department d deserve 4 GPUs in all, above its "
                        "3 GPUs");
    d = *al__state_queue(&st, "d");
    d.deserved[AL_GPU] = 3500; /* own: a 2 + b 1 fit, but a100 (own values there) 3 + 1 not */
    assert_int_equal(update(&st, &d, &f), -1);
    assert_string_equal(f.field, "pools.a100.deserved.gpu");
    al__state_release(&st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_settings_are_judged),
        cmocka_unit_test(a_stored_oversubscription_blocks_only_what_worsens_it),
        cmocka_unit_test(a_new_project_counts_against_its_department),
        cmocka_unit_test(pool_entries_count_against_the_department_in_their_pool),
        cmocka_unit_test(a_department_pool_entry_cannot_fall_below_its_projects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
