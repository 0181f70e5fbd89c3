/* replay.c - `allot replay`: one scheduling cycle on snapshot files; print it or check it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/cycle.h"
#include "allot/errors.h"
#include "cli/commands.h"
#include "cli/help.h"
#include "snapshot/report.h"
#include "snapshot/scenario.h"

struct options {
    bool check;
    bool json;
    bool kai; /* the files are KAI Scheduler snapshots */
    char **files;
    int file_count;
};

/* Totals and the JSON documents collected over all files. */
struct run {
    int passed;
    int failed;
    json_t *docs;
};

/* Returns -1 after printing usage for a bad command line, 1 for --help, 0 to run. */
static int options_parse(int argc, char **argv, struct options *o) {
    int i = 1;

    memset(o, 0, sizeof(*o));
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (strcmp(argv[i], "--check") == 0)
            o->check = true;
        else if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (strcmp(argv[i], "--kai") == 0)
            o->kai = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "allot replay: unknown option '%s'\n", argv[i]);
            return -1;
        }
    }
    o->files = argv + i;
    o->file_count = argc - i;
    if (o->kai && o->check) {
        fprintf(stderr, "allot replay: --check and --kai together (a KAI snapshot has no "
                        "expectations)\n");
        return -1;
    }
    if (o->file_count == 0) {
        fprintf(stderr, "allot replay: no snapshot file given\n");
        return -1;
    }
    return 0;
}

/* The scenario's name, or the file name without directories and ".json". */
static void display_name(const char *path, const struct al_scenario *sc, char *buf, size_t size) {
    const char *base = strrchr(path, '/');
    size_t len;

    if (sc && sc->cluster.name) {
        snprintf(buf, size, "%s", sc->cluster.name);
        return;
    }
    snprintf(buf, size, "%s", base ? base + 1 : path);
    len = strlen(buf);
    if (len > 5 && strcmp(buf + len - 5, ".json") == 0)
        buf[len - 5] = '\0';
}

/* "PATH: MESSAGE", "line N: MESSAGE" or "MESSAGE". */
static void load_error_text(const struct al_snapshot_error *err, char *buf, size_t size) {
    if (err->path[0])
        snprintf(buf, size, "%s: %s", err->path, err->message);
    else if (err->line > 0)
        snprintf(buf, size, "line %d: %s", err->line, err->message);
    else
        snprintf(buf, size, "%s", err->message);
}

static void print_gpus(const int32_t *gpus, size_t count) {
    if (count == 0)
        return;
    printf(" GPU%s ", count == 1 ? "" : "s");
    for (size_t i = 0; i < count; i++)
        printf("%s%d", i ? "," : "", (int)gpus[i]);
}

static void print_decisions(const struct al_cluster *c, const struct al_result *r) {
    static const char *const kinds[] = {"bind", "pipeline", "evict"};

    printf("decisions (%zu):\n", r->decision_count);
    for (size_t i = 0; i < r->decision_count; i++) {
        const struct al_decision *d = &r->decisions[i];
        const char *node = d->node >= 0 ? c->nodes[d->node].name : "?";
        printf("  %-9s %s", kinds[d->kind], c->tasks[d->task].name);
        if (d->kind == AL_DECISION_EVICT) {
            printf(" from %s", node);
            if (d->reason != AL_REASON_NONE)
                printf(" (%s)", al_reason_name(d->reason));
        } else {
            printf(" -> %s", node);
            print_gpus(d->gpus, d->gpu_count);
        }
        printf("\n");
    }
}

static void print_pending(const struct al_cluster *c, const struct al_result *r) {
    char line[512];

    int32_t *order = al__explanations_by_name(c, r);
    if (!order) {
        fprintf(stderr, "allot: out of memory\n");
        return;
    }
    printf("pending jobs (%zu):\n", r->explanation_count);
    for (size_t i = 0; i < r->explanation_count; i++) {
        const struct al_explanation *e = &r->explanations[order[i]];
        const struct al_job *job = &c->jobs[e->job];
        al_explanation_text(c, e, line, sizeof(line));
        printf("  %s (queue %s): %s\n", job->name, c->queues[job->queue].name, line);
    }
    free(order);
}

/* One queue and, indented below it, its children in file order; with time-based fair share on,
 * its GPU usage and its fair share by weight alone too. */
