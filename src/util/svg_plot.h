/* svg_plot.h - line charts as SVG documents, for the simulator's curves (allocation rate by
 * arrived workload, GPU utilisation over time): a person opens the file in any browser. For
 * programs: it aborts when memory runs out (util/xalloc.h). */
#ifndef ALLOT_UTIL_SVG_PLOT_H
#define ALLOT_UTIL_SVG_PLOT_H

#include <stdbool.h>
#include <stddef.h>

/* One line: count points (x[i], y[i]); a point whose x or y is not finite is left out. */
struct al__plot_series {
    const char *name; /* in the legend; NULL or "" = none */
    const double *x, *y;
    size_t count;
    int colour;  /* 1.. picks a colour of the palette; 0 = the series' position */
    bool dashed; /* a dashed line (a second measure of the same run, say) */
};

/* A horizontal reference line (a published figure, a target). */
struct al__plot_mark {
    const char *name;
    double y;
};

struct al__plot {
    const char *title, *x_label, *y_label; /* NULL = none */
    const struct al__plot_series *series;
    size_t series_count;
    const struct al__plot_mark *marks;
    size_t mark_count;
    /* The y range: fixed when y_fixed, else from the data and marks (rounded out to ticks). */
    bool y_fixed;
    double y_min, y_max;
    int width, height; /* pixels; 0 = 900 x 500 */
};

/*
 * al__plot_svg - the chart as a NUL-terminated SVG document (malloc'd, the caller frees it),
 * its length in *len when len is not NULL. Text is XML-escaped; series without a finite point
 * draw nothing but keep their legend entry; a chart with no point at all has axes from 0 to 1.
 */
char *al__plot_svg(const struct al__plot *p, size_t *len);

/*
 * al__plot_svg_write - writes the chart to path (created or replaced, mode 0644 under the
 * umask). Returns 0, or -1 with a message naming path and the reason in err.
 */
int al__plot_svg_write(const struct al__plot *p, const char *path, char *err, size_t size);

#endif
