/* zoolens import SRC_DIR OUT.h5: a released Small CNN Zoo directory (weights.npy, metrics.csv.gz or
 * metrics.csv, layout.csv) into a zoo file, losslessly, with bounded memory (design §2). Rank 0
 * reads and checks the small files before anything is written and shares what the others need;
 * then every rank streams its contiguous share of the weight rows from the .npy with pread and
 * writes it with collective hyperslab writes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zl_cli.h"
#include "zl_comm.h"
#include "zl_jobs.h"
#include "zl_netlayout.h"
#include "zl_npy.h"
#include "zl_progress.h"
#include "zl_table.h"
#include "zl_zoo.h"

#define IMPORT_BLOCK_MIB 32
#define CONFIG_PREFIX    "config."

typedef struct {
  const char *dataset, *architecture;
  long long block_mib;
} import_opts;

static const zl_opt import_options[] = {
    {"dataset", 1, "NAME", "dataset name (default: config.dataset of the first row)"},
    {"architecture", 1, "NAME",
     "architecture name (default: config.dnn_architecture of the first row)"},
    {"block-mib", 1, "MIB", "weights each rank reads and writes per block, in MiB (default 32)"},
};

static int on_option(void *ctx, int index, const char *arg) {
  import_opts *o = ctx;
  if (index == 0) o->dataset = arg;
  if (index == 1) o->architecture = arg;
  if (index == 2) return zl_cli_long("import", "block-mib", arg, 1, 1 << 20, &o->block_mib);
  return 0;
}

/* The numeric metrics.csv columns and where they go. */
static const struct {
  const char *csv, *column;
} numeric_columns[] = {
    {"test_accuracy", ZL_COL_TEST_ACCURACY},
    {"train_accuracy", ZL_COL_TRAIN_ACCURACY},
    {"test_loss", ZL_COL_TEST_LOSS},
    {"train_loss", ZL_COL_TRAIN_LOSS},
    {"step", ZL_COL_EPOCH},
};
#define N_NUMERIC ((int)(sizeof numeric_columns / sizeof numeric_columns[0]))

/* A config.* column: numbers, or codes into its distinct values in sorted order. */
typedef struct {
  const char *name; /* without "config.", inside the table */
  double *values;   /* numeric; NULL when categorical */
  int64_t *codes;
  char **labels;
  int64_t n_labels;
} import_hparam;

/* What rank 0 reads from the source directory. */
typedef struct {
  char npy_path[PATH_MAX], metrics_path[PATH_MAX], layout_path[PATH_MAX];
  zl_table metrics;
  int64_t n_rows, n_params;
  int n_tensors;
  zl_tensor *tensors;
  const char *dataset, *architecture; /* inside the table or the options */
  double *numbers[N_NUMERIC];
  const char **checkpoints; /* the unnamed first column */
  int64_t *run_id;
  char **run_names;
  int64_t n_runs;
  int n_hparams;
  import_hparam *hparams;
} import_source;

/* What every rank needs to create the zoo: rank 0's plan, broadcast. */
typedef struct {
  int64_t n_rows, n_params, n_tensors, n_hparams;
  zl_tensor *tensors;
  int64_t *n_labels; /* per hparam, 0 for numeric */
  char **strings;    /* dataset, architecture, then per hparam its name and its labels */
  int64_t n_strings;
} import_plan;

static void source_free(import_source *s) {
  for (int i = 0; i < s->n_hparams; i++) {
    free(s->hparams[i].values);
    free(s->hparams[i].codes);
    zl_strings_free(s->hparams[i].labels, s->hparams[i].n_labels);
  }
  free(s->hparams);
  zl_strings_free(s->run_names, s->n_runs);
  free(s->run_id);
  free(s->checkpoints);
  for (int i = 0; i < N_NUMERIC; i++)
    free(s->numbers[i]);
  free(s->tensors);
  zl_table_destroy(&s->metrics);
}

