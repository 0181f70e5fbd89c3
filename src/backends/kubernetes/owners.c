/* owners.c - the owners pods are grouped by, read from the API server by a thread of their own:
 * an owner's controller (a ReplicaSet's Deployment, a Job's JobSet) and, for a top owner, the
 * gang minimum of its group (every replica of a PyTorchJob, ...). Read once per owner (by uid)
 * and kept; allotd's loop never waits on them: an owner not read yet is "pending", and the
 * pods waiting on it are read again once it is (the resolved callback). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/owners.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#define RETRY_MS 1000

struct known {
    char uid[64]; /* its key */
    bool top;     /* it has no controller (or one allot does not follow) */
    struct al__kube_owner controller;
    int32_t gang;
    struct al__kube_topology_constraint topology; /* a top's KAI topology annotations */
};

struct wanted {
    char ns[64];
    struct al__kube_owner owner;
    struct wanted *next;
};

struct al__kube_owners {
    struct al__kube_client *client;
    atomic_bool *stopping;
    void (*resolved)(void *arg);
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct al__strmap known;  /* uid -> struct known */
    struct al__strmap queued; /* uid -> struct wanted (also in the list) */
    struct wanted *head, *tail;
    pthread_t thread;
    bool started;
};

/* The REST path of an owner: "/apis/GROUP/VERSION/namespaces/NS/KINDs/NAME" (core: /api/v1).
 * Every kind allot follows has the plural of its lower-cased kind and an "s". */
static bool owner_path(const char *ns, const struct al__kube_owner *o, char *out, size_t size) {
    char plural[80];
    size_t n = 0;
    if (!o->api_version[0] || !o->kind[0] || !o->name[0])
        return false;
    for (const char *c = o->kind; *c && n + 2 < sizeof(plural); c++)
        plural[n++] = (char)tolower((unsigned char)*c);
    plural[n++] = 's';
    plural[n] = '\0';
    size_t w = strchr(o->api_version, '/')
                   ? (size_t)snprintf(out, size, "/apis/%s/namespaces/%s/%s/%s", o->api_version, ns,
                                      plural, o->name)
                   : (size_t)snprintf(out, size, "/api/%s/namespaces/%s/%s/%s", o->api_version, ns,
                                      plural, o->name);
    return w < size;
}

/* The controller reference of object o into c; false when it has none. */
static bool controller_of(json_t *o, struct al__kube_owner *c) {
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(json_object_get(o, "metadata"), "ownerReferences"), i, ref) {
        if (!json_is_true(json_object_get(ref, "controller")))
            continue;
        const char *v = json_string_value(json_object_get(ref, "apiVersion"));
        const char *kind = json_string_value(json_object_get(ref, "kind"));
        const char *name = json_string_value(json_object_get(ref, "name"));
        const char *uid = json_string_value(json_object_get(ref, "uid"));
        if (!v || !kind || !name || !uid)
            return false;
        snprintf(c->api_version, sizeof(c->api_version), "%s", v);
        snprintf(c->kind, sizeof(c->kind), "%s", kind);
        snprintf(c->name, sizeof(c->name), "%s", name);
        snprintf(c->uid, sizeof(c->uid), "%s", uid);
        return true;
    }
    return false;
}

/* Reads one owner; false when it should be tried again later (the server unreachable). */
static bool resolve(struct al__kube_owners *ow, struct wanted *wt, struct known *out) {
    char path[800], err[512];
    long status = 0;
    json_t *o = NULL;
    memset(out, 0, sizeof(*out));
    snprintf(out->uid, sizeof(out->uid), "%s", wt->owner.uid);
    out->top = true;
    out->gang = 1;
    if (!owner_path(wt->ns, &wt->owner, path, sizeof(path)))
        return true; /* nothing to read: a top of its own */
    if (al__kube_request(ow->client, "GET", path, NULL, NULL, &status, &o, err, sizeof(err)) < 0)
        return false;
    if (status == 200 && o) {
        /* A CronJob's Jobs are jobs of their own, as KAI's grouper has them. */
        if (controller_of(o, &out->controller) && strcmp(out->controller.kind, "CronJob") != 0)
            out->top = false;
        else {
            out->gang = al__kube_gang_size(wt->owner.kind, o);
            al__kube_topology_annotations(json_object_get(o, "metadata"), &out->topology);
        }
    } else if (status != 404 && status != 403) {
        fprintf(stderr, "allotd: kubernetes: reading %s: %ld %s\n", path, status,
                al__kube_status_message(o));
        json_decref(o);
        return status < 500 && status != 429; /* a refusal stays; the server's trouble passes */
    }
    json_decref(o); /* gone, or not ours to read: the pod's group stops at it */
    return true;
}

