/* The weights of a released Small CNN Zoo: a NumPy .npy file (format 1.0, 2.0 or 3.0) holding one
 * 2-D little-endian float32 array in C order, read in row blocks without loading it whole.
 * Serial: no MPI, no HDF5. Every error names the file. */
#ifndef ZL_NPY_H
#define ZL_NPY_H

#include <stdint.h>

typedef struct {
  const char *path;    /* as passed to zl_npy_open (borrowed: keep it alive) */
  int fd;              /* -1 when closed */
  int version;         /* major format version: 1, 2 or 3 */
  int64_t rows, cols;  /* shape */
  int64_t data_offset; /* bytes before the first element (the magic, version and header) */
} zl_npy;

/* Opens path and checks the header (magic, version, the dict's 'descr' == '<f4', 'fortran_order'
 * False, a 2-D 'shape') and that the file holds exactly rows * cols floats after it. Errors:
 * "<path>: no such file", "<path>: dtype '<f8' is not float32 ('<f4')", "<path>: shape (400,) is
 * not 2-D",
 * "<path>: truncated: header says 400 x 4970 float32 (7952000 bytes) but the file holds 7900000", …
 * On failure npy->fd is -1. Not collective. */
int zl_npy_open(const char *path, zl_npy *npy);

/* Reads rows [row0, row0 + n) into buf (n * cols floats, row-major, host byte order) with pread, so
 * many processes may read disjoint rows of one file. Not collective. */
int zl_npy_read_rows(const zl_npy *npy, int64_t row0, int64_t n, float *buf);

/* Closes the file; safe to call again, and after a failed zl_npy_open. */
void zl_npy_close(zl_npy *npy);

#endif
