/* test_units.c - resource arithmetic: device units, GPU-memory conversion, queue charges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "engine/session.h"
#include "support/builder.h"

static void device_units_are_exact(void **state) {
    (void)state;
    struct al_task whole = {.gpus = 1}, half = {.gpu_milli = 500}, mem = {.gpu_memory_mib = 40960};
    assert_int_equal(al__task_units(&whole, 81920), 81920000);
    assert_int_equal(al__task_units(&half, 81920), 40960000);
    assert_int_equal(al__task_units(&mem, 81920), 40960000);
    /* three thirds of an odd-sized device fit exactly: 333 + 333 + 334 milli */
    struct al_task third = {.gpu_milli = 333}, rest = {.gpu_milli = 334};
    assert_int_equal(2 * al__task_units(&third, 81) + al__task_units(&rest, 81), 81000);
    assert_true(al__task_is_shared(&half) && al__task_is_shared(&mem));
    assert_false(al__task_is_shared(&whole));
}

/* GPU memory: admission uses the largest device memory, queue requests the smallest, and only
 * devices above the 100 MiB placeholder count (SCHEMA.md rule 5). */
static void memory_requests_convert_with_cluster_devices(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    int32_t small = tb_node(&c, "small", 1, 1000, 1000);
    int32_t big = tb_node(&c, "big", 1, 1000, 1000);
    tb_node(&c, "placeholder", 1, 1000, 1000); /* 100 MiB: ignored */
    tb_gpu_memory(&c, small, 16384);
    tb_gpu_memory(&c, big, 81920);
    tb_queue(&c, "q", NULL, -1, -1, 1, 100);
    tb_job(&c, "j", "q", 50, 1);
    int32_t t = tb_task(&c, "j-0", AL_TASK_PENDING, NULL, 0, 0, NULL);
    c.tasks[t].gpu_memory_mib = 8192;
    c.tasks[t].gpu_devices = 2;
    struct al__session s;
    assert_int_equal(al__session_init(&s, &c, NULL), 0);
    assert_int_equal(s.gpu_memory_min, 16384);
    assert_int_equal(s.gpu_memory_max, 81920);
    int64_t req[AL_RESOURCE_COUNT];
    al__task_request(&s, t, AL__REQUEST_ADMISSION, req);
    assert_int_equal(req[AL_GPU], 2 * 100); /* 8192 / 81920 = 0.1 GPU per device */
    al__task_request(&s, t, AL__REQUEST_FAIR_SHARE, req);
    assert_int_equal(req[AL_GPU], 2 * 500); /* 8192 / 16384 = 0.5 */
    assert_int_equal(req[AL_CPU], 1000);
    assert_int_equal(req[AL_MEMORY], 1000000000);
    assert_int_equal(s.total[AL_GPU], 3000);
    assert_int_equal(s.total[AL_CPU], 3000);
    al__session_release(&s, NULL);
    al_cluster_release(&c);
}

/* A placed memory task is charged with its node's real device memory, rounded up. */
static void placed_memory_task_charges_its_node_devices(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    int32_t n = tb_node(&c, "n", 1, 4000, 4000000000);
    tb_gpu_memory(&c, n, 24576);
    tb_queue(&c, "q", NULL, -1, -1, 1, 100);
    tb_job(&c, "j", "q", 50, 1);
    int32_t t = tb_task(&c, "j-0", AL_TASK_PENDING, NULL, 0, 0, NULL);
    c.tasks[t].gpu_memory_mib = 10000; /* 406.9 milli -> 407 */
    struct al_result r;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(r.tasks[t].state, AL_TASK_ALLOCATED);
    assert_int_equal(r.queues[0].allocated[AL_GPU], 407);
    assert_int_equal(r.queues[0].allocated[AL_CPU], 1000);
    al_result_release(&r);
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(device_units_are_exact),
        cmocka_unit_test(memory_requests_convert_with_cluster_devices),
        cmocka_unit_test(placed_memory_task_charges_its_node_devices),
    };
    return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
