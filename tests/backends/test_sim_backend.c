/* test_sim_backend.c - the sim backend's operations on a tiny trace: its inventory and projects,
 * jobs put through the mirror as the virtual clock reaches them (a 16-GPU job as a gang of two
 * 8-GPU tasks), tasks ending on the clock, a stop (eviction) ending a run at once. allotd's
 * loop over them is tested end to end by tests/api/test_sim_timed.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/sim/sim.h"

/* What the mirror was told. */
struct seen {
    char queues[8][64], parents[8][64];
    int64_t deserved[8];
    size_t queue_count;
    char workloads[8][64], projects[8][64];
    size_t tasks[8];
    int32_t min_members[8], task_gpus[8][4];
    int64_t created[8];
    size_t workload_count;
};

static void queue_put(void *arg, const struct al__mirror_queue *q) {
    struct seen *s = arg;
    snprintf(s->queues[s->queue_count], 64, "%s", q->name);
    snprintf(s->parents[s->queue_count], 64, "%s", q->parent);
    s->deserved[s->queue_count++] = q->deserved[AL_GPU];
}

static void workload_put(void *arg, const struct al__mirror_workload *w) {
    struct seen *s = arg;
    size_t i = s->workload_count++;
    snprintf(s->workloads[i], 64, "%s", w->name);
    snprintf(s->projects[i], 64, "%s", w->project);
    s->tasks[i] = w->task_count;
    s->min_members[i] = w->min_members;
    s->created[i] = w->created_s;
    for (size_t k = 0; k < w->task_count && k < 4; k++) {
        assert_int_equal(w->tasks[k].state, AL__MIRROR_PENDING);
        s->task_gpus[i][k] = w->tasks[k].request.gpus;
    }
}

/* A mirror that notes what it is told in *seen (emptied). */
static struct al__mirror mirror_of(struct seen *seen) {
    memset(seen, 0, sizeof(*seen));
    return (struct al__mirror){.arg = seen, .queue_put = queue_put, .workload_put = workload_put};
}

static char jobs_path[64], vcs_path[64], result_path[64];

