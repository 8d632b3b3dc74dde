/* zl_plot (serial, 1 process): writes a scatter and two heatmaps to plot_*.svg in the working
 * directory (tests/features.cmake renders them), checks they are well-formed XML, escape text,
 * thin points, leave no .tmp behind, and fail cleanly on an unwritable path. */
#include "zl_error.h"
#include "zl_plot.h"
#include "zl_rng.h"
#include "zl_test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *s = malloc((size_t)n + 1);
  s[fread(s, 1, (size_t)n, f)] = '\0';
  fclose(f);
  return s;
}

static size_t count(const char *s, const char *needle) {
  size_t k = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
    k++;
  return k;
}

/* A well-formedness check for the XML subset the plots use: a declaration, elements with quoted
 * attributes, properly nested end tags, text whose '&' starts one of XML's entities; no comments,
 * CDATA or DTD. Returns 1 when well-formed. */
static int well_formed(const char *s) {
  const char *stack[64];
  size_t lens[64];
  int depth = 0, roots = 0;
  if (strncmp(s, "<?xml ", 6) || !(s = strstr(s, "?>"))) return 0;
  for (s += 2; *s;) {
    if (*s == '&') {
      static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
      size_t k = 0;
      while (k < 5 && strncmp(s, ent[k], strlen(ent[k])))
        k++;
      if (k == 5) return 0;
      s += strlen(ent[k]);
    } else if (*s != '<') {
      if (!depth && !strchr(" \n", *s)) return 0; /* text outside the root */
      s++;
    } else if (s[1] == '/') {
      const char *name = s + 2;
      size_t len = strcspn(name, " >");
      if (!depth || len != lens[depth - 1] || strncmp(name, stack[depth - 1], len)) return 0;
      depth--;
      if (!(s = strchr(name, '>'))) return 0;
      s++;
    } else {
      const char *name = s + 1;
      size_t len = strcspn(name, " />\n");
      if (!len || depth == 64 || (!depth && roots++)) return 0;
      for (s = name + len; *s && *s != '>' && *s != '/'; s++) {
        if (*s == '<' || *s == '&') return 0;
        if (*s == '"') {
          const char *end = strchr(s + 1, '"');
          if (!end || memchr(s + 1, '<', (size_t)(end - s - 1))) return 0;
          s = end;
        }
      }
      if (*s == '/') {
        if (s[1] != '>') return 0;
        s += 2;
      } else if (*s == '>') {
        stack[depth] = name;
        lens[depth++] = len;
        s++;
      } else {
        return 0;
      }
    }
  }
  return depth == 0 && roots == 1;
}

/* The file is written, well-formed, and no temporary is left next to it. */
static char *check_written(const char *path) {
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  ZL_CHECK(access(tmp, F_OK) != 0);
  char *s = slurp(path);
  ZL_CHECK(s != NULL);
  if (!s) return NULL;
  ZL_CHECK(well_formed(s));
  ZL_CHECK(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"") != NULL);
  return s;
}

static void check_scatter(void) {
  /* 50 001 networks whose predictions scatter around the truth, one of them NaN. */
  enum { N = 50001 };
  double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  zl_rng r;
  zl_rng_init(&r, 7, 0);
  for (int i = 0; i < N; i++) {
    x[i] = 0.1 + 0.88 * zl_rng_uniform(&r);
    y[i] = x[i] + 0.03 * zl_rng_normal(&r);
  }
  y[10] = NAN;
  const char *title = "mnist & \"cnn\" <wstats>: R² = 0.912, τ = 0.801";
  ZL_CHECK(zl_plot_scatter("plot_scatter.svg", title, "true test accuracy",
                           "predicted test accuracy", x, y, N) == 0);
  char *s = check_written("plot_scatter.svg");
  if (s) {
    /* Every 3rd network: indices 0, 3, …, 50 001 - 2, less the NaN one (index 10 is not drawn
     * anyway, 10 % 3 != 0). */
    ZL_CHECK(count(s, "<circle") == (N + 2) / 3);
    ZL_CHECK(count(s, "<circle") <= ZL_PLOT_MAX_POINTS);
    ZL_CHECK(strstr(s, "mnist &amp; &quot;cnn&quot; &lt;wstats&gt;: R² = 0.912, τ = 0.801") !=
             NULL);
    ZL_CHECK(strstr(s, "50001 networks, 1 in 3 drawn, 1 not finite") != NULL);
    ZL_CHECK(strstr(s, "predicted test accuracy") != NULL);
    free(s);
  }

  /* A few points, all drawn; a constant set still gets a range; no points at all still plots. */
  const double a[3] = {0.5, 0.7, 0.9}, b[3] = {0.55, 0.65, 0.95}, c[2] = {0.5, 0.5};
  ZL_CHECK(zl_plot_scatter("plot_small.svg", "small", "true", "predicted", a, b, 3) == 0);
  s = check_written("plot_small.svg");
  if (s) ZL_CHECK(count(s, "<circle") == 3);
  free(s);
  ZL_CHECK(zl_plot_scatter("plot_small.svg", "constant", "true", "predicted", c, c, 2) == 0);
  s = check_written("plot_small.svg");
  if (s) ZL_CHECK(count(s, "<circle") == 2 && !strstr(s, "nan") && !strstr(s, "inf"));
  free(s);
  ZL_CHECK(zl_plot_scatter("plot_small.svg", "empty", "true", "predicted", a, b, 0) == 0);
  s = check_written("plot_small.svg");
  if (s) ZL_CHECK(count(s, "<circle") == 0 && strstr(s, "0 networks"));
  free(s);
  remove("plot_small.svg");
  free(x);
  free(y);
}

