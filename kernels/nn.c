#include "zl_nn.h"

#include "zl_error.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Images per forward/backward pass. A minibatch is processed chunk by chunk with the weight
 * gradients accumulated (sgemm beta = 1), so the activations of a chunk stay in L2 cache while
 * the GEMMs still see thousands of rows. */
enum { CHUNK = 32 };
enum { UNITS = 16, N_HIDDEN = 3, MAX_LAYERS = N_HIDDEN + 1, KSIZE = 3, STRIDE = 2 };
enum { ALIGN_FLOATS = 16 }; /* 64-byte alignment of every buffer */

typedef struct {
  int conv;                /* 1: 3x3 stride-2 'valid' convolution; 0: dense */
  int in_h, in_w, in_c;    /* input map (dense: 1 x 1 x inputs) */
  int out_h, out_w, out_c; /* output map (dense: 1 x 1 x units) */
  int k;                   /* GEMM inner dimension: 9 in_c (conv) or in_c (dense) */
  int pos;                 /* output positions per image, out_h * out_w */
  size_t bias, kernel;     /* offsets in the parameter row */
  float *col;              /* conv: im2col of the chunk's input, [CHUNK pos x k] */
  float *out;   /* [CHUNK pos x out_c]: activations or logits; their gradient in backward */
  float *deriv; /* hidden layers: d out / d pre-activation, dropout mask included */
} layer;

struct zl_nn_s {
  zl_arch arch;
  zl_activation act;
  int h, w;
  int n_layers;
  layer layer[MAX_LAYERS];
  size_t n_params;
  int n_tensors;
  zl_nn_tensor tensor[2 * MAX_LAYERS];
  float *xbuf;  /* MLP: the chunk's input rows, gathered, [CHUNK x h w] */
  float *pool;  /* CNN: global average pool of the last map [CHUNK x UNITS]; its gradient later */
  float *dcol;  /* conv backward: gradient of a col buffer */
  float *arena; /* the one allocation behind all buffers */
};

static void add_tensor(zl_nn nn, const char *layer_name, int is_kernel, size_t size,
                       const char *shape, int fan_in, int fan_out, int rows, int cols) {
  zl_nn_tensor *t = &nn->tensor[nn->n_tensors++];
  snprintf(t->name, sizeof t->name, "sequential/%s/%s:0", layer_name,
           is_kernel ? "kernel" : "bias");
  snprintf(t->shape, sizeof t->shape, "%s", shape);
  t->offset = nn->n_params;
  t->size = size;
  t->is_kernel = is_kernel;
  t->fan_in = fan_in;
  t->fan_out = fan_out;
  t->rows = rows;
  t->cols = cols;
  nn->n_params += size;
}

/* Appends a layer and its two tensors (bias before kernel, as the released zoo stores them). */
static void add_layer(zl_nn nn, int conv, int in_h, int in_w, int in_c, int out_c) {
  layer *L = &nn->layer[nn->n_layers];
  L->conv = conv;
  L->in_h = in_h;
  L->in_w = in_w;
  L->in_c = in_c;
  L->out_h = conv ? (in_h - KSIZE) / STRIDE + 1 : 1;
  L->out_w = conv ? (in_w - KSIZE) / STRIDE + 1 : 1;
  L->out_c = out_c;
  L->k = conv ? KSIZE * KSIZE * in_c : in_c;
  L->pos = L->out_h * L->out_w;

  /* Keras names layers per type: conv2d, conv2d_1, …; dense, dense_1, … */
  int same = 0;
  for (int i = 0; i < nn->n_layers; i++)
    same += nn->layer[i].conv == conv;
  char name[24], bshape[16], kshape[32];
  snprintf(name, sizeof name, same ? "%s_%d" : "%s", conv ? "conv2d" : "dense", same);
  snprintf(bshape, sizeof bshape, "(%d,)", out_c);
  if (conv)
    snprintf(kshape, sizeof kshape, "(%d, %d, %d, %d)", KSIZE, KSIZE, in_c, out_c);
  else
    snprintf(kshape, sizeof kshape, "(%d, %d)", in_c, out_c);
  int field = conv ? KSIZE * KSIZE : 1;
  L->bias = nn->n_params;
  add_tensor(nn, name, 0, (size_t)out_c, bshape, 0, 0, 1, out_c);
  L->kernel = nn->n_params;
  add_tensor(nn, name, 1, (size_t)L->k * (size_t)out_c, kshape, field * in_c, field * out_c, L->k,
             out_c);
  nn->n_layers++;
}

