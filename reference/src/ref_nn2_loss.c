/* ref_nn2_loss.c - nll_loss, cross_entropy, mse_loss,
 * binary_cross_entropy_with_logits, scaled_dot_product_attention.
 * Everything in double; reductions sum in double and round once. The
 * formulas are torch's (aten/src/ATen/native/Loss*.cpp), including the order
 * of the stable log-sum-exp terms, so NaN and inf come out where torch's do. */
#include <math.h>
#include <stdlib.h>

#include "ref_nn2.h"

enum { RED_NONE = 0, RED_MEAN = 1, RED_SUM = 2 };

/* Input [C] or [N, C, d...] seen per sample: sample i (row-major over the
 * loss shape = input without the class dim) starts at xoff, classes step cs. */
typedef struct samples {
  const bp_tensor_desc_t *x;
  int64_t count, classes, cs;
} samples_t;

static samples_t samples_of(const bp_tensor_desc_t *x) {
  samples_t s = {x, 1, 0, 0};
  if (x->ndim == 1) {
    s.classes = x->shape[0];
    s.cs = x->strides[0];
    return s;
  }
  s.classes = x->shape[1];
  s.cs = x->strides[1];
  for (int32_t d = 0; d < x->ndim; ++d) if (d != 1) s.count *= x->shape[d];
  return s;
}
/* Offset in x of sample i, class 0. */
static int64_t sample_off(const samples_t *s, int64_t i) {
  const bp_tensor_desc_t *x = s->x;
  if (x->ndim == 1) return 0;
  int64_t off = 0;
  for (int32_t d = x->ndim - 1; d >= 0; --d) {
    if (d == 1) continue;
    int64_t n = x->shape[d];
    off += (i % n) * x->strides[d];
    i /= n;
  }
  return off;
}
/* Offset of loss-shaped element i in t (target or unreduced output). */
static int64_t elem_off(const bp_tensor_desc_t *t, int64_t i) { return nn2_sub_off(t, 0, t->ndim, i); }

static bp_status_t target_error(const bp_kernel_call_t *call, int64_t v, int64_t c) {
  return bp_ref_fail(call->plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                     "target %lld is out of bounds (expected 0..%lld or ignore_index)",
                     (long long)v, (long long)c - 1);
}

/* ---- nll_loss ---- */

static bp_status_t ref_nll_loss(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "nll_loss", 3, 2);
  if (st) return st;
  int64_t reduction = call->attrs[0]->value.i, ignore = call->attrs[1]->value.i;
  bool has_w = call->attrs[2]->value.b;
  samples_t s = samples_of(call->inputs[0]);
  nn2_t x = nn2_make(call->inputs[0]), t = nn2_make(call->inputs[1]), w = nn2_make(call->inputs[2]);
  nn2_t out = nn2_make(call->outputs[0]), tw = nn2_make(call->outputs[1]);
  for (int64_t i = 0; i < s.count; ++i) {
    int64_t c = nn2_geti(&t, elem_off(t.d, i));
    if (c != ignore && (c < 0 || c >= s.classes)) return target_error(call, c, s.classes);
  }
  double total = 0.0, wsum = 0.0;
  for (int64_t i = 0; i < s.count; ++i) {
    int64_t c = nn2_geti(&t, elem_off(t.d, i));
    double loss = 0.0, wi = 0.0;
    if (c != ignore) {
      wi = has_w ? nn2_get(&w, c * w.d->strides[0]) : 1.0;
      loss = -wi * nn2_get(&x, sample_off(&s, i) + c * s.cs);
    }
    if (reduction == RED_NONE) nn2_set(&out, elem_off(out.d, i), loss);
    total += loss;
    wsum += wi;
  }
  if (reduction != RED_NONE) nn2_set(&out, 0, reduction == RED_MEAN ? total / wsum : total);
  nn2_set(&tw, 0, wsum);
  return BP_STATUS_OK;
}

/* ---- cross_entropy ---- */