static void plan_free(import_plan *p) {
  zl_strings_free(p->strings, p->n_strings);
  free(p->n_labels);
  free(p->tensors);
}

/* ---- rank 0: reading and checking the source ---- */

static int exists(const char *path) {
  return access(path, F_OK) == 0;
}

static int cell_integer(zl_table t, int64_t row, int col, int64_t *v) {
  const char *s = zl_table_cell(t, row, col);
  char *end = NULL;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || end == s || *end || x < 0)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: %s '%s' is not a whole number", zl_table_path(t),
                  (long long)zl_table_line(t, row), zl_table_header(t, col), s);
  *v = x;
  return 0;
}

static int find_column(zl_table t, const char *name, int *col) {
  if ((*col = zl_table_col(t, name)) < 0)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: no column '%s'", zl_table_path(t), name);
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

int zl_import_read_layout(const char *path, int64_t n_params, zl_tensor **tensors, int *n_tensors) {
  zl_table t = NULL;
  zl_tensor *ts = NULL;
  int n = 0, c_name, c_start, c_end, c_shape, c_size;
  int rc = zl_table_read(path, &t);
  if (!rc) rc = find_column(t, "varname", &c_name);
  if (!rc) rc = find_column(t, "start_idx", &c_start);
  if (!rc) rc = find_column(t, "end_idx", &c_end);
  if (!rc) rc = find_column(t, "shape", &c_shape);
  if (rc) goto cleanup;
  c_size = zl_table_col(t, "size"); /* some copies have it */
  /* Every tensor holds a parameter: more rows than parameters cannot tile them, and the count is
   * then sized into an int. */
  if (zl_table_n_rows(t) > n_params) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %lld tensors for %lld parameters", path,
                (long long)zl_table_n_rows(t), (long long)n_params);
    goto cleanup;
  }
  n = (int)zl_table_n_rows(t);
  if (!(ts = zl_calloc((size_t)n, sizeof *ts, path))) {
    rc = ZL_ERR_RUNTIME;
    goto cleanup;
  }
  for (int i = 0; i < n; i++) {
    zl_tensor *x = &ts[i];
    const char *name = zl_table_cell(t, i, c_name), *shape = zl_table_cell(t, i, c_shape);
    long long line = (long long)zl_table_line(t, i);
    int64_t end = 0, size = 0;
    ZL_CALL_GOTO(rc, cleanup, cell_integer(t, i, c_start, &x->offset));
    ZL_CALL_GOTO(rc, cleanup, cell_integer(t, i, c_end, &end));
    if (strlen(name) >= sizeof x->name || strlen(shape) >= sizeof x->shape) {
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: varname or shape too long", path, line);
      goto cleanup;
    }
    if (!ends_with(name, "kernel:0") && !ends_with(name, "bias:0")) {
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: varname '%s' ends in neither kernel:0 nor bias:0",
                  path, line, name);
      goto cleanup;
    }
    strcpy(x->name, name);
    strcpy(x->shape, shape);
    x->kind = ends_with(name, "kernel:0") ? ZL_TENSOR_KERNEL : ZL_TENSOR_BIAS;
    x->size = end - x->offset;
    if (c_size >= 0) ZL_CALL_GOTO(rc, cleanup, cell_integer(t, i, c_size, &size));
    if (c_size >= 0 && size != x->size) {
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: size %lld is not end_idx - start_idx = %lld",
                  path, line, (long long)size, (long long)x->size);
      goto cleanup;
    }
  }
  rc = zl_zoo_check_layout(path, ts, n, n_params);
cleanup:
  zl_table_destroy(&t);
  if (rc) {
    free(ts);
    ts = NULL;
    n = 0;
  }
  *tensors = ts;
  *n_tensors = n;
  return rc;
}

typedef struct {
  const char *s;
  int64_t i;
} keyed;

