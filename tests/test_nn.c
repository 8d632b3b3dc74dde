/* zl_nn: gradients against a double reference, dropout, NaN networks, CNN layout; serial. */
#include "zl_error.h"
#include "zl_nn.h"
#include "zl_rng.h"
#include "zl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLASSES = ZL_DATASET_CLASSES, UNITS = 16, MAXMAP = 64 * 64 * 16 };

/* The network written out directly: double precision, loops, no im2col, no chunks. Parameters in
 * the paper's row order (per layer bias, then the HWIO / (in, out) kernel). */
typedef struct {
  zl_arch arch;
  zl_activation act;
  int h, w;
} ref_net;

static double act(const ref_net *r, double v) {
  return r->act == ZL_ACT_RELU ? (v > 0 ? v : 0) : tanh(v);
}

/* Logits of one image. */
static void ref_logits(const ref_net *r, const double *p, const float *img, double *logits) {
  static double a[MAXMAP], b[MAXMAP];
  int H = r->h, W = r->w, C = 1;
  for (int i = 0; i < H * W; i++)
    a[i] = img[i];
  size_t off = 0;
  if (r->arch == ZL_ARCH_CNN) {
    for (int l = 0; l < 3; l++) {
      const double *bias = p + off, *k = bias + UNITS;
      int OH = (H - 3) / 2 + 1, OW = (W - 3) / 2 + 1;
      for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++)
          for (int o = 0; o < UNITS; o++) {
            double s = bias[o];
            for (int kh = 0; kh < 3; kh++)
              for (int kw = 0; kw < 3; kw++)
                for (int c = 0; c < C; c++)
                  s += a[((2 * oh + kh) * W + 2 * ow + kw) * C + c] *
                       k[((kh * 3 + kw) * C + c) * UNITS + o];
            b[(oh * OW + ow) * UNITS + o] = act(r, s);
          }
      off += UNITS + 9 * (size_t)C * UNITS;
      H = OH;
      W = OW;
      C = UNITS;
      memcpy(a, b, sizeof(double) * (size_t)(H * W * C));
    }
    for (int o = 0; o < UNITS; o++) {
      double s = 0;
      for (int q = 0; q < H * W; q++)
        s += a[q * UNITS + o];
      b[o] = s / (H * W);
    }
    memcpy(a, b, sizeof(double) * UNITS);
  } else {
    int in = H * W;
    for (int l = 0; l < 3; l++) {
      const double *bias = p + off, *k = bias + UNITS;
      for (int o = 0; o < UNITS; o++) {
        double s = bias[o];
        for (int i = 0; i < in; i++)
          s += a[i] * k[i * UNITS + o];
        b[o] = act(r, s);
      }
      off += UNITS + (size_t)in * UNITS;
      in = UNITS;
      memcpy(a, b, sizeof(double) * UNITS);
    }
  }
  const double *bias = p + off, *k = bias + CLASSES;
  for (int j = 0; j < CLASSES; j++) {
    double s = bias[j];
    for (int o = 0; o < UNITS; o++)
      s += a[o] * k[o * CLASSES + j];
    logits[j] = s;
  }
}

/* Mean cross-entropy (log-sum-exp computed naively: the test's logits are small) plus l2 times
 * the squared kernel entries; *hits counts argmax matches. */
static double ref_objective(const ref_net *r, const double *p, const zl_nn_tensor *layout,
                            int n_tensors, const zl_dataset *d, double l2, int *hits) {
  double sum = 0;
  if (hits) *hits = 0;
  for (size_t i = 0; i < d->n; i++) {
    double z[CLASSES], s = 0;
    ref_logits(r, p, d->x + i * (size_t)(r->h * r->w), z);
    int best = 0;
    for (int j = 0; j < CLASSES; j++) {
      s += exp(z[j]);
      if (z[j] > z[best]) best = j;
    }
    sum += log(s) - z[d->y[i]];
    if (hits) *hits += best == d->y[i];
  }
  double pen = 0;
  for (int t = 0; t < n_tensors; t++)
    if (layout[t].is_kernel)
      for (size_t i = layout[t].offset; i < layout[t].offset + layout[t].size; i++)
        pen += p[i] * p[i];
  return sum / (double)d->n + l2 * pen;
}

