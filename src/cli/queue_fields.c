/* queue_fields.c - what `project` and `department` commands share: paths, fields, amounts. */
#include <string.h>

#include "cli/queue_fields.h"
#include "cli/units.h"
#include "cli/util.h"

/* The options that set one resource amount: option, member, key in it, unit. */
static const struct {
    const char *option, *member, *key;
    enum al__cli_unit unit;
} amount_options[] = {
    {"--gpu-deserved", "deserved", "gpu", AL__CLI_UNIT_GPUS},
    {"--cpu-deserved", "deserved", "cpu_millis", AL__CLI_UNIT_CPU},
    {"--memory-deserved", "deserved", "memory_bytes", AL__CLI_UNIT_MEMORY},
    {"--gpu-limit", "limit", "gpu", AL__CLI_UNIT_GPUS},
    {"--cpu-limit", "limit", "cpu_millis", AL__CLI_UNIT_CPU},
    {"--memory-limit", "limit", "memory_bytes", AL__CLI_UNIT_MEMORY},
    {"--gpu-weight", "over_quota_weight", "gpu", AL__CLI_UNIT_COUNT},
    {"--cpu-weight", "over_quota_weight", "cpu", AL__CLI_UNIT_COUNT},
    {"--memory-weight", "over_quota_weight", "memory", AL__CLI_UNIT_COUNT},
};

bool al__cli_queue_is_project(const struct al__cli *cli) {
    return strcmp(cli->noun, "project") == 0;
}

const char *al__cli_queue_collection(const struct al__cli *cli) {
    return al__cli_queue_is_project(cli) ? "projects" : "departments";
}

/* body[name], made an empty object first when absent. */
static json_t *member(json_t *body, const char *name) {
    json_t *m = json_object_get(body, name);

    if (!m || !json_is_object(m)) { /* absent, or null from an earlier --no-pool */
        m = al__cli_json_take(json_object());
        al__cli_json_set(body, name, m);
    }
    return m;
}

static int department_option(struct al__cli_args *a, json_t *body) {
    const char *name = "";
    json_t *value;

    if (!al__cli_queue_is_project(a->cli))
        return al__cli_usage_error(a->cli, "%s: only projects belong to a department", a->option);
    if (strcmp(a->option, "--no-department") == 0) {
        if (!al__cli_args_flag(a, NULL))
            return AL__CLI_BAD;
    } else if (!(name = al__cli_args_value(a))) {
        return AL__CLI_BAD;
    }
    value = name[0] ? al__cli_args_string(a->cli, a->option, name) : json_null();
    if (!value)
        return AL__CLI_BAD;
    al__cli_json_set(body, "department", value);
    return AL__CLI_RUN;
}

/* --preempt-min-runtime / --reclaim-min-runtime: a duration, or "inherit" (null). */
static int min_runtime_option(struct al__cli_args *a, json_t *body, const char *key) {
    const char *text = al__cli_args_value(a);
    json_t *value = NULL;
    char err[256];

    if (!text)
        return AL__CLI_BAD;
    if (strcmp(text, "inherit") == 0)
        value = json_null();
    else if (al__cli_parse_json(AL__CLI_UNIT_DURATION, a->option, text, &value, err, sizeof(err)) <
             0)
        return al__cli_usage_error(a->cli, "%s", err);
    al__cli_json_set(body, key, value);
    return AL__CLI_RUN;
}

/* The amount options into `amounts` (the body, or one of its pools), the others into body. */
static int queue_option_into(struct al__cli_args *a, json_t *body, json_t *amounts) {
    for (size_t i = 0; i < sizeof(amount_options) / sizeof(amount_options[0]); i++) {
        if (al__cli_args_is(a, NULL, amount_options[i].option)) {
            bool weight = amount_options[i].unit == AL__CLI_UNIT_COUNT;
            return al__cli_args_amount(a, amount_options[i].unit, !weight,
                                       member(amounts, amount_options[i].member),
                                       amount_options[i].key);
        }
    }
    if (al__cli_args_is(a, NULL, "--priority"))
        return al__cli_args_amount(a, AL__CLI_UNIT_INTEGER, false, body, "priority");
    if (al__cli_args_is(a, NULL, "--preempt-min-runtime"))
        return min_runtime_option(a, body, "preempt_min_runtime_s");
    if (al__cli_args_is(a, NULL, "--reclaim-min-runtime"))
        return min_runtime_option(a, body, "reclaim_min_runtime_s");
    if (al__cli_args_is(a, NULL, "--department") || al__cli_args_is(a, NULL, "--no-department"))
        return department_option(a, body);
    return 1;
}

int al__cli_queue_option(struct al__cli_args *a, json_t *body) {
    return queue_option_into(a, body, body);
}

/* --pool NAME: the amount options after it set the queue's quota in node pool NAME (pools.NAME);
 * --no-pool NAME: removes that pool's quota (pools.NAME: null). */
static int pool_option(struct al__cli_args *a, json_t *body, json_t **amounts) {
    bool remove = strcmp(a->option, "--no-pool") == 0;
    const char *name = al__cli_args_value(a);
    if (!name)
        return AL__CLI_BAD;
    if (!name[0])
        return al__cli_usage_error(a->cli, "%s: give a pool name", a->option);
    json_t *pools = member(body, "pools");
    if (remove) {
        al__cli_json_set(pools, name, json_null());
        *amounts = body;
    } else {
        *amounts = member(pools, name);
    }
    return AL__CLI_RUN;
}

int al__cli_queue_parse(const struct al__cli *cli, int argc, char **argv, json_t *body,
                        const char **name) {
    struct al__cli_args a;
    int rc;

    json_t *amounts = body;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        if (al__cli_args_positional(&a)) {
            if (al__cli_args_name(&a, name) < 0)
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--pool") || al__cli_args_is(&a, NULL, "--no-pool")) {
            if (pool_option(&a, body, &amounts) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if ((rc = queue_option_into(&a, body, amounts)) != AL__CLI_RUN) {
            return rc < 0 ? rc : al__cli_args_unknown(&a);
        }
    }
    return al__cli_args_finish(&a, cli->noun, *name);
}

void al__cli_queue_amounts(const json_t *amounts, char *gpu, char *cpu, char *memory, size_t size) {
    const json_t *g = json_object_get(amounts, "gpu");
    const json_t *c = json_object_get(amounts, "cpu_millis");
    const json_t *m = json_object_get(amounts, "memory_bytes");

    if (json_is_number(g))
        al__cli_format_gpus(json_number_value(g), gpu, size);
    else
        snprintf(gpu, size, "-");
    if (json_is_number(c))
        al__cli_format_cpu((int64_t)json_number_value(c), cpu, size);
    else
        snprintf(cpu, size, "-");
    if (json_is_number(m))
        al__cli_format_memory((int64_t)json_number_value(m), memory, size);
    else
        snprintf(memory, size, "-");
}
