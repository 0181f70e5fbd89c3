/* test_tls.c - allotd's TLS files: the self-signed pair made once and reused, its modes and
 * names, and files that are not a certificate and its key refused with the label and the
 * problem in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "daemon/tls.h"
#include "support/tempdir.h"

static const char *const names[] = {"localhost", "127.0.0.1", "::1", "allot.example.com"};

static int group_setup(void **state) {
    static char dir[256];
    if (tb_tempdir_make(dir, sizeof(dir), "allot-tls") < 0)
        return -1;
    *state = dir;
    return 0;
}

static int group_teardown(void **state) {
    return tb_tempdir_remove(*state);
}

static void path_in(const char *dir, const char *name, char *out, size_t size) {
    snprintf(out, size, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* err holds each of the words. */
static void assert_says(const char *err, const char *a, const char *b) {
    if (!strstr(err, a) || !strstr(err, b))
        fail_msg("message '%s' should say '%s' and '%s'", err, a, b);
}

static void the_pair_is_made_once_private_and_reused(void **state) {
    const char *dir = *state;
    struct al__tls first = {0}, again = {0};
    char err[1024] = "", cert[512], key[512], fp[AL__TLS_FINGERPRINT_SIZE];
    bool made = false;
    struct stat st;

    assert_int_equal(al__tls_self_signed(&first, dir, names, 4, &made, err, sizeof(err)), 0);
    assert_true(made);
    path_in(dir, AL__TLS_CERT_FILE, cert, sizeof(cert));
    path_in(dir, AL__TLS_KEY_FILE, key, sizeof(key));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(stat(i ? key : cert, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    assert_int_equal(strlen(first.fingerprint), 95);
    assert_non_null(strstr(first.cert_pem, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(first.key_pem, "BEGIN PRIVATE KEY"));

    assert_int_equal(al__tls_self_signed(&again, dir, names, 4, &made, err, sizeof(err)), 0);
    assert_false(made);
    assert_string_equal(again.fingerprint, first.fingerprint);
    assert_int_equal(al__tls_file_fingerprint(cert, fp, err, sizeof(err)), 0);
    assert_string_equal(fp, first.fingerprint);
    /* what was made loads as given files too */
    al__tls_release(&again);
    assert_int_equal(al__tls_load(&again, "--tls-cert", cert, "--tls-key", key, err, sizeof(err)),
                     0);
    assert_string_equal(again.fingerprint, first.fingerprint);
    al__tls_release(&again);
    al__tls_release(&first);
    al__tls_release(&first); /* a released one may be released again */
}

static void files_that_are_not_a_certificate_and_its_key_are_refused(void **state) {
    const char *dir = *state;
    struct al__tls ours = {0}, other = {0}, got = {0};
    char err[1024] = "", sub[512], cert[600], key[600], other_key[600], text[600], missing[600];
    bool made;

    assert_int_equal(al__tls_self_signed(&ours, dir, names, 1, &made, err, sizeof(err)), 0);
    snprintf(sub, sizeof(sub), "%s/other", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(al__tls_self_signed(&other, sub, names, 1, &made, err, sizeof(err)), 0);
    assert_string_not_equal(other.fingerprint, ours.fingerprint);
    path_in(dir, AL__TLS_CERT_FILE, cert, sizeof(cert));
    path_in(dir, AL__TLS_KEY_FILE, key, sizeof(key));
    path_in(sub, AL__TLS_KEY_FILE, other_key, sizeof(other_key));
    path_in(dir, "text", text, sizeof(text));
    path_in(dir, "missing", missing, sizeof(missing));
    write_text(text, "hello\n");

    static const struct {
        int cert, key;            /* 0 cert, 1 key, 2 other key, 3 text, 4 missing */
        const char *label, *says; /* what the message names */
    } cases[] = {
        {4, 1, "--tls-cert", "cannot read"},   {3, 1, "--tls-cert", "no certificate"},
        {0, 3, "--tls-key", "not a PEM"},      {0, 0, "--tls-key", "private key"},
        {0, 2, "--tls-key", "not the key of"}, {0, 4, "--tls-key", "cannot read"},
    };
    const char *paths[] = {cert, key, other_key, text, missing};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        int rc = al__tls_load(&got, "--tls-cert", paths[cases[i].cert], "--tls-key",
                              paths[cases[i].key], err, sizeof(err));
        assert_true(rc == -AL_EINVAL || rc == -AL_EIO);
        assert_says(err, cases[i].label, cases[i].says);
        assert_null(got.cert_pem); /* untouched on failure */
    }
    al__tls_release(&ours);
    al__tls_release(&other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_pair_is_made_once_private_and_reused),
        cmocka_unit_test(files_that_are_not_a_certificate_and_its_key_are_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
