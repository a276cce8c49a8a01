/* bp_cl_ops_elementwise2.c - where, clamp, pow, tril, triu and arange
 * through the generic strided kernel of kernels/bp_elementwise.cl (bp_ew),
 * with the reference's semantics (reference/src/ref_shape.c, ref_unary.c,
 * ref_binary2.c):
 *  - where, tril, triu only move elements: one program per element size
 *    (a zero is all-zero bytes in every dtype);
 *  - clamp: NaN stays NaN, a NaN bound is ignored (so an absent float bound
 *    is passed as NaN, an absent integer bound as the int64 extreme), min >
 *    max gives max; integer bounds wrap to the dtype;
 *  - pow: floats through pow (f16/bf16 in f32, rounded once), integers by
 *    squaring with wraparound, negative exponents as torch's powi;
 *  - arange: integers in int64 (start and step truncated, wrapping),
 *    f16/bf16 in float (torch's accumulate type), f32/f64 in double (so f32
 *    needs cl_khr_fp64 and is declined on devices without it). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_convert.h"
#include "bp_cl_internal.h"

typedef enum ew2_op { E_WHERE, E_CLAMP, E_POW, E_TRIL, E_TRIU, E_ARANGE } ew2_op_t;

typedef struct ew2_impl {
  ew2_op_t op;
  const char *name;
  int nin;
  bp_dtype_t sig[4];
  bp_dtype_t dtype; /* the value dtype */
  char defines[1200];
} ew2_impl_t;

#define N_DT 9
static const bp_dtype_t all_dtypes[N_DT] = {BP_DTYPE_BOOL, BP_DTYPE_U8,   BP_DTYPE_I8,
                                            BP_DTYPE_I32,  BP_DTYPE_I64,  BP_DTYPE_F16,
                                            BP_DTYPE_BF16, BP_DTYPE_F32,  BP_DTYPE_F64};

/* where: 2 per dtype; clamp, pow, tril, triu, arange: 1 each */
static ew2_impl_t g_impls[7 * N_DT];
static size_t g_count;

static const bp_attr_t *find(const bp_kernel_call_t *call, const char *name, bp_attr_type_t type) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  return a != NULL && a->type == type ? a : NULL;
}

static char dclass(bp_dtype_t t) {
  return t == BP_DTYPE_F64 ? 'd' : bp_cl_dtype_is_float(t) ? 'f' : 'i';
}
static const char *ctype(char c) { return c == 'd' ? "double" : c == 'f' ? "float" : "long"; }
static const char *by_size(bp_dtype_t t) {
  switch (bp_abi_dtype_size(t)) {
    case 1: return "uchar";
    case 2: return "ushort";
    case 4: return "uint";
    default: return "ulong";
  }
}

static void add(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t cap, const char *fmt, ...) {
  size_t len = strlen(buf);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + len, cap - len, fmt, ap);
  va_end(ap);
}

static bool tensors(const bp_kernel_call_t *call, const bp_tensor_desc_t **t, int *n) {
  *n = 0;
  t[(*n)++] = call->outputs[0];
  for (uint32_t i = 0; i < call->num_inputs; ++i) {
    if (*n == BP_CL_MAX_OPERANDS) return false;
    t[(*n)++] = call->inputs[i];
  }
  return true;
}

