/* serve.c - the supervisor's loop while its command runs (see serve.h): one poll over its
 * socket, its signalfd, the command's terminal, and each stream with the exec command behind it.
 * A slow attached client is dropped rather than allowed to hold the task's output up; an exec
 * command's output waits for its client instead. */
#define _GNU_SOURCE /* accept4, signalfd */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/local/supervisor/serve.h"
#include "backends/local/unix_path.h"

#define MAX_CONNS      16
#define RECENT_MAX     4096      /* the terminal's last output, shown to a client that attaches */
#define ATTACH_BACKLOG (1 << 20) /* output an attached client may fall behind by */
#define EXEC_WINDOW    65536     /* exec output waiting for its client before reading pauses */
#define INPUT_MAX      65536     /* input waiting for a terminal before reading pauses */
#define READ_CHUNK     16384
#define FLUSH_MS       1000 /* after the command ended: time to send clients what is left */
#define EXIT_REFUSED   126  /* the exit code of a stream refused before anything ran */

/* Bytes waiting to be written or parsed. */
struct bytes {
    unsigned char *p;
    size_t len, cap;
};

enum conn_kind { CONN_NEW, CONN_ATTACH, CONN_EXEC };

struct conn {
    int fd; /* -1 once closed */
    enum conn_kind kind;
    struct bytes in, out;
    bool closing; /* close once `out` is sent and the client has closed its side */
    bool sent;    /* closing, all is sent and our side is shut: what comes now is discarded */
    /* An exec: its process (pid 0 = none yet) and what waits for its input. */
    struct al__exec_io io;
    struct bytes to_command;
    bool close_input; /* its stdin closes once to_command is written */
    bool exited;
};

struct serve {
    const struct al__served *s;
    int signal_fd;
    bool ended; /* the command ended with `status` */
    int status;
    bool master_open; /* the terminal is read until it hangs up */
    unsigned char recent[RECENT_MAX];
    size_t recent_len;
    struct bytes to_master;
    struct conn *conns[MAX_CONNS];
    size_t count;
    struct al__sessions *sessions;
    int note_interval_s; /* the log index's (log_index.h) */
    int64_t next_note_ms;
};

static bool bytes_add(struct bytes *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *grown = realloc(b->p, cap);
        if (!grown)
            return false;
        b->p = grown;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return true;
}

