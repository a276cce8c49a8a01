/* bp_cl_ops_loss.c - nll_loss, cross_entropy (class indices or
 * probabilities), mse_loss and binary_cross_entropy_with_logits
 * (kernels/bp_loss.cl): a per-sample pass, then one work group reducing
 * the terms in a fixed order (the same bits every run). A class target
 * outside [0, C) that is not ignore_index is reported at synchronize
 * (bp_cl_check_indices). */
#include <stdio.h>
#include <string.h>

#include "bp_cl_nn.h"

typedef enum loss_kind { LOSS_NLL, LOSS_CE, LOSS_CE_PROBS, LOSS_MSE, LOSS_BCE } loss_kind_t;

typedef struct loss_impl {
  loss_kind_t kind;
  bp_dtype_t dtype;
} loss_impl_t;

static loss_impl_t g_impls[5][4];

/* t as a view broadcast to shape[0..nd) (dims aligned right, size-1 and
 * missing dims read with stride 0). */
static bool bcast_view(bp_cl_tv_t *v, const bp_tensor_desc_t *t, int32_t nd, const int64_t *shape) {
  memset(v, 0, sizeof *v);
  size_t es = bp_abi_dtype_size(t->dtype);
  if (es == 0 || t->byte_offset % es || nd > BP_CL_MAX_DIMS || t->ndim > nd) return false;
  v->off = (cl_long)(t->byte_offset / es);
  v->nd = nd;
  for (int32_t i = 0; i < nd; ++i) {
    int32_t j = t->ndim - nd + i;
    v->shape[i] = shape[i];
    if (j < 0 || t->shape[j] == 1) {
      v->st[i] = 0;
    } else {
      if (t->shape[j] != shape[i]) return false;
      v->st[i] = t->strides[j];
    }
  }
  return true;
}

typedef struct loss_plan {
  bp_cl_tv_t v[5]; /* per kernel: the views it takes */
  int64_t count;
  int32_t nd;
  int64_t shape[BP_CL_MAX_DIMS];
} loss_plan_t;

static bool loss_plan(const bp_kernel_call_t *call, loss_kind_t kind, loss_plan_t *p) {
  memset(p, 0, sizeof *p);
  const bp_tensor_desc_t *x = call->inputs[0], *t = call->inputs[1], *o = call->outputs[0];
  const int64_t reduction = bp_cl_attr_i(call, "reduction", 1);
  if (reduction < 0 || reduction > 2) return false;
  if (kind == LOSS_NLL || kind == LOSS_CE || kind == LOSS_CE_PROBS) {
    if (x->ndim < 1 || !bp_cl_tv_init(&p->v[0], x) || !bp_cl_tv_init(&p->v[1], t) ||
        !bp_cl_tv_init(&p->v[2], call->inputs[2]) || !bp_cl_tv_init(&p->v[3], o))
      return false;
    p->count = 1; /* [C]: one sample; [N, C, d...]: every dim but the class dim */
    for (int32_t d = 0; d < x->ndim && x->ndim > 1; ++d)
      if (d != 1) p->count *= x->shape[d];
    if (kind == LOSS_CE_PROBS) {
      if (t->ndim != x->ndim) return false;
      for (int32_t d = 0; d < x->ndim; ++d)
        if (t->shape[d] != x->shape[d]) return false;
    } else if (bp_cl_numel(t) != p->count) {
      return false;
    }
    if (bp_cl_attr_b(call, "has_weight", false) && call->inputs[2]->ndim != 1) return false;
    if (reduction == 0 && bp_cl_numel(o) != p->count) return false;
    if (kind == LOSS_NLL && !bp_cl_tv_init(&p->v[4], call->outputs[1])) return false;
    return true;
  }
  if (kind == LOSS_MSE) {
    int32_t nd = x->ndim > t->ndim ? x->ndim : t->ndim;
    if (nd > BP_CL_MAX_DIMS) return false;
    p->nd = nd;
    p->count = 1;
    for (int32_t i = 0; i < nd; ++i) {
      int32_t ia = x->ndim - nd + i, ib = t->ndim - nd + i;
      int64_t sa = ia >= 0 ? x->shape[ia] : 1, sb = ib >= 0 ? t->shape[ib] : 1;
      p->shape[i] = sa != 1 ? sa : sb;
      p->count *= p->shape[i];
    }
    if (!bcast_view(&p->v[0], x, nd, p->shape) || !bcast_view(&p->v[1], t, nd, p->shape) ||
        !bp_cl_tv_init(&p->v[2], o))
      return false;
    return reduction != 0 || bp_cl_numel(o) == p->count;
  }
  /* BCE: target, weight, pos_weight broadcast to x */
  p->count = bp_cl_numel(x);
  if (!bp_cl_tv_init(&p->v[0], x) || !bcast_view(&p->v[1], t, x->ndim, x->shape) ||
      !bp_cl_tv_init(&p->v[4], o))
    return false;
  if (bp_cl_attr_b(call, "has_weight", false) && !bcast_view(&p->v[2], call->inputs[2], x->ndim, x->shape))
    return false;
  if (bp_cl_attr_b(call, "has_pos_weight", false) &&
      !bcast_view(&p->v[3], call->inputs[3], x->ndim, x->shape))
    return false;
  return reduction != 0 || bp_cl_numel(o) == p->count;
}

