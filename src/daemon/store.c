/* store.c - allotd's SQLite store: open in WAL mode, migrations, cached statements. */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/store.h"

/*
 * The schema, one migration per version. A migration is never edited once released: a change
 * to the schema is a new entry. Workload and queue settings are kept as their validated JSON
 * specs; what changes while they live has columns of its own.
 */
static const char *const migrations[] = {
    /* 1: queues, workloads, tasks, events, tokens */
    "CREATE TABLE queues ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('department', 'project')),"
    "  spec TEXT NOT NULL, created_s INTEGER NOT NULL);"
    "CREATE TABLE workloads ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, project TEXT NOT NULL,"
    "  spec TEXT NOT NULL, state TEXT NOT NULL, created_s INTEGER NOT NULL,"
    "  finished_s INTEGER, exit_code INTEGER, reason_code TEXT, reason TEXT);"
    "CREATE INDEX workloads_by_project ON workloads (project, id);"
    "CREATE TABLE tasks ("
    "  workload_id INTEGER NOT NULL REFERENCES workloads (id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL, state TEXT NOT NULL, node TEXT, gpu_devices TEXT,"
    "  pid INTEGER, start_ticks INTEGER, started_s INTEGER, finished_s INTEGER,"
    "  exit_code INTEGER, PRIMARY KEY (workload_id, idx));"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  workload_id INTEGER NOT NULL REFERENCES workloads (id) ON DELETE CASCADE,"
    "  time_s INTEGER NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);"
    "CREATE INDEX events_by_workload ON events (workload_id, id);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL,"
    "  role TEXT NOT NULL, created_s INTEGER NOT NULL);",
    /* 2: evictions (a task stopping because it was evicted is requeued once it exits, even
     * across a restart) and when a workload last started running (min-runtime protection);
     * a workload of version 1 started when its first task did. */
    "ALTER TABLE tasks ADD COLUMN evicting INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE workloads ADD COLUMN started_s INTEGER;"
    "UPDATE workloads SET started_s ="
    "  (SELECT min(started_s) FROM tasks WHERE tasks.workload_id = workloads.id);",
    /* 3: a started task is known by its backend's reference (opaque text) instead of a pid and
     * a process start time; stores of version 2 were the local backend's, whose reference is
     * "PID:START_TICKS". */
    "ALTER TABLE tasks ADD COLUMN ref TEXT;"
    "UPDATE tasks SET ref = pid || ':' || coalesce(start_ticks, 0) WHERE pid IS NOT NULL;"
    "ALTER TABLE tasks DROP COLUMN pid;"
    "ALTER TABLE tasks DROP COLUMN start_ticks;",
    /* 4: finished workloads are listed from the store (they leave memory after the retention
     * period): by state, in creation order. */
    "CREATE INDEX workloads_by_state ON workloads (state, id);",
    /* 5: workload names are unique per project (a table rebuild: SQLite cannot drop the
     * UNIQUE of a column; foreign keys are off while migrating, so tasks and events stay). */
    "CREATE TABLE workloads_new ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL, project TEXT NOT NULL,"
    "  spec TEXT NOT NULL, state TEXT NOT NULL, created_s INTEGER NOT NULL,"
    "  finished_s INTEGER, exit_code INTEGER, reason_code TEXT, reason TEXT, started_s INTEGER,"
    "  UNIQUE (project, name));"
    "INSERT INTO workloads_new (id, name, project, spec, state, created_s, finished_s,"
    "  exit_code, reason_code, reason, started_s)"
    "  SELECT id, name, project, spec, state, created_s, finished_s, exit_code, reason_code,"
    "  reason, started_s FROM workloads;"
    "DROP TABLE workloads;"
    "ALTER TABLE workloads_new RENAME TO workloads;"
    "CREATE INDEX workloads_by_project ON workloads (project, id);"
    "CREATE INDEX workloads_by_state ON workloads (state, id);",
    /* 6: how many times a workload was requeued, whether it is being stopped for running over its
     * time limit, and per task how many times it started and why its last run was stopped (its
     * log marks each run). A task of version 5 that started or finished ran once. */
    "ALTER TABLE workloads ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE workloads ADD COLUMN over_time INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE tasks ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE tasks ADD COLUMN stopped_why TEXT;"
    "UPDATE tasks SET runs = 1 WHERE ref IS NOT NULL OR started_s IS NOT NULL"
    "  OR finished_s IS NOT NULL;",
    /* 7: a project deleted with its live workloads (force) is kept, marked, until they have
     * stopped, even across a restart. */
    "ALTER TABLE queues ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0;",
    /* 8: the audit log (audit.c): every change made through the API, hash-chained. */
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY, time_s INTEGER NOT NULL, subject TEXT NOT NULL,"
    "  source TEXT NOT NULL, verb TEXT NOT NULL, kind TEXT NOT NULL, project TEXT, name TEXT,"
    "  outcome TEXT NOT NULL, before TEXT, after TEXT, hash TEXT NOT NULL);"
    "CREATE INDEX audit_by_time ON audit (time_s, seq);"
    "CREATE INDEX audit_by_project ON audit (project, seq);",
    /* 9: subjects and what they may do (directory.c): local and SSO users (an Argon2id password
     * for a local one; the identity provider's subject and groups for an SSO one), groups,
     * applications (a client secret's BLAKE2b digest), access rules ("user:NAME" holds a role in
     * "system", "department:NAME" or "project:NAME"), sessions (sessions.c: the digests of an
     * access and a refresh token), and who submitted each workload. */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  source TEXT NOT NULL CHECK (source IN ('local', 'sso')), password TEXT, email TEXT,"
    "  groups TEXT NOT NULL DEFAULT '[]', unix_user TEXT, sso_subject TEXT UNIQUE,"
    "  created_s INTEGER NOT NULL,"
    "  last_login_s INTEGER, failed_logins INTEGER NOT NULL DEFAULT 0,"
    "  locked_until_s INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE groups ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_s INTEGER NOT NULL);"
    "CREATE TABLE apps ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, secret TEXT NOT NULL,"
    "  created_s INTEGER NOT NULL);"
    "CREATE TABLE access_rules ("
    "  id INTEGER PRIMARY KEY, subject TEXT NOT NULL, role TEXT NOT NULL, scope TEXT NOT NULL,"
    "  created_s INTEGER NOT NULL, UNIQUE (subject, role, scope));"
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY, subject TEXT NOT NULL, access TEXT NOT NULL, refresh TEXT,"
    "  access_expires_s INTEGER NOT NULL, refresh_expires_s INTEGER,"
    "  created_s INTEGER NOT NULL, revoked_s INTEGER);"
    "CREATE INDEX sessions_by_subject ON sessions (subject);"
    "ALTER TABLE workloads ADD COLUMN owner TEXT;",
    /* 10: consumption (consumption.c): one row per task run, what it held and from when to when
     * (end_s NULL while it runs; at most one open per task), kept after its workload is gone,
     * for reports; idle_gpu_milli_s NULL where utilisation is not known. Tasks running when a
     * store of version 9 is opened get their row when allotd re-adopts them. */
    "CREATE TABLE consumption ("
    "  id INTEGER PRIMARY KEY, workload_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
    "  workload TEXT NOT NULL, project TEXT NOT NULL, department TEXT NOT NULL, node TEXT,"
    "  gpu_model TEXT NOT NULL, gpu_devices INTEGER NOT NULL, gpu_milli INTEGER NOT NULL,"
    "  gpu_memory_mib INTEGER NOT NULL, cpu_millis INTEGER NOT NULL,"
    "  memory_bytes INTEGER NOT NULL, start_s INTEGER NOT NULL, end_s INTEGER,"
    "  idle_gpu_milli_s INTEGER);"
    "CREATE UNIQUE INDEX consumption_open ON consumption (workload_id, idx) WHERE end_s IS NULL;"
    "CREATE INDEX consumption_by_start ON consumption (start_s);"
    "CREATE INDEX consumption_by_end ON consumption (end_s);",
    /* 11: queue usage for time-based fair share (usage.c): per queue name ("" = the cluster's
     * capacity; names outlive a Kubernetes mirror's queue rows) and time bucket, what it held
     * x seconds (milli-GPU, millicores, MiB). Rows older than the usage window are dropped. */
    "CREATE TABLE queue_usage ("
    "  queue TEXT NOT NULL, start_s INTEGER NOT NULL, gpu_milli_s INTEGER NOT NULL,"
    "  cpu_milli_s INTEGER NOT NULL, memory_mib_s INTEGER NOT NULL,"
    "  PRIMARY KEY (queue, start_s)) WITHOUT ROWID;",
    /* 12: queue usage per node pool (usage.c): a pool column in the key ("" = the default pool,
     * the nodes with no pool, or the whole cluster while it is not scheduled by pool; the rows
     * of version 11 are that). A table rebuild: SQLite cannot change a primary key. */
    "CREATE TABLE queue_usage_new ("
    "  queue TEXT NOT NULL, pool TEXT NOT NULL DEFAULT '', start_s INTEGER NOT NULL,"
    "  gpu_milli_s INTEGER NOT NULL, cpu_milli_s INTEGER NOT NULL,"
    "  memory_mib_s INTEGER NOT NULL, PRIMARY KEY (queue, pool, start_s)) WITHOUT ROWID;"
    "INSERT INTO queue_usage_new (queue, pool, start_s, gpu_milli_s, cpu_milli_s, memory_mib_s)"
    "  SELECT queue, '', start_s, gpu_milli_s, cpu_milli_s, memory_mib_s FROM queue_usage;"
    "DROP TABLE queue_usage;"
    "ALTER TABLE queue_usage_new RENAME TO queue_usage;",
    /* 13: when a workload last became pending again (requeued or resumed; NULL = since it was
     * created): reservations count their wait from it. */
    "ALTER TABLE workloads ADD COLUMN pending_since_s INTEGER;",
};

