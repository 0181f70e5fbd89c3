/* config_file.h - the CLI's config file: named contexts (server, token file, local state
 * directory, default project) and which one is current; read, checked and written whole. */
#ifndef ALLOT_CLI_CONFIG_FILE_H
#define ALLOT_CLI_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* One context; each string malloc'd, NULL when not set. */
struct al__cli_context {
    char *name;
    char *server;
    char *token_file;
    char *state_dir;
    char *project;
    char *ca_file;         /* CAs its server's certificate must chain to */
    char *tls_fingerprint; /* or the SHA-256 fingerprint of that certificate */
};

struct al__cli_config {
    char *current; /* the current context's name, or NULL */
    struct al__cli_context *contexts;
    size_t count;
};

/*
 * al__cli_config_path - where the config file is: $ALLOT_CONFIG, else
 * $XDG_CONFIG_HOME/allot/config, else $HOME/.config/allot/config. 0, or -1 when none can be
 * named (no HOME) or it does not fit.
 */
int al__cli_config_path(char *buf, size_t size);

/*
 * al__cli_config_read - the file at `path` into *cfg (the caller releases it). A missing file
 * is an empty config. Returns 0, or -1 with err saying "PATH:LINE: what is wrong" for a file
 * that is not a config (an unknown key, a line that is neither a section nor key = value, a
 * context named twice, a current context that does not exist...).
 */
int al__cli_config_read(const char *path, struct al__cli_config *cfg, char *err, size_t size);

/*
 * al__cli_config_write - cfg to `path`, whole: a new file renamed over the old, readable by
 * the user only, its directory made when missing. 0, or -1 with err.
 */
int al__cli_config_write(const char *path, const struct al__cli_config *cfg, char *err,
                         size_t size);

/* A context's name: 1-63 of a-z, A-Z, 0-9, '-', '.', '_' (a host name fits). */
bool al__cli_context_name_ok(const char *name);

/* The context named `name`, or NULL. */
struct al__cli_context *al__cli_config_find(const struct al__cli_config *cfg, const char *name);

/* The context named `name`, added (empty) when missing. */
struct al__cli_context *al__cli_config_add(struct al__cli_config *cfg, const char *name);

/* Removes context `name` (the current one too: then none is current). */
void al__cli_config_remove(struct al__cli_config *cfg, const char *name);

void al__cli_config_release(struct al__cli_config *cfg);

/* Replaces *slot by a copy of value (NULL or "" clear it). */
void al__cli_config_set(char **slot, const char *value);

#endif
