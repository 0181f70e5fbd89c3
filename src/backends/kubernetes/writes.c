/* writes.c - allotd's API on a Kubernetes cluster: a project or department written as a Queue
 * (KAI's units), a submitted workload as a batch Job with its PodGroup in the project's
 * namespace, a deleted one as its Job deleted (the pods and the PodGroup go with it), a task's
 * output read through the API server. Each request is made at once, on a client of the bind
 * pool; the cluster's answer decides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/kubernetes/kube.h"
#include "util/xalloc.h"

#define MANAGED_BY "app.kubernetes.io/managed-by"

/* One request; the status and answer in *status and *answer (the caller's). */
static int call(struct al__kube *k, const char *method, const char *path, const char *content_type,
                json_t *body, long *status, json_t **answer, char *err, size_t size) {
    struct al__kube_client *c = al__kube_binder_take(k, err, size);
    if (!c)
        return -AL_EIO;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = al__kube_request(c, method, path, content_type, text, status, answer, err, size);
    free(text);
    al__kube_binder_give(k, c);
    return rc;
}

/* The cluster's refusal as allotd's: 400/422 -AL_EINVAL, 404 -AL_ENOENT, 409 -AL_EEXIST, the
 * rest -AL_EIO; err says what it said. */
static int refused(long status, json_t *answer, const char *what, char *err, size_t size) {
    snprintf(err, size, "kubernetes: %s: %ld %s", what, status, al__kube_status_message(answer));
    return status == 400 || status == 422 ? -AL_EINVAL
           : status == 404                ? -AL_ENOENT
           : status == 409                ? -AL_EEXIST
                                          : -AL_EIO;
}

/* ---- queues ---- */

/* KAI's units: GPUs as devices, CPU in millicores, memory in megabytes (10^6 bytes). */
static json_t *kai_amount(int r, int64_t v) {
    if (v == AL_UNLIMITED)
        return json_integer(-1);
    if (r == AL_GPU)
        return v % 1000 == 0 ? json_integer(v / 1000) : json_real((double)v / 1000);
    if (r == AL_MEMORY)
        return json_integer((v + 999999) / 1000000);
    return json_integer(v);
}

static json_t *queue_spec(const struct al__mirror_queue *q) {
    static const char *const names[AL_RESOURCE_COUNT] = {"gpu", "cpu", "memory"};
    json_t *resources = json_object();
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        json_object_set_new(resources, names[r],
                            json_pack("{s:o, s:o, s:I}", "quota", kai_amount(r, q->deserved[r]),
                                      "limit", kai_amount(r, q->limit[r]), "overQuotaWeight",
                                      (json_int_t)q->weight[r]));
    json_t *spec = json_pack("{s:i, s:o}", "priority", (int)q->priority, "resources", resources);
    json_object_set_new(spec, "parentQueue", q->parent[0] ? json_string(q->parent) : json_null());
    char text[32];
    if (q->has_preempt_min_runtime) {
        snprintf(text, sizeof(text), "%llds", (long long)q->preempt_min_runtime_s);
        json_object_set_new(spec, "preemptMinRuntime", json_string(text));
    } else {
        json_object_set_new(spec, "preemptMinRuntime", json_null());
    }
    if (q->has_reclaim_min_runtime) {
        snprintf(text, sizeof(text), "%llds", (long long)q->reclaim_min_runtime_s);
        json_object_set_new(spec, "reclaimMinRuntime", json_string(text));
    } else {
        json_object_set_new(spec, "reclaimMinRuntime", json_null());
    }
    return spec;
}

