/* workload_describe.c - `allot workload describe`: request, placement, reason, events. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"
#include "cli/workload_format.h"

/* A command word as a shell would need it: bare when safe, else in single quotes. */
static void append_word(char *buf, size_t size, const char *word) {
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "_./=:,@%+-";

    if (word[0] && strspn(word, safe) == strlen(word)) {
        al__cli_appendf(buf, size, "%s", word);
        return;
    }
    al__cli_appendf(buf, size, "'");
    for (const char *p = word; *p; p++) {
        if (*p == '\'')
            al__cli_appendf(buf, size, "'\\''");
        else
            al__cli_appendf(buf, size, "%c", *p);
    }
    al__cli_appendf(buf, size, "'");
}

/* What of the submitter's environment it carries: the names only (values may be secrets). */
static void print_export(const json_t *w) {
    const json_t *mode = json_object_get(w, "export"), *name;
    size_t carried = json_object_size(json_object_get(w, "exported_env")), i;
    char line[1024] = "";

    if (json_is_array(mode)) {
        json_array_foreach(mode, i, name) {
            al__cli_appendf(line, sizeof(line), "%s%s", i ? "," : "",
                            json_is_string(name) ? json_string_value(name) : "?");
        }
        al__cli_field("Exported", "%s (%zu set when submitted)", line, carried);
    } else if (json_is_string(mode) && strcmp(json_string_value(mode), "all") == 0) {
        al__cli_field("Exported", "ALL: the submitter's environment (%zu variables)", carried);
    } else {
        al__cli_field("Exported", "NONE");
    }
}

static void print_command(const json_t *w) {
    char line[4096] = "";
    size_t i;
    const char *key;
    const json_t *value;

    json_array_foreach(json_object_get(w, "command"), i, value) {
        if (i)
            al__cli_appendf(line, sizeof(line), " ");
        append_word(line, sizeof(line), json_is_string(value) ? json_string_value(value) : "?");
    }
    al__cli_field("Command", "%s", line);
    al__cli_field("Workdir", "%s", al__cli_json_str(w, "workdir", "-"));
    line[0] = '\0';
    json_object_foreach(json_object_get(w, "env"), key, value) {
        al__cli_appendf(line, sizeof(line), "%s%s=", line[0] ? " " : "", key);
        append_word(line, sizeof(line), json_is_string(value) ? json_string_value(value) : "?");
    }
    if (line[0])
        al__cli_field("Environment", "%s", line);
    print_export(w);
}

static void print_times(const json_t *w, int64_t now) {
    char text[64];
    const json_t *exit_code = json_object_get(w, "exit_code");

    al__cli_format_ago(al__cli_json_int(w, "created_s", -1), now, text, sizeof(text));
    al__cli_field("Created", "%s", text);
    al__cli_format_ago(al__cli_json_int(w, "started_s", -1), now, text, sizeof(text));
    al__cli_field("Started", "%s", text);
    al__cli_format_ago(al__cli_json_int(w, "finished_s", -1), now, text, sizeof(text));
    al__cli_field("Finished", "%s", text);
    if (json_is_integer(exit_code))
        al__cli_field("Exit code", "%" JSON_INTEGER_FORMAT, json_integer_value(exit_code));
}

/* Whether w's reason is not why it waits for room: it is suspended, or ran over its time. */
static bool own_reason(const json_t *w) {
    const char *code = al__cli_json_str(w, "reason_code", "");
    return strcmp(code, "suspended") == 0 || strcmp(code, "time_limit") == 0;
}

/* "GPU enforcement: active (memory cap 40960 MiB per device, liballot-cuda.so)" or "off: WHY";
 * nothing for a workload without GPUs or from an allotd that does not say. */
static void print_enforcement(const json_t *w) {
    const json_t *e = json_object_get(w, "enforcement");
    const char *reason = al__cli_json_str(e, "reason", NULL), *library;
    int64_t cap = al__cli_json_int(e, "memory_limit_mib", -1);
    char text[256] = "a share of each device";
    if (!json_is_object(e) || (reason && strcmp(reason, "no GPUs") == 0))
        return;
    if (!al__cli_json_bool(e, "active", false)) {
        al__cli_field("GPU enforcement", "off: %s", reason ? reason : "?");
        return;
    }
    library = al__cli_json_str(e, "library", "liballot-cuda.so");
    int64_t request = al__cli_json_int(e, "memory_request_mib", -1);
    if (cap >= 0 && request >= 0) /* a dynamic fraction: its limit, and its guaranteed part */
        snprintf(text, sizeof(text),
                 "%" PRId64 " MiB per device while the device has room, %" PRId64 " MiB guaranteed",
                 cap, request);
    else if (cap >= 0)
        snprintf(text, sizeof(text), "%" PRId64 " MiB per device", cap);
    al__cli_field("GPU enforcement", "active (memory cap %s, %s)", text,
                  strrchr(library, '/') ? strrchr(library, '/') + 1 : library);
}

