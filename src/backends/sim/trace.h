/* trace.h - the simulator's inputs read from trace files: Philly's jobs and virtual clusters
 * (philly_jobs.csv, philly_vc_nodes.csv) and a node list (the Alibaba spot trace's
 * node_info_df.csv, or openb's node list). Every malformed row is an error naming
 * "file:line: field: reason". */
#ifndef ALLOT_BACKENDS_SIM_TRACE_H
#define ALLOT_BACKENDS_SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define AL__SIM_NAME_MAX 64

/* One job of a trace: a gang of `gpus` whole GPUs (0: a CPU-only job) that runs for
 * duration_s once placed. */
struct al__sim_trace_job {
    int64_t arrival_s;            /* seconds since the Unix epoch (UTC) */
    int64_t duration_s;           /* >= 1: the trace's duration rounded up to a whole second */
    int32_t gpus;                 /* whole GPUs, >= 0 */
    int64_t cpu_millis;           /* per job, 0 = none */
    char group[AL__SIM_NAME_MAX]; /* its virtual cluster (or application) */
    int64_t line;                 /* where the file has it */
};

/* A group of the trace (a Philly virtual cluster) and its size in nodes. */
struct al__sim_trace_group {
    char name[AL__SIM_NAME_MAX];
    int64_t nodes;
};

/* A node of an inventory given as a list. */
struct al__sim_trace_node {
    char name[AL__SIM_NAME_MAX];
    char model[AL__SIM_NAME_MAX];
    int32_t gpus;
    int64_t cpu_millis;
};

/*
 * al__sim_philly_jobs - reads philly_jobs.csv (header `timestamp,duration,num_gpus,gpu_time,
 * cluster`; time stamps `YYYY-MM-DD HH:MM:SS`, taken as UTC) into *jobs (allocated, the caller
 * frees it), sorted by arrival, then by line. 0, or -AL_EINVAL / -AL_EIO with err filled
 * ("FILE:LINE: FIELD: REASON"); *jobs untouched on failure.
 */
int al__sim_philly_jobs(const char *path, struct al__sim_trace_job **jobs, size_t *count, char *err,
                        size_t size);

/*
 * al__sim_dlrm_instances - reads the Alibaba DLRM trace (disaggregated_DLRM_trace.csv, or the
 * .xz it is stored as): each instance a job arriving at base_s + creation_time (0 where it
 * was created before the trace began), running for deletion_time - scheduled_time (until the
 * trace's last time where it outlives it), an HN instance with 1 GPU, a CN one with none, its
 * cpu_request as CPU; group: its app_name. Sorted as al__sim_philly_jobs. As above.
 */
int al__sim_dlrm_instances(const char *path, int64_t base_s, struct al__sim_trace_job **jobs,
                           size_t *count, char *err, size_t size);

/* al__sim_philly_vcs - reads philly_vc_nodes.csv (header `vc,node num`). As above. */
int al__sim_philly_vcs(const char *path, struct al__sim_trace_group **groups, size_t *count,
                       char *err, size_t size);

/* al__sim_node_list - reads a node list: the spot trace's (`gpu_model,gpu_capacity_num,
 * cpu_num,node_name`) or openb's (`sn,cpu_milli,memory_mib,gpu,model`), told apart by the
 * header. As above. */
int al__sim_node_list(const char *path, struct al__sim_trace_node **nodes, size_t *count, char *err,
                      size_t size);

/* al__sim_parse_time - "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (UTC) into *out; -1 when it is
 * not one. */
int al__sim_parse_time(const char *text, int64_t *out);

#endif
