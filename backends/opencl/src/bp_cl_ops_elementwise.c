/* bp_cl_ops_elementwise.c - fill, copy (every dtype pair), the binary ops
 * and the unary ops, all through the one generic strided kernel of
 * kernels/bp_elementwise.cl, specialised per (op, dtypes) by #defines
 * written here at registration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_convert.h"
#include "bp_cl_internal.h"

typedef enum ew_params {
  EW_NONE = 0,
  EW_FILL,   /* p0: the element's bits */
  EW_ALPHA,  /* p0: alpha as the compute type's bits (add, sub) */
  EW_ATTR_A, /* p0: one float attribute (attr_a), p1: another (attr_b) */
  EW_ROUND,  /* round: only decimals == 0 */
  EW_GELU,   /* p0: approximate */
  EW_DIV,    /* div: only rounding_mode 0 (true division) here */
} ew_params_t;

typedef struct ew_impl {
  const char *op;
  int nin;
  bp_dtype_t dtypes[4]; /* inputs then the output */
  ew_params_t params;
  const char *attr_a, *attr_b;
  char defines[1024];
} ew_impl_t;

/* Compute class of a dtype: 'i' (long), 'f' (float) or 'd' (double). */
static char dclass(bp_dtype_t t) {
  return t == BP_DTYPE_F64 ? 'd' : bp_cl_dtype_is_float(t) ? 'f' : 'i';
}
static const char *ctype(char c) { return c == 'd' ? "double" : c == 'f' ? "float" : "long"; }

/* ---- launching ---- */

static bp_status_t ew_run(const bp_kernel_call_t *call, const ew_impl_t *impl, cl_ulong p0,
                          cl_ulong p1) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *t[BP_CL_MAX_OPERANDS];
  int n = 0;
  t[n++] = call->outputs[0];
  for (uint32_t i = 0; i < call->num_inputs && n < BP_CL_MAX_OPERANDS; ++i) t[n++] = call->inputs[i];
  bp_cl_geom_t g;
  if (!bp_cl_geom_init(&g, t, n))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: layout not supported", impl->op);
  if (g.numel == 0) return BP_STATUS_OK;
  return bp_cl_ew_launch(ctx, call->device_index, impl->defines, impl->op, t, n, &g, p0, p1);
}

bp_status_t bp_cl_ew_launch(bp_cl_ctx_t *ctx, uint32_t device_index, const char *defines, const char *op,
                            const bp_tensor_desc_t *const *t, int n, const bp_cl_geom_t *g, cl_ulong p0,
                            cl_ulong p1) {
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, device_index, &dev);
  if (s != BP_STATUS_OK) return s;
  size_t global = 0, local = 0;
  bp_cl_launch_size(dev, g->numel, &global, &local);
  pthread_mutex_lock(&dev->lock);
  cl_kernel k = NULL;
  s = bp_cl_program_kernel(ctx, dev, defines, bp_cl_src_elementwise, "bp_ew", &k);
  if (s == BP_STATUS_OK) {
    cl_int err = CL_SUCCESS;
    cl_uint arg = 0;
    for (int i = 0; i < n && err == CL_SUCCESS; ++i) {
      cl_mem m = (cl_mem)t[i]->data;
      err = clSetKernelArg(k, arg++, sizeof m, &m);
    }
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof *g, g);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof p0, &p0);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, arg++, sizeof p1, &p1);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", op);
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

static bool ew_supports(const bp_kernel_call_t *call) {
  const ew_impl_t *impl = call->kernel_data;
  for (int i = 0; i <= impl->nin; ++i)
    if (!bp_cl_device_takes(call, impl->dtypes[i])) return false;
  if (call->num_outputs != 1 || call->num_inputs != (uint32_t)impl->nin) return false;
  if (impl->params == EW_ROUND) {
    const bp_attr_t *d = bp_abi_find_attr(call, "decimals");
    if (d != NULL && d->value.i != 0) return false;
  }
  if (impl->params == EW_DIV) {
    const bp_attr_t *m = bp_abi_find_attr(call, "rounding_mode");
    if (m != NULL && m->value.i != 0) return false;
  }
  const bp_tensor_desc_t *t[BP_CL_MAX_OPERANDS];
  int n = 0;
  t[n++] = call->outputs[0];
  for (uint32_t i = 0; i < call->num_inputs && n < BP_CL_MAX_OPERANDS; ++i) t[n++] = call->inputs[i];
  bp_cl_geom_t g;
  return bp_cl_geom_init(&g, t, n);
}

