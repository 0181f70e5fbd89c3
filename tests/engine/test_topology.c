/* test_topology.c - topology-aware placement: explanations of constraints no domain satisfies,
 * and constraints the engine rejects. Placements themselves are checked by the scenarios
 * (tests/scenarios/allocate-topology-*.json). */
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
#include "allot/snapshot.h"
#include "snapshot/report.h"
#include "support/snapfiles.h"

static void parse(const char *text, struct al_cluster *c) {
    struct al_snapshot_error err;
    char *doc = tb_doc(text);
    if (al_snapshot_parse(doc, strlen(doc), c, &err) != 0) {
        print_error("%s: %s\n", err.path, err.message);
        fail();
    }
    free(doc);
}

static const struct al_explanation *why(const struct al_cluster *c, const struct al_result *r,
                                        const char *job) {
    for (size_t i = 0; i < r->explanation_count; i++)
        if (strcmp(c->jobs[r->explanations[i].job].name, job) == 0)
            return &r->explanations[i];
    print_error("no explanation for job %s\n", job);
    fail();
    return NULL;
}

static void expect_text(const struct al_cluster *c, const struct al_explanation *e,
                        const char *part) {
    char text[512];
    al_explanation_text(c, e, text, sizeof(text));
    if (!strstr(text, part))
        print_error("explanation \"%s\"\n lacks \"%s\"\n", text, part);
    assert_non_null(strstr(text, part));
}

#define QUEUES "'queues':[{'name':'root'},{'name':'q','parent':'root'}]"
#define RACKS                                                                                      \
    "'topologies':[{'name':'dc','levels':['block','rack']}],"                                      \
    "'nodes':[{'name':'a','gpus':8,'labels':{'block':'b1','rack':'r1'}},"                          \
    "{'name':'b','gpus':4,'labels':{'block':'b1','rack':'r1'}},"                                   \
    "{'name':'c','gpus':8,'labels':{'block':'b1','rack':'r2'}},"                                   \
    "{'name':'d','gpus':8,'labels':{'block':'b2','rack':'r3'}}],"
#define PENDING(name, gpus) "{'name':'" name "','state':'pending','gpus':" gpus "}"

static void no_domain_with_room_is_explained_with_the_largest(void **state) {
    (void)state;
    struct al_cluster c;
    struct al_result r;
    parse("{'config':{'actions':['allocate']}," RACKS QUEUES ",'jobs':[{'name':'big','queue':'q',"
          "'priority':50,'required_topology_level':'rack','tasks':[" PENDING(
              "big-0", "8") "," PENDING("big-1", "8") "]}]}",
          &c);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    const struct al_explanation *e = why(&c, &r, "big");
    assert_int_equal(e->reason, AL_REASON_TOPOLOGY);
    assert_int_equal(al_explanation_topology(&c, e)->topology, 0);
    assert_int_equal(e->topology_level, 2);
    assert_int_equal(e->topology_subgroup, -1);
    assert_int_equal(e->requested_task[AL_GPU], 16000);
    assert_int_equal(e->best_free[AL_GPU], 12000); /* rack r1: a and b */
    assert_int_equal(e->placeable, 1);             /* one 8-GPU task fits on a, none on b */
    assert_int_equal(e->needed, 2);
    assert_int_equal(e->nodes_matching, 3);
    expect_text(&c, e,
                "no rack has room for the job's 16 GPUs (required topology level rack of "
                "topology dc; the largest rack domain has 12 GPUs free)");
    al_result_release(&r);
    al_cluster_release(&c);
}

static void room_in_sum_but_not_per_node_is_explained(void **state) {
    (void)state;
    struct al_cluster c;
    struct al_result r;
    /* rack r1 has 12 GPUs free, but as 8 + 4: three 4-GPU tasks fit, two 6-GPU ones do not */
    parse("{'config':{'actions':['allocate']}," RACKS QUEUES ",'jobs':[{'name':'odd','queue':'q',"
          "'priority':50,'required_topology_level':'block','tasks':[" PENDING(
              "odd-0", "6") "," PENDING("odd-1", "6") "," PENDING("odd-2", "6") "]}]}",
          &c);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    const struct al_explanation *e = why(&c, &r, "odd");
    assert_int_equal(e->reason, AL_REASON_TOPOLOGY);
    assert_int_equal(e->topology_level, 1);
    assert_int_equal(e->best_free[AL_GPU], 20000); /* block b1 */
    assert_int_equal(e->placeable, 2);
    expect_text(&c, e, "but room on its nodes for 2 of the 3 tasks");
    al_result_release(&r);
    al_cluster_release(&c);
}

