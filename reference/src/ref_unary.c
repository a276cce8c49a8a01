/* ref_unary.c - reference kernels of the unary elementwise ops.
 *
 * One kernel walks any strided input/output pair (contiguous runs get a
 * plain loop); the op supplies one scalar function per dtype class, chosen
 * once per call:
 *   f32: float math (expf, logf, ...), as PyTorch computes f32; f16 and
 *        bf16 also compute in float and round once;
 *   f64: double math;
 *   int: on int64_t, the result truncated to the dtype's width (neg and abs
 *        wrap: computed in uint64_t, no signed-overflow UB);
 *   predicates (logical_not, isnan, isinf): any dtype in, bool out.
 * Integer inputs of float functions (exp, sin, ...) arrive already cast to
 * f32 by the dispatcher, so those ops only have float kernels. */
#include <math.h>
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"

/* Attributes of one call, in the forms the scalar functions use. */
typedef struct un_params {
  float a32, b32;   /* negative_slope / alpha / beta, threshold */
  double a64, b64;
  int64_t mode;     /* gelu approximate; round: decimals != 0 */
  /* clamp: bounds (float forms; integer forms already wrapped to the dtype) */
  bool has_min, has_max;
  float min32, max32;
  double min64, max64;
  int64_t imin, imax;
  /* round with decimals: 10^|decimals| and whether decimals < 0 */
  float pow32;
  double pow64;
  bool neg_decimals;
} un_params_t;

typedef float (*un_f32_fn)(float x, const un_params_t *p);
typedef double (*un_f64_fn)(double x, const un_params_t *p);
typedef int64_t (*un_int_fn)(int64_t x, const un_params_t *p);
typedef bool (*un_predf_fn)(double x);
typedef bool (*un_predi_fn)(int64_t x);

typedef struct ref_unary_op {
  const char *name;
  un_f32_fn f32;    /* float kernels (f16, bf16, f32) or NULL */
  un_f64_fn f64;    /* f64 kernel or NULL */
  un_int_fn i64;    /* u8, i8, i32, i64 kernels or NULL */
  bool takes_bool;  /* i64 also registered for bool (sign) */
  un_predf_fn predf; /* predicates: float inputs ... */
  un_predi_fn predi; /* ... and integer/bool inputs */
} ref_unary_op_t;

/* ---- scalar functions ---- */

/* FN(name, float expression, double expression) of x and p. */
#define FN(name, E32, E64)                                                          \
  static float name##_f32(float x, const un_params_t *p) { (void)p; return (E32); } \
  static double name##_f64(double x, const un_params_t *p) { (void)p; return (E64); }
#define IFN(name, E)                                                                \
  static int64_t name##_int(int64_t x, const un_params_t *p) { (void)p; return (E); }

FN(neg, -x, -x)
IFN(neg, (int64_t)(0u - (uint64_t)x))
FN(abs, fabsf(x), fabs(x))
IFN(abs, x < 0 ? (int64_t)(0u - (uint64_t)x) : x)
/* sign(NaN) = 0 and sign(-0.0) = 0, as torch. */
FN(sign, (float)((x > 0) - (x < 0)), (double)((x > 0) - (x < 0)))
IFN(sign, (x > 0) - (x < 0))
FN(exp, expf(x), exp(x))
FN(log, logf(x), log(x))
FN(log1p, log1pf(x), log1p(x))
FN(expm1, expm1f(x), expm1(x))
FN(sqrt, sqrtf(x), sqrt(x))
FN(rsqrt, 1.0f / sqrtf(x), 1.0 / sqrt(x))
FN(reciprocal, 1.0f / x, 1.0 / x)
FN(sin, sinf(x), sin(x))
FN(cos, cosf(x), cos(x))
FN(tanh, tanhf(x), tanh(x))
FN(sigmoid, 1.0f / (1.0f + expf(-x)), 1.0 / (1.0 + exp(-x)))
/* x < 0 ? 0 : x keeps NaN and -0.0, as torch's clamp_min(x, 0). */
FN(relu, x < 0 ? 0.0f : x, x < 0 ? 0.0 : x)
IFN(relu, x < 0 ? 0 : x)
FN(leaky_relu, x > 0 ? x : x * p->a32, x > 0 ? x : x * p->a64)
FN(elu, x > 0 ? x : p->a32 * expm1f(x), x > 0 ? x : p->a64 * expm1(x))
FN(silu, x / (1.0f + expf(-x)), x / (1.0 + exp(-x)))
FN(softplus, x * p->a32 > p->b32 ? x : log1pf(expf(x * p->a32)) / p->a32,
   x * p->a64 > p->b64 ? x : log1p(exp(x * p->a64)) / p->a64)