static double attr_f(const bp_kernel_call_t *call, const char *name, double dflt) {
  const bp_attr_t *a = name ? bp_abi_find_attr(call, name) : NULL;
  if (a == NULL) return dflt;
  if (a->type == BP_ATTR_FLOAT) return a->value.f;
  if (a->type == BP_ATTR_INT) return (double)a->value.i;
  if (a->type == BP_ATTR_BOOL) return a->value.b;
  return dflt;
}

/* A double as the bits of the class's compute type. */
static cl_ulong class_bits(char c, double v) {
  if (c == 'd') return bp_cl_float_bits(BP_DTYPE_F64, v);
  if (c == 'f') return bp_cl_float_bits(BP_DTYPE_F32, v);
  return (cl_ulong)bp_cl_f64_to_i64(v);
}

static bp_status_t ew_kernel(const bp_kernel_call_t *call) {
  const ew_impl_t *impl = call->kernel_data;
  bp_dtype_t out = impl->dtypes[impl->nin];
  cl_ulong p0 = 0, p1 = 0;
  switch (impl->params) {
    case EW_FILL:
      if (bp_cl_dtype_is_float(out) || out == BP_DTYPE_BOOL) {
        p0 = bp_cl_float_bits(out, attr_f(call, "value", 0.0));
      } else {
        const bp_attr_t *a = bp_abi_find_attr(call, "value_int");
        p0 = bp_cl_int_bits(out, a != NULL && a->type == BP_ATTR_INT ? a->value.i : 0);
      }
      break;
    case EW_ALPHA:
      p0 = class_bits(dclass(out), attr_f(call, "alpha", 1.0));
      break;
    case EW_ATTR_A:
      p0 = class_bits(dclass(out), attr_f(call, impl->attr_a, 1.0));
      p1 = class_bits(dclass(out), attr_f(call, impl->attr_b, 0.0));
      break;
    case EW_GELU:
      p0 = (cl_ulong)attr_f(call, "approximate", 0.0);
      break;
    case EW_ROUND: {
      const bp_attr_t *d = bp_abi_find_attr(call, "decimals");
      if (d != NULL && d->value.i != 0)
        return bp_cl_fail(call->plugin_ctx, BP_STATUS_UNSUPPORTED,
                          "opencl round: decimals != 0 is not implemented");
      break;
    }
    case EW_DIV: {
      const bp_attr_t *m = bp_abi_find_attr(call, "rounding_mode");
      if (m != NULL && m->value.i != 0)
        return bp_cl_fail(call->plugin_ctx, BP_STATUS_UNSUPPORTED,
                          "opencl div: rounding_mode trunc/floor is not implemented");
      break;
    }
    default:
      break;
  }
  return ew_run(call, impl, p0, p1);
}

/* ---- specialisation ---- */

static int append(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static int append(char *buf, size_t cap, const char *fmt, ...) {
  size_t len = strlen(buf);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + len, cap - len, fmt, ap);
  va_end(ap);
  return n;
}

/* The #defines of one elementwise kernel. `raw` loads and stores storage
 * values unchanged (same-dtype copy, fill); else inputs load as their class
 * and the result stores from the class `store_class`. */
static void ew_defines(ew_impl_t *impl, bool raw, char store_class, const char *params,
                       const char *expr) {
  char *d = impl->defines;
  size_t cap = sizeof impl->defines;
  d[0] = '\0';
  bp_dtype_t out = impl->dtypes[impl->nin];
  append(d, cap, "#define BP_NIN %d\n", impl->nin);
  if (impl->params == EW_FILL) {
    static const char *by_size[9] = {NULL, "uchar", "ushort", NULL, "uint", NULL, NULL, NULL, "ulong"};
    append(d, cap, "#define BP_T0 %s\n", by_size[bp_abi_dtype_size(out)]);
  } else {
    append(d, cap, "#define BP_T0 %s\n", bp_cl_storage_type(out));
  }
  for (int i = 0; i < impl->nin; ++i) {
    bp_dtype_t t = impl->dtypes[i];
    append(d, cap, "#define BP_T%d %s\n", i + 1, bp_cl_storage_type(t));
    if (raw) {
      append(d, cap, "#define BP_C%d %s\n#define BP_LD%d(p, i) ((p)[i])\n", i + 1,
             bp_cl_storage_type(t), i + 1);
    } else {
      append(d, cap, "#define BP_C%d %s\n#define BP_LD%d(p, i) bp_ld_%s(p, i)\n", i + 1,
             ctype(dclass(t)), i + 1, bp_cl_dtype_tag(t));
    }
  }
  if (raw)
    append(d, cap, "#define BP_STORE(p, i, v) ((p)[i] = (v))\n");
  else
    append(d, cap, "#define BP_STORE(p, i, v) bp_st%c_%s(p, i, v)\n", store_class,
           bp_cl_dtype_tag(out));
  append(d, cap, "#define CT %s\n", ctype(store_class));
  append(d, cap, "#define BP_PARAMS %s\n#define BP_EXPR %s\n", params, expr);
}

