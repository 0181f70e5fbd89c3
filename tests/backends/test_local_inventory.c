/* test_local_inventory.c - the local backend's host resources, --gpus parser, NVML discovery and
 * --mig-layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <dlfcn.h>

#include "allot/errors.h"
#include "backends/local/local.h"

static void host_values_are_positive(void **state) {
    (void)state;
    struct al__local_machine inv;
    memset(&inv, 0x5a, sizeof inv);
    al__local_host(&inv);
    assert_true(inv.node_name[0] != '\0');
    assert_non_null(memchr(inv.node_name, '\0', sizeof inv.node_name));
    assert_true(inv.cpu_millis >= 1000);
    assert_int_equal(inv.cpu_millis % 1000, 0);
    assert_true(inv.memory_bytes > 0);
    assert_int_equal(inv.gpu_count, 0);
    assert_false(inv.from_nvml);
}

static void parse_ok(const char *spec, struct al__local_machine *inv) {
    char err[256] = "";
    int rc = al__local_parse_gpus(spec, inv, err, sizeof err);
    if (rc != 0)
        fail_msg("\"%s\": rc %d, %s", spec, rc, err);
    assert_false(inv->from_nvml);
}

static void gpu_equal(const struct al__local_gpu *gpu, int32_t mib, const char *model) {
    assert_int_equal(gpu->memory_mib, mib);
    assert_string_equal(gpu->model, model);
}

static void good_specs_parse(void **state) {
    (void)state;
    struct al__local_machine inv;
    memset(&inv, 0, sizeof inv);
    inv.from_nvml = true;
    parse_ok("4x80GiB", &inv);
    assert_int_equal(inv.gpu_count, 4);
    for (size_t i = 0; i < 4; i++)
        gpu_equal(&inv.gpus[i], 81920, "");
    parse_ok("2xA100-80GiB,1xT4-16GiB", &inv);
    assert_int_equal(inv.gpu_count, 3);
    gpu_equal(&inv.gpus[0], 81920, "A100");
    gpu_equal(&inv.gpus[1], 81920, "A100");
    gpu_equal(&inv.gpus[2], 16384, "T4");
    parse_ok("1xH100-SXM-80GiB", &inv); /* the last '-' ends the model */
    assert_int_equal(inv.gpu_count, 1);
    gpu_equal(&inv.gpus[0], 81920, "H100-SXM");
    parse_ok("1x512MiB,1xbig-1TiB,2xRTX 4090-24GiB", &inv);
    assert_int_equal(inv.gpu_count, 4);
    gpu_equal(&inv.gpus[0], 512, "");
    gpu_equal(&inv.gpus[1], 1048576, "big");
    gpu_equal(&inv.gpus[3], 24576, "RTX 4090");
    parse_ok("60x1GiB,4x2GiB", &inv); /* exactly AL__LOCAL_MAX_GPUS */
    assert_int_equal(inv.gpu_count, AL__LOCAL_MAX_GPUS);
    gpu_equal(&inv.gpus[63], 2048, "");
    parse_ok("1x2047TiB", &inv); /* the largest memory an int32 of MiB holds */
    gpu_equal(&inv.gpus[0], 2047 * 1048576, "");
    char spec[128];
    snprintf(spec, sizeof spec, "1x%063d-1GiB", 7); /* a model of exactly 63 characters */
    parse_ok(spec, &inv);
    assert_int_equal(strlen(inv.gpus[0].model), 63);
}

struct bad_spec {
    const char *spec;
    const char *message; /* expected substring of the message */
};