/* log-sum-exp of sample i's classes. */
static double sample_lse(const nn2_t *x, const samples_t *s, int64_t xo) {
  double mx = -INFINITY;
  bool nan = false;
  for (int64_t c = 0; c < s->classes; ++c) {
    double v = nn2_get(x, xo + c * s->cs);
    if (isnan(v)) nan = true;
    if (v > mx) mx = v;
  }
  if (nan) return NAN;
  double sum = 0.0;
  for (int64_t c = 0; c < s->classes; ++c) sum += exp(nn2_get(x, xo + c * s->cs) - mx);
  return mx + log(sum);
}

static bp_status_t ref_cross_entropy(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "cross_entropy", 3, 1);
  if (st) return st;
  int64_t reduction = call->attrs[0]->value.i, ignore = call->attrs[1]->value.i;
  double ls = call->attrs[2]->value.f;
  bool has_w = call->attrs[3]->value.b;
  samples_t s = samples_of(call->inputs[0]);
  nn2_t x = nn2_make(call->inputs[0]), t = nn2_make(call->inputs[1]), w = nn2_make(call->inputs[2]);
  nn2_t out = nn2_make(call->outputs[0]);
  bool probs = t.d->dtype != BP_DTYPE_I64;
  double C = (double)s.classes;
  if (!probs)
    for (int64_t i = 0; i < s.count; ++i) {
      int64_t c = nn2_geti(&t, elem_off(t.d, i));
      if (c != ignore && (c < 0 || c >= s.classes)) return target_error(call, c, s.classes);
    }
  double nll_sum = 0.0, smooth_sum = 0.0, wsum = 0.0;
  for (int64_t i = 0; i < s.count; ++i) {
    int64_t xo = sample_off(&s, i);
    double lse = sample_lse(&x, &s, xo), loss;
    if (probs) {
      /* t has input's shape: its sample offset walks its own strides */
      samples_t ts = samples_of(t.d);
      int64_t to = sample_off(&ts, i);
      double acc = 0.0;
      for (int64_t c = 0; c < s.classes; ++c) {
        double p = nn2_get(&t, to + c * ts.cs);
        if (ls > 0.0) p = p * (1.0 - ls) + ls / C;
        double wc = has_w ? nn2_get(&w, c * w.d->strides[0]) : 1.0;
        acc += (nn2_get(&x, xo + c * s.cs) - lse) * p * wc;
      }
      loss = -acc;
      nll_sum += loss;
    } else {
      int64_t c = nn2_geti(&t, elem_off(t.d, i));
      double nll = 0.0, smooth = 0.0;
      if (c != ignore) {
        double wt = has_w ? nn2_get(&w, c * w.d->strides[0]) : 1.0;
        nll = -wt * (nn2_get(&x, xo + c * s.cs) - lse);
        wsum += wt;
        if (ls > 0.0)
          for (int64_t k = 0; k < s.classes; ++k)
            smooth -= (nn2_get(&x, xo + k * s.cs) - lse) * (has_w ? nn2_get(&w, k * w.d->strides[0]) : 1.0);
      }
      nll_sum += nll;
      smooth_sum += smooth;
      loss = ls > 0.0 ? (1.0 - ls) * nll + smooth * (ls / C) : nll;
    }
    if (reduction == RED_NONE) nn2_set(&out, elem_off(out.d, i), loss);
  }
  if (reduction == RED_NONE) return BP_STATUS_OK;
  double r;
  if (probs) {
    r = reduction == RED_MEAN ? nll_sum / (double)s.count : nll_sum;
  } else if (reduction == RED_SUM) {
    r = ls > 0.0 ? (1.0 - ls) * nll_sum + smooth_sum * (ls / C) : nll_sum;
  } else {
    /* torch (1.13 and later): both terms' mean divides by the weight sum
     * of the counted targets, which without weights is the number of
     * targets that are not ignore_index (ignored ones do not count) */
    double nll = nll_sum / wsum;
    double smooth = smooth_sum / wsum;
    r = ls > 0.0 ? (1.0 - ls) * nll + smooth * (ls / C) : nll;
  }
  nn2_set(&out, 0, r);
  return BP_STATUS_OK;
}

/* ---- mse_loss (input and target broadcast) ---- */

