/* test_units.c - allot's command-line amounts: parsers, formatters, GPU and placement columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "cli/command_table.h"
#include "cli/connect.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/units.h"
#include "cli/util.h"
#include "cli/workload_format.h"

/* The error of a parser that must fail: it names the option and the text. */
static void assert_message(const char *err, const char *opt, const char *text) {
    if (!strstr(err, opt) || !strstr(err, text))
        fail_msg("message '%s' should name '%s' and '%s'", err, opt, text);
}

static void integers_parse_within_their_bounds(void **state) {
    (void)state;
    int64_t v = 7;
    char err[256];
    assert_int_equal(al__cli_parse_integer("--gpu", "4", 0, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 4);
    assert_int_equal(al__cli_parse_integer("--priority", "-5", INT64_MIN, &v, err, sizeof(err)), 0);
    assert_int_equal(v, -5);
    static const char *const bad[] = {"", "abc", "1.5", "4x", " 4", "0x10", "--1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 7;
        assert_int_equal(al__cli_parse_integer("--gpu", bad[i], 0, &v, err, sizeof(err)),
                         -AL_EINVAL);
        assert_message(err, "--gpu", bad[i]);
        assert_int_equal(v, 7); /* untouched on failure */
    }
    assert_int_equal(al__cli_parse_integer("--workers", "0", 1, &v, err, sizeof(err)), -AL_EINVAL);
    assert_message(err, "--workers", "at least 1");
    assert_int_equal(
        al__cli_parse_integer("--gpu", "99999999999999999999", 0, &v, err, sizeof(err)),
        -AL_ERANGE);
    assert_message(err, "--gpu", "too large");
}

static void fractions_are_strictly_between_zero_and_one(void **state) {
    (void)state;
    double f = 0;
    char err[256];
    assert_int_equal(al__cli_parse_fraction("--gpu-portion", "0.5", &f, err, sizeof(err)), 0);
    assert_true(f == 0.5);
    assert_int_equal(al__cli_parse_fraction("--gpu-portion", ".25", &f, err, sizeof(err)), 0);
    assert_true(f == 0.25);
    static const char *const bad[] = {"0", "1", "1.5", "-0.5", "nan", "inf", "0.5x", "1e-1", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(al__cli_parse_fraction("--gpu-portion", bad[i], &f, err, sizeof(err)),
                         -AL_EINVAL);
        assert_message(err, "--gpu-portion", bad[i]);
    }
}

static void gpus_accept_decimals(void **state) {
    (void)state;
    double g = 0;
    char err[256];
    assert_int_equal(al__cli_parse_gpus("--gpu-deserved", "2", &g, err, sizeof(err)), 0);
    assert_true(g == 2);
    assert_int_equal(al__cli_parse_gpus("--gpu-deserved", "1.5", &g, err, sizeof(err)), 0);
    assert_true(g == 1.5);
    assert_int_equal(al__cli_parse_gpus("--gpu-limit", "-2", &g, err, sizeof(err)), -AL_EINVAL);
    assert_message(err, "--gpu-limit", "-2");
    assert_int_equal(al__cli_parse_gpus("--gpu-limit", "two", &g, err, sizeof(err)), -AL_EINVAL);
    assert_message(err, "--gpu-limit", "two");
}

static void gpu_memory_takes_binary_units_and_bare_mib(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int64_t mib;
    } good[] = {
        {"20GiB", 20480}, {"512MiB", 512},   {"1TiB", 1048576}, {"4096", 4096},
        {"1.5GiB", 1536}, {"20 GiB", 20480}, {"20gib", 20480},  {"2G", 2048},
    };
    int64_t mib = 0;
    char err[256];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(
            al__cli_parse_gpu_memory("--gpu-memory", good[i].text, &mib, err, sizeof(err)), 0);
        assert_int_equal(mib, good[i].mib);
    }
    static const char *const bad[] = {"20GB", "GiB", "0", "0.1MiB", "-1GiB", "20KiB", "20 ", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_true(al__cli_parse_gpu_memory("--gpu-memory", bad[i], &mib, err, sizeof(err)) < 0);
        assert_message(err, "--gpu-memory", bad[i]);
    }
}

