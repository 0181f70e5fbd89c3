/* victim_search.c - benchmark: one cycle of allocate, consolidation, reclaim and preempt on a
 * large synthetic cluster where half the projects borrowed almost every GPU and the other
 * half come back for their quota; prints (name: value unit) the median cycle time, the
 * scenarios simulated and the longest search for one job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/cycle.h"
#include "measure.h"
#include "support/builder.h"

#define GPUS_PER_NODE 8
#define DEPARTMENTS   8
#define PROJECTS      8 /* per department; even ones lend, odd ones reclaim */

static uint64_t rng = 42;

static uint32_t next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* Fills the nodes with 1-, 2- and 4-GPU jobs of the lending projects, then adds pending
 * gangs of the reclaiming projects. */
static void build(struct al_cluster *c, int nodes) {
    char name[64], parent[32];
    tb_init(c);
    for (int n = 0; n < nodes; n++) {
        snprintf(name, sizeof(name), "node-%04d", n);
        tb_node(c, name, GPUS_PER_NODE, 128000, 1024LL << 30);
    }
    int64_t per_project = (int64_t)nodes * GPUS_PER_NODE * 1000 / (DEPARTMENTS * PROJECTS);
    for (int d = 0; d < DEPARTMENTS; d++) {
        snprintf(parent, sizeof(parent), "dept-%d", d);
        tb_queue(c, parent, NULL, per_project * PROJECTS, -1, 1, 100);
        for (int p = 0; p < PROJECTS; p++) {
            snprintf(name, sizeof(name), "proj-%d-%d", d, p);
            tb_queue(c, name, parent, p % 2 ? 2 * per_project : 0, -1, 1, 100);
        }
    }
    int job = 0;
    for (int n = 0; n < nodes; n++) {
        int used = 0;
        while (used < GPUS_PER_NODE) {
            int size = 1 << (next_random() % 3);
            if (used + size > GPUS_PER_NODE)
                size = GPUS_PER_NODE - used;
            int32_t devices[GPUS_PER_NODE];
            for (int g = 0; g < size; g++)
                devices[g] = used + g;
            int d = (int)(next_random() % DEPARTMENTS),
                p = 2 * (int)(next_random() % (PROJECTS / 2));
            snprintf(parent, sizeof(parent), "proj-%d-%d", d, p);
            snprintf(name, sizeof(name), "lent-%d", job);
            tb_job(c, name, parent, 50, 1);
            c->jobs[c->job_count - 1].created_s = -100000 + job;
            snprintf(name, sizeof(name), "lent-%d-0", job++);
            snprintf(parent, sizeof(parent), "node-%04d", n);
            tb_task(c, name, AL_TASK_RUNNING, parent, size, 0, devices);
            used += size;
        }
    }
    int pending = nodes / 2;
    for (int i = 0; i < pending; i++) {
        int d = (int)(next_random() % DEPARTMENTS),
            p = 1 + 2 * (int)(next_random() % (PROJECTS / 2));
        int tasks = 1 + (int)(next_random() % 4), size = 1 << (next_random() % 3);
        snprintf(parent, sizeof(parent), "proj-%d-%d", d, p);
        snprintf(name, sizeof(name), "want-%d", i);
        tb_job(c, name, parent, i % 5 == 0 ? 100 : 50, tasks);
        for (int t = 0; t < tasks; t++) {
            snprintf(name, sizeof(name), "want-%d-%d", i, t);
            tb_task(c, name, AL_TASK_PENDING, NULL, size, 0, NULL);
        }
    }
    const enum al_action actions[] = {AL_ACTION_ALLOCATE, AL_ACTION_CONSOLIDATION,
                                      AL_ACTION_RECLAIM, AL_ACTION_PREEMPT};
    memcpy(c->config.actions, actions, sizeof(actions));
    c->config.action_count = 4;
}

int main(int argc, char **argv) {
    long nodes = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
    long runs = argc > 2 ? strtol(argv[2], NULL, 10) : 5;
    if (nodes <= 0 || nodes > 100000 || runs <= 0 || runs > 99) {
        fprintf(stderr, "usage: victim_search [nodes > 0] [runs 1..99]\n");
        return 2;
    }
    struct al_cluster c;
    build(&c, (int)nodes);
    c.config.clock_ns = measure_now_ns;
    double cycle[99], longest[99];
    size_t evictions = 0, pipelined = 0;
    int64_t scenarios = 0;
    for (long r = 0; r < runs; r++) {
        struct al_result res;
        int64_t t0 = measure_now_ns();
        if (al_cycle_run(&c, &res) != 0) {
            fprintf(stderr, "victim_search: cycle failed\n");
            return 1;
        }
        cycle[r] = (double)(measure_now_ns() - t0) / 1e9;
        longest[r] = (double)res.longest_victim_search_ns / 1e6;
        scenarios = res.victim_scenarios;
        evictions = pipelined = 0;
        for (size_t i = 0; i < res.decision_count; i++) {
            evictions += res.decisions[i].kind == AL_DECISION_EVICT;
            pipelined += res.decisions[i].kind == AL_DECISION_PIPELINE;
        }
        al_result_release(&res);
    }
    double cycle_median = measure_median(cycle, (size_t)runs);
    double longest_median = measure_median(longest, (size_t)runs);
    printf("# victim_search: %ld nodes, %ld GPUs, %zu queues, %zu jobs, %zu tasks; %zu evictions, "
           "%zu pipelined placements\n",
           nodes, nodes * GPUS_PER_NODE, c.queue_count, c.job_count, c.task_count, evictions,
           pipelined);
    printf("victim_search_%ld_scenarios: %lld scenarios\n", nodes, (long long)scenarios);
    printf("victim_search_%ld_cycle_ms: %.1f ms\n", nodes, cycle_median * 1e3);
    printf("victim_search_%ld_longest_search_ms: %.2f ms\n", nodes, longest_median);
    al_cluster_release(&c);
    return 0;
}
