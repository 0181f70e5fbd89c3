/* workload_submit.c - `allot workload submit`: a command to run with GPUs in a project, with
 * the submitter's environment and directory. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/subgroup_arg.h"
#include "cli/submit_env.h"
#include "cli/time_args.h"
#include "cli/util.h"

struct options {
    json_t *body; /* the request, filled while parsing */
};

/* -e K=V into body.env. */
/* -e K=V or -l K=V: K=V into the object body[member] (env, labels). */
static int pair_option(struct al__cli_args *a, json_t *body, const char *member) {
    const char *kv = al__cli_args_value(a);
    const char *eq;
    json_t *pairs, *value;
    char key[320];

    if (!kv)
        return AL__CLI_BAD;
    eq = strchr(kv, '=');
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
        return al__cli_usage_error(a->cli, "%s: '%s' is not K=V", a->option, kv);
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    if (!(value = al__cli_args_string(a->cli, a->option, eq + 1)))
        return AL__CLI_BAD;
    pairs = json_object_get(body, member);
    if (!pairs) {
        pairs = al__cli_json_take(json_object());
        al__cli_json_set(body, member, pairs);
    }
    if (json_object_set_new(pairs, key, value) < 0) {
        return al__cli_usage_error(a->cli, "%s: '%s' is not UTF-8 text", a->option, kv);
    }
    return 0;
}

/* --workdir DIR: an absolute path (a relative one is taken from here). */
static int workdir_option(struct al__cli_args *a, json_t *body) {
    const char *dir = al__cli_args_value(a);
    char cwd[PATH_MAX], path[2 * PATH_MAX];
    if (!dir)
        return AL__CLI_BAD;
    if (!dir[0])
        return al__cli_usage_error(a->cli, "%s: needs a directory", a->option);
    if (dir[0] != '/' && !getcwd(cwd, sizeof(cwd)))
        return al__cli_usage_error(a->cli,
                                   "%s: '%s' is relative, and the current directory "
                                   "cannot be named: give an absolute one",
                                   a->option, dir);
    snprintf(path, sizeof(path), "%s%s%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir);
    json_t *value = al__cli_args_string(a->cli, a->option, path);
    if (!value)
        return AL__CLI_BAD;
    al__cli_json_set(body, "workdir", value);
    return 0;
}

/* Options of how and where the tasks run: --export, --workdir, --node-pool, --time-limit; 1 if
 * none matched. */
static int running_option(struct al__cli_args *a, json_t *body) {
    char err[256];
    int64_t seconds;
    if (al__cli_args_is(a, NULL, "--workdir"))
        return workdir_option(a, body);
    if (al__cli_args_is(a, NULL, "--mig")) { /* PROFILE=N or PROFILE (one); repeatable */
        const char *text = al__cli_args_value(a);
        if (!text)
            return AL__CLI_BAD;
        char profile[32];
        const char *eq = strchr(text, '=');
        size_t len = eq ? (size_t)(eq - text) : strlen(text);
        char *end = NULL;
        long n = eq ? strtol(eq + 1, &end, 10) : 1;
        if (len == 0 || len >= sizeof(profile) || n < 1 || n > 4096 || (eq && *end))
            return al__cli_usage_error(a->cli, "%s: give PROFILE or PROFILE=N, e.g. 1g.10gb=2",
                                       a->option);
        snprintf(profile, sizeof(profile), "%.*s", (int)len, text);
        json_t *migs = json_object_get(body, "mig");
        if (!migs) {
            al__cli_json_set(body, "mig", json_object());
            migs = json_object_get(body, "mig");
        }
        if (json_object_get(migs, profile))
            return al__cli_usage_error(a->cli, "%s: %s given twice", a->option, profile);
        al__cli_json_set(migs, profile, json_integer((json_int_t)n));
        return 0;
    }
    if (al__cli_args_is(a, NULL, "--node-pool")) {
        const char *pool = al__cli_args_value(a);
        json_t *value = pool ? al__cli_args_string(a->cli, a->option, pool) : NULL;
        if (!value)
            return AL__CLI_BAD;
        al__cli_json_set(body, "node_pool", value);
        return 0;
    }
    if (al__cli_args_is(a, NULL, "--export")) {
        const char *text = al__cli_args_value(a);
        return !text || al__cli_export_option(a->cli, a->option, text, body) < 0 ? AL__CLI_BAD : 0;
    }
    if (!al__cli_args_is(a, NULL, "--time-limit"))
        return 1;
    const char *text = al__cli_args_value(a);
    if (!text)
        return AL__CLI_BAD;
    if (al__cli_parse_time_limit(a->option, text, &seconds, err, sizeof(err)) < 0)
        return al__cli_usage_error(a->cli, "%s", err);
    al__cli_json_set(body, "time_limit_s", al__cli_json_take(json_integer(seconds)));
    return 0;
}

/* --subgroup NAME:WORKERS[:MIN][,required=LEVEL][,preferred=LEVEL]: one more subgroup, in
 * order (repeatable). */
static int subgroup_option(struct al__cli_args *a, json_t *body) {
    const char *text = al__cli_args_value(a);
    char err[512];
    if (!text)
        return AL__CLI_BAD;
    json_t *one = al__cli_subgroup_parse(text, err, sizeof(err));
    if (!one)
        return al__cli_usage_error(a->cli, "%s: %s", a->option, err);
    json_t *list = json_object_get(body, "subgroups");
    if (!list) {
        list = al__cli_json_take(json_array());
        al__cli_json_set(body, "subgroups", list);
    }
    if (json_array_append_new(list, one) < 0)
        al__cli_check(NULL);
    return 0;
}

/* --kind K: what the workload is (docs/api.md, "Kinds"). */
static int kind_option(struct al__cli_args *a, json_t *body) {
    static const char *const kinds[] = {"training", "workspace", "inference"};
    const char *kind = al__cli_args_value(a);
    if (!kind)
        return AL__CLI_BAD;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kind, kinds[i]) == 0) {
            al__cli_json_set(body, "kind", al__cli_json_take(json_string(kind)));
            return 0;
        }
    return al__cli_usage_error(a->cli, "%s: '%s' is not training, workspace or inference",
                               a->option, kind);
}

