/* auth_check.c - the per-request side of bearer tokens: the token out of an Authorization
 * header, and whether allotd knows it (digests compared in constant time, no lock). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/auth.h"
#include "util/xalloc.h"

#define TOKEN_MAX 128

/* Whether the digest is one of `count`: every entry compared, in constant time each. */
static bool digest_among(const unsigned char (*digests)[AL__DIGEST_SIZE], size_t count,
                         const unsigned char *digest) {
    int found = 0;
    for (size_t i = 0; i < count; i++)
        found |= sodium_memcmp(digests[i], digest, AL__DIGEST_SIZE) == 0;
    return found != 0;
}

static bool learned(struct al__auth *auth, const unsigned char *digest) {
    pthread_mutex_lock(&auth->learned_lock);
    bool found = digest_among((const unsigned char(*)[AL__DIGEST_SIZE])auth->learned,
                              auth->learned_count, digest);
    pthread_mutex_unlock(&auth->learned_lock);
    return found;
}

/* Remembers an accepted legacy token (once, whoever checked it first). */
static void learn(struct al__auth *auth, const unsigned char *digest) {
    pthread_mutex_lock(&auth->learned_lock);
    if (!digest_among((const unsigned char(*)[AL__DIGEST_SIZE])auth->learned, auth->learned_count,
                      digest)) {
        auth->learned =
            al__xrealloc(auth->learned, (auth->learned_count + 1) * sizeof(*auth->learned));
        memcpy(auth->learned[auth->learned_count++], digest, AL__DIGEST_SIZE);
    }
    pthread_mutex_unlock(&auth->learned_lock);
}

/* Argon2id against the hashes stored before issue 13, never waited for: with a check already
 * running, the answer is "busy" (a flood of wrong tokens then costs one core at most). */
static enum al__auth_verdict legacy_check(struct al__auth *auth, const char *token, size_t len,
                                          const unsigned char *digest) {
    bool ok = false;
    if (learned(auth, digest))
        return AL__AUTH_OK;
    if (pthread_mutex_trylock(&auth->argon_lock) != 0)
        return AL__AUTH_BUSY;
    for (size_t i = 0; !ok && i < auth->legacy_count; i++)
        ok = crypto_pwhash_str_verify(auth->legacy[i], token, len) == 0;
    pthread_mutex_unlock(&auth->argon_lock);
    if (!ok)
        return AL__AUTH_DENIED;
    learn(auth, digest);
    return AL__AUTH_OK;
}

enum al__auth_verdict al__auth_check(struct al__auth *auth, const char *token, size_t len,
                                     int64_t now_s, struct al__token_entry *who) {
    unsigned char digest[AL__DIGEST_SIZE];
    if (len == 0 || len >= TOKEN_MAX)
        return AL__AUTH_DENIED;
    al__auth_digest(token, len, digest);
    if (al__token_table_find(&auth->tokens, digest, who)) {
        if (who->kind == AL__TOKEN_REFRESH || (who->expires_s != 0 && who->expires_s <= now_s))
            return AL__AUTH_DENIED;
        return AL__AUTH_OK;
    }
    if (auth->legacy_count == 0)
        return AL__AUTH_DENIED;
    /* a legacy hash is the admin's: the only token allotd made before issue 13 */
    memset(who, 0, sizeof(*who));
    snprintf(who->subject, sizeof(who->subject), "token:admin");
    return legacy_check(auth, token, len, digest);
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool token68(const char *s, size_t len) {
    size_t i = 0;
    while (i < len &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9') || strchr("-._~+/", s[i]) != NULL) &&
           s[i] != '\0')
        i++;
    if (i == 0)
        return false;
    while (i < len && s[i] == '=')
        i++;
    return i == len;
}

bool al__auth_token_of(const char *value, size_t len, const char **token, size_t *token_len) {
    static const char scheme[] = "bearer";
    size_t n = sizeof(scheme) - 1, at = n;
    if (!value || len <= n || strncasecmp(value, scheme, n) != 0 || value[n] != ' ')
        return false;
    while (at < len && value[at] == ' ')
        at++;
    if (!token68(value + at, len - at))
        return false;
    *token = value + at;
    *token_len = len - at;
    return true;
}