static void print_queue_tree(const struct al_cluster *c, const struct al_result *r, int32_t q,
                             int depth) {
    const struct al_queue_outcome *o = &r->queues[q];
    char share[48], alloc[48], req[48], plain[48];

    al_amount_text(AL_GPU, o->fair_share[AL_GPU], false, share, sizeof(share));
    al_amount_text(AL_GPU, o->allocated[AL_GPU], false, alloc, sizeof(alloc));
    al_amount_text(AL_GPU, o->requested[AL_GPU], false, req, sizeof(req));
    printf("  %*s%-*s %10s %10s %10s", 2 * depth, "", 24 - 2 * (depth < 10 ? depth : 10),
           c->queues[q].name, share, alloc, req);
    if (c->config.usage_k_milli > 0) {
        al_amount_text(AL_GPU, o->fair_share_without_usage[AL_GPU], false, plain, sizeof(plain));
        printf(" %10.2f %13s", (double)c->queues[q].usage_ppm[AL_GPU] / AL_USAGE_PPM, plain);
    }
    printf("\n");
    for (size_t i = 0; i < c->queue_count; i++)
        if (c->queues[i].parent == q)
            print_queue_tree(c, r, (int32_t)i, depth + 1);
}

static void print_queues(const struct al_cluster *c, const struct al_result *r) {
    printf("queues (GPUs):%*s %10s %10s %10s", 12, "", "fair share", "allocated", "requested");
    if (c->config.usage_k_milli > 0)
        printf(" %10s %13s", "usage", "without usage");
    printf("\n");
    for (size_t i = 0; i < c->queue_count; i++)
        if (c->queues[i].parent < 0)
            print_queue_tree(c, r, (int32_t)i, 0);
}

/* The reservations of large gangs, when the cycle made any. */
static void print_reservations(const struct al_cluster *c, const struct al_result *r) {
    if (r->reservation_count == 0)
        return;
    printf("reservations (%zu):\n", r->reservation_count);
    for (size_t i = 0; i < r->reservation_count; i++) {
        const struct al_reservation *v = &r->reservations[i];
        printf("  %s from %llds on", c->jobs[v->job].name, (long long)v->start_s);
        for (size_t k = 0; k < v->node_count; k++)
            printf("%s%s", k ? ", " : " ", c->nodes[v->nodes[k]].name);
        printf("\n");
    }
}

/* With node pools: each pool's GPU fair share, allocation and request per leaf queue that asks
 * or holds something there (the table above sums the pools). */
static void print_pools(const struct al_cluster *c, const struct al_result *r) {
    for (size_t p = 0; p < r->pool_count; p++) {
        char label[96];
        snprintf(label, sizeof(label),
                 "pool %.60s (GPUs):", r->pools[p].name ? r->pools[p].name : "(default)");
        printf("%-26s %10s %10s %10s\n", label, "fair share", "allocated", "requested");
        for (size_t q = 0; q < c->queue_count; q++) {
            const struct al_queue_outcome *o = &r->pools[p].queues[q];
            char share[48], alloc[48], req[48];
            if (o->requested[AL_GPU] == 0 && o->allocated[AL_GPU] == 0)
                continue;
            al_amount_text(AL_GPU, o->fair_share[AL_GPU], false, share, sizeof(share));
            al_amount_text(AL_GPU, o->allocated[AL_GPU], false, alloc, sizeof(alloc));
            al_amount_text(AL_GPU, o->requested[AL_GPU], false, req, sizeof(req));
            printf("  %-24s %10s %10s %10s\n", c->queues[q].name, share, alloc, req);
        }
    }
}

static void print_text(const char *path, const char *name, const struct al_cluster *c,
                       const struct al_result *r) {
    printf("== %s (%s)\n", name, path);
    print_decisions(c, r);
    print_pending(c, r);
    print_reservations(c, r);
    print_queues(c, r);
    print_pools(c, r);
}

static void json_add(struct run *run, json_t *doc) {
    if (!doc || json_array_append_new(run->docs, doc) < 0) {
        fprintf(stderr, "allot replay: out of memory\n");
        exit(AL__EXIT_FAIL);
    }
}

/* Records a --check verdict: a line of text, or an entry for the JSON summary. */
static void report_check(struct run *run, const struct options *o, const char *path,
                         const char *name, bool passed, const char *diff) {
    if (passed)
        run->passed++;
    else
        run->failed++;
    if (!o->json) {
        if (passed)
            printf("PASS %s\n", name);
        else
            printf("FAIL %s: %s\n", name, diff);
        return;
    }
    json_add(run, json_pack("{s:s, s:s, s:b, s:s?}", "file", path, "name", name, "passed", passed,
                            "difference", passed ? NULL : diff));
}

/* A KAI snapshot as an allot scenario; what it left out is said on stderr. */
static int load_kai(const char *path, struct al_scenario *sc, struct al_snapshot_error *err) {
    char *text = NULL;
    json_t *skipped = NULL;
    size_t i;
    json_t *why;
    memset(err, 0, sizeof(*err));
    memset(sc, 0, sizeof(*sc));
    int rc = al__kai_snapshot_read(path, &text, &skipped, err->message, sizeof(err->message));
    if (rc < 0)
        return rc;
    json_array_foreach(skipped, i, why)
        fprintf(stderr, "%s: left out: %s\n", path, json_string_value(why));
    json_decref(skipped);
    rc = al_scenario_parse(text, strlen(text), sc, err);
    free(text);
    return rc;
}