static void check_heatmap(void) {
  /* The paper's 4 × 4 transfer matrix, one pair not run; the labels need escaping, and one holds
   * bytes that are not UTF-8. */
  const char *const names[4] = {"mnist", "fashion_mnist", "cifar10 <gs>", "svhn\xff_gs"};
  const double v[16] = {0.92, 0.41, -0.35, 0.12, 0.53, 0.80, NAN,  0.07,
                        0.18, 0.22, 0.73,  0.61, 0.09, 0.15, 0.66, 0.85};
  ZL_CHECK(zl_plot_heatmap("plot_heatmap.svg", "Transfer R² (W-stats, ridge)", 4, names, 4, names,
                           v, "trained on", "tested on", NAN, 1.0) == 0);
  char *s = check_written("plot_heatmap.svg");
  if (s) {
    ZL_CHECK(strstr(s, ">cifar10 &lt;gs&gt;<") != NULL);
    ZL_CHECK(strstr(s, ">svhn?_gs<") != NULL);
    ZL_CHECK(strstr(s, ">-0.350<") != NULL && strstr(s, ">0.920<") != NULL);
    ZL_CHECK(count(s, "<rect") == 1 + 16 + 1); /* background, cells, colour bar */
    ZL_CHECK(count(s, "fill=\"#f2f2f2\"") == 1);
    ZL_CHECK(strstr(s, "rotate(-45") != NULL); /* "fashion_mnist" is wider than a cell */
    free(s);
  }

  /* One cell, short labels, no axis titles, all NaN: still a plot. */
  const char *const one[1] = {"a"};
  const double nan1[1] = {NAN};
  ZL_CHECK(zl_plot_heatmap("plot_heatmap_one.svg", "one", 1, one, 1, one, nan1, NULL, NULL, NAN,
                           NAN) == 0);
  s = check_written("plot_heatmap_one.svg");
  if (s) ZL_CHECK(!strstr(s, "rotate(-45") && !strstr(s, "nan"));
  free(s);
  remove("plot_heatmap_one.svg");
}

static void check_errors(void) {
  const double a[1] = {0.5};
  const char *const one[1] = {"a"};
  zl_error_clear();
  ZL_CHECK(zl_plot_scatter("no-such-dir/plot.svg", "t", "x", "y", a, a, 1) == ZL_ERR_RUNTIME);
  ZL_CHECK(strstr(zl_error_message(), "no-such-dir/plot.svg.tmp: cannot create") != NULL);
  zl_error_clear();
  ZL_CHECK(zl_plot_heatmap("plot_none.svg", "t", 0, one, 1, one, a, NULL, NULL, NAN, NAN) ==
           ZL_ERR_RUNTIME);
  ZL_CHECK(strstr(zl_error_message(), "plot_none.svg: a heatmap needs cells") != NULL);
  ZL_CHECK(access("plot_none.svg", F_OK) != 0);
  /* A directory in the way of the rename: the error names both, the temporary is removed. */
  remove("plot_dir.svg.tmp");
  ZL_CHECK(mkdir("plot_dir.svg", 0755) == 0 || access("plot_dir.svg", F_OK) == 0);
  zl_error_clear();
  ZL_CHECK(zl_plot_scatter("plot_dir.svg", "t", "x", "y", a, a, 1) == ZL_ERR_RUNTIME);
  ZL_CHECK(strstr(zl_error_message(), "plot_dir.svg: cannot rename from plot_dir.svg.tmp") != NULL);
  ZL_CHECK(access("plot_dir.svg.tmp", F_OK) != 0);
  ZL_CHECK(rmdir("plot_dir.svg") == 0);
  /* A full device: the write error surfaces (at fclose at the latest), nothing is renamed. */
  if (access("/dev/full", W_OK) == 0) {
    ZL_CHECK(symlink("/dev/full", "plot_full.svg.tmp") == 0 ||
             access("plot_full.svg.tmp", F_OK) == 0);
    zl_error_clear();
    ZL_CHECK(zl_plot_scatter("plot_full.svg", "t", "x", "y", a, a, 1) == ZL_ERR_RUNTIME);
    ZL_CHECK(strstr(zl_error_message(), "plot_full.svg.tmp: cannot write: No space left") != NULL);
    ZL_CHECK(access("plot_full.svg", F_OK) != 0);
    remove("plot_full.svg.tmp");
  }
}

/* The checker itself rejects what it should. */
static void check_checker(void) {
  ZL_CHECK(well_formed("<?xml v?>\n<a x=\"1\"><b/>t &amp; u</a>\n"));
  ZL_CHECK(!well_formed("<?xml v?><a><b></a></b>"));
  ZL_CHECK(!well_formed("<?xml v?><a>t & u</a>"));
  ZL_CHECK(!well_formed("<?xml v?><a x=\"<\"/>"));
  ZL_CHECK(!well_formed("<?xml v?><a/><a/>"));
  ZL_CHECK(!well_formed("<?xml v?><a>"));
}

int main(void) {
  check_checker();
  check_scatter();
  check_heatmap();
  check_errors();
  return zl_test_finish();
}