FN(erf, erff(x), erf(x))
FN(floor, floorf(x), floor(x))
FN(ceil, ceilf(x), ceil(x))
FN(trunc, truncf(x), trunc(x))
IFN(identity, x) /* floor, ceil, round, trunc of integers */

/* gelu: exact x/2 (1 + erf(x / sqrt 2)), or with tanh:
 * x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as torch writes them. */
#define GELU_SQRT1_2 0.70710678118654752440 /* 1 / sqrt(2) */
#define GELU_BETA 0.79788456080286535588  /* sqrt(2 / pi) */
#define GELU_KAPPA 0.044715
static float gelu_f32(float x, const un_params_t *p) {
  if (p->mode == 0) return x * 0.5f * (1.0f + erff(x * (float)GELU_SQRT1_2));
  float inner = (float)GELU_BETA * (x + (float)GELU_KAPPA * (x * x * x));
  return 0.5f * x * (1.0f + tanhf(inner));
}
static double gelu_f64(double x, const un_params_t *p) {
  if (p->mode == 0) return x * 0.5 * (1.0 + erf(x * GELU_SQRT1_2));
  double inner = GELU_BETA * (x + GELU_KAPPA * (x * x * x));
  return 0.5 * x * (1.0 + tanh(inner));
}

/* round: half to even (nearbyint in the default rounding mode); with
 * decimals, x * 10^d rounded then divided (d < 0: x / 10^-d, then times),
 * in the dtype's math type, as torch. */
static float round_f32(float x, const un_params_t *p) {
  if (p->mode == 0) return nearbyintf(x);
  return p->neg_decimals ? nearbyintf(x / p->pow32) * p->pow32 : nearbyintf(x * p->pow32) / p->pow32;
}
static double round_f64(double x, const un_params_t *p) {
  if (p->mode == 0) return nearbyint(x);
  return p->neg_decimals ? nearbyint(x / p->pow64) * p->pow64 : nearbyint(x * p->pow64) / p->pow64;
}

/* clamp: NaN stays NaN; min > max gives max; a NaN bound is ignored (torch's
 * vectorized CPU kernel). */
static float clamp_f32(float x, const un_params_t *p) {
  if (p->has_min && x < p->min32) x = p->min32;
  if (p->has_max && x > p->max32) x = p->max32;
  return x;
}
static double clamp_f64(double x, const un_params_t *p) {
  if (p->has_min && x < p->min64) x = p->min64;
  if (p->has_max && x > p->max64) x = p->max64;
  return x;
}
static int64_t clamp_int(int64_t x, const un_params_t *p) {
  if (p->has_min && x < p->imin) x = p->imin;
  if (p->has_max && x > p->imax) x = p->imax;
  return x;
}

static bool not_f(double x) { return x == 0; }
static bool not_i(int64_t x) { return x == 0; }
static bool isnan_f(double x) { return isnan(x); }
static bool isinf_f(double x) { return isinf(x); }
static bool false_i(int64_t x) { (void)x; return false; }

#undef FN
#undef IFN

#define FLOAT_OP(name) {#name, name##_f32, name##_f64, NULL, false, NULL, NULL}
#define NUMERIC_OP(name, ifn) {#name, name##_f32, name##_f64, ifn##_int, false, NULL, NULL}

