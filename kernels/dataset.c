#include "zl_dataset.h"

#include "zl_error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

enum { IDX3_MAGIC = 0x00000803, IDX1_MAGIC = 0x00000801, IDX_MAX_DIMS = 3, MAX_SIDE = 4096 };
enum { CIFAR_SIDE = 32, CIFAR_PLANE = CIFAR_SIDE * CIFAR_SIDE, CIFAR_RECORD = 1 + 3 * CIFAR_PLANE };
/* Decompressed bytes converted per step: large enough that gzread's per-call cost vanishes. */
enum { READ_BLOCK = 1 << 16 };

/* gzopen reads plain files transparently, so one path serves .gz and uncompressed files. */
static int open_file(const char *path, gzFile *f) {
  errno = 0;
  *f = gzopen(path, "rb");
  if (!*f)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot open (%s)", path,
                  errno ? strerror(errno) : "out of memory");
  gzbuffer(*f, 1 << 17);
  return 0;
}

/* Reads up to n bytes; *got receives how many arrived before the end of the file. */
static int read_some(gzFile f, const char *path, void *buf, size_t n, size_t *got) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got < (size_t)INT_MAX ? n - *got : (size_t)INT_MAX;
    int r = gzread(f, (char *)buf + *got, (unsigned)want);
    if (r < 0) {
      int zerr;
      const char *msg = gzerror(f, &zerr);
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: read error (%s)", path, msg);
    }
    if (r == 0) break;
    *got += (size_t)r;
  }
  return 0;
}

/* Reads exactly n bytes of the named part; a short read is a truncated file. */
static int read_exact(gzFile f, const char *path, void *buf, size_t n, const char *what) {
  size_t got;
  ZL_CALL(read_some(f, path, buf, n, &got));
  if (got < n)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: truncated %s (%zu of %zu bytes)", path, what, got, n);
  return 0;
}

static uint32_t big_endian32(const unsigned char *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* Pixel byte -> x/255 mapped to [-1, 1]; a table keeps the mapping identical everywhere. */
static void pixel_table(float t[256]) {
  for (int i = 0; i < 256; i++)
    t[i] = (float)i / 127.5f - 1.0f;
}

static int check_labels(const char *path, const uint8_t *y, size_t n, size_t first) {
  for (size_t i = 0; i < n; i++)
    if (y[i] >= ZL_DATASET_CLASSES)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: label %u of item %zu is outside 0..%d", path, y[i],
                    first + i, ZL_DATASET_CLASSES - 1);
  return 0;
}

/* Header of an idx file: magic, then one big-endian uint32 per dimension. On success every
   entry of dims is set: the file's dimensions, then 0 for the dimensions it does not have. */
static int read_idx_header(gzFile f, const char *path, uint32_t magic,
                           uint32_t dims[IDX_MAX_DIMS]) {
  int nd = (int)(magic & 0xff);
  unsigned char h[4 * (1 + IDX_MAX_DIMS)];
  ZL_CALL(read_exact(f, path, h, 4u * (unsigned)(1 + nd), "header"));
  uint32_t m = big_endian32(h);
  if (m != magic)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: magic 0x%08x is not an %s file (0x%08x)", path, m,
                  nd == 3 ? "idx3 image" : "idx1 label", magic);
  for (int i = 0; i < IDX_MAX_DIMS; i++)
    dims[i] = i < nd ? big_endian32(h + 4 * (i + 1)) : 0;
  return 0;
}

/* Pixels are read into an array that grows as they arrive, from this many up to what the header
   claims: a gzip file's decompressed size is unknown until its end, so a header claiming 10^9
   images in a small file ends at "truncated pixel data" having allocated about what it held. */
enum { FIRST_PIXELS = 1 << 20 };

