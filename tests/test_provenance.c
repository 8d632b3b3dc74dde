/* zl_checksum_files, XXH3-128 and SHA-256: piece digests against a serial reference (libxxhash and
 * OpenSSL called directly), flipped bytes, empty, one and two pieces, several files in one call,
 * missing and non-regular files (1, 2, 4 ranks).
 * usage: test_provenance DIR — writes its files into DIR and DIR/digests_ALG.txt ("hex  path"
 * lines, 4 KiB pieces) for tests/provenance_recompute.sh to check against xxhsum and coreutils. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zl_comm.h"
#include "zl_provenance.h"
#include "zl_test_mpi.h"
#include <xxhash.h>

#define PIECE 4096
/* 100 KiB and a tail: 25 full pieces and a short 26th. */
#define BIG          (100 * 1024 + 123)
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* `xxhsum -H2 </dev/null` */
#define EMPTY_XXH128 "99aa06d3014798d86001c324468d497f"

static int rank;
static char dir[3000];

static void path_of(char *out, const char *name) {
  snprintf(out, 4096, "%s/%s", dir, name);
}

/* Deterministic bytes, so a rerun writes the same files. */
static unsigned char byte_at(size_t i) {
  uint32_t h = (uint32_t)i * 2654435761u + 12345u;
  h ^= h >> 15;
  return (unsigned char)(h * 0x5bd1e995u >> 24);
}

/* Rank 0 writes n bytes (byte_at, with byte `flip` inverted when flip < n) to name. */
static int write_file(const char *name, size_t n, size_t flip) {
  char p[4096];
  path_of(p, name);
  int bad = 0;
  if (rank == 0) {
    FILE *f = fopen(p, "wb");
    bad = !f;
    for (size_t i = 0; !bad && i < n; i++)
      bad = fputc(i == flip ? byte_at(i) ^ 0xff : byte_at(i), f) == EOF;
    if (f && fclose(f)) bad = 1;
    if (bad) fprintf(stderr, "cannot write %s\n", p);
  }
  MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return bad;
}

/* One hash of a buffer as lower-case hex: SHA-256 through zl_sha256_buffers (OpenSSL), XXH3-128
 * straight from libxxhash, in the canonical (big-endian) order xxhsum prints. */
static void hash_hex(zl_digest alg, const void *d, size_t len, char hex[65]) {
  if (alg == ZL_DIGEST_SHA256) {
    zl_sha256_buffers(&d, &len, 1, "reference", hex);
    return;
  }
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(d, len));
  for (int i = 0; i < 16; i++)
    snprintf(hex + 2 * i, 3, "%02x", c.digest[i]);
}

/* The scheme computed serially, from the whole file in memory: H of the pieces' digests (raw
 * bytes, as their hex reads). */
static void reference(zl_digest alg, const char *name, size_t piece, char hex[65]) {
  char p[4096];
  path_of(p, name);
  int mdb = alg == ZL_DIGEST_SHA256 ? 32 : 16;
  FILE *f = fopen(p, "rb");
  unsigned char *data = malloc(BIG + 1), *mds = malloc((BIG / PIECE + 2) * 32);
  size_t n = f ? fread(data, 1, BIG + 1, f) : 0, k = 0;
  if (f) fclose(f);
  for (size_t off = 0; off < n; off += piece, k++) {
    size_t len = n - off < piece ? n - off : piece;
    char h[65];
    hash_hex(alg, data + off, len, h);
    for (int i = 0; i < mdb; i++)
      sscanf(h + 2 * i, "%2hhx", &mds[(size_t)mdb * k + i]);
  }
  hash_hex(alg, mds, (size_t)mdb * k, hex);
  free(data);
  free(mds);
}

/* Checksums of the named files with the given piece size; returns the rc. */
static int checksum(zl_digest alg, const char *const *names, int n, size_t piece, char (*hex)[65]) {
  char(*paths)[4096] = malloc((size_t)n * sizeof *paths);
  const char *ptr[8];
  for (int i = 0; i < n; i++) {
    path_of(paths[i], names[i]);
    ptr[i] = paths[i];
  }
  zl_error_clear();
  int rc = zl_checksum_files(MPI_COMM_WORLD, alg, ptr, n, piece, hex);
  free(paths);
  return rc;
}

