/* workload_port_forward.c - `allot workload port-forward`: a local TCP port whose connections
 * reach a port a running task listens on, each through a stream of its own through allotd
 * (a thread per connection), until interrupted. */
#define _GNU_SOURCE /* pipe2, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/stream_client.h"
#include "cli/util.h"
#include "stream/pump.h"
#include "util/xalloc.h"

#define MAX_CONNECTIONS 64
#define STOP_WAIT_MS    2000

struct options {
    const char *name, *project, *ports, *address;
    int64_t task;
    int local, remote;
};

/* "LOCAL:REMOTE", "PORT" (both the same) or ":REMOTE" (any free local port). */
static int ports_parse(const struct al__cli *cli, const char *text, struct options *o) {
    const char *colon = strchr(text, ':');
    char *end;
    long local = 0, remote;
    if (colon && colon != text) {
        local = strtol(text, &end, 10);
        if (end != colon || local < 0 || local > 65535)
            goto bad;
    }
    remote = strtol(colon ? colon + 1 : text, &end, 10);
    if (*end || end == (colon ? colon + 1 : text) || remote < 1 || remote > 65535)
        goto bad;
    o->local = colon ? (int)local : (int)remote;
    o->remote = (int)remote;
    return AL__CLI_RUN;
bad:
    return al__cli_usage_error(cli,
                               "LOCAL:REMOTE: '%s': ports are 1-65535 (REMOTE alone forwards the "
                               "same local port; LOCAL 0 or empty takes any free one)",
                               text);
}

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_positional(&a) && !o->name) {
            if (al__cli_args_name(&a, &o->name) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (al__cli_args_positional(&a) && !o->ports) {
            o->ports = a.arg;
        } else if (al__cli_args_is(&a, "-p", "--project")) {
            if (!(o->project = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--address")) {
            if (!(o->address = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--task")) {
            if (al__cli_args_integer(&a, 0, &o->task) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    int rc = al__cli_args_finish(&a, "workload", o->name);
    if (rc != AL__CLI_RUN)
        return rc;
    if (!o->ports)
        return al__cli_usage_error(cli, "no LOCAL:REMOTE ports given (e.g. 8080:8000)");
    return ports_parse(cli, o->ports, o);
}

/* The local socket: --address (default loopback) and port. -1 after saying why. */
static int listen_on(const char *address, int port, int *bound) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, address, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        len = sizeof *in;
    } else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof *in6;
    } else {
        fprintf(stderr, "allot: --address: '%s' is not an IP address\n", address);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        fprintf(stderr, "allot: cannot listen on %s port %d: %s\n", address, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *bound = ntohs(ss.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
    return fd;
}

/* The connections being forwarded, so that a stop can end them. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t ended;
    int fds[MAX_CONNECTIONS][2]; /* of the connections whose stream is open */
    size_t count;
    size_t threads; /* forwarding threads running */
} live = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0}}, 0, 0};

struct forward {
    const struct al__cli *cli;
    char path[1100];
    int local;
};

static void live_set(int local, int stream, bool add, bool thread_ends) {
    pthread_mutex_lock(&live.lock);
    for (size_t i = 0; i < live.count; i++)
        if (live.fds[i][0] == local) {
            live.fds[i][0] = live.fds[--live.count][0];
            live.fds[i][1] = live.fds[live.count][1];
        }
    if (add) {
        live.fds[live.count][0] = local;
        live.fds[live.count++][1] = stream;
    }
    if (thread_ends)
        live.threads--;
    pthread_cond_broadcast(&live.ended);
    pthread_mutex_unlock(&live.lock);
}

static void *forward_run(void *arg) {
    struct forward *f = arg;
    struct al__cli_opened stream;
    char why[768];
    if (al__cli_stream_open(f->cli, "GET", f->path, NULL, &stream, true, why) < 0) {
        fprintf(stderr, "allot: a connection was not forwarded: %s\n", why);
    } else {
        live_set(f->local, stream.fd, true, false);
        if (!stream.extra_len || al__write_all(f->local, stream.extra, stream.extra_len) == 0)
            al__pump(f->local, stream.fd, -1);
        al__cli_stream_close(&stream);
    }
    live_set(f->local, -1, false, true);
    close(f->local);
    free(f);
    return NULL;
}

static int stop_pipe[2] = {-1, -1};

static void on_stop(int sig) {
    unsigned char b = (unsigned char)sig;
    if (write(stop_pipe[1], &b, 1) < 0) { /* a stop is pending already */
    }
}

/* Ends every forwarded connection and waits a moment for their threads. */
static void live_end(void) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STOP_WAIT_MS / 1000;
    pthread_mutex_lock(&live.lock);
    for (size_t i = 0; i < live.count; i++) {
        shutdown(live.fds[i][0], SHUT_RDWR);
        shutdown(live.fds[i][1], SHUT_RDWR);
    }
    while (live.threads > 0 && pthread_cond_timedwait(&live.ended, &live.lock, &until) == 0)
        continue;
    pthread_mutex_unlock(&live.lock);
}

static void serve(const struct al__cli *cli, int listener, const char *path) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    for (;;) {
        struct pollfd p[2] = {{listener, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return;
        if (p[1].revents)
            return;
        int local = (p[0].revents & POLLIN) ? accept4(listener, NULL, NULL, SOCK_CLOEXEC) : -1;
        if (local < 0)
            continue;
        struct forward *f = al__xcalloc(1, sizeof(*f));
        *f = (struct forward){.cli = cli, .local = local};
        snprintf(f->path, sizeof f->path, "%s", path);
        pthread_t thread;
        pthread_mutex_lock(&live.lock);
        bool room = live.threads < MAX_CONNECTIONS;
        if (room && pthread_create(&thread, NULL, forward_run, f) == 0) {
            live.threads++;
            pthread_detach(thread);
        } else {
            fprintf(stderr, "allot: a connection was not forwarded: %d are open already\n",
                    MAX_CONNECTIONS);
            close(local);
            free(f);
        }
        pthread_mutex_unlock(&live.lock);
    }
}

/* Whether allotd's backend offers port-forward at all: asked before listening, with a plain GET
 * of the stream's path, which allotd answers 400 (send the upgrade) where it does. 0, or the
 * exit status after saying why not. */
static int offered(const struct al__cli *cli, const char *stream_path) {
    struct al__cli_reply reply;
    int rc = AL__EXIT_OK;

    if (al__cli_request(cli, "GET", stream_path, NULL, &reply) < 0 ||
        (reply.status != 400 && reply.message[0])) {
        al__cli_report(cli, &reply);
        rc = al__cli_failed();
    }
    al__cli_reply_release(&reply);
    return rc;
}

/* The workload and its task exist and the task runs: 0, or the exit status after saying why. */
static int task_check(const struct al__cli *cli, const struct options *o) {
    char suffix[128], path[1024];
    json_t *w = NULL;
    snprintf(suffix, sizeof suffix, "%s%s", o->project ? "?project=" : "",
             o->project ? o->project : "");
    if (al__cli_path(cli, path, sizeof path, "workloads", o->name, suffix) < 0)
        return AL__EXIT_USAGE;
    if (al__cli_call(cli, "GET", path, NULL, &w) < 0)
        return al__cli_failed();
    const json_t *t = json_array_get(json_object_get(w, "tasks"), (size_t)o->task);
    const char *state = al__cli_json_str(t, "state", NULL);
    int rc = AL__EXIT_OK;
    if (!t) {
        fprintf(stderr, "allot: --task: workload %s has no task %" PRId64 "\n", o->name, o->task);
        rc = AL__EXIT_USAGE;
    } else if (!state || strcmp(state, "running") != 0) {
        fprintf(stderr,
                "allot: task %" PRId64 " of workload %s is %s: port-forward needs a running task "
                "(field state)\n",
                o->task, o->name, state ? state : "?");
        rc = AL__EXIT_CONFLICT;
    }
    json_decref(w);
    return rc;
}

int al__cmd_workload_port_forward(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {NULL, NULL, NULL, "127.0.0.1", 0, 0, 0};
    char suffix[192], path[1024];
    int rc = options_parse(cli, argc, argv, &o), bound;

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!o.project)
        o.project = cli->conn.project;
    snprintf(suffix, sizeof(suffix), "/portforward?task=%" PRId64 "&port=%d%s%s", o.task, o.remote,
             o.project ? "&project=" : "", o.project ? o.project : "");
    if (al__cli_path(cli, path, sizeof(path), "workloads", o.name, suffix) < 0)
        return AL__EXIT_USAGE;
    if ((rc = task_check(cli, &o)) != AL__EXIT_OK || (rc = offered(cli, path)) != AL__EXIT_OK)
        return rc;
    int listener = listen_on(o.address, o.local, &bound);
    if (listener < 0)
        return AL__EXIT_FAIL;
    if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
        close(listener);
        return AL__EXIT_FAIL;
    }
    printf("Forwarding from %s:%d -> %d (task %" PRId64 " of workload %s)\n", o.address, bound,
           o.remote, o.task, o.name);
    fflush(stdout);
    serve(cli, listener, path);
    close(listener);
    live_end();
    return AL__EXIT_OK;
}