static int read_idx_images(gzFile f, const char *path, zl_dataset *d) {
  uint32_t dims[IDX_MAX_DIMS];
  ZL_CALL(read_idx_header(f, path, IDX3_MAGIC, dims));
  if (dims[0] == 0) return ZL_ERR(ZL_ERR_RUNTIME, "%s: contains no images", path);
  if (dims[1] == 0 || dims[2] == 0 || dims[1] > MAX_SIDE || dims[2] > MAX_SIDE)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: image size %u x %u is outside 1..%d", path, dims[1], dims[2],
                  MAX_SIDE);
  size_t total;
  ZL_CALL(zl_mul_size(dims[0], (size_t)dims[1] * dims[2], &total, path));
  /* A plain file's size is known: a header claiming more pixels than it holds fails at once. */
  struct stat st;
  if (gzdirect(f) && !stat(path, &st) && (uint64_t)st.st_size - 16 < total)
    return ZL_ERR(ZL_ERR_RUNTIME,
                  "%s: header claims %u images of %u x %u pixels, the file holds %lld bytes", path,
                  dims[0], dims[1], dims[2], (long long)st.st_size);
  d->n = dims[0];
  d->h = (int)dims[1];
  d->w = (int)dims[2];
  unsigned char *buf = zl_malloc(READ_BLOCK, 1, path);
  if (!buf) return ZL_ERR_RUNTIME;
  float table[256];
  pixel_table(table);
  int rc = 0;
  size_t cap = 0;
  for (size_t done = 0; done < total && !rc;) {
    size_t want = total - done < READ_BLOCK ? total - done : READ_BLOCK, got;
    rc = read_some(f, path, buf, want, &got);
    if (!rc && got < want)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: truncated pixel data (%zu of %zu bytes)", path, done + got,
                  total);
    if (!rc && done + got > cap) {
      size_t grown =
          cap ? (cap < total / 2 ? 2 * cap : total) : (total < FIRST_PIXELS ? total : FIRST_PIXELS);
      size_t bytes;
      float *x = NULL;
      rc = zl_mul_size(grown, sizeof *x, &bytes, path);
      if (!rc && !(x = realloc(d->x, bytes)))
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory after %zu pixels", path, done);
      if (rc) break;
      d->x = x;
      cap = grown;
    }
    for (size_t i = 0; !rc && i < got; i++)
      d->x[done + i] = table[buf[i]];
    done += got;
  }
  free(buf);
  return rc;
}

static int read_idx_labels(gzFile f, const char *path, const char *images_path, zl_dataset *d) {
  /* Passing &n for a one-dimensional header left n unset, to the compiler's eye, on paths where
     the header loop did not run (gcc -O3 -Wmaybe-uninitialized); the header now fills all dims. */
  uint32_t dims[IDX_MAX_DIMS];
  ZL_CALL(read_idx_header(f, path, IDX1_MAGIC, dims));
  uint32_t n = dims[0];
  if (n != d->n)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: %u labels for the %zu images of %s", path, n, d->n,
                  images_path);
  d->y = zl_malloc(n, 1, path);
  if (!d->y) return ZL_ERR_RUNTIME;
  ZL_CALL(read_exact(f, path, d->y, n, "labels"));
  return check_labels(path, d->y, n, 0);
}

int zl_dataset_read_idx(const char *images_path, const char *labels_path, zl_dataset *d) {
  memset(d, 0, sizeof *d);
  gzFile f = NULL;
  int rc = open_file(images_path, &f);
  if (!rc) rc = read_idx_images(f, images_path, d);
  if (f) gzclose(f);
  f = NULL;
  if (!rc) rc = open_file(labels_path, &f);
  if (!rc) rc = read_idx_labels(f, labels_path, images_path, d);
  if (f) gzclose(f);
  if (rc) zl_dataset_free(d);
  return rc;
}

