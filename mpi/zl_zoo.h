/* The zoo file (design §2): an HDF5 file, format "zoolens-zoo" version 1, read and written with
 * parallel HDF5. Every function taking a zl_zoo is collective over the communicator the zoo was
 * opened on unless it says otherwise; every rank must make the same calls in the same order (a
 * rank with nothing to read or write passes n = 0). */
#ifndef ZL_ZOO_H
#define ZL_ZOO_H

#include <mpi.h>
#include <stdint.h>

#define ZL_ZOO_FORMAT         "zoolens-zoo"
#define ZL_ZOO_FORMAT_VERSION 1

typedef struct zl_zoo_s *zl_zoo;

typedef enum { ZL_TENSOR_KERNEL = 0, ZL_TENSOR_BIAS = 1 } zl_tensor_kind;

/* One tensor of the flattened parameter row (a row of /layout). */
typedef struct {
  char name[128];
  int64_t offset; /* first column in a weights row */
  int64_t size;   /* number of parameters */
  char shape[64]; /* e.g. "(3, 3, 1, 16)" as in the released layout.csv */
  zl_tensor_kind kind;
} zl_tensor;

typedef enum { ZL_F64 = 0, ZL_I64 = 1, ZL_I32 = 2 } zl_dtype;

/* What a new zoo file holds. */
typedef struct {
  const char *dataset;      /* mnist, fashion_mnist, cifar10_gs, svhn_gs, or any name */
  const char *architecture; /* cnn, mlp, or any name */
  int64_t n_rows;           /* N networks (checkpoints) */
  int64_t n_params;         /* P */
  int n_tensors;
  const zl_tensor *tensors; /* must tile [0, P) in order */
} zl_zoo_spec;

/* The per-row columns every zoo has, besides /hparams/<name>. */
#define ZL_COL_TEST_ACCURACY  "metrics/test_accuracy"
#define ZL_COL_TRAIN_ACCURACY "metrics/train_accuracy"
#define ZL_COL_TEST_LOSS      "metrics/test_loss"
#define ZL_COL_TRAIN_LOSS     "metrics/train_loss"
#define ZL_COL_RUN_ID         "runs/run_id"
#define ZL_COL_EPOCH          "runs/epoch"

/* Creates a zoo at "<path>.part" with all fixed datasets sized for spec (weights chunked by rows,
 * float64 columns NaN filled, runs/run_id 0 filled). Nothing is visible at `path` until
 * zl_zoo_commit. Every rank passes the same spec. Errors: "<path>: /layout does not cover the P
 * parameters", "<path>.part: cannot create: <reason>", … Collective. */
int zl_zoo_create(MPI_Comm comm, const char *path, const zl_zoo_spec *spec, zl_zoo *zoo);

/* Reopens an unfinished "<path>.part" written by zl_zoo_create, for writing (to resume). Validates
 * it like zl_zoo_open. Collective. */
int zl_zoo_reopen_part(MPI_Comm comm, const char *path, zl_zoo *zoo);

/* Opens an existing zoo read-only and validates format, format_version, shapes and layout; every
 * error names the file and the dataset: "<path>: no such file", "<path>: format_version is 2, this
 * zoolens reads 1", "<path>: /weights: shape [400, 4971] does not match n_params 4970", "<path>:
 * /layout does not cover the 4970 parameters", "<path>: /metrics/test_loss: shape [399] does not
 * match the 400 rows of /weights", … Rank 0 validates alone first, so these messages carry no rank.
 * Collective. */
int zl_zoo_open(MPI_Comm comm, const char *path, zl_zoo *zoo);

/* Closes a read-only zoo's file but keeps its metadata: the getters below keep answering, while
 * reads fail until zl_zoo_resume. So a job can hold the metadata of thousands of zoo files (a
 * SLURM job array's shards) with one file open at a time: each open file costs file descriptors
 * and HDF5's and MPI-IO's buffers on every rank. Collective. */
int zl_zoo_suspend(zl_zoo zoo);

/* Reopens a suspended zoo's file for reading; its metadata is the one validated when it was
 * opened, so the file must not have changed meanwhile. Collective. */
int zl_zoo_resume(zl_zoo zoo);

/* Flushes, closes and renames "<path>.part" to path (rank 0, after every rank closed). Sets *zoo
 * to NULL. Collective. */
int zl_zoo_commit(zl_zoo *zoo);

/* Closes without committing (a created zoo stays at "<path>.part", for train to resume). After a
 * failed write the file cannot be closed collectively (the ranks may have left HDF5's collectives
 * at different points): rank 0 then prints the agreed error as "zoolens: <message>" and the job
 * ends with MPI_Abort (exit status 1). Safe on NULL. Collective. */
void zl_zoo_destroy(zl_zoo *zoo);

/* zl_zoo_destroy for writers that cannot resume (synth): rank 0 first removes "<path>.part", so
 * a failed job leaves no partial zoo. Safe on NULL. Collective. */
void zl_zoo_remove(zl_zoo *zoo);

/* Not collective: */
MPI_Comm zl_zoo_comm(zl_zoo zoo);
const char *zl_zoo_path(zl_zoo zoo);
const char *zl_zoo_dataset(zl_zoo zoo);
const char *zl_zoo_architecture(zl_zoo zoo);
int64_t zl_zoo_n_rows(zl_zoo zoo);
int64_t zl_zoo_n_params(zl_zoo zoo);
int zl_zoo_n_tensors(zl_zoo zoo);
const zl_tensor *zl_zoo_tensor(zl_zoo zoo, int i);