static void a_subgroup_without_room_is_named(void **state) {
    (void)state;
    struct al_cluster c;
    struct al_result r;
    parse("{'config':{'actions':['allocate']}," RACKS QUEUES ",'jobs':[{'name':'sg','queue':'q',"
          "'priority':50,'required_topology_level':'block','subgroups':[{'name':'ps',"
          "'min_members':1},{'name':'workers','min_members':2,'required_topology_level':'rack'}],"
          "'tasks':[{'name':'sg-ps','state':'pending','gpus':1,'subgroup':'ps'},"
          "{'name':'sg-w0','state':'pending','gpus':8,'subgroup':'workers'},"
          "{'name':'sg-w1','state':'pending','gpus':8,'subgroup':'workers'}]}]}",
          &c);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    const struct al_explanation *e = why(&c, &r, "sg");
    assert_int_equal(e->reason, AL_REASON_TOPOLOGY);
    assert_int_equal(e->topology_level, 2);
    assert_int_equal(e->topology_subgroup, 1);
    expect_text(&c, e, "no rack has room for the 16 GPUs of subgroup workers");
    al_result_release(&r);
    al_cluster_release(&c);
}

static void nodes_without_the_labels_are_outside_every_domain(void **state) {
    (void)state;
    struct al_cluster c;
    struct al_result r;
    parse("{'config':{'actions':['allocate']},'topologies':[{'name':'dc','levels':['rack']}],"
          "'nodes':[{'name':'a','gpus':8}]," QUEUES ",'jobs':[{'name':'j','queue':'q',"
          "'priority':50,'required_topology_level':'rack','tasks':[" PENDING("j-0", "1") "]}]}",
          &c);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    const struct al_explanation *e = why(&c, &r, "j");
    assert_int_equal(e->reason, AL_REASON_TOPOLOGY);
    assert_int_equal(e->nodes_matching, 0);
    expect_text(&c, e, "no node carries the labels down to rack");
    al_result_release(&r);
    al_cluster_release(&c);
}

static void placed_tasks_hold_the_job_to_their_domain(void **state) {
    (void)state;
    struct al_cluster c;
    struct al_result r;
    /* rack r1 (a: 8 GPUs, 4 of them the job's running task's), r2 (c: 8 free): the job's next
     * 8-GPU task would fit r2, but its running task holds it to r1 */
    parse("{'config':{'actions':['allocate']},'topologies':[{'name':'dc','levels':['rack']}],"
          "'nodes':[{'name':'a','gpus':8,'labels':{'rack':'r1'}},"
          "{'name':'c','gpus':8,'labels':{'rack':'r2'}}]," QUEUES ",'jobs':[{'name':'el',"
          "'queue':'q','priority':50,'min_members':1,'required_topology_level':'rack','tasks':["
          "{'name':'el-0','state':'running','node':'a','gpus':4}," PENDING("el-1", "8") "]}]}",
          &c);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    const struct al_explanation *e = why(&c, &r, "el");
    assert_int_equal(e->reason, AL_REASON_TOPOLOGY);
    assert_int_equal(e->allocated, 1);
    assert_int_equal(e->best_free[AL_GPU], 4000);
    expect_text(&c, e, "its 1 placed task holds it to one rack, which has 4 GPUs free");
    al_result_release(&r);
    al_cluster_release(&c);
}

static void a_constraint_out_of_range_is_rejected(void **state) {
    (void)state;
    struct al_cluster c;
    struct al_result r;
    parse("{'config':{'actions':['allocate']}," RACKS QUEUES ",'jobs':[{'name':'j','queue':'q',"
          "'priority':50,'required_topology_level':'rack','tasks':[" PENDING("j-0", "1") "]}]}",
          &c);
    c.jobs[0].topology.required_level = 3; /* the topology has two levels */
    assert_int_equal(al_cycle_run(&c, &r), -AL_EINVAL);
    c.jobs[0].topology.required_level = 2;
    c.jobs[0].topology.preferred_level = 1; /* wider than the required one */
    assert_int_equal(al_cycle_run(&c, &r), -AL_EINVAL);
    c.jobs[0].topology.preferred_level = 0;
    c.jobs[0].topology.topology = 1;
    assert_int_equal(al_cycle_run(&c, &r), -AL_EINVAL);
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_domain_with_room_is_explained_with_the_largest),
        cmocka_unit_test(room_in_sum_but_not_per_node_is_explained),
        cmocka_unit_test(a_subgroup_without_room_is_named),
        cmocka_unit_test(nodes_without_the_labels_are_outside_every_domain),
        cmocka_unit_test(placed_tasks_hold_the_job_to_their_domain),
        cmocka_unit_test(a_constraint_out_of_range_is_rejected),
    };
    return cmocka_run_group_tests_name("topology", tests, NULL, NULL);
}
