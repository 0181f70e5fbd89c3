/* http_auth.c - the bearer-token check of a request, made when its head has arrived (before a
 * 100 Continue is sent or a body read): one Authorization header, the scheme in any case, the
 * whole value (a NUL inside refuses it), then the token against auth's digests. */
#include <stdint.h>
#include <strings.h>

#include "daemon/http_auth.h"

/* The Authorization headers of a request: how many, the first one's key and value, and where
 * the header line after it starts. */
struct found {
    unsigned count;
    const char *key, *value;
    size_t len;
    uintptr_t next_line; /* 0 when it is the last header */
};

static enum MHD_Result find_authorization(void *cls, enum MHD_ValueKind kind, const char *key,
                                          size_t key_size, const char *value, size_t value_size) {
    struct found *f = cls;
    (void)kind;
    if (key_size == sizeof(MHD_HTTP_HEADER_AUTHORIZATION) - 1 &&
        strncasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION, key_size) == 0 && f->count++ == 0) {
        f->key = key;
        f->value = value;
        f->len = value_size;
    }
    return MHD_YES;
}

static enum MHD_Result find_next_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size) {
    struct found *f = cls;
    (void)kind, (void)key_size, (void)value, (void)value_size;
    if ((uintptr_t)key > (uintptr_t)f->key && (!f->next_line || (uintptr_t)key < f->next_line))
        f->next_line = (uintptr_t)key;
    return MHD_YES;
}

/*
 * Whether the Authorization line ended where its value did. libmicrohttpd 0.9.75 measures a
 * value with strlen(), so "Bearer <token>\0junk" reads as the bare token: what follows a NUL is
 * not shown. The head is still whole in its read buffer, where each line's CR LF became two
 * NULs: the value's end, two bytes, then the next line (the next header's name, or for the last
 * header the empty line ending the head, whose end the request's head size gives). Anything
 * more there was hidden by a NUL of the client's. This fails closed: a libmicrohttpd that kept
 * its buffer otherwise would refuse every token, and the API tests would say so at once (from
 * 0.9.76 it refuses such lines itself). A line ended by a bare LF is refused too.
 */
static bool line_ends_with_value(struct MHD_Connection *conn, const char *method, struct found *f) {
    uintptr_t end = (uintptr_t)f->value + f->len;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, find_next_line, f);
    if (!f->next_line) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
        if (!info)
            return false;
        f->next_line = (uintptr_t)method + info->header_size - 2;
    }
    return f->next_line == end + 2;
}

bool al__http_authorise(struct allotd *d, struct MHD_Connection *conn, const char *method,
                        struct al__reply *rep, struct al__token_entry *who) {
    struct found f = {0, NULL, NULL, 0, 0};
    const char *token;
    size_t len;

    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, find_authorization, &f);
    if (f.count > 1) {
        al__reply_error(rep, "invalid_argument", NULL, "a request has one Authorization header");
        return false;
    }
    if (!f.value || !line_ends_with_value(conn, method, &f) ||
        !al__auth_token_of(f.value, f.len, &token, &len)) {
        al__reply_error(rep, "unauthenticated", NULL, "missing or invalid bearer token");
        return false;
    }
    switch (al__auth_check(&d->auth, token, len, al__daemon_now(), who)) {
    case AL__AUTH_OK:
        return true;
    case AL__AUTH_BUSY:
        al__reply_error(rep, "unavailable", NULL, "tokens are being checked: try again");
        return false;
    default:
        al__reply_error(rep, "unauthenticated", NULL, "missing or invalid bearer token");
        return false;
    }
}
