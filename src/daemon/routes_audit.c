/* routes_audit.c - /api/v1/audit: the audit log, filtered and paged, and the check of its hash
 * chain (audit/verify). Read through the store's reader connection under its lock alone (the
 * route table gives them no lock): a long walk holds up neither requests nor the cycle. */
#include <pthread.h>

#include "daemon/api.h"
#include "daemon/audit.h"
#include "daemon/time_text.h"

void al__audit_list_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__audit_filter filter = {
        .since_s = -1, .subject = al__query(req, "subject"), .project = al__query(req, "project")};
    const char *since = al__query(req, "since");
    int64_t limit, offset, total;
    json_t *items;
    char err[256];

    if (since && al__since_parse(since, al__daemon_now(), &filter.since_s, err, sizeof(err)) < 0) {
        al__reply_error(rep, "invalid_argument", "since", "%s", err);
        return;
    }
    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    pthread_mutex_lock(&d->reader_lock);
    int rc = al__audit_list(d->reader, &filter, limit, offset, &items, &total);
    pthread_mutex_unlock(&d->reader_lock);
    if (rc < 0)
        al__reply_error(rep, "internal", NULL, "store: reading the audit log failed");
    else
        al__list_reply(rep, items, (size_t)total, limit, offset);
}

void al__audit_verify_route(struct allotd *d, const struct al__request *req,
                            struct al__reply *rep) {
    int64_t rows, bad_seq;
    char why[256];
    (void)req;
    pthread_mutex_lock(&d->reader_lock);
    int rc = al__audit_verify(d->reader, &rows, &bad_seq, why, sizeof(why));
    pthread_mutex_unlock(&d->reader_lock);
    if (rc < 0)
        al__reply_error(rep, "internal", NULL, "store: reading the audit log failed");
    else if (bad_seq < 0)
        al__reply_json(rep, 200, json_pack("{s:b, s:I}", "ok", 1, "rows", (json_int_t)rows));
    else
        al__reply_json(rep, 200,
                       json_pack("{s:b, s:I, s:I, s:s}", "ok", 0, "rows", (json_int_t)rows,
                                 "first_bad_seq", (json_int_t)bad_seq, "reason", why));
}
