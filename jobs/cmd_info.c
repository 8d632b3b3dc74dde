/* zoolens info ZOO.h5: validates a zoo file (zl_zoo_open) and prints what is inside: identity,
 * layout, runs and checkpoints, metric ranges, hyperparameters, and how many rows hold non-finite
 * weights. The per-row columns are read by rank 0; the weights are streamed by every rank in
 * bounded blocks of its share of the rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_cli.h"
#include "zl_comm.h"
#include "zl_jobs.h"
#include "zl_progress.h"
#include "zl_zoo.h"

/* Weights read per block and rank. */
#define INFO_BLOCK_BYTES ((int64_t)32 << 20)
/* Longer lists of epochs or labels are cut short. */
#define INFO_MAX_LIST 12

static const char *const metric_columns[] = {ZL_COL_TEST_ACCURACY, ZL_COL_TRAIN_ACCURACY,
                                             ZL_COL_TEST_LOSS, ZL_COL_TRAIN_LOSS};
#define N_METRICS ((int)(sizeof metric_columns / sizeof metric_columns[0]))

/* Min, median and max of the finite values, and how many are not finite. */
typedef struct {
  double min, median, max;
  int64_t finite, nonfinite;
} value_range;

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int compare_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Sorts the finite values of v to the front of v (v is scratch) and summarises them. */
static value_range summarise(double *v, int64_t n) {
  value_range r = {NAN, NAN, NAN, 0, 0};
  for (int64_t i = 0; i < n; i++)
    if (isfinite(v[i])) v[r.finite++] = v[i];
  r.nonfinite = n - r.finite;
  qsort(v, (size_t)r.finite, sizeof *v, compare_double);
  if (r.finite) {
    int64_t h = r.finite / 2;
    r.min = v[0];
    r.max = v[r.finite - 1];
    r.median = r.finite % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
  }
  return r;
}

/* Everything info prints, gathered on rank 0 before anything is printed. */
typedef struct {
  int64_t n_runs, min_per_run, max_per_run;
  int64_t n_epochs;
  double epochs[INFO_MAX_LIST + 1];
  value_range metric[N_METRICS];
  value_range *numeric;  /* per hparam */
  int64_t **label_count; /* per categorical hparam: rows per label, then unset rows */
  int64_t nonfinite_rows;
} zoo_summary;

static void summary_free(zoo_summary *s, int n_hparams) {
  for (int i = 0; s->label_count && i < n_hparams; i++)
    free(s->label_count[i]);
  free(s->label_count);
  free(s->numeric);
}

/* Runs and checkpoints per run from run ids; distinct epochs (the first few). v is scratch. */
static void summarise_runs(zoo_summary *s, int64_t *run, double *epoch, int64_t n) {
  qsort(run, (size_t)n, sizeof *run, compare_int64);
  s->min_per_run = n;
  for (int64_t i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && run[j] == run[i];)
      j++;
    s->n_runs++;
    if (j - i < s->min_per_run) s->min_per_run = j - i;
    if (j - i > s->max_per_run) s->max_per_run = j - i;
  }
  value_range r = summarise(epoch, n);
  for (int64_t i = 0; i < r.finite; i++)
    if (i == 0 || epoch[i] != epoch[i - 1]) {
      if (s->n_epochs <= INFO_MAX_LIST) s->epochs[s->n_epochs] = epoch[i];
      s->n_epochs++;
    }
}

