/* oidc_probe.c - drives allotd's OIDC module (src/daemon/oidc) for test_oidc_module.py: one
 * relying party made from a JSON configuration file, then one JSON request per line on stdin,
 * one JSON answer per line on stdout, so the caches live across logins as they do in allotd.
 *   {"op":"begin"}                      -> {"ok":true,"url":..,"pending":{state,nonce,verifier}}
 *   {"op":"finish","pending":{..},"code":..,"state":..,"iss":..}  -> {"ok":true,"claims":{..}}
 *   {"op":"verify","id_token":..}       -> {"ok":true,"claims":{..}}
 *   {"op":"verify_many","id_token":..,"threads":T,"rounds":R}  -> {"ok":true,"verified":N}
 *       (T threads verifying the token R times each, at once: the module's locking)
 *   {"op":"fetches"}                    -> {"ok":true,"jwks_fetches":N}
 * A refusal is {"ok":false,"code":-N,"error":"message"}. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/oidc/oidc.h"

static const char *str(json_t *obj, const char *name) {
    return json_string_value(json_object_get(obj, name));
}

static int config_read(const char *path, json_t **doc, struct al__oidc_config *cfg) {
    json_error_t jerr;
    if (!(*doc = json_load_file(path, 0, &jerr))) {
        fprintf(stderr, "oidc_probe: %s: %s\n", path, jerr.text);
        return -1;
    }
    al__oidc_config_init(cfg);
    cfg->issuer = str(*doc, "issuer");
    cfg->client_id = str(*doc, "client_id");
    cfg->client_secret = str(*doc, "client_secret");
    cfg->client_secret_file = str(*doc, "client_secret_file");
    cfg->redirect_uri = str(*doc, "redirect_uri");
    cfg->ca_file = str(*doc, "ca_file");
    if (str(*doc, "scopes"))
        cfg->scopes = str(*doc, "scopes");
    if (str(*doc, "username_claim"))
        cfg->username_claim = str(*doc, "username_claim");
    if (str(*doc, "groups_claim"))
        cfg->groups_claim = str(*doc, "groups_claim");
    if (json_is_integer(json_object_get(*doc, "leeway_s")))
        cfg->leeway_s = (int)json_integer_value(json_object_get(*doc, "leeway_s"));
    if (json_is_integer(json_object_get(*doc, "jwks_refetch_s")))
        cfg->jwks_refetch_s = (int)json_integer_value(json_object_get(*doc, "jwks_refetch_s"));
    return 0;
}

static json_t *claims_json(const struct al__oidc_claims *c) {
    json_t *groups = json_array();
    for (size_t i = 0; i < c->group_count; i++)
        json_array_append_new(groups, json_string(c->groups[i]));
    return json_pack("{s:s,s:s,s:s?,s:b,s:o,s:I}", "subject", c->subject, "username", c->username,
                     "email", c->email, "email_verified", c->email_verified, "groups", groups,
                     "expires", (json_int_t)c->expires);
}

struct many {
    struct al__oidc *rp;
    const char *token;
    int rounds;
    int verified;
    char err[512];
};

static void *verify_rounds(void *arg) {
    struct many *m = arg;
    for (int i = 0; i < m->rounds; i++) {
        struct al__oidc_claims claims = {0};
        if (al__oidc_verify(m->rp, m->token, &claims, m->err, sizeof(m->err)) == 0)
            m->verified++;
        al__oidc_claims_release(&claims);
    }
    return NULL;
}

/* T threads verifying one token at once; the first refusal's message when any. */
static json_t *verify_many(struct al__oidc *rp, json_t *req) {
    struct many m[32];
    pthread_t threads[32];
    int n = (int)json_integer_value(json_object_get(req, "threads"));
    int total = 0;
    n = n < 1 ? 1 : n > 32 ? 32 : n;
    for (int i = 0; i < n; i++) {
        m[i] = (struct many){.rp = rp,
                             .token = str(req, "id_token") ? str(req, "id_token") : "",
                             .rounds = (int)json_integer_value(json_object_get(req, "rounds"))};
        pthread_create(&threads[i], NULL, verify_rounds, &m[i]);
    }
    const char *err = NULL;
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        total += m[i].verified;
        if (!err && m[i].err[0])
            err = m[i].err;
    }
    return json_pack("{s:b,s:i,s:s}", "ok", 1, "verified", total, "error", err ? err : "");
}

static json_t *serve(struct al__oidc *rp, json_t *req) {
    const char *op = str(req, "op");
    char err[512] = "";
    int rc = -2;
    json_t *ok = NULL;
    struct al__oidc_claims claims = {0};
    if (op && strcmp(op, "begin") == 0) {
        struct al__oidc_pending p;
        char *url = NULL;
        if ((rc = al__oidc_begin(rp, &p, &url, err, sizeof(err))) == 0) {
            ok = json_pack("{s:b,s:s,s:{s:s,s:s,s:s}}", "ok", 1, "url", url, "pending", "state",
                           p.state, "nonce", p.nonce, "verifier", p.verifier);
            free(url);
        }
    } else if (op && strcmp(op, "finish") == 0) {
        struct al__oidc_pending p;
        json_t *pj = json_object_get(req, "pending");
        snprintf(p.state, sizeof(p.state), "%s", str(pj, "state") ? str(pj, "state") : "");
        snprintf(p.nonce, sizeof(p.nonce), "%s", str(pj, "nonce") ? str(pj, "nonce") : "");
        snprintf(p.verifier, sizeof(p.verifier), "%s",
                 str(pj, "verifier") ? str(pj, "verifier") : "");
        rc = al__oidc_finish(rp, &p, str(req, "code"), str(req, "state"), str(req, "iss"), &claims,
                             err, sizeof(err));
    } else if (op && strcmp(op, "verify") == 0) {
        const char *token = str(req, "id_token");
        rc = al__oidc_verify(rp, token ? token : "", &claims, err, sizeof(err));
    } else if (op && strcmp(op, "verify_many") == 0) {
        rc = 0;
        ok = verify_many(rp, req);
    } else if (op && strcmp(op, "fetches") == 0) {
        rc = 0;
        ok = json_pack("{s:b,s:I}", "ok", 1, "jwks_fetches", (json_int_t)al__oidc_jwks_fetches(rp));
    } else {
        snprintf(err, sizeof(err), "unknown op");
    }
    if (rc == 0 && !ok) {
        ok = json_pack("{s:b,s:o}", "ok", 1, "claims", claims_json(&claims));
        al__oidc_claims_release(&claims);
    }
    return ok ? ok : json_pack("{s:b,s:i,s:s}", "ok", 0, "code", rc, "error", err);
}

int main(int argc, char **argv) {
    struct al__oidc_config cfg;
    struct al__oidc *rp = NULL;
    json_t *doc = NULL;
    char err[512], line[65536];
    if (argc != 2) {
        fprintf(stderr, "usage: oidc_probe CONFIG.json\n");
        return 2;
    }
    if (config_read(argv[1], &doc, &cfg) != 0)
        return 2;
    if (al__oidc_new(&cfg, &rp, err, sizeof(err)) != 0) {
        json_t *answer = json_pack("{s:b,s:s}", "ok", 0, "error", err);
        json_dumpf(answer, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(answer);
        json_decref(doc);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof(line), stdin)) {
        json_error_t jerr;
        json_t *req = json_loads(line, 0, &jerr);
        json_t *answer = serve(rp, req);
        char *text = json_dumps(answer, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(answer);
        json_decref(req);
    }
    al__oidc_free(rp);
    json_decref(doc);
    return 0;
}
