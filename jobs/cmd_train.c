/* zoolens train: builds a zoo by training the paper's networks (design §4, paper-protocol.md,
 * Training). Run i of the runs R .. R+N-1 draws its hyperparameters and every other random number
 * from (seed, i) alone and owns the rows (i-R) C .. (i-R) C + C-1 (C checkpoints), so the file is
 * the same for any number of ranks, and files of disjoint run ranges (the tasks of a SLURM job
 * array) together are one zoo. Ranks train in rounds of one run each, then write their rows
 * collectively and only then mark the runs complete in /runs/complete: a rerun of an interrupted
 * job trains only the runs not marked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zl_cli.h"
#include "zl_comm.h"
#include "zl_dataset.h"
#include "zl_jobs.h"
#include "zl_netlayout.h"
#include "zl_nodedata.h"
#include "zl_progress.h"
#include "zl_provenance.h"
#include "zl_train.h"
#include "zl_zoo.h"

/* OpenBLAS's own API (not in every cblas.h). */
extern void openblas_set_num_threads(int n);

#define MAX_CHECKPOINTS 64
/* Whole numbers stored as float64 attributes (seed, first run, …) stay exact up to 2^53. */
#define EXACT_MAX (1LL << 53)
/* The per-run completion mark: 1 in each of a run's rows once all of them are written. */
#define COL_COMPLETE "runs/complete"

enum {
  OPT_DATASET,
  OPT_DATA,
  OPT_RUNS,
  OPT_OUT,
  OPT_ARCH,
  OPT_CHECKPOINTS,
  OPT_SEED,
  OPT_FIRST_RUN,
  OPT_BATCH,
  OPT_TRAIN_LIMIT,
  OPT_TEST_LIMIT,
  OPT_STOP_AFTER
};

static const zl_opt options[] = {
    [OPT_DATASET] = {"dataset", 1, "NAME",
                     "mnist, fashion_mnist, cifar10_gs or svhn_gs (required)"},
    [OPT_DATA] = {"data", 1, "DIR", "directory of the idx files or CIFAR-10 batches (required)"},
    [OPT_RUNS] = {"runs", 1, "N", "number of training runs (required)"},
    [OPT_OUT] = {"out", 1, "OUT.h5",
                 "zoo file (required); OUT.h5.part until complete, resumed by a rerun"},
    [OPT_ARCH] = {"architecture", 1, "NAME", "cnn (default) or mlp"},
    [OPT_CHECKPOINTS] = {"checkpoints", 1, "LIST",
                         "ascending epochs to store, 0 = before training "
                         "(default 0,1,2,3,20,40,60,80,86)"},
    [OPT_SEED] = {"seed", 1, "S", "zoo seed (default 0): run i depends only on (S, i)"},
    [OPT_FIRST_RUN] = {"first-run", 1, "R",
                       "id of the first run (default 0): job-array tasks train disjoint ranges "
                       "into their own files"},
    [OPT_BATCH] = {"batch-size", 1, "B", "minibatch size (default 512, the paper's)"},
    [OPT_TRAIN_LIMIT] = {"train-limit", 1, "N",
                         "for tests and smoke runs: only the first N training images (0: all)"},
    [OPT_TEST_LIMIT] = {"test-limit", 1, "M",
                        "for tests and smoke runs: only the first M test images (0: all)"},
    [OPT_STOP_AFTER] = {"stop-after", 1, "K",
                        "for tests: crash (MPI_Abort, file left open) once K runs are complete, "
                        "with the next round's rows written but not marked"},
};

static const char *const datasets[] = {"mnist", "fashion_mnist", "cifar10_gs", "svhn_gs"};

typedef struct {
  const char *dataset, *data, *out, *architecture;
  zl_arch arch;
  long long runs, seed, first_run, batch_size, train_limit, test_limit, stop_after;
  int checkpoints[MAX_CHECKPOINTS], n_checkpoints;
  char checkpoint_list[MAX_CHECKPOINTS * 8]; /* canonical "0,1,2", as stored in the file */
  char data_sha256[65]; /* of the images and labels trained on; empty until loaded */
} train_opts;

