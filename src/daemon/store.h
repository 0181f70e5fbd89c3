/* store.h - allotd's durable store: a thin wrapper over SQLite (WAL, synchronous=FULL) with
 * versioned migrations. store.c is the only file that knows SQLite. Not thread-safe: allotd
 * serialises every use under its state lock. */
#ifndef ALLOT_DAEMON_STORE_H
#define ALLOT_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/histogram.h"

struct al__store;
struct al__stmt;

/*
 * al__store_open - opens (creating if needed) the database at `path`, switches it to WAL
 * with full synchronisation and foreign keys, and applies every migration newer than the
 * file's schema version, each in its own transaction. Returns 0 and *out, or -AL_EIO with a
 * message in err (the store is not opened then).
 */
int al__store_open(const char *path, struct al__store **out, char *err, size_t size);

/* al__store_open_upto - al__store_open() that migrates no further than `version` (for tests
 * of migrations: a file as an older allotd left it). */
int al__store_open_upto(const char *path, int version, struct al__store **out, char *err,
                        size_t size);

/*
 * al__store_open_reader - a second, read-only connection to a store that al__store_open made:
 * in WAL mode its reads see the last commit and neither wait for the writer nor make it wait
 * (allotd serves lists of finished workloads from it).
 */
int al__store_open_reader(const char *path, struct al__store **out, char *err, size_t size);

/* al__store_close - closes the database; accepts NULL. */
void al__store_close(struct al__store *store);

/* al__store_schema_version - the version the migrations brought the file to. */
int al__store_schema_version(struct al__store *store);

/*
 * Transactions. begin/commit/rollback return 0 or -AL_EIO (the message is in
 * al__store_error()). A commit returns only once the transaction is durable on disk.
 */
int al__store_begin(struct al__store *store);
int al__store_commit(struct al__store *store);

/* al__store_volatile - commits no longer wait for the disk (synchronous = OFF): for a store
 * that nothing must survive, a simulation's throwaway one. 0, or -AL_EIO. */
int al__store_volatile(struct al__store *store);

/* al__store_time_commits - each later COMMIT's time goes into `h` (borrowed while the store
 * is open; NULL stops it). */
void al__store_time_commits(struct al__store *store, struct al__histogram *h);
void al__store_rollback(struct al__store *store);

/*
 * al__store_write_failed - why the first statement that failed since al__store_begin failed, or
 * NULL when none did: a transaction whose writes are not all in must not be committed as if
 * they were (the cycle checks this before its commits).
 */
const char *al__store_write_failed(const struct al__store *store);

/* al__store_error - the last SQLite error message, or that of a failure kept past its rollback
 * (owned by the store). */
const char *al__store_error(struct al__store *store);

/* al__store_last_id - the rowid of the last INSERT. */
int64_t al__store_last_id(struct al__store *store);

/*
 * al__stmt_prepare - a statement for `sql`, cached by the store: preparing the same text
 * again gives the same statement, reset and with its bindings cleared. Returns NULL on a SQL
 * error (a bug: the message is in al__store_error()). The store owns it.
 */
struct al__stmt *al__stmt_prepare(struct al__store *store, const char *sql);

/* Parameters are numbered from 1. Text is copied. */
void al__stmt_bind_int(struct al__stmt *stmt, int index, int64_t value);
void al__stmt_bind_text(struct al__stmt *stmt, int index, const char *text); /* NULL = null */
void al__stmt_bind_null(struct al__stmt *stmt, int index);

/* al__stmt_step - 1 when a row is ready, 0 when done, -AL_EIO on an error. */
int al__stmt_step(struct al__stmt *stmt);

/* al__stmt_reset - ends a query early (releases its read lock); stepping to the end does too. */
void al__stmt_reset(struct al__stmt *stmt);

/* al__stmt_run - steps a statement that returns no rows to completion; 0 or -AL_EIO. */
int al__stmt_run(struct al__stmt *stmt);

/* Columns of the current row, numbered from 0. Text is valid until the next step. */
int64_t al__stmt_int(struct al__stmt *stmt, int column);
const char *al__stmt_text(struct al__stmt *stmt, int column); /* NULL for null */
bool al__stmt_is_null(struct al__stmt *stmt, int column);

#endif
