/* share_patch.c - the JSON patch the admission webhook gives a pod sharing a GPU (see
 * share_patch.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/enforce.h"
#include "backends/kubernetes/kube.h"
#include "backends/kubernetes/objects.h"
#include "backends/kubernetes/share_patch.h"

#define INFO_VOLUME    "allot-gpu"
#define LIBRARY_VOLUME "allot-cuda"
/* Where a container's own LD_PRELOAD taken from elsewhere (valueFrom) goes, to be expanded
 * behind the library's path in LD_PRELOAD. */
#define OWN_PRELOAD "ALLOT_CONTAINER_LD_PRELOAD"

int al__kube_library_path_check(const char *path, char *err, size_t size) {
    const char *why = NULL;
    size_t len = strlen(path);
    if (path[0] != '/')
        why = "not absolute";
    else if (len >= 4096)
        why = "4,096 bytes or longer";
    else if (path[len - 1] == '/')
        why = "ends in /: want the library's file";
    for (const char *p = path; !why && *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) /* the JSON must hold it */
            why = "a control or non-ASCII character in it";
    for (const char *p = path; !why && *p; p += strcspn(p, "/")) {
        size_t n = strcspn(++p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            why = "an empty, \".\" or \"..\" component";
    }
    if (!why)
        return 0;
    snprintf(err, size,
             "--webhook-cuda-library: \"%.200s\": %s (want the absolute path of "
             "liballot-cuda.so on every node, e.g. /usr/lib/allot/liballot-cuda.so)",
             path, why);
    return -AL_EINVAL;
}

static json_t *annotation_item(const char *path, const char *annotation) {
    char field[200];
    snprintf(field, sizeof(field), "metadata.annotations['%s']", annotation);
    return json_pack("{s:s, s:{s:s}}", "path", path, "fieldRef", "fieldPath", field);
}

static json_t *env_from_field(const char *name, const char *field) {
    return json_pack("{s:s, s:{s:{s:s}}}", "name", name, "valueFrom", "fieldRef", "fieldPath",
                     field);
}

/* A JSON patch operation that appends value (taken) to the list at path, or makes the list when
 * there is none yet (*exists: whether there is one; true after). */
static void add_to_list(json_t *ops, const char *path, bool *exists, json_t *value) {
    char at[160];
    snprintf(at, sizeof(at), "%s%s", path, *exists ? "/-" : "");
    json_array_append_new(
        ops, *exists ? json_pack("{s:s, s:s, s:o}", "op", "add", "path", at, "value", value)
                     : json_pack("{s:s, s:s, s:[o]}", "op", "add", "path", at, "value", value));
    *exists = true;
}

/* Whether the list of named objects `list` has one named `name`. */
static bool names(json_t *list, const char *name) {
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
        const char *n = json_string_value(json_object_get(o, "name"));
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* A variable the pod may not set itself: allot's, but the library's debug switch. */
static bool allots(const char *name) {
    return strncmp(name, "ALLOT_", 6) == 0 && strcmp(name, "ALLOT_CUDA_DEBUG") != 0;
}

/* The container's env with allot's variables: a new array. */
static json_t *env_of(json_t *container, const char *library) {
    json_t *env = json_array(), *e;
    const char *preload = NULL; /* the container's own literal LD_PRELOAD */
    bool own_elsewhere = false; /* its LD_PRELOAD comes from elsewhere (valueFrom) */
    size_t i;
    json_array_foreach(json_object_get(container, "env"), i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        if (name && allots(name))
            continue;
        if (name && library && strcmp(name, "LD_PRELOAD") == 0) {
            json_t *from = json_object_get(e, "valueFrom");
            if (from) {
                own_elsewhere = true;
                json_array_append_new(
                    env, json_pack("{s:s, s:O}", "name", OWN_PRELOAD, "valueFrom", from));
            } else {
                preload = json_string_value(json_object_get(e, "value"));
            }
            continue;
        }
        json_array_append(env, e);
    }
    json_array_append_new(
        env, json_pack("{s:s, s:s}", "name", "ALLOT_GPU_INFO", "value", AL__KUBE_INFO_PATH));
    char field[200];
    snprintf(field, sizeof(field), "metadata.annotations['%s']", AL__KUBE_MEMORY_ANNOT);
    json_array_append_new(env, env_from_field("ALLOT_GPU_MEMORY_LIMIT_MIB", field));
    if (library) {
        /* containers of a pod share its /dev/shm: one ledger, the pod's */
        json_array_append_new(env, env_from_field("ALLOT_TASK_LEDGER", "metadata.uid"));
        char *value = al__enforce_preload(AL__KUBE_LIBRARY_PATH,
                                          own_elsewhere ? "$(" OWN_PRELOAD ")" : preload);
        json_array_append_new(env, json_pack("{s:s, s:s}", "name", "LD_PRELOAD", "value", value));
        free(value);
    }
    return env;
}

/* The operations for the containers of list `field` ("containers", "initContainers"). */
static void containers_patch(json_t *ops, json_t *spec, const char *field, const char *library) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, field), i, c) {
        json_t *mounts = json_object_get(c, "volumeMounts");
        if (names(mounts, INFO_VOLUME))
            continue; /* injected already */
        char path[128];
        bool exists = json_is_array(mounts);
        snprintf(path, sizeof(path), "/spec/%s/%zu/volumeMounts", field, i);
        add_to_list(ops, path, &exists,
                    json_pack("{s:s, s:s, s:b}", "name", INFO_VOLUME, "mountPath",
                              AL__KUBE_INFO_PATH, "readOnly", true));
        if (library)
            add_to_list(ops, path, &exists,
                        json_pack("{s:s, s:s, s:b}", "name", LIBRARY_VOLUME, "mountPath",
                                  AL__KUBE_LIBRARY_PATH, "readOnly", true));
        /* the whole list: "add" replaces one that exists (RFC 6902, 4.1) */
        snprintf(path, sizeof(path), "/spec/%s/%zu/env", field, i);
        json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "add", "path", path, "value",
                                             env_of(c, library)));
    }
}