/* The options that set a member of the request; AL__CLI_BAD after an error, 1 if none matched. */
static int request_option(struct al__cli_args *a, json_t *body) {
    static const struct {
        const char *short_name, *long_name, *key;
        enum al__cli_unit unit;
    } amounts[] = {
        {NULL, "--gpu", "gpu", AL__CLI_UNIT_COUNT},
        {NULL, "--gpu-portion", "gpu_fraction", AL__CLI_UNIT_FRACTION},
        {NULL, "--gpu-memory", "gpu_memory_mib", AL__CLI_UNIT_GPU_MEMORY},
        /* dynamic fractions (Run:ai's names): the request is guaranteed, the limit is a
         * ceiling the task may grow to while the device has room (docs/cuda.md) */
        {NULL, "--gpu-portion-request", "gpu_fraction", AL__CLI_UNIT_FRACTION},
        {NULL, "--gpu-memory-request", "gpu_memory_mib", AL__CLI_UNIT_GPU_MEMORY},
        {NULL, "--gpu-portion-limit", "gpu_fraction_limit", AL__CLI_UNIT_GPUS},
        {NULL, "--gpu-memory-limit", "gpu_memory_limit_mib", AL__CLI_UNIT_GPU_MEMORY},
        {NULL, "--gpu-devices", "gpu_device_count", AL__CLI_UNIT_POSITIVE},
        {NULL, "--cpu", "cpu_millis", AL__CLI_UNIT_CPU},
        {NULL, "--memory", "memory_bytes", AL__CLI_UNIT_MEMORY},
        {NULL, "--priority", "priority", AL__CLI_UNIT_PRIORITY},
        {NULL, "--workers", "workers", AL__CLI_UNIT_POSITIVE},
        {NULL, "--min-members", "min_members", AL__CLI_UNIT_COUNT},
    };

    for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++)
        if (al__cli_args_is(a, amounts[i].short_name, amounts[i].long_name)) {
            if (strstr(amounts[i].key, "gpu_") == amounts[i].key &&
                json_object_get(body, amounts[i].key))
                return al__cli_usage_error(a->cli, "%s: the GPU %s is already given", a->option,
                                           strstr(amounts[i].key, "limit") ? "limit" : "request");
            return al__cli_args_amount(a, amounts[i].unit, false, body, amounts[i].key);
        }
    if (al__cli_args_is(a, "-e", "--env"))
        return pair_option(a, body, "env");
    if (al__cli_args_is(a, "-l", "--label"))
        return pair_option(a, body, "labels");
    if (al__cli_args_is(a, NULL, "--queue-anyway")) { /* even if no node could hold a task */
        if (!al__cli_args_flag(a, NULL))
            return AL__CLI_BAD;
        al__cli_json_set(body, "queue_anyway", json_true());
        return 0;
    }
    if (al__cli_args_is(a, NULL, "--no-enforce")) { /* the library is not injected */
        if (!al__cli_args_flag(a, NULL))
            return AL__CLI_BAD;
        al__cli_json_set(body, "enforce", json_false());
        return 0;
    }
    if (al__cli_args_is(a, NULL, "--kind"))
        return kind_option(a, body);
    if (al__cli_args_is(a, NULL, "--subgroup"))
        return subgroup_option(a, body);
    if (al__cli_args_is(a, NULL, "--preemptible") ||
        al__cli_args_is(a, NULL, "--non-preemptible") ||
        al__cli_args_is(a, NULL, "--semi-preemptible")) {
        if (!al__cli_args_flag(a, NULL))
            return AL__CLI_BAD;
        if (json_object_get(body, "preemptible") || json_object_get(body, "preemptibility"))
            return al__cli_usage_error(a->cli, "give only one of --preemptible, "
                                               "--non-preemptible and --semi-preemptible");
        if (strcmp(a->option, "--semi-preemptible") == 0)
            al__cli_json_set(body, "preemptibility", json_string("semi-preemptible"));
        else
            al__cli_json_set(body, "preemptible",
                             json_boolean(strcmp(a->option, "--preemptible") == 0));
        return 0;
    }
    static const struct {
        const char *short_name, *long_name, *key;
    } texts[] = {{"-p", "--project", "project"},
                 {NULL, "--image", "image"},
                 {NULL, "--preemption-policy", "preemption_policy"},
                 {NULL, "--topology", "topology"},
                 {NULL, "--required-topology-level", "required_topology_level"},
                 {NULL, "--preferred-topology-level", "preferred_topology_level"}};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (al__cli_args_is(a, texts[i].short_name, texts[i].long_name)) {
            const char *text = al__cli_args_value(a);
            json_t *value = text ? al__cli_args_string(a->cli, a->option, text) : NULL;
            if (!value)
                return AL__CLI_BAD;
            al__cli_json_set(body, texts[i].key, value);
            return 0;
        }
    return running_option(a, body);
}