/* Stores ascending epochs and their canonical text. */
static void set_checkpoints(train_opts *o, const int *epochs, int n) {
  int len = 0;
  for (int i = 0; i < n; i++) {
    o->checkpoints[i] = epochs[i];
    len += snprintf(o->checkpoint_list + len, sizeof o->checkpoint_list - (size_t)len, "%s%d",
                    i ? "," : "", epochs[i]);
  }
  o->n_checkpoints = n;
}

/* Parses "0,1,2,3": ascending epochs. */
static int parse_checkpoints(const char *arg, train_opts *o) {
  int epochs[MAX_CHECKPOINTS], n = 0;
  for (const char *p = arg;;) {
    char *end = NULL;
    long v = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
    if (v < 0 || v > 100000 || n == MAX_CHECKPOINTS || (n && v <= epochs[n - 1]) ||
        (*end && *end != ','))
      return ZL_ERR(ZL_ERR_USAGE,
                    "train: --checkpoints: '%s' is not an ascending list of at most %d epochs in "
                    "0..100000, e.g. 0,1,2,3",
                    arg, MAX_CHECKPOINTS);
    epochs[n++] = (int)v;
    if (!*end) break;
    p = end + 1;
  }
  set_checkpoints(o, epochs, n);
  return 0;
}

static int on_option(void *ctx, int i, const char *arg) {
  train_opts *o = ctx;
  switch (i) {
  case OPT_DATASET:
    o->dataset = NULL;
    for (size_t k = 0; k < sizeof datasets / sizeof datasets[0]; k++)
      if (!strcmp(arg, datasets[k])) o->dataset = arg;
    if (!o->dataset)
      return ZL_ERR(ZL_ERR_USAGE,
                    "train: --dataset: '%s' is not mnist, fashion_mnist, cifar10_gs or svhn_gs",
                    arg);
    return 0;
  case OPT_DATA:
    o->data = arg;
    return 0;
  case OPT_RUNS:
    return zl_cli_long("train", "runs", arg, 1, INT32_MAX, &o->runs);
  case OPT_OUT:
    o->out = arg;
    return 0;
  case OPT_ARCH:
    if (strcmp(arg, "cnn") && strcmp(arg, "mlp"))
      return ZL_ERR(ZL_ERR_USAGE, "train: --architecture: '%s' is not cnn or mlp", arg);
    o->architecture = arg;
    o->arch = strcmp(arg, "mlp") ? ZL_ARCH_CNN : ZL_ARCH_MLP;
    return 0;
  case OPT_CHECKPOINTS:
    return parse_checkpoints(arg, o);
  case OPT_SEED:
    return zl_cli_long("train", "seed", arg, 0, EXACT_MAX, &o->seed);
  case OPT_FIRST_RUN:
    return zl_cli_long("train", "first-run", arg, 0, EXACT_MAX - INT32_MAX, &o->first_run);
  case OPT_BATCH:
    return zl_cli_long("train", "batch-size", arg, 1, 1 << 20, &o->batch_size);
  case OPT_TRAIN_LIMIT:
    return zl_cli_long("train", "train-limit", arg, 0, EXACT_MAX, &o->train_limit);
  case OPT_TEST_LIMIT:
    return zl_cli_long("train", "test-limit", arg, 0, EXACT_MAX, &o->test_limit);
  default:
    return zl_cli_long("train", "stop-after", arg, 1, INT32_MAX, &o->stop_after);
  }
}

/* ---- what a zoo file records of the options, checked when the file is found again ---- */

#define N_RECORDED 6

/* Their option names and the root attributes that hold them. */
static const char *const recorded[N_RECORDED][2] = {
    {"seed", "seed"},
    {"first-run", "first_run"},
    {"runs", "runs"},
    {"batch-size", "batch_size"},
    {"train-limit", "train_limit"},
    {"test-limit", "test_limit"},
};