static void write_file(char *path, const char *text) {
    snprintf(path, 64, "/tmp/test_sim_backend_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int open_tiny(struct al__backend *b, const char *extra_name, const char *extra_value) {
    write_file(jobs_path, "timestamp,duration,num_gpus,gpu_time,cluster\n"
                          "2017-10-01 00:00:10,50,16,800,vca\n"
                          "2017-10-01 00:00:00,100,8,800,vcb\n"
                          "2017-10-01 00:00:05,30,1,30,other\n");
    write_file(vcs_path, "vc,node num\nvca,1\nvcb,1\n");
    snprintf(result_path, sizeof(result_path), "/tmp/test_sim_backend_result.json");
    struct al__backend_option opts[] = {
        {"jobs", jobs_path}, {"vcs", vcs_path}, {"result", result_path}, {extra_name, extra_value}};
    char err[512] = "";
    int rc =
        al__backend_open(b, &al__sim_backend, "/tmp", opts, extra_name ? 4 : 3, err, sizeof(err));
    unlink(jobs_path);
    unlink(vcs_path);
    if (rc < 0)
        print_message("open: %s\n", err);
    return rc;
}

static void inventory_and_projects_come_from_the_vc_table(void **state) {
    (void)state;
    struct al__backend b;
    struct seen seen;
    struct al__mirror m = mirror_of(&seen);
    assert_int_equal(open_tiny(&b, NULL, NULL), 0);
    assert_int_equal(b.inventory.node_count, 2);
    assert_int_equal(b.inventory.nodes[1].gpu_count, 8);
    struct al__sim *s = b.data;
    assert_int_equal(s->now, 1506816000); /* the first arrival */
    b.type->sync(&b, true, &m);
    assert_int_equal(seen.queue_count, 4); /* the department, vca, vcb, unlisted */
    assert_string_equal(seen.queues[0], "philly");
    assert_string_equal(seen.parents[1], "philly");
    assert_string_equal(seen.queues[1], "vca");
    assert_int_equal(seen.deserved[1], 8000); /* milli-GPUs: 1 node x 8 */
    assert_string_equal(seen.queues[3], "unlisted");
    assert_int_equal(seen.deserved[3], 0);
    assert_int_equal(seen.workload_count, 1); /* only what arrived */
    assert_string_equal(seen.projects[0], "vcb");
    assert_int_equal(al__sim_next_event(s), 1506816005);
    s->now = 1506816010;
    b.type->sync(&b, false, &m);
    assert_int_equal(seen.queue_count, 4); /* once */
    assert_int_equal(seen.workload_count, 3);
    assert_string_equal(seen.projects[1], "unlisted");
    assert_string_equal(seen.projects[2], "vca");
    assert_int_equal(seen.tasks[2], 2); /* 16 GPUs on 8-GPU nodes: a gang of two */
    assert_int_equal(seen.min_members[2], 2);
    assert_int_equal(seen.task_gpus[2][0], 8);
    assert_int_equal(seen.task_gpus[2][1], 8);
    assert_int_equal(seen.created[2], 1506816010);
    assert_int_equal(al__sim_next_event(s), INT64_MAX); /* nothing runs, nothing arrives */
    al__backend_close(&b);
}

static enum al__task_status poll(struct al__backend *b, const char *ref, int *code) {
    return b->type->poll(b, (struct al__task_key){1, 0}, ref, code);
}

static void tasks_end_on_the_virtual_clock_and_stop_at_once(void **state) {
    (void)state;
    struct al__backend b;
    struct seen seen;
    struct al__mirror m = mirror_of(&seen);
    assert_int_equal(open_tiny(&b, NULL, NULL), 0);
    struct al__sim *s = b.data;
    s->now = 1506816010;
    b.type->sync(&b, true, &m);
    char ref0[AL__TASK_REF_MAX], ref1[AL__TASK_REF_MAX], err[256];
    int32_t gpus[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    struct al__task_start st = {
        .key = {7, 0}, .workload = "j2", .project = "vca", .gpus = gpus, .gpu_count = 8};
    assert_int_equal(b.type->start(&b, &st, ref0, err, sizeof(err)), 0);
    st.key.index = 1;
    assert_int_equal(b.type->start(&b, &st, ref1, err, sizeof(err)), 0);
    assert_string_equal(ref0, "j2.0.1");
    assert_int_equal(s->allocated_gpus, 16);
    assert_int_equal(s->running_jobs, 1);
    assert_int_equal(al__sim_next_event(s), 1506816060); /* 50 s on */
    int code = -1;
    s->now = 1506816059;
    assert_false(b.type->refresh(&b));
    assert_int_equal(poll(&b, ref0, &code), AL__TASK_RUNNING);
    /* An eviction: both tasks stop, counted once; the run's reference is gone after. */
    assert_int_equal(b.type->stop(&b, ref0, AL__STOP_GRACEFUL), 0);
    assert_int_equal(b.type->stop(&b, ref1, AL__STOP_GRACEFUL), 0);
    assert_int_equal(b.type->stop(&b, ref1, AL__STOP_NOW), -AL_ENOENT);
    assert_int_equal(s->evictions, 1);
    assert_int_equal(s->allocated_gpus, 0);
    assert_int_equal(poll(&b, ref0, &code), AL__TASK_EXITED);
    assert_int_equal(code, 143);
    assert_int_equal(al__sim_next_event(s), INT64_MAX);
    /* Started again, it runs its whole duration again. */
    st.key.index = 0;
    assert_int_equal(b.type->start(&b, &st, ref0, err, sizeof(err)), 0);
    st.key.index = 1;
    assert_int_equal(b.type->start(&b, &st, ref1, err, sizeof(err)), 0);
    assert_string_equal(ref1, "j2.1.2");
    assert_int_equal(al__sim_next_event(s), 1506816109);
    s->now = 1506816109;
    assert_true(b.type->refresh(&b));
    assert_int_equal(poll(&b, ref0, &code), AL__TASK_EXITED);
    assert_int_equal(code, 0);
    assert_int_equal(poll(&b, ref1, &code), AL__TASK_EXITED);
    assert_int_equal(s->jobs[2].end_s, 1506816109);
    assert_int_equal(s->jobs[2].first_start_s, 1506816010);
    assert_int_equal(s->finished_jobs, 1);
    assert_int_equal(poll(&b, "j99.0.1", &code), AL__TASK_LOST);
    st.workload = "nope";
    assert_int_equal(b.type->start(&b, &st, ref0, err, sizeof(err)), -AL_ENOENT);
    al__backend_close(&b);
}

static void bad_options_are_refused(void **state) {
    (void)state;
    struct al__backend b;
    assert_int_equal(open_tiny(&b, "gpus-per-node", "0"), -AL_EINVAL);
    al__backend_close(&b);
    assert_int_equal(open_tiny(&b, "days", "3"), -AL_EINVAL); /* without --from */
    al__backend_close(&b);
    assert_int_equal(open_tiny(&b, "colour", "red"), -AL_EINVAL);
    al__backend_close(&b);
    assert_int_equal(open_tiny(&b, "from", "2017-10-01 00:00:06"), 0);
    struct al__sim *s = b.data;
    assert_int_equal(s->job_count, 1); /* the window: only the job at 00:00:10 */
    assert_int_equal(s->now, 1506816006);
    al__backend_close(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inventory_and_projects_come_from_the_vc_table),
        cmocka_unit_test(tasks_end_on_the_virtual_clock_and_stop_at_once),
        cmocka_unit_test(bad_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
