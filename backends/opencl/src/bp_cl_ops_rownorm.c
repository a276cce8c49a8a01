/* bp_cl_ops_rownorm.c - softmax, log_softmax, softmax_backward,
 * log_softmax_backward, layer_norm and layer_norm_backward
 * (kernels/bp_rownorm.cl) for bf16, f32 and f64, and the scans cumsum and
 * cumprod for i64, f16, bf16, f32 and f64, as the reference's signatures
 * (every slot the same dtype).
 *
 * All are AS_IS ops: the tensors come as they are, any strides. The
 * geometry splits x's dims into outer ones (which row) and inner ones
 * (which element of the row: softmax's dim, layer_norm's trailing
 * normalized dims), each stripped of size-1 dims and merged where every
 * operand is contiguous across. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_convert.h"
#include "bp_cl_internal.h"

#define ROW_DIMS 6

/* Must match bp_row_geom_t (kernels/bp_rownorm.cl). */
typedef struct bp_cl_row_geom {
  cl_long n_rows, n_in, out_nd, in_nd;
  cl_long off[6];
  cl_long oshape[ROW_DIMS];
  cl_long ostride[6][ROW_DIMS];
  cl_long ishape[ROW_DIMS];
  cl_long istride[4][ROW_DIMS];
} bp_cl_row_geom_t;

/* How an operand spans x's dims. */
typedef enum row_mode {
  ROW_NONE,  /* not there: zero strides */
  ROW_FULL,  /* x's shape */
  ROW_INNER, /* the inner (trailing) dims only: layer_norm's weight */
  ROW_OUTER, /* the outer dims (x's rank with 1s inside, or the leading dims) */
} row_mode_t;

typedef struct row_operand {
  const bp_tensor_desc_t *t;
  row_mode_t mode;
} row_operand_t;

/* The stride of operand op along x's dim d, or false when its shape does
 * not fit. */
static bool op_stride(const row_operand_t *op, const bp_tensor_desc_t *x, int32_t d, bool inner,
                      int64_t *out) {
  const bp_tensor_desc_t *t = op->t;
  *out = 0;
  switch (op->mode) {
    case ROW_NONE:
      return true;
    case ROW_FULL:
      if (t->ndim != x->ndim || t->shape[d] != x->shape[d]) return false;
      *out = t->strides[d];
      return true;
    case ROW_INNER: {
      if (!inner) return true;
      int32_t td = d - (x->ndim - t->ndim);
      if (td < 0 || t->shape[td] != x->shape[d]) return false;
      *out = t->strides[td];
      return true;
    }
    case ROW_OUTER:
      if (inner) return t->ndim != x->ndim || t->shape[d] == 1;
      if (d >= t->ndim || t->shape[d] != x->shape[d]) return false;
      *out = t->strides[d];
      return true;
  }
  return false;
}

/* Fills g for x split by inner[] (true: an inner dim) and n operands (at
 * most 6; only the first 4 may have inner strides). */
static bool row_geom(bp_cl_row_geom_t *g, const bp_tensor_desc_t *x, const bool *inner,
                     const row_operand_t *ops, int n) {
  memset(g, 0, sizeof *g);
  g->n_rows = 1;
  g->n_in = 1;
  for (int k = 0; k < n; ++k) {
    if (ops[k].mode == ROW_NONE) continue;
    size_t size = bp_abi_dtype_size(ops[k].t->dtype);
    if (size == 0 || ops[k].t->byte_offset % size) return false;
    g->off[k] = (cl_long)(ops[k].t->byte_offset / size);
  }
  if (ops[0].mode == ROW_OUTER && x->ndim > 0) return false;
  for (int32_t d = 0; d < x->ndim; ++d) {
    const int64_t extent = x->shape[d];
    int64_t st[6];
    for (int k = 0; k < n; ++k)
      if (!op_stride(&ops[k], x, d, inner[d], &st[k])) return false;
    if (inner[d]) {
      g->n_in *= extent;
      for (int k = 4; k < n; ++k)
        if (st[k] != 0) return false;
    } else {
      g->n_rows *= extent;
    }
    if (extent == 1) continue;
    cl_long *nd = inner[d] ? &g->in_nd : &g->out_nd;
    cl_long *shape = inner[d] ? g->ishape : g->oshape;
    int nk = inner[d] ? (n < 4 ? n : 4) : n;
    bool merge = *nd > 0;
    for (int k = 0; k < nk && merge; ++k) {
      const cl_long prev = inner[d] ? g->istride[k][*nd - 1] : g->ostride[k][*nd - 1];
      merge = prev == st[k] * extent;
    }
    if (merge) {
      shape[*nd - 1] *= extent;
    } else {
      if (*nd == ROW_DIMS) return false;
      shape[*nd] = extent;
      ++*nd;
    }
    for (int k = 0; k < nk; ++k) {
      if (inner[d]) g->istride[k][*nd - 1] = st[k];
      else g->ostride[k][*nd - 1] = st[k];
    }
  }
  return true;
}

