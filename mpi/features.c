#include "zl_features.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_pooled.h"
#include "zl_progress.h"
#include "zl_rng.h"
#include "zl_spectral.h"

static uint64_t hash_text(uint64_t h, const char *s) {
  for (; *s; s++)
    h = zl_hash64(h, (unsigned char)*s);
  return zl_hash64(h, 0);
}

static const char *const set_names[ZL_N_FEATSETS] = {"wstats", "hparams", "flat", "spectral",
                                                     "pooled"};

int zl_featset_parse(const char *name, zl_featset *s) {
  for (int i = 0; i < ZL_N_FEATSETS; i++)
    if (!strcmp(name, set_names[i])) {
      *s = (zl_featset)i;
      return 0;
    }
  return ZL_ERR_USAGE;
}

void zl_featmat_free(zl_featmat *m) {
  free(m->X);
  memset(m, 0, sizeof *m);
}

/* Scratch for the weight-based sets of one row. */
typedef struct {
  int T, n_kernels;
  int64_t P, *offset, *size, *kernel_offset;
  int *is_kernel;
  float *scratch;       /* max tensor size: W-stats; 2·P: pooled */
  zl_spectral_ctx spec; /* NULL unless spectral features are wanted */
} row_ctx;

static void row_ctx_free(row_ctx *c) {
  free(c->offset);
  free(c->size);
  free(c->kernel_offset);
  free(c->is_kernel);
  free(c->scratch);
  zl_spectral_destroy(&c->spec);
}

/* The spectral context: every kernel as a matrix of prod(shape[:-1]) × shape[-1]. */
static int spectral_init(zl_zoo zoo, row_ctx *c) {
  int *rows = zl_malloc((size_t)c->T, sizeof(int), "kernel shapes");
  int *cols = zl_malloc((size_t)c->T, sizeof(int), "kernel shapes");
  int rc = (rows && cols) ? 0 : ZL_ERR_RUNTIME;
  for (int t = 0, k = 0; !rc && t < c->T; t++) {
    if (!c->is_kernel[t]) continue;
    const zl_tensor *z = zl_zoo_tensor(zoo, t);
    if (zl_shape_matrix(z->shape, &rows[k], &cols[k]) || (int64_t)rows[k] * cols[k] != z->size) {
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /layout: %s: shape %s does not hold its %lld parameters",
                  zl_zoo_path(zoo), z->name, z->shape, (long long)z->size);
      break;
    }
    k++;
  }
  if (!rc && c->n_kernels == 0)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /layout has no kernel tensor", zl_zoo_path(zoo));
  if (!rc) rc = zl_spectral_create(c->n_kernels, rows, cols, &c->spec);
  free(rows);
  free(cols);
  return rc;
}

static int row_ctx_init(zl_zoo zoo, const int *want, row_ctx *c) {
  memset(c, 0, sizeof *c);
  c->T = zl_zoo_n_tensors(zoo);
  c->P = zl_zoo_n_params(zoo);
  c->offset = zl_malloc((size_t)c->T, sizeof(int64_t), "layout offsets");
  c->size = zl_malloc((size_t)c->T, sizeof(int64_t), "layout sizes");
  c->kernel_offset = zl_malloc((size_t)c->T, sizeof(int64_t), "kernel offsets");
  c->is_kernel = zl_malloc((size_t)c->T, sizeof(int), "tensor kinds");
  c->scratch = zl_malloc(2 * (size_t)c->P, sizeof(float), "selection scratch");
  if (!c->offset || !c->size || !c->kernel_offset || !c->is_kernel || !c->scratch)
    return ZL_ERR_RUNTIME;
  for (int t = 0; t < c->T; t++) {
    const zl_tensor *z = zl_zoo_tensor(zoo, t);
    c->offset[t] = z->offset;
    c->size[t] = z->size;
    c->is_kernel[t] = z->kind == ZL_TENSOR_KERNEL;
    if (c->is_kernel[t]) c->kernel_offset[c->n_kernels++] = z->offset;
  }
  return want[ZL_FEAT_SPECTRAL] ? spectral_init(zoo, c) : 0;
}

static int weight_set_width(const row_ctx *c, zl_featset s) {
  switch (s) {
  case ZL_FEAT_WSTATS:
    return ZL_WSTATS_PER_TENSOR * c->T;
  case ZL_FEAT_FLAT:
    return (int)c->P;
  case ZL_FEAT_SPECTRAL:
    return zl_spectral_count(c->n_kernels);
  case ZL_FEAT_POOLED:
    return ZL_POOLED_COUNT;
  default:
    return 0;
  }
}

