/* audit.c - allotd's audit log in the store: rows appended in the transaction of the change they
 * record, listed with filters, and the chain of their hashes verified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/audit.h"
#include "daemon/audit_chain.h"
#include "daemon/daemon.h"
#include "daemon/failpoint.h"
#include "daemon/specs.h"

static const char last_sql[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
static const char insert_sql[] =
    "INSERT INTO audit (seq, time_s, subject, source, verb, kind, project, name, outcome, "
    "before, after, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char walk_sql[] = "SELECT seq, time_s, subject, source, verb, kind, project, name, "
                               "outcome, before, after, hash FROM audit ORDER BY seq";
/* The filters: a parameter left null matches every row. */
#define AUDIT_WHERE                                                                                \
    " FROM audit WHERE (?1 IS NULL OR time_s >= ?1) AND (?2 IS NULL OR subject = ?2) AND "         \
    "(?3 IS NULL OR project = ?3)"
static const char count_sql[] = "SELECT count(*)" AUDIT_WHERE;
static const char page_sql[] =
    "SELECT seq, time_s, subject, source, verb, kind, project, name, "
    "outcome, before, after, hash" AUDIT_WHERE " ORDER BY seq LIMIT ?4 OFFSET ?5";

char *al__audit_text(json_t *j) {
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return text;
}

int al__audit_tail_read(struct al__store *store, struct al__audit_tail *tail) {
    struct al__stmt *st = al__stmt_prepare(store, last_sql);
    int rc;
    tail->seq = 0;
    tail->hash[0] = '\0';
    if (!st)
        return -AL_EIO;
    if ((rc = al__stmt_step(st)) == 1) {
        tail->seq = al__stmt_int(st, 0);
        snprintf(tail->hash, sizeof(tail->hash), "%s",
                 al__stmt_text(st, 1) ? al__stmt_text(st, 1) : "");
        al__stmt_reset(st);
    }
    return rc < 0 ? -AL_EIO : 0;
}

int al__audit_append_text(struct al__store *store, struct al__audit_tail *tail,
                          const struct al__actor *by, const char *verb, const char *kind,
                          const char *project, const char *name, const char *outcome,
                          const char *before, const char *after) {
    struct al__stmt *st = al__stmt_prepare(store, insert_sql);
    struct al__audit_row row = {tail->seq + 1, al__daemon_now(), by->subject, by->source, verb,
                                kind,          project,          name,        outcome,    before,
                                after};
    char hash[AL__AUDIT_HASH_HEX];
    if (!st)
        return -AL_EIO;
    al__audit_hash(tail->hash, &row, hash);
    al__stmt_bind_int(st, 1, row.seq);
    al__stmt_bind_int(st, 2, row.time_s);
    const char *const texts[] = {row.subject, row.source,  row.verb,   row.kind,  row.project,
                                 row.name,    row.outcome, row.before, row.after, hash};
    for (int i = 0; i < 10; i++)
        al__stmt_bind_text(st, 3 + i, texts[i]);
    if (al__stmt_run(st) < 0)
        return -AL_EIO;
    al__failpoint("audit-appended"); /* tests: the change and its row, neither committed */
    tail->seq = row.seq;
    memcpy(tail->hash, hash, sizeof(hash));
    return 0;
}

int al__audit_append(struct al__store *store, const struct al__actor *by, const char *verb,
                     const char *kind, const char *project, const char *name, const char *outcome,
                     json_t *before, json_t *after) {
    struct al__audit_tail tail;
    char *before_text = al__audit_text(before), *after_text = al__audit_text(after);
    int rc = al__audit_tail_read(store, &tail);
    if (rc == 0)
        rc = al__audit_append_text(store, &tail, by, verb, kind, project, name, outcome,
                                   before_text, after_text);
    free(before_text);
    free(after_text);
    return rc;
}

int al__audit_change(struct allotd *d, const char *verb, const char *kind, const char *project,
                     const char *name, const char *outcome, json_t *before, json_t *after) {
    static const struct al__actor system = {"system", "local"};
    return al__audit_append(d->store, d->audit_by ? d->audit_by : &system, verb, kind, project,
                            name, outcome, before, after);
}

int al__audit_append_own(struct allotd *d, const struct al__actor *by, const char *verb,
                         const char *kind, const char *name, const char *outcome) {
    if (al__store_begin(d->store) < 0)
        return -AL_EIO;
    if (al__audit_append(d->store, by, verb, kind, NULL, name, outcome, NULL, NULL) < 0 ||
        al__store_commit(d->store) < 0) {
        al__store_rollback(d->store);
        return -AL_EIO;
    }
    return 0;
}