/* A limit goes with a request of its kind and is at least that request (allotd checks it too;
 * here the message names the options typed). */
static int check_limit(const struct al__cli *cli, const json_t *body) {
    const json_t *portion = json_object_get(body, "gpu_fraction_limit");
    const json_t *memory = json_object_get(body, "gpu_memory_limit_mib");

    if (portion && !json_object_get(body, "gpu_fraction"))
        return al__cli_usage_error(cli, "--gpu-portion-limit goes with --gpu-portion-request");
    if (memory && !json_object_get(body, "gpu_memory_mib"))
        return al__cli_usage_error(cli, "--gpu-memory-limit goes with --gpu-memory-request");
    if (portion && (json_number_value(portion) > 1.0 || json_number_value(portion) <= 0))
        return al__cli_usage_error(cli,
                                   "--gpu-portion-limit: %g is not a portion of one GPU "
                                   "(above 0, at most 1)",
                                   json_number_value(portion));
    if (portion &&
        json_number_value(portion) < json_number_value(json_object_get(body, "gpu_fraction")))
        return al__cli_usage_error(cli, "--gpu-portion-limit is below --gpu-portion-request");
    if (memory &&
        json_integer_value(memory) < json_integer_value(json_object_get(body, "gpu_memory_mib")))
        return al__cli_usage_error(cli, "--gpu-memory-limit is below --gpu-memory-request");
    return 0;
}