/* The sets other than W-stats, which weight_sets computes first: they tell whether the row is
 * finite. */
static int weight_set_row(row_ctx *c, zl_featset s, zl_spread spread, const float *w, double *x) {
  switch (s) {
  case ZL_FEAT_SPECTRAL:
    return zl_spectral_row(c->spec, w, c->kernel_offset, x);
  case ZL_FEAT_POOLED:
    return zl_pooled_row(w, c->T, c->offset, c->size, c->is_kernel, spread, c->scratch, x);
  default:
    for (int64_t j = 0; j < c->P; j++)
      x[j] = w[j];
    return 0;
  }
}

/* The hyperparameters of this rank's rows, read in the weights' pass over the files (so each file
 * is opened once): v[h] for a numeric one, codes[h] for a categorical one. */
typedef struct {
  int H;
  double **v;
  int32_t **codes;
} hp_values;

static void hp_values_free(hp_values *hp) {
  for (int h = 0; h < hp->H && hp->v && hp->codes; h++) {
    free(hp->v[h]);
    free(hp->codes[h]);
  }
  free(hp->v);
  free(hp->codes);
  memset(hp, 0, sizeof *hp);
}

static int hp_values_alloc(MPI_Comm comm, int H, int64_t n, hp_values *hp) {
  hp->H = H;
  hp->v = zl_calloc((size_t)H + 1, sizeof *hp->v, "hparam values");
  hp->codes = zl_calloc((size_t)H + 1, sizeof *hp->codes, "hparam codes");
  int rc = zl_comm_agree(comm, (hp->v && hp->codes) ? 0 : ZL_ERR_RUNTIME);
  for (int h = 0; !rc && h < H; h++) {
    hp->v[h] = zl_malloc((size_t)n, sizeof(double), "hparam values");
    hp->codes[h] = zl_malloc((size_t)n, sizeof(int32_t), "hparam codes");
    rc = zl_comm_agree(comm, (hp->v[h] && hp->codes[h]) ? 0 : ZL_ERR_RUNTIME);
  }
  return rc;
}

/* Reads every hparam of this rank's rows in file f of the zoo (resumed); the names are those of
 * files[0], which every file shares (zl_features_check_files). */
static int read_hparams(const zl_zoo *files, int f, const zl_rows *rows, hp_values *hp) {
  int64_t lo, hi;
  zl_rows_file_range(rows, f, &lo, &hi);
  for (int h = 0; h < hp->H; h++) {
    char col[300];
    int n_labels = 0;
    snprintf(col, sizeof col, "hparams/%s", zl_zoo_hparam_name(files[0], h));
    zl_zoo_hparam_labels(files[0], h, &n_labels);
    ZL_CALL(n_labels ? zl_zoo_read_column_rows(files[f], col, ZL_I32, rows->row + lo, hi - lo,
                                               hp->codes[h] + lo)
                     : zl_zoo_read_column_rows(files[f], col, ZL_F64, rows->row + lo, hi - lo,
                                               hp->v[h] + lo));
  }
  return 0;
}

/* The weight-based sets: one pass over the weights of every file, in bounded blocks of collective
 * reads; the hyperparameters (hp, unless NULL) are read in the same pass. */
