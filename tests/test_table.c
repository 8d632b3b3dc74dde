/* zl_table: plain/gzip CSV, quoting, lines, numbers, each error's exact message (1 process). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "zl_error.h"
#include "zl_table.h"
#include "zl_test.h"

/* The unnamed first column and config values with commas, as in the released metrics.csv. */
static const char *const metrics = ",config.w_init,modeldir,test_accuracy\r\n"
                                   "run/1/ckpt-0,\"RandomNormal(0, 0.1)\",run/1,0.5\r\n"
                                   "run/1/ckpt-9,\"say \"\"hi\"\"\nthere\",run/1,\r\n"
                                   "run/2/ckpt-0,plain,run/2,1e-3\r\n";

static void write_file(const char *path, const char *text, int gz) {
  if (gz) {
    gzFile g = gzopen(path, "wb");
    gzputs(g, text);
    gzclose(g);
  } else {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
  }
}

static void check_metrics(const char *path, int gz) {
  zl_table t = NULL;
  write_file(path, metrics, gz);
  int rc = zl_table_read(path, &t);
  ZL_CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "%s\n", zl_error_message());
    return;
  }
  ZL_CHECK(!strcmp(zl_table_path(t), path));
  ZL_CHECK(zl_table_n_rows(t) == 3 && zl_table_n_cols(t) == 4);
  ZL_CHECK(zl_table_col(t, "") == 0 && zl_table_col(t, "modeldir") == 2);
  ZL_CHECK(zl_table_col(t, "nothing") == -1);
  ZL_CHECK(!strcmp(zl_table_header(t, 1), "config.w_init"));
  ZL_CHECK(!strcmp(zl_table_cell(t, 0, 1), "RandomNormal(0, 0.1)"));
  ZL_CHECK(!strcmp(zl_table_cell(t, 1, 1), "say \"hi\"\nthere"));
  ZL_CHECK(!strcmp(zl_table_cell(t, 1, 3), ""));
  ZL_CHECK(!strcmp(zl_table_cell(t, 2, 0), "run/2/ckpt-0"));
  /* The quoted newline moves the next row a line down. */
  ZL_CHECK(zl_table_line(t, 0) == 2 && zl_table_line(t, 1) == 3 && zl_table_line(t, 2) == 5);
  double v = 0;
  ZL_CHECK(zl_table_number(t, 0, 3, &v) == 0 && v == 0.5);
  ZL_CHECK(zl_table_number(t, 1, 3, &v) == 0 && isnan(v));
  ZL_CHECK(zl_table_number(t, 2, 3, &v) == 0 && v == 1e-3);
  ZL_CHECK(zl_table_number(t, 2, 1, &v) == 1);
  char want[256];
  snprintf(want, sizeof want, "%s: line 5: config.w_init 'plain' is not a number", path);
  ZL_CHECK(!strcmp(zl_error_message(), want));
  zl_table_destroy(&t);
  ZL_CHECK(t == NULL);
  zl_table_destroy(&t);
}

static void check_bad(const char *path, const char *text, int gz, const char *message) {
  zl_table t = NULL;
  if (text) write_file(path, text, gz);
  ZL_CHECK(zl_table_read(path, &t) == 1 && t == NULL);
  if (strcmp(zl_error_message(), message)) {
    fprintf(stderr, "%s: got '%s'\n  expected '%s'\n", path, zl_error_message(), message);
    ZL_CHECK(0);
  }
}

int main(void) {
  check_metrics("metrics.csv", 0);
  check_metrics("metrics.csv.gz", 1);

  double v = 0;
  ZL_CHECK(zl_table_is_number("nan", &v) && isnan(v));
  ZL_CHECK(zl_table_is_number("-inf", &v) && isinf(v) && v < 0);
  ZL_CHECK(zl_table_is_number("2.5e2", &v) && v == 250.0);
  ZL_CHECK(!zl_table_is_number("0.5x", &v) && !zl_table_is_number("adam", &v));

  check_bad("none.csv", NULL, 0, "none.csv: no such file");
  check_bad("empty.csv", "", 0, "empty.csv: empty (no header row)");
  check_bad("ragged.csv", "a,b,c\n1,2,3\n4,5\n", 0,
            "ragged.csv: line 3: 2 fields, the header has 3");
  check_bad("ragged.csv.gz", "a,b\n1,2\n3,4\n5,6,7\n", 1,
            "ragged.csv.gz: line 4: 3 fields, the header has 2");
  check_bad("quote.csv", "a,b\n1,\"open\n", 0,
            "quote.csv: line 2: malformed CSV (error parsing data while strict checking enabled)");
  check_bad("stray.csv", "a,b\n1,x\"y\n", 0,
            "stray.csv: line 2: malformed CSV (error parsing data while strict checking enabled)");

  /* A gzip file cut short. */
  write_file("cut.csv.gz", metrics, 1);
  FILE *f = fopen("cut.csv.gz", "rb");
  unsigned char buf[4096];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  f = fopen("cut.csv.gz", "wb");
  fwrite(buf, 1, n - 12, f);
  fclose(f);
  check_bad("cut.csv.gz", NULL, 0, "cut.csv.gz: unexpected end of file");
  return zl_test_finish();
}
