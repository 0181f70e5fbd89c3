/* config_cmds.c - `allot login` and `allot config view|use-context|set-project|
 * delete-context`: the contexts of the config file. */
#define _DEFAULT_SOURCE /* realpath */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/config_file.h"
#include "cli/connect.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/sign_in.h"
#include "cli/tls_client.h"
#include "cli/util.h"

/* Reads the config into *cfg and its path into path; an exit status after printing why. */
static int config_open(const struct al__cli *cli, struct al__cli_config *cfg, char *path,
                       size_t size) {
    char err[4400];

    if (al__cli_config_path(path, size) < 0) {
        fprintf(stderr, "%s: no config file: set HOME, XDG_CONFIG_HOME or ALLOT_CONFIG\n",
                cli->name);
        return AL__EXIT_USAGE;
    }
    if (al__cli_config_read(path, cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", cli->name, err);
        return AL__EXIT_USAGE;
    }
    return AL__EXIT_OK;
}

static int config_save(const struct al__cli *cli, struct al__cli_config *cfg, const char *path) {
    char err[4400];
    int rc = al__cli_config_write(path, cfg, err, sizeof(err));

    if (rc < 0)
        fprintf(stderr, "%s: %s\n", cli->name, err);
    al__cli_config_release(cfg);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}

/* The command line NAME of a command on one context, the config read and that context found:
 * AL__EXIT_OK with *c, else the exit status after printing why (cfg released). */
static int open_named(const struct al__cli *cli, int argc, char **argv, struct al__cli_config *cfg,
                      char *path, size_t size, struct al__cli_context **c) {
    const char *name = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, "context", &name);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = config_open(cli, cfg, path, size)) != AL__EXIT_OK)
        return rc;
    if (!(*c = al__cli_config_find(cfg, name))) {
        fprintf(stderr, "%s: no context named '%s' in %s\n", cli->name, name, path);
        al__cli_config_release(cfg);
        return AL__EXIT_NOT_FOUND;
    }
    return AL__EXIT_OK;
}

int al__cmd_config_use_context(const struct al__cli *cli, int argc, char **argv) {
    struct al__cli_config cfg;
    struct al__cli_context *c;
    char path[4096], name[64];
    int rc = open_named(cli, argc, argv, &cfg, path, sizeof(path), &c);

    if (rc != AL__EXIT_OK)
        return rc;
    snprintf(name, sizeof(name), "%s", c->name);
    al__cli_config_set(&cfg.current, name);
    if ((rc = config_save(cli, &cfg, path)) == AL__EXIT_OK)
        printf("current context: %s\n", name);
    return rc;
}

int al__cmd_config_delete_context(const struct al__cli *cli, int argc, char **argv) {
    struct al__cli_config cfg;
    struct al__cli_context *c;
    char path[4096], tokens[4200], name[64];
    int rc = open_named(cli, argc, argv, &cfg, path, sizeof(path), &c);

    if (rc != AL__EXIT_OK)
        return rc;
    snprintf(name, sizeof(name), "%s", c->name);
    /* a token file login wrote goes with its context; one the user named stays */
    snprintf(tokens, sizeof(tokens), "%s.tokens/", path);
    if (c->token_file && strncmp(c->token_file, tokens, strlen(tokens)) == 0)
        unlink(c->token_file);
    al__cli_config_remove(&cfg, name);
    if ((rc = config_save(cli, &cfg, path)) == AL__EXIT_OK)
        printf("context %s deleted\n", name);
    return rc;
}

int al__cmd_config_set_project(const struct al__cli *cli, int argc, char **argv) {
    const char *project = NULL;
    struct al__cli_config cfg;
    char path[4096];
    int rc = al__cli_parse_name(cli, argc, argv, "project", &project);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (project[0] && !al__name_valid(project))
        return al__cli_parse_exit(
            al__cli_usage_error(cli, "'%s' is not a project name (1-63 of a-z, 0-9, '-')", project),
            cli);
    if ((rc = config_open(cli, &cfg, path, sizeof(path))) != AL__EXIT_OK)
        return rc;
    struct al__cli_context *c = cfg.current ? al__cli_config_find(&cfg, cfg.current) : NULL;
    if (!c) {
        fprintf(stderr, "%s: no current context in %s (run `allot login` first)\n", cli->name,
                path);
        al__cli_config_release(&cfg);
        return AL__EXIT_NOT_FOUND;
    }
    al__cli_config_set(&c->project, project);
    char context[128];
    snprintf(context, sizeof(context), "%s", c->name);
    if ((rc = config_save(cli, &cfg, path)) == AL__EXIT_OK)
        printf(project[0] ? "context %s: default project %s\n"
                          : "context %s: no default project%s\n",
               context, project);
    return rc;
}

