/*
 * bp_autograd.h - the graph autograd records, shared by the engine
 * (bp_autograd.c) and the derivative table (bp_derivatives.c).
 */
#ifndef BACKPLANE_BP_AUTOGRAD_INTERNAL_H_
#define BACKPLANE_BP_AUTOGRAD_INTERNAL_H_

#include "bp_op_catalog.h"

/* Where the gradient of one input of a node goes: into another node's
 * output (node, output_nr), or into a leaf tensor's grad. */
typedef struct bp_grad_edge {
  bp_grad_node_t *node; /* owned reference, or NULL */
  uint32_t output_nr;
  bp_tensor_t *leaf;    /* owned reference, or NULL */
} bp_grad_edge_t;

/* What backward needs to know of an input or output it may not have saved. */
typedef struct bp_grad_tensor_meta {
  bp_dtype_t dtype;
  int32_t ndim;
  int64_t shape[BP_MAX_DIMS];
  bp_device_t *device;
} bp_grad_tensor_meta_t;

typedef enum bp_grad_node_kind {
  BP_NODE_OP = 0,        /* an op of the catalog with a derivative formula */
  BP_NODE_VIEW = 1,      /* a view of input 0 (same storage, or a reshape copy) */
  BP_NODE_EXPAND = 2,    /* a broadcasting view of input 0 */
  BP_NODE_NONDIFF = 3,   /* an op without a gradient: a gradient flowing in is an error */
} bp_grad_node_kind_t;

struct bp_grad_node {
  atomic_int refcount;
  bp_grad_node_kind_t kind;
  uint32_t op_id;
  const char *name;
  bool released;                    /* saved tensors freed by a backward */
  uint32_t num_inputs, num_outputs;
  bp_grad_edge_t *edges;            /* [num_inputs] */
  bp_grad_tensor_meta_t *in_meta;   /* [num_inputs] */
  bp_grad_tensor_meta_t *out_meta;  /* [num_outputs] */
  bp_tensor_t **saved_in;           /* [num_inputs]: aliases, NULL when not saved */
  uint64_t *saved_in_version;
  bp_tensor_t **saved_out;          /* [num_outputs] */
  uint64_t *saved_out_version;
  bp_tensor_t **retained;           /* [num_outputs] weak: outputs with retain_grad */
  bp_attr_t *attrs;                 /* [op's num_attrs]; int lists point into ints */
  int64_t *ints;                    /* the int lists' storage, in the same block */
  /* View nodes: the view's geometry relative to its base (input 0). */
  int32_t view_ndim;
  int64_t view_shape[BP_MAX_DIMS], view_strides[BP_MAX_DIMS], view_offset;
  bool view_shares_storage;
  /* Engine scratch, valid during one backward. (grads is in the block.) */
  uint32_t pending;                 /* consumers not yet processed */
  bool seen;
  bp_tensor_t **grads;              /* [num_outputs] accumulated gradients */
};

/* What a derivative formula gets. Saved tensors are aliases without
 * history; ops it runs are not recorded (grad mode is off in backward). */
typedef struct bp_grad_ctx {
  const bp_grad_node_t *node;
  bp_tensor_t *const *in;           /* saved inputs (NULL where not saved) */
  bp_tensor_t *const *out;          /* saved outputs (NULL where not saved) */
  const bp_attr_t *attrs;
  const bool *needs;                /* needs[i]: input i wants a gradient */
} bp_grad_ctx_t;

/* grads[k] is the gradient of output k (NULL when none flowed in: zero).
 * Writes grad_in[i] (a new tensor owned by the engine, any shape that
 * broadcasts to input i; the engine sums it down and casts) for each i with
 * needs[i], or leaves it NULL for zero. */
typedef bp_status_t (*bp_derivative_fn_t)(const bp_grad_ctx_t *ctx, bp_tensor_t *const *grads,
                                          bp_tensor_t **grad_in);

typedef struct bp_derivative {
  uint32_t save_inputs;   /* bit i: the formula reads input i */
  uint32_t save_outputs;  /* bit k: the formula reads output k */
  bp_derivative_fn_t fn;
} bp_derivative_t;

/* The formula of op_id, or NULL when the op has none (yet). */
BP_HIDDEN const bp_derivative_t *bp_derivative_of(uint32_t op_id);

/* The derivative table is one table in several files (one per op family,
 * so families grow independently): each file defines an array of these and
 * its length, listed in bp_derivatives.c's `tables`. */
typedef struct bp_named_derivative {
  uint32_t op_id;
  bp_derivative_t d;
} bp_named_derivative_t;

#define BP_DERIVATIVE_IN(i) (1u << (i))
#define BP_DERIVATIVE_OUT(k) (1u << (k))

/* bp_derivatives.c: arithmetic, reductions, matmul, a few unary ops. */
extern const bp_named_derivative_t bp_derivatives_core[];
extern const size_t bp_derivatives_core_count;
/* Further families: defined in bp_derivatives_<family>.c (weak: a family
 * without its file yet has an empty table). */
extern const bp_named_derivative_t bp_derivatives_elementwise[] __attribute__((weak));
extern const size_t bp_derivatives_elementwise_count __attribute__((weak));
extern const bp_named_derivative_t bp_derivatives_shape[] __attribute__((weak));
extern const size_t bp_derivatives_shape_count __attribute__((weak));
extern const bp_named_derivative_t bp_derivatives_reduce[] __attribute__((weak));
extern const size_t bp_derivatives_reduce_count __attribute__((weak));
extern const bp_named_derivative_t bp_derivatives_nn[] __attribute__((weak));
extern const size_t bp_derivatives_nn_count __attribute__((weak));
extern const bp_named_derivative_t bp_derivatives_train[] __attribute__((weak));
extern const size_t bp_derivatives_train_count __attribute__((weak));

/* Helpers for formulas (bp_derivatives.c). */
/* Sums g over the dims it was broadcast along so it has the given shape. */
BP_HIDDEN bp_status_t bp_grad_sum_to(bp_tensor_t *g, int32_t ndim, const int64_t *shape,
                                     bp_tensor_t **out);

#endif /* BACKPLANE_BP_AUTOGRAD_INTERNAL_H_ */