static void print_summary(const json_t *w) {
    int64_t priority = al__cli_json_int(w, "priority", 0);
    const char *class_name = al__cli_priority_name(priority);
    const char *reason = al__cli_json_str(w, "reason", NULL);
    int64_t position = al__cli_json_int(w, "queue_position", 0);
    char text[1024];

    al__cli_field("Name", "%s", al__cli_json_str(w, "name", "?"));
    al__cli_field("Project", "%s", al__cli_json_str(w, "project", "?"));
    al__cli_workload_state(w, text, sizeof(text));
    al__cli_field("State", "%s", text);
    al__cli_field("Kind", "%s", al__cli_json_str(w, "kind", "training"));
    al__cli_field("Priority", "%" PRId64 "%s%s%s", priority, class_name ? " (" : "",
                  class_name ? class_name : "", class_name ? ")" : "");
    if (strcmp(al__cli_json_str(w, "preemptibility", ""), "semi-preemptible") == 0)
        al__cli_field("Preemptible", "semi (the first %" PRId64 " workers are not)",
                      al__cli_json_int(w, "min_members", 0));
    else
        al__cli_field("Preemptible", "%s",
                      al__cli_json_bool(w, "preemptible", false) ? "yes" : "no");
    if (strcmp(al__cli_json_str(w, "preemption_policy", ""), "Never") == 0)
        al__cli_field("Preemption policy", "Never (it evicts nothing, it waits)");
    al__cli_workload_request(w, text, sizeof(text));
    al__cli_field("Request", "%s", text);
    al__cli_workload_placement(w, text, sizeof(text));
    al__cli_field("Placement", "%s", text);
    print_enforcement(w);
    al__cli_field("Restarts", "%" PRId64, al__cli_json_int(w, "restarts", 0));
    if (al__cli_json_int(w, "time_limit_s", 0) > 0) {
        al__cli_format_duration(al__cli_json_int(w, "time_limit_s", 0), text, sizeof(text));
        al__cli_field("Time limit", "%s (of each run)", text);
    }
    if (reason) /* why it waits; or, suspended or over its time limit, why it does not run */
        al__cli_field(own_reason(w) ? "Reason" : "Pending reason", "%s: %s",
                      al__cli_json_str(w, "reason_short", al__cli_json_str(w, "reason_code", "?")),
                      reason);
    if (position > 0)
        al__cli_field("Queue position", "%" PRId64 " among project %s's pending workloads",
                      position, al__cli_json_str(w, "project", "?"));
}

/* A large gang's reservation (docs/engine.md, "Reservations"): its nodes and expected start. */
static void print_reservation(const json_t *w, int64_t now) {
    const json_t *r = json_object_get(w, "reservation"), *nodes = json_object_get(r, "nodes");
    char names[512] = "", wait[64] = "now";
    size_t i, used = 0;
    const json_t *node;

    if (!json_is_object(r))
        return;
    json_array_foreach(nodes, i, node) {
        int n = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
                         json_is_string(node) ? json_string_value(node) : "?");
        if (n < 0 || (size_t)n >= sizeof(names) - used)
            break;
        used += (size_t)n;
    }
    int64_t start = al__cli_json_int(r, "start_s", now);
    if (start > now) {
        char in[48];
        al__cli_format_duration(start - now, in, sizeof(in));
        snprintf(wait, sizeof(wait), "in %s", in);
    }
    al__cli_field("Reservation", "%s (expected start %s, by known time limits)", names, wait);
}

/* Its subgroups, one a line: "prefill  2 workers, 2 must run together, in one rack". */
static void print_subgroups(const json_t *subgroups) {
    size_t i, width = 0;
    const json_t *g;
    if (json_array_size(subgroups) == 0)
        return;
    json_array_foreach(subgroups, i, g) {
        size_t n = strlen(al__cli_json_str(g, "name", "?"));
        width = n > width ? n : width;
    }
    printf("\nSubgroups:\n");
    json_array_foreach(subgroups, i, g) {
        const char *required = al__cli_json_str(g, "required_topology_level", NULL);
        const char *preferred = al__cli_json_str(g, "preferred_topology_level", NULL);
        int64_t workers = al__cli_json_int(g, "workers", 0);
        printf("  %-*s  %" PRId64 " worker%s, %" PRId64 " must run together", (int)width,
               al__cli_json_str(g, "name", "?"), workers, workers == 1 ? "" : "s",
               al__cli_json_int(g, "min_members", workers));
        if (required)
            printf(", in one %s", required);
        if (preferred)
            printf(", preferring one %s", preferred);
        printf("\n");
    }
}