static int weight_sets(const zl_zoo *files, int n_files, zl_rows *rows, const int *want,
                       zl_spread spread, zl_featmat *out, hp_values *hp, int64_t *local_dropped,
                       double *t_read, double *t_features) {
  MPI_Comm comm = zl_zoo_comm(files[0]);
  row_ctx c;
  int rc = row_ctx_init(files[0], want, &c);
  const int64_t P = c.P, B = zl_zoo_block_rows(files[0], ZL_FEATURES_BLOCK_BYTES);
  float *buf = zl_malloc((size_t)(B * P), sizeof(float), "weights block");
  if (!buf) rc = ZL_ERR_RUNTIME;
  for (int s = 0; !rc && s < ZL_N_FEATSETS; s++) {
    if (!want[s] || s == ZL_FEAT_HPARAMS) continue;
    out[s].F = weight_set_width(&c, (zl_featset)s);
    out[s].X = zl_malloc_large((size_t)rows->n * (size_t)out[s].F, sizeof(double), "feature rows");
    if (!out[s].X) rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  zl_progress prog;
  zl_progress_start(&prog, comm, "read + features", "networks", rows->n_total, rows->n);
  for (int f = 0; !rc && f < n_files; f++) {
    int64_t first, end, n_blocks = 0;
    zl_rows_file_range(rows, f, &first, &end);
    /* Every rank makes the same number of collective reads; ranks out of rows read none. */
    int64_t my_blocks = (end - first + B - 1) / B;
    int m = MPI_Allreduce(&my_blocks, &n_blocks, 1, MPI_INT64_T, MPI_MAX, comm);
    if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Allreduce(block count)", __FILE__, __LINE__);
    /* One file open at a time, and only while its rows are read. */
    if (!rc && n_blocks) rc = zl_zoo_resume(files[f]);
    for (int64_t b = 0; !rc && b < n_blocks; b++) {
      int64_t lo = first + b * B < end ? first + b * B : end;
      int64_t cnt = end - lo < B ? end - lo : B;
      double t0 = MPI_Wtime();
      rc = zl_zoo_read_weight_rows(files[f], rows->row + lo, cnt, buf);
      if (!rc) rc = zl_fault(comm, "read");
      double t1 = MPI_Wtime();
      *t_read += t1 - t0;
      for (int64_t i = 0; !rc && i < cnt; i++) {
        const float *w = buf + i * P;
        /* W-stats' tensors cover the row (zl_zoo_check_layout), so computing them also tells
         * whether every weight is finite: no pass of its own for that (0.4 µs of 8 a network). */
        const zl_featmat *ws = &out[ZL_FEAT_WSTATS];
        int finite = ws->X ? zl_wstats_row(w, c.T, c.offset, c.size, spread, c.scratch,
                                           ws->X + (lo + i) * ws->F)
                           : zl_all_finite(w, (size_t)P);
        if (!finite) {
          rows->fold[lo + i] = -1;
          ++*local_dropped;
        }
        for (int s = 0; s < ZL_N_FEATSETS; s++) {
          if (!out[s].X || s == ZL_FEAT_HPARAMS) continue;
          double *x = out[s].X + (lo + i) * out[s].F;
          if (!finite)
            memset(x, 0, sizeof(double) * (size_t)out[s].F);
          else if (s != ZL_FEAT_WSTATS)
            rc = rc ? rc : weight_set_row(&c, (zl_featset)s, spread, w, x);
        }
      }
      *t_features += MPI_Wtime() - t1;
      if (!rc) rc = zl_fault(comm, "features");
      /* A feature kernel can fail on one rank's rows alone (LAPACK on its weights): agree before
       * the next collective read. */
      rc = zl_comm_agree(comm, rc);
      zl_progress_update(&prog, lo + cnt);
    }
    if (!rc && n_blocks && hp) rc = read_hparams(files, f, rows, hp);
    if (n_blocks) {
      int suspended = zl_zoo_suspend(files[f]);
      if (!rc) rc = suspended;
    }
  }
  if (!rc) zl_progress_end(&prog);
  free(buf);
  row_ctx_free(&c);
  return rc;
}

/* How one hyperparameter becomes feature columns. */
typedef struct {
  int n_labels; /* categorical: one column per label used; 0: numeric */
  int use_log;  /* numeric and scale-like: positive, spanning at least a decade */
  int keep;     /* not constant over the used rows, and not an identifier */
  double fill;  /* numeric: the value of a missing entry */
} hp_plan;

/* Identifiers and bookkeeping columns of the released zoo, not hyperparameters to learn from. */
static int is_bookkeeping(const char *name) {
  static const char *const skip[] = {"random_seed", "dataset", "dnn_architecture", "epochs",
                                     "epochs_between_checkpoints"};
  for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
    if (!strcmp(name, skip[i])) return 1;
  return 0;
}

/* Plans hparam h from its values on this rank's rows (read_hparams): the decisions use statistics
 * reduced over all ranks, so every rank lays out the same columns. */
static int plan_hparam(zl_zoo zoo, const zl_rows *rows, int h, const double *v,
                       const int32_t *codes, hp_plan *p) {
  MPI_Comm comm = zl_zoo_comm(zoo);
  zl_zoo_hparam_labels(zoo, h, &p->n_labels);
  if (p->n_labels) {
    int *count = zl_calloc((size_t)p->n_labels, sizeof(int), "label counts");
    ZL_CALL(zl_comm_agree(comm, count ? 0 : ZL_ERR_RUNTIME));
    for (int64_t i = 0; i < rows->n; i++)
      if (rows->fold[i] >= 0 && codes[i] >= 0 && codes[i] < p->n_labels) count[codes[i]]++;
    int m = MPI_Allreduce(MPI_IN_PLACE, count, p->n_labels, MPI_INT, MPI_SUM, comm);
    int used = 0;
    for (int l = 0; l < p->n_labels; l++)
      used += count[l] > 0;
    free(count);
    if (m != MPI_SUCCESS) return zl_mpi_error(m, "MPI_Allreduce(label counts)", __FILE__, __LINE__);
    p->keep = used > 1 && !is_bookkeeping(zl_zoo_hparam_name(zoo, h));
    return 0;
  }
  double mm[2] = {INFINITY, INFINITY}; /* min, −max */
  for (int64_t i = 0; i < rows->n; i++)
    if (rows->fold[i] >= 0 && isfinite(v[i])) {
      mm[0] = fmin(mm[0], v[i]);
      mm[1] = fmin(mm[1], -v[i]);
    }
  ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, mm, 2, MPI_DOUBLE, MPI_MIN, comm));
  double lo = mm[0], hi = -mm[1];
  p->keep = isfinite(lo) && hi > lo && !is_bookkeeping(zl_zoo_hparam_name(zoo, h));
  p->use_log = lo > 0 && hi >= 10 * lo;
  /* A missing value (NaN) takes the mean of the present ones, in the feature's own scale. */
  double sc[2] = {0, 0};
  for (int64_t i = 0; i < rows->n; i++)
    if (rows->fold[i] >= 0 && isfinite(v[i])) {
      sc[0] += p->use_log ? log10(v[i]) : v[i];
      sc[1] += 1;
    }
  ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, sc, 2, MPI_DOUBLE, MPI_SUM, comm));
  p->fill = sc[1] > 0 ? sc[0] / sc[1] : 0.0;
  return 0;
}

