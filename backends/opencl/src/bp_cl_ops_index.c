/* bp_cl_ops_index.c - embedding, gather, index_select, scatter_add,
 * embedding_backward and one_hot (kernels/bp_index.cl). Every index is
 * range-checked on the device first (bp_cl_check_indices); a bad one is
 * INVALID_ARGUMENT at the next synchronize, naming the op, the value and
 * the range, and is never used to address memory. Moves are specialised by
 * element size only (one program serves every dtype of that size). */
#include <stdio.h>
#include <string.h>

#include "bp_cl_nn.h"

typedef enum index_kind {
  IDX_EMBEDDING,
  IDX_GATHER,
  IDX_INDEX_SELECT,
  IDX_SCATTER_ADD,
  IDX_EMBEDDING_BWD,
  IDX_ONE_HOT,
} index_kind_t;

typedef struct index_impl {
  index_kind_t kind;
  bp_dtype_t dtype, itype;
} index_impl_t;

#define N_DT 9
static index_impl_t g_impls[6][N_DT][2];

static int64_t norm_dim(int64_t dim, int32_t nd) { return dim < 0 ? dim + nd : dim; }

static bool index_plan(const bp_kernel_call_t *call, index_kind_t kind, bp_cl_tv_t v[4],
                       int64_t *n) {
  const bp_tensor_desc_t *o = call->outputs[0];
  *n = bp_cl_numel(o);
  for (uint32_t i = 0; i < call->num_inputs && i < 3; ++i)
    if (!bp_cl_tv_init(&v[i + 1], call->inputs[i])) return false;
  if (!bp_cl_tv_init(&v[0], o)) return false;
  const int64_t dim = norm_dim(bp_cl_attr_i(call, "dim", 0), call->inputs[0]->ndim);
  switch (kind) {
    case IDX_EMBEDDING:
      return call->inputs[0]->ndim == 2 && o->ndim == call->inputs[1]->ndim + 1;
    case IDX_GATHER:
      return call->inputs[0]->ndim > 0 && dim >= 0 && dim < call->inputs[0]->ndim &&
             call->inputs[1]->ndim == call->inputs[0]->ndim && o->ndim == call->inputs[1]->ndim;
    case IDX_INDEX_SELECT:
      return call->inputs[0]->ndim > 0 && dim >= 0 && dim < call->inputs[0]->ndim &&
             call->inputs[1]->ndim <= 1 && o->ndim == call->inputs[0]->ndim;
    case IDX_SCATTER_ADD:
      return call->inputs[0]->ndim > 0 && dim >= 0 && dim < call->inputs[0]->ndim &&
             call->inputs[1]->ndim == call->inputs[0]->ndim &&
             call->inputs[2]->ndim == call->inputs[1]->ndim && o->ndim == call->inputs[0]->ndim;
    case IDX_EMBEDDING_BWD:
      return o->ndim == 2 && call->inputs[0]->ndim == call->inputs[1]->ndim + 1;
    case IDX_ONE_HOT:
      return o->ndim == call->inputs[0]->ndim + 1;
  }
  return false;
}

static bool index_supports(const bp_kernel_call_t *call) {
  const index_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype)) return false;
  bp_cl_tv_t v[4];
  int64_t n = 0;
  return index_plan(call, impl->kind, v, &n);
}

static const char *elem_type(bp_dtype_t t) {
  switch (bp_abi_dtype_size(t)) {
    case 1: return "uchar";
    case 2: return "ushort";
    case 4: return "uint";
    default: return "ulong";
  }
}

