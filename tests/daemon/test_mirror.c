/* test_mirror.c - allotd's state kept as a mirroring backend says (src/daemon/mirror.c), with a
 * scripted backend in place of a cluster: queues and workloads are put, changed and removed
 * (in memory and in the store), what allotd decided and the cluster cannot show yet is kept,
 * the first sync removes what the backend no longer has, an inventory change renumbers the
 * nodes (tasks keep theirs by name) - and after every step the kept model says what a model
 * built whole says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/cycle_model.h"
#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "support/tempdir.h"

/* ---- a scripted backend ---- */

struct script {
    struct al__mirror_queue queues[4];
    size_t queue_count;
    const char *removed_queue;
    struct al__mirror_workload workloads[4];
    size_t workload_count;
    const char *removed_project, *removed_workload;
    struct al__inventory *inventory; /* replaces the backend's when set */
};

static struct script script;
static bool last_all;

static void scripted_sync(struct al__backend *b, bool all, const struct al__mirror *m) {
    last_all = all;
    if (script.inventory) {
        b->inventory = *script.inventory;
        m->inventory_changed(m->arg);
    }
    for (size_t i = 0; i < script.queue_count; i++)
        m->queue_put(m->arg, &script.queues[i]);
    for (size_t i = 0; i < script.workload_count; i++)
        m->workload_put(m->arg, &script.workloads[i]);
    if (script.removed_workload)
        m->workload_remove(m->arg, script.removed_project, script.removed_workload);
    if (script.removed_queue)
        m->queue_remove(m->arg, script.removed_queue);
    memset(&script, 0, sizeof(script));
}

static void no_forget(struct al__backend *b, struct al__task_key key) {
    (void)b, (void)key;
}

static const struct al__backend_type scripted = {
    .name = "scripted", .sync = scripted_sync, .forget = no_forget};

/* ---- allotd around it ---- */

static struct al__node_gpu gpus[3][2];
static struct al__node nodes[3];
static struct al__inventory two_nodes, three_nodes;

struct fixture {
    char dir[256];
    struct allotd d;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    char path[512], err[256];
    assert_non_null(f);
    assert_int_equal(tb_tempdir_make(f->dir, sizeof(f->dir), "allot-mirror"), 0);
    snprintf(path, sizeof(path), "%s/allot.db", f->dir);
    assert_int_equal(al__store_open(path, &f->d.store, err, sizeof(err)), 0);
    const char *names[] = {"node-b", "node-c", "node-a"};
    for (int n = 0; n < 3; n++) {
        snprintf(nodes[n].name, sizeof(nodes[n].name), "%s", names[n]);
        nodes[n].cpu_millis = 8000;
        nodes[n].memory_bytes = (int64_t)1 << 34;
        gpus[n][0].memory_mib = gpus[n][1].memory_mib = 1000;
        nodes[n].gpus = gpus[n];
        nodes[n].gpu_count = 2;
    }
    two_nodes = (struct al__inventory){.nodes = nodes, .node_count = 2};
    three_nodes = (struct al__inventory){.nodes = nodes, .node_count = 3};
    f->d.backend.type = &scripted;
    f->d.backend.inventory = two_nodes;
    al__state_node(&f->d.state, "node-b");
    al__state_node(&f->d.state, "node-c");
    f->d.kept_model = al__kept_create();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    al__kept_free(f->d.kept_model);
    al__state_release(&f->d.state);
    al__store_close(f->d.store);
    tb_tempdir_remove(f->dir);
    free(f);
    return 0;
}

/* One sync in its transaction, then the kept model against a whole one. */
static void sync_and_check(struct allotd *d) {
    struct al__cycle_model kept, whole;
    char why[512];
    assert_int_equal(al__store_begin(d->store), 0);
    al__mirror_sync(d);
    assert_int_equal(al__store_commit(d->store), 0);
    al__kept_build(d, d->kept_model, &kept);
    al__model_build(d, &whole);
    if (!al__model_same(&kept, &whole, why, sizeof(why)))
        fail_msg("kept model differs: %s", why);
    al__model_release(&whole);
    al__model_release(&kept);
}

static struct al__mirror_queue queue(const char *name, const char *parent, bool project) {
    struct al__mirror_queue q = {
        .name = name, .parent = parent, .project = project, .priority = 100};
    for (int r = 0; r < 3; r++) {
        q.deserved[r] = r == 0 ? 4000 : AL_UNLIMITED;
        q.limit[r] = AL_UNLIMITED;
        q.weight[r] = 1;
    }
    return q;
}

static const int32_t dev0[] = {0}, dev1[] = {1};