int al__cmd_config_view(const struct al__cli *cli, int argc, char **argv) {
    const char *none = NULL;
    struct al__cli_config cfg;
    char path[4096];
    int rc = al__cli_parse_name(cli, argc, argv, NULL, &none);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = config_open(cli, &cfg, path, sizeof(path))) != AL__EXIT_OK)
        return rc;
    if (cli->format == AL__CLI_FORMAT_NAME) {
        for (size_t i = 0; i < cfg.count; i++)
            printf("context/%s\n", cfg.contexts[i].name);
    } else if (AL__CLI_STRUCTURED(cli)) {
        json_t *list = al__cli_json_take(json_array());
        for (size_t i = 0; i < cfg.count; i++) {
            const struct al__cli_context *c = &cfg.contexts[i];
            json_array_append_new(
                list, json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:b}", "name", c->name,
                                "server", c->server, "token_file", c->token_file, "state_dir",
                                c->state_dir, "project", c->project, "ca_file", c->ca_file,
                                "tls_fingerprint", c->tls_fingerprint, "current",
                                cfg.current && strcmp(cfg.current, c->name) == 0));
        }
        json_t *doc = json_pack("{s:s, s:o}", "path", path, "contexts", list);
        rc = al__cli_print_doc(cli, doc) < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
        json_decref(doc);
    } else if (cfg.count == 0) {
        fprintf(stderr, "no contexts in %s (run `allot login`)\n", path);
    } else {
        static const char *const headers[] = {"CURRENT", "NAME", "SERVER", "PROJECT"};
        struct al__cli_table t;
        al__cli_table_init(&t, 4, headers);
        for (size_t i = 0; i < cfg.count; i++) {
            const struct al__cli_context *c = &cfg.contexts[i];
            al__cli_table_cell(&t, "%s",
                               cfg.current && strcmp(cfg.current, c->name) == 0 ? "*" : "");
            al__cli_table_cell(&t, "%s", c->name);
            if (c->state_dir)
                al__cli_table_cell(&t, "local allotd at %s", c->state_dir);
            else
                al__cli_table_cell(&t, "%s", c->server ? c->server : "-");
            al__cli_table_cell(&t, "%s", c->project ? c->project : "-");
        }
        al__cli_table_print_list(cli, &t);
        al__cli_table_release(&t);
    }
    al__cli_config_release(&cfg);
    return rc;
}

/* ---- login ---- */

struct login {
    const char *server, *token, *token_file, *state_dir, *context, *project;
    const char *user, *password_file, *client_id, *secret_file; /* signing in for tokens */
    const char *ca_file, *fingerprint;                          /* trusting an https:// server */
    bool password_stdin, sso;
};

static int login_parse(const struct al__cli *cli, int argc, char **argv, struct login *l) {
    const struct al__cli_option options[] = {
        {NULL, "--server", NULL, NULL, 0, NULL},
        {NULL, "--token", NULL, NULL, 0, NULL},
        {NULL, "--token-file", NULL, NULL, 0, NULL},
        {NULL, "--state-dir", NULL, NULL, 0, NULL},
        {NULL, "--context", NULL, NULL, 0, NULL},
        {"-p", "--project", NULL, NULL, 0, NULL},
        {NULL, "--user", NULL, NULL, 0, NULL},
        {NULL, "--password-file", NULL, NULL, 0, NULL},
        {NULL, "--client-id", NULL, NULL, 0, NULL},
        {NULL, "--client-secret-file", NULL, NULL, 0, NULL},
        {NULL, "--ca-file", NULL, NULL, 0, NULL},
        {NULL, "--tls-fingerprint", NULL, NULL, 0, NULL},
    };
    const char **slots[] = {&l->server,    &l->token,       &l->token_file, &l->state_dir,
                            &l->context,   &l->project,     &l->user,       &l->password_file,
                            &l->client_id, &l->secret_file, &l->ca_file,    &l->fingerprint};
    const size_t count = sizeof(slots) / sizeof(slots[0]);
    struct al__cli_args a;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        size_t k = 0;
        if (al__cli_args_is(&a, NULL, "--password-stdin") || al__cli_args_is(&a, NULL, "--sso")) {
            if (!al__cli_args_flag(&a,
                                   strcmp(a.option, "--sso") == 0 ? &l->sso : &l->password_stdin))
                return AL__CLI_BAD;
            continue;
        }
        while (k < count && !al__cli_args_is(&a, options[k].short_name, options[k].long_name))
            k++;
        if (k == count)
            return al__cli_args_unknown(&a);
        if (!(*slots[k] = al__cli_args_value(&a)))
            return AL__CLI_BAD;
    }
    int rc = al__cli_args_finish(&a, NULL, NULL);
    if (rc != AL__CLI_RUN)
        return rc;
    if (!l->server && !l->state_dir)
        return al__cli_usage_error(cli, "give --server URL (and a token), or --state-dir DIR "
                                        "of a local allotd");
    if ((l->token != NULL) + (l->token_file != NULL) + (l->user != NULL) + (l->client_id != NULL) +
            l->sso >
        1)
        return al__cli_usage_error(cli, "give one of --token, --token-file, --user, --client-id "
                                        "and --sso");
    if ((l->password_file || l->password_stdin) && !l->user)
        return al__cli_usage_error(cli, "--password-file and --password-stdin go with --user");
    if (l->client_id && !l->secret_file)
        return al__cli_usage_error(cli, "--client-id needs --client-secret-file FILE ('-': "
                                        "standard input)");
    if (l->ca_file && l->fingerprint)
        return al__cli_usage_error(cli, "give --ca-file or --tls-fingerprint, not both");
    unsigned char pin[32];
    if (l->fingerprint && al__cli_fingerprint_parse(l->fingerprint, pin) < 0)
        return al__cli_usage_error(cli,
                                   "--tls-fingerprint: '%.120s' is not a SHA-256 fingerprint "
                                   "(AA:BB:... as allotd --print-fingerprint shows it)",
                                   l->fingerprint);
    if (l->server && strncmp(l->server, "http://", 7) != 0 && strncmp(l->server, "https://", 8))
        return al__cli_usage_error(cli, "--server: '%s' is not an http:// or https:// URL",
                                   l->server);
    if (l->project && !al__name_valid(l->project))
        return al__cli_usage_error(cli, "--project: '%s' is not a name (1-63 of a-z, 0-9, '-')",
                                   l->project);
    if (l->context && !al__cli_context_name_ok(l->context))
        return al__cli_usage_error(cli,
                                   "--context: '%s' is not a context name (1-63 of "
                                   "a-z, A-Z, 0-9, '-', '.', '_')",
                                   l->context);
    return AL__CLI_RUN;
}