/* embedding_backward's three steps (bp_index.cl): keys, bitonic sort, sums. */
static bp_status_t embedding_bwd(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *defines,
                                 const bp_kernel_call_t *call, const bp_cl_tv_t *v, cl_long R,
                                 cl_int has_pad, cl_long pad, int64_t n) {
  cl_long P = 1, V = call->outputs[0]->shape[0];
  while (P < R) P *= 2;
  cl_int err = CL_SUCCESS;
  cl_mem key = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, sizeof(cl_long) * (size_t)P, NULL, &err);
  bp_status_t s = bp_cl_check(ctx, err, "clCreateBuffer", "embedding_backward keys");
  if (s != BP_STATUS_OK) return s;
  cl_mem gm = (cl_mem)call->inputs[0]->data, im = (cl_mem)call->inputs[1]->data;
  cl_mem om = (cl_mem)call->outputs[0]->data;
  bp_cl_arg_t a0[] = {BP_CL_ARG(key), BP_CL_ARG(im), BP_CL_ARG(v[2]), BP_CL_ARG(R), BP_CL_ARG(P),
                      BP_CL_ARG(V)};
  s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_index, "bp_eb_keys", a0, 6, P, NULL, NULL);
  for (cl_long k = 2; k <= P && s == BP_STATUS_OK; k *= 2)
    for (cl_long j = k / 2; j > 0 && s == BP_STATUS_OK; j /= 2) {
      bp_cl_arg_t a1[] = {BP_CL_ARG(key), BP_CL_ARG(j), BP_CL_ARG(k), BP_CL_ARG(P)};
      s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_index, "bp_eb_sort", a1, 4, P, NULL, NULL);
    }
  cl_long cn = n;
  bp_cl_arg_t a2[] = {BP_CL_ARG(om), BP_CL_ARG(v[0]), BP_CL_ARG(gm), BP_CL_ARG(v[1]),
                      BP_CL_ARG(key), BP_CL_ARG(P), BP_CL_ARG(has_pad), BP_CL_ARG(pad), BP_CL_ARG(cn)};
  if (s == BP_STATUS_OK)
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_index, "bp_eb_sum", a2, 9, n, NULL, NULL);
  clReleaseMemObject(key); /* freed once the queued kernels are done */
  return s;
}