/* The row the statement is on, in the columns of walk_sql. */
static struct al__audit_row row_of(struct al__stmt *st) {
    struct al__audit_row r = {al__stmt_int(st, 0),  al__stmt_int(st, 1),  al__stmt_text(st, 2),
                              al__stmt_text(st, 3), al__stmt_text(st, 4), al__stmt_text(st, 5),
                              al__stmt_text(st, 6), al__stmt_text(st, 7), al__stmt_text(st, 8),
                              al__stmt_text(st, 9), al__stmt_text(st, 10)};
    return r;
}

static json_t *parsed_or_null(const char *text) {
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_null();
}

static json_t *str_or_null(const char *text) {
    return text ? json_string(text) : json_null();
}

static json_t *row_json(struct al__stmt *st) {
    struct al__audit_row r = row_of(st);
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o}", "seq",
                     (json_int_t)r.seq, "time_s", (json_int_t)r.time_s, "subject",
                     str_or_null(r.subject), "source", str_or_null(r.source), "verb",
                     str_or_null(r.verb), "resource", "kind", str_or_null(r.kind), "project",
                     str_or_null(r.project), "name", str_or_null(r.name), "outcome",
                     str_or_null(r.outcome), "before", parsed_or_null(r.before), "after",
                     parsed_or_null(r.after), "hash", str_or_null(al__stmt_text(st, 11)));
}

static void bind_filter(struct al__stmt *st, const struct al__audit_filter *f) {
    if (f->since_s >= 0)
        al__stmt_bind_int(st, 1, f->since_s);
    else
        al__stmt_bind_null(st, 1);
    al__stmt_bind_text(st, 2, f->subject);
    al__stmt_bind_text(st, 3, f->project);
}

int al__audit_list(struct al__store *store, const struct al__audit_filter *filter, int64_t limit,
                   int64_t offset, json_t **items, int64_t *total) {
    struct al__stmt *st = al__stmt_prepare(store, count_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    bind_filter(st, filter);
    if ((rc = al__stmt_step(st)) != 1)
        return -AL_EIO;
    int64_t count = al__stmt_int(st, 0);
    al__stmt_reset(st);
    if (!(st = al__stmt_prepare(store, page_sql)))
        return -AL_EIO;
    bind_filter(st, filter);
    al__stmt_bind_int(st, 4, limit);
    al__stmt_bind_int(st, 5, offset);
    json_t *a = json_array();
    while ((rc = al__stmt_step(st)) == 1)
        json_array_append_new(a, row_json(st));
    if (rc < 0) {
        json_decref(a);
        return -AL_EIO;
    }
    *items = a;
    *total = count;
    return 0;
}

int al__audit_verify(struct al__store *store, int64_t *rows, int64_t *bad_seq, char *why,
                     size_t size) {
    struct al__stmt *st = al__stmt_prepare(store, walk_sql);
    char prev[AL__AUDIT_HASH_HEX] = "", hash[AL__AUDIT_HASH_HEX];
    int64_t expected = 1;
    int rc;

    *rows = 0;
    *bad_seq = -1;
    why[0] = '\0';
    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__audit_row r = row_of(st);
        const char *stored = al__stmt_text(st, 11);
        al__audit_hash(prev, &r, hash);
        if (r.seq != expected) {
            *bad_seq = expected;
            snprintf(why, size, "row %lld is missing (the next row is %lld)", (long long)expected,
                     (long long)r.seq);
        } else if (!stored || strcmp(stored, hash) != 0) {
            *bad_seq = r.seq;
            snprintf(why, size,
                     "row %lld does not match its hash: it was changed, or a row before it was",
                     (long long)r.seq);
        }
        if (*bad_seq >= 0) {
            al__stmt_reset(st);
            return 0;
        }
        snprintf(prev, sizeof(prev), "%s", stored);
        expected++;
        (*rows)++;
    }
    return rc < 0 ? -AL_EIO : 0;
}

/* The values of the variables of object `vars` replaced by "(redacted)"; a new object. */
static json_t *redacted(const json_t *vars) {
    json_t *out = json_object();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)vars, key, value) {
        (void)value;
        json_object_set_new(out, key, json_string("(redacted)"));
    }
    return out;
}

json_t *al__workload_audit_json(const struct al__dworkload *w) {
    json_t *spec = al__workload_spec_json(&w->spec);
    if (!spec)
        spec = json_object();
    json_object_set_new(spec, "env", redacted(json_object_get(spec, "env")));
    json_object_set_new(spec, "exported_env", redacted(json_object_get(spec, "exported_env")));
    return json_pack("{s:s, s:o}", "state", al__wstate_name(w->state), "spec", spec);
}
