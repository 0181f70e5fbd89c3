/* pump.h - copies the bytes of a stream both ways between two connected sockets: allotd's relay
 * between a client and a task, and `allot workload port-forward` between a local connection and
 * allotd. */
#ifndef ALLOT_STREAM_PUMP_H
#define ALLOT_STREAM_PUMP_H

/*
 * al__pump - copies what a sends to b and what b sends to a (blocking or not: it polls) until
 * both directions have ended; the end of one direction (end of file) is passed on as
 * shutdown(SHUT_WR) on the other side. Ends early when either side fails (a reset) or when
 * stop_fd (-1: none) becomes readable. Leaves a and b open. Returns 0 when both directions
 * ended, -1 when it ended early.
 */
int al__pump(int a, int b, int stop_fd);

/*
 * al__pump_to_end - al__pump for an `a` that cannot pass an end on to its peer (a connection
 * libmicrohttpd carries over TLS forwards no shutdown either way): it ends once b has ended
 * and all b sent is written to a, whatever a still sends, so that a's owner can close it.
 */
int al__pump_to_end(int a, int b, int stop_fd);

/* al__write_all - writes all n bytes to fd (polling while it would block). 0, or -1. */
int al__write_all(int fd, const void *p, unsigned long n);

#endif
