/* bp_ops_random.c - catalog entries of the random-number ops (uniform,
 * normal, bernoulli, dropout), the generators and the typed entry points.
 * The stream is defined in reference/src/ref_random.h; the attribute docs
 * below repeat what a backend needs. */
#include <math.h>
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* ---- inference ---- */

static void plan_like(bp_op_plan_t *plan, const bp_tensor_t *t, bp_dtype_t dtype) {
  plan->output_dtypes[0] = dtype;
  plan->output_ndim[0] = t->ndim;
  memcpy(plan->output_shape[0], t->shape, sizeof(int64_t) * (size_t)t->ndim);
}

static bp_status_t need_float(const char *op, const char *arg, const bp_tensor_t *t) {
  if (bp_dtype_is_float(t->dtype)) return BP_STATUS_OK;
  return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                 "bp_%s: %s must be a float tensor (f16, bf16, f32, f64), got %s", op, arg,
                 bp_dtype_name(t->dtype));
}

/* uniform: attrs from, to, seed, offset. */
static bp_status_t infer_uniform(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                 bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)in;
  bp_status_t s = need_float("uniform", "out", out[0]);
  if (s) return s;
  double from = attrs[0].value.f, to = attrs[1].value.f;
  if (!isfinite(from) || !isfinite(to))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_uniform: from and to must be finite, got from=%g, to=%g",
                   from, to);
  if (from > to)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_uniform: expects a [from, to) range, but found from=%g > to=%g", from, to);
  if (!isfinite(to - from))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_uniform: to - from must be finite, got from=%g, to=%g", from, to);
  plan_like(plan, out[0], out[0]->dtype);
  return BP_STATUS_OK;
}

/* normal: attrs mean, std, seed, offset. */
static bp_status_t infer_normal(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)in;
  bp_status_t s = need_float("normal", "out", out[0]);
  if (s) return s;
  double std = attrs[1].value.f;
  if (!(std >= 0.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_normal: std must be >= 0, got %g", std);
  plan_like(plan, out[0], out[0]->dtype);
  return BP_STATUS_OK;
}

/* bernoulli: input p (float), output out; attrs seed, offset. */
static bp_status_t infer_bernoulli(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                   bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)attrs;
  bp_status_t s = need_float("bernoulli", "p", in[0]);
  if (s) return s;
  if (out[0]) {
    if (!bp_broadcasts_to(in[0], out[0]->ndim, out[0]->shape)) {
      char a[256], b[256];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_bernoulli: p shape %s does not broadcast to out shape %s",
                     bp_format_shape(a, sizeof(a), in[0]->ndim, in[0]->shape),
                     bp_format_shape(b, sizeof(b), out[0]->ndim, out[0]->shape));
    }
    plan_like(plan, out[0], out[0]->dtype);
  } else {
    plan_like(plan, in[0], in[0]->dtype);
  }
  /* f16/bf16 probabilities go to f32 exactly; the comparison u24 < p * 2^24
   * is then exact in p's own precision. */
  plan->input_dtypes[0] = in[0]->dtype == BP_DTYPE_F64 ? BP_DTYPE_F64 : BP_DTYPE_F32;
  return BP_STATUS_OK;
}

