/* ref_reduce2.c - reference kernels of the reductions beyond sum: mean,
 * prod, amax, amin, max, min, argmax, argmin, var, std, norm, logsumexp, all,
 * any.
 *
 * Every one gets its outputs in keepdim form (REDUCE form): a dim is reduced
 * when out.shape[d] == 1 and x.shape[d] != 1. One driver walks the output
 * elements; for each, the op's `elem` function walks the reduced sub-tensor
 * of x (row-major, so a running counter is the flat index argmax returns)
 * with RED_FOREACH, as many times as it needs (var and logsumexp take two
 * passes). Elements are read through the generic loaders of ref_dtype.h:
 * floats as exact doubles, bool and integers as int64. Float results are
 * computed in double and rounded once; float sums use ref_fsum_t (bounded
 * error growth). */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"
#include "ref_reduce2_util.h"

typedef enum red_kind {
  RED_MEAN, RED_PROD, RED_AMAX, RED_AMIN, RED_MAX, RED_MIN, RED_ARGMAX, RED_ARGMIN,
  RED_VAR, RED_STD, RED_NORM, RED_LOGSUMEXP, RED_ALL, RED_ANY,
} red_kind_t;

typedef struct red_op {
  const char *name;
  red_kind_t kind;
  int nout;
} red_op_t;

/* What one call's elem functions need. */
typedef struct red_walk {
  const red_op_t *op;
  bool is_float;                 /* x is a float dtype */
  bp_ref_load_f64_fn ldf;        /* x's loader when is_float */
  bp_ref_load_i64_fn ldi;        /* else */
  bp_dtype_t out_dtype[2];
  int64_t n;                     /* elements per reduction (0: empty) */
  double p;                      /* norm */
  int64_t correction;            /* var, std */
  bp_ref_iter_t inner;           /* walks one reduced sub-tensor of x */
} red_walk_t;

static bool red_begin(red_walk_t *w, char *start) {
  if (w->n == 0) return false;
  bp_ref_iter_reset(&w->inner, &start);
  return true;
}

/* Runs the body once per reduced element, with `p` pointing at it. */
#define RED_FOREACH(w, start, p)                                                             \
  for (bool red_go_ = red_begin((w), (start)); red_go_; red_go_ = bp_ref_iter_next(&(w)->inner)) \
    for (int64_t red_j_ = 0; red_j_ < (w)->inner.inner_size; ++red_j_)                        \
      for (const char *p = (w)->inner.ptr[0] + red_j_ * (w)->inner.inner_stride[0]; p; p = NULL)

static void store_f(const red_walk_t *w, int k, char *dst, double v) {
  bp_ref_storer_f64(w->out_dtype[k])(dst, v);
}
static void store_i(const red_walk_t *w, int k, char *dst, int64_t v) {
  bp_ref_storer_i64(w->out_dtype[k])(dst, v);
}

/* ---- the ops, one output element each ---- */

static double fsum_mean(red_walk_t *w, char *start) {
  ref_fsum_t s;
  ref_fsum_init(&s);
  RED_FOREACH(w, start, p) ref_fsum_add(&s, w->ldf(p));
  return ref_fsum_total(&s) / (double)w->n; /* 0/0 = NaN for an empty one */
}

static void elem_mean(red_walk_t *w, char *start, char *const *out) {
  store_f(w, 0, out[0], fsum_mean(w, start));
}

static void elem_prod(red_walk_t *w, char *start, char *const *out) {
  if (w->is_float) {
    double r = 1.0;
    RED_FOREACH(w, start, p) r *= w->ldf(p);
    store_f(w, 0, out[0], r);
  } else {
    uint64_t r = 1; /* wraps like torch's int64 */
    RED_FOREACH(w, start, p) r *= (uint64_t)w->ldi(p);
    store_i(w, 0, out[0], (int64_t)r);
  }
}

/* max/min family: `better(v, m)` says v replaces the running extreme m. The
 * first NaN wins and stays (torch propagates NaN; its index is the first
 * NaN's); on ties the first index stays. */
