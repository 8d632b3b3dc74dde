/* zoolens analyze: feature sets from parallel HDF5 reads, cross-validated ridge and random-Fourier-
 * feature ridge on a BLACS grid, transfer across zoos, scores gathered on rank 0 (design §3). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "zl_cli.h"
#include "zl_comm.h"
#include "zl_estimate.h"
#include "zl_features.h"
#include "zl_jobs.h"
#include "zl_metrics.h"
#include "zl_plot.h"
#include "zl_predictions.h"
#include "zl_provenance.h"
#include "zl_report.h"
#include "zl_rng.h"
#include "zl_rows.h"

#define MAX_FOLDS 100
#define MAX_SPECS 16

/* A feature spec: one set, or several concatenated ("wstats+hparams"). */
typedef struct {
  char name[64];
  int sets[ZL_N_FEATSETS];
} feature_spec;

typedef struct {
  const char *out;
  int n_specs;
  feature_spec specs[MAX_SPECS];
  int estimators[ZL_N_ESTIMATORS];
  long long folds, seed, rff_features, dnn_epochs;
  int dnn_hidden[ZL_MLP_MAX_HIDDEN], dnn_layers;
  zl_checkpoints checkpoints;
  zl_spread spread;
  zl_digest digest;
} analyze_opts;

static const zl_opt options[] = {
    {"out", 1, "DIR", "output directory for report.json, report.md, predictions.h5 (required)"},
    {"features", 1, "LIST",
     "feature sets, comma-separated; a+b concatenates: wstats, hparams, spectral, pooled, flat "
     "(default wstats,hparams,spectral,pooled; flat costs O(P³) per training set)"},
    {"estimator", 1, "LIST",
     "estimators, comma-separated: ridge, rff, gbm (histogram gradient-boosted trees), dnn (an "
     "MLP, the paper's DNN; costly: see --dnn-hidden) (default ridge,rff)"},
    {"folds", 1, "K", "cross-validation folds, grouped by training run (default 5, at least 3)"},
    {"seed", 1, "S", "seed of the fold assignment and the random features (default 0)"},
    {"checkpoints", 1, "WHICH", "final: last checkpoint of each run (default); all: every row"},
    {"spread", 1, "NAME", "W-stats spread: std (population, the paper; default) or variance"},
    {"rff-features", 1, "D",
     "random Fourier features of the rff estimator (default 512; a zoo of at most 512 networks "
     "is fitted with the exact kernel)"},
    {"digest", 1, "ALG",
     "digest of the inputs in report.json: xxh128 (XXH3-128, default) or sha256 (cryptographic, "
     "about 4 times the CPU time)"},
    {"dnn-hidden", 1, "LIST",
     "hidden layer widths of the dnn estimator (--estimator dnn: an MLP trained by Adam, "
     "opt-in), comma-separated (default 1000,1000, the paper's DNN)"},
    {"dnn-epochs", 1, "N",
     "most epochs of a dnn fit; early stopping on an inner fold chooses fewer (default 200)"},
};

static int parse_hidden(analyze_opts *o, const char *arg) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", arg);
  o->dnn_layers = 0;
  for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
       item = strtok_r(NULL, ",", &save)) {
    long long units;
    if (o->dnn_layers == ZL_MLP_MAX_HIDDEN)
      return ZL_ERR(ZL_ERR_USAGE, "analyze: --dnn-hidden: more than %d layers", ZL_MLP_MAX_HIDDEN);
    ZL_CALL(zl_cli_long("analyze", "dnn-hidden", item, 1, 1 << 16, &units));
    o->dnn_hidden[o->dnn_layers++] = (int)units;
  }
  return o->dnn_layers ? 0 : ZL_ERR(ZL_ERR_USAGE, "analyze: --dnn-hidden: empty list");
}

static int parse_features(analyze_opts *o, const char *arg) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", arg);
  o->n_specs = 0;
  for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
       item = strtok_r(NULL, ",", &save)) {
    if (o->n_specs == MAX_SPECS)
      return ZL_ERR(ZL_ERR_USAGE, "analyze: --features: more than %d feature specs", MAX_SPECS);
    feature_spec *sp = &o->specs[o->n_specs++];
    memset(sp, 0, sizeof *sp);
    snprintf(sp->name, sizeof sp->name, "%s", item);
    for (char *s2 = NULL, *part = strtok_r(item, "+", &s2); part; part = strtok_r(NULL, "+", &s2)) {
      zl_featset s;
      if (zl_featset_parse(part, &s))
        return ZL_ERR(ZL_ERR_USAGE,
                      "analyze: --features: '%s' is not a feature set (wstats, hparams, flat, "
                      "spectral, pooled)",
                      part);
      sp->sets[s] = 1;
    }
  }
  if (!o->n_specs) return ZL_ERR(ZL_ERR_USAGE, "analyze: --features: empty list");
  return 0;
}