static void recorded_values(const train_opts *o, double values[N_RECORDED]) {
  const long long v[N_RECORDED] = {o->seed,       o->first_run,   o->runs,
                                   o->batch_size, o->train_limit, o->test_limit};
  for (int i = 0; i < N_RECORDED; i++)
    values[i] = (double)v[i];
}

static int record_options(zl_zoo zoo, const train_opts *o) {
  double values[N_RECORDED];
  recorded_values(o, values);
  for (int i = 0; i < N_RECORDED; i++)
    ZL_CALL(zl_zoo_set_attr_double(zoo, recorded[i][1], values[i]));
  ZL_CALL(zl_zoo_set_attr_string(zoo, "data", o->data));
  ZL_CALL(zl_zoo_set_attr_string(zoo, "data_sha256", o->data_sha256));
  return zl_zoo_set_attr_string(zoo, "checkpoints", o->checkpoint_list);
}

static int differs(const char *file, const char *option, const char *was, const char *now) {
  return ZL_ERR(ZL_ERR_RUNTIME,
                "%s: was made with --%s %s, not %s: rerun with the same options, or choose "
                "another --out",
                file, option, was, now);
}

/* Checks that the zoo at `file` (open as zoo) was made by train with these options. Every rank
 * makes the same checks on the same values. Collective. */
static int check_options(zl_zoo zoo, const char *file, const train_opts *o, int64_t n_params) {
  double values[N_RECORDED], v;
  char was[32], now[32], *list = NULL;
  int found = 0;
  recorded_values(o, values);
  for (int i = 0; i < N_RECORDED; i++) {
    zl_zoo_get_attr_double(zoo, recorded[i][1], &v, &found);
    if (!found)
      return ZL_ERR(ZL_ERR_RUNTIME,
                    "%s: not made by zoolens train (no '%s' attribute): choose another --out", file,
                    recorded[i][1]);
    if (v != values[i]) {
      snprintf(was, sizeof was, "%.0f", v);
      snprintf(now, sizeof now, "%.0f", values[i]);
      return differs(file, recorded[i][0], was, now);
    }
  }
  if (strcmp(zl_zoo_dataset(zoo), o->dataset))
    return differs(file, "dataset", zl_zoo_dataset(zoo), o->dataset);
  if (strcmp(zl_zoo_architecture(zoo), o->architecture))
    return differs(file, "architecture", zl_zoo_architecture(zoo), o->architecture);
  ZL_CALL(zl_zoo_get_attr_string(zoo, "checkpoints", &list));
  int rc =
      strcmp(list, o->checkpoint_list) ? differs(file, "checkpoints", list, o->checkpoint_list) : 0;
  free(list);
  /* Resuming on other data (an edited or re-downloaded set) would mix two zoos in one file; the
   * path may move, so only the content counts. */
  if (!rc && o->data_sha256[0]) {
    list = NULL;
    rc = zl_zoo_get_attr_string(zoo, "data_sha256", &list);
    if (!rc && strcmp(list, o->data_sha256))
      rc = ZL_ERR(ZL_ERR_RUNTIME,
                  "%s: was made from other data than %s (the SHA-256 of its images and labels "
                  "differs): rerun with the same data, or choose another --out",
                  file, o->data);
    free(list);
  }
  /* The same options on other data (another image size) would give other rows. */
  if (!rc && n_params && zl_zoo_n_params(zoo) != n_params)
    rc = ZL_ERR(ZL_ERR_RUNTIME,
                "%s: has %lld parameters per network, this data gives %lld: choose another --out",
                file, (long long)zl_zoo_n_params(zoo), (long long)n_params);
  return rc;
}

/* ---- categorical hyperparameters: labels in name order, as zoolens import stores them, so
 * trained and imported zoos can be analysed together ---- */

