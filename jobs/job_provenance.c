#include "zl_provenance.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zl_comm.h"

/* Large reads: hashing runs at page-cache or disk speed, not syscall speed; a piece larger than
 * this is read in several calls. */
#define READ_CHUNK ((size_t)4 << 20)
#define MD_BYTES   32

/* Ends a digest: the lower-case hex of ctx's SHA-256 into hex; what names the input in errors. */
static int finish(EVP_MD_CTX *ctx, char hex[65], const char *what) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != MD_BYTES)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: SHA-256 final failed (OpenSSL)", what);
  for (unsigned i = 0; i < len; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return 0;
}

int zl_sha256_buffers(const void *const *data, const size_t *size, int n, const char *what,
                      char hex[65]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1)
               ? 0
               : ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot start SHA-256 (OpenSSL)", what);
  for (int i = 0; !rc && i < n; i++)
    if (EVP_DigestUpdate(ctx, data[i], size[i]) != 1)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: SHA-256 update failed (OpenSSL)", what);
  if (!rc) rc = finish(ctx, hex, what);
  EVP_MD_CTX_free(ctx);
  return rc;
}

/* Sizes of the n files, found by rank 0 alone (one open and fstat each, not one per rank) and
 * broadcast; a file that cannot be opened fails here, on every rank, before any reading. */
static int file_sizes(MPI_Comm comm, const char *const *paths, int n, uint64_t *sizes) {
  int rc = 0;
  if (zl_comm_rank(comm) == 0)
    for (int f = 0; !rc && f < n; f++) {
      int fd = open(paths[f], O_RDONLY);
      if (fd < 0)
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot open for the checksum: %s", paths[f],
                    strerror(errno));
      struct stat st;
      if (!rc && fstat(fd, &st))
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot stat for the checksum: %s", paths[f],
                    strerror(errno));
      /* A pipe or a device has no size to cut into pieces. */
      if (!rc && !S_ISREG(st.st_mode))
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: not a regular file, cannot checksum it", paths[f]);
      if (!rc) sizes[f] = (uint64_t)st.st_size;
      if (fd >= 0 && close(fd) && !rc)
        rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot close after the checksum: %s", paths[f],
                    strerror(errno));
    }
  ZL_CALL(zl_comm_root_status(comm, rc));
  ZL_MPI(MPI_Bcast(sizes, n, MPI_UINT64_T, 0, comm));
  return 0;
}

/* SHA-256 of len bytes of fd at off into md, read with pread in chunks of at most READ_CHUNK. */
static int hash_piece(int fd, const char *path, uint64_t off, uint64_t len, unsigned char *buf,
                      EVP_MD_CTX *ctx, unsigned char md[MD_BYTES]) {
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot start SHA-256 (OpenSSL)", path);
  while (len > 0) {
    size_t want = len < READ_CHUNK ? (size_t)len : READ_CHUNK;
    ssize_t got = pread(fd, buf, want, (off_t)off);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot read for the checksum: %s", path, strerror(errno));
    /* The size was taken at the start: a shorter file now was truncated while we read it. */
    if (got == 0)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: ended at byte %llu during the checksum (truncated?)", path,
                    (unsigned long long)off);
    if (EVP_DigestUpdate(ctx, buf, (size_t)got) != 1)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: SHA-256 update failed (OpenSSL)", path);
    off += (uint64_t)got;
    len -= (uint64_t)got;
  }
  unsigned int mdlen = 0;
  if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != MD_BYTES)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: SHA-256 final failed (OpenSSL)", path);
  return 0;
}

/* Hashes the global pieces [lo, hi) into md (32 bytes each, in order); first[f] is file f's first
 * global piece (first[n] the total). Opens each file once, for its run of consecutive pieces. */
