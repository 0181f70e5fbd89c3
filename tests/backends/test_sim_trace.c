/* test_sim_trace.c - the sim backend's trace parsers: Philly's jobs and VC table, node lists;
 * every malformed row refused with "file:line: field: reason". */
#define _DEFAULT_SOURCE /* mkstemps */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lzma.h>

#include "allot/errors.h"
#include "backends/sim/trace.h"
#include "backends/sim/xz.h"

static char path[64];

/* A file holding `text`, at `path`. */
static const char *file_with(const char *text) {
    snprintf(path, sizeof(path), "/tmp/test_sim_trace_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* jobs_fail - the jobs file `text` is refused with an error ending in `want` after its path. */
static void jobs_fail(const char *text, const char *want) {
    struct al__sim_trace_job *jobs = (void *)0x1;
    size_t n = 99;
    char err[512] = "", expect[600];
    const char *p = file_with(text);
    int rc = al__sim_philly_jobs(p, &jobs, &n, err, sizeof(err));
    unlink(p);
    snprintf(expect, sizeof(expect), "%s:%s", p, want);
    if (rc != -AL_EINVAL || strcmp(err, expect) != 0)
        fail_msg("rc %d, err \"%s\", expected \"%s\"", rc, err, expect);
    assert_ptr_equal(jobs, (void *)0x1); /* untouched */
    assert_int_equal(n, 99);
}

#define HEADER "timestamp,duration,num_gpus,gpu_time,cluster\n"

static void philly_jobs_are_read_and_sorted(void **state) {
    (void)state;
    struct al__sim_trace_job *jobs;
    size_t n;
    char err[256] = "";
    const char *p = file_with(HEADER "2017-10-01 00:00:10,59.5,16,952.0,6214e9\r\n"
                                     "\n"
                                     "2017-10-01 00:00:00,0.0,1,0.0,B436B2\n"
                                     "2017-10-01 00:00:10,100,1,100,ab_cd\n");
    int rc = al__sim_philly_jobs(p, &jobs, &n, err, sizeof(err));
    unlink(p);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 3);
    assert_int_equal(jobs[0].arrival_s, 1506816000); /* 2017-10-01T00:00:00Z */
    assert_int_equal(jobs[0].duration_s, 1);         /* at least a second */
    assert_string_equal(jobs[0].group, "b436b2");
    assert_int_equal(jobs[0].line, 4);
    assert_int_equal(jobs[1].arrival_s, 1506816010); /* same time: file order */
    assert_int_equal(jobs[1].line, 2);
    assert_int_equal(jobs[1].duration_s, 60); /* rounded up */
    assert_int_equal(jobs[1].gpus, 16);
    assert_int_equal(jobs[2].line, 5);
    assert_string_equal(jobs[2].group, "ab-cd");
    free(jobs);
}

static void malformed_job_rows_are_refused(void **state) {
    (void)state;
    jobs_fail("", "1: header: empty file (expected a header line)");
    jobs_fail("time,duration\n", "1: header: unknown column layout \"time,duration\" (expected "
                                 "\"timestamp,duration,num_gpus,gpu_time,cluster\")");
    jobs_fail(HEADER, "1: row: no jobs after the header");
    jobs_fail(HEADER "2017-10-01 00:00:00,1,1,1,a\n2017-13-01 00:00:00,1,1,1,a\n",
              "3: timestamp: not a time stamp YYYY-MM-DD HH:MM:SS");
    jobs_fail(HEADER "2017-10-01,1,1,1,a\n", "2: timestamp: not a time stamp YYYY-MM-DD HH:MM:SS");
    jobs_fail(HEADER "2017-10-01 00:00:00,-5,1,1,a\n",
              "2: duration: must be a number of seconds, >= 0");
    jobs_fail(HEADER "2017-10-01 00:00:00,nan,1,1,a\n",
              "2: duration: must be a number of seconds, >= 0");
    jobs_fail(HEADER "2017-10-01 00:00:00,5,0,1,a\n",
              "2: num_gpus: must be a whole number of GPUs, 1..4096");
    jobs_fail(HEADER "2017-10-01 00:00:00,5,-2,1,a\n",
              "2: num_gpus: must be a whole number of GPUs, 1..4096");
    jobs_fail(HEADER "2017-10-01 00:00:00,5,1.5,1,a\n",
              "2: num_gpus: must be a whole number of GPUs, 1..4096");
    jobs_fail(HEADER "2017-10-01 00:00:00,5,1,x,a\n",
              "2: gpu_time: must be a number of GPU-seconds, >= 0");
    jobs_fail(HEADER "2017-10-01 00:00:00,5,1,5,\n",
              "2: cluster: must be a virtual cluster's name (1-63 of a-z, 0-9, -, _)");
    jobs_fail(HEADER "2017-10-01 00:00:00,5,1,5\n", "2: row: 4 columns, expected 5");
    jobs_fail(HEADER "2017-10-01 00:00:00,5,1,5,a,b\n", "2: row: 6 columns, expected 5");
}

static void missing_file_is_an_io_error(void **state) {
    (void)state;
    struct al__sim_trace_job *jobs;
    size_t n;
    char err[256];
    assert_int_equal(al__sim_philly_jobs("/nonexistent/jobs.csv", &jobs, &n, err, sizeof(err)),
                     -AL_EIO);
    assert_non_null(strstr(err, "/nonexistent/jobs.csv: cannot open"));
}

static void vcs_fail(const char *text, const char *want) {
    struct al__sim_trace_group *g;
    size_t n;
    char err[512] = "", expect[600];
    const char *p = file_with(text);
    int rc = al__sim_philly_vcs(p, &g, &n, err, sizeof(err));
    unlink(p);
    snprintf(expect, sizeof(expect), "%s:%s", p, want);
    if (rc != -AL_EINVAL || strcmp(err, expect) != 0)
        fail_msg("rc %d, err \"%s\", expected \"%s\"", rc, err, expect);
}

static void vc_table_is_read(void **state) {
    (void)state;
    struct al__sim_trace_group *g;
    size_t n;
    char err[256] = "";
    const char *p = file_with("vc,node num\n6214e9,64\n7f04ca,32\n");
    int rc = al__sim_philly_vcs(p, &g, &n, err, sizeof(err));
    unlink(p);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 2);
    assert_string_equal(g[1].name, "7f04ca");
    assert_int_equal(g[1].nodes, 32);
    free(g);
    vcs_fail("", "1: header: empty file (expected a header line)");
    vcs_fail("vc,nodes\n", "1: header: unknown column layout \"vc,nodes\" (expected \"vc,node "
                           "num\")");
    vcs_fail("vc,node num\na,-1\n", "2: node num: must be a whole number of nodes, 0..1000000");
    vcs_fail("vc,node num\na,1\na,2\n", "3: vc: named twice");
    vcs_fail("vc,node num\na b,1\n",
             "2: vc: must be a virtual cluster's name (1-63 of a-z, 0-9, -, _)");
}