static struct al__mirror_workload workload(const char *name, const struct al__mirror_task *tasks,
                                           size_t count) {
    return (struct al__mirror_workload){.project = "team",
                                        .name = name,
                                        .priority = 50,
                                        .preemptible = true,
                                        .min_members = 1,
                                        .gpus = 1,
                                        .gpu_device_count = 1,
                                        .cpu_millis = 1000,
                                        .memory_bytes = 1 << 20,
                                        .created_s = 1000,
                                        .tasks = tasks,
                                        .task_count = count};
}

static void mirror_keeps_the_state_as_the_cluster_says(void **state) {
    struct fixture *f = *state;
    struct allotd *d = &f->d;
    struct al__mirror_task running = {.state = AL__MIRROR_RUNNING,
                                      .ref = "uid-1",
                                      .node = "node-c",
                                      .gpus = dev1,
                                      .gpu_count = 1,
                                      .started_s = 1001,
                                      .finished_s = -1};
    struct al__mirror_task pending = {
        .state = AL__MIRROR_PENDING, .started_s = -1, .finished_s = -1};
    struct al__mirror_task pair[] = {running, pending};

    /* The first sync: a department, a project, a workload of a running and a pending pod. */
    script.queues[0] = queue("dept", "", false);
    script.queues[1] = queue("team", "dept", true);
    script.queue_count = 2;
    script.workloads[0] = workload("train", pair, 2);
    script.workload_count = 1;
    sync_and_check(d);
    assert_true(last_all);
    struct al__dworkload *w = al__state_workload(&d->state, "team", "train");
    assert_non_null(w);
    assert_int_equal(w->state, AL__W_RUNNING);
    assert_string_equal(al__state_node_name(&d->state, w->tasks[0].node), "node-c");
    assert_string_equal(w->tasks[0].ref, "uid-1");
    assert_int_equal(w->tasks[1].state, AL__T_PENDING);
    assert_false(al__state_queue(&d->state, "dept")->project);

    /* allotd places the pending task; the cluster does not show the bind yet: it stays. */
    w->tasks[1].state = AL__T_RUNNING;
    w->tasks[1].node = 0;
    w->tasks[1].gpus[0] = 0;
    w->tasks[1].gpu_count = 1;
    al__state_add_to(&d->state, AL__HOLDING, w);
    script.workloads[0] = workload("train", pair, 2);
    script.workload_count = 1;
    sync_and_check(d);
    assert_false(last_all);
    assert_int_equal(w->tasks[1].state, AL__T_RUNNING);
    /* ... and once it shows it, that is what counts. */
    struct al__mirror_task bound = {.state = AL__MIRROR_RUNNING,
                                    .ref = "uid-2",
                                    .node = "node-b",
                                    .gpus = dev0,
                                    .gpu_count = 1,
                                    .started_s = 1002,
                                    .finished_s = -1};
    struct al__mirror_task both[] = {running, bound};
    script.workloads[0] = workload("train", both, 2);
    script.workload_count = 1;
    sync_and_check(d);
    assert_string_equal(w->tasks[1].ref, "uid-2");

    /* A third pod: its tasks are others now (a new workload of three). */
    struct al__mirror_task three[] = {running, bound, pending};
    script.workloads[0] = workload("train", three, 3);
    script.workload_count = 1;
    sync_and_check(d);
    w = al__state_workload(&d->state, "team", "train");
    assert_int_equal(w->spec.workers, 3);

    /* A node joins, first in the inventory's order: tasks keep their nodes by name. */
    struct al__node reordered[3] = {nodes[2], nodes[0], nodes[1]};
    struct al__inventory inv = {.nodes = reordered, .node_count = 3};
    script.inventory = &inv;
    sync_and_check(d);
    assert_string_equal(al__state_node_name(&d->state, w->tasks[0].node), "node-c");
    assert_string_equal(al__state_node_name(&d->state, w->tasks[1].node), "node-b");
    assert_int_equal(w->tasks[0].node, 2); /* its index in the new inventory */
    assert_string_equal(al__state_node_name(&d->state, 0), "node-a");

    /* Every pod succeeded: so did the workload. */
    struct al__mirror_task done = {
        .state = AL__MIRROR_SUCCEEDED, .ref = "uid-1", .started_s = 1001, .finished_s = 1100};
    struct al__mirror_task all_done[] = {done, done, done};
    script.workloads[0] = workload("train", all_done, 3);
    script.workload_count = 1;
    sync_and_check(d);
    assert_int_equal(w->state, AL__W_SUCCEEDED);

    /* Removed in the cluster: removed here, queue and all. */
    script.removed_project = "team";
    script.removed_workload = "train";
    script.removed_queue = "team";
    sync_and_check(d);
    assert_null(al__state_workload(&d->state, "team", "train"));
    assert_null(al__state_queue(&d->state, "team"));
    d->backend.inventory = two_nodes;
}

