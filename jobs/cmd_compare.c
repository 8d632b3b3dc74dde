/* zoolens compare OLD/report.json NEW/report.json: did NEW reproduce OLD? Exit 0 when every
 * result matches within the tolerance and the inputs are the same, 1 on any drift, missing or new
 * result or changed input (like diff(1)), 2 when a report cannot be read or the usage is wrong. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "zl_cli.h"
#include "zl_comm.h"
#include "zl_jobs.h"
#include "zl_report.h"

typedef struct {
  double tolerance;
  int have_tolerance, ignore_inputs;
} compare_opts;

static const zl_opt options[] = {
    {"tolerance", 1, "T",
     "largest accepted difference, relative to max(1, |value|) (default: the rank_tolerance OLD "
     "states)"},
    {"ignore-inputs", 0, NULL,
     "compare the scores only, not the input files (e.g. the same zoo split into other files)"},
};

static int on_option(void *ctx, int i, const char *arg) {
  compare_opts *o = ctx;
  if (i == 1) {
    o->ignore_inputs = 1;
    return 0;
  }
  ZL_CALL(zl_cli_double("compare", "tolerance", arg, &o->tolerance));
  if (!(o->tolerance >= 0))
    return ZL_ERR(ZL_ERR_USAGE, "compare: --tolerance: '%s' is not a number >= 0", arg);
  o->have_tolerance = 1;
  return 0;
}

static int load(const char *path, json_t **out) {
  json_error_t e;
  json_t *j = json_load_file(path, 0, &e);
  if (!j)
    return ZL_ERR(ZL_ERR_USAGE, "%s: cannot read the report: %s (line %d)", path, e.text, e.line);
  const char *schema = json_string_value(json_object_get(j, "schema"));
  if (!schema || strcmp(schema, ZL_REPORT_SCHEMA)) {
    json_decref(j);
    return ZL_ERR(ZL_ERR_USAGE, "%s: schema is '%s', compare reads '%s'", path,
                  schema ? schema : "(none)", ZL_REPORT_SCHEMA);
  }
  *out = j;
  return 0;
}

/* "train -> test features estimator", the identity of a result. */
static void result_key(json_t *r, char *buf, size_t n) {
  snprintf(buf, n, "%s -> %s %s %s", json_string_value(json_object_get(r, "train")),
           json_string_value(json_object_get(r, "test")),
           json_string_value(json_object_get(r, "features")),
           json_string_value(json_object_get(r, "estimator")));
}

static json_t *find_result(json_t *results, const char *key) {
  size_t i;
  json_t *r;
  char k[512];
  json_array_foreach(results, i, r) {
    result_key(r, k, sizeof k);
    if (!strcmp(k, key)) return r;
  }
  return NULL;
}

/* Compares one numeric field; null (undefined score) only matches null. Returns 1 on drift. */
static int drift(const char *what, const char *field, json_t *a, json_t *b, double tol) {
  json_t *x = json_object_get(a, field), *y = json_object_get(b, field);
  if (json_is_null(x) && json_is_null(y)) return 0;
  if (!json_is_number(x) || !json_is_number(y)) {
    if (!x && !y) return 0;
    printf("drift: %s %s: %s -> %s\n", what, field, json_is_number(x) ? "a number" : "null/absent",
           json_is_number(y) ? "a number" : "null/absent");
    return 1;
  }
  double u = json_number_value(x), v = json_number_value(y);
  double scale = fmax(1.0, fmax(fabs(u), fabs(v)));
  if (fabs(u - v) <= tol * scale) return 0;
  printf("drift: %s %s: %.17g -> %.17g (|diff| %.3g > tolerance %.3g)\n", what, field, u, v,
         fabs(u - v), tol * scale);
  return 1;
}

/* A file's digest as "<algorithm>:<hex>": its "digest" key, or in reports from before that key
 * (SHA-256 only) its "sha256"; "(none)" when it has neither. */
static void file_digest(json_t *file, char out[96]) {
  const char *d = json_string_value(json_object_get(file, "digest"));
  const char *s = json_string_value(json_object_get(file, "sha256"));
  if (d && d[0])
    snprintf(out, 96, "%s", d);
  else if (s && s[0])
    snprintf(out, 96, "sha256:%s", s);
  else
    snprintf(out, 96, "(none)");
}