/* ---- the ops ---- */

typedef enum row_op {
  OP_SOFTMAX, OP_LOG_SOFTMAX, OP_SM_BW, OP_LSM_BW, OP_LN, OP_LN_BW, OP_CUMSUM, OP_CUMPROD, OP_COUNT
} row_op_t;

static const char *const op_names[OP_COUNT] = {
    "softmax",    "log_softmax",         "softmax_backward", "log_softmax_backward",
    "layer_norm", "layer_norm_backward", "cumsum",           "cumprod"};
static const int op_nin[OP_COUNT] = {1, 1, 2, 2, 3, 5, 1, 1};
static const int op_nout[OP_COUNT] = {1, 1, 1, 1, 3, 3, 1, 1};
static const char *const op_group[OP_COUNT] = {"SOFTMAX", "SOFTMAX", "SMBW", "SMBW",
                                               "LN",      "LNBW",    "SCAN", "SCAN"};

typedef struct row_impl {
  row_op_t op;
  bp_dtype_t dtype;
  bp_dtype_t sig[8];
  char defines[600];
} row_impl_t;

static row_impl_t g_impls[OP_COUNT][5];

static const bp_attr_t *find(const bp_kernel_call_t *call, const char *name, bp_attr_type_t type) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a != NULL && a->type == type ? a : NULL;
}

/* The geometries of a call: g (rows) and, for layer_norm_backward, gc
 * (columns: grad_weight and grad_bias). */
