/* http.h - allotd's HTTP server (libmicrohttpd, a pool of threads over epoll): size-limited bodies,
 * bearer-token checks, /healthz, /metrics, and everything under /api/v1/ handed to the router;
 * every answer counted in the metrics (metrics.h). */
#ifndef ALLOT_DAEMON_HTTP_H
#define ALLOT_DAEMON_HTTP_H

#include <stddef.h>

#include "daemon/daemon.h"
#include "daemon/tls.h"

#define AL__MAX_BODY (64 * 1024)

/*
 * al__http_start - listens on `listen` ("HOST:PORT", an IPv4 address; port 0 picks a free
 * one) and serves until al__http_stop(): HTTPS with `tls` (borrowed until then), plain HTTP
 * when it is NULL. *port_out gets the port bound. Returns 0, or -AL_EIO / -AL_EINVAL with a
 * message in err.
 */
int al__http_start(struct allotd *d, const char *listen, const struct al__tls *tls, int *port_out,
                   char *err, size_t size);

/* al__http_wake - parked streams look for something to send now rather than at their next
 * turn (an event was published). Takes the server's own lock only; accepts NULL. */
void al__http_wake(struct al__http *h);

/* al__http_stop - stops serving and frees the server; accepts a daemon that never started. */
void al__http_stop(struct allotd *d);

#endif
