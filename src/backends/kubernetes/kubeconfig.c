/* kubeconfig.c - the API server and credentials of a kubeconfig's current context, or of the
 * pod's service account (see kubeconfig.h). YAML through libyaml's document API. */
#include <errno.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "allot/errors.h"
#include "backends/kubernetes/kubeconfig.h"
#include "util/xalloc.h"

#define FILE_MAX            (1 << 20) /* tokens, CA bundles and kubeconfigs are far smaller */
#define SERVICE_ACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* The whole file at path, NUL-terminated, trailing white space cut if trim; NULL with err. */
static char *read_file(const char *path, bool trim, char *err, size_t size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, size, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = al__xcalloc(FILE_MAX + 1, 1);
    size_t n = fread(text, 1, FILE_MAX + 1, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed || n > FILE_MAX) {
        snprintf(err, size, "cannot read %s: %s", path, failed ? "read error" : "over 1 MiB");
        free(text);
        return NULL;
    }
    while (trim && n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    text[n] = '\0';
    return text;
}

struct reader {
    const char *path; /* the kubeconfig, for messages */
    char *dir;        /* its directory, for relative file names */
    yaml_document_t doc;
    char *err;
    size_t size;
};

static int fail(struct reader *r, const char *field, const char *problem) {
    snprintf(r->err, r->size, "kubeconfig %s: %s: %s", r->path, field, problem);
    return -AL_EINVAL;
}

static yaml_node_t *map_get(struct reader *r, yaml_node_t *map, const char *key) {
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(&r->doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(&r->doc, p->value);
    }
    return NULL;
}

/* The text of scalar key in map: NULL when absent; *bad when present but not text. */
static const char *text_of(struct reader *r, yaml_node_t *map, const char *key, bool *bad) {
    yaml_node_t *n = map_get(r, map, key);
    if (!n)
        return NULL;
    if (n->type != YAML_SCALAR_NODE) {
        *bad = true;
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

/* The item of list `list` (clusters, users, contexts) named `name`: its `what` mapping. */
static int named(struct reader *r, const char *list, const char *what, const char *name,
                 yaml_node_t **out) {
    char field[160], problem[160];
    yaml_node_t *seq = map_get(r, yaml_document_get_root_node(&r->doc), list);
    if (seq && seq->type != YAML_SEQUENCE_NODE)
        return fail(r, list, "must be a list");
    for (yaml_node_item_t *i = seq ? seq->data.sequence.items.start : NULL;
         seq && i < seq->data.sequence.items.top; i++) {
        yaml_node_t *item = yaml_document_get_node(&r->doc, *i);
        bool bad = false;
        const char *n = text_of(r, item, "name", &bad);
        if (n && strcmp(n, name) == 0) {
            *out = map_get(r, item, what);
            snprintf(field, sizeof(field), "%s[name=%s].%s", list, name, what);
            if (!*out || (*out)->type != YAML_MAPPING_NODE)
                return fail(r, field, "missing or not a mapping");
            return 0;
        }
    }
    snprintf(problem, sizeof(problem), "no entry named \"%s\"", name);
    return fail(r, list, problem);
}

/* A file name from the kubeconfig: relative ones are relative to its directory. */
static char *file_name(struct reader *r, const char *name) {
    if (name[0] == '/')
        return al__xstrdup(name);
    size_t n = strlen(r->dir) + strlen(name) + 2;
    char *out = al__xcalloc(n, 1);
    snprintf(out, n, "%s/%s", r->dir, name);
    return out;
}

/* base64 text (…-data fields) decoded into a NUL-terminated string. */
static int decoded(struct reader *r, const char *field, const char *text, char **out) {
    size_t len = strlen(text), got = 0;
    char *bin = al__xcalloc(len + 1, 1);
    if (sodium_base642bin((unsigned char *)bin, len, text, len, " \t\r\n", &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(bin);
        return fail(r, field, "not base64");
    }
    bin[got] = '\0';
    *out = bin;
    return 0;
}

static int read_cluster(struct reader *r, const char *name, struct al__kube_credentials *c) {
    yaml_node_t *cl;
    bool bad = false;
    int rc = named(r, "clusters", "cluster", name, &cl);
    if (rc < 0)
        return rc;
    const char *server = text_of(r, cl, "server", &bad);
    const char *ca = text_of(r, cl, "certificate-authority", &bad);
    const char *ca_data = text_of(r, cl, "certificate-authority-data", &bad);
    const char *insecure = text_of(r, cl, "insecure-skip-tls-verify", &bad);
    if (bad)
        return fail(r, "clusters[].cluster",
                    "server, certificate-authority(-data) and "
                    "insecure-skip-tls-verify must be text");
    if (!server || (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0))
        return fail(r, "clusters[].cluster.server", "missing, or not an http(s) URL");
    c->server = al__xstrdup(server);
    while (strlen(c->server) > 0 && c->server[strlen(c->server) - 1] == '/')
        c->server[strlen(c->server) - 1] = '\0';
    c->insecure = insecure && strcmp(insecure, "true") == 0;
    if (ca)
        c->ca_file = file_name(r, ca);
    if (ca_data)
        return decoded(r, "clusters[].cluster.certificate-authority-data", ca_data, &c->ca_pem);
    return 0;
}

static int read_user(struct reader *r, const char *name, struct al__kube_credentials *c) {
    yaml_node_t *u;
    bool bad = false;
    int rc = named(r, "users", "user", name, &u);
    if (rc < 0)
        return rc;
    const char *token = text_of(r, u, "token", &bad);
    const char *token_file = text_of(r, u, "tokenFile", &bad);
    const char *cert = text_of(r, u, "client-certificate", &bad);
    const char *key = text_of(r, u, "client-key", &bad);
    const char *cert_data = text_of(r, u, "client-certificate-data", &bad);
    const char *key_data = text_of(r, u, "client-key-data", &bad);
    if (bad)
        return fail(r, "users[].user",
                    "token, tokenFile and client-certificate/key(-data) "
                    "must be text");
    if (map_get(r, u, "exec") || map_get(r, u, "auth-provider"))
        if (!token && !token_file && !cert && !cert_data)
            return fail(r, "users[].user",
                        "exec and auth-provider plugins are not supported: "
                        "give a token or a client certificate");
    if (token)
        c->token = al__xstrdup(token);
    if (!token && token_file) {
        char *path = file_name(r, token_file);
        c->token = read_file(path, true, r->err, r->size);
        free(path);
        if (!c->token)
            return -AL_EIO;
    }
    if ((cert || cert_data) != (key || key_data))
        return fail(r, "users[].user",
                    "a client certificate needs its key, and a key its "
                    "certificate");
    if (cert)
        c->cert_file = file_name(r, cert);
    if (key)
        c->key_file = file_name(r, key);
    if (cert_data &&
        (rc = decoded(r, "users[].user.client-certificate-data", cert_data, &c->cert_pem)) < 0)
        return rc;
    if (key_data && (rc = decoded(r, "users[].user.client-key-data", key_data, &c->key_pem)) < 0)
        return rc;
    return 0;
}

static int read_document(struct reader *r, struct al__kube_credentials *c) {
    yaml_node_t *root = yaml_document_get_root_node(&r->doc);
    yaml_node_t *ctx;
    bool bad = false;
    if (!root || root->type != YAML_MAPPING_NODE)
        return fail(r, "(top)", "not a mapping");
    const char *current = text_of(r, root, "current-context", &bad);
    if (!current || !current[0])
        return fail(r, "current-context", "missing (kubectl config use-context NAME sets it)");
    int rc = named(r, "contexts", "context", current, &ctx);
    if (rc < 0)
        return rc;
    const char *cluster = text_of(r, ctx, "cluster", &bad);
    const char *user = text_of(r, ctx, "user", &bad);
    const char *ns = text_of(r, ctx, "namespace", &bad);
    if (bad || !cluster || !user)
        return fail(r, "contexts[].context", "needs a cluster and a user (text)");
    c->namespace_ = al__xstrdup(ns && ns[0] ? ns : "default");
    if ((rc = read_cluster(r, cluster, c)) < 0)
        return rc;
    return read_user(r, user, c);
}

int al__kube_config_load(const char *path, struct al__kube_credentials *out, char *err,
                         size_t size) {
    struct al__kube_credentials c = {0};
    struct reader r = {.path = path, .err = err, .size = size};
    yaml_parser_t parser;
    char *text = read_file(path, false, err, size);
    if (!text)
        return -AL_EIO;
    char *copy = al__xstrdup(path);
    r.dir = al__xstrdup(dirname(copy));
    free(copy);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    int rc;
    if (!yaml_parser_load(&parser, &r.doc)) {
        snprintf(err, size, "kubeconfig %s: line %zu: %s", path, parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "not YAML");
        rc = -AL_EINVAL;
    } else {
        rc = read_document(&r, &c);
        yaml_document_delete(&r.doc);
    }
    yaml_parser_delete(&parser);
    free(text);
    free(r.dir);
    if (rc == 0 && !c.token && !c.cert_file && !c.cert_pem)
        rc = fail(&r, "users[].user", "no token and no client certificate");
    if (rc < 0) {
        al__kube_credentials_release(&c);
        return rc;
    }
    *out = c;
    return 0;
}

int al__kube_config_in_cluster(const char *dir, struct al__kube_credentials *out, char *err,
                               size_t size) {
    struct al__kube_credentials c = {0};
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    char path[4096], server[512];
    if (!host || !host[0] || !port || !port[0]) {
        snprintf(err, size,
                 "not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                 "are not set (give --kubeconfig FILE)");
        return -AL_EINVAL;
    }
    dir = dir ? dir : SERVICE_ACCOUNT_DIR;
    snprintf(server, sizeof(server), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
             port);
    c.server = al__xstrdup(server);
    snprintf(path, sizeof(path), "%s/token", dir);
    c.token = read_file(path, true, err, size);
    snprintf(path, sizeof(path), "%s/ca.crt", dir);
    c.ca_file = al__xstrdup(path);
    snprintf(path, sizeof(path), "%s/namespace", dir);
    char ns_err[8];
    c.namespace_ = read_file(path, true, ns_err, sizeof(ns_err));
    if (!c.namespace_)
        c.namespace_ = al__xstrdup("default");
    if (!c.token) {
        al__kube_credentials_release(&c);
        return -AL_EIO;
    }
    *out = c;
    return 0;
}

void al__kube_credentials_release(struct al__kube_credentials *c) {
    free(c->server);
    free(c->ca_file);
    free(c->ca_pem);
    free(c->token);
    free(c->cert_file);
    free(c->key_file);
    free(c->cert_pem);
    free(c->key_pem);
    free(c->namespace_);
    memset(c, 0, sizeof(*c));
}
