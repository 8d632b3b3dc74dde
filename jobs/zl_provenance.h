/* Provenance of a report or a trained zoo: checksums of the inputs. */
#ifndef ZL_PROVENANCE_H
#define ZL_PROVENANCE_H

#include <mpi.h>
#include <stddef.h>

/* The piece size of zl_checksum_files in reports. Fixed, never derived from the rank count, so a
 * digest is the same on any number of ranks; 64 MiB keeps the piece list short (320 pieces for
 * 20 GB) while a 20 GB file still spreads over hundreds of ranks. */
#define ZL_CHECKSUM_PIECE_BYTES ((size_t)64 << 20)

/* The digest of the inputs in report.json: XXH3-128 by default (non-cryptographic, 35 GB/s a core
 * in cache, so the copy from the page cache costs more than the hash), or SHA-256 (--digest
 * sha256: a cryptographic hash, 1.5 GB/s a core with SHA-NI). Both are made over pieces alike. */
typedef enum { ZL_DIGEST_XXH128 = 0, ZL_DIGEST_SHA256 = 1 } zl_digest;

/* "xxh128" or "sha256": the name in --digest and before the hex in report.json's "digest". */
const char *zl_digest_name(zl_digest d);

/* What report.json's "checksum" key says the digests are, e.g. "xxh128 of the xxh128 of each 64
 * MiB piece"; README.md ("Checksums of the inputs") shows how to recompute one with standard
 * tools (xxhsum, coreutils). */
const char *zl_digest_scheme(zl_digest d);

/* *d from a name of zl_digest_name; ZL_ERR_USAGE (nothing recorded) for any other. */
int zl_digest_parse(const char *name, zl_digest *d);

/* Digests of n files, each as lower-case hex: a file is cut into pieces of piece_bytes (the last
 * one shorter), the pieces of all the files are dealt over all ranks in contiguous ranges of
 * nearly equal counts and hashed with alg, and a file's digest is the same hash of its pieces'
 * digests (32 bytes for SHA-256; 16 for XXH3-128, in the canonical big-endian form that
 * `xxhsum -H2` prints) concatenated in order. Every file is treated alike: one piece gives
 * H(H(file)); an empty file has no pieces and gives H of nothing (sha256 e3b0c442..., xxh128
 * 99aa06d3...). The result does not depend on the rank count and changes when any byte does.
 * Each piece is read with pread into one reused 1 MiB buffer.
 * @param[in]  comm        the ranks that share the reading
 * @param[in]  alg         ZL_DIGEST_XXH128 or ZL_DIGEST_SHA256
 * @param[in]  paths       the n files (the same list on every rank)
 * @param[in]  n           number of files
 * @param[in]  piece_bytes piece size, > 0: ZL_CHECKSUM_PIECE_BYTES in reports, small in tests
 * @param[out] hex         n digests (64 hex digits for SHA-256, 32 for XXH3-128) and a NUL, the
 *                         same on every rank
 * @return 0, or an error agreed by every rank ("<path>: cannot open for the checksum: <why>", ...)
 * Collective on comm. */
int zl_checksum_files(MPI_Comm comm, zl_digest alg, const char *const *paths, int n,
                      size_t piece_bytes, char (*hex)[65]);

/* SHA-256 (lower-case hex) of n buffers taken in order as one message; `what` names them in
 * errors. Not collective. */
int zl_sha256_buffers(const void *const *data, const size_t *size, int n, const char *what,
                      char hex[65]);

#endif
