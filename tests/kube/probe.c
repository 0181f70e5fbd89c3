/* probe.c - the Kubernetes client and watch of src/backends/kubernetes driven from the Kubernetes
 * tests: keeps one kind in step with a real API server and prints what it sees, a line each
 * ("reset N NAME,NAME", "ADDED NAME", "problem: ..."), then its counts when told to stop
 * (SIGTERM); or, with --lease, contends for a Lease twice a second and prints each change of
 * role ("leader", "follower HOLDER"), giving it up when told to stop.
 * usage: probe --kubeconfig FILE --path PATH [--timeout-seconds N] [--page N]
 *        probe --kubeconfig FILE --lease NAMESPACE/NAME --identity ID [--duration S] */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/kubernetes/client.h"
#include "backends/kubernetes/lease.h"
#include "backends/kubernetes/watch.h"

static volatile sig_atomic_t stop;

static void on_term(int sig) {
    (void)sig;
    stop = 1;
}

static const char *name_of(json_t *object) {
    const char *n = json_string_value(json_object_get(json_object_get(object, "metadata"), "name"));
    return n ? n : "?";
}

static int by_text(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void reset(void *arg, json_t *items) {
    size_t n = json_array_size(items);
    const char **names = calloc(n + 1, sizeof(*names));
    (void)arg;
    for (size_t i = 0; i < n; i++)
        names[i] = name_of(json_array_get(items, i));
    qsort(names, n, sizeof(*names), by_text);
    printf("reset %zu ", n);
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? "," : "", names[i]);
    printf("\n");
    fflush(stdout);
    free(names);
}

static void event(void *arg, const char *type, json_t *object) {
    (void)arg;
    printf("%s %s\n", type, name_of(object));
    fflush(stdout);
}

static void problem(void *arg, const char *what) {
    (void)arg;
    printf("problem: %s\n", what);
    fflush(stdout);
}

static bool stopping(void *arg) {
    (void)arg;
    return stop;
}

/* Contends for the lease until told to stop; releases it then. */
static void contend(struct al__kube_client *client, const char *lease, const char *identity,
                    int32_t duration) {
    char ns[64] = "", name[254] = "", err[512], shown[300] = "";
    const char *slash = strchr(lease, '/');
    if (slash) {
        snprintf(ns, sizeof(ns), "%.*s", (int)(slash - lease), lease);
        snprintf(name, sizeof(name), "%s", slash + 1);
    }
    struct al__kube_lease l;
    al__kube_lease_init(&l, ns, name, identity, duration);
    while (!stop) {
        bool leader;
        char role[300];
        if (al__kube_lease_try(client, &l, &leader, err, sizeof(err)) < 0)
            snprintf(role, sizeof(role), "problem: %.280s", err);
        else
            snprintf(role, sizeof(role), leader ? "leader" : "follower %.250s", l.holder);
        if (strcmp(role, shown) != 0) {
            printf("%s\n", role);
            fflush(stdout);
            snprintf(shown, sizeof(shown), "%s", role);
        }
        struct timespec t = {0, 500 * 1000000L};
        nanosleep(&t, NULL);
    }
    if (al__kube_lease_release(client, &l, err, sizeof(err)) < 0)
        printf("problem: %s\n", err);
    printf("released\n");
}

int main(int argc, char **argv) {
    const char *kubeconfig = NULL, *path = NULL, *lease = NULL, *identity = "probe";
    int32_t duration = 3;
    struct al__kube_watch_config config = {0};
    struct al__kube_credentials creds;
    struct al__kube_client *client;
    char err[512];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--kubeconfig") == 0)
            kubeconfig = argv[i + 1];
        else if (strcmp(argv[i], "--path") == 0)
            path = argv[i + 1];
        else if (strcmp(argv[i], "--timeout-seconds") == 0)
            config.timeout_s = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--page") == 0)
            config.page = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--lease") == 0)
            lease = argv[i + 1];
        else if (strcmp(argv[i], "--identity") == 0)
            identity = argv[i + 1];
        else if (strcmp(argv[i], "--duration") == 0)
            duration = (int32_t)strtol(argv[i + 1], NULL, 10);
    }
    if (!kubeconfig || (!path && !lease)) {
        fprintf(stderr, "usage: probe --kubeconfig FILE --path PATH [--timeout-seconds N]\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    config.backoff_min_ms = 100;
    config.backoff_max_ms = 1000;
    if (al__kube_config_load(kubeconfig, &creds, err, sizeof(err)) < 0 ||
        al__kube_client_open(&creds, &client, err, sizeof(err)) < 0) {
        fprintf(stderr, "probe: %s\n", err);
        return 1;
    }
    if (lease) {
        contend(client, lease, identity, duration);
        al__kube_client_close(client);
        al__kube_credentials_release(&creds);
        return 0;
    }
    struct al__kube_watch_ops ops = {reset, event, problem, stopping};
    struct al__kube_watch_stats stats;
    al__kube_watch_run(client, path, &config, &ops, NULL, &stats);
    printf("stats lists=%llu watches=%llu gone=%llu bookmarks=%llu errors=%llu\n",
           (unsigned long long)stats.lists, (unsigned long long)stats.watches,
           (unsigned long long)stats.gone, (unsigned long long)stats.bookmarks,
           (unsigned long long)stats.errors);
    al__kube_client_close(client);
    al__kube_credentials_release(&creds);
    return 0;
}
