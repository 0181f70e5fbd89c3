/* submit_env.c - the submitter's environment, carried to a workload's tasks (see
 * submit_env.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/options.h"
#include "cli/submit_env.h"
#include "cli/util.h"
#include "util/xalloc.h"

extern char **environ;

/* A portable variable name: letters, digits and '_', not starting with a digit. */
static bool name_ok(const char *name, size_t len) {
    if (len == 0 || isdigit((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_')
            return false;
    return true;
}

/* NAME=VALUE into body.env. */
static int export_value(const struct al__cli *cli, const char *opt, const char *item, size_t len,
                        json_t *body) {
    const char *eq = memchr(item, '=', len);
    char *name = al__xmalloc((size_t)(eq - item) + 1);
    memcpy(name, item, (size_t)(eq - item));
    name[eq - item] = '\0';
    json_t *value = json_stringn(eq + 1, len - (size_t)(eq - item) - 1);
    json_t *env = json_object_get(body, "env");
    if (!env) {
        env = al__cli_json_take(json_object());
        al__cli_json_set(body, "env", env);
    }
    int rc = value ? json_object_set_new(env, name, value) : -1;
    if (rc < 0)
        al__cli_usage_error(cli, "%s: '%.*s' is not UTF-8 text", opt, (int)len, item);
    free(name);
    return rc < 0 ? -1 : 0;
}

int al__cli_export_option(const struct al__cli *cli, const char *opt, const char *text,
                          json_t *body) {
    json_t *names = al__cli_json_take(json_array());
    const char *mode = NULL;
    int rc = 0;

    if (json_object_get(body, "export")) {
        json_decref(names);
        return al__cli_usage_error(cli, "%s: give it once", opt);
    }
    for (const char *p = text; rc == 0;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        bool all = len == 3 && strncasecmp(p, "all", 3) == 0;
        bool none = len == 4 && strncasecmp(p, "none", 4) == 0;
        if (len == 0)
            rc = al__cli_usage_error(cli, "%s: '%s' has an empty item", opt, text);
        else if ((all || none) && p != text)
            rc = al__cli_usage_error(cli, "%s: %.*s comes first", opt, (int)len, p);
        else if (!name_ok(p, eq ? (size_t)(eq - p) : len) && !all && !none)
            rc = al__cli_usage_error(cli,
                                     "%s: '%.*s' is not a variable name (letters, digits and "
                                     "'_', not starting with a digit)",
                                     opt, (int)(eq ? (size_t)(eq - p) : len), p);
        else if (all || none)
            mode = all ? "all" : "none";
        else if (eq)
            rc = export_value(cli, opt, p, len, body);
        else
            json_array_append_new(names, al__cli_json_take(json_stringn(p, len)));
        if (rc == 0 && mode && !strcmp(mode, "none") && (p[len] || json_array_size(names)))
            rc = al__cli_usage_error(cli, "%s: NONE stands alone", opt);
        if (!p[len])
            break;
        p += len + 1;
    }
    if (rc == 0 && !mode && json_array_size(names) == 0) /* only NAME=VALUE items */
        mode = "none";
    if (rc == 0)
        al__cli_json_set(body, "export",
                         mode ? al__cli_json_take(json_string(mode)) : json_incref(names));
    json_decref(names);
    return rc < 0 ? -1 : 0;
}

/* Whether export mode `mode` carries NAME (the first len bytes of an environ entry). */
static bool carried(const json_t *mode, const char *name, size_t len) {
    size_t i;
    const json_t *listed;
    if (json_is_string(mode)) /* "all" (allot's own stay here) or "none" */
        return strcmp(json_string_value(mode), "all") == 0 && strncmp(name, "ALLOT_", 6) != 0;
    json_array_foreach(mode, i, listed) {
        if (json_string_length(listed) == len && memcmp(json_string_value(listed), name, len) == 0)
            return true;
    }
    return false;
}

void al__cli_export_carry(json_t *body, bool image) {
    if (!json_object_get(body, "export"))
        al__cli_json_set(body, "export", al__cli_json_take(json_string(image ? "none" : "all")));
    const json_t *mode = json_object_get(body, "export");
    json_t *vars = al__cli_json_take(json_object());
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e || !carried(mode, *e, (size_t)(eq - *e)))
            continue;
        char *name = al__xmalloc((size_t)(eq - *e) + 1);
        memcpy(name, *e, (size_t)(eq - *e));
        name[eq - *e] = '\0';
        json_t *value = json_string(eq + 1);
        if (!value || json_object_set_new(vars, name, value) < 0)
            fprintf(stderr, "allot: not carrying %s: its name or value is not UTF-8 text\n", name);
        free(name);
    }
    al__cli_json_set(body, "exported_env", vars);
}