static bool ew2_supports(const bp_kernel_call_t *call) {
  const ew2_impl_t *impl = call->kernel_data;
  if (!bp_cl_device_takes(call, impl->dtype)) return false;
  if (call->num_outputs != 1 || call->num_inputs != (uint32_t)impl->nin) return false;
  const bp_cl_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *o = call->outputs[0];
  switch (impl->op) {
    case E_ARANGE:
      if (o->ndim != 1) return false;
      if (impl->dtype == BP_DTYPE_F32 && !ctx->devices[call->device_index].has_fp64) return false;
      if (!find(call, "start", BP_ATTR_FLOAT) || !find(call, "step", BP_ATTR_FLOAT)) return false;
      break;
    case E_TRIL: case E_TRIU:
      if (o->ndim < 2 || o->shape[o->ndim - 1] >= (1ll << 31) || o->shape[o->ndim - 2] >= (1ll << 31))
        return false;
      for (int32_t d = 0; d < o->ndim; ++d)
        if (call->inputs[0]->ndim != o->ndim || call->inputs[0]->shape[d] != o->shape[d]) return false;
      break;
    default:
      break;
  }
  const bp_tensor_desc_t *t[BP_CL_MAX_OPERANDS];
  int n = 0;
  bp_cl_geom_t g;
  return tensors(call, t, &n) && bp_cl_geom_init(&g, t, n);
}

static double attr_f(const bp_kernel_call_t *call, const char *name, double dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (a == NULL) return dflt;
  if (a->type == BP_ATTR_FLOAT) return a->value.f;
  if (a->type == BP_ATTR_INT) return (double)a->value.i;
  return dflt;
}
static bool attr_b(const bp_kernel_call_t *call, const char *name) {
  const bp_attr_t *a = find(call, name, BP_ATTR_BOOL);
  return a != NULL && a->value.b;
}

/* An integer bound wrapped to the dtype, as the reference's wrap_bound. */
static int64_t wrap_bound(double v, bp_dtype_t dt) {
  int64_t i = bp_cl_f64_to_i64(v);
  switch (dt) {
    case BP_DTYPE_U8: return (uint8_t)(uint64_t)i;
    case BP_DTYPE_I8: return (int8_t)(uint8_t)(uint64_t)i;
    case BP_DTYPE_I32: return (int32_t)(uint32_t)(uint64_t)i;
    default: return i;
  }
}

static bp_status_t ew2_kernel(const bp_kernel_call_t *call) {
  bp_cl_ctx_t *ctx = call->plugin_ctx;
  const ew2_impl_t *impl = call->kernel_data;
  if (!ew2_supports(call))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: call not supported", impl->name);
  const bp_tensor_desc_t *t[BP_CL_MAX_OPERANDS];
  int n = 0;
  bp_cl_geom_t g;
  tensors(call, t, &n);
  bp_cl_geom_init(&g, t, n);
  if (g.numel == 0) return BP_STATUS_OK;
  cl_ulong p0 = 0, p1 = 0;
  const char c = dclass(impl->dtype);
  switch (impl->op) {
    case E_CLAMP: {
      const bool has_min = attr_b(call, "has_min"), has_max = attr_b(call, "has_max");
      const double lo = attr_f(call, "min", 0.0), hi = attr_f(call, "max", 0.0);
      if (c == 'i') {
        p0 = (cl_ulong)(has_min ? wrap_bound(lo, impl->dtype) : INT64_MIN);
        p1 = (cl_ulong)(has_max ? wrap_bound(hi, impl->dtype) : INT64_MAX);
      } else {
        const bp_dtype_t bt = c == 'd' ? BP_DTYPE_F64 : BP_DTYPE_F32;
        p0 = bp_cl_float_bits(bt, has_min ? lo : NAN);
        p1 = bp_cl_float_bits(bt, has_max ? hi : NAN);
      }
      break;
    }
    case E_TRIL: case E_TRIU: {
      const bp_tensor_desc_t *o = call->outputs[0];
      const bp_attr_t *d = find(call, "diagonal", BP_ATTR_INT);
      p0 = (cl_ulong)o->shape[o->ndim - 1] | ((cl_ulong)o->shape[o->ndim - 2] << 31) |
           ((cl_ulong)(impl->op == E_TRIU) << 62);
      p1 = (cl_ulong)(d ? d->value.i : 0);
      break;
    }
    case E_ARANGE: {
      const double start = find(call, "start", BP_ATTR_FLOAT)->value.f;
      const double step = find(call, "step", BP_ATTR_FLOAT)->value.f;
      if (c == 'i') {
        p0 = (cl_ulong)bp_cl_f64_to_i64(start);
        p1 = (cl_ulong)bp_cl_f64_to_i64(step);
      } else if (impl->dtype == BP_DTYPE_F16 || impl->dtype == BP_DTYPE_BF16) {
        p0 = bp_cl_float_bits(BP_DTYPE_F32, start);
        p1 = bp_cl_float_bits(BP_DTYPE_F32, step);
      } else {
        p0 = bp_cl_float_bits(BP_DTYPE_F64, start);
        p1 = bp_cl_float_bits(BP_DTYPE_F64, step);
      }
      break;
    }
    default:
      break;
  }
  return bp_cl_ew_launch(ctx, call->device_index, impl->defines, impl->name, t, n, &g, p0, p1);
}

