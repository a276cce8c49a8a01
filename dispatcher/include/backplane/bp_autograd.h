/*
 * bp_autograd.h - reverse-mode automatic differentiation above the
 * dispatcher (part of backplane.h; include that instead).
 *
 * As in PyTorch: a tensor may require gradients; every differentiable op on
 * such tensors records a node (the op, its attributes, the tensors its
 * derivative needs) while grad mode is on; bp_backward walks the nodes in
 * reverse topological order and accumulates gradients into the leaves'
 * `grad`. Backends know nothing of this: derivatives are written with
 * ordinary ops (dispatcher/src/bp_derivatives.c), so backward runs on the
 * device the tensors live on.
 *
 * Ownership: bp_tensor_grad returns a borrowed tensor (owned by the tensor
 * whose gradient it is); bp_tensor_detach returns a new tensor the caller
 * owns. Nodes are owned by the tensors whose grad_fn they are, and by the
 * nodes after them in the graph.
 */
#ifndef BACKPLANE_BP_AUTOGRAD_H_
#define BACKPLANE_BP_AUTOGRAD_H_

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks a leaf tensor (one no recorded op made) as requiring gradients, or
 * not. FAILED_PRECONDITION for a tensor an op made while recording (it
 * requires grad through its history), INVALID_ARGUMENT for a non-float
 * tensor (only floating-point tensors have gradients). */
BP_API bp_status_t bp_tensor_set_requires_grad(bp_tensor_t *tensor, bool requires_grad);
BP_API bool bp_tensor_requires_grad(const bp_tensor_t *tensor);
/* True for tensors no recorded op made (user-created, or detached). */
BP_API bool bp_tensor_is_leaf(const bp_tensor_t *tensor);
/* The accumulated gradient (borrowed), or NULL before any backward. */
BP_API bp_tensor_t *bp_tensor_grad(const bp_tensor_t *tensor);
/* Drops the accumulated gradient (like `tensor.grad = None`). */
BP_API void bp_tensor_clear_grad(bp_tensor_t *tensor);
/* Keeps the gradient of a non-leaf tensor after backward (`retain_grad`). */
BP_API bp_status_t bp_tensor_retain_grad(bp_tensor_t *tensor);
/* A new tensor sharing the storage, with no history and no grad
 * (`tensor.detach()`). */
BP_API bp_status_t bp_tensor_detach(bp_tensor_t *tensor, bp_tensor_t **out_tensor);
/* The name of the op whose node made this tensor ("mul"), or NULL for a
 * leaf. For tests and debugging. */
BP_API const char *bp_tensor_grad_fn_name(const bp_tensor_t *tensor);

/* Grad mode is thread-local and on by default. bp_no_grad_enter turns it off
 * until the matching bp_no_grad_exit; the pairs nest. */
BP_API void bp_no_grad_enter(void);
BP_API void bp_no_grad_exit(void);
BP_API bool bp_grad_is_enabled(void);

typedef struct bp_backward_options {
  uint32_t struct_size;   /* sizeof(bp_backward_options_t) */
  bool retain_graph;      /* keep saved tensors for another backward */
} bp_backward_options_t;

/* Computes d(output)/d(leaf) for every leaf that requires grad and adds it
 * to the leaf's grad. grad_output is the gradient of output (same shape),
 * or NULL when output has one element (then 1). options may be NULL. A
 * second backward through the same graph needs retain_graph on the first;
 * a tensor a node saved that was modified in place since makes backward
 * fail ("modified by an in-place operation"), never a wrong gradient. */
BP_API bp_status_t bp_backward(bp_tensor_t *output, bp_tensor_t *grad_output,
                               const bp_backward_options_t *options);


/* ---- gradcheck ---------------------------------------------------------
 * Checks the derivative formulas of an op (or of any function of tensors)
 * against central finite differences, as torch.autograd.gradcheck does:
 * the whole Jacobian d(outputs)/d(inputs) is computed both ways, the
 * analytical one by one backward per output element (one-hot grad_output),
 * the numerical one by (f(x + eps) - f(x - eps)) / (2 eps) per input
 * element, and every entry must satisfy
 *     |analytical - numerical| <= atol + rtol * |numerical|.
 * Run it on f64 inputs (on the reference device, or any device that
 * computes f64 exactly enough), on points away from kinks (relu at 0, abs
 * at 0, ties of max). Costs one backward per output element and two
 * forwards per input element: keep the tensors small (a few dozen
 * elements).
 *
 * Which inputs are checked: those with requires_grad set; when none is set,
 * every f64 input. A checked input that is not f64 is INVALID_ARGUMENT
 * (finite differences in lower precision are meaningless). Other inputs
 * (indices, masks, f32 operands) are passed as they are. Only
 * floating-point outputs are checked. The caller's tensors are not
 * modified (gradcheck works on copies; their grads are untouched).
 *
 * Returns OK when every entry agrees; FAILED_PRECONDITION when some do not,
 * with a message (bp_last_error) naming the op, the output and input (slot
 * name and element index), both values and how many entries disagree, e.g.
 *   "bp_gradcheck: pow: d out[1,2] / d a[1,2] (input 0): analytical 3.5,
 *    numerical 2.25 (|diff| 1.25 > atol 1e-05 + rtol 0.001 * |numerical|);
 *    3 of 36 entries disagree"
 * and any error of the function itself as it is (with context). */
typedef struct bp_gradcheck_options {
  uint32_t struct_size;  /* sizeof(bp_gradcheck_options_t) */
  double eps;            /* finite-difference step (PyTorch: 1e-6) */
  double atol;           /* absolute tolerance (PyTorch: 1e-5) */
  double rtol;           /* relative tolerance (PyTorch: 1e-3) */
} bp_gradcheck_options_t;

/* Fills opts with PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3. */
BP_API void bp_gradcheck_options_init(bp_gradcheck_options_t *opts);

/* A function under check: computes num_outputs new tensors (owned by the
 * caller) from the inputs, with ordinary ops (so that they are recorded). */
typedef bp_status_t (*bp_gradcheck_fn_t)(void *user_data, uint32_t num_inputs,
                                         bp_tensor_t *const *inputs, uint32_t num_outputs,
                                         bp_tensor_t **outputs);

/* Gradcheck of any function; name is used in messages (may be NULL). */
BP_API bp_status_t bp_gradcheck_fn(const char *name, bp_gradcheck_fn_t fn, void *user_data,
                                   uint32_t num_inputs, bp_tensor_t *const *inputs,
                                   uint32_t num_outputs,
                                   const bp_gradcheck_options_t *opts_or_null);

/* Gradcheck of one catalog op run with bp_op_run (attrs as bp_op_run takes
 * them: any subset by name); opts NULL: PyTorch's defaults. */
BP_API bp_status_t bp_gradcheck(uint32_t op_id, uint32_t num_inputs, bp_tensor_t *const *inputs,
                                uint32_t num_attrs, const bp_attr_t *attrs,
                                const bp_gradcheck_options_t *opts_or_null);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_AUTOGRAD_H_ */
