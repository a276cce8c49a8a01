/* bp_vk_kernels.c - kernel registration and the host side of every kernel:
 * checks, dims merged, parameter words, one dispatch. The shaders are in
 * ../shaders; a kernel whose shader variant needs a feature the call's
 * device lacks is declined (supports() says no), never emulated. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bp_vk.h"
#include "bp_vk_convert.h"
#include "bp_vk_kernel_util.h"

/* The shader variant of each kind of kernel, by the naming of shaders/CMake. */
static int32_t variant_fill(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
static int32_t variant_copy(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
static int32_t variant_out(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
static int32_t variant_in(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
static int32_t variant_bernoulli(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
static bool matmul_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k);

/* `sub` of a kernel named after one dtype: the variant's name prefix. */
enum { K_BINARY, K_SUM, K_MATMUL, K_UNARY, K_PRED, K_CMP, K_UNIFORM, K_DROPOUT, K_NORMAL };
static const char *const kPrefix[] = {"binary", "sum", "mm", "unary", "pred", "cmp", "uniform", "dropout", "normal"};

static const bpvk_kernel_t kFill = {variant_fill, NULL, 0, 0}, kCopy = {variant_copy, NULL, 0, 0},
                           kSum = {variant_out, NULL, 0, K_SUM}, kMatmul = {variant_out, matmul_ok, 0, K_MATMUL},
                           kUniform = {variant_out, NULL, 0, K_UNIFORM}, kDropout = {variant_out, NULL, 0, K_DROPOUT},
                           kNormal = {variant_out, NULL, 0, K_NORMAL},
                           kBernoulli = {variant_bernoulli, NULL, 0, 0};

/* Ops of the shaders with an OP specialization constant, in its order. */
static const char *const kUnaryOps[] = {"neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt",
                                        "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu", "elu",
                                        "gelu", "silu", "softplus", "erf", "floor", "ceil", "round", "trunc", "clamp"};
enum { UN_COUNT = 26, UN_SIGN = 2, UN_EXP = 3, UN_SQRT = 7, UN_RECIPROCAL = 9, UN_RELU = 14, UN_LEAKY = 15,
       UN_ELU = 16, UN_GELU = 17, UN_SOFTPLUS = 19, UN_FLOOR = 21, UN_ROUND = 23, UN_CLAMP = 25 };
static const char *const kPredOps[] = {"logical_not", "isnan", "isinf"};
static const char *const kBinaryOps[] = {"add", "sub", "mul", "div", "remainder", "pow", "maximum", "minimum",
                                         "atan2", "bitwise_and", "bitwise_or", "bitwise_xor"};
enum { BI_ADD, BI_SUB, BI_MUL, BI_DIV, BI_REM, BI_POW, BI_MAX, BI_MIN, BI_ATAN2, BI_AND, BI_OR, BI_XOR, BI_COUNT };
static const char *const kCmpOps[] = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                                      "logical_xor"};
#define K(i) {V, NULL, i, KIND}
#define INFO_ROW {K(0), K(1), K(2), K(3), K(4), K(5), K(6), K(7), K(8), K(9), K(10), K(11), K(12), K(13), K(14), \
                  K(15), K(16), K(17), K(18), K(19), K(20), K(21), K(22), K(23), K(24), K(25)}
#define V variant_out
#define KIND K_UNARY
static const bpvk_kernel_t kUnary[UN_COUNT] = INFO_ROW;
#undef KIND
#define KIND K_BINARY
static const bpvk_kernel_t kBinary[UN_COUNT] = INFO_ROW;
#undef V
#undef KIND
#define V variant_in
#define KIND K_PRED
static const bpvk_kernel_t kPred[UN_COUNT] = INFO_ROW;
#undef KIND
#define KIND K_CMP
static const bpvk_kernel_t kCmp[UN_COUNT] = INFO_ROW;
#undef V
#undef KIND
#undef INFO_ROW
#undef K

static int32_t variant_fill(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  snprintf(name, sizeof name, "fill_%u", bpvk_raw_dtype(call->outputs[0]->dtype));
  return bpvk_variant_find(name);
}

static int32_t variant_copy(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  bp_dtype_t s = call->inputs[0]->dtype, d = call->outputs[0]->dtype;
  if (s == d) s = d = bpvk_raw_dtype(d);
  snprintf(name, sizeof name, "copy_%u_%u", s, d);
  return bpvk_variant_find(name);
}

/* "<prefix>_<output dtype>" */
static int32_t variant_out(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  snprintf(name, sizeof name, "%s_%u", kPrefix[k->sub], call->outputs[0]->dtype);
  return bpvk_variant_find(name);
}

/* "<prefix>_<first input dtype>" */
static int32_t variant_in(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  char name[32];
  snprintf(name, sizeof name, "%s_%u", kPrefix[k->sub], call->inputs[0]->dtype);
  return bpvk_variant_find(name);
}

static int32_t variant_bernoulli(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  char name[32];
  snprintf(name, sizeof name, "bern_%u_%u", call->inputs[0]->dtype, bpvk_raw_dtype(call->outputs[0]->dtype));
  return bpvk_variant_find(name);
}

static bool matmul_ok(const bp_kernel_call_t *call, const bpvk_kernel_t *k) {
  (void)k;
  return call->outputs[0]->ndim - 2 <= 6;
}

/* Short local names of the shared helpers (the code below predates them). */
#define numel_of bpvk_numel
#define vt bpvk_vt
#define grid_1d bpvk_grid_1d
#define put_f32 bpvk_put_f32
#define put_f64 bpvk_put_f64
#define put_u64 bpvk_put_u64
#define attr_f bpvk_attr_f
#define attr_i bpvk_attr_i
#define attr_b bpvk_attr_b
#define run bpvk_kernel_run
#define EW_NEXTRA BPVK_EW_NEXTRA

static bp_status_t rec_ew_checked(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant,
                                  uint32_t spec, const uint32_t extra[EW_NEXTRA], const char *check) {
  return bpvk_record_ew(d, call, variant, spec, extra, check);
}

static bp_status_t rec_ew(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant, uint32_t spec,
                          const uint32_t extra[EW_NEXTRA]) {
  return bpvk_record_ew(d, call, variant, spec, extra, NULL);
}

/* ---- unary ops: the attributes as reference/src/ref_unary.c reads them ---- */

/* An integral clamp bound as torch converts a scalar to the dtype: through
 * int64, keeping the low bits. */
static int64_t wrap_bound(double v, bp_dtype_t dt) {
  int64_t i = bpvk_f64_to_i64(v);
  switch (dt) {
    case BP_DTYPE_U8: return (uint8_t)(uint64_t)i;
    case BP_DTYPE_I8: return (int8_t)(uint8_t)(uint64_t)i;
    case BP_DTYPE_I32: return (int32_t)(uint32_t)(uint64_t)i;
    default: return i;
  }
}

static bp_status_t rec_unary(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  uint32_t e[EW_NEXTRA];
  memset(e, 0, sizeof e);
  double a = 0, b = 0, mn = 0, mx = 0;
  uint32_t flags = 0, mode = 0;
  switch (k->op) {
    case UN_LEAKY: a = attr_f(call, "negative_slope", 0.01); break;
    case UN_ELU: a = attr_f(call, "alpha", 1.0); break;
    case UN_SOFTPLUS:
      a = attr_f(call, "beta", 1.0);
      b = attr_f(call, "threshold", 20.0);
      break;
    case UN_GELU: mode = (uint32_t)attr_i(call, "approximate", 0); break;
    case UN_ROUND: {
      int64_t dec = attr_i(call, "decimals", 0);
      mode = dec != 0;
      if (dec < 0) flags |= 4u;
      double p = pow(10.0, (double)(dec < 0 ? -dec : dec));
      put_f32(e + 18, p);
      put_f64(e + 20, p);
      break;
    }
    case UN_CLAMP: {
      bool hmin = attr_b(call, "has_min", false), hmax = attr_b(call, "has_max", false);
      flags = (hmin ? 1u : 0u) | (hmax ? 2u : 0u);
      mn = attr_f(call, "min", 0.0);
      mx = attr_f(call, "max", 0.0);
      bp_dtype_t dt = call->outputs[0]->dtype;
      put_u64(e + 12, (uint64_t)(hmin ? wrap_bound(mn, dt) : 0));
      put_u64(e + 14, (uint64_t)(hmax ? wrap_bound(mx, dt) : 0));
      break;
    }
    default: break;
  }
  put_f32(e + 0, a);
  put_f32(e + 1, b);
  put_f32(e + 2, mn);
  put_f32(e + 3, mx);
  put_f64(e + 4, a);
  put_f64(e + 6, b);
  put_f64(e + 8, mn);
  put_f64(e + 10, mx);
  e[16] = mode;
  e[17] = flags;
  bp_status_t s = bpvk_record_ew_vec4(d, call, "unary_v4_8", k->op, e);
  if (s != BP_STATUS_UNSUPPORTED) return s;
  return rec_ew(d, call, variant, k->op, e);
}

static bp_status_t rec_spec(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  if (k->sub == K_CMP || k->sub == K_PRED) { /* f32 on CPU devices, where it fits */
    bp_status_t s = bpvk_record_cmp_vec4(d, call, k->op);
    if (s != BP_STATUS_UNSUPPORTED) return s;
  }
  return rec_ew(d, call, variant, k->op, NULL);
}

/* ---- random ops (reference/src/ref_random.h) ---- */

static void put_seed(const bp_kernel_call_t *call, uint32_t *e) {
  put_u64(e + 0, (uint64_t)attr_i(call, "seed", 0));
  put_u64(e + 2, (uint64_t)attr_i(call, "offset", 0));
}

static bp_status_t rec_uniform(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t e[EW_NEXTRA];
  memset(e, 0, sizeof e);
  put_seed(call, e);
  double from = attr_f(call, "from", 0.0), to = attr_f(call, "to", 1.0);
  put_f32(e + 4, from);
  put_f32(e + 5, to);
  put_f64(e + 6, from);
  put_f64(e + 8, to);
  return rec_ew(d, call, variant, 0, e);
}

static bp_status_t rec_normal(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t e[EW_NEXTRA];
  memset(e, 0, sizeof e);
  put_seed(call, e);
  put_f64(e + 6, attr_f(call, "mean", 0.0));
  put_f64(e + 8, attr_f(call, "std", 1.0));
  return rec_ew(d, call, variant, 0, e);
}

static bp_status_t rec_dropout(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t e[EW_NEXTRA];
  memset(e, 0, sizeof e);
  put_seed(call, e);
  double keep = 1.0 - attr_f(call, "p", 0.5);
  double threshold = keep * 16777216.0; /* kept when u24 < threshold, i.e. u24 < ceil(threshold) */
  double scale = keep == 0.0 ? 0.0 : 1.0 / keep;
  e[4] = attr_b(call, "train", true) ? 1u : 0u;
  e[5] = threshold <= 0 ? 0u : (uint32_t)ceil(threshold);
  put_f32(e + 6, scale);
  put_f64(e + 8, scale);
  return rec_ew(d, call, variant, 0, e);
}

static bp_status_t rec_bernoulli(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  uint32_t e[EW_NEXTRA];
  memset(e, 0, sizeof e);
  put_seed(call, e);
  put_u64(e + 4, bpvk_element_bits(call->outputs[0]->dtype, 1.0, 1));
  /* The ew operand order is (out, p): the shader reads p as binding 2. */
  return rec_ew_checked(d, call, variant, 0, e, "bernoulli: p must be in [0, 1]");
}

/* Row-major with no gaps (extent-1 dims aside). */
static bool dense(const bp_tensor_desc_t *t) {
  int64_t step = 1;
  for (int32_t i = t->ndim - 1; i >= 0; --i) {
    if (t->shape[i] == 1) continue;
    if (t->strides[i] != step) return false;
    step *= t->shape[i];
  }
  return true;
}

static bp_status_t rec_fill(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_attr_t *fv = bp_abi_find_attr(call, "value"), *iv = bp_abi_find_attr(call, "value_int");
  double value = fv && fv->type == BP_ATTR_FLOAT ? fv->value.f : 0.0;
  int64_t value_int = iv && iv->type == BP_ATTR_INT ? iv->value.i : 0;
  uint64_t bits = bpvk_element_bits(call->outputs[0]->dtype, value, value_int);
  /* A dense output whose elements repeat one 4-byte word, on whole words:
   * the driver's buffer fill (lavapipe: memset-like; GPUs: their fill). */
  const bp_tensor_desc_t *o = call->outputs[0];
  size_t es = bp_abi_dtype_size(o->dtype);
  uint32_t word = es == 1 ? (uint32_t)(bits & 0xffu) * 0x01010101u
                  : es == 2 ? (uint32_t)(bits & 0xffffu) * 0x00010001u
                            : (uint32_t)bits;
  const bpvk_alloc_t *oa = o->data;
  uint64_t off = oa->offset + o->byte_offset, size = (uint64_t)numel_of(o) * es;
  if (dense(o) && off % 4 == 0 && size % 4 == 0 && (es != 8 || (uint32_t)(bits >> 32) == word)) {
    bpvk_batch_t *b;
    bp_status_t s = bpvk_batch_begin(d, &b);
    if (s) return s;
    vkCmdFillBuffer(b->cmd, oa->block->buffer, off, size, word);
    bpvk_barrier(b);
    return BP_STATUS_OK;
  }
  uint32_t extra[EW_NEXTRA] = {(uint32_t)bits, (uint32_t)(bits >> 32)};
  return rec_ew(d, call, variant, 0, extra);
}

static bp_status_t rec_copy(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  /* One dtype, both dense, ranges apart: the bytes as they are, by the
   * driver's buffer copy (lavapipe: memcpy; GPUs: their copy path). */
  const bp_tensor_desc_t *src = call->inputs[0], *dst = call->outputs[0];
  if (src->dtype == dst->dtype && dense(src) && dense(dst)) {
    const bpvk_alloc_t *sa = src->data, *da = dst->data;
    uint64_t size = (uint64_t)numel_of(dst) * bp_abi_dtype_size(dst->dtype);
    uint64_t so = sa->offset + src->byte_offset, dof = da->offset + dst->byte_offset;
    if (sa->block != da->block || so + size <= dof || dof + size <= so) {
      bpvk_batch_t *b;
      bp_status_t s = bpvk_batch_begin(d, &b);
      if (s) return s;
      VkBufferCopy region = {.srcOffset = so, .dstOffset = dof, .size = size};
      vkCmdCopyBuffer(b->cmd, sa->block->buffer, da->block->buffer, 1, &region);
      bpvk_barrier(b);
      return BP_STATUS_OK;
    }
  }
  bp_status_t s = bpvk_record_copy_vec4(d, call); /* 4-byte dtypes on CPU devices, where it fits */
  if (s != BP_STATUS_UNSUPPORTED) return s;
  return rec_ew(d, call, variant, 0, NULL);
}

static bp_status_t rec_binary(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bpvk_kernel_t *k = call->kernel_data;
  double alpha = attr_f(call, "alpha", 1.0);
  uint32_t extra[EW_NEXTRA];
  memset(extra, 0, sizeof extra);
  extra[2] = (uint32_t)attr_i(call, "rounding_mode", 0);
  bp_dtype_t dt = call->outputs[0]->dtype;
  if (dt == BP_DTYPE_F64) {
    memcpy(extra, &alpha, 8);
  } else if (dt == BP_DTYPE_F32 || dt == BP_DTYPE_F16 || dt == BP_DTYPE_BF16) {
    float f = (float)alpha;
    memcpy(extra, &f, 4);
  } else {
    uint64_t u = (uint64_t)bpvk_f64_to_i64(alpha);
    extra[0] = (uint32_t)u;
    extra[1] = (uint32_t)(u >> 32);
  }
  bool int_div = (k->op == BI_DIV || k->op == BI_REM) && !(dt >= BP_DTYPE_F16);
  /* f32 on CPU devices, where it fits; not atan2 (compute-bound: no gain,
   * and a long pipeline compile). div's rounding mode as spec bits 13..14. */
  if (dt == BP_DTYPE_F32 && call->num_inputs == 2 && k->op != BI_ATAN2 && extra[2] <= 2) {
    bp_status_t s = bpvk_record_ew_vec4(d, call, "binary_v4_8", k->op | (k->op == BI_DIV ? extra[2] << 13 : 0u), extra);
    if (s != BP_STATUS_UNSUPPORTED) return s;
  }
  return rec_ew_checked(d, call, variant, k->op, extra, int_div ? "division by zero (integer div or remainder)" : NULL);
}

/* ---- sum: output in keepdim form ---- */

enum { SUM_NOUT = 0, SUM_NRED, SUM_KND, SUM_KSHAPE = 3, SUM_KIN = 11, SUM_KOUT = 19, SUM_RND = 27, SUM_RSHAPE = 28,
       SUM_RIN = 36, SUM_INOFF = 44, SUM_OUTOFF = 45, SUM_WORDS = 48 };

enum { SUM_SPLIT = 46 };

/* sum.comp's words for a call; the number of terms per output. */
static uint64_t sum_words(const bp_kernel_call_t *call, uint32_t w[SUM_WORDS]) {
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  memset(w, 0, SUM_WORDS * sizeof *w);
  uint32_t kn = 0, rn = 0;
  uint64_t nout = 1, nred = 1;
  for (int32_t i = 0; i < x->ndim; ++i) {
    if (x->shape[i] == 1) continue;
    if (o->shape[i] == 1) { /* reduced */
      w[SUM_RSHAPE + rn] = (uint32_t)x->shape[i];
      w[SUM_RIN + rn] = (uint32_t)x->strides[i];
      nred *= (uint64_t)x->shape[i];
      ++rn;
    } else {
      w[SUM_KSHAPE + kn] = (uint32_t)x->shape[i];
      w[SUM_KIN + kn] = (uint32_t)x->strides[i];
      w[SUM_KOUT + kn] = (uint32_t)o->strides[i];
      nout *= (uint64_t)x->shape[i];
      ++kn;
    }
  }
  if (numel_of(x) == 0) nred = 0;
  w[SUM_NOUT] = (uint32_t)nout;
  w[SUM_NRED] = (uint32_t)nred;
  w[SUM_KND] = kn;
  w[SUM_RND] = rn;
  w[SUM_INOFF] = nred ? vt(x).offset : 0;
  w[SUM_OUTOFF] = vt(o).offset;
  return nred;
}

static bp_status_t rec_sum(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  uint32_t w[SUM_WORDS];
  uint64_t nred = sum_words(call, w);
  /* An empty input still writes zeros: bind the output twice. */
  VkBuffer bufs[3] = {vt(o).buffer, nred ? vt(x).buffer : vt(o).buffer, VK_NULL_HANDLE};
  uint32_t gx, gy;
  grid_1d(w[SUM_NOUT], 1, &gx, &gy);
  return bpvk_dispatch(d, variant, 0, bufs, w, SUM_WORDS, gx, gy, 1);
}

/* Few outputs of many terms (a loss's sum, sum of everything): one work
 * group per output would leave all but one core or SM idle, so the terms
 * are split over G work groups per output, each writing its partial sum
 * to a scratch buffer, and a second dispatch of the same shader adds each
 * output's G partials in order (deterministic). f32, f64 and i64, whose
 * partials keep the storage dtype. */
#define SUM_SPLIT_MIN_TERMS 32768u
static bp_status_t k_sum_split(const bp_kernel_call_t *call) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  uint32_t w[SUM_WORDS];
  uint64_t nred = sum_words(call, w), nout = w[SUM_NOUT];
  uint64_t split = nred / 16384u; /* >= 64 terms per invocation (2 groups from 32K terms) */
  if (split > 1024u) split = 1024u;
  if (split * nout > 4096u) split = 4096u / nout;
  size_t esize = bp_abi_dtype_size(o->dtype);
  void *scratch = NULL;
  if (split < 2 || bpvk_buffer_alloc(ctx, call->device_index, nout * split * esize, &scratch))
    return bpvk_kernel_run(call, rec_sum);
  const bpvk_alloc_t *sa = scratch;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  int32_t variant = kSum.variant(call, &kSum);
  /* pass 1: partial sums, [kept..., G] contiguous in the scratch range */
  uint32_t w1[SUM_WORDS];
  memcpy(w1, w, sizeof w1);
  w1[SUM_SPLIT] = (uint32_t)split;
  w1[SUM_OUTOFF] = (uint32_t)(sa->offset / esize);
  /* pass 2: G terms per output from the scratch, into out's layout */
  uint32_t w2[SUM_WORDS];
  memcpy(w2, w, sizeof w2);
  w2[SUM_NRED] = (uint32_t)split;
  w2[SUM_RND] = 1;
  w2[SUM_RSHAPE] = (uint32_t)split;
  w2[SUM_RIN] = 1;
  uint32_t stride = (uint32_t)split;
  for (int32_t i = (int32_t)w[SUM_KND] - 1; i >= 0; --i) {
    w2[SUM_KIN + i] = stride;
    stride *= w[SUM_KSHAPE + i];
  }
  w2[SUM_INOFF] = (uint32_t)(sa->offset / esize);
  VkBuffer b1[3] = {sa->block->buffer, vt(x).buffer, VK_NULL_HANDLE};
  VkBuffer b2[3] = {vt(o).buffer, sa->block->buffer, VK_NULL_HANDLE};
  uint32_t gx, gy;
  grid_1d(nout, 1, &gx, &gy);
  pthread_mutex_lock(&d->mu);
  bp_status_t s = bpvk_dispatch(d, variant, 0, b1, w1, SUM_WORDS, gx, gy, (uint32_t)split);
  if (!s) s = bpvk_dispatch(d, variant, 0, b2, w2, SUM_WORDS, gx, gy, 1);
  pthread_mutex_unlock(&d->mu);
  bpvk_buffer_free(ctx, call->device_index, scratch);
  return s;
}

/* ---- matmul: [B..., M, K] @ [B..., K, N] ---- */

enum { MM_M = 0, MM_N, MM_K, MM_BND, MM_BSHAPE = 4, MM_BA = 10, MM_BB = 16, MM_BO = 22, MM_AOFF = 28, MM_SAM, MM_SAK,
       MM_BOFF, MM_SBK, MM_SBN, MM_OOFF, MM_SOM, MM_SON, MM_WORDS = 40 };

/* True when every element of t lies within the first `limit` elements of
 * its block (a texel view reaches maxTexelBufferElements texels). */
static bool texel_reach(const bp_tensor_desc_t *t, uint64_t limit) {
  uint64_t last = vt(t).offset;
  for (int32_t i = 0; i < t->ndim; ++i) last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
  return last < limit;
}

static bp_status_t rec_matmul(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant) {
  const bp_tensor_desc_t *a = call->inputs[0], *b = call->inputs[1], *o = call->outputs[0];
  int32_t nd = o->ndim;
  uint32_t w[MM_WORDS];
  memset(w, 0, sizeof w);
  uint32_t M = (uint32_t)o->shape[nd - 2], N = (uint32_t)o->shape[nd - 1], K = (uint32_t)a->shape[nd - 1];
  w[MM_M] = M;
  w[MM_N] = N;
  w[MM_K] = K;
  uint32_t bn = 0;
  uint64_t batch = 1;
  for (int32_t i = 0; i < nd - 2; ++i) {
    if (o->shape[i] == 1) continue;
    w[MM_BSHAPE + bn] = (uint32_t)o->shape[i];
    w[MM_BA + bn] = (uint32_t)a->strides[i];
    w[MM_BB + bn] = (uint32_t)b->strides[i];
    w[MM_BO + bn] = (uint32_t)o->strides[i];
    batch *= (uint64_t)o->shape[i];
    ++bn;
  }
  w[MM_BND] = bn;
  bool kz = K == 0;
  w[MM_AOFF] = kz ? 0 : vt(a).offset;
  w[MM_SAM] = (uint32_t)a->strides[nd - 2];
  w[MM_SAK] = (uint32_t)a->strides[nd - 1];
  w[MM_BOFF] = kz ? 0 : vt(b).offset;
  w[MM_SBK] = (uint32_t)b->strides[nd - 2];
  w[MM_SBN] = (uint32_t)b->strides[nd - 1];
  w[MM_OOFF] = vt(o).offset;
  w[MM_SOM] = (uint32_t)o->strides[nd - 2];
  w[MM_SON] = (uint32_t)o->strides[nd - 1];
  if (batch > 65535) return bpvk_fail(d->ctx, BP_STATUS_UNSUPPORTED, "vulkan matmul: more than 65535 batches");
  VkBuffer bufs[3] = {vt(o).buffer, kz ? vt(o).buffer : vt(a).buffer, kz ? vt(o).buffer : vt(b).buffer};
  /* CPU drivers (lavapipe): f32 through vec4 texel reads where the layout
   * allows: K and N in whole vec4s, unit output column stride, offsets and
   * batch strides in whole vec4s; a row-major (unit k stride, row stride in
   * vec4s) or k-major (unit row stride, k stride in vec4s, M in vec4s); b
   * row-major (unit n stride) or contiguous along k (unit k stride, n
   * stride in vec4s). 16 (8 for small M) x 64 output tiles. */
  uint64_t reach = d->props.limits.maxTexelBufferElements; /* R32 texels */
  bool cpu = d->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && !d->ctx->matmul_tiled && !kz &&
             texel_reach(a, reach) && texel_reach(b, reach);
  bool a_rows = w[MM_SAK] == 1 && w[MM_SAM] % 4 == 0, a_kmaj = w[MM_SAM] == 1 && w[MM_SAK] % 4 == 0 && M % 4 == 0;
  bool b_rows = w[MM_SBN] == 1 && w[MM_SBK] % 4 == 0, b_kmaj = w[MM_SBK] == 1 && w[MM_SBN] % 4 == 0;
  bool vec4 = N % 4 == 0 && K % 4 == 0 && w[MM_SON] == 1 && w[MM_AOFF] % 4 == 0 && w[MM_BOFF] % 4 == 0 &&
              (a_rows || a_kmaj) && (b_rows || b_kmaj);
  for (uint32_t i = 0; i < bn; ++i) vec4 = vec4 && w[MM_BA + i] % 4 == 0 && w[MM_BB + i] % 4 == 0;
  if (cpu && vec4 && o->dtype == BP_DTYPE_F32) {
    uint32_t rows = M >= 128 ? 16 : 8;
    bool at = !a_rows, bt = !b_rows;
    char tname[32]; /* K in steps of 8 where it divides K (row-major a and b), else 4 */
    snprintf(tname, sizeof tname, "mmt%sx8%s%s%s_8", rows == 16 ? "16" : "8", !at && !bt && K % 8 == 0 ? "k8" : "",
             at ? "at" : "", bt ? "bt" : "");
    int32_t tv = bpvk_variant_find(tname);
    if (bpvk_variant_usable(d, tv)) {
      VkBuffer tex[3] = {vt(a).buffer, vt(b).buffer, VK_NULL_HANDLE};
      VkFormat fmt[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_UNDEFINED};
      VkBuffer out[3] = {vt(o).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
      return bpvk_dispatch_texel(d, tv, 0, out, tex, fmt, w, MM_WORDS, (N + 63) / 64, (M + rows - 1) / rows,
                                 (uint32_t)batch);
    }
  }
  /* Other f32 layouts on CPU drivers: R32 texel reads, any strides. */
  int32_t any = bpvk_variant_find("mmta_8");
  if (cpu && !kz && o->dtype == BP_DTYPE_F32 && bpvk_variant_usable(d, any)) {
    VkBuffer tex[3] = {vt(a).buffer, vt(b).buffer, VK_NULL_HANDLE};
    VkFormat fmt[3] = {VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32_SFLOAT, VK_FORMAT_UNDEFINED};
    VkBuffer out[3] = {vt(o).buffer, VK_NULL_HANDLE, VK_NULL_HANDLE};
    return bpvk_dispatch_texel(d, any, 0, out, tex, fmt, w, MM_WORDS, (N + 63) / 64, (M + 7) / 8, (uint32_t)batch);
  }
  /* CPU drivers (lavapipe): the variant without shared memory, 32x32 tiles
   * (BP_VULKAN_MATMUL_TILED=1 forces the shared-memory one, to test it). */
  if (d->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && !d->ctx->matmul_tiled) {
    char name[32];
    snprintf(name, sizeof name, "mmd_%u", o->dtype);
    int32_t direct = bpvk_variant_find(name);
    if (bpvk_variant_usable(d, direct))
      return bpvk_dispatch(d, direct, 0, bufs, w, MM_WORDS, (N + 31) / 32, (M + 31) / 32, (uint32_t)batch);
  }
  return bpvk_dispatch(d, variant, 0, bufs, w, MM_WORDS, (N + 63) / 64, (M + 63) / 64, (uint32_t)batch);
}

/* matmul for the ops built on it (linear): a call of matmul's kernel form. */
static bp_kernel_call_t matmul_call(bpvk_device_t *d, const bp_tensor_desc_t *const *in,
                                    const bp_tensor_desc_t *const *out) {
  return (bp_kernel_call_t){.struct_size = sizeof(bp_kernel_call_t), .op_name = "matmul", .plugin_ctx = d->ctx,
                            .kernel_data = (void *)&kMatmul, .device_index = d->index, .num_inputs = 2,
                            .num_outputs = 1, .inputs = in, .outputs = out};
}

bool bpvk_matmul_usable(bpvk_device_t *d, const bp_tensor_desc_t *a, const bp_tensor_desc_t *b,
                        const bp_tensor_desc_t *o) {
  const bp_tensor_desc_t *in[2] = {a, b}, *out[1] = {o};
  bp_kernel_call_t call = matmul_call(d, in, out);
  return bpvk_kernel_supports(&call);
}

bp_status_t bpvk_record_matmul(bpvk_device_t *d, const bp_tensor_desc_t *a, const bp_tensor_desc_t *b,
                               const bp_tensor_desc_t *o) {
  const bp_tensor_desc_t *in[2] = {a, b}, *out[1] = {o};
  bp_kernel_call_t call = matmul_call(d, in, out);
  return rec_matmul(d, &call, kMatmul.variant(&call, &kMatmul));
}

static bp_status_t k_fill(const bp_kernel_call_t *c) { return run(c, rec_fill); }
static bp_status_t k_copy(const bp_kernel_call_t *c) { return run(c, rec_copy); }
static bp_status_t k_binary(const bp_kernel_call_t *c) { return run(c, rec_binary); }
static bp_status_t k_sum(const bp_kernel_call_t *c) {
  bp_status_t s = bpvk_sum_texel(c, false); /* f32 on CPU devices, where it fits */
  if (s != BP_STATUS_UNSUPPORTED) return s;
  const bp_tensor_desc_t *x = c->inputs[0], *o = c->outputs[0];
  bool raw_acc = o->dtype == BP_DTYPE_F32 || o->dtype == BP_DTYPE_F64 || o->dtype == BP_DTYPE_I64;
  if (raw_acc && bpvk_kernel_supports(c) && numel_of(o) > 0 && numel_of(o) < 64 &&
      numel_of(x) / numel_of(o) >= SUM_SPLIT_MIN_TERMS)
    return k_sum_split(c);
  return run(c, rec_sum);
}
static bp_status_t k_matmul(const bp_kernel_call_t *c) { return run(c, rec_matmul); }
static bp_status_t k_unary(const bp_kernel_call_t *c) { return run(c, rec_unary); }
static bp_status_t k_spec(const bp_kernel_call_t *c) { return run(c, rec_spec); }
static bp_status_t k_uniform(const bp_kernel_call_t *c) { return run(c, rec_uniform); }
static bp_status_t k_normal(const bp_kernel_call_t *c) { return run(c, rec_normal); }
static bp_status_t k_dropout(const bp_kernel_call_t *c) { return run(c, rec_dropout); }
static bp_status_t k_bernoulli(const bp_kernel_call_t *c) { return run(c, rec_bernoulli); }

/* ---- registration ---- */

uint32_t bpvk_device_dtype_mask(bpvk_device_t *d) {
  uint32_t mask = 0;
  for (bp_dtype_t dt = BP_DTYPE_BOOL; dt <= BP_DTYPE_F64; ++dt) {
    char name[32];
    snprintf(name, sizeof name, "copy_%u_%u", bpvk_raw_dtype(dt), bpvk_raw_dtype(dt));
    bool ok = bpvk_variant_usable(d, bpvk_variant_find(name));
    /* A dtype the device cannot compute with is not stored either: f16 and
     * f64 need their arithmetic shaders too. */
    if (dt == BP_DTYPE_F64) ok = ok && bpvk_variant_usable(d, bpvk_variant_find("binary_9"));
    if (dt == BP_DTYPE_I64) ok = ok && bpvk_variant_usable(d, bpvk_variant_find("binary_5"));
    if (ok) mask |= BP_DTYPE_BIT(dt);
  }
  return mask;
}

/* Which unary ops a dtype gets: float functions only for floats (f64 only
 * those SPIR-V has double math for: GLSL.std.450 exp, log, sin, tanh, pow,
 * atan ... are 16/32-bit only); integers the exact ones; bool only sign. */
static bool unary_has(uint32_t op, bp_dtype_t dt) {
  bool exact = op <= UN_SIGN || op == UN_RELU || op >= UN_FLOOR;
  if (dt == BP_DTYPE_BOOL) return op == UN_SIGN;
  if (dt < BP_DTYPE_F16) return exact;
  if (dt == BP_DTYPE_F64) return exact || (op >= UN_SQRT && op <= UN_RECIPROCAL) || op == UN_LEAKY;
  return true;
}

static bool binary_has(uint32_t op, bp_dtype_t dt) {
  bool is_float = dt >= BP_DTYPE_F16;
  switch (op) {
    case BI_ADD: case BI_MUL: case BI_MAX: case BI_MIN: return true;
    case BI_SUB: case BI_DIV: case BI_REM: return dt != BP_DTYPE_BOOL;
    /* f32 pow declined: GLSL's pow (lavapipe: exp2(y log2 x) in f32) is
     * thousands of ulp off for large |y log2 x|; f16/bf16 absorb it. */
    case BI_POW: return dt != BP_DTYPE_BOOL && dt != BP_DTYPE_F32 && dt != BP_DTYPE_F64;
    case BI_ATAN2: return is_float && dt != BP_DTYPE_F64;
    default: return !is_float; /* bitwise */
  }
}

bp_status_t bpvk_kernels_register(bpvk_ctx_t *ctx) {
  bp_status_t s = BP_STATUS_OK;
  char name[32];
  for (bp_dtype_t a = BP_DTYPE_BOOL; a <= BP_DTYPE_F64 && !s; ++a) {
    bp_dtype_t one[1] = {a}, three[3] = {a, a, a}, two_same[2] = {a, a}, to_bool[2] = {a, BP_DTYPE_BOOL},
               cmp[3] = {a, a, BP_DTYPE_BOOL};
    bool is_float = a >= BP_DTYPE_F16;
    snprintf(name, sizeof name, "fill_%u", bpvk_raw_dtype(a));
    s = bpvk_kernel_reg(ctx, "fill", name, one, 1, k_fill, &kFill);
    for (bp_dtype_t b = BP_DTYPE_BOOL; b <= BP_DTYPE_F64 && !s; ++b) {
      bp_dtype_t two[2] = {a, b};
      if (a == b) snprintf(name, sizeof name, "copy_%u_%u", bpvk_raw_dtype(a), bpvk_raw_dtype(a));
      else snprintf(name, sizeof name, "copy_%u_%u", a, b);
      s = bpvk_kernel_reg(ctx, "copy", name, two, 2, k_copy, &kCopy);
    }
    snprintf(name, sizeof name, "binary_%u", a);
    for (uint32_t op = 0; op < BI_COUNT && !s; ++op)
      if (binary_has(op, a)) s = bpvk_kernel_reg(ctx, kBinaryOps[op], name, three, 3, k_binary, &kBinary[op]);
    snprintf(name, sizeof name, "unary_%u", a);
    for (uint32_t op = 0; op < UN_COUNT && !s; ++op)
      if (unary_has(op, a)) s = bpvk_kernel_reg(ctx, kUnaryOps[op], name, two_same, 2, k_unary, &kUnary[op]);
    snprintf(name, sizeof name, "pred_%u", a);
    for (uint32_t op = 0; op < 3 && !s; ++op)
      s = bpvk_kernel_reg(ctx, kPredOps[op], name, to_bool, 2, k_spec, &kPred[op]);
    snprintf(name, sizeof name, "cmp_%u", a);
    for (uint32_t op = 0; op < 9 && !s; ++op)
      s = bpvk_kernel_reg(ctx, kCmpOps[op], name, cmp, 3, k_spec, &kCmp[op]);
    snprintf(name, sizeof name, "sum_%u", a);
    if (!s && (is_float || a == BP_DTYPE_I64)) s = bpvk_kernel_reg(ctx, "sum", name, two_same, 2, k_sum, &kSum);
    snprintf(name, sizeof name, "mm_%u", a);
    if (!s && a != BP_DTYPE_BOOL) s = bpvk_kernel_reg(ctx, "matmul", name, three, 3, k_matmul, &kMatmul);
    if (!s && a != BP_DTYPE_BOOL) s = bpvk_kernel_reg(ctx, "bmm", name, three, 3, k_matmul, &kMatmul);
    if (is_float && !s) {
      snprintf(name, sizeof name, "uniform_%u", a);
      s = bpvk_kernel_reg(ctx, "uniform", name, one, 1, k_uniform, &kUniform);
      snprintf(name, sizeof name, "normal_%u", a); /* f64 math: devices with shaderFloat64 */
      if (!s) s = bpvk_kernel_reg(ctx, "normal", name, one, 1, k_normal, &kNormal);
      snprintf(name, sizeof name, "dropout_%u", a);
      if (!s) s = bpvk_kernel_reg(ctx, "dropout", name, two_same, 2, k_dropout, &kDropout);
    }
    for (bp_dtype_t p = BP_DTYPE_F32; p <= BP_DTYPE_F64 && !s; ++p) {
      bp_dtype_t sig[2] = {p, a};
      snprintf(name, sizeof name, "bern_%u_%u", p, bpvk_raw_dtype(a));
      s = bpvk_kernel_reg(ctx, "bernoulli", name, sig, 2, k_bernoulli, &kBernoulli);
    }
  }
  if (!s) s = bpvk_conv_register(ctx);
  if (!s) s = bpvk_ops_ewn_register(ctx);
  if (!s) s = bpvk_ops_nn_register(ctx);
  if (!s) s = bpvk_ops_reduce_register(ctx);
  if (!s) s = bpvk_ops_index_register(ctx);
  if (!s) s = bpvk_ops_norm_register(ctx);
  if (!s) s = bpvk_ops_misc_register(ctx);
  if (!s) s = bpvk_ops_loss_register(ctx);
  if (!s) s = bpvk_ops_attn_register(ctx);
  if (!s) s = bpvk_ops_convbw_register(ctx);
  if (!s) s = bpvk_ops_convd_register(ctx);
  return s;
}