/* dropout: input x, output out; attrs p, train, seed, offset. */
static bp_status_t infer_dropout(const bp_op_def_t *def, bp_tensor_t *const *in, bp_attr_t *attrs,
                                 bp_tensor_t *const *out, bp_op_plan_t *plan) {
  (void)def; (void)out;
  bp_status_t s = need_float("dropout", "x", in[0]);
  if (s) return s;
  double p = attrs[0].value.f;
  if (!(p >= 0.0 && p <= 1.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_dropout: p must be in [0, 1], got %g", p);
  plan_like(plan, in[0], in[0]->dtype);
  plan->input_dtypes[0] = in[0]->dtype;
  return BP_STATUS_OK;
}

static bool sig_float_out(const bp_dtype_t *d) { return bp_dtype_is_float(d[0]); }
static bool sig_bernoulli(const bp_dtype_t *d) {
  return (d[0] == BP_DTYPE_F32 || d[0] == BP_DTYPE_F64) && bp_dtype_is_valid(d[1]);
}
static bool sig_dropout(const bp_dtype_t *d) { return bp_dtype_is_float(d[0]) && d[1] == d[0]; }

#define SEED_ATTR                                                                              \
  {"seed", BP_ATTR_INT, 0.0, 0, false, 0,                                                      \
   "Philox4x32-10 key: (seed mod 2^32, seed >> 32) as uint64 (reference/src/ref_random.h)"}
#define OFFSET_ATTR                                                                            \
  {"offset", BP_ATTR_INT, 0.0, 0, false, 0,                                                    \
   "first counter: block b of the call is Philox(counter (lo32, hi32 of offset + b, 0, 0))"}

const bp_op_def_t bp_op_def_uniform = {
    .name = "uniform",
    .summary = "Fills out with uniform numbers in [from, to) (torch.Tensor.uniform_); element i "
               "(row-major) takes word i%4 of block i/4: from + (to - from) * (w >> 8) * 2^-24 in "
               "f32; f64: block i/2, words 2(i%2), 2(i%2)+1, 53 bits",
    .dtype_rule = "out's dtype: f16, bf16, f32, f64", .num_inputs = 0, .num_outputs = 1,
    .outputs_required = true, .differentiable = false, .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"out"}, .num_attrs = 4,
    .attrs = {{"from", BP_ATTR_FLOAT, 0.0, 0, false, 0, "lower bound (inclusive), finite"},
              {"to", BP_ATTR_FLOAT, 1.0, 0, false, 0, "upper bound, finite, >= from"},
              SEED_ATTR, OFFSET_ATTR},
    .infer = infer_uniform, .signature_ok = sig_float_out};

const bp_op_def_t bp_op_def_normal = {
    .name = "normal",
    .summary = "Fills out with normal numbers (torch.Tensor.normal_); elements 2j, 2j+1 take "
               "block j: Box-Muller with u1 = ((w0:w1 >> 11) + 1) * 2^-53, u2 = (w2:w3 >> 11) * "
               "2^-53, r cos(2 pi u2) and r sin(2 pi u2), in f64",
    .dtype_rule = "out's dtype: f16, bf16, f32, f64", .num_inputs = 0, .num_outputs = 1,
    .outputs_required = true, .differentiable = false, .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"out"}, .num_attrs = 4,
    .attrs = {{"mean", BP_ATTR_FLOAT, 0.0, 0, false, 0, "mean"},
              {"std", BP_ATTR_FLOAT, 1.0, 0, false, 0, "standard deviation, >= 0"},
              SEED_ATTR, OFFSET_ATTR},
    .infer = infer_normal, .signature_ok = sig_float_out};

const bp_op_def_t bp_op_def_bernoulli = {
    .name = "bernoulli",
    .summary = "out = 1 with probability p, else 0 (torch.bernoulli); element i takes word w = "
               "i%4 of block i/4 and is 1 when (w >> 8) < p * 2^24",
    .dtype_rule = "p: f16, bf16, f32, f64 (kernels take f32 or f64); out: p's dtype, or any dtype "
                  "when given",
    .num_inputs = 1, .num_outputs = 1, .differentiable = false, .form = BP_FORM_ELEMENTWISE,
    .slot_names = {"p", "out"}, .num_attrs = 2, .attrs = {SEED_ATTR, OFFSET_ATTR},
    .infer = infer_bernoulli, .signature_ok = sig_bernoulli};

const bp_op_def_t bp_op_def_dropout = {
    .name = "dropout",
    .summary = "torch.nn.functional.dropout: with train, element i (word i%4 of block i/4) is "
               "kept when (w >> 8) < (1 - p) * 2^24 and out = x * (kept ? 1/(1-p) : 0); else out = x",
    .dtype_rule = "x's dtype: f16, bf16, f32, f64", .num_inputs = 1, .num_outputs = 1,
    .differentiable = true, .form = BP_FORM_ELEMENTWISE, .slot_names = {"x", "out"},
    .num_attrs = 4,
    .attrs = {{"p", BP_ATTR_FLOAT, 0.5, 0, false, 0, "probability of zeroing an element, in [0, 1]"},
              {"train", BP_ATTR_BOOL, 0.0, 0, true, 0, "false: out = x (no numbers drawn)"},
              SEED_ATTR, OFFSET_ATTR},
    .infer = infer_dropout, .signature_ok = sig_dropout};

/* ---- generators ---- */

static atomic_ullong default_seed;
static atomic_ullong default_offset;

void bp_generator_initialize(bp_generator_t *gen, uint64_t seed) {
  if (!gen) return;
  gen->seed = seed;
  gen->offset = 0;
}

void bp_manual_seed(uint64_t seed) {
  atomic_store(&default_seed, seed);
  atomic_store(&default_offset, 0);
}

void bp_default_generator_get(bp_generator_t *out_state) {
  if (!out_state) return;
  out_state->seed = atomic_load(&default_seed);
  out_state->offset = atomic_load(&default_offset);
}