static void the_first_sync_removes_what_the_cluster_lost(void **state) {
    struct fixture *f = *state;
    struct allotd *d = &f->d;
    struct al__mirror_task pending = {
        .state = AL__MIRROR_PENDING, .started_s = -1, .finished_s = -1};
    script.queues[0] = queue("team", "", true);
    script.queue_count = 1;
    script.workloads[0] = workload("a", &pending, 1);
    script.workloads[1] = workload("b", &pending, 1);
    script.workload_count = 2;
    sync_and_check(d);
    assert_non_null(al__state_workload(&d->state, "team", "b"));
    d->mirrored = false; /* as after a restart: the next sync is everything there is */
    script.queues[0] = queue("team", "", true);
    script.queue_count = 1;
    script.workloads[0] = workload("a", &pending, 1);
    script.workload_count = 1;
    sync_and_check(d);
    assert_true(last_all);
    assert_non_null(al__state_workload(&d->state, "team", "a"));
    assert_null(al__state_workload(&d->state, "team", "b"));
}

static void invalid_names_are_not_mirrored(void **state) {
    struct fixture *f = *state;
    struct allotd *d = &f->d;
    struct al__mirror_task pending = {
        .state = AL__MIRROR_PENDING, .started_s = -1, .finished_s = -1};
    script.queues[0] = queue("Not_A_Name", "", true);
    script.queues[1] = queue("team", "", true);
    script.queue_count = 2;
    script.workloads[0] = workload("UPPER", &pending, 1);
    script.workloads[1] = workload("fine", &pending, 1);
    script.workloads[1].project = "nowhere"; /* no such project */
    script.workload_count = 2;
    sync_and_check(d);
    assert_null(al__state_queue(&d->state, "Not_A_Name"));
    assert_int_equal(d->state.workload_count, 0);
}

static void tasks_may_ask_for_different_things(void **state) {
    struct fixture *f = *state;
    struct allotd *d = &f->d;
    /* A head that needs no GPU and a worker of two, on nodes of two: each counts as it asks. */
    struct al__mirror_task head = {.state = AL__MIRROR_RUNNING,
                                   .ref = "uid-h",
                                   .node = "node-b",
                                   .started_s = 1,
                                   .finished_s = -1,
                                   .own_request = true,
                                   .request = {0, 0, 0, 1, 500, 1 << 20}};
    struct al__mirror_task worker = {.state = AL__MIRROR_PENDING,
                                     .started_s = -1,
                                     .finished_s = -1,
                                     .own_request = true,
                                     .request = {2, 0, 0, 1, 1000, 1 << 20}};
    struct al__mirror_task tasks[] = {head, worker};
    script.queues[0] = queue("team", "", true);
    script.queue_count = 1;
    script.workloads[0] = workload("ray", tasks, 2);
    script.workloads[0].gpus = 2; /* the largest, as the backend says */
    script.workload_count = 1;
    sync_and_check(d);
    struct al__dworkload *w = al__state_workload(&d->state, "team", "ray");
    assert_non_null(w);
    assert_non_null(w->requests);
    assert_int_equal(al__task_request_of(w, 0).gpus, 0);
    assert_int_equal(al__task_request_of(w, 1).gpus, 2);
    struct al__cycle_model m;
    al__model_build(d, &m);
    assert_int_equal(m.cluster.task_count, 2);
    assert_int_equal(m.cluster.tasks[0].gpus + m.cluster.tasks[1].gpus, 2);
    al__model_release(&m);
    /* Alike again: no per-task requests. */
    tasks[0].request = tasks[1].request;
    tasks[0].state = AL__MIRROR_PENDING;
    script.workloads[0] = workload("ray", tasks, 2);
    script.workloads[0].gpus = 2;
    script.workload_count = 1;
    sync_and_check(d);
    assert_null(w->requests);
}