enum { CAT_OPTIMIZER, CAT_W_INIT, CAT_ACTIVATION, N_CAT };

typedef struct {
  const char *name;
  int n;
  const char *labels[ZL_INIT_COUNT]; /* the largest category */
} categorical;

static int compare_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void categorical_labels(categorical cat[N_CAT]) {
  cat[CAT_OPTIMIZER] = (categorical){"optimizer", ZL_OPT_COUNT, {0}};
  cat[CAT_W_INIT] = (categorical){"w_init", ZL_INIT_COUNT, {0}};
  cat[CAT_ACTIVATION] = (categorical){"activation", ZL_ACT_TANH + 1, {0}};
  for (int i = 0; i < ZL_OPT_COUNT; i++)
    cat[CAT_OPTIMIZER].labels[i] = zl_optimizer_name((zl_optimizer)i);
  for (int i = 0; i < ZL_INIT_COUNT; i++)
    cat[CAT_W_INIT].labels[i] = zl_winit_name((zl_winit)i);
  for (int i = 0; i <= ZL_ACT_TANH; i++)
    cat[CAT_ACTIVATION].labels[i] = zl_activation_name((zl_activation)i);
  for (int c = 0; c < N_CAT; c++)
    qsort(cat[c].labels, (size_t)cat[c].n, sizeof *cat[c].labels, compare_str);
}

/* The float64 per-row columns. The numeric hparams (named as the released zoo's config.*
 * columns) repeat a run's values in each of its rows. */
enum {
  F64_TEST_ACC,
  F64_TRAIN_ACC,
  F64_TEST_LOSS,
  F64_TRAIN_LOSS,
  F64_EPOCH,
  F64_LR,
  F64_INIT_STD,
  F64_L2,
  F64_DROPOUT,
  F64_FRACTION,
  N_F64
};
#define FIRST_HPARAM F64_LR
#define HPARAMS      "hparams/"
static const char *const f64_columns[N_F64] = {
    ZL_COL_TEST_ACCURACY, ZL_COL_TRAIN_ACCURACY,   ZL_COL_TEST_LOSS,   ZL_COL_TRAIN_LOSS,
    ZL_COL_EPOCH,         HPARAMS "learning_rate", HPARAMS "init_std", HPARAMS "l2reg",
    HPARAMS "dropout",    HPARAMS "train_fraction"};

typedef struct {
  int64_t run;
  zl_hparams hp;
  double cost;
} run_plan;

/* A run's rows as its checkpoints fill them. */
typedef struct {
  MPI_Comm comm; /* for the fault point inside a run */
  const run_plan *plan;
  int32_t code[N_CAT]; /* its categorical hparams */
  size_t P;
  int c;    /* checkpoints filled */
  float *w; /* C x P */
  double f64[N_F64][MAX_CHECKPOINTS];
  int64_t run[MAX_CHECKPOINTS];
  int32_t i32[N_CAT][MAX_CHECKPOINTS];
} run_rows;

static int32_t label_code(const categorical *c, const char *label) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->labels[i], label)) return i;
  return -1;
}

/* Prepares r for the run of plan p. */
static void start_rows(run_rows *r, const run_plan *p, const categorical cat[N_CAT]) {
  r->plan = p;
  r->c = 0;
  r->code[CAT_OPTIMIZER] = label_code(&cat[CAT_OPTIMIZER], zl_optimizer_name(p->hp.optimizer));
  r->code[CAT_W_INIT] = label_code(&cat[CAT_W_INIT], zl_winit_name(p->hp.w_init));
  r->code[CAT_ACTIVATION] = label_code(&cat[CAT_ACTIVATION], zl_activation_name(p->hp.activation));
}

