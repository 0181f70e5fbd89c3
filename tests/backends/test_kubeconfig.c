/* test_kubeconfig.c - the API server and credentials of a kubeconfig's current context (YAML
 * and JSON, files relative to it, base64 data, token files) and of a pod's service account; and
 * every malformed kubeconfig refused naming the field. */
#define _GNU_SOURCE /* setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "backends/kubernetes/kubeconfig.h"
#include "support/tempdir.h"

static char dir[64];

static int setup(void **state) {
    (void)state;
    return tb_tempdir_make(dir, sizeof dir, "allot-kubeconfig");
}

static int teardown(void **state) {
    (void)state;
    return tb_tempdir_remove(dir);
}

/* Writes text to dir/name; its path in path. */
static void write_file(const char *name, const char *text, char *path, size_t size) {
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char yaml_config[] = "apiVersion: v1\n"
                                  "kind: Config\n"
                                  "current-context: work\n"
                                  "clusters:\n"
                                  "- name: home\n"
                                  "  cluster: {server: 'https://home.example:6443'}\n"
                                  "- name: prod\n"
                                  "  cluster:\n"
                                  "    server: https://10.1.2.3:6443/\n"
                                  "    certificate-authority: certs/ca.crt\n"
                                  "contexts:\n"
                                  "- name: play\n"
                                  "  context: {cluster: home, user: me}\n"
                                  "- name: work\n"
                                  "  context:\n"
                                  "    cluster: prod\n"
                                  "    user: scheduler\n"
                                  "    namespace: ml\n"
                                  "users:\n"
                                  "- name: me\n"
                                  "  user: {token: nope}\n"
                                  "- name: scheduler\n"
                                  "  user:\n"
                                  "    tokenFile: token.txt\n";

static void the_current_context_is_read_with_its_files(void **state) {
    char path[256], token[256];
    struct al__kube_credentials c;
    char err[256] = "";
    (void)state;
    write_file("token.txt", "s3cret-token\n", token, sizeof token);
    write_file("config", yaml_config, path, sizeof path);
    assert_int_equal(al__kube_config_load(path, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://10.1.2.3:6443"); /* trailing slash dropped */
    assert_string_equal(c.token, "s3cret-token");           /* newline cut */
    assert_string_equal(c.namespace_, "ml");
    char ca[256];
    snprintf(ca, sizeof ca, "%s/certs/ca.crt", dir); /* relative to the kubeconfig */
    assert_string_equal(c.ca_file, ca);
    assert_false(c.insecure);
    assert_null(c.cert_file);
    al__kube_credentials_release(&c);
}

static void json_and_base64_data_are_read(void **state) {
    char path[256];
    struct al__kube_credentials c;
    char err[256] = "";
    (void)state;
    /* "-----BEGIN CERTIFICATE-----" and "KEY" in base64, wrapped as kubectl may wrap them */
    write_file("config.json",
               "{\"current-context\": \"t\", \"clusters\": [{\"name\": \"c\", \"cluster\": "
               "{\"server\": \"https://127.0.0.1:1\", \"certificate-authority-data\": "
               "\"LS0tLS1CRUdJTiBDRVJU\\nSUZJQ0FURS0tLS0t\", \"insecure-skip-tls-verify\": "
               "true}}], \"users\": [{\"name\": \"u\", \"user\": {\"client-certificate-data\": "
               "\"Q0VSVA==\", \"client-key-data\": \"S0VZ\"}}], \"contexts\": [{\"name\": \"t\", "
               "\"context\": {\"cluster\": \"c\", \"user\": \"u\"}}]}",
               path, sizeof path);
    assert_int_equal(al__kube_config_load(path, &c, err, sizeof err), 0);
    assert_string_equal(c.ca_pem, "-----BEGIN CERTIFICATE-----");
    assert_string_equal(c.cert_pem, "CERT");
    assert_string_equal(c.key_pem, "KEY");
    assert_true(c.insecure);
    assert_null(c.token);
    assert_string_equal(c.namespace_, "default");
    al__kube_credentials_release(&c);
}

static void malformed_kubeconfigs_are_refused_naming_the_field(void **state) {
    static const struct {
        const char *text, *expect;
        int rc;
    } cases[] = {
        {"a: [", "line", -AL_EINVAL},
        {"- just\n- a list\n", "(top): not a mapping", -AL_EINVAL},
        {"clusters: []\n", "current-context: missing", -AL_EINVAL},
        {"current-context: x\ncontexts: []\n", "contexts: no entry named \"x\"", -AL_EINVAL},
        {"current-context: x\ncontexts: {a: b}\n", "contexts: must be a list", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- name: x\n", "contexts[name=x].context: missing",
         -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n",
         "needs a cluster and a user", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n",
         "clusters: no entry named \"c\"", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
         "clusters:\n- {name: c, cluster: {server: 'ftp://x'}}\n",
         "clusters[].cluster.server: missing, or not an http(s) URL", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
         "clusters:\n- {name: c, cluster: {server: 'https://x', certificate-authority-data: "
         "'!!notbase64'}}\nusers:\n- {name: u, user: {token: t}}\n",
         "certificate-authority-data: not base64", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
         "clusters:\n- {name: c, cluster: {server: 'https://x'}}\nusers:\n"
         "- {name: u, user: {exec: {command: aws}}}\n",
         "exec and auth-provider plugins are not supported", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
         "clusters:\n- {name: c, cluster: {server: 'https://x'}}\nusers:\n"
         "- {name: u, user: {client-certificate: c.crt}}\n",
         "a client certificate needs its key", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
         "clusters:\n- {name: c, cluster: {server: 'https://x'}}\nusers:\n"
         "- {name: u, user: {}}\n",
         "no token and no client certificate", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
         "clusters:\n- {name: c, cluster: {server: [1, 2]}}\n",
         "must be text", -AL_EINVAL},
        {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
         "clusters:\n- {name: c, cluster: {server: 'https://x'}}\nusers:\n"
         "- {name: u, user: {tokenFile: missing.txt}}\n",
         "cannot read", -AL_EIO},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[256], err[256] = "";
        struct al__kube_credentials c = {0};
        write_file("bad", cases[i].text, path, sizeof path);
        int rc = al__kube_config_load(path, &c, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].expect))
            fail_msg("case %zu: %d %s (expected %d, \"%s\")", i, rc, err, cases[i].rc,
                     cases[i].expect);
        assert_null(c.server);
    }
    char err[256] = "";
    struct al__kube_credentials c = {0};
    assert_int_equal(al__kube_config_load("/nonexistent/kubeconfig", &c, err, sizeof err), -AL_EIO);
    assert_non_null(strstr(err, "/nonexistent/kubeconfig"));
}

static void a_pods_service_account_is_read(void **state) {
    char path[256], err[256] = "";
    struct al__kube_credentials c = {0};
    (void)state;
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(al__kube_config_in_cluster(dir, &c, err, sizeof err), -AL_EINVAL);
    assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
    write_file("token", "sa-token\n", path, sizeof path);
    write_file("namespace", "allot-system", path, sizeof path);
    setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(al__kube_config_in_cluster(dir, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://10.0.0.1:443");
    assert_string_equal(c.token, "sa-token");
    assert_string_equal(c.namespace_, "allot-system");
    assert_non_null(strstr(c.ca_file, "/ca.crt"));
    al__kube_credentials_release(&c);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    assert_int_equal(al__kube_config_in_cluster(dir, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://[fd00::1]:443");
    al__kube_credentials_release(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_current_context_is_read_with_its_files),
        cmocka_unit_test(json_and_base64_data_are_read),
        cmocka_unit_test(malformed_kubeconfigs_are_refused_naming_the_field),
        cmocka_unit_test(a_pods_service_account_is_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
