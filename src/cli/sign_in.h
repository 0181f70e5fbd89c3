/* sign_in.h - signing in to allotd: a user's password or an app's client secret exchanged for
 * tokens (POST /api/v1/token), secrets read without echo, the refresh of an expired access
 * token (kept beside the context's token file), and `allot logout`, `allot whoami`. */
#ifndef ALLOT_CLI_SIGN_IN_H
#define ALLOT_CLI_SIGN_IN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/commands.h"

/*
 * al__cli_read_secret - the first line of FILE ("-": standard input) into buf, for `option`;
 * with "-" on a terminal it prompts and reads without echo. 0, or -1 after saying why (empty,
 * unreadable).
 */
int al__cli_read_secret(const struct al__cli *cli, const char *file, const char *option, char *buf,
                        size_t size);

/* al__cli_prompt_secret - asks on the terminal (no echo) into buf. 0, or -1 without one. */
int al__cli_prompt_secret(const char *prompt, char *buf, size_t size);

/*
 * al__cli_token_grant - POST /api/v1/token with `body` (borrowed) to cli's server, without a
 * bearer token: 0 with the answer in *out (access_token, refresh_token...), or -AL_EIO after
 * printing why.
 */
int al__cli_token_grant(const struct al__cli *cli, const json_t *body, json_t **out);

/*
 * al__cli_refresh - after a 401: when the token came from a file with a refresh token beside
 * it (FILE.refresh, written by `allot login --user`), trades that for a new pair, rewrites both
 * files and returns true (the next request carries the new token: al__cli_token_now). False
 * when there is nothing to refresh with or allotd refused.
 */
bool al__cli_refresh(const struct al__cli *cli);

/* al__cli_token_now - the token requests carry: a refreshed one, else cli's. */
const char *al__cli_token_now(const struct al__cli *cli);

/*
 * al__cli_sso_sign_in - signs in through allotd's identity provider: asks allotd to start a
 * login, prints the URL to open in a browser (on stderr; `xdg-open` is not run for you), then
 * polls until the sign-in there is done: the tokens into token and refresh. 0, or -AL_EIO after
 * printing why (refused, expired).
 */
int al__cli_sso_sign_in(struct al__cli *cli, char *token, size_t size, char *refresh,
                        size_t refresh_size);

/* al__cli_save_refresh - writes the refresh token beside the token file (TOKEN_FILE.refresh,
 * the user's only), or removes that file when token is NULL. 0 or -1. */
int al__cli_save_refresh(const char *token_file, const char *token);

#endif
