/* test_store.c - allotd's store: migrations on a new, a reopened and an older file, a file
 * from a newer allotd refused, transactions that roll back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "allot/errors.h"
#include "daemon/store.h"

static char dir[] = "/tmp/allot-store-XXXXXX";
static char path[256];

static int setup(void **state) {
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/allot.db", dir);
    return 0;
}

static int teardown(void **state) {
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static int64_t count_rows(struct al__store *s, const char *sql) {
    struct al__stmt *st = al__stmt_prepare(s, sql);
    int64_t n = -1;
    assert_non_null(st);
    if (al__stmt_step(st) == 1)
        n = al__stmt_int(st, 0);
    al__stmt_reset(st);
    return n;
}

static const char insert_sql[] =
    "INSERT INTO queues (name, kind, spec, created_s) VALUES (?1, 'project', '{}', 1)";
static const char count_sql[] = "SELECT count(*) FROM queues";
/* The schema version the migrations bring a file to (13: when a workload became pending again). */
#define LATEST 13

static void migrations_apply_once_and_data_survives_reopening(void **state) {
    struct al__store *s = NULL;
    char err[256] = "";
    (void)state;
    assert_int_equal(al__store_open(path, &s, err, sizeof(err)), 0);
    assert_int_equal(al__store_schema_version(s), LATEST);
    assert_int_equal(al__store_begin(s), 0);
    struct al__stmt *st = al__stmt_prepare(s, insert_sql);
    al__stmt_bind_text(st, 1, "team-a");
    assert_int_equal(al__stmt_run(st), 0);
    assert_int_equal(al__store_commit(s), 0);
    al__store_close(s);

    assert_int_equal(al__store_open(path, &s, err, sizeof(err)), 0);
    assert_int_equal(al__store_schema_version(s), LATEST);
    assert_int_equal(count_rows(s, count_sql), 1);
    al__store_close(s);
}

/* A file of version 1 (before evictions) gains the columns of version 2 and keeps its rows: a
 * workload's start is its first task's. */