/* A snapshot document from standard input ("-"). */
static int load_stdin(struct al_scenario *sc, struct al_snapshot_error *err) {
    char *text = NULL, chunk[65536];
    size_t len = 0, n;
    memset(err, 0, sizeof(*err));
    memset(sc, 0, sizeof(*sc));
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        char *more = realloc(text, len + n + 1);
        if (!more) {
            free(text);
            snprintf(err->message, sizeof(err->message), "standard input: out of memory");
            return -AL_ENOMEM;
        }
        text = more;
        memcpy(text + len, chunk, n);
        len += n;
    }
    if (ferror(stdin)) {
        free(text);
        snprintf(err->message, sizeof(err->message), "standard input: cannot be read");
        return -AL_EIO;
    }
    int rc = al_scenario_parse(text ? text : "", len, sc, err);
    free(text);
    return rc;
}

static int load(const struct options *o, const char *path, struct al_scenario *sc,
                struct al_snapshot_error *err) {
    if (strcmp(path, "-") == 0 && o->kai) {
        memset(err, 0, sizeof(*err));
        memset(sc, 0, sizeof(*sc));
        snprintf(err->message, sizeof(err->message),
                 "--kai reads a file (a zip or its snapshot.json), not standard input");
        return -AL_EINVAL;
    }
    if (strcmp(path, "-") == 0)
        return load_stdin(sc, err);
    return o->kai ? load_kai(path, sc, err) : al_scenario_load(path, sc, err);
}

static void replay_file(struct run *run, const struct options *o, const char *path) {
    struct al_scenario sc;
    struct al_snapshot_error err;
    struct al_result result;
    char name[256], diff[1024];
    int rc = load(o, path, &sc, &err);

    display_name(path, rc == 0 ? &sc : NULL, name, sizeof(name));
    if (rc < 0) {
        load_error_text(&err, diff, sizeof(diff));
        fprintf(stderr, "%s: %s\n", path, diff);
        if (o->check)
            report_check(run, o, path, name, false, diff);
        else
            run->failed++;
        return;
    }
    memset(&result, 0, sizeof(result));
    rc = al_cycle_run(&sc.cluster, &result);
    if (rc < 0) {
        snprintf(diff, sizeof(diff), "the cycle failed: %s", al_strerror(rc));
        fprintf(stderr, "%s: %s\n", path, diff);
        if (o->check)
            report_check(run, o, path, name, false, diff);
        else
            run->failed++;
    } else if (o->check && !sc.has_expect) { /* nothing to check is no pass */
        snprintf(diff, sizeof(diff), "nothing to check: the file has no `expect` section");
        report_check(run, o, path, name, false, diff);
    } else if (o->check) {
        bool passed = al_scenario_check(&sc, &result, diff, sizeof(diff));
        report_check(run, o, path, name, passed, diff);
    } else if (o->json) {
        json_t *doc = al_result_json(&sc.cluster, &result);
        if (doc && json_object_set_new(doc, "file", json_string(path)) < 0)
            doc = NULL;
        json_add(run, doc);
        run->passed++;
    } else {
        print_text(path, name, &sc.cluster, &result);
        run->passed++;
    }
    al_result_release(&result);
    al_scenario_release(&sc);
}

static void print_json(const struct run *run, const struct options *o) {
    json_t *out = run->docs;

    if (o->check)
        out = json_pack("{s:O, s:i, s:i}", "files", run->docs, "passed", run->passed, "failed",
                        run->failed);
    else if (json_array_size(run->docs) == 1)
        out = json_incref(json_array_get(run->docs, 0));
    else
        json_incref(out);
    if (!out || json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0) {
        fprintf(stderr, "allot replay: cannot write JSON\n");
        exit(AL__EXIT_FAIL);
    }
    putchar('\n');
    json_decref(out);
}

int al__cmd_replay(const struct al__cli *cli, int argc, char **argv) {
    struct options o;
    struct run run = {0, 0, json_array()};
    int rc = options_parse(argc, argv, &o);

    if (rc != 0) {
        al__cli_usage(rc > 0 ? stdout : stderr, cli->command);
        json_decref(run.docs);
        return rc > 0 ? AL__EXIT_OK : AL__EXIT_USAGE;
    }
    if (!run.docs) {
        fprintf(stderr, "allot replay: out of memory\n");
        return AL__EXIT_FAIL;
    }
    for (int i = 0; i < o.file_count; i++)
        replay_file(&run, &o, o.files[i]);
    if (o.json && json_array_size(run.docs) > 0)
        print_json(&run, &o);
    else if (o.check && !o.json)
        printf("%d passed, %d failed\n", run.passed, run.failed);
    json_decref(run.docs);
    return run.failed == 0 ? AL__EXIT_OK : AL__EXIT_FAIL;
}