static const ref_unary_op_t unary_ops[] = {
    NUMERIC_OP(neg, neg),
    NUMERIC_OP(abs, abs),
    {"sign", sign_f32, sign_f64, sign_int, true, NULL, NULL},
    FLOAT_OP(exp),
    FLOAT_OP(log),
    FLOAT_OP(log1p),
    FLOAT_OP(expm1),
    FLOAT_OP(sqrt),
    FLOAT_OP(rsqrt),
    FLOAT_OP(reciprocal),
    FLOAT_OP(sin),
    FLOAT_OP(cos),
    FLOAT_OP(tanh),
    FLOAT_OP(sigmoid),
    NUMERIC_OP(relu, relu),
    FLOAT_OP(leaky_relu),
    FLOAT_OP(elu),
    FLOAT_OP(gelu),
    FLOAT_OP(silu),
    FLOAT_OP(softplus),
    FLOAT_OP(erf),
    NUMERIC_OP(floor, identity),
    NUMERIC_OP(ceil, identity),
    NUMERIC_OP(round, identity),
    NUMERIC_OP(trunc, identity),
    NUMERIC_OP(clamp, clamp),
    {"logical_not", NULL, NULL, NULL, false, not_f, not_i},
    {"isnan", NULL, NULL, NULL, false, isnan_f, false_i},
    {"isinf", NULL, NULL, NULL, false, isinf_f, false_i},
};

#undef FLOAT_OP
#undef NUMERIC_OP

/* ---- attributes ---- */

static double attr_f(const bp_kernel_call_t *call, const char *name, double def) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_FLOAT ? a->value.f : def;
}
static int64_t attr_i(const bp_kernel_call_t *call, const char *name) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_INT ? a->value.i : 0;
}
static bool attr_b(const bp_kernel_call_t *call, const char *name) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a && a->type == BP_ATTR_BOOL && a->value.b;
}

/* An integral bound converted to the dtype as torch converts a scalar:
 * through int64, keeping the low bits (u8 min -5 is 251). */
static int64_t wrap_bound(double v, bp_dtype_t dt) {
  int64_t i = bp_ref_f64_to_i64(v);
  switch (dt) {
    case BP_DTYPE_U8: return (uint8_t)(uint64_t)i;
    case BP_DTYPE_I8: return (int8_t)(uint8_t)(uint64_t)i;
    case BP_DTYPE_I32: return (int32_t)(uint32_t)(uint64_t)i;
    default: return i;
  }
}

static void read_params(const bp_kernel_call_t *call, const ref_unary_op_t *op, bp_dtype_t dt,
                        un_params_t *p) {
  memset(p, 0, sizeof *p); /* absent attributes take torch's defaults below */
  const char *name = op->name;
  if (!strcmp(name, "leaky_relu")) {
    p->a64 = attr_f(call, "negative_slope", 0.01);
  } else if (!strcmp(name, "elu")) {
    p->a64 = attr_f(call, "alpha", 1.0);
  } else if (!strcmp(name, "softplus")) {
    p->a64 = attr_f(call, "beta", 1.0);
    p->b64 = attr_f(call, "threshold", 20.0);
  } else if (!strcmp(name, "gelu")) {
    p->mode = attr_i(call, "approximate");
  } else if (!strcmp(name, "round")) {
    int64_t d = attr_i(call, "decimals");
    p->mode = d != 0;
    p->neg_decimals = d < 0;
    p->pow64 = pow(10.0, (double)(d < 0 ? -d : d));
    p->pow32 = (float)p->pow64;
  } else if (!strcmp(name, "clamp")) {
    p->has_min = attr_b(call, "has_min");
    p->has_max = attr_b(call, "has_max");
    p->min64 = attr_f(call, "min", 0.0);
    p->max64 = attr_f(call, "max", 0.0);
    p->min32 = (float)p->min64;
    p->max32 = (float)p->max64;
    if (!bp_ref_dtype_is_float(dt)) {
      p->imin = p->has_min ? wrap_bound(p->min64, dt) : 0;
      p->imax = p->has_max ? wrap_bound(p->max64, dt) : 0;
    }
  }
  p->a32 = (float)p->a64;
  p->b32 = (float)p->b64;
}

/* ---- rows ---- */

/* out[i] = EXPR(x) for n elements, x read as TI, out written as TO;
 * strides in bytes; a plain loop when both are contiguous. */
#define UN_LOOP(TI, TO, EXPR)                                                   \
  do {                                                                          \
    if (so == (int64_t)sizeof(TO) && sa == (int64_t)sizeof(TI)) {               \
      TO *po = (TO *)(void *)o;                                                 \
      const TI *pa = (const TI *)(const void *)a;                               \
      for (int64_t i = 0; i < n; ++i) { const TI x = pa[i]; po[i] = (EXPR); }   \
    } else {                                                                    \
      for (int64_t i = 0; i < n; ++i) {                                         \
        const TI x = *(const TI *)(const void *)(a + i * sa);                   \
        *(TO *)(void *)(o + i * so) = (EXPR);                                   \
      }                                                                         \
    }                                                                           \
  } while (0)

