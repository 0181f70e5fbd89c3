/* routes_streams.c - /api/v1/workloads/NAME/attach, /exec and /portforward: streams to a running
 * task, through allotd (docs/api.md, "Streams"). A route checks what it can under the state
 * lock - the token was checked like any request's, then the workload, its kind, the task and
 * its state - and answers with an upgrade whose open() reaches the task through the backend
 * without the lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "allot/errors.h"
#include "daemon/api.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

#define EXEC_ARGS_MAX 1024

/* What open() needs, copied out of the state. */
struct stream_open {
    struct allotd *d;
    struct al__stream_request r;
    char ref[AL__TASK_REF_MAX];
    char **argv, **env; /* exec */
};

static const char *const verbs[] = {"attach", "exec", "port-forward"};

static int stream_open(void *ctx, int *fd, const char **code, char *field, size_t fsize, char *msg,
                       size_t msize) {
    struct stream_open *o = ctx;
    struct al__backend *b = &o->d->backend;
    int rc = b->type->stream(b, &o->r, fd, msg, msize);
    if (rc == 0)
        return 0;
    *code = rc == -AL_EINVAL   ? "invalid_argument"
            : rc == -AL_ENOENT ? "failed_precondition"
                               : "bad_gateway";
    snprintf(field, fsize, "%s",
             rc == -AL_ENOENT && o->r.kind == AL__STREAM_PORT ? "port"
             : rc == -AL_EINVAL                               ? "command"
                                                              : "");
    return -1;
}

static void stream_done(void *ctx) {
    struct stream_open *o = ctx;
    al__strings_free(o->argv);
    al__strings_free(o->env);
    free(o);
}

/* The request's form and what the backend offers: false after answering. */
static bool stream_possible(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                            enum al__stream_kind kind) {
    /* what the backend offers first: a request without the upgrade learns it too (allot
     * port-forward asks so before it listens) */
    if (!d->backend.type->stream) {
        al__reply_error(rep, "failed_precondition", NULL,
                        "the %s backend does not offer %s: reach the task through its platform "
                        "(Kubernetes: kubectl %s on its pod)",
                        d->backend.type->name, verbs[kind], verbs[kind]);
        return false;
    }
    if (!req->upgrade || strcasecmp(req->upgrade, AL__STREAM_PROTOCOL) != 0) {
        al__reply_error(rep, "invalid_argument", NULL,
                        "this path opens a stream: send \"Connection: Upgrade\" and \"Upgrade: "
                        "%s\" (allot workload %s does)",
                        AL__STREAM_PROTOCOL, verbs[kind]);
        return false;
    }
    return true;
}

/* The running task a stream goes to (query `task`, default 0). NULL after answering. */
static const struct al__dtask *stream_task(const struct al__request *req, struct al__reply *rep,
                                           const struct al__dworkload *w, const char *verb) {
    int64_t index;
    if (al__query_int(req, rep, "task", 0, 0, w->spec.workers - 1, &index) < 0)
        return NULL;
    const struct al__dtask *t = &w->tasks[index];
    if (t->state == AL__T_RUNNING && t->ref[0])
        return t;
    if (t->state == AL__T_RUNNING) /* placed, its process starting */
        al__reply_error(rep, "failed_precondition", "state",
                        "task %d of workload %s is starting: %s once it runs", (int)index, w->name,
                        verb);
    else
        al__reply_error(rep, "failed_precondition", "state",
                        "task %d of workload %s is %s: %s needs a running task", (int)index,
                        w->name, al__tstate_name(t->state), verb);
    return NULL;
}

/* The upgrade answer, with a copy of what open() needs. */
static struct stream_open *stream_answer(struct allotd *d, struct al__reply *rep,
                                         const struct al__dworkload *w, const struct al__dtask *t,
                                         enum al__stream_kind kind) {
    struct stream_open *o = al__xcalloc(1, sizeof(*o));
    o->d = d;
    snprintf(o->ref, sizeof(o->ref), "%s", t->ref);
    o->r = (struct al__stream_request){.kind = kind, .key = al__task_key(w, t), .ref = o->ref};
    rep->upgrade = (struct al__upgrade){stream_open, stream_done, o};
    return o;
}

