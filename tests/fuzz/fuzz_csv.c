/* libFuzzer harness (1 process, no MPI): arbitrary bytes as a CSV table (plain or gzip, as
 * metrics.csv and layout.csv are read). When zl_table_read accepts, every cell is visited and
 * converted to a number, every header looked up, as the importer does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "zl_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zl_table t = NULL;
  if (zl_table_read(zl_fuzz_file(0, ".csv", data, size), &t)) return 0;
  int cols = zl_table_n_cols(t);
  for (int c = 0; c < cols; c++) {
    int found = zl_table_col(t, zl_table_header(t, c));
    if (found < 0 || found > c) abort(); /* the first column of that name */
  }
  for (int64_t r = 0; r < zl_table_n_rows(t); r++) {
    if (zl_table_line(t, r) < 2) abort(); /* the header is line 1 */
    for (int c = 0; c < cols; c++) {
      double v;
      const char *cell = zl_table_cell(t, r, c);
      if (strlen(cell) > ZL_TABLE_MAX_FIELD) abort();
      (void)zl_table_number(t, r, c, &v);
    }
  }
  zl_table_destroy(&t);
  return 0;
}
