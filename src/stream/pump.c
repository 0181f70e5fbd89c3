/* pump.c - a stream's bytes copied both ways between two sockets (see pump.h). */
#define _GNU_SOURCE /* MSG_NOSIGNAL */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream/pump.h"

#define BUFFER 65536

/* One direction: from `in` to `out`, through buf. */
struct way {
    int in, out;
    unsigned char buf[BUFFER];
    size_t len, off;
    bool eof;  /* `in` ended: passed on once buf is written */
    bool done; /* ... and passed on */
};

/* Reads what `in` has. false when it failed. */
static bool way_read(struct way *w) {
    ssize_t n = read(w->in, w->buf, sizeof(w->buf));
    if (n > 0) {
        w->len = (size_t)n;
        w->off = 0;
        return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return true;
    if (n < 0)
        return false; /* a reset: the stream is over */
    w->eof = true;
    return true;
}

/* Writes what buf holds; passes the end on once it is all written. false when it failed. */
static bool way_write(struct way *w) {
    if (w->off < w->len) {
        ssize_t n = send(w->out, w->buf + w->off, w->len - w->off, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK)
            n = write(w->out, w->buf + w->off, w->len - w->off);
        if (n < 0)
            return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
        w->off += (size_t)n;
    }
    if (w->off == w->len && w->eof && !w->done) {
        shutdown(w->out, SHUT_WR);
        w->done = true;
    }
    return true;
}

static short way_events_in(const struct way *w) {
    return !w->eof && w->off == w->len ? POLLIN : 0;
}

static short way_events_out(const struct way *w) {
    return w->off < w->len ? POLLOUT : 0;
}

/* The pollfd of one side: what it may read and what waits to be written to it (a side asked
 * for nothing is left out: its hang-up would wake the loop with nothing to do). */
static struct pollfd side_poll(int fd, const struct way *from, const struct way *to) {
    short events = (short)(way_events_in(from) | way_events_out(to));
    return (struct pollfd){events ? fd : -1, events, 0};
}

/* One pass over what poll said. false when the stream is over early. */
static bool pump_step(struct way *ab, struct way *ba, const struct pollfd p[2]) {
    for (int side = 0; side < 2; side++) {
        struct way *reader = side == 0 ? ab : ba, *writer = side == 0 ? ba : ab;
        short ev = p[side].revents;
        if ((ev & POLLNVAL) || ((ev & POLLERR) && !(ev & POLLIN)))
            return false;
        if ((ev & (POLLIN | POLLHUP)) && way_events_in(reader) && !way_read(reader))
            return false;
        if ((ev & (POLLOUT | POLLHUP)) && !way_write(writer))
            return false;
    }
    /* what was read goes out at once, and an end with nothing left is passed on */
    return way_write(ab) && way_write(ba);
}

static int pump(int a, int b, int stop_fd, bool b_end_ends) {
    struct way *ways = malloc(2 * sizeof(*ways)); /* 128 KiB: not on a thread's stack */
    if (!ways)
        return -1;
    struct way *ab = &ways[0], *ba = &ways[1];
    *ab = (struct way){.in = a, .out = b};
    *ba = (struct way){.in = b, .out = a};
    int rc = 0;
    while (rc == 0 && !(ab->done && ba->done) && !(b_end_ends && ba->done)) {
        struct pollfd p[3] = {side_poll(a, ab, ba), side_poll(b, ba, ab), {stop_fd, POLLIN, 0}};
        if (poll(p, stop_fd >= 0 ? 3 : 2, -1) < 0) {
            rc = errno == EINTR ? 0 : -1;
            continue;
        }
        if ((stop_fd >= 0 && p[2].revents) || !pump_step(ab, ba, p))
            rc = -1;
    }
    free(ways);
    return rc;
}

int al__pump(int a, int b, int stop_fd) {
    return pump(a, b, stop_fd, false);
}

int al__pump_to_end(int a, int b, int stop_fd) {
    return pump(a, b, stop_fd, true);
}

int al__write_all(int fd, const void *p, unsigned long n) {
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK)
            w = write(fd, c, n);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, -1);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (unsigned long)w;
    }
    return 0;
}