/* The context's default name: the server's host (and port), or "local". */
static void default_name(const struct login *l, char *buf, size_t size) {
    const char *host = l->server ? strstr(l->server, "://") + 3 : NULL;
    size_t n = 0;

    if (!host) {
        snprintf(buf, size, "local");
        return;
    }
    while (host[n] && host[n] != '/' && n + 1 < size) {
        buf[n] = host[n] == ':' ? '-' : host[n];
        n++;
    }
    buf[n] = '\0';
}

/* The token login was given, into buf: from --token, --token-file or standard input. */
static int login_token(const struct al__cli *cli, const struct login *l, char *buf, size_t size) {
    if (l->token) {
        snprintf(buf, size, "%s", l->token);
        return 0;
    }
    if (!l->token_file)
        return buf[0] = '\0', 0;
    if (strcmp(l->token_file, "-") == 0) {
        if (!fgets(buf, (int)size, stdin))
            buf[0] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
    } else if (al__cli_read_line_file(l->token_file, buf, size) < 0) {
        fprintf(stderr, "%s: --token-file: cannot read a token from %s\n", cli->name,
                l->token_file);
        return -1;
    }
    if (!buf[0]) {
        fprintf(stderr, "%s: --token-file: %s holds no token\n", cli->name, l->token_file);
        return -1;
    }
    return 0;
}