/* What the options say together: one GPU kind, a project, a name and a command. */
static int check_request(const struct al__cli *cli, json_t *body) {
    int kinds = (json_object_get(body, "gpu") != NULL) +
                (json_object_get(body, "gpu_fraction") != NULL) +
                (json_object_get(body, "gpu_memory_mib") != NULL);

    if (kinds > 1)
        return al__cli_usage_error(cli, "give only one of --gpu, --gpu-portion and --gpu-memory");
    if (check_limit(cli, body) < 0)
        return AL__CLI_BAD;
    if (json_object_get(body, "gpu_device_count") && !json_object_get(body, "gpu_fraction") &&
        !json_object_get(body, "gpu_memory_mib"))
        return al__cli_usage_error(cli, "--gpu-devices goes with --gpu-portion or --gpu-memory");
    if (!json_object_get(body, "name"))
        return al__cli_usage_error(cli, "no workload NAME given");
    if (!json_object_get(body, "project"))
        return al__cli_usage_error(cli, "no project given (-p PROJECT, or `allot config "
                                        "set-project P` for a default)");
    return 0;
}

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    json_t *command;
    int rc;

    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_positional(&a) && !json_object_get(o->body, "name")) {
            json_t *name = al__cli_args_string(cli, "NAME", a.arg);
            if (!name)
                return AL__CLI_BAD;
            al__cli_json_set(o->body, "name", name);
        } else if (al__cli_args_positional(&a)) {
            return al__cli_usage_error(cli, "unexpected argument '%s' (put the command after '--')",
                                       a.arg);
        } else if ((rc = request_option(&a, o->body)) != 0) {
            return rc < 0 ? rc : al__cli_args_unknown(&a);
        }
    }
    if (a.help)
        return AL__CLI_HELP;
    if (!json_object_get(o->body, "project") && cli->conn.project)
        al__cli_json_set(o->body, "project", al__cli_json_take(json_string(cli->conn.project)));
    if ((rc = check_request(cli, o->body)) < 0)
        return rc;
    if (a.index >= argc)
        return al__cli_usage_error(cli, "no command given (put it after '--')");
    command = al__cli_json_take(json_array());
    al__cli_json_set(o->body, "command", command);
    for (int i = a.index; i < argc; i++) {
        json_t *word = al__cli_args_string(cli, "COMMAND", argv[i]);
        if (!word)
            return AL__CLI_BAD;
        if (json_array_append_new(command, word) < 0)
            al__cli_check(NULL);
    }
    return AL__CLI_RUN;
}

int al__cmd_workload_submit(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {al__cli_json_take(json_object())};
    json_t *workload = NULL, *workdir;
    char cwd[PATH_MAX];
    int rc = options_parse(cli, argc, argv, &o);

    if (rc != AL__CLI_RUN) {
        json_decref(o.body);
        return al__cli_parse_exit(rc, cli);
    }
    /* The tasks run where the submitter is, with the submitter's environment (Slurm's
     * --export=ALL) - unless they run in a container image, which has its own. A directory
     * that cannot be named goes unsaid. */
    bool image = json_object_get(o.body, "image") != NULL;
    if (!image && !json_object_get(o.body, "workdir") && getcwd(cwd, sizeof(cwd)) &&
        (workdir = json_string(cwd)) != NULL)
        al__cli_json_set(o.body, "workdir", workdir);
    al__cli_export_carry(o.body, image);
    rc = al__cli_call(cli, "POST", "/api/v1/workloads", o.body, &workload);
    json_decref(o.body);
    if (rc < 0)
        return al__cli_failed();
    return al__cli_show_line(cli, workload, "workload", "workload %s submitted to project %s",
                             al__cli_json_str(workload, "name", "?"),
                             al__cli_json_str(workload, "project", "?"));
}
