/* conf_compare.c - the tolerance table and the element comparison.
 *
 * The table (docs/conformance.md, "Tolerances", explains each row):
 *
 *   op                 dtype             rule
 *   fill, copy         any               exact
 *   add sub mul        bool, integers    exact (integers wrap)
 *   sum, matmul        i64 / integers    exact (integers wrap)
 *   mul div            f16 bf16 f32 f64  |d| <= min_normal + 2 eps |ref|
 *   add sub            f16 bf16 f32 f64  |d| <= min_normal + 2 eps mag
 *   sum, matmul        f16 bf16 f32 f64  |d| <= (k+1) min_normal
 *                                              + (k eps_acc + 2 eps) mag
 *
 * eps is the dtype's machine epsilon (2^-10, 2^-7, 2^-23, 2^-52); eps_acc
 * that of the accumulator Backplane requires (f32 for f16/bf16, else the
 * dtype); k the number of terms summed per output element; mag the same op
 * run on the reference with |inputs| (for sub: add), a bound on the sizes of
 * the terms, so a result that cancels is judged against what it summed.
 * A NaN must meet a NaN and an infinity the same infinity, everywhere. */
#include <math.h>
#include <string.h>

#include "conf_ops.h"

/* The table: one row per op (float outputs; bool and integer outputs are
 * always bit-exact). Ops without a row: TOL_ACC_REL with k terms, the
 * loosest rule, so a new catalog op is checked before it gets its row. */
typedef enum tol_class {
  TOL_EXACT = 1, /* bit-exact: copies, selections, comparisons, random streams */
  TOL_ELEM,      /* one rounding, or a few ulp of a math library */
  TOL_ADDLIKE,   /* ulps of the sizes of the terms (mag op), not of the result */
  TOL_ACC,       /* k terms summed: k eps_acc of the op on |inputs| */
  TOL_ACC_REL,   /* k terms through exp/log/sqrt: k eps_acc of |result|, also absolute */
} tol_class_t;

typedef struct tol_row {
  const char *op;
  tol_class_t cls;
  double ulps;    /* rtol = ulps * eps (TOL_ELEM, TOL_ADDLIKE); extra ulps (TOL_ACC*) */
  double abs_eps; /* TOL_ELEM: atol += abs_eps * eps (bounded functions near their zeros) */
  const char *mag_op; /* TOL_ADDLIKE: the op run on |inputs| for the size of the terms */
} tol_row_t;

