/* sign_in.c - tokens from passwords and client secrets, secrets read without echo, refreshes,
 * and the logout and whoami commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "allot/errors.h"
#include "cli/client.h"
#include "cli/connect.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/sign_in.h"
#include "cli/util.h"

static char refreshed[1024]; /* the access token a refresh gave, "" when none */

const char *al__cli_token_now(const struct al__cli *cli) {
    return refreshed[0] ? refreshed : cli->conn.token;
}

int al__cli_prompt_secret(const char *prompt, char *buf, size_t size) {
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    struct termios old, quiet;
    ssize_t n = 0;
    size_t len = 0;
    char c;
    if (fd < 0)
        return -1;
    if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) != 0) {
        close(fd);
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    while ((n = read(fd, &c, 1)) == 1 && c != '\n' && c != '\r')
        if (len + 1 < size)
            buf[len++] = c;
    buf[len] = '\0';
    tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0)
        n = -1;
    close(fd);
    return n < 0 || len == 0 ? -1 : 0;
}

int al__cli_read_secret(const struct al__cli *cli, const char *file, const char *option, char *buf,
                        size_t size) {
    buf[0] = '\0';
    if (strcmp(file, "-") == 0) {
        if (isatty(STDIN_FILENO))
            return al__cli_prompt_secret("password: ", buf, size) < 0
                       ? (fprintf(stderr, "%s: %s: no password given\n", cli->name, option), -1)
                       : 0;
        if (!fgets(buf, (int)size, stdin))
            buf[0] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
    } else if (al__cli_read_line_file(file, buf, size) < 0) {
        fprintf(stderr, "%s: %s: cannot read %s\n", cli->name, option, file);
        return -1;
    }
    if (!buf[0]) {
        fprintf(stderr, "%s: %s: %s holds nothing\n", cli->name, option,
                strcmp(file, "-") == 0 ? "standard input" : file);
        return -1;
    }
    return 0;
}

int al__cli_token_grant(const struct al__cli *cli, const json_t *body, json_t **out) {
    struct al__cli anonymous = *cli;
    anonymous.conn.token = NULL;
    return al__cli_call(&anonymous, "POST", "/api/v1/token", body, out);
}

/* Writes `text` and a newline to path, the user's only. 0 or -1. */
static int write_private(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = strlen(text);
    int ok = fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, text, n) == (ssize_t)n &&
             write(fd, "\n", 1) == 1;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

int al__cli_save_refresh(const char *token_file, const char *token) {
    char path[1300];
    snprintf(path, sizeof(path), "%s.refresh", token_file);
    if (!token)
        return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    return write_private(path, token);
}

bool al__cli_refresh(const struct al__cli *cli) {
    char path[1300], token[1024];
    struct al__cli_reply reply;
    struct al__cli anonymous = *cli;
    if (!cli->conn.token_path[0])
        return false;
    snprintf(path, sizeof(path), "%s.refresh", cli->conn.token_path);
    if (al__cli_read_line_file(path, token, sizeof(token)) < 0)
        return false;
    anonymous.conn.token = NULL;
    json_t *body = json_pack("{s:s, s:s}", "grant_type", "refresh_token", "refresh_token", token);
    int rc = al__cli_request(&anonymous, "POST", "/api/v1/token", body, &reply);
    json_decref(body);
    const char *access = al__cli_json_str(reply.body, "access_token", NULL);
    const char *again = al__cli_json_str(reply.body, "refresh_token", NULL);
    bool ok = rc == 0 && reply.status == 200 && access && again &&
              strlen(access) < sizeof(refreshed) &&
              write_private(cli->conn.token_path, access) == 0 &&
              al__cli_save_refresh(cli->conn.token_path, again) == 0;
    if (ok)
        snprintf(refreshed, sizeof(refreshed), "%s", access);
    else if (rc == 0 && reply.status == 401) /* spent: sign in again */
        al__cli_save_refresh(cli->conn.token_path, NULL);
    al__cli_reply_release(&reply);
    return ok;
}