static void bytes_drop(struct bytes *b, size_t n) {
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static void bytes_free(struct bytes *b) {
    free(b->p);
    *b = (struct bytes){NULL, 0, 0};
}

static void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int exit_code(int status) {
    return WIFEXITED(status)     ? WEXITSTATUS(status)
           : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                 : 1;
}

/* The client is gone (or dropped): an exec command behind it is hung up, as a terminal whose
 * window closed; the conn stays until that command is reaped. */
static void conn_close(struct conn *c) {
    close_fd(&c->fd);
    if (c->kind != CONN_EXEC)
        return;
    if (c->io.pid > 0 && !c->exited)
        kill(-c->io.pid, SIGHUP);
    close_fd(&c->io.term);
    close_fd(&c->io.in);
    close_fd(&c->io.out);
    close_fd(&c->io.err);
}

static void send_frame(struct conn *c, char type, const void *payload, size_t len) {
    unsigned char header[AL__FRAME_HEADER];
    if (c->fd < 0)
        return;
    al__frame_header(header, type, len);
    if (!bytes_add(&c->out, header, sizeof header) || !bytes_add(&c->out, payload, len) ||
        (c->kind == CONN_ATTACH && c->out.len > ATTACH_BACKLOG))
        conn_close(c); /* out of memory, or a client too slow to keep up with the task */
}

/* Output in frames of at most AL__FRAME_MAX. */
static void send_output(struct conn *c, char type, const unsigned char *p, size_t n) {
    for (size_t off = 0; off < n; off += AL__FRAME_MAX)
        send_frame(c, type, p + off, n - off < AL__FRAME_MAX ? n - off : AL__FRAME_MAX);
}

static void send_exit(struct conn *c, int status) {
    unsigned char code[4];
    al__frame_put_i32(code, exit_code(status));
    send_frame(c, AL__FRAME_EXIT, code, sizeof code);
    c->closing = true;
}

/* A stream that cannot be served: why, as error output, then exit code 126. */
static void refuse(struct conn *c, const char *why) {
    unsigned char code[4];
    char line[512];
    int n = snprintf(line, sizeof line, "allot: %s\n", why);
    send_frame(c, AL__FRAME_ERROR, line, n > 0 ? (size_t)n : 0);
    al__frame_put_i32(code, EXIT_REFUSED);
    send_frame(c, AL__FRAME_EXIT, code, sizeof code);
    c->closing = true;
}

static void session_note(struct serve *srv, pid_t pid) {
    struct al__sessions *s = srv->sessions;
    pid_t *grown = realloc(s->ids, (s->count + 1) * sizeof(*s->ids));
    if (grown) {
        s->ids = grown;
        s->ids[s->count++] = pid;
    }
}

static void exec_begin(struct serve *srv, struct conn *c, const unsigned char *p, size_t len) {
    struct al__exec_request r;
    char why[256];
    if (al__exec_decode(p, len, &r) < 0) {
        refuse(c, "malformed exec request");
        return;
    }
    c->kind = CONN_EXEC;
    if (al__exec_start(srv->s->plan, &r, &c->io) < 0) {
        snprintf(why, sizeof why, "cannot start %s: %s", r.argv[0], strerror(errno));
        c->io = (struct al__exec_io){0, -1, -1, -1, -1};
        refuse(c, why);
    } else {
        session_note(srv, c->io.pid);
    }
    al__exec_request_release(&r);
}

/* The first frame says what the stream is for. */
static void conn_begin(struct serve *srv, struct conn *c, char type, const unsigned char *p,
                       size_t len) {
    if (type == AL__FRAME_EXEC) {
        exec_begin(srv, c, p, len);
    } else if (type != AL__FRAME_ATTACH) {
        refuse(c, "a stream begins with an attach or an exec request");
    } else if (srv->s->master < 0) {
        refuse(c, "this task runs under no terminal (only a workspace's does): use exec");
    } else {
        c->kind = CONN_ATTACH;
        if (srv->recent_len)
            send_output(c, AL__FRAME_OUTPUT, srv->recent, srv->recent_len);
    }
}

static void conn_frame(struct serve *srv, struct conn *c, char type, const unsigned char *p,
                       size_t len) {
    if (c->kind == CONN_NEW) {
        conn_begin(srv, c, type, p, len);
    } else if (c->kind == CONN_ATTACH) {
        if (type == AL__FRAME_INPUT && !bytes_add(&srv->to_master, p, len))
            conn_close(c);
        else if (type == AL__FRAME_RESIZE)
            al__terminal_resize(srv->s->master, p, len);
    } else if (!c->exited) {
        if (type == AL__FRAME_INPUT && !bytes_add(&c->to_command, p, len))
            conn_close(c);
        else if (type == AL__FRAME_RESIZE)
            al__terminal_resize(c->io.term, p, len);
        else if (type == AL__FRAME_CLOSE)
            c->close_input = true;
    }
}

static void conn_read(struct serve *srv, struct conn *c) {
    unsigned char buf[READ_CHUNK];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0 && c->closing)
        return; /* the stream is over: what the client still sends is dropped */
    if (n <= 0 || !bytes_add(&c->in, buf, (size_t)n)) {
        conn_close(c);
        return;
    }
    size_t used = 0;
    for (;;) {
        char type;
        const unsigned char *payload;
        size_t len;
        long whole = al__frame_next(c->in.p + used, c->in.len - used, &type, &payload, &len);
        if (whole < 0) {
            conn_close(c);
            return;
        }
        if (whole == 0 || c->closing)
            break;
        conn_frame(srv, c, type, payload, len);
        if (c->fd < 0)
            return;
        used += (size_t)whole;
    }
    bytes_drop(&c->in, c->closing ? c->in.len : used);
}

static void conn_write(struct conn *c) {
    if (c->out.len) {
        ssize_t n = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            conn_close(c);
            return;
        }
        if (n > 0)
            bytes_drop(&c->out, (size_t)n);
    }
    /* Shut our side and wait for the client's end: closing a socket with input it has not read
     * resets the connection, and the client could lose the exit frame that is on its way. */
    if (c->closing && c->out.len == 0 && !c->sent) {
        shutdown(c->fd, SHUT_WR);
        c->sent = true;
    }
}