static void *run(void *arg) {
    struct al__kube_owners *ow = arg;
    pthread_mutex_lock(&ow->lock);
    while (!atomic_load(ow->stopping)) {
        struct wanted *wt = ow->head;
        if (!wt) {
            struct timespec until = al__kube_deadline(100);
            pthread_cond_timedwait(&ow->more, &ow->lock, &until);
            continue;
        }
        ow->head = wt->next;
        if (!ow->head)
            ow->tail = NULL;
        pthread_mutex_unlock(&ow->lock);
        struct known *k = al__xmalloc(sizeof(*k));
        bool done = resolve(ow, wt, k);
        pthread_mutex_lock(&ow->lock);
        if (!done) { /* again later, behind the others */
            free(k);
            wt->next = NULL;
            if (ow->tail)
                ow->tail->next = wt;
            else
                ow->head = wt;
            ow->tail = wt;
            pthread_mutex_unlock(&ow->lock);
            struct timespec pause = {0, RETRY_MS * 1000000L};
            nanosleep(&pause, NULL);
            pthread_mutex_lock(&ow->lock);
            continue;
        }
        al__strmap_remove(&ow->queued, wt->owner.uid);
        al__strmap_put(&ow->known, k->uid, k);
        free(wt);
        pthread_mutex_unlock(&ow->lock);
        ow->resolved(ow->arg);
        pthread_mutex_lock(&ow->lock);
    }
    pthread_mutex_unlock(&ow->lock);
    return NULL;
}

struct al__kube_owners *al__kube_owners_start(const struct al__kube_credentials *creds,
                                              atomic_bool *stopping, void (*resolved)(void *arg),
                                              void *arg, char *err, size_t size) {
    struct al__kube_owners *ow = al__xcalloc(1, sizeof(*ow));
    if (al__kube_client_open(creds, &ow->client, err, size) < 0) {
        free(ow);
        return NULL;
    }
    ow->stopping = stopping;
    ow->resolved = resolved;
    ow->arg = arg;
    pthread_mutex_init(&ow->lock, NULL);
    pthread_cond_init(&ow->more, NULL);
    al__strmap_init(&ow->known);
    al__strmap_init(&ow->queued);
    ow->started = pthread_create(&ow->thread, NULL, run, ow) == 0;
    return ow;
}

void al__kube_owners_stop(struct al__kube_owners *ow) {
    if (!ow)
        return;
    pthread_mutex_lock(&ow->lock);
    pthread_cond_broadcast(&ow->more);
    pthread_mutex_unlock(&ow->lock);
    if (ow->started)
        pthread_join(ow->thread, NULL);
    for (size_t i = 0; i < ow->known.capacity; i++)
        if (ow->known.keys[i])
            free(ow->known.values[i]);
    for (struct wanted *wt = ow->head, *next; wt; wt = next) {
        next = wt->next;
        free(wt);
    }
    al__strmap_release(&ow->known);
    al__strmap_release(&ow->queued);
    al__kube_client_close(ow->client);
    pthread_mutex_destroy(&ow->lock);
    pthread_cond_destroy(&ow->more);
    free(ow);
}

enum al__kube_owner_state al__kube_owners_get(struct al__kube_owners *ow, const char *ns,
                                              const struct al__kube_owner *of,
                                              struct al__kube_owner *controller, int32_t *gang) {
    enum al__kube_owner_state state;
    pthread_mutex_lock(&ow->lock);
    const struct known *k = al__strmap_get(&ow->known, of->uid);
    if (k) {
        state = k->top ? AL__OWNER_TOP : AL__OWNER_CONTROLLED;
        *controller = k->controller;
        *gang = k->gang;
    } else {
        state = AL__OWNER_PENDING;
        if (!al__strmap_get(&ow->queued, of->uid)) {
            struct wanted *wt = al__xcalloc(1, sizeof(*wt));
            snprintf(wt->ns, sizeof(wt->ns), "%s", ns);
            wt->owner = *of;
            if (ow->tail)
                ow->tail->next = wt;
            else
                ow->head = wt;
            ow->tail = wt;
            al__strmap_put(&ow->queued, wt->owner.uid, wt);
            pthread_cond_signal(&ow->more);
        }
    }
    pthread_mutex_unlock(&ow->lock);
    return state;
}

bool al__kube_owners_topology(struct al__kube_owners *ow, const char *uid,
                              struct al__kube_topology_constraint *out) {
    pthread_mutex_lock(&ow->lock);
    const struct known *k = al__strmap_get(&ow->known, uid);
    if (k)
        *out = k->topology;
    pthread_mutex_unlock(&ow->lock);
    return k != NULL;
}
