#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_error.h"
#include "zl_jobs.h"
#include "zl_plot.h"
#include "zl_provenance.h"
#include "zl_report.h"

/* JSON has no NaN: a score that is undefined (e.g. tau of constant predictions) is null. */
static json_t *num(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}

/* A file's digest in report.json: "xxh128:<hex>" or "sha256:<hex>". */
static void digest_text(zl_digest d, const zl_report_file *f, char out[80]) {
  snprintf(out, 80, "%s:%s", zl_digest_name(d), f->digest);
}

static json_t *input_json(const zl_report_input *in, zl_digest d) {
  json_t *files = json_array();
  /* "sha256" (design §8) holds the hex when the digest is SHA-256, else "": the default digest
   * is XXH3-128 (issue 10: SHA-256 cost 36 % of an analysis), named with its hex in "digest". */
  int sha = d == ZL_DIGEST_SHA256;
  char text[80] = "";
  for (int f = 0; files && f < in->n_files; f++) {
    digest_text(d, &in->files[f], text);
    json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "path", in->files[f].path, "rows",
                          (json_int_t)in->files[f].rows, "sha256", sha ? in->files[f].digest : "",
                          "digest", text);
    if (!o || json_array_append_new(files, o)) {
      json_decref(files);
      return NULL;
    }
  }
  if (!files) return NULL;
  /* sha256 and digest at the top name the single file's digest (design §8); a split zoo lists its
   * files. checksum says how every digest here was made, so a reader can recompute one (README.md,
   * "Checksums of the inputs"). */
  if (in->n_files == 1)
    digest_text(d, &in->files[0], text);
  else
    text[0] = '\0';
  return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:o}", "path", in->path,
                   "dataset", in->dataset, "architecture", in->architecture, "networks",
                   (json_int_t)in->networks, "rows_in_file", (json_int_t)in->rows_in_file, "runs",
                   (json_int_t)in->runs, "dropped_nonfinite", (json_int_t)in->dropped_nonfinite,
                   "sha256", sha && in->n_files == 1 ? in->files[0].digest : "", "digest", text,
                   "checksum", zl_digest_scheme(d), "files", files);
}

/* The SLURM job this run belongs to, or null outside SLURM. */
static json_t *slurm_json(void) {
  static const char *const vars[][2] = {{"job_id", "SLURM_JOB_ID"},
                                        {"array_job_id", "SLURM_ARRAY_JOB_ID"},
                                        {"array_task_id", "SLURM_ARRAY_TASK_ID"},
                                        {"nodes", "SLURM_JOB_NUM_NODES"},
                                        {"ntasks", "SLURM_NTASKS"},
                                        {"cluster", "SLURM_CLUSTER_NAME"}};
  if (!getenv("SLURM_JOB_ID")) return json_null();
  json_t *o = json_object();
  for (size_t i = 0; o && i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i][1]);
    if (v && json_object_set_new(o, vars[i][0], json_string(v))) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

/* gbm's choice of trees and their shape, dnn's of epochs, next to the others' λ and bandwidth
 * (keys only added, as schema zoolens-report/1 allows). */
static int add_chosen(json_t *o, int trees, int depth, int min_rows, int epochs) {
  if (trees && (json_object_set_new(o, "trees", json_integer(trees)) ||
                json_object_set_new(o, "max_depth", json_integer(depth)) ||
                json_object_set_new(o, "min_leaf_rows", json_integer(min_rows))))
    return -1;
  return epochs ? json_object_set_new(o, "epochs", json_integer(epochs)) : 0;
}

