/* bp_cl_ops_reduce2.c - the reductions beyond sum (kernels/bp_reduce2.cl):
 * mean, prod, amax, amin, max, min, argmax, argmin, var, std, norm,
 * logsumexp, all, any, with the reference's dtype signatures
 * (reference/src/ref_reduce2.c).
 *
 * One kernel takes the op as an argument, so a device compiles one program
 * per x dtype for the whole family. The outputs arrive in keepdim form: dim
 * d is reduced when out has 1 there and x does not. Kept and reduced dims
 * are each stripped of size-1 dims and merged where contiguous (merging
 * keeps the row-major order, so argmax's flat index is unchanged). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_convert.h"
#include "bp_cl_internal.h"

typedef struct bp_cl_red2_geom {
  cl_long n_out, n_red, out_nd, red_nd;
  cl_long x_offset;
  cl_long o_offset[2];
  cl_long out_shape[BP_CL_MAX_DIMS];
  cl_long out_stride_x[BP_CL_MAX_DIMS];
  cl_long out_stride_o[2][BP_CL_MAX_DIMS];
  cl_long red_shape[BP_CL_MAX_DIMS];
  cl_long red_stride_x[BP_CL_MAX_DIMS];
} bp_cl_red2_geom_t;

/* Must match the enum of bp_reduce2.cl. */
typedef enum red2_op {
  R_MEAN, R_PROD, R_AMAX, R_AMIN, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN,
  R_VAR, R_STD, R_NORM, R_LSE, R_ALL, R_ANY, R_COUNT
} red2_op_t;

static const char *const red2_names[R_COUNT] = {
    "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
    "var", "std", "norm", "logsumexp", "all", "any"};

#define N_DT 9
static const bp_dtype_t red2_dtypes[N_DT] = {BP_DTYPE_BOOL, BP_DTYPE_U8,   BP_DTYPE_I8,
                                             BP_DTYPE_I32,  BP_DTYPE_I64,  BP_DTYPE_F16,
                                             BP_DTYPE_BF16, BP_DTYPE_F32,  BP_DTYPE_F64};

typedef struct red2_impl {
  red2_op_t op;
  int nout;
  bp_dtype_t sig[3];
  const char *defines; /* the x dtype's program */
  int dtype_index;     /* in red2_dtypes */
} red2_impl_t;

/* The op groups: one program each per x dtype (PoCL compiles small
 * programs fast; a case must not wait on the whole family). */
typedef enum red2_group { G_EXT, G_BOOL, G_PROD, G_MOM, G_NORM, G_LSE, G_NORMP, G_COUNT } red2_group_t;
static const char *const group_defines[G_COUNT] = {
    "#define BP_G_EXT 1\n", "#define BP_G_BOOL 1\n", "#define BP_G_PROD 1\n",
    "#define BP_G_MOM 1\n", "#define BP_G_NORM 1\n", "#define BP_G_LSE 1\n",
    "#define BP_G_NORMP 1\n"};

static red2_group_t group_of(red2_op_t op) {
  switch (op) {
    case R_MEAN: case R_VAR: case R_STD: return G_MOM;
    case R_PROD: return G_PROD;
    case R_NORM: return G_NORM;
    case R_LSE: return G_LSE;
    case R_ALL: case R_ANY: return G_BOOL;
    default: return G_EXT;
  }
}

static char g_defines[G_COUNT][N_DT][600];
static red2_impl_t g_impls[R_COUNT][N_DT];

/* Adds a dim (outermost first) to a list, merging with the previous one
 * when contiguous in every stride array given (s2, s3 may be NULL). */
static bool push_dim(cl_long *shape, cl_long *s1, cl_long *s2, cl_long *s3, cl_long *nd,
                     int64_t extent, int64_t st1, int64_t st2, int64_t st3) {
  if (extent == 1) return true;
  if (*nd > 0 && s1[*nd - 1] == st1 * extent && (s2 == NULL || s2[*nd - 1] == st2 * extent) &&
      (s3 == NULL || s3[*nd - 1] == st3 * extent)) {
    shape[*nd - 1] *= extent;
    s1[*nd - 1] = st1;
    if (s2) s2[*nd - 1] = st2;
    if (s3) s3[*nd - 1] = st3;
    return true;
  }
  if (*nd == BP_CL_MAX_DIMS) return false;
  shape[*nd] = extent;
  s1[*nd] = st1;
  if (s2) s2[*nd] = st2;
  if (s3) s3[*nd] = st3;
  ++*nd;
  return true;
}