static void cpu_takes_cores_or_millicores(void **state) {
    (void)state;
    int64_t m = 0;
    char err[256];
    assert_int_equal(al__cli_parse_cpu("--cpu", "1.5", &m, err, sizeof(err)), 0);
    assert_int_equal(m, 1500);
    assert_int_equal(al__cli_parse_cpu("--cpu", "500m", &m, err, sizeof(err)), 0);
    assert_int_equal(m, 500);
    assert_int_equal(al__cli_parse_cpu("--cpu", "2", &m, err, sizeof(err)), 0);
    assert_int_equal(m, 2000);
    static const char *const bad[] = {"abc", "1.5 cores", "500M", "-1", "m", "1e3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_true(al__cli_parse_cpu("--cpu", bad[i], &m, err, sizeof(err)) < 0);
        assert_message(err, "--cpu", bad[i]);
    }
}

static void memory_takes_binary_units_and_bare_bytes(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int64_t bytes;
    } good[] = {
        {"16GiB", 17179869184LL},
        {"16G", 17179869184LL},
        {"512M", 536870912},
        {"1KiB", 1024},
        {"1K", 1024},
        {"100B", 100},
        {"1024", 1024},
        {"1TiB", 1099511627776LL},
        {"1.5GiB", 1610612736},
    };
    int64_t b = 0;
    char err[256];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(al__cli_parse_memory("--memory", good[i].text, &b, err, sizeof(err)), 0);
        assert_int_equal(b, good[i].bytes);
    }
    static const char *const bad[] = {"16GB", "16 gigs", "GiB", "-1G", "1.5.5G", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_true(al__cli_parse_memory("--memory", bad[i], &b, err, sizeof(err)) < 0);
        assert_message(err, "--memory", bad[i]);
    }
    assert_int_equal(al__cli_parse_memory("--memory", "99999999TiB", &b, err, sizeof(err)),
                     -AL_ERANGE);
    assert_message(err, "--memory", "too large");
}

static void priorities_take_class_names_or_integers(void **state) {
    (void)state;
    int64_t p = 0;
    char err[256];
    assert_int_equal(al__cli_parse_priority("--priority", "train", &p, err, sizeof(err)), 0);
    assert_int_equal(p, 50);
    assert_int_equal(al__cli_parse_priority("--priority", "build-preemptible", &p, err, 256), 0);
    assert_int_equal(p, 75);
    assert_int_equal(al__cli_parse_priority("--priority", "inference", &p, err, sizeof(err)), 0);
    assert_int_equal(p, 125);
    assert_int_equal(al__cli_parse_priority("--priority", "200", &p, err, sizeof(err)), 0);
    assert_int_equal(p, 200);
    assert_int_equal(al__cli_parse_priority("--priority", "urgent", &p, err, sizeof(err)),
                     -AL_EINVAL);
    assert_message(err, "--priority", "urgent");
    assert_string_equal(al__cli_priority_name(100), "build");
    assert_null(al__cli_priority_name(99));
}

static void parsed_json_has_the_unit_type(void **state) {
    (void)state;
    json_t *v = NULL;
    char err[256];
    assert_int_equal(al__cli_parse_json(AL__CLI_UNIT_CPU, "--cpu", "250m", &v, err, sizeof(err)),
                     0);
    assert_true(json_is_integer(v) && json_integer_value(v) == 250);
    json_decref(v);
    assert_int_equal(
        al__cli_parse_json(AL__CLI_UNIT_GPUS, "--gpu-limit", "2", &v, err, sizeof(err)), 0);
    assert_true(json_is_real(v) && json_real_value(v) == 2.0);
    json_decref(v);
    assert_int_equal(
        al__cli_parse_json(AL__CLI_UNIT_POSITIVE, "--workers", "0", &v, err, sizeof(err)),
        -AL_EINVAL);
    assert_message(err, "--workers", "0");
}