static int compare_keyed(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  int c = strcmp(x->s, y->s);
  return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Codes for the n strings v: equal strings share one. The distinct strings are numbered in sorted
 * order, or in order of first appearance when by_first; *labels lists them by code. */
static int factorize(const char *what, const char **v, int64_t n, int by_first, int64_t *codes,
                     char ***labels, int64_t *n_labels) {
  keyed *k = zl_malloc((size_t)n, sizeof *k, what);
  int64_t *first = zl_malloc((size_t)n, sizeof *first, what); /* first row of each sorted group */
  int64_t *code = zl_malloc((size_t)n, sizeof *code, what);   /* final code of each sorted group */
  int64_t *group_at = zl_malloc((size_t)n, sizeof *group_at, what);
  char **l = NULL;
  int64_t g = 0;
  int rc = k && first && code && group_at ? 0 : ZL_ERR_RUNTIME;
  if (!rc) {
    for (int64_t i = 0; i < n; i++)
      k[i] = (keyed){v[i], i};
    /* Ties ordered by row: each group of equal strings starts at its first row. */
    qsort(k, (size_t)n, sizeof *k, compare_keyed);
    for (int64_t j = 0; j < n; j++) {
      if (j == 0 || strcmp(k[j].s, k[j - 1].s)) first[g++] = k[j].i;
      codes[k[j].i] = g - 1;
    }
    for (int64_t x = 0; x < g; x++)
      code[x] = x;
    if (by_first) {
      for (int64_t i = 0; i < n; i++)
        group_at[i] = -1;
      for (int64_t x = 0; x < g; x++)
        group_at[first[x]] = x;
      for (int64_t i = 0, next = 0; i < n; i++)
        if (group_at[i] >= 0) code[group_at[i]] = next++;
    }
    for (int64_t i = 0; i < n; i++)
      codes[i] = code[codes[i]];
    if (!(l = zl_calloc((size_t)g + 1, sizeof *l, what))) rc = ZL_ERR_RUNTIME;
    for (int64_t x = 0; !rc && x < g; x++)
      if (!(l[code[x]] = strdup(v[first[x]])))
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", what);
  }
  free(group_at);
  free(code);
  free(first);
  free(k);
  if (rc) {
    zl_strings_free(l, g);
    return rc;
  }
  *labels = l;
  *n_labels = g;
  return 0;
}

/* A config.* column becomes an hparam: numeric when every value is a number (or empty: NaN),
 * otherwise categorical with its distinct values, sorted, as labels. */
static int read_hparam(zl_table t, int col, const char **cells, import_hparam *h) {
  const char *path = zl_table_path(t);
  int64_t n = zl_table_n_rows(t);
  int numeric = 1;
  h->name = zl_table_header(t, col) + strlen(CONFIG_PREFIX);
  if (!*h->name || strchr(h->name, '/'))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: column '%s' does not name a hyperparameter", path,
                  zl_table_header(t, col));
  if (!(h->values = zl_malloc((size_t)n, sizeof *h->values, path))) return ZL_ERR_RUNTIME;
  for (int64_t r = 0; r < n; r++) {
    cells[r] = zl_table_cell(t, r, col);
    numeric = numeric && zl_table_is_number(cells[r], &h->values[r]);
  }
  if (numeric) return 0;
  free(h->values);
  h->values = NULL;
  if (!(h->codes = zl_malloc((size_t)n, sizeof *h->codes, path))) return ZL_ERR_RUNTIME;
  return factorize(path, cells, n, 0, h->codes, &h->labels, &h->n_labels);
}

/* The name of the dataset or architecture: the option, else the config column's first value. */
static int identity(zl_table t, const char *option, const char *column, const char *flag,
                    const char **out) {
  int col = zl_table_col(t, column);
  if (option) {
    *out = option;
  } else if (col >= 0) {
    *out = zl_table_cell(t, 0, col);
  } else {
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: no column '%s': name it with --%s", zl_table_path(t), column,
                  flag);
  }
  return 0;
}