static const tol_row_t rows[] = {
    /* bit-exact */
    {"fill", TOL_EXACT, 0, 0, NULL}, {"copy", TOL_EXACT, 0, 0, NULL}, {"neg", TOL_EXACT, 0, 0, NULL}, {"abs", TOL_EXACT, 0, 0, NULL},
    {"sign", TOL_EXACT, 0, 0, NULL}, {"relu", TOL_EXACT, 0, 0, NULL}, {"floor", TOL_EXACT, 0, 0, NULL}, {"ceil", TOL_EXACT, 0, 0, NULL},
    {"trunc", TOL_EXACT, 0, 0, NULL}, {"clamp", TOL_EXACT, 0, 0, NULL}, {"where", TOL_EXACT, 0, 0, NULL}, {"maximum", TOL_EXACT, 0, 0, NULL},
    {"minimum", TOL_EXACT, 0, 0, NULL}, {"amax", TOL_EXACT, 0, 0, NULL}, {"amin", TOL_EXACT, 0, 0, NULL}, {"max", TOL_EXACT, 0, 0, NULL},
    {"min", TOL_EXACT, 0, 0, NULL}, {"tril", TOL_EXACT, 0, 0, NULL}, {"triu", TOL_EXACT, 0, 0, NULL}, {"pad", TOL_EXACT, 0, 0, NULL},
    {"embedding", TOL_EXACT, 0, 0, NULL}, {"gather", TOL_EXACT, 0, 0, NULL}, {"index_select", TOL_EXACT, 0, 0, NULL},
    {"max_pool2d", TOL_EXACT, 0, 0, NULL}, {"uniform", TOL_EXACT, 0, 0, NULL}, {"bernoulli", TOL_EXACT, 0, 0, NULL},
    {"dropout", TOL_EXACT, 0, 0, NULL},
    /* one rounding (2 ulp: computed in f32 and rounded again, or fused) */
    {"mul", TOL_ELEM, 2, 0, NULL}, {"div", TOL_ELEM, 2, 0, NULL}, {"sqrt", TOL_ELEM, 2, 0, NULL}, {"rsqrt", TOL_ELEM, 2, 0, NULL},
    {"reciprocal", TOL_ELEM, 2, 0, NULL}, {"round", TOL_ELEM, 2, 0, NULL}, {"arange", TOL_ELEM, 2, 0, NULL},
    {"leaky_relu", TOL_ELEM, 2, 0, NULL},
    /* math library functions: 4 ulp; bounded ones also 2 eps absolute */
    {"exp", TOL_ELEM, 4, 0, NULL}, {"log", TOL_ELEM, 4, 0, NULL}, {"log1p", TOL_ELEM, 4, 0, NULL}, {"expm1", TOL_ELEM, 4, 0, NULL},
    {"pow", TOL_ELEM, 4, 0, NULL}, {"elu", TOL_ELEM, 4, 0, NULL}, {"softplus", TOL_ELEM, 4, 0, NULL},
    {"sin", TOL_ELEM, 4, 2, NULL}, {"cos", TOL_ELEM, 4, 2, NULL}, {"tanh", TOL_ELEM, 4, 2, NULL},
    {"sigmoid", TOL_ELEM, 4, 2, NULL}, {"erf", TOL_ELEM, 4, 2, NULL}, {"gelu", TOL_ELEM, 4, 2, NULL},
    {"silu", TOL_ELEM, 4, 2, NULL}, {"atan2", TOL_ELEM, 4, 2, NULL},
    /* Box-Muller in f64 through log, sqrt, cos, sin: libraries differ in the last bit */
    {"normal", TOL_ELEM, 2, 4, NULL},
    /* judged against the sizes of the terms */
    {"add", TOL_ADDLIKE, 2, 0, "add"}, {"sub", TOL_ADDLIKE, 2, 0, "add"},
    {"remainder", TOL_ADDLIKE, 2, 0, "add"},
    /* sums of k terms */
    {"sum", TOL_ACC, 0, 0, NULL}, {"matmul", TOL_ACC, 0, 0, NULL}, {"bmm", TOL_ACC, 0, 0, NULL}, {"linear", TOL_ACC, 0, 0, NULL},
    {"conv1d", TOL_ACC, 0, 0, NULL}, {"conv2d", TOL_ACC, 0, 0, NULL}, {"conv_transpose2d", TOL_ACC, 0, 0, NULL},
    {"mean", TOL_ACC, 0, 0, NULL}, {"prod", TOL_ACC, 0, 0, NULL}, {"cumsum", TOL_ACC, 0, 0, NULL}, {"cumprod", TOL_ACC, 0, 0, NULL},
    {"norm", TOL_ACC, 4, 0, NULL}, {"avg_pool2d", TOL_ACC, 0, 0, NULL}, {"adaptive_avg_pool2d", TOL_ACC, 0, 0, NULL},
    {"scatter_add", TOL_ACC, 0, 0, NULL},
    /* sums through exp, log, sqrt, divisions: relative to the result and absolute */
    {"var", TOL_ACC_REL, 4, 0, NULL}, {"std", TOL_ACC_REL, 4, 0, NULL}, {"logsumexp", TOL_ACC_REL, 4, 0, NULL},
    {"softmax", TOL_ACC_REL, 4, 0, NULL}, {"log_softmax", TOL_ACC_REL, 4, 0, NULL},
    {"batch_norm", TOL_ACC_REL, 4, 0, NULL}, {"layer_norm", TOL_ACC_REL, 4, 0, NULL},
    {"group_norm", TOL_ACC_REL, 4, 0, NULL}, {"rms_norm", TOL_ACC_REL, 4, 0, NULL},
    {"nll_loss", TOL_ACC_REL, 4, 0, NULL}, {"cross_entropy", TOL_ACC_REL, 4, 0, NULL},
    {"mse_loss", TOL_ACC_REL, 4, 0, NULL}, {"binary_cross_entropy_with_logits", TOL_ACC_REL, 4, 0, NULL},
    {"scaled_dot_product_attention", TOL_ACC_REL, 4, 0, NULL},
    /* backward ops. Sums of products (k: the longest sum, e.g. N*OH*OW for
     * conv2d's grad_weight), judged against the op on |inputs|; pooling and
     * embedding gradients are sums of grad_output terms in any order */
    {"conv2d_backward", TOL_ACC, 0, 0, NULL}, {"max_pool2d_backward", TOL_ACC, 0, 0, NULL},
    {"avg_pool2d_backward", TOL_ACC, 0, 0, NULL}, {"adaptive_avg_pool2d_backward", TOL_ACC, 0, 0, NULL},
    {"embedding_backward", TOL_ACC, 0, 0, NULL},
    /* reductions that cancel (sum(dy * xhat), sum(dy * y)) through rstd and
     * exp: relative to the result and absolute, like their forwards */
    {"layer_norm_backward", TOL_ACC_REL, 4, 0, NULL}, {"batch_norm_backward", TOL_ACC_REL, 4, 0, NULL},
    {"group_norm_backward", TOL_ACC_REL, 4, 0, NULL}, {"softmax_backward", TOL_ACC_REL, 4, 0, NULL},
    {"log_softmax_backward", TOL_ACC_REL, 4, 0, NULL},
    /* dy * (cdf + x pdf): two math-library functions, a product and a sum
     * that cancels near x = -0.75: 8 ulp and 8 eps absolute */
    {"gelu_backward", TOL_ELEM, 8, 8, NULL},
    /* a few roundings per element (decay, momentum, lr * update), and
     * param - lr * update cancels: relative and absolute. adamw adds a sqrt,
     * a division and the bias corrections */
    {"sgd_step", TOL_ACC_REL, 4, 0, NULL}, {"adamw_step", TOL_ACC_REL, 8, 0, NULL},
};