static int on_checkpoint(void *ctx, int epoch, const float *params, const zl_train_metrics *m) {
  run_rows *r = ctx;
  const zl_hparams *hp = &r->plan->hp;
  const int c = r->c++;
  /* A failure inside a run, once training has begun (checkpoint 0 is the initial weights). */
  if (c > 0) ZL_CALL(zl_fault(r->comm, "run"));
  const double v[N_F64] = {[F64_TEST_ACC] = m->test_accuracy,
                           [F64_TRAIN_ACC] = m->train_accuracy,
                           [F64_TEST_LOSS] = m->test_loss,
                           [F64_TRAIN_LOSS] = m->train_loss,
                           [F64_EPOCH] = epoch,
                           [F64_LR] = hp->learning_rate,
                           [F64_INIT_STD] = hp->init_std,
                           [F64_L2] = hp->l2,
                           [F64_DROPOUT] = hp->dropout,
                           [F64_FRACTION] = hp->train_fraction};
  memcpy(r->w + (size_t)c * r->P, params, r->P * sizeof *params);
  for (int i = 0; i < N_F64; i++)
    r->f64[i][c] = v[i];
  for (int i = 0; i < N_CAT; i++)
    r->i32[i][c] = r->code[i];
  r->run[c] = r->plan->run;
  return 0;
}

/* Writes rows [row0, row0 + n) of a finished run (n = C), or nothing (n = 0: a rank without a
 * run this round). Collective. */
static int write_rows(zl_zoo zoo, const categorical cat[N_CAT], int64_t row0, int64_t n,
                      const run_rows *r) {
  char column[64];
  ZL_CALL(zl_zoo_write_weights(zoo, row0, n, r->w));
  for (int i = 0; i < N_F64; i++)
    ZL_CALL(zl_zoo_write_column(zoo, f64_columns[i], ZL_F64, row0, n, r->f64[i]));
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_RUN_ID, ZL_I64, row0, n, r->run));
  for (int i = 0; i < N_CAT; i++) {
    snprintf(column, sizeof column, HPARAMS "%s", cat[i].name);
    ZL_CALL(zl_zoo_write_column(zoo, column, ZL_I32, row0, n, r->i32[i]));
  }
  return 0;
}

/* Expected cost of a run in image passes, known from its hparams before it starts: a training
 * step costs about three forward passes per image (forward, backward to the inputs and to the
 * weights), over the run's subset for every epoch; each checkpoint evaluates the subset and the
 * test set. */
static double run_cost(const zl_hparams *hp, const train_opts *o, size_t n_train, size_t n_test) {
  double sub = hp->train_fraction * (double)n_train;
  int C = o->n_checkpoints, epochs = o->checkpoints[C - 1];
  return 3.0 * sub * epochs + C * (sub + (double)n_test);
}

