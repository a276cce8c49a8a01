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

/* How an op's cases are generated. The family follows from the op's kernel
 * form in the catalog (bp_op_query_info): every elementwise op gets the
 * standard shape set, every reduce-form op the dim sets, every matmul-form
 * op the matrix shapes; as_is ops have per-op case tables. fill and copy
 * have their own. */
typedef enum conf_family {
  FAM_FILL = 0,
  FAM_COPY,
  FAM_EW,     /* elementwise, 0 to 3 inputs (add, exp, where, uniform, ...) */
  FAM_REDUCE, /* reduce form (sum, amax, argmax, var, ...) */
  FAM_MATMUL, /* matmul form (matmul; bmm takes the 3-d cases) */
  FAM_TABLE,  /* as_is: only the op's own table of cases */
  FAM_COUNT,
} conf_family_t;

#define CONF_MAX_IN 6
#define CONF_MAX_OUT 3
#define CONF_MAX_ATTR_SPECS 6

/* Value domains of an input (per op and slot, conf_op_spec_t; a variant
 * may override). DOM_OP: the op's default (DOM_ANY unless its spec says). */
typedef enum conf_domain {
  DOM_OP = 0,
  DOM_ANY,      /* floats uniform in [-2, 2]; integers over a wide range */
  DOM_POS,      /* floats in [0.1, 4]; integers in [1, 100] (log, sqrt) */
  DOM_GT_M1,    /* floats in (-0.9, 3] (log1p) */
  DOM_NONZERO,  /* +-[0.5, 2]; integers non-zero (divisors) */
  DOM_DISCRETE, /* multiples of 0.5 in [-2, 2]; integers in [-3, 3]: ties (max, eq) */
  DOM_UNIT,     /* floats in [0, 1]; integers 0 or 1 (probabilities) */
  DOM_NEAR1,    /* +-[0.7, 1.4]; integers in [-2, 2] (products) */
  DOM_SPARSE,   /* 40% zeros (all, any, logical ops) */
  DOM_INDEX,    /* integers in [0, hi) (hi per slot in the variant); floats in [0, 1) */
  DOM_EXP,      /* exponents: floats in [-2, 2]; integers in [0, 3] */
  DOM_BASE,     /* bases: floats in [0.1, 3]; integers in [-5, 5] */
  DOM_SMALL,    /* small integers in [-3, 3] as any dtype */
} conf_domain_t;

/* One attribute a case sets, by catalog name. type: 'i' int, 'f' float,
 * 'b' bool, 'I' int list (n entries of ints), 'd' dtype (value = dtype). A
 * case whose attribute the op does not declare is not generated (the
 * catalog may not have it yet). */
typedef struct conf_attr_spec {
  const char *name;
  char type;
  double value;
  int32_t n;
  int64_t ints[6];
} conf_attr_spec_t;

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
  conf_shape_t in[CONF_MAX_IN];
  conf_layout_t lay[CONF_MAX_IN];
  conf_shape_t out;          /* fill, copy and ops that write a given output */
  conf_out_layout_t out_lay;
  conf_values_t values;
  bool alpha;                /* ops with an "alpha" attr: 2.5 (3 for integers) */
  int32_t num_dims;          /* reductions: dims to reduce (0 = all) */
  int64_t dims[4];
  bool keepdim;
  /* generic generators */
  uint8_t min_inputs;        /* elementwise: only for ops with this many inputs */
  uint8_t dom[CONF_MAX_IN];  /* per input: conf_domain_t, DOM_OP = the op's */
  int64_t hi[CONF_MAX_IN];   /* DOM_INDEX: indices in [0, hi) */
  conf_attr_spec_t attrs[CONF_MAX_ATTR_SPECS];
  int64_t k;                 /* terms per output element (tolerance); 0 = derived */
  uint8_t only;              /* ONLY_FLOAT / ONLY_INT: by the first slot's dtype */
  uint32_t skip_mask;        /* BP_DTYPE_BIT()s of first-slot dtypes the case is not for */
  int8_t int_slot;           /* slot+1 that must hold an integer dtype (0: none) */
  int8_t float_slot;         /* slot+1 that must hold a float dtype (0: none) */
  bool no_derive;            /* keep the generated inputs: skip the spec's pre_op */
} conf_variant_t;

