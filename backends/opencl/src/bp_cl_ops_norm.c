/* bp_cl_ops_norm.c - batch_norm (updating the running statistics in place
 * when training), group_norm, rms_norm, batch_norm_backward and
 * group_norm_backward (kernels/bp_norm.cl); bf16, f32, f64. One work group
 * per statistic; the statistics in double where the device has fp64. */
#include <stdio.h>
#include <string.h>

#include "bp_cl_nn.h"

/* Must match bp_norm_p_t (kernels/bp_norm.cl). */
typedef struct bp_cl_norm_p {
  cl_long kind, groups, m, r, cg, G, lead, k;
  cl_long has_w, has_b, training, has_rs;
  cl_long w_off, w_st, b_off, b_st, rm_off, rm_st, rv_off, rv_st;
  cl_long sm_off, sm_st0, sm_st1, si_off, si_st0, si_st1;
  cl_long gw_off, gw_st, gb_off, gb_st;
} bp_cl_norm_p_t;

typedef enum norm_kind { NORM_BATCH, NORM_GROUP, NORM_RMS, NORM_BATCH_BWD, NORM_GROUP_BWD } norm_kind_t;

typedef struct norm_impl {
  norm_kind_t kind;
  bp_dtype_t dtype;
} norm_impl_t;

static norm_impl_t g_impls[5][3];

/* Offset and stride of a 1-D tensor ([C]); false when misaligned or not 1-D. */
static bool vec(const bp_tensor_desc_t *t, int64_t len, cl_long *off, cl_long *st) {
  size_t es = bp_abi_dtype_size(t->dtype);
  if (t->ndim != 1 || t->shape[0] != len || es == 0 || t->byte_offset % es) return false;
  *off = (cl_long)(t->byte_offset / es);
  *st = t->strides[0];
  return true;
}

/* Offset and strides of an [N, G] tensor. */
static bool mat(const bp_tensor_desc_t *t, int64_t n, int64_t g, cl_long *off, cl_long *s0, cl_long *s1) {
  size_t es = bp_abi_dtype_size(t->dtype);
  if (t->ndim != 2 || t->shape[0] != n || t->shape[1] != g || es == 0 || t->byte_offset % es)
    return false;
  *off = (cl_long)(t->byte_offset / es);
  *s0 = t->strides[0];
  *s1 = t->strides[1];
  return true;
}

