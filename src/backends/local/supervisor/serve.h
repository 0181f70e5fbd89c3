/* serve.h - the supervisor while its command runs (serve.c): the socket allotd opens attach
 * and exec streams on, the command's terminal, and the exec commands (exec.c) and terminals
 * (terminal.c) it starts for them. */
#ifndef ALLOT_BACKENDS_LOCAL_SUPERVISOR_SERVE_H
#define ALLOT_BACKENDS_LOCAL_SUPERVISOR_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backends/local/supervisor/log_index.h"
#include "backends/local/supervisor/supervise.h"
#include "stream/frames.h"

/* What al__serve watches. */
struct al__served {
    const struct al__supervision *plan;
    pid_t command;
    int listen_fd;               /* the stream socket (al__serve_listen), -1 = none */
    int master;                  /* the command's terminal (al__terminal_take), -1 = none */
    struct al__log_index *index; /* noted while the command runs (log_index.h), or NULL */
};

/* The sessions of the exec commands a task ran: the supervisor ends what is left of them with
 * the task. */
struct al__sessions {
    pid_t *ids;
    size_t count;
};

/* al__serve_signals - the signals al__serve reads through a signalfd, to be blocked: SIGCHLD,
 * and SIGTERM under a terminal (it hangs the terminal up). */
void al__serve_signals(bool terminal, sigset_t *set);

/* al__serve_listen - listens on path (mode 0600; a stale socket there is replaced): the fd,
 * non-blocking and close-on-exec, or -1 after writing why to the log. */
int al__serve_listen(const char *path);

/*
 * al__serve - until the command has ended: copies its terminal's output (if it has one) to the
 * log and to attached clients, accepts streams on the socket (the first frame says which: attach
 * or exec, stream/frames.h), reaps children through a signalfd, and notes the log's growth in
 * the index (every second while it grows, less often while it does not). Once the command has
 * ended, sends its exit code to attached clients, kills exec commands still running and gives them
 * a moment to flush. Returns the command's wait status; *sessions gets the exec commands' sessions
 * (malloc'd, never freed: the supervisor exits next).
 */
int al__serve(const struct al__served *s, struct al__sessions *sessions);

/* al__terminal_take - a pseudo-terminal made the (session-leading) supervisor's controlling
 * terminal: *master (non-blocking, close-on-exec) and *slave (the command's stdio), 24 rows of
 * 80 columns. 0, or -1 with errno set. */
int al__terminal_take(int *master, int *slave);

/* al__terminal_new - a pseudo-terminal for an exec command: *master (non-blocking,
 * close-on-exec) and the path of its other side. 0, or -1 with errno set. */
int al__terminal_new(int *master, char *path, size_t size);

/* al__terminal_resize - a resize frame's payload (rows, columns) applied to a terminal. */
void al__terminal_resize(int master, const unsigned char *payload, size_t len);

/* An exec command's process and the ends of its input and output (-1 where there is none). */
struct al__exec_io {
    pid_t pid; /* leads a process group (and a session, under a terminal) of its own */
    int term;  /* its terminal's master: input and output */
    int in;    /* without a terminal: its stdin, stdout and stderr */
    int out;
    int err;
};

/*
 * al__exec_start - starts r's command in the task's environment (the supervisor's, with r->env
 * on top), directory and PATH: under a terminal of its own (a new session) or with pipes (a
 * process group of its own), dying with the supervisor. A command that cannot be run writes
 * why to its stderr and exits 127. Returns 0 with *io (parent ends non-blocking and
 * close-on-exec), or -1 with errno set (pipes, terminal or fork failed).
 */
int al__exec_start(const struct al__supervision *plan, const struct al__exec_request *r,
                   struct al__exec_io *io);

#endif
