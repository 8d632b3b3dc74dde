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
/* libxxhash's x86-64 build carries XXH3 for SSE2, AVX2 and AVX-512 and picks one at run time;
 * the plain entry points are SSE2 only (8 GB/s against 35 GB/s on this machine's EPYC, in L2). */
#if defined(ZL_XXH_DISPATCH)
#include <xxh_x86dispatch.h>
#else
#include <xxhash.h>
#endif

#include "zl_comm.h"

/* pread into one reused buffer that stays in the core's L2 cache, then hash it there: 6.3-7.1 GB
 * of page cache per CPU-second here (the kernel's copy is most of it), where mmap of the range
 * (MADV_SEQUENTIAL, with or without MAP_POPULATE) gave 1.9-2.5: hashing straight from the page
 * cache misses the TLB on every 4 KiB page. 256 KiB to 4 MiB buffers cost the same. */
#define READ_CHUNK ((size_t)1 << 20)
#define MD_MAX     32 /* bytes of a piece digest: 32 (SHA-256) or 16 (XXH3-128) */

const char *zl_digest_name(zl_digest d) {
  return d == ZL_DIGEST_SHA256 ? "sha256" : "xxh128";
}

const char *zl_digest_scheme(zl_digest d) {
  return d == ZL_DIGEST_SHA256 ? "sha256 of the sha256 of each 64 MiB piece"
                               : "xxh128 of the xxh128 of each 64 MiB piece";
}

int zl_digest_parse(const char *name, zl_digest *d) {
  if (!strcmp(name, "xxh128"))
    *d = ZL_DIGEST_XXH128;
  else if (!strcmp(name, "sha256"))
    *d = ZL_DIGEST_SHA256;
  else
    return ZL_ERR_USAGE;
  return 0;
}

static size_t md_bytes(zl_digest d) {
  return d == ZL_DIGEST_SHA256 ? 32 : 16;
}

static void to_hex(const unsigned char *md, size_t len, char *hex) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  hex[2 * len] = '\0';
}

/* One running digest of either kind. */
typedef struct {
  zl_digest alg;
  EVP_MD_CTX *sha;
  XXH3_state_t *xxh;
} hasher;

static int hasher_create(hasher *h, zl_digest alg, const char *what) {
  h->alg = alg;
  h->sha = NULL;
  h->xxh = NULL;
  if (alg == ZL_DIGEST_SHA256 && !(h->sha = EVP_MD_CTX_new()))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot make a SHA-256 context (OpenSSL)", what);
  if (alg == ZL_DIGEST_XXH128 && !(h->xxh = XXH3_createState()))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot make an XXH3 state (out of memory)", what);
  return 0;
}

static void hasher_destroy(hasher *h) {
  EVP_MD_CTX_free(h->sha);
  XXH3_freeState(h->xxh); /* NULL is fine */
  h->sha = NULL;
  h->xxh = NULL;
}

static int hasher_reset(hasher *h, const char *what) {
  if (h->alg == ZL_DIGEST_SHA256 ? EVP_DigestInit_ex(h->sha, EVP_sha256(), NULL) != 1
                                 : XXH3_128bits_reset(h->xxh) != XXH_OK)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot start %s", what, zl_digest_name(h->alg));
  return 0;
}

static int hasher_update(hasher *h, const void *data, size_t len, const char *what) {
  if (h->alg == ZL_DIGEST_SHA256 ? EVP_DigestUpdate(h->sha, data, len) != 1
                                 : XXH3_128bits_update(h->xxh, data, len) != XXH_OK)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: %s update failed", what, zl_digest_name(h->alg));
  return 0;
}

/* The digest's bytes into md (md_bytes(alg) of them): SHA-256's, or XXH3-128's canonical
 * (big-endian) form, the bytes `xxhsum -H2` prints in hex. */
static int hasher_final(hasher *h, unsigned char *md, const char *what) {
  if (h->alg == ZL_DIGEST_SHA256) {
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(h->sha, md, &len) != 1 || len != 32)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: SHA-256 final failed (OpenSSL)", what);
    return 0;
  }
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->xxh));
  memcpy(md, c.digest, sizeof c.digest);
  return 0;
}

int zl_sha256_buffers(const void *const *data, const size_t *size, int n, const char *what,
                      char hex[65]) {
  hasher h;
  unsigned char md[32];
  int rc = hasher_create(&h, ZL_DIGEST_SHA256, what);
  if (!rc) rc = hasher_reset(&h, what);
  for (int i = 0; !rc && i < n; i++)
    rc = hasher_update(&h, data[i], size[i], what);
  if (!rc) rc = hasher_final(&h, md, what);
  if (!rc) to_hex(md, sizeof md, hex);
  hasher_destroy(&h);
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

/* The digest of len bytes of fd at off into md, read with pread in chunks of at most READ_CHUNK
 * into buf. */
static int hash_piece(int fd, const char *path, uint64_t off, uint64_t len, unsigned char *buf,
                      hasher *h, unsigned char *md) {
  ZL_CALL(hasher_reset(h, path));
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
    ZL_CALL(hasher_update(h, buf, (size_t)got, path));
    off += (uint64_t)got;
    len -= (uint64_t)got;
  }
  return hasher_final(h, md, path);
}

/* Hashes the global pieces [lo, hi) into md (md_bytes(alg) each, in order); first[f] is file f's
 * first global piece (first[n] the total). The pieces are read last to first: analyze hashes
 * after reading the weights front to back, so the end of a file too big for the page cache is
 * the part still cached, and is read before the front's misses evict it. Each file is opened
 * once, for its run of pieces. */