static void node_lists_are_read(void **state) {
    (void)state;
    struct al__sim_trace_node *nodes;
    size_t n;
    char err[512] = "";
    const char *p = file_with("gpu_model,gpu_capacity_num,cpu_num,node_name\nA10,1,128,7\n"
                              "H800,8,192,8\n");
    int rc = al__sim_node_list(p, &nodes, &n, err, sizeof(err));
    unlink(p);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 2);
    assert_string_equal(nodes[1].name, "node-8");
    assert_string_equal(nodes[1].model, "H800");
    assert_int_equal(nodes[1].gpus, 8);
    assert_int_equal(nodes[1].cpu_millis, 192000);
    free(nodes);
    p = file_with("sn,cpu_milli,memory_mib,gpu,model\nopenb-node-0000,64000,262144,2,P100\n");
    rc = al__sim_node_list(p, &nodes, &n, err, sizeof(err));
    unlink(p);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 1);
    assert_string_equal(nodes[0].name, "openb-node-0000");
    assert_int_equal(nodes[0].gpus, 2);
    assert_int_equal(nodes[0].cpu_millis, 64000);
    free(nodes);
    p = file_with("gpu_model,gpu_capacity_num,cpu_num,node_name\nA10,-1,128,7\n");
    rc = al__sim_node_list(p, &nodes, &n, err, sizeof(err));
    unlink(p);
    assert_int_equal(rc, -AL_EINVAL);
    assert_non_null(strstr(err, ":2: gpu_capacity_num: must be a whole number, 0..64"));
    p = file_with("name,gpus\n");
    rc = al__sim_node_list(p, &nodes, &n, err, sizeof(err));
    unlink(p);
    assert_int_equal(rc, -AL_EINVAL);
    assert_non_null(strstr(err, ":1: header: unknown column layout"));
}

#define DLRM_HEADER                                                                                \
    "instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,"          \
    "rdma_limit,memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,"        \
    "creation_time,scheduled_time,deletion_time\n"
#define DLRM_ROWS                                                                                  \
    "i0,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,\n"                                   \
    "i1,CN,app_1,48,48,0,0,25,25,240.0,240.0,680.0,800.0,-1,100,130,400\n"                         \
    "i2,HN,app_0,8,8,1,1,25,25,120.0,120.0,640.0,800.0,8,50,50,\n"

static void dlrm_check(const char *p) {
    struct al__sim_trace_job *jobs;
    size_t n;
    char err[512] = "";
    int rc = al__sim_dlrm_instances(p, 1000, &jobs, &n, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 3);
    /* i0: there before the trace began, and after it ended (its last time: 400) */
    assert_int_equal(jobs[0].arrival_s, 1000);
    assert_int_equal(jobs[0].duration_s, 400);
    assert_int_equal(jobs[0].gpus, 1);
    assert_int_equal(jobs[0].cpu_millis, 12000);
    assert_string_equal(jobs[0].group, "app-0");
    /* i2 at 50 until the end; i1 at 100, its run from 130 to 400 */
    assert_int_equal(jobs[1].arrival_s, 1050);
    assert_int_equal(jobs[1].duration_s, 350);
    assert_int_equal(jobs[2].arrival_s, 1100);
    assert_int_equal(jobs[2].duration_s, 270);
    assert_int_equal(jobs[2].gpus, 0);
    assert_int_equal(jobs[2].cpu_millis, 48000);
    free(jobs);
}

