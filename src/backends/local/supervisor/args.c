/* args.c - the supervisor's command line (see supervise.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/local/supervisor/supervise.h"

static int refuse(char *err, size_t size, const char *what) {
    snprintf(err, size, "%s", what);
    return -1;
}

int al__supervision_parse(int argc, char **argv, char **envp, struct al__supervision *out,
                          char *err, size_t size) {
    size_t paths = 0;
    int i = 1;
    memset(out, 0, sizeof(*out));
    out->umask = -1;
    out->envp = envp;
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
