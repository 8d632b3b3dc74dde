/* libFuzzer harness (1 process, no MPI): arbitrary bytes as a .npy file. zl_npy_open parses the
 * header and checks the shape against the file size; when it accepts, the first and last rows
 * are read, which must stay inside the file. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "zl_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zl_npy npy;
  if (zl_npy_open(zl_fuzz_file(0, ".npy", data, size), &npy)) return 0;
  /* Accepted: rows * cols floats follow the header, so a row is at most the input's size (a
   * shape with no elements, say (10^18, 0), has no row worth reading). */
  if (npy.rows > 0 && npy.cols > 0) {
    float *row = malloc((size_t)npy.cols * sizeof *row);
    if (!row || zl_npy_read_rows(&npy, 0, 1, row) || zl_npy_read_rows(&npy, npy.rows - 1, 1, row))
      abort();
    free(row);
  }
  zl_npy_close(&npy);
  return 0;
}