#define STMT_CACHE 128

struct al__stmt {
    struct al__store *store;
    const char *sql; /* the caller's string: statements are cached by its address */
    sqlite3_stmt *handle;
};

struct al__store {
    sqlite3 *db;
    int version;
    struct al__stmt stmts[STMT_CACHE];
    size_t stmt_count;
    /* The first statement (or the COMMIT) that failed since BEGIN, kept past the rollback that
     * would turn SQLite's message into "not an error"; "" if none. */
    char failed_write[256];
    struct al__histogram *commits; /* times its COMMITs when set (metrics.h), else NULL */
};

/* Notes the first failed statement of the transaction (al__store_write_failed). */
static void note_failure(struct al__store *s) {
    if (!s->failed_write[0])
        snprintf(s->failed_write, sizeof(s->failed_write), "%s", sqlite3_errmsg(s->db));
}

static int exec_sql(struct al__store *s, const char *sql) {
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -AL_EIO;
}

static int read_version(struct al__store *s) {
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Applies the migrations after the file's version up to `upto`. */
static int migrate(struct al__store *s, int upto, char *err, size_t size) {
    int n = (int)(sizeof(migrations) / sizeof(migrations[0]));
    char sql[64];

    s->version = read_version(s);
    if (s->version < 0 || s->version > n) {
        snprintf(err, size, "store: schema version %d is not one this allotd knows (1..%d)",
                 s->version, n);
        return -AL_EIO;
    }
    for (int v = s->version + 1; v <= n && v <= upto; v++) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
        if (exec_sql(s, "BEGIN IMMEDIATE") < 0 || exec_sql(s, migrations[v - 1]) < 0 ||
            exec_sql(s, sql) < 0 || exec_sql(s, "COMMIT") < 0) {
            snprintf(err, size, "store: migration %d failed: %s", v, sqlite3_errmsg(s->db));
            exec_sql(s, "ROLLBACK");
            return -AL_EIO;
        }
        s->version = v;
    }
    return 0;
}