static const struct bad_spec bad_specs[] = {
    {"", "--gpus: empty specification"},
    {"4x80GiB,,1x16GiB", "--gpus: \"4x80GiB,,1x16GiB\": empty group"},
    {"4x80GiB,", "empty group"},
    {",4x80GiB", "empty group"},
    {"80GiB", "--gpus: \"80GiB\": expected COUNTx[MODEL-]MEMORY"},
    {"4-80GiB", "--gpus: \"4-80GiB\": expected COUNTx"},
    {"x80GiB", "--gpus: \"x80GiB\": count must be a positive integer"},
    {"fourx80GiB", "--gpus: \"fourx80GiB\": count must be a positive integer"},
    {"-1x80GiB", "count must be a positive integer"},
    {" 4x80GiB", "count must be a positive integer"},
    {"0x80GiB", "--gpus: \"0x80GiB\": count must be at least 1"},
    {"99999999999999999999999x80GiB", "too many GPUs (at most 64 in all)"},
    {"65x1GiB", "--gpus: \"65x1GiB\": too many GPUs"},
    {"60x1GiB,5x1GiB", "--gpus: \"5x1GiB\": too many GPUs"},
    {"4x80", "--gpus: \"4x80\": memory needs a unit (MiB, GiB, TiB)"},
    {"2xA100-80", "--gpus: \"2xA100-80\": memory needs a unit"},
    {"4x80GB", "--gpus: \"4x80GB\": unknown memory unit"},
    {"4x80gib", "unknown memory unit"},
    {"4x80GiB ", "unknown memory unit"},
    {"4xGiB", "--gpus: \"4xGiB\": memory must be an integer with a unit"},
    {"4x", "memory must be an integer with a unit"},
    {"4xA100", "memory must be an integer with a unit"},
    {"4xA100-", "memory must be an integer with a unit"},
    {"4x 80GiB", "memory must be an integer with a unit"},
    {"4x0GiB", "--gpus: \"4x0GiB\": memory must be greater than 0"},
    {"4x0MiB", "memory must be greater than 0"},
    {"1x2048TiB", "--gpus: \"1x2048TiB\": memory is too large"},
    {"1x99999999999999999999MiB", "memory is too large"},
    {"1x-80GiB", "--gpus: \"1x-80GiB\": model is empty"},
    {"1x0123456789012345678901234567890123456789012345678901234567890123-1GiB",
     "model is longer than 63 characters"},
};

static void bad_specs_are_rejected_with_a_message(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
        struct al__local_machine inv;
        memset(&inv, 0, sizeof inv);
        inv.gpu_count = 1;
        inv.gpus[0].memory_mib = 123;
        char err[256] = "";
        int rc = al__local_parse_gpus(bad_specs[i].spec, &inv, err, sizeof err);
        if (rc != -AL_EINVAL || !strstr(err, bad_specs[i].message))
            fail_msg("\"%s\": rc %d, message \"%s\", expected one containing \"%s\"",
                     bad_specs[i].spec, rc, err, bad_specs[i].message);
        assert_int_equal(strncmp(err, "--gpus: ", 8), 0);
        /* inv is unchanged on failure */
        assert_int_equal(inv.gpu_count, 1);
        assert_int_equal(inv.gpus[0].memory_mib, 123);
    }
}

static void exact_message_for_a_missing_unit(void **state) {
    (void)state;
    struct al__local_machine inv;
    char err[256];
    memset(&inv, 0, sizeof inv);
    assert_int_equal(al__local_parse_gpus("4x80", &inv, err, sizeof err), -AL_EINVAL);
    assert_string_equal(err, "--gpus: \"4x80\": memory needs a unit (MiB, GiB, TiB)");
    /* a short buffer truncates the message, and NULL is allowed */
    char small[8];
    assert_int_equal(al__local_parse_gpus("4x80", &inv, small, sizeof small), -AL_EINVAL);
    assert_string_equal(small, "--gpus:");
    assert_int_equal(al__local_parse_gpus("", &inv, NULL, 0), -AL_EINVAL);
    assert_int_equal(al__local_parse_gpus(NULL, &inv, NULL, 0), -AL_EINVAL);
}

/* Without libnvidia-ml.so.1 (as on a machine without NVIDIA drivers) discovery says why; with
 * it, either it finds devices or says why not. */
