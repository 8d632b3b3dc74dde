/* A CSV file read whole into memory as strings: a header row, then data rows of the same width.
 * Plain or gzip-compressed (zlib reads both, whatever the name); RFC 4180 quoting, so fields may
 * hold commas, quotes ("") and newlines (libcsv in strict mode). Metrics tables are small: a few
 * hundred MB at most for the largest released zoo. Serial: no MPI, no HDF5. */
#ifndef ZL_TABLE_H
#define ZL_TABLE_H

#include <stdint.h>

typedef struct zl_table_s *zl_table;

/* Limits far above any real metrics or layout table (tens of columns, fields of tens of bytes), so
 * that a hostile file fails with a message instead of growing without bound. */
#define ZL_TABLE_MAX_FIELD  (1 << 20) /* bytes in one field */
#define ZL_TABLE_MAX_FIELDS (1 << 16) /* fields in one row */

/* Reads path. Errors: "<path>: no such file", "<path>: empty (no header row)", "<path>: line 7: 21
 * fields, the header has 23", "<path>: line 7: malformed CSV (…)", "<path>: line 1: more than 65536
 * fields", "<path>: line 3: a field longer than 1048576 bytes", gzip errors. Not collective. */
int zl_table_read(const char *path, zl_table *table);

/* Frees the table and sets *table to NULL; safe on NULL. */
void zl_table_destroy(zl_table *table);

const char *zl_table_path(zl_table t);
int64_t zl_table_n_rows(zl_table t); /* data rows, the header excluded */
int zl_table_n_cols(zl_table t);
const char *zl_table_header(zl_table t, int col);
/* Index of the first column named name, -1 when none. */
int zl_table_col(zl_table t, const char *name);
/* Data row `row` (0-based), column col. */
const char *zl_table_cell(zl_table t, int64_t row, int col);
/* The line of the file where data row `row` starts (the header is line 1), for messages. */
int64_t zl_table_line(zl_table t, int64_t row);

/* Whether s is a number: all of it parses with strtod ("0.5", "1e-3", "nan", "inf"), or it is empty
 * (pandas writes NaN as an empty field), which gives NaN. Not collective. */
int zl_table_is_number(const char *s, double *value);

/* The cell as a number (zl_table_is_number), or the error "<path>: line L: <column> '<cell>' is not
 * a number". */
int zl_table_number(zl_table t, int64_t row, int col, double *value);

#endif
