/* client.c - requests and watch streams to a Kubernetes API server over libcurl (see
 * client.h). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/client.h"
#include "util/xalloc.h"

#define ANSWER_MAX ((size_t)256 << 20) /* a list page is far smaller (they are paged) */

struct al__kube_client {
    CURL *curl;
    char *server;
    struct curl_slist *headers; /* Authorization and Accept */
    char *ca_pem, *cert_pem, *key_pem;
};

static char *dup_or_null(const char *s) {
    return s ? al__xstrdup(s) : NULL;
}

static void set_blob(CURL *curl, CURLoption option, const char *pem) {
    struct curl_blob blob = {(void *)pem, strlen(pem), CURL_BLOB_COPY};
    curl_easy_setopt(curl, option, &blob);
}

int al__kube_client_open(const struct al__kube_credentials *creds, struct al__kube_client **out,
                         char *err, size_t size) {
    static bool curl_ready;
    if (!curl_ready) { /* allotd opens its backend before it starts threads */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = true;
    }
    struct al__kube_client *c = al__xcalloc(1, sizeof(*c));
    if (!(c->curl = curl_easy_init())) {
        free(c);
        snprintf(err, size, "kubernetes: cannot create a connection (libcurl)");
        return -AL_ENOMEM;
    }
    c->server = al__xstrdup(creds->server);
    c->headers = curl_slist_append(NULL, "Accept: application/json");
    if (creds->token) {
        size_t n = strlen(creds->token) + 32;
        char *h = al__xcalloc(n, 1);
        snprintf(h, n, "Authorization: Bearer %s", creds->token);
        c->headers = curl_slist_append(c->headers, h);
        free(h);
    }
    CURL *curl = c->curl;
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
    if (creds->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, creds->ca_file);
    if (creds->ca_pem)
        set_blob(curl, CURLOPT_CAINFO_BLOB, creds->ca_pem);
    if (creds->insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (creds->cert_file)
        curl_easy_setopt(curl, CURLOPT_SSLCERT, creds->cert_file);
    if (creds->key_file)
        curl_easy_setopt(curl, CURLOPT_SSLKEY, creds->key_file);
    if (creds->cert_pem) {
        set_blob(curl, CURLOPT_SSLCERT_BLOB, creds->cert_pem);
        curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (creds->key_pem) {
        set_blob(curl, CURLOPT_SSLKEY_BLOB, creds->key_pem);
        curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    }
    c->ca_pem = dup_or_null(creds->ca_pem);
    c->cert_pem = dup_or_null(creds->cert_pem);
    c->key_pem = dup_or_null(creds->key_pem);
    *out = c;
    return 0;
}

void al__kube_client_close(struct al__kube_client *c) {
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    free(c->server);
    free(c->ca_pem);
    free(c->cert_pem);
    free(c->key_pem);
    free(c);
}

struct buffer {
    char *data;
    size_t len, cap;
    bool too_big;
};

static size_t collect(char *data, size_t one, size_t n, void *arg) {
    struct buffer *b = arg;
    size_t len = one * n;
    if (b->len + len > ANSWER_MAX) {
        b->too_big = true;
        return 0;
    }
    al__xgrow(&b->data, &b->cap, b->len + len + 1, 1);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

/* The connection set for METHOD path; the caller sets the rest and performs it. */
static struct curl_slist *prepare(struct al__kube_client *c, const char *method, const char *path,
                                  const char *content_type) {
    CURL *curl = c->curl;
    size_t n = strlen(c->server) + strlen(path) + 1;
    char *url = al__xcalloc(n, 1);
    snprintf(url, n, "%s%s", c->server, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *headers = NULL;
    for (struct curl_slist *h = c->headers; h; h = h->next)
        headers = curl_slist_append(headers, h->data);
    if (content_type) {
        char h[128];
        snprintf(h, sizeof(h), "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, h);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    return headers;
}

static int transport_error(struct al__kube_client *c, const char *method, const char *path,
                           CURLcode rc, const char *extra, char *err, size_t size) {
    snprintf(err, size, "kubernetes: %s %s%s: %s", method, c->server, path,
             extra ? extra : curl_easy_strerror(rc));
    return -AL_EIO;
}

int al__kube_request_text(struct al__kube_client *c, const char *method, const char *path,
                          const char *content_type, const char *body, long *status, char **text,
                          size_t *len, char *err, size_t size) {
    struct buffer b = {0};
    struct curl_slist *headers = prepare(c, method, path, body ? content_type : NULL);
    CURL *curl = c->curl;
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 0L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, body ? (long)strlen(body) : 0L);
    if (!body && strcmp(method, "GET") == 0)
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    if (rc != CURLE_OK) {
        free(b.data);
        return transport_error(c, method, path, rc, b.too_big ? "answer over 256 MiB" : NULL, err,
                               size);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    *text = b.data; /* NULL when empty */
    *len = b.len;
    return 0;
}

int al__kube_request(struct al__kube_client *c, const char *method, const char *path,
                     const char *content_type, const char *body, long *status, json_t **answer,
                     char *err, size_t size) {
    char *text;
    size_t len;
    int rc =
        al__kube_request_text(c, method, path, content_type, body, status, &text, &len, err, size);
    if (rc < 0)
        return rc;
    *answer = len ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    return 0;
}

struct stream {
    struct buffer line; /* the object being received */
    bool (*on_object)(void *arg, json_t *object);
    bool (*stopping)(void *arg);
    void *arg;
    bool stopped, bad;
};

/* libcurl asks about once a second, and at every chunk: non-zero ends the transfer. */
static int progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    struct stream *s = arg;
    (void)a, (void)b, (void)c, (void)d;
    if (s->stopping && s->stopping(s->arg)) {
        s->stopped = true;
        return 1;
    }
    return 0;
}

/* Hands each complete line to on_object. */
static size_t split(char *data, size_t one, size_t n, void *arg) {
    struct stream *s = arg;
    size_t len = one * n;
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n') {
            if (collect(data + i, 1, 1, &s->line) == 0)
                return 0;
            continue;
        }
        if (s->line.len == 0)
            continue;
        json_t *o = json_loadb(s->line.data, s->line.len, 0, NULL);
        s->line.len = 0;
        if (!o) {
            s->bad = true;
            return 0;
        }
        bool go_on = s->on_object(s->arg, o);
        json_decref(o);
        if (!go_on) {
            s->stopped = true;
            return 0;
        }
    }
    return len;
}

int al__kube_stream(struct al__kube_client *c, const char *path, long idle_s,
                    bool (*on_object)(void *arg, json_t *object), bool (*stopping)(void *arg),
                    void *arg, long *status, char *err, size_t size) {
    struct stream s = {.on_object = on_object, .stopping = stopping, .arg = arg};
    struct curl_slist *headers = prepare(c, "GET", path, NULL);
    CURL *curl = c->curl;
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 0L); /* a watch lasts */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, idle_s);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, split);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &s);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
    curl_slist_free_all(headers);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 0L);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    if (s.line.len > 0 && rc == CURLE_OK) { /* the last object, without its newline */
        json_t *o = json_loadb(s.line.data, s.line.len, 0, NULL);
        if (o)
            on_object(arg, o);
        s.bad = !o;
        json_decref(o);
    }
    free(s.line.data);
    if (s.stopped)
        return 0;
    if (s.bad)
        return transport_error(c, "GET", path, rc, "a watch event that is not JSON", err, size);
    if (rc != CURLE_OK)
        return transport_error(c, "GET", path, rc, NULL, err, size);
    return 0;
}

const char *al__kube_status_message(json_t *answer) {
    const char *m = json_string_value(json_object_get(answer, "message"));
    return m ? m : "";
}
