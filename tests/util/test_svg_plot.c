/* test_svg_plot.c - the SVG line charts: points land inside the frame where their values say,
 * text is escaped, gaps and empty charts draw sensibly, and the file is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "util/svg_plot.h"

static size_t count_of(const char *s, const char *what) {
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* The points of the only polyline, as pixel pairs. */
static size_t points_of(const char *svg, double *xy, size_t max) {
    const char *p = strstr(svg, "points=\"");
    size_t n = 0;
    assert_non_null(p);
    p += strlen("points=\"");
    while (*p != '"' && n + 1 < max) {
        char *end;
        xy[n++] = strtod(p, &end);
        assert_true(*end == ',');
        xy[n++] = strtod(end + 1, &end);
        p = end;
        while (*p == ' ')
            p++;
    }
    return n / 2;
}

static void a_line_rises_left_to_right_inside_the_frame(void **state) {
    double x[] = {0, 50, 100, 130}, y[] = {0, 40, 80, 95.5};
    struct al__plot_series s = {"allot", x, y, 4, 0, false};
    struct al__plot_mark m = {"FGD 95.39 %", 95.39};
    struct al__plot p = {.title = "openb",
                         .x_label = "arrived (%)",
                         .y_label = "allocated (%)",
                         .series = &s,
                         .series_count = 1,
                         .marks = &m,
                         .mark_count = 1};
    size_t len;
    char *svg = al__plot_svg(&p, &len);
    (void)state;
    assert_int_equal(strlen(svg), len);
    assert_true(strncmp(svg, "<?xml", 5) == 0);
    assert_non_null(strstr(svg, "</svg>\n"));
    assert_int_equal(count_of(svg, "<polyline"), 1);
    assert_non_null(strstr(svg, ">FGD 95.39 %</text>"));
    assert_non_null(strstr(svg, ">arrived (%)</text>"));
    double xy[16];
    assert_int_equal(points_of(svg, xy, 16), 4);
    for (int i = 1; i < 4; i++) {
        assert_true(xy[2 * i] > xy[2 * i - 2]);           /* x grows to the right */
        assert_true(xy[2 * i + 1] < xy[2 * i - 1]);       /* y grows upwards */
        assert_true(xy[2 * i] >= 70 && xy[2 * i] <= 880); /* inside the frame */
    }
    free(svg);
}

static void text_is_escaped(void **state) {
    double x[] = {1}, y[] = {1};
    struct al__plot_series s = {"a<b & \"c\"", x, y, 1, 0, false};
    struct al__plot p = {.title = "<script>", .series = &s, .series_count = 1};
    char *svg = al__plot_svg(&p, NULL);
    (void)state;
    assert_null(strstr(svg, "<script>"));
    assert_non_null(strstr(svg, "&lt;script&gt;"));
    assert_non_null(strstr(svg, "a&lt;b &amp; &quot;c&quot;"));
    free(svg);
}

static void a_missing_point_breaks_the_line(void **state) {
    double x[] = {0, 1, 2, 3, 4}, y[] = {1, 2, NAN, 3, 4};
    struct al__plot_series s = {NULL, x, y, 5, 0, false};
    struct al__plot p = {.series = &s, .series_count = 1};
    char *svg = al__plot_svg(&p, NULL);
    (void)state;
    assert_int_equal(count_of(svg, "<polyline"), 2);
    assert_null(strstr(svg, "nan"));
    free(svg);
}

static void an_empty_chart_still_has_axes(void **state) {
    struct al__plot p = {.title = "nothing"};
    char *svg = al__plot_svg(&p, NULL);
    (void)state;
    assert_int_equal(count_of(svg, "<polyline"), 0);
    assert_non_null(strstr(svg, "<rect x="));
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    free(svg);
}

static void a_flat_series_gets_room(void **state) {
    double x[] = {0, 10}, y[] = {7, 7};
    struct al__plot_series s = {"flat", x, y, 2, 0, false};
    struct al__plot p = {.series = &s, .series_count = 1};
    char *svg = al__plot_svg(&p, NULL);
    double xy[4];
    (void)state;
    assert_int_equal(points_of(svg, xy, 4), 2);
    assert_true(xy[1] > 16 && xy[1] < 500 - 56); /* strictly inside, not on an edge */
    free(svg);
}

static void a_series_may_choose_its_colour_and_dashes(void **state) {
    double x[] = {0, 1}, y[] = {0, 1};
    struct al__plot_series s[] = {{"a", x, y, 2, 3, false}, {"b", x, y, 2, 3, true}};
    struct al__plot p = {.series = s, .series_count = 2};
    char *svg = al__plot_svg(&p, NULL);
    (void)state;
    assert_int_equal(count_of(svg, "stroke=\"#2ca02c\""), 4); /* both lines, both keys */
    assert_int_equal(count_of(svg, "<polyline fill=\"none\" stroke=\"#2ca02c\" "
                                   "stroke-width=\"1.8\" stroke-dasharray"),
                     1);
    free(svg);
}

static void the_file_is_written_or_the_error_names_it(void **state) {
    char path[] = "/tmp/allot-plot-XXXXXX", err[256];
    double x[] = {0, 1}, y[] = {0, 1};
    struct al__plot_series s = {"s", x, y, 2, 0, false};
    struct al__plot p = {.series = &s, .series_count = 1};
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(al__plot_svg_write(&p, path, err, sizeof(err)), 0);
    FILE *f = fopen(path, "r");
    char head[6] = {0};
    assert_non_null(f);
    assert_int_equal(fread(head, 1, 5, f), 5);
    fclose(f);
    unlink(path);
    assert_string_equal(head, "<?xml");
    assert_int_equal(al__plot_svg_write(&p, "/nonexistent-dir/x.svg", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.svg"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_line_rises_left_to_right_inside_the_frame),
        cmocka_unit_test(text_is_escaped),
        cmocka_unit_test(a_missing_point_breaks_the_line),
        cmocka_unit_test(an_empty_chart_still_has_axes),
        cmocka_unit_test(a_flat_series_gets_room),
        cmocka_unit_test(a_series_may_choose_its_colour_and_dashes),
        cmocka_unit_test(the_file_is_written_or_the_error_names_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
