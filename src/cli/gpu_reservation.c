/* gpu_reservation.c - `allot gpu-reservation report`: what a GPU reservation pod runs (allot's
 * Kubernetes backend makes one per device that pods share, docs/kubernetes.md). The device
 * plugin gave the pod one GPU, named in NVIDIA_VISIBLE_DEVICES; this writes that name on the
 * pod itself (annotation allot.run/gpu-uuid), where allotd reads it and hands it to the pods
 * that share the device, then waits until the pod is stopped. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/kubernetes/client.h"
#include "backends/kubernetes/kubeconfig.h"
#include "cli/commands.h"
#include "cli/help.h"

#define UUID_ANNOT "allot.run/gpu-uuid"

static int fail(const char *why) {
    fprintf(stderr, "allot gpu-reservation report: %s\n", why);
    return AL__EXIT_FAIL;
}

/* Patches the pod's annotation; 0, or the exit status. */
static int report(const struct al__kube_credentials *creds, const char *ns, const char *name,
                  const char *devices) {
    struct al__kube_client *c;
    char err[512], path[600];
    if (al__kube_client_open(creds, &c, err, sizeof(err)) < 0)
        return fail(err);
    json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", UUID_ANNOT, devices);
    char *body = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, name);
    long status = 0;
    json_t *answer = NULL;
    int rc = al__kube_request(c, "PATCH", path, "application/merge-patch+json", body, &status,
                              &answer, err, sizeof(err));
    free(body);
    al__kube_client_close(c);
    if (rc == 0 && status >= 300)
        snprintf(err, sizeof(err), "patching pod %s/%s: %ld %s", ns, name, status,
                 al__kube_status_message(answer));
    json_decref(answer);
    return rc == 0 && status < 300 ? 0 : fail(err);
}

int al__cmd_gpu_reservation(const struct al__cli *cli, int argc, char **argv) {
    const char *kubeconfig = NULL;
    bool once = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kubeconfig") == 0 && i + 1 < argc) {
            kubeconfig = argv[++i];
        } else if (strcmp(argv[i], "--once") == 0) {
            once = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            al__cli_usage(stdout, cli->command);
            return AL__EXIT_OK;
        } else {
            fprintf(stderr, "allot gpu-reservation report: %s: unknown option\n", argv[i]);
            return AL__EXIT_USAGE;
        }
    }
    const char *ns = getenv("POD_NAMESPACE"), *name = getenv("POD_NAME");
    const char *devices = getenv("NVIDIA_VISIBLE_DEVICES");
    char why[512];
    if (!ns || !ns[0] || !name || !name[0])
        return fail("POD_NAMESPACE, POD_NAME: not set (the pod's downward API gives them)");
    if (!devices || !devices[0] || strcmp(devices, "all") == 0 || strcmp(devices, "void") == 0 ||
        strchr(devices, ',')) {
        snprintf(why, sizeof(why),
                 "NVIDIA_VISIBLE_DEVICES: \"%.200s\": not one GPU (did the device plugin give "
                 "this pod nvidia.com/gpu: 1?)",
                 devices ? devices : "");
        return fail(why);
    }
    struct al__kube_credentials creds;
    char err[512];
    int rc = kubeconfig ? al__kube_config_load(kubeconfig, &creds, err, sizeof(err))
                        : al__kube_config_in_cluster(NULL, &creds, err, sizeof(err));
    if (rc < 0)
        return fail(err);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int status = report(&creds, ns, name, devices);
    curl_global_cleanup();
    al__kube_credentials_release(&creds);
    if (status != 0 || once)
        return status;
    printf("GPU %s reported on pod %s/%s; holding it\n", devices, ns, name);
    fflush(stdout);
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigwait(&set, &sig); /* until the pod is deleted */
    return AL__EXIT_OK;
}
