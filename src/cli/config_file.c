/* config_file.c - the CLI's config file: an INI-like text (git config's shape) of contexts.
 *
 *     current-context = local
 *
 *     [context "local"]
 *     server = http://127.0.0.1:7373
 *     token-file = /home/me/.config/allot/tokens/local
 *     project = team-a
 *     ca-file = /home/me/.config/allot/lab-ca.pem      (or tls-fingerprint = AA:BB:...)
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config_file.h"
#include "util/xalloc.h"

#define LINE_MAX_LEN 4096

int al__cli_config_path(char *buf, size_t size) {
    const char *explicit = getenv("ALLOT_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;

    if (explicit && explicit[0])
        n = snprintf(buf, size, "%s", explicit);
    else if (xdg && xdg[0] == '/')
        n = snprintf(buf, size, "%s/allot/config", xdg);
    else if (home && home[0])
        n = snprintf(buf, size, "%s/.config/allot/config", home);
    else
        return -1;
    return n > 0 && (size_t)n < size ? 0 : -1;
}

void al__cli_config_set(char **slot, const char *value) {
    free(*slot);
    *slot = value && value[0] ? al__xstrdup(value) : NULL;
}

struct al__cli_context *al__cli_config_find(const struct al__cli_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->count; i++)
        if (strcmp(cfg->contexts[i].name, name) == 0)
            return &cfg->contexts[i];
    return NULL;
}

struct al__cli_context *al__cli_config_add(struct al__cli_config *cfg, const char *name) {
    struct al__cli_context *c = al__cli_config_find(cfg, name);

    if (c)
        return c;
    cfg->contexts = al__xrealloc(cfg->contexts, (cfg->count + 1) * sizeof(*cfg->contexts));
    c = &cfg->contexts[cfg->count++];
    memset(c, 0, sizeof(*c));
    c->name = al__xstrdup(name);
    return c;
}

static void context_release(struct al__cli_context *c) {
    free(c->name);
    free(c->server);
    free(c->token_file);
    free(c->state_dir);
    free(c->project);
    free(c->ca_file);
    free(c->tls_fingerprint);
}

void al__cli_config_remove(struct al__cli_config *cfg, const char *name) {
    struct al__cli_context *c = al__cli_config_find(cfg, name);

    if (!c)
        return;
    if (cfg->current && strcmp(cfg->current, name) == 0)
        al__cli_config_set(&cfg->current, NULL);
    context_release(c);
    size_t i = (size_t)(c - cfg->contexts);
    memmove(c, c + 1, (cfg->count - i - 1) * sizeof(*c));
    cfg->count--;
}

void al__cli_config_release(struct al__cli_config *cfg) {
    for (size_t i = 0; i < cfg->count; i++)
        context_release(&cfg->contexts[i]);
    free(cfg->contexts);
    free(cfg->current);
    memset(cfg, 0, sizeof(*cfg));
}

/* The line without surrounding blanks (in place). */
static char *trim(char *s) {
    size_t n = strlen(s);

    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

bool al__cli_context_name_ok(const char *s) {
    size_t n = strlen(s);

    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("-._", s[i]))
            return false;
    return true;
}

/* `[context "NAME"]` into a new current section; 0, or -1 with what is wrong in *why. */
static int section(struct al__cli_config *cfg, char *line, struct al__cli_context **at,
                   const char **why) {
    size_t n = strlen(line);
    static const char head[] = "[context \"";

    if (n < sizeof(head) + 1 || strncmp(line, head, sizeof(head) - 1) != 0 ||
        strcmp(line + n - 2, "\"]") != 0) {
        *why = "a section must be [context \"NAME\"]";
        return -1;
    }
    line[n - 2] = '\0';
    const char *name = line + sizeof(head) - 1;
    if (!al__cli_context_name_ok(name)) {
        *why = "a context's name is 1-63 of a-z, A-Z, 0-9, '-', '.', '_'";
        return -1;
    }
    if (al__cli_config_find(cfg, name)) {
        *why = "this context was named before";
        return -1;
    }
    *at = al__cli_config_add(cfg, name);
    return 0;
}