static void print_tasks(const json_t *tasks, int64_t now) {
    static const char *const headers[] = {"TASK",    "STATE", "NODE", "GPUS",    "PID",
                                          "STARTED", "RUNS",  "EXIT", "SUBGROUP"};
    struct al__cli_table t;
    size_t i;
    const json_t *task;
    char devices[256], started[32];

    if (json_array_size(tasks) == 0)
        return;
    bool subgroups = json_object_get(json_array_get(tasks, 0), "subgroup") != NULL;
    printf("\nTasks:\n");
    al__cli_table_init(&t, subgroups ? 9 : 8, headers);
    json_array_foreach(tasks, i, task) {
        int64_t pid = al__cli_json_int(task, "pid", -1);
        const json_t *exit_code = json_object_get(task, "exit_code");
        al__cli_devices_text(json_object_get(task, "gpu_devices"), devices, sizeof(devices));
        const json_t *migs = json_object_get(task, "mig_instances"), *m;
        size_t k;
        if (json_array_size(migs) > 0 && strcmp(devices, "-") == 0) { /* its MIG instances */
            devices[0] = '\0';
            json_array_foreach(migs, k, m) {
                al__cli_appendf(devices, sizeof(devices), "%s%s", k ? "," : "",
                                json_is_string(m) ? json_string_value(m) : "?");
            }
        }
        al__cli_format_ago(al__cli_json_int(task, "started_s", -1), now, started, sizeof(started));
        al__cli_table_cell(&t, "%" PRId64, al__cli_json_int(task, "index", (int64_t)i));
        al__cli_table_cell(&t, "%s", al__cli_json_str(task, "state", "?"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(task, "node", "-"));
        al__cli_table_cell(&t, "%s", devices);
        if (pid > 0)
            al__cli_table_cell(&t, "%" PRId64, pid);
        else
            al__cli_table_cell(&t, "-");
        al__cli_table_cell(&t, "%s", started);
        al__cli_table_cell(&t, "%" PRId64, al__cli_json_int(task, "runs", 0));
        if (json_is_integer(exit_code))
            al__cli_table_cell(&t, "%" JSON_INTEGER_FORMAT, json_integer_value(exit_code));
        else
            al__cli_table_cell(&t, "-");
        if (subgroups)
            al__cli_table_cell(&t, "%s", al__cli_json_str(task, "subgroup", "-"));
    }
    al__cli_table_print(&t, stdout, 2);
    al__cli_table_release(&t);
}

static void print_events(const json_t *events, int64_t now) {
    static const char *const headers[] = {"AGE", "KIND", "MESSAGE"};
    struct al__cli_table t;
    size_t i;
    const json_t *e;
    char age[32];

    printf("\nEvents:\n");
    if (json_array_size(events) == 0) {
        printf("  none\n");
        return;
    }
    al__cli_table_init(&t, 3, headers);
    json_array_foreach(events, i, e) {
        al__cli_format_age(now - al__cli_json_int(e, "time_s", now), age, sizeof(age));
        al__cli_table_cell(&t, "%s", age);
        al__cli_table_cell(&t, "%s", al__cli_json_str(e, "kind", "?"));
        al__cli_table_cell(&t, "%s", al__cli_json_str(e, "message", ""));
    }
    al__cli_table_print(&t, stdout, 2);
    al__cli_table_release(&t);
}

static void print_text(const json_t *w, const json_t *events) {
    int64_t now = al__cli_now();

    print_summary(w);
    print_reservation(w, now);
    print_command(w);
    print_times(w, now);
    print_subgroups(json_object_get(w, "subgroups"));
    print_tasks(json_object_get(w, "tasks"), now);
    print_events(events, now);
}

int al__cmd_workload_describe(const struct al__cli *cli, int argc, char **argv) {
    const char *name = NULL, *project = NULL;
    json_t *workload = NULL, *events = NULL;
    char path[1024], query[96] = "", suffix[100];
    const struct al__cli_option options[] = {
        {"-p", "--project", NULL, NULL, 0, &project},
    };
    int rc = al__cli_parse_simple(cli, argc, argv, "workload", &name, options, 1);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (!project)
        project = cli->conn.project;
    if (project)
        snprintf(query, sizeof(query), "project=%s", project);
    snprintf(suffix, sizeof(suffix), "%s%s", query[0] ? "?" : "", query);
    if (al__cli_path(cli, path, sizeof(path), "workloads", name, suffix) < 0)
        return AL__EXIT_USAGE;
    if (al__cli_call(cli, "GET", path, NULL, &workload) < 0)
        return al__cli_failed();
    if (!json_is_object(workload)) {
        fprintf(stderr, "allot: allotd's answer for workload %s is not an object\n", name);
        json_decref(workload);
        return AL__EXIT_FAIL;
    }
    al__cli_path(cli, path, sizeof(path), "workloads", name, "/events");
    if (al__cli_list_all(cli, path, query, &events) < 0) {
        json_decref(workload);
        return al__cli_failed();
    }
    if (cli->format == AL__CLI_FORMAT_NAME) {
        printf("workload/%s\n", name);
    } else if (AL__CLI_STRUCTURED(cli)) {
        al__cli_json_set(workload, "events", json_incref(events));
        rc = al__cli_print_doc(cli, workload);
    } else {
        print_text(workload, events);
    }
    json_decref(events);
    json_decref(workload);
    return rc < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
}
