/* svg_plot.c - line charts as SVG documents (see svg_plot.h). */
#include "util/svg_plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct text {
    char *s;
    size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return; /* an encoding error writes nothing */
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        al__xgrow(&t->s, &t->cap, t->len + (size_t)n + 1, 1);
    }
}

/* Text as XML character data (or an attribute value). */
static void put_escaped(struct text *t, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            put(t, "&lt;");
            break;
        case '>':
            put(t, "&gt;");
            break;
        case '&':
            put(t, "&amp;");
            break;
        case '"':
            put(t, "&quot;");
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                put(t, "%c", *s);
        }
    }
}

/* A tick step of 1, 2 or 5 times a power of ten giving about `want` intervals over span. */
static double nice_step(double span, int want) {
    double raw = span / want, power = pow(10, floor(log10(raw))), f = raw / power;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
}

struct range {
    double lo, hi;
    bool any;
};

static void range_add(struct range *r, double v) {
    if (!isfinite(v))
        return;
    if (!r->any || v < r->lo)
        r->lo = v;
    if (!r->any || v > r->hi)
        r->hi = v;
    r->any = true;
}

/* Rounds the range out to whole ticks; an empty or flat range gets room. */
static double range_ticks(struct range *r, int want) {
    if (!r->any) {
        r->lo = 0;
        r->hi = 1;
    }
    if (r->hi - r->lo < 1e-12 * (fabs(r->hi) + 1)) {
        r->lo -= fabs(r->lo) > 0 ? fabs(r->lo) * 0.1 : 0.5;
        r->hi += fabs(r->hi) > 0 ? fabs(r->hi) * 0.1 : 0.5;
    }
    double step = nice_step(r->hi - r->lo, want);
    r->lo = floor(r->lo / step + 1e-9) * step;
    r->hi = ceil(r->hi / step - 1e-9) * step;
    return step;
}

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define COLOURS (sizeof(colours) / sizeof(colours[0]))

struct frame {
    double left, top, w, h;
    struct range x, y;
};

static double px(const struct frame *f, double x) {
    return f->left + (x - f->x.lo) / (f->x.hi - f->x.lo) * f->w;
}

static double py(const struct frame *f, double y) {
    return f->top + f->h - (y - f->y.lo) / (f->y.hi - f->y.lo) * f->h;
}

/* A tick label: as few decimals as the step needs. */
static void put_tick(struct text *t, double v, double step) {
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    put(t, "%.*f", decimals, fabs(v) < step * 1e-6 ? 0.0 : v);
}

static void put_axes(struct text *t, const struct al__plot *p, const struct frame *f, double xstep,
                     double ystep) {
    put(t, "<g stroke=\"#ddd\" stroke-width=\"1\">\n");
    for (double v = f->y.lo; v <= f->y.hi + ystep * 1e-6; v += ystep)
        put(t, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left, py(f, v),
            f->left + f->w, py(f, v));
    put(t, "</g>\n<g font-size=\"12\" fill=\"#333\">\n");
    for (double v = f->y.lo; v <= f->y.hi + ystep * 1e-6; v += ystep) {
        put(t, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f->left - 6, py(f, v) + 4);
        put_tick(t, v, ystep);
        put(t, "</text>\n");
    }
    for (double v = f->x.lo; v <= f->x.hi + xstep * 1e-6; v += xstep) {
        put(t, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px(f, v), f->top + f->h + 18);
        put_tick(t, v, xstep);
        put(t, "</text>\n");
    }
    put(t,
        "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
        "stroke=\"#333\"/>\n",
        f->left, f->top, f->w, f->h);
    if (p->x_label) {
        put(t, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">",
            f->left + f->w / 2, f->top + f->h + 40);
        put_escaped(t, p->x_label);
        put(t, "</text>\n");
    }
    if (p->y_label) {
        put(t,
            "<text transform=\"translate(18 %.1f) rotate(-90)\" font-size=\"13\" "
            "text-anchor=\"middle\">",
            f->top + f->h / 2);
        put_escaped(t, p->y_label);
        put(t, "</text>\n");
    }
}

/* The colour of series i. */
static const char *colour_of(const struct al__plot *p, size_t i) {
    int c = p->series[i].colour;
    return colours[(c > 0 ? (size_t)(c - 1) : i) % COLOURS];
}

