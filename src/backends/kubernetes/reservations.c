/* reservations.c - a GPU reservation pod per device that pods share (KAI's design): allot binds
 * fractions of a device it numbers itself, but the NVIDIA device plugin, not allot, decides
 * which physical GPU a whole-GPU pod gets. A reservation pod on the shared device's node,
 * asking for one whole GPU, keeps the device plugin from giving that GPU to anyone else while
 * pods share it, and its container (`allot gpu-reservation report`) writes the GPU it got on
 * its pod, which allot writes on the pods that share it. Kept in step at each sync: one per (node,
 * device) some bound share uses, none for a device no share uses any more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/kube.h"
#include "util/xalloc.h"

void al__kube_reservation_name(const char *node, int32_t device, char *out, size_t size) {
    /* Node names may be 253 characters with dots: the pod's name is a hash, its node and
     * device are in its annotations. */
    snprintf(out, size, "gpu-reservation-%08x-%d", al__kube_hash(node), (int)device);
}

bool al__kube_reservation_read(json_t *o, char node[254], int32_t *device) {
    json_t *meta = json_object_get(o, "metadata");
    if (!json_object_get(json_object_get(meta, "labels"), AL__KUBE_RESERVATION_LABEL))
        return false;
    json_t *notes = json_object_get(meta, "annotations");
    const char *n = json_string_value(json_object_get(notes, AL__KUBE_RESERVATION_NODE));
    const char *d = json_string_value(json_object_get(notes, AL__KUBE_DEVICES_ANNOT));
    snprintf(node, 254, "%s", n ? n : "");
    *device = d ? (int32_t)strtol(d, NULL, 10) : -1;
    return true;
}

static bool is_share(const struct al__kube_pod *p) {
    return p->gpu_milli > 0 || p->gpu_memory_mib > 0;
}

static void want(json_t *wanted, const char *node, int32_t device) {
    char key[300];
    snprintf(key, sizeof(key), "%s/%d", node, (int)device);
    json_object_set_new(wanted, key, json_pack("{s:s, s:i}", "node", node, "device", device));
}

/* The (node, device) pairs bound shares use: "node/device" -> {node, device}. */
static json_t *shared_devices(struct al__kube *k) {
    json_t *wanted = json_object();
    for (size_t i = 0; i < k->pods.capacity; i++) {
        const struct al__kube_pod_entry *e = k->pods.values[i];
        if (!k->pods.keys[i] || !e->ours || !is_share(&e->pod) ||
            e->pod.phase == AL__POD_SUCCEEDED || e->pod.phase == AL__POD_FAILED)
            continue;
        const struct al__kube_assumed *a = al__strmap_get(&k->assumed, e->pod.uid);
        if (e->pod.node[0] && e->devices_known)
            for (size_t d = 0; d < e->device_count; d++)
                want(wanted, e->pod.node, e->devices[d]);
        else if (a)
            for (size_t d = 0; d < a->device_count; d++)
                want(wanted, a->node, a->devices[d]);
    }
    return wanted;
}

