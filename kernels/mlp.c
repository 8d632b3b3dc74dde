#include "zl_mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_error.h"

struct zl_mlp_s {
  int n_layers;                     /* hidden layers + the output */
  int width[ZL_MLP_MAX_HIDDEN + 2]; /* width[0] = F inputs, width[n_layers] = 1 */
  size_t bias[ZL_MLP_MAX_HIDDEN + 1], kernel[ZL_MLP_MAX_HIDDEN + 1];
  size_t n_params;
  int max_rows;
  float *act[ZL_MLP_MAX_HIDDEN + 2]; /* act[l] (max_rows × width[l]), l >= 1; the input is X */
  float *delta[2];                   /* a layer's output gradient, alternating */
};

int zl_mlp_create(int F, const int *hidden, int n_hidden, int max_rows, zl_mlp *out) {
  *out = NULL;
  if (F < 1 || max_rows < 1 || n_hidden < 0 || n_hidden > ZL_MLP_MAX_HIDDEN)
    return ZL_ERR(ZL_ERR_USAGE, "dnn: %d inputs, %d hidden layers (at most %d), %d rows", F,
                  n_hidden, ZL_MLP_MAX_HIDDEN, max_rows);
  for (int l = 0; l < n_hidden; l++)
    if (hidden[l] < 1 || hidden[l] > 1 << 20)
      return ZL_ERR(ZL_ERR_USAGE, "dnn: hidden layer %d has %d units (1 to %d)", l + 1, hidden[l],
                    1 << 20);
  zl_mlp m = zl_calloc(1, sizeof *m, "dnn network");
  if (!m) return ZL_ERR_RUNTIME;
  m->n_layers = n_hidden + 1;
  m->max_rows = max_rows;
  m->width[0] = F;
  for (int l = 0; l < n_hidden; l++)
    m->width[l + 1] = hidden[l];
  m->width[m->n_layers] = 1;
  int widest = 1;
  for (int l = 0; l < m->n_layers; l++) {
    m->bias[l] = m->n_params;
    m->kernel[l] = m->n_params + (size_t)m->width[l + 1];
    m->n_params = m->kernel[l] + (size_t)m->width[l] * (size_t)m->width[l + 1];
    if (m->width[l + 1] > widest) widest = m->width[l + 1];
  }
  int rc = 0;
  for (int l = 1; !rc && l <= m->n_layers; l++)
    if (!(m->act[l] =
              zl_malloc((size_t)max_rows * (size_t)m->width[l], sizeof(float), "dnn activations")))
      rc = ZL_ERR_RUNTIME;
  for (int i = 0; !rc && i < 2; i++)
    if (!(m->delta[i] =
              zl_malloc((size_t)max_rows * (size_t)widest, sizeof(float), "dnn gradients")))
      rc = ZL_ERR_RUNTIME;
  if (rc) {
    zl_mlp_destroy(&m);
    return rc;
  }
  *out = m;
  return 0;
}

void zl_mlp_destroy(zl_mlp *m) {
  if (!*m) return;
  for (int l = 1; l <= (*m)->n_layers; l++)
    free((*m)->act[l]);
  free((*m)->delta[0]);
  free((*m)->delta[1]);
  free(*m);
  *m = NULL;
}

size_t zl_mlp_n_params(const struct zl_mlp_s *m) {
  return m->n_params;
}

void zl_mlp_tensors(const struct zl_mlp_s *m, int *n, size_t *offset, size_t *size) {
  *n = 2 * m->n_layers;
  for (int l = 0; l < m->n_layers; l++) {
    offset[2 * l] = m->bias[l];
    size[2 * l] = (size_t)m->width[l + 1];
    offset[2 * l + 1] = m->kernel[l];
    size[2 * l + 1] = (size_t)m->width[l] * (size_t)m->width[l + 1];
  }
}

void zl_mlp_init(const struct zl_mlp_s *m, zl_rng *r, double ybar, float *params) {
  memset(params, 0, m->n_params * sizeof *params);
  for (int l = 0; l < m->n_layers; l++) {
    int in = m->width[l], out = m->width[l + 1];
    double bound = l < m->n_layers - 1 ? sqrt(6.0 / in) : sqrt(6.0 / (in + out));
    float *W = params + m->kernel[l];
    for (size_t i = 0; i < (size_t)in * (size_t)out; i++)
      W[i] = (float)((2.0 * zl_rng_uniform(r) - 1.0) * bound);
  }
  double p = ybar < 0.01 ? 0.01 : ybar > 0.99 ? 0.99 : ybar;
  params[m->bias[m->n_layers - 1]] = (float)log(p / (1.0 - p));
}

/* Forward pass of n rows; the outputs (sigmoid) end in act[n_layers]. ReLU is written so that a
 * NaN stays NaN: a diverged fit must look diverged. */
static void forward(zl_mlp m, const float *params, const float *X, int n) {
  for (int l = 0; l < m->n_layers; l++) {
    int in = m->width[l], out = m->width[l + 1];
    float *z = m->act[l + 1];
    const float *b = params + m->bias[l];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, out, in, 1.0f, l ? m->act[l] : X, in,
                params + m->kernel[l], out, 0.0f, z, out);
    if (l == m->n_layers - 1) {
      for (int i = 0; i < n; i++)
        z[i] = (float)(1.0 / (1.0 + exp(-(double)(z[i] + b[0]))));
    } else {
      for (int i = 0; i < n; i++, z += out)
        for (int j = 0; j < out; j++) {
          float v = z[j] + b[j];
          z[j] = v < 0.0f ? 0.0f : v;
        }
    }
  }
}

void zl_mlp_grad(zl_mlp m, const float *params, const float *X, const double *y, int n, float *grad,
                 double *sse) {
  memset(grad, 0, m->n_params * sizeof *grad);
  forward(m, params, X, n);
  const int L = m->n_layers;
  float *d = m->delta[0];
  double s = 0.0;
  /* d loss / d z of the output: (yhat - y) · yhat (1 - yhat). */
  for (int i = 0; i < n; i++) {
    double p = (double)m->act[L][i], e = p - y[i];
    s += e * e;
    d[i] = (float)(e * p * (1.0 - p));
  }
  *sse = s;
  for (int l = L - 1; l >= 0; l--) {
    int in = m->width[l], out = m->width[l + 1];
    const float *a = l ? m->act[l] : X;
    float *gb = grad + m->bias[l];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < out; j++)
        gb[j] += d[(size_t)i * (size_t)out + (size_t)j];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, n, 1.0f, a, in, d, out, 0.0f,
                grad + m->kernel[l], out);
    if (l == 0) break;
    /* Into the previous layer's output, then through its ReLU (a > 0 where it passed). */
    float *dp = m->delta[(L - l) % 2];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, in, out, 1.0f, d, out,
                params + m->kernel[l], out, 0.0f, dp, in);
    for (size_t i = 0; i < (size_t)n * (size_t)in; i++)
      dp[i] = a[i] > 0.0f ? dp[i] : 0.0f;
    d = dp;
  }
}

void zl_mlp_predict(zl_mlp m, const float *params, const float *X, int n, double *yhat) {
  forward(m, params, X, n);
  for (int i = 0; i < n; i++)
    yhat[i] = (double)m->act[m->n_layers][i];
}
