/* share_patch.h - what the admission webhook (webhook.c) changes in a pod that asks for a share
 * of a GPU: the JSON patch that gives it its GPU information and runs every container under
 * liballot-cuda.so with its limits (docs/cuda.md, "On Kubernetes"). Pure: no I/O. */
#ifndef ALLOT_BACKENDS_KUBERNETES_SHARE_PATCH_H
#define ALLOT_BACKENDS_KUBERNETES_SHARE_PATCH_H

#include <jansson.h>
#include <stddef.h>

/* Where things are inside a container: the downward-API files, and the library. */
#define AL__KUBE_INFO_PATH    "/var/run/allot"
#define AL__KUBE_LIBRARY_PATH "/var/run/allot-lib/liballot-cuda.so"

/*
 * al__kube_library_path_check - whether `path` can be the library's path on the nodes (a
 * hostPath): absolute, without "." or ".." components, empty components or a trailing "/",
 * of printable ASCII, shorter than 4,096 bytes. 0, or -AL_EINVAL with a message naming
 * --webhook-cuda-library in err.
 */
int al__kube_library_path_check(const char *path, char *err, size_t size);

/*
 * al__kube_share_patch - the JSON patch (RFC 6902, a new array) for pod `pod` (borrowed), which
 * asks for a share of a GPU: a downward-API volume with its devices, GPUs and memory limit, and
 * in every container and init container that lacks it already (a pod admitted again is not
 * patched twice: the array is then empty) its mount, ALLOT_GPU_INFO and
 * ALLOT_GPU_MEMORY_LIMIT_MIB; with `library` (the library's path on the nodes, NULL for none)
 * and unless the pod says allot.run/enforce: "false", also a read-only hostPath volume of the
 * library, LD_PRELOAD (in front of the container's own) and ALLOT_TASK_LEDGER (the pod's uid).
 * The container's own ALLOT_* variables but ALLOT_CUDA_DEBUG are replaced by allot's.
 * NULL with a message naming the annotation in err when allot.run/enforce is neither "true" nor
 * "false". Aborts on out-of-memory (allotd's policy).
 */
json_t *al__kube_share_patch(json_t *pod, const char *library, char *err, size_t size);

#endif
