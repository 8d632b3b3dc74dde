#include "zl_provenance.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"

/* Large sequential reads: hashing runs at page-cache or disk speed, not syscall speed. */
#define HASH_CHUNK (4 << 20)

/* Ends a digest: the lower-case hex of ctx's SHA-256 into hex; what names the input in errors. */
static int finish(EVP_MD_CTX *ctx, char hex[65], const char *what) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, md, &len) != 1)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: SHA-256 final failed (OpenSSL)", what);
  for (unsigned i = 0; i < len && i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return 0;
}

static int sha256_file(const char *path, char hex[65]) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot open for the checksum: %s", path, strerror(errno));
  unsigned char *buf = zl_malloc(HASH_CHUNK, 1, "checksum buffer");
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = (buf && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1)
               ? 0
               : ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot start SHA-256 (OpenSSL)", path);
  size_t got;
  while (!rc && (got = fread(buf, 1, HASH_CHUNK, f)) > 0)
    if (EVP_DigestUpdate(ctx, buf, got) != 1)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: SHA-256 update failed (OpenSSL)", path);
  if (!rc && ferror(f)) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: read error during the checksum", path);
  if (!rc) rc = finish(ctx, hex, path);
  EVP_MD_CTX_free(ctx);
  free(buf);
  fclose(f);
  return rc;
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

int zl_sha256_files(MPI_Comm comm, const char *const *paths, int n, char (*hex)[65]) {
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm), rc = 0;
  memset(hex, 0, (size_t)n * 65);
  for (int i = rank; !rc && i < n; i += size)
    rc = sha256_file(paths[i], hex[i]);
  ZL_CALL(zl_comm_agree(comm, rc));
  /* Each checksum has one owner and zeros elsewhere: the byte-wise maximum is the owner's text. */
  ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, hex, n * 65, MPI_UNSIGNED_CHAR, MPI_MAX, comm));
  return 0;
}
