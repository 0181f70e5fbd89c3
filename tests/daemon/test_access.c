/* test_access.c - the pieces under roles and sign-ins (issue 13): a binding's scope holds its
 * department's projects and nothing else, own-only rights, granting up to one's own role,
 * scope and subject names parsed strictly, the token table through many removals, and the
 * token bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/access.h"
#include "daemon/directory.h"
#include "daemon/token_table.h"
#include "util/bucket.h"

static struct al__principal one(const char *subject, enum al__role role, enum al__scope_kind kind,
                                const char *scope) {
    struct al__principal p = {.binding_count = 1};
    snprintf(p.subject, sizeof(p.subject), "%s", subject);
    p.bindings[0] = (struct al__binding){role, kind, ""};
    snprintf(p.bindings[0].scope, sizeof(p.bindings[0].scope), "%s", scope);
    return p;
}

static const struct al__place in_p1 = {"d1", "p1", "user:bob"};
static const struct al__place in_p2 = {"d1", "p2", ""};
static const struct al__place in_p3 = {"d2", "p3", ""};
static const struct al__place system_place = {"", "", ""};

static void a_department_scope_holds_its_projects_only(void **state) {
    (void)state;
    struct al__principal da = one("user:a", AL__ROLE_DEPARTMENT_ADMIN, AL__SCOPE_DEPARTMENT, "d1");
    assert_true(al__may(&da, AL__RES_WORKLOAD, AL__VERB_DELETE, &in_p1));
    assert_true(al__may(&da, AL__RES_PROJECT, AL__VERB_UPDATE, &in_p2));
    assert_false(al__may(&da, AL__RES_WORKLOAD, AL__VERB_READ, &in_p3));
    assert_false(al__may(&da, AL__RES_DEPARTMENT, AL__VERB_UPDATE, &in_p1));
    assert_false(al__may(&da, AL__RES_USER, AL__VERB_READ, &system_place));
    assert_true(al__may(&da, AL__RES_NODE, AL__VERB_READ, &system_place)); /* any scope */
    struct al__principal v = one("user:v", AL__ROLE_VIEWER, AL__SCOPE_PROJECT, "p1");
    assert_true(al__may(&v, AL__RES_WORKLOAD, AL__VERB_READ, &in_p1));
    assert_false(al__may(&v, AL__RES_WORKLOAD, AL__VERB_READ, &in_p2));
    assert_false(al__may(&v, AL__RES_WORKLOAD, AL__VERB_LOGS, &in_p1));
    assert_false(al__may_somewhere(&v, AL__RES_AUDIT, AL__VERB_READ));
    assert_true(al__may_somewhere(&v, AL__RES_WORKLOAD, AL__VERB_READ));
    assert_false(al__sees_all(&v, AL__RES_WORKLOAD, AL__VERB_READ));
}

static void an_l2_researcher_changes_their_own_workloads_only(void **state) {
    (void)state;
    struct al__principal bob = one("user:bob", AL__ROLE_L2_RESEARCHER, AL__SCOPE_PROJECT, "p1");
    struct al__principal eve = one("user:eve", AL__ROLE_L2_RESEARCHER, AL__SCOPE_PROJECT, "p1");
    assert_true(al__may(&bob, AL__RES_WORKLOAD, AL__VERB_DELETE, &in_p1));
    assert_false(al__may(&eve, AL__RES_WORKLOAD, AL__VERB_DELETE, &in_p1));
    assert_true(al__may(&eve, AL__RES_WORKLOAD, AL__VERB_READ, &in_p1));
}

static void a_role_is_granted_up_to_ones_own_in_ones_own_scope(void **state) {
    (void)state;
    struct al__principal rm = one("user:r", AL__ROLE_RESEARCH_MANAGER, AL__SCOPE_PROJECT, "p1");
    assert_true(al__may_grant(&rm, AL__ROLE_L1_RESEARCHER, &in_p1));
    assert_true(al__may_grant(&rm, AL__ROLE_RESEARCH_MANAGER, &in_p1));
    assert_false(al__may_grant(&rm, AL__ROLE_DEPARTMENT_ADMIN, &in_p1));
    assert_false(al__may_grant(&rm, AL__ROLE_VIEWER, &in_p2));
    struct al__principal l1 = one("user:l", AL__ROLE_L1_RESEARCHER, AL__SCOPE_PROJECT, "p1");
    assert_false(al__may_grant(&l1, AL__ROLE_VIEWER, &in_p1));
    assert_false(al__role_scopes(AL__ROLE_SYSTEM_ADMIN, AL__SCOPE_DEPARTMENT));
    assert_false(al__role_scopes(AL__ROLE_DEPARTMENT_ADMIN, AL__SCOPE_PROJECT));
    assert_true(al__role_scopes(AL__ROLE_VIEWER, AL__SCOPE_PROJECT));
}

