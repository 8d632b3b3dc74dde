#include "zl_comm.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zl_mpi_error(int mpi_rc, const char *call, const char *src_file, int src_line) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(mpi_rc, text, &len) != MPI_SUCCESS)
    snprintf(text, sizeof text, "code %d", mpi_rc);
  return zl_error_set(ZL_ERR_RUNTIME, src_file, src_line, "MPI: %s failed: %s", call, text);
}

int zl_comm_init(void) {
  ZL_MPI(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  return 0;
}

int zl_comm_rank(MPI_Comm comm) {
  int r = 0;
  if (MPI_Comm_rank(comm, &r) != MPI_SUCCESS) return 0;
  return r;
}

int zl_comm_size(MPI_Comm comm) {
  int s = 1;
  if (MPI_Comm_size(comm, &s) != MPI_SUCCESS) return 1;
  return s;
}

int zl_comm_agree(MPI_Comm comm, int rc) {
  int size = zl_comm_size(comm), rank = zl_comm_rank(comm);
  /* MINLOC over (failed ? rank : size) finds the lowest failing rank; its code rides along. */
  int in[2] = {rc ? rank : size, rc}, out[2];
  int mrc = MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, comm);
  if (mrc != MPI_SUCCESS) {
    /* Agreement itself failed: no collective can be trusted any more. */
    zl_mpi_error(mrc, "MPI_Allreduce(status)", __FILE__, __LINE__);
    fprintf(stderr, "zoolens: %s\n", zl_error_message());
    MPI_Abort(comm, ZL_ERR_RUNTIME);
  }
  if (out[0] == size) return 0;
  int failing = out[0];
  int code = out[1];
  char msg[ZL_ERROR_MAX];
  snprintf(msg, sizeof msg, "%s", zl_error_message());
  mrc = MPI_Bcast(msg, ZL_ERROR_MAX, MPI_CHAR, failing, comm);
  if (mrc != MPI_SUCCESS) {
    zl_mpi_error(mrc, "MPI_Bcast(error message)", __FILE__, __LINE__);
    fprintf(stderr, "zoolens: %s\n", zl_error_message());
    MPI_Abort(comm, ZL_ERR_RUNTIME);
  }
  msg[ZL_ERROR_MAX - 1] = '\0';
  /* Rank 0 prints, so its own failures (mostly about the input it validated) need no tag. */
  if (failing != 0 && !strstr(msg, " (rank ")) {
    char tagged[ZL_ERROR_MAX];
    snprintf(tagged, sizeof tagged, "%.*s (rank %d)", ZL_ERROR_MAX - 16, msg, failing);
    zl_error_replace(tagged);
  } else {
    zl_error_replace(msg);
  }
  return code;
}

int zl_comm_root_status(MPI_Comm comm, int rc) {
  char msg[ZL_ERROR_MAX];
  int mrc = MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  if (mrc == MPI_SUCCESS && rc) {
    snprintf(msg, sizeof msg, "%s", zl_error_message());
    mrc = MPI_Bcast(msg, ZL_ERROR_MAX, MPI_CHAR, 0, comm);
    msg[ZL_ERROR_MAX - 1] = '\0';
    if (mrc == MPI_SUCCESS) zl_error_replace(msg);
  }
  if (mrc != MPI_SUCCESS) {
    /* As in zl_comm_agree: without agreement no collective can be trusted. */
    zl_mpi_error(mrc, "MPI_Bcast(status)", __FILE__, __LINE__);
    fprintf(stderr, "zoolens: %s\n", zl_error_message());
    MPI_Abort(comm, ZL_ERR_RUNTIME);
  }
  return rc;
}

int zl_fault(MPI_Comm comm, const char *phase) {
  /* Parsed once: fault points sit in loops over blocks and rounds. */
  static int parsed = 0, rank = -1, malformed = 0;
  static char want[64], spec[96];
  if (!parsed) {
    const char *env = getenv("ZL_FAULT");
    int end = 0;
    parsed = 1;
    if (env && *env) {
      snprintf(spec, sizeof spec, "%s", env);
      malformed = sscanf(env, "%d:%63[a-z-]%n", &rank, want, &end) != 2 || env[end] || rank < 0;
    }
  }
  if (malformed)
    return ZL_ERR(ZL_ERR_RUNTIME, "ZL_FAULT=%s: not <rank>:<phase> (a test facility)", spec);
  if (rank < 0 || rank != zl_comm_rank(comm) || strcmp(phase, want)) return 0;
  return ZL_ERR(ZL_ERR_RUNTIME, "%s: fault injected by ZL_FAULT=%s", phase, spec);
}

int zl_comm_allreduce(MPI_Comm comm, void *v, size_t n, MPI_Datatype t, MPI_Op op) {
  MPI_Aint lb, extent;
  ZL_MPI(MPI_Type_get_extent(t, &lb, &extent));
  const size_t piece = (size_t)1 << 24;
  for (size_t i0 = 0; i0 < n; i0 += piece)
    ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, (char *)v + i0 * (size_t)extent,
                         (int)(n - i0 < piece ? n - i0 : piece), t, op, comm));
  return 0;
}

int zl_comm_row_layout(MPI_Comm comm, int n_mine, int *counts, int *displs, int64_t *total) {
  ZL_MPI(MPI_Allgather(&n_mine, 1, MPI_INT, counts, 1, MPI_INT, comm));
  int64_t at = 0;
  for (int r = 0; r < zl_comm_size(comm); r++) {
    displs[r] = (int)at;
    at += counts[r];
  }
  if (at > INT_MAX)
    return ZL_ERR(ZL_ERR_RUNTIME, "%lld rows exceed MPI's int counts", (long long)at);
  *total = at;
  return 0;
}

int zl_comm_allgather_rows(MPI_Comm comm, const void *src, int n_mine, int width, MPI_Datatype t,
                           void *dst, const int *counts, const int *displs) {
  MPI_Datatype row;
  ZL_MPI(MPI_Type_contiguous(width, t, &row));
  int g = MPI_Type_commit(&row);
  if (g == MPI_SUCCESS) g = MPI_Allgatherv(src, n_mine, row, dst, counts, displs, row, comm);
  MPI_Type_free(&row);
  return g == MPI_SUCCESS ? 0 : zl_mpi_error(g, "MPI_Allgatherv(rows)", __FILE__, __LINE__);
}