static void subgroups_follow_the_tasks_that_name_them(void **state) {
    struct fixture *f = *state;
    struct allotd *d = &f->d;
    /* Pods in name order alternate between two sub-groups: each task keeps its own. */
    struct al__mirror_task tasks[4];
    for (int i = 0; i < 4; i++)
        tasks[i] = (struct al__mirror_task){
            .state = AL__MIRROR_PENDING, .started_s = -1, .finished_s = -1, .subgroup = i % 2};
    /* (levels: the API's test_subgroups; this inventory has no topology to resolve them) */
    struct al__mirror_subgroup parts[] = {{"prefill", 2, NULL, NULL}, {"decode", 1, NULL, NULL}};
    script.queues[0] = queue("team", "", true);
    script.queue_count = 1;
    script.workloads[0] = workload("pd", tasks, 4);
    script.workloads[0].subgroups = parts;
    script.workloads[0].subgroup_count = 2;
    script.workload_count = 1;
    sync_and_check(d);
    struct al__dworkload *w = al__state_workload(&d->state, "team", "pd");
    assert_non_null(w);
    assert_int_equal(w->spec.subgroup_count, 2);
    assert_string_equal(w->spec.subgroups[0].name, "prefill");
    assert_int_equal(w->spec.subgroups[0].workers, 2);
    assert_int_equal(w->spec.min_members, 3); /* the sum of the sub-groups' minimums */
    assert_non_null(w->task_subgroups);
    for (int32_t i = 0; i < 4; i++)
        assert_int_equal(al__task_subgroup(w, i), i % 2);
    struct al__cycle_model m;
    al__model_build(d, &m);
    assert_int_equal(m.cluster.job_count, 1);
    assert_int_equal(m.cluster.jobs[0].subgroup_count, 2);
    assert_int_equal(m.cluster.jobs[0].min_members, 0);
    assert_int_equal(m.cluster.jobs[0].subgroups[1].min_members, 1);
    assert_int_equal(m.cluster.tasks[1].subgroup, 1);
    al__model_release(&m);
    /* In order now (and a changed minimum): no per-task list, the spec counts them. */
    for (int i = 0; i < 4; i++)
        tasks[i].subgroup = i / 2;
    parts[1].min_members = 2;
    script.workloads[0] = workload("pd", tasks, 4);
    script.workloads[0].subgroups = parts;
    script.workloads[0].subgroup_count = 2;
    script.workload_count = 1;
    sync_and_check(d);
    assert_null(w->task_subgroups);
    assert_int_equal(al__task_subgroup(w, 1), 0);
    assert_int_equal(al__task_subgroup(w, 2), 1);
    assert_int_equal(w->spec.min_members, 4);
    /* A task in no sub-group: not mirrored (the workload stays as it was). */
    tasks[3].subgroup = 2;
    script.workloads[0] = workload("pd", tasks, 4);
    script.workloads[0].subgroups = parts;
    script.workloads[0].subgroup_count = 2;
    script.workload_count = 1;
    sync_and_check(d);
    assert_int_equal(w->spec.subgroup_count, 2);
    assert_int_equal(w->spec.min_members, 4);
}

/* A gang whose pods were evicted and made again: its tasks are younger than it, so it is
 * pending since them (reservations wait again), while created_s keeps its place in the queue. */
static void a_gang_made_again_is_pending_since_its_pods(void **state) {
    struct fixture *f = *state;
    struct allotd *d = &f->d;
    struct al__mirror_task pending = {
        .state = AL__MIRROR_PENDING, .started_s = -1, .finished_s = -1};
    script.queues[0] = queue("team", "", true);
    script.queue_count = 1;
    script.workloads[0] = workload("gang", &pending, 1);
    script.workload_count = 1;
    sync_and_check(d);
    struct al__dworkload *w = al__state_workload(&d->state, "team", "gang");
    assert_non_null(w);
    assert_int_equal(w->pending_since_s, -1);
    script.queues[0] = queue("team", "", true); /* each sync says it all again */
    script.queue_count = 1;
    script.workloads[0] = workload("gang", &pending, 1);
    script.workloads[0].created_s = 5000; /* its pod made again */
    script.workload_count = 1;
    sync_and_check(d);
    assert_int_equal(w->created_s, 1000);
    assert_int_equal(w->pending_since_s, 5000);
    struct al__cycle_model m;
    al__model_build(d, &m);
    assert_int_equal(m.cluster.job_count, 1);
    assert_true(m.cluster.jobs[0].has_pending_since);
    assert_int_equal(m.cluster.jobs[0].pending_since_s, 5000);
    assert_int_equal(m.cluster.jobs[0].created_s, 1000);
    al__model_release(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mirror_keeps_the_state_as_the_cluster_says, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_first_sync_removes_what_the_cluster_lost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(invalid_names_are_not_mirrored, setup, teardown),
        cmocka_unit_test_setup_teardown(tasks_may_ask_for_different_things, setup, teardown),
        cmocka_unit_test_setup_teardown(subgroups_follow_the_tasks_that_name_them, setup, teardown),
        cmocka_unit_test_setup_teardown(a_gang_made_again_is_pending_since_its_pods, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
