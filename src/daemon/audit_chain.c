/* audit_chain.c - the audit log's hash chain: a row's BLAKE2b hash over its columns. */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "daemon/audit_chain.h"

/* One field into the hash: its length as 8 bytes (little-endian; all ones for NULL), then its
 * bytes, so that no two rows' fields run together the same way. */
static void hash_field(crypto_generichash_state *st, const void *bytes, uint64_t len, bool null) {
    unsigned char prefix[8];
    uint64_t n = null ? UINT64_MAX : len;
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)(n >> (8 * i));
    crypto_generichash_update(st, prefix, sizeof(prefix));
    if (!null)
        crypto_generichash_update(st, bytes, len);
}

static void hash_text(crypto_generichash_state *st, const char *text) {
    hash_field(st, text, text ? strlen(text) : 0, !text);
}

static void hash_int(crypto_generichash_state *st, int64_t value) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)((uint64_t)value >> (8 * i));
    hash_field(st, bytes, sizeof(bytes), false);
}

void al__audit_hash(const char *prev_hex, const struct al__audit_row *row, char out[65]) {
    unsigned char digest[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(digest));
    hash_text(&st, prev_hex);
    hash_int(&st, row->seq);
    hash_int(&st, row->time_s);
    const char *const texts[] = {row->subject, row->source,  row->verb,   row->kind, row->project,
                                 row->name,    row->outcome, row->before, row->after};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        hash_text(&st, texts[i]);
    crypto_generichash_final(&st, digest, sizeof(digest));
    sodium_bin2hex(out, 65, digest, sizeof(digest));
}