static void reservation_create(struct al__kube *k, const char *node, int32_t device) {
    char name[128], dev[16], path[300], what[400];
    al__kube_reservation_name(node, device, name, sizeof(name));
    snprintf(dev, sizeof(dev), "%d", (int)device);
    json_t *pod = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}}, s:{s:s, s:s, s:s, s:s, s:[{s:s, "
        "s:s, s:[sss], s:{s:{s:s}, s:{s:s}}}], s:[{s:s, s:s}]}}",
        "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace",
        k->reservation_namespace, "labels", AL__KUBE_RESERVATION_LABEL, "true",
        "app.kubernetes.io/managed-by", "allot", "annotations", AL__KUBE_RESERVATION_NODE, node,
        AL__KUBE_DEVICES_ANNOT, dev, "spec", "nodeName", node, "schedulerName", k->scheduler,
        "restartPolicy", "Always", "priorityClassName", "system-node-critical", "containers",
        "name", "reservation", "image", k->reservation_image, "command", "sh", "-c",
        "echo \"$NVIDIA_VISIBLE_DEVICES\"; exec sleep 2147483647", "resources", "requests",
        AL__KUBE_GPU_RESOURCE, "1", "limits", AL__KUBE_GPU_RESOURCE, "1", "tolerations", "operator",
        "Exists", "effect", "NoSchedule");
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", k->reservation_namespace);
    snprintf(what, sizeof(what), "reserving GPU %d of node %s (pod %s)", (int)device, node, name);
    al__kube_write(k->writer, "POST", path, "application/json", pod, what);
}

static void reservation_delete(struct al__kube *k, const char *name) {
    char path[400], what[400];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", k->reservation_namespace, name);
    snprintf(what, sizeof(what), "releasing reservation pod %s", name);
    al__kube_write(k->writer, "DELETE", path, "application/json",
                   json_pack("{s:s, s:s}", "apiVersion", "v1", "kind", "DeleteOptions"), what);
}

/* The GPU of the reservation of (node, device) as its pod reported it; NULL when not yet. */
static const char *reserved_gpu(struct al__kube *k, const char *node, int32_t device) {
    char name[128], key[300];
    al__kube_reservation_name(node, device, name, sizeof(name));
    snprintf(key, sizeof(key), "%s/%s", k->reservation_namespace, name);
    const struct al__kube_pod_entry *r = al__strmap_get(&k->pods, key);
    return r && r->reservation && r->gpu_uuid[0] ? r->gpu_uuid : NULL;
}

/* Each bound share gets the GPUs of its devices' reservations (AL__KUBE_UUIDS_ANNOT), once they
 * all reported: its containers read them through the downward API (a volume follows changes
 * of annotations; an environment variable does not). */
static void uuids_sync(struct al__kube *k) {
    for (size_t i = 0; i < k->pods.capacity; i++) {
        struct al__kube_pod_entry *e = k->pods.values[i];
        if (!k->pods.keys[i] || !e->ours || !is_share(&e->pod) || !e->pod.node[0] ||
            !e->devices_known || e->pod.phase == AL__POD_SUCCEEDED ||
            e->pod.phase == AL__POD_FAILED)
            continue;
        char uuids[512] = "", path[600], what[400];
        size_t used = 0;
        bool all = true;
        for (size_t d = 0; d < e->device_count && all; d++) {
            const char *gpu = reserved_gpu(k, e->pod.node, e->devices[d]);
            all = gpu != NULL;
            if (gpu)
                used +=
                    (size_t)snprintf(uuids + used, sizeof(uuids) - used, "%s%s", d ? "," : "", gpu);
        }
        if (!all || used >= sizeof(uuids) || strcmp(uuids, e->gpu_uuids) == 0)
            continue;
        snprintf(e->gpu_uuids, sizeof(e->gpu_uuids), "%s", uuids); /* written once */
        snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", e->pod.namespace_,
                 e->pod.name);
        snprintf(what, sizeof(what), "the GPUs of pod %s", e->key);
        al__kube_write(
            k->writer, "PATCH", path, "application/merge-patch+json",
            json_pack("{s:{s:{s:s}}}", "metadata", "annotations", AL__KUBE_UUIDS_ANNOT, uuids),
            what);
    }
}

void al__kube_reservations_sync(struct al__kube *k) {
    if (!al__kube_acting(k))
        return;
    json_t *wanted = shared_devices(k), *have = json_object();
    char key[300];
    for (size_t i = 0; i < k->pods.capacity; i++) { /* the reservations there are */
        const struct al__kube_pod_entry *e = k->pods.values[i];
        if (!k->pods.keys[i] || !e->reservation || e->pod.terminating)
            continue;
        snprintf(key, sizeof(key), "%s/%d", e->reservation_node, (int)e->reservation_device);
        json_object_set_new(have, key, json_string(e->pod.name));
        if (!json_object_get(wanted, key))
            reservation_delete(k, e->pod.name);
    }
    const char *wkey;
    json_t *w;
    json_object_foreach(wanted, wkey, w) {
        if (json_object_get(have, wkey) || json_object_get(k->reserving, wkey))
            continue; /* there, or asked for and not seen yet */
        json_object_set_new(k->reserving, wkey, json_true());
        reservation_create(k, json_string_value(json_object_get(w, "node")),
                           (int32_t)json_integer_value(json_object_get(w, "device")));
    }
    json_object_foreach(have, wkey, w) json_object_del(k->reserving, wkey); /* seen now */
    uuids_sync(k);
    json_decref(wanted);
    json_decref(have);
}
