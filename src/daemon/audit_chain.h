/* audit_chain.h - the audit log's hash chain: each row's hash is BLAKE2b-256 (libsodium) of the
 * hash of the row before and the row's columns, each field length-prefixed. No store, no state:
 * the writer and the verifier compute the same thing from the same columns. */
#ifndef ALLOT_DAEMON_AUDIT_CHAIN_H
#define ALLOT_DAEMON_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

/* The columns of an audit row as stored (text columns may be NULL). */
struct al__audit_row {
    int64_t seq, time_s;
    const char *subject, *source, *verb, *kind, *project, *name, *outcome, *before, *after;
};

/* al__audit_hash - hex BLAKE2b-256 of prev_hex (the previous row's hash, "" for the first row)
 * and the row's columns in their order (seq, time_s, subject, ..., after), each as its length
 * in 8 little-endian bytes (all ones for NULL; integers are 8 bytes) and its bytes, into out
 * (65 bytes). */
void al__audit_hash(const char *prev_hex, const struct al__audit_row *row, char out[65]);

#endif
