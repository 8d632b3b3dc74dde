#include "zl_plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zl_error.h"

/* DejaVu ships with every Debian; the others stand in on other systems. */
#define FONT "DejaVu Sans, Arial, Helvetica, sans-serif"
/* sin 45°: the height a label turned by 45° takes per unit of its width. */
#define SIN45 0.70710678118654752

/* Average advance of a glyph over the font size (DejaVu Sans is about 0.6): text is sized from
 * this, as there is nothing to measure it with. */
#define GLYPH_WIDTH 0.6

/* An SVG being written. The first failed write's errno sticks, so the body needs no check per
 * line; svg_close reports it. */
typedef struct {
  FILE *f;
  const char *path;
  char tmp[4352];
  int err;
} svg;

static void put(svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(svg *s, const char *fmt, ...) {
  if (s->err) return;
  va_list ap;
  va_start(ap, fmt);
  errno = 0;
  if (vfprintf(s->f, fmt, ap) < 0) s->err = errno ? errno : EIO;
  va_end(ap);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), or 0. Stops at a NUL, which is no continuation byte. */
static int utf8_len(const unsigned char *p) {
  unsigned char lo = 0x80, hi = 0xBF;
  int n;
  if (p[0] < 0x80) return 1;
  if (p[0] >= 0xC2 && p[0] <= 0xDF) {
    n = 2;
  } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
    n = 3;
    lo = p[0] == 0xE0 ? 0xA0 : lo;
    hi = p[0] == 0xED ? 0x9F : hi;
  } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
    n = 4;
    lo = p[0] == 0xF0 ? 0x90 : lo;
    hi = p[0] == 0xF4 ? 0x8F : hi;
  } else {
    return 0;
  }
  if (p[1] < lo || p[1] > hi) return 0;
  for (int i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  return n;
}

/* Text as XML character data: the five special characters escaped, control characters (most are
 * not allowed in XML 1.0; a label is one line anyway) as spaces, broken UTF-8 as '?'. */
static void put_text(svg *s, const char *text) {
  for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p;) {
    const int n = utf8_len(p);
    if (*p == '&')
      put(s, "&amp;");
    else if (*p == '<')
      put(s, "&lt;");
    else if (*p == '>')
      put(s, "&gt;");
    else if (*p == '"')
      put(s, "&quot;");
    else if (*p == '\'')
      put(s, "&apos;");
    else if (*p < 0x20 || *p == 0x7F)
      put(s, " ");
    else if (n == 0)
      put(s, "?");
    else
      put(s, "%.*s", n, (const char *)p);
    p += n ? n : 1;
  }
}

/* Estimated width of text at a font size: characters (not UTF-8 bytes) times the glyph width. */
static double text_width(const char *text, double size) {
  size_t chars = 0;
  for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++)
    chars += (*p & 0xC0) != 0x80;
  return (double)chars * GLYPH_WIDTH * size;
}

/* The font size, at most size, at which text fits in width. */
static double fit(const char *text, double size, double width) {
  const double w = text_width(text, size);
  return w > width ? size * width / w : size;
}

/* <text> at (x, y); anchor "start", "middle" or "end"; attrs: further attributes or "". */
static void put_label(svg *s, double x, double y, const char *anchor, double size,
                      const char *attrs, const char *text) {
  put(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%.1f\"%s>", x, y, anchor, size,
      attrs);
  put_text(s, text);
  put(s, "</text>\n");
}