typedef struct ew_list {
  ew_impl_t *items;
  size_t count, cap;
} ew_list_t;

static ew_list_t g_impls; /* lives until the plugin is unloaded */

static ew_impl_t *ew_new(const char *op, int nin, const bp_dtype_t *dtypes, ew_params_t params) {
  if (g_impls.count == g_impls.cap) return NULL;
  ew_impl_t *impl = &g_impls.items[g_impls.count++];
  memset(impl, 0, sizeof *impl);
  impl->op = op;
  impl->nin = nin;
  memcpy(impl->dtypes, dtypes, sizeof(bp_dtype_t) * (size_t)(nin + 1));
  impl->params = params;
  return impl;
}

static bp_status_t ew_register(bp_cl_ctx_t *ctx, ew_impl_t *impl) {
  if (impl == NULL) return bp_cl_fail(ctx, BP_STATUS_INTERNAL, "opencl: elementwise table full");
  return bp_cl_register(ctx, impl->op, impl->dtypes, (uint32_t)impl->nin + 1, ew_kernel,
                        ew_supports, impl);
}

static const bp_dtype_t all_dtypes[] = {BP_DTYPE_BOOL, BP_DTYPE_U8,  BP_DTYPE_I8,
                                        BP_DTYPE_I32,  BP_DTYPE_I64, BP_DTYPE_F16,
                                        BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
#define N_DTYPES (sizeof all_dtypes / sizeof all_dtypes[0])

/* ---- binary ops ---- */

typedef struct binary_op {
  const char *name;
  bool bool_ok, int_ok;
  ew_params_t params;
  const char *bool_expr, *int_expr, *float_expr;
} binary_op_t;

static const binary_op_t binary_ops[] = {
    {"add", true, true, EW_ALPHA, "x1 | x2", "(long)((ulong)x1 + alpha * (ulong)x2)",
     "x1 + alpha * x2"},
    {"sub", false, true, EW_ALPHA, NULL, "(long)((ulong)x1 - alpha * (ulong)x2)",
     "x1 - alpha * x2"},
    {"mul", true, true, EW_NONE, "x1 & x2", "(long)((ulong)x1 * (ulong)x2)", "x1 * x2"},
    {"div", false, false, EW_DIV, NULL, NULL, "x1 / x2"},
    /* NaN propagates (either operand), as torch */
    {"maximum", true, true, EW_NONE, "x1 | x2", "x1 < x2 ? x2 : x1",
     "isnan(x1) ? x1 : isnan(x2) ? x2 : (x1 < x2 ? x2 : x1)"},
    {"minimum", true, true, EW_NONE, "x1 & x2", "x2 < x1 ? x2 : x1",
     "isnan(x1) ? x1 : isnan(x2) ? x2 : (x2 < x1 ? x2 : x1)"},
    {"atan2", false, false, EW_NONE, NULL, NULL, "atan2(x1, x2)"},
    /* floats only: integer remainder by zero must fail at the call */
    {"remainder", false, false, EW_NONE, NULL, NULL,
     "(fmod(x1, x2) != 0 && ((x2 < 0) != (fmod(x1, x2) < 0))) ? fmod(x1, x2) + x2 : fmod(x1, x2)"},
    {"bitwise_and", true, true, EW_NONE, "x1 & x2", "x1 & x2", NULL},
    {"bitwise_or", true, true, EW_NONE, "x1 | x2", "x1 | x2", NULL},
    {"bitwise_xor", true, true, EW_NONE, "x1 ^ x2", "x1 ^ x2", NULL},
};

/* Comparisons and logical ops: any dtype in (compared as its class
 * value), bool out. */
static const char *const compare_ops[][2] = {
    {"eq", "x1 == x2"}, {"ne", "x1 != x2"}, {"lt", "x1 < x2"}, {"le", "x1 <= x2"},
    {"gt", "x1 > x2"},  {"ge", "x1 >= x2"},
    {"logical_and", "x1 != 0 && x2 != 0"}, {"logical_or", "x1 != 0 || x2 != 0"},
    {"logical_xor", "(x1 != 0) != (x2 != 0)"},
};

/* ---- unary ops: x1 is the input in its class (CT is the class type) ---- */

typedef struct unary_op {
  const char *name;
  const char *float_expr;
  const char *int_expr; /* NULL: floats only */
  bool bool_ok;         /* int_expr also for bool */
  ew_params_t params;
  const char *attr_a, *attr_b;
} unary_op_t;

static const unary_op_t unary_ops[] = {
    {"neg", "-x1", "(long)((ulong)0 - (ulong)x1)", false, EW_NONE, NULL, NULL},
    {"abs", "fabs(x1)", "x1 < 0 ? (long)((ulong)0 - (ulong)x1) : x1", false, EW_NONE, NULL, NULL},
    {"sign", "(CT)((x1 > 0) - (x1 < 0))", "(long)((x1 > 0) - (x1 < 0))", true, EW_NONE, NULL, NULL},
    {"exp", "exp(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"log", "log(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"log1p", "log1p(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"expm1", "expm1(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"sqrt", "sqrt(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"rsqrt", "(CT)1 / sqrt(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"reciprocal", "(CT)1 / x1", NULL, false, EW_NONE, NULL, NULL},
    {"sin", "sin(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"cos", "cos(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"tanh", "tanh(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"sigmoid", "(CT)1 / ((CT)1 + exp(-x1))", NULL, false, EW_NONE, NULL, NULL},
    {"relu", "x1 < 0 ? (CT)0 : x1", "x1 < 0 ? 0 : x1", false, EW_NONE, NULL, NULL},
    {"leaky_relu", "x1 > 0 ? x1 : x1 * pa", NULL, false, EW_ATTR_A, "negative_slope", NULL},
    {"elu", "x1 > 0 ? x1 : pa * expm1(x1)", NULL, false, EW_ATTR_A, "alpha", NULL},
    {"silu", "x1 / ((CT)1 + exp(-x1))", NULL, false, EW_NONE, NULL, NULL},
    {"softplus", "x1 * pa > pb ? x1 : log1p(exp(x1 * pa)) / pa", NULL, false, EW_ATTR_A, "beta",
     "threshold"},
    {"erf", "erf(x1)", NULL, false, EW_NONE, NULL, NULL},
    {"floor", "floor(x1)", "x1", false, EW_NONE, NULL, NULL},
    {"ceil", "ceil(x1)", "x1", false, EW_NONE, NULL, NULL},
    {"trunc", "trunc(x1)", "x1", false, EW_NONE, NULL, NULL},
    {"round", "rint(x1)", "x1", false, EW_ROUND, NULL, NULL},
    {"gelu",
     "p0 == 0 ? x1 * (CT)0.5 * ((CT)1 + erf(x1 * (CT)0.70710678118654752440)) : "
     "(CT)0.5 * x1 * ((CT)1 + bp_tanh_sat((CT)0.79788456080286535588 * (x1 + (CT)0.044715 * (x1 * x1 * x1))))",
     NULL, false, EW_GELU, NULL, NULL},
};

static bp_status_t register_unary(bp_cl_ctx_t *ctx, bool fp64) {
  for (size_t u = 0; u < sizeof unary_ops / sizeof unary_ops[0]; ++u) {
    const unary_op_t *op = &unary_ops[u];
    for (size_t i = 0; i < N_DTYPES; ++i) {
      bp_dtype_t t = all_dtypes[i];
      char c = dclass(t);
      if (t == BP_DTYPE_F64 && !fp64) continue;
      if (t == BP_DTYPE_BOOL && !op->bool_ok) continue;
      if (c == 'i' && op->int_expr == NULL) continue;
      bp_dtype_t sig[2] = {t, t};
      ew_impl_t *impl = ew_new(op->name, 1, sig, op->params);
      if (impl == NULL) return ew_register(ctx, impl);
      impl->attr_a = op->attr_a;
      impl->attr_b = op->attr_b;
      const char *params = "";
      if (op->params == EW_ATTR_A)
        params = c == 'd' ? "const double pa = as_double(p0), pb = as_double(p1);"
                          : "const float pa = as_float((uint)p0), pb = as_float((uint)p1);";
      ew_defines(impl, false, c, params, c == 'i' ? op->int_expr : op->float_expr);
      bp_status_t s = ew_register(ctx, impl);
      if (s != BP_STATUS_OK) return s;
    }
  }
  /* Predicates: any dtype in, bool out. */
  static const char *const preds[][3] = {
      {"logical_not", "x1 == 0", "x1 == (CT)0"},
      {"isnan", "0", "isnan(x1)"},
      {"isinf", "0", "isinf(x1)"},
  };
  for (size_t p = 0; p < 3; ++p)
    for (size_t i = 0; i < N_DTYPES; ++i) {
      bp_dtype_t t = all_dtypes[i];
      if (t == BP_DTYPE_F64 && !fp64) continue;
      char c = dclass(t);
      bp_dtype_t sig[2] = {t, BP_DTYPE_BOOL};
      ew_impl_t *impl = ew_new(preds[p][0], 1, sig, EW_NONE);
      if (impl == NULL) return ew_register(ctx, impl);
      char expr[64];
      snprintf(expr, sizeof expr, "(long)(%s)", c == 'i' ? preds[p][1] : preds[p][2]);
      ew_defines(impl, false, 'i', "", expr);
      /* the class type of the input, not the store class, for (CT)0 */
      append(impl->defines, sizeof impl->defines, "#undef CT\n#define CT %s\n", ctype(c));
      bp_status_t s = ew_register(ctx, impl);
      if (s != BP_STATUS_OK) return s;
    }
  return BP_STATUS_OK;
}

bp_status_t bp_cl_register_elementwise(bp_cl_ctx_t *ctx) {
  bool fp64 = ctx->any_fp64;
  if (g_impls.items == NULL) {
    g_impls.cap = 1024;
    g_impls.items = calloc(g_impls.cap, sizeof *g_impls.items);
    if (g_impls.items == NULL) return bp_cl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "opencl: out of memory");
  }
  g_impls.count = 0;
  bp_status_t s = BP_STATUS_OK;
  /* fill */
  for (size_t i = 0; i < N_DTYPES && s == BP_STATUS_OK; ++i) {
    if (all_dtypes[i] == BP_DTYPE_F64 && !fp64) continue;
    ew_impl_t *impl = ew_new("fill", 0, &all_dtypes[i], EW_FILL);
    if (impl) ew_defines(impl, true, 'i', "", "(BP_T0)p0");
    s = ew_register(ctx, impl);
  }
  /* copy: every pair */
  for (size_t i = 0; i < N_DTYPES && s == BP_STATUS_OK; ++i)
    for (size_t j = 0; j < N_DTYPES && s == BP_STATUS_OK; ++j) {
      bp_dtype_t sig[2] = {all_dtypes[i], all_dtypes[j]};
      if ((sig[0] == BP_DTYPE_F64 || sig[1] == BP_DTYPE_F64) && !fp64) continue;
      ew_impl_t *impl = ew_new("copy", 1, sig, EW_NONE);
      if (impl) ew_defines(impl, sig[0] == sig[1], dclass(sig[0]), "", "x1");
      s = ew_register(ctx, impl);
    }
  /* binary */
  for (size_t b = 0; b < sizeof binary_ops / sizeof binary_ops[0] && s == BP_STATUS_OK; ++b) {
    const binary_op_t *op = &binary_ops[b];
    for (size_t i = 0; i < N_DTYPES && s == BP_STATUS_OK; ++i) {
      bp_dtype_t t = all_dtypes[i];
      char c = dclass(t);
      if (t == BP_DTYPE_F64 && !fp64) continue;
      if (t == BP_DTYPE_BOOL ? !op->bool_ok : (c == 'i' && !op->int_ok)) continue;
      const char *expr = t == BP_DTYPE_BOOL ? op->bool_expr : c == 'i' ? op->int_expr : op->float_expr;
      if (expr == NULL) continue;
      const char *params = "";
      if (op->params == EW_ALPHA)
        params = c == 'd' ? "const double alpha = as_double(p0);"
                 : c == 'f' ? "const float alpha = as_float((uint)p0);"
                            : "const ulong alpha = p0;";
      bp_dtype_t sig[3] = {t, t, t};
      ew_impl_t *impl = ew_new(op->name, 2, sig, op->params);
      if (impl) ew_defines(impl, false, c, params, expr);
      s = ew_register(ctx, impl);
    }
  }
  for (size_t b = 0; b < sizeof compare_ops / sizeof compare_ops[0] && s == BP_STATUS_OK; ++b)
    for (size_t i = 0; i < N_DTYPES && s == BP_STATUS_OK; ++i) {
      bp_dtype_t t = all_dtypes[i];
      if (t == BP_DTYPE_F64 && !fp64) continue;
      bp_dtype_t sig[3] = {t, t, BP_DTYPE_BOOL};
      ew_impl_t *impl = ew_new(compare_ops[b][0], 2, sig, EW_NONE);
      char expr[96];
      snprintf(expr, sizeof expr, "(long)(%s)", compare_ops[b][1]);
      if (impl) ew_defines(impl, false, 'i', "", expr);
      s = ew_register(ctx, impl);
    }
  if (s == BP_STATUS_OK) s = register_unary(ctx, fp64);
  return s;
}