int al__kube_queue_write(struct al__backend *b, const struct al__mirror_queue *q, bool create,
                         char *err, size_t size) {
    struct al__kube *k = b->data;
    char path[400], what[300];
    long status = 0;
    json_t *answer = NULL, *body;
    int rc;
    if (create) {
        json_t *spec = queue_spec(q);
        if (!q->parent[0])
            json_object_del(spec, "parentQueue");
        body = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}, s:o}", "apiVersion",
                         "scheduling.run.ai/v2", "kind", "Queue", "metadata", "name", q->name,
                         "labels", MANAGED_BY, "allot", AL__KUBE_QUEUE_KIND_LABEL,
                         q->project ? "project" : "department", "spec", spec);
        snprintf(path, sizeof(path), "/apis/scheduling.run.ai/v2/queues");
        snprintf(what, sizeof(what), "creating Queue %s", q->name);
        rc = call(k, "POST", path, "application/json", body, &status, &answer, err, size);
    } else {
        body = json_pack("{s:o}", "spec", queue_spec(q)); /* null removes a field */
        snprintf(path, sizeof(path), "/apis/scheduling.run.ai/v2/queues/%s", q->name);
        snprintf(what, sizeof(what), "changing Queue %s", q->name);
        rc = call(k, "PATCH", path, "application/merge-patch+json", body, &status, &answer, err,
                  size);
    }
    json_decref(body);
    if (rc == 0 && status >= 300)
        rc = refused(status, answer, what, err, size);
    json_decref(answer);
    return rc;
}

int al__kube_queue_delete(struct al__backend *b, const char *name, char *err, size_t size) {
    char path[400], what[300];
    long status = 0;
    json_t *answer = NULL;
    snprintf(path, sizeof(path), "/apis/scheduling.run.ai/v2/queues/%s", name);
    snprintf(what, sizeof(what), "deleting Queue %s", name);
    int rc = call(b->data, "DELETE", path, NULL, NULL, &status, &answer, err, size);
    if (rc == 0 && status >= 300)
        rc = refused(status, answer, what, err, size);
    json_decref(answer);
    return rc;
}

/* ---- workloads ---- */

static void namespace_of(const struct al__kube *k, const char *project, char out[64]) {
    snprintf(out, 64, "%s%s", k->namespace_prefix, project);
}

/* The PriorityClass whose value is `priority` - one whose preemptionPolicy is Never exactly
 * when `never`, if there is one - or NULL (the pods then get KAI's default). */
static const char *class_of(struct al__kube *k, int32_t priority, bool never, char *out,
                            size_t size) {
    const char *name, *found = NULL;
    bool found_fits = false;
    json_t *value;
    pthread_mutex_lock(&k->lock);
    json_object_foreach(k->classes, name, value) {
        bool fits = (json_object_get(k->never_classes, name) != NULL) == never;
        if (json_integer_value(value) != priority || (found_fits && !fits))
            continue;
        if (!found || (fits && !found_fits) || strcmp(name, found) < 0) { /* the same every time */
            found = name;
            found_fits = fits;
        }
    }
    if (found)
        snprintf(out, size, "%s", found);
    pthread_mutex_unlock(&k->lock);
    return found ? out : NULL;
}

static json_t *container_of(const struct al__mirror_submit *s) {
    const struct al__mirror_workload *w = s->w;
    json_t *command = json_array(), *env = json_array(), *requests = json_object();
    for (size_t i = 0; s->argv[i]; i++)
        json_array_append_new(command, json_string(s->argv[i]));
    /* the variables carried from the submitter's environment, then those set (which win: a
     * container's later entry of a name does) */
    const char *const *lists[] = {s->exported_env, s->env};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            const char *kv = lists[l][i], *eq = strchr(kv, '=');
            json_array_append_new(
                env, json_pack("{s:s%, s:s}", "name", kv, (size_t)(eq - kv), "value", eq + 1));
        }
    char text[64];
    snprintf(text, sizeof(text), "%lldm", (long long)w->cpu_millis);
    if (w->cpu_millis > 0)
        json_object_set_new(requests, "cpu", json_string(text));
    snprintf(text, sizeof(text), "%lld", (long long)w->memory_bytes);
    if (w->memory_bytes > 0)
        json_object_set_new(requests, "memory", json_string(text));
    json_t *c = json_pack("{s:s, s:s, s:o, s:o, s:{s:o}}", "name", "main", "image", s->image,
                          "command", command, "env", env, "resources", "requests", requests);
    if (w->gpus > 0) {
        snprintf(text, sizeof(text), "%d", (int)w->gpus);
        json_object_set_new(json_object_get(c, "resources"), "limits",
                            json_pack("{s:s}", "nvidia.com/gpu", text));
    }
    if (w->mig_profiles > 0) { /* extended resources: the limit is the request */
        json_t *limits = json_object();
        for (size_t m = 0; m < w->mig_profiles; m++) {
            char resource[64];
            snprintf(resource, sizeof(resource), "%s%s", AL__KUBE_MIG_PREFIX, w->migs[m].profile);
            snprintf(text, sizeof(text), "%d", (int)w->migs[m].count);
            json_object_set_new(limits, resource, json_string(text));
        }
        json_object_set_new(json_object_get(c, "resources"), "limits", limits);
    }
    if (s->workdir)
        json_object_set_new(c, "workingDir", json_string(s->workdir));
    return c;
}