int al__store_open(const char *path, struct al__store **out, char *err, size_t size) {
    return al__store_open_upto(path, INT_MAX, out, err, size);
}

int al__store_open_upto(const char *path, int version, struct al__store **out, char *err,
                        size_t size) {
    struct al__store *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, size, "store: out of memory");
        return -AL_ENOMEM;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, size, "store: cannot open %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* Migrations run with foreign keys off (a table rebuild must not cascade its deletes). */
    if (exec_sql(s, "PRAGMA journal_mode = WAL") < 0 ||
        exec_sql(s, "PRAGMA synchronous = FULL") < 0) {
        snprintf(err, size, "store: cannot configure %s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (migrate(s, version, err, size) < 0)
        goto fail;
    if (exec_sql(s, "PRAGMA foreign_keys = ON") < 0) {
        snprintf(err, size, "store: cannot configure %s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    *out = s;
    return 0;
fail:
    al__store_close(s);
    return -AL_EIO;
}

int al__store_open_reader(const char *path, struct al__store **out, char *err, size_t size) {
    struct al__store *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, size, "store: out of memory");
        return -AL_ENOMEM;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, size, "store: cannot open %s to read: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        al__store_close(s);
        return -AL_EIO;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* Pages read through a mapping, not copied in by a read() each (a list page walks the
     * table: copying its pages in took a seventh of the time); the WAL's are read as before. */
    exec_sql(s, "PRAGMA mmap_size = 268435456");
    s->version = read_version(s);
    *out = s;
    return 0;
}

void al__store_close(struct al__store *store) {
    if (!store)
        return;
    for (size_t i = 0; i < store->stmt_count; i++)
        sqlite3_finalize(store->stmts[i].handle);
    sqlite3_close(store->db);
    free(store);
}

int al__store_schema_version(struct al__store *store) {
    return store->version;
}

int al__store_begin(struct al__store *store) {
    store->failed_write[0] = '\0';
    return exec_sql(store, "BEGIN IMMEDIATE");
}

const char *al__store_write_failed(const struct al__store *store) {
    return store->failed_write[0] ? store->failed_write : NULL;
}

int al__store_volatile(struct al__store *store) {
    return exec_sql(store, "PRAGMA synchronous = OFF");
}

void al__store_time_commits(struct al__store *store, struct al__histogram *h) {
    store->commits = h;
}

int al__store_commit(struct al__store *store) {
    uint64_t began = store->commits ? al__monotonic_ns() : 0;
    int rc = exec_sql(store, "COMMIT");
    if (store->commits)
        al__histogram_observe_ns(store->commits, al__monotonic_ns() - began);
    if (rc == 0)
        return 0;
    note_failure(store);
    al__store_rollback(store);
    return -AL_EIO;
}

void al__store_rollback(struct al__store *store) {
    if (!sqlite3_get_autocommit(store->db))
        exec_sql(store, "ROLLBACK");
}

const char *al__store_error(struct al__store *store) {
    if (store->failed_write[0] && sqlite3_errcode(store->db) == SQLITE_OK)
        return store->failed_write;
    return sqlite3_errmsg(store->db);
}

int64_t al__store_last_id(struct al__store *store) {
    return sqlite3_last_insert_rowid(store->db);
}

struct al__stmt *al__stmt_prepare(struct al__store *store, const char *sql) {
    for (size_t i = 0; i < store->stmt_count; i++) {
        if (store->stmts[i].sql == sql) {
            sqlite3_reset(store->stmts[i].handle);
            sqlite3_clear_bindings(store->stmts[i].handle);
            return &store->stmts[i];
        }
    }
    if (store->stmt_count == STMT_CACHE)
        return NULL; /* more distinct statements than allotd has: a bug */
    struct al__stmt *st = &store->stmts[store->stmt_count];
    if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->handle, NULL) !=
        SQLITE_OK) {
        note_failure(store);
        return NULL;
    }
    st->sql = sql;
    st->store = store;
    store->stmt_count++;
    return st;
}