static bp_status_t index_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const index_impl_t *impl = call->kernel_data;
  bp_cl_tv_t v[4];
  int64_t n = 0;
  if (!index_plan(call, impl->kind, v, &n))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: layout not supported", call->op_name);
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  char defines[800];
  const char *it = impl->itype == BP_DTYPE_I32 ? "int" : "long";
  if (impl->kind == IDX_SCATTER_ADD || impl->kind == IDX_EMBEDDING_BWD) {
    bp_cl_nn_type_defines(defines, sizeof defines, dev, impl->dtype, false);
    size_t len = strlen(defines);
    snprintf(defines + len, sizeof defines - len, "#define BP_IT %s\n%s%s", it,
             bp_cl_dtype_is_float(impl->dtype) ? "" : "#define BP_INTEGER 1\n",
             impl->dtype == BP_DTYPE_F16 ? "#define BP_F16 1\n"
             : impl->dtype == BP_DTYPE_BF16 ? "#define BP_BF16 1\n" : "");
  } else if (impl->kind == IDX_ONE_HOT) {
    snprintf(defines, sizeof defines, "#define BP_ONE_HOT 1\n");
  } else {
    snprintf(defines, sizeof defines, "#define BP_E %s\n#define BP_IT %s\n", elem_type(impl->dtype), it);
  }
  const bp_tensor_desc_t *x = call->inputs[0];
  cl_mem om = (cl_mem)call->outputs[0]->data, m1 = (cl_mem)x->data;
  cl_mem m2 = call->num_inputs > 1 ? (cl_mem)call->inputs[1]->data : NULL;
  cl_mem m3 = call->num_inputs > 2 ? (cl_mem)call->inputs[2]->data : NULL;
  cl_int dim = (cl_int)norm_dim(bp_cl_attr_i(call, "dim", 0), x->ndim);
  cl_long cn = n;
  bp_cl_arg_t a[12];
  int na = 0;
  const char *kname = NULL;
  const bp_tensor_desc_t *idx = NULL;
  int64_t range = 0;
  const char *what = "index";
  cl_long ioff = 0, ist = 0, R = 0, pad = 0, C = 0;
  cl_int has_pad = 0;
  switch (impl->kind) {
    case IDX_EMBEDDING:
      kname = "bp_embedding";
      idx = call->inputs[1];
      range = x->shape[0];
      a[na++] = BP_CL_ARG(om); a[na++] = BP_CL_ARG(v[0]);
      a[na++] = BP_CL_ARG(m1); a[na++] = BP_CL_ARG(v[1]);
      a[na++] = BP_CL_ARG(m2); a[na++] = BP_CL_ARG(v[2]);
      break;
    case IDX_GATHER:
      kname = "bp_gather";
      idx = call->inputs[1];
      range = x->shape[dim];
      n = bp_cl_numel(idx);
      cn = n;
      a[na++] = BP_CL_ARG(om); a[na++] = BP_CL_ARG(v[0]);
      a[na++] = BP_CL_ARG(m1); a[na++] = BP_CL_ARG(v[1]);
      a[na++] = BP_CL_ARG(m2); a[na++] = BP_CL_ARG(v[2]);
      a[na++] = BP_CL_ARG(dim);
      break;
    case IDX_INDEX_SELECT:
      kname = "bp_index_select";
      idx = call->inputs[1];
      range = x->shape[dim];
      ioff = v[2].off;
      ist = idx->ndim ? idx->strides[0] : 0;
      a[na++] = BP_CL_ARG(om); a[na++] = BP_CL_ARG(v[0]);
      a[na++] = BP_CL_ARG(m1); a[na++] = BP_CL_ARG(v[1]);
      a[na++] = BP_CL_ARG(m2); a[na++] = BP_CL_ARG(ioff); a[na++] = BP_CL_ARG(ist);
      a[na++] = BP_CL_ARG(dim);
      break;
    case IDX_SCATTER_ADD:
      kname = "bp_scatter_add";
      idx = call->inputs[1];
      range = x->shape[dim];
      a[na++] = BP_CL_ARG(om); a[na++] = BP_CL_ARG(v[0]);
      a[na++] = BP_CL_ARG(m1); a[na++] = BP_CL_ARG(v[1]);
      a[na++] = BP_CL_ARG(m2); a[na++] = BP_CL_ARG(v[2]);
      a[na++] = BP_CL_ARG(m3); a[na++] = BP_CL_ARG(v[3]);
      a[na++] = BP_CL_ARG(dim);
      break;
    case IDX_EMBEDDING_BWD:
      kname = "bp_eb_sum"; /* three steps: embedding_bwd() */
      idx = call->inputs[1];
      range = call->outputs[0]->shape[0];
      R = bp_cl_numel(idx);
      has_pad = bp_cl_attr_b(call, "has_padding_idx", false);
      pad = bp_cl_attr_i(call, "padding_idx", 0);
      if (pad < 0) pad += range;
      break;
    case IDX_ONE_HOT:
      kname = "bp_one_hot";
      idx = x;
      C = call->outputs[0]->shape[call->outputs[0]->ndim - 1];
      range = C;
      what = "class value";
      a[na++] = BP_CL_ARG(om); a[na++] = BP_CL_ARG(v[0]);
      a[na++] = BP_CL_ARG(m1); a[na++] = BP_CL_ARG(v[1]);
      a[na++] = BP_CL_ARG(C);
      break;
  }
  a[na++] = BP_CL_ARG(cn);
  pthread_mutex_lock(&dev->lock);
  s = bp_cl_check_indices(ctx, dev, idx, range, false, 0, call->op_name, what);
  if (s == BP_STATUS_OK && n > 0 && impl->kind == IDX_EMBEDDING_BWD)
    s = embedding_bwd(ctx, dev, defines, call, v, R, has_pad, pad, n);
  else if (s == BP_STATUS_OK && n > 0)
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_index, kname, a, na, n, NULL, NULL);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_index(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t types[N_DT] = {BP_DTYPE_BOOL, BP_DTYPE_U8, BP_DTYPE_I8,
                                         BP_DTYPE_I32,  BP_DTYPE_I64, BP_DTYPE_F16,
                                         BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  static const char *const ops[6] = {"embedding", "gather", "index_select", "scatter_add",
                                     "embedding_backward", "one_hot"};
  for (int k = 0; k < 6; ++k)
    for (int i = 0; i < N_DT; ++i)
      for (int j = 0; j < 2; ++j) {
        bp_dtype_t t = types[i], it = j ? BP_DTYPE_I64 : BP_DTYPE_I32;
        if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
        /* gather, scatter_add and one_hot take i64 indices only */
        if (it == BP_DTYPE_I32 && (k == IDX_GATHER || k == IDX_SCATTER_ADD || k == IDX_ONE_HOT))
          continue;
        if (k == IDX_EMBEDDING_BWD && !bp_cl_dtype_is_float(t)) continue;
        if (k == IDX_ONE_HOT && t != BP_DTYPE_I64) continue;
        index_impl_t *impl = &g_impls[k][i][j];
        *impl = (index_impl_t){(index_kind_t)k, t, it};
        bp_dtype_t sig[4];
        uint32_t n = 0;
        switch (impl->kind) {
          case IDX_EMBEDDING: /* weight, indices -> out */
          case IDX_GATHER:
          case IDX_INDEX_SELECT:
            sig[0] = t; sig[1] = it; sig[2] = t; n = 3;
            break;
          case IDX_SCATTER_ADD:
            sig[0] = t; sig[1] = it; sig[2] = t; sig[3] = t; n = 4;
            break;
          case IDX_EMBEDDING_BWD:
            sig[0] = t; sig[1] = it; sig[2] = t; n = 3;
            break;
          case IDX_ONE_HOT:
            sig[0] = t; sig[1] = t; n = 2;
            break;
        }
        bp_status_t s = bp_cl_register(ctx, ops[k], sig, n, index_kernel, index_supports, impl);
        if (s != BP_STATUS_OK) return s;
      }
  return BP_STATUS_OK;
}
