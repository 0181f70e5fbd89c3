/* client.c - allot's HTTP client for allotd's REST API (libcurl and jansson). */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "allot/errors.h"
#include "cli/client.h"
#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/sign_in.h"
#include "cli/tls_client.h"
#include "cli/util.h"
#include "util/xalloc.h"

#define CONNECT_TIMEOUT_S 10
#define REQUEST_TIMEOUT_S 120
#define PAGE_LIMIT        1000

/* One HTTP exchange: the handle, what goes out and what comes back. */
struct transfer {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    char *payload;
    char *data; /* the buffered answer (all of it, or only an error when streaming) */
    size_t len;
    size_t cap;
    FILE *stream; /* when streaming: where a 2xx body goes as it arrives */
    bool stream_failed;
    int64_t streamed;  /* bytes of a 2xx body written to stream */
    int64_t log_start; /* X-Allot-Log-Start of the answer, -1 = none */
    long status_seen;  /* the answer's status, kept when the transfer then broke off */
    char auth[1100];
    char errbuf[CURL_ERROR_SIZE];
    struct al__cli_pin pin; /* allotd's certificate, when one is pinned */
};

static void buffer_append(struct transfer *t, const char *p, size_t n) {
    al__xgrow(&t->data, &t->cap, t->len + n + 1, 1);
    memcpy(t->data + t->len, p, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    long status = 0;

    if (t->stream) {
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
            if (fwrite(ptr, 1, n, t->stream) != n || fflush(t->stream) != 0) {
                t->stream_failed = true;
                return 0;
            }
            t->streamed += (int64_t)n;
            return n;
        }
    }
    buffer_append(t, ptr, n);
    return n;
}

/* Notes the header X-Allot-Log-Start: where in a task's output the answer starts. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata) {
    static const char name[] = "x-allot-log-start:";
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    if (n > sizeof(name) - 1 && n < 64 && strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
        char value[64];
        memcpy(value, ptr + sizeof(name) - 1, n - (sizeof(name) - 1));
        value[n - (sizeof(name) - 1)] = '\0';
        long long v = strtoll(value, NULL, 10);
        t->log_start = v >= 0 ? v : -1;
    }
    return n;
}

/* The server's base URL without trailing slashes, then path. */
static char *make_url(const char *server, const char *path) {
    size_t len = strlen(server);
    size_t size;
    char *url;

    while (len > 0 && server[len - 1] == '/')
        len--;
    size = len + strlen(path) + 1;
    url = al__xmalloc(size);
    snprintf(url, size, "%.*s%s", (int)len, server, path);
    return url;
}