/* The Job of a submitted workload: one pod per task, all in its PodGroup. */
static json_t *job_of(struct al__kube *k, const struct al__mirror_submit *s, const char *ns,
                      const char *cls) {
    const struct al__mirror_workload *w = s->w;
    json_t *notes = json_pack("{s:s}", AL__KUBE_POD_GROUP_ANNOT, w->name);
    char text[64];
    if (w->gpu_milli > 0) {
        snprintf(text, sizeof(text), "%g", w->gpu_milli / 1000.0);
        json_object_set_new(notes, AL__KUBE_GPU_FRACTION, json_string(text));
    }
    if (w->gpu_memory_mib > 0) {
        snprintf(text, sizeof(text), "%d", (int)w->gpu_memory_mib);
        json_object_set_new(notes, AL__KUBE_GPU_MEMORY, json_string(text));
    }
    if (w->gpu_milli > 0 && w->gpu_milli_limit > w->gpu_milli) { /* dynamic fractions */
        snprintf(text, sizeof(text), "%g", w->gpu_milli_limit / 1000.0);
        json_object_set_new(notes, AL__KUBE_GPU_FRACTION_LIMIT, json_string(text));
    }
    if (w->gpu_memory_mib > 0 && w->gpu_memory_limit_mib > w->gpu_memory_mib) {
        snprintf(text, sizeof(text), "%d", (int)w->gpu_memory_limit_mib);
        json_object_set_new(notes, AL__KUBE_GPU_MEMORY_LIMIT, json_string(text));
    }
    if ((w->gpu_milli > 0 || w->gpu_memory_mib > 0) && w->gpu_device_count > 1) {
        snprintf(text, sizeof(text), "%d", (int)w->gpu_device_count);
        json_object_set_new(notes, AL__KUBE_GPU_FRACTION_DEVS, json_string(text));
    }
    json_t *pod_spec = json_pack("{s:s, s:s, s:[o]}", "schedulerName", k->scheduler,
                                 "restartPolicy", "Never", "containers", container_of(s));
    if (cls)
        json_object_set_new(pod_spec, "priorityClassName", json_string(cls));
    int n = (int)w->task_count;
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:{s:i, s:i, s:i, s:{s:{s:{s:s}, "
                     "s:o}, s:o}}}",
                     "apiVersion", "batch/v1", "kind", "Job", "metadata", "name", w->name,
                     "namespace", ns, "labels", MANAGED_BY, "allot", AL__KUBE_QUEUE_LABEL,
                     w->project, "spec", "parallelism", n, "completions", n, "backoffLimit", 0,
                     "template", "metadata", "labels", AL__KUBE_QUEUE_LABEL, w->project,
                     "annotations", notes, "spec", pod_spec);
}

int al__kube_submit(struct al__backend *b, const struct al__mirror_submit *s, char *err,
                    size_t size) {
    struct al__kube *k = b->data;
    const struct al__mirror_workload *w = s->w;
    const char *image = s->image ? s->image : k->default_image[0] ? k->default_image : NULL;
    char ns[64], path[400], what[300], cls_name[254];
    long status = 0;
    json_t *answer = NULL;
    if (!image) {
        snprintf(err, size,
                 "image: required with the kubernetes backend (the container the tasks run in; "
                 "or start allotd with --default-image)");
        return -AL_EINVAL;
    }
    if (s->export_all) {
        snprintf(err, size,
                 "export: \"all\" is not offered with the kubernetes backend: its tasks run in "
                 "their image's environment, not the submitter's (carry variables by name, or "
                 "none)");
        return -AL_EINVAL;
    }
    if (s->time_limit_s > 0) {
        snprintf(err, size,
                 "time_limit_s: not offered with the kubernetes backend (a Job's "
                 "activeDeadlineSeconds, set in the cluster, bounds its whole life)");
        return -AL_EINVAL;
    }
    if (s->labelled) {
        snprintf(err, size,
                 "labels: not offered with the kubernetes backend yet (label the "
                 "Job in the cluster)");
        return -AL_EINVAL;
    }
    struct al__mirror_submit with = *s;
    with.image = image;
    namespace_of(k, w->project, ns);
    const char *cls = class_of(k, w->priority, w->preemption_never, cls_name, sizeof(cls_name));
    json_t *job = job_of(k, &with, ns, cls);
    snprintf(path, sizeof(path), "/apis/batch/v1/namespaces/%s/jobs", ns);
    snprintf(what, sizeof(what), "creating Job %s/%s", ns, w->name);
    int rc = call(k, "POST", path, "application/json", job, &status, &answer, err, size);
    json_decref(job);
    if (rc == 0 && status >= 300)
        rc = refused(status, answer, what, err, size);
    if (rc < 0) {
        json_decref(answer);
        return rc;
    }
    /* Its PodGroup, owned by the Job: it goes with it. */
    const char *uid =
        json_string_value(json_object_get(json_object_get(answer, "metadata"), "uid"));
    json_t *spec = json_pack("{s:s, s:i}", "queue", w->project, "minMember", (int)w->min_members);
    if (cls)
        json_object_set_new(spec, "priorityClassName", json_string(cls));
    json_object_set_new(spec, "preemptibility",
                        json_string(w->semi_preemptible ? "semi-preemptible"
                                    : w->preemptible    ? "preemptible"
                                                        : "non-preemptible"));
    if (w->required_topology_level || w->preferred_topology_level) { /* KAI's field names */
        json_t *c = json_object();
        if (w->topology)
            json_object_set_new(c, "topology", json_string(w->topology));
        if (w->required_topology_level)
            json_object_set_new(c, "requiredTopologyLevel",
                                json_string(w->required_topology_level));
        if (w->preferred_topology_level)
            json_object_set_new(c, "preferredTopologyLevel",
                                json_string(w->preferred_topology_level));
        json_object_set_new(spec, "topologyConstraint", c);
    }
    json_t *group =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:b}]}, "
                  "s:o}",
                  "apiVersion", "scheduling.run.ai/v2alpha2", "kind", "PodGroup", "metadata",
                  "name", w->name, "namespace", ns, "labels", MANAGED_BY, "allot",
                  "ownerReferences", "apiVersion", "batch/v1", "kind", "Job", "name", w->name,
                  "uid", uid ? uid : "", "blockOwnerDeletion", true, "spec", spec);
    json_decref(answer);
    answer = NULL;
    snprintf(path, sizeof(path), "/apis/scheduling.run.ai/v2alpha2/namespaces/%s/podgroups", ns);
    snprintf(what, sizeof(what), "creating PodGroup %s/%s", ns, w->name);
    rc = call(k, "POST", path, "application/json", group, &status, &answer, err, size);
    json_decref(group);
    if (rc == 0 && status >= 300)
        rc = refused(status, answer, what, err, size);
    json_decref(answer);
    if (rc < 0) { /* no Job without its group */
        char del[400], e2[256];
        json_t *a2 = NULL;
        snprintf(del, sizeof(del),
                 "/apis/batch/v1/namespaces/%s/jobs/%s?propagationPolicy=Background", ns, w->name);
        call(k, "DELETE", del, NULL, NULL, &status, &a2, e2, sizeof(e2));
        json_decref(a2);
    }
    return rc;
}

