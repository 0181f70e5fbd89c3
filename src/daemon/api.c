/* api.c - the REST layer's common parts: errors, query parameters, lists, and the router that
 * sends each /api/v1/ path to its resource. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/body_path.h"

const char *al__query(const struct al__request *req, const char *key) {
    return req->lookup ? req->lookup(req->lookup_ctx, key) : NULL;
}

void al__reply_json(struct al__reply *rep, int status, json_t *body) {
    json_decref(rep->json);
    rep->status = status;
    rep->json = body;
}

static int status_of(const char *code) {
    static const struct {
        const char *code;
        int status;
    } codes[] = {
        {"invalid_argument", 400},
        {"authorization_pending", 400}, /* a sign-in in a browser not finished yet */
        {"unauthenticated", 401},
        {"permission_denied", 403},
        {"not_found", 404},
        {"resource_exhausted", 429},
        {"method_not_allowed", 405},
        {"already_exists", 409},
        {"failed_precondition", 409},
        {"ambiguous", 409},
        {"payload_too_large", 413},
        {"internal", 500},
        {"bad_gateway", 502}, /* a cluster that owns the objects failed or could not be reached */
        {"unavailable", 503},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(codes[i].code, code) == 0)
            return codes[i].status;
    return 500;
}

void al__reply_error(struct al__reply *rep, const char *code, const char *field, const char *fmt,
                     ...) {
    char message[512];
    va_list ap;
    json_t *error;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (field && error)
        json_object_set_new(error, "field", json_string(field));
    al__reply_json(rep, status_of(code), json_pack("{s:o?}", "error", error));
}

json_t *al__request_json(const struct al__request *req, struct al__reply *rep) {
    json_error_t jerr;
    json_t *body;

    if (req->body_len == 0) {
        al__reply_error(rep, "invalid_argument", NULL, "a JSON object body is required");
        return NULL;
    }
    body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body) {
        char field[256];
        size_t at =
            jerr.position > 0 && (size_t)jerr.position <= req->body_len ? (size_t)jerr.position : 0;
        al__body_path_at(req->body, at, field, sizeof(field));
        al__reply_error(rep, "invalid_argument", field[0] ? field : NULL,
                        "malformed JSON at line %d: %s", jerr.line, jerr.text);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        al__reply_error(rep, "invalid_argument", NULL, "the body must be a JSON object");
        return NULL;
    }
    return body;
}

int al__query_int(const struct al__request *req, struct al__reply *rep, const char *key,
                  int64_t def, int64_t min, int64_t max, int64_t *out) {
    const char *v = al__query(req, key);
    char *end;
    long long n;

    if (!v) {
        *out = def;
        return 0;
    }
    errno = 0;
    n = strtoll(v, &end, 10); /* digits only, with an optional '-': no sign, no spaces */
    bool digits = (v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9');
    if (!digits || errno || end == v || *end || n < min || n > max) {
        al__reply_error(rep, "invalid_argument", key, "must be an integer from %lld to %lld",
                        (long long)min, (long long)max);
        return -1;
    }
    *out = n;
    return 0;
}

int al__query_bool(const struct al__request *req, struct al__reply *rep, const char *key, bool def,
                   bool *out) {
    const char *v = al__query(req, key);
    if (!v)
        *out = def;
    else if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else {
        al__reply_error(rep, "invalid_argument", key, "must be true or false");
        return -1;
    }
    return 0;
}

void al__list_reply(struct al__reply *rep, json_t *items, size_t total, int64_t limit,
                    int64_t offset) {
    al__reply_json(rep, 200,
                   json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)total,
                             "limit", (json_int_t)limit, "offset", (json_int_t)offset));
}

int al__paging(const struct al__request *req, struct al__reply *rep, int64_t *limit,
               int64_t *offset) {
    if (al__query_int(req, rep, "limit", 100, 1, 1000, limit) < 0 ||
        al__query_int(req, rep, "offset", 0, 0, INT32_MAX, offset) < 0)
        return -1;
    return 0;
}