static size_t aligned(size_t n) {
  return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

/* Lays the buffers out in the arena; with arena NULL only counts the floats needed. */
static size_t place_buffers(zl_nn nn, float *arena) {
  size_t used = 0;
#define TAKE(ptr, count)                                                                           \
  do {                                                                                             \
    size_t n_ = aligned(count);                                                                    \
    (ptr) = arena ? arena + used : NULL;                                                           \
    used += n_;                                                                                    \
  } while (0)
  size_t dcol = 0;
  for (int l = 0; l < nn->n_layers; l++) {
    layer *L = &nn->layer[l];
    size_t rows = (size_t)CHUNK * (size_t)L->pos;
    if (L->conv) TAKE(L->col, rows * (size_t)L->k);
    if (L->conv && l > 0 && rows * (size_t)L->k > dcol) dcol = rows * (size_t)L->k;
    TAKE(L->out, rows * (size_t)L->out_c);
    if (l < nn->n_layers - 1) TAKE(L->deriv, rows * (size_t)L->out_c);
  }
  if (nn->arch == ZL_ARCH_MLP) TAKE(nn->xbuf, (size_t)CHUNK * (size_t)nn->h * (size_t)nn->w);
  if (nn->arch == ZL_ARCH_CNN) TAKE(nn->pool, (size_t)CHUNK * UNITS);
  if (dcol) TAKE(nn->dcol, dcol);
#undef TAKE
  return used;
}

int zl_nn_create(zl_arch arch, int h, int w, zl_activation act, zl_nn *out) {
  *out = NULL;
  if (arch != ZL_ARCH_CNN && arch != ZL_ARCH_MLP)
    return ZL_ERR(ZL_ERR_USAGE, "network: unknown architecture code %d", (int)arch);
  if (act != ZL_ACT_RELU && act != ZL_ACT_TANH)
    return ZL_ERR(ZL_ERR_USAGE, "network: unknown activation code %d", (int)act);
  /* Three stride-2 'valid' 3x3 convolutions need 15 -> 7 -> 3 -> 1 at least. */
  int min_side = arch == ZL_ARCH_CNN ? 15 : 1;
  if (h < min_side || w < min_side || h > 4096 || w > 4096)
    return ZL_ERR(ZL_ERR_USAGE, "network: input %d x %d is outside %d..4096 per side", h, w,
                  min_side);
  zl_nn nn = zl_calloc(1, sizeof *nn, "network");
  if (!nn) return ZL_ERR_RUNTIME;
  nn->arch = arch;
  nn->act = act;
  nn->h = h;
  nn->w = w;
  if (arch == ZL_ARCH_CNN) {
    int ih = h, iw = w, ic = 1;
    for (int i = 0; i < N_HIDDEN; i++) {
      add_layer(nn, 1, ih, iw, ic, UNITS);
      ih = nn->layer[i].out_h;
      iw = nn->layer[i].out_w;
      ic = UNITS;
    }
    add_layer(nn, 0, 1, 1, UNITS, ZL_DATASET_CLASSES);
  } else {
    add_layer(nn, 0, 1, 1, h * w, UNITS);
    for (int i = 1; i < N_HIDDEN; i++)
      add_layer(nn, 0, 1, 1, UNITS, UNITS);
    add_layer(nn, 0, 1, 1, UNITS, ZL_DATASET_CLASSES);
  }
  size_t floats = place_buffers(nn, NULL);
  nn->arena = aligned_alloc(ALIGN_FLOATS * sizeof(float), floats * sizeof(float));
  if (!nn->arena) {
    free(nn);
    return ZL_ERR(ZL_ERR_RUNTIME, "network: out of memory allocating %zu floats of workspace",
                  floats);
  }
  place_buffers(nn, nn->arena);
  *out = nn;
  return 0;
}

void zl_nn_destroy(zl_nn *nn) {
  if (!*nn) return;
  free((*nn)->arena);
  free(*nn);
  *nn = NULL;
}

size_t zl_nn_n_params(const struct zl_nn_s *nn) {
  return nn->n_params;
}

const zl_nn_tensor *zl_nn_layout(const struct zl_nn_s *nn, int *n_tensors) {
  *n_tensors = nn->n_tensors;
  return nn->tensor;
}

/* A rational minimax approximation of tanh (Eigen's fast tanh for float), within 4e-7 of tanh,
 * and vectorisable, where libm's tanhf would dominate a tanh network's run time. The input is
 * clamped to ±7.9 (beyond it tanh is ±1 in float and the rational function is not) by integer
 * operations on its bits: GCC does not vectorise float selects under -ftrapping-math, and a
 * fminf/fmaxf clamp would turn NaN into ±1, hiding a diverged network. */
static inline float fast_tanh(float x) {
  const uint32_t clamp = 0x40fcf84fu, inf = 0x7f800000u, sign = 0x80000000u; /* 7.9053111f */
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  uint32_t mag = b & ~sign; /* non-negative floats order like their bit patterns */
  /* Beyond the clamp but not NaN (NaN passes through); '&', not '&&', so there is no branch. */
  uint32_t beyond = (mag > clamp) & (mag <= inf);
  b = beyond ? (b & sign) | clamp : b;
  float c;
  memcpy(&c, &b, sizeof c);
  float x2 = c * c;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 - 8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return c * p / q;
}

/* Hidden layers all have UNITS channels; loops over them with that constant trip count and
 * restrict pointers are what GCC vectorises at -O2, which is why the elementwise passes below are
 * written per row of UNITS. */

/* z += bias, then the activation in place; deriv receives its derivative. ReLU is written so a
 * NaN input stays NaN (a diverged network must look diverged). */
static void activate(float *restrict z, float *restrict deriv, size_t rows,
                     const float *restrict bias, zl_activation act) {
  for (size_t r = 0; r < rows; r++, z += UNITS, deriv += UNITS) {
    if (act == ZL_ACT_RELU)
      for (int j = 0; j < UNITS; j++) {
        float v = z[j] + bias[j];
        z[j] = v < 0.0f ? 0.0f : v;
        deriv[j] = v > 0.0f ? 1.0f : 0.0f;
      }
    else
      for (int j = 0; j < UNITS; j++) {
        float a = fast_tanh(z[j] + bias[j]);
        z[j] = a;
        deriv[j] = 1.0f - a * a;
      }
  }
}

/* Inverted dropout (Keras): each unit is kept with probability 1 - p and scaled by 1/(1 - p).
 * One 64-bit draw gives four 16-bit uniforms, which quarters the generator's cost per unit; p is
 * rounded to a multiple of 2^-16 and the scale uses that rounded p, so E[mask] = 1 exactly. The
 * keep test is pure integer arithmetic (the sign of bits - thresh masks the scale's bits): any
 * compare-and-select becomes a branch on random bits, mispredicted at every other unit. */
static void dropout(float *restrict a, float *restrict deriv, size_t rows, double p, zl_rng *rng) {
  uint32_t thresh = (uint32_t)lround(p * 65536.0), scale_bits;
  float scale = (float)(65536.0 / (double)(65536 - thresh));
  memcpy(&scale_bits, &scale, sizeof scale_bits);
  for (size_t r = 0; r < rows; r++, a += UNITS, deriv += UNITS) {
    uint32_t keep_bits[UNITS];
    for (int j = 0; j < UNITS; j += 4) {
      uint64_t u = zl_rng_next(rng);
      for (int q = 0; q < 4; q++) {
        uint32_t below = ((uint32_t)(u >> (16 * q)) & 0xffffu) - thresh; /* wraps when below */
        keep_bits[j + q] = scale_bits & ((below >> 31) - 1u);
      }
    }
    float keep[UNITS];
    memcpy(keep, keep_bits, sizeof keep);
    for (int j = 0; j < UNITS; j++) {
      a[j] *= keep[j];
      deriv[j] *= keep[j];
    }
  }
}

/* Backward through a hidden activation: dz *= deriv; and the bias gradient, the column sums. */
static void hidden_backward(float *restrict dz, const float *restrict deriv, size_t rows,
                            float *restrict gb) {
  for (size_t r = 0; r < rows; r++, dz += UNITS, deriv += UNITS)
    for (int j = 0; j < UNITS; j++) {
      dz[j] *= deriv[j];
      gb[j] += dz[j];
    }
}

static inline size_t row_of(const size_t *index, size_t i) {
  return index ? index[i] : i;
}

/* Copies n floats; the two sizes that occur (3 for the first layer, 3 UNITS after it) become
 * fixed-size copies the compiler inlines, instead of a libc call per kernel row. */
static inline void copy_run(float *restrict dst, const float *restrict src, size_t n) {
  if (n == KSIZE)
    for (int j = 0; j < KSIZE; j++)
      dst[j] = src[j];
  else if (n == KSIZE * UNITS)
    memcpy(dst, src, KSIZE * UNITS * sizeof *dst);
  else
    memcpy(dst, src, n * sizeof *dst);
}

static inline void add_run(float *restrict dst, const float *restrict src, size_t n) {
  if (n == KSIZE * UNITS)
    for (int j = 0; j < KSIZE * UNITS; j++)
      dst[j] += src[j];
  else
    for (size_t j = 0; j < n; j++)
      dst[j] += src[j];
}

/* Copies the 3x3 receptive fields of one NHWC map into rows of col: per output position, three
 * contiguous runs of 3 in_c floats (one per kernel row), matching the HWIO kernel's row order. */
static void im2col(const layer *L, const float *in, float *col) {
  size_t span = (size_t)KSIZE * (size_t)L->in_c, row_step = (size_t)L->in_w * (size_t)L->in_c;
  for (int oh = 0; oh < L->out_h; oh++) {
    const float *top = in + (size_t)(STRIDE * oh) * row_step;
    for (int ow = 0; ow < L->out_w; ow++, col += L->k) {
      const float *src = top + (size_t)(STRIDE * ow) * (size_t)L->in_c;
      for (int kh = 0; kh < KSIZE; kh++)
        copy_run(col + (size_t)kh * span, src + kh * row_step, span);
    }
  }
}

/* The adjoint of im2col: adds each row's gradient back onto the map (in must be zeroed first;
 * neighbouring fields overlap by one pixel). */
static void col2im(const layer *L, const float *col, float *in) {
  size_t span = (size_t)KSIZE * (size_t)L->in_c, row_step = (size_t)L->in_w * (size_t)L->in_c;
  for (int oh = 0; oh < L->out_h; oh++) {
    float *top = in + (size_t)(STRIDE * oh) * row_step;
    for (int ow = 0; ow < L->out_w; ow++, col += L->k) {
      float *dst = top + (size_t)(STRIDE * ow) * (size_t)L->in_c;
      for (int kh = 0; kh < KSIZE; kh++)
        add_run(dst + kh * row_step, col + (size_t)kh * span, span);
    }
  }
}

/* Global average pooling of b maps of pos positions x UNITS channels. */
static void pool_forward(const float *restrict map, int b, int pos, float *restrict pooled) {
  float inv = 1.0f / (float)pos;
  for (int i = 0; i < b; i++, pooled += UNITS) {
    float s[UNITS] = {0};
    for (int q = 0; q < pos; q++, map += UNITS)
      for (int j = 0; j < UNITS; j++)
        s[j] += map[j];
    for (int j = 0; j < UNITS; j++)
      pooled[j] = s[j] * inv;
  }
}

/* Its adjoint: each position receives its map's pooled gradient / pos. */
static void pool_backward(const float *restrict dpooled, int b, int pos, float *restrict dmap) {
  float inv = 1.0f / (float)pos;
  for (int i = 0; i < b; i++, dpooled += UNITS)
    for (int q = 0; q < pos; q++, dmap += UNITS)
      for (int j = 0; j < UNITS; j++)
        dmap[j] = dpooled[j] * inv;
}

/* The GEMM input of layer l for a chunk of b images (conv layers: after im2col). */
static const float *layer_input(zl_nn nn, int l) {
  const layer *L = &nn->layer[l];
  if (L->conv) return L->col;
  if (l == 0) return nn->xbuf;
  return nn->arch == ZL_ARCH_CNN ? nn->pool : nn->layer[l - 1].out;
}

/* Forward pass of b <= CHUNK images (rows index[first..first+b) of d); logits end up in the last
 * layer's out. Dropout applies when p > 0. */
static void forward(zl_nn nn, const float *params, const zl_dataset *d, const size_t *index,
                    size_t first, int b, double p, zl_rng *rng) {
  size_t hw = (size_t)nn->h * (size_t)nn->w;
  for (int l = 0; l < nn->n_layers; l++) {
    layer *L = &nn->layer[l];
    size_t in_map = (size_t)L->in_h * (size_t)L->in_w * (size_t)L->in_c;
    size_t col_map = (size_t)L->pos * (size_t)L->k;
    if (L->conv)
      for (int i = 0; i < b; i++)
        im2col(L,
               l == 0 ? d->x + row_of(index, first + (size_t)i) * hw
                      : nn->layer[l - 1].out + (size_t)i * in_map,
               L->col + (size_t)i * col_map);
    else if (l == 0)
      for (int i = 0; i < b; i++)
        memcpy(nn->xbuf + (size_t)i * hw, d->x + row_of(index, first + (size_t)i) * hw,
               hw * sizeof *nn->xbuf);
    size_t rows = (size_t)b * (size_t)L->pos;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, L->out_c, L->k, 1.0f,
                layer_input(nn, l), L->k, params + L->kernel, L->out_c, 0.0f, L->out, L->out_c);
    const float *bias = params + L->bias;
    if (l == nn->n_layers - 1) {
      for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < L->out_c; j++)
          L->out[r * (size_t)L->out_c + (size_t)j] += bias[j];
      break;
    }
    activate(L->out, L->deriv, rows, bias, nn->act);
    if (p > 0) dropout(L->out, L->deriv, rows, p, rng);
    if (nn->arch == ZL_ARCH_CNN && l == N_HIDDEN - 1) pool_forward(L->out, b, L->pos, nn->pool);
  }
}

