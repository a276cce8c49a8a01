/*
 * ref_iter.h - walks up to BP_REF_ITER_MAX_OPS strided tensors of one shape
 * together, one contiguous-in-index "inner run" at a time.
 *
 * Init drops size-1 dims and merges neighbouring dims that every operand
 * walks as one (stride[d] == stride[d+1] * shape[d+1]), so a contiguous
 * tensor of any rank becomes a single run and a transposed one two nested
 * loops. The caller processes ptr[op] .. ptr[op] + (inner_size-1) *
 * inner_stride[op] (strides in BYTES), then calls bp_ref_iter_next.
 *
 *   bp_ref_iter_t it;
 *   bp_ref_iter_init(&it, ndim, shape, 2, bases, strides, sizes);
 *   do { row(it.ptr[0], it.ptr[1], it.inner_size, ...); }
 *   while (bp_ref_iter_next(&it));
 *
 * The caller guarantees numel(shape) > 0 (bases may be NULL otherwise) and
 * ndim <= BP_REF_MAX_DIMS. Nothing is allocated; the struct lives on the
 * caller's stack and only the entries it uses are written.
 */
#ifndef BACKPLANE_REFERENCE_REF_ITER_H_
#define BACKPLANE_REFERENCE_REF_ITER_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref_plugin.h"

#define BP_REF_ITER_MAX_OPS 3

typedef struct bp_ref_iter {
  int32_t nops;
  int32_t ndim;          /* outer dims left after merging (run excluded) */
  int64_t inner_size;    /* elements per run, >= 1 */
  int64_t inner_stride[BP_REF_ITER_MAX_OPS]; /* bytes between run elements */
  char *ptr[BP_REF_ITER_MAX_OPS];            /* first element of the run */
  int64_t shape[BP_REF_MAX_DIMS];
  int64_t stride[BP_REF_MAX_DIMS][BP_REF_ITER_MAX_OPS]; /* bytes */
  int64_t index[BP_REF_MAX_DIMS];
} bp_ref_iter_t;

/* Moves the iterator back to the first run, with new base pointers. */
static inline void bp_ref_iter_reset(bp_ref_iter_t *it, char *const *base) {
  for (int32_t op = 0; op < it->nops; ++op) it->ptr[op] = base[op];
  for (int32_t d = 0; d < it->ndim; ++d) it->index[d] = 0;
}

/* Sets up the walk over `shape` (ndim dims) for nops operands: operand op
 * starts at base[op], has element strides strides[op] and elements of
 * elem_size[op] bytes. */
static inline void bp_ref_iter_init(bp_ref_iter_t *it, int32_t ndim,
                                    const int64_t *shape, int32_t nops,
                                    char *const *base,
                                    const int64_t *const *strides,
                                    const size_t *elem_size) {
  int32_t n = 0; /* merged dims so far, outermost first */
  it->nops = nops;
  for (int32_t d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    bool merge = n > 0;
    for (int32_t op = 0; op < nops && merge; ++op)
      merge = it->stride[n - 1][op] ==
              strides[op][d] * (int64_t)elem_size[op] * shape[d];
    if (merge) {
      it->shape[n - 1] *= shape[d];
      for (int32_t op = 0; op < nops; ++op)
        it->stride[n - 1][op] = strides[op][d] * (int64_t)elem_size[op];
    } else {
      it->shape[n] = shape[d];
      for (int32_t op = 0; op < nops; ++op)
        it->stride[n][op] = strides[op][d] * (int64_t)elem_size[op];
      ++n;
    }
  }
  if (n == 0) {
    it->inner_size = 1;
    for (int32_t op = 0; op < nops; ++op) it->inner_stride[op] = 0;
  } else {
    --n;
    it->inner_size = it->shape[n];
    for (int32_t op = 0; op < nops; ++op) it->inner_stride[op] = it->stride[n][op];
  }
  it->ndim = n;
  bp_ref_iter_reset(it, base);
}

/* Advances to the next run; false when the walk is over. */
static inline bool bp_ref_iter_next(bp_ref_iter_t *it) {
  for (int32_t d = it->ndim - 1; d >= 0; --d) {
    if (++it->index[d] < it->shape[d]) {
      for (int32_t op = 0; op < it->nops; ++op) it->ptr[op] += it->stride[d][op];
      return true;
    }
    it->index[d] = 0;
    for (int32_t op = 0; op < it->nops; ++op)
      it->ptr[op] -= it->stride[d][op] * (it->shape[d] - 1);
  }
  return false;
}

#endif /* BACKPLANE_REFERENCE_REF_ITER_H_ */
