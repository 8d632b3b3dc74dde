/* The zoo /layout of one of zoolens's networks (train and synth write the same tensors), and of a
 * released zoo (its layout.csv). */
#ifndef ZL_NETLAYOUT_H
#define ZL_NETLAYOUT_H

#include <stdint.h>

#include "zl_nn.h"
#include "zl_zoo.h"

/* Tensors of the largest network zoolens builds (the MLP: 4 layers × bias, kernel), with room. */
#define ZL_MAX_TENSORS 16

/* Fills t (room for max tensors) with the layout of architecture arch on h × w inputs; *n gets the
 * number of tensors and *P the parameters. Not collective. */
int zl_network_layout(zl_arch arch, int h, int w, zl_tensor *t, int max, int *n, int64_t *P);

/* Reads a released zoo's layout.csv (varname,start_idx,end_idx[,size],shape, one row per tensor
 * in row order) for n_params parameters into *tensors (malloc'ed, *n_tensors of them); the rows
 * must tile [0, n_params) (zl_zoo_check_layout). Errors name the file and line, e.g.
 * "<path>: line 3: varname 'x' ends in neither kernel:0 nor bias:0"; on failure *tensors is NULL.
 * Not collective (zoolens import's rank 0; fuzzed by tests/fuzz/fuzz_layout.c). */
int zl_import_read_layout(const char *path, int64_t n_params, zl_tensor **tensors, int *n_tensors);

#endif