static void random_data(zl_dataset *d, size_t n, int h, int w, zl_rng *g) {
  d->n = n;
  d->h = h;
  d->w = w;
  d->x = malloc(n * (size_t)(h * w) * sizeof *d->x);
  d->y = malloc(n);
  for (size_t i = 0; i < n * (size_t)(h * w); i++)
    d->x[i] = (float)(2 * zl_rng_uniform(g) - 1);
  for (size_t i = 0; i < n; i++)
    d->y[i] = (uint8_t)zl_rng_below(g, CLASSES);
}

static void random_params(const zl_nn_tensor *layout, int n_tensors, float *p, zl_rng *g) {
  for (int t = 0; t < n_tensors; t++) {
    double scale = layout[t].is_kernel ? 1.5 / sqrt((double)layout[t].fan_in) : 0.1;
    for (size_t i = 0; i < layout[t].size; i++)
      p[layout[t].offset + i] = (float)(scale * zl_rng_normal(g));
  }
}

/* Entries to difference in one tensor: every bias entry, 24 random kernel entries. */
static size_t pick(const zl_nn_tensor *t, zl_rng *g, int i) {
  return t->offset + (t->is_kernel ? (size_t)zl_rng_below(g, t->size) : (size_t)i % t->size);
}

/* The analytic float gradient of zl_nn against central differences of the double reference, per
 * tensor: max |g - g_ref| relative to the tensor's largest |g_ref|. */
static void check_gradient(zl_arch arch, zl_activation a, int h, int w, size_t n, double l2) {
  zl_rng g;
  zl_rng_init(&g, 7, (uint64_t)(arch * 2 + a));
  zl_nn nn = NULL;
  ZL_CHECK(zl_nn_create(arch, h, w, a, &nn) == 0);
  int nt;
  const zl_nn_tensor *layout = zl_nn_layout(nn, &nt);
  size_t P = zl_nn_n_params(nn);
  float *p = malloc(P * sizeof *p), *grad = malloc(P * sizeof *grad);
  double *pd = malloc(P * sizeof *pd);
  zl_dataset d;
  random_data(&d, n, h, w, &g);
  random_params(layout, nt, p, &g);
  for (size_t i = 0; i < P; i++)
    pd[i] = p[i];
  ref_net r = {arch, a, h, w};

  double loss;
  ZL_CHECK(zl_nn_loss_grad(nn, p, &d, NULL, n, 0, l2, NULL, grad, &loss) == 0);
  int hits;
  double ref = ref_objective(&r, pd, layout, nt, &d, l2, &hits);
  ZL_CHECK_CLOSE(loss, ref, 1e-5);
  double acc, ce;
  ZL_CHECK(zl_nn_evaluate(nn, p, &d, NULL, n, &acc, &ce) == 0);
  ZL_CHECK_CLOSE(acc, (double)hits / (double)n, 1e-12);
  ZL_CHECK_CLOSE(ce, ref_objective(&r, pd, layout, nt, &d, 0, NULL), 1e-5);

  const double step = 1e-6;
  for (int t = 0; t < nt; t++) {
    int count = layout[t].is_kernel ? 24 : (int)layout[t].size;
    double err = 0, big = 0;
    for (int i = 0; i < count; i++) {
      size_t j = pick(&layout[t], &g, i);
      double keep = pd[j];
      pd[j] = keep + step;
      double up = ref_objective(&r, pd, layout, nt, &d, l2, NULL);
      pd[j] = keep - step;
      double down = ref_objective(&r, pd, layout, nt, &d, l2, NULL);
      pd[j] = keep;
      double fd = (up - down) / (2 * step);
      err = fmax(err, fabs(grad[j] - fd));
      big = fmax(big, fabs(fd));
    }
    if (!(err <= 1e-3 * big))
      fprintf(stderr, "%s %s %s: max gradient error %.3g of %.3g\n",
              arch == ZL_ARCH_CNN ? "cnn" : "mlp", a == ZL_ACT_RELU ? "relu" : "tanh",
              layout[t].name, err, big);
    ZL_CHECK(err <= 1e-3 * big);
  }
  free(p);
  free(grad);
  free(pd);
  zl_dataset_free(&d);
  zl_nn_destroy(&nn);
}

/* With dropout the gradient must belong to the loss under the same masks: difference zl_nn's own
 * float loss with the generator state copied for every evaluation (tanh, so a wide step is
 * smooth). Float differences are noisy, hence the loose 2% bound; a mask applied in one pass only
 * would be off by O(1). */