static bool call_geom(const bp_kernel_call_t *call, row_op_t op, bp_cl_row_geom_t *g,
                      bp_cl_row_geom_t *gc) {
  if (call->num_inputs != (uint32_t)op_nin[op] || call->num_outputs != (uint32_t)op_nout[op])
    return false;
  const bp_tensor_desc_t *const *in = call->inputs, *const *out = call->outputs;
  const bp_tensor_desc_t *x = op == OP_LN_BW ? in[1] : in[0];
  bool inner[64] = {false};
  if (x->ndim > 64) return false;
  if (op == OP_LN || op == OP_LN_BW) {
    const bp_attr_t *ns = find(call, "normalized_shape", BP_ATTR_INTS);
    int64_t k = ns ? (int64_t)ns->count : 0;
    if (k > x->ndim) return false;
    for (int32_t d = (int32_t)(x->ndim - k); d < x->ndim; ++d) inner[d] = true;
  } else if (x->ndim > 0) {
    const bp_attr_t *da = find(call, "dim", BP_ATTR_INT);
    int64_t dim = da ? da->value.i : -1;
    if (dim < 0) dim += x->ndim;
    if (dim < 0 || dim >= x->ndim) return false;
    inner[dim] = true;
  }
  switch (op) {
    case OP_SOFTMAX: case OP_LOG_SOFTMAX: case OP_CUMSUM: case OP_CUMPROD: {
      row_operand_t ops[2] = {{in[0], ROW_FULL}, {out[0], ROW_FULL}};
      return row_geom(g, x, inner, ops, 2);
    }
    case OP_SM_BW: case OP_LSM_BW: {
      row_operand_t ops[3] = {{in[0], ROW_FULL}, {in[1], ROW_FULL}, {out[0], ROW_FULL}};
      return row_geom(g, x, inner, ops, 3);
    }
    case OP_LN: {
      const bp_attr_t *hw = find(call, "has_weight", BP_ATTR_BOOL);
      const bp_attr_t *hb = find(call, "has_bias", BP_ATTR_BOOL);
      row_operand_t ops[6] = {{in[0], ROW_FULL},
                              {out[0], ROW_FULL},
                              {in[1], hw && hw->value.b ? ROW_INNER : ROW_NONE},
                              {in[2], hb && hb->value.b ? ROW_INNER : ROW_NONE},
                              {out[1], ROW_OUTER},
                              {out[2], ROW_OUTER}};
      return row_geom(g, x, inner, ops, 6);
    }
    case OP_LN_BW: {
      const bp_attr_t *hw = find(call, "has_weight", BP_ATTR_BOOL);
      row_operand_t ops[6] = {{in[0], ROW_FULL},
                              {in[1], ROW_FULL},
                              {out[0], ROW_FULL},
                              {in[4], hw && hw->value.b ? ROW_INNER : ROW_NONE},
                              {in[2], ROW_OUTER},
                              {in[3], ROW_OUTER}};
      row_operand_t cols[6] = {{in[0], ROW_FULL},  {in[1], ROW_FULL},  {out[1], ROW_INNER},
                               {out[2], ROW_INNER}, {in[2], ROW_OUTER}, {in[3], ROW_OUTER}};
      return row_geom(g, x, inner, ops, 6) && row_geom(gc, x, inner, cols, 6);
    }
    default:
      return false;
  }
}

static bool row_supports(const bp_kernel_call_t *call) {
  const row_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype)) return false;
  /* A float cumprod whose running product leaves float's range and comes
   * back is finite in the reference (double) but inf in float: declined on
   * devices without cl_khr_fp64 (the other ops keep float's accuracy
   * within their tolerances there). */
  const bp_cl_ctx_t *ctx = call->plugin_ctx;
  if (impl->op == OP_CUMPROD && impl->dtype != BP_DTYPE_I64 &&
      !ctx->devices[call->device_index].has_fp64)
    return false;
  bp_cl_row_geom_t g, gc;
  return call_geom(call, impl->op, &g, &gc);
}

/* Work-group trees (lanes > 1) on GPUs, or anywhere with BP_OPENCL_TREE=1
 * (to test the GPU path on PoCL); else one work item per output and
 * barrier-free programs, which PoCL compiles much faster. */
static bool use_tree(const bp_cl_device_t *dev) {
  const char *e = getenv("BP_OPENCL_TREE");
  if (e != NULL && e[0] != '\0') return e[0] == '1';
  return dev->kind == BP_DEVICE_KIND_GPU;
}

/* Lanes per row and rows per work-group for rows of n elements. */
static void row_launch(const bp_cl_device_t *dev, cl_kernel k, int64_t rows, int64_t n,
                       size_t global[2], size_t local[2]) {
  size_t kwg = 0;
  if (clGetKernelWorkGroupInfo(k, dev->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg, NULL) !=
          CL_SUCCESS ||
      kwg == 0)
    kwg = dev->max_wg;
  size_t cap = 1;
  while (cap * 2 <= kwg && cap * 2 <= 256) cap *= 2;
  size_t lanes = n > 32 ? cap : 1;
  size_t group = lanes == 1 ? (cap < 64 ? cap : 64) : 1;
  local[0] = lanes;
  local[1] = group;
  global[0] = lanes;
  global[1] = ((size_t)rows + group - 1) / group * group;
}

typedef struct arg_list {
  cl_kernel k;
  cl_uint n;
  cl_int err;
} arg_list_t;

static void arg(arg_list_t *a, size_t size, const void *v) {
  if (a->err == CL_SUCCESS) a->err = clSetKernelArg(a->k, a->n++, size, v);
}
static void arg_mem(arg_list_t *a, const bp_tensor_desc_t *t) {
  cl_mem m = (cl_mem)t->data;
  arg(a, sizeof m, &m);
}

