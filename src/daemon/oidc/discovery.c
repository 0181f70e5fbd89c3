/* discovery.c - an issuer's discovery document read (OpenID Connect Discovery 1.0, 3 and 4.3)
 * and the URLs the relying party is willing to talk to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/oidc/jose.h"

#define URL_MAX 2048

static bool loopback_host(const char *host, size_t len) {
    if (len == 9 && memcmp(host, "localhost", 9) == 0)
        return true;
    if (len == 5 && memcmp(host, "[::1]", 5) == 0)
        return true;
    if (len < 9 || memcmp(host, "127.", 4) != 0)
        return false;
    for (size_t i = 4; i < len; i++)
        if (host[i] != '.' && (host[i] < '0' || host[i] > '9'))
            return false;
    return true;
}

bool al__oidc_url_allowed(const char *url) {
    size_t len = strlen(url);
    bool https = strncmp(url, "https://", 8) == 0;
    if (len > URL_MAX || (!https && strncmp(url, "http://", 7) != 0))
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return false;
    const char *host = url + (https ? 8 : 7);
    size_t host_len = strcspn(host, "/?#");
    if (memchr(host, '@', host_len)) /* user@host: never meant for an issuer */
        return false;
    if (host[0] == '[') { /* an IPv6 literal, its port after the bracket */
        const char *close = memchr(host, ']', host_len);
        if (!close)
            return false;
        host_len = (size_t)(close - host) + 1;
    } else {
        host_len = strcspn(host, ":/?#");
    }
    if (host_len == 0)
        return false;
    return https || loopback_host(host, host_len);
}

/* A required URL member; NULL with a message when missing or not allowed. */
static char *url_member(json_t *doc, const char *name, char *err, size_t errlen) {
    json_t *v = json_object_get(doc, name);
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(err, errlen, "the issuer's discovery document has no \"%s\" string", name);
        return NULL;
    }
    if (!al__oidc_url_allowed(json_string_value(v))) {
        snprintf(err, errlen, "the issuer's %s is not an https URL (http only on loopback)", name);
        return NULL;
    }
    char *copy = strdup(json_string_value(v));
    if (!copy)
        snprintf(err, errlen, "out of memory");
    return copy;
}

/* Whether the string array `name` holds `value`: 1 yes, 0 no, -1 absent, -2 not an array. */
static int list_has(json_t *doc, const char *name, const char *value) {
    json_t *list = json_object_get(doc, name);
    if (!list)
        return -1;
    if (!json_is_array(list))
        return -2;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
            return 1;
    }
    return 0;
}

static int check_lists(json_t *doc, struct al__oidc_discovery *d, char *err, size_t errlen) {
    if (list_has(doc, "response_types_supported", "code") == 0 ||
        list_has(doc, "response_types_supported", "code") == -2) {
        snprintf(err, errlen, "the issuer does not offer the authorization code flow");
        return -AL_EINVAL;
    }
    int s256 = list_has(doc, "code_challenge_methods_supported", "S256");
    if (s256 == 0 || s256 == -2) {
        snprintf(err, errlen, "the issuer does not offer PKCE with S256");
        return -AL_EINVAL;
    }
    /* Absent, the methods are client_secret_basic alone (Discovery 3). */
    int basic = list_has(doc, "token_endpoint_auth_methods_supported", "client_secret_basic");
    int post = list_has(doc, "token_endpoint_auth_methods_supported", "client_secret_post");
    if (basic == 0 && post == 1) {
        d->secret_post = true;
    } else if (basic == 0 || basic == -2) {
        snprintf(err, errlen,
                 "the issuer takes neither client_secret_basic nor "
                 "client_secret_post at its token endpoint");
        return -AL_EINVAL;
    }
    return 0;
}

int al__oidc_discovery_parse(const char *text, size_t len, const char *issuer,
                             struct al__oidc_discovery *out, char *err, size_t errlen) {
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *iss = json_object_get(doc, "issuer");
    struct al__oidc_discovery d = {0};
    int rc = -AL_EINVAL;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "the issuer's discovery document is not a JSON object");
        goto done;
    }
    if (!json_is_string(iss) || strcmp(json_string_value(iss), issuer) != 0) {
        char q[100] = "";
        if (json_is_string(iss))
            al__oidc_quote(json_string_value(iss), 80, q, sizeof(q));
        snprintf(err, errlen,
                 "the discovery document names issuer \"%s\", not the configured one exactly", q);
        goto done;
    }
    if (!(d.issuer = strdup(issuer))) {
        rc = -AL_ENOMEM;
        goto done;
    }
    if (!(d.authorization_endpoint = url_member(doc, "authorization_endpoint", err, errlen)) ||
        !(d.token_endpoint = url_member(doc, "token_endpoint", err, errlen)) ||
        !(d.jwks_uri = url_member(doc, "jwks_uri", err, errlen)))
        goto done;
    if ((rc = check_lists(doc, &d, err, errlen)) != 0)
        goto done;
    *out = d;
    d = (struct al__oidc_discovery){0};
    rc = 0;
done:
    al__oidc_discovery_release(&d);
    json_decref(doc);
    return rc;
}

void al__oidc_discovery_release(struct al__oidc_discovery *d) {
    free(d->issuer);
    free(d->authorization_endpoint);
    free(d->token_endpoint);
    free(d->jwks_uri);
    memset(d, 0, sizeof(*d));
}