static bool same_shape(const bp_tensor_desc_t *a, const bp_tensor_desc_t *b) {
  if (a->ndim != b->ndim) return false;
  for (int32_t d = 0; d < a->ndim; ++d)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

typedef struct norm_plan {
  bp_cl_norm_p_t p;
  bp_cl_tv_t v[4]; /* fwd: x, y, rms weight, rms rstd; bwd: g, x, gx */
  int64_t n;
} norm_plan_t;

static bool norm_plan(const bp_kernel_call_t *call, norm_kind_t kind, norm_plan_t *q) {
  memset(q, 0, sizeof *q);
  bp_cl_norm_p_t *p = &q->p;
  const bool bwd = kind >= NORM_BATCH_BWD;
  const bp_tensor_desc_t *x = bwd ? call->inputs[1] : call->inputs[0];
  p->has_w = bp_cl_attr_b(call, "has_weight", false);
  p->has_b = bp_cl_attr_b(call, "has_bias", false);
  p->training = bp_cl_attr_b(call, "training", false);
  p->has_rs = bp_cl_attr_b(call, "has_running_stats", false);
  if (kind == NORM_RMS) {
    const bp_attr_t *ns = bp_abi_find_attr(call, "normalized_shape");
    if (ns == NULL || ns->type != BP_ATTR_INTS) return false;
    p->kind = 2;
    p->k = ns->count;
    p->lead = x->ndim - p->k;
    if (p->lead < 0) return false;
    p->groups = 1;
    p->m = 1;
    for (int32_t d = 0; d < x->ndim; ++d) {
      if (d < p->lead) p->groups *= x->shape[d];
      else p->m *= x->shape[d];
    }
    const bp_tensor_desc_t *r = call->outputs[1];
    if (!bp_cl_tv_init(&q->v[0], x) || !bp_cl_tv_init(&q->v[1], call->outputs[0]) ||
        !same_shape(x, call->outputs[0]) || !bp_cl_tv_init(&q->v[3], r) || r->ndim < p->lead)
      return false;
    for (int32_t d = 0; d < p->lead; ++d)
      if (r->shape[d] != x->shape[d]) return false;
    if (p->has_w) {
      const bp_tensor_desc_t *w = call->inputs[1];
      if (!bp_cl_tv_init(&q->v[2], w) || w->ndim != p->k) return false;
      for (int32_t d = 0; d < p->k; ++d)
        if (w->shape[d] != x->shape[p->lead + d]) return false;
    } else {
      q->v[2] = q->v[0];
    }
    q->n = p->groups;
    return true;
  }
  if (x->ndim < 2) return false;
  const int64_t N = x->shape[0], C = x->shape[1];
  p->r = 1;
  for (int32_t d = 2; d < x->ndim; ++d) p->r *= x->shape[d];
  if (p->r == 0) return false;
  if (!bp_cl_tv_init(&q->v[0], bwd ? call->inputs[0] : x) || !bp_cl_tv_init(&q->v[1], bwd ? x : call->outputs[0]))
    return false;
  if (bwd && (!bp_cl_tv_init(&q->v[2], call->outputs[0]) || !same_shape(call->outputs[0], x) ||
              !same_shape(call->inputs[0], x)))
    return false;
  if (!bwd && !same_shape(call->outputs[0], x)) return false;
  q->v[3] = q->v[0];
  if (!bwd) q->v[2] = q->v[0];
  if (kind == NORM_BATCH || kind == NORM_BATCH_BWD) {
    p->kind = 0;
    p->groups = C;
    p->m = N * p->r;
    p->G = 1;
    p->cg = 1;
  } else {
    const int64_t G = bp_cl_attr_i(call, "num_groups", 0);
    if (G <= 0 || C % G) return false;
    p->kind = 1;
    p->G = G;
    p->cg = C / G;
    p->groups = N * G;
    p->m = p->cg * p->r;
  }
  const bp_tensor_desc_t *w = call->inputs[bwd ? (kind == NORM_BATCH_BWD ? 2 : 4) : 1];
  if (p->has_w && !vec(w, C, &p->w_off, &p->w_st)) return false;
  if (kind == NORM_BATCH) {
    if (p->has_b && !vec(call->inputs[2], C, &p->b_off, &p->b_st)) return false;
    if (!p->training && !p->has_rs) return false; /* eval needs the running stats */
    if (p->has_rs && (!vec(call->inputs[3], C, &p->rm_off, &p->rm_st) ||
                      !vec(call->inputs[4], C, &p->rv_off, &p->rv_st)))
      return false;
    if (!vec(call->outputs[1], C, &p->sm_off, &p->sm_st0) || !vec(call->outputs[2], C, &p->si_off, &p->si_st0))
      return false;
  } else if (kind == NORM_GROUP) {
    if (p->has_b && !vec(call->inputs[2], C, &p->b_off, &p->b_st)) return false;
    if (!mat(call->outputs[1], N, p->G, &p->sm_off, &p->sm_st0, &p->sm_st1) ||
        !mat(call->outputs[2], N, p->G, &p->si_off, &p->si_st0, &p->si_st1))
      return false;
  } else if (kind == NORM_BATCH_BWD) {
    if (!vec(call->inputs[3], C, &p->sm_off, &p->sm_st0) || !vec(call->inputs[4], C, &p->si_off, &p->si_st0))
      return false;
  } else {
    if (!mat(call->inputs[2], N, p->G, &p->sm_off, &p->sm_st0, &p->sm_st1) ||
        !mat(call->inputs[3], N, p->G, &p->si_off, &p->si_st0, &p->si_st1))
      return false;
  }
  if (bwd && (!vec(call->outputs[1], C, &p->gw_off, &p->gw_st) ||
              !vec(call->outputs[2], C, &p->gb_off, &p->gb_st)))
    return false;
  q->n = N;
  return true;
}

static bool norm_supports(const bp_kernel_call_t *call) {
  const norm_impl_t *impl = call->kernel_data;
  norm_plan_t q;
  return bp_cl_device_takes(call, impl->dtype) && norm_plan(call, impl->kind, &q);
}

static bp_status_t norm_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const norm_impl_t *impl = call->kernel_data;
  norm_plan_t q;
  if (!norm_plan(call, impl->kind, &q))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: layout not supported", call->op_name);
  if (q.p.groups == 0) return BP_STATUS_OK;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  const bool dbl = impl->dtype == BP_DTYPE_F64 || dev->has_fp64;
  const size_t acc_size = dbl ? 8 : 4;
  /* GPUs: a work group of L per statistic, summing in local memory; CPU
   * devices: one work item per statistic, no barriers (PoCL compiles
   * barriers slowly and gains nothing from them). One kernel per program. */
  const bool wg = bp_cl_nn_gpu_paths(dev);
  char base[700], defines[800];
  bp_cl_nn_type_defines(base, sizeof base, dev, impl->dtype, true);
  size_t L = 1;
  while (wg && L * 2 <= dev->max_wg && L * 2 <= 256) L *= 2;
  cl_long groups = q.p.groups < 65536 ? q.p.groups : 65536;
  size_t global[3] = {(size_t)groups * L, 0, 0}, local[3] = {L, 0, 0};
  bp_cl_arg_t scratch = {acc_size * L, NULL};
  cl_mem in[5] = {NULL}, out[3] = {NULL};
  for (uint32_t i = 0; i < call->num_inputs && i < 5; ++i) in[i] = (cl_mem)call->inputs[i]->data;
  for (uint32_t i = 0; i < call->num_outputs && i < 3; ++i) out[i] = (cl_mem)call->outputs[i]->data;
  pthread_mutex_lock(&dev->lock);
  if (impl->kind <= NORM_RMS) {
    cl_double eps_d = bp_cl_attr_f(call, "eps", 1e-5), mom_d = bp_cl_attr_f(call, "momentum", 0.1);
    cl_float eps_f = (cl_float)eps_d, mom_f = (cl_float)mom_d;
    cl_mem w = in[1], b = impl->kind == NORM_RMS ? in[1] : in[2];
    cl_mem rm = impl->kind == NORM_BATCH ? in[3] : in[0], rv = impl->kind == NORM_BATCH ? in[4] : in[0];
    cl_mem sm = out[1], si = impl->kind == NORM_RMS ? out[1] : out[2];
    bp_cl_arg_t a[] = {BP_CL_ARG(in[0]), BP_CL_ARG(q.v[0]), BP_CL_ARG(out[0]), BP_CL_ARG(q.v[1]),
                       BP_CL_ARG(w), BP_CL_ARG(b), BP_CL_ARG(rm), BP_CL_ARG(rv), BP_CL_ARG(sm),
                       BP_CL_ARG(si), BP_CL_ARG(q.v[2]), BP_CL_ARG(q.v[3]), BP_CL_ARG(q.p),
                       dbl ? BP_CL_ARG(eps_d) : BP_CL_ARG(eps_f),
                       dbl ? BP_CL_ARG(mom_d) : BP_CL_ARG(mom_f), scratch};
    snprintf(defines, sizeof defines, "%s#define BP_K_FWD 1\n%s", base, wg ? "#define BP_WG 1\n" : "");
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_norm, "bp_norm_fwd", a, 16, -1, global, local);
  } else {
    const bool bn = impl->kind == NORM_BATCH_BWD;
    cl_mem w = bn ? in[2] : in[4], sm = bn ? in[3] : in[2], si = bn ? in[4] : in[3];
    bp_cl_arg_t a[] = {BP_CL_ARG(in[0]), BP_CL_ARG(q.v[0]), BP_CL_ARG(in[1]), BP_CL_ARG(q.v[1]),
                       BP_CL_ARG(out[0]), BP_CL_ARG(q.v[2]), BP_CL_ARG(w), BP_CL_ARG(sm),
                       BP_CL_ARG(si), BP_CL_ARG(out[1]), BP_CL_ARG(out[2]), BP_CL_ARG(q.p), scratch};
    snprintf(defines, sizeof defines, "%s#define BP_K_BWD 1\n%s", base, wg ? "#define BP_WG 1\n" : "");
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_norm, "bp_norm_bwd", a, 13, -1, global, local);
    if (s == BP_STATUS_OK && !bn) {
      cl_long n = q.n, C = q.p.G * q.p.cg;
      size_t g2[3] = {(size_t)(C < 65536 ? C : 65536) * L, 0, 0};
      bp_cl_arg_t b2[] = {BP_CL_ARG(in[0]), BP_CL_ARG(q.v[0]), BP_CL_ARG(in[1]), BP_CL_ARG(q.v[1]),
                          BP_CL_ARG(sm), BP_CL_ARG(si), BP_CL_ARG(out[1]), BP_CL_ARG(out[2]),
                          BP_CL_ARG(q.p), BP_CL_ARG(n), scratch};
      snprintf(defines, sizeof defines, "%s#define BP_K_GNWB 1\n%s", base, wg ? "#define BP_WG 1\n" : "");
      s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_norm, "bp_gn_bwd_wb", b2, 11, -1, g2, local);
    }
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_norm(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t types[3] = {BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  static const char *const ops[5] = {"batch_norm", "group_norm", "rms_norm", "batch_norm_backward",
                                     "group_norm_backward"};
  static const uint32_t nsig[5] = {8, 6, 4, 8, 8};
  for (int k = 0; k < 5; ++k)
    for (int i = 0; i < 3; ++i) {
      bp_dtype_t t = types[i];
      if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
      g_impls[k][i] = (norm_impl_t){(norm_kind_t)k, t};
      bp_dtype_t sig[8] = {t, t, t, t, t, t, t, t};
      bp_status_t s = bp_cl_register(ctx, ops[k], sig, nsig[k], norm_kernel, norm_supports, &g_impls[k][i]);
      if (s != BP_STATUS_OK) return s;
    }
  return BP_STATUS_OK;
}
