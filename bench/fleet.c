/* fleet.c - the engine at fleet scale: builds synthetic clusters (synth.h) of the shapes in
 * DESIGN.md section 6 and prints their figures as `name: value unit` (medians of several runs).
 *   fleet [--quick] [--runs N] [shape...]
 *   shapes: kai315 parse allocate reclaim consolidate scaling topology
 * Each shape runs in a child process, so that its peak memory is its own. --quick shrinks every
 * shape (a smoke test for CI; its figures are not the targets). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allot/cycle.h"
#include "allot/errors.h"
#include "allot/snapshot.h"
#include "measure.h"
#include "synth.h"

static bool quick;
static int runs = 5;

/* One figure; a --quick run's figures say so in their names (they are not the targets). */
static void figure(const char *name, double value, const char *unit) {
    char quick_name[128];
    snprintf(quick_name, sizeof(quick_name), "smoke_%.100s", name);
    measure_figure(quick ? quick_name : name, value, unit);
}

static void die(const char *what) {
    fprintf(stderr, "fleet: %s\n", what);
    exit(1);
}

/* One workspace for every cycle of a shape, as a scheduler keeps it from cycle to cycle. */
static struct al_workspace workspace;

/* One cycle; returns its time in ms and fills *res (released by the caller). */
static double timed_cycle(const struct al_cluster *c, struct al_result *res) {
    int64_t t0 = measure_now_ns();
    int rc = al_cycle_run_in(&workspace, c, res);
    if (rc != 0) {
        fprintf(stderr, "fleet: cycle failed: %s\n", al_strerror(rc));
        exit(1);
    }
    return (double)(measure_now_ns() - t0) / 1e6;
}

static size_t count_kind(const struct al_result *res, enum al_decision_kind kind) {
    size_t n = 0;
    for (size_t i = 0; i < res->decision_count; i++)
        n += res->decisions[i].kind == kind;
    return n;
}

/* Median cycle time over `runs` runs; the last result's bind count in *binds. */
static double median_cycle(const struct al_cluster *c, int n, size_t *binds, size_t *evicts) {
    double t[64];
    n = n > 64 ? 64 : n;
    for (int r = 0; r < n; r++) {
        struct al_result res;
        t[r] = timed_cycle(c, &res);
        if (binds)
            *binds = count_kind(&res, AL_DECISION_BIND) + count_kind(&res, AL_DECISION_PIPELINE);
        if (evicts)
            *evicts = count_kind(&res, AL_DECISION_EVICT);
        al_result_release(&res);
    }
    return measure_median(t, (size_t)n);
}

static void describe(const char *shape, const struct al_cluster *c) {
    size_t gpus = 0;
    for (size_t n = 0; n < c->node_count; n++)
        gpus += c->nodes[n].gpu_count;
    printf("# %s: %zu nodes, %zu GPUs, %zu queues, %zu jobs, %zu tasks\n", shape, c->node_count,
           gpus, c->queue_count, c->job_count, c->task_count);
}

/* KAI issue #315: 4,000 nodes (120 with 8 GPUs), ~140,000 pods mostly running, a few pending
 * multi-GPU gangs; every action. */
static void build_kai315(struct al_cluster *c) {
    struct synth_params p;
    synth_params_init(&p);
    p.nodes = quick ? 400 : 4000;
    p.gpu_nodes = quick ? 12 : 120;
    p.node_cpu_millis = 64000;
    p.node_memory_bytes = 512LL << 30;
    p.departments = 5;
    p.projects = 4;
    p.gpu_running_pct = 90;
    p.cpu_pods_per_node = 36;
    p.pending_tasks = 24;
    p.max_gang = 4;
    synth_build(&p, c);
}

static void shape_kai315(void) {
    struct al_cluster c;
    build_kai315(&c);
    describe("kai315", &c);
    size_t binds = 0, evicts = 0;
    figure("cycle_kai315_ms", median_cycle(&c, runs, &binds, &evicts), "ms");
    printf("# kai315: %zu placements, %zu evictions per cycle\n", binds, evicts);
    al_cluster_release(&c);
}

