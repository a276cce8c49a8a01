/* bp_cl_ops_matmul.c - matmul and bmm (kernels/bp_matmul.cl): a [B..., M,
 * K] @ b [B..., K, N] -> out [B..., M, N], the kernel form of docs/ops.md,
 * any strides; batch dims merged where contiguous in all three. linear
 * (as_is): x [..., K] @ weight[N, K]^T + bias[N] through the same kernels,
 * x's leading dims folded into M where they are one strided run, batch
 * dims otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_internal.h"

#define BP_CL_MM_TS 32
#define BP_CL_MM_RTS 4 /* BP_TS / BP_WPT of the tiled kernel */
#define BP_CL_MM_TM 4  /* rows per work item of the register-blocked kernel */
#define BP_CL_MM_TN 8  /* columns per work item */
#define BP_CL_MM_VTM 6 /* rows per work item of the vector kernel (BP_VTM) */
#define BP_CL_MM_VNV 4 /* vectors of columns per work item (BP_VNV) */
#define BP_CL_MM_NTM 4 /* rows per work item of the dot-product kernel (BP_NTM) */
#define BP_CL_MM_NTN 4 /* columns per work item (BP_NTN) */
/* Largest b copied transposed for the vector kernel (transpose_b). */
#define BP_CL_MM_TRANSPOSE_MAX (256u << 20)
/* Fewest rows of out (m times batch) for which b is copied transposed:
 * below, the copy costs about what the product does. */
#define BP_CL_MM_TRANSPOSE_MIN_ROWS 16

typedef struct mm_impl {
  bp_dtype_t dtype;
  char defines[512];
} mm_impl_t;

static mm_impl_t g_mm[8];

static const mm_impl_t *mm_find(bp_dtype_t dtype) {
  for (int i = 0; i < 8; ++i)
    if (g_mm[i].defines[0] != '\0' && g_mm[i].dtype == dtype) return &g_mm[i];
  return NULL;
}

const char *bp_cl_matmul_defines(bp_dtype_t dtype) {
  const mm_impl_t *impl = mm_find(dtype);
  return impl ? impl->defines : NULL;
}

/* Local-memory tiles (GPUs) or register blocks (CPU devices)? */
static bool use_tiled(const bp_cl_device_t *dev) {
  const char *env = getenv("BP_OPENCL_MATMUL");
  if (env != NULL && strcmp(env, "tiled") == 0) return dev->max_wg >= BP_CL_MM_TS * BP_CL_MM_RTS;
  if (env != NULL && strcmp(env, "blocked") == 0) return false;
  return dev->kind == BP_DEVICE_KIND_GPU && dev->max_wg >= BP_CL_MM_TS * BP_CL_MM_RTS;
}

bp_status_t bp_cl_scratch_get(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, uint64_t size) {
  if (dev->scratch != NULL && dev->scratch_size >= size) return BP_STATUS_OK;
  if (dev->scratch != NULL) clReleaseMemObject(dev->scratch); /* freed once queued work is done */
  dev->scratch = NULL;
  dev->scratch_size = 0;
  cl_int err = CL_SUCCESS;
  cl_mem m = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, (size_t)size, NULL, &err);
  bp_status_t s = bp_cl_check(ctx, err, "clCreateBuffer", "scratch");
  if (s != BP_STATUS_OK) return s;
  dev->scratch = m;
  dev->scratch_size = size;
  return BP_STATUS_OK;
}

bool bp_cl_matmul_takes(const bp_cl_device_t *dev, bp_dtype_t dtype) {
  return mm_find(dtype) != NULL && (dtype != BP_DTYPE_F64 || dev->has_fp64);
}