void al__workload_attach(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dworkload *retired, *w;
    const struct al__dtask *t;
    /* who may touch it first: a refusal says nothing about the request's other faults */
    if (!(w = al__workload_find(d, req, rep, &retired)))
        return;
    if (!stream_possible(d, req, rep, AL__STREAM_ATTACH)) {
        al__workload_free(retired);
        return;
    }
    if (w->spec.kind != AL__K_WORKSPACE)
        al__reply_error(rep, "failed_precondition", "kind",
                        "workload %s is a %s workload: only a workspace runs under a terminal to "
                        "attach to (allot workload exec runs a command in any running task)",
                        w->name, al__wkind_name((enum al__wkind)w->spec.kind));
    else if ((t = stream_task(req, rep, w, "attach")) != NULL)
        stream_answer(d, rep, w, t, AL__STREAM_ATTACH);
    al__workload_free(retired);
}

/* The exec body: {"command": [...], "tty": bool, "term": "xterm"}. false after answering. */
static bool exec_body(const struct al__request *req, struct al__reply *rep, json_t **command,
                      bool *tty, const char **term, json_t **body) {
    const char *key;
    json_t *v;
    size_t i;
    if (!(*body = al__request_json(req, rep)))
        return false;
    json_object_foreach(*body, key, v) {
        if (strcmp(key, "command") != 0 && strcmp(key, "tty") != 0 && strcmp(key, "term") != 0) {
            al__reply_error(rep, "invalid_argument", key, "unknown field");
            return false;
        }
    }
    *command = json_object_get(*body, "command");
    v = json_object_get(*body, "tty");
    json_t *t = json_object_get(*body, "term");
    if (!json_is_array(*command) || json_array_size(*command) == 0 ||
        json_array_size(*command) > EXEC_ARGS_MAX) {
        al__reply_error(rep, "invalid_argument", "command",
                        "must be a non-empty array of at most %d strings", EXEC_ARGS_MAX);
        return false;
    }
    json_array_foreach(*command, i, v) {
        if (!json_is_string(v) || (i == 0 && json_string_length(v) == 0) ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            char field[32];
            snprintf(field, sizeof field, "command[%zu]", i);
            al__reply_error(rep, "invalid_argument", field,
                            "must be a string without NUL characters%s",
                            i == 0 ? ", not empty" : "");
            return false;
        }
    }
    v = json_object_get(*body, "tty");
    if (v && !json_is_boolean(v)) {
        al__reply_error(rep, "invalid_argument", "tty", "must be true or false");
        return false;
    }
    *tty = json_is_true(v);
    if (t && (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 64 ||
              strlen(json_string_value(t)) != json_string_length(t))) {
        al__reply_error(rep, "invalid_argument", "term", "must be a terminal type such as xterm");
        return false;
    }
    *term = t ? json_string_value(t) : NULL;
    return true;
}

void al__workload_exec(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dworkload *retired = NULL, *w;
    const struct al__dtask *t;
    json_t *command, *body = NULL;
    const char *term;
    bool tty;
    if ((w = al__workload_find(d, req, rep, &retired)) != NULL &&
        stream_possible(d, req, rep, AL__STREAM_EXEC) &&
        exec_body(req, rep, &command, &tty, &term, &body) &&
        (t = stream_task(req, rep, w, "exec")) != NULL) {
        struct stream_open *o = stream_answer(d, rep, w, t, AL__STREAM_EXEC);
        o->argv = al__strings_of(command);
        o->env = al__xcalloc(2, sizeof(*o->env));
        if (term) {
            o->env[0] = al__xmalloc(strlen(term) + 6);
            snprintf(o->env[0], strlen(term) + 6, "TERM=%s", term);
        }
        o->r.argv = (const char *const *)o->argv;
        o->r.env = (const char *const *)o->env;
        o->r.tty = tty;
    }
    json_decref(body);
    al__workload_free(retired);
}

void al__workload_port_forward(struct allotd *d, const struct al__request *req,
                               struct al__reply *rep) {
    struct al__dworkload *retired, *w;
    const struct al__dtask *t;
    int64_t port;
    if (!(w = al__workload_find(d, req, rep, &retired)))
        return;
    if (!stream_possible(d, req, rep, AL__STREAM_PORT)) {
    } else if (!al__query(req, "port")) {
        al__reply_error(rep, "invalid_argument", "port", "required: the task's port, 1-65535");
    } else if (al__query_int(req, rep, "port", 0, 1, 65535, &port) == 0 &&
               (t = stream_task(req, rep, w, "port-forward")) != NULL) {
        stream_answer(d, rep, w, t, AL__STREAM_PORT)->r.port = (int)port;
    }
    al__workload_free(retired);
}