static int parse_estimators(analyze_opts *o, const char *arg) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", arg);
  memset(o->estimators, 0, sizeof o->estimators);
  int n = 0;
  for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
       item = strtok_r(NULL, ",", &save), n++) {
    zl_estimator e;
    if (zl_estimator_parse(item, &e))
      return ZL_ERR(ZL_ERR_USAGE,
                    "analyze: --estimator: '%s' is not an estimator (ridge, rff, gbm, dnn)", item);
    o->estimators[e] = 1;
  }
  return n ? 0 : ZL_ERR(ZL_ERR_USAGE, "analyze: --estimator: empty list");
}

static int on_option(void *ctx, int i, const char *arg) {
  analyze_opts *o = ctx;
  switch (i) {
  case 0:
    o->out = arg;
    return 0;
  case 1:
    return parse_features(o, arg);
  case 2:
    return parse_estimators(o, arg);
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
  case 6:
    if (!strcmp(arg, "std") || !strcmp(arg, "variance")) {
      o->spread = arg[0] == 's' ? ZL_SPREAD_STD : ZL_SPREAD_VARIANCE;
      return 0;
    }
    return ZL_ERR(ZL_ERR_USAGE, "analyze: --spread: '%s' is not std or variance", arg);
  case 7:
    return zl_cli_long("analyze", "rff-features", arg, 1, 1 << 16, &o->rff_features);
  case 9:
    return parse_hidden(o, arg);
  case 10:
    return zl_cli_long("analyze", "dnn-epochs", arg, 1, 100000, &o->dnn_epochs);
  default:
    if (zl_digest_parse(arg, &o->digest))
      return ZL_ERR(ZL_ERR_USAGE, "analyze: --digest: '%s' is not xxh128 or sha256", arg);
    return 0;
  }
}

static int make_out_dir(const char *dir) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot create the output directory: %s", dir,
                  strerror(errno));
  struct stat st;
  if (stat(dir, &st) || !S_ISDIR(st.st_mode))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: exists and is not a directory", dir);
  return 0;
}

static double mean_of(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += v[i];
  return s / n;
}

static double std_of(const double *v, int n) {
  double m = mean_of(v, n), s = 0;
  for (int i = 0; i < n; i++)
    s += (v[i] - m) * (v[i] - m);
  return n > 1 ? sqrt(s / (n - 1)) : 0.0;
}

static double median_of(double *v, int n) {
  for (int i = 1; i < n; i++) /* insertion sort: n is a fold count */
    for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return v[n / 2];
}

/* Held-out (y, ŷ, fold) of the used rows, gathered on rank 0. */
typedef struct {
  int64_t n;
  double *y, *p;
  int *fold;
} gathered;

static void gathered_free(gathered *g) {
  free(g->y);
  free(g->p);
  free(g->fold);
  memset(g, 0, sizeof *g);
}

