/* identity_cmds.c - `allot user|group|app create|list|update|delete` and `allot access-rule
 * create|list|delete`: the subjects a system administrator manages and the roles they hold. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/sign_in.h"
#include "cli/util.h"

/* The options of user create and update. */
struct user_opts {
    const char *name, *password_file, *email, *unix_user;
    bool password_stdin, generate, no_unix_user, unlock;
    const char *groups[64];
    size_t group_count;
};

static int user_parse(const struct al__cli *cli, int argc, char **argv, struct user_opts *o) {
    struct al__cli_args a;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        const char **slot = NULL;
        bool *flag = NULL;
        if (al__cli_args_positional(&a)) {
            if (al__cli_args_name(&a, &o->name) != AL__CLI_RUN)
                return AL__CLI_BAD;
            continue;
        }
        if (al__cli_args_is(&a, NULL, "--password-file"))
            slot = &o->password_file;
        else if (al__cli_args_is(&a, NULL, "--email"))
            slot = &o->email;
        else if (al__cli_args_is(&a, NULL, "--unix-user"))
            slot = &o->unix_user;
        else if (al__cli_args_is(&a, NULL, "--group")) {
            if (o->group_count == 64)
                return al__cli_usage_error(cli, "--group: at most 64 groups");
            slot = &o->groups[o->group_count++];
        } else if (al__cli_args_is(&a, NULL, "--password-stdin"))
            flag = &o->password_stdin;
        else if (strcmp(cli->command->verb, "create") == 0 &&
                 al__cli_args_is(&a, NULL, "--generate-password"))
            flag = &o->generate;
        else if (strcmp(cli->command->verb, "update") == 0 &&
                 al__cli_args_is(&a, NULL, "--no-unix-user"))
            flag = &o->no_unix_user;
        else if (strcmp(cli->command->verb, "update") == 0 && al__cli_args_is(&a, NULL, "--unlock"))
            flag = &o->unlock;
        else
            return al__cli_args_unknown(&a);
        if (slot && !(*slot = al__cli_args_value(&a)))
            return AL__CLI_BAD;
        if (flag && !al__cli_args_flag(&a, flag))
            return AL__CLI_BAD;
    }
    int rc = al__cli_args_finish(&a, "user", o->name);
    if (rc != AL__CLI_RUN)
        return rc;
    if (o->password_stdin + (o->password_file != NULL) + o->generate > 1)
        return al__cli_usage_error(cli, "give one of --password-stdin, --password-file and "
                                        "--generate-password");
    return AL__CLI_RUN;
}

/* The password the options name into buf ("" when none): 0, or -1 after saying why. */
static int user_password(const struct al__cli *cli, const struct user_opts *o, char *buf,
                         size_t size) {
    buf[0] = '\0';
    if (o->generate) {
        unsigned char secret[15];
        randombytes_buf(secret, sizeof(secret));
        sodium_bin2base64(buf, size, secret, sizeof(secret),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        return 0;
    }
    if (o->password_stdin)
        return al__cli_read_secret(cli, "-", "--password-stdin", buf, size);
    if (o->password_file)
        return al__cli_read_secret(cli, o->password_file, "--password-file", buf, size);
    return 0;
}

static json_t *user_body(const struct user_opts *o, const char *password) {
    json_t *body = json_object();
    if (o->email)
        json_object_set_new(body, "email", json_string(o->email));
    if (o->unix_user)
        json_object_set_new(body, "unix_user", json_string(o->unix_user));
    if (o->no_unix_user)
        json_object_set_new(body, "unix_user", json_null());
    if (o->group_count) {
        json_t *groups = json_array();
        for (size_t i = 0; i < o->group_count; i++)
            json_array_append_new(groups, json_string(o->groups[i]));
        json_object_set_new(body, "groups", groups);
    }
    if (password[0])
        json_object_set_new(body, "password", json_string(password));
    if (o->unlock)
        json_object_set_new(body, "unlock", json_true());
    return body;
}

int al__cmd_user_create(const struct al__cli *cli, int argc, char **argv) {
    struct user_opts o = {0};
    char password[1100];
    json_t *answer = NULL;
    int rc = user_parse(cli, argc, argv, &o);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!o.generate && !o.password_stdin && !o.password_file)
        return al__cli_parse_exit(
            al__cli_usage_error(cli, "a local user needs a password: --password-stdin, "
                                     "--password-file FILE or --generate-password"),
            cli);
    if (user_password(cli, &o, password, sizeof(password)) < 0)
        return AL__EXIT_USAGE;
    json_t *body = user_body(&o, password);
    json_object_set_new(body, "name", json_string(o.name));
    rc = al__cli_call(cli, "POST", "/api/v1/users", body, &answer);
    json_decref(body);
    if (rc < 0) {
        sodium_memzero(password, sizeof(password));
        return al__cli_failed();
    }
    if (o.generate) /* shown once: allot keeps only its hash */
        json_object_set_new(answer, "password", json_string(password));
    rc = o.generate
             ? al__cli_show_line(cli, answer, "user", "user %s created; password (shown once): %s",
                                 o.name, password)
             : al__cli_show_line(cli, answer, "user", "user %s created", o.name);
    sodium_memzero(password, sizeof(password));
    return rc;
}