/* Softmax cross-entropy of one row of logits, stable (shifted by the maximum), in double. With
 * dz non-NULL also writes d loss / d logits, scaled: (softmax - onehot) * scale. */
static double cross_entropy(const float *z, int label, float *dz, double scale) {
  enum { C = ZL_DATASET_CLASSES };
  float m = z[0];
  for (int j = 1; j < C; j++)
    if (z[j] > m) m = z[j];
  double e[C], s = 0;
  for (int j = 0; j < C; j++)
    s += e[j] = exp((double)z[j] - (double)m);
  double loss = log(s) + (double)m - (double)z[label];
  if (dz)
    for (int j = 0; j < C; j++)
      dz[j] = (float)((e[j] / s - (j == label)) * scale);
  return loss;
}

/* Backward pass of the chunk that forward just processed; adds its gradient into grad. The
 * logits' gradient is already in the last layer's out. Each layer's out buffer is reused for the
 * gradient of its output once the next layer no longer needs the activations. */
static void backward(zl_nn nn, const float *params, int b, float *grad) {
  for (int l = nn->n_layers - 1; l >= 0; l--) {
    layer *L = &nn->layer[l];
    size_t rows = (size_t)b * (size_t)L->pos;
    float *dz = L->out, *gb = grad + L->bias;
    if (l < nn->n_layers - 1)
      hidden_backward(dz, L->deriv, rows, gb);
    else
      for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < L->out_c; j++)
          gb[j] += dz[r * (size_t)L->out_c + (size_t)j];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->k, L->out_c, (int)rows, 1.0f,
                layer_input(nn, l), L->k, dz, L->out_c, 1.0f, grad + L->kernel, L->out_c);
    if (l == 0) break;
    layer *P = &nn->layer[l - 1];
    const float *W = params + L->kernel;
    if (L->conv) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, L->k, L->out_c, 1.0f, dz,
                  L->out_c, W, L->out_c, 0.0f, nn->dcol, L->k);
      size_t in_map = (size_t)L->in_h * (size_t)L->in_w * (size_t)L->in_c;
      memset(P->out, 0, (size_t)b * in_map * sizeof *P->out);
      for (int i = 0; i < b; i++)
        col2im(L, nn->dcol + (size_t)i * (size_t)L->pos * (size_t)L->k,
               P->out + (size_t)i * in_map);
    } else if (nn->arch == ZL_ARCH_CNN) {
      /* Through the dense layer into the pooled features, then spread evenly over the positions
       * that were averaged. */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, UNITS, L->out_c, 1.0f, dz, L->out_c,
                  W, L->out_c, 0.0f, nn->pool, UNITS);
      pool_backward(nn->pool, b, P->pos, P->out);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, L->k, L->out_c, 1.0f, dz, L->out_c, W,
                  L->out_c, 0.0f, P->out, L->k);
    }
  }
}