bp_status_t bp_cl_matmul_enqueue(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, bp_dtype_t dtype,
                                 const bp_cl_mm_geom_t *g, cl_mem out, cl_mem a, cl_mem b,
                                 cl_mem bias) {
  const mm_impl_t *impl = mm_find(dtype);
  if (impl == NULL)
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl matmul: no kernel for this dtype");
  const bool tiled = use_tiled(dev);
  const bool sbn1 = g->sbn == 1 && g->son == 1;
  /* f32 and f64 with contiguous columns: the vector kernel */
  const bool vtype = dtype == BP_DTYPE_F32 || dtype == BP_DTYPE_F64;
  const bool vec = !tiled && sbn1 && vtype;
  /* f32 and f64 with contiguous k in a and b (a @ b^T): dot products */
  const bool nt = !tiled && !vec && vtype && g->sak == 1 && g->sbk == 1;
  /* The scalar register blocks: smaller for the dtypes whose loads
   * convert (f16, bf16) or widen, so that they compile quickly. */
  const bool half = dtype == BP_DTYPE_F16 || dtype == BP_DTYPE_BF16;
  const bool wide = dtype == BP_DTYPE_F32 || dtype == BP_DTYPE_F64;
  const int tm = vec ? BP_CL_MM_VTM : nt ? BP_CL_MM_NTM : half ? 2 : BP_CL_MM_TM;
  const int tn = vec  ? BP_CL_MM_VNV * (dtype == BP_DTYPE_F64 ? 8 : 16)
                 : nt ? BP_CL_MM_NTN
                 : wide ? BP_CL_MM_TN
                        : 4;
  char tile[64] = "";
  if (!tiled && !vec && !nt) snprintf(tile, sizeof tile, "#define BP_TM %d\n#define BP_TN %d\n", tm, tn);
  char defines[800];
  snprintf(defines, sizeof defines, "%s%s%s%s%s", impl->defines, tile,
           tiled ? "#define BP_K_TILED 1\n"
           : vec ? "#define BP_K_VEC 1\n"
           : nt  ? "#define BP_K_NT 1\n"
                 : "#define BP_K_RB 1\n",
           bias ? "#define BP_BIAS 1\n" : "",
           !vec && !nt ? ""
           : dtype == BP_DTYPE_F64
               ? "#define BP_VEC double8\n#define BP_VW 8\n#define BP_VLOAD vload8\n"
                 "#define BP_VSTORE vstore8\n"
               : "#define BP_VEC float16\n#define BP_VW 16\n#define BP_VLOAD vload16\n"
                 "#define BP_VSTORE vstore16\n");
  size_t local[3], global[3];
  size_t batch = (size_t)(g->batch < 65535 ? g->batch : 65535);
  if (tiled) {
    local[0] = BP_CL_MM_TS, local[1] = BP_CL_MM_RTS, local[2] = 1;
    global[0] = (size_t)((g->n + BP_CL_MM_TS - 1) / BP_CL_MM_TS) * BP_CL_MM_TS;
    global[1] = (size_t)((g->m + BP_CL_MM_TS - 1) / BP_CL_MM_TS) * BP_CL_MM_RTS;
    global[2] = batch;
  } else {
    size_t cols = (size_t)((g->n + tn - 1) / tn);
    size_t rows = (size_t)((g->m + tm - 1) / tm);
    /* Small groups: PoCL runs a group as one loop on one core; work items
     * next in dim 1 share columns of b (in cache). PoCL's threads take
     * chunks of up to 64 groups while at most 1024 remain (larger chunks
     * above): 1x4 groups of the vector kernel make 688 groups at 1024^3,
     * so that a thread slowed by another process holds little of the
     * work at the end (2x4 groups: 0.8x the speed with a busy core). */
    const size_t l0 = vec ? 1 : 2, l1 = vec ? 4 : 8;
    local[0] = cols < l0 ? cols : l0;
    local[1] = rows < l1 ? rows : l1;
    local[2] = 1;
    global[0] = (cols + local[0] - 1) / local[0] * local[0];
    global[1] = (rows + local[1] - 1) / local[1] * local[1];
    global[2] = batch;
  }
  cl_kernel k = NULL;
  bp_status_t s = bp_cl_program_kernel(ctx, dev, defines, bp_cl_src_matmul,
                                       tiled ? "bp_matmul"
                                       : vec ? "bp_matmul_v"
                                       : nt  ? "bp_matmul_nt"
                                             : "bp_matmul_rb",
                                       &k);
  if (s != BP_STATUS_OK) return s;
  cl_int err = clSetKernelArg(k, 0, sizeof out, &out);
  if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof a, &a);
  if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof b, &b);
  if (err == CL_SUCCESS) err = clSetKernelArg(k, 3, sizeof *g, g);
  if (err == CL_SUCCESS && bias) err = clSetKernelArg(k, 4, sizeof bias, &bias);
  if (err == CL_SUCCESS)
    err = clEnqueueNDRangeKernel(dev->queue, k, 3, NULL, global, local, 0, NULL, NULL);
  return bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "matmul");
}