static int compare_inputs(json_t *old, json_t *new) {
  int bad = 0;
  json_t *oi = json_object_get(old, "inputs"), *ni = json_object_get(new, "inputs");
  size_t n = json_array_size(oi);
  if (n != json_array_size(ni)) {
    printf("inputs: %zu -> %zu zoo files\n", n, json_array_size(ni));
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *a = json_array_get(oi, i), *b = json_array_get(ni, i);
    const char *path = json_string_value(json_object_get(a, "path"));
    static const char *const counts[] = {"networks", "rows_in_file", "runs", "dropped_nonfinite"};
    for (int c = 0; c < 4; c++)
      if (!json_equal(json_object_get(a, counts[c]), json_object_get(b, counts[c]))) {
        printf("input %s: %s changed: %lld -> %lld\n", path ? path : "?", counts[c],
               (long long)json_integer_value(json_object_get(a, counts[c])),
               (long long)json_integer_value(json_object_get(b, counts[c])));
        bad = 1;
      }
    json_t *fa = json_object_get(a, "files"), *fb = json_object_get(b, "files");
    if (json_array_size(fa) != json_array_size(fb)) {
      printf("input %s: %zu -> %zu files\n", path ? path : "?", json_array_size(fa),
             json_array_size(fb));
      bad = 1;
      continue;
    }
    /* Reports before the "checksum" key hashed whole files: their digests differ from today's
     * for the same bytes, so a mismatch there says nothing about the data. */
    const char *ka = json_string_value(json_object_get(a, "checksum"));
    const char *kb = json_string_value(json_object_get(b, "checksum"));
    ka = ka ? ka : "sha256 of the whole file";
    kb = kb ? kb : "sha256 of the whole file";
    if (strcmp(ka, kb)) {
      printf("input %s: checksums made differently (%s -> %s), cannot tell whether the files "
             "changed: rerun the old report with this zoolens, or pass --ignore-inputs\n",
             path ? path : "?", ka, kb);
      bad = 1;
      continue;
    }
    for (size_t f = 0; f < json_array_size(fa); f++) {
      char da[96], db[96];
      file_digest(json_array_get(fa, f), da);
      file_digest(json_array_get(fb, f), db);
      if (strcmp(da, db)) {
        printf("input %s: checksum changed: %s -> %s\n",
               json_string_value(json_object_get(json_array_get(fb, f), "path")), da, db);
        bad = 1;
      }
    }
  }
  return bad;
}

static const char *const score_fields[] = {
    "r2",        "r2_std", "kendall_tau", "kendall_tau_std", "rmse",  "lambda",
    "bandwidth", "trees",  "max_depth",   "min_leaf_rows",   "epochs"};
#define N_SCORE_FIELDS (int)(sizeof score_fields / sizeof score_fields[0])

static int compare_results(json_t *old, json_t *new, double tol, int *n_matched) {
  json_t *orr = json_object_get(old, "results"), *nr = json_object_get(new, "results");
  size_t i;
  json_t *r;
  char key[512], what[600];
  int bad = 0;
  *n_matched = 0;
  json_array_foreach(orr, i, r) {
    result_key(r, key, sizeof key);
    json_t *m = find_result(nr, key);
    if (!m) {
      printf("missing: %s\n", key);
      bad = 1;
      continue;
    }
    ++*n_matched;
    for (int f = 0; f < N_SCORE_FIELDS; f++)
      bad |= drift(key, score_fields[f], r, m, tol);
    json_t *pa = json_object_get(r, "per_fold"), *pb = json_object_get(m, "per_fold");
    if (json_array_size(pa) != json_array_size(pb)) {
      printf("drift: %s folds: %zu -> %zu\n", key, json_array_size(pa), json_array_size(pb));
      bad = 1;
      continue;
    }
    for (size_t k = 0; k < json_array_size(pa); k++) {
      snprintf(what, sizeof what, "%s fold %zu", key, k);
      for (int f = 0; f < N_SCORE_FIELDS; f++)
        if (strcmp(score_fields[f], "r2_std") && strcmp(score_fields[f], "kendall_tau_std"))
          bad |= drift(what, score_fields[f], json_array_get(pa, k), json_array_get(pb, k), tol);
    }
  }
  json_array_foreach(nr, i, r) {
    result_key(r, key, sizeof key);
    if (!find_result(orr, key)) {
      printf("new: %s\n", key);
      bad = 1;
    }
  }
  return bad;
}

int zl_cmd_compare(int argc, char **argv, MPI_Comm comm) {
  compare_opts o = {0, 0, 0};
  int first = 0;
  int rc =
      zl_cli_parse(comm, "compare", "OLD/report.json NEW/report.json [--tolerance T]", options,
                   (int)(sizeof options / sizeof options[0]), on_option, &o, argc, argv, &first);
  if (rc == ZL_CLI_HELP) return 0;
  if (!rc && argc - first != 2)
    rc = ZL_ERR(ZL_ERR_USAGE, "compare: give exactly two reports, OLD and NEW");
  if (rc) return zl_cli_fail(comm, rc);
  /* Rank 0 compares; the others only learn the verdict. */
  int verdict = 0;
  if (zl_comm_rank(comm) == 0) {
    json_t *old = NULL, *new = NULL;
    verdict = load(argv[first], &old);
    if (!verdict) verdict = load(argv[first + 1], &new);
    if (!verdict) {
      double tol = o.tolerance;
      json_t *t = json_object_get(json_object_get(old, "run"), "rank_tolerance");
      if (!o.have_tolerance) tol = json_is_number(t) ? json_number_value(t) : ZL_RANK_TOLERANCE;
      int n = 0;
      int bad = o.ignore_inputs ? 0 : compare_inputs(old, new);
      bad |= compare_results(old, new, tol, &n);
      if (bad)
        printf("not reproduced (tolerance %.3g)\n", tol);
      else
        printf("reproduced: %d results within tolerance %.3g\n", n, tol);
      verdict = bad;
    } else {
      zl_cli_fail(MPI_COMM_SELF, verdict);
    }
    json_decref(old);
    json_decref(new);
    fflush(stdout);
  }
  if (MPI_Bcast(&verdict, 1, MPI_INT, 0, comm) != MPI_SUCCESS) return 1;
  return verdict;
}
