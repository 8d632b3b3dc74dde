/* SVG plots of the analyze report (design §3, step 6): predicted against true accuracy per zoo,
 * and the transfer matrix as a heatmap. Plain SVG 1.1 text, no library. Each plot is written to
 * "<path>.tmp" and renamed to path, so a crash never leaves a half-written plot behind. Text is
 * XML-escaped (and bytes that are not UTF-8 become '?'), so any label is safe. */
#ifndef ZL_PLOT_H
#define ZL_PLOT_H

#include <stddef.h>

/* A scatter plot draws at most this many points (every k-th network beyond it, deterministic),
 * which keeps the file under about 1 MB. */
#define ZL_PLOT_MAX_POINTS 20000

/* Predicted (y) against true (x) values, with the line y = x, both axes over the same range, with
 * ticks and labels; a subtitle counts the networks (and says when points were thinned or were
 * not finite, which are skipped).
 * @param[in] path     the SVG file to write
 * @param[in] title    the caller's title, e.g. "mnist: R² = 0.912, τ = 0.801"
 * @param[in] x_label, y_label  axis labels
 * @param[in] x, y     n pairs
 * @return 0, or ZL_ERR_RUNTIME with "<file>: <reason>" recorded. Not collective. */
int zl_plot_scatter(const char *path, const char *title, const char *x_label, const char *y_label,
                    const double *x, const double *y, size_t n);

/* A heatmap of values[i * n_cols + j] (row-major; NaN = an empty cell), the value printed in each
 * cell, with a colour scale from lo to hi (values outside get the end colours; NaN for lo or hi:
 * the finite data's minimum or maximum).
 * @param[in] row_labels, col_labels  n_rows and n_cols labels (rows at the left, columns on top)
 * @param[in] row_axis, col_axis      what rows and columns are, e.g. "trained on", "tested on";
 *                                    NULL for none
 * @return 0, or ZL_ERR_RUNTIME with "<file>: <reason>" recorded. Not collective. */
int zl_plot_heatmap(const char *path, const char *title, int n_rows, const char *const *row_labels,
                    int n_cols, const char *const *col_labels, const double *values,
                    const char *row_axis, const char *col_axis, double lo, double hi);

#endif
