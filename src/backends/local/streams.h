/* streams.h - private to the local backend: the streams it opens to a running task (see
 * backend.h, `stream`): attach and exec through the unix socket the task's supervisor listens
 * on, port-forward as a TCP connection to a port the task's own processes listen on. */
#ifndef ALLOT_BACKENDS_LOCAL_STREAMS_H
#define ALLOT_BACKENDS_LOCAL_STREAMS_H

#include <stddef.h>

#include "backends/backend.h"
#include "backends/local/local.h"

/*
 * al__local_supervisor_connect - connects to the supervisor's socket at sock_path and sends the
 * stream's first frame (attach, or exec with r's command). Returns 0 with *fd (blocking,
 * close-on-exec), -AL_ENOENT when the supervisor takes no streams (its task ended, or an
 * allotd before streams started it) or -AL_EIO, with err.
 */
int al__local_supervisor_connect(const char *sock_path, const struct al__stream_request *r, int *fd,
                                 char *err, size_t size);

/*
 * al__local_port_connect - a TCP connection to `port` where a process of the task led by `task`
 * (its process group or session, al__proc_members) listens: its address, or loopback where it
 * listens on every address. Reaches no port the task does not listen on: port-forward is not a
 * way into this machine's other services. Returns 0 with *fd, -AL_ENOENT when none of the
 * task's processes listens on the port, or -AL_EIO when the connection failed, with err.
 */
int al__local_port_connect(const struct al__proc *task, int port, int *fd, char *err, size_t size);

#endif