static int hash_pieces(const char *const *paths, int n, const uint64_t *sizes,
                       const uint64_t *first, size_t piece, uint64_t lo, uint64_t hi,
                       unsigned char *md) {
  if (lo >= hi) return 0;
  unsigned char *buf = zl_malloc(piece < READ_CHUNK ? piece : READ_CHUNK, 1, "checksum buffer");
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = buf ? 0 : ZL_ERR_RUNTIME;
  if (!rc && !ctx) rc = ZL_ERR(ZL_ERR_RUNTIME, "checksum: cannot make a SHA-256 context (OpenSSL)");
  int f = 0;
  while (f < n && first[f + 1] <= lo)
    f++;
  for (uint64_t j = lo; !rc && j < hi; f++) {
    int fd = open(paths[f], O_RDONLY);
    if (fd < 0) {
      rc =
          ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot open for the checksum: %s", paths[f], strerror(errno));
      break;
    }
    for (; !rc && j < hi && j < first[f + 1]; j++) {
      uint64_t off = (j - first[f]) * (uint64_t)piece;
      uint64_t len = sizes[f] - off < piece ? sizes[f] - off : piece;
      rc = hash_piece(fd, paths[f], off, len, buf, ctx, md + (j - lo) * MD_BYTES);
    }
    if (close(fd) && !rc)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot close after the checksum: %s", paths[f],
                  strerror(errno));
  }
  EVP_MD_CTX_free(ctx);
  free(buf);
  return rc;
}

int zl_checksum_files(MPI_Comm comm, const char *const *paths, int n, size_t piece_bytes,
                      char (*hex)[65]) {
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm);
  memset(hex, 0, (size_t)n * 65);
  if (piece_bytes == 0) return ZL_ERR(ZL_ERR_RUNTIME, "checksum: the piece size must be > 0");
  uint64_t *sizes = zl_calloc((size_t)n + 1, sizeof *sizes, "checksum sizes");
  uint64_t *first = zl_calloc((size_t)n + 1, sizeof *first, "checksum pieces");
  int *counts = zl_calloc((size_t)size, sizeof *counts, "checksum counts");
  int *displs = zl_calloc((size_t)size, sizeof *displs, "checksum counts");
  unsigned char *all = NULL;
  int rc = zl_comm_agree(comm, (sizes && first && counts && displs) ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = file_sizes(comm, paths, n, sizes);
  if (rc) goto done;
  for (int f = 0; f < n; f++)
    first[f + 1] = first[f] + (sizes[f] + piece_bytes - 1) / piece_bytes;
  uint64_t total = first[n];
  /* MPI counts are int: 32 bytes a piece allows 67 million pieces (4 PiB at 64 MiB). */
  if (total > (uint64_t)INT_MAX / MD_BYTES) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "checksum: %llu pieces are too many for one gather",
                (unsigned long long)total);
    goto done;
  }
  /* Contiguous ranges: each rank reads a run of neighbouring pieces, sequential on the disk. */
  for (int r = 0; r < size; r++) {
    uint64_t lo = total * (uint64_t)r / (uint64_t)size;
    uint64_t hi = total * (uint64_t)(r + 1) / (uint64_t)size;
    counts[r] = (int)((hi - lo) * MD_BYTES);
    displs[r] = (int)(lo * MD_BYTES);
  }
  all = zl_malloc(total ? (size_t)total : 1, MD_BYTES, "piece checksums");
  rc = all ? 0 : ZL_ERR_RUNTIME;
  if (!rc)
    rc = hash_pieces(paths, n, sizes, first, piece_bytes, (uint64_t)displs[rank] / MD_BYTES,
                     ((uint64_t)displs[rank] + (uint64_t)counts[rank]) / MD_BYTES,
                     all + displs[rank]);
  /* Every rank must know about a failed read before the gather. */
  rc = zl_comm_agree(comm, rc);
  if (rc) goto done;
  if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, counts, displs, MPI_UNSIGNED_CHAR,
                     comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "checksum: MPI_Allgatherv of the piece checksums failed");
  /* The file digests are cheap (32 bytes a piece): every rank makes them, no second message. */
  for (int f = 0; !rc && f < n; f++) {
    const void *data = all + first[f] * MD_BYTES;
    size_t len = (size_t)(first[f + 1] - first[f]) * MD_BYTES;
    rc = zl_sha256_buffers(&data, &len, 1, paths[f], hex[f]);
  }
  rc = zl_comm_agree(comm, rc);
done:
  free(all);
  free(displs);
  free(counts);
  free(first);
  free(sizes);
  return rc;
}
