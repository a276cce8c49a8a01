/*
 * bp_cl_nn.h - helpers shared by the nn op files (pooling, norms, indexing,
 * losses, optimizers, gelu_backward, conv2d_backward): attributes, dtype
 * defines, one-call kernel launches and the device-side error checks.
 *
 * Device-side error checks (index out of range): a kernel that validates
 * indices gets a slot in the device's check buffer (bp_cl_check_slot);
 * a work item that meets a bad value writes 1 and the value into its slot
 * and touches no memory with it. The slots are read at the next synchronize
 * (bp_cl_check_collect in bp_cl_internal.h, called by bp_cl_synchronize), which turns a set
 * slot into INVALID_ARGUMENT with a message naming the op, the value and
 * the range (ABI-14: kernel errors surface at synchronize). When every slot
 * is taken the queue is drained and the slots collected early.
 */
#ifndef BACKPLANE_BACKENDS_OPENCL_BP_CL_NN_H_
#define BACKPLANE_BACKENDS_OPENCL_BP_CL_NN_H_

#include "bp_cl_internal.h"

/* ---- attributes ---- */

int64_t bp_cl_attr_i(const bp_kernel_call_t *call, const char *name, int64_t dflt);
double bp_cl_attr_f(const bp_kernel_call_t *call, const char *name, double dflt);
bool bp_cl_attr_b(const bp_kernel_call_t *call, const char *name, bool dflt);
/* Entry i (0 = H, 1 = W) of a 2-D int-or-pair list attribute; dflt when
 * absent or empty. */
int64_t bp_cl_attr_2d(const bp_kernel_call_t *call, const char *name, int i, int64_t dflt);

/* True when the kernels should take their GPU paths (work groups summing
 * in local memory, more parallel parts): on GPUs, or anywhere when the
 * environment sets BP_OPENCL_NN_GPU_PATHS=1 (to test those paths on PoCL). */
bool bp_cl_nn_gpu_paths(const bp_cl_device_t *dev);

/* ---- programs ---- */

/* The #defines that specialise an nn template to a float dtype t on dev:
 *   BP_T storage type, BP_CT compute type (float, double for f64),
 *   BP_LD(p, i) element as BP_CT, BP_ST(p, i, v) store a BP_CT,
 *   BP_ACC the accumulator, BP_STA(p, i, v) store a BP_ACC.
 * precise: BP_ACC is double where the device has fp64 (small sums through
 * exp/log/sqrt: losses, norms), else the f32 accumulator Backplane requires
 * (float for f16/bf16/f32, double for f64). Integer dtypes get BP_CT long. */
void bp_cl_nn_type_defines(char *buf, size_t cap, const bp_cl_device_t *dev, bp_dtype_t t,
                           bool precise);
/* Program text of an nn template: the tensor-view helpers
 * (kernels/bp_nn_common.cl) followed by templ; built once, kept for the
 * life of the process. NULL when out of memory. */
const char *bp_cl_nn_source(const char *templ);

/* One kernel argument: size and address, as clSetKernelArg takes them. */
typedef struct bp_cl_arg {
  size_t size;
  const void *value;
} bp_cl_arg_t;
#define BP_CL_ARG(x) ((bp_cl_arg_t){sizeof(x), &(x)})

/* Enqueues kernel kname of the program (defines, bp_cl_nn_source(templ))
 * with args over a 1-D range of n work items (grid-stride kernels; local
 * size chosen here), or with the given global/local sizes when n < 0.
 * Call with dev->lock held. */
bp_status_t bp_cl_nn_launch(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *defines,
                            const char *templ, const char *kname, const bp_cl_arg_t *args,
                            int nargs, int64_t n, const size_t *global, const size_t *local);

/* Must match bp_tv_t (kernels/bp_nn_common.cl): a tensor as offset (in
 * elements), dims and element strides. */
typedef struct bp_cl_tv {
  cl_long off, nd;
  cl_long shape[BP_CL_MAX_DIMS];
  cl_long st[BP_CL_MAX_DIMS];
} bp_cl_tv_t;
/* False when t's byte offset is not a multiple of its element size or it
 * has more than BP_CL_MAX_DIMS dims. */
bool bp_cl_tv_init(bp_cl_tv_t *v, const bp_tensor_desc_t *t);

/* Tensors of one shape (an elementwise-form op's output and its inputs,
 * already broadcast), dims merged where every operand is contiguous across
 * them. Must match bp_mgeom_t (kernels/bp_optim.cl). */
#define BP_CL_MGEOM_OPS 7
typedef struct bp_cl_mgeom {
  cl_long numel, ndim;
  cl_long shape[BP_CL_MAX_DIMS];
  cl_long st[BP_CL_MGEOM_OPS][BP_CL_MAX_DIMS];
  cl_long off[BP_CL_MGEOM_OPS];
} bp_cl_mgeom_t;
/* Fills g for the n (<= BP_CL_MGEOM_OPS) tensors t, all of t[0]'s shape. */
bool bp_cl_mgeom_init(bp_cl_mgeom_t *g, const bp_tensor_desc_t *const *t, int n);

/* The embedded templates of the nn families. */
extern const char bp_cl_src_nn_common[];
extern const char bp_cl_src_nn_check[];
extern const char bp_cl_src_optim[];
extern const char bp_cl_src_pool[];
extern const char bp_cl_src_index[];
extern const char bp_cl_src_loss[];
extern const char bp_cl_src_norm[];
extern const char bp_cl_src_convbwd[];

/* ---- device-side checks ---- */

/* Reserves a check slot for one kernel: *out_buf and *out_slot go to the
 * kernel (bp_check_set in bp_nn_common.cl). A set slot reports
 * "opencl <op>: <what> <value> is out of range (expected 0..<size-1>,
 * size <size>)". Call with dev->lock held. */
bp_status_t bp_cl_check_slot(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *op,
                             const char *what, int64_t size, cl_mem *out_buf, cl_int *out_slot);
/* Enqueues the generic range check of an index tensor (i32 or i64):
 * each value must be in [0, size) or equal `except` when has_except. */
bp_status_t bp_cl_check_indices(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const bp_tensor_desc_t *idx,
                                int64_t size, bool has_except, int64_t except, const char *op,
                                const char *what);
#endif /* BACKPLANE_BACKENDS_OPENCL_BP_CL_NN_H_ */