/* metrics.csv: one row per weights row; the unnamed first column is the checkpoint path. */
static int read_metrics(import_source *s, const import_opts *o) {
  zl_table t = s->metrics;
  const char *path = s->metrics_path;
  const int64_t n = zl_table_n_rows(t);
  const int n_cols = zl_table_n_cols(t);
  const char **cells = NULL;
  int c_run, rc = 0;
  if (n != s->n_rows)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: %lld rows but weights.npy has %lld", path, (long long)n,
                  (long long)s->n_rows);
  if (*zl_table_header(t, 0))
    return ZL_ERR(ZL_ERR_RUNTIME,
                  "%s: the first column should be the unnamed checkpoint path, not '%s'", path,
                  zl_table_header(t, 0));
  ZL_CALL(find_column(t, "modeldir", &c_run));
  for (int i = 0; i < N_NUMERIC; i++) {
    int c;
    ZL_CALL(find_column(t, numeric_columns[i].csv, &c));
    if (!(s->numbers[i] = zl_malloc((size_t)n, sizeof *s->numbers[i], path))) return ZL_ERR_RUNTIME;
    for (int64_t r = 0; r < n; r++)
      ZL_CALL(zl_table_number(t, r, c, &s->numbers[i][r]));
  }
  s->checkpoints = zl_malloc((size_t)n, sizeof *s->checkpoints, path);
  s->run_id = zl_malloc((size_t)n, sizeof *s->run_id, path);
  s->hparams = zl_calloc((size_t)n_cols, sizeof *s->hparams, path);
  if (!(cells = zl_malloc((size_t)n, sizeof *cells, path)) || !s->checkpoints || !s->run_id ||
      !s->hparams) {
    free(cells);
    return ZL_ERR_RUNTIME;
  }
  for (int64_t r = 0; r < n; r++) {
    s->checkpoints[r] = zl_table_cell(t, r, 0);
    cells[r] = zl_table_cell(t, r, c_run);
  }
  /* Runs are numbered in order of first appearance of their model directory. */
  rc = factorize(path, cells, n, 1, s->run_id, &s->run_names, &s->n_runs);
  for (int c = 1; !rc && c < n_cols; c++) {
    const char *name = zl_table_header(t, c);
    int known = c == c_run;
    for (int i = 0; i < N_NUMERIC; i++)
      known = known || !strcmp(name, numeric_columns[i].csv);
    if (!strncmp(name, CONFIG_PREFIX, strlen(CONFIG_PREFIX)))
      rc = read_hparam(t, c, cells, &s->hparams[s->n_hparams++]);
    else if (!known)
      fprintf(stderr, "import: %s: column '%s' is not part of the zoo format; not imported\n", path,
              name);
  }
  free(cells);
  if (!rc) rc = identity(t, o->dataset, CONFIG_PREFIX "dataset", "dataset", &s->dataset);
  if (!rc)
    rc = identity(t, o->architecture, CONFIG_PREFIX "dnn_architecture", "architecture",
                  &s->architecture);
  return rc;
}

static void join(char *out, const char *dir, const char *name) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  snprintf(out, PATH_MAX, "%.*s/%s", (int)n, dir, name);
}