int al__kube_workload_delete(struct al__backend *b, const char *project, const char *name,
                             char *err, size_t size) {
    struct al__kube *k = b->data;
    char ns[64], pg[254], path[600], what[400];
    long status = 0;
    json_t *answer = NULL;
    if (!al__kube_group_object(k, project, name, ns, pg, NULL)) {
        snprintf(err, size,
                 "workload %s/%s was not submitted through allot (its pods' owner made it): "
                 "delete that owner in the cluster",
                 project, name);
        return -AL_EINVAL;
    }
    snprintf(path, sizeof(path), "/apis/batch/v1/namespaces/%s/jobs/%s", ns, pg);
    int rc = call(k, "GET", path, NULL, NULL, &status, &answer, err, size);
    json_t *labels = json_object_get(json_object_get(answer, "metadata"), "labels");
    const char *maker = json_string_value(json_object_get(labels, MANAGED_BY));
    bool ours = rc == 0 && status == 200 && maker && strcmp(maker, "allot") == 0;
    json_decref(answer);
    answer = NULL;
    if (rc < 0)
        return rc;
    if (!ours) {
        snprintf(err, size,
                 "workload %s/%s (PodGroup %s/%s) was not submitted through allot: delete its "
                 "owner in the cluster",
                 project, name, ns, pg);
        return -AL_EINVAL;
    }
    snprintf(path, sizeof(path),
             "/apis/batch/v1/namespaces/%s/jobs/%s?propagationPolicy=Background", ns, pg);
    snprintf(what, sizeof(what), "deleting Job %s/%s", ns, pg);
    rc = call(k, "DELETE", path, NULL, NULL, &status, &answer, err, size);
    if (rc == 0 && status >= 300 && status != 404)
        rc = refused(status, answer, what, err, size);
    json_decref(answer);
    return rc;
}