/* The hparams set of the zoo whose first file is zoo, from the values read (hp). */
static int hparam_set(zl_zoo zoo, const zl_rows *rows, const hp_values *hp, zl_featmat *out) {
  MPI_Comm comm = zl_zoo_comm(zoo);
  int H = hp->H, rc = 0;
  int64_t n = rows->n;
  double **v = hp->v;
  int32_t **codes = hp->codes;
  hp_plan *plan = zl_calloc((size_t)H + 1, sizeof *plan, "hparam plan");
  rc = zl_comm_agree(comm, plan ? 0 : ZL_ERR_RUNTIME);
  for (int h = 0; !rc && h < H; h++)
    rc = zl_comm_agree(comm, plan_hparam(zoo, rows, h, v[h], codes[h], &plan[h]));
  int F = 0;
  /* The columns' meaning: the kept hparams in order, their labels, and log or not. */
  uint64_t cols = zl_hash64(0x5eedULL, ZL_FEAT_HPARAMS);
  for (int h = 0; !rc && h < H; h++) {
    if (!plan[h].keep) continue;
    F += plan[h].n_labels ? plan[h].n_labels : 1;
    cols = hash_text(zl_hash64(cols, (uint64_t)plan[h].use_log), zl_zoo_hparam_name(zoo, h));
    int nl = 0;
    const char *const *labels = zl_zoo_hparam_labels(zoo, h, &nl);
    for (int l = 0; l < nl; l++)
      cols = hash_text(cols, labels[l]);
  }
  out->columns = cols;
  if (!rc && F == 0)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: no hyperparameter varies across the networks",
                zl_zoo_path(zoo));
  if (!rc) {
    out->F = F;
    out->X = zl_calloc((size_t)n * (size_t)F, sizeof(double), "hparam features");
    rc = zl_comm_agree(comm, out->X ? 0 : ZL_ERR_RUNTIME);
  }
  for (int h = 0, j = 0; !rc && h < H; h++) {
    if (!plan[h].keep) continue;
    for (int64_t i = 0; i < n; i++) {
      double *x = out->X + i * F + j;
      if (plan[h].n_labels) {
        if (codes[h][i] >= 0 && codes[h][i] < plan[h].n_labels) x[codes[h][i]] = 1.0;
      } else {
        x[0] = !isfinite(v[h][i]) ? plan[h].fill : plan[h].use_log ? log10(v[h][i]) : v[h][i];
      }
    }
    j += plan[h].n_labels ? plan[h].n_labels : 1;
  }
  free(plan);
  return rc;
}