json_t *al__kube_share_patch(json_t *pod, const char *library, char *err, size_t size) {
    json_t *notes = json_object_get(json_object_get(pod, "metadata"), "annotations");
    json_t *enforce = json_object_get(notes, AL__KUBE_ENFORCE_ANNOT);
    const char *e = json_string_value(enforce);
    if (enforce && (!e || (strcmp(e, "true") != 0 && strcmp(e, "false") != 0))) {
        snprintf(err, size, "annotation %s: %s%.60s%s: want \"true\" or \"false\"",
                 AL__KUBE_ENFORCE_ANNOT, e ? "\"" : "", e ? e : "not a string", e ? "\"" : "");
        return NULL;
    }
    if (e && strcmp(e, "false") == 0)
        library = NULL;
    json_t *spec = json_object_get(pod, "spec"), *ops = json_array();
    json_t *volumes = json_object_get(spec, "volumes");
    bool exists = json_is_array(volumes);
    if (!names(volumes, INFO_VOLUME))
        add_to_list(ops, "/spec/volumes", &exists,
                    json_pack("{s:s, s:{s:[o, o, o]}}", "name", INFO_VOLUME, "downwardAPI", "items",
                              annotation_item("gpus", AL__KUBE_DEVICES_ANNOT),
                              annotation_item("gpu-uuids", AL__KUBE_UUIDS_ANNOT),
                              annotation_item("gpu-memory-limit-mib", AL__KUBE_MEMORY_ANNOT)));
    if (library && !names(volumes, LIBRARY_VOLUME))
        /* type File: a node without the library fails the pod's start, saying so, rather than
         * running it without its limits */
        add_to_list(ops, "/spec/volumes", &exists,
                    json_pack("{s:s, s:{s:s, s:s}}", "name", LIBRARY_VOLUME, "hostPath", "path",
                              library, "type", "File"));
    containers_patch(ops, spec, "initContainers", library);
    containers_patch(ops, spec, "containers", library);
    return ops;
}
