/* writer.c - requests the Kubernetes backend makes off allotd's loop (evictions, pod
 * conditions, events): queued under allotd's locks without waiting, sent by threads with a
 * client each (one thread: in order). A 429 (a disruption budget refused an eviction, or the server
 * is busy) is sent again a second later; other failures are logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/kube.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#define RETRY_MS 1000
#define RETRIES  300 /* five minutes of a refusing disruption budget */

struct item {
    char method[8];
    char *path, *content_type, *body, *what;
    char *latest; /* its key among writes of which only the latest counts, or NULL */
    int64_t not_before_ms;
    int tries;
    struct item *next;
};

struct sender {
    struct al__kube_writer *w;
    struct al__kube_client *client;
    pthread_t thread;
    bool started;
};

struct al__kube_writer {
    atomic_bool *stopping;
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct item *head, *tail;
    struct al__strmap latest; /* queued items with a `latest` key, by it */
    struct sender *senders;
    size_t sender_count;
};

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void item_free(struct item *it) {
    free(it->path);
    free(it->content_type);
    free(it->body);
    free(it->what);
    free(it->latest);
    free(it);
}

static void push(struct al__kube_writer *w, struct item *it) {
    pthread_mutex_lock(&w->lock);
    it->next = NULL;
    if (w->tail)
        w->tail->next = it;
    else
        w->head = it;
    w->tail = it;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->lock);
}

/* Sends it; true when it is done with (sent, or failed for good). */
static bool send_one(struct sender *s, struct item *it) {
    long status = 0;
    json_t *answer = NULL;
    char err[512];
    int rc = al__kube_request(s->client, it->method, it->path, it->content_type, it->body, &status,
                              &answer, err, sizeof(err));
    bool busy = rc == 0 && status == 429;
    if (rc < 0 || busy) {
        if (++it->tries < RETRIES)
            return false;
        fprintf(stderr, "allotd: kubernetes: %s: gave up: %s\n", it->what,
                rc < 0 ? err : al__kube_status_message(answer));
    } else if (status >= 300 && status != 404 && status != 409) {
        fprintf(stderr, "allotd: kubernetes: %s: %ld %s\n", it->what, status,
                al__kube_status_message(answer));
    }
    json_decref(answer);
    return true;
}

static void *run(void *arg) {
    struct sender *s = arg;
    struct al__kube_writer *w = s->w;
    pthread_mutex_lock(&w->lock);
    while (!atomic_load(w->stopping)) {
        struct item *it = w->head;
        if (!it || it->not_before_ms > now_ms()) {
            /* look at stopping and retries ten times a second */
            struct timespec until = al__kube_deadline(100);
            pthread_cond_timedwait(&w->more, &w->lock, &until);
            continue;
        }
        w->head = it->next;
        if (!w->head)
            w->tail = NULL;
        if (it->latest && al__strmap_get(&w->latest, it->latest) == it)
            al__strmap_remove(&w->latest, it->latest); /* a later one is queued anew */
        pthread_mutex_unlock(&w->lock);
        bool done = send_one(s, it);
        pthread_mutex_lock(&w->lock);
        if (!done && it->latest && al__strmap_get(&w->latest, it->latest))
            done = true; /* a later write of the same key is queued: it says it all */
        else if (!done && it->latest)
            al__strmap_put(&w->latest, it->latest, it);
        pthread_mutex_unlock(&w->lock);
        if (done) {
            item_free(it);
        } else {
            it->not_before_ms = now_ms() + RETRY_MS;
            push(w, it);
        }
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct al__kube_writer *al__kube_writer_start(const struct al__kube_credentials *creds,
                                              atomic_bool *stopping, size_t threads, char *err,
                                              size_t size) {
    struct al__kube_writer *w = al__xcalloc(1, sizeof(*w));
    w->stopping = stopping;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->more, NULL);
    al__strmap_init(&w->latest);
    w->senders = al__xcalloc(threads, sizeof(*w->senders));
    for (; w->sender_count < threads; w->sender_count++) {
        struct sender *s = &w->senders[w->sender_count];
        s->w = w;
        if (al__kube_client_open(creds, &s->client, err, size) < 0) {
            al__kube_writer_stop(w);
            return NULL;
        }
        s->started = pthread_create(&s->thread, NULL, run, s) == 0;
    }
    return w;
}

void al__kube_writer_stop(struct al__kube_writer *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    pthread_cond_broadcast(&w->more);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < w->sender_count;
         i++) { /* *stopping is set: each ends after its request */
        if (w->senders[i].started)
            pthread_join(w->senders[i].thread, NULL);
        al__kube_client_close(w->senders[i].client);
    }
    for (struct item *it = w->head, *next; it; it = next) {
        next = it->next;
        item_free(it);
    }
    free(w->senders);
    al__strmap_release(&w->latest);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->more);
    free(w);
}

/* Queues it; with `latest`, instead replaces the body of a queued write of the same key. */
static void write_queue(struct al__kube_writer *w, const char *latest, const char *method,
                        const char *path, const char *content_type, json_t *body,
                        const char *what) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) { /* a body that could not be made (text that is not UTF-8): nothing to send */
        fprintf(stderr, "allotd: kubernetes: %s: not sent: its request could not be made\n", what);
        return;
    }
    if (latest) {
        pthread_mutex_lock(&w->lock);
        struct item *queued = al__strmap_get(&w->latest, latest);
        if (queued) { /* not sent yet: this one says it all */
            free(queued->body);
            queued->body = text;
            pthread_mutex_unlock(&w->lock);
            return;
        }
        pthread_mutex_unlock(&w->lock);
    }
    struct item *it = al__xcalloc(1, sizeof(*it));
    snprintf(it->method, sizeof(it->method), "%s", method);
    it->path = al__xstrdup(path);
    it->content_type = al__xstrdup(content_type);
    it->body = text;
    it->what = al__xstrdup(what);
    if (latest) {
        it->latest = al__xstrdup(latest);
        pthread_mutex_lock(&w->lock);
        al__strmap_put(&w->latest, it->latest, it);
        pthread_mutex_unlock(&w->lock);
    }
    push(w, it);
}

void al__kube_write(struct al__kube_writer *w, const char *method, const char *path,
                    const char *content_type, json_t *body, const char *what) {
    write_queue(w, NULL, method, path, content_type, body, what);
}

void al__kube_write_latest(struct al__kube_writer *w, const char *latest, const char *method,
                           const char *path, const char *content_type, json_t *body,
                           const char *what) {
    write_queue(w, latest, method, path, content_type, body, what);
}
