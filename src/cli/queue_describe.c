/* queue_describe.c - `allot project describe`, `allot department describe`: every field. */
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/output.h"
#include "cli/queue_fields.h"
#include "cli/units.h"
#include "cli/usage_text.h"
#include "cli/util.h"

static void amounts_row(struct al__cli_table *t, const char *label, const json_t *amounts) {
    char gpu[48], cpu[48], memory[48];

    al__cli_queue_amounts(amounts, gpu, cpu, memory, sizeof(gpu));
    al__cli_table_cell(t, "%s", label);
    al__cli_table_cell(t, "%s", gpu);
    al__cli_table_cell(t, "%s", cpu);
    al__cli_table_cell(t, "%s", memory);
}

static void weights_row(struct al__cli_table *t, const json_t *weights) {
    static const char *const keys[] = {"gpu", "cpu", "memory"};
    char text[48];

    al__cli_table_cell(t, "weight");
    for (size_t i = 0; i < 3; i++) {
        const json_t *w = json_object_get(weights, keys[i]);
        if (json_is_number(w))
            al__cli_format_gpus(json_number_value(w), text, sizeof(text));
        else
            snprintf(text, sizeof(text), "-");
        al__cli_table_cell(t, "%s", text);
    }
}

static void print_resources(const json_t *q) {
    static const char *const headers[] = {"", "GPU", "CPU", "MEMORY"};
    static const char *const status_rows[][2] = {
        {"fair share", "fair_share"},
        {"allocated", "allocated"},
        {"requested", "requested"},
        {"pending", "pending"},
    };
    const json_t *status = json_object_get(q, "status");
    struct al__cli_table t;

    printf("\nResources (GPUs as devices, CPU in cores):\n");
    al__cli_table_init(&t, 4, headers);
    amounts_row(&t, "deserved", json_object_get(q, "deserved"));
    amounts_row(&t, "limit", json_object_get(q, "limit"));
    weights_row(&t, json_object_get(q, "over_quota_weight"));
    for (size_t i = 0; i < sizeof(status_rows) / sizeof(status_rows[0]); i++)
        amounts_row(&t, status_rows[i][0], json_object_get(status, status_rows[i][1]));
    al__cli_table_print(&t, stdout, 2);
    al__cli_table_release(&t);
}

/* A department's projects, one line; nothing when they cannot be listed. */
static void print_projects(const struct al__cli *cli, const char *department) {
    json_t *items = NULL;
    char line[2048] = "";
    size_t i;
    const json_t *p;

    if (al__cli_list_all(cli, "/api/v1/projects", "", &items) < 0)
        return;
    json_array_foreach(items, i, p) {
        if (strcmp(al__cli_json_str(p, "department", ""), department) == 0)
            al__cli_appendf(line, sizeof(line), "%s%s", line[0] ? ", " : "",
                            al__cli_json_str(p, "name", "?"));
    }
    al__cli_field("Projects", "%s", line[0] ? line : "none");
    json_decref(items);
}

/* A min runtime: the duration, or where it comes from when the queue sets none. */
static void min_runtime_text(const json_t *q, const char *key, char *buf, size_t size) {
    const json_t *v = json_object_get(q, key);
    const char *department = al__cli_json_str(q, "department", NULL);

    if (json_is_integer(v))
        al__cli_format_duration(json_integer_value(v), buf, size);
    else if (department)
        snprintf(buf, size, "inherited from department %s", department);
    else
        snprintf(buf, size, "none");
}

/* Its quota per node pool: one line per pool it gives one for. */
static void print_pools(const json_t *q) {
    const char *pool;
    const json_t *entry;
    json_object_foreach((json_t *)json_object_get(q, "pools"), pool, entry) {
        char gpu[48], cpu[48], memory[48], limit[48], label[80];
        al__cli_queue_amounts(json_object_get(entry, "deserved"), gpu, cpu, memory, sizeof(gpu));
        al__cli_queue_amounts(json_object_get(entry, "limit"), limit, cpu, memory, sizeof(limit));
        if (al__cli_json_path_num(entry, "limit.gpu", -1) < 0)
            snprintf(limit, sizeof(limit), "none");
        snprintf(label, sizeof(label), "Pool %s", pool);
        al__cli_field(label, "GPUs deserved %s, limit %s, weight %lld", gpu, limit,
                      (long long)al__cli_json_path_num(entry, "over_quota_weight.gpu", 1));
    }
}

static void print_text(const struct al__cli *cli, const json_t *q) {
    const json_t *counts = json_object_get(json_object_get(q, "status"), "workloads");
    char created[48], preempt[96], reclaim[96];

    al__cli_field("Name", "%s", al__cli_json_str(q, "name", "?"));
    al__cli_field("Kind", "%s", al__cli_json_str(q, "kind", cli->noun));
    if (al__cli_queue_is_project(cli))
        al__cli_field("Department", "%s", al__cli_json_str(q, "department", "- (top level)"));
    al__cli_field("Priority", "%lld", (long long)al__cli_json_int(q, "priority", 0));
    min_runtime_text(q, "preempt_min_runtime_s", preempt, sizeof(preempt));
    min_runtime_text(q, "reclaim_min_runtime_s", reclaim, sizeof(reclaim));
    al__cli_field("Min runtime", "preempt %s, reclaim %s", preempt, reclaim);
    al__cli_format_ago(al__cli_json_int(q, "created_s", -1), al__cli_now(), created,
                       sizeof(created));
    al__cli_field("Created", "%s", created);
    if (counts)
        al__cli_field("Workloads", "%lld pending, %lld running",
                      (long long)al__cli_json_int(counts, "pending", 0),
                      (long long)al__cli_json_int(counts, "running", 0));
    if (!al__cli_queue_is_project(cli))
        print_projects(cli, al__cli_json_str(q, "name", ""));
    char usage[512], settings[128];
    if (al__cli_usage_effect(q, usage, sizeof(usage)) &&
        al__cli_usage_settings(q, settings, sizeof(settings)))
        al__cli_field("Usage", "%s (%s)", usage, settings);
    if (al__cli_usage_pools(q, usage, sizeof(usage)))
        al__cli_field("Usage by pool", "%s", usage);
    print_resources(q);
    print_pools(q);
}

int al__cmd_queue_describe(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL;
    json_t *queue = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, cli->noun, &name);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if ((rc = al__cli_call_name(cli, "GET", al__cli_queue_collection(cli), name, &queue)))
        return rc;
    if (cli->format == AL__CLI_FORMAT_NAME)
        printf("%s/%s\n", cli->noun, al__cli_json_str(queue, "name", name));
    else if (AL__CLI_STRUCTURED(cli))
        rc = al__cli_print_doc(cli, queue);
    else
        print_text(cli, queue);
    json_decref(queue);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}
