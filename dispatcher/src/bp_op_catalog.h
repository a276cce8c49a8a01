/*
 * bp_op_catalog.h - the op catalog: the one source of truth about every op
 * (name, tensor slots, attributes with defaults, dtype rule, shape rule, the
 * form in which kernels receive tensors). The registry validates kernel
 * registrations against it, the dispatcher plans calls with it, `bp ops`
 * and docs/ops.md are generated from it.
 */
#ifndef BACKPLANE_BP_OP_CATALOG_H_
#define BACKPLANE_BP_OP_CATALOG_H_

#include "bp_internal.h"

/* Every op: X(ENUM_ID, "stable name", symbol). Each family keeps its list in
 * its own header (bp_ops_<family>.h) and its definitions, one
 * `const bp_op_def_t bp_op_def_<symbol>` per op, in bp_ops_<family>.c. Ids
 * are process-local; across the ABI ops are named by their strings. */
#include "bp_ops_families.h"

#define BP_OP_LIST(X) \
  BP_OPS_CORE(X)      \
  BP_OPS_SHAPE(X)     \
  BP_OPS_UNARY(X)     \
  BP_OPS_BINARY(X)    \
  BP_OPS_REDUCE(X)    \
  BP_OPS_LINALG(X)    \
  BP_OPS_NN(X)        \
  BP_OPS_NN2(X)       \
  BP_OPS_RANDOM(X)    \
  BP_OPS_NN_BACKWARD(X) \
  BP_OPS_TRAIN(X)

enum {
#define BP_OP_ENUM(id, name, sym) BP_OP_##id,
  BP_OP_LIST(BP_OP_ENUM)
#undef BP_OP_ENUM
  BP_OP_COUNT
};

/* How the dispatcher hands tensors to kernels (documented in docs/ops.md). */
typedef enum bp_op_form {
  /* Outputs as they are; inputs expanded to the first output's shape
   * (stride 0 on broadcast dims). */
  BP_FORM_ELEMENTWISE = 1,
  /* One input, one output with the input's ndim and size 1 on every reduced
   * dim (keepdim form), whatever keepdim says. */
  BP_FORM_REDUCE = 2,
  /* a [B..., M, K], b [B..., K, N], out [B..., M, N], same rank >= 2, batch
   * dims expanded; 1-D operands become [1, K] and [K, 1]. */
  BP_FORM_MATMUL = 3,
  /* Every tensor as it is (any strides); attributes normalized by infer
   * (e.g. negative dims made positive). For ops whose kernels need the
   * real geometry: convolutions, pooling, normalizations, scans, gathers. */
  BP_FORM_AS_IS = 4,
} bp_op_form_t;

typedef struct bp_attr_def {
  const char *name;
  bp_attr_type_t type;
  double default_float;
  int64_t default_int;
  bool default_bool;
  bp_dtype_t default_dtype; /* BP_DTYPE_INVALID: decided by the op */
  const char *doc;
} bp_attr_def_t;

/* What shape and dtype inference found for one call. */
typedef struct bp_op_plan {
  uint32_t num_inputs;                    /* set by the dispatcher (variadic ops) */
  bp_dtype_t input_dtypes[BP_MAX_SLOTS];  /* kernel dtype of each input */
  bp_dtype_t output_dtypes[BP_MAX_SLOTS];
  /* The dtype the kernel writes each output in, when it differs from
   * output_dtypes (the dispatcher casts after); BP_DTYPE_INVALID = same. E.g.
   * an f16 tensor plus an f64 scalar computes in f32 and rounds once, as
   * PyTorch's opmath does. */
  bp_dtype_t kernel_output_dtypes[BP_MAX_SLOTS];
  int32_t output_ndim[BP_MAX_SLOTS];
  int64_t output_shape[BP_MAX_SLOTS][BP_MAX_DIMS];
  /* BP_FORM_REDUCE: bit d set when input dim d is reduced. */
  uint64_t reduce_mask;
  /* BP_FORM_MATMUL */
  int32_t batch_ndim;
  int64_t batch_shape[BP_MAX_DIMS];
  int64_t m, k, n;
  bool a_is_vector, b_is_vector;
} bp_op_plan_t;

typedef struct bp_op_def bp_op_def_t;

/* Checks inputs, attrs (catalog order, resolved) and the provided outputs
 * (NULL entries = to be allocated); fills the plan. Errors name the op.
 * May rewrite attrs into the normalized form kernels receive (e.g. a
 * negative dim made positive); attrs is the dispatcher's own copy, and infer
 * must accept its own normalized attrs again (a call may be re-planned). */
typedef bp_status_t (*bp_op_infer_fn_t)(const bp_op_def_t *def,
                                        bp_tensor_t *const *inputs,
                                        bp_attr_t *attrs,
                                        bp_tensor_t *const *outputs,
                                        bp_op_plan_t *plan);
/* May a kernel be registered with this dtype signature? */
typedef bool (*bp_op_signature_fn_t)(const bp_dtype_t *dtypes);
/* A view op: makes outputs[] as new views of the inputs' storage (no
 * kernel, no copy); checks its own arguments. */
typedef bp_status_t (*bp_op_view_fn_t)(const bp_op_def_t *def, bp_tensor_t *const *inputs,
                                       const bp_attr_t *attrs, bp_tensor_t **outputs);
/* A composite op: computes the outputs (allocated per the plan) through
 * other ops. Used when the device has no kernel for the op (or its kernel
 * declines), before any fallback: every backend gets the op from the ops it
 * has. */
typedef bp_status_t (*bp_op_composite_fn_t)(const bp_op_def_t *def, bp_tensor_t *const *inputs,
                                            const bp_attr_t *attrs, const bp_op_plan_t *plan,
                                            bp_tensor_t *const *outputs);
/* The inputs a call writes in place (bit i: input i), from its attrs; the
 * fallback copies them back from ref:0 (batch_norm's running stats). */
typedef uint32_t (*bp_op_mutates_fn_t)(const bp_attr_t *attrs);

struct bp_op_def {
  const char *name;
  const char *summary;       /* one line for docs */
  const char *dtype_rule;    /* words for docs */
  uint8_t num_inputs;
  uint8_t num_outputs;
  bool outputs_required;     /* the caller must pass the outputs (fill, copy) */
  bool differentiable;
  bp_op_form_t form;
  const char *slot_names[BP_MAX_SLOTS]; /* inputs, then outputs */
  uint8_t num_attrs;
  bp_attr_def_t attrs[BP_MAX_ATTRS];
  bp_op_infer_fn_t infer;           /* NULL only for view ops */
  bp_op_signature_fn_t signature_ok;
  bp_op_view_fn_t view;             /* set for view ops (no kernels) */
  bp_op_composite_fn_t composite;   /* optional decomposition */
  bp_op_mutates_fn_t mutates;       /* NULL: no input is written */
  /* The op takes num_inputs or more inputs (cat, stack), all in slot 0's
   * role; such ops are composite only (no kernel signature). */
  bool variadic;
};

/* Most inputs a variadic op takes. */
#define BP_MAX_VARIADIC 256

/* The definition of op_id (< BP_OP_COUNT). */
BP_HIDDEN const bp_op_def_t *bp_op_def(uint32_t op_id);
/* Fills attrs[i] with the default of the op's i-th attribute. */
BP_HIDDEN void bp_op_default_attrs(const bp_op_def_t *def, bp_attr_t *attrs);

#endif /* BACKPLANE_BP_OP_CATALOG_H_ */
