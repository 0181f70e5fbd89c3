/* stream_tls.c - a stream over HTTPS, carried between libcurl's TLS connection and a socket
 * pair by a thread (see stream_tls.h). */
#define _GNU_SOURCE /* MSG_NOSIGNAL */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/stream_tls.h"
#include "cli/tls_client.h"
#include "cli/util.h"
#include "util/xalloc.h"

#define CONNECT_TIMEOUT_S 10
#define BUFFER            16384

/* One direction's bytes, read and not yet written. */
struct buffered {
    unsigned char data[BUFFER];
    size_t len, off;
    bool eof;    /* its source ended: passed on once the data is written */
    bool passed; /* ... and passed on */
};

struct al__cli_tls_stream {
    CURL *curl;
    curl_socket_t sock; /* the TLS connection's socket (curl's) */
    int local;          /* the thread's end of the socket pair */
    pthread_t thread;
    struct buffered up, down; /* to allotd, from allotd */
    struct al__cli_pin pin;
    char errbuf[CURL_ERROR_SIZE];
};

/* The caller's end to `up`. false when the stream is over. */
static bool local_read(struct al__cli_tls_stream *s, bool *moved) {
    struct buffered *b = &s->up;
    if (b->eof || b->len)
        return true;
    ssize_t n = read(s->local, b->data, sizeof(b->data));
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    *moved = true;
    if (n == 0)
        b->eof = true;
    b->len = (size_t)n;
    b->off = 0;
    return true;
}

/* `up` to allotd; its end passed on as the end of the TCP connection's sending side. */
static bool tls_write(struct al__cli_tls_stream *s, bool *moved, bool *blocked) {
    struct buffered *b = &s->up;
    while (b->off < b->len) {
        size_t sent = 0;
        CURLcode rc = curl_easy_send(s->curl, b->data + b->off, b->len - b->off, &sent);
        if (rc == CURLE_AGAIN) {
            *blocked = true;
            return true;
        }
        if (rc != CURLE_OK)
            return false;
        b->off += sent;
        *moved = true;
    }
    b->len = b->off = 0;
    if (b->eof && !b->passed) {
        shutdown(s->sock, SHUT_WR);
        b->passed = true;
    }
    return true;
}

/* allotd to `down`. TLS keeps whole records: everything it has is taken before polling. */
static bool tls_read(struct al__cli_tls_stream *s, bool *moved) {
    struct buffered *b = &s->down;
    if (b->eof || b->len)
        return true;
    size_t n = 0;
    CURLcode rc = curl_easy_recv(s->curl, b->data, sizeof(b->data), &n);
    if (rc == CURLE_AGAIN)
        return true;
    *moved = true;
    if (rc != CURLE_OK || n == 0)
        b->eof = true; /* an error ends it too, after what came */
    b->len = rc == CURLE_OK ? n : 0;
    b->off = 0;
    return true;
}

/* `down` to the caller's end; its end passed on as the end of the pair's sending side. */
static bool local_write(struct al__cli_tls_stream *s, bool *moved, bool *blocked) {
    struct buffered *b = &s->down;
    while (b->off < b->len) {
        ssize_t n = send(s->local, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            *blocked = true;
            return true;
        }
        if (n < 0)
            return false;
        b->off += (size_t)n;
        *moved = true;
    }
    b->len = b->off = 0;
    if (b->eof && !b->passed) {
        shutdown(s->local, SHUT_WR);
        b->passed = true;
    }
    return true;
}

static void *carry(void *arg) {
    struct al__cli_tls_stream *s = arg;
    fcntl(s->local, F_SETFL, fcntl(s->local, F_GETFL) | O_NONBLOCK);
    /* until both ends have ended (the caller's end closed ends it too: its writes fail) */
    while (!(s->up.passed && s->down.passed)) {
        bool moved = false, up_blocked = false, down_blocked = false;
        if (!local_read(s, &moved) || !tls_write(s, &moved, &up_blocked) || !tls_read(s, &moved) ||
            !local_write(s, &moved, &down_blocked))
            break;
        if (moved)
            continue;
        struct pollfd p[2] = {
            {s->local,
             (short)((!s->up.eof && !s->up.len ? POLLIN : 0) | (down_blocked ? POLLOUT : 0)), 0},
            {s->sock,
             (short)((!s->down.eof && !s->down.len ? POLLIN : 0) | (up_blocked ? POLLOUT : 0)), 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if ((p[0].revents | p[1].revents) & POLLNVAL)
            break;
    }
    return NULL;
}

int al__cli_tls_stream_open(const struct al__cli *cli, struct al__cli_tls_stream **out, char *why,
                            size_t wsize) {
    struct al__cli_tls_stream *s = al__xcalloc(1, sizeof(*s));
    int pair[2] = {-1, -1};
    s->curl = al__cli_check(curl_easy_init());
    curl_easy_setopt(s->curl, CURLOPT_URL, cli->conn.server);
    curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
    al__cli_tls_setup(s->curl, cli, &s->pin);
    CURLcode rc = curl_easy_perform(s->curl);
    const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
    int status = -1;
    if (rc != CURLE_OK) {
        if (al__cli_tls_explain(cli, rc, detail, &s->pin, why, wsize))
            status = -2;
        else
            snprintf(why, wsize, "%s", detail);
    } else if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &s->sock) != CURLE_OK ||
               s->sock == CURL_SOCKET_BAD ||
               socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        snprintf(why, wsize, "cannot set up the stream's connection: %s", strerror(errno));
    } else {
        s->local = pair[1];
        if (pthread_create(&s->thread, NULL, carry, s) == 0) {
            *out = s;
            return pair[0];
        }
        snprintf(why, wsize, "cannot start a thread for the stream");
    }
    if (pair[0] >= 0) {
        close(pair[0]);
        close(pair[1]);
    }
    curl_easy_cleanup(s->curl);
    free(s);
    return status;
}

void al__cli_tls_stream_close(struct al__cli_tls_stream *s) {
    if (!s)
        return;
    /* wakes the thread wherever it waits; its descriptors stay open until it is joined */
    shutdown(s->sock, SHUT_RDWR);
    shutdown(s->local, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->local);
    curl_easy_cleanup(s->curl);
    free(s);
}