static void set_headers(struct transfer *t, const struct al__cli *cli, bool has_body) {
    struct curl_slist *h = NULL;

    h = curl_slist_append(h, "Accept: application/json");
    if (h && has_body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (h && cli->conn.token) {
        snprintf(t->auth, sizeof(t->auth), "Authorization: Bearer %s", al__cli_token_now(cli));
        h = curl_slist_append(h, t->auth);
    }
    t->headers = al__cli_check(h);
}

static void transfer_init(struct transfer *t, const struct al__cli *cli, const char *method,
                          const char *path, const json_t *body) {
    memset(t, 0, sizeof(*t));
    t->curl = al__cli_check(curl_easy_init());
    t->url = make_url(cli->conn.server, path);
    set_headers(t, cli, body != NULL);
    curl_easy_setopt(t->curl, CURLOPT_URL, t->url);
    curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(t->curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(t->curl, CURLOPT_USERAGENT, "allot/" AL__VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    al__cli_tls_setup(t->curl, cli, &t->pin);
    if (body) {
        t->payload = al__cli_check(json_dumps(body, JSON_COMPACT));
        curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, t->payload);
        curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(t->payload));
    }
}

static void transfer_release(struct transfer *t) {
    curl_easy_cleanup(t->curl);
    curl_slist_free_all(t->headers);
    free(t->url);
    free(t->payload);
    free(t->data);
}

/* reply->message for an answer outside 2xx: the API error, its field, a hint for 401. */
static void error_message(const struct al__cli *cli, struct al__cli_reply *reply) {
    const json_t *err = json_object_get(reply->body, "error");
    const char *message = al__cli_json_str(err, "message", NULL);
    const char *code = al__cli_json_str(err, "code", NULL);
    const char *field = al__cli_json_str(err, "field", NULL);
    char *m = reply->message;
    size_t size = sizeof(reply->message);

    if (message && message[0])
        snprintf(m, size, "%s", message);
    else if (code)
        snprintf(m, size, "%s", code);
    else
        snprintf(m, size, "allotd at %s answered HTTP %ld", cli->conn.server, reply->status);
    const char *option = field ? al__cli_field_option(cli->command, field) : NULL;
    if (option)
        al__cli_appendf(m, size, " (%s)", option);
    else if (field)
        al__cli_appendf(m, size, " (field %s)", field);
    if (reply->status == 401 && cli->conn.token)
        al__cli_appendf(m, size,
                        " (the token from %s was refused; pass another with --token or "
                        "ALLOT_TOKEN)",
                        cli->conn.token_from);
    else if (reply->status == 401 && cli->conn.state_dir)
        al__cli_appendf(m, size,
                        " (no token: %s/admin.token was not found; pass --token, set "
                        "ALLOT_TOKEN, or run `allot login`)",
                        cli->conn.state_dir);
    else if (reply->status == 401)
        al__cli_appendf(m, size,
                        " (no token: run `allot login`, pass --token or set "
                        "ALLOT_TOKEN, or point --state-dir at a local allotd's state "
                        "directory)");
}

void al__cli_reply_explain(const struct al__cli *cli, struct al__cli_reply *reply) {
    error_message(cli, reply);
}

/* Runs the transfer and fills the reply; see al__cli_request. */
static int transfer_run(struct transfer *t, const struct al__cli *cli,
                        struct al__cli_reply *reply) {
    CURLcode rc = curl_easy_perform(t->curl);

    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &reply->status);
    t->status_seen = reply->status;
    if (t->data)
        reply->body = json_loadb(t->data, t->len, 0, NULL);
    if (rc != CURLE_OK && !t->stream_failed &&
        al__cli_tls_explain(cli, rc, t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc), &t->pin,
                            reply->message, sizeof(reply->message))) {
        reply->status = 0; /* never sent: unreachable, as far as this command goes */
        return -AL_EIO;
    }
    if (rc != CURLE_OK && !t->stream_failed) {
        snprintf(reply->message, sizeof(reply->message),
                 "%s allotd at %s: %s (is allotd running? set its address with --server or "
                 "ALLOT_SERVER)",
                 reply->status ? "lost the connection to" : "cannot reach", cli->conn.server,
                 t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        reply->status = 0;
        return -AL_EIO;
    }
    if (t->stream_failed) {
        snprintf(reply->message, sizeof(reply->message), "cannot write to standard output");
        reply->status = 0;
        return -AL_EIO;
    }
    if (reply->status < 200 || reply->status >= 300)
        error_message(cli, reply);
    else if (!reply->body && t->len > 0)
        snprintf(reply->message, sizeof(reply->message),
                 "allotd at %s answered with something that is not JSON", cli->conn.server);
    return 0;
}