static bool loss_supports(const bp_kernel_call_t *call) {
  const loss_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype)) return false;
  loss_plan_t p;
  return loss_plan(call, impl->kind, &p);
}

static bp_status_t loss_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const loss_impl_t *impl = call->kernel_data;
  loss_plan_t p;
  if (!loss_plan(call, impl->kind, &p))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: layout not supported", call->op_name);
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, call->device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  const bool dbl = impl->dtype == BP_DTYPE_F64 || dev->has_fp64;
  const size_t acc_size = dbl ? 8 : 4;
  char defines[700];
  bp_cl_nn_type_defines(defines, sizeof defines, dev, impl->dtype, true);
  const int64_t reduction = bp_cl_attr_i(call, "reduction", 1);
  const cl_int none = reduction == 0;
  const cl_long count = p.count;
  const double ls_d = bp_cl_attr_f(call, "label_smoothing", 0.0);
  cl_double ls_dd = ls_d, c_dd = 0;
  cl_float ls_f = (cl_float)ls_d, c_f = 0;
  bp_cl_arg_t ls_arg = dbl ? BP_CL_ARG(ls_dd) : BP_CL_ARG(ls_f);
  cl_mem in[4] = {NULL, NULL, NULL, NULL};
  for (uint32_t i = 0; i < call->num_inputs && i < 4; ++i) in[i] = (cl_mem)call->inputs[i]->data;
  cl_mem out = (cl_mem)call->outputs[0]->data;
  cl_int has_w = bp_cl_attr_b(call, "has_weight", false);
  cl_int has_pw = bp_cl_attr_b(call, "has_pos_weight", false);
  cl_long ignore = bp_cl_attr_i(call, "ignore_index", -100);
  cl_int ce = impl->kind == LOSS_CE;
  int nparts = impl->kind == LOSS_NLL || impl->kind == LOSS_CE ? 3 : 1;
  cl_int mode = reduction == 1 ? 2 : reduction == 2 ? 1 : 0;
  if (impl->kind == LOSS_NLL && reduction == 1) mode = 3;
  if (impl->kind == LOSS_CE && reduction != 0) mode = reduction == 1 ? 5 : 4;
  if (impl->kind == LOSS_NLL || impl->kind == LOSS_CE || impl->kind == LOSS_CE_PROBS) {
    int64_t C = p.v[0].nd == 1 ? p.v[0].shape[0] : p.v[0].shape[1];
    c_dd = (cl_double)C;
    c_f = (cl_float)C;
  }
  bp_cl_arg_t c_arg = dbl ? BP_CL_ARG(c_dd) : BP_CL_ARG(c_f);
  const bool final = mode != 0 || impl->kind == LOSS_NLL;

  pthread_mutex_lock(&dev->lock);
  cl_int err = CL_SUCCESS;
  size_t part_bytes = acc_size * (size_t)(count > 0 ? count : 1) * (size_t)nparts;
  cl_mem part = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, part_bytes, NULL, &err);
  s = bp_cl_check(ctx, err, "clCreateBuffer", "loss terms");
  if (s == BP_STATUS_OK && (impl->kind == LOSS_NLL || impl->kind == LOSS_CE)) {
    int64_t C = p.v[0].nd == 1 ? p.v[0].shape[0] : p.v[0].shape[1];
    s = bp_cl_check_indices(ctx, dev, call->inputs[1], C, true, ignore, call->op_name, "target");
  }
  if (s == BP_STATUS_OK && count > 0) {
    bp_cl_arg_t a[20];
    int na = 0;
    const char *kname = NULL;
    switch (impl->kind) {
      case LOSS_NLL:
      case LOSS_CE:
        kname = "bp_nll";
        a[na++] = BP_CL_ARG(in[0]); a[na++] = BP_CL_ARG(p.v[0]);
        a[na++] = BP_CL_ARG(in[1]); a[na++] = BP_CL_ARG(p.v[1]);
        a[na++] = BP_CL_ARG(in[2]); a[na++] = BP_CL_ARG(p.v[2]);
        a[na++] = BP_CL_ARG(has_w); a[na++] = BP_CL_ARG(ignore); a[na++] = BP_CL_ARG(ce);
        a[na++] = ls_arg;
        a[na++] = BP_CL_ARG(out); a[na++] = BP_CL_ARG(p.v[3]);
        break;
      case LOSS_CE_PROBS:
        kname = "bp_ce_probs";
        a[na++] = BP_CL_ARG(in[0]); a[na++] = BP_CL_ARG(p.v[0]);
        a[na++] = BP_CL_ARG(in[1]); a[na++] = BP_CL_ARG(p.v[1]);
        a[na++] = BP_CL_ARG(in[2]); a[na++] = BP_CL_ARG(p.v[2]);
        a[na++] = BP_CL_ARG(has_w); a[na++] = ls_arg;
        a[na++] = BP_CL_ARG(out); a[na++] = BP_CL_ARG(p.v[3]);
        break;
      case LOSS_MSE:
        kname = "bp_mse";
        a[na++] = BP_CL_ARG(in[0]); a[na++] = BP_CL_ARG(p.v[0]);
        a[na++] = BP_CL_ARG(in[1]); a[na++] = BP_CL_ARG(p.v[1]);
        a[na++] = BP_CL_ARG(out); a[na++] = BP_CL_ARG(p.v[2]);
        break;
      case LOSS_BCE:
        kname = "bp_bce";
        a[na++] = BP_CL_ARG(in[0]); a[na++] = BP_CL_ARG(p.v[0]);
        a[na++] = BP_CL_ARG(in[1]); a[na++] = BP_CL_ARG(p.v[1]);
        a[na++] = BP_CL_ARG(in[2]); a[na++] = BP_CL_ARG(p.v[2]);
        a[na++] = BP_CL_ARG(in[3]); a[na++] = BP_CL_ARG(p.v[3]);
        a[na++] = BP_CL_ARG(has_w); a[na++] = BP_CL_ARG(has_pw);
        a[na++] = BP_CL_ARG(out); a[na++] = BP_CL_ARG(p.v[4]);
        break;
    }
    a[na++] = BP_CL_ARG(none);
    a[na++] = BP_CL_ARG(part);
    a[na++] = BP_CL_ARG(count);
    s = bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_loss, kname, a, na, count, NULL, NULL);
  }
  if (s == BP_STATUS_OK && final) {
    const bool wg = bp_cl_nn_gpu_paths(dev);
    size_t L = 1;
    while (wg && L * 2 <= dev->max_wg && L * 2 <= 256) L *= 2;
    char fdefines[800];
    snprintf(fdefines, sizeof fdefines, "%s%s", defines, wg ? "#define BP_WG 1\n" : "");
    const size_t es = bp_abi_dtype_size(impl->dtype);
    cl_long out_off = (cl_long)(call->outputs[0]->byte_offset / es), tw_off = 0;
    cl_mem tw = out;
    cl_int has_tw = impl->kind == LOSS_NLL, np = nparts;
    if (has_tw) {
      tw = (cl_mem)call->outputs[1]->data;
      tw_off = (cl_long)(call->outputs[1]->byte_offset / es);
    }
    size_t global[3] = {L, 0, 0};
    bp_cl_arg_t a[12] = {BP_CL_ARG(part), BP_CL_ARG(count), BP_CL_ARG(np), BP_CL_ARG(mode),
                         ls_arg, c_arg, BP_CL_ARG(out), BP_CL_ARG(out_off), BP_CL_ARG(tw),
                         BP_CL_ARG(tw_off), BP_CL_ARG(has_tw), {acc_size * L * 3, NULL}};
    s = bp_cl_nn_launch(ctx, dev, fdefines, bp_cl_src_loss, "bp_loss_final", a, 12, -1, global,
                        global);
  }
  if (part != NULL) clReleaseMemObject(part);
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_register_loss(bp_cl_ctx_t *ctx) {
  static const bp_dtype_t types[4] = {BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  for (int i = 0; i < 4; ++i) {
    bp_dtype_t t = types[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    for (int k = 0; k < 5; ++k) {
      if (t == BP_DTYPE_F16 && k != LOSS_MSE) continue;
      if (t == BP_DTYPE_BF16 && k == LOSS_MSE) continue;
      loss_impl_t *impl = &g_impls[k][i];
      impl->kind = (loss_kind_t)k;
      impl->dtype = t;
      bp_dtype_t sig[5] = {t, t, t, t, t};
      const char *op = NULL;
      uint32_t n = 0;
      switch (impl->kind) {
        case LOSS_NLL: op = "nll_loss"; sig[1] = BP_DTYPE_I64; n = 5; break;
        case LOSS_CE: op = "cross_entropy"; sig[1] = BP_DTYPE_I64; n = 4; break;
        case LOSS_CE_PROBS: op = "cross_entropy"; n = 4; break;
        case LOSS_MSE: op = "mse_loss"; n = 3; break;
        case LOSS_BCE: op = "binary_cross_entropy_with_logits"; n = 5; break;
      }
      bp_status_t s = bp_cl_register(ctx, op, sig, n, loss_kernel, loss_supports, impl);
      if (s != BP_STATUS_OK) return s;
    }
  }
  return BP_STATUS_OK;
}
