/* relay.h - allotd's relays of attach, exec and port-forward streams: each copies bytes between a
 * client's upgraded connection and the task's side (a backend's socket) in a thread of its own,
 * reading none of them (the frames are between `allot` and the task). */
#ifndef ALLOT_DAEMON_RELAY_H
#define ALLOT_DAEMON_RELAY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define AL__RELAYS_MAX 256 /* streams open at once */

struct al__relay;

struct al__relays {
    pthread_mutex_t lock;
    int stop[2]; /* a pipe: written once, every relay ends */
    struct al__relay *list;
    size_t count; /* running */
};

/* al__relays_init - none yet. 0, or -1 when no pipe could be made. */
int al__relays_init(struct al__relays *r);

/* al__relays_full - whether AL__RELAYS_MAX are running. */
bool al__relays_full(struct al__relays *r);

/*
 * al__relay_start - relays between `client` (an upgraded connection: extra_len bytes of extra
 * came with its request and go to the task first) and `task` (closed at the end) in a thread of
 * its own. When it ends, close_client(arg) hands the client connection back. `tls`: the client
 * is carried over TLS by libmicrohttpd, which passes no end of a direction on; the relay then
 * ends when the task's side ends (al__pump_to_end), so that the client sees the end as the
 * connection closing. Takes both; on failure (-1: too many, or no thread) both are closed
 * already.
 */
int al__relay_start(struct al__relays *r, int client, int task, const char *extra, size_t extra_len,
                    bool tls, void (*close_client)(void *arg), void *arg);

/* al__relays_stop - ends every relay and waits for it (allotd is stopping). */
void al__relays_stop(struct al__relays *r);

#endif
