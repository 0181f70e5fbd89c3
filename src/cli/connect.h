/* connect.h - the options every command over the API takes (connection, output format) and
 * where allotd is: the command line, the environment, a context, a local state directory. */
#ifndef ALLOT_CLI_CONNECT_H
#define ALLOT_CLI_CONNECT_H

#include "cli/commands.h"

/*
 * al__cli_global_extract - takes the options of cli->command's groups out of argv (anywhere
 * before "--"), shifting the rest down: --server, --token, --state-dir, --context, --ca-file,
 * --tls-fingerprint for a command over the API; -o/--output FORMAT, --json, --no-headers for one
 * that prints objects. Returns 0, or AL__CLI_BAD after a usage error (a missing value, an unknown
 * format).
 */
int al__cli_global_extract(struct al__cli *cli, int *argc, char **argv);

/*
 * al__cli_conn_resolve - fills what the command line left unset, each from the first that
 * has it: the environment (ALLOT_SERVER, ALLOT_TOKEN, ALLOT_STATE_DIR, ALLOT_CONTEXT,
 * ALLOT_CA_FILE, ALLOT_TLS_FINGERPRINT); the context (--context, else the config file's
 * current one: its server, token file, CA file and fingerprint, or its state directory); a
 * state directory (given, the context's, or ./.allot when it exists: its allotd.addr,
 * admin.token and, for HTTPS, allotd.fingerprint); the default server. No token is fine. Returns 0,
 * or an exit status after printing why (a config file that cannot be read, a context that does not
 * exist).
 */
int al__cli_conn_resolve(struct al__cli *cli);

/* The last step of al__cli_conn_resolve: the state directory's address, token and (for an
 * https:// address) allotd.fingerprint where they are not set yet, then the default server.
 * Returns 0, or AL__EXIT_USAGE after saying that the fingerprint is not one. */
int al__cli_conn_resolve_local(struct al__cli *cli);

/*
 * al__cli_read_line_file - the first line of a small file, blanks trimmed, into buf. 0, or -1
 * when it cannot be read or is empty.
 */
int al__cli_read_line_file(const char *path, char *buf, size_t size);

#endif