/* Writes what waits for a terminal or pipe; false when it is gone. */
static bool pending_write(int fd, struct bytes *b) {
    ssize_t n = write(fd, b->p, b->len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (n < 0)
        return false;
    bytes_drop(b, (size_t)n);
    return true;
}

static void recent_add(struct serve *srv, const unsigned char *p, size_t n) {
    if (n >= RECENT_MAX) {
        memcpy(srv->recent, p + n - RECENT_MAX, RECENT_MAX);
        srv->recent_len = RECENT_MAX;
        return;
    }
    if (srv->recent_len + n > RECENT_MAX) {
        size_t drop = srv->recent_len + n - RECENT_MAX;
        memmove(srv->recent, srv->recent + drop, srv->recent_len - drop);
        srv->recent_len -= drop;
    }
    memcpy(srv->recent + srv->recent_len, p, n);
    srv->recent_len += n;
}

/* The terminal's output: to the log, to what a client that attaches is shown first, and to
 * every attached client. False when there was nothing (it would block, or it hung up). */
static bool master_read(struct serve *srv) {
    unsigned char buf[READ_CHUNK];
    ssize_t n = read(srv->s->master, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            srv->master_open = false; /* EIO: nothing holds its other side */
        return false;
    }
    for (ssize_t off = 0; off < n;) { /* the log is stdout */
        ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
        if (w <= 0 && errno != EINTR)
            break;
        off += w > 0 ? w : 0;
    }
    recent_add(srv, buf, (size_t)n);
    for (size_t i = 0; i < srv->count; i++)
        if (srv->conns[i]->kind == CONN_ATTACH)
            send_output(srv->conns[i], AL__FRAME_OUTPUT, buf, (size_t)n);
    return true;
}

/* An exec command's output (fd is one of its ends); false when there was nothing. */
static bool exec_read(struct conn *c, int *fd, char type) {
    unsigned char buf[READ_CHUNK];
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            close_fd(fd); /* its end closed (a terminal: EIO) */
        return false;
    }
    send_output(c, type, buf, (size_t)n);
    return true;
}

static void exec_write(struct conn *c) {
    int *fd = c->io.term >= 0 ? &c->io.term : &c->io.in;
    if (*fd >= 0 && c->to_command.len && !pending_write(*fd, &c->to_command))
        bytes_free(&c->to_command);
    if (c->close_input && c->to_command.len == 0)
        close_fd(&c->io.in);
}

/* An exec command ended: what it wrote last, then its exit code. */
static void exec_ended(struct conn *c, int status) {
    c->exited = true;
    while (c->io.term >= 0 && exec_read(c, &c->io.term, AL__FRAME_OUTPUT))
        continue;
    while (c->io.out >= 0 && exec_read(c, &c->io.out, AL__FRAME_OUTPUT))
        continue;
    while (c->io.err >= 0 && exec_read(c, &c->io.err, AL__FRAME_ERROR))
        continue;
    close_fd(&c->io.term);
    close_fd(&c->io.in);
    close_fd(&c->io.out);
    close_fd(&c->io.err);
    send_exit(c, status);
}

static void reap(struct serve *srv) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == srv->s->command) {
            srv->ended = true;
            srv->status = status;
            continue;
        }
        for (size_t i = 0; i < srv->count; i++)
            if (srv->conns[i]->kind == CONN_EXEC && srv->conns[i]->io.pid == pid)
                exec_ended(srv->conns[i], status);
    }
}

/* SIGTERM under a terminal: hang it up, as closing a terminal window does - its foreground job
 * (a shell at its prompt has a group of its own) and the command get SIGHUP. */
static void hang_up(struct serve *srv) {
    pid_t fg = tcgetpgrp(srv->s->master);
    if (fg > 0 && fg != getpgrp()) {
        kill(-fg, SIGHUP);
        kill(-fg, SIGCONT);
    }
    kill(srv->s->command, SIGHUP);
    kill(srv->s->command, SIGCONT);
    for (size_t i = 0; i < srv->count; i++)
        if (srv->conns[i]->kind == CONN_EXEC && srv->conns[i]->io.pid > 0 && !srv->conns[i]->exited)
            kill(-srv->conns[i]->io.pid, SIGHUP);
}

static void signals_read(struct serve *srv) {
    struct signalfd_siginfo info;
    while (read(srv->signal_fd, &info, sizeof info) == (ssize_t)sizeof info)
        if (info.ssi_signo == SIGTERM && srv->s->master >= 0)
            hang_up(srv);
    reap(srv);
}