/* Reads rows [row0, row0 + n) of /weights into buf (n * P floats, row-major). Collective: each rank
 * passes its own range; n may be 0. */
int zl_zoo_read_weights(zl_zoo zoo, int64_t row0, int64_t n, float *buf);

/* Reads the rows listed in rows[0..n) (strictly ascending) into buf; consecutive rows are
 * coalesced into one hyperslab. Collective. */
int zl_zoo_read_weight_rows(zl_zoo zoo, const int64_t *rows, int64_t n, float *buf);

/* Writes rows [row0, row0 + n) of /weights. Collective. */
int zl_zoo_write_weights(zl_zoo zoo, int64_t row0, int64_t n, const float *buf);

/* Reads/writes elements [row0, row0 + n) of a per-row column ("metrics/test_accuracy",
 * "runs/run_id", "hparams/<name>", …) converting to/from dtype. Collective. In all row reads and
 * writes a rank may pass n = 0 (and then buf = NULL); rows out of range on any rank fail on every
 * rank ("<file>: /weights: rows requested outside [0, N) …"), with no transfer. */
int zl_zoo_read_column(zl_zoo zoo, const char *column, zl_dtype dtype, int64_t row0, int64_t n,
                       void *buf);
int zl_zoo_write_column(zl_zoo zoo, const char *column, zl_dtype dtype, int64_t row0, int64_t n,
                        const void *buf);

/* Adds /hparams/<name>: numeric (float64, labels NULL, NaN filled) or categorical (int32 codes,
 * -1 filled, n_labels >= 1 names stored in the attribute "labels"). Collective, on a created or
 * reopened zoo; every rank passes the same arguments. */
/* Reads the elements at rows[0..n) (strictly ascending) of a per-row column. Collective. */
int zl_zoo_read_column_rows(zl_zoo zoo, const char *column, zl_dtype dtype, const int64_t *rows,
                            int64_t n, void *buf);

int zl_zoo_add_hparam(zl_zoo zoo, const char *name, const char *const *labels, int n_labels);

/* Adds a per-row or per-run string dataset (e.g. "runs/name", "runs/checkpoint") of n strings,
 * written by rank 0 (s and n are only read there; other ranks may pass NULL, 0). Replaces an
 * existing dataset of that name. Collective. */
int zl_zoo_write_strings(zl_zoo zoo, const char *dataset, const char *const *s, int64_t n);

/* Number of /hparams entries, the i-th name (sorted), and for a categorical one its labels
 * (*n_labels = 0 for numeric). Strings stay owned by the zoo. Not collective. */
int zl_zoo_n_hparams(zl_zoo zoo);
const char *zl_zoo_hparam_name(zl_zoo zoo, int i);
const char *const *zl_zoo_hparam_labels(zl_zoo zoo, int i, int *n_labels);

/* Reads a string dataset into a NULL-terminated array of n strings (free with zl_strings_free).
 * Collective (every rank receives them). */
int zl_zoo_read_strings(zl_zoo zoo, const char *dataset, char ***s, int64_t *n);
void zl_strings_free(char **s, int64_t n);

/* A numeric root attribute (e.g. synth's "synth_planted_r2"). set: collective, on a created or
 * reopened zoo. get: not collective; *found = 0 when absent. */
int zl_zoo_set_attr_double(zl_zoo zoo, const char *name, double value);
int zl_zoo_get_attr_double(zl_zoo zoo, const char *name, double *value, int *found);

/* Rows per collective read block that keep a block of weights within max_bytes (at least 1 row,
 * at most N; a whole number of chunks when a chunk fits). Not collective. */
int64_t zl_zoo_block_rows(zl_zoo zoo, int64_t max_bytes);

/* This rank's contiguous share of n_rows rows, balanced to ±1 row in rank order ([*row0, *row0 +
 * *n)), and the number of blocks of block_rows rows that every rank steps through: the most any
 * rank needs, so a rank with fewer (or no) rows still makes every collective call, with n = 0.
 * Collective (one MPI_Allreduce). */
int zl_zoo_share_rows(MPI_Comm comm, int64_t n_rows, int64_t block_rows, int64_t *row0, int64_t *n,
                      int64_t *n_blocks);

/* Checks that tensors t[0..n) tile [0, n_params) in order, each with size >= 1; otherwise records
 * "<what> does not cover the <n_params> parameters". Used on /layout and on a zoo's layout.csv.
 * Not collective. */
int zl_zoo_check_layout(const char *what, const zl_tensor *t, int n, int64_t n_params);

/* ---- resumable writing (zoolens train) ---- */

/* Adds a per-row column outside /hparams (e.g. "runs/complete"), every element 0 (integer dtypes)
 * or NaN (ZL_F64) until written. Collective, on a created or reopened zoo; every rank passes the
 * same arguments. Errors: "<file>: /<column> exists", HDF5 failures. */
int zl_zoo_add_column(zl_zoo zoo, const char *column, zl_dtype dtype);

/* Makes everything written so far durable: HDF5's metadata written out and the file synced
 * (H5Fflush, MPI_File_sync), so that a job killed afterwards leaves a file that reopens with these
 * contents. Collective. */
int zl_zoo_flush(zl_zoo zoo);

/* A string root attribute. set: collective, on a created or reopened zoo (replaces an existing
 * one). get: collective (a metadata read every rank makes); *value is a malloc'ed copy, and the
 * error "<file>: the root attribute '<name>' is missing" when absent. */
int zl_zoo_set_attr_string(zl_zoo zoo, const char *name, const char *value);
int zl_zoo_get_attr_string(zl_zoo zoo, const char *name, char **value);

#endif
