/* connect.c - the options every command over the API takes and where allotd is. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/command_table.h"
#include "cli/config_file.h"
#include "cli/connect.h"
#include "cli/options.h"
#include "cli/tls_client.h"

/* If argv[i] is `name` with its value (next or after '='), the value and how many to drop. */
static const char *option_value(int argc, char **argv, int i, const char *name, int *used) {
    size_t len = strlen(name);

    if (strcmp(argv[i], name) == 0) {
        *used = 2;
        return i + 1 < argc ? argv[i + 1] : "";
    }
    if (strncmp(argv[i], name, len) == 0 && argv[i][len] == '=' && name[1] == '-') {
        *used = 1;
        return argv[i] + len + 1;
    }
    if (name[1] != '-' && strncmp(argv[i], name, len) == 0 && argv[i][len]) { /* -ojson */
        *used = 1;
        return argv[i] + len;
    }
    return NULL;
}

static int set_format(struct al__cli *cli, const char *text) {
    static const struct {
        const char *name;
        enum al__cli_format format;
    } formats[] = {{"text", AL__CLI_FORMAT_TEXT},
                   {"wide", AL__CLI_FORMAT_WIDE},
                   {"json", AL__CLI_FORMAT_JSON},
                   {"yaml", AL__CLI_FORMAT_YAML},
                   {"name", AL__CLI_FORMAT_NAME}};

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcmp(text, formats[i].name) == 0) {
            cli->format = formats[i].format;
            return 0;
        }
    return al__cli_usage_error(cli, "-o: '%s' is not a format (text, wide, json, yaml, name)",
                               text);
}

/* Drops argv[i .. i+used-1], argv's closing NULL included. */
static void drop(int *argc, char **argv, int i, int used) {
    memmove(argv + i, argv + i + used, (size_t)(*argc - i - used + 1) * sizeof(*argv));
    *argc -= used;
}