int al__cli_sso_sign_in(struct al__cli *cli, char *token, size_t size, char *refresh,
                        size_t refresh_size) {
    json_t *start = NULL;
    cli->conn.token = NULL;
    if (al__cli_call(cli, "POST", "/api/v1/sso/start", NULL, &start) < 0)
        return -AL_EIO;
    const char *url = al__cli_json_str(start, "url", NULL);
    const char *device = al__cli_json_str(start, "device_code", NULL);
    int64_t interval = al__cli_json_int(start, "interval", 1);
    int64_t left = al__cli_json_int(start, "expires_in", 600);
    if (!url || !device) {
        fprintf(stderr, "%s: allotd's answer to sso/start lacks a url or device_code\n", cli->name);
        json_decref(start);
        return -AL_EIO;
    }
    fprintf(stderr, "Open this address in a browser to sign in (within %lld minutes):\n\n  %s\n\n",
            (long long)(left / 60), url);
    json_t *body = json_pack("{s:s, s:s}", "grant_type",
                             "urn:ietf:params:oauth:grant-type:device_code", "device_code", device);
    json_decref(start);
    int rc = -AL_EIO;
    for (int64_t waited = 0; waited <= left; waited += interval) {
        struct al__cli_reply reply;
        if (al__cli_request(cli, "POST", "/api/v1/token", body, &reply) < 0) {
            al__cli_report(cli, &reply);
            break;
        }
        const json_t *err = json_object_get(reply.body, "error");
        if (reply.status == 200) {
            snprintf(token, size, "%s", al__cli_json_str(reply.body, "access_token", ""));
            snprintf(refresh, refresh_size, "%s",
                     al__cli_json_str(reply.body, "refresh_token", ""));
            al__cli_reply_release(&reply);
            rc = 0;
            break;
        }
        if (strcmp(al__cli_json_str(err, "code", ""), "authorization_pending") != 0) {
            al__cli_report(cli, &reply);
            al__cli_reply_release(&reply);
            break;
        }
        al__cli_reply_release(&reply);
        sleep((unsigned)(interval > 0 ? interval : 1));
    }
    json_decref(body);
    return rc;
}

int al__cmd_logout(const struct al__cli *cli, int argc, char **argv) {
    const char *none = NULL;
    json_t *answer = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, NULL, &none);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!cli->conn.token) {
        fprintf(stderr, "%s: not signed in: no token to log out with\n", cli->name);
        return AL__EXIT_DENIED;
    }
    rc = al__cli_call(cli, "POST", "/api/v1/token/revoke", NULL, &answer);
    json_decref(answer);
    if (cli->conn.token_path[0] && rc == 0) { /* the revoked tokens are of no use: gone too */
        unlink(cli->conn.token_path);
        al__cli_save_refresh(cli->conn.token_path, NULL);
    }
    if (rc < 0)
        return al__cli_failed();
    printf("logged out: the session's tokens are revoked\n");
    return AL__EXIT_OK;
}

int al__cmd_whoami(const struct al__cli *cli, int argc, char **argv) {
    const char *none = NULL;
    json_t *me = NULL, *role;
    size_t i;
    int rc = al__cli_parse_name(cli, argc, argv, NULL, &none);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (al__cli_call(cli, "GET", "/api/v1/whoami", NULL, &me) < 0)
        return al__cli_failed();
    if (AL__CLI_STRUCTURED(cli)) {
        rc = al__cli_print_doc(cli, me) < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
        json_decref(me);
        return rc;
    }
    printf("%s\n", al__cli_json_str(me, "subject", "?"));
    json_array_foreach(json_object_get(me, "roles"), i, role) printf(
        "  %s in %s\n", al__cli_json_str(role, "role", "?"), al__cli_json_str(role, "scope", "?"));
    if (json_array_size(json_object_get(me, "roles")) == 0)
        printf("  no role: ask an administrator for an access rule\n");
    json_decref(me);
    return AL__EXIT_OK;
}