/* Writes the token to PATH.tokens/NAME, readable by the user only; its path into out. */
static int save_token(const struct al__cli *cli, const char *config, const char *name,
                      const char *token, char *out, size_t size) {
    char dir[4200];

    snprintf(dir, sizeof(dir), "%s.tokens", config);
    snprintf(out, size, "%s/%s", dir, name);
    mkdir(dir, 0700);
    FILE *f = fopen(out, "w");
    if (!f || fchmod(fileno(f), 0600) < 0 || fprintf(f, "%s\n", token) < 0 || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", cli->name, out, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Signs in with a user's password (--password-file, --password-stdin, else a prompt) or an
 * app's client secret: the access token into token, the refresh token (a user's) into
 * refresh. 0, -AL_EIO after a refused sign-in (al__cli_failed), or an exit status.
 */
static int sign_in(const struct al__cli *cli, struct al__cli *probe, const struct login *l,
                   char *token, size_t size, char *refresh, size_t refresh_size) {
    char secret[1100];
    json_t *body, *answer = NULL;
    int rc;
    probe->conn.token = NULL;
    if (l->user) {
        if (l->password_file || l->password_stdin)
            rc = al__cli_read_secret(cli, l->password_file ? l->password_file : "-",
                                     l->password_file ? "--password-file" : "--password-stdin",
                                     secret, sizeof(secret));
        else if ((rc = al__cli_prompt_secret("password: ", secret, sizeof(secret))) < 0)
            fprintf(stderr,
                    "%s: --user: no terminal to ask for the password on: give "
                    "--password-stdin or --password-file\n",
                    cli->name);
        if (rc < 0)
            return AL__EXIT_USAGE;
        body = json_pack("{s:s, s:s, s:s}", "grant_type", "password", "username", l->user,
                         "password", secret);
    } else {
        if (al__cli_read_secret(cli, l->secret_file, "--client-secret-file", secret,
                                sizeof(secret)) < 0)
            return AL__EXIT_USAGE;
        body = json_pack("{s:s, s:s, s:s}", "grant_type", "client_credentials", "client_id",
                         l->client_id, "client_secret", secret);
    }
    sodium_memzero(secret, sizeof(secret));
    rc = al__cli_token_grant(probe, body, &answer);
    json_decref(body);
    if (rc < 0)
        return rc;
    snprintf(token, size, "%s", al__cli_json_str(answer, "access_token", ""));
    snprintf(refresh, refresh_size, "%s", al__cli_json_str(answer, "refresh_token", ""));
    json_decref(answer);
    return 0;
}

int al__cmd_login(const struct al__cli *cli, int argc, char **argv) {
    struct login l = {0};
    struct al__cli_config cfg;
    char path[4096], name[128], token[1024] = "", token_path[4400], state[4096];
    char refresh[1024] = "";
    int rc = login_parse(cli, argc, argv, &l);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (login_token(cli, &l, token, sizeof(token)) < 0)
        return AL__EXIT_USAGE;
    if (l.state_dir && !realpath(l.state_dir, state)) {
        fprintf(stderr, "%s: --state-dir: %s: %s\n", cli->name, l.state_dir, strerror(errno));
        return AL__EXIT_NOT_FOUND;
    }
    char ca[4096];
    if (l.ca_file && !realpath(l.ca_file, ca)) { /* kept by path: a relative one would break */
        fprintf(stderr, "%s: --ca-file: %s: %s\n", cli->name, l.ca_file, strerror(errno));
        return AL__EXIT_NOT_FOUND;
    }
    /* check that allotd answers and takes the token before saving anything */
    struct al__cli probe = *cli;
    memset(&probe.conn, 0, sizeof(probe.conn));
    probe.conn.server = l.server;
    probe.conn.state_dir = l.state_dir ? state : NULL;
    probe.conn.token = token[0] ? token : NULL;
    probe.conn.token_from = "the token given";
    if (l.user || l.client_id || l.sso)
        probe.conn.token = "-"; /* none from the state dir: a sign-in gives one */
    probe.conn.ca_file = l.ca_file ? ca : NULL;
    probe.conn.fingerprint = l.fingerprint;
    probe.conn.tls_from = l.ca_file ? "--ca-file" : "--tls-fingerprint";
    if ((rc = al__cli_conn_resolve_local(&probe)) != 0)
        return rc;
    json_t *me = NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (l.sso)
        rc = al__cli_sso_sign_in(&probe, token, sizeof(token), refresh, sizeof(refresh));
    else if (l.user || l.client_id)
        rc = sign_in(cli, &probe, &l, token, sizeof(token), refresh, sizeof(refresh));
    else
        rc = al__cli_call(&probe, "GET", "/api/v1/whoami", NULL, &me);
    curl_global_cleanup();
    json_decref(me);
    if (rc < 0)
        return al__cli_failed();
    if (rc > 0)
        return rc;
    if ((rc = config_open(cli, &cfg, path, sizeof(path))) != AL__EXIT_OK)
        return rc;
    if (l.context)
        snprintf(name, sizeof(name), "%s", l.context);
    else
        default_name(&l, name, sizeof(name));
    struct al__cli_context *c = al__cli_config_add(&cfg, name);
    al__cli_config_set(&c->server, l.server);
    al__cli_config_set(&c->state_dir, l.state_dir ? state : NULL);
    al__cli_config_set(&c->ca_file, l.ca_file ? ca : NULL);
    al__cli_config_set(&c->tls_fingerprint, l.fingerprint);
    if (l.project)
        al__cli_config_set(&c->project, l.project);
    if (token[0]) {
        if (save_token(cli, path, name, token, token_path, sizeof(token_path)) < 0) {
            al__cli_config_release(&cfg);
            return AL__EXIT_FAIL;
        }
        al__cli_config_set(&c->token_file, token_path);
        if (al__cli_save_refresh(token_path, refresh[0] ? refresh : NULL) < 0) {
            fprintf(stderr, "%s: cannot write %s.refresh\n", cli->name, token_path);
            al__cli_config_release(&cfg);
            return AL__EXIT_FAIL;
        }
        sodium_memzero(refresh, sizeof(refresh));
    } else {
        al__cli_config_set(&c->token_file, NULL);
    }
    al__cli_config_set(&cfg.current, name);
    if ((rc = config_save(cli, &cfg, path)) == AL__EXIT_OK)
        printf("logged in to %s as context %s (now the current one)\n", probe.conn.server, name);
    return rc;
}