/* Reading the KAI #315 shape's snapshot file into the model. */
static void shape_parse(void) {
    struct al_cluster c;
    build_kai315(&c);
    char *text = al_snapshot_write(&c);
    if (!text)
        die("out of memory");
    char path[] = "/tmp/allot-kai315-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write the snapshot");
    printf("# kai315: snapshot of %.1f MB\n", (double)strlen(text) / 1e6);
    free(text);
    double t[64];
    int n = runs > 64 ? 64 : runs;
    for (int r = 0; r < n; r++) {
        int64_t t0 = measure_now_ns();
        f = fopen(path, "rb");
        if (!f || fseek(f, 0, SEEK_END) != 0)
            die("cannot read the snapshot");
        long len = ftell(f);
        rewind(f);
        char *buf = malloc((size_t)len + 1);
        if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
            die("cannot read the snapshot");
        fclose(f);
        struct al_cluster parsed;
        struct al_snapshot_error err;
        if (al_snapshot_parse(buf, (size_t)len, &parsed, &err) != 0) {
            fprintf(stderr, "fleet: %s: %s\n", err.path, err.message);
            exit(1);
        }
        t[r] = (double)(measure_now_ns() - t0) / 1e6;
        free(buf);
        al_cluster_release(&parsed);
    }
    unlink(path);
    figure("parse_kai315_ms", measure_median(t, (size_t)n), "ms");
    al_cluster_release(&c);
}

/* 10,000 nodes x 8 GPUs, 100,000 pending tasks in 1,000 projects under 50 departments:
 * tasks placed per second by allocate, and the engine's peak memory. The request mix follows
 * the Alibaba openb trace (../shared/traces: 48% one GPU, 38% a fraction, 13% CPU only, under
 * 1% several GPUs), with more multi-GPU requests and gangs than it has. */
static void shape_allocate(void) {
    struct synth_params p;
    synth_params_init(&p);
    p.nodes = p.gpu_nodes = quick ? 500 : 10000;
    p.pools = 4;
    p.zones = 8;
    p.gpu_models = 3;
    p.departments = 50;
    p.projects = quick ? 2 : 20;
    p.gpu_running_pct = 0;
    p.pending_tasks = quick ? 5000 : 100000;
    p.max_gang = 4;
    p.fraction_pct = 30;
    p.memory_pct = 8;
    p.multi_device_pct = 10;
    p.multi_gpu_pct = 5;
    p.selector_pct = 10;
    p.pending_cpu_pct = 12;
    struct al_cluster c;
    synth_build(&p, &c);
    c.config.actions[0] = AL_ACTION_ALLOCATE;
    c.config.action_count = 1;
    describe("allocate", &c);
    double before = measure_rss_mb();
    size_t placed = 0;
    double ms = median_cycle(&c, runs < 3 ? runs : 3, &placed, NULL);
    double peak = measure_peak_rss_mb();
    printf("# allocate: %zu tasks placed in %.1f ms\n", placed, ms);
    figure("allocate_10k_tasks_per_s", (double)placed / (ms / 1e3), "tasks/s");
    figure("memory_10k_mb", peak - before, "MB");
    /* The same under allot's placement policy (allotd's default): every candidate scored. */
    c.config.gpu_placement = c.config.cpu_placement = AL_ALLOT;
    ms = median_cycle(&c, runs < 3 ? runs : 3, &placed, NULL);
    printf("# allocate, allot placement: %zu tasks placed in %.1f ms\n", placed, ms);
    figure("allocate_allot_10k_tasks_per_s", (double)placed / (ms / 1e3), "tasks/s");
    al_cluster_release(&c);
}

/* Applies a cycle's decisions as a backend would: evicted tasks end and are requeued, placed
 * tasks run (pipelined ones once their victims are gone, i.e. by the next cycle). */