static bool mm_geom(bp_cl_mm_geom_t *g, const bp_tensor_desc_t *a, const bp_tensor_desc_t *b,
                    const bp_tensor_desc_t *o) {
  memset(g, 0, sizeof *g);
  int32_t nd = o->ndim;
  size_t size = bp_abi_dtype_size(o->dtype);
  if (nd < 2 || a->ndim != nd || b->ndim != nd || size == 0) return false;
  if (a->byte_offset % size || b->byte_offset % size || o->byte_offset % size) return false;
  g->a_offset = (cl_long)(a->byte_offset / size);
  g->b_offset = (cl_long)(b->byte_offset / size);
  g->o_offset = (cl_long)(o->byte_offset / size);
  g->m = o->shape[nd - 2];
  g->n = o->shape[nd - 1];
  g->k = a->shape[nd - 1];
  if (a->shape[nd - 2] != g->m || b->shape[nd - 1] != g->n || b->shape[nd - 2] != g->k) return false;
  g->sam = a->strides[nd - 2];
  g->sak = a->strides[nd - 1];
  g->sbk = b->strides[nd - 2];
  g->sbn = b->strides[nd - 1];
  g->som = o->strides[nd - 2];
  g->son = o->strides[nd - 1];
  g->batch = 1;
  for (int32_t d = 0; d < nd - 2; ++d) {
    int64_t e = o->shape[d];
    if (a->shape[d] != e || b->shape[d] != e) return false;
    g->batch *= e;
    if (e == 1) continue;
    cl_long j = g->batch_nd;
    if (j > 0 && g->batch_sa[j - 1] == a->strides[d] * e && g->batch_sb[j - 1] == b->strides[d] * e &&
        g->batch_so[j - 1] == o->strides[d] * e) {
      g->batch_shape[j - 1] *= e;
      g->batch_sa[j - 1] = a->strides[d];
      g->batch_sb[j - 1] = b->strides[d];
      g->batch_so[j - 1] = o->strides[d];
      continue;
    }
    if (j == BP_CL_MAX_DIMS) return false;
    g->batch_shape[j] = e;
    g->batch_sa[j] = a->strides[d];
    g->batch_sb[j] = b->strides[d];
    g->batch_so[j] = o->strides[d];
    g->batch_nd = j + 1;
  }
  return true;
}

static bool mm_supports(const bp_kernel_call_t *call) {
  const mm_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype) || call->num_inputs != 2 || call->num_outputs != 1)
    return false;
  bp_cl_mm_geom_t g;
  return mm_geom(&g, call->inputs[0], call->inputs[1], call->outputs[0]);
}

/* On CPU devices, f32/f64 with b not row-contiguous (b^T of linear's
 * weight, a transposed view), out row-contiguous, enough rows to repay the
 * copy and one b for all batches: b is copied
 * transposed into the scratch buffer, so that the vector kernel takes it
 * (1.5-2x faster than dot products, which stream rows of both). g is
 * updated to read the copy; *b becomes the scratch. Call with dev->lock
 * held. */