static void scopes_and_names_are_parsed_strictly(void **state) {
    struct al__binding b;
    char text[128];
    (void)state;
    assert_int_equal(al__scope_parse("system", &b), 0);
    assert_int_equal(b.kind, AL__SCOPE_SYSTEM);
    assert_int_equal(al__scope_parse("project:vision", &b), 0);
    al__scope_text(&b, text, sizeof(text));
    assert_string_equal(text, "project:vision");
    const char *bad[] = {"",       "System",         "project:",    "project:Vision",
                         "team:a", "department:a b", "project:a:b", NULL};
    for (size_t i = 0; bad[i]; i++)
        if (al__scope_parse(bad[i], &b) == 0)
            fail_msg("scope \"%s\" accepted", bad[i]);
    assert_int_equal(al__scope_parse(NULL, &b), -1);
    assert_true(al__subject_name_valid("alice.smith@example.com"));
    const char *names[] = {"", "-a", ".a", "a b", "a/b", "a:b", "a\nb", NULL};
    for (size_t i = 0; names[i]; i++)
        assert_false(al__subject_name_valid(names[i]));
    assert_false(al__subject_name_valid(NULL));
    assert_int_equal(al__role_parse("l2-researcher"), AL__ROLE_L2_RESEARCHER);
    assert_int_equal(al__role_parse("admin"), -1);
}

static void the_token_table_finds_what_is_left_after_many_removals(void **state) {
    struct al__token_table t;
    struct al__token_entry e, got;
    (void)state;
    al__token_table_init(&t);
    for (int i = 0; i < 2000; i++) { /* grows several times */
        memset(&e, 0, sizeof(e));
        memcpy(e.digest, &i, sizeof(i));
        e.digest[31] = (unsigned char)i; /* homes collide in the first bytes' low bits */
        e.kind = AL__TOKEN_ACCESS;
        e.session_id = 1 + i % 7;
        e.expires_s = i % 2 ? 100 : 0;
        snprintf(e.subject, sizeof(e.subject), "user:%d", i % 5);
        al__token_table_put(&t, &e);
    }
    al__token_table_drop_session(&t, 3);
    al__token_table_drop_subject(&t, "user:4");
    al__token_table_drop_expired(&t, 200);
    for (int i = 0; i < 2000; i++) {
        unsigned char digest[AL__DIGEST_SIZE] = {0};
        memcpy(digest, &i, sizeof(i));
        digest[31] = (unsigned char)i;
        bool kept = 1 + i % 7 != 3 && i % 5 != 4 && i % 2 == 0;
        assert_int_equal(al__token_table_find(&t, digest, &got), kept);
    }
    al__token_table_release(&t);
}

static void a_bucket_gives_its_burst_then_its_rate(void **state) {
    struct al__bucket b;
    double wait = 0;
    (void)state;
    al__bucket_fill(&b, 3, 0);
    for (int i = 0; i < 3; i++)
        assert_true(al__bucket_take(&b, 1, 3, 0, &wait));
    assert_false(al__bucket_take(&b, 1, 3, 0, &wait));
    assert_true(wait > 0.99 && wait <= 1.0);
    assert_false(al__bucket_take(&b, 1, 3, 0.5, &wait));
    assert_true(al__bucket_take(&b, 1, 3, 1.0, &wait));
    assert_true(al__bucket_take(&b, 1, 3, 100, &wait)); /* never more than the burst */
    assert_true(al__bucket_take(&b, 1, 3, 100, &wait));
    assert_true(al__bucket_take(&b, 1, 3, 100, &wait));
    assert_false(al__bucket_take(&b, 1, 3, 100, &wait));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_department_scope_holds_its_projects_only),
        cmocka_unit_test(an_l2_researcher_changes_their_own_workloads_only),
        cmocka_unit_test(a_role_is_granted_up_to_ones_own_in_ones_own_scope),
        cmocka_unit_test(scopes_and_names_are_parsed_strictly),
        cmocka_unit_test(the_token_table_finds_what_is_left_after_many_removals),
        cmocka_unit_test(a_bucket_gives_its_burst_then_its_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
