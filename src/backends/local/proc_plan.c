/* proc_plan.c - prepares a task's environment and command paths (see proc_plan.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allot/errors.h"
#include "backends/local/account.h"
#include "backends/local/proc_plan.h"
#include "backends/local/supervisor/supervise.h"
#include "util/file_mode.h"

/* Used when the environment has no PATH, as glibc's execvp does. */
#define DEFAULT_PATH "/bin:/usr/bin"

static size_t key_len(const char *kv) {
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : strlen(kv);
}

static bool same_key(const char *a, const char *b) {
    size_t n = key_len(a);
    return n == key_len(b) && memcmp(a, b, n) == 0;
}

static bool overridden(const char *kv, char *const *env) {
    for (size_t i = 0; env && env[i]; i++)
        if (same_key(kv, env[i]))
            return true;
    return false;
}

static int oom(char *err, size_t size) {
    if (err && size)
        snprintf(err, size, "out of memory");
    return -AL_ENOMEM;
}

/* env with each name once: the last of a repeated one wins. */
static int env_merge(char *const *env, char ***out, char *err, size_t size) {
    size_t added = 0;
    for (size_t i = 0; env && env[i]; i++, added++) {
        if (!strchr(env[i], '=') || env[i][0] == '=') {
            if (err && size)
                snprintf(err, size, "env: \"%s\" is not KEY=VALUE", env[i]);
            return -AL_EINVAL;
        }
    }
    char **envp = malloc((added + 1) * sizeof *envp);
    if (!envp)
        return oom(err, size);
    size_t k = 0;
    for (size_t i = 0; i < added; i++)
        if (!overridden(env[i], env + i + 1))
            envp[k++] = env[i];
    envp[k] = NULL;
    *out = envp;
    return 0;
}

static const char *env_get(char *const *envp, const char *key) {
    size_t n = strlen(key);
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], key, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

static char *path_join(const char *dir, size_t dir_len, const char *name) {
    size_t name_len = strlen(name);
    char *p = malloc(dir_len + 1 + name_len + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, dir_len);
    p[dir_len] = '/';
    memcpy(p + dir_len + 1, name, name_len + 1);
    return p;
}

/* The paths to try for command: itself when it names a file, else each PATH entry's. */
static int paths_build(const char *command, const char *path, char ***out) {
    size_t n = 1;
    bool direct = strchr(command, '/') != NULL;
    for (const char *c = path; !direct && *c; c++)
        n += *c == ':';
    char **paths = calloc(n + 1, sizeof *paths);
    if (!paths)
        return -AL_ENOMEM;
    *out = paths;
    if (direct) {
        size_t len = strlen(command);
        paths[0] = malloc(len + 1);
        if (paths[0])
            memcpy(paths[0], command, len + 1);
        return paths[0] ? 0 : -AL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(path, ":");
        /* an empty entry means the current directory, as in execvp */
        paths[i] = len ? path_join(path, len, command) : path_join(".", 1, command);
        if (!paths[i])
            return -AL_ENOMEM;
        path += len + (path[len] == ':');
    }
    return 0;
}

/* The account as the supervisor's --uid, --gid and --groups. */
static void account_text(struct al__proc_plan *plan, const struct al__account *a) {
    size_t used = 0;
    snprintf(plan->uid_text, sizeof(plan->uid_text), "%lu", (unsigned long)a->uid);
    snprintf(plan->gid_text, sizeof(plan->gid_text), "%lu", (unsigned long)a->gid);
    for (size_t i = 0; i < a->group_count && used < sizeof(plan->groups_text); i++)
        used += (size_t)snprintf(plan->groups_text + used, sizeof(plan->groups_text) - used,
                                 "%s%lu", i ? "," : "", (unsigned long)a->groups[i]);
}

/* The command's LD_PRELOAD, under the name it travels by (see plan->preload). */
static int preload_carry(struct al__proc_plan *plan) {
    static const char carried[] = AL__SUPERVISOR_PRELOAD_ENV "=";
    for (size_t i = 0; plan->envp[i]; i++) {
        if (strncmp(plan->envp[i], "LD_PRELOAD=", 11) != 0)
            continue;
        size_t len = strlen(plan->envp[i] + 11);
        plan->preload = malloc(sizeof(carried) + len);
        if (!plan->preload) {
            al__proc_plan_release(plan);
            return -AL_ENOMEM;
        }
        memcpy(plan->preload, carried, sizeof(carried) - 1);
        memcpy(plan->preload + sizeof(carried) - 1, plan->envp[i] + 11, len + 1);
        plan->envp[i] = plan->preload; /* each name is once in envp */
    }
    return 0;
}

int al__proc_plan_init(struct al__proc_plan *plan, const struct al__launch *launch, char *err,
                       size_t size) {
    if (!launch || !launch->argv || !launch->argv[0] || !launch->argv[0][0] || !launch->log_path ||
        !launch->exit_path || !launch->supervisor) {
        if (err && size)
            snprintf(err, size,
                     "launch: a command, a log path, an exit path and a supervisor are required");
        return -AL_EINVAL;
    }
    memset(plan, 0, sizeof *plan);
    plan->argv = launch->argv;
    plan->null_fd = plan->log_fd = plan->sync_fd = -1;
    snprintf(plan->umask_text, sizeof(plan->umask_text), "%03o",
             (unsigned)al__file_mode_task_umask());
    if (launch->account)
        account_text(plan, launch->account);
    int rc = env_merge(launch->env, &plan->envp, err, size);
    if (rc < 0)
        return rc;
    if (preload_carry(plan) < 0)
        return oom(err, size);
    const char *path = env_get(plan->envp, "PATH");
    rc = paths_build(launch->argv[0], path ? path : DEFAULT_PATH, &plan->paths);
    if (rc < 0) {
        al__proc_plan_release(plan);
        return oom(err, size);
    }
    while (plan->paths[plan->path_count])
        plan->path_count++;
    if (plan->path_count > AL__SUPERVISOR_MAX_PATHS) {
        al__proc_plan_release(plan);
        if (err && size)
            snprintf(err, size, "env: PATH has more than %d entries", AL__SUPERVISOR_MAX_PATHS);
        return -AL_EINVAL;
    }
    return 0;
}

void al__proc_plan_release(struct al__proc_plan *plan) {
    for (size_t i = 0; plan->paths && plan->paths[i]; i++)
        free(plan->paths[i]);
    free(plan->paths);
    free(plan->envp);
    free(plan->preload);
    plan->preload = NULL;
    plan->paths = NULL;
    plan->envp = NULL;
}
