#include "zl_npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zl_error.h"

/* The format (numpy.lib.format): "\x93NUMPY", major and minor version bytes, the header length as a
 * little-endian uint16 (1.0) or uint32 (2.0, 3.0), then that many bytes of a Python dict literal,
 * e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (400, 4970), }, padded with spaces. */
#define NPY_MAGIC     "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* A header larger than this is not one numpy writes: refuse it rather than allocate it. */
#define NPY_MAX_HEADER (1 << 20)

/* What the header dict says. Strings are short in every valid header. */
typedef struct {
  char descr[32];
  int has_descr, has_fortran, fortran;
  int ndim;
  int64_t shape[2];
  const char *shape_text; /* the tuple as written, for messages */
  int shape_len;
} npy_header;

typedef struct {
  const char *p, *begin, *end;
  const char *path;
} cursor;

static int malformed(const cursor *c, const char *what) {
  if (c->p >= c->end)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: malformed .npy header: %s at its end", c->path, what);
  return ZL_ERR(ZL_ERR_RUNTIME, "%s: malformed .npy header: %s at character %d of the dict",
                c->path, what, (int)(c->p - c->begin));
}

static void skip_space(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static int peek(cursor *c, char ch) {
  skip_space(c);
  return c->p < c->end && *c->p == ch;
}

static int accept(cursor *c, char ch) {
  if (!peek(c, ch)) return 0;
  c->p++;
  return 1;
}

/* A quoted Python string without escapes (no key or dtype numpy writes has one). */
static int parse_string(cursor *c, char *out, size_t cap) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return malformed(c, "expected a string");
  char quote = *c->p++;
  const char *s = c->p;
  while (c->p < c->end && *c->p != quote && *c->p != '\\')
    c->p++;
  if (c->p >= c->end || *c->p != quote) return malformed(c, "unterminated or escaped string");
  size_t len = (size_t)(c->p - s);
  c->p++;
  if (len >= cap) return malformed(c, "string too long");
  memcpy(out, s, len);
  out[len] = '\0';
  return 0;
}

static int parse_bool(cursor *c, int *out) {
  skip_space(c);
  size_t left = (size_t)(c->end - c->p);
  if (left >= 4 && !strncmp(c->p, "True", 4)) {
    *out = 1;
    c->p += 4;
  } else if (left >= 5 && !strncmp(c->p, "False", 5)) {
    *out = 0;
    c->p += 5;
  } else {
    return malformed(c, "expected True or False");
  }
  return 0;
}

/* A tuple of non-negative integers, "()", "(400,)" or "(400, 4970)"; keeps the first two. */
static int parse_shape(cursor *c, npy_header *h) {
  skip_space(c);
  h->shape_text = c->p;
  if (!accept(c, '(')) return malformed(c, "expected a shape tuple");
  h->ndim = 0;
  while (!accept(c, ')')) {
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return malformed(c, "expected a dimension");
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      if (v > (INT64_MAX - 9) / 10) return malformed(c, "dimension too large");
      v = 10 * v + (*c->p++ - '0');
    }
    if (h->ndim < 2) h->shape[h->ndim] = v;
    h->ndim++;
    if (!accept(c, ',') && !peek(c, ')')) return malformed(c, "expected ',' or ')' in the shape");
  }
  h->shape_len = (int)(c->p - h->shape_text);
  return 0;
}

static int parse_dict(const char *path, const char *text, size_t len, npy_header *h) {
  cursor c = {text, text, text + len, path};
  memset(h, 0, sizeof *h);
  if (!accept(&c, '{')) return malformed(&c, "expected '{'");
  int has_shape = 0;
  while (!accept(&c, '}')) {
    char key[32];
    ZL_CALL(parse_string(&c, key, sizeof key));
    if (!accept(&c, ':')) return malformed(&c, "expected ':'");
    if (!strcmp(key, "descr")) {
      if (peek(&c, '['))
        return ZL_ERR(ZL_ERR_RUNTIME, "%s: dtype is a structured array, not float32 ('<f4')", path);
      ZL_CALL(parse_string(&c, h->descr, sizeof h->descr));
      h->has_descr = 1;
    } else if (!strcmp(key, "fortran_order")) {
      ZL_CALL(parse_bool(&c, &h->fortran));
      h->has_fortran = 1;
    } else if (!strcmp(key, "shape")) {
      ZL_CALL(parse_shape(&c, h));
      has_shape = 1;
    } else {
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: malformed .npy header: unexpected key '%s'", path, key);
    }
    if (!accept(&c, ',') && !peek(&c, '}')) return malformed(&c, "expected ',' or '}'");
  }
  skip_space(&c);
  if (c.p != c.end) return malformed(&c, "text after the dict");
  const char *missing = !h->has_descr     ? "descr"
                        : !h->has_fortran ? "fortran_order"
                        : !has_shape      ? "shape"
                                          : NULL;
  if (missing) return ZL_ERR(ZL_ERR_RUNTIME, "%s: the .npy header has no '%s'", path, missing);
  return 0;
}

