/* Ridge regression from per-fold sufficient statistics (design §3, step 4), serial math on
 * replicated matrices. A fold's augmented Gram G (order D + 2, column-major, both triangles) sums
 * a aᵀ over the fold's rows a = [φ − c, 1, y − c_y], with φ the D features and c, c_y a shift near
 * their means (for conditioning only). A training set is a sum of folds; its standardised system
 * (ZᵀZ/n + λI) w = Zᵀ(y − ȳ)/n follows by a rank-one correction (the caller solves it for every
 * λ: zl_solver_shifted). Validation errors are quadratic forms in a fold's G. */
#ifndef ZL_RIDGESYS_H
#define ZL_RIDGESYS_H

typedef struct {
  int D;
  double n, sy; /* rows and Σ(y − c_y) of the training set */
  double *C;    /* D × D standardised Gram, column-major (the caller's solve may destroy it) */
  double *b;    /* D: standardised Zᵀ(y − ȳ)/n */
  double *inv;  /* D: 1 / std of each feature, 0 for a constant one */
  double *s;    /* D: Σ(φ − c) */
  double *G;    /* (D + 2)²: the training set's summed Gram */
} zl_ridgesys;

/* Allocates for D features. Not collective. */
int zl_ridgesys_init(zl_ridgesys *r, int D);
void zl_ridgesys_free(zl_ridgesys *r);

/* The system of the folds k < K with mask[k] != 0, their Grams G[k] summed in ascending k.
 * Returns the training rows n (0: empty set, the system is not formed). Not collective. */
double zl_ridgesys_make(zl_ridgesys *r, const double *const *G, const int *mask, int K);

/* Raw coefficients coef (D + 1: intercept, then one per feature, so ŷ = coef[0] + Σ coef[1+j] φ_j)
 * from the standardised solution w and the shift. Not collective. */
void zl_ridgesys_coef(const zl_ridgesys *r, const double *w, const double *c, double cy,
                      double *coef);

/* Sum of squared errors of coef over a fold from its Gram Gv (order D + 2). gamma: 2(D + 2)
 * scratch. Not collective. */
double zl_ridge_sse(const double *Gv, int D, const double *coef, const double *c, double cy,
                    double *gamma);

#endif