/* Every check for one algorithm; the files are written already. */
static void check_alg(zl_digest alg) {
  static const char *const names[] = {"big.bin", "empty.bin", "one.bin", "two.bin"};
  size_t hexlen = alg == ZL_DIGEST_SHA256 ? 64 : 32;
  char hex[4][65], want[65];
  /* Several files in one call, so pieces of different files land on the same rank. */
  ZL_CHECK(checksum(alg, names, 4, PIECE, hex) == 0);
  for (int i = 0; i < 4; i++) {
    reference(alg, names[i], PIECE, want);
    ZL_CHECK(!strcmp(hex[i], want));
    ZL_CHECK(strlen(hex[i]) == hexlen);
  }
  /* No pieces: the hash of nothing. */
  ZL_CHECK(!strcmp(hex[1], alg == ZL_DIGEST_SHA256 ? EMPTY_SHA256 : EMPTY_XXH128));
  if (rank == 0) {
    char p[4096], name[64];
    snprintf(name, sizeof name, "digests_%s.txt", zl_digest_name(alg));
    path_of(p, name);
    FILE *f = fopen(p, "w");
    ZL_CHECK(f != NULL);
    for (int i = 0; f && i < 4; i++) {
      char q[4096];
      path_of(q, names[i]);
      fprintf(f, "%s  %s\n", hex[i], q);
    }
    ZL_CHECK(f && fclose(f) == 0);
  }

  /* The production piece size: the 100 KiB file is one piece, H(H(file)). */
  char one[1][65];
  ZL_CHECK(checksum(alg, names, 1, ZL_CHECKSUM_PIECE_BYTES, one) == 0);
  reference(alg, "big.bin", (size_t)1 << 30, want);
  ZL_CHECK(!strcmp(one[0], want));
  ZL_CHECK(strcmp(one[0], hex[0]) != 0);

  /* A flipped byte in the first, a middle and the last piece changes the digest (flip*.bin hold
   * big.bin's bytes but one). */
  char flipped[3][65];
  for (int k = 0; k < 3; k++) {
    char name[32];
    snprintf(name, sizeof name, "flip%d.bin", k);
    const char *fname[] = {name};
    ZL_CHECK(checksum(alg, fname, 1, PIECE, one) == 0);
    reference(alg, name, PIECE, want);
    ZL_CHECK(!strcmp(one[0], want));
    ZL_CHECK(strcmp(one[0], hex[0]) != 0);
    memcpy(flipped[k], one[0], 65);
  }
  ZL_CHECK(strcmp(flipped[0], flipped[1]) && strcmp(flipped[1], flipped[2]) &&
           strcmp(flipped[0], flipped[2]));
  /* Every byte counts, end to end: a 200-byte file in 64-byte pieces (three and a short one)
   * with each of its bytes flipped in turn has 200 digests, none the unflipped file's nor another
   * flip's. */
  {
    enum { SMALL = 200, SMALL_PIECE = 64 };
    static char each[SMALL + 1][65];
    const char *sname[] = {"small.bin"};
    for (size_t i = 0; i <= SMALL; i++) {
      ZL_CHECK(write_file("small.bin", SMALL, i) == 0); /* i == SMALL: nothing flipped */
      ZL_CHECK(checksum(alg, sname, 1, SMALL_PIECE, one) == 0);
      memcpy(each[i], one[0], 65);
    }
    qsort(each, SMALL + 1, 65, (int (*)(const void *, const void *))strcmp);
    int repeats = 0;
    for (size_t i = 1; i <= SMALL; i++)
      repeats += !strcmp(each[i - 1], each[i]);
    ZL_CHECK(repeats == 0);
  }

  /* A missing file among good ones: one line naming it and the cause, the same on every rank. */
  static const char *const missing[] = {"big.bin", "missing.bin"};
  char two[2][65], msg[5000];
  ZL_CHECK(checksum(alg, missing, 2, PIECE, two) == ZL_ERR_RUNTIME);
  snprintf(msg, sizeof msg,
           "%s/missing.bin: cannot open for the checksum: No such file or directory", dir);
  ZL_CHECK(!strcmp(zl_error_message(), msg));
  if (strcmp(zl_error_message(), msg)) fprintf(stderr, "got: %s\n", zl_error_message());

  /* A directory opens but has no bytes to cut into pieces. */
  static const char *const notreg[] = {"."};
  ZL_CHECK(checksum(alg, notreg, 1, PIECE, one) == ZL_ERR_RUNTIME);
  snprintf(msg, sizeof msg, "%s/.: not a regular file, cannot checksum it", dir);
  ZL_CHECK(!strcmp(zl_error_message(), msg));
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc != 2) {
    if (rank == 0) fprintf(stderr, "usage: test_provenance DIR\n");
    MPI_Finalize();
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[1]);
  if (rank == 0) mkdir(dir, 0777); /* may exist already: the writes below report failures */

  static const char *const names[] = {"big.bin", "empty.bin", "one.bin", "two.bin"};
  static const size_t sizes[] = {BIG, 0, PIECE, PIECE + 1};
  /* A flipped byte in the first, a middle and the last piece of big.bin. */
  static const size_t flips[] = {0, 12 * PIECE + 77, BIG - 1};
  int bad = 0;
  for (int i = 0; i < 4; i++)
    bad |= write_file(names[i], sizes[i], (size_t)-1);
  for (int k = 0; k < 3; k++) {
    char name[32];
    snprintf(name, sizeof name, "flip%d.bin", k);
    bad |= write_file(name, BIG, flips[k]);
  }
  ZL_CHECK(!bad);
  check_alg(ZL_DIGEST_XXH128);
  check_alg(ZL_DIGEST_SHA256);

  /* The names and the parser agree; anything else is refused. */
  zl_digest d = ZL_DIGEST_SHA256;
  ZL_CHECK(zl_digest_parse("xxh128", &d) == 0 && d == ZL_DIGEST_XXH128);
  ZL_CHECK(zl_digest_parse(zl_digest_name(ZL_DIGEST_SHA256), &d) == 0 && d == ZL_DIGEST_SHA256);
  ZL_CHECK(zl_digest_parse("md5", &d) != 0);
  return zl_test_finish_mpi();
}
