/* task_env.c - a local task's environment: base, the submitter's variables, the backend's own
 * (see task_env.h). */
#define _DEFAULT_SOURCE /* getpwuid_r */
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allot/model.h"
#include "backends/enforce.h"
#include "backends/local/task_env.h"
#include "util/xalloc.h"

/* Variables passed from allotd's own environment to every task: only the test runners' mark. */
#define TEST_RUN_MARK "ALLOT_TEST_RUN"

void al__task_user_init(struct al__task_user *u) {
    struct passwd pw, *found = NULL;
    char buf[4096];
    const char *home = getenv("HOME"), *shell = getenv("SHELL");
    memset(u, 0, sizeof(*u));
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) == 0 && found) {
        snprintf(u->name, sizeof(u->name), "%s", found->pw_name);
        if (found->pw_dir && found->pw_dir[0])
            home = found->pw_dir;
        if (found->pw_shell && found->pw_shell[0])
            shell = found->pw_shell;
    }
    snprintf(u->home, sizeof(u->home), "%s", home && home[0] ? home : "/");
    snprintf(u->shell, sizeof(u->shell), "%s", shell && shell[0] ? shell : "/bin/sh");
}

/* Names the task's submitter may not set: the backend sets them. */
static bool reserved_env(const char *entry) {
    static const char *const names[] = {
        "CUDA_VISIBLE_DEVICES=", "NVIDIA_VISIBLE_DEVICES=", "CUDA_DEVICE_ORDER="};
    if (strncmp(entry, "ALLOT_", 6) == 0)
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strncmp(entry, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

struct env {
    char **v;
    size_t n;
};

static void env_push(struct env *e, char *entry) {
    e->v = al__xrealloc(e->v, (e->n + 2) * sizeof(*e->v));
    e->v[e->n++] = entry;
    e->v[e->n] = NULL;
}

static void env_add(struct env *e, const char *key, const char *value) {
    size_t len = strlen(key) + strlen(value) + 2;
    char *entry = al__xmalloc(len);
    snprintf(entry, len, "%s=%s", key, value);
    env_push(e, entry);
}

/* The submitter's variables, less the reserved ones. */
static void env_add_submitted(struct env *e, const char *const *vars) {
    for (size_t i = 0; vars && vars[i]; i++)
        if (!reserved_env(vars[i]))
            env_push(e, al__xstrdup(vars[i]));
}

/* The share of each device the task may use ("0.500"), or "" for none. */
static void shared_fraction(const struct al__inventory *inv, const struct al__task_start *s,
                            char *fraction, size_t size) {
    const struct al__node *node = &inv->nodes[s->node];
    int32_t device_mib = s->gpu_count > 0 && (size_t)s->gpus[0] < node->gpu_count
                             ? node->gpus[s->gpus[0]].memory_mib
                             : 0;
    fraction[0] = '\0';
    if (s->gpu_milli > 0) {
        snprintf(fraction, size, "%d.%03d", s->gpu_milli / 1000, s->gpu_milli % 1000);
    } else if (s->gpu_memory_mib > 0 && device_mib > 0) {
        int64_t milli = al_gpu_memory_milli(s->gpu_memory_mib, device_mib);
        snprintf(fraction, size, "%d.%03d", (int)(milli / 1000), (int)(milli % 1000));
    }
}

/* The value of `key` the task's own variables give it (s->env over s->exported_env), or NULL. */
static const char *submitted_value(const struct al__task_start *s, const char *key) {
    const char *const *lists[] = {s->env, s->exported_env};
    size_t n = strlen(key);
    for (size_t l = 0; l < 2; l++) {
        const char *found = NULL;
        for (size_t i = 0; lists[l] && lists[l][i]; i++)
            if (strncmp(lists[l][i], key, n) == 0 && lists[l][i][n] == '=')
                found = lists[l][i] + n + 1;
        if (found)
            return found;
    }
    return NULL;
}

/* The library and its variables, for a task holding a share (over the task's own LD_PRELOAD). */
static void env_add_cuda(struct env *e, const struct al__task_start *s,
                         const struct al__enforce_env *limits, const char *library) {
    char *preload = al__enforce_preload(library, submitted_value(s, "LD_PRELOAD"));
    env_add(e, "LD_PRELOAD", preload);
    free(preload);
    env_add(e, "ALLOT_TASK_LEDGER", limits->ledger);
    if (limits->device_ledger[0])
        env_add(e, "ALLOT_GPU_DEVICE_LEDGER", limits->device_ledger);
}

/* The task's devices, node and identity. */
static void env_add_own(struct env *e, const struct al__inventory *inv,
                        const struct al__task_start *s, const struct al__task_cuda *cuda) {
    char devices[64 * 12] = "", number[32], fraction[32];
    struct al__enforce_env limits;
    size_t used = 0;
    for (size_t i = 0; i < s->gpu_count && used < sizeof(devices); i++)
        used += (size_t)snprintf(devices + used, sizeof(devices) - used, "%s%d", i ? "," : "",
                                 (int)s->gpus[i]);
    env_add(e, "CUDA_VISIBLE_DEVICES", devices);
    env_add(e, "NVIDIA_VISIBLE_DEVICES", s->gpu_count ? devices : "none");
    env_add(e, "CUDA_DEVICE_ORDER", "PCI_BUS_ID");
    env_add(e, "ALLOT_WORKLOAD", s->workload);
    env_add(e, "ALLOT_PROJECT", s->project);
    env_add(e, "ALLOT_NODE", inv->nodes[s->node].name);
    snprintf(number, sizeof(number), "%d", (int)s->key.index);
    env_add(e, "ALLOT_TASK_INDEX", number);
    snprintf(number, sizeof(number), "%d", (int)s->workers);
    env_add(e, "ALLOT_WORKERS", number);
    if (s->subgroup) /* so that one command can play each subgroup's part */
        env_add(e, "ALLOT_SUBGROUP", s->subgroup);
    if (s->mig_instances) /* "1g.10gb:0,1g.10gb:1", numbered by allotd (--mig-layout) */
        env_add(e, "ALLOT_MIG_INSTANCES", s->mig_instances);
    shared_fraction(inv, s, fraction, sizeof(fraction));
    al__enforce_env_of(&inv->nodes[s->node], s, cuda ? cuda->scope : NULL, &limits);
    if (fraction[0])
        env_add(e, "ALLOT_GPU_FRACTION", fraction);
    if (limits.memory_limit_mib[0])
        env_add(e, "ALLOT_GPU_MEMORY_LIMIT_MIB", limits.memory_limit_mib);
    if (limits.memory_request_mib[0])
        env_add(e, "ALLOT_GPU_MEMORY_REQUEST_MIB", limits.memory_request_mib);
    if (al__task_cuda_applies(cuda, s))
        env_add_cuda(e, s, &limits, cuda->library);
}

bool al__task_cuda_applies(const struct al__task_cuda *cuda, const struct al__task_start *s) {
    return cuda && cuda->library && s->enforce && al__enforce_shares(s);
}

char **al__task_env(const struct al__task_user *u, const struct al__inventory *inv,
                    const struct al__task_start *s, const struct al__task_cuda *cuda) {
    struct env e = {NULL, 0};
    const char *mark = getenv(TEST_RUN_MARK);
    env_add(&e, "PATH", AL__BASE_PATH);
    env_add(&e, "HOME", u->home);
    if (u->name[0]) {
        env_add(&e, "USER", u->name);
        env_add(&e, "LOGNAME", u->name);
    }
    env_add(&e, "SHELL", u->shell);
    if (s->terminal)
        env_add(&e, "TERM", "xterm-256color"); /* as under docker run -t */
    env_add_submitted(&e, s->exported_env);
    if (s->account) { /* the submitter's machine's HOME and USER are not this account's */
        env_add(&e, "HOME", u->home);
        env_add(&e, "USER", u->name);
        env_add(&e, "LOGNAME", u->name);
    }
    env_add_submitted(&e, s->env);
    if (s->workdir)
        env_add(&e, "PWD", s->workdir);
    env_add_own(&e, inv, s, cuda);
    if (mark)
        env_add(&e, TEST_RUN_MARK, mark);
    return e.v;
}

void al__task_env_free(char **env) {
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}