static bp_status_t transpose_b(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, bp_dtype_t dtype,
                               bp_cl_mm_geom_t *g, cl_mem *b) {
  if (dev->kind == BP_DEVICE_KIND_GPU || g->sbn == 1 || g->son != 1 || g->n < 2 || g->k < 1 ||
      g->m * g->batch < BP_CL_MM_TRANSPOSE_MIN_ROWS ||
      (dtype != BP_DTYPE_F32 && dtype != BP_DTYPE_F64))
    return BP_STATUS_OK;
  for (cl_long d = 0; d < g->batch_nd; ++d)
    if (g->batch_sb[d] != 0) return BP_STATUS_OK;
  const size_t es = bp_abi_dtype_size(dtype);
  const uint64_t bytes = (uint64_t)g->k * (uint64_t)g->n * es;
  if (bytes > BP_CL_MM_TRANSPOSE_MAX || bytes > dev->max_alloc) return BP_STATUS_OK;
  const mm_impl_t *impl = mm_find(dtype);
  char defines[600];
  snprintf(defines, sizeof defines, "%s#define BP_K_TRANSPOSE 1\n", impl->defines);
  cl_kernel k = NULL;
  bp_status_t s = bp_cl_program_kernel(ctx, dev, defines, bp_cl_src_matmul, "bp_transpose", &k);
  if (s == BP_STATUS_OK) s = bp_cl_scratch_get(ctx, dev, bytes);
  if (s != BP_STATUS_OK) return s;
  cl_mem dst = dev->scratch;
  cl_long geo[5] = {g->b_offset, g->k, g->n, g->sbk, g->sbn};
  size_t local[2] = {16, 1};
  size_t global[2] = {((size_t)g->n + 15) / 16 * 16, ((size_t)g->k + 15) / 16};
  cl_int err = clSetKernelArg(k, 0, sizeof dst, &dst);
  if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof *b, b);
  for (cl_uint i = 0; i < 5 && err == CL_SUCCESS; ++i) err = clSetKernelArg(k, 2 + i, sizeof geo[i], &geo[i]);
  if (err == CL_SUCCESS)
    err = clEnqueueNDRangeKernel(dev->queue, k, 2, NULL, global, local, 0, NULL, NULL);
  s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "matmul transpose");
  if (s != BP_STATUS_OK) return s;
  g->b_offset = 0;
  g->sbk = g->n;
  g->sbn = 1;
  *b = dst;
  return BP_STATUS_OK;
}

static bp_status_t mm_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const mm_impl_t *impl = call->kernel_data;
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *o = call->outputs[0];
  bp_cl_mm_geom_t g;
  if (!mm_geom(&g, a, b, o))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl matmul: layout not supported");
  if (g.m == 0 || g.n == 0 || g.batch == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  pthread_mutex_lock(&dev->lock);
  cl_mem bm = (cl_mem)b->data;
  s = transpose_b(ctx, dev, impl->dtype, &g, &bm);
  if (s == BP_STATUS_OK)
    s = bp_cl_matmul_enqueue(ctx, dev, impl->dtype, &g, (cl_mem)o->data, (cl_mem)a->data, bm, NULL);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

/* linear: x [..., K] (any dims, 1-D: one row), weight [N, K], bias [N] ->
 * out [..., N] as out = x @ weight^T (+ bias per column). x's leading dims
 * fold into M from the innermost while they are one strided run in x and
 * out; the rest become batch dims (weight and bias broadcast). */
static bool linear_geom(bp_cl_mm_geom_t *g, const bp_kernel_call_t *call) {
  memset(g, 0, sizeof *g);
  if (call->num_inputs != 3 || call->num_outputs != 1 || call->num_attrs < 1) return false;
  const bp_tensor_desc_t *x = call->inputs[0], *w = call->inputs[1], *b = call->inputs[2];
  const bp_tensor_desc_t *o = call->outputs[0];
  const bool has_bias = call->attrs[0]->value.b;
  size_t size = bp_abi_dtype_size(o->dtype);
  int32_t nd = x->ndim;
  if (nd < 1 || o->ndim != nd || w->ndim != 2 || size == 0) return false;
  if (x->byte_offset % size || w->byte_offset % size || o->byte_offset % size) return false;
  g->n = w->shape[0];
  g->k = w->shape[1];
  if (x->shape[nd - 1] != g->k || o->shape[nd - 1] != g->n) return false;
  g->sak = x->strides[nd - 1];
  g->sbk = w->strides[1];
  g->sbn = w->strides[0];
  g->son = o->strides[nd - 1];
  g->a_offset = (cl_long)(x->byte_offset / size);
  g->b_offset = (cl_long)(w->byte_offset / size);
  g->o_offset = (cl_long)(o->byte_offset / size);
  if (has_bias) {
    if (b->ndim != 1 || b->shape[0] != g->n || b->byte_offset % size) return false;
    g->bias_offset = (cl_long)(b->byte_offset / size);
    g->sbias_n = b->strides[0];
  }
  g->m = 1;
  g->batch = 1;
  /* leading dims, innermost first: into m, then batch dims (kept
   * innermost first in rev and reversed below) */
  cl_long rev_shape[BP_CL_MAX_DIMS], rev_sa[BP_CL_MAX_DIMS], rev_so[BP_CL_MAX_DIMS];
  int nb = 0;
  for (int32_t d = nd - 2; d >= 0; --d) {
    int64_t e = x->shape[d];
    if (o->shape[d] != e) return false;
    if (e == 1) continue;
    if (nb == 0 && g->m == 1) {
      g->m = e, g->sam = x->strides[d], g->som = o->strides[d];
    } else if (nb == 0 && x->strides[d] == g->m * g->sam && o->strides[d] == g->m * g->som) {
      g->m *= e;
    } else if (nb > 0 && x->strides[d] == rev_shape[nb - 1] * rev_sa[nb - 1] &&
               o->strides[d] == rev_shape[nb - 1] * rev_so[nb - 1]) {
      rev_shape[nb - 1] *= e;
      g->batch *= e;
    } else {
      if (nb == BP_CL_MAX_DIMS) return false;
      rev_shape[nb] = e, rev_sa[nb] = x->strides[d], rev_so[nb] = o->strides[d];
      g->batch *= e;
      ++nb;
    }
  }
  g->batch_nd = nb;
  for (int i = 0; i < nb; ++i) {
    g->batch_shape[i] = rev_shape[nb - 1 - i];
    g->batch_sa[i] = rev_sa[nb - 1 - i];
    g->batch_so[i] = rev_so[nb - 1 - i];
  }
  return true;
}

static bool linear_supports(const bp_kernel_call_t *call) {
  const mm_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype)) return false;
  bp_cl_mm_geom_t g;
  return linear_geom(&g, call);
}

