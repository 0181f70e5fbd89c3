/* webhook.c - a mutating admission webhook (HTTPS, admission.k8s.io/v1) that lets a pod asking
 * for a share of a GPU (KAI's gpu-fraction or gpu-memory annotation, for one of allot's
 * schedulers) learn what allot gives it and run under liballot-cuda.so with its limits, with its
 * manifest as its user wrote it: the API server sends each new pod here, and such a pod gets
 * what share_patch.c makes (its GPU information at /var/run/allot, the library from its node,
 * the variables that enforce its share). Other pods are let through unchanged. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/kube.h"
#include "backends/kubernetes/share_patch.h"
#include "util/xalloc.h"

#define BODY_MAX (4 * 1024 * 1024)

struct al__kube_webhook {
    struct MHD_Daemon *mhd;
    char *cert, *key; /* PEM text: MHD keeps pointers to them */
    char *library;    /* liballot-cuda.so's path on the nodes, NULL: pods run without it */
    const struct al__kube *k;
};

struct body {
    char *data;
    size_t len, cap;
    bool too_big;
};

static bool wants_share(const struct al__kube *k, json_t *pod) {
    json_t *notes = json_object_get(json_object_get(pod, "metadata"), "annotations");
    const char *scheduler =
        json_string_value(json_object_get(json_object_get(pod, "spec"), "schedulerName"));
    if (!scheduler || (strcmp(scheduler, k->scheduler) != 0 && strcmp(scheduler, "kai-scheduler")))
        return false;
    return json_object_get(notes, AL__KUBE_GPU_FRACTION) ||
           json_object_get(notes, AL__KUBE_GPU_MEMORY);
}

/* The AdmissionReview answer to `review` (NULL with why in err when it is not one). */
static json_t *review_answer(const struct al__kube_webhook *wh, json_t *review, char *err,
                             size_t size) {
    char why[300];
    json_t *request = json_object_get(review, "request");
    const char *uid = json_string_value(json_object_get(request, "uid"));
    json_t *pod = json_object_get(request, "object");
    if (!uid || !json_is_object(pod)) {
        snprintf(err, size, "not an AdmissionReview with request.uid and request.object");
        return NULL;
    }
    json_t *response = json_pack("{s:s, s:b}", "uid", uid, "allowed", true);
    json_t *patch = wants_share(wh->k, pod)
                        ? al__kube_share_patch(pod, wh->library, why, sizeof(why))
                        : json_array();
    if (!patch) { /* the pod is refused, saying why */
        json_object_set_new(response, "allowed", json_false());
        json_object_set_new(response, "status",
                            json_pack("{s:i, s:s}", "code", 400, "message", why));
    } else if (json_array_size(patch) == 0) {
        json_decref(patch); /* nothing to change: another pod, or one patched already */
    } else {
        char *text = json_dumps(patch, JSON_COMPACT);
        json_decref(patch);
        size_t len = strlen(text),
               b64 = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        char *encoded = al__xmalloc(b64);
        sodium_bin2base64(encoded, b64, (const unsigned char *)text, len,
                          sodium_base64_VARIANT_ORIGINAL);
        json_object_set_new(response, "patchType", json_string("JSONPatch"));
        json_object_set_new(response, "patch", json_string(encoded));
        free(encoded);
        free(text);
    }
    return json_pack("{s:s, s:s, s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
                     "AdmissionReview", "response", response);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *body) {
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state) {
    struct al__kube_webhook *wh = cls;
    struct body *b = *state;
    (void)version;
    if (!b) { /* the headers: the body comes next */
        *state = al__xcalloc(1, sizeof(struct body));
        return MHD_YES;
    }
    if (*size > 0) {
        if (b->len + *size > BODY_MAX) {
            b->too_big = true;
        } else {
            al__xgrow(&b->data, &b->cap, b->len + *size + 1, 1);
            memcpy(b->data + b->len, data, *size);
            b->len += *size;
        }
        *size = 0;
        return MHD_YES;
    }
    char err[256];
    if (strcmp(method, "POST") != 0 || strcmp(url, "/mutate-pods") != 0)
        return reply(c, 404, json_pack("{s:s}", "error", "POST /mutate-pods only"));
    if (b->too_big)
        return reply(c, 413, json_pack("{s:s}", "error", "body over 4 MiB"));
    json_t *review = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    json_t *answer = review ? review_answer(wh, review, err, sizeof(err)) : NULL;
    json_decref(review);
    if (!answer)
        return reply(c, 400, json_pack("{s:s}", "error", review ? err : "body: not JSON"));
    return reply(c, 200, answer);
}

static void request_done(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why) {
    (void)cls, (void)c, (void)why;
    struct body *b = *state;
    if (b)
        free(b->data);
    free(b);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        al__xgrow(&text, &cap, len + n + 1, 1);
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

struct al__kube_webhook *al__kube_webhook_start(const struct al__kube *k, const char *listen,
                                                const char *cert, const char *key,
                                                const char *library, char *err, size_t size) {
    const char *colon = strrchr(listen, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || port < 1 || port > 65535 || *end) {
        snprintf(err, size, "--webhook-listen: \"%s\": not HOST:PORT", listen);
        return NULL;
    }
    struct al__kube_webhook *wh = al__xcalloc(1, sizeof(*wh));
    wh->k = k;
    wh->library = library ? al__xstrdup(library) : NULL;
    wh->cert = read_file(cert);
    wh->key = read_file(key);
    if (!wh->cert || !wh->key) {
        snprintf(err, size, "--webhook-%s: %s: cannot be read", wh->cert ? "key" : "cert",
                 wh->cert ? key : cert);
        al__kube_webhook_stop(wh);
        return NULL;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char host[64];
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        snprintf(err, size, "--webhook-listen: \"%s\": not an IPv4 address", host);
        al__kube_webhook_stop(wh);
        return NULL;
    }
    wh->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle,
        wh, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_HTTPS_MEM_CERT, wh->cert,
        MHD_OPTION_HTTPS_MEM_KEY, wh->key, MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!wh->mhd) {
        snprintf(err, size, "--webhook-listen %s: cannot serve there (in use? a bad certificate?)",
                 listen);
        al__kube_webhook_stop(wh);
        return NULL;
    }
    return wh;
}

void al__kube_webhook_stop(struct al__kube_webhook *wh) {
    if (!wh)
        return;
    if (wh->mhd)
        MHD_stop_daemon(wh->mhd);
    free(wh->cert);
    free(wh->key);
    free(wh->library);
    free(wh);
}