/* `key = value` into the current context (or the top for current-context). */
static int setting(struct al__cli_config *cfg, struct al__cli_context *at, char *line,
                   const char **why) {
    char *eq = strchr(line, '=');

    if (!eq) {
        *why = "expected `key = value` or a [context \"NAME\"] section";
        return -1;
    }
    *eq = '\0';
    const char *key = trim(line), *value = trim(eq + 1);
    if (!at) {
        if (strcmp(key, "current-context") != 0) {
            *why = "only current-context goes before the first [context \"NAME\"]";
            return -1;
        }
        al__cli_config_set(&cfg->current, value);
        return 0;
    }
    char **slot = strcmp(key, "server") == 0            ? &at->server
                  : strcmp(key, "token-file") == 0      ? &at->token_file
                  : strcmp(key, "state-dir") == 0       ? &at->state_dir
                  : strcmp(key, "project") == 0         ? &at->project
                  : strcmp(key, "ca-file") == 0         ? &at->ca_file
                  : strcmp(key, "tls-fingerprint") == 0 ? &at->tls_fingerprint
                                                        : NULL;
    if (!slot) {
        *why = "unknown key (a context has server, token-file, state-dir, project, ca-file and "
               "tls-fingerprint)";
        return -1;
    }
    al__cli_config_set(slot, value);
    return 0;
}

int al__cli_config_read(const char *path, struct al__cli_config *cfg, char *err, size_t size) {
    FILE *f = fopen(path, "r");
    char buf[LINE_MAX_LEN];
    struct al__cli_context *at = NULL;
    const char *why = NULL;
    int line = 0;

    memset(cfg, 0, sizeof(*cfg));
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, size, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (!why && fgets(buf, sizeof(buf), f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            why = "line too long";
            break;
        }
        char *s = trim(buf);
        if (s[0] == '\0' || s[0] == '#' || s[0] == ';')
            continue;
        if (s[0] == '[')
            section(cfg, s, &at, &why);
        else
            setting(cfg, at, s, &why);
    }
    fclose(f);
    if (!why && cfg->current && !al__cli_config_find(cfg, cfg->current)) {
        snprintf(err, size, "%s: current-context '%s' is not a context of the file", path,
                 cfg->current);
        al__cli_config_release(cfg);
        return -1;
    }
    if (why) {
        snprintf(err, size, "%s:%d: %s", path, line, why);
        al__cli_config_release(cfg);
        return -1;
    }
    return 0;
}

/* mkdir -p the directory part of path, mode 0700 for what it makes. */
static int make_parents(const char *path) {
    char dir[4096];

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return -1;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static void write_value(FILE *f, const char *key, const char *value) {
    if (value)
        fprintf(f, "%s = %s\n", key, value);
}

int al__cli_config_write(const char *path, const struct al__cli_config *cfg, char *err,
                         size_t size) {
    char tmp[4200];
    FILE *f;

    for (size_t i = 0; i < cfg->count; i++) {
        const struct al__cli_context *c = &cfg->contexts[i];
        const char *values[] = {c->server,  c->token_file, c->state_dir,
                                c->project, c->ca_file,    c->tls_fingerprint};
        for (size_t k = 0; k < 6; k++)
            for (const char *v = values[k]; v && *v; v++)
                if (iscntrl((unsigned char)*v)) {
                    snprintf(err, size, "context %s: a value with a control character", c->name);
                    return -1;
                }
    }
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if (make_parents(path) < 0 || !(f = fopen(tmp, "w"))) {
        snprintf(err, size, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fchmod(fileno(f), 0600);
    fprintf(f, "# allot's contexts: `allot login`, `allot config use-context|set-project`\n");
    write_value(f, "current-context", cfg->current);
    for (size_t i = 0; i < cfg->count; i++) {
        const struct al__cli_context *c = &cfg->contexts[i];
        fprintf(f, "\n[context \"%s\"]\n", c->name);
        write_value(f, "server", c->server);
        write_value(f, "token-file", c->token_file);
        write_value(f, "state-dir", c->state_dir);
        write_value(f, "project", c->project);
        write_value(f, "ca-file", c->ca_file);
        write_value(f, "tls-fingerprint", c->tls_fingerprint);
    }
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, size, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
