/* args.c - the supervisor's command line (see supervise.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/local/supervisor/supervise.h"

static int refuse(char *err, size_t size, const char *what) {
    snprintf(err, size, "%s", what);
    return -1;
}

/* A decimal id below 2^31 (the kernel's -1 is no id). */
static int id_parse(const char *text, unsigned long *out) {
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    unsigned long v = strtoul(text, &end, 10);
    if (*end || v > 0x7fffffffUL)
        return -1;
    *out = v;
    return 0;
}

/* "G1,G2,...": at most AL__SUPERVISOR_MAX_GROUPS ids. */
static int groups_parse(const char *text, struct al__supervision *out) {
    char id_text[16];
    out->group_count = 0;
    while (*text) {
        size_t len = strcspn(text, ",");
        unsigned long id;
        if (len == 0 || len >= sizeof(id_text) || out->group_count == AL__SUPERVISOR_MAX_GROUPS)
            return -1;
        memcpy(id_text, text, len);
        id_text[len] = '\0';
        if (id_parse(id_text, &id) < 0)
            return -1;
        out->groups[out->group_count++] = (gid_t)id;
        text += len + (text[len] == ',');
    }
    return 0;
}

/* The command's LD_PRELOAD back under its name (see AL__SUPERVISOR_PRELOAD_ENV); -1 when out of
 * memory. */
static int preload_restore(char **envp) {
    static const char carried[] = AL__SUPERVISOR_PRELOAD_ENV "=", name[] = "LD_PRELOAD=";
    for (size_t i = 0; envp && envp[i]; i++) {
        if (strncmp(envp[i], carried, sizeof(carried) - 1) != 0)
            continue;
        const char *value = envp[i] + sizeof(carried) - 1;
        size_t len = strlen(value);
        char *entry = malloc(sizeof(name) + len);
        if (!entry)
            return -1;
        memcpy(entry, name, sizeof(name) - 1);
        memcpy(entry + sizeof(name) - 1, value, len + 1);
        envp[i] = entry; /* kept for the supervisor's life */
    }
    return 0;
}

int al__supervision_parse(int argc, char **argv, char **envp, struct al__supervision *out,
                          char *err, size_t size) {
    size_t paths = 0;
    int i = 1;
    memset(out, 0, sizeof(*out));
    out->umask = -1;
    out->envp = envp;
    if (preload_restore(envp) < 0)
        return snprintf(err, size, "out of memory"), -1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--terminal") == 0) { /* the one flag without a value */
            out->terminal = true;
            i--;
            continue;
        }
        if (!value || !value[0])
            return snprintf(err, size, "%s: needs a value", flag), -1;
        if (strcmp(flag, "--exit") == 0) {
            out->exit_path = value;
        } else if (strcmp(flag, "--pid") == 0) {
            out->pid_path = value;
        } else if (strcmp(flag, "--workdir") == 0) {
            out->workdir = value;
        } else if (strcmp(flag, "--title") == 0) {
            out->title = value;
        } else if (strcmp(flag, "--index") == 0) {
            out->index_path = value;
        } else if (strcmp(flag, "--socket") == 0) {
            out->socket_path = value;
        } else if (strcmp(flag, "--umask") == 0) {
            char *end;
            long mask = strtol(value, &end, 8);
            if (*end || mask < 0 || mask > 0777)
                return refuse(err, size, "--umask: not an octal mode 0..777");
            out->umask = (int)mask;
        } else if (strcmp(flag, "--uid") == 0 || strcmp(flag, "--gid") == 0) {
            unsigned long id;
            if (id_parse(value, &id) < 0 || (flag[2] == 'u' && id == 0))
                return snprintf(err, size, "%s: not an unprivileged id", flag), -1;
            if (flag[2] == 'u') {
                out->uid = (uid_t)id;
                out->switch_user = true;
                snprintf(out->uid_text, sizeof(out->uid_text), "%lu", id);
            } else {
                out->gid = (gid_t)id;
            }
        } else if (strcmp(flag, "--groups") == 0) {
            if (groups_parse(value, out) < 0)
                return refuse(err, size, "--groups: not a list of group ids");
        } else if (strcmp(flag, "--hide") == 0) {
            if (value[0] != '/')
                return refuse(err, size, "--hide: not an absolute path");
            out->hide = value;
        } else if (strcmp(flag, "--path") == 0) {
            if (paths == AL__SUPERVISOR_MAX_PATHS)
                return refuse(err, size, "--path: too many candidate paths");
            out->paths[paths++] = value;
        } else {
            return snprintf(err, size, "%s: not an option", flag), -1;
        }
    }
    if (!out->exit_path)
        return refuse(err, size, "--exit: missing");
    if (out->switch_user && out->gid == 0)
        return refuse(err, size, "--uid needs --gid, an unprivileged group");
    if (paths == 0)
        return refuse(err, size, "--path: missing");
    if (i + 1 >= argc || !argv[i + 1][0])
        return refuse(err, size, "the command after \"--\" is missing");
    if (out->pid_path && (size_t)snprintf(out->pid_tmp, sizeof(out->pid_tmp), "%s.tmp",
                                          out->pid_path) >= sizeof(out->pid_tmp))
        return refuse(err, size, "--pid: too long");
    if ((size_t)snprintf(out->exit_copy, sizeof(out->exit_copy), "%s", out->exit_path) >=
        sizeof(out->exit_copy))
        return refuse(err, size, "--exit: too long");
    if (out->title)
        snprintf(out->title_copy, sizeof(out->title_copy), "%s", out->title); /* cut to fit */
    /* used after the title (exec commands, the socket's removal): copies */
    if (out->socket_path && (size_t)snprintf(out->socket_copy, sizeof(out->socket_copy), "%s",
                                             out->socket_path) >= sizeof(out->socket_copy))
        return refuse(err, size, "--socket: too long");
    if (out->workdir && (size_t)snprintf(out->workdir_copy, sizeof(out->workdir_copy), "%s",
                                         out->workdir) >= sizeof(out->workdir_copy))
        return refuse(err, size, "--workdir: too long");
    out->socket_path = out->socket_path ? out->socket_copy : NULL;
    out->workdir = out->workdir ? out->workdir_copy : NULL;
    out->argv = argv + i + 1;
    out->all_argv = argv;
    out->argc = argc;
    return 0;
}