/* eps as the kernels' FACC (double with cl_khr_fp64, else float). */
static void arg_facc(arg_list_t *a, const bp_cl_device_t *dev, double v) {
  if (dev->has_fp64) {
    arg(a, sizeof v, &v);
  } else {
    float f = (float)v;
    arg(a, sizeof f, &f);
  }
}

static bp_status_t launch(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, arg_list_t *a, int64_t rows,
                          int64_t n, const char *what) {
  size_t global[2], local[2];
  row_launch(dev, a->k, rows, use_tree(dev) ? n : 1, global, local);
  cl_int err = a->err;
  if (err == CL_SUCCESS)
    err = clEnqueueNDRangeKernel(dev->queue, a->k, 2, NULL, global, local, 0, NULL, NULL);
  return bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", what);
}

static bp_status_t row_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const row_impl_t *impl = call->kernel_data;
  const row_op_t op = impl->op;
  bp_cl_row_geom_t g, gc;
  if (!row_supports(call) || !call_geom(call, op, &g, &gc))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: call not supported", op_names[op]);
  const bp_tensor_desc_t *const *in = call->inputs, *const *out = call->outputs;
  bool empty = g.n_rows == 0 || (g.n_in == 0 && op != OP_LN && op != OP_LN_BW);
  if (op == OP_LN_BW) empty = bp_cl_numel(out[1]) == 0 && (g.n_rows == 0 || g.n_in == 0);
  if (empty) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  const cl_int log_out = op == OP_LOG_SOFTMAX || op == OP_LSM_BW;
  char defs[700];
  snprintf(defs, sizeof defs, "%s%s", impl->defines,
           use_tree(dev) ? "#define BP_TREE_ON 1\n" : "");
  pthread_mutex_lock(&dev->lock);
  arg_list_t a = {NULL, 0, CL_SUCCESS};
  switch (op) {
    case OP_SOFTMAX: case OP_LOG_SOFTMAX:
      s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_rownorm, "bp_softmax", &a.k);
      if (s != BP_STATUS_OK) break;
      arg_mem(&a, out[0]);
      arg_mem(&a, in[0]);
      arg(&a, sizeof g, &g);
      arg(&a, sizeof log_out, &log_out);
      s = launch(ctx, dev, &a, g.n_rows, g.n_in, op_names[op]);
      break;
    case OP_SM_BW: case OP_LSM_BW:
      s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_rownorm, "bp_softmax_bw", &a.k);
      if (s != BP_STATUS_OK) break;
      arg_mem(&a, out[0]);
      arg_mem(&a, in[0]);
      arg_mem(&a, in[1]);
      arg(&a, sizeof g, &g);
      arg(&a, sizeof log_out, &log_out);
      s = launch(ctx, dev, &a, g.n_rows, g.n_in, op_names[op]);
      break;
    case OP_LN: {
      const bp_attr_t *ea = find(call, "eps", BP_ATTR_FLOAT);
      const bp_attr_t *hw = find(call, "has_weight", BP_ATTR_BOOL);
      const bp_attr_t *hb = find(call, "has_bias", BP_ATTR_BOOL);
      const cl_int has_w = hw && hw->value.b, has_b = hb && hb->value.b;
      s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_rownorm, "bp_layer_norm", &a.k);
      if (s != BP_STATUS_OK) break;
      arg_mem(&a, out[0]);
      arg_mem(&a, out[1]);
      arg_mem(&a, out[2]);
      arg_mem(&a, in[0]);
      arg_mem(&a, in[1]);
      arg_mem(&a, in[2]);
      arg(&a, sizeof g, &g);
      arg_facc(&a, dev, ea ? ea->value.f : 1e-5);
      arg(&a, sizeof has_w, &has_w);
      arg(&a, sizeof has_b, &has_b);
      s = launch(ctx, dev, &a, g.n_rows, g.n_in, op_names[op]);
      break;
    }
    case OP_LN_BW: {
      const bp_attr_t *hw = find(call, "has_weight", BP_ATTR_BOOL);
      const cl_int has_w = hw && hw->value.b;
      if (g.n_rows > 0 && g.n_in > 0) {
        s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_rownorm, "bp_layer_norm_bw",
                                 &a.k);
        if (s != BP_STATUS_OK) break;
        arg_mem(&a, out[0]);
        arg_mem(&a, in[0]);
        arg_mem(&a, in[1]);
        arg_mem(&a, in[2]);
        arg_mem(&a, in[3]);
        arg_mem(&a, in[4]);
        arg(&a, sizeof g, &g);
        arg(&a, sizeof has_w, &has_w);
        s = launch(ctx, dev, &a, g.n_rows, g.n_in, op_names[op]);
        if (s != BP_STATUS_OK) break;
      }
      if (gc.n_in > 0) { /* grad_weight, grad_bias: sums over the rows (0 for none) */
        arg_list_t c = {NULL, 0, CL_SUCCESS};
        s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_rownorm,
                                 "bp_layer_norm_bw_cols", &c.k);
        if (s != BP_STATUS_OK) break;
        arg_mem(&c, out[1]);
        arg_mem(&c, out[2]);
        arg_mem(&c, in[0]);
        arg_mem(&c, in[1]);
        arg_mem(&c, in[2]);
        arg_mem(&c, in[3]);
        arg(&c, sizeof gc, &gc);
        s = launch(ctx, dev, &c, gc.n_in, gc.n_rows, "layer_norm_backward (weight, bias)");
      }
      break;
    }
    case OP_CUMSUM: case OP_CUMPROD: {
      const cl_int is_prod = op == OP_CUMPROD;
      s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_rownorm, "bp_scan", &a.k);
      if (s != BP_STATUS_OK) break;
      arg_mem(&a, out[0]);
      arg_mem(&a, in[0]);
      arg(&a, sizeof g, &g);
      arg(&a, sizeof is_prod, &is_prod);
      s = launch(ctx, dev, &a, g.n_rows, g.n_in, op_names[op]);
      break;
    }
    default:
      s = bp_cl_fail(ctx, BP_STATUS_INTERNAL, "opencl: bad row op");
      break;
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_rownorm(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t dtypes[5] = {BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64, BP_DTYPE_F16,
                                       BP_DTYPE_I64};
  for (int op = 0; op < OP_COUNT; ++op)
    for (int i = 0; i < 5; ++i) {
      const bp_dtype_t t = dtypes[i];
      const bool scan = op == OP_CUMSUM || op == OP_CUMPROD;
      if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
      if (i >= 3 && !scan) continue; /* f16 and i64: the scans only */
      row_impl_t *impl = &g_impls[op][i];
      impl->op = (row_op_t)op;
      impl->dtype = t;
      for (int k = 0; k < 8; ++k) impl->sig[k] = t;
      const char *tag = bp_cl_dtype_tag(t);
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_G_%s 1\n#define BP_T %s\n#define CT %s\n"
               "#define BP_LD(p, i) bp_ld_%s(p, i)\n"
               "#ifdef BP_HAS_FP64\n#define BP_STA(p, i, v) bp_std_%s(p, i, v)\n"
               "#else\n#define BP_STA(p, i, v) bp_stf_%s(p, i, v)\n#endif\n%s",
               op_group[op], bp_cl_storage_type(t),
               t == BP_DTYPE_F64 ? "double" : t == BP_DTYPE_I64 ? "long" : "float", tag, tag, tag,
               t == BP_DTYPE_I64                          ? "#define BP_INT 1\n"
               : t == BP_DTYPE_F32 || t == BP_DTYPE_F64 ? "#define BP_CT_STORED 1\n"
                                                        : "");
      bp_status_t s = bp_cl_register(ctx, op_names[op], impl->sig,
                                     (uint32_t)(op_nin[op] + op_nout[op]), row_kernel,
                                     row_supports, impl);
      if (s != BP_STATUS_OK) return s;
    }
  return BP_STATUS_OK;
}