static void durations_take_seconds_or_a_unit(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int64_t seconds;
    } good[] = {{"90", 90},     {"30s", 30}, {"10m", 600}, {"1.5h", 5400},
                {"2d", 172800}, {"0", 0},    {"5 m", 300}};
    int64_t v = 7;
    char err[256], text[32];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(
            al__cli_parse_duration("--preempt-min-runtime", good[i].text, &v, err, sizeof(err)), 0);
        assert_int_equal(v, good[i].seconds);
    }
    static const char *const bad[] = {"", "-5", "10x", "m", "1e3", "soon", "10mm"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 7;
        assert_int_equal(
            al__cli_parse_duration("--reclaim-min-runtime", bad[i], &v, err, sizeof(err)),
            -AL_EINVAL);
        assert_message(err, "--reclaim-min-runtime", bad[i]);
        assert_int_equal(v, 7);
    }
    static const struct {
        int64_t seconds;
        const char *text;
    } shown[] = {{600, "10m"}, {90, "90s"}, {7200, "2h"}, {86400, "1d"}, {0, "0s"}, {3660, "61m"}};
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        al__cli_format_duration(shown[i].seconds, text, sizeof(text));
        assert_string_equal(text, shown[i].text);
    }
}

static void ages_read_like_kubectl(void **state) {
    (void)state;
    static const struct {
        int64_t seconds;
        const char *text;
    } cases[] = {
        {-5, "0s"},    {0, "0s"},    {45, "45s"},    {59, "59s"},   {60, "1m"},
        {3599, "59m"}, {3600, "1h"}, {86399, "23h"}, {86400, "1d"}, {864000, "10d"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        al__cli_format_age(cases[i].seconds, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
    al__cli_format_ago(100, 280, buf, sizeof(buf));
    assert_string_equal(buf, "3m ago");
    al__cli_format_ago(-1, 280, buf, sizeof(buf));
    assert_string_equal(buf, "-");
}

static void amounts_format_short(void **state) {
    (void)state;
    char buf[32];
    al__cli_format_gpus(2, buf, sizeof(buf));
    assert_string_equal(buf, "2");
    al__cli_format_gpus(0.5, buf, sizeof(buf));
    assert_string_equal(buf, "0.5");
    al__cli_format_gpus(1.25, buf, sizeof(buf));
    assert_string_equal(buf, "1.25");
    al__cli_format_gpus(-1, buf, sizeof(buf));
    assert_string_equal(buf, "unlimited");
    al__cli_format_gpus(1.0 / 3.0, buf, sizeof(buf));
    assert_string_equal(buf, "0.333");
    al__cli_format_cpu(1500, buf, sizeof(buf));
    assert_string_equal(buf, "1.5");
    al__cli_format_cpu(16000, buf, sizeof(buf));
    assert_string_equal(buf, "16");
    al__cli_format_memory(17179869184LL, buf, sizeof(buf));
    assert_string_equal(buf, "16GiB");
    al__cli_format_memory(1610612736, buf, sizeof(buf));
    assert_string_equal(buf, "1.5GiB");
    al__cli_format_memory(100, buf, sizeof(buf));
    assert_string_equal(buf, "100B");
    al__cli_format_memory(0, buf, sizeof(buf));
    assert_string_equal(buf, "0");
    al__cli_format_memory(-1, buf, sizeof(buf));
    assert_string_equal(buf, "unlimited");
    al__cli_format_mib(81920, buf, sizeof(buf));
    assert_string_equal(buf, "80GiB");
    al__cli_format_mib(512, buf, sizeof(buf));
    assert_string_equal(buf, "512MiB");
}

/* The GPUS column for a workload written as JSON. */
static void assert_gpus_column(const char *workload_json, const char *expected) {
    json_t *w = json_loads(workload_json, 0, NULL);
    char buf[64];
    assert_non_null(w);
    al__cli_workload_gpus(w, buf, sizeof(buf));
    if (strcmp(buf, expected) != 0)
        fail_msg("GPUS of %s: got '%s', expected '%s'", workload_json, buf, expected);
    json_decref(w);
}

static void gpu_column_shows_per_task_amount_and_workers(void **state) {
    (void)state;
    assert_gpus_column("{\"gpu\": 1}", "1");
    assert_gpus_column("{\"gpu\": 0, \"gpu_fraction\": 0.5, \"gpu_device_count\": 1}", "0.5");
    assert_gpus_column("{\"gpu_fraction\": 0.5, \"gpu_device_count\": 2}", "2x0.5");
    assert_gpus_column("{\"gpu_memory_mib\": 20480}", "20GiB");
    assert_gpus_column("{\"gpu_memory_mib\": 20480, \"gpu_device_count\": 2}", "2x20GiB");
    assert_gpus_column("{\"gpu\": 1, \"workers\": 4}", "4x1");
    assert_gpus_column("{\"gpu_fraction\": 0.5, \"gpu_device_count\": 2, \"workers\": 4}",
                       "4x2x0.5");
    assert_gpus_column("{\"gpu\": 0, \"workers\": 3}", "0");
    assert_gpus_column("{}", "0");
}

static void assert_placement(const char *workload_json, const char *expected) {
    json_t *w = json_loads(workload_json, 0, NULL);
    char buf[128];
    assert_non_null(w);
    al__cli_workload_placement(w, buf, sizeof(buf));
    if (strcmp(buf, expected) != 0)
        fail_msg("placement of %s: got '%s', expected '%s'", workload_json, buf, expected);
    json_decref(w);
}

static void placement_groups_devices_by_node(void **state) {
    (void)state;
    assert_placement("{\"node\": null, \"gpu_devices\": [], \"tasks\": []}", "-");
    assert_placement("{\"node\": \"host\", \"gpu_devices\": [1, 0]}", "host:0,1");
    assert_placement("{\"node\": \"host\", \"gpu_devices\": []}", "host");
    assert_placement("{\"tasks\": [{\"node\": \"a\", \"gpu_devices\": [3]},"
                     " {\"node\": \"b\", \"gpu_devices\": [0]},"
                     " {\"node\": \"a\", \"gpu_devices\": [1, 3]},"
                     " {\"node\": null, \"gpu_devices\": []}]}",
                     "a:1,3 b:0");
}

static void request_reads_in_words(void **state) {
    (void)state;
    json_t *w = json_loads("{\"gpu_fraction\": 0.5, \"gpu_device_count\": 2, \"cpu_millis\": 1500,"
                           " \"memory_bytes\": 17179869184, \"workers\": 4, \"min_members\": 2}",
                           0, NULL);
    char buf[256];
    al__cli_workload_request(w, buf, sizeof(buf));
    assert_string_equal(buf, "0.5 of each of 2 GPUs, 1.5 CPU cores, 16GiB memory per task; "
                             "4 workers (at least 2 together)");
    json_decref(w);
}

static void url_escape_keeps_names_one_segment(void **state) {
    (void)state;
    char buf[64];
    assert_true(al__cli_url_escape("team-a", buf, sizeof(buf)));
    assert_string_equal(buf, "team-a");
    assert_true(al__cli_url_escape("../x y/", buf, sizeof(buf)));
    assert_string_equal(buf, "%2E%2E%2Fx%20y%2F");
    assert_false(al__cli_url_escape("abcdef", buf, 4));
    assert_string_equal(buf, "abc");
}

static void table_aligns_columns_without_trailing_space(void **state) {
    (void)state;
    static const char *const headers[] = {"NAME", "STATE", "REASON"};
    struct al__cli_table t;
    char out[256] = "";
    FILE *f = tmpfile();
    assert_non_null(f);
    al__cli_table_init(&t, 3, headers);
    al__cli_table_cell(&t, "long-name");
    al__cli_table_cell(&t, "running");
    al__cli_table_cell(&t, "%s", "");
    al__cli_table_cell(&t, "x");
    al__cli_table_cell(&t, "pending");
    al__cli_table_cell(&t, "over %s", "limit");
    al__cli_table_print(&t, f, 2);
    al__cli_table_release(&t);
    rewind(f);
    assert_true(fread(out, 1, sizeof(out) - 1, f) > 0);
    fclose(f);
    assert_string_equal(out, "  NAME        STATE     REASON\n"
                             "  long-name   running\n"
                             "  x           pending   over limit\n");
}

static void shared_options_come_out_of_argv_anywhere(void **state) {
    (void)state;
    char *argv[] = {"allot",     "--server",    "http://h:1", "workload", "list",
                    "--token=t", "--json",      "-o",         "yaml",     "--no-headers",
                    "--",        "--state-dir", NULL};
    int argc = 12;
    struct al__cli cli;
    memset(&cli, 0, sizeof(cli));
    snprintf(cli.name, sizeof(cli.name), "allot");
    cli.command = al__cli_command_find("workload", "list");
    assert_int_equal(al__cli_global_extract(&cli, &argc, argv), 0);
    assert_int_equal(argc, 5);
    assert_string_equal(argv[1], "workload");
    assert_string_equal(argv[3], "--");
    assert_string_equal(argv[4], "--state-dir"); /* after "--": left alone */
    assert_null(argv[5]);
    assert_string_equal(cli.conn.server, "http://h:1");
    assert_string_equal(cli.conn.token, "t");
    assert_int_equal(cli.format, AL__CLI_FORMAT_YAML); /* the last one said */
    assert_true(cli.no_headers);

    char *missing[] = {"allot", "workload", "list", "--server", NULL};
    argc = 4;
    assert_int_equal(al__cli_global_extract(&cli, &argc, missing), AL__CLI_BAD);
    char *bad_format[] = {"allot", "workload", "list", "-o", "xml", NULL};
    argc = 5;
    assert_int_equal(al__cli_global_extract(&cli, &argc, bad_format), AL__CLI_BAD);
    /* an offline command keeps what would be shared options as its own */
    char *offline[] = {"allot", "replay", "--json", "x.json", NULL};
    argc = 4;
    cli.command = al__cli_command_find("replay", NULL);
    assert_int_equal(al__cli_global_extract(&cli, &argc, offline), 0);
    assert_int_equal(argc, 4);
}

static void token_comes_from_the_state_dir_trimmed(void **state) {
    (void)state;
    char dir[] = "/tmp/allot-test-XXXXXX", path[256];
    struct al__cli cli;
    FILE *f;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/admin.token", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("  secret-token\n\n", f);
    fclose(f);
    unsetenv("ALLOT_TOKEN");
    unsetenv("ALLOT_SERVER");
    unsetenv("ALLOT_CONTEXT");
    setenv("ALLOT_CONFIG", "/nonexistent/allot-config", 1);
    setenv("ALLOT_STATE_DIR", dir, 1);
    memset(&cli, 0, sizeof(cli));
    assert_int_equal(al__cli_conn_resolve(&cli), 0);
    assert_string_equal(cli.conn.token, "secret-token");
    assert_string_equal(cli.conn.server, "http://127.0.0.1:7373");
    snprintf(path, sizeof(path), "%s/allotd.addr", dir); /* a local allotd's address */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("http://127.0.0.1:4242\n", f);
    fclose(f);
    setenv("ALLOT_TOKEN", "from-env", 1);
    memset(&cli, 0, sizeof(cli));
    assert_int_equal(al__cli_conn_resolve(&cli), 0);
    assert_string_equal(cli.conn.token, "from-env");
    assert_string_equal(cli.conn.server, "http://127.0.0.1:4242");
    unsetenv("ALLOT_TOKEN");
    unsetenv("ALLOT_STATE_DIR");
    remove(path);
    snprintf(path, sizeof(path), "%s/admin.token", dir);
    remove(path);
    remove(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_parse_within_their_bounds),
        cmocka_unit_test(fractions_are_strictly_between_zero_and_one),
        cmocka_unit_test(gpus_accept_decimals),
        cmocka_unit_test(gpu_memory_takes_binary_units_and_bare_mib),
        cmocka_unit_test(cpu_takes_cores_or_millicores),
        cmocka_unit_test(memory_takes_binary_units_and_bare_bytes),
        cmocka_unit_test(priorities_take_class_names_or_integers),
        cmocka_unit_test(parsed_json_has_the_unit_type),
        cmocka_unit_test(durations_take_seconds_or_a_unit),
        cmocka_unit_test(ages_read_like_kubectl),
        cmocka_unit_test(amounts_format_short),
        cmocka_unit_test(gpu_column_shows_per_task_amount_and_workers),
        cmocka_unit_test(placement_groups_devices_by_node),
        cmocka_unit_test(request_reads_in_words),
        cmocka_unit_test(url_escape_keeps_names_one_segment),
        cmocka_unit_test(table_aligns_columns_without_trailing_space),
        cmocka_unit_test(shared_options_come_out_of_argv_anywhere),
        cmocka_unit_test(token_comes_from_the_state_dir_trimmed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