static const tol_row_t *row_of(const conf_op_info_t *op) {
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i)
    if (!strcmp(rows[i].op, op->name)) return &rows[i];
  return NULL;
}

const char *conf_tolerance_mag_op(const conf_op_info_t *op) {
  const tol_row_t *row = row_of(op);
  return row ? row->mag_op : NULL;
}

const char *conf_tolerance_class(const conf_op_info_t *op) {
  const tol_row_t *row = row_of(op);
  switch (row ? row->cls : TOL_ACC_REL) {
    case TOL_EXACT: return "exact";
    case TOL_ELEM: return "ulp";
    case TOL_ADDLIKE: return "ulp of the terms";
    case TOL_ACC: return "k-term sum";
    default: return "k-term, relative and absolute";
  }
}

conf_tol_t conf_tolerance(const conf_op_info_t *op, bp_dtype_t out, int64_t k) {
  conf_tol_t t = {.exact = true, .deterministic = true};
  const tol_row_t *row = row_of(op);
  tol_class_t cls = row ? row->cls : TOL_ACC_REL;
  if (cls == TOL_EXACT || !conf_dtype_is_float(out)) return t;
  t.exact = false;
  double eps = conf_dtype_eps(out), tiny = conf_dtype_min_normal(out);
  double ulps = row ? row->ulps : 4;
  if (k < 1) k = 1;
  double eps_acc = (out == BP_DTYPE_F16 || out == BP_DTYPE_BF16) ? conf_dtype_eps(BP_DTYPE_F32) : eps;
  switch (cls) {
    case TOL_ELEM:
      t.rtol = ulps * eps;
      t.atol = tiny + (row ? row->abs_eps : 0) * eps;
      break;
    case TOL_ADDLIKE:
      /* a + alpha*b may round alpha*b first or not (FMA), so the error is
       * relative to |a| + |alpha*b|, not to a result that cancels. */
      t.rtol = ulps * eps;
      t.atol = tiny;
      t.use_mag = true;
      break;
    case TOL_ACC:
      t.rtol = (double)k * eps_acc + (2 + ulps) * eps;
      t.atol = (double)(k + 1) * tiny;
      t.use_mag = true;
      break;
    default:
      t.rtol = (double)k * eps_acc + (2 + ulps) * eps;
      t.atol = t.rtol;
      break;
  }
  return t;
}

static bool bits_equal(const unsigned char *a, const unsigned char *b, size_t size) {
  return memcmp(a, b, size) == 0;
}