/* Appends the records of one CIFAR batch, growing d by doubling. */
static int read_cifar_batch(const char *path, zl_dataset *d, size_t *cap) {
  gzFile f;
  ZL_CALL(open_file(path, &f));
  unsigned char rec[CIFAR_RECORD];
  int rc = 0;
  for (size_t k = 0;; k++) {
    size_t got;
    rc = read_some(f, path, rec, CIFAR_RECORD, &got);
    if (rc || got == 0) break;
    if (got < CIFAR_RECORD) {
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: truncated record %zu (%zu of %d bytes)", path, k, got,
                  CIFAR_RECORD);
      break;
    }
    if (d->n == *cap) {
      size_t nc = *cap ? 2 * *cap : 10000;
      float *x = realloc(d->x, nc * CIFAR_PLANE * sizeof *x);
      if (x) d->x = x;
      uint8_t *y = x ? realloc(d->y, nc) : NULL;
      if (y) d->y = y;
      if (!x || !y) {
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory after %zu images", path, d->n);
        break;
      }
      *cap = nc;
    }
    if ((rc = check_labels(path, rec, 1, k))) break;
    d->y[d->n] = rec[0];
    const unsigned char *r = rec + 1, *g = r + CIFAR_PLANE, *b = g + CIFAR_PLANE;
    float *x = d->x + d->n * CIFAR_PLANE;
    /* Mean over RGB of x/255 mapped to [-1, 1] is (r+g+b)/382.5 - 1. */
    for (int i = 0; i < CIFAR_PLANE; i++)
      x[i] = (float)(r[i] + g[i] + b[i]) / 382.5f - 1.0f;
    d->n++;
  }
  gzclose(f);
  return rc;
}

int zl_dataset_read_cifar(const char *const *paths, int n_paths, zl_dataset *d) {
  memset(d, 0, sizeof *d);
  d->h = d->w = CIFAR_SIDE;
  size_t cap = 0;
  int rc = 0;
  for (int i = 0; i < n_paths && !rc; i++) {
    size_t before = d->n;
    rc = read_cifar_batch(paths[i], d, &cap);
    if (!rc && d->n == before) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: contains no images", paths[i]);
  }
  if (rc) zl_dataset_free(d);
  return rc;
}

void zl_dataset_free(zl_dataset *d) {
  free(d->x);
  free(d->y);
  memset(d, 0, sizeof *d);
}

static int file_exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static int join(char *out, size_t cap, const char *dir, const char *name, const char *suffix) {
  int len = snprintf(out, cap, "%s/%s%s", dir, name, suffix);
  if (len < 0 || (size_t)len >= cap) return ZL_ERR(ZL_ERR_RUNTIME, "%s: path too long", dir);
  return 0;
}

/* The idx file NAME in DIR, plain or gzip, whichever exists (plain first). */
static int find_idx(const char *dir, const char *name, char *path, size_t cap) {
  ZL_CALL(join(path, cap, dir, name, ""));
  if (file_exists(path)) return 0;
  ZL_CALL(join(path, cap, dir, name, ".gz"));
  if (file_exists(path)) return 0;
  return ZL_ERR(ZL_ERR_RUNTIME, "%s/%s: not found (nor %s.gz)", dir, name, name);
}

static int load_idx_pair(const char *dir, const char *images, const char *labels, zl_dataset *d) {
  char ipath[4096], lpath[4096];
  ZL_CALL(find_idx(dir, images, ipath, sizeof ipath));
  ZL_CALL(find_idx(dir, labels, lpath, sizeof lpath));
  return zl_dataset_read_idx(ipath, lpath, d);
}

static int load_cifar_dir(const char *dir, zl_dataset *train, zl_dataset *test) {
  char paths[6][4096];
  const char *p[6];
  for (int i = 0; i < 6; i++) {
    char name[32];
    snprintf(name, sizeof name, i < 5 ? "data_batch_%d.bin" : "test_batch.bin", i + 1);
    ZL_CALL(join(paths[i], sizeof paths[i], dir, name, ""));
    p[i] = paths[i];
  }
  ZL_CALL(zl_dataset_read_cifar(p, 5, train));
  return zl_dataset_read_cifar(p + 5, 1, test);
}

int zl_dataset_load_dir(const char *dir, zl_dataset *train, zl_dataset *test) {
  memset(train, 0, sizeof *train);
  memset(test, 0, sizeof *test);
  char probe[4096];
  int rc = join(probe, sizeof probe, dir, "data_batch_1.bin", "");
  int cifar = !rc && file_exists(probe);
  if (!rc && cifar) rc = load_cifar_dir(dir, train, test);
  if (!rc && !cifar)
    rc = load_idx_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", train);
  if (!rc && !cifar)
    rc = load_idx_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", test);
  if (!rc && (test->h != train->h || test->w != train->w))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: test images are %d x %d but training images are %d x %d", dir,
                test->h, test->w, train->h, train->w);
  if (rc) {
    zl_dataset_free(train);
    zl_dataset_free(test);
  }
  return rc;
}