static void elem_extreme(red_walk_t *w, char *start, char *const *out) {
  red_kind_t k = w->op->kind;
  bool want_max = k == RED_AMAX || k == RED_MAX || k == RED_ARGMAX;
  int64_t idx = 0, best_idx = 0;
  if (w->is_float) {
    double m = 0.0;
    RED_FOREACH(w, start, p) {
      double v = w->ldf(p);
      if (idx == 0 || (!isnan(m) && (isnan(v) || (want_max ? v > m : v < m)))) {
        m = v;
        best_idx = idx;
      }
      ++idx;
    }
    if (k == RED_ARGMAX || k == RED_ARGMIN) {
      store_i(w, 0, out[0], best_idx);
      return;
    }
    store_f(w, 0, out[0], m);
  } else {
    int64_t m = 0;
    RED_FOREACH(w, start, p) {
      int64_t v = w->ldi(p);
      if (idx == 0 || (want_max ? v > m : v < m)) {
        m = v;
        best_idx = idx;
      }
      ++idx;
    }
    if (k == RED_ARGMAX || k == RED_ARGMIN) {
      store_i(w, 0, out[0], best_idx);
      return;
    }
    store_i(w, 0, out[0], m);
  }
  if (k == RED_MAX || k == RED_MIN) store_i(w, 1, out[1], best_idx);
}

/* Two passes: the mean, then the sum of squared deviations (no
 * cancellation); divided by max(0, n - correction): x/0 gives inf or NaN as
 * in torch. */
static void elem_var(red_walk_t *w, char *start, char *const *out) {
  double mean = fsum_mean(w, start);
  ref_fsum_t s;
  ref_fsum_init(&s);
  RED_FOREACH(w, start, p) {
    double d = w->ldf(p) - mean;
    ref_fsum_add(&s, d * d);
  }
  double div = (double)w->n - (double)w->correction;
  if (div < 0.0) div = 0.0;
  double var = ref_fsum_total(&s) / div;
  store_f(w, 0, out[0], w->op->kind == RED_STD ? sqrt(var) : var);
}

static void elem_norm(red_walk_t *w, char *start, char *const *out) {
  double p = w->p, r;
  if (isinf(p)) { /* max |x| or min |x|; NaN propagates */
    bool first = true;
    r = 0.0;
    RED_FOREACH(w, start, q) {
      double a = fabs(w->ldf(q));
      if (first || (!isnan(r) && (isnan(a) || (p > 0 ? a > r : a < r)))) r = a;
      first = false;
    }
  } else {
    ref_fsum_t s;
    ref_fsum_init(&s);
    if (p == 0.0) {
      RED_FOREACH(w, start, q) ref_fsum_add(&s, w->ldf(q) != 0.0 ? 1.0 : 0.0);
      r = ref_fsum_total(&s);
    } else if (p == 1.0) {
      RED_FOREACH(w, start, q) ref_fsum_add(&s, fabs(w->ldf(q)));
      r = ref_fsum_total(&s);
    } else if (p == 2.0) {
      RED_FOREACH(w, start, q) {
        double v = w->ldf(q);
        ref_fsum_add(&s, v * v);
      }
      r = sqrt(ref_fsum_total(&s));
    } else {
      RED_FOREACH(w, start, q) ref_fsum_add(&s, pow(fabs(w->ldf(q)), p));
      r = pow(ref_fsum_total(&s), 1.0 / p);
    }
  }
  store_f(w, 0, out[0], r);
}

/* torch's formula: m = max (NaN propagates), 0 when infinite; then
 * log(sum(exp(x - m))) + m. An empty reduction gives log(0) = -inf. */
static void elem_logsumexp(red_walk_t *w, char *start, char *const *out) {
  double m = -INFINITY;
  RED_FOREACH(w, start, p) {
    double v = w->ldf(p);
    if (!isnan(m) && (isnan(v) || v > m)) m = v;
  }
  if (isinf(m)) m = 0.0;
  ref_fsum_t s;
  ref_fsum_init(&s);
  RED_FOREACH(w, start, p) ref_fsum_add(&s, exp(w->ldf(p) - m));
  store_f(w, 0, out[0], log(ref_fsum_total(&s)) + m);
}