static void a_version_1_file_is_migrated(void **state) {
    static const char v1_rows[] =
        "INSERT INTO workloads (id, name, project, spec, state, created_s) VALUES "
        "(7, 'w', 'team-a', '{}', 'running', 100);"
        "INSERT INTO tasks (workload_id, idx, state, started_s) VALUES "
        "(7, 0, 'running', 120), (7, 1, 'running', 110)";
    static const char started_sql[] = "SELECT started_s FROM workloads WHERE id = 7";
    static const char evicting_sql[] = "SELECT sum(evicting) + 10 * count(*) FROM tasks";
    char v1[300], err[256] = "";
    struct al__store *s = NULL;
    sqlite3 *db;
    (void)state;
    snprintf(v1, sizeof(v1), "%s/v1.db", dir);
    assert_int_equal(al__store_open_upto(v1, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(al__store_schema_version(s), 1);
    al__store_close(s);
    assert_int_equal(sqlite3_open(v1, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v1_rows, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(al__store_open(v1, &s, err, sizeof(err)), 0);
    assert_int_equal(al__store_schema_version(s), LATEST);
    assert_int_equal(count_rows(s, started_sql), 110);
    assert_int_equal(count_rows(s, evicting_sql), 20); /* two rows, none evicting */
    al__store_close(s);
}

/* Version 3 (and on): a task started by a version-2 allotd (the local backend's pid and process
 * start time) keeps it as its backend reference "PID:TICKS"; a task without a process has none. */
static void a_version_2_file_keeps_its_processes_as_references(void **state) {
    static const char v2_rows[] =
        "INSERT INTO workloads (id, name, project, spec, state, created_s) VALUES "
        "(7, 'w', 'team-a', '{}', 'running', 100);"
        "INSERT INTO tasks (workload_id, idx, state, node, pid, start_ticks, started_s) VALUES "
        "(7, 0, 'running', 'host', 4242, 98765, 120), (7, 1, 'pending', NULL, NULL, NULL, NULL)";
    static const char refs_sql[] =
        "SELECT count(*) FROM tasks WHERE (idx = 0 AND ref = '4242:98765' AND node = 'host') "
        "OR (idx = 1 AND ref IS NULL)";
    char v2[300], err[256] = "";
    struct al__store *s = NULL;
    sqlite3 *db;
    (void)state;
    snprintf(v2, sizeof(v2), "%s/v2.db", dir);
    assert_int_equal(al__store_open_upto(v2, 2, &s, err, sizeof(err)), 0);
    al__store_close(s);
    assert_int_equal(sqlite3_open(v2, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v2_rows, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(al__store_open(v2, &s, err, sizeof(err)), 0);
    assert_int_equal(al__store_schema_version(s), LATEST);
    assert_int_equal(count_rows(s, refs_sql), 2);
    al__store_close(s);
}

/* Version 6: a task of version 5 that started or finished ran once, one that never started has
 * not run; no workload was requeued yet as far as the file can tell. */
static void a_version_5_file_counts_the_runs_it_can_tell(void **state) {
    static const char v5_rows[] =
        "INSERT INTO workloads (id, name, project, spec, state, created_s) VALUES "
        "(7, 'w', 'team-a', '{}', 'running', 100);"
        "INSERT INTO tasks (workload_id, idx, state, ref, started_s, finished_s) VALUES "
        "(7, 0, 'running', '1:2', 120, NULL), (7, 1, 'succeeded', NULL, 110, 130), "
        "(7, 2, 'pending', NULL, NULL, NULL)";
    static const char runs_sql[] =
        "SELECT 100 * sum(runs) + 10 * count(stopped_why) + (SELECT sum(restarts) + "
        "sum(over_time) FROM workloads) FROM tasks";
    char v5[300], err[256] = "";
    struct al__store *s = NULL;
    sqlite3 *db;
    (void)state;
    snprintf(v5, sizeof(v5), "%s/v5.db", dir);
    assert_int_equal(al__store_open_upto(v5, 5, &s, err, sizeof(err)), 0);
    al__store_close(s);
    assert_int_equal(sqlite3_open(v5, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v5_rows, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(al__store_open(v5, &s, err, sizeof(err)), 0);
    assert_int_equal(al__store_schema_version(s), LATEST);
    assert_int_equal(count_rows(s, runs_sql), 200); /* two ran once; no reason, no restart */
    al__store_close(s);
}

/* Version 12: the queue usage of a version-11 store is kept as the default pool's (pool ""),
 * and (queue, pool, start) is the key: the same bucket of another pool is another row. */
static void a_version_11_file_keeps_its_usage_as_the_default_pools(void **state) {
    static const char v11_rows[] =
        "INSERT INTO queue_usage (queue, start_s, gpu_milli_s, cpu_milli_s, memory_mib_s) VALUES "
        "('', 100, 4000, 0, 0), ('team', 100, 1000, 2, 3)";
    static const char pool_rows[] =
        "INSERT INTO queue_usage (queue, pool, start_s, gpu_milli_s, cpu_milli_s, memory_mib_s) "
        "VALUES ('team', 'a100', 100, 500, 0, 0)";
    static const char kept_sql[] =
        "SELECT sum(gpu_milli_s) + 10 * count(*) FROM queue_usage WHERE pool = ''";
    static const char all_sql[] = "SELECT count(*) FROM queue_usage";
    char v11[300], err[256] = "";
    struct al__store *s = NULL;
    sqlite3 *db;
    (void)state;
    snprintf(v11, sizeof(v11), "%s/v11.db", dir);
    assert_int_equal(al__store_open_upto(v11, 11, &s, err, sizeof(err)), 0);
    al__store_close(s);
    assert_int_equal(sqlite3_open(v11, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v11_rows, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(al__store_open(v11, &s, err, sizeof(err)), 0);
    assert_int_equal(al__store_schema_version(s), LATEST);
    assert_int_equal(count_rows(s, kept_sql), 5000 + 20);
    assert_int_equal(al__store_begin(s), 0);
    struct al__stmt *st = al__stmt_prepare(s, pool_rows);
    assert_int_equal(al__stmt_run(st), 0);
    assert_int_equal(al__store_commit(s), 0);
    assert_int_equal(count_rows(s, all_sql), 3);
    al__store_close(s);
}

static void rollback_leaves_nothing_behind(void **state) {
    struct al__store *s = NULL;
    char err[256] = "";
    (void)state;
    assert_int_equal(al__store_open(path, &s, err, sizeof(err)), 0);
    int64_t before = count_rows(s, count_sql);
    assert_int_equal(al__store_begin(s), 0);
    struct al__stmt *st = al__stmt_prepare(s, insert_sql);
    al__stmt_bind_text(st, 1, "team-b");
    assert_int_equal(al__stmt_run(st), 0);
    al__store_rollback(s);
    assert_int_equal(count_rows(s, count_sql), before);
    /* a constraint violation is an error, not a crash */
    assert_int_equal(al__store_begin(s), 0);
    st = al__stmt_prepare(s, insert_sql);
    al__stmt_bind_text(st, 1, "team-a");
    assert_int_equal(al__stmt_run(st), -AL_EIO);
    assert_non_null(strstr(al__store_error(s), "UNIQUE"));
    al__store_rollback(s);
    al__store_close(s);
}

static void a_newer_schema_is_refused(void **state) {
    struct al__store *s = NULL;
    sqlite3 *db;
    char err[256] = "";
    (void)state;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(al__store_open(path, &s, err, sizeof(err)), -AL_EIO);
    assert_null(s);
    assert_non_null(strstr(err, "schema version 99"));
}

static void an_unwritable_place_is_a_clear_error(void **state) {
    struct al__store *s = NULL;
    char err[256] = "";
    (void)state;
    assert_int_equal(al__store_open("/nonexistent-dir/x/allot.db", &s, err, sizeof(err)), -AL_EIO);
    assert_non_null(strstr(err, "cannot open"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_apply_once_and_data_survives_reopening),
        cmocka_unit_test(a_version_1_file_is_migrated),
        cmocka_unit_test(a_version_2_file_keeps_its_processes_as_references),
        cmocka_unit_test(a_version_5_file_counts_the_runs_it_can_tell),
        cmocka_unit_test(a_version_11_file_keeps_its_usage_as_the_default_pools),
        cmocka_unit_test(rollback_leaves_nothing_behind),
        cmocka_unit_test(a_newer_schema_is_refused),
        cmocka_unit_test(an_unwritable_place_is_a_clear_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
