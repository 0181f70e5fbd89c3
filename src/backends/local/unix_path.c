/* unix_path.c - unix socket addresses for paths of any length (see unix_path.h). */
#define _GNU_SOURCE /* O_PATH */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backends/local/unix_path.h"

int al__unix_address(const char *path, struct sockaddr_un *sa, socklen_t *len, int *dir_fd) {
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    *dir_fd = -1;
    size_t n = strlen(path);
    if (n < sizeof(sa->sun_path)) {
        memcpy(sa->sun_path, path, n + 1);
    } else {
        const char *slash = strrchr(path, '/');
        char dir[4096];
        if (!slash || (size_t)(slash - path) >= sizeof(dir))
            return -1;
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        int fd = open(slash == path ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        int w = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", fd, slash + 1);
        if (w < 0 || (size_t)w >= sizeof(sa->sun_path)) {
            close(fd);
            return -1;
        }
        *dir_fd = fd;
    }
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
    return 0;
}