static json_t *result_json(const zl_report_result *r) {
  json_t *folds = json_array();
  for (int k = 0; folds && k < r->folds; k++) {
    const zl_fold_score *f = &r->per_fold[k];
    json_t *o = json_pack("{s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "fold", k, "networks", f->n,
                          "lambda", num(f->lambda), "bandwidth", num(f->bandwidth), "r2",
                          num(f->r2), "kendall_tau", num(f->kendall_tau), "rmse", num(f->rmse));
    if (o && add_chosen(o, f->trees, f->depth, f->min_rows, f->epochs)) {
      json_decref(o);
      o = NULL;
    }
    if (!o || json_array_append_new(folds, o)) {
      json_decref(folds);
      return NULL;
    }
  }
  if (!folds) return NULL;
  json_t *o = json_pack(
      "{s:s, s:s, s:s, s:s, s:o, s:o, s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "train", r->train,
      "test", r->test, "features", r->features, "estimator", r->estimator, "lambda", num(r->lambda),
      "bandwidth", num(r->bandwidth), "folds", r->folds, "networks", (json_int_t)r->networks, "r2",
      num(r->r2), "r2_std", num(r->r2_std), "kendall_tau", num(r->kendall_tau), "kendall_tau_std",
      num(r->kendall_tau_std), "rmse", num(r->rmse), "per_fold", folds);
  if (o && add_chosen(o, r->trees, r->depth, r->min_rows, r->epochs)) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *report_json(const zl_report *r) {
  zl_versions v;
  zl_versions_get(&v);
  json_t *inputs = json_array(), *results = json_array();
  int bad = !inputs || !results;
  for (int i = 0; !bad && i < r->n_inputs; i++) {
    json_t *o = input_json(&r->inputs[i], r->digest);
    bad = !o || json_array_append_new(inputs, o);
  }
  for (int i = 0; !bad && i < r->n_results; i++) {
    json_t *o = result_json(&r->results[i]);
    bad = !o || json_array_append_new(results, o);
  }
  if (bad) {
    json_decref(inputs);
    json_decref(results);
    return NULL;
  }
  return json_pack(
      "{s:s, s:s, s:s, s:I, s:s, s:{s:i, s:[i,i], s:i, s:f, s:s, s:o, s:o, s:{s:o, s:o, "
      "s:o, s:o, s:o}}, "
      "s:{s:s, s:s, s:s, s:s}, s:o, s:o}",
      "schema", ZL_REPORT_SCHEMA, "zoolens_version", v.zoolens, "git_commit", v.git_commit, "seed",
      (json_int_t)r->seed, "checkpoints", r->checkpoints, "run", "ranks", r->ranks, "grid",
      r->grid[0], r->grid[1], "blas_threads", r->blas_threads, "rank_tolerance", ZL_RANK_TOLERANCE,
      "started", r->started, "peak_rss_mib", num(r->peak_rss_mib), "slurm", slurm_json(), "seconds",
      "checksum", num(r->seconds_checksum), "read", num(r->seconds_read), "features",
      num(r->seconds_features), "solve", num(r->seconds_solve), "total", num(r->seconds_total),
      "versions", "mpi", v.mpi, "hdf5", v.hdf5, "scalapack", v.scalapack, "blas", v.blas, "inputs",
      inputs, "results", results);
}

/* Renames tmp to path, or removes tmp and records why. */
static int commit_file(const char *tmp, const char *path) {
  if (rename(tmp, path)) {
    int e = errno;
    remove(tmp);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot rename from %s: %s", path, tmp, strerror(e));
  }
  return 0;
}

static int write_json(const char *dir, const zl_report *r) {
  char path[4200], tmp[4300];
  snprintf(path, sizeof path, "%s/report.json", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  json_t *root = report_json(r);
  if (!root)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot build the JSON document (out of memory?)", path);
  /* 17 significant digits round-trip every double, so compare can demand exact reproduction. */
  errno = 0; /* jansson reports only -1: the failed fopen/fwrite/fclose leaves the reason here */
  int bad = json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  int e = errno;
  json_decref(root);
  if (bad) {
    remove(tmp);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot write: %s", tmp, e ? strerror(e) : "I/O error");
  }
  return commit_file(tmp, path);
}

static void md_cell(FILE *f, double r2, double tau) {
  if (isfinite(tau))
    fprintf(f, " %.4f / %.4f |", r2, tau);
  else
    fprintf(f, " %.4f / – |", r2);
}

/* The result for (features, estimator, train, test), or NULL. */
static const zl_report_result *find(const zl_report *r, const char *features, const char *estimator,
                                    const char *train, const char *test) {
  for (int j = 0; j < r->n_results; j++)
    if (!strcmp(r->results[j].features, features) && !strcmp(r->results[j].estimator, estimator) &&
        !strcmp(r->results[j].train, train) && !strcmp(r->results[j].test, test))
      return &r->results[j];
  return NULL;
}

static void zoo_name(const zl_report *r, int z, char *buf, size_t n) {
  snprintf(buf, n, "%s/%s", r->inputs[z].dataset, r->inputs[z].architecture);
}

/* 1 when results[i] is the first with its (features, estimator). */
static int first_of_kind(const zl_report *r, int i) {
  for (int j = 0; j < i; j++)
    if (!strcmp(r->results[j].features, r->results[i].features) &&
        !strcmp(r->results[j].estimator, r->results[i].estimator))
      return 0;
  return 1;
}

static void cell(FILE *f, const zl_report_result *hit) {
  if (hit)
    md_cell(f, hit->r2, hit->kendall_tau);
  else
    fprintf(f, " – |");
}

/* One matrix per (features, estimator): rows train zoo, columns test zoo; the diagonal holds the
 * cross-validated scores, the rest fit on all of train and score on all of test. */
static void write_transfer(FILE *f, const zl_report *r) {
  if (r->n_inputs < 2) return;
  fprintf(f, "\n## Transfer (R² / τ; rows: trained on, columns: scored on; diagonal: "
             "cross-validated)\n");
  char a[160], b[160];
  for (int i = 0; i < r->n_results; i++) {
    if (!first_of_kind(r, i)) continue;
    const char *fe = r->results[i].features, *es = r->results[i].estimator;
    fprintf(f, "\n**%s, %s**\n\n| train \\ test |", fe, es);
    for (int z = 0; z < r->n_inputs; z++) {
      zoo_name(r, z, a, sizeof a);
      fprintf(f, " %s |", a);
    }
    fprintf(f, "\n|---|");
    for (int z = 0; z < r->n_inputs; z++)
      fprintf(f, "---|");
    for (int y = 0; y < r->n_inputs; y++) {
      zoo_name(r, y, a, sizeof a);
      fprintf(f, "\n| %s |", a);
      for (int z = 0; z < r->n_inputs; z++) {
        zoo_name(r, z, b, sizeof b);
        cell(f, find(r, fe, es, a, b));
      }
    }
    fprintf(f, "\n");
  }
}

static void write_md_body(FILE *f, const zl_report *r) {
  fprintf(f,
          "# zoolens report\n\nCross-validated R² / Kendall τ-b (mean over %d folds, grouped by "
          "training run), checkpoints: %s, seed %llu, %d ranks (each solve on a BLACS grid of %d × "
          "%d). "
          "Any other rank count gives the same bits.\n\n",
          r->n_results ? r->results[0].folds : 0, r->checkpoints, (unsigned long long)r->seed,
          r->ranks, r->grid[0], r->grid[1]);
  fprintf(f, "| features | estimator |");
  char name[160];
  for (int z = 0; z < r->n_inputs; z++) {
    zoo_name(r, z, name, sizeof name);
    fprintf(f, " %s |", name);
  }
  fprintf(f, "\n|---|---|");
  for (int i = 0; i < r->n_inputs; i++)
    fprintf(f, "---|");
  fprintf(f, "\n");
  /* One row per (features, estimator) in order of first appearance; one column per zoo. */
  for (int i = 0; i < r->n_results; i++) {
    if (!first_of_kind(r, i)) continue;
    const char *fe = r->results[i].features, *es = r->results[i].estimator;
    fprintf(f, "| %s | %s |", fe, es);
    for (int z = 0; z < r->n_inputs; z++) {
      zoo_name(r, z, name, sizeof name);
      cell(f, find(r, fe, es, name, name));
    }
    fprintf(f, "\n");
  }
  write_transfer(f, r);
  fprintf(f, "\n## Per fold\n\n| zoo | features | estimator | fold | networks | λ | trees (gbm: "
             "count, depth, min. leaf rows) or epochs (dnn) | R² | τ | RMSE |\n"
             "|---|---|---|---|---|---|---|---|---|---|\n");
  for (int i = 0; i < r->n_results; i++)
    for (int k = 0; k < r->results[i].folds; k++) { /* transfer results have no folds */
      const zl_fold_score *s = &r->results[i].per_fold[k];
      char lambda[32] = "–", chosen[64] = "–";
      if (isfinite(s->lambda)) snprintf(lambda, sizeof lambda, "%.3g", s->lambda);
      if (s->trees)
        snprintf(chosen, sizeof chosen, "%d, %d, %d", s->trees, s->depth, s->min_rows);
      else if (s->epochs)
        snprintf(chosen, sizeof chosen, "%d", s->epochs);
      fprintf(f, "| %s | %s | %s | %d | %d | %s | %s | %.4f | %.4f | %.4f |\n", r->results[i].test,
              r->results[i].features, r->results[i].estimator, k, s->n, lambda, chosen, s->r2,
              s->kendall_tau, s->rmse);
    }
  fprintf(f,
          "\n## Inputs\n\n| file | dataset | architecture | rows | networks used | runs | dropped "
          "(non-finite weights) |\n|---|---|---|---|---|---|---|\n");
  for (int i = 0; i < r->n_inputs; i++) {
    const zl_report_input *in = &r->inputs[i];
    fprintf(f, "| %s | %s | %s | %lld | %lld | %lld | %lld |\n", in->path, in->dataset,
            in->architecture, (long long)in->rows_in_file, (long long)in->networks,
            (long long)in->runs, (long long)in->dropped_nonfinite);
  }
  fprintf(f,
          "\n## Time (seconds, slowest rank) and memory\n\nread %.3f, features %.3f, solve %.3f, "
          "total %.3f; peak resident memory per rank %.1f MiB\n",
          r->seconds_read, r->seconds_features, r->seconds_solve, r->seconds_total,
          r->peak_rss_mib);
}

static int write_md(const char *dir, const zl_report *r) {
  char path[4200], tmp[4300];
  snprintf(path, sizeof path, "%s/report.md", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot create: %s", tmp, strerror(errno));
  write_md_body(f, r);
  int bad = ferror(f);
  bad |= fclose(f) != 0;
  if (bad) {
    remove(tmp);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: write failed: %s", tmp, strerror(errno));
  }
  return commit_file(tmp, path);
}

/* DIR/transfer_<features>_<estimator>.svg: the R² matrix of write_transfer as a heatmap. */
static int plot_transfer(const char *dir, const zl_report *r) {
  int n = r->n_inputs, rc = 0;
  if (n < 2) return 0;
  char(*names)[160] = zl_calloc((size_t)n, sizeof *names, "zoo names");
  const char **labels = zl_calloc((size_t)n, sizeof *labels, "zoo labels");
  double *v = zl_malloc((size_t)n * (size_t)n, sizeof(double), "transfer matrix");
  if (!names || !labels || !v) rc = ZL_ERR_RUNTIME;
  for (int z = 0; !rc && z < n; z++) {
    zoo_name(r, z, names[z], sizeof names[z]);
    labels[z] = names[z];
  }
  for (int i = 0; !rc && i < r->n_results; i++) {
    if (!first_of_kind(r, i)) continue;
    const char *fe = r->results[i].features, *es = r->results[i].estimator;
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) {
        const zl_report_result *hit = find(r, fe, es, names[a], names[b]);
        v[a * n + b] = hit ? hit->r2 : NAN;
      }
    char path[4600], title[300];
    snprintf(path, sizeof path, "%s/transfer_%s_%s.svg", dir, fe, es);
    for (char *c = path + strlen(dir) + 1; *c; c++)
      if (*c == '+' || *c == '/') *c = '_';
    snprintf(title, sizeof title, "Transfer R², %s, %s (diagonal: cross-validated)", fe, es);
    /* R² runs from −∞ to 1: colour 0 … 1 and let worse-than-the-mean cells take the end colour. */
    rc = zl_plot_heatmap(path, title, n, labels, n, labels, v, "trained on", "tested on", 0.0, 1.0);
  }
  free(names);
  free(labels);
  free(v);
  return rc;
}

int zl_report_write(const char *dir, const zl_report *r) {
  /* report.json goes last: it is what compare and users take as the sign of a finished job, so it
   * must not exist when a later file failed (a full disk). */
  ZL_CALL(plot_transfer(dir, r));
  ZL_CALL(write_md(dir, r));
  int rc = write_json(dir, r);
  if (rc) {
    char md[4200];
    snprintf(md, sizeof md, "%s/report.md", dir);
    (void)remove(md); /* the job is failing already: report.md alone must not look finished */
  }
  return rc;
}