int al__cmd_user_update(const struct al__cli *cli, int argc, char **argv) {
    struct user_opts o = {0};
    char password[1100], path[1024];
    json_t *answer = NULL;
    int rc = user_parse(cli, argc, argv, &o);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (user_password(cli, &o, password, sizeof(password)) < 0)
        return AL__EXIT_USAGE;
    if (al__cli_path(cli, path, sizeof(path), "users", o.name, "") < 0)
        return AL__EXIT_USAGE;
    json_t *body = user_body(&o, password);
    sodium_memzero(password, sizeof(password));
    rc = al__cli_call(cli, "PATCH", path, body, &answer);
    json_decref(body);
    if (rc < 0)
        return al__cli_failed();
    return al__cli_show_line(cli, answer, "user", "user %s updated", o.name);
}

static void print_users(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"NAME", "SOURCE", "GROUPS", "UNIX-USER", "LOCKED"};
    struct al__cli_table t;
    size_t i, j;
    const json_t *row, *g;
    al__cli_table_init(&t, 5, headers);
    json_array_foreach(items, i, row) {
        char groups[512] = "";
        json_array_foreach(json_object_get(row, "groups"), j, g)
            al__cli_appendf(groups, sizeof(groups), "%s%s", j ? "," : "", json_string_value(g));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "name", "?"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "source", "?"));
        al__cli_table_cell(&t, "%s", groups[0] ? groups : "-");
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "unix_user", "-"));
        al__cli_table_cell(&t, "%s", json_is_true(json_object_get(row, "locked")) ? "yes" : "no");
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

/* NAME and CREATED: groups and apps. */
static void print_names(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"NAME", "CREATED"};
    struct al__cli_table t;
    size_t i;
    const json_t *row;
    int64_t now = (int64_t)time(NULL);
    al__cli_table_init(&t, 2, headers);
    json_array_foreach(items, i, row) {
        char ago[32];
        al__cli_format_ago(al__cli_json_int(row, "created_s", -1), now, ago, sizeof(ago));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "name", "?"));
        al__cli_table_cell(&t, "%s", ago);
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

/* `allot user|group|app list`. */
int al__cmd_subject_list(const struct al__cli *cli, int argc, char **argv) {
    char path[64], what[32];
    const char *none = NULL;
    json_t *items;
    int rc = al__cli_parse_name(cli, argc, argv, NULL, &none);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    snprintf(path, sizeof(path), "/api/v1/%ss", cli->noun);
    snprintf(what, sizeof(what), "%ss", cli->noun);
    if (al__cli_list_all(cli, path, "", &items) < 0)
        return al__cli_failed();
    return al__cli_show_list(cli, items, what, cli->noun,
                             strcmp(cli->noun, "user") == 0 ? print_users : print_names);
}

/* `allot user|group|app delete NAME`. */
int al__cmd_subject_delete(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    char collection[32];
    json_t *answer = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, cli->noun, &name);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    snprintf(collection, sizeof(collection), "%ss", cli->noun);
    if ((rc = al__cli_call_name(cli, "DELETE", collection, name, &answer)) != AL__EXIT_OK)
        return rc;
    return al__cli_show_line(cli, answer, cli->noun, "%s %s deleted", cli->noun, name);
}

