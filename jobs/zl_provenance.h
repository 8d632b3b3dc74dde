/* Provenance of a report or a trained zoo: checksums of the inputs. */
#ifndef ZL_PROVENANCE_H
#define ZL_PROVENANCE_H

#include <mpi.h>

/* SHA-256 (lower-case hex) of each of n files; file i is hashed by rank i mod size, so several
 * files hash in parallel, and every rank receives every checksum. Collective. */
int zl_sha256_files(MPI_Comm comm, const char *const *paths, int n, char (*hex)[65]);

/* SHA-256 (lower-case hex) of n buffers taken in order as one message; `what` names them in
 * errors. Not collective. */
int zl_sha256_buffers(const void *const *data, const size_t *size, int n, const char *what,
                      char hex[65]);

#endif