static bp_status_t linear_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const mm_impl_t *impl = call->kernel_data;
  bp_cl_mm_geom_t g;
  if (!linear_geom(&g, call))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl linear: layout not supported");
  if (g.m == 0 || g.n == 0 || g.batch == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  const bool has_bias = call->attrs[0]->value.b;
  pthread_mutex_lock(&dev->lock);
  cl_mem wm = (cl_mem)call->inputs[1]->data;
  s = transpose_b(ctx, dev, impl->dtype, &g, &wm);
  if (s == BP_STATUS_OK)
    s = bp_cl_matmul_enqueue(ctx, dev, impl->dtype, &g, (cl_mem)call->outputs[0]->data,
                             (cl_mem)call->inputs[0]->data, wm,
                             has_bias ? (cl_mem)call->inputs[2]->data : NULL);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_matmul(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t dtypes[8] = {BP_DTYPE_U8,  BP_DTYPE_I8,   BP_DTYPE_I32, BP_DTYPE_I64,
                                       BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  for (int i = 0; i < 8; ++i) {
    bp_dtype_t t = dtypes[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    mm_impl_t *impl = &g_mm[i];
    impl->dtype = t;
    const char *tag = bp_cl_dtype_tag(t);
    bool is_float = bp_cl_dtype_is_float(t);
    if (!is_float)
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_T %s\n#define BP_ACC ulong\n#define BP_LD(p, i) ((ulong)bp_ld_%s(p, i))\n"
               "#define BP_STORE(p, i, v) bp_sti_%s(p, i, (long)(v))\n"
               "#define BP_ADD(acc, p, i) ((acc) + (ulong)bp_ld_%s(p, i))\n",
               bp_cl_storage_type(t), tag, tag, tag);
    else
      snprintf(impl->defines, sizeof impl->defines,
               "#define BP_T %s\n#define BP_ACC %s\n#define BP_LD(p, i) bp_ld_%s(p, i)\n"
               "#define BP_STORE(p, i, v) bp_st%c_%s(p, i, v)\n"
               "#define BP_ADD(acc, p, i) ((acc) + bp_ld_%s(p, i))\n",
               bp_cl_storage_type(t), t == BP_DTYPE_F64 ? "double" : "float", tag,
               t == BP_DTYPE_F64 ? 'd' : 'f', tag, tag);
    bp_dtype_t sig[4] = {t, t, t, t};
    bp_status_t s = bp_cl_register(ctx, "matmul", sig, 3, mm_kernel, mm_supports, impl);
    if (s == BP_STATUS_OK) s = bp_cl_register(ctx, "bmm", sig, 3, mm_kernel, mm_supports, impl);
    if (s == BP_STATUS_OK) s = bp_cl_register(ctx, "linear", sig, 4, linear_kernel, linear_supports, impl);
    if (s != BP_STATUS_OK) return s;
  }
  return BP_STATUS_OK;
}