static void dlrm_fail(const char *text, const char *want) {
    struct al__sim_trace_job *jobs;
    size_t n;
    char err[512] = "";
    const char *p = file_with(text);
    int rc = al__sim_dlrm_instances(p, 0, &jobs, &n, err, sizeof(err));
    unlink(p);
    if (rc != -AL_EINVAL || !strstr(err, want))
        fail_msg("rc %d, err \"%s\", expected \"%s\"", rc, err, want);
}

static void dlrm_instances_are_read(void **state) {
    (void)state;
    const char *p = file_with(DLRM_HEADER DLRM_ROWS);
    dlrm_check(p);
    unlink(p);
    dlrm_fail(DLRM_HEADER "i0,XN,app_0,12,12,1,1,25,25,1,1,1,1,8,,,\n",
              ":2: role: must be CN or HN");
    dlrm_fail(DLRM_HEADER "i0,CN,app_0,12,12,1,1,25,25,1,1,1,1,8,,,\n",
              ":2: gpu_request: a CN instance asks for no GPU");
    dlrm_fail(DLRM_HEADER "i0,HN,app_0,-3,12,1,1,25,25,1,1,1,1,8,,,\n",
              ":2: cpu_request: must be a number of vCPUs, >= 0");
    dlrm_fail(DLRM_HEADER "i0,HN,app_0,3,3,1,1,25,25,1,1,1,1,8,10,20,15\n",
              ":2: deletion_time: must be seconds from the trace's start, at or after");
    dlrm_fail(DLRM_HEADER "i0,HN,app_0,3,3,1,1,25,25,1,1,1,1,8,10,5,15\n",
              ":2: scheduled_time: must be seconds");
    dlrm_fail(DLRM_HEADER "i0,HN,app_0,3,3,1,1,25,25,1,1,1,1,8,x,,\n", ":2: creation_time:");
    dlrm_fail(DLRM_HEADER "i0,HN,app_0\n", ":2: row: 3 columns, expected 17");
    dlrm_fail(DLRM_HEADER, ":1: row: no instances after the header");
}

/* The same rows xz-compressed (the trace is stored so) read alike; a file that is not xz is
 * an error. */
static void xz_files_are_read(void **state) {
    (void)state;
    static const char text[] = DLRM_HEADER DLRM_ROWS;
    uint8_t packed[4096];
    size_t used = 0;
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text,
                                             strlen(text), packed, &used, sizeof(packed)),
                     LZMA_OK);
    char xz[64];
    snprintf(xz, sizeof(xz), "/tmp/test_sim_trace_XXXXXX.xz");
    int fd = mkstemps(xz, 3);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, packed, used), (ssize_t)used);
    close(fd);
    assert_true(al__sim_is_xz(xz));
    dlrm_check(xz);
    fd = open(xz, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "plain text, not xz at all\n", 26), 26);
    close(fd);
    struct al__sim_trace_job *jobs;
    size_t n;
    char err[512] = "";
    assert_int_equal(al__sim_dlrm_instances(xz, 0, &jobs, &n, err, sizeof(err)), -AL_EIO);
    if (!strstr(err, ": not an xz file"))
        fail_msg("%s", err);
    unlink(xz);
}

static void times_parse_as_utc(void **state) {
    (void)state;
    int64_t t = 0;
    assert_int_equal(al__sim_parse_time("1970-01-01", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(al__sim_parse_time("2017-12-22 08:02:11", &t), 0);
    assert_int_equal(t, 1513929731);
    assert_int_equal(al__sim_parse_time("2016-02-29", &t), 0);
    assert_int_equal(t, 1456704000);
    assert_int_equal(al__sim_parse_time("2017-02-30", &t), -1);
    assert_int_equal(al__sim_parse_time("2017-02-29", &t), -1);
    assert_int_equal(al__sim_parse_time("2017-10-01 24:00:00", &t), -1);
    assert_int_equal(al__sim_parse_time("2017/10/01", &t), -1);
    assert_int_equal(al__sim_parse_time("", &t), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(philly_jobs_are_read_and_sorted),
        cmocka_unit_test(malformed_job_rows_are_refused),
        cmocka_unit_test(missing_file_is_an_io_error),
        cmocka_unit_test(vc_table_is_read),
        cmocka_unit_test(node_lists_are_read),
        cmocka_unit_test(times_parse_as_utc),
        cmocka_unit_test(dlrm_instances_are_read),
        cmocka_unit_test(xz_files_are_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
