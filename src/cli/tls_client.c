/* tls_client.c - allot's trust in allotd's certificate (see tls_client.h). A pinned
 * fingerprint replaces OpenSSL's check of the chain (CURLOPT_SSL_CTX_FUNCTION): the handshake
 * fails before any request, so a token never goes to a certificate that is not the one
 * pinned. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/tls_client.h"

static int hex_value(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int al__cli_fingerprint_parse(const char *text, unsigned char out[32]) {
    const char *p = text;
    unsigned char bytes[32];
    if (strncasecmp(p, "sha256", 6) == 0 && (p[6] == ':' || p[6] == '='))
        p += 7;
    bool colons = strlen(p) == 32 * 3 - 1;
    if (!colons && strlen(p) != 64)
        return -1;
    for (size_t i = 0; i < 32; i++) {
        int hi = hex_value((unsigned char)p[0]), lo = hex_value((unsigned char)p[1]);
        if (hi < 0 || lo < 0 || (colons && i < 31 && p[2] != ':'))
            return -1;
        bytes[i] = (unsigned char)(hi * 16 + lo);
        p += colons ? 3 : 2;
    }
    memcpy(out, bytes, sizeof(bytes));
    return 0;
}

static void fingerprint_text(const unsigned char *d, char out[AL__CLI_FINGERPRINT_TEXT]) {
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < 32; i++) {
        out[3 * i] = digits[d[i] >> 4];
        out[3 * i + 1] = digits[d[i] & 15];
        out[3 * i + 2] = i < 31 ? ':' : '\0';
    }
}

/* OpenSSL's check of the server's certificate, replaced: it is the pinned one or nothing. */
static int pin_verify(X509_STORE_CTX *ctx, void *arg) {
    struct al__cli_pin *pin = arg;
    X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (leaf && X509_digest(leaf, EVP_sha256(), digest, &n) == 1 && n == 32) {
        if (memcmp(digest, pin->want, 32) == 0)
            return 1;
        fingerprint_text(digest, pin->seen);
    }
    pin->mismatch = true;
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
    return 0;
}

static CURLcode pin_context(CURL *curl, void *ssl_ctx, void *arg) {
    (void)curl;
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(ssl_ctx, pin_verify, arg);
    return CURLE_OK;
}

/* " (from SOURCE)" for a trust that came from elsewhere than the option itself, or "". */
static void from_note(const struct al__cli_conn *conn, char *out, size_t size) {
    if (conn->tls_from && strncmp(conn->tls_from, "--", 2) != 0)
        snprintf(out, size, " (from %.1100s)", conn->tls_from);
    else
        out[0] = '\0';
}

void al__cli_tls_setup(CURL *curl, const struct al__cli *cli, struct al__cli_pin *pin) {
    const struct al__cli_conn *conn = &cli->conn;
    memset(pin, 0, sizeof(*pin));
    if (conn->fingerprint) {
        /* checked when it was read; one that is not a fingerprint pins nothing real */
        if (al__cli_fingerprint_parse(conn->fingerprint, pin->want) < 0)
            memset(pin->want, 0, sizeof(pin->want));
        pin->active = true;
        /* the pin is the whole check: curl's own (chain, host name) are off */
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, pin_context);
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, pin);
    } else if (conn->ca_file) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, conn->ca_file);
        curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
    }
}

bool al__cli_tls_explain(const struct al__cli *cli, CURLcode rc, const char *detail,
                         const struct al__cli_pin *pin, char *msg, size_t size) {
    const struct al__cli_conn *conn = &cli->conn;
    char from[1200];
    from_note(conn, from, sizeof(from));
    if (pin->active && pin->mismatch) {
        snprintf(msg, size,
                 "allotd at %.200s showed a certificate with SHA-256 fingerprint %s, not the "
                 "one pinned with --tls-fingerprint %.120s%s: if allotd's certificate was "
                 "replaced, check the new fingerprint with its operator (allotd "
                 "--print-fingerprint) and pin that one",
                 conn->server, pin->seen[0] ? pin->seen : "(unknown)", conn->fingerprint, from);
        return true;
    }
    if (rc == CURLE_SSL_CACERT_BADFILE) {
        snprintf(msg, size, "--ca-file %.300s%s: cannot be used as CA certificates: %s",
                 conn->ca_file ? conn->ca_file : "?", from, detail);
        return true;
    }
    if (rc != CURLE_PEER_FAILED_VERIFICATION)
        return false;
    if (conn->ca_file)
        snprintf(msg, size,
                 "allotd at %.200s: its certificate does not verify against --ca-file %.300s%s: "
                 "%s; pass the CA (or allotd's own certificate) that signed it, or pin it with "
                 "--tls-fingerprint SHA256 (allotd --print-fingerprint)",
                 conn->server, conn->ca_file, from, detail);
    else
        snprintf(msg, size,
                 "allotd at %.200s: its certificate does not verify against the system's CAs: "
                 "%s; pass --ca-file FILE (allotd's certificate, e.g. STATE_DIR/allotd-tls.crt, "
                 "or its CA's) or --tls-fingerprint SHA256 (allotd --print-fingerprint), or "
                 "save them in a context with `allot login`",
                 conn->server, detail);
    return true;
}