static int svg_open(svg *s, const char *path, double width, double height, const char *title) {
  memset(s, 0, sizeof *s);
  s->path = path;
  if ((size_t)snprintf(s->tmp, sizeof s->tmp, "%s.tmp", path) >= sizeof s->tmp)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: path too long", path);
  s->f = fopen(s->tmp, "w");
  if (!s->f) return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot create: %s", s->tmp, strerror(errno));
  put(s, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
  put(s,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n",
      width, height, width, height, FONT);
  put(s, "<title>");
  put_text(s, title);
  put(s, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  /* The title, shrunk to fit the width rather than cut. */
  put_label(s, width / 2, 30, "middle", fit(title, 17, width - 24), " font-weight=\"bold\"", title);
  return 0;
}

/* Ends the document; commits it to path on success, removes it on failure. */
static int svg_close(svg *s) {
  put(s, "</svg>\n");
  int err = s->err;
  if (!err && ferror(s->f)) err = EIO;
  /* Buffered data reaches the disk at fclose, so a full disk shows here. */
  errno = 0;
  if (fclose(s->f) && !err) err = errno ? errno : EIO;
  if (err) {
    remove(s->tmp);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot write: %s", s->tmp, strerror(err));
  }
  if (rename(s->tmp, s->path)) {
    const int e = errno;
    remove(s->tmp);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot rename from %s: %s", s->path, s->tmp, strerror(e));
  }
  return 0;
}

/* Tick spacing of 1, 2 or 5 times a power of ten giving about five ticks over span, and the
 * decimals that print it exactly. */
static double tick_step(double span, int *decimals) {
  const double raw = span / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
  const double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const double d = ceil(-log10(step) - 1e-9);
  *decimals = d > 0 ? (int)d : 0;
  return step;
}

/* Tick i of spacing step: from the index, not by adding steps, so no error accumulates; 0 is
 * exact, so never printed as "-0.0". */
static double tick_value(double i, double step) {
  return fabs(i) < 0.5 ? 0 : i * step;
}

/* Scatter geometry: a square plot of side SIDE with its top-left corner at (LEFT, TOP). */
enum { SC_WIDTH = 620, SC_HEIGHT = 650, SC_LEFT = 86, SC_TOP = 80, SC_SIDE = 500 };

/* Pixel coordinates of a value on the horizontal and the vertical axis over [lo, hi]. */
static double px_x(double v, double lo, double hi) {
  return SC_LEFT + (v - lo) / (hi - lo) * SC_SIDE;
}

static double px_y(double v, double lo, double hi) {
  return SC_TOP + SC_SIDE - (v - lo) / (hi - lo) * SC_SIDE;
}

/* Grid lines, ticks and tick labels of both axes (one range: y = x is the diagonal). */
static void scatter_axes(svg *s, double lo, double hi) {
  int decimals;
  const double step = tick_step(hi - lo, &decimals);
  const double bottom = SC_TOP + SC_SIDE;
  for (double i = ceil(lo / step); i * step <= hi; i++) {
    const double v = tick_value(i, step), px = px_x(v, lo, hi), py = px_y(v, lo, hi);
    char label[32];
    snprintf(label, sizeof label, "%.*f", decimals, v);
    put(s,
        "<path d=\"M%.1f %dV%.1fM%d %.1fH%d\" stroke=\"#e6e6e6\"/>\n"
        "<path d=\"M%.1f %.1fv5M%d %.1fh-5\" stroke=\"#333\"/>\n",
        px, SC_TOP, bottom, SC_LEFT, py, SC_LEFT + SC_SIDE, px, bottom, SC_LEFT, py);
    put_label(s, px, bottom + 20, "middle", 12, "", label);
    put_label(s, SC_LEFT - 8, py + 4, "end", 12, "", label);
  }
  put(s, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n",
      SC_LEFT, SC_TOP, SC_SIDE, SC_SIDE);
}

int zl_plot_scatter(const char *path, const char *title, const char *x_label, const char *y_label,
                    const double *x, const double *y, size_t n) {
  /* One range for both axes over every finite pair (thinning must not move the axes). */
  double lo = INFINITY, hi = -INFINITY;
  size_t finite = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(y[i])) {
      finite++;
      lo = fmin(lo, fmin(x[i], y[i]));
      hi = fmax(hi, fmax(x[i], y[i]));
    }
  if (!finite) {
    lo = 0;
    hi = 1;
  } else if (hi - lo < 1e-12 * fmax(1, fabs(hi))) {
    const double d = fabs(lo) > 0 ? 0.05 * fabs(lo) : 0.5;
    lo -= d;
    hi += d;
  }
  const double pad = 0.04 * (hi - lo);
  lo -= pad;
  hi += pad;
  const size_t every =
      n > ZL_PLOT_MAX_POINTS ? (n + ZL_PLOT_MAX_POINTS - 1) / ZL_PLOT_MAX_POINTS : 1;

  svg s;
  ZL_CALL(svg_open(&s, path, SC_WIDTH, SC_HEIGHT, title));
  char sub[160];
  int len = snprintf(sub, sizeof sub, "%zu networks", n);
  if (every > 1) len += snprintf(sub + len, sizeof sub - (size_t)len, ", 1 in %zu drawn", every);
  if (finite < n)
    snprintf(sub + len, sizeof sub - (size_t)len, ", %zu not finite (not drawn)", n - finite);
  put_label(&s, SC_WIDTH / 2.0, 54, "middle", 12, " fill=\"#555\"", sub);
  scatter_axes(&s, lo, hi);

  /* Translucent dots show where networks crowd; smaller ones when there are many. */
  const size_t drawn = (n + every - 1) / every;
  const double radius = drawn > 3000 ? 1.8 : drawn > 300 ? 2.6 : 3.5;
  put(&s, "<g fill=\"#1f77b4\" fill-opacity=\"%.2f\">\n", drawn > 3000 ? 0.3 : 0.6);
  for (size_t i = 0; i < n; i += every)
    if (isfinite(x[i]) && isfinite(y[i]))
      put(&s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>\n", px_x(x[i], lo, hi),
          px_y(y[i], lo, hi), radius);
  put(&s, "</g>\n");

  /* The line of perfect prediction, over the points, with its legend at the top left. */
  put(&s,
      "<path d=\"M%d %dL%d %d\" stroke=\"#d62728\" stroke-width=\"1.5\" "
      "stroke-dasharray=\"6 4\"/>\n",
      SC_LEFT, SC_TOP + SC_SIDE, SC_LEFT + SC_SIDE, SC_TOP);
  put(&s,
      "<path d=\"M%d %dh26\" stroke=\"#d62728\" stroke-width=\"1.5\" "
      "stroke-dasharray=\"6 4\"/>\n",
      SC_LEFT + 12, SC_TOP + 18);
  put_label(&s, SC_LEFT + 44, SC_TOP + 22, "start", 12, "", "y = x");

  put_label(&s, SC_LEFT + SC_SIDE / 2.0, SC_TOP + SC_SIDE + 48, "middle", fit(x_label, 14, SC_SIDE),
            "", x_label);
  char rotate[80];
  snprintf(rotate, sizeof rotate, " transform=\"rotate(-90 %d %.1f)\"", SC_LEFT - 58,
           SC_TOP + SC_SIDE / 2.0);
  put_label(&s, SC_LEFT - 58, SC_TOP + SC_SIDE / 2.0, "middle", fit(y_label, 14, SC_SIDE), rotate,
            y_label);
  return svg_close(&s);
}

/* Viridis (perceptually uniform, readable in grey and by colour-blind readers) at 9 points. */
static const unsigned char viridis[9][3] = {{68, 1, 84},    {71, 45, 123},  {59, 82, 139},
                                            {44, 114, 142}, {33, 145, 140}, {40, 174, 128},
                                            {94, 201, 98},  {173, 220, 48}, {253, 231, 37}};

/* The colour at t in [0, 1] (clamped), interpolated between the points, as "#rrggbb". */
static void colour(double t, char hex[8]) {
  t = fmin(1, fmax(0, t)) * 8;
  const int i = t >= 8 ? 7 : (int)t;
  const double f = t - i;
  int c[3];
  for (int k = 0; k < 3; k++)
    c[k] = (int)lround(viridis[i][k] + f * (viridis[i + 1][k] - viridis[i][k]));
  snprintf(hex, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* Heatmap geometry: cell size, label font size, colour bar width. */
enum { HM_CELL_W = 92, HM_CELL_H = 46, HM_FONT = 12, HM_BAR_W = 16 };

/* Printed value: three decimals, or three significant digits when large. */
static void format_value(double v, char *buf, size_t len) {
  snprintf(buf, len, fabs(v) < 1000 ? "%.3f" : "%.3g", v);
}

int zl_plot_heatmap(const char *path, const char *title, int n_rows, const char *const *row_labels,
                    int n_cols, const char *const *col_labels, const double *values,
                    const char *row_axis, const char *col_axis, double lo, double hi) {
  if (n_rows <= 0 || n_cols <= 0)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: a heatmap needs cells, not %d x %d", path, n_rows, n_cols);
  double dmin = INFINITY, dmax = -INFINITY;
  for (int i = 0; i < n_rows * n_cols; i++)
    if (isfinite(values[i])) {
      dmin = fmin(dmin, values[i]);
      dmax = fmax(dmax, values[i]);
    }
  lo = isnan(lo) ? (isfinite(dmin) ? dmin : 0) : lo;
  hi = isnan(hi) ? (isfinite(dmax) ? dmax : 1) : hi;
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }

  /* Layout from the estimated label widths: row labels at the left, column labels on top,
   * turned 45° when wider than a cell. */
  double row_w = 0, col_w = 0;
  for (int i = 0; i < n_rows; i++)
    row_w = fmax(row_w, text_width(row_labels[i], HM_FONT));
  for (int j = 0; j < n_cols; j++)
    col_w = fmax(col_w, text_width(col_labels[j], HM_FONT));
  const int turn = col_w > HM_CELL_W - 10;
  const double x0 = 16 + (row_axis ? 26 : 0) + row_w + 10;
  const double y0 = 48 + (col_axis ? 24 : 0) + (turn ? col_w * SIN45 + 14 : 22);
  const double grid_w = n_cols * HM_CELL_W, grid_h = n_rows * HM_CELL_H;
  const double bar_x = x0 + grid_w + 28, bar_h = fmax(grid_h, 150);
  double width = bar_x + HM_BAR_W + 70;
  if (turn) width = fmax(width, x0 + grid_w - HM_CELL_W / 2.0 + col_w * SIN45 + 12);
  const double height = y0 + bar_h + 24;

  svg s;
  ZL_CALL(svg_open(&s, path, width, height, title));
  char buf[160], hex[8];
  if (col_axis)
    put_label(&s, x0 + grid_w / 2, 64, "middle", fit(col_axis, 13, grid_w), " fill=\"#444\"",
              col_axis);
  if (row_axis) {
    snprintf(buf, sizeof buf, " fill=\"#444\" transform=\"rotate(-90 24 %.1f)\"", y0 + grid_h / 2);
    put_label(&s, 24, y0 + grid_h / 2, "middle", fit(row_axis, 13, grid_h), buf, row_axis);
  }
  for (int j = 0; j < n_cols; j++) {
    const double cx = x0 + (j + 0.5) * HM_CELL_W;
    if (turn) {
      snprintf(buf, sizeof buf, " transform=\"rotate(-45 %.1f %.1f)\"", cx, y0 - 8);
      put_label(&s, cx, y0 - 8, "start", HM_FONT, buf, col_labels[j]);
    } else {
      put_label(&s, cx, y0 - 8, "middle", HM_FONT, "", col_labels[j]);
    }
  }
  for (int i = 0; i < n_rows; i++) {
    const double y = y0 + i * HM_CELL_H;
    put_label(&s, x0 - 10, y + HM_CELL_H / 2.0 + 4, "end", HM_FONT, "", row_labels[i]);
    for (int j = 0; j < n_cols; j++) {
      const double v = values[(size_t)i * n_cols + j], x = x0 + j * HM_CELL_W;
      if (isnan(v)) {
        put(&s,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#f2f2f2\" "
            "stroke=\"white\"/>\n",
            x, y, HM_CELL_W, HM_CELL_H);
        continue;
      }
      const double t = (v - lo) / (hi - lo);
      colour(t, hex);
      put(&s,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\" "
          "stroke=\"white\"/>\n",
          x, y, HM_CELL_W, HM_CELL_H, hex);
      /* Light text on the dark end of the scale, dark text on the light end. */
      format_value(v, buf, sizeof buf);
      put_label(&s, x + HM_CELL_W / 2.0, y + HM_CELL_H / 2.0 + 5, "middle", 14,
                t < 0.55 ? " fill=\"white\"" : " fill=\"#111\"", buf);
    }
  }

  /* The colour bar: the same 9 points as a gradient, lo at the bottom, with round ticks. */
  put(&s, "<defs><linearGradient id=\"zl-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
  for (int k = 0; k < 9; k++) {
    colour(k / 8.0, hex);
    put(&s, "<stop offset=\"%.3f\" stop-color=\"%s\"/>", k / 8.0, hex);
  }
  put(&s, "</linearGradient></defs>\n");
  put(&s,
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"url(#zl-scale)\" "
      "stroke=\"#333\"/>\n",
      bar_x, y0, HM_BAR_W, bar_h);
  int decimals;
  const double step = tick_step(hi - lo, &decimals), eps = 1e-9 * step;
  for (double i = ceil((lo - eps) / step); i * step <= hi + eps; i++) {
    const double v = tick_value(i, step), ty = y0 + bar_h - (v - lo) / (hi - lo) * bar_h;
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    put(&s, "<path d=\"M%.1f %.1fh5\" stroke=\"#333\"/>\n", bar_x + HM_BAR_W, ty);
    put_label(&s, bar_x + HM_BAR_W + 8, ty + 4, "start", HM_FONT, "", buf);
  }
  return svg_close(&s);
}