static int check_images(const struct zl_nn_s *nn, const zl_dataset *d) {
  if (d->h != nn->h || d->w != nn->w)
    return ZL_ERR(ZL_ERR_USAGE, "network: images are %d x %d but the network takes %d x %d", d->h,
                  d->w, nn->h, nn->w);
  return 0;
}

int zl_nn_loss_grad(zl_nn nn, const float *params, const zl_dataset *d, const size_t *index,
                    size_t n, double p, double l2, zl_rng *rng, float *grad, double *loss) {
  ZL_CALL(check_images(nn, d));
  if (!(p >= 0 && p < 1))
    return ZL_ERR(ZL_ERR_USAGE, "network: dropout rate %g is outside [0, 1)", p);
  memset(grad, 0, nn->n_params * sizeof *grad);
  const layer *last = &nn->layer[nn->n_layers - 1];
  double sum = 0;
  for (size_t first = 0; first < n; first += CHUNK) {
    int b = n - first < CHUNK ? (int)(n - first) : CHUNK;
    forward(nn, params, d, index, first, b, p, rng);
    for (int i = 0; i < b; i++) {
      float *z = last->out + (size_t)i * ZL_DATASET_CLASSES;
      sum += cross_entropy(z, d->y[row_of(index, first + (size_t)i)], z, 1.0 / (double)n);
    }
    backward(nn, params, b, grad);
  }
  double penalty = 0;
  for (int t = 0; t < nn->n_tensors; t++) {
    const zl_nn_tensor *T = &nn->tensor[t];
    if (!T->is_kernel) continue;
    for (size_t i = T->offset; i < T->offset + T->size; i++) {
      penalty += (double)params[i] * (double)params[i];
      grad[i] += (float)(2.0 * l2) * params[i];
    }
  }
  *loss = (n ? sum / (double)n : 0) + l2 * penalty;
  return 0;
}

int zl_nn_evaluate(zl_nn nn, const float *params, const zl_dataset *d, const size_t *index,
                   size_t n, double *accuracy, double *loss) {
  ZL_CALL(check_images(nn, d));
  const layer *last = &nn->layer[nn->n_layers - 1];
  double sum = 0;
  size_t hits = 0;
  for (size_t first = 0; first < n; first += CHUNK) {
    int b = n - first < CHUNK ? (int)(n - first) : CHUNK;
    forward(nn, params, d, index, first, b, 0, NULL);
    for (int i = 0; i < b; i++) {
      const float *z = last->out + (size_t)i * ZL_DATASET_CLASSES;
      int label = d->y[row_of(index, first + (size_t)i)], best = 0, finite = 1;
      for (int j = 0; j < ZL_DATASET_CLASSES; j++) {
        finite &= isfinite(z[j]) != 0;
        if (z[j] > z[best]) best = j;
      }
      hits += finite && best == label;
      sum += cross_entropy(z, label, NULL, 0);
    }
  }
  *accuracy = n ? (double)hits / (double)n : 0;
  *loss = n ? sum / (double)n : 0;
  return 0;
}
