/* fetch.c - HTTP requests to the issuer with libcurl: one easy handle per request (threads share
 * nothing), a deadline, a size cap, no redirects, http and https only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "allot/errors.h"
#include "daemon/oidc/fetch.h"
#include "daemon/oidc/jose.h"

struct sink {
    char *data;
    size_t len;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user) {
    struct sink *s = user;
    size_t n = size * nmemb;
    if (s->len + n > AL__JOSE_DOC_MAX) {
        s->too_big = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    char *grown = realloc(s->data, s->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + s->len, ptr, n);
    s->data = grown;
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

static void set_options(CURL *h, const struct al__oidc_request *req, struct sink *sink,
                        struct curl_slist *headers) {
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)req->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)req->timeout_s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "allotd-oidc");
    if (req->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
    if (req->form)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->form);
    if (req->basic_user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, req->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, req->basic_password);
    }
}

int al__oidc_fetch(const struct al__oidc_request *req, const char *what, long *status, char **body,
                   size_t *len, char *err, size_t errlen) {
    CURL *h = curl_easy_init();
    struct sink sink = {0};
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
    int rc = -AL_ENOMEM;
    if (!h || !headers) {
        snprintf(err, errlen, "out of memory before fetching the issuer's %s", what);
        goto done;
    }
    set_options(h, req, &sink, headers);
    CURLcode res = curl_easy_perform(h);
    if (res != CURLE_OK) {
        if (sink.too_big)
            snprintf(err, errlen, "the issuer's %s is larger than %d bytes", what,
                     AL__JOSE_DOC_MAX);
        else
            snprintf(err, errlen, "cannot fetch the issuer's %s: %s", what,
                     curl_easy_strerror(res));
        rc = -AL_EIO;
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (!sink.data && !(sink.data = calloc(1, 1)))
        goto done;
    *body = sink.data;
    *len = sink.len;
    sink.data = NULL;
    rc = 0;
done:
    free(sink.data);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return rc;
}