typedef struct un_row_ctx {
  const ref_unary_op_t *op;
  bp_dtype_t dtype; /* input dtype */
  const un_params_t *p;
} un_row_ctx_t;

static void unary_row(const un_row_ctx_t *c, char *o, const char *a, int64_t n, int64_t so,
                      int64_t sa) {
  const un_params_t *p = c->p;
  const un_f32_fn f = c->op->f32;
  const un_f64_fn d = c->op->f64;
  const un_int_fn g = c->op->i64;
  switch (c->dtype) {
    case BP_DTYPE_F16: UN_LOOP(uint16_t, uint16_t, bp_ref_f32_to_f16(f(bp_ref_f16_to_f32(x), p))); break;
    case BP_DTYPE_BF16: UN_LOOP(uint16_t, uint16_t, bp_ref_f32_to_bf16(f(bp_ref_bf16_to_f32(x), p))); break;
    case BP_DTYPE_F32: UN_LOOP(float, float, f(x, p)); break;
    case BP_DTYPE_F64: UN_LOOP(double, double, d(x, p)); break;
    case BP_DTYPE_BOOL: UN_LOOP(uint8_t, uint8_t, (uint8_t)(g(x, p) != 0)); break;
    case BP_DTYPE_U8: UN_LOOP(uint8_t, uint8_t, (uint8_t)(uint64_t)g(x, p)); break;
    case BP_DTYPE_I8: UN_LOOP(int8_t, int8_t, (int8_t)(uint8_t)(uint64_t)g(x, p)); break;
    case BP_DTYPE_I32: UN_LOOP(int32_t, int32_t, (int32_t)(uint32_t)(uint64_t)g(x, p)); break;
    case BP_DTYPE_I64: UN_LOOP(int64_t, int64_t, g(x, p)); break;
    default: break;
  }
}

/* Predicates: any dtype in, bool (one byte) out. */
static void predicate_row(const un_row_ctx_t *c, char *o, const char *a, int64_t n, int64_t so,
                          int64_t sa) {
  const un_predf_fn f = c->op->predf;
  const un_predi_fn g = c->op->predi;
  switch (c->dtype) {
    case BP_DTYPE_F16: UN_LOOP(uint16_t, uint8_t, f(bp_ref_f16_to_f32(x))); break;
    case BP_DTYPE_BF16: UN_LOOP(uint16_t, uint8_t, f(bp_ref_bf16_to_f32(x))); break;
    case BP_DTYPE_F32: UN_LOOP(float, uint8_t, f(x)); break;
    case BP_DTYPE_F64: UN_LOOP(double, uint8_t, f(x)); break;
    case BP_DTYPE_BOOL:
    case BP_DTYPE_U8: UN_LOOP(uint8_t, uint8_t, g(x)); break;
    case BP_DTYPE_I8: UN_LOOP(int8_t, uint8_t, g(x)); break;
    case BP_DTYPE_I32: UN_LOOP(int32_t, uint8_t, g(x)); break;
    case BP_DTYPE_I64: UN_LOOP(int64_t, uint8_t, g(x)); break;
    default: break;
  }
}

#undef UN_LOOP

/* ---- the kernel ---- */

/* Out of line: runs only on a host bug. */
static bp_status_t unary_bad_call(const bp_kernel_call_t *call, const ref_unary_op_t *op) {
  if (op == NULL) return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL, "ref unary: no kernel_data");
  bp_status_t status = bp_ref_check_call(call, op->name, 1, 1);
  if (status != BP_STATUS_OK) return status;
  return bp_ref_fail(call->plugin_ctx, BP_STATUS_INTERNAL,
                     "ref %s: x and out do not match the kernel's dtypes or shape", op->name);
}

static bool dtype_ok(const ref_unary_op_t *op, bp_dtype_t in, bp_dtype_t out) {
  if (op->predf) return out == BP_DTYPE_BOOL && bp_abi_dtype_size(in) != 0;
  if (in != out) return false;
  if (bp_ref_dtype_is_float(in)) return op->f32 != NULL;
  if (in == BP_DTYPE_BOOL) return op->takes_bool;
  return op->i64 != NULL && bp_abi_dtype_size(in) != 0;
}

