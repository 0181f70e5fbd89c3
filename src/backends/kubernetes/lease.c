/* lease.c - leader election on a coordination.k8s.io/v1 Lease (see lease.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allot/errors.h"
#include "backends/kubernetes/lease.h"

static int64_t monotonic_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Now as a Kubernetes MicroTime: "2026-11-30T14:03:00.123456Z". */
static void micro_time(char *out, size_t size) {
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%.19s.%06dZ", base, (int)(t.tv_nsec / 1000) % 1000000);
}

void al__kube_lease_init(struct al__kube_lease *l, const char *ns, const char *name,
                         const char *identity, int32_t duration_s) {
    memset(l, 0, sizeof(*l));
    snprintf(l->namespace_, sizeof(l->namespace_), "%s", ns);
    snprintf(l->name, sizeof(l->name), "%s", name);
    snprintf(l->identity, sizeof(l->identity), "%s", identity);
    l->duration_s = duration_s > 0 ? duration_s : 15;
    l->renewed_ms = -1;
}

bool al__kube_lease_held(const struct al__kube_lease *l) {
    return l->renewed_ms >= 0 && monotonic_ms() - l->renewed_ms < l->duration_s * 1000 * 2 / 3;
}

static const char *spec_text(json_t *lease, const char *key) {
    const char *v = json_string_value(json_object_get(json_object_get(lease, "spec"), key));
    return v ? v : "";
}

/* The lease's spec as this replica holds it. */
static json_t *held_spec(const struct al__kube_lease *l, const char *acquired,
                         int64_t transitions) {
    char now[40];
    micro_time(now, sizeof(now));
    return json_pack("{s:s, s:i, s:s, s:s, s:I}", "holderIdentity", l->identity,
                     "leaseDurationSeconds", (int)l->duration_s, "acquireTime",
                     acquired[0] ? acquired : now, "renewTime", now, "leaseTransitions",
                     (json_int_t)transitions);
}

/* Sends lease (POST to create, else PUT); true when the server took it. */
static int write_lease(struct al__kube_client *c, struct al__kube_lease *l, json_t *lease,
                       bool create, bool *taken, char *err, size_t size) {
    char path[512];
    long status = 0;
    json_t *answer = NULL;
    snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases%s%s",
             l->namespace_, create ? "" : "/", create ? "" : l->name);
    char *body = json_dumps(lease, JSON_COMPACT);
    int rc = al__kube_request(c, create ? "POST" : "PUT", path, "application/json", body, &status,
                              &answer, err, size);
    free(body);
    *taken = rc == 0 && (status == 200 || status == 201);
    if (rc == 0 && !*taken && status != 409) { /* 409: another replica won the race */
        snprintf(err, size, "lease %s/%s: HTTP %ld: %s", l->namespace_, l->name, status,
                 al__kube_status_message(answer));
        rc = -AL_EIO;
    }
    json_decref(answer);
    return rc;
}

int al__kube_lease_try(struct al__kube_client *c, struct al__kube_lease *l, bool *leader, char *err,
                       size_t size) {
    char path[512], record[600];
    long status = 0;
    json_t *lease = NULL;
    bool taken = false;
    int rc;
    *leader = false;
    snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
             l->namespace_, l->name);
    if ((rc = al__kube_request(c, "GET", path, NULL, NULL, &status, &lease, err, size)) < 0)
        return rc;
    if (status == 404) { /* nobody has taken it yet */
        json_decref(lease);
        lease = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "coordination.k8s.io/v1",
                          "kind", "Lease", "metadata", "name", l->name, "namespace", l->namespace_,
                          "spec", held_spec(l, "", 0));
        rc = write_lease(c, l, lease, true, &taken, err, size);
    } else if (status != 200 || !json_is_object(lease)) {
        snprintf(err, size, "lease %s/%s: HTTP %ld: %s", l->namespace_, l->name, status,
                 al__kube_status_message(lease));
        rc = -AL_EIO;
    } else {
        const char *holder = spec_text(lease, "holderIdentity");
        snprintf(record, sizeof(record), "%s@%s", holder, spec_text(lease, "renewTime"));
        int64_t now = monotonic_ms();
        if (strcmp(record, l->record) != 0) { /* it changed: its holder is alive (or new) */
            snprintf(l->record, sizeof(l->record), "%s", record);
            snprintf(l->holder, sizeof(l->holder), "%s", holder);
            l->record_seen_ms = now;
        }
        bool mine = strcmp(holder, l->identity) == 0;
        bool expired = !holder[0] || now - l->record_seen_ms >= (int64_t)l->duration_s * 1000;
        if (mine || expired) {
            json_int_t transitions = json_integer_value(
                json_object_get(json_object_get(lease, "spec"), "leaseTransitions"));
            json_object_set_new(lease, "spec",
                                held_spec(l, mine ? spec_text(lease, "acquireTime") : "",
                                          transitions + (mine ? 0 : 1)));
            rc = write_lease(c, l, lease, false, &taken, err, size); /* with its resourceVersion */
        }
    }
    json_decref(lease);
    if (taken) {
        l->renewed_ms = monotonic_ms();
        snprintf(l->holder, sizeof(l->holder), "%s", l->identity);
        l->record[0] = '\0';
    } else {
        l->renewed_ms = -1;
    }
    *leader = taken;
    return rc;
}

int al__kube_lease_release(struct al__kube_client *c, struct al__kube_lease *l, char *err,
                           size_t size) {
    char path[512];
    long status = 0;
    json_t *lease = NULL;
    bool taken;
    if (l->renewed_ms < 0)
        return 0;
    l->renewed_ms = -1;
    snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
             l->namespace_, l->name);
    int rc = al__kube_request(c, "GET", path, NULL, NULL, &status, &lease, err, size);
    if (rc == 0 && status == 200 && strcmp(spec_text(lease, "holderIdentity"), l->identity) == 0) {
        json_object_set_new(json_object_get(lease, "spec"), "holderIdentity", json_string(""));
        rc = write_lease(c, l, lease, false, &taken, err, size);
    }
    json_decref(lease);
    return rc;
}