static void nvml_discovery_finds_devices_or_says_why(void **state) {
    (void)state;
    struct al__local_machine inv;
    memset(&inv, 0, sizeof inv);
    inv.gpu_count = 1;
    inv.gpus[0].memory_mib = 123;
    char err[512] = "";
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib)
        dlclose(lib);
    int rc = al__local_discover_nvml(&inv, err, sizeof err);
    print_message("NVML: rc %d, %zu GPU(s), %s\n", rc, inv.gpu_count, rc ? err : "found");
    if (!lib) {
        assert_int_equal(rc, -AL_ENOENT);
        assert_non_null(strstr(err, "libnvidia-ml.so.1"));
    }
    if (rc == 0) {
        assert_true(inv.gpu_count >= 1);
        assert_true(inv.from_nvml);
        for (size_t i = 0; i < inv.gpu_count; i++)
            assert_true(inv.gpus[i].memory_mib > 0);
    } else {
        assert_int_equal(rc, -AL_ENOENT);
        assert_true(err[0] != '\0');
        assert_int_equal(inv.gpu_count, 1);
        assert_int_equal(inv.gpus[0].memory_mib, 123);
        assert_false(inv.from_nvml);
    }
}

/* --mig-layout: one layout for every node or one per node (sorted by profile), and each
 * malformed one refused naming the option, the inventory untouched. */
static void mig_layouts_are_read_per_node(void **state) {
    static const char *const bad[] = {"1g.10gb",
                                      "1g.10gb=0",
                                      "1g.10gb=4097",
                                      "9g.10gb=1",
                                      "1g.10gb=1,1g.10gb=2",
                                      "1g.10gb=x",
                                      "1g.10gb=7;1",
                                      "1g.10gb=1;2g.20gb=1",
                                      ",",
                                      "1g.5gb=1,1g.10gb=1,1g.20gb=1,2g.10gb=1,2g.20gb=1,3g.20gb=1,"
                                      "3g.40gb=1,4g.40gb=1,7g.80gb=1"};
    struct al__node nodes[3];
    struct al__inventory inv = {.nodes = nodes, .node_count = 3};
    char err[256];
    (void)state;
    memset(nodes, 0, sizeof(nodes));
    assert_int_equal(al__local_mig_layout("3g.40gb=2,1g.10gb=7", 3, &inv, err, sizeof(err)), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(nodes[i].mig_count, 2);
        assert_string_equal(nodes[i].migs[0].profile, "1g.10gb");
        assert_int_equal(nodes[i].migs[0].count, 7);
        assert_string_equal(nodes[i].migs[1].profile, "3g.40gb");
        assert_int_equal(nodes[i].migs[1].count, 2);
    }
    memset(nodes, 0, sizeof(nodes));
    assert_int_equal(
        al__local_mig_layout("1g.10gb=7;;2g.20gb=1,1g.10gb=1", 3, &inv, err, sizeof(err)), 0);
    assert_int_equal(nodes[0].mig_count, 1);
    assert_int_equal(nodes[1].mig_count, 0);
    assert_int_equal(nodes[2].mig_count, 2);
    assert_string_equal(nodes[2].migs[1].profile, "2g.20gb");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(nodes, 0, sizeof(nodes));
        err[0] = '\0';
        if (al__local_mig_layout(bad[i], 3, NULL, err, sizeof(err)) != -AL_EINVAL ||
            strncmp(err, "--mig-layout: ", 14) != 0)
            fail_msg("\"%s\": \"%s\"", bad[i], err);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_values_are_positive),
        cmocka_unit_test(good_specs_parse),
        cmocka_unit_test(bad_specs_are_rejected_with_a_message),
        cmocka_unit_test(exact_message_for_a_missing_unit),
        cmocka_unit_test(nvml_discovery_finds_devices_or_says_why),
        cmocka_unit_test(mig_layouts_are_read_per_node),
    };
    return cmocka_run_group_tests_name("local inventory", tests, NULL, NULL);
}
