/* test_kube_cache.c - a kind's cache kept by its watch: a list replaces everything (what
 * vanished counts as changed), events put and remove, the keys changed since last asked come
 * once each, cluster-wide objects are keyed by name, objects without a name are ignored, and
 * every change is announced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/kubernetes/cache.h"
#include "support/json_text.h"

static int announced;

static void on_change(void *arg) {
    (void)arg;
    announced++;
}

/* The changed keys, joined by commas (and freed). */
static void assert_changes(struct al__kube_cache *c, const char *expect) {
    char **keys, joined[512] = "";
    size_t n = al__kube_cache_changes(c, &keys);
    for (size_t i = 0; i < n; i++) {
        snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", i ? "," : "",
                 keys[i]);
        free(keys[i]);
    }
    free(keys);
    assert_string_equal(joined, expect);
}

static void a_cache_follows_lists_and_events(void **state) {
    struct al__kube_watch_ops ops = {0};
    struct al__kube_cache *c = al__kube_cache_new(on_change, NULL);
    (void)state;
    al__kube_cache_watch_ops(&ops);
    assert_false(al__kube_cache_synced(c));
    json_t *list = tb_json("[{\"metadata\": {\"namespace\": \"a\", \"name\": \"y\"}},"
                           " {\"metadata\": {\"namespace\": \"a\", \"name\": \"x\", \"v\": 1}},"
                           " {\"metadata\": {}}]");
    ops.reset(c, list);
    json_decref(list);
    assert_true(al__kube_cache_synced(c));
    assert_int_equal(al__kube_cache_count(c), 2); /* the nameless one is ignored */
    assert_changes(c, "a/x,a/y");
    assert_changes(c, ""); /* each change once */

    json_t *x2 = tb_json("{\"metadata\": {\"namespace\": \"a\", \"name\": \"x\", \"v\": 2}}");
    ops.event(c, "MODIFIED", x2);
    json_decref(x2);
    json_t *got = al__kube_cache_get(c, "a/x");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(got, "metadata"), "v")), 2);
    json_decref(got);
    json_t *y = tb_json("{\"metadata\": {\"namespace\": \"a\", \"name\": \"y\"}}");
    ops.event(c, "DELETED", y);
    json_decref(y);
    assert_null(al__kube_cache_get(c, "a/y"));
    assert_changes(c, "a/x,a/y");

    json_t *node = tb_json("{\"metadata\": {\"name\": \"node-1\"}}");
    ops.event(c, "ADDED", node);
    json_decref(node);
    assert_non_null(got = al__kube_cache_get(c, "node-1")); /* cluster-wide: by name */
    json_decref(got);
    assert_changes(c, "node-1");

    list = tb_json("[{\"metadata\": {\"namespace\": \"b\", \"name\": \"z\"}}]");
    ops.reset(c, list); /* a relist: what is not in it is gone */
    json_decref(list);
    assert_int_equal(al__kube_cache_count(c), 1);
    assert_null(al__kube_cache_get(c, "a/x"));
    assert_changes(c, "a/x,b/z,node-1");
    assert_int_equal(announced, 5);
    al__kube_cache_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_cache_follows_lists_and_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
