/* terminal.c - the pseudo-terminals of a task: the one its command runs under, and one per exec
 * command that asks for it (see serve.h). */
#define _GNU_SOURCE /* posix_openpt, ptsname_r */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "backends/local/supervisor/serve.h"

int al__terminal_new(int *master, char *path, size_t size) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return -1;
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, path, size) != 0 ||
        fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK) != 0) {
        int e = errno;
        close(m);
        errno = e;
        return -1;
    }
    ioctl(m, TIOCSWINSZ, &ws);
    *master = m;
    return 0;
}

int al__terminal_take(int *master, int *slave) {
    char path[128];
    int m;
    if (al__terminal_new(&m, path, sizeof(path)) < 0)
        return -1;
    /* Opened by a session leader without one, it becomes its controlling terminal: the command
     * (and a shell's jobs) get job control, and ^C reaches its foreground process group. */
    int s = open(path, O_RDWR);
    if (s < 0 || ioctl(s, TIOCSCTTY, 0) != 0) {
        int e = errno;
        if (s >= 0)
            close(s);
        close(m);
        errno = e;
        return -1;
    }
    *master = m;
    *slave = s;
    return 0;
}

void al__terminal_resize(int master, const unsigned char *payload, size_t len) {
    if (master < 0 || len != 4)
        return;
    struct winsize ws = {.ws_row = al__frame_get_u16(payload),
                         .ws_col = al__frame_get_u16(payload + 2)};
    if (ws.ws_row > 0 && ws.ws_col > 0)
        ioctl(master, TIOCSWINSZ, &ws); /* the foreground group gets SIGWINCH */
}