/* Counts rows with a NaN or Inf weight: every rank its share, in bounded blocks. */
static int count_nonfinite_rows(zl_zoo zoo, MPI_Comm comm, int64_t *total) {
  const int64_t P = zl_zoo_n_params(zoo), B = zl_zoo_block_rows(zoo, INFO_BLOCK_BYTES);
  int64_t row0 = 0, n = 0, n_blocks = 0, mine = 0;
  zl_progress progress;
  float *w = zl_malloc((size_t)(B * P), sizeof *w, "weights block");
  int rc = zl_comm_agree(comm, w ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = zl_zoo_share_rows(comm, zl_zoo_n_rows(zoo), B, &row0, &n, &n_blocks);
  if (!rc) zl_progress_start(&progress, comm, "info: weights", "rows", zl_zoo_n_rows(zoo), n);
  for (int64_t b = 0; !rc && b < n_blocks; b++) {
    int64_t m = n - b * B < 0 ? 0 : n - b * B < B ? n - b * B : B;
    rc = zl_zoo_read_weights(zoo, m ? row0 + b * B : 0, m, w);
    for (int64_t i = 0; !rc && i < m; i++) {
      int64_t c = 0;
      while (c < P && isfinite(w[i * P + c]))
        c++;
      mine += c < P;
    }
    if (!rc) zl_progress_update(&progress, b * B + m);
  }
  free(w);
  if (rc) return rc;
  ZL_MPI(MPI_Allreduce(&mine, total, 1, MPI_INT64_T, MPI_SUM, comm));
  return 0;
}

/* Reads the columns on rank 0 (the others read nothing) and the weights everywhere. */
static int gather(zl_zoo zoo, MPI_Comm comm, zoo_summary *s) {
  const int root = zl_comm_rank(comm) == 0, H = zl_zoo_n_hparams(zoo);
  const int64_t N = zl_zoo_n_rows(zoo), n0 = root ? N : 0;
  double *v = NULL, *epoch = NULL;
  int64_t *run = NULL;
  int32_t *code = NULL;
  int rc = 0;
  if (root) {
    v = zl_malloc((size_t)N, sizeof *v, "column");
    epoch = zl_malloc((size_t)N, sizeof *epoch, "column");
    run = zl_malloc((size_t)N, sizeof *run, "column");
    code = zl_malloc((size_t)N, sizeof *code, "column");
    s->numeric = zl_calloc((size_t)H, sizeof *s->numeric, "hparams");
    s->label_count = zl_calloc((size_t)H, sizeof *s->label_count, "hparams");
    rc = v && epoch && run && code && s->numeric && s->label_count ? 0 : ZL_ERR_RUNTIME;
  }
  if ((rc = zl_comm_agree(comm, rc))) goto cleanup;
  ZL_CALL_GOTO(rc, cleanup, zl_zoo_read_column(zoo, ZL_COL_RUN_ID, ZL_I64, 0, n0, run));
  ZL_CALL_GOTO(rc, cleanup, zl_zoo_read_column(zoo, ZL_COL_EPOCH, ZL_F64, 0, n0, epoch));
  if (root) summarise_runs(s, run, epoch, N);
  for (int i = 0; i < N_METRICS; i++) {
    ZL_CALL_GOTO(rc, cleanup, zl_zoo_read_column(zoo, metric_columns[i], ZL_F64, 0, n0, v));
    if (root) s->metric[i] = summarise(v, N);
  }
  for (int h = 0; h < H; h++) {
    char column[256];
    int n_labels = 0;
    snprintf(column, sizeof column, "hparams/%s", zl_zoo_hparam_name(zoo, h));
    zl_zoo_hparam_labels(zoo, h, &n_labels);
    if (!n_labels) {
      ZL_CALL_GOTO(rc, cleanup, zl_zoo_read_column(zoo, column, ZL_F64, 0, n0, v));
      if (root) s->numeric[h] = summarise(v, N);
      continue;
    }
    ZL_CALL_GOTO(rc, cleanup, zl_zoo_read_column(zoo, column, ZL_I32, 0, n0, code));
    if (root &&
        !(s->label_count[h] = zl_calloc((size_t)n_labels + 1, sizeof **s->label_count, column)))
      rc = ZL_ERR_RUNTIME;
    if ((rc = zl_comm_agree(comm, rc))) goto cleanup;
    /* Codes outside the labels (-1: never written) count as unset. */
    for (int64_t r = 0; r < n0; r++)
      s->label_count[h][code[r] >= 0 && code[r] < n_labels ? code[r] : n_labels]++;
  }
  rc = count_nonfinite_rows(zoo, comm, &s->nonfinite_rows);
cleanup:
  free(code);
  free(run);
  free(epoch);
  free(v);
  return rc;
}

/* Integral values in full (seeds, epochs), others to 6 digits. */
static const char *number(double v, char buf[32]) {
  if (v == floor(v) && fabs(v) < 1e15)
    snprintf(buf, 32, "%.0f", v);
  else
    snprintf(buf, 32, "%.6g", v);
  return buf;
}

static void print_range(const char *name, const value_range *r) {
  char a[32], b[32], c[32];
  printf("  %-28s %12s %12s %12s", name, number(r->min, a), number(r->median, b),
         number(r->max, c));
  if (r->nonfinite) printf("   (%lld not finite)", (long long)r->nonfinite);
  printf("\n");
}

static void print_summary(zl_zoo zoo, const zoo_summary *s) {
  const int64_t N = zl_zoo_n_rows(zoo);
  printf("%s: zoolens zoo, format version %d\n", zl_zoo_path(zoo), ZL_ZOO_FORMAT_VERSION);
  printf("  dataset        %s\n", zl_zoo_dataset(zoo));
  printf("  architecture   %s\n", zl_zoo_architecture(zoo));
  printf("  networks       %lld\n", (long long)N);
  printf("  parameters     %lld\n", (long long)zl_zoo_n_params(zoo));
  printf("  runs           %lld, ", (long long)s->n_runs);
  if (s->min_per_run == s->max_per_run)
    printf("%lld checkpoints each\n", (long long)s->min_per_run);
  else
    printf("%lld to %lld checkpoints each\n", (long long)s->min_per_run, (long long)s->max_per_run);
  printf("  epochs        ");
  for (int64_t i = 0; i < s->n_epochs && i < INFO_MAX_LIST; i++) {
    char e[32];
    printf(" %s", number(s->epochs[i], e));
  }
  if (s->n_epochs > INFO_MAX_LIST) printf(" … (%lld distinct)", (long long)s->n_epochs);
  printf("\n\nlayout: %d tensors\n", zl_zoo_n_tensors(zoo));
  printf("  %-32s %8s %8s  %-16s %s\n", "name", "offset", "size", "shape", "kind");
  for (int i = 0; i < zl_zoo_n_tensors(zoo); i++) {
    const zl_tensor *t = zl_zoo_tensor(zoo, i);
    printf("  %-32s %8lld %8lld  %-16s %s\n", t->name, (long long)t->offset, (long long)t->size,
           t->shape, t->kind == ZL_TENSOR_KERNEL ? "kernel" : "bias");
  }
  printf("\nmetrics (all %lld rows):\n  %-28s %12s %12s %12s\n", (long long)N, "", "min", "median",
         "max");
  for (int i = 0; i < N_METRICS; i++)
    print_range(strchr(metric_columns[i], '/') + 1, &s->metric[i]);
  printf("\nhparams: %d\n", zl_zoo_n_hparams(zoo));
  for (int h = 0; h < zl_zoo_n_hparams(zoo); h++) {
    int n_labels = 0;
    const char *const *labels = zl_zoo_hparam_labels(zoo, h, &n_labels);
    if (!n_labels) {
      print_range(zl_zoo_hparam_name(zoo, h), &s->numeric[h]);
      continue;
    }
    printf("  %-28s", zl_zoo_hparam_name(zoo, h));
    for (int l = 0; l < n_labels && l < INFO_MAX_LIST; l++)
      printf(" %s (%lld)%s", labels[l], (long long)s->label_count[h][l],
             l + 1 < n_labels ? "," : "");
    if (n_labels > INFO_MAX_LIST) printf(" … (%d labels)", n_labels);
    if (s->label_count[h][n_labels])
      printf(" unset (%lld)", (long long)s->label_count[h][n_labels]);
    printf("\n");
  }
  printf("\nweights: %lld of %lld rows hold NaN or Inf\n", (long long)s->nonfinite_rows,
         (long long)N);
}

int zl_cmd_info(int argc, char **argv, MPI_Comm comm) {
  int first = 0;
  int rc = zl_cli_parse(comm, "info", "ZOO.h5", NULL, 0, NULL, NULL, argc, argv, &first);
  if (rc == ZL_CLI_HELP) return 0;
  if (!rc && argc - first != 1)
    rc = ZL_ERR(ZL_ERR_USAGE, "info: expected one ZOO.h5 (see zoolens info --help)");
  if (rc) return zl_cli_fail(comm, rc);
  zl_zoo zoo = NULL;
  zoo_summary s = {0};
  rc = zl_zoo_open(comm, argv[first], &zoo);
  if (!rc) rc = gather(zoo, comm, &s);
  if (!rc && zl_comm_rank(comm) == 0) print_summary(zoo, &s);
  if (zoo) summary_free(&s, zl_zoo_n_hparams(zoo));
  zl_zoo_destroy(&zoo);
  return zl_cli_fail(comm, rc);
}