/* Rank 0: reads and checks everything but the weights themselves. */
static int read_source(const char *dir, const import_opts *o, import_source *s) {
  struct stat st;
  zl_npy npy;
  if (stat(dir, &st))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: %s", dir,
                  errno == ENOENT ? "no such directory" : strerror(errno));
  if (!S_ISDIR(st.st_mode)) return ZL_ERR(ZL_ERR_RUNTIME, "%s: not a directory", dir);
  ZL_CALL(zl_npy_open(s->npy_path, &npy));
  s->n_rows = npy.rows;
  s->n_params = npy.cols;
  zl_npy_close(&npy);
  if (s->n_rows < 1 || s->n_params < 1)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: holds no networks (shape %lld x %lld)", s->npy_path,
                  (long long)s->n_rows, (long long)s->n_params);
  ZL_CALL(zl_import_read_layout(s->layout_path, s->n_params, &s->tensors, &s->n_tensors));
  join(s->metrics_path, dir, "metrics.csv.gz");
  if (!exists(s->metrics_path)) join(s->metrics_path, dir, "metrics.csv");
  if (!exists(s->metrics_path))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: no metrics.csv.gz or metrics.csv", dir);
  ZL_CALL(zl_table_read(s->metrics_path, &s->metrics));
  return read_metrics(s, o);
}

/* ---- sharing rank 0's plan ---- */

/* Every rank receives copies of rank 0's n strings (in, n are read on rank 0 only). */
static int bcast_strings(MPI_Comm comm, const char *const *in, int64_t n, char ***out,
                         int64_t *n_out) {
  int root = zl_comm_rank(comm) == 0, rc = 0;
  int64_t hdr[2] = {n, 0}; /* count, bytes */
  char *buf = NULL, **s = NULL;
  for (int64_t i = 0; root && i < n; i++)
    hdr[1] += (int64_t)strlen(in[i]) + 1;
  ZL_MPI(MPI_Bcast(hdr, 2, MPI_INT64_T, 0, comm));
  if (hdr[1] > INT_MAX)
    return ZL_ERR(ZL_ERR_RUNTIME, "import: %lld bytes of names", (long long)hdr[1]);
  if (!(buf = zl_malloc((size_t)hdr[1] + 1, 1, "names")) ||
      !(s = zl_calloc((size_t)hdr[0] + 1, sizeof *s, "names")))
    rc = ZL_ERR_RUNTIME;
  for (int64_t i = 0, at = 0; !rc && root && i < n; at += (int64_t)strlen(in[i++]) + 1)
    memcpy(buf + at, in[i], strlen(in[i]) + 1);
  if (!(rc = zl_comm_agree(comm, rc))) {
    int mrc = MPI_Bcast(buf, (int)hdr[1], MPI_CHAR, 0, comm);
    if (mrc != MPI_SUCCESS) rc = zl_mpi_error(mrc, "MPI_Bcast(names)", __FILE__, __LINE__);
  }
  for (int64_t i = 0, at = 0; !rc && i < hdr[0]; at += (int64_t)strlen(s[i++]) + 1)
    if (!(s[i] = strdup(buf + at))) rc = ZL_ERR(ZL_ERR_RUNTIME, "names: out of memory");
  free(buf);
  rc = zl_comm_agree(comm, rc);
  if (rc) {
    zl_strings_free(s, hdr[0]);
    return rc;
  }
  *out = s;
  *n_out = hdr[0];
  return 0;
}

