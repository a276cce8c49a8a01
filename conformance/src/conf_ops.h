/*
 * conf_ops.h - what the suite knows of each catalog op: its family, slots,
 * the signatures the catalog allows (to validate registrations, ABI-12),
 * the generated cases (variants) per family and tier, and the tolerance
 * table. The data lives in conf_op_table.c and conf_compare.c; everything
 * else reads it.
 */
#ifndef BACKPLANE_CONFORMANCE_CONF_OPS_H_
#define BACKPLANE_CONFORMANCE_CONF_OPS_H_

#include "conf_internal.h"

typedef enum conf_family {
  FAM_FILL = 0,
  FAM_COPY,
  FAM_BINARY, /* add, sub, mul, div */
  FAM_SUM,
  FAM_MATMUL,
  FAM_COUNT,
} conf_family_t;

typedef struct conf_op_info {
  const char *name;
  conf_family_t family;
  uint32_t num_inputs, num_outputs;
  bool has_alpha;       /* add, sub */
  bool nonzero_b;       /* div: keep the divisor away from 0 in normal cases */
  bool (*sig_ok)(const bp_dtype_t *sig);
} conf_op_info_t;

/* The op's entry, or NULL when the suite has no generator for it. */
const conf_op_info_t *conf_op_lookup(const char *name);

/* Input layouts: how a logical [shape] input is made from a base tensor. */
typedef enum conf_layout {
  LAY_CONTIG = 0,   /* the base itself */
  LAY_TRANSPOSED,   /* base with the last two dims swapped, permuted back */
  LAY_SLICED,       /* last dim of the base is 2n+1 long; elements 1,3,5,... */
  LAY_EXPANDED,     /* base has dim 0 of size 1, expanded (stride 0) */
  LAY_OFFSET,       /* a 1-D base, as_strided at element offset 3 */
} conf_layout_t;

/* Output layouts: every output is a view inside a larger base filled with
 * a sentinel, so writes outside the elements are caught (guard bytes). */
typedef enum conf_out_layout {
  OUT_CONTIG = 0,   /* row-major, guard elements before and after */
  OUT_GAPPED,       /* last dim stride 2: a guard element between each */
  OUT_TRANSPOSED,   /* column-major strides */
} conf_out_layout_t;

typedef enum conf_values {
  VAL_NORMAL = 0,   /* random finite values of a moderate range */
  VAL_EDGE,         /* edge values mixed in (NaN, +-Inf, -0, denormals, ...) */
  VAL_EDGE_PAIRS,   /* binary ops: every pair of edge values */
  FILL_NEG_ZERO,    /* fill: the value attribute */
  FILL_NAN,
  FILL_INF,
  FILL_MAX,
  FILL_MIN,
} conf_values_t;

typedef struct conf_shape {
  int32_t ndim;
  int64_t d[CONF_MAX_DIMS];
} conf_shape_t;

enum { TIER_Q = CONF_TIER_QUICK, TIER_F = CONF_TIER_FULL, TIER_QF = TIER_Q | TIER_F };

typedef struct conf_variant {
  const char *name;
  unsigned tiers;
  conf_shape_t in[2];
  conf_layout_t lay[2];
  conf_shape_t out;          /* fill and copy: the output's shape */
  conf_out_layout_t out_lay;
  conf_values_t values;
  bool alpha;                /* add/sub: pass alpha (2.5, or 3 for integers) */
  int32_t num_dims;          /* sum: dims to reduce (0 = all) */
  int64_t dims[4];
  bool keepdim;
} conf_variant_t;

const conf_variant_t *conf_variants(conf_family_t f, size_t *count);
/* Whether variant v makes sense for this op and signature (e.g. no NaN
 * fill for integers, no alpha for mul). */
bool conf_variant_applies(const conf_op_info_t *op, const bp_dtype_t *sig,
                          const conf_variant_t *v);
/* Index of the named variant in the family, or -1. */
int conf_variant_find(conf_family_t f, const char *name);

/* ---- tolerances (conf_compare.c) ---- */

typedef struct conf_tol {
  bool exact;       /* bit-exact (NaN matches any NaN) */
  double rtol;      /* allowed |got-ref| <= atol + rtol * mag */
  double atol;
  bool use_mag;     /* mag = the op run on |inputs| (reductions), else |ref| */
  bool deterministic;
} conf_tol_t;

/* The tolerance of an op for an output dtype; k is the reduction length
 * (terms summed per output element; 1 for elementwise ops). */
conf_tol_t conf_tolerance(const conf_op_info_t *op, bp_dtype_t out_dtype, int64_t k);

/* Compares n elements: got (strided bytes at the given element byte
 * offsets) with ref (contiguous); mag may be NULL. Updates r (max_error,
 * error_ratio, outcome, message) and returns the number of mismatches. */
size_t conf_compare(bp_dtype_t dtype, const unsigned char *got, const int64_t *got_offsets,
                    const unsigned char *ref, const unsigned char *mag, size_t n,
                    const conf_tol_t *tol, conf_result_t *r);

/* Edge values of a dtype, as doubles (integers as exact doubles or via
 * conf_edge_i64 for 64-bit extremes). */
size_t conf_edge_values(bp_dtype_t d, bool reduce_safe, double *out, size_t cap);
size_t conf_edge_ints(bp_dtype_t d, int64_t *out, size_t cap);

#endif /* BACKPLANE_CONFORMANCE_CONF_OPS_H_ */