static bp_status_t ref_unary(const bp_kernel_call_t *call) {
  const ref_unary_op_t *op = call->kernel_data;
  if (op == NULL || call->num_inputs != 1 || call->num_outputs != 1)
    return unary_bad_call(call, op);
  const bp_tensor_desc_t *x = call->inputs[0];
  const bp_tensor_desc_t *out = call->outputs[0];
  if (!dtype_ok(op, x->dtype, out->dtype) || !bp_ref_same_shape(x, out) || out->ndim < 0 ||
      out->ndim > BP_REF_MAX_DIMS)
    return unary_bad_call(call, op);
  if (bp_ref_numel(out) == 0) return BP_STATUS_OK;

  un_params_t params;
  read_params(call, op, x->dtype, &params);
  const un_row_ctx_t ctx = {op, x->dtype, &params};
  void (*row)(const un_row_ctx_t *, char *, const char *, int64_t, int64_t, int64_t) =
      op->predf ? predicate_row : unary_row;
  char *base[2] = {bp_ref_base(out), bp_ref_base(x)};
  const int64_t *strides[2] = {out->strides, x->strides};
  size_t sizes[2] = {bp_abi_dtype_size(out->dtype), bp_abi_dtype_size(x->dtype)};
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, out->ndim, out->shape, 2, base, strides, sizes);
  do {
    row(&ctx, it.ptr[0], it.ptr[1], it.inner_size, it.inner_stride[0], it.inner_stride[1]);
  } while (bp_ref_iter_next(&it));
  return BP_STATUS_OK;
}

/* Signatures (T, T) and (T, bool), indexed by T. */
#define SIG_SAME(t) [t] = {t, t}
#define SIG_BOOL(t) [t] = {t, BP_DTYPE_BOOL}
static const bp_dtype_t sig_same[BP_DTYPE_COUNT_V1_0][2] = {
    SIG_SAME(BP_DTYPE_BOOL), SIG_SAME(BP_DTYPE_U8),  SIG_SAME(BP_DTYPE_I8),
    SIG_SAME(BP_DTYPE_I32),  SIG_SAME(BP_DTYPE_I64), SIG_SAME(BP_DTYPE_F16),
    SIG_SAME(BP_DTYPE_BF16), SIG_SAME(BP_DTYPE_F32), SIG_SAME(BP_DTYPE_F64),
};
static const bp_dtype_t sig_bool[BP_DTYPE_COUNT_V1_0][2] = {
    SIG_BOOL(BP_DTYPE_BOOL), SIG_BOOL(BP_DTYPE_U8),  SIG_BOOL(BP_DTYPE_I8),
    SIG_BOOL(BP_DTYPE_I32),  SIG_BOOL(BP_DTYPE_I64), SIG_BOOL(BP_DTYPE_F16),
    SIG_BOOL(BP_DTYPE_BF16), SIG_BOOL(BP_DTYPE_F32), SIG_BOOL(BP_DTYPE_F64),
};
#undef SIG_SAME
#undef SIG_BOOL

bp_status_t bp_ref_unary_register(const bp_host_api_t *host) {
  static const bp_dtype_t all[] = {BP_DTYPE_BOOL, BP_DTYPE_U8,   BP_DTYPE_I8,
                                   BP_DTYPE_I32,  BP_DTYPE_I64,  BP_DTYPE_F16,
                                   BP_DTYPE_BF16, BP_DTYPE_F32,  BP_DTYPE_F64};
  for (size_t i = 0; i < sizeof unary_ops / sizeof unary_ops[0]; ++i) {
    const ref_unary_op_t *op = &unary_ops[i];
    for (size_t k = 0; k < sizeof all / sizeof all[0]; ++k) {
      bp_dtype_t t = all[k];
      bool pred = op->predf != NULL;
      if (!pred && !dtype_ok(op, t, t)) continue;
      bp_status_t status =
          bp_ref_register(host, op->name, pred ? sig_bool[t] : sig_same[t], 2, ref_unary, op);
      if (status != BP_STATUS_OK) return status;
    }
  }
  return BP_STATUS_OK;
}