static int share_plan(MPI_Comm comm, const import_source *s, import_plan *p) {
  int root = zl_comm_rank(comm) == 0, rc = 0;
  int64_t hdr[4] = {s->n_rows, s->n_params, s->n_tensors, s->n_hparams};
  const char **list = NULL;
  int64_t n = 0;
  ZL_MPI(MPI_Bcast(hdr, 4, MPI_INT64_T, 0, comm));
  p->n_rows = hdr[0];
  p->n_params = hdr[1];
  p->n_tensors = hdr[2];
  p->n_hparams = hdr[3];
  p->tensors = zl_malloc((size_t)p->n_tensors, sizeof *p->tensors, "layout");
  p->n_labels = zl_calloc((size_t)p->n_hparams, sizeof *p->n_labels, "hparams");
  if (root) {
    int64_t total = 2;
    for (int i = 0; i < s->n_hparams; i++)
      total += 1 + s->hparams[i].n_labels;
    if ((list = zl_malloc((size_t)total, sizeof *list, "hparams"))) {
      list[n++] = s->dataset;
      list[n++] = s->architecture;
      for (int i = 0; i < s->n_hparams; i++) {
        list[n++] = s->hparams[i].name;
        for (int64_t j = 0; j < s->hparams[i].n_labels; j++)
          list[n++] = s->hparams[i].labels[j];
      }
    }
  }
  if (!p->tensors || !p->n_labels || (root && !list)) rc = ZL_ERR_RUNTIME;
  if (!(rc = zl_comm_agree(comm, rc))) {
    if (root) {
      memcpy(p->tensors, s->tensors, (size_t)p->n_tensors * sizeof *p->tensors);
      for (int i = 0; i < s->n_hparams; i++)
        p->n_labels[i] = s->hparams[i].n_labels;
    }
    int mrc =
        MPI_Bcast(p->tensors, (int)(p->n_tensors * (int64_t)sizeof *p->tensors), MPI_BYTE, 0, comm);
    if (mrc == MPI_SUCCESS) mrc = MPI_Bcast(p->n_labels, (int)p->n_hparams, MPI_INT64_T, 0, comm);
    rc = mrc == MPI_SUCCESS ? bcast_strings(comm, list, n, &p->strings, &p->n_strings)
                            : zl_mpi_error(mrc, "MPI_Bcast(plan)", __FILE__, __LINE__);
  }
  free(list);
  return rc;
}

/* ---- writing, collectively ---- */

/* Every rank copies its share of the rows, block by block; all ranks make the same number of
 * collective writes (an empty one once their rows are done). */
static int copy_weights(MPI_Comm comm, zl_zoo zoo, const char *npy_path, int64_t block_bytes) {
  const int64_t N = zl_zoo_n_rows(zoo), P = zl_zoo_n_params(zoo);
  const int64_t B = zl_zoo_block_rows(zoo, block_bytes);
  int64_t row0 = 0, n = 0, n_blocks = 0;
  float *buf = NULL;
  zl_progress progress;
  zl_npy npy;
  /* Rank 0 checked the file; every rank opens it for its own reads. */
  int rc = zl_npy_open(npy_path, &npy);
  if (!rc && (npy.rows != N || npy.cols != P))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: changed while being imported", npy_path);
  if (!rc && !(buf = zl_malloc((size_t)(B * P), sizeof *buf, npy_path))) rc = ZL_ERR_RUNTIME;
  if (!(rc = zl_comm_agree(comm, rc))) rc = zl_zoo_share_rows(comm, N, B, &row0, &n, &n_blocks);
  if (!rc) zl_progress_start(&progress, comm, "import", "rows", N, n);
  for (int64_t b = 0; !rc && b < n_blocks; b++) {
    int64_t first = row0 + b * B, m = n - b * B < 0 ? 0 : n - b * B < B ? n - b * B : B;
    rc = zl_comm_agree(comm, m ? zl_npy_read_rows(&npy, first, m, buf) : 0);
    if (!rc) rc = zl_zoo_write_weights(zoo, m ? first : 0, m, buf);
    if (!rc) zl_progress_update(&progress, b * B + m);
  }
  if (!rc) zl_progress_end(&progress);
  zl_npy_close(&npy);
  free(buf);
  return rc;
}

/* Creates the zoo and writes it: hparams, metrics, runs and checkpoints from rank 0, the weights
 * from every rank. Collective. */
