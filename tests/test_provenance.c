/* zl_checksum_files: piece digests against a serial reference, flipped bytes, empty, one and two
 * pieces, several files in one call, missing and non-regular files (1, 2, 4 ranks).
 * usage: test_provenance DIR — writes its files into DIR and DIR/digests.txt ("hex  path" lines,
 * 4 KiB pieces) for tests/provenance_recompute.sh to check against coreutils. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zl_comm.h"
#include "zl_provenance.h"
#include "zl_test_mpi.h"

#define PIECE 4096
/* 100 KiB and a tail: 25 full pieces and a short 26th. */
#define BIG          (100 * 1024 + 123)
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

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

/* The scheme computed serially, from the whole file in memory: SHA-256 of the pieces' SHA-256s. */
static void reference(const char *name, size_t piece, char hex[65]) {
  char p[4096];
  path_of(p, name);
  FILE *f = fopen(p, "rb");
  unsigned char *data = malloc(BIG + 1), *mds = malloc((BIG / PIECE + 2) * 32);
  size_t n = f ? fread(data, 1, BIG + 1, f) : 0, k = 0;
  if (f) fclose(f);
  for (size_t off = 0; off < n; off += piece, k++) {
    const void *d = data + off;
    size_t len = n - off < piece ? n - off : piece;
    char h[65];
    zl_sha256_buffers(&d, &len, 1, "reference", h);
    for (int i = 0; i < 32; i++)
      sscanf(h + 2 * i, "%2hhx", &mds[32 * k + i]);
  }
  const void *d = mds;
  size_t len = 32 * k;
  zl_sha256_buffers(&d, &len, 1, "reference", hex);
  free(data);
  free(mds);
}

/* Checksums of the named files with the given piece size; returns the rc. */
static int checksum(const char *const *names, int n, size_t piece, char (*hex)[65]) {
  char(*paths)[4096] = malloc((size_t)n * sizeof *paths);
  const char *ptr[8];
  for (int i = 0; i < n; i++) {
    path_of(paths[i], names[i]);
    ptr[i] = paths[i];
  }
  zl_error_clear();
  int rc = zl_checksum_files(MPI_COMM_WORLD, ptr, n, piece, hex);
  free(paths);
  return rc;
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

  /* Several files in one call, so pieces of different files land on the same rank. */
  static const char *const names[] = {"big.bin", "empty.bin", "one.bin", "two.bin"};
  static const size_t sizes[] = {BIG, 0, PIECE, PIECE + 1};
  int bad = 0;
  for (int i = 0; i < 4; i++)
    bad |= write_file(names[i], sizes[i], (size_t)-1);
  ZL_CHECK(!bad);
  char hex[4][65], want[65];
  ZL_CHECK(checksum(names, 4, PIECE, hex) == 0);
  for (int i = 0; i < 4; i++) {
    reference(names[i], PIECE, want);
    ZL_CHECK(!strcmp(hex[i], want));
  }
  ZL_CHECK(!strcmp(hex[1], EMPTY_SHA256)); /* no pieces: SHA-256 of nothing */
  if (rank == 0) {
    char p[4096];
    path_of(p, "digests.txt");
    FILE *f = fopen(p, "w");
    ZL_CHECK(f != NULL);
    for (int i = 0; f && i < 4; i++) {
      char q[4096];
      path_of(q, names[i]);
      fprintf(f, "%s  %s\n", hex[i], q);
    }
    ZL_CHECK(f && fclose(f) == 0);
  }

  /* The production piece size: the 100 KiB file is one piece, sha256(sha256(file)). */
  char one[1][65];
  ZL_CHECK(checksum(names, 1, ZL_CHECKSUM_PIECE_BYTES, one) == 0);
  reference("big.bin", (size_t)1 << 30, want);
  ZL_CHECK(!strcmp(one[0], want));
  ZL_CHECK(strcmp(one[0], hex[0]) != 0);

  /* A flipped byte in the first, a middle and the last piece changes the digest. */
  static const size_t flips[] = {0, 12 * PIECE + 77, BIG - 1};
  char flipped[3][65];
  /* One file per flip: rank 0 must not rewrite a file the other ranks still read for reference. */
  for (int k = 0; k < 3; k++) {
    char name[32];
    snprintf(name, sizeof name, "flip%d.bin", k);
    const char *fname[] = {name};
    ZL_CHECK(write_file(name, BIG, flips[k]) == 0);
    ZL_CHECK(checksum(fname, 1, PIECE, one) == 0);
    reference(name, PIECE, want);
    ZL_CHECK(!strcmp(one[0], want));
    ZL_CHECK(strcmp(one[0], hex[0]) != 0);
    memcpy(flipped[k], one[0], 65);
  }
  ZL_CHECK(strcmp(flipped[0], flipped[1]) && strcmp(flipped[1], flipped[2]) &&
           strcmp(flipped[0], flipped[2]));

  /* A missing file among good ones: one line naming it and the cause, the same on every rank. */
  static const char *const missing[] = {"big.bin", "missing.bin"};
  char two[2][65], msg[5000];
  ZL_CHECK(checksum(missing, 2, PIECE, two) == ZL_ERR_RUNTIME);
  snprintf(msg, sizeof msg,
           "%s/missing.bin: cannot open for the checksum: No such file or directory", dir);
  ZL_CHECK(!strcmp(zl_error_message(), msg));
  if (strcmp(zl_error_message(), msg)) fprintf(stderr, "got: %s\n", zl_error_message());

  /* A directory opens but has no bytes to cut into pieces. */
  static const char *const notreg[] = {"."};
  ZL_CHECK(checksum(notreg, 1, PIECE, one) == ZL_ERR_RUNTIME);
  snprintf(msg, sizeof msg, "%s/.: not a regular file, cannot checksum it", dir);
  ZL_CHECK(!strcmp(zl_error_message(), msg));
  return zl_test_finish_mpi();
}