static void elem_all_any(red_walk_t *w, char *start, char *const *out) {
  bool all = w->op->kind == RED_ALL;
  bool r = all; /* all of nothing is true, any of nothing false */
  RED_FOREACH(w, start, p) {
    bool t = w->is_float ? w->ldf(p) != 0.0 : w->ldi(p) != 0; /* NaN is true */
    if (all ? !t : t) r = !all;
  }
  store_i(w, 0, out[0], r ? 1 : 0);
}

typedef void (*red_elem_fn)(red_walk_t *w, char *start, char *const *out);

static red_elem_fn elem_of(red_kind_t k) {
  switch (k) {
    case RED_MEAN: return elem_mean;
    case RED_PROD: return elem_prod;
    case RED_VAR: case RED_STD: return elem_var;
    case RED_NORM: return elem_norm;
    case RED_LOGSUMEXP: return elem_logsumexp;
    case RED_ALL: case RED_ANY: return elem_all_any;
    default: return elem_extreme;
  }
}

/* ---- the driver ---- */

static bp_status_t ref_reduce2(const bp_kernel_call_t *call) {
  const red_op_t *op = call->kernel_data;
  if (op == NULL)
    return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref reduce: no kernel_data");
  bp_status_t status = bp_ref_check_call(call, op->name, 1, (uint32_t)op->nout);
  if (status != BP_STATUS_OK) return status;
  const bp_tensor_desc_t *x = call->inputs[0];
  red_walk_t w;
  w.op = op;
  w.is_float = bp_ref_dtype_is_float(x->dtype);
  w.ldf = w.is_float ? bp_ref_loader_f64(x->dtype) : NULL;
  w.ldi = w.is_float ? NULL : bp_ref_loader_i64(x->dtype);
  w.p = 2.0;
  w.correction = 1;
  const bp_attr_t *a = bp_abi_find_attr(call, "p");
  if (a && a->type == BP_ATTR_FLOAT) w.p = a->value.f;
  a = bp_abi_find_attr(call, "correction");
  if (a && a->type == BP_ATTR_INT) w.correction = a->value.i;

  int64_t inner_shape[BP_REF_MAX_DIMS];
  w.n = 1;
  for (int k = 0; k < op->nout; ++k) {
    const bp_tensor_desc_t *o = call->outputs[k];
    w.out_dtype[k] = o->dtype;
    if (o->ndim != x->ndim)
      return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                         "ref %s: out %d has rank %d, x has %d", op->name, k, (int)o->ndim,
                         (int)x->ndim);
    for (int32_t d = 0; d < x->ndim; ++d)
      if (o->shape[d] != x->shape[d] && o->shape[d] != 1)
        return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                           "ref %s: dim %d: out has %lld, x has %lld", op->name, (int)d,
                           (long long)o->shape[d], (long long)x->shape[d]);
  }
  for (int32_t d = 0; d < x->ndim; ++d) {
    inner_shape[d] = call->outputs[0]->shape[d] == x->shape[d] ? 1 : x->shape[d];
    w.n *= inner_shape[d];
  }
  const bp_tensor_desc_t *out0 = call->outputs[0];
  if (bp_ref_numel(out0) == 0) return BP_STATUS_OK;
  red_elem_fn elem = elem_of(op->kind);
  size_t xsize = bp_abi_dtype_size(x->dtype);

  /* outer walks the outputs' elements with the matching start in x (x is
   * left out when it is empty: nothing to point at). */
  char *base[3];
  const int64_t *strides[3];
  size_t sizes[3];
  int nops = 0;
  for (int k = 0; k < op->nout; ++k) {
    base[nops] = bp_ref_base(call->outputs[k]);
    strides[nops] = call->outputs[k]->strides;
    sizes[nops++] = bp_abi_dtype_size(call->outputs[k]->dtype);
  }
  bool has_x = w.n > 0;
  if (has_x) {
    base[nops] = bp_ref_base(x);
    strides[nops] = x->strides;
    sizes[nops++] = xsize;
    bp_ref_iter_init(&w.inner, x->ndim, inner_shape, 1, &base[op->nout], &x->strides, &xsize);
  }
  bp_ref_iter_t outer;
  bp_ref_iter_init(&outer, out0->ndim, out0->shape, nops, base, strides, sizes);
  do {
    for (int64_t i = 0; i < outer.inner_size; ++i) {
      char *o[2] = {NULL, NULL};
      for (int k = 0; k < op->nout; ++k) o[k] = outer.ptr[k] + i * outer.inner_stride[k];
      char *start = has_x ? outer.ptr[op->nout] + i * outer.inner_stride[op->nout] : NULL;
      elem(&w, start, o);
    }
  } while (bp_ref_iter_next(&outer));
  return BP_STATUS_OK;
}