static int all_finite(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

static int by_cost(const void *a, const void *b) {
  const run_plan *x = a, *y = b;
  if (x->cost != y->cost) return x->cost < y->cost ? 1 : -1;
  return (x->run > y->run) - (x->run < y->run);
}

/* ---- the job ---- */

typedef struct {
  int64_t trained, diverged, complete_before;
} train_summary;

/* Rank 0 looks for OUT.h5 and OUT.h5.part; every rank learns which exist. Collective. */
static int probe_out(MPI_Comm comm, const char *out, const char *part, int exists[2]) {
  if (zl_comm_rank(comm) == 0) {
    exists[0] = access(out, F_OK) == 0;
    exists[1] = access(part, F_OK) == 0;
  }
  ZL_MPI(MPI_Bcast(exists, 2, MPI_INT, 0, comm));
  return 0;
}

/* OUT.h5 exists: done, when it was made with these options. Collective. */
static int check_complete(MPI_Comm comm, const train_opts *o) {
  zl_zoo zoo = NULL;
  ZL_CALL(zl_zoo_open(comm, o->out, &zoo));
  int rc = zl_comm_agree(comm, check_options(zoo, o->out, o, 0));
  if (!rc && zl_comm_rank(comm) == 0)
    printf("train: %s is complete already (%lld runs of %s/%s); nothing to do\n", o->out, o->runs,
           o->dataset, o->architecture);
  zl_zoo_destroy(&zoo);
  return rc;
}

/* Creates OUT.h5.part with every column, the hparams and the options; flushed, so that even a job
 * killed before its first run leaves a file that resumes. Collective. */
static int create_zoo(MPI_Comm comm, const train_opts *o, const categorical cat[N_CAT],
                      const zl_zoo_spec *spec, zl_zoo *zoo) {
  ZL_CALL(zl_zoo_create(comm, o->out, spec, zoo));
  for (int i = FIRST_HPARAM; i < N_F64; i++)
    ZL_CALL(zl_zoo_add_hparam(*zoo, f64_columns[i] + strlen(HPARAMS), NULL, 0));
  for (int c = 0; c < N_CAT; c++)
    ZL_CALL(zl_zoo_add_hparam(*zoo, cat[c].name, cat[c].labels, cat[c].n));
  ZL_CALL(zl_zoo_add_column(*zoo, COL_COMPLETE, ZL_I32));
  ZL_CALL(record_options(*zoo, o));
  return zl_zoo_flush(*zoo);
}

/* The runs of the zoo not marked complete, their hparams and costs, longest first. Collective
 * (every rank reads the marks). */
static int plan_runs(zl_zoo zoo, const train_opts *o, size_t n_train, size_t n_test,
                     run_plan **todo, int64_t *n_todo) {
  const int C = o->n_checkpoints;
  const int64_t N = o->runs * C;
  int32_t *mark = zl_malloc((size_t)N, sizeof *mark, "completion marks");
  run_plan *plan = zl_malloc((size_t)o->runs, sizeof *plan, "run plan");
  int rc = zl_comm_agree(zl_zoo_comm(zoo), mark && plan ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = zl_zoo_read_column(zoo, COL_COMPLETE, ZL_I32, 0, N, mark);
  int64_t n = 0;
  for (int64_t i = 0; !rc && i < o->runs; i++) {
    int done = 1;
    for (int c = 0; c < C; c++)
      done &= mark[i * C + c] == 1;
    if (done) continue;
    zl_rng r;
    run_plan *p = &plan[n++];
    p->run = o->first_run + i;
    zl_train_rng(&r, (uint64_t)o->seed, p->run, ZL_STREAM_HPARAMS);
    zl_hparams_sample(&r, &p->hp);
    p->cost = run_cost(&p->hp, o, n_train, n_test);
  }
  free(mark);
  if (rc) {
    free(plan);
    return rc;
  }
  qsort(plan, (size_t)n, sizeof *plan, by_cost);
  *todo = plan;
  *n_todo = n;
  return 0;
}

/* Trains the planned runs in rounds and writes them. Round b takes the runs at positions
 * [b S, b S + S) of the cost order (S ranks), one per rank: the ranks synchronise at every round's
 * collective writes, so a round lasts as long as its longest run, and runs of similar cost side by
 * side waste the least. Rounds alternate from both ends of the order (longest, shortest, second
 * longest, …) so that the runs/s rate, and with it the ETA, is about right from the start.
 * Collective. */
static int train_rounds(zl_zoo zoo, const train_opts *o, const categorical cat[N_CAT],
                        const zl_dataset *train, const zl_dataset *test, const run_plan *todo,
                        int64_t n_todo, train_summary *s) {
  MPI_Comm comm = zl_zoo_comm(zoo);
  const int rank = zl_comm_rank(comm), S = zl_comm_size(comm), C = o->n_checkpoints;
  const int64_t rounds = (n_todo + S - 1) / S;
  int32_t ones[MAX_CHECKPOINTS];
  for (int c = 0; c < C; c++)
    ones[c] = 1;
  zl_train_opts topt;
  zl_train_opts_default(&topt);
  topt.arch = o->arch;
  topt.batch_size = (int)o->batch_size;
  topt.checkpoints = o->checkpoints;
  topt.n_checkpoints = C;
  run_rows r = {.comm = comm, .P = (size_t)zl_zoo_n_params(zoo)};
  r.w = zl_malloc((size_t)C * r.P, sizeof *r.w, "a run's weights");
  int rc = zl_comm_agree(comm, r.w ? 0 : ZL_ERR_RUNTIME);
  zl_progress progress;
  zl_progress_start(&progress, comm, "train", "runs", n_todo, n_todo);
  int64_t done = 0;
  for (int64_t k = 0; !rc && k < rounds; k++) {
    int64_t b = k % 2 ? rounds - 1 - k / 2 : k / 2, first = b * S;
    int64_t in_round = n_todo - first < S ? n_todo - first : S;
    const run_plan *p = rank < in_round ? &todo[first + rank] : NULL;
    int64_t row0 = p ? (p->run - o->first_run) * C : 0, n = p ? C : 0;
    /* A failure between runs, after some are complete: agreed on with the round's runs. */
    rc = k ? zl_fault(comm, "between-runs") : 0;
    if (!rc && p) {
      start_rows(&r, p, cat);
      rc = zl_train_run(&topt, &p->hp, train, test, (uint64_t)o->seed, p->run, on_checkpoint, &r);
      if (!rc) s->diverged += !all_finite(r.w + (size_t)(C - 1) * r.P, r.P);
    }
    if ((rc = zl_comm_agree(comm, rc))) break;
    /* Rows first, flushed; the marks after them: a crash in between leaves the runs unmarked, to
     * be trained again, never marked with rows missing. */
    if ((rc = write_rows(zoo, cat, row0, n, &r)) || (rc = zl_zoo_flush(zoo))) break;
    if (o->stop_after && done >= o->stop_after) {
      /* A real crash, not a clean exit: the file is not closed, as when a job is killed. */
      if (rank == 0)
        fprintf(stderr, "zoolens: train: --stop-after %lld: aborting with %lld runs complete\n",
                o->stop_after, (long long)(s->complete_before + done));
      MPI_Abort(comm, 1);
    }
    if ((rc = zl_zoo_write_column(zoo, COL_COMPLETE, ZL_I32, row0, n, ones)) ||
        (rc = zl_zoo_flush(zoo)))
      break;
    done += in_round;
    zl_progress_update(&progress, done);
  }
  if (!rc) zl_progress_end(&progress);
  free(r.w);
  s->trained = done;
  if (!rc) ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, &s->diverged, 1, MPI_INT64_T, MPI_SUM, comm));
  return rc;
}