/* ---- output ---- */

ssize_t al__kube_log_read(struct al__backend *b, struct al__task_key key, const char *ref,
                          int64_t offset, char *buf, size_t max, char *err, size_t size) {
    struct al__kube *k = b->data;
    char ns[64], name[254], path[800];
    (void)key;
    if (!ref[0] || !al__kube_pod_of(k, ref, ns, name))
        return 0; /* never started, or its pod is gone with its output */
    /* The API server has no offset: the first offset + max bytes, and what lies past offset. */
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/log?limitBytes=%lld", ns, name,
             (long long)(offset + (int64_t)max));
    struct al__kube_client *c = al__kube_binder_take(k, err, size);
    if (!c)
        return -1;
    long status = 0;
    char *text = NULL;
    size_t len = 0;
    int rc = al__kube_request_text(c, "GET", path, NULL, NULL, &status, &text, &len, err, size);
    al__kube_binder_give(k, c);
    if (rc < 0) {
        free(text);
        return -1;
    }
    if (status >= 300) {
        json_t *answer = text ? json_loadb(text, len, 0, NULL) : NULL;
        snprintf(err, size, "kubernetes: reading the log of pod %s/%s: %ld %s", ns, name, status,
                 answer ? al__kube_status_message(answer) : "");
        json_decref(answer);
        free(text);
        return -1;
    }
    ssize_t n = len > (size_t)offset ? (ssize_t)(len - (size_t)offset) : 0;
    if ((size_t)n > max)
        n = (ssize_t)max;
    if (n > 0)
        memcpy(buf, text + offset, (size_t)n);
    free(text);
    return n;
}