static bool red2_geom(bp_cl_red2_geom_t *g, const bp_kernel_call_t *call, int nout) {
  memset(g, 0, sizeof *g);
  const bp_tensor_desc_t *x = call->inputs[0], *o0 = call->outputs[0];
  const bp_tensor_desc_t *o1 = nout > 1 ? call->outputs[1] : o0;
  size_t xs = bp_abi_dtype_size(x->dtype), s0 = bp_abi_dtype_size(o0->dtype),
         s1 = bp_abi_dtype_size(o1->dtype);
  if (xs == 0 || s0 == 0 || s1 == 0 || x->byte_offset % xs || o0->byte_offset % s0 ||
      o1->byte_offset % s1 || o0->ndim != x->ndim || o1->ndim != x->ndim)
    return false;
  g->x_offset = (cl_long)(x->byte_offset / xs);
  g->o_offset[0] = (cl_long)(o0->byte_offset / s0);
  g->o_offset[1] = (cl_long)(o1->byte_offset / s1);
  g->n_out = bp_cl_numel(o0);
  g->n_red = 1;
  for (int32_t d = 0; d < x->ndim; ++d) {
    if (o1->shape[d] != o0->shape[d]) return false;
    bool reduced = o0->shape[d] == 1 && x->shape[d] != 1;
    if (!reduced && o0->shape[d] != x->shape[d]) return false;
    if (reduced) {
      g->n_red *= x->shape[d];
      if (!push_dim(g->red_shape, g->red_stride_x, NULL, NULL, &g->red_nd, x->shape[d],
                    x->strides[d], 0, 0))
        return false;
    } else if (!push_dim(g->out_shape, g->out_stride_x, g->out_stride_o[0], g->out_stride_o[1],
                         &g->out_nd, o0->shape[d], x->strides[d], o0->strides[d],
                         o1->strides[d])) {
      return false;
    }
  }
  return true;
}

/* Work-group trees (lanes > 1) on GPUs, or anywhere with BP_OPENCL_TREE=1
 * (to test the GPU path on PoCL); else one work item per output and
 * barrier-free programs, which PoCL compiles much faster. */
static bool use_tree(const bp_cl_device_t *dev) {
  const char *e = getenv("BP_OPENCL_TREE");
  if (e != NULL && e[0] != '\0') return e[0] == '1';
  return dev->kind == BP_DEVICE_KIND_GPU;
}

static bool red2_supports(const bp_kernel_call_t *call) {
  const red2_impl_t *impl = call->kernel_data;
  for (int i = 0; i <= impl->nout; ++i)
    if (!bp_cl_device_takes(call, impl->sig[i])) return false;
  if (call->num_inputs != 1 || call->num_outputs != (uint32_t)impl->nout) return false;
  /* A float product that leaves float's range and comes back is finite in
   * the reference (double): declined on devices without cl_khr_fp64. */
  const bp_cl_ctx_t *ctx = call->plugin_ctx;
  if (impl->op == R_PROD && bp_cl_dtype_is_float(impl->sig[0]) &&
      !ctx->devices[call->device_index].has_fp64)
    return false;
  bp_cl_red2_geom_t g;
  return red2_geom(&g, call, impl->nout);
}

static const bp_attr_t *find(const bp_kernel_call_t *call, const char *name, bp_attr_type_t type) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a != NULL && a->type == type ? a : NULL;
}

