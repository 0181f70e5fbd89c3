/* sim_openb.c - benchmark: full replays of the openb trace (default pod list, 130 % arrival,
 * about 10,700 placements each) under the fgd and allot policies; prints (name: value unit) the
 * median time per run and per placement, and the peak memory. Usage:
 * sim_openb [--runs N] [--dir TRACES] (TRACES: the alibaba-gpu-v2023-openb folder). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "sim/openb.h"

static int bench_policy(const struct al__openb_trace *t, enum al__fit_policy p, int runs) {
    double *ms = calloc((size_t)runs, sizeof(double)), *us = calloc((size_t)runs, sizeof(double));
    char name[128], err[512];
    size_t placed = 0;
    int i;

    if (!ms || !us)
        abort();
    for (i = 0; i < runs; i++) {
        struct al__openb_config c = {p, (uint64_t)(42 + i), 1300};
        struct al__openb_result r;
        int64_t start = measure_now_ns(), took;
        if (al__openb_run(t, &c, &r, err, sizeof(err)) < 0) {
            fprintf(stderr, "sim_openb: %s\n", err);
            return -1;
        }
        took = measure_now_ns() - start;
        ms[i] = (double)took / 1e6;
        us[i] = (double)took / 1e3 / (double)r.pods;
        placed = r.pods;
        al__openb_result_release(&r);
    }
    snprintf(name, sizeof(name), "openb_%s_run_median", al__fit_policy_name(p));
    measure_figure(name, measure_median(ms, (size_t)runs), "ms");
    snprintf(name, sizeof(name), "openb_%s_per_pod_median", al__fit_policy_name(p));
    measure_figure(name, measure_median(us, (size_t)runs), "us");
    snprintf(name, sizeof(name), "openb_%s_pods_per_run", al__fit_policy_name(p));
    measure_figure(name, (double)placed, "pods");
    free(ms);
    free(us);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = "../shared/traces/alibaba-gpu-v2023-openb";
    char path[1024], err[512];
    struct al__openb_trace t;
    int runs = 10, i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--runs") == 0) {
            long v = strtol(argv[i + 1], NULL, 10);
            runs = v > 0 && v < 1000 ? (int)v : 1;
        } else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
    }
    memset(&t, 0, sizeof(t));
    snprintf(path, sizeof(path), "%s/openb_node_list_gpu_node.csv", dir);
    if (al__openb_nodes_read(&t, path, err, sizeof(err)) < 0) {
        printf("sim_openb: skipped (%s)\n", err);
        return 0;
    }
    snprintf(path, sizeof(path), "%s/openb_pod_list_default.csv", dir);
    if (al__openb_pods_read(&t, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "sim_openb: %s\n", err);
        al__openb_trace_release(&t);
        return 1;
    }
    if (bench_policy(&t, AL__FIT_FGD, runs) < 0 || bench_policy(&t, AL__FIT_ALLOT, runs) < 0)
        return 1;
    measure_figure("openb_peak_rss", measure_peak_rss_mb(), "MiB");
    al__openb_trace_release(&t);
    return 0;
}
