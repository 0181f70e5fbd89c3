/* stream_client.c - the upgrade to a stream, made by hand over TCP (see stream_client.h). */
#define _GNU_SOURCE /* getaddrinfo, strcasestr */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "allot/errors.h"
#include "cli/client.h"
#include "cli/stream_client.h"
#include "cli/util.h"
#include "stream/pump.h"
#include "util/xalloc.h"

#define HEAD_MAX    16384 /* an answer's head larger than this is no answer of allotd's */
#define BODY_MAX    (1 << 20)
#define ANSWER_WAIT 30000 /* ms */
#define PROTOCOL    "allot-stream/1"

/* host and port of an http:// or https:// server URL (*tls set for the latter). false (with
 * why) for anything else. */
static bool server_address(const char *server, char *host, size_t hsize, char *port, size_t psize,
                           bool *tls, char *why, size_t wsize) {
    const char *p = server;
    *tls = strncmp(p, "https://", 8) == 0;
    if (strncmp(p, "http://", 7) != 0 && !*tls) {
        snprintf(why, wsize,
                 "streams (attach, exec, port-forward) need allotd at an http:// or https:// "
                 "address, not %s",
                 server);
        return false;
    }
    p += *tls ? 8 : 7;
    const char *end = p + strcspn(p, "/"), *colon;
    if (*p == '[') { /* [IPv6]:port */
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            return snprintf(why, wsize, "%s: not a server address", server), false;
        snprintf(host, hsize, "%.*s", (int)(close - p - 1), p + 1);
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        snprintf(host, hsize, "%.*s", (int)((colon ? colon : end) - p), p);
    }
    snprintf(port, psize, "%.*s",
             colon  ? (int)(end - colon - 1)
             : *tls ? 3
                    : 2,
             colon  ? colon + 1
             : *tls ? "443"
                    : "80");
    return host[0] != '\0';
}

static int connect_to(const char *host, const char *port, char *why, size_t wsize) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *found = NULL;
    int e = getaddrinfo(host, port, &hints, &found), fd = -1;
    if (e != 0) {
        snprintf(why, wsize, "cannot find %s: %s", host, gai_strerror(e));
        return -1;
    }
    for (struct addrinfo *a = found; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            e = errno;
            close(fd);
            fd = -1;
            errno = e;
        }
    }
    if (fd < 0)
        snprintf(why, wsize, "%s", strerror(errno));
    freeaddrinfo(found);
    return fd;
}

/* The request's head and body. */
static char *request_text(const struct al__cli *cli, const char *method, const char *path,
                          const char *host, const char *payload, size_t *len) {
    size_t n = strlen(path) + strlen(host) + (payload ? strlen(payload) : 0) + 2048;
    char *text = al__xmalloc(n);
    snprintf(text, n,
             "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: allot/" AL__VERSION "\r\n"
             "Accept: application/json\r\nConnection: Upgrade\r\nUpgrade: " PROTOCOL "\r\n",
             method, path, host);
    if (cli->conn.token)
        al__cli_appendf(text, n, "Authorization: Bearer %s\r\n", cli->conn.token);
    if (payload)
        al__cli_appendf(text, n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                        strlen(payload));
    al__cli_appendf(text, n, "\r\n%s", payload ? payload : "");
    *len = strlen(text);
    return text;
}

/* Reads until the answer's head has come: its length (to the blank line), or -1. */
static long head_read(int fd, char *buf, size_t size, size_t *got) {
    *got = 0;
    while (*got + 1 < size) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, ANSWER_WAIT) <= 0)
            return -1;
        ssize_t n = read(fd, buf + *got, size - 1 - *got);
        if (n <= 0)
            return -1;
        *got += (size_t)n;
        buf[*got] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end)
            return end + 4 - buf;
    }
    return -1;
}

/* An error answer: its JSON body (Content-Length bytes) into the reply. */
static void error_answer(const struct al__cli *cli, int fd, const char *head, size_t head_len,
                         const char *rest, size_t rest_len, struct al__cli_reply *reply) {
    const char *cl = strcasestr(head, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    (void)head_len;
    if (want > BODY_MAX)
        want = BODY_MAX;
    char *body = al__xmalloc(want + 1);
    size_t have = rest_len < want ? rest_len : want;
    memcpy(body, rest, have);
    while (have < want) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n = poll(&p, 1, ANSWER_WAIT) > 0 ? read(fd, body + have, want - have) : -1;
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    reply->body = json_loadb(body, have, 0, NULL);
    free(body);
    al__cli_reply_explain(cli, reply);
}

void al__cli_stream_close(struct al__cli_opened *stream) {
    close(stream->fd);
    stream->fd = -1;
    al__cli_tls_stream_close(stream->tls);
    stream->tls = NULL;
    free(stream->extra);
    stream->extra = NULL;
}

int al__cli_stream_open(const struct al__cli *cli, const char *method, const char *path,
                        const json_t *body, struct al__cli_opened *out, bool quiet, char *why) {
    struct al__cli_reply reply;
    struct al__cli_tls_stream *tls = NULL;
    char host[256], port[16], head[HEAD_MAX];
    size_t len, got = 0;
    bool https = false, unverified = false;
    memset(&reply, 0, sizeof(reply));
    if (!server_address(cli->conn.server, host, sizeof host, port, sizeof port, &https,
                        reply.message, sizeof reply.message)) {
        reply.status = 400; /* a usage problem, not allotd's */
    } else {
        int fd = https ? al__cli_tls_stream_open(cli, &tls, reply.message, sizeof reply.message)
                       : connect_to(host, port, reply.message, sizeof reply.message);
        unverified = fd == -2;
        char *payload = body ? al__cli_check(json_dumps(body, JSON_COMPACT)) : NULL;
        char *text = fd >= 0 ? request_text(cli, method, path, host, payload, &len) : NULL;
        long head_len =
            text && al__write_all(fd, text, len) == 0 ? head_read(fd, head, sizeof head, &got) : -1;
        free(payload);
        free(text);
        int status = 0;
        if (head_len > 0 && sscanf(head, "HTTP/1.%*c %d", &status) == 1 && status == 101) {
            out->fd = fd;
            out->tls = tls;
            out->extra_len = got - (size_t)head_len;
            out->extra = out->extra_len ? al__xmalloc(out->extra_len) : NULL;
            if (out->extra_len)
                memcpy(out->extra, head + head_len, out->extra_len);
            return 0;
        }
        if (head_len > 0 && status > 0) {
            reply.status = status;
            error_answer(cli, fd, head, (size_t)head_len, head + head_len, got - (size_t)head_len,
                         &reply);
        } else if (unverified) { /* the message says it all */
        } else if (fd >= 0 || !reply.message[0]) {
            snprintf(reply.message, sizeof reply.message, "no answer from allotd at %s",
                     cli->conn.server);
        } else {
            char detail[sizeof reply.message];
            memcpy(detail, reply.message, sizeof detail);
            snprintf(reply.message, sizeof reply.message,
                     "cannot reach allotd at %.200s: %.300s (is allotd running? set its address "
                     "with --server or ALLOT_SERVER)",
                     cli->conn.server, detail);
        }
        if (fd >= 0)
            close(fd);
        al__cli_tls_stream_close(tls);
    }
    if (why)
        memcpy(why, reply.message, sizeof reply.message);
    if (!quiet)
        al__cli_report(cli, &reply);
    al__cli_reply_release(&reply);
    return -1;
}
