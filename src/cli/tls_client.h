/* tls_client.h - how allot trusts allotd's certificate (libcurl with OpenSSL): a CA file, a
 * pinned SHA-256 fingerprint of the certificate itself, or the system's CAs; and what to tell
 * the user when it does not verify. */
#ifndef ALLOT_CLI_TLS_CLIENT_H
#define ALLOT_CLI_TLS_CLIENT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/commands.h"

/* "AA:BB:..." of 32 bytes, and its NUL. */
#define AL__CLI_FINGERPRINT_TEXT 96

/* A pin being checked during one handshake: what was wanted and what allotd showed. */
struct al__cli_pin {
    unsigned char want[32];
    bool active;   /* a fingerprint is pinned */
    bool mismatch; /* allotd's certificate was not the pinned one */
    char seen[AL__CLI_FINGERPRINT_TEXT];
};

/*
 * al__cli_fingerprint_parse - a SHA-256 fingerprint as allotd prints it ("AA:BB:...", 32 hex
 * pairs), or as 64 hex digits, either case, optionally after "sha256:" or "SHA256=". 0 with
 * out, or -1.
 */
int al__cli_fingerprint_parse(const char *text, unsigned char out[32]);

/*
 * al__cli_tls_setup - sets curl's TLS verification for cli->conn: with a pinned fingerprint
 * (checked already by whoever read it), the certificate must be that one (names and issuers
 * then do not matter); else with a CA file, the certificate must chain to it and name the
 * host; else the system's CAs. `pin` must live as long as the handle's transfers.
 */
void al__cli_tls_setup(CURL *curl, const struct al__cli *cli, struct al__cli_pin *pin);

/*
 * al__cli_tls_explain - when curl's `rc` is a certificate that did not verify (or a CA file
 * that cannot be used), the message to give: what failed and what to pass. true with msg
 * filled, false for other errors.
 */
bool al__cli_tls_explain(const struct al__cli *cli, CURLcode rc, const char *detail,
                         const struct al__cli_pin *pin, char *msg, size_t size);

#endif