static void check_dropout(zl_arch arch) {
  zl_rng g, masks;
  zl_rng_init(&g, 11, (uint64_t)arch);
  zl_rng_init(&masks, 12, 0);
  zl_nn nn = NULL;
  ZL_CHECK(zl_nn_create(arch, 15, 15, ZL_ACT_TANH, &nn) == 0);
  int nt;
  const zl_nn_tensor *layout = zl_nn_layout(nn, &nt);
  size_t P = zl_nn_n_params(nn);
  float *p = malloc(P * sizeof *p), *grad = malloc(P * sizeof *grad), *tmp = malloc(P * sizeof *p);
  zl_dataset d;
  random_data(&d, 40, 15, 15, &g);
  random_params(layout, nt, p, &g);
  double loss, loss0, again;
  zl_rng r = masks;
  ZL_CHECK(zl_nn_loss_grad(nn, p, &d, NULL, d.n, 0.4, 0, &r, grad, &loss) == 0);
  r = masks;
  ZL_CHECK(zl_nn_loss_grad(nn, p, &d, NULL, d.n, 0.4, 0, &r, tmp, &again) == 0);
  ZL_CHECK(loss == again && memcmp(grad, tmp, P * sizeof *grad) == 0);
  ZL_CHECK(zl_nn_loss_grad(nn, p, &d, NULL, d.n, 0, 0, NULL, tmp, &loss0) == 0);
  ZL_CHECK(loss != loss0);
  double err2 = 0, norm2 = 0;
  for (int t = 0; t < nt; t++)
    for (int i = 0; i < 8; i++) {
      size_t j = pick(&layout[t], &g, i);
      float keep = p[j];
      const float step = 1e-2f;
      double up, down;
      p[j] = keep + step;
      r = masks;
      zl_nn_loss_grad(nn, p, &d, NULL, d.n, 0.4, 0, &r, tmp, &up);
      p[j] = keep - step;
      r = masks;
      zl_nn_loss_grad(nn, p, &d, NULL, d.n, 0.4, 0, &r, tmp, &down);
      p[j] = keep;
      double fd = (up - down) / (2 * (double)step);
      err2 += (grad[j] - fd) * (grad[j] - fd);
      norm2 += fd * fd;
    }
  ZL_CHECK(sqrt(err2) <= 2e-2 * sqrt(norm2));
  free(p);
  free(grad);
  free(tmp);
  zl_dataset_free(&d);
  zl_nn_destroy(&nn);
}

/* A NaN parameter is data, not an error: no crash, accuracy 0, NaN losses and gradient. */
static void check_nan_network(void) {
  zl_rng g;
  zl_rng_init(&g, 13, 0);
  zl_nn nn = NULL;
  ZL_CHECK(zl_nn_create(ZL_ARCH_CNN, 28, 28, ZL_ACT_RELU, &nn) == 0);
  int nt;
  const zl_nn_tensor *layout = zl_nn_layout(nn, &nt);
  size_t P = zl_nn_n_params(nn);
  float *p = malloc(P * sizeof *p), *grad = malloc(P * sizeof *grad);
  zl_dataset d;
  random_data(&d, 20, 28, 28, &g);
  random_params(layout, nt, p, &g);
  p[layout[1].offset] = NAN;
  double acc, loss;
  ZL_CHECK(zl_nn_evaluate(nn, p, &d, NULL, d.n, &acc, &loss) == 0);
  ZL_CHECK(acc == 0 && isnan(loss));
  ZL_CHECK(zl_nn_loss_grad(nn, p, &d, NULL, d.n, 0, 1e-3, NULL, grad, &loss) == 0);
  ZL_CHECK(isnan(loss) && isnan(grad[layout[7].offset]));
  free(p);
  free(grad);
  zl_dataset_free(&d);
  zl_nn_destroy(&nn);
}

/* The CNN's row for 28 x 28 inputs is the released zoo's: paper-protocol.md's table, and the
 * sample zoo's layout.csv when the shared folder is there. */