static bp_status_t ref_mse_loss(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "mse_loss", 2, 1);
  if (st) return st;
  int64_t reduction = call->attrs[0]->value.i;
  const bp_tensor_desc_t *ad = call->inputs[0], *bd = call->inputs[1];
  nn2_t a = nn2_make(ad), b = nn2_make(bd), out = nn2_make(call->outputs[0]);
  int32_t ndim = ad->ndim > bd->ndim ? ad->ndim : bd->ndim;
  int64_t shape[BP_REF_MAX_DIMS], idx[BP_REF_MAX_DIMS], n = 1;
  for (int32_t i = 0; i < ndim; ++i) {
    int32_t ia = ad->ndim - ndim + i, ib = bd->ndim - ndim + i;
    int64_t sa = ia >= 0 ? ad->shape[ia] : 1, sb = ib >= 0 ? bd->shape[ib] : 1;
    shape[i] = sa != 1 ? sa : sb;
    n *= shape[i];
  }
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    nn2_unravel(i, ndim, shape, idx);
    double d = nn2_get(&a, nn2_bcast_off(ad, ndim, idx)) - nn2_get(&b, nn2_bcast_off(bd, ndim, idx));
    if (reduction == RED_NONE) nn2_set(&out, elem_off(out.d, i), d * d);
    sum += d * d;
  }
  if (reduction != RED_NONE) nn2_set(&out, 0, reduction == RED_MEAN ? sum / (double)n : sum);
  return BP_STATUS_OK;
}

/* ---- binary_cross_entropy_with_logits ---- */

static bp_status_t ref_bce_logits(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "binary_cross_entropy_with_logits", 4, 1);
  if (st) return st;
  int64_t reduction = call->attrs[0]->value.i;
  bool has_w = call->attrs[1]->value.b, has_pw = call->attrs[2]->value.b;
  const bp_tensor_desc_t *xd = call->inputs[0];
  nn2_t x = nn2_make(xd), t = nn2_make(call->inputs[1]), w = nn2_make(call->inputs[2]);
  nn2_t pw = nn2_make(call->inputs[3]), out = nn2_make(call->outputs[0]);
  int64_t idx[BP_REF_MAX_DIMS];
  double sum = 0.0;
  for (int64_t i = 0; i < x.numel; ++i) {
    nn2_unravel(i, xd->ndim, xd->shape, idx);
    double in = nn2_get(&x, nn2_bcast_off(xd, xd->ndim, idx));
    double tg = nn2_get(&t, nn2_bcast_off(t.d, xd->ndim, idx));
    double max_val = -in > 0.0 ? -in : 0.0;
    if (isnan(in)) max_val = NAN;
    double lse = log(exp(-max_val) + exp(-in - max_val)) + max_val;
    double loss;
    if (has_pw) {
      double lw = (nn2_get(&pw, nn2_bcast_off(pw.d, xd->ndim, idx)) - 1.0) * tg + 1.0;
      loss = (1.0 - tg) * in + lw * lse;
    } else {
      loss = (1.0 - tg) * in + lse;
    }
    if (has_w) loss *= nn2_get(&w, nn2_bcast_off(w.d, xd->ndim, idx));
    if (reduction == RED_NONE) nn2_set(&out, elem_off(out.d, i), loss);
    sum += loss;
  }
  if (reduction != RED_NONE) nn2_set(&out, 0, reduction == RED_MEAN ? sum / (double)x.numel : sum);
  return BP_STATUS_OK;
}

/* ---- scaled_dot_product_attention ---- */