static ew2_impl_t *new_impl(ew2_op_t op, const char *name, int nin, bp_dtype_t dtype) {
  ew2_impl_t *impl = &g_impls[g_count++];
  memset(impl, 0, sizeof *impl);
  impl->op = op;
  impl->name = name;
  impl->nin = nin;
  impl->dtype = dtype;
  return impl;
}

/* Integer powers by squaring (wrapping), torch's powi for negative
 * exponents; defined ahead of the common prelude (plain C only). */
static const char ipow_src[] =
    "static inline long bp_ipow(long x, long y) {\n"
    "  if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;\n"
    "  ulong base = (ulong)x, r = 1;\n"
    "  for (ulong e = (ulong)y; e; e >>= 1) {\n"
    "    if (e & 1) r *= base;\n"
    "    base *= base;\n"
    "  }\n"
    "  return (long)r;\n"
    "}\n";

static void value_defines(ew2_impl_t *impl, int nin, const char *params, const char *expr) {
  const bp_dtype_t t = impl->dtype;
  const char c = dclass(t);
  char *d = impl->defines;
  const size_t cap = sizeof impl->defines;
  d[0] = '\0';
  if (impl->op == E_POW && c == 'i') add(d, cap, "%s", ipow_src);
  add(d, cap, "#define BP_NIN %d\n#define BP_T0 %s\n", nin, bp_cl_storage_type(t));
  for (int i = 1; i <= nin; ++i)
    add(d, cap, "#define BP_T%d %s\n#define BP_C%d %s\n#define BP_LD%d(p, i) bp_ld_%s(p, i)\n", i,
        bp_cl_storage_type(t), i, ctype(c), i, bp_cl_dtype_tag(t));
  add(d, cap, "#define BP_STORE(p, i, v) bp_st%c_%s(p, i, v)\n#define CT %s\n", c,
      bp_cl_dtype_tag(t), ctype(c));
  add(d, cap, "#define BP_PARAMS %s\n#define BP_EXPR %s\n", params, expr);
}

/* Byte movers (where, tril, triu): storage by element size. */
static void move_defines(ew2_impl_t *impl, int nin, bool cond, const char *params,
                         const char *expr) {
  const char *st = by_size(impl->dtype);
  char *d = impl->defines;
  const size_t cap = sizeof impl->defines;
  d[0] = '\0';
  add(d, cap, "#define BP_NIN %d\n#define BP_T0 %s\n", nin, st);
  for (int i = 1; i <= nin; ++i) {
    const char *ti = cond && i == 1 ? "uchar" : st;
    add(d, cap, "#define BP_T%d %s\n#define BP_C%d %s\n#define BP_LD%d(p, i) ((p)[i])\n", i, ti,
        i, ti, i);
  }
  add(d, cap, "#define BP_STORE(p, i, v) ((p)[i] = (v))\n#define CT %s\n", st);
  add(d, cap, "#define BP_PARAMS %s\n#define BP_EXPR %s\n", params, expr);
}

static bp_status_t reg(bp_cl_ctx_t *ctx, ew2_impl_t *impl, uint32_t nsig) {
  return bp_cl_register(ctx, impl->name, impl->sig, nsig, ew2_kernel, ew2_supports, impl);
}

