/* http_deadlines.h - the deadlines of connections that owe allotd a request: one that opened
 * must send its whole request within the head timeout, and one kept alive after a reply must
 * send the next within the idle timeout, however slowly its bytes trickle in (slowloris). */
#ifndef ALLOT_DAEMON_HTTP_DEADLINES_H
#define ALLOT_DAEMON_HTTP_DEADLINES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct al__watch; /* one connection's deadline */

struct al__deadlines {
    pthread_mutex_t lock;
    struct al__watch **watched; /* connections owing a request, unordered */
    size_t count, cap;
    int64_t head_ms, idle_ms;
};

/* al__deadlines_init / _release - an empty set; release frees what is left. */
void al__deadlines_init(struct al__deadlines *dl, int64_t head_s, int64_t idle_s);
void al__deadlines_release(struct al__deadlines *dl);

/* al__deadlines_open - a new connection on `fd`: it owes a request within head_s. The watch is
 * the caller's until al__deadlines_close(). */
struct al__watch *al__deadlines_open(struct al__deadlines *dl, int fd);

/* al__deadlines_served - the request has all arrived: no deadline while it is answered. */
void al__deadlines_served(struct al__deadlines *dl, struct al__watch *w);

/* al__deadlines_idle - the answer is sent and the connection kept: the next request is owed
 * within idle_s (nothing for a connection handed to a stream). */
void al__deadlines_idle(struct al__deadlines *dl, struct al__watch *w);

/* al__deadlines_upgraded - the connection became a stream: never watched again. */
void al__deadlines_upgraded(struct al__deadlines *dl, struct al__watch *w);

/* al__deadlines_close - the connection is closed (its fd still open): forgets and frees it. */
void al__deadlines_close(struct al__deadlines *dl, struct al__watch *w);

/* al__deadlines_expire - shuts down the socket of every connection past its deadline (the
 * server then sees it closed and frees it). O(watched). */
void al__deadlines_expire(struct al__deadlines *dl);

#endif