/* `allot group create NAME`, `allot app create NAME` (its client secret printed once). */
int al__cmd_subject_create(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    char path[64];
    json_t *answer = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, cli->noun, &name);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    snprintf(path, sizeof(path), "/api/v1/%ss", cli->noun);
    json_t *body = json_pack("{s:s}", "name", name);
    rc = al__cli_call(cli, "POST", path, body, &answer);
    json_decref(body);
    if (rc < 0)
        return al__cli_failed();
    if (strcmp(cli->noun, "app") == 0)
        return al__cli_show_line(cli, answer, "app",
                                 "app %s created\nclient id:     %s\nclient secret: %s\n(shown "
                                 "once: `allot login --client-id %s --client-secret-file FILE`)",
                                 name, name, al__cli_json_str(answer, "client_secret", "?"), name);
    return al__cli_show_line(cli, answer, cli->noun, "%s %s created", cli->noun, name);
}

/* The options of access-rule create and list (list takes --subject only). */
static int rule_parse(const struct al__cli *cli, int argc, char **argv, const char **subject,
                      const char **role, const char **scope) {
    struct al__cli_args a;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        const char **slot = NULL;
        if (al__cli_args_is(&a, NULL, "--subject"))
            slot = subject;
        else if (role && al__cli_args_is(&a, NULL, "--role"))
            slot = role;
        else if (scope && al__cli_args_is(&a, NULL, "--scope"))
            slot = scope;
        else
            return al__cli_args_unknown(&a);
        if (!(*slot = al__cli_args_value(&a)))
            return AL__CLI_BAD;
    }
    return al__cli_args_finish(&a, NULL, NULL);
}

/* -o name shows access-rule/ID. */
static void name_by_id(json_t *rule) {
    char id[32];
    snprintf(id, sizeof(id), "%" PRId64, al__cli_json_int(rule, "id", 0));
    json_object_set_new(rule, "name", json_string(id));
}

int al__cmd_rule_create(const struct al__cli *cli, int argc, char **argv) {
    const char *subject = NULL, *role = NULL, *scope = NULL;
    json_t *answer = NULL;
    int rc = rule_parse(cli, argc, argv, &subject, &role, &scope);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!subject || !role || !scope)
        return al__cli_parse_exit(al__cli_usage_error(cli, "give --subject, --role and --scope"),
                                  cli);
    json_t *body = json_pack("{s:s, s:s, s:s}", "subject", subject, "role", role, "scope", scope);
    rc = al__cli_call(cli, "POST", "/api/v1/access-rules", body, &answer);
    json_decref(body);
    if (rc < 0)
        return al__cli_failed();
    if (!AL__CLI_STRUCTURED(cli))
        name_by_id(answer);
    return al__cli_show_line(cli, answer, "access-rule", "access rule %" PRId64 ": %s is %s in %s",
                             al__cli_json_int(answer, "id", 0), subject, role, scope);
}

static void print_rules(const struct al__cli *cli, const json_t *items) {
    static const char *const headers[] = {"ID", "SUBJECT", "ROLE", "SCOPE"};
    struct al__cli_table t;
    size_t i;
    const json_t *row;
    al__cli_table_init(&t, 4, headers);
    json_array_foreach(items, i, row) {
        al__cli_table_cell(&t, "%" PRId64, al__cli_json_int(row, "id", 0));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "subject", "?"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "role", "?"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(row, "scope", "?"));
    }
    al__cli_table_print_list(cli, &t);
    al__cli_table_release(&t);
}

int al__cmd_rule_list(const struct al__cli *cli, int argc, char **argv) {
    const char *subject = NULL;
    char query[512] = "", escaped[400];
    json_t *items, *row;
    size_t i;
    int rc = rule_parse(cli, argc, argv, &subject, NULL, NULL);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (subject) {
        if (!al__cli_url_escape(subject, escaped, sizeof(escaped)))
            return al__cli_parse_exit(al__cli_usage_error(cli, "--subject is too long"), cli);
        snprintf(query, sizeof(query), "subject=%s", escaped);
    }
    if (al__cli_list_all(cli, "/api/v1/access-rules", query, &items) < 0)
        return al__cli_failed();
    if (!AL__CLI_STRUCTURED(cli))
        json_array_foreach(items, i, row) name_by_id(row);
    return al__cli_show_list(cli, items, "access rules", "access-rule", print_rules);
}

int al__cmd_rule_delete(const struct al__cli *cli, int argc, char **argv) {
    const char *id = NULL;
    json_t *answer = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, "access rule ID", &id);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = al__cli_call_name(cli, "DELETE", "access-rules", id, &answer)) != AL__EXIT_OK)
        return rc;
    return al__cli_show_line(cli, answer, "access-rule", "access rule %s deleted", id);
}
