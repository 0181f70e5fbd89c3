/* identity_start.c - subjects, sessions and the first administrator on start. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/directory_service.h"
#include "daemon/identity_start.h"
#include "daemon/password.h"
#include "daemon/sessions.h"
#include "daemon/subject_rate.h"
#include "util/xalloc.h"

/* Writes the password to DIR/admin.password, its owner's only. */
static int write_password(const char *path, const char *password) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = strlen(password);
    int ok = fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, password, n) == (ssize_t)n &&
             write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    return ok ? 0 : -1;
}

/* The first administrator: user admin with a generated password and the system scope. */
static int make_first_admin(struct allotd *d, char *err, size_t size) {
    static const struct al__actor system = {"system", "local"};
    unsigned char secret[18];
    char password[32], path[4096];
    struct al__user u = {.created_s = al__daemon_now()};
    struct al__rule r = {.subject = "user:admin",
                         .binding = {AL__ROLE_SYSTEM_ADMIN, AL__SCOPE_SYSTEM, ""},
                         .created_s = u.created_s};
    struct al__failure f;
    int rc = -1;

    randombytes_buf(secret, sizeof(secret));
    sodium_bin2base64(password, sizeof(password), secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof(secret));
    snprintf(u.name, sizeof(u.name), "admin");
    u.password = al__xcalloc(1, AL__PASSWORD_HASH_MAX);
    snprintf(path, sizeof(path), "%s/admin.password", d->state_dir);
    if (al__password_hash(password, strlen(password), u.password) < 0) {
        snprintf(err, size, "cannot hash the first administrator's password (memory)");
    } else if (write_password(path, password) < 0) {
        snprintf(err, size, "cannot write %s", path);
    } else if (al__user_put(d, &system, &u, true, &f) < 0 || al__rule_add(d, &system, &r, &f) < 0) {
        snprintf(err, size, "cannot store the first administrator: %s", f.message);
    } else {
        fprintf(stderr,
                "allotd: first start: user \"admin\" (system administrator) made; its password "
                "is in %s (readable by this user only): `allot login --server URL --user admin`\n",
                path);
        rc = 0;
    }
    sodium_memzero(password, sizeof(password));
    al__user_release(&u);
    return rc;
}

int al__identity_start(struct allotd *d, char *err, size_t size) {
    char unused[32];
    al__login_guard_init(&d->login_guard, d->login_per_minute);
    d->rates = al__subject_rates_new(d->rate_per_second);
    if (al__directory_load(&d->dir, d->store) < 0 || al__sessions_load(d) < 0) {
        snprintf(err, size, "cannot read subjects and sessions: %s", al__store_error(d->store));
        return -1;
    }
    /* the hash an unknown user's password is checked against: as slow as a real one */
    randombytes_buf(unused, sizeof(unused));
    if (al__password_hash(unused, sizeof(unused), d->dummy_hash) < 0) {
        snprintf(err, size, "cannot hash (not enough memory)");
        return -1;
    }
    if (d->auth.made_admin_token && d->dir.user_count == 0)
        return make_first_admin(d, err, size);
    return 0;
}

void al__identity_stop(struct allotd *d) {
    al__directory_release(&d->dir);
    al__subject_rates_free(d->rates);
    d->rates = NULL;
    if (d->login_guard.per_minute > 0)
        al__login_guard_release(&d->login_guard);
}
