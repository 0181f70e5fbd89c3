/* client.h - requests to a Kubernetes API server over libcurl, with its credentials (a bearer
 * token or a client certificate, the server checked against its CA): JSON in, JSON out, and
 * streams of JSON objects (watches). One client per thread: a client is not shared. */
#ifndef ALLOT_BACKENDS_KUBERNETES_CLIENT_H
#define ALLOT_BACKENDS_KUBERNETES_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "backends/kubernetes/kubeconfig.h"

struct al__kube_client;

/* al__kube_client_open - a client for the server and credentials in creds (copied). */
int al__kube_client_open(const struct al__kube_credentials *creds, struct al__kube_client **out,
                         char *err, size_t size);
void al__kube_client_close(struct al__kube_client *c);

/*
 * al__kube_request - METHOD path (the path and query, "/api/v1/nodes?limit=500") with body
 * (JSON text of content_type, or NULL): the HTTP status in *status and the answer in *answer
 * (NULL when it is not JSON; the caller decrefs it). 0 when the server answered, whatever the
 * status; -AL_EIO with err when it could not be reached or the answer was cut.
 */
int al__kube_request(struct al__kube_client *c, const char *method, const char *path,
                     const char *content_type, const char *body, long *status, json_t **answer,
                     char *err, size_t size);

/* al__kube_request_text - the same, the answer as it came (*text malloc'd, NUL-terminated;
 * NULL when empty): a pod's log. */
int al__kube_request_text(struct al__kube_client *c, const char *method, const char *path,
                          const char *content_type, const char *body, long *status, char **text,
                          size_t *len, char *err, size_t size);

/*
 * al__kube_stream - GET path as a stream of JSON objects, one per line (a watch): on_object is
 * called with each (borrowed) until it returns false, stopping (may be NULL; asked about once a
 * second) returns true, the server ends the stream, or nothing arrives for idle_s seconds. *status
 * is the HTTP status (an error answer's object, if any, is handed to on_object too). 0 when the
 * stream ended or was stopped; -AL_EIO with err on a transport error or an object that is not JSON.
 */
int al__kube_stream(struct al__kube_client *c, const char *path, long idle_s,
                    bool (*on_object)(void *arg, json_t *object), bool (*stopping)(void *arg),
                    void *arg, long *status, char *err, size_t size);

/* al__kube_status_message - the message of a Kubernetes Status answer, or "" (borrowed). */
const char *al__kube_status_message(json_t *answer);

#endif