static int gather_pairs(MPI_Comm comm, const zl_rows *rows, const double *yhat, gathered *g) {
  /* Used rows per rank fit an int: zl_rows_select checks the whole selection does. */
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm), used = (int)zl_rows_used(rows);
  memset(g, 0, sizeof *g);
  double *ly = zl_malloc((size_t)used, sizeof(double), "held-out targets");
  double *lp = zl_malloc((size_t)used, sizeof(double), "held-out predictions");
  int *lf = zl_malloc((size_t)used, sizeof(int), "held-out folds");
  int *counts = zl_malloc((size_t)size, sizeof(int), "gather counts");
  int *displs = zl_malloc((size_t)size, sizeof(int), "gather offsets");
  int rc = zl_comm_agree(comm, (ly && lp && lf && counts && displs) ? 0 : ZL_ERR_RUNTIME);
  for (int64_t i = 0, j = 0; !rc && i < rows->n; i++)
    if (rows->fold[i] >= 0) {
      ly[j] = rows->y[i];
      lp[j] = yhat[i];
      lf[j++] = rows->fold[i];
    }
  if (!rc) {
    int m = MPI_Gather(&used, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
    if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Gather(counts)", __FILE__, __LINE__);
  }
  if (!rc) rc = zl_fault(comm, "gather");
  if (!rc && rank == 0) {
    for (int r = 0; r < size; r++) {
      displs[r] = (int)g->n;
      g->n += counts[r];
    }
    g->y = zl_malloc((size_t)g->n, sizeof(double), "gathered targets");
    g->p = zl_malloc((size_t)g->n, sizeof(double), "gathered predictions");
    g->fold = zl_malloc((size_t)g->n, sizeof(int), "gathered folds");
    if (!g->y || !g->p || !g->fold) rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  if (!rc && (MPI_Gatherv(ly, used, MPI_DOUBLE, g->y, counts, displs, MPI_DOUBLE, 0, comm) ||
              MPI_Gatherv(lp, used, MPI_DOUBLE, g->p, counts, displs, MPI_DOUBLE, 0, comm) ||
              MPI_Gatherv(lf, used, MPI_INT, g->fold, counts, displs, MPI_INT, 0, comm)))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Gatherv(predictions) failed");
  free(ly);
  free(lp);
  free(lf);
  free(counts);
  free(displs);
  if (rc) gathered_free(g);
  return rc;
}

/* Rank 0: R², τ, RMSE of the pairs with fold == k (k < 0: all of them). */
static int score(const gathered *g, int k, zl_fold_score *s) {
  double *fy = zl_malloc((size_t)g->n, sizeof(double), "fold targets");
  double *fp = zl_malloc((size_t)g->n, sizeof(double), "fold predictions");
  if (!fy || !fp) {
    free(fy);
    free(fp);
    return ZL_ERR_RUNTIME;
  }
  int64_t m = 0;
  for (int64_t i = 0; i < g->n; i++)
    if (k < 0 || g->fold[i] == k) {
      fy[m] = g->y[i];
      fp[m++] = g->p[i];
    }
  s->n = (int)m;
  s->r2 = zl_r2(fy, fp, (size_t)m);
  s->rmse = zl_rmse(fy, fp, (size_t)m);
  int rc = zl_kendall_tau_b(fy, fp, (size_t)m, &s->kendall_tau);
  free(fy);
  free(fp);
  return rc;
}

/* Rank 0: per-fold scores and their means and spreads. */
static int score_cv(const gathered *g, const zl_choice *choice, zl_report_result *res) {
  int K = res->folds;
  double r2[MAX_FOLDS], tau[MAX_FOLDS], rmse[MAX_FOLDS], lam[MAX_FOLDS], bw[MAX_FOLDS];
  for (int k = 0; k < K; k++) {
    zl_fold_score *f = &res->per_fold[k];
    ZL_CALL(score(g, k, f));
    f->lambda = lam[k] = choice[k].lambda;
    f->bandwidth = bw[k] = choice[k].bandwidth > 0 ? choice[k].bandwidth : NAN;
    f->trees = choice[k].trees;
    f->depth = choice[k].depth;
    f->min_rows = choice[k].min_rows;
    f->epochs = choice[k].epochs;
    r2[k] = f->r2;
    tau[k] = f->kendall_tau;
    rmse[k] = f->rmse;
  }
  res->r2 = mean_of(r2, K);
  res->r2_std = std_of(r2, K);
  res->kendall_tau = mean_of(tau, K);
  res->kendall_tau_std = std_of(tau, K);
  res->rmse = mean_of(rmse, K);
  res->lambda = median_of(lam, K);
  res->bandwidth = median_of(bw, K);
  res->networks = g->n;
  return 0;
}

/* Everything known about one input zoo. */
typedef struct {
  zl_report_input in;
  zl_rows rows;
  zl_featmat sets[ZL_N_FEATSETS];
} zoo_data;

static void zoo_data_free(zoo_data *z) {
  free(z->in.path);
  free(z->in.files);
  zl_rows_free(&z->rows);
  for (int s = 0; s < ZL_N_FEATSETS; s++)
    zl_featmat_free(&z->sets[s]);
}

typedef struct {
  double checksum, read, features, solve;
} phase_times;

/* The zoo files to analyse: the paths in buf, one after another, each ending in a NUL. */
typedef struct {
  char *buf;
  char **path;
  int n;
} input_list;

static void input_list_free(input_list *l) {
  free(l->buf);
  free(l->path);
  memset(l, 0, sizeof *l);
}

/* Rank 0: appends s and its NUL to the list's buffer. */
static int append_path(input_list *l, size_t *len, size_t *cap, const char *dir, const char *name) {
  size_t need = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
  if (l->n == INT_MAX) return ZL_ERR(ZL_ERR_USAGE, "analyze: more than %d zoo files", INT_MAX);
  if (*len + need > *cap) {
    size_t want = 2 * (*len + need);
    char *b = realloc(l->buf, want);
    if (!b) return ZL_ERR(ZL_ERR_RUNTIME, "out of memory (%zu bytes of input paths)", want);
    l->buf = b;
    *cap = want;
  }
  /* "DIR/" gets no second slash. */
  int slash = dir && dir[0] && dir[strlen(dir) - 1] != '/';
  *len += (size_t)sprintf(l->buf + *len, "%s%s%s", dir ? dir : "", slash ? "/" : "", name) + 1;
  l->n++;
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rank 0: the *.h5 files of directory dir, in name order. Hidden files are skipped, as a shell's
 * pattern *.h5 would, and so are the *.h5.part files of a train still writing. */
static int list_dir(const char *dir, input_list *l, size_t *len, size_t *cap) {
  DIR *d = opendir(dir);
  if (!d) return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot list the directory: %s", dir, strerror(errno));
  char **names = NULL;
  size_t n = 0, n_cap = 0;
  int rc = 0;
  errno = 0;
  for (struct dirent *e; !rc && (e = readdir(d));) {
    size_t k = strlen(e->d_name);
    if (e->d_name[0] == '.' || k < 4 || strcmp(e->d_name + k - 3, ".h5")) continue;
    if (n == n_cap) {
      n_cap = n_cap ? 2 * n_cap : 64;
      char **grown = realloc(names, n_cap * sizeof *names);
      if (!grown)
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory listing the directory", dir);
      else
        names = grown;
    }
    if (!rc && !(names[n++] = strdup(e->d_name)))
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory listing the directory", dir);
    errno = 0;
  }
  if (!rc && errno)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot list the directory: %s", dir, strerror(errno));
  closedir(d);
  if (!rc && n == 0) rc = ZL_ERR(ZL_ERR_USAGE, "analyze: %s: no *.h5 files in the directory", dir);
  if (!rc) qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; !rc && i < n; i++)
    rc = append_path(l, len, cap, dir, names[i]);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}

/* The zoo files named by args: a file stands for itself, a directory for its *.h5 files in name
 * order (design §7; a SLURM job array writes one file per task into one directory). Rank 0 lists
 * the directories and broadcasts the list, so every rank opens the same files even while a job
 * array is still adding to the directory. Collective. */
static int expand_inputs(MPI_Comm comm, char **args, int n_args, input_list *l) {
  size_t len = 0, cap = 0;
  int rc = 0;
  memset(l, 0, sizeof *l);
  for (int i = 0; !rc && zl_comm_rank(comm) == 0 && i < n_args; i++) {
    struct stat st;
    /* Anything but a directory is taken as a zoo file; opening it reports what is wrong. */
    if (!stat(args[i], &st) && S_ISDIR(st.st_mode))
      rc = list_dir(args[i], l, &len, &cap);
    else
      rc = append_path(l, &len, &cap, NULL, args[i]);
  }
  if (!rc && len > INT_MAX)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%zu bytes of input paths exceed MPI's int counts", len);
  ZL_CALL_GOTO(rc, fail, zl_comm_root_status(comm, rc));
  int64_t hdr[2] = {(int64_t)len, l->n};
  int m = MPI_Bcast(hdr, 2, MPI_INT64_T, 0, comm);
  if (m != MPI_SUCCESS)
    ZL_CALL_GOTO(rc, fail, zl_mpi_error(m, "MPI_Bcast(paths)", __FILE__, __LINE__));
  l->n = (int)hdr[1];
  if (zl_comm_rank(comm) != 0) l->buf = zl_malloc((size_t)hdr[0], 1, "input paths");
  l->path = zl_malloc((size_t)l->n, sizeof *l->path, "input paths");
  ZL_CALL_GOTO(rc, fail, zl_comm_agree(comm, (l->buf && l->path) ? 0 : ZL_ERR_RUNTIME));
  m = MPI_Bcast(l->buf, (int)hdr[0], MPI_CHAR, 0, comm);
  if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Bcast(paths)", __FILE__, __LINE__);
  ZL_CALL_GOTO(rc, fail, zl_comm_agree(comm, rc));
  for (int i = 0, at = 0; i < l->n; i++) {
    l->path[i] = l->buf + at;
    at += (int)strlen(l->path[i]) + 1;
  }
  return 0;
fail:
  input_list_free(l);
  return rc;
}

/* Opens every input file to read and validate its metadata, and groups the files into zoos by
 * (dataset, architecture), in order of first appearance: the files of a SLURM job array's tasks
 * form one zoo (design §4). Each file is suspended right after (zl_zoo_suspend), so a thousand
 * shards need one file open at a time, not a thousand. */
static int open_inputs(MPI_Comm comm, char **paths, int n, zl_zoo *files, int *group,
                       int *n_groups) {
  int rc = 0, *first = zl_malloc((size_t)n, sizeof(int), "zoo groups");
  ZL_CALL(zl_comm_agree(comm, first ? 0 : ZL_ERR_RUNTIME));
  *n_groups = 0;
  for (int i = 0; !rc && i < n; i++) {
    rc = zl_zoo_open(comm, paths[i], &files[i]);
    if (!rc) rc = zl_zoo_suspend(files[i]);
    if (rc) break;
    group[i] = -1;
    for (int g = 0; g < *n_groups && group[i] < 0; g++)
      if (!strcmp(zl_zoo_dataset(files[i]), zl_zoo_dataset(files[first[g]])) &&
          !strcmp(zl_zoo_architecture(files[i]), zl_zoo_architecture(files[first[g]])))
        group[i] = g;
    if (group[i] < 0) {
      first[*n_groups] = i;
      group[i] = (*n_groups)++;
    }
  }
  free(first);
  return rc;
}

static int load_zoo(MPI_Comm comm, zl_zoo *files, int n_files, const analyze_opts *o, zoo_data *z,
                    phase_times *t) {
  zl_report_input *in = &z->in;
  size_t len = 0;
  for (int f = 0; f < n_files; f++)
    len += strlen(zl_zoo_path(files[f])) + 1;
  in->rows_in_file = 0;
  in->files = zl_calloc((size_t)n_files, sizeof *in->files, "input files");
  in->path = zl_malloc(len, 1, "input paths");
  ZL_CALL(zl_comm_agree(comm, (in->files && in->path) ? 0 : ZL_ERR_RUNTIME));
  in->n_files = n_files;
  len = 0;
  for (int f = 0; f < n_files; f++) {
    len += (size_t)sprintf(in->path + len, "%s%s", f ? "," : "", zl_zoo_path(files[f]));
    in->rows_in_file += zl_zoo_n_rows(files[f]);
    snprintf(in->files[f].path, sizeof in->files[f].path, "%s", zl_zoo_path(files[f]));
    in->files[f].rows = zl_zoo_n_rows(files[f]);
  }
  snprintf(in->dataset, sizeof in->dataset, "%s", zl_zoo_dataset(files[0]));
  snprintf(in->architecture, sizeof in->architecture, "%s", zl_zoo_architecture(files[0]));
  int want[ZL_N_FEATSETS] = {0};
  for (int i = 0; i < o->n_specs; i++)
    for (int s = 0; s < ZL_N_FEATSETS; s++)
      want[s] |= o->specs[i].sets[s];
  double tr = 0, tf = 0;
  int rc = zl_comm_agree(comm, zl_features_check_files(files, n_files));
  if (!rc)
    rc = zl_rows_select(files, n_files, o->checkpoints, (int)o->folds, (uint64_t)o->seed, &z->rows);
  if (!rc)
    rc = zl_features_compute(files, n_files, &z->rows, want, o->spread, z->sets,
                             &in->dropped_nonfinite, &tr, &tf);
  in->networks = z->rows.n_total;
  in->runs = z->rows.n_runs;
  double mine[2] = {tr, tf}, slowest[2] = {0, 0};
  if (!rc && MPI_Allreduce(mine, slowest, 2, MPI_DOUBLE, MPI_MAX, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Allreduce(timings) failed");
  t->read += slowest[0];
  t->features += slowest[1];
  return rc;
}

/* Opens the inputs, groups them into *n_zoos zoos and loads each zoo's rows and features into
 * *zoos (allocated here; free each with zoo_data_free, also after an error). */
static int load_inputs(MPI_Comm comm, char **paths, int n, const analyze_opts *o, zoo_data **zoos,
                       int *n_zoos, phase_times *t) {
  zl_zoo *files = zl_calloc((size_t)n, sizeof *files, "zoo files");
  zl_zoo *members = zl_calloc((size_t)n, sizeof *members, "zoo files");
  int *group = zl_calloc((size_t)n, sizeof *group, "zoo groups");
  char(*sha)[65] = zl_calloc((size_t)n, 65, "checksums");
  int rc = zl_comm_agree(comm, (files && members && group && sha) ? 0 : ZL_ERR_RUNTIME);
  *zoos = NULL;
  *n_zoos = 0;
  if (!rc) rc = open_inputs(comm, paths, n, files, group, n_zoos);
  if (!rc) {
    *zoos = zl_calloc((size_t)*n_zoos, sizeof **zoos, "inputs");
    rc = zl_comm_agree(comm, *zoos ? 0 : ZL_ERR_RUNTIME);
    if (rc) *n_zoos = 0;
  }
  for (int z = 0; !rc && z < *n_zoos; z++) {
    int m = 0;
    for (int i = 0; i < n; i++)
      if (group[i] == z) members[m++] = files[i];
    rc = load_zoo(comm, members, m, o, &(*zoos)[z], t);
  }
  /* The digests come after the weights were read, not before: read first, a zoo about as big as
   * the page cache (10^6 networks, 20 GB, on 24 GB of memory) came from the disk for the digest
   * and again for the weights, and the digest took 25 s of 90 even with XXH3. Read last, most of
   * it is still cached (the pieces are hashed last to first, the most recently read first): 7.4 s
   * of 80 on the same busy machine. */
  double t0 = MPI_Wtime();
  if (!rc)
    rc = zl_checksum_files(comm, o->digest, (const char *const *)paths, n, ZL_CHECKSUM_PIECE_BYTES,
                           sha);
  t->checksum = MPI_Wtime() - t0;
  for (int z = 0; !rc && z < *n_zoos; z++)
    for (int i = 0, m = 0; i < n; i++)
      if (group[i] == z) memcpy((*zoos)[z].in.files[m++].digest, sha[i], 65);
  free(sha);
  for (int i = 0; files && i < n; i++)
    zl_zoo_destroy(&files[i]);
  free(files);
  free(members);
  free(group);
  return rc;
}

/* The feature matrix of spec for zoo z: the sets side by side. *owned tells whether to free it. */
static int spec_matrix(MPI_Comm comm, const zoo_data *z, const feature_spec *sp, double **X, int *F,
                       int *owned, uint64_t *columns) {
  int n_sets = 0, only = 0;
  *F = 0;
  *columns = 0;
  for (int s = 0; s < ZL_N_FEATSETS; s++)
    if (sp->sets[s]) {
      *F += z->sets[s].F;
      *columns = zl_hash64(*columns, z->sets[s].columns);
      n_sets++;
      only = s;
    }
  if (n_sets == 1) {
    *X = z->sets[only].X;
    *owned = 0;
    return 0;
  }
  int64_t n = z->rows.n;
  *X = zl_malloc((size_t)n * (size_t)*F, sizeof(double), "combined features");
  *owned = 1;
  ZL_CALL(zl_comm_agree(comm, *X ? 0 : ZL_ERR_RUNTIME));
  for (int64_t i = 0; i < n; i++)
    for (int s = 0, j = 0; s < ZL_N_FEATSETS; s++)
      if (sp->sets[s]) {
        memcpy(*X + i * *F + j, z->sets[s].X + i * z->sets[s].F, sizeof(double) * z->sets[s].F);
        j += z->sets[s].F;
      }
  return 0;
}

static void name_result(zl_report_result *r, const zoo_data *train, const zoo_data *test,
                        const char *features, zl_estimator e) {
  snprintf(r->train, sizeof r->train, "%s/%s", train->in.dataset, train->in.architecture);
  snprintf(r->test, sizeof r->test, "%s/%s", test->in.dataset, test->in.architecture);
  snprintf(r->features, sizeof r->features, "%s", features);
  snprintf(r->estimator, sizeof r->estimator, "%s", zl_estimator_name(e));
}

/* Results of one (spec, estimator): a CV block per zoo, then transfer between every pair of zoos
 * whose feature spaces match. */
typedef struct {
  zl_report_result *r;
  int n, cap;
} result_list;

/* The next result, the list grown as needed: zoos can be many, and transfer makes their pairs. */
static zl_report_result *next_result(result_list *l) {
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    zl_report_result *r = realloc(l->r, (size_t)cap * sizeof *r);
    if (!r) {
      (void)ZL_ERR(ZL_ERR_RUNTIME, "out of memory (%d results)", cap);
      return NULL;
    }
    l->r = r;
    l->cap = cap;
  }
  zl_report_result *r = &l->r[l->n++];
  memset(r, 0, sizeof *r);
  return r;
}

/* Rank 0: DIR/pred_<dataset>_<arch>_<features>_<estimator>.svg, predicted against true. */
static int plot_predictions(const char *dir, const zl_report_result *res, const gathered *g) {
  char name[400], path[4600], title[400];
  snprintf(name, sizeof name, "pred_%s_%s_%s.svg", res->test, res->features, res->estimator);
  for (char *c = name; *c; c++)
    if (*c == '/' || *c == '+') *c = '_';
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(title, sizeof title, "%s, %s, %s: R² = %.3f, τ = %.3f (held-out folds)", res->test,
           res->features, res->estimator, res->r2, res->kendall_tau);
  return zl_plot_scatter(path, title, "true test accuracy", "predicted test accuracy", g->y, g->p,
                         (size_t)g->n);
}

/* The estimators' options from analyze's. */
static zl_estimate_opts estimate_opts(const analyze_opts *o) {
  zl_estimate_opts eo = {(int)o->folds, (uint64_t)o->seed, (int)o->rff_features,
                         {0},           o->dnn_layers,     (int)o->dnn_epochs};
  memcpy(eo.dnn_hidden, o->dnn_hidden, sizeof eo.dnn_hidden);
  return eo;
}

static int run_cv(MPI_Comm comm, const analyze_opts *o, zoo_data *z, int zi, const double *X, int F,
                  const feature_spec *sp, zl_estimator e, zl_predictions pred,
                  zl_report_result *res, int grid[2]) {
  int rank = zl_comm_rank(comm), K = (int)o->folds;
  zl_estimate_opts eo = estimate_opts(o);
  zl_choice choice[MAX_FOLDS] = {{0}};
  double *yhat = zl_calloc((size_t)z->rows.n, sizeof(double), "predictions");
  name_result(res, z, z, sp->name, e);
  res->folds = K;
  res->per_fold = zl_calloc((size_t)K, sizeof(zl_fold_score), "fold scores");
  /* The estimator's fault point: a failure agreed on before it starts, as its own are. */
  int rc = zl_comm_agree(comm, (yhat && res->per_fold) ? zl_fault(comm, zl_estimator_name(e))
                                                       : ZL_ERR_RUNTIME);
  if (!rc) rc = zl_estimate_cv(comm, e, &eo, &z->rows, X, F, yhat, choice, grid);
  if (rc) {
    char why[ZL_ERROR_MAX];
    snprintf(why, sizeof why, "%s", zl_error_message());
    rc = ZL_ERR(rc, "%s: %s %s: %s", z->in.path, sp->name, zl_estimator_name(e), why);
  }
  gathered g = {0};
  if (!rc) rc = gather_pairs(comm, &z->rows, yhat, &g);
  if (!rc && rank == 0) rc = score_cv(&g, choice, res);
  if (!rc && rank == 0) rc = plot_predictions(o->out, res, &g);
  rc = zl_comm_agree(comm, rc);
  char group[160];
  snprintf(group, sizeof group, "%s_%s", sp->name, zl_estimator_name(e));
  if (!rc) rc = zl_predictions_add(pred, group, zi, &z->rows, yhat);
  gathered_free(&g);
  free(yhat);
  return rc;
}

static int run_transfer(MPI_Comm comm, const analyze_opts *o, zoo_data *a, const double *XA,
                        zoo_data *b, const double *XB, int F, const feature_spec *sp,
                        zl_estimator e, zl_report_result *res) {
  zl_estimate_opts eo = estimate_opts(o);
  zl_choice choice = {0};
  double *yhat = zl_calloc((size_t)b->rows.n, sizeof(double), "predictions");
  name_result(res, a, b, sp->name, e);
  int rc = zl_comm_agree(comm, yhat ? zl_fault(comm, "transfer") : ZL_ERR_RUNTIME);
  if (!rc) rc = zl_estimate_transfer(comm, e, &eo, &a->rows, XA, &b->rows, XB, F, yhat, &choice);
  gathered g = {0};
  if (!rc) rc = gather_pairs(comm, &b->rows, yhat, &g);
  if (!rc && zl_comm_rank(comm) == 0) {
    zl_fold_score s;
    rc = score(&g, -1, &s);
    res->r2 = s.r2;
    res->kendall_tau = s.kendall_tau;
    res->rmse = s.rmse;
    res->networks = g.n;
    res->r2_std = res->kendall_tau_std = NAN;
    res->lambda = choice.lambda;
    res->bandwidth = choice.bandwidth > 0 ? choice.bandwidth : NAN;
    res->trees = choice.trees;
    res->depth = choice.depth;
    res->min_rows = choice.min_rows;
    res->epochs = choice.epochs;
  }
  rc = zl_comm_agree(comm, rc);
  gathered_free(&g);
  free(yhat);
  return rc;
}

static void print_summary(const zl_report_result *r) {
  if (!strcmp(r->train, r->test))
    printf("%-22s %-16s %-6s R² %.4f ± %.4f  τ %.4f ± %.4f  RMSE %.4f  (%lld networks, %d folds)\n",
           r->test, r->features, r->estimator, r->r2, r->r2_std, r->kendall_tau, r->kendall_tau_std,
           r->rmse, (long long)r->networks, r->folds);
  else
    printf("%-22s %-16s %-6s R² %.4f  τ %.4f  RMSE %.4f  (transfer from %s, %lld networks)\n",
           r->test, r->features, r->estimator, r->r2, r->kendall_tau, r->rmse, r->train,
           (long long)r->networks);
}

/* Every spec × estimator on every zoo, then transfer. */
static int run_all(MPI_Comm comm, const analyze_opts *o, zoo_data *zoos, int n_zoos,
                   zl_predictions pred, result_list *res, int grid[2]) {
  int rc = 0, rank = zl_comm_rank(comm);
  for (int si = 0; !rc && si < o->n_specs; si++) {
    const feature_spec *sp = &o->specs[si];
    double **X = zl_calloc((size_t)n_zoos, sizeof *X, "feature matrices");
    int *F = zl_calloc((size_t)n_zoos, sizeof *F, "feature counts");
    int *owned = zl_calloc((size_t)n_zoos, sizeof *owned, "feature matrices");
    uint64_t *cols = zl_calloc((size_t)n_zoos, sizeof *cols, "feature columns");
    rc = zl_comm_agree(comm, (X && F && owned && cols) ? 0 : ZL_ERR_RUNTIME);
    for (int z = 0; !rc && z < n_zoos; z++)
      rc = spec_matrix(comm, &zoos[z], sp, &X[z], &F[z], &owned[z], &cols[z]);
    for (int e = 0; !rc && e < ZL_N_ESTIMATORS; e++) {
      if (!o->estimators[e]) continue;
      for (int z = 0; !rc && z < n_zoos; z++) {
        zl_report_result *r = next_result(res);
        rc = zl_comm_agree(comm, r ? 0 : ZL_ERR_RUNTIME);
        if (!rc) rc = run_cv(comm, o, &zoos[z], z, X[z], F[z], sp, (zl_estimator)e, pred, r, grid);
        if (!rc && rank == 0) print_summary(r);
      }
      for (int a = 0; !rc && a < n_zoos; a++)
        for (int b = 0; !rc && b < n_zoos; b++) {
          if (a == b || F[a] != F[b] || cols[a] != cols[b])
            continue; /* columns must mean the same */
          zl_report_result *r = next_result(res);
          rc = zl_comm_agree(comm, r ? 0 : ZL_ERR_RUNTIME);
          if (!rc)
            rc =
                run_transfer(comm, o, &zoos[a], X[a], &zoos[b], X[b], F[a], sp, (zl_estimator)e, r);
          if (!rc && rank == 0) print_summary(r);
        }
    }
    for (int z = 0; X && owned && z < n_zoos; z++)
      if (owned[z]) free(X[z]);
    free(X);
    free(F);
    free(owned);
    free(cols);
    /* Feature rows that no later spec reads go now: then the sets still to come, not all of them,
     * share the memory with the estimators' copies and predictions.h5's image on rank 0 (at 10⁶
     * networks on 2 ranks the four default sets hold 440 MB per rank). */
    for (int s = 0; s < ZL_N_FEATSETS; s++) {
      int later = 0;
      for (int sj = si + 1; sj < o->n_specs; sj++)
        later |= o->specs[sj].sets[s];
      for (int z = 0; sp->sets[s] && !later && z < n_zoos; z++)
        zl_featmat_free(&zoos[z].sets[s]);
    }
  }
  return rc;
}

int zl_cmd_analyze(int argc, char **argv, MPI_Comm comm) {
  analyze_opts o = {.out = NULL,
                    .folds = 5,
                    .seed = 0,
                    .rff_features = 512,
                    .checkpoints = ZL_CHECKPOINTS_FINAL,
                    .spread = ZL_SPREAD_STD,
                    .digest = ZL_DIGEST_XXH128};
  int first = 0, blas_threads = zl_blas_threads();
  int rc = parse_features(&o, "wstats,hparams,spectral,pooled");
  if (!rc) rc = parse_estimators(&o, "ridge,rff");
  if (!rc)
    rc = zl_cli_parse(comm, "analyze", "ZOO.h5|DIR... --out DIR [options]", options,
                      (int)(sizeof options / sizeof options[0]), on_option, &o, argc, argv, &first);
  if (rc == ZL_CLI_HELP) return 0;
  if (!rc && !o.out) rc = ZL_ERR(ZL_ERR_USAGE, "analyze: --out DIR is required");
  if (!rc && first >= argc) rc = ZL_ERR(ZL_ERR_USAGE, "analyze: give at least one zoo file");
  if (rc) return zl_cli_fail(comm, rc);
  input_list files;
  rc = expand_inputs(comm, argv + first, argc - first, &files);
  if (rc) return zl_cli_fail(comm, rc);

  double t_start = MPI_Wtime();
  time_t now = time(NULL);
  char started[32] = "unknown";
  struct tm tm;
  if (gmtime_r(&now, &tm)) strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int rank = zl_comm_rank(comm), n_zoos = 0;
  zoo_data *zoos = NULL;
  zl_report_input *inputs = NULL;
  result_list res = {NULL, 0, 0};
  if (rank == 0) rc = make_out_dir(o.out);
  rc = zl_comm_agree(comm, rc);
  phase_times t = {0, 0, 0, 0};
  if (!rc) rc = load_inputs(comm, files.path, files.n, &o, &zoos, &n_zoos, &t);
  if (!rc) {
    inputs = zl_calloc((size_t)n_zoos, sizeof *inputs, "inputs");
    rc = zl_comm_agree(comm, inputs ? 0 : ZL_ERR_RUNTIME);
  }
  char pred_path[4200];
  snprintf(pred_path, sizeof pred_path, "%s/predictions.h5", o.out);
  zl_predictions pred = NULL;
  int grid[2] = {1, 1};
  double t0 = MPI_Wtime();
  if (!rc) rc = zl_predictions_create(comm, pred_path, &pred);
  if (!rc) rc = run_all(comm, &o, zoos, n_zoos, pred, &res, grid);
  if (!rc) rc = zl_predictions_commit(&pred);
  int pred_committed = !rc, report_written = 0;
  zl_predictions_destroy(&pred);
  t.solve = MPI_Wtime() - t0;
  /* Memory per rank is a design target (§6): report the largest peak over the ranks. */
  struct rusage ru;
  double rss = getrusage(RUSAGE_SELF, &ru) ? 0.0 : (double)ru.ru_maxrss / 1024.0, peak = 0.0;
  if (!rc && MPI_Allreduce(&rss, &peak, 1, MPI_DOUBLE, MPI_MAX, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Allreduce(peak memory) failed");
  if (!rc) {
    for (int z = 0; z < n_zoos; z++)
      inputs[z] = zoos[z].in;
    zl_report rep = {.seed = (uint64_t)o.seed,
                     .ranks = zl_comm_size(comm),
                     .grid = {grid[0], grid[1]},
                     .blas_threads = blas_threads,
                     .checkpoints = o.checkpoints == ZL_CHECKPOINTS_FINAL ? "final" : "all",
                     .started = started,
                     .digest = o.digest,
                     .seconds_checksum = t.checksum,
                     .seconds_read = t.read,
                     .seconds_features = t.features,
                     .seconds_solve = t.solve,
                     .seconds_total = MPI_Wtime() - t_start,
                     .peak_rss_mib = peak,
                     .n_inputs = n_zoos,
                     .inputs = inputs,
                     .n_results = res.n,
                     .results = res.r};
    if (rank == 0) rc = zl_report_write(o.out, &rep);
    report_written = rank == 0 && !rc;
    rc = zl_comm_agree(comm, rc ? rc : zl_fault(comm, "report"));
    if (!rc && rank == 0) printf("report: %s/report.md (and report.json, predictions.h5)\n", o.out);
    fflush(stdout);
  }
  /* A failed job leaves no output that looks finished: predictions.h5 next to a missing or
   * partial report would, and so would a whole report when another rank failed after rank 0 wrote
   * it. Rank 0 just renamed these into this directory, so removing them cannot reasonably fail;
   * the error line stays the one about the failure. report.json goes first, as it came last. */
  const char *const written[] = {"report.json", "report.md"};
  for (int i = 0; rc && report_written && i < 2; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", o.out, written[i]);
    (void)remove(path);
  }
  if (rc && pred_committed && rank == 0) (void)remove(pred_path);
  for (int z = 0; zoos && z < n_zoos; z++)
    zoo_data_free(&zoos[z]);
  for (int i = 0; res.r && i < res.n; i++)
    free(res.r[i].per_fold);
  free(zoos);
  free(inputs);
  free(res.r);
  input_list_free(&files);
  return zl_cli_fail(comm, rc);
}