enum { ONLY_FLOAT = 1, ONLY_INT = 2 };

/* Per-op data (conf_op_spec.c): input domains, attributes every case sets,
 * flags, and extra variants (elementwise/reduce/matmul ops) or the op's only
 * cases (as_is ops). */
enum {
  SPEC_NO_EDGE = 1,      /* no edge-value variant (random ops: inf * 0) */
  SPEC_INT_ATTRS = 2,    /* int_attrs apply to integer signatures only */
  SPEC_NONEMPTY = 4,     /* reductions that reject an empty reduced dim (amax) */
};

typedef struct conf_op_spec {
  const char *op;
  uint8_t dom[CONF_MAX_IN];
  conf_attr_spec_t base[CONF_MAX_ATTR_SPECS];     /* on every case */
  conf_attr_spec_t int_attrs[2];                  /* on integer signatures */
  unsigned flags;
  const conf_variant_t *variants;
  size_t num_variants;
  /* Inputs derived from another op run on ref:0 with the generated inputs
   * (a backward op's saved tensors from its forward: max_pool2d's indices,
   * the norms' mean and rstd, softmax's output). pre_in: slot+1 of this
   * op's inputs passed to pre_op, in order (0 ends); pre_out: per pre_op
   * output, slot+1 of the input it replaces (0: unused). pre_op gets the
   * case's attributes it declares. The derived inputs are contiguous. */
  const char *pre_op;
  int8_t pre_in[CONF_MAX_IN];
  int8_t pre_out[CONF_MAX_OUT];
} conf_op_spec_t;

const conf_op_spec_t *conf_op_spec(const char *op);

typedef struct conf_op_info {
  const char *name;
  conf_family_t family;
  uint32_t num_inputs, num_outputs;
  bool outputs_required;     /* the caller passes the outputs (fill, arange, uniform) */
  bool (*sig_ok)(const bp_dtype_t *sig); /* NULL: the slot count is checked */
  uint32_t op_id;
  const conf_op_spec_t *spec; /* NULL when the op has no row */
  char dim_type;             /* reductions: 'I' dim list, 'i' one dim, 0 none */
  bool has_keepdim, has_has_dim, has_alpha;
  uint32_t num_attrs;
  const char *attr_names[16];
} conf_op_info_t;

/* The op's entry (for any catalog op with a kernel form), or NULL. Its
 * family is FAM_COUNT when the suite has no generator for it. */
const conf_op_info_t *conf_op_lookup(const char *name);
/* Whether the op declares an attribute of this name. */
bool conf_op_has_attr(const conf_op_info_t *op, const char *name);

/* The op's variants: its family's, then its spec's. */
size_t conf_op_num_variants(const conf_op_info_t *op);
const conf_variant_t *conf_op_variant(const conf_op_info_t *op, size_t i);
/* Whether variant v makes sense for this op and signature (e.g. no NaN
 * fill for integers, no alpha for mul). */
bool conf_variant_applies(const conf_op_info_t *op, const bp_dtype_t *sig,
                          const conf_variant_t *v);
/* Index of the named variant of the op, or -1. */
int conf_variant_find(const conf_op_info_t *op, const char *name);

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
/* The tolerance rule of an op, for docs and --list: "exact", "ulp", ... */
const char *conf_tolerance_class(const conf_op_info_t *op);
/* The op whose run on |inputs| gives the size of the terms (add for sub),
 * or NULL for the op itself. */
const char *conf_tolerance_mag_op(const conf_op_info_t *op);

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