/* ---- registration ---- */

static const red_op_t OPS[] = {
    {"mean", RED_MEAN, 1},     {"prod", RED_PROD, 1},     {"amax", RED_AMAX, 1},
    {"amin", RED_AMIN, 1},     {"max", RED_MAX, 2},       {"min", RED_MIN, 2},
    {"argmax", RED_ARGMAX, 1}, {"argmin", RED_ARGMIN, 1}, {"var", RED_VAR, 1},
    {"std", RED_STD, 1},       {"norm", RED_NORM, 1},     {"logsumexp", RED_LOGSUMEXP, 1},
    {"all", RED_ALL, 1},       {"any", RED_ANY, 1},
};

#define T_ALL(X) X(BOOL) X(U8) X(I8) X(I32) X(I64) X(F16) X(BF16) X(F32) X(F64)
/* (T, T) for every dtype; (T, T, i64); (T, i64); (T, bool) or (u8, u8). */
#define SIG_SAME(T) {BP_DTYPE_##T, BP_DTYPE_##T},
#define SIG_IDX2(T) {BP_DTYPE_##T, BP_DTYPE_##T, BP_DTYPE_I64},
#define SIG_IDX1(T) {BP_DTYPE_##T, BP_DTYPE_I64},
#define SIG_BOOL(T) {BP_DTYPE_##T, BP_DTYPE_##T == BP_DTYPE_U8 ? BP_DTYPE_U8 : BP_DTYPE_BOOL},
static const bp_dtype_t SAME[][2] = {T_ALL(SIG_SAME)};
static const bp_dtype_t IDX2[][3] = {T_ALL(SIG_IDX2)};
static const bp_dtype_t IDX1[][2] = {T_ALL(SIG_IDX1)};
static const bp_dtype_t TO_BOOL[][2] = {T_ALL(SIG_BOOL)};
#undef SIG_SAME
#undef SIG_IDX2
#undef SIG_IDX1
#undef SIG_BOOL
#undef T_ALL
enum { N_DT = 9 };

static bool is_float_dt(bp_dtype_t d) { return bp_ref_dtype_is_float(d); }

bp_status_t bp_ref_reduce2_register(const bp_host_api_t *host) {
  bp_status_t scan_status = bp_ref_reduce2_scan_register(host);
  if (scan_status != BP_STATUS_OK) return scan_status;
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; ++i) {
    const red_op_t *op = &OPS[i];
    for (int t = 0; t < N_DT; ++t) {
      bp_dtype_t dt = SAME[t][0];
      const bp_dtype_t *sig = SAME[t];
      uint32_t n = 2;
      switch (op->kind) {
        case RED_MEAN: case RED_VAR: case RED_STD: case RED_NORM: case RED_LOGSUMEXP:
          if (!is_float_dt(dt)) continue;
          break;
        case RED_PROD:
          if (!is_float_dt(dt) && dt != BP_DTYPE_I64) continue;
          break;
        case RED_MAX: case RED_MIN:
          sig = IDX2[t];
          n = 3;
          break;
        case RED_ARGMAX: case RED_ARGMIN:
          if (dt == BP_DTYPE_BOOL) continue;
          sig = IDX1[t];
          break;
        case RED_ALL: case RED_ANY:
          sig = TO_BOOL[t];
          break;
        default: break;
      }
      bp_status_t status = bp_ref_register(host, op->name, sig, n, ref_reduce2, op);
      if (status != BP_STATUS_OK) return status;
    }
  }
  return BP_STATUS_OK;
}
