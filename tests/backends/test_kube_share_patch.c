/* test_kube_share_patch.c - what the admission webhook changes in a pod sharing a GPU
 * (backends/kubernetes/share_patch.h), checked on the pod the patch makes: the GPU information,
 * the library's volume and mount, LD_PRELOAD in front of a container's own (literal or from
 * elsewhere), the memory limit and ledger from the pod's annotation and uid, the pod's own
 * ALLOT_* variables replaced, init containers, the opt-out, no library, a pod patched twice, a
 * malformed opt-out; and the check of --webhook-cuda-library's path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "backends/kubernetes/share_patch.h"
#include "support/json_text.h"

#define LIB "/usr/lib/allot/liballot-cuda.so"

/* pod with the patch's "add" operations applied (the only operation it makes): a new object. */
static json_t *patched(json_t *pod, json_t *patch) {
    json_t *out = json_deep_copy(pod), *op;
    size_t i;
    json_array_foreach(patch, i, op) {
        assert_string_equal(json_string_value(json_object_get(op, "op")), "add");
        char path[256];
        snprintf(path, sizeof(path), "%s", json_string_value(json_object_get(op, "path")));
        json_t *at = out;
        char *last = strrchr(path, '/');
        *last++ = '\0';
        for (char *tok = path + 1; tok && *tok;) {
            char *next = strchr(tok, '/');
            if (next)
                *next++ = '\0';
            at = json_is_array(at) ? json_array_get(at, strtoul(tok, NULL, 10))
                                   : json_object_get(at, tok);
            tok = next;
        }
        assert_non_null(at);
        json_t *value = json_deep_copy(json_object_get(op, "value"));
        if (strcmp(last, "-") == 0)
            assert_int_equal(json_array_append_new(at, value), 0);
        else
            assert_int_equal(json_object_set_new(at, last, value), 0);
    }
    return out;
}

/* The pod after the webhook, with library; the test fails if the pod is refused. */
static json_t *admitted(json_t *pod, const char *library) {
    char err[256] = "";
    json_t *patch = al__kube_share_patch(pod, library, err, sizeof(err));
    if (!patch)
        fail_msg("refused: %s", err);
    json_t *out = patched(pod, patch);
    json_decref(patch);
    return out;
}