/* Loads the data set (one copy per node), cut to the limits, and sets o->data_sha256 to the
 * SHA-256 of the pixels and labels used (decoded, so a gzip and a plain copy agree). Collective. */
static int load_data(MPI_Comm comm, train_opts *o, zl_dataset *train, zl_dataset *test,
                     zl_nodedata *nd) {
  int rc = zl_nodedata_load(comm, o->data, train, test, nd);
  if (!rc && o->train_limit && train->n > (size_t)o->train_limit) train->n = (size_t)o->train_limit;
  if (!rc && o->test_limit && test->n > (size_t)o->test_limit) test->n = (size_t)o->test_limit;
  if (!rc) {
    const void *data[4] = {train->x, train->y, test->x, test->y};
    const size_t size[4] = {train->n * train->h * train->w * sizeof(float), train->n,
                            test->n * test->h * test->w * sizeof(float), test->n};
    rc = zl_comm_agree(comm, zl_sha256_buffers(data, size, 4, o->data, o->data_sha256));
  }
  return rc;
}

static int train(MPI_Comm comm, train_opts *o) {
  const int root = zl_comm_rank(comm) == 0;
  const double t0 = MPI_Wtime();
  char part[4200];
  int exists[2] = {0, 0};
  snprintf(part, sizeof part, "%s.part", o->out);
  ZL_CALL(probe_out(comm, o->out, part, exists));
  if (exists[0]) return check_complete(comm, o);

  zl_dataset tr = {0}, te = {0};
  zl_zoo zoo = NULL;
  run_plan *todo = NULL;
  int64_t n_todo = 0, P = 0;
  zl_tensor tensors[ZL_MAX_TENSORS];
  int n_tensors = 0;
  train_summary s = {0, 0, 0};
  categorical cat[N_CAT];
  categorical_labels(cat);
  zl_nodedata nd = NULL;
  int rc = load_data(comm, o, &tr, &te, &nd);
  /* Same data and options everywhere: the layout fails alike on every rank. */
  if (!rc) rc = zl_network_layout(o->arch, tr.h, tr.w, tensors, ZL_MAX_TENSORS, &n_tensors, &P);
  if (rc) goto cleanup;
  if (exists[1]) {
    ZL_CALL_GOTO(rc, cleanup, zl_zoo_reopen_part(comm, o->out, &zoo));
    ZL_CALL_GOTO(rc, cleanup, zl_comm_agree(comm, check_options(zoo, part, o, P)));
  } else {
    zl_zoo_spec spec = {o->dataset, o->architecture, o->runs * o->n_checkpoints,
                        P,          n_tensors,       tensors};
    ZL_CALL_GOTO(rc, cleanup, create_zoo(comm, o, cat, &spec, &zoo));
  }
  ZL_CALL_GOTO(rc, cleanup, plan_runs(zoo, o, tr.n, te.n, &todo, &n_todo));
  s.complete_before = o->runs - n_todo;
  if (root && exists[1])
    fprintf(stderr, "train: resuming %s: %lld of %lld runs complete\n", part,
            (long long)s.complete_before, o->runs);
  ZL_CALL_GOTO(rc, cleanup, train_rounds(zoo, o, cat, &tr, &te, todo, n_todo, &s));
  rc = zl_zoo_commit(&zoo);
  if (!rc && root)
    printf("train: %s: %lld runs of %s/%s, %d checkpoints each (%lld trained now, %lld of them "
           "diverged) in %.1f s\n",
           o->out, o->runs, o->dataset, o->architecture, o->n_checkpoints, (long long)s.trained,
           (long long)s.diverged, MPI_Wtime() - t0);
cleanup:
  zl_zoo_destroy(&zoo);
  free(todo);
  int frc = zl_nodedata_free(&nd);
  return rc ? rc : frc;
}

