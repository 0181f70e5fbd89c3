/* stream_tls.h - a stream's connection to allotd over HTTPS: a thread of its own makes the
 * connection and its TLS handshake with libcurl (CURLOPT_CONNECT_ONLY, trusting allotd's
 * certificate as every request does) and carries the bytes between it and one end of a socket
 * pair, so that the stream code reads and writes a plain descriptor whatever the transport. */
#ifndef ALLOT_CLI_STREAM_TLS_H
#define ALLOT_CLI_STREAM_TLS_H

#include <stddef.h>

#include "cli/commands.h"

struct al__cli_tls_stream;

/*
 * al__cli_tls_stream_open - connects to cli->conn.server (an https:// URL) and starts the
 * carrying thread. Returns the caller's end of the socket pair with *out set (to end with
 * al__cli_tls_stream_close); or -1 with why when the connection failed, -2 with why when
 * allotd's certificate did not verify (a whole message, saying what to pass).
 */
int al__cli_tls_stream_open(const struct al__cli *cli, struct al__cli_tls_stream **out, char *why,
                            size_t wsize);

/*
 * al__cli_tls_stream_close - ends the connection (the caller has closed its end, or closes it
 * after), waits for the thread and frees everything; what the end of either direction was is
 * passed on before (a shutdown of the TCP connection toward allotd: allotd's libmicrohttpd does
 * not pass that on to the task, see docs/allotd.md). Accepts NULL.
 */
void al__cli_tls_stream_close(struct al__cli_tls_stream *s);

#endif