static void assert_json(json_t *got, const char *want_text) {
    json_t *want = tb_json(want_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
        print_error("got  %s\nwant %s\n", g, w);
        free(g);
        free(w);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

#define ALLOTS_ENV                                                                                 \
    "{\"name\": \"ALLOT_GPU_INFO\", \"value\": \"/var/run/allot\"},"                               \
    "{\"name\": \"ALLOT_GPU_MEMORY_LIMIT_MIB\", \"valueFrom\": {\"fieldRef\": {\"fieldPath\": "    \
    "\"metadata.annotations['allot.run/gpu-memory-limit-mib']\"}}}"
#define LEDGER_ENV                                                                                 \
    "{\"name\": \"ALLOT_TASK_LEDGER\", \"valueFrom\": {\"fieldRef\": {\"fieldPath\": "             \
    "\"metadata.uid\"}}}"
#define MOUNTS                                                                                     \
    "{\"name\": \"allot-gpu\", \"mountPath\": \"/var/run/allot\", \"readOnly\": true},"            \
    "{\"name\": \"allot-cuda\", \"mountPath\": \"/var/run/allot-lib/liballot-cuda.so\", "          \
    "\"readOnly\": true}"

static void a_share_pod_runs_under_the_library(void **state) {
    (void)state;
    json_t *pod = tb_json("{\"metadata\": {\"annotations\": {\"gpu-fraction\": \"0.5\"}},"
                          " \"spec\": {\"volumes\": [{\"name\": \"data\", \"emptyDir\": {}}],"
                          " \"containers\": [{\"name\": \"a\", \"env\": [{\"name\": \"MINE\","
                          " \"value\": \"1\"}], \"volumeMounts\": [{\"name\": \"data\","
                          " \"mountPath\": \"/data\"}]}, {\"name\": \"b\"}]}}");
    json_t *out = admitted(pod, LIB);
    json_t *spec = json_object_get(out, "spec");
    assert_json(json_object_get(spec, "volumes"),
                "[{\"name\": \"data\", \"emptyDir\": {}}, {\"name\": \"allot-gpu\", "
                "\"downwardAPI\": {\"items\": ["
                "{\"path\": \"gpus\", \"fieldRef\": {\"fieldPath\": "
                "\"metadata.annotations['allot.run/gpus']\"}},"
                "{\"path\": \"gpu-uuids\", \"fieldRef\": {\"fieldPath\": "
                "\"metadata.annotations['allot.run/gpu-uuids']\"}},"
                "{\"path\": \"gpu-memory-limit-mib\", \"fieldRef\": {\"fieldPath\": "
                "\"metadata.annotations['allot.run/gpu-memory-limit-mib']\"}}]}},"
                "{\"name\": \"allot-cuda\", \"hostPath\": {\"path\": \"" LIB "\", "
                "\"type\": \"File\"}}]");
    json_t *a = json_array_get(json_object_get(spec, "containers"), 0);
    json_t *b = json_array_get(json_object_get(spec, "containers"), 1);
    assert_json(json_object_get(a, "volumeMounts"),
                "[{\"name\": \"data\", \"mountPath\": \"/data\"}, " MOUNTS "]");
    assert_json(json_object_get(b, "volumeMounts"), "[" MOUNTS "]");
    assert_json(json_object_get(a, "env"),
                "[{\"name\": \"MINE\", \"value\": \"1\"}, " ALLOTS_ENV ", " LEDGER_ENV ","
                "{\"name\": \"LD_PRELOAD\", \"value\": \"" AL__KUBE_LIBRARY_PATH "\"}]");
    assert_json(json_object_get(b, "env"),
                "[" ALLOTS_ENV ", " LEDGER_ENV ","
                "{\"name\": \"LD_PRELOAD\", \"value\": \"" AL__KUBE_LIBRARY_PATH "\"}]");
    json_decref(out);
    json_decref(pod);
}

static void the_library_goes_in_front_of_a_containers_preload(void **state) {
    (void)state;
    json_t *pod = tb_json(
        "{\"spec\": {\"containers\": ["
        "{\"name\": \"own\", \"env\": [{\"name\": \"LD_PRELOAD\", \"value\": \"/opt/mine.so\"},"
        " {\"name\": \"AFTER\", \"value\": \"$(LD_PRELOAD)\"}]},"
        "{\"name\": \"again\", \"env\": [{\"name\": \"LD_PRELOAD\", \"value\": "
        "\"/x.so " AL__KUBE_LIBRARY_PATH "\"}]},"
        "{\"name\": \"elsewhere\", \"env\": [{\"name\": \"LD_PRELOAD\", \"valueFrom\": "
        "{\"configMapKeyRef\": {\"name\": \"c\", \"key\": \"k\"}}}]}]}}");
    json_t *out = admitted(pod, LIB);
    json_t *cs = json_object_get(json_object_get(out, "spec"), "containers");
    assert_json(json_object_get(json_array_get(cs, 0), "env"),
                "[{\"name\": \"AFTER\", \"value\": \"$(LD_PRELOAD)\"}, " ALLOTS_ENV ", " LEDGER_ENV
                ", {\"name\": \"LD_PRELOAD\", \"value\": \"" AL__KUBE_LIBRARY_PATH
                " /opt/mine.so\"}]");
    assert_json(json_object_get(json_array_get(cs, 1), "env"), /* not repeated */
                "[" ALLOTS_ENV ", " LEDGER_ENV
                ", {\"name\": \"LD_PRELOAD\", \"value\": \"/x.so " AL__KUBE_LIBRARY_PATH "\"}]");
    assert_json(json_object_get(json_array_get(cs, 2), "env"),
                "[{\"name\": \"ALLOT_CONTAINER_LD_PRELOAD\", \"valueFrom\": {\"configMapKeyRef\":"
                " {\"name\": \"c\", \"key\": \"k\"}}}, " ALLOTS_ENV ", " LEDGER_ENV
                ", {\"name\": \"LD_PRELOAD\", \"value\": \"" AL__KUBE_LIBRARY_PATH
                " $(ALLOT_CONTAINER_LD_PRELOAD)\"}]");
    json_decref(out);
    json_decref(pod);
}

static void a_pods_own_allot_variables_are_replaced(void **state) {
    (void)state;
    json_t *pod = tb_json("{\"spec\": {\"initContainers\": [{\"name\": \"init\"}], \"containers\":"
                          " [{\"name\": \"c\", \"env\": ["
                          "{\"name\": \"ALLOT_GPU_MEMORY_LIMIT_MIB\", \"value\": \"999999\"},"
                          "{\"name\": \"ALLOT_TASK_LEDGER\", \"value\": \"other\"},"
                          "{\"name\": \"ALLOT_GPU_COMPUTE_PERCENT\", \"value\": \"100\"},"
                          "{\"name\": \"ALLOT_CUDA_DEBUG\", \"value\": \"1\"}]}]}}");
    json_t *out = admitted(pod, LIB);
    json_t *spec = json_object_get(out, "spec");
    assert_json(json_object_get(json_array_get(json_object_get(spec, "containers"), 0), "env"),
                "[{\"name\": \"ALLOT_CUDA_DEBUG\", \"value\": \"1\"}, " ALLOTS_ENV ", " LEDGER_ENV
                ", {\"name\": \"LD_PRELOAD\", \"value\": \"" AL__KUBE_LIBRARY_PATH "\"}]");
    json_t *init = json_array_get(json_object_get(spec, "initContainers"), 0);
    assert_json(json_object_get(init, "volumeMounts"), "[" MOUNTS "]");
    assert_json(json_object_get(init, "env"),
                "[" ALLOTS_ENV ", " LEDGER_ENV ", {\"name\": \"LD_PRELOAD\", \"value\": \"" //
                AL__KUBE_LIBRARY_PATH "\"}]");
    json_decref(out);
    json_decref(pod);
}

static void an_opted_out_pod_or_no_library_gets_the_information_only(void **state) {
    (void)state;
    json_t *out_pod = tb_json("{\"metadata\": {\"annotations\": {\"allot.run/enforce\": "
                              "\"false\"}}, \"spec\": {\"containers\": [{\"name\": \"c\", "
                              "\"env\": [{\"name\": \"LD_PRELOAD\", \"value\": \"/m.so\"}]}]}}");
    json_t *plain = tb_json("{\"spec\": {\"containers\": [{\"name\": \"c\"}]}}");
    json_t *pods[] = {admitted(out_pod, LIB), admitted(plain, NULL)};
    for (size_t i = 0; i < 2; i++) {
        json_t *spec = json_object_get(pods[i], "spec");
        json_t *c = json_array_get(json_object_get(spec, "containers"), 0);
        assert_int_equal(json_array_size(json_object_get(spec, "volumes")), 1);
        assert_json(json_object_get(c, "volumeMounts"),
                    "[{\"name\": \"allot-gpu\", \"mountPath\": \"/var/run/allot\", "
                    "\"readOnly\": true}]");
        assert_json(json_object_get(c, "env"),
                    i == 0 ? "[{\"name\": \"LD_PRELOAD\", \"value\": \"/m.so\"}, " ALLOTS_ENV "]"
                           : "[" ALLOTS_ENV "]");
        json_decref(pods[i]);
    }
    json_t *in = tb_json("{\"metadata\": {\"annotations\": {\"allot.run/enforce\": \"true\"}},"
                         " \"spec\": {\"containers\": [{\"name\": \"c\"}]}}");
    json_t *on = admitted(in, LIB);
    assert_int_equal(json_array_size(json_object_get(json_object_get(on, "spec"), "volumes")), 2);
    json_decref(on);
    json_decref(in);
    json_decref(plain);
    json_decref(out_pod);
}

static void a_pod_patched_already_is_not_patched_again(void **state) {
    (void)state;
    json_t *pod = tb_json("{\"spec\": {\"containers\": [{\"name\": \"c\", \"env\": [{\"name\":"
                          " \"LD_PRELOAD\", \"value\": \"/m.so\"}]}]}}");
    json_t *once = admitted(pod, LIB);
    char err[256] = "";
    json_t *again = al__kube_share_patch(once, LIB, err, sizeof(err));
    assert_non_null(again);
    assert_int_equal(json_array_size(again), 0);
    json_decref(again);
    /* a container added since (another webhook's) gets its part, the pod's volumes stay one */
    json_array_append_new(json_object_get(json_object_get(once, "spec"), "containers"),
                          tb_json("{\"name\": \"late\"}"));
    json_t *twice = admitted(once, LIB);
    json_t *spec = json_object_get(twice, "spec");
    assert_int_equal(json_array_size(json_object_get(spec, "volumes")), 2);
    json_t *cs = json_object_get(spec, "containers");
    assert_json(json_object_get(json_array_get(cs, 0), "env"),
                "[" ALLOTS_ENV ", " LEDGER_ENV ", {\"name\": \"LD_PRELOAD\", \"value\": \"" //
                AL__KUBE_LIBRARY_PATH " /m.so\"}]");
    assert_json(json_object_get(json_array_get(cs, 1), "volumeMounts"), "[" MOUNTS "]");
    json_decref(twice);
    json_decref(once);
    json_decref(pod);
}

static void a_malformed_opt_out_refuses_the_pod_naming_it(void **state) {
    (void)state;
    const char *pods[] = {
        "{\"metadata\": {\"annotations\": {\"allot.run/enforce\": \"no\"}}, \"spec\": {}}",
        "{\"metadata\": {\"annotations\": {\"allot.run/enforce\": false}}, \"spec\": {}}",
    };
    const char *want[] = {"annotation allot.run/enforce: \"no\": want \"true\" or \"false\"",
                          "annotation allot.run/enforce: not a string: want \"true\" or "
                          "\"false\""};
    for (size_t i = 0; i < 2; i++) {
        char err[256] = "";
        json_t *pod = tb_json(pods[i]);
        assert_null(al__kube_share_patch(pod, LIB, err, sizeof(err)));
        assert_string_equal(err, want[i]);
        json_decref(pod);
    }
}

static void the_librarys_path_is_checked(void **state) {
    (void)state;
    char err[300];
    assert_int_equal(al__kube_library_path_check(LIB, err, sizeof(err)), 0);
    assert_int_equal(al__kube_library_path_check("/a b/lib.so", err, sizeof(err)), 0);
    const char *bad[] = {"lib/liballot-cuda.so",
                         "",
                         "/usr/lib/",
                         "/usr//lib.so",
                         "/usr/../etc/lib.so",
                         "/usr/./lib.so",
                         "/usr/lib.so/..",
                         "/a\nb.so",
                         "/\xc3(.so"};
    const char *why[] = {
        "not absolute", "not absolute",         "ends in /",           "empty", "\"..\"", "\".\"",
        "\"..\"",       "control or non-ASCII", "control or non-ASCII"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err[0] = '\0';
        assert_int_equal(al__kube_library_path_check(bad[i], err, sizeof(err)), -AL_EINVAL);
        if (!strstr(err, why[i]) || strncmp(err, "--webhook-cuda-library: \"", 25) != 0)
            fail_msg("%s: %s (want %s)", bad[i], err, why[i]);
    }
    char long_path[5000];
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    assert_int_equal(al__kube_library_path_check(long_path, err, sizeof(err)), -AL_EINVAL);
    assert_non_null(strstr(err, "4,096"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_share_pod_runs_under_the_library),
        cmocka_unit_test(the_library_goes_in_front_of_a_containers_preload),
        cmocka_unit_test(a_pods_own_allot_variables_are_replaced),
        cmocka_unit_test(an_opted_out_pod_or_no_library_gets_the_information_only),
        cmocka_unit_test(a_pod_patched_already_is_not_patched_again),
        cmocka_unit_test(a_malformed_opt_out_refuses_the_pod_naming_it),
        cmocka_unit_test(the_librarys_path_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
