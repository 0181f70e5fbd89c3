/* stream_tls.c - a stream over HTTPS, carried between libcurl's TLS connection and a socket
 * pair by a thread (see stream_tls.h). */
#define _GNU_SOURCE /* MSG_NOSIGNAL, pipe2 */
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
    const struct al__cli *cli; /* borrowed while the handshake runs */
    CURL *curl;
    curl_socket_t sock; /* the TLS connection's socket (curl's) */
    int local;          /* the thread's end of the socket pair */
    int stop[2];        /* a pipe: written once, the thread ends */
    pthread_t thread;
    struct buffered up, down; /* to allotd, from allotd */
    struct al__cli_pin pin;
    char errbuf[CURL_ERROR_SIZE];
    /* the handshake's outcome, for the opener */
    pthread_mutex_t lock;
    pthread_cond_t answered;
    bool ready;
    int status; /* 0, -1 (no connection) or -2 (a certificate not trusted) */
    char why[768];
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

/* The stream's bytes both ways until both have ended or the stop pipe is written. */
static void carry(struct al__cli_tls_stream *s) {
    fcntl(s->local, F_SETFL, fcntl(s->local, F_GETFL) | O_NONBLOCK);
    while (!(s->up.passed && s->down.passed)) {
        bool moved = false, up_blocked = false, down_blocked = false;
        if (!local_read(s, &moved) || !tls_write(s, &moved, &up_blocked) || !tls_read(s, &moved) ||
            !local_write(s, &moved, &down_blocked))
            break;
        if (moved)
            continue;
        struct pollfd p[3] = {
            {s->local,
             (short)((!s->up.eof && !s->up.len ? POLLIN : 0) | (down_blocked ? POLLOUT : 0)), 0},
            {s->sock,
             (short)((!s->down.eof && !s->down.len ? POLLIN : 0) | (up_blocked ? POLLOUT : 0)), 0},
            {s->stop[0], POLLIN, 0}};
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (p[2].revents || ((p[0].revents | p[1].revents) & POLLNVAL))
            break;
    }
}

/* The connection and its handshake, trusting allotd's certificate as every request does:
 * 0, or -1 / -2 with s->why (see al__cli_tls_stream_open). */
static int handshake(struct al__cli_tls_stream *s) {
    const struct al__cli *cli = s->cli;
    s->curl = al__cli_check(curl_easy_init());
    curl_easy_setopt(s->curl, CURLOPT_URL, cli->conn.server);
    curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
    /* one connection per handle: no session to resume */
    curl_easy_setopt(s->curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    al__cli_tls_setup(s->curl, cli, &s->pin);
    CURLcode rc = curl_easy_perform(s->curl);
    const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
    if (rc != CURLE_OK) {
        if (al__cli_tls_explain(cli, rc, detail, &s->pin, s->why, sizeof(s->why)))
            return -2;
        snprintf(s->why, sizeof(s->why), "%s", detail);
        return -1;
    }
    if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &s->sock) != CURLE_OK ||
        s->sock == CURL_SOCKET_BAD) {
        snprintf(s->why, sizeof(s->why), "cannot find the stream's connection");
        return -1;
    }
    return 0;
}

/*
 * The thread: everything TLS happens here - the handshake, the bytes, the cleanup - so that
 * what OpenSSL keeps per thread is freed when it ends, before its join returns (a thread that
 * opened a stream may itself end just before its process does: port-forward's).
 */
static void *run(void *arg) {
    struct al__cli_tls_stream *s = arg;
    int status = handshake(s);
    pthread_mutex_lock(&s->lock);
    s->status = status;
    s->ready = true;
    pthread_cond_signal(&s->answered);
    pthread_mutex_unlock(&s->lock);
    if (status == 0)
        carry(s);
    curl_easy_cleanup(s->curl);
    return NULL;
}

/* Frees s and closes its descriptors (-1: none). */
static void stream_free(struct al__cli_tls_stream *s) {
    for (int i = 0; i < 3; i++) {
        int fd = i == 0 ? s->local : s->stop[i - 1];
        if (fd >= 0)
            close(fd);
    }
    pthread_cond_destroy(&s->answered);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int al__cli_tls_stream_open(const struct al__cli *cli, struct al__cli_tls_stream **out, char *why,
                            size_t wsize) {
    struct al__cli_tls_stream *s = al__xcalloc(1, sizeof(*s));
    int pair[2] = {-1, -1};
    s->cli = cli;
    s->stop[0] = s->stop[1] = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->answered, NULL);
    bool made = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0 &&
                pipe2(s->stop, O_CLOEXEC) == 0;
    s->local = pair[1];
    if (!made) {
        snprintf(why, wsize, "cannot set up the stream's connection: %s", strerror(errno));
        if (pair[0] >= 0)
            close(pair[0]);
        stream_free(s);
        return -1;
    }
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        snprintf(why, wsize, "cannot start a thread for the stream");
        close(pair[0]);
        stream_free(s);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->ready)
        pthread_cond_wait(&s->answered, &s->lock);
    pthread_mutex_unlock(&s->lock);
    s->cli = NULL;
    if (s->status == 0) {
        *out = s;
        return pair[0];
    }
    int status = s->status;
    snprintf(why, wsize, "%s", s->why);
    pthread_join(s->thread, NULL);
    close(pair[0]);
    stream_free(s);
    return status;
}

void al__cli_tls_stream_close(struct al__cli_tls_stream *s) {
    if (!s)
        return;
    char byte = 1;
    if (write(s->stop[1], &byte, 1) < 0) { /* a new pipe takes a byte */
    }
    pthread_join(s->thread, NULL);
    stream_free(s);
}