/* Weight-based columns mean the same in two zoos when their layouts have the same tensor shapes
 * (per tensor, in order); pooled columns always do. */
static uint64_t layout_columns(zl_zoo zoo, zl_featset s) {
  uint64_t h = zl_hash64(0x5eedULL, (uint64_t)s);
  if (s == ZL_FEAT_POOLED) return h;
  for (int t = 0; t < zl_zoo_n_tensors(zoo); t++)
    h = hash_text(zl_hash64(h, (uint64_t)zl_zoo_tensor(zoo, t)->kind),
                  zl_zoo_tensor(zoo, t)->shape);
  return h;
}

int zl_features_compute(const zl_zoo *files, int n_files, zl_rows *rows, const int *want,
                        zl_spread spread, zl_featmat *out, int64_t *dropped, double *t_read,
                        double *t_features) {
  MPI_Comm comm = zl_zoo_comm(files[0]);
  memset(out, 0, sizeof(zl_featmat) * ZL_N_FEATSETS);
  *t_read = *t_features = 0.0;
  int64_t local_dropped = 0;
  hp_values hp = {0, NULL, NULL};
  int rc =
      want[ZL_FEAT_HPARAMS] ? hp_values_alloc(comm, zl_zoo_n_hparams(files[0]), rows->n, &hp) : 0;
  if (!rc)
    rc = weight_sets(files, n_files, rows, want, spread, out, want[ZL_FEAT_HPARAMS] ? &hp : NULL,
                     &local_dropped, t_read, t_features);
  rc = zl_comm_agree(comm, rc);
  if (!rc && MPI_Allreduce(&local_dropped, dropped, 1, MPI_INT64_T, MPI_SUM, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Allreduce(dropped rows) failed");
  /* Said here, before the hyperparameters would report that none varies over zero rows. */
  if (!rc && rows->n_total > 0 && *dropped == rows->n_total)
    rc = ZL_ERR(ZL_ERR_RUNTIME,
                "%s%s: /weights: no network with finite weights (all %lld have a NaN or Inf)",
                zl_zoo_path(files[0]), n_files > 1 ? " and the zoo's other files" : "",
                (long long)*dropped);
  /* After the weights, so rows dropped for non-finite weights do not shape the columns. */
  if (!rc && want[ZL_FEAT_HPARAMS]) rc = hparam_set(files[0], rows, &hp, &out[ZL_FEAT_HPARAMS]);
  hp_values_free(&hp);
  for (int s = 0; s < ZL_N_FEATSETS; s++)
    if (s != ZL_FEAT_HPARAMS) out[s].columns = layout_columns(files[0], (zl_featset)s);
  if (rc)
    for (int s = 0; s < ZL_N_FEATSETS; s++)
      zl_featmat_free(&out[s]);
  return rc;
}

static int same_labels(zl_zoo a, zl_zoo b, int h) {
  int na = 0, nb = 0;
  const char *const *la = zl_zoo_hparam_labels(a, h, &na), *const *lb =
                                                               zl_zoo_hparam_labels(b, h, &nb);
  if (na != nb || strcmp(zl_zoo_hparam_name(a, h), zl_zoo_hparam_name(b, h))) return 0;
  for (int l = 0; l < na; l++)
    if (strcmp(la[l], lb[l])) return 0;
  return 1;
}

int zl_features_check_files(const zl_zoo *files, int n_files) {
  zl_zoo a = files[0];
  for (int f = 1; f < n_files; f++) {
    zl_zoo b = files[f];
    int same =
        zl_zoo_n_params(a) == zl_zoo_n_params(b) && zl_zoo_n_tensors(a) == zl_zoo_n_tensors(b);
    for (int t = 0; same && t < zl_zoo_n_tensors(a); t++) {
      const zl_tensor *x = zl_zoo_tensor(a, t), *y = zl_zoo_tensor(b, t);
      same = x->offset == y->offset && x->size == y->size && x->kind == y->kind &&
             !strcmp(x->shape, y->shape);
    }
    if (!same)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: layout differs from %s's", zl_zoo_path(b), zl_zoo_path(a));
    same = zl_zoo_n_hparams(a) == zl_zoo_n_hparams(b);
    for (int h = 0; same && h < zl_zoo_n_hparams(a); h++)
      same = same_labels(a, b, h);
    if (!same)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: hparams differ from %s's", zl_zoo_path(b), zl_zoo_path(a));
  }
  return 0;
}