static void apply(struct al_cluster *c, const struct al_result *res) {
    for (size_t i = 0; i < res->decision_count; i++) {
        const struct al_decision *d = &res->decisions[i];
        struct al_task *t = &c->tasks[d->task];
        if (d->kind == AL_DECISION_EVICT) {
            t->state = AL_TASK_PENDING;
            t->node = -1;
            free(t->gpu_indices);
            t->gpu_indices = NULL;
            t->gpu_index_count = 0;
            continue;
        }
        t->state = AL_TASK_RUNNING;
        t->node = d->node;
        free(t->gpu_indices);
        t->gpu_indices = malloc((d->gpu_count + 1) * sizeof(int32_t));
        if (!t->gpu_indices)
            die("out of memory");
        memcpy(t->gpu_indices, d->gpus, d->gpu_count * sizeof(int32_t));
        t->gpu_index_count = d->gpu_count;
    }
}

static void build_reclaim(struct al_cluster *c, int nodes) {
    char name[32];
    memset(c, 0, sizeof(*c));
    al_config_init(&c->config);
    const enum al_action actions[] = {AL_ACTION_ALLOCATE, AL_ACTION_RECLAIM};
    memcpy(c->config.actions, actions, sizeof(actions));
    c->config.action_count = 2;
    for (int n = 0; n < nodes; n++) {
        snprintf(name, sizeof(name), "n%05d", n);
        synth_add_node(c, name, 8, 81920, 128000, 1024LL << 30);
    }
    int32_t lender = synth_add_queue(c, "lender", -1, 0);
    int32_t owner = synth_add_queue(c, "owner", -1, (int64_t)nodes * 8 * 1000 / 2);
    for (int i = 0; i < nodes * 8; i++) {
        int32_t dev = i % 8;
        snprintf(name, sizeof(name), "l%05d", i);
        synth_add_job(c, name, lender, 50, 1, -100000 + i);
        synth_add_task(c, i / 8, 1, 0, &dev, 1000, 1LL << 30);
    }
    for (int i = 0; i < nodes * 8; i++) {
        snprintf(name, sizeof(name), "o%05d", i);
        synth_add_job(c, name, owner, 50, 1, -1000 + i % 1000);
        synth_add_task(c, -1, 1, 0, NULL, 1000, 1LL << 30);
    }
}

/* 500 nodes x 8 GPUs full of 4,000 preemptible 1-GPU jobs of one project, 4,000 pending 1-GPU
 * jobs of another with deserved quota: every cycle until the owner has its fair share. */
static void shape_reclaim(void) {
    int nodes = quick ? 50 : 500;
    double total[64];
    int n = runs > 64 ? 64 : runs, cycles = 0;
    int64_t owner_gpu = 0, owner_fair = 0;
    for (int r = 0; r < n; r++) {
        struct al_cluster c;
        build_reclaim(&c, nodes);
        total[r] = 0;
        for (cycles = 1; cycles <= 200; cycles++) {
            struct al_result res;
            total[r] += timed_cycle(&c, &res);
            owner_gpu = res.queues[1].allocated[AL_GPU];
            owner_fair = res.queues[1].fair_share[AL_GPU];
            size_t decisions = res.decision_count;
            apply(&c, &res);
            al_result_release(&res);
            if (decisions == 0 || owner_gpu >= owner_fair)
                break;
        }
        al_cluster_release(&c);
    }
    printf("# reclaim: %d nodes, %d cycles, owner at %lld of fair share %lld milli-GPU\n", nodes,
           cycles, (long long)owner_gpu, (long long)owner_fair);
    figure("reclaim_500_total_ms", measure_median(total, (size_t)n), "ms");
}

/* Nodes with 6 of 8 devices held by 1-GPU preemptible jobs (free devices scattered), and
 * 8-GPU gangs that fit only if consolidation moves work. */