bp_status_t bp_cl_register_elementwise2(bp_cl_ctx_t *ctx) {
  g_count = 0;
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < N_DT && s == BP_STATUS_OK; ++i) {
    const bp_dtype_t t = all_dtypes[i];
    if (t == BP_DTYPE_F64 && !ctx->any_fp64) continue;
    const char c = dclass(t);
    /* where: (bool or u8 condition, t, t) -> t */
    for (int u = 0; u < 2 && s == BP_STATUS_OK; ++u) {
      ew2_impl_t *impl = new_impl(E_WHERE, "where", 3, t);
      impl->sig[0] = u ? BP_DTYPE_U8 : BP_DTYPE_BOOL;
      impl->sig[1] = impl->sig[2] = impl->sig[3] = t;
      move_defines(impl, 3, true, "", "x1 ? x2 : x3");
      s = reg(ctx, impl, 4);
    }
    /* tril, triu: p0 = cols | rows << 31 | upper << 62, p1 = diagonal */
    for (int up = 0; up < 2 && s == BP_STATUS_OK; ++up) {
      ew2_impl_t *impl = new_impl(up ? E_TRIU : E_TRIL, up ? "triu" : "tril", 1, t);
      impl->sig[0] = impl->sig[1] = t;
      move_defines(impl, 1,
                   false,
                   "const long ncol = (long)(p0 & 0x7fffffffu), "
                   "nrow = (long)((p0 >> 31) & 0x7fffffffu); "
                   "const bool upper = (p0 >> 62) & 1; const long diag = (long)p1;",
                   "(upper ? (i % ncol) - (i / ncol) % nrow >= diag "
                   ": (i % ncol) - (i / ncol) % nrow <= diag) ? x1 : (CT)0");
      s = reg(ctx, impl, 2);
    }
    if (s != BP_STATUS_OK) break;
    if (t != BP_DTYPE_BOOL) {
      /* clamp: p0, p1 the bounds in the class (NaN / int64 extremes: none) */
      ew2_impl_t *impl = new_impl(E_CLAMP, "clamp", 1, t);
      impl->sig[0] = impl->sig[1] = t;
      value_defines(impl, 1,
                    c == 'd'   ? "const double lo = as_double(p0), hi = as_double(p1);"
                    : c == 'f' ? "const float lo = as_float((uint)p0), hi = as_float((uint)p1);"
                               : "const long lo = (long)p0, hi = (long)p1;",
                    "(x1 < lo ? lo : x1) > hi ? hi : (x1 < lo ? lo : x1)");
      s = reg(ctx, impl, 2);
      /* pow */
      if (s == BP_STATUS_OK) {
        impl = new_impl(E_POW, "pow", 2, t);
        impl->sig[0] = impl->sig[1] = impl->sig[2] = t;
        value_defines(impl, 2, "", c == 'i' ? "bp_ipow(x1, x2)" : "pow(x1, x2)");
        s = reg(ctx, impl, 3);
      }
      /* arange: out[i] = start + i * step */
      if (s == BP_STATUS_OK) {
        impl = new_impl(E_ARANGE, "arange", 0, t);
        impl->sig[0] = t;
        const bool half = t == BP_DTYPE_F16 || t == BP_DTYPE_BF16;
        value_defines(impl, 0,
                      c == 'i' ? "const ulong start = p0, step = p1;"
                      : half   ? "const float start = as_float((uint)p0), step = as_float((uint)p1);"
                               : "const double start = as_double(p0), step = as_double(p1);",
                      c == 'i' ? "(long)(start + (ulong)i * step)"
                      : half   ? "start + (float)i * step"
                               : "start + (double)i * step");
        if (t == BP_DTYPE_F32) /* computed in double, stored rounded */
          add(impl->defines, sizeof impl->defines,
              "#undef BP_STORE\n#define BP_STORE(p, i, v) bp_std_f32(p, i, v)\n");
        s = reg(ctx, impl, 1);
      }
    }
  }
  return s;
}
