/* test_admission.c - a submitted request against the inventory (admission.h): the field no node
 * has, a combination no one node has, cordoned nodes, an empty inventory, queue_anyway, MIG
 * instances by profile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "daemon/admission.h"

/* Two nodes: "wide" with 4 GPUs of 80 GiB and 2 cores, "tall" with no GPU and 64 cores. */
static struct al__node_gpu gpus[4] = {{81920, ""}, {81920, ""}, {81920, ""}, {81920, ""}};
static struct al__node nodes[2];
static struct al__inventory inv = {.nodes = nodes, .node_count = 2, .virtual_gpus = true};

static int setup(void **state) {
    (void)state;
    memset(nodes, 0, sizeof(nodes));
    snprintf(nodes[0].name, sizeof(nodes[0].name), "wide");
    nodes[0].gpus = gpus;
    nodes[0].gpu_count = 4;
    nodes[0].cpu_millis = 2000;
    nodes[0].memory_bytes = 1LL << 36;
    nodes[1].cpu_millis = 64000;
    nodes[1].memory_bytes = 1LL << 38;
    return 0;
}

static int check(const char *body_text, const struct al__wspec *s, char *field, char *msg) {
    json_t *body = json_loads(body_text, 0, NULL);
    int rc = al__admission_check(&inv, body, s, field, 64, msg, 512);
    json_decref(body);
    return rc;
}

static void a_combination_no_one_node_has_names_no_field(void **state) {
    struct al__wspec s = {.gpus = 4, .gpu_device_count = 1, .cpu_millis = 8000};
    char field[64], msg[512];
    (void)state;
    assert_int_equal(check("{}", &s, field, msg), -AL_EINVAL);
    assert_string_equal(field, "");
    assert_non_null(strstr(msg, "no node can ever hold one task's 4 GPUs and 8 cores together"));
    s.cpu_millis = 2000; /* fits "wide" */
    assert_int_equal(check("{}", &s, field, msg), 0);
    s.cpu_millis = 65000;
    assert_int_equal(check("{}", &s, field, msg), -AL_EINVAL);
    assert_string_equal(field, "cpu_millis");
    assert_non_null(strstr(msg, "the largest has 64 cores"));
    assert_int_equal(check("{\"queue_anyway\": true}", &s, field, msg), 0);
    assert_int_equal(check("{\"queue_anyway\": false}", &s, field, msg), -AL_EINVAL);
    assert_int_equal(check("{\"queue_anyway\": null}", &s, field, msg), -AL_EINVAL);
    assert_string_equal(field, "queue_anyway");
}

static void cordoned_nodes_count_and_no_node_judges_nothing(void **state) {
    struct al__wspec s = {.gpus = 4, .gpu_device_count = 1};
    char field[64], msg[512];
    (void)state;
    nodes[0].unschedulable = true; /* cordoned for now */
    assert_int_equal(check("{}", &s, field, msg), 0);
    s.gpus = 5;
    assert_int_equal(check("{}", &s, field, msg), -AL_EINVAL);
    assert_string_equal(field, "gpu");
    inv.node_count = 0;
    assert_int_equal(check("{}", &s, field, msg), 0);
    inv.node_count = 2;
}

static void mig_instances_are_judged_by_profile(void **state) {
    struct al__wspec s = {
        .mig_profiles = 2, .migs = {{"1g.10gb", 2}, {"3g.40gb", 1}}, .cpu_millis = 1000};
    char field[64], msg[512];
    (void)state;
    snprintf(nodes[0].migs[0].profile, sizeof(nodes[0].migs[0].profile), "1g.10gb");
    nodes[0].migs[0].count = 3;
    nodes[0].mig_count = 1;
    assert_int_equal(check("{}", &s, field, msg), -AL_EINVAL);
    assert_string_equal(field, "mig");
    assert_non_null(strstr(msg, "no node offers MIG instances of 3g.40gb"));
    s.mig_profiles = 1;
    s.migs[0].count = 4;
    assert_int_equal(check("{}", &s, field, msg), -AL_EINVAL);
    assert_string_equal(field, "mig");
    assert_non_null(strstr(msg, "no node can ever hold 4 x 1g.10gb per task: the most one node "
                                "offers is 3"));
    s.migs[0].count = 3; /* fits "wide" */
    assert_int_equal(check("{}", &s, field, msg), 0);
    s.cpu_millis = 8000; /* "tall" has the cores, "wide" the instances */
    assert_int_equal(check("{}", &s, field, msg), -AL_EINVAL);
    assert_string_equal(field, "");
    assert_non_null(
        strstr(msg, "no node can ever hold one task's 1 MIG profile and 8 cores together"));
    assert_int_equal(check("{\"queue_anyway\": true}", &s, field, msg), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_combination_no_one_node_has_names_no_field, setup),
        cmocka_unit_test_setup(cordoned_nodes_count_and_no_node_judges_nothing, setup),
        cmocka_unit_test_setup(mig_instances_are_judged_by_profile, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