/* Reads exactly len bytes at off (pread may return less). */
static int read_at(const char *path, int fd, void *buf, size_t len, int64_t off) {
  char *p = buf;
  while (len > 0) {
    /* Linux transfers at most ~2 GiB per call. */
    size_t want = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
    ssize_t got = pread(fd, p, want, (off_t)off);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ZL_ERR(ZL_ERR_RUNTIME, "%s: read failed: %s", path, strerror(errno));
    if (got == 0)
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: unexpected end of file at byte %lld", path,
                    (long long)off);
    p += got;
    off += got;
    len -= (size_t)got;
  }
  return 0;
}

static int check_header(zl_npy *npy, int64_t file_bytes) {
  const char *path = npy->path;
  unsigned char pre[12];
  if (file_bytes < 10) return ZL_ERR(ZL_ERR_RUNTIME, "%s: not a .npy file (too short)", path);
  ZL_CALL(read_at(path, npy->fd, pre, file_bytes < 12 ? 10 : 12, 0));
  if (memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: not a .npy file (no \\x93NUMPY magic)", path);
  int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: .npy format %d.%d is not supported (1.0, 2.0, 3.0 are)",
                  path, major, minor);
  /* 1.0 has a 2-byte length; 2.0 widened it to 4 bytes; 3.0 only changed the text to UTF-8. */
  int64_t hlen = pre[8] | (int64_t)pre[9] << 8, prefix = 10;
  if (major > 1) {
    if (file_bytes < 12) return ZL_ERR(ZL_ERR_RUNTIME, "%s: truncated .npy header", path);
    hlen |= (int64_t)pre[10] << 16 | (int64_t)pre[11] << 24;
    prefix = 12;
  }
  if (hlen > NPY_MAX_HEADER)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: .npy header of %lld bytes is implausibly long", path,
                  (long long)hlen);
  if (prefix + hlen > file_bytes) return ZL_ERR(ZL_ERR_RUNTIME, "%s: truncated .npy header", path);
  char *text = zl_malloc((size_t)hlen + 1, 1, path);
  if (!text) return ZL_ERR_RUNTIME;
  npy_header h;
  int rc = read_at(path, npy->fd, text, (size_t)hlen, prefix);
  if (!rc) rc = parse_dict(path, text, (size_t)hlen, &h);
  if (!rc && strcmp(h.descr, "<f4"))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: dtype '%s' is not float32 ('<f4')", path, h.descr);
  if (!rc && h.fortran)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: fortran_order is True; zoolens reads C-order arrays", path);
  if (!rc && h.ndim != 2)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: shape %.*s is not 2-D", path, h.shape_len, h.shape_text);
  free(text);
  if (rc) return rc;
  npy->version = major;
  npy->rows = h.shape[0];
  npy->cols = h.shape[1];
  npy->data_offset = prefix + hlen;
  /* The shape is compared with the file size before anything is sized by it. */
  size_t bytes;
  if (zl_mul_size((size_t)npy->rows, (size_t)npy->cols, &bytes, path) ||
      zl_mul_size(bytes, 4, &bytes, path) || bytes > INT64_MAX)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: shape %.*s is too large", path, h.shape_len, h.shape_text);
  int64_t need = (int64_t)bytes, held = file_bytes - npy->data_offset;
  if (held != need)
    return ZL_ERR(ZL_ERR_RUNTIME,
                  "%s: %sheader says %lld x %lld float32 (%lld bytes) but the file holds %lld",
                  path, held < need ? "truncated: " : "", (long long)npy->rows,
                  (long long)npy->cols, (long long)need, (long long)held);
  return 0;
}

int zl_npy_open(const char *path, zl_npy *npy) {
  memset(npy, 0, sizeof *npy);
  npy->path = path;
  npy->fd = open(path, O_RDONLY);
  if (npy->fd < 0) {
    if (errno == ENOENT) return ZL_ERR(ZL_ERR_RUNTIME, "%s: no such file", path);
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot open: %s", path, strerror(errno));
  }
  struct stat st;
  int rc = fstat(npy->fd, &st) ? ZL_ERR(ZL_ERR_RUNTIME, "%s: %s", path, strerror(errno))
                               : check_header(npy, (int64_t)st.st_size);
  if (rc) zl_npy_close(npy);
  return rc;
}

/* The file is little-endian; swap on a big-endian host. */
static void to_host_order(float *v, int64_t n) {
  const uint16_t one = 1;
  if (*(const unsigned char *)&one == 1) return;
  unsigned char *b = (unsigned char *)v;
  for (int64_t i = 0; i < n; i++, b += 4) {
    unsigned char t0 = b[0], t1 = b[1];
    b[0] = b[3];
    b[1] = b[2];
    b[2] = t1;
    b[3] = t0;
  }
}

int zl_npy_read_rows(const zl_npy *npy, int64_t row0, int64_t n, float *buf) {
  if (row0 < 0 || n < 0 || row0 > npy->rows - n)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: rows [%lld, %lld) are outside the %lld rows", npy->path,
                  (long long)row0, (long long)(row0 + n), (long long)npy->rows);
  ZL_CALL(read_at(npy->path, npy->fd, buf, (size_t)(n * npy->cols) * 4,
                  npy->data_offset + row0 * npy->cols * 4));
  to_host_order(buf, n * npy->cols);
  return 0;
}

void zl_npy_close(zl_npy *npy) {
  if (npy->fd >= 0) close(npy->fd);
  npy->fd = -1;
}