void al__stmt_bind_int(struct al__stmt *stmt, int index, int64_t value) {
    sqlite3_bind_int64(stmt->handle, index, value);
}

void al__stmt_bind_text(struct al__stmt *stmt, int index, const char *text) {
    if (text)
        sqlite3_bind_text(stmt->handle, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt->handle, index);
}

void al__stmt_bind_null(struct al__stmt *stmt, int index) {
    sqlite3_bind_null(stmt->handle, index);
}

int al__stmt_step(struct al__stmt *stmt) {
    int rc = sqlite3_step(stmt->handle);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        note_failure(stmt->store);
    sqlite3_reset(stmt->handle);
    return rc == SQLITE_DONE ? 0 : -AL_EIO;
}

void al__stmt_reset(struct al__stmt *stmt) {
    sqlite3_reset(stmt->handle);
}

int al__stmt_run(struct al__stmt *stmt) {
    int rc;
    while ((rc = al__stmt_step(stmt)) == 1)
        ;
    return rc;
}

int64_t al__stmt_int(struct al__stmt *stmt, int column) {
    return sqlite3_column_int64(stmt->handle, column);
}

const char *al__stmt_text(struct al__stmt *stmt, int column) {
    return (const char *)sqlite3_column_text(stmt->handle, column);
}

bool al__stmt_is_null(struct al__stmt *stmt, int column) {
    return sqlite3_column_type(stmt->handle, column) == SQLITE_NULL;
}
