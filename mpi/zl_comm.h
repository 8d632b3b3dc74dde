/* Collective error agreement and checked MPI calls. */
#ifndef ZL_COMM_H
#define ZL_COMM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "zl_error.h"

/* Records an MPI error (with MPI_Error_string) for the failed call text. Not collective. */
int zl_mpi_error(int mpi_rc, const char *call, const char *src_file, int src_line);

/* Checks an MPI call; on failure records the error and returns ZL_ERR_RUNTIME from the caller.
 * Communicators must use MPI_ERRORS_RETURN (zl_comm_init sets it on MPI_COMM_WORLD). */
#define ZL_MPI(call)                                                                               \
  do {                                                                                             \
    int zl_mrc_ = (call);                                                                          \
    if (zl_mrc_ != MPI_SUCCESS) return zl_mpi_error(zl_mrc_, #call, __FILE__, __LINE__);           \
  } while (0)

/* Agrees on the status of a phase: every rank passes its own rc; every rank returns the same
 * value, the rc of the lowest failing rank (0 when all succeeded), and that rank's message becomes
 * the recorded error everywhere, suffixed with " (rank R)" when R is not 0. Collective. */
int zl_comm_agree(MPI_Comm comm, int rc);

/* Spreads the verdict of a check only rank 0 made (a file's existence, parsing its inputs): every
 * rank returns rank 0's rc and rank 0's message becomes the recorded error everywhere. Cheaper than
 * zl_comm_agree (one broadcast). Collective. */
int zl_comm_root_status(MPI_Comm comm, int rc);

/* Sets MPI_ERRORS_RETURN on MPI_COMM_WORLD. Not collective. */
int zl_comm_init(void);

/* Test facility, not for users (issue 11): with ZL_FAULT=<rank>:<phase> in the environment, rank
 * <rank> of comm fails at every fault point named <phase> as a real failure there would: it records
 * "<phase>: fault injected by ZL_FAULT=<rank>:<phase>" and returns ZL_ERR_RUNTIME, for the caller's
 * ordinary error path (the next zl_comm_agree) to carry. Fault points sit where a local failure is
 * agreed on next, named after the phase: open, read, features, each estimator's name, transfer,
 * gather, predictions, report, run, between-runs. Returns 0 when ZL_FAULT is unset or names
 * another rank or phase; a malformed ZL_FAULT fails on every rank. Not collective. */
int zl_fault(MPI_Comm comm, const char *phase);

/* In-place MPI_Allreduce of n elements of type t with op, in pieces (MPI counts are ints).
 * Collective. */
int zl_comm_allreduce(MPI_Comm comm, void *v, size_t n, MPI_Datatype t, MPI_Op op);

/* The layout of rows gathered in rank order: counts[r] = rank r's n_mine, displs[r] its first row,
 * *total every rank's rows (at most INT_MAX). counts and displs hold a value per rank.
 * Collective. */
int zl_comm_row_layout(MPI_Comm comm, int n_mine, int *counts, int *displs, int64_t *total);

/* Every rank's n_mine rows of width elements of type t (src) into dst on every rank, in rank order
 * as zl_comm_row_layout laid them out. Collective. */
int zl_comm_allgather_rows(MPI_Comm comm, const void *src, int n_mine, int width, MPI_Datatype t,
                           void *dst, const int *counts, const int *displs);

/* Rank and size of comm (MPI errors are fatal there only in theory: both are checked). */
int zl_comm_rank(MPI_Comm comm);
int zl_comm_size(MPI_Comm comm);

#endif