int zl_cmd_train(int argc, char **argv, MPI_Comm comm) {
  train_opts o = {.architecture = "cnn", .arch = ZL_ARCH_CNN, .batch_size = 512};
  zl_train_opts defaults;
  zl_train_opts_default(&defaults);
  set_checkpoints(&o, defaults.checkpoints, defaults.n_checkpoints);
  /* One BLAS thread per rank, whatever OPENBLAS_NUM_THREADS says: the ranks already fill the
   * cores, so BLAS threads would only oversubscribe them (and these small GEMMs gain nothing from
   * threads); and a run is reproducible bit for bit as zl_train.h promises it, single-threaded. */
  openblas_set_num_threads(1);
  int first = 0;
  int rc = zl_cli_parse(comm, "train", "--dataset NAME --data DIR --runs N --out OUT.h5 [options]",
                        options, (int)(sizeof options / sizeof options[0]), on_option, &o, argc,
                        argv, &first);
  if (rc == ZL_CLI_HELP) return 0;
  if (!rc && (!o.dataset || !o.data || !o.runs || !o.out))
    rc = ZL_ERR(ZL_ERR_USAGE,
                "train: --dataset NAME, --data DIR, --runs N and --out OUT.h5 are required");
  if (!rc && first < argc)
    rc = ZL_ERR(ZL_ERR_USAGE, "train: unexpected argument '%s'", argv[first]);
  if (rc) return zl_cli_fail(comm, rc);
  return zl_cli_fail(comm, train(comm, &o));
}
