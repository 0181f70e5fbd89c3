/* stream_session.c - the terminal side of attach and exec (see stream_client.h): stdin to the
 * task as input frames, its output and error frames to stdout and stderr, the window size when
 * it changes, ^P ^Q to detach, and the terminal put back as it was. */
#define _GNU_SOURCE /* pipe2, cfmakeraw */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/stream_client.h"
#include "stream/frames.h"
#include "stream/pump.h"
#include "util/xalloc.h"

#define DETACH_FIRST  0x10 /* ^P */
#define DETACH_SECOND 0x11 /* ^Q */
#define CHUNK         16384

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig) {
    unsigned char b = (unsigned char)sig;
    int e = errno;
    if (write(signal_pipe[1], &b, 1) < 0) { /* full: a wake-up is pending already */
    }
    errno = e;
}

struct session {
    const struct al__cli_session *s;
    int fd;
    bool input_open, pending_first; /* a ^P read last, not sent yet */
    unsigned char *in;              /* frames read, not yet whole */
    size_t in_len, in_cap;
    bool done;
    int result; /* once done */
    int signal; /* the signal that ended it here */
};

static bool send_frame(int fd, char type, const void *payload, size_t len) {
    unsigned char header[AL__FRAME_HEADER];
    al__frame_header(header, type, len);
    return al__write_all(fd, header, sizeof header) == 0 &&
           (len == 0 || al__write_all(fd, payload, len) == 0);
}

static void send_size(struct session *ss) {
    struct winsize ws;
    unsigned char payload[4];
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
        return;
    al__frame_put_u16(payload, ws.ws_row);
    al__frame_put_u16(payload + 2, ws.ws_col);
    send_frame(ss->fd, AL__FRAME_RESIZE, payload, sizeof payload);
}

/* Typed bytes to the task; ^P ^Q (when detach keys apply) ends the session. */
static bool input_send(struct session *ss, const unsigned char *p, size_t n) {
    unsigned char out[CHUNK + 1];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ss->s->detach_keys) {
            out[k++] = p[i];
        } else if (ss->pending_first) {
            ss->pending_first = false;
            if (p[i] == DETACH_SECOND) {
                ss->result = AL__CLI_SESSION_DETACHED;
                ss->done = true;
                return true;
            }
            out[k++] = DETACH_FIRST;
            if (p[i] == DETACH_FIRST)
                ss->pending_first = true;
            else
                out[k++] = p[i];
        } else if (p[i] == DETACH_FIRST) {
            ss->pending_first = true;
        } else {
            out[k++] = p[i];
        }
        if (k >= CHUNK) {
            if (!send_frame(ss->fd, AL__FRAME_INPUT, out, k))
                return false;
            k = 0;
        }
    }
    return k == 0 || send_frame(ss->fd, AL__FRAME_INPUT, out, k);
}

static void input_read(struct session *ss) {
    unsigned char buf[CHUNK];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n > 0) {
        if (!input_send(ss, buf, (size_t)n))
            ss->done = true; /* lost */
        return;
    }
    ss->input_open = false;
    if (ss->s->close_input)
        send_frame(ss->fd, AL__FRAME_CLOSE, NULL, 0);
}

/* Frames from the task; false once the session is over (result set). */
static bool frames_take(struct session *ss, const unsigned char *p, size_t n) {
    al__xgrow(&ss->in, &ss->in_cap, ss->in_len + n + 1, 1);
    memcpy(ss->in + ss->in_len, p, n);
    ss->in_len += n;
    size_t used = 0;
    for (;;) {
        char type;
        const unsigned char *payload;
        size_t len;
        long whole = al__frame_next(ss->in + used, ss->in_len - used, &type, &payload, &len);
        if (whole <= 0) {
            if (whole < 0)
                return false; /* not a stream of frames: lost */
            break;
        }
        used += (size_t)whole;
        if (type == AL__FRAME_OUTPUT || type == AL__FRAME_ERROR)
            al__write_all(type == AL__FRAME_OUTPUT ? STDOUT_FILENO : STDERR_FILENO, payload, len);
        else if (type == AL__FRAME_EXIT && len == 4) {
            ss->result = al__frame_get_i32(payload);
            ss->done = true;
            return false;
        }
    }
    memmove(ss->in, ss->in + used, ss->in_len - used);
    ss->in_len -= used;
    return true;
}

static bool stream_read(struct session *ss) {
    unsigned char buf[CHUNK];
    ssize_t n = read(ss->fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    return n > 0 && frames_take(ss, buf, (size_t)n);
}

/* SIGWINCH sends the new size; SIGTERM, SIGHUP and SIGINT end the session (put back the
 * terminal, then go as the signal would have made us go). */
static void signals_watch(bool on) {
    static const int sigs[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

static void session_loop(struct session *ss) {
    while (!ss->done) {
        struct pollfd p[3] = {{ss->fd, POLLIN, 0},
                              {ss->input_open ? STDIN_FILENO : -1, POLLIN, 0},
                              {signal_pipe[0], POLLIN, 0}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[2].revents) {
            unsigned char sig;
            while (read(signal_pipe[0], &sig, 1) == 1) {
                if (sig != SIGWINCH) {
                    ss->result = AL__CLI_SESSION_SIGNALED;
                    ss->signal = sig;
                    return;
                }
                if (ss->s->raw)
                    send_size(ss);
            }
        }
        if (p[1].revents)
            input_read(ss);
        if (!ss->done && p[0].revents && !stream_read(ss))
            return;
    }
}

int al__cli_session_run(const struct al__cli_session *s, struct al__cli_opened *stream,
                        int *signal) {
    struct session ss = {s, stream->fd, true, false, NULL, 0, 0, false, AL__CLI_SESSION_LOST, 0};
    struct termios saved, raw;
    bool restore = s->raw && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (signal_pipe[0] < 0 && pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        signal_pipe[0] = signal_pipe[1] = -1;
    signals_watch(true);
    if (restore) {
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    if (s->raw)
        send_size(&ss);
    if (!stream->extra_len || frames_take(&ss, stream->extra, stream->extra_len))
        session_loop(&ss);
    if (restore)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    signals_watch(false);
    al__cli_stream_close(stream);
    free(ss.in);
    *signal = ss.signal;
    return ss.result;
}

int al__cli_session_exit(int rc, int signal, const char *workload, int64_t task, const char *what) {
    if (rc == AL__CLI_SESSION_DETACHED) {
        fprintf(stderr, "\ndetached from workload %s: task %" PRId64 " keeps running\n", workload,
                task);
        return AL__EXIT_OK;
    }
    if (rc == AL__CLI_SESSION_LOST) {
        fprintf(stderr, "\nallot: the connection to allotd ended before %s did\n", what);
        return AL__EXIT_UNAVAILABLE;
    }
    if (rc == AL__CLI_SESSION_SIGNALED)
        return 128 + signal;
    if (strcmp(what, "the task") == 0)
        fprintf(stderr, "\ntask %" PRId64 " of workload %s ended (exit code %d)\n", task, workload,
                rc);
    return rc;
}