static void shape_consolidate(void) {
    char name[32];
    int nodes = quick ? 64 : 512;
    struct al_cluster c;
    memset(&c, 0, sizeof(c));
    al_config_init(&c.config);
    const enum al_action actions[] = {AL_ACTION_ALLOCATE, AL_ACTION_CONSOLIDATION};
    memcpy(c.config.actions, actions, sizeof(actions));
    c.config.action_count = 2;
    for (int n = 0; n < nodes; n++) {
        snprintf(name, sizeof(name), "n%05d", n);
        synth_add_node(&c, name, 8, 81920, 128000, 1024LL << 30);
    }
    int32_t q = synth_add_queue(&c, "team", -1, AL_UNLIMITED);
    int job = 0;
    for (int n = 0; n < nodes; n++)
        for (int32_t dev = 0; dev < 8; dev++) {
            if (dev == n % 8 || dev == (n + 3) % 8)
                continue;
            snprintf(name, sizeof(name), "s%06d", job);
            synth_add_job(&c, name, q, 50, 1, -100000 + job++);
            synth_add_task(&c, n, 1, 0, &dev, 1000, 1LL << 30);
        }
    for (int i = 0; i < nodes / 16; i++) {
        snprintf(name, sizeof(name), "g%05d", i);
        synth_add_job(&c, name, q, 50, 1, -10 + i);
        synth_add_task(&c, -1, 8, 0, NULL, 8000, 8LL << 30);
    }
    describe("consolidate", &c);
    size_t placed = 0, evicts = 0;
    figure("consolidate_frag_ms", median_cycle(&c, runs, &placed, &evicts), "ms");
    printf("# consolidate: %zu placements, %zu evictions\n", placed, evicts);
    al_cluster_release(&c);
}

/* The slope of log(ms) against log(size): the fitted exponent of time against size. */
static double fitted_exponent(const int *sizes, const double *ms, int count) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < count; i++) {
        double x = log((double)sizes[i]), y = log(ms[i] > 1e-3 ? ms[i] : 1e-3);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    return (count * sxy - sx * sy) / (count * sxx - sx * sx);
}

/* Full cycles at 1k..20k GPU nodes with proportional load (70% of the devices running, two
 * pending tasks per node); the fitted exponent of time against size, for the whole cycle and
 * for allocate alone (the victim searches' budget is a fixed cost that flattens the first). */
static void shape_scaling(void) {
    const int full[] = {1000, 2000, 5000, 10000, 20000}, small[] = {100, 200, 500};
    const int *sizes = quick ? small : full;
    int count = quick ? 3 : 5;
    double cycle_ms[5], allocate_ms[5];
    for (int i = 0; i < count; i++) {
        struct synth_params p;
        synth_params_init(&p);
        p.seed = 7;
        p.nodes = p.gpu_nodes = sizes[i];
        p.departments = 10;
        p.projects = sizes[i] / 100;
        p.gpu_running_pct = 70;
        p.pending_tasks = sizes[i] * 2;
        p.fraction_pct = 10;
        p.pools = 4;
        p.selector_pct = 5;
        struct al_cluster c;
        synth_build(&p, &c);
        char name[48];
        cycle_ms[i] = median_cycle(&c, runs < 3 ? runs : 3, NULL, NULL);
        if (quick)
            snprintf(name, sizeof(name), "cycle_scaling_%d_ms", sizes[i]);
        else
            snprintf(name, sizeof(name), "cycle_scaling_%dk_ms", sizes[i] / 1000);
        figure(name, cycle_ms[i], "ms");
        c.config.action_count = 1; /* allocate */
        allocate_ms[i] = median_cycle(&c, runs < 3 ? runs : 3, NULL, NULL);
        al_cluster_release(&c);
    }
    figure("cycle_scaling_exponent", fitted_exponent(sizes, cycle_ms, count), "");
    figure("allocate_scaling_exponent", fitted_exponent(sizes, allocate_ms, count), "");
}

/* Topology-aware placement (docs/topology.md): 4,000 nodes of 8 GPUs in 4 zones x 4 blocks x 10
 * racks, 3,000 pending gangs of 1-16 tasks; every other one requires a zone, block or rack and
 * prefers a deeper level. The same cluster without the constraints for comparison. */