static void put_series(struct text *t, const struct al__plot_series *s, const char *colour,
                       const struct frame *f) {
    bool open = false;
    for (size_t i = 0; i < s->count; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
            if (open)
                put(t, "\"/>\n");
            open = false;
            continue;
        }
        if (!open)
            put(t, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"", colour,
                s->dashed ? " stroke-dasharray=\"6 3\"" : "");
        put(t, "%s%.1f,%.1f", open ? " " : "", px(f, s->x[i]), py(f, s->y[i]));
        open = true;
    }
    if (open)
        put(t, "\"/>\n");
}

/* The legend: series, then marks (dashed), top left inside the frame. */
static void put_legend(struct text *t, const struct al__plot *p, const struct frame *f) {
    double y = f->top + 16;
    size_t named = 0, longest = 0;
    for (size_t i = 0; i < p->series_count + p->mark_count; i++) {
        const char *name =
            i >= p->series_count ? p->marks[i - p->series_count].name : p->series[i].name;
        if (name && *name) {
            named++;
            longest = strlen(name) > longest ? strlen(name) : longest;
        }
    }
    if (named > 0) /* a backing so that lines under it do not cross the text */
        put(t,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" "
            "fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n",
            f->left + 4, f->top + 4, 44.0 + 7.0 * (double)longest, 17.0 * (double)named + 4);
    for (size_t i = 0; i < p->series_count + p->mark_count; i++) {
        bool mark = i >= p->series_count;
        const char *name = mark ? p->marks[i - p->series_count].name : p->series[i].name;
        if (!name || !*name)
            continue;
        put(t,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\"%s/>\n",
            f->left + 10, y - 4, f->left + 34, y - 4, mark ? "#555" : colour_of(p, i),
            mark || p->series[i].dashed ? " stroke-dasharray=\"5 4\"" : "");
        put(t, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", f->left + 40, y);
        put_escaped(t, name);
        put(t, "</text>\n");
        y += 17;
    }
}

char *al__plot_svg(const struct al__plot *p, size_t *len) {
    struct text t = {.s = al__xmalloc(4096), .cap = 4096};
    int width = p->width > 0 ? p->width : 900, height = p->height > 0 ? p->height : 500;
    struct frame f = {.left = 70, .top = p->title ? 40 : 16};
    f.w = width - f.left - 20;
    f.h = height - f.top - 56;
    for (size_t i = 0; i < p->series_count; i++)
        for (size_t k = 0; k < p->series[i].count; k++)
            if (isfinite(p->series[i].x[k]) && isfinite(p->series[i].y[k])) {
                range_add(&f.x, p->series[i].x[k]);
                range_add(&f.y, p->series[i].y[k]);
            }
    for (size_t i = 0; i < p->mark_count; i++)
        range_add(&f.y, p->marks[i].y);
    if (p->y_fixed && p->y_max > p->y_min)
        f.y = (struct range){p->y_min, p->y_max, true};
    double xstep = range_ticks(&f.x, 8), ystep = range_ticks(&f.y, 6);
    put(&t,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
        width, height, width, height);
    if (p->title) {
        put(&t, "<text x=\"%.1f\" y=\"24\" font-size=\"16\" text-anchor=\"middle\">",
            (double)width / 2);
        put_escaped(&t, p->title);
        put(&t, "</text>\n");
    }
    put_axes(&t, p, &f, xstep, ystep);
    put(&t,
        "<clipPath id=\"frame\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
        "</clipPath>\n<g clip-path=\"url(#frame)\">\n",
        f.left, f.top, f.w, f.h);
    for (size_t i = 0; i < p->mark_count; i++)
        put(&t,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
            "stroke-dasharray=\"5 4\"/>\n",
            f.left, py(&f, p->marks[i].y), f.left + f.w, py(&f, p->marks[i].y));
    for (size_t i = 0; i < p->series_count; i++)
        put_series(&t, &p->series[i], colour_of(p, i), &f);
    put(&t, "</g>\n");
    put_legend(&t, p, &f);
    put(&t, "</svg>\n");
    if (len)
        *len = t.len;
    return t.s;
}

int al__plot_svg_write(const struct al__plot *p, const char *path, char *err, size_t size) {
    size_t len;
    char *svg = al__plot_svg(p, &len);
    FILE *out = fopen(path, "w");
    int rc = 0;
    if (!out || fwrite(svg, 1, len, out) != len) {
        snprintf(err, size, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (out && fclose(out) != 0 && rc == 0) {
        snprintf(err, size, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(svg);
    return rc;
}