size_t conf_compare(bp_dtype_t dtype, const unsigned char *got, const int64_t *got_offsets,
                    const unsigned char *ref, const unsigned char *mag, size_t n,
                    const conf_tol_t *tol, conf_result_t *r) {
  size_t size = conf_dtype_size(dtype);
  bool is_float = conf_dtype_is_float(dtype);
  size_t bad = 0, first_bad = 0;
  double first_got = 0, first_ref = 0;
  r->compared = 1;
  r->exact = tol->exact;
  r->rtol = tol->rtol;
  r->atol = tol->atol;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char *g = got + got_offsets[i];
    const unsigned char *e = ref + i * size;
    bool ok;
    double gv = conf_load_f64(dtype, g), ev = conf_load_f64(dtype, e);
    double err = 0, ratio = 0;
    if (is_float && (isnan(gv) || isnan(ev))) {
      ok = isnan(gv) && isnan(ev);
      err = ok ? 0 : INFINITY;
    } else if (tol->exact) {
      ok = bits_equal(g, e, size);
      if (!is_float) {
        int64_t gi = conf_load_i64(dtype, g), ei = conf_load_i64(dtype, e);
        err = fabs((double)gi - (double)ei);
        if (dtype == BP_DTYPE_BOOL && (g[0] > 1)) ok = false, err = INFINITY;
      } else {
        err = gv == ev ? 0 : fabs(gv - ev);
        if (!ok && err == 0) err = 0x1p-1074; /* -0.0 vs +0.0 */
      }
    } else if (isinf(ev) || isinf(gv)) {
      double m = mag ? conf_load_f64(dtype, mag + i * size) : fabs(ev);
      ok = gv == ev || (isinf(m) && !isinf(ev) && !isnan(gv));
      err = gv == ev ? 0 : INFINITY;
    } else {
      double m = mag ? conf_load_f64(dtype, mag + i * size) : fabs(ev);
      double allowed = tol->atol + tol->rtol * fabs(m);
      err = fabs(gv - ev);
      ratio = allowed > 0 ? err / allowed : (err > 0 ? INFINITY : 0);
      ok = err <= allowed || isinf(allowed);
    }
    if (!ok && isfinite(err) && ratio == 0) ratio = INFINITY;
    if (err > r->max_error || (isnan(r->max_error))) r->max_error = err;
    if (ratio > r->error_ratio) r->error_ratio = ratio;
    if (!ok) {
      if (!bad) {
        first_bad = i;
        first_got = gv;
        first_ref = ev;
      }
      ++bad;
    }
  }
  if (bad) {
    if (tol->exact)
      conf_fail(r, "%zu of %zu elements differ from the reference (bit-exact); first at element "
                   "%zu: got %.9g, expected %.9g",
                bad, n, first_bad, first_got, first_ref);
    else
      conf_fail(r, "%zu of %zu elements out of tolerance (rtol %.3g, atol %.3g); first at element "
                   "%zu: got %.9g, expected %.9g; max error %.3g",
                bad, n, tol->rtol, tol->atol, first_bad, first_got, first_ref, r->max_error);
  }
  return bad;
}

size_t conf_edge_values(bp_dtype_t d, bool reduce_safe, double *out, size_t cap) {
  double dn = conf_dtype_denorm_min(d), mn = conf_dtype_min_normal(d), mx = conf_dtype_max(d);
  double all[] = {0.0, -0.0, 1.0, -1.0, 0.5, -3.0, NAN, INFINITY, -INFINITY, dn, -dn, mn,
                  mx, -mx, 300.75, -1.5, 1e10};
  double safe[] = {0.0, -0.0, 1.0, -1.0, 0.5, NAN, INFINITY, -INFINITY, dn, mn};
  const double *src = reduce_safe ? safe : all;
  size_t n = reduce_safe ? sizeof(safe) / sizeof(safe[0]) : sizeof(all) / sizeof(all[0]);
  if (n > cap) n = cap;
  memcpy(out, src, n * sizeof(double));
  return n;
}

size_t conf_edge_ints(bp_dtype_t d, int64_t *out, size_t cap) {
  int64_t v[8];
  size_t n = 0;
  switch (d) {
    case BP_DTYPE_BOOL: v[n++] = 0; v[n++] = 1; break;
    case BP_DTYPE_U8: v[n++] = 0; v[n++] = 255; v[n++] = 1; v[n++] = 128; v[n++] = 127; break;
    case BP_DTYPE_I8:
      v[n++] = -128; v[n++] = 127; v[n++] = 0; v[n++] = 1; v[n++] = -1; v[n++] = 2;
      break;
    case BP_DTYPE_I32:
      v[n++] = INT32_MIN; v[n++] = INT32_MAX; v[n++] = 0; v[n++] = 1; v[n++] = -1;
      v[n++] = 65536;
      break;
    default:
      v[n++] = INT64_MIN; v[n++] = INT64_MAX; v[n++] = 0; v[n++] = 1; v[n++] = -1;
      v[n++] = (int64_t)1 << 32;
      break;
  }
  if (n > cap) n = cap;
  memcpy(out, v, n * sizeof(int64_t));
  return n;
}