static int hash_pieces(zl_digest alg, const char *const *paths, int n, const uint64_t *sizes,
                       const uint64_t *first, size_t piece, uint64_t lo, uint64_t hi,
                       unsigned char *md) {
  if (lo >= hi) return 0;
  size_t mdb = md_bytes(alg);
  unsigned char *buf = zl_malloc(piece < READ_CHUNK ? piece : READ_CHUNK, 1, "checksum buffer");
  hasher h = {alg, NULL, NULL};
  int rc = buf ? 0 : ZL_ERR_RUNTIME;
  if (!rc) rc = hasher_create(&h, alg, "checksum");
  int f = n - 1;
  while (f > 0 && first[f] >= hi)
    f--;
  for (uint64_t j = hi; !rc && j > lo; f--) {
    int fd = open(paths[f], O_RDONLY);
    if (fd < 0) {
      rc =
          ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot open for the checksum: %s", paths[f], strerror(errno));
      break;
    }
    for (; !rc && j > lo && j > first[f]; j--) {
      uint64_t off = (j - 1 - first[f]) * (uint64_t)piece;
      uint64_t len = sizes[f] - off < piece ? sizes[f] - off : piece;
      /* Pieces go backwards, which the kernel's readahead does not follow: ask for the next one
       * (the one before) now, so the disk reads it while this one is hashed. */
      if (j - 1 > lo && j - 1 > first[f]) {
        int e = posix_fadvise(fd, (off_t)(off - piece), (off_t)piece, POSIX_FADV_WILLNEED);
        if (e)
          rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: posix_fadvise(WILLNEED) failed for the checksum: %s",
                      paths[f], strerror(e));
      }
      if (!rc) rc = hash_piece(fd, paths[f], off, len, buf, &h, md + (j - 1 - lo) * mdb);
    }
    if (close(fd) && !rc)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot close after the checksum: %s", paths[f],
                  strerror(errno));
  }
  hasher_destroy(&h);
  free(buf);
  return rc;
}

int zl_checksum_files(MPI_Comm comm, zl_digest alg, const char *const *paths, int n,
                      size_t piece_bytes, char (*hex)[65]) {
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm);
  size_t mdb = md_bytes(alg);
  memset(hex, 0, (size_t)n * 65);
  if (piece_bytes == 0) return ZL_ERR(ZL_ERR_RUNTIME, "checksum: the piece size must be > 0");
  uint64_t *sizes = zl_calloc((size_t)n + 1, sizeof *sizes, "checksum sizes");
  uint64_t *first = zl_calloc((size_t)n + 1, sizeof *first, "checksum pieces");
  int *counts = zl_calloc((size_t)size, sizeof *counts, "checksum counts");
  int *displs = zl_calloc((size_t)size, sizeof *displs, "checksum counts");
  unsigned char *all = NULL;
  hasher h = {alg, NULL, NULL};
  int rc = zl_comm_agree(comm, (sizes && first && counts && displs) ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = file_sizes(comm, paths, n, sizes);
  if (rc) goto done;
  for (int f = 0; f < n; f++)
    first[f + 1] = first[f] + (sizes[f] + piece_bytes - 1) / piece_bytes;
  uint64_t total = first[n];
  /* MPI counts are int: 32 bytes a piece allows 67 million pieces (4 PiB at 64 MiB). */
  if (total > (uint64_t)INT_MAX / mdb) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "checksum: %llu pieces are too many for one gather",
                (unsigned long long)total);
    goto done;
  }
  /* Contiguous ranges: each rank reads a run of neighbouring pieces, sequential on the disk. */
  for (int r = 0; r < size; r++) {
    uint64_t lo = total * (uint64_t)r / (uint64_t)size;
    uint64_t hi = total * (uint64_t)(r + 1) / (uint64_t)size;
    counts[r] = (int)((hi - lo) * mdb);
    displs[r] = (int)(lo * mdb);
  }
  all = zl_malloc(total ? (size_t)total : 1, mdb, "piece checksums");
  rc = all ? 0 : ZL_ERR_RUNTIME;
  if (!rc)
    rc = hash_pieces(alg, paths, n, sizes, first, piece_bytes, (uint64_t)displs[rank] / mdb,
                     ((uint64_t)displs[rank] + (uint64_t)counts[rank]) / mdb, all + displs[rank]);
  /* Every rank must know about a failed read before the gather. */
  rc = zl_comm_agree(comm, rc);
  if (rc) goto done;
  int m = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, counts, displs, MPI_UNSIGNED_CHAR,
                         comm);
  if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Allgatherv(piece checksums)", __FILE__, __LINE__);
  /* The file digests are cheap (16 or 32 bytes a piece): every rank makes them, no second
   * message. */
  if (!rc) rc = hasher_create(&h, alg, "checksum");
  for (int f = 0; !rc && f < n; f++) {
    unsigned char md[MD_MAX];
    rc = hasher_reset(&h, paths[f]);
    if (!rc)
      rc = hasher_update(&h, all + first[f] * mdb, (size_t)(first[f + 1] - first[f]) * mdb,
                         paths[f]);
    if (!rc) rc = hasher_final(&h, md, paths[f]);
    if (!rc) to_hex(md, mdb, hex[f]);
  }
  rc = zl_comm_agree(comm, rc);
done:
  hasher_destroy(&h);
  free(all);
  free(displs);
  free(counts);
  free(first);
  free(sizes);
  return rc;
}