static void check_layout(const char *layout_csv) {
  static const struct {
    const char *name;
    size_t offset, size;
    const char *shape;
  } want[] = {{"sequential/conv2d/bias:0", 0, 16, "(16,)"},
              {"sequential/conv2d/kernel:0", 16, 144, "(3, 3, 1, 16)"},
              {"sequential/conv2d_1/bias:0", 160, 16, "(16,)"},
              {"sequential/conv2d_1/kernel:0", 176, 2304, "(3, 3, 16, 16)"},
              {"sequential/conv2d_2/bias:0", 2480, 16, "(16,)"},
              {"sequential/conv2d_2/kernel:0", 2496, 2304, "(3, 3, 16, 16)"},
              {"sequential/dense/bias:0", 4800, 10, "(10,)"},
              {"sequential/dense/kernel:0", 4810, 160, "(16, 10)"}};
  zl_nn nn = NULL;
  ZL_CHECK(zl_nn_create(ZL_ARCH_CNN, 28, 28, ZL_ACT_RELU, &nn) == 0);
  ZL_CHECK(zl_nn_n_params(nn) == 4970);
  int nt;
  const zl_nn_tensor *t = zl_nn_layout(nn, &nt);
  ZL_CHECK(nt == 8);
  for (int i = 0; i < 8 && i < nt; i++) {
    ZL_CHECK(strcmp(t[i].name, want[i].name) == 0);
    ZL_CHECK(t[i].offset == want[i].offset && t[i].size == want[i].size);
    ZL_CHECK(strcmp(t[i].shape, want[i].shape) == 0);
    ZL_CHECK(t[i].is_kernel == (i % 2));
  }
  FILE *f = layout_csv ? fopen(layout_csv, "r") : NULL;
  if (f) {
    char line[256], name[128], shape[64];
    size_t start, end, size;
    int rows = 0;
    ZL_CHECK(fgets(line, sizeof line, f) != NULL); /* header */
    while (fgets(line, sizeof line, f) && rows < nt) {
      ZL_CHECK(
          sscanf(line, "%127[^,],%zu,%zu,%zu,\"%63[^\"]\"", name, &start, &end, &size, shape) == 5);
      ZL_CHECK(strcmp(name, t[rows].name) == 0 && start == t[rows].offset &&
               end - start == t[rows].size && size == t[rows].size);
      ZL_CHECK(strcmp(shape, t[rows].shape) == 0);
      rows++;
    }
    ZL_CHECK(rows == nt);
    fclose(f);
  } else {
    printf("layout.csv not found (%s): compared with the built-in table only\n",
           layout_csv ? layout_csv : "no path given");
  }
  zl_nn_destroy(&nn);

  ZL_CHECK(zl_nn_create(ZL_ARCH_CNN, 32, 32, ZL_ACT_TANH, &nn) == 0);
  ZL_CHECK(zl_nn_n_params(nn) == 4970);
  zl_nn_destroy(&nn);
  ZL_CHECK(zl_nn_create(ZL_ARCH_MLP, 28, 28, ZL_ACT_RELU, &nn) == 0);
  ZL_CHECK(zl_nn_n_params(nn) == 784 * 16 + 16 + 2 * (16 * 16 + 16) + 16 * 10 + 10);
  t = zl_nn_layout(nn, &nt);
  ZL_CHECK(nt == 8 && strcmp(t[7].name, "sequential/dense_3/kernel:0") == 0);
  ZL_CHECK(strcmp(t[1].shape, "(784, 16)") == 0);
  zl_nn_destroy(&nn);
  ZL_CHECK(zl_nn_create(ZL_ARCH_CNN, 14, 28, ZL_ACT_RELU, &nn) == ZL_ERR_USAGE && nn == NULL);
}

int main(int argc, char **argv) {
  /* 15 x 19: maps 7 x 9, 3 x 4, 1 x 1 (odd, even, non-square); 70 images span several chunks. */
  check_gradient(ZL_ARCH_CNN, ZL_ACT_RELU, 15, 19, 70, 1e-2);
  check_gradient(ZL_ARCH_CNN, ZL_ACT_TANH, 17, 17, 70, 3e-3);
  check_gradient(ZL_ARCH_MLP, ZL_ACT_RELU, 15, 19, 70, 1e-2);
  check_gradient(ZL_ARCH_MLP, ZL_ACT_TANH, 12, 12, 70, 3e-3);
  check_dropout(ZL_ARCH_CNN);
  check_dropout(ZL_ARCH_MLP);
  check_nan_network();
  check_layout(argc > 1 ? argv[1] : NULL);
  return zl_test_finish();
}