uint64_t bp_random_counters(uint32_t op_id, bp_dtype_t dtype, int64_t numel, int train) {
  if (numel <= 0) return 0;
  uint64_t n = (uint64_t)numel;
  switch (op_id) {
    case BP_OP_UNIFORM: return dtype == BP_DTYPE_F64 ? (n + 1) / 2 : (n + 3) / 4;
    case BP_OP_NORMAL: return (n + 1) / 2;
    case BP_OP_BERNOULLI: return (n + 3) / 4;
    case BP_OP_DROPOUT: return train ? (n + 3) / 4 : 0;
    default: return 0;
  }
}

/* Runs a random op with the generator's state, then advances it. The
 * default generator reserves its counters first (atomically), so threads
 * sharing it never draw the same numbers. */
static bp_status_t run_random(uint32_t op_id, bp_tensor_t *in, bp_attr_t *attrs, int seed_slot,
                              bp_tensor_t **out, uint64_t counters, bp_generator_t *gen) {
  uint64_t seed, offset;
  if (gen) {
    seed = gen->seed;
    offset = gen->offset;
  } else {
    seed = atomic_load(&default_seed);
    offset = atomic_fetch_add(&default_offset, counters);
  }
  attrs[seed_slot].value.i = (int64_t)seed;
  attrs[seed_slot + 1].value.i = (int64_t)offset;
  bp_tensor_t *inputs[1] = {in};
  const bp_op_def_t *def = bp_op_def(op_id);
  bp_status_t s = bp_dispatch(op_id, def->num_inputs, inputs, attrs, 1, out);
  if (!s && gen) gen->offset = offset + counters;
  return s;
}

bp_status_t bp_uniform(bp_tensor_t *out, double from, double to, bp_generator_t *gen) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_uniform: out is NULL");
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(BP_OP_UNIFORM), attrs);
  attrs[0].value.f = from;
  attrs[1].value.f = to;
  return run_random(BP_OP_UNIFORM, NULL, attrs, 2, &out,
                    bp_random_counters(BP_OP_UNIFORM, out->dtype, out->numel, 1), gen);
}

bp_status_t bp_normal(bp_tensor_t *out, double mean, double std, bp_generator_t *gen) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_normal: out is NULL");
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(BP_OP_NORMAL), attrs);
  attrs[0].value.f = mean;
  attrs[1].value.f = std;
  return run_random(BP_OP_NORMAL, NULL, attrs, 2, &out,
                    bp_random_counters(BP_OP_NORMAL, out->dtype, out->numel, 1), gen);
}

bp_status_t bp_bernoulli(bp_tensor_t *p, bp_generator_t *gen, bp_tensor_t **out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_bernoulli: out is NULL");
  if (!p) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_bernoulli: p is NULL");
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(BP_OP_BERNOULLI), attrs);
  bp_tensor_t *result = NULL;
  bp_status_t s = run_random(BP_OP_BERNOULLI, p, attrs, 0, &result,
                             bp_random_counters(BP_OP_BERNOULLI, p->dtype, p->numel, 1), gen);
  if (!s) *out = result;
  return s;
}

bp_status_t bp_bernoulli_out(bp_tensor_t *p, bp_generator_t *gen, bp_tensor_t *out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_bernoulli: out is NULL");
  if (!p) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_bernoulli: p is NULL");
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(BP_OP_BERNOULLI), attrs);
  return run_random(BP_OP_BERNOULLI, p, attrs, 0, &out,
                    bp_random_counters(BP_OP_BERNOULLI, out->dtype, out->numel, 1), gen);
}

bp_status_t bp_bernoulli_p(bp_tensor_t *out, double p, bp_generator_t *gen) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_bernoulli: out is NULL");
  if (!(p >= 0.0 && p <= 1.0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_bernoulli: p must be in [0, 1], got %g", p);
  bp_tensor_t *pt = NULL;
  bp_status_t s = bp_tensor_create_scalar(p, &pt); /* f64, 0-dim: joins any device */
  if (!s) s = bp_bernoulli_out(pt, gen, out);
  bp_tensor_release(pt);
  return s;
}

bp_status_t bp_dropout(bp_tensor_t *x, double p, int train, bp_generator_t *gen, bp_tensor_t **out) {
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_dropout: out is NULL");
  if (!x) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_dropout: x is NULL");
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(bp_op_def(BP_OP_DROPOUT), attrs);
  attrs[0].value.f = p;
  attrs[1].value.b = train != 0;
  bp_tensor_t *result = NULL;
  bp_status_t s = run_random(BP_OP_DROPOUT, x, attrs, 2, &result,
                             bp_random_counters(BP_OP_DROPOUT, x->dtype, x->numel, train), gen);
  if (!s) *out = result;
  return s;
}
