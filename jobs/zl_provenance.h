/* Provenance of a report or a trained zoo: checksums of the inputs. */
#ifndef ZL_PROVENANCE_H
#define ZL_PROVENANCE_H

#include <mpi.h>
#include <stddef.h>

/* The piece size of zl_checksum_files in reports. Fixed, never derived from the rank count, so a
 * digest is the same on any number of ranks; 64 MiB keeps the piece list short (320 pieces for
 * 20 GB) while a 20 GB file still spreads over hundreds of ranks. */
#define ZL_CHECKSUM_PIECE_BYTES ((size_t)64 << 20)

/* What report.json's "checksum" key says the "sha256" digests are; README.md ("Checksums of the
 * inputs") shows how to recompute one with coreutils. */
#define ZL_CHECKSUM_SCHEME "sha256 of the sha256 of each 64 MiB piece"

/* Checksums of n files, each as lower-case hex: a file is cut into pieces of piece_bytes (the last
 * one shorter), the pieces of all the files are dealt over all ranks in contiguous ranges of
 * nearly equal counts and hashed with SHA-256, and a file's digest is the SHA-256 of its pieces'
 * 32-byte digests concatenated in order. Every file is treated alike: one piece gives
 * sha256(sha256(file)); an empty file has no pieces and gives sha256 of nothing (e3b0c442...).
 * The result does not depend on the rank count and changes when any byte does.
 * @param[in]  comm        the ranks that share the reading
 * @param[in]  paths       the n files (the same list on every rank)
 * @param[in]  n           number of files
 * @param[in]  piece_bytes piece size, > 0: ZL_CHECKSUM_PIECE_BYTES in reports, small in tests
 * @param[out] hex         n digests of 64 hex digits and a NUL, the same on every rank
 * @return 0, or an error agreed by every rank ("<path>: cannot open for the checksum: <why>", ...)
 * Collective on comm. */
int zl_checksum_files(MPI_Comm comm, const char *const *paths, int n, size_t piece_bytes,
                      char (*hex)[65]);

/* SHA-256 (lower-case hex) of n buffers taken in order as one message; `what` names them in
 * errors. Not collective. */
int zl_sha256_buffers(const void *const *data, const size_t *size, int n, const char *what,
                      char hex[65]);

#endif