static void accept_conns(struct serve *srv) {
    while (srv->count < MAX_CONNS) {
        int fd = accept4(srv->s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->io = (struct al__exec_io){0, -1, -1, -1, -1};
        srv->conns[srv->count++] = c;
    }
}

/* Frees conns that are done: client gone, and no exec command left to reap. */
static void sweep(struct serve *srv) {
    size_t kept = 0;
    for (size_t i = 0; i < srv->count; i++) {
        struct conn *c = srv->conns[i];
        if (c->fd < 0 && (c->kind != CONN_EXEC || c->io.pid == 0 || c->exited)) {
            bytes_free(&c->in);
            bytes_free(&c->out);
            bytes_free(&c->to_command);
            free(c);
        } else {
            srv->conns[kept++] = c;
        }
    }
    srv->count = kept;
}

/* What one pollfd stands for. */
enum watch_kind { W_LISTEN, W_SIGNAL, W_MASTER, W_CONN, W_TERM, W_IN, W_OUT, W_ERR };

struct watches {
    struct pollfd fds[3 + 5 * MAX_CONNS];
    enum watch_kind kind[3 + 5 * MAX_CONNS];
    struct conn *conn[3 + 5 * MAX_CONNS];
    size_t n;
};

static void watch(struct watches *w, int fd, short events, enum watch_kind kind, struct conn *c) {
    if (fd < 0 || events == 0)
        return;
    w->fds[w->n] = (struct pollfd){fd, events, 0};
    w->kind[w->n] = kind;
    w->conn[w->n++] = c;
}

static void watch_conn(struct serve *srv, struct watches *w, struct conn *c) {
    bool input_full =
        c->kind == CONN_ATTACH ? srv->to_master.len >= INPUT_MAX : c->to_command.len >= INPUT_MAX;
    bool reading = c->closing ? c->sent : !input_full; /* once closing: the client's end */
    short writing = c->out.len || (c->closing && !c->sent) ? POLLOUT : 0;
    watch(w, c->fd, (short)((reading ? POLLIN : 0) | writing), W_CONN, c);
    if (c->kind != CONN_EXEC || c->exited)
        return;
    short output = c->out.len < EXEC_WINDOW ? POLLIN : 0;
    watch(w, c->io.term, (short)(output | (c->to_command.len ? POLLOUT : 0)), W_TERM, c);
    watch(w, c->io.out, output, W_OUT, c);
    watch(w, c->io.err, output, W_ERR, c);
    watch(w, c->io.in, c->to_command.len || c->close_input ? POLLOUT : 0, W_IN, c);
}

static void handle(struct serve *srv, enum watch_kind kind, struct conn *c, short ev) {
    switch (kind) {
    case W_LISTEN:
        accept_conns(srv);
        break;
    case W_SIGNAL:
        signals_read(srv);
        break;
    case W_MASTER:
        if (ev & (POLLIN | POLLHUP | POLLERR))
            master_read(srv);
        if ((ev & POLLOUT) && !pending_write(srv->s->master, &srv->to_master))
            bytes_free(&srv->to_master);
        break;
    case W_CONN:
        if (c->fd >= 0 && (ev & (POLLIN | POLLHUP | POLLERR)))
            conn_read(srv, c);
        if (c->fd >= 0 && (ev & POLLOUT))
            conn_write(c);
        break;
    case W_TERM:
        if (ev & (POLLIN | POLLHUP | POLLERR))
            exec_read(c, &c->io.term, AL__FRAME_OUTPUT);
        if (c->io.term >= 0 && (ev & POLLOUT))
            exec_write(c);
        break;
    case W_IN:
        exec_write(c);
        break;
    case W_OUT:
        exec_read(c, &c->io.out, AL__FRAME_OUTPUT);
        break;
    case W_ERR:
        exec_read(c, &c->io.err, AL__FRAME_ERROR);
        break;
    }
}

/* One poll over everything, and what it found handled. */
static void serve_once(struct serve *srv, int timeout_ms) {
    struct watches w = {.n = 0};
    watch(&w, srv->s->listen_fd, srv->count < MAX_CONNS && !srv->ended ? POLLIN : 0, W_LISTEN,
          NULL);
    watch(&w, srv->signal_fd, POLLIN, W_SIGNAL, NULL);
    watch(&w, srv->master_open ? srv->s->master : -1,
          (short)(POLLIN | (srv->to_master.len ? POLLOUT : 0)), W_MASTER, NULL);
    for (size_t i = 0; i < srv->count; i++)
        watch_conn(srv, &w, srv->conns[i]);
    if (poll(w.fds, (nfds_t)w.n, timeout_ms) > 0)
        for (size_t i = 0; i < w.n; i++)
            if (w.fds[i].revents)
                handle(srv, w.kind[i], w.conn[i], w.fds[i].revents);
    sweep(srv);
}

void al__serve_signals(bool terminal, sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    if (terminal)
        sigaddset(set, SIGTERM);
}

/* Says in the log why the task takes no streams (the task itself runs on). */
static void no_streams(const char *path, int e) {
    char line[4352];
    int n = snprintf(line, sizeof line, "allot: no attach or exec for this task: %s: %s\n", path,
                     strerror(e));
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) { /* the log is gone: nothing to do */
    }
}

