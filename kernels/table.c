#include "zl_table.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zl_error.h"

struct zl_table_s {
  char *path;
  int n_cols;
  int64_t n_rows;
  char *text; /* every cell, NUL-terminated, header first */
  size_t text_len, text_cap;
  size_t *cell; /* offset of each cell in text, row by row */
  size_t n_cells, cell_cap;
  int64_t *line; /* first line of each data row */
  size_t line_cap;
};

/* State while libcsv calls back: errors are recorded once and the rest of the input ignored. */
typedef struct {
  zl_table t;
  int rc;
  int64_t fields;   /* in the current row */
  int64_t line;     /* where the current row starts */
  int64_t newlines; /* inside quoted fields of the current row */
} parse_ctx;

/* Makes room for `need` elements of `size` bytes in the array whose pointer is at `ptr` (capacity
 * *cap), doubling. The pointer is moved with memcpy: it may be of any object pointer type. */
static int grow(void *ptr, size_t *cap, size_t need, size_t size, const char *what) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 1024, bytes;
  while (n < need)
    ZL_CALL(zl_mul_size(n, 2, &n, what));
  ZL_CALL(zl_mul_size(n, size, &bytes, what));
  void *old, *p;
  memcpy(&old, ptr, sizeof old);
  if (!(p = realloc(old, bytes))) return ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", what);
  memcpy(ptr, &p, sizeof p);
  *cap = n;
  return 0;
}

static void on_field(void *s, size_t len, void *data) {
  parse_ctx *c = data;
  zl_table t = c->t;
  if (c->rc) return;
  if (c->fields == ZL_TABLE_MAX_FIELDS) {
    c->rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: more than %d fields", t->path,
                   (long long)c->line, ZL_TABLE_MAX_FIELDS);
    return;
  }
  c->rc = grow(&t->text, &t->text_cap, t->text_len + len + 1, 1, t->path);
  if (!c->rc) c->rc = grow(&t->cell, &t->cell_cap, t->n_cells + 1, sizeof *t->cell, t->path);
  if (c->rc) return;
  t->cell[t->n_cells++] = t->text_len;
  memcpy(t->text + t->text_len, s, len);
  t->text[t->text_len + len] = '\0';
  t->text_len += len + 1;
  c->fields++;
  for (size_t i = 0; i < len; i++)
    c->newlines += ((const char *)s)[i] == '\n';
}

static void on_row(int term, void *data) {
  (void)term;
  parse_ctx *c = data;
  zl_table t = c->t;
  if (c->rc) return;
  if (t->n_cols == 0) {
    t->n_cols = (int)c->fields;
  } else if (c->fields != t->n_cols) {
    c->rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: %lld fields, the header has %d", t->path,
                   (long long)c->line, (long long)c->fields, t->n_cols);
    return;
  } else {
    c->rc = grow(&t->line, &t->line_cap, (size_t)t->n_rows + 1, sizeof *t->line, t->path);
    if (c->rc) return;
    t->line[t->n_rows++] = c->line;
  }
  c->line += 1 + c->newlines;
  c->fields = c->newlines = 0;
}

static int parse_error(parse_ctx *c, struct csv_parser *p) {
  return ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: malformed CSV (%s)", c->t->path,
                (long long)(c->line + c->newlines), csv_strerror(csv_error(p)));
}

/* Feeds the (possibly gzip-compressed) file through the parser. */
static int parse_file(zl_table t, struct csv_parser *p, parse_ctx *c) {
  errno = 0;
  gzFile gz = gzopen(t->path, "rb");
  if (!gz) {
    if (errno == ENOENT) return ZL_ERR(ZL_ERR_RUNTIME, "%s: no such file", t->path);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot open: %s", t->path, errno ? strerror(errno) : "zlib");
  }
  char buf[1 << 16];
  int n, rc = 0;
  while (!rc && (n = gzread(gz, buf, sizeof buf)) > 0) {
    if (csv_parse(p, buf, (size_t)n, on_field, on_row, c) != (size_t)n) rc = parse_error(c, p);
    if (!rc) rc = c->rc;
    /* libcsv buffers a field whole before passing it on: checked after every block, a field stops
     * growing within a block of the limit. */
    if (!rc && p->entry_pos > ZL_TABLE_MAX_FIELD)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: a field longer than %d bytes", t->path,
                  (long long)(c->line + c->newlines), ZL_TABLE_MAX_FIELD);
  }
  int zerr = Z_OK;
  const char *zmsg = gzerror(gz, &zerr);
  /* zlib's own messages already start with the path. */
  if (!rc && zerr == Z_ERRNO) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s", t->path, strerror(errno));
  if (!rc && zerr != Z_OK) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s", zmsg);
  gzclose(gz);
  if (!rc && csv_fini(p, on_field, on_row, c)) rc = parse_error(c, p);
  return rc ? rc : c->rc;
}

int zl_table_read(const char *path, zl_table *table) {
  *table = NULL;
  zl_table t = zl_calloc(1, sizeof *t, path);
  if (!t) return ZL_ERR_RUNTIME;
  t->path = strdup(path);
  struct csv_parser p;
  /* Strict: a stray quote inside an unquoted field or an unterminated quoted field is an error,
   * not silently accepted text. */
  if (!t->path || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI)) {
    zl_table_destroy(&t);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", path);
  }
  /* libcsv grows its field buffer by this many bytes at a time (128 by default): a field of F
   * bytes then costs F / 128 reallocs, quadratic in F wherever realloc copies (under
   * AddressSanitizer a 2 MiB field took 99 s of CPU, 0.25 s with 64 KiB steps). */
  csv_set_blk_size(&p, 1 << 16);
  parse_ctx c = {t, 0, 0, 1, 0};
  int rc = parse_file(t, &p, &c);
  csv_free(&p);
  if (!rc && t->n_cols == 0) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: empty (no header row)", path);
  if (rc) {
    zl_table_destroy(&t);
    return rc;
  }
  *table = t;
  return 0;
}

void zl_table_destroy(zl_table *table) {
  zl_table t = *table;
  if (!t) return;
  free(t->line);
  free(t->cell);
  free(t->text);
  free(t->path);
  free(t);
  *table = NULL;
}

const char *zl_table_path(zl_table t) {
  return t->path;
}

int64_t zl_table_n_rows(zl_table t) {
  return t->n_rows;
}

int zl_table_n_cols(zl_table t) {
  return t->n_cols;
}

const char *zl_table_header(zl_table t, int col) {
  return t->text + t->cell[col];
}

int zl_table_col(zl_table t, const char *name) {
  for (int j = 0; j < t->n_cols; j++)
    if (!strcmp(zl_table_header(t, j), name)) return j;
  return -1;
}

const char *zl_table_cell(zl_table t, int64_t row, int col) {
  return t->text + t->cell[(size_t)(row + 1) * (size_t)t->n_cols + (size_t)col];
}

int64_t zl_table_line(zl_table t, int64_t row) {
  return t->line[row];
}

int zl_table_is_number(const char *s, double *value) {
  if (!*s) {
    *value = NAN;
    return 1;
  }
  char *end = NULL;
  *value = strtod(s, &end);
  return end != s && *end == '\0';
}

int zl_table_number(zl_table t, int64_t row, int col, double *value) {
  const char *s = zl_table_cell(t, row, col);
  if (zl_table_is_number(s, value)) return 0;
  return ZL_ERR(ZL_ERR_RUNTIME, "%s: line %lld: %s '%s' is not a number", t->path,
                (long long)zl_table_line(t, row), zl_table_header(t, col), s);
}
