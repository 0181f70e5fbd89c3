/* test_events.c - the event stream's ring: ids one greater each from the first, the oldest
 * events replaced once it is full, nothing found outside what it holds, and the notify hook
 * called only while some stream follows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/events.h"

static char *render(void *ctx, uint64_t id) {
    char *text = malloc(64);
    assert_non_null(text);
    snprintf(text, 64, "{\"id\":%llu,\"n\":%d}", (unsigned long long)id, *(int *)ctx);
    return text;
}

static void publish(struct al__events *ev, int n) {
    al__events_publish(ev, AL__EV_WORKLOAD, "workload.state", false, "d", "p", "user:u", render,
                       &n);
}

static void the_ring_keeps_the_latest_in_id_order(void **state) {
    struct al__events ev;
    uint64_t oldest, newest;
    (void)state;
    al__events_init(&ev, 4, 1000);
    al__events_bounds(&ev, &oldest, &newest);
    assert_int_equal(oldest, 1000); /* empty: nothing held, none ever was */
    assert_int_equal(newest, 999);
    for (int n = 0; n < 10; n++)
        publish(&ev, n);
    al__events_bounds(&ev, &oldest, &newest);
    assert_int_equal(oldest, 1006);
    assert_int_equal(newest, 1009);
    assert_int_equal(ev.count, 4);
    assert_null(al__events_at(&ev, 1005)); /* replaced */
    assert_null(al__events_at(&ev, 1010)); /* not yet */
    for (uint64_t id = 1006; id <= 1009; id++) {
        const struct al__event *e = al__events_at(&ev, id);
        char want[64];
        assert_non_null(e);
        assert_int_equal(e->id, id);
        snprintf(want, sizeof(want), "{\"id\":%llu,\"n\":%d}", (unsigned long long)id,
                 (int)(id - 1000));
        assert_string_equal(e->data, want);
        assert_string_equal(e->project, "p");
        assert_string_equal(e->owner, "user:u");
    }
    al__events_release(&ev);
}

static void count_call(void *arg) {
    (*(int *)arg)++;
}

static void followers_are_notified_and_no_one_else(void **state) {
    struct al__events ev;
    int calls = 0;
    (void)state;
    al__events_init(&ev, 8, 1);
    ev.notify = count_call;
    ev.notify_arg = &calls;
    publish(&ev, 0); /* no follower: no call */
    assert_int_equal(calls, 0);
    ev.followers = 2;
    publish(&ev, 1);
    assert_int_equal(calls, 1);
    al__events_close(&ev); /* stopping: never again */
    assert_true(ev.closed);
    publish(&ev, 2);
    assert_int_equal(calls, 1);
    al__events_release(&ev);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_ring_keeps_the_latest_in_id_order),
        cmocka_unit_test(followers_are_notified_and_no_one_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
