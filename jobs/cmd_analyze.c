/* zoolens analyze: W-stats features from parallel HDF5 reads, grouped-CV ridge on a BLACS grid,
 * scores gathered on rank 0 (design §3). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "zl_cli.h"
#include "zl_comm.h"
#include "zl_features.h"
#include "zl_jobs.h"
#include "zl_metrics.h"
#include "zl_predictions.h"
#include "zl_report.h"
#include "zl_ridge.h"
#include "zl_rows.h"

#define MAX_FOLDS 100

typedef struct {
  const char *out;
  const char *features;
  const char *estimator;
  long long folds;
  long long seed;
  zl_checkpoints checkpoints;
  zl_spread spread;
} analyze_opts;

static const zl_opt options[] = {
    {"out", 1, "DIR", "output directory for report.json and report.md (required)"},
    {"features", 1, "LIST", "feature sets, comma-separated: wstats (default wstats)"},
    {"estimator", 1, "NAME", "ridge (default ridge)"},
    {"folds", 1, "K", "cross-validation folds, grouped by training run (default 5, at least 3)"},
    {"seed", 1, "S", "seed of the fold assignment (default 0)"},
    {"checkpoints", 1, "WHICH", "final: last checkpoint of each run (default); all: every row"},
    {"spread", 1, "NAME", "W-stats spread: std (population, the paper; default) or variance"},
};

static int on_option(void *ctx, int i, const char *arg) {
  analyze_opts *o = ctx;
  switch (i) {
  case 0:
    o->out = arg;
    return 0;
  case 1:
    if (strcmp(arg, "wstats"))
      return ZL_ERR(ZL_ERR_USAGE, "analyze: --features: '%s' is not available (available: wstats)",
                    arg);
    o->features = arg;
    return 0;
  case 2:
    if (strcmp(arg, "ridge"))
      return ZL_ERR(ZL_ERR_USAGE, "analyze: --estimator: '%s' is not available (available: ridge)",
                    arg);
    o->estimator = arg;
    return 0;
  case 3:
    return zl_cli_long("analyze", "folds", arg, 3, MAX_FOLDS, &o->folds);
  case 4:
    return zl_cli_long("analyze", "seed", arg, 0, INT64_MAX, &o->seed);
  case 5:
    if (!strcmp(arg, "final") || !strcmp(arg, "all")) {
      o->checkpoints = arg[0] == 'f' ? ZL_CHECKPOINTS_FINAL : ZL_CHECKPOINTS_ALL;
      return 0;
    }
    return ZL_ERR(ZL_ERR_USAGE, "analyze: --checkpoints: '%s' is not final or all", arg);
  default:
    if (!strcmp(arg, "std") || !strcmp(arg, "variance")) {
      o->spread = arg[0] == 's' ? ZL_SPREAD_STD : ZL_SPREAD_VARIANCE;
      return 0;
    }
    return ZL_ERR(ZL_ERR_USAGE, "analyze: --spread: '%s' is not std or variance", arg);
  }
}

/* λ grid (standardised features, per-row loss): 1e-6 … 1e3 in half decades, ascending. */
#define N_LAMBDA 19
static void lambda_grid(double *g) {
  for (int i = 0; i < N_LAMBDA; i++) g[i] = pow(10.0, -6.0 + 0.5 * i);
}

static int make_out_dir(const char *dir) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot create the output directory: %s", dir, strerror(errno));
  struct stat st;
  if (stat(dir, &st) || !S_ISDIR(st.st_mode))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: exists and is not a directory", dir);
  return 0;
}

static double mean_of(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s / n;
}

