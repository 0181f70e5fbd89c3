/* streams.c - attach, exec and port-forward streams to a task of the local backend (see
 * streams.h). The supervisor's socket is in the state directory's run/ (0700) with mode 0600:
 * only allotd's user reaches it, and the API decides who may ask allotd. */
#define _GNU_SOURCE /* DIR, readlink */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "allot/errors.h"
#include "backends/local/proc_stat.h"
#include "backends/local/streams.h"
#include "backends/local/unix_path.h"
#include "stream/frames.h"
#include "stream/pump.h"

#define MAX_LISTENERS 16

int al__local_supervisor_connect(const char *sock_path, const struct al__stream_request *r, int *fd,
                                 char *err, size_t size) {
    struct sockaddr_un sa;
    socklen_t len;
    int dir_fd, s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || al__unix_address(sock_path, &sa, &len, &dir_fd) < 0) {
        snprintf(err, size, "cannot reach the task's supervisor at %s: %s", sock_path,
                 strerror(errno));
        if (s >= 0)
            close(s);
        return -AL_EIO;
    }
    int rc = connect(s, (struct sockaddr *)&sa, len), e = errno;
    if (dir_fd >= 0)
        close(dir_fd);
    if (rc != 0) {
        close(s);
        snprintf(err, size, "the task's supervisor takes no streams (%s: %s)%s", sock_path,
                 strerror(e),
                 e == ENOENT ? ": the task has ended, or an allotd before streams started it" : "");
        return e == ENOENT || e == ECONNREFUSED ? -AL_ENOENT : -AL_EIO;
    }
    struct al__exec_request x = {r->tty, (char **)r->argv, (char **)r->env};
    size_t n = 0;
    unsigned char *payload = r->kind == AL__STREAM_EXEC ? al__exec_encode(&x, &n) : NULL;
    unsigned char header[AL__FRAME_HEADER];
    al__frame_header(header, r->kind == AL__STREAM_EXEC ? AL__FRAME_EXEC : AL__FRAME_ATTACH, n);
    if ((r->kind == AL__STREAM_EXEC && !payload) || al__write_all(s, header, sizeof header) < 0 ||
        (n && al__write_all(s, payload, n) < 0)) {
        snprintf(err, size, "%s",
                 payload || r->kind != AL__STREAM_EXEC
                     ? "the task's supervisor closed the stream"
                     : "the command is too long (64 KiB at most)");
        free(payload);
        close(s);
        return payload || r->kind != AL__STREAM_EXEC ? -AL_EIO : -AL_EINVAL;
    }
    free(payload);
    *fd = s;
    return 0;
}

/* A socket listening on the port: its inode and address. */
struct listener {
    unsigned long inode;
    int family;
    unsigned char addr[16];
};

/* "0100007F" or four such words: the address as the kernel printed it (each 32-bit word in the
 * machine's order). */
static bool hex_address(const char *hex, size_t words, unsigned char *out) {
    for (size_t i = 0; i < words; i++) {
        char word[9];
        memcpy(word, hex + 8 * i, 8);
        word[8] = '\0';
        char *end;
        uint32_t v = (uint32_t)strtoul(word, &end, 16);
        if (*end)
            return false;
        memcpy(out + 4 * i, &v, 4);
    }
    return true;
}

/* The listening sockets on `port` in /proc/net/tcp or tcp6, appended to out. */
static size_t listeners_read(const char *path, int family, int port, struct listener *out, size_t n,
                             size_t max) {
    FILE *f = fopen(path, "re");
    char line[512];
    if (!f)
        return n;
    while (n < max && fgets(line, sizeof line, f)) {
        char local[64], state[8];
        unsigned long inode;
        unsigned port_hex;
        if (sscanf(line, " %*s %63[0-9A-Fa-f]:%x %*s %7s %*s %*s %*s %*s %*s %lu", local, &port_hex,
                   state, &inode) != 4 ||
            (int)port_hex != port || strcmp(state, "0A") != 0 || inode == 0)
            continue; /* 0A: LISTEN */
        size_t words = family == AF_INET ? 1 : 4;
        struct listener l = {inode, family, {0}};
        if (strlen(local) == 8 * words && hex_address(local, words, l.addr))
            out[n++] = l;
    }
    fclose(f);
    return n;
}

/* Which listener a process of the task holds, looked for in its open files. */
struct holder {
    const struct listener *listeners;
    size_t count;
    const struct listener *found;
};

static void look_in(pid_t pid, void *arg) {
    struct holder *h = arg;
    char dir_path[64], link_path[320], target[64];
    snprintf(dir_path, sizeof dir_path, "/proc/%d/fd", (int)pid);
    DIR *dir = h->found ? NULL : opendir(dir_path);
    if (!dir)
        return;
    for (struct dirent *e; !h->found && (e = readdir(dir)) != NULL;) {
        snprintf(link_path, sizeof link_path, "%s/%s", dir_path, e->d_name);
        ssize_t n = readlink(link_path, target, sizeof target - 1);
        unsigned long inode;
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (sscanf(target, "socket:[%lu]", &inode) != 1)
            continue;
        for (size_t i = 0; i < h->count; i++)
            if (h->listeners[i].inode == inode)
                h->found = &h->listeners[i];
    }
    closedir(dir);
}

/* Connects to where l listens: its own address, or loopback for every address. */
static int connect_to(const struct listener *l, int port, int *fd, char *err, size_t size) {
    static const unsigned char any[16] = {0};
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (l->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        memcpy(&in->sin_addr, l->addr, 4);
        if (memcmp(l->addr, any, 4) == 0)
            in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        memcpy(&in6->sin6_addr, l->addr, 16);
        if (memcmp(l->addr, any, 16) == 0)
            in6->sin6_addr = in6addr_loopback;
        len = sizeof *in6;
    }
    int s = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&ss, len) != 0) {
        snprintf(err, size, "cannot connect to port %d: %s", port, strerror(errno));
        if (s >= 0)
            close(s);
        return -AL_EIO;
    }
    *fd = s;
    return 0;
}

int al__local_port_connect(const struct al__proc *task, int port, int *fd, char *err, size_t size) {
    struct listener listeners[MAX_LISTENERS];
    size_t n = listeners_read("/proc/net/tcp", AF_INET, port, listeners, 0, MAX_LISTENERS);
    n = listeners_read("/proc/net/tcp6", AF_INET6, port, listeners, n, MAX_LISTENERS);
    struct holder h = {listeners, n, NULL};
    if (n > 0)
        al__proc_members(task->pid, task->start_ticks, NULL, 0, look_in, &h);
    if (!h.found) {
        snprintf(err, size,
                 "no process of the task listens on port %d (port-forward reaches the task's own "
                 "ports only)",
                 port);
        return -AL_ENOENT;
    }
    return connect_to(h.found, port, fd, err, size);
}