static bp_status_t red2_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const red2_impl_t *impl = call->kernel_data;
  bp_cl_red2_geom_t g;
  if (!red2_supports(call) || !red2_geom(&g, call, impl->nout))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: call not supported",
                      red2_names[impl->op]);
  if (g.n_out == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  const bp_attr_t *pa = find(call, "p", BP_ATTR_FLOAT);
  const bp_attr_t *ca = find(call, "correction", BP_ATTR_INT);
  const double p = pa ? pa->value.f : 2.0;
  const cl_ulong pbits = dev->has_fp64 ? bp_cl_float_bits(BP_DTYPE_F64, p)
                                       : bp_cl_float_bits(BP_DTYPE_F32, p);
  const cl_long correction = ca ? ca->value.i : 1;
  const cl_int op = (cl_int)impl->op;
  cl_mem xm = (cl_mem)call->inputs[0]->data;
  cl_mem om0 = (cl_mem)call->outputs[0]->data;
  cl_mem om1 = impl->nout > 1 ? (cl_mem)call->outputs[1]->data : om0;

  pthread_mutex_lock(&dev->lock);
  cl_kernel k = NULL;
  /* norm with p other than 0, 1, 2, +-inf: the pow program */
  const char *defines = impl->defines;
  if (impl->op == R_NORM && !(p == 0.0 || p == 1.0 || p == 2.0 || isinf(p)))
    defines = g_defines[G_NORMP][impl->dtype_index];
  const bool tree = use_tree(dev);
  char defs[700];
  snprintf(defs, sizeof defs, "%s%s", defines, tree ? "#define BP_TREE_ON 1\n" : "");
  s = bp_cl_program_kernel(ctx, dev, defs, bp_cl_src_reduce2, "bp_red2", &k);
  if (s == BP_STATUS_OK) {
    /* Lanes per output: a work-group's worth when there is much to
     * reduce, else one work item per output and 64 outputs a group. */
    size_t kwg = 0;
    if (clGetKernelWorkGroupInfo(k, dev->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg, NULL) !=
            CL_SUCCESS ||
        kwg == 0)
      kwg = dev->max_wg;
    size_t cap = 1;
    while (cap * 2 <= kwg && cap * 2 <= 256) cap *= 2;
    size_t lanes = tree && g.n_red > 32 ? cap : 1;
    size_t group = lanes == 1 ? (cap < 64 ? cap : 64) : 1;
    size_t rows = ((size_t)g.n_out + group - 1) / group * group;
    size_t global[2] = {lanes, rows}, local[2] = {lanes, group};
    cl_int err = clSetKernelArg(k, 0, sizeof om0, &om0);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof om1, &om1);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof xm, &xm);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 3, sizeof g, &g);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 4, sizeof op, &op);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 5, sizeof pbits, &pbits);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 6, sizeof correction, &correction);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 2, NULL, global, local, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", red2_names[impl->op]);
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

/* The #defines of x dtype t's program. */
static void red2_defines(char *d, size_t cap, bp_dtype_t t, const char *group) {
  const char *tag = bp_cl_dtype_tag(t);
  const bool f64 = t == BP_DTYPE_F64, fl = bp_cl_dtype_is_float(t);
  const char *ct = f64 ? "double" : fl ? "float" : "long";
  char cls = f64 ? 'd' : fl ? 'f' : 'i';
  snprintf(d, cap,
           "#define BP_T %s\n#define CT %s\n#define BP_LD(p, i) bp_ld_%s(p, i)\n"
           "#define BP_STV(p, i, v) bp_st%c_%s(p, i, v)\n"
           "#ifdef BP_HAS_FP64\n#define BP_STA(p, i, v) bp_std_%s(p, i, v)\n"
           "#else\n#define BP_STA(p, i, v) bp_stf_%s(p, i, v)\n#endif\n%s%s",
           bp_cl_storage_type(t), ct, tag, cls, tag, tag, tag, fl ? "" : "#define BP_INT 1\n",
           group);
}

bp_status_t bp_cl_register_reduce2(bp_cl_ctx_t *ctx) {
  for (int t = 0; t < N_DT; ++t) {
    const bp_dtype_t dt = red2_dtypes[t];
    if (dt == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    for (int gr = 0; gr < G_COUNT; ++gr)
      red2_defines(g_defines[gr][t], sizeof g_defines[gr][t], dt, group_defines[gr]);
    const bool fl = bp_cl_dtype_is_float(dt);
    for (int op = 0; op < R_COUNT; ++op) {
      red2_impl_t *impl = &g_impls[op][t];
      impl->op = (red2_op_t)op;
      impl->defines = g_defines[group_of((red2_op_t)op)][t];
      impl->dtype_index = t;
      impl->nout = 1;
      impl->sig[0] = dt;
      impl->sig[1] = dt;
      switch (op) {
        case R_MEAN: case R_VAR: case R_STD: case R_NORM: case R_LSE:
          if (!fl) continue;
          break;
        case R_PROD:
          if (!fl && dt != BP_DTYPE_I64) continue;
          break;
        case R_MAX: case R_MIN:
          impl->nout = 2;
          impl->sig[2] = BP_DTYPE_I64;
          break;
        case R_ARGMAX: case R_ARGMIN:
          if (dt == BP_DTYPE_BOOL) continue;
          impl->sig[1] = BP_DTYPE_I64;
          break;
        case R_ALL: case R_ANY:
          impl->sig[1] = dt == BP_DTYPE_U8 ? BP_DTYPE_U8 : BP_DTYPE_BOOL;
          break;
        default:
          break;
      }
      bp_status_t s = bp_cl_register(ctx, red2_names[op], impl->sig, (uint32_t)impl->nout + 1,
                                     red2_kernel, red2_supports, impl);
      if (s != BP_STATUS_OK) return s;
    }
  }
  return BP_STATUS_OK;
}