static void shape_topology(void) {
    static const char *const levels[] = {"zone", "block", "rack"};
    static const int32_t fan[] = {4, 4, 10};
    struct al_cluster c;
    memset(&c, 0, sizeof(c));
    al_config_init(&c.config);
    c.config.actions[0] = AL_ACTION_ALLOCATE;
    c.config.action_count = 1;
    int nodes = quick ? 400 : 4000, jobs = quick ? 300 : 3000;
    char name[64];
    for (int n = 0; n < nodes; n++) {
        snprintf(name, sizeof(name), "n%05d", n);
        synth_add_node(&c, name, 8, 81920, 128000, 1024LL << 30);
    }
    synth_add_topology(&c, levels, fan, 3);
    int32_t root = synth_add_queue(&c, "root", -1, -1);
    int32_t q = synth_add_queue(&c, "team", root, -1);
    unsigned seed = 7;
    size_t tasks = 0;
    for (int j = 0; j < jobs; j++) {
        seed = seed * 1103515245u + 12345u;
        int32_t n = 1 << ((seed >> 16) % 5), gpus = 1 << ((seed >> 20) % 4);
        snprintf(name, sizeof(name), "job-%05d", j);
        int32_t job = synth_add_job(&c, name, q, 50, n, -j);
        if (j % 2 == 0) {
            int16_t required = (int16_t)(1 + (seed >> 24) % 3);
            c.jobs[job].topology =
                (struct al_topology_constraint){0, required, (int16_t)(required + 1)};
        }
        for (int32_t t = 0; t < n; t++, tasks++)
            synth_add_task(&c, -1, gpus, 0, NULL, 1000, 1LL << 30);
    }
    describe("topology", &c);
    size_t placed = 0;
    double ms = median_cycle(&c, runs < 3 ? runs : 3, &placed, NULL);
    printf("# topology: %zu of %zu tasks placed in %.1f ms, half the gangs constrained\n", placed,
           tasks, ms);
    figure("cycle_topology_ms", ms, "ms");
    for (size_t j = 0; j < c.job_count; j++)
        c.jobs[j].topology = (struct al_topology_constraint){0, 0, 0};
    ms = median_cycle(&c, runs < 3 ? runs : 3, &placed, NULL);
    printf("# topology, constraints removed: %zu tasks placed in %.1f ms\n", placed, ms);
    figure("cycle_topology_free_ms", ms, "ms");
    al_cluster_release(&c);
}

static const struct {
    const char *name;
    void (*run)(void);
} shapes[] = {{"kai315", shape_kai315},           {"parse", shape_parse},
              {"allocate", shape_allocate},       {"reclaim", shape_reclaim},
              {"consolidate", shape_consolidate}, {"scaling", shape_scaling},
              {"topology", shape_topology}};

static int run_child(void (*run)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        run();
        fflush(stdout);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    return 0;
}

int main(int argc, char **argv) {
    const char *chosen[16];
    int chosen_count = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 64) {
                fprintf(stderr, "fleet: --runs: expected 1..64, got '%s'\n", argv[i]);
                return 2;
            }
            runs = (int)v;
        } else if (argv[i][0] == '-' || chosen_count == 16) {
            fprintf(stderr, "usage: fleet [--quick] [--runs N] [shape...]\n");
            return 2;
        } else {
            chosen[chosen_count++] = argv[i];
        }
    }
    size_t count = sizeof(shapes) / sizeof(shapes[0]);
    for (size_t s = 0; s < count; s++) {
        bool want = chosen_count == 0;
        for (int i = 0; i < chosen_count; i++)
            want |= strcmp(chosen[i], shapes[s].name) == 0;
        if (want)
            failed |= run_child(shapes[s].run);
    }
    for (int i = 0; i < chosen_count; i++) {
        bool known = false;
        for (size_t s = 0; s < count; s++)
            known |= strcmp(chosen[i], shapes[s].name) == 0;
        if (!known) {
            fprintf(stderr, "fleet: unknown shape '%s'\n", chosen[i]);
            failed = 1;
        }
    }
    return failed;
}