static double std_of(const double *v, int n) {
  double m = mean_of(v, n), s = 0;
  for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
  return n > 1 ? sqrt(s / (n - 1)) : 0.0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Rank 0: per-fold scores of the gathered held-out predictions, then their means and spreads. */
static int score_folds(const double *y, const double *yhat, const int *fold, int64_t n, int K,
                       const double *lambda, zl_report_result *res) {
  double *fy = zl_malloc((size_t)n, sizeof(double), "fold targets");
  double *fp = zl_malloc((size_t)n, sizeof(double), "fold predictions");
  double r2[MAX_FOLDS], tau[MAX_FOLDS], rmse[MAX_FOLDS], lam[MAX_FOLDS];
  int rc = (fy && fp) ? 0 : ZL_ERR_RUNTIME;
  for (int k = 0; !rc && k < K; k++) {
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
      if (fold[i] == k) {
        fy[m] = y[i];
        fp[m++] = yhat[i];
      }
    res->per_fold[k].n = (int)m;
    res->per_fold[k].lambda = lam[k] = lambda[k];
    res->per_fold[k].r2 = r2[k] = zl_r2(fy, fp, (size_t)m);
    res->per_fold[k].rmse = rmse[k] = zl_rmse(fy, fp, (size_t)m);
    rc = zl_kendall_tau_b(fy, fp, (size_t)m, &tau[k]);
    res->per_fold[k].kendall_tau = tau[k];
  }
  if (!rc) {
    res->r2 = mean_of(r2, K);
    res->r2_std = std_of(r2, K);
    res->kendall_tau = mean_of(tau, K);
    res->kendall_tau_std = std_of(tau, K);
    res->rmse = mean_of(rmse, K);
    qsort(lam, (size_t)K, sizeof(double), cmp_double);
    res->lambda = lam[K / 2];
  }
  free(fy);
  free(fp);
  return rc;
}

/* Gathers (y, ŷ, fold) of the used rows on rank 0 and scores them there. */
static int gather_and_score(MPI_Comm comm, const zl_rows *rows, const double *yhat, int K,
                            const double *lambda, zl_report_result *res) {
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm);
  int used = 0;
  for (int64_t i = 0; i < rows->n; i++) used += rows->fold[i] >= 0;
  double *ly = zl_malloc((size_t)used, sizeof(double), "held-out targets");
  double *lp = zl_malloc((size_t)used, sizeof(double), "held-out predictions");
  int *lf = zl_malloc((size_t)used, sizeof(int), "held-out folds");
  int *counts = zl_malloc((size_t)size, sizeof(int), "gather counts");
  int *displs = zl_malloc((size_t)size, sizeof(int), "gather offsets");
  double *gy = NULL, *gp = NULL;
  int *gf = NULL;
  int rc = (ly && lp && lf && counts && displs) ? 0 : ZL_ERR_RUNTIME;
  rc = zl_comm_agree(comm, rc);
  if (rc) goto done;
  for (int64_t i = 0, j = 0; i < rows->n; i++)
    if (rows->fold[i] >= 0) {
      ly[j] = rows->y[i];
      lp[j] = yhat[i];
      lf[j++] = rows->fold[i];
    }
  int m = MPI_Gather(&used, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
  if (m != MPI_SUCCESS) {
    rc = zl_mpi_error(m, "MPI_Gather(counts)", __FILE__, __LINE__);
    goto done;
  }
  int64_t total = 0;
  if (rank == 0) {
    for (int r = 0; r < size; r++) {
      displs[r] = (int)total;
      total += counts[r];
    }
    gy = zl_malloc((size_t)total, sizeof(double), "gathered targets");
    gp = zl_malloc((size_t)total, sizeof(double), "gathered predictions");
    gf = zl_malloc((size_t)total, sizeof(int), "gathered folds");
    if (!gy || !gp || !gf) rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  if (rc) goto done;
  if (MPI_Gatherv(ly, used, MPI_DOUBLE, gy, counts, displs, MPI_DOUBLE, 0, comm) != MPI_SUCCESS ||
      MPI_Gatherv(lp, used, MPI_DOUBLE, gp, counts, displs, MPI_DOUBLE, 0, comm) != MPI_SUCCESS ||
      MPI_Gatherv(lf, used, MPI_INT, gf, counts, displs, MPI_INT, 0, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Gatherv(predictions) failed");
  if (!rc && rank == 0) rc = score_folds(gy, gp, gf, total, K, lambda, res);
  rc = zl_comm_agree(comm, rc);
done:
  free(ly);
  free(lp);
  free(lf);
  free(counts);
  free(displs);
  free(gy);
  free(gp);
  free(gf);
  return rc;
}

/* Cross-validated ridge on one zoo's feature rows: λ per outer fold by inner CV, then held-out
 * predictions for every used row. */
static int cv_ridge(MPI_Comm comm, const zl_rows *rows, const double *X, int F, int K, double *yhat,
                    double *lambda, int grid[2]) {
  zl_cvridge cv = NULL;
  ZL_CALL(zl_cvridge_create(comm, F, K, &cv));
  zl_cvridge_grid(cv, &grid[0], &grid[1]);
  double lgrid[N_LAMBDA];
  int in_train[MAX_FOLDS];
  lambda_grid(lgrid);
  double *coef = zl_malloc((size_t)F + 1, sizeof(double), "ridge coefficients");
  int rc = zl_comm_agree(comm, coef ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = zl_cvridge_accumulate(cv, rows->n, X, rows->y, rows->fold);
  for (int k = 0; !rc && k < K; k++)
    if (zl_cvridge_fold_rows(cv, k) == 0)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "fold %d has no network with finite weights", k);
  for (int k = 0; !rc && k < K; k++) {
    rc = zl_cvridge_select_lambda(cv, k, lgrid, N_LAMBDA, &lambda[k]);
    for (int j = 0; j < K; j++) in_train[j] = j != k;
    if (!rc) rc = zl_cvridge_fit(cv, in_train, lambda[k], coef);
    for (int64_t i = 0; !rc && i < rows->n; i++) {
      if (rows->fold[i] != k) continue;
      double p = coef[0];
      for (int j = 0; j < F; j++) p += coef[1 + j] * X[i * F + j];
      yhat[i] = p;
    }
  }
  free(coef);
  zl_cvridge_destroy(&cv);
  return rc;
}

typedef struct {
  double read, features, solve;
} phase_times;

/* One CV block: everything about one zoo. */
static int analyze_zoo(MPI_Comm comm, const char *path, int index, const analyze_opts *o,
                       zl_predictions pred, zl_report_input *in, zl_report_result *res, int grid[2],
                       phase_times *t) {
  zl_zoo zoo = NULL;
  zl_rows rows = {0};
  double *X = NULL, *yhat = NULL, lambda[MAX_FOLDS];
  int rc = zl_zoo_open(comm, path, &zoo);
  if (rc) return rc;
  snprintf(in->path, sizeof in->path, "%s", path);
  snprintf(in->dataset, sizeof in->dataset, "%s", zl_zoo_dataset(zoo));
  snprintf(in->architecture, sizeof in->architecture, "%s", zl_zoo_architecture(zoo));
  in->rows_in_file = zl_zoo_n_rows(zoo);
  ZL_CALL_GOTO(rc, done, zl_rows_select(zoo, o->checkpoints, (int)o->folds, (uint64_t)o->seed, &rows));
  in->networks = rows.n_total;
  in->runs = rows.n_runs;
  int F = zl_features_wstats_count(zoo);
  X = zl_malloc((size_t)rows.n * F, sizeof(double), "feature rows");
  yhat = zl_calloc((size_t)rows.n, sizeof(double), "predictions");
  rc = zl_comm_agree(comm, (X && yhat) ? 0 : ZL_ERR_RUNTIME);
  if (rc) goto done;
  double tr = 0, tf = 0;
  ZL_CALL_GOTO(rc, done,
               zl_features_wstats(zoo, &rows, o->spread, X, &in->dropped_nonfinite, &tr, &tf));
  double t0 = MPI_Wtime();
  rc = zl_comm_agree(comm, cv_ridge(comm, &rows, X, F, (int)o->folds, yhat, lambda, grid));
  if (rc) {
    char why[ZL_ERROR_MAX];
    snprintf(why, sizeof why, "%s", zl_error_message());
    rc = ZL_ERR(rc, "%s: %s", path, why);
    goto done;
  }
  snprintf(res->train, sizeof res->train, "%s/%s", in->dataset, in->architecture);
  snprintf(res->test, sizeof res->test, "%s", res->train);
  snprintf(res->features, sizeof res->features, "%s", o->features);
  snprintf(res->estimator, sizeof res->estimator, "%s", o->estimator);
  res->folds = (int)o->folds;
  res->per_fold = zl_calloc((size_t)o->folds, sizeof(zl_fold_score), "fold scores");
  rc = zl_comm_agree(comm, res->per_fold ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = gather_and_score(comm, &rows, yhat, (int)o->folds, lambda, res);
  t->solve += MPI_Wtime() - t0;
  char group[80];
  snprintf(group, sizeof group, "%s_%s", res->features, res->estimator);
  if (!rc) rc = zl_predictions_add(pred, group, index, &rows, yhat);
  double mine[2] = {tr, tf}, slowest[2];
  if (!rc && MPI_Allreduce(mine, slowest, 2, MPI_DOUBLE, MPI_MAX, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Allreduce(timings) failed");
  if (!rc) {
    t->read += slowest[0];
    t->features += slowest[1];
  }
done:
  free(X);
  free(yhat);
  zl_rows_free(&rows);
  zl_zoo_destroy(&zoo);
  return rc;
}

static void print_summary(const zl_report_result *r, const zl_report_input *in) {
  printf("%s  %s %s: R² %.4f ± %.4f, Kendall τ %.4f ± %.4f, RMSE %.4f (%lld networks, %lld dropped, "
         "%d folds)\n",
         r->test, r->features, r->estimator, r->r2, r->r2_std, r->kendall_tau, r->kendall_tau_std,
         r->rmse, (long long)in->networks, (long long)in->dropped_nonfinite, r->folds);
}

int zl_cmd_analyze(int argc, char **argv, MPI_Comm comm) {
  analyze_opts o = {NULL, "wstats", "ridge", 5, 0, ZL_CHECKPOINTS_FINAL, ZL_SPREAD_STD};
  int first = 0;
  int rc = zl_cli_parse(comm, "analyze", "ZOO.h5... --out DIR [options]", options,
                        (int)(sizeof options / sizeof options[0]), on_option, &o, argc, argv, &first);
  if (rc == ZL_CLI_HELP) return 0;
  if (!rc && !o.out) rc = ZL_ERR(ZL_ERR_USAGE, "analyze: --out DIR is required");
  if (!rc && first >= argc) rc = ZL_ERR(ZL_ERR_USAGE, "analyze: give at least one zoo file");
  if (rc) return zl_cli_fail(comm, rc);

  double t_start = MPI_Wtime();
  time_t now = time(NULL);
  char started[32] = "unknown";
  struct tm tm;
  if (gmtime_r(&now, &tm)) strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int rank = zl_comm_rank(comm), n_zoos = argc - first;
  zl_report_input *inputs = zl_calloc((size_t)n_zoos, sizeof *inputs, "inputs");
  zl_report_result *results = zl_calloc((size_t)n_zoos, sizeof *results, "results");
  rc = (inputs && results) ? 0 : ZL_ERR_RUNTIME;
  if (!rc && rank == 0) rc = make_out_dir(o.out);
  rc = zl_comm_agree(comm, rc);
  phase_times t = {0, 0, 0};
  int grid[2] = {1, 1};
  char pred_path[4200];
  snprintf(pred_path, sizeof pred_path, "%s/predictions.h5", o.out);
  zl_predictions pred = NULL;
  if (!rc) rc = zl_predictions_create(comm, pred_path, &pred);
  for (int z = 0; !rc && z < n_zoos; z++) {
    rc = analyze_zoo(comm, argv[first + z], z, &o, pred, &inputs[z], &results[z], grid, &t);
    if (!rc && rank == 0) print_summary(&results[z], &inputs[z]);
  }
  if (!rc) rc = zl_predictions_commit(&pred);
  zl_predictions_destroy(&pred);
  /* Memory per rank is a design target (§6): report the largest peak over the ranks. */
  struct rusage ru;
  double rss = getrusage(RUSAGE_SELF, &ru) ? 0.0 : (double)ru.ru_maxrss / 1024.0, peak = 0.0;
  if (!rc && MPI_Allreduce(&rss, &peak, 1, MPI_DOUBLE, MPI_MAX, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Allreduce(peak memory) failed");
  if (!rc) {
    zl_report rep = {(uint64_t)o.seed, zl_comm_size(comm), {grid[0], grid[1]},
                     o.checkpoints == ZL_CHECKPOINTS_FINAL ? "final" : "all", started, t.read,
                     t.features, t.solve, MPI_Wtime() - t_start, peak, n_zoos, inputs, n_zoos,
                     results};
    if (rank == 0) {
      rc = zl_report_write(o.out, &rep);
      if (!rc) printf("report: %s/report.md (and report.json)\n", o.out);
      fflush(stdout);
    }
    rc = zl_comm_agree(comm, rc);
  }
  for (int z = 0; results && z < n_zoos; z++) free(results[z].per_fold);
  free(inputs);
  free(results);
  return zl_cli_fail(comm, rc);
}