static int write_zoo(MPI_Comm comm, const char *out, const import_source *s, const import_plan *p,
                     int64_t block_bytes, zl_zoo *zoo) {
  zl_zoo_spec spec = {p->strings[0], p->strings[1],     p->n_rows,
                      p->n_params,   (int)p->n_tensors, p->tensors};
  /* Columns come from rank 0 alone: the others pass n = 0 (and their empty source's NULLs). */
  const int64_t n0 = zl_comm_rank(comm) == 0 ? p->n_rows : 0;
  ZL_CALL(zl_zoo_create(comm, out, &spec, zoo));
  for (int64_t h = 0, k = 2; h < p->n_hparams; k += 1 + p->n_labels[h++]) {
    const char *name = p->strings[k];
    const int nl = (int)p->n_labels[h];
    const import_hparam *x = n0 ? &s->hparams[h] : NULL;
    char column[256];
    snprintf(column, sizeof column, "hparams/%s", name);
    ZL_CALL(zl_zoo_add_hparam(*zoo, name, nl ? (const char *const *)p->strings + k + 1 : NULL, nl));
    ZL_CALL(nl ? zl_zoo_write_column(*zoo, column, ZL_I64, 0, n0, x ? x->codes : NULL)
               : zl_zoo_write_column(*zoo, column, ZL_F64, 0, n0, x ? x->values : NULL));
  }
  for (int i = 0; i < N_NUMERIC; i++)
    ZL_CALL(zl_zoo_write_column(*zoo, numeric_columns[i].column, ZL_F64, 0, n0, s->numbers[i]));
  ZL_CALL(zl_zoo_write_column(*zoo, ZL_COL_RUN_ID, ZL_I64, 0, n0, s->run_id));
  ZL_CALL(zl_zoo_write_strings(*zoo, "runs/checkpoint", s->checkpoints, n0));
  ZL_CALL(zl_zoo_write_strings(*zoo, "runs/name", (const char *const *)s->run_names, s->n_runs));
  return copy_weights(comm, *zoo, s->npy_path, block_bytes);
}

int zl_cmd_import(int argc, char **argv, MPI_Comm comm) {
  import_opts o = {NULL, NULL, IMPORT_BLOCK_MIB};
  import_source src = {0};
  import_plan plan = {0};
  zl_zoo zoo = NULL;
  int first = 0, root = zl_comm_rank(comm) == 0;
  int rc = zl_cli_parse(comm, "import", "SRC_DIR OUT.h5 [--dataset NAME] [--architecture NAME]",
                        import_options, (int)(sizeof import_options / sizeof import_options[0]),
                        on_option, &o, argc, argv, &first);
  if (rc == ZL_CLI_HELP) return 0;
  if (!rc && argc - first != 2)
    rc = ZL_ERR(ZL_ERR_USAGE, "import: expected SRC_DIR OUT.h5 (see zoolens import --help)");
  if (rc) return zl_cli_fail(comm, rc);
  const char *dir = argv[first], *out = argv[first + 1];
  join(src.npy_path, dir, "weights.npy");
  join(src.layout_path, dir, "layout.csv");

  rc = zl_comm_root_status(comm, root ? read_source(dir, &o, &src) : 0);
  if (!rc) rc = share_plan(comm, &src, &plan);
  if (!rc) {
    rc = write_zoo(comm, out, &src, &plan, (int64_t)o.block_mib << 20, &zoo);
    int committing = !rc;
    if (committing) rc = zl_zoo_commit(&zoo);
    /* A half-written zoo is of no use: do not leave it behind. zl_zoo_remove unlinks it before
     * closing, since closing a zoo whose write failed ends the job (a full disk). */
    zl_zoo_remove(&zoo);
    if (rc && committing && root) {
      char part[PATH_MAX + 8];
      snprintf(part, sizeof part, "%s.part", out);
      (void)unlink(part); /* the commit failed (close or rename) */
    }
  }
  if (!rc && root)
    printf("%s: %lld networks x %lld parameters (%s, %s): %lld runs, %lld tensors, %lld hparams\n",
           out, (long long)plan.n_rows, (long long)plan.n_params, plan.strings[0], plan.strings[1],
           (long long)src.n_runs, (long long)plan.n_tensors, (long long)plan.n_hparams);
  plan_free(&plan);
  source_free(&src);
  return zl_cli_fail(comm, rc);
}