int al__cli_request(const struct al__cli *cli, const char *method, const char *path,
                    const json_t *body, struct al__cli_reply *reply) {
    struct transfer t;
    int rc;

    memset(reply, 0, sizeof(*reply));
    transfer_init(&t, cli, method, path, body);
    curl_easy_setopt(t.curl, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
    rc = transfer_run(&t, cli, reply);
    transfer_release(&t);
    /* an expired access token with a refresh token beside it: renewed, and asked again once */
    if (rc == 0 && reply->status == 401 && cli->conn.token && al__cli_refresh(cli)) {
        al__cli_reply_release(reply);
        memset(reply, 0, sizeof(*reply));
        transfer_init(&t, cli, method, path, body);
        curl_easy_setopt(t.curl, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
        rc = transfer_run(&t, cli, reply);
        transfer_release(&t);
    }
    return rc;
}

struct al__cli_follow {
    struct transfer t;
};

struct al__cli_follow *
al__cli_follow_new(const struct al__cli *cli, const char *path,
                   size_t (*write)(char *data, size_t size, size_t n, void *ctx), void *ctx) {
    struct al__cli_follow *f = al__xmalloc(sizeof(*f));
    transfer_init(&f->t, cli, "GET", path, NULL);
    curl_easy_setopt(f->t.curl, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(f->t.curl, CURLOPT_WRITEDATA, ctx);
    return f;
}

void *al__cli_follow_curl(struct al__cli_follow *f) {
    return f->t.curl;
}

void al__cli_follow_free(struct al__cli_follow *f) {
    if (!f)
        return;
    transfer_release(&f->t);
    free(f);
}

void al__cli_reply_release(struct al__cli_reply *reply) {
    json_decref(reply->body);
    reply->body = NULL;
}

int al__cli_path(const struct al__cli *cli, char *buf, size_t size, const char *collection,
                 const char *name, const char *suffix) {
    char escaped[512];

    if (!al__cli_url_escape(name, escaped, sizeof(escaped)) ||
        (size_t)snprintf(buf, size, "/api/v1/%s/%s%s", collection, escaped, suffix) >= size)
        return al__cli_usage_error(cli, "the name '%.40s...' is too long", name);
    return 0;
}

int al__cli_call_name(const struct al__cli *cli, const char *method, const char *collection,
                      const char *name, json_t **out) {
    char path[1024];

    if (al__cli_path(cli, path, sizeof(path), collection, name, "") < 0)
        return AL__EXIT_USAGE;
    if (al__cli_call(cli, method, path, NULL, out) < 0)
        return al__cli_failed();
    return AL__EXIT_OK;
}

static int failed_status = AL__EXIT_FAIL;

int al__cli_failed(void) {
    return failed_status;
}

/* The exit status for an answer's HTTP status (0: no answer came). */
static int status_exit(long status) {
    if (status == 0 || status >= 500)
        return AL__EXIT_UNAVAILABLE;
    if (status == 400 || status == 413 || status == 422)
        return AL__EXIT_USAGE;
    if (status == 404)
        return AL__EXIT_NOT_FOUND;
    if (status == 409 || status == 412)
        return AL__EXIT_CONFLICT;
    if (status == 401 || status == 403)
        return AL__EXIT_DENIED;
    return AL__EXIT_FAIL;
}

void al__cli_report(const struct al__cli *cli, const struct al__cli_reply *reply) {
    const json_t *err = json_object_get(reply->body, "error");

    failed_status = status_exit(reply->status);
    if (reply->status >= 200 && reply->status < 300)
        failed_status = AL__EXIT_FAIL; /* an answer that is not what was asked for */
    if (AL__CLI_STRUCTURED(cli))
        al__cli_error_document(
            cli, al__cli_json_str(err, "code", reply->status ? "bad_answer" : "unavailable"),
            al__cli_json_str(err, "field", NULL), reply->message);
    else
        fprintf(stderr, "allot: %s\n", reply->message);
}

int al__cli_call(const struct al__cli *cli, const char *method, const char *path,
                 const json_t *body, json_t **out) {
    struct al__cli_reply reply;

    if (al__cli_request(cli, method, path, body, &reply) < 0 || reply.message[0]) {
        al__cli_report(cli, &reply);
        al__cli_reply_release(&reply);
        return -AL_EIO;
    }
    *out = reply.body;
    return 0;
}

int al__cli_list_all(const struct al__cli *cli, const char *path, const char *query,
                     json_t **items) {
    json_t *all = al__cli_json_take(json_array());
    size_t offset = 0;
    char page_path[2048];

    for (;;) {
        json_t *page = NULL, *got;
        int64_t total;
        size_t count;
        snprintf(page_path, sizeof(page_path), "%s?%s%slimit=%d&offset=%zu", path, query,
                 query[0] ? "&" : "", PAGE_LIMIT, offset);
        if (al__cli_call(cli, "GET", page_path, NULL, &page) < 0) {
            json_decref(all);
            return -AL_EIO;
        }
        got = json_object_get(page, "items");
        if (!json_is_array(got)) {
            fprintf(stderr, "allot: allotd's answer to GET %s has no items array\n", path);
            json_decref(page);
            json_decref(all);
            return -AL_EIO;
        }
        if (json_array_extend(all, got) < 0)
            al__cli_check(NULL);
        count = json_array_size(got);
        offset += count;
        total = al__cli_json_int(page, "total", -1);
        json_decref(page);
        if (count == 0 || total < 0 || offset >= (size_t)total)
            break;
    }
    *items = all;
    return 0;
}

int al__cli_stream(const struct al__cli *cli, const char *path, FILE *out, int64_t *streamed,
                   int64_t *log_start, bool quiet_break) {
    struct transfer t;
    struct al__cli_reply reply;
    int rc;

    memset(&reply, 0, sizeof(reply));
    transfer_init(&t, cli, "GET", path, NULL);
    t.stream = out;
    t.streamed = 0;
    t.status_seen = 0;
    t.log_start = -1;
    curl_easy_setopt(t.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(t.curl, CURLOPT_HEADERDATA, &t);
    /* a 2xx body goes to `out` and is never buffered, so only an error leaves a message */
    rc = transfer_run(&t, cli, &reply);
    transfer_release(&t);
    if (streamed)
        *streamed = t.streamed;
    if (log_start)
        *log_start = t.log_start;
    bool broke_off = rc < 0 && !t.stream_failed && t.status_seen >= 200 && t.status_seen < 300;
    if (rc < 0 || reply.message[0]) {
        if (!(quiet_break && broke_off))
            al__cli_report(cli, &reply);
        al__cli_reply_release(&reply);
        return broke_off ? AL__CLI_BROKE_OFF : -AL_EIO;
    }
    al__cli_reply_release(&reply);
    return 0;
}