int al__serve_listen(const char *path) {
    struct sockaddr_un sa;
    socklen_t len;
    int dir_fd, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || al__unix_address(path, &sa, &len, &dir_fd) < 0) {
        no_streams(path, errno);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    unlink(path);
    mode_t mask = umask(077); /* only allotd's user may connect */
    int rc = bind(fd, (struct sockaddr *)&sa, len);
    umask(mask);
    if (rc != 0 || listen(fd, MAX_CONNS) != 0) {
        no_streams(path, errno);
        close(fd);
        fd = -1;
    }
    if (dir_fd >= 0)
        close(dir_fd);
    return fd;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The command ended: its terminal's last output and its exit code go to attached clients, exec
 * commands still running are killed (their exit code follows once reaped), and clients get a
 * moment to take what is left. */
static void serve_end(struct serve *srv) {
    while (srv->s->master >= 0 && srv->master_open && master_read(srv))
        continue;
    srv->master_open = false;
    for (size_t i = 0; i < srv->count; i++) {
        struct conn *c = srv->conns[i];
        if (c->kind == CONN_EXEC && c->io.pid > 0 && !c->exited)
            kill(-c->io.pid, SIGKILL);
        else if (c->kind != CONN_EXEC)
            send_exit(c, srv->status);
    }
    for (int64_t until = now_ms() + FLUSH_MS; srv->count > 0 && now_ms() < until;)
        serve_once(srv, 50);
    for (size_t i = 0; i < srv->count; i++) {
        srv->conns[i]->exited = true; /* nothing is reaped any more */
        conn_close(srv->conns[i]);
    }
    sweep(srv);
}

/* Without a signalfd nothing can be served: the command is waited for. */
static int wait_command(pid_t command) {
    int status = 0;
    while (waitpid(command, &status, 0) < 0 && errno == EINTR)
        continue;
    return status;
}

/* Notes the log's length in the index when its time has come: again in a second while it grows,
 * then ever less often while it does not (as the wait before streams did). */
static void index_note(struct serve *srv) {
    if (!srv->s->index || now_ms() < srv->next_note_ms)
        return;
    bool grew = al__log_index_note(srv->s->index);
    srv->note_interval_s = grew ? 1
                           : srv->note_interval_s < AL__LOG_INDEX_MAX_INTERVAL_S
                               ? srv->note_interval_s * 2
                               : AL__LOG_INDEX_MAX_INTERVAL_S;
    srv->next_note_ms = now_ms() + 1000 * (int64_t)srv->note_interval_s;
}

static int index_wait_ms(const struct serve *srv) {
    if (!srv->s->index)
        return -1;
    int64_t left = srv->next_note_ms - now_ms();
    return left < 0 ? 0 : (int)left;
}

int al__serve(const struct al__served *s, struct al__sessions *sessions) {
    static struct serve srv; /* one per process; its buffers are not on the stack */
    sigset_t set;
    al__serve_signals(s->plan->terminal, &set);
    srv = (struct serve){.s = s, .master_open = s->master >= 0, .sessions = sessions};
    srv.note_interval_s = 1;
    srv.next_note_ms = now_ms() + 1000;
    srv.signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (srv.signal_fd < 0)
        return wait_command(s->command);
    reap(&srv); /* it may have ended already */
    while (!srv.ended) {
        serve_once(&srv, index_wait_ms(&srv));
        index_note(&srv);
    }
    serve_end(&srv);
    bytes_free(&srv.to_master);
    close(srv.signal_fd);
    return srv.status;
}