int al__cli_global_extract(struct al__cli *cli, int *argc, char **argv) {
    static const char *const conn_names[] = {"--server",  "--token",   "--state-dir",
                                             "--context", "--ca-file", "--tls-fingerprint"};
    const char **slots[] = {&cli->conn.server,  &cli->conn.token,   &cli->conn.state_dir,
                            &cli->conn.context, &cli->conn.ca_file, &cli->conn.fingerprint};
    unsigned flags = cli->command ? cli->command->flags : 0;
    int i = 1;

    while (i < *argc && strcmp(argv[i], "--") != 0) {
        const char *value = NULL;
        int used = 0;
        if ((flags & AL__CLI_OUTPUT) &&
            (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--no-headers") == 0)) {
            if (argv[i][2] == 'j')
                cli->format = AL__CLI_FORMAT_JSON;
            else
                cli->no_headers = true;
            drop(argc, argv, i, 1);
            continue;
        }
        if ((flags & AL__CLI_OUTPUT) &&
            ((value = option_value(*argc, argv, i, "-o", &used)) ||
             (value = option_value(*argc, argv, i, "--output", &used)))) {
            if (!value[0])
                return al__cli_usage_error(cli, "option '-o' needs a value");
            if (set_format(cli, value) < 0)
                return AL__CLI_BAD;
            drop(argc, argv, i, used);
            continue;
        }
        size_t k = 0;
        while ((flags & AL__CLI_API) && k < 6 &&
               !(value = option_value(*argc, argv, i, conn_names[k], &used)))
            k++;
        if (!value || !(flags & AL__CLI_API)) {
            i++;
            continue;
        }
        if (value[0] == '\0')
            return al__cli_usage_error(cli, "option '%s' needs a value", conn_names[k]);
        *slots[k] = value;
        if (slots[k] == &cli->conn.token)
            cli->conn.token_from = "--token";
        if (k >= 4)
            cli->conn.tls_from = conn_names[k];
        drop(argc, argv, i, used);
    }
    return 0;
}

int al__cli_read_line_file(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    size_t n, start = 0;

    if (!f)
        return -1;
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    while (start < n && isspace((unsigned char)buf[start]))
        start++;
    memmove(buf, buf + start, n - start + 1);
    return buf[0] ? 0 : -1;
}

static const char *env_value(const char *name) {
    const char *v = getenv(name);

    return v && v[0] ? v : NULL;
}

static void token_from(struct al__cli_conn *conn, const char *path) {
    snprintf(conn->token_path, sizeof(conn->token_path), "%s", path);
    if (al__cli_read_line_file(conn->token_path, conn->token_buf, sizeof(conn->token_buf)) == 0) {
        conn->token = conn->token_buf;
        conn->token_from = conn->token_path;
    }
}

/* The context's trust in its server's certificate, when the command line and the environment
 * gave none. */
static void tls_from_context(struct al__cli_conn *conn, const struct al__cli_context *c) {
    if (c->ca_file) {
        snprintf(conn->ca_buf, sizeof(conn->ca_buf), "%s", c->ca_file);
        conn->ca_file = conn->ca_buf;
    }
    if (c->tls_fingerprint) {
        snprintf(conn->fingerprint_buf, sizeof(conn->fingerprint_buf), "%s", c->tls_fingerprint);
        conn->fingerprint = conn->fingerprint_buf;
    }
    snprintf(conn->tls_from_buf, sizeof(conn->tls_from_buf), "context %s", c->name);
    conn->tls_from = conn->tls_from_buf;
}

static bool is_dir(const char *path) {
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The context to use: NULL for none; *status set when a named one does not exist. */
static const struct al__cli_context *chosen_context(const struct al__cli *cli,
                                                    const struct al__cli_config *cfg,
                                                    const char *path, int *status) {
    const char *name = cli->conn.context;
    const struct al__cli_context *c;

    if (!name)
        return cfg->current ? al__cli_config_find(cfg, cfg->current) : NULL;
    if (!(c = al__cli_config_find(cfg, name))) {
        fprintf(stderr, "%s: no context named '%s' in %s (see `allot config view`)\n", cli->name,
                name, path);
        *status = AL__EXIT_NOT_FOUND;
    }
    return c;
}

int al__cli_conn_resolve(struct al__cli *cli) {
    struct al__cli_conn *conn = &cli->conn;
    struct al__cli_config cfg;
    char path[4096], err[4400];
    int status = 0;

    if (!conn->server)
        conn->server = env_value("ALLOT_SERVER");
    if (!conn->token && (conn->token = env_value("ALLOT_TOKEN")))
        conn->token_from = "ALLOT_TOKEN";
    if (!conn->state_dir)
        conn->state_dir = env_value("ALLOT_STATE_DIR");
    if (!conn->context)
        conn->context = env_value("ALLOT_CONTEXT");
    if (!conn->ca_file && !conn->fingerprint) {
        conn->ca_file = env_value("ALLOT_CA_FILE");
        conn->fingerprint = env_value("ALLOT_TLS_FINGERPRINT");
        conn->tls_from = conn->fingerprint ? "ALLOT_TLS_FINGERPRINT" : "ALLOT_CA_FILE";
    }
    if (al__cli_config_path(path, sizeof(path)) < 0) {
        memset(&cfg, 0, sizeof(cfg));
    } else if (al__cli_config_read(path, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", cli->name, err);
        return AL__EXIT_USAGE;
    }
    const struct al__cli_context *c = chosen_context(cli, &cfg, path, &status);
    if (status) {
        al__cli_config_release(&cfg);
        return status;
    }
    if (c && c->project) {
        snprintf(conn->project_buf, sizeof(conn->project_buf), "%s", c->project);
        conn->project = conn->project_buf;
    }
    /* an explicit state directory is that local allotd: the context's server does not apply */
    if (c && !conn->state_dir && c->state_dir) {
        snprintf(conn->state_buf, sizeof(conn->state_buf), "%s", c->state_dir);
        conn->state_dir = conn->state_buf;
    } else if (c && !conn->state_dir) {
        if (!conn->server && c->server) {
            snprintf(conn->server_buf, sizeof(conn->server_buf), "%s", c->server);
            conn->server = conn->server_buf;
        }
        if (!conn->token && c->token_file)
            token_from(conn, c->token_file);
        if (!conn->ca_file && !conn->fingerprint)
            tls_from_context(conn, c);
    }
    al__cli_config_release(&cfg);
    if (!conn->state_dir && !c && is_dir(AL__CLI_DEFAULT_STATE_DIR))
        conn->state_dir = AL__CLI_DEFAULT_STATE_DIR;
    return al__cli_conn_resolve_local(cli);
}

int al__cli_conn_resolve_local(struct al__cli *cli) {
    struct al__cli_conn *conn = &cli->conn;

    if (conn->state_dir) {
        char addr[1200];
        snprintf(addr, sizeof(addr), "%s/allotd.addr", conn->state_dir);
        if (!conn->server &&
            al__cli_read_line_file(addr, conn->server_buf, sizeof(conn->server_buf)) == 0) {
            conn->server = conn->server_buf;
            /* a local allotd serving HTTPS is trusted by the certificate it wrote down */
            snprintf(addr, sizeof(addr), "%s/allotd.fingerprint", conn->state_dir);
            if (strncmp(conn->server, "https://", 8) == 0 && !conn->ca_file && !conn->fingerprint &&
                al__cli_read_line_file(addr, conn->fingerprint_buf,
                                       sizeof(conn->fingerprint_buf)) == 0) {
                conn->fingerprint = conn->fingerprint_buf;
                snprintf(conn->tls_from_buf, sizeof(conn->tls_from_buf), "%s", addr);
                conn->tls_from = conn->tls_from_buf;
            }
        }
        snprintf(addr, sizeof(addr), "%s/admin.token", conn->state_dir);
        if (!conn->token)
            token_from(conn, addr);
    }
    if (!conn->server)
        conn->server = AL__CLI_DEFAULT_SERVER;
    unsigned char pin[32];
    if (conn->fingerprint && al__cli_fingerprint_parse(conn->fingerprint, pin) < 0) {
        fprintf(stderr,
                "%s: --tls-fingerprint: '%.120s' (from %s) is not a SHA-256 fingerprint "
                "(AA:BB:... as allotd --print-fingerprint shows it)\n",
                cli->name, conn->fingerprint, conn->tls_from ? conn->tls_from : "?");
        return AL__EXIT_USAGE;
    }
    return 0;
}