static bp_status_t ref_sdpa(const bp_kernel_call_t *call) {
  bp_status_t st = bp_ref_check_call(call, "scaled_dot_product_attention", 4, 1);
  if (st) return st;
  bool causal = call->attrs[0]->value.b, has_mask = call->attrs[3]->value.b;
  double scale = call->attrs[1]->value.f;
  const bp_tensor_desc_t *qd = call->inputs[0], *kd = call->inputs[1], *vd = call->inputs[2];
  const bp_tensor_desc_t *md = call->inputs[3], *od = call->outputs[0];
  nn2_t q = nn2_make(qd), k = nn2_make(kd), v = nn2_make(vd), m = nn2_make(md), o = nn2_make(od);
  if (!o.numel) return BP_STATUS_OK;
  int32_t nb = od->ndim - 2, n = od->ndim;
  int64_t L = od->shape[nb], Ev = od->shape[nb + 1];
  int64_t E = qd->shape[qd->ndim - 1], S = kd->shape[kd->ndim - 2];
  if (scale == 0.0) scale = 1.0 / sqrt((double)E);
  int64_t batches = 1;
  for (int32_t d = 0; d < nb; ++d) batches *= od->shape[d];
  double *p = malloc(sizeof(double) * (size_t)(S + 1));
  if (!p) return bp_ref_fail(call->plugin_ctx, BP_STATUS_OUT_OF_MEMORY, "scaled_dot_product_attention: scratch");
  int64_t qi[BP_REF_MAX_DIMS], ki[BP_REF_MAX_DIMS];
  for (int64_t bi = 0; bi < batches; ++bi) {
    nn2_unravel(bi, nb, od->shape, qi);
    memcpy(ki, qi, sizeof(int64_t) * (size_t)nb);
    for (int64_t l = 0; l < L; ++l) {
      qi[nb] = l;
      double mx = -INFINITY;
      for (int64_t j = 0; j < S; ++j) {
        ki[nb] = j;
        double dot = 0.0;
        for (int64_t e = 0; e < E; ++e) {
          qi[nb + 1] = ki[nb + 1] = e;
          dot += nn2_get(&q, nn2_bcast_off(qd, n, qi)) * nn2_get(&k, nn2_bcast_off(kd, n, ki));
        }
        double sc = dot * scale;
        if (causal && j > l) sc = -INFINITY;
        if (has_mask) {
          ki[nb] = l;
          ki[nb + 1] = j;
          double mv = nn2_get(&m, nn2_bcast_off(md, n, ki));
          if (md->dtype == BP_DTYPE_BOOL) {
            if (mv == 0.0) sc = -INFINITY;
          } else {
            sc += mv;
          }
          ki[nb] = j;
        }
        p[j] = sc;
        if (sc > mx) mx = sc;
      }
      double sum = 0.0;
      for (int64_t j = 0; j < S; ++j) {
        p[j] = exp(p[j] - mx);
        sum += p[j];
      }
      for (int64_t e = 0; e < Ev; ++e) {
        double acc = 0.0;
        for (int64_t j = 0; j < S; ++j) {
          ki[nb] = j;
          ki[nb + 1] = e;
          acc += p[j] / sum * nn2_get(&v, nn2_bcast_off(vd, n, ki));
        }
        qi[nb + 1] = e;
        nn2_set(&o, nn2_bcast_off(od, n, qi), acc);
      }
    }
  }
  free(p);
  return BP_STATUS_OK;
}

#define F(T) BP_DTYPE_##T
#define PER_FLOAT(X) X(BF16) X(F32) X(F64)
#define NLL(T) {"nll_loss", ref_nll_loss, 5, {F(T), F(I64), F(T), F(T), F(T)}},
#define CE(T) {"cross_entropy", ref_cross_entropy, 4, {F(T), F(I64), F(T), F(T)}}, \
              {"cross_entropy", ref_cross_entropy, 4, {F(T), F(T), F(T), F(T)}},
#define BCE(T) {"binary_cross_entropy_with_logits", ref_bce_logits, 5, {F(T), F(T), F(T), F(T), F(T)}},
#define SDPA(T) {"scaled_dot_product_attention", ref_sdpa, 5, {F(T), F(T), F(T), F(T), F(T)}}, \
                {"scaled_dot_product_attention", ref_sdpa, 5, {F(T), F(T), F(T), F(BOOL), F(T)}},
#define MSE(T) {"mse_loss", ref_mse_loss, 3, {F(T), F(T), F(T)}},

static const nn2_reg_t regs[] = {
    PER_FLOAT(NLL) PER_FLOAT(CE) PER_FLOAT(BCE) PER_FLOAT(SDPA) MSE(F16) MSE(F32) MSE(F64)
};

bp_status_t bp_ref_nn2_loss_register(const bp_host_api_t *host) {
  return nn2_register_all(host, regs, sizeof regs / sizeof regs[0]);
}
