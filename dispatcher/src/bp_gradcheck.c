/* bp_gradcheck.c - the Jacobian of a function by its derivative formulas
 * (backward) against central finite differences (see bp_autograd.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_op_catalog.h"

void bp_gradcheck_options_init(bp_gradcheck_options_t *o) {
  if (!o) return;
  memset(o, 0, sizeof(*o));
  o->struct_size = sizeof(*o);
  o->eps = 1e-6;
  o->atol = 1e-5;
  o->rtol = 1e-3;
}

/* Everything one check holds; freed by gc_free. */
typedef struct gc {
  const char *name;
  bp_gradcheck_fn_t fn;
  void *user;
  uint32_t ni, no;
  bp_tensor_t *const *inputs;
  const char *const *slot_names; /* [ni + no] or NULL */
  bool *checked;                 /* [ni] */
  double **host;                 /* [ni] f64 values of checked inputs */
  bp_tensor_t **args;            /* [ni] what fn gets */
  bp_tensor_t **outs;            /* [no] */
  int64_t *out_numel;            /* [no]; -1: not a float output */
  int64_t out_total;
  double *jac_a, *jac_n;         /* [in_total x out_total] */
  int64_t in_total;
  int64_t *in_base;              /* [ni] row offset of input i */
} gc_t;

static void release_all(bp_tensor_t **t, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    bp_tensor_release(t[i]);
    t[i] = NULL;
  }
}

static void gc_free(gc_t *g) {
  if (g->host)
    for (uint32_t i = 0; i < g->ni; ++i) free(g->host[i]);
  if (g->args) release_all(g->args, g->ni);
  if (g->outs) release_all(g->outs, g->no);
  free(g->checked);
  free(g->host);
  free(g->args);
  free(g->outs);
  free(g->out_numel);
  free(g->jac_a);
  free(g->jac_n);
  free(g->in_base);
}

static const char *slot(const gc_t *g, uint32_t s, char *buf, size_t size) {
  const char *n = g->slot_names ? g->slot_names[s] : NULL;
  if (n) return n;
  snprintf(buf, size, "%s%u", s < g->ni ? "input" : "output", s < g->ni ? s : s - g->ni);
  return buf;
}

static void format_index(char *buf, size_t size, const bp_tensor_t *t, int64_t flat) {
  int64_t idx[BP_MAX_DIMS];
  for (int32_t d = t->ndim - 1; d >= 0; --d) {
    idx[d] = t->shape[d] ? flat % t->shape[d] : 0;
    flat = t->shape[d] ? flat / t->shape[d] : 0;
  }
  size_t used = (size_t)snprintf(buf, size, "[");
  for (int32_t d = 0; d < t->ndim && used < size; ++d)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? "," : "", (long long)idx[d]);
  if (used < size) snprintf(buf + used, size - used, "]");
}

/* The f64 values of t (cast when needed). */
static bp_status_t read_f64(bp_tensor_t *t, double *dst) {
  if (t->dtype == BP_DTYPE_F64) return bp_tensor_copy_to_host(t, dst, sizeof(double) * (size_t)t->numel);
  bp_tensor_t *c = NULL;
  bp_status_t s = bp_tensor_cast(t, BP_DTYPE_F64, &c);
  if (!s) s = bp_tensor_copy_to_host(c, dst, sizeof(double) * (size_t)c->numel);
  bp_tensor_release(c);
  return s;
}

/* Fresh arguments: checked inputs from their host values (requiring grad
 * when `grad`), the others as given. */
static bp_status_t make_args(gc_t *g, bool grad) {
  release_all(g->args, g->ni);
  for (uint32_t i = 0; i < g->ni; ++i) {
    bp_tensor_t *in = g->inputs[i];
    if (!g->checked[i]) {
      g->args[i] = bp_tensor_retain(in);
      continue;
    }
    bp_status_t s = bp_tensor_create_from_host(in->storage->device, BP_DTYPE_F64, in->ndim, in->shape,
                                               g->host[i], sizeof(double) * (size_t)in->numel,
                                               &g->args[i]);
    if (s) return s;
    g->args[i]->wrapped_number = in->wrapped_number;
    if (grad && (s = bp_tensor_set_requires_grad(g->args[i], true))) return s;
  }
  return BP_STATUS_OK;
}

static bp_status_t run_fn(gc_t *g) {
  release_all(g->outs, g->no);
  bp_status_t s = g->fn(g->user, g->ni, g->args, g->no, g->outs);
  if (s) return bp_fail_context(s, "bp_gradcheck: %s", g->name);
  for (uint32_t k = 0; k < g->no; ++k)
    if (!g->outs[k])
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_gradcheck: %s: output %u was not set", g->name, k);
  return BP_STATUS_OK;
}

/* Column offset of output k's elements in the Jacobian. */
static int64_t out_base(const gc_t *g, uint32_t k) {
  int64_t b = 0;
  for (uint32_t j = 0; j < k; ++j)
    if (g->out_numel[j] > 0) b += g->out_numel[j];
  return b;
}

/* One backward per float output element. */
static bp_status_t analytical(gc_t *g) {
  bp_status_t s = make_args(g, true);
  if (!s) s = run_fn(g);
  if (s) return s;
  for (uint32_t k = 0; k < g->no; ++k) {
    bp_tensor_t *o = g->outs[k];
    if (g->out_numel[k] <= 0 || !bp_tensor_requires_grad(o)) continue; /* zero columns */
    double *onehot = calloc((size_t)o->numel, sizeof(double));
    if (!onehot) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_gradcheck: out of host memory");
    int64_t col0 = out_base(g, k);
    for (int64_t m = 0; m < o->numel && !s; ++m) {
      onehot[m] = 1.0;
      bp_tensor_t *go = NULL, *goc = NULL;
      s = bp_tensor_create_from_host(o->storage->device, BP_DTYPE_F64, o->ndim, o->shape, onehot,
                                     sizeof(double) * (size_t)o->numel, &go);
      onehot[m] = 0.0;
      if (!s && o->dtype != BP_DTYPE_F64) s = bp_tensor_cast(go, o->dtype, &goc);
      bp_backward_options_t keep = {.struct_size = sizeof(keep), .retain_graph = true};
      if (!s) s = bp_backward(o, goc ? goc : go, &keep);
      if (s) s = bp_fail_context(s, "bp_gradcheck: %s: backward of output %u", g->name, k);
      bp_tensor_release(go);
      bp_tensor_release(goc);
      for (uint32_t i = 0; i < g->ni && !s; ++i) {
        if (!g->checked[i]) continue;
        bp_tensor_t *gr = bp_tensor_grad(g->args[i]);
        int64_t n = g->inputs[i]->numel;
        double *row = g->jac_a;
        if (gr) {
          double *tmp = malloc(sizeof(double) * (size_t)(n ? n : 1));
          if (!tmp) s = bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_gradcheck: out of host memory");
          if (!s) s = read_f64(gr, tmp);
          for (int64_t j = 0; j < n && !s; ++j)
            row[(g->in_base[i] + j) * g->out_total + col0 + m] = tmp[j];
          free(tmp);
        }
        bp_tensor_clear_grad(g->args[i]);
      }
    }
    free(onehot);
    if (s) return s;
  }
  return BP_STATUS_OK;
}

/* Reads every float output into dst (out_total values). */
static bp_status_t read_outputs(gc_t *g, double *dst) {
  bp_status_t s = BP_STATUS_OK;
  for (uint32_t k = 0; k < g->no && !s; ++k)
    if (g->out_numel[k] > 0) s = read_f64(g->outs[k], dst + out_base(g, k));
  return s;
}

/* Two forwards per element of every checked input. */
static bp_status_t numerical(gc_t *g, double eps) {
  double *plus = malloc(sizeof(double) * (size_t)(g->out_total ? g->out_total : 1));
  double *minus = malloc(sizeof(double) * (size_t)(g->out_total ? g->out_total : 1));
  bp_status_t s = plus && minus ? BP_STATUS_OK
                                : bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_gradcheck: out of host memory");
  bp_no_grad_enter();
  for (uint32_t i = 0; i < g->ni && !s; ++i) {
    if (!g->checked[i]) continue;
    for (int64_t j = 0; j < g->inputs[i]->numel && !s; ++j) {
      double x = g->host[i][j];
      g->host[i][j] = x + eps;
      s = make_args(g, false);
      if (!s) s = run_fn(g);
      if (!s) s = read_outputs(g, plus);
      g->host[i][j] = x - eps;
      if (!s) s = make_args(g, false);
      if (!s) s = run_fn(g);
      if (!s) s = read_outputs(g, minus);
      g->host[i][j] = x;
      for (int64_t c = 0; c < g->out_total && !s; ++c)
        g->jac_n[(g->in_base[i] + j) * g->out_total + c] = (plus[c] - minus[c]) / (2.0 * eps);
    }
  }
  bp_no_grad_exit();
  free(plus);
  free(minus);
  return s;
}

static bp_status_t compare(gc_t *g, const bp_gradcheck_options_t *o) {
  int64_t bad = 0, first_row = -1, first_col = -1;
  for (int64_t r = 0; r < g->in_total; ++r)
    for (int64_t c = 0; c < g->out_total; ++c) {
      double a = g->jac_a[r * g->out_total + c], n = g->jac_n[r * g->out_total + c];
      bool ok = fabs(a - n) <= o->atol + o->rtol * fabs(n) || (isnan(a) && isnan(n)) ||
                (isinf(a) && a == n);
      if (!ok && bad++ == 0) {
        first_row = r;
        first_col = c;
      }
    }
  if (!bad) return BP_STATUS_OK;
  uint32_t i = 0, k = 0;
  /* the input whose rows hold first_row */
  for (uint32_t t = 0; t < g->ni; ++t)
    if (g->checked[t] && g->in_base[t] <= first_row && first_row < g->in_base[t] + g->inputs[t]->numel)
      i = t;
  for (uint32_t t = 0; t < g->no; ++t) {
    int64_t b = out_base(g, t);
    if (g->out_numel[t] > 0 && b <= first_col && first_col < b + g->out_numel[t]) k = t;
  }
  char in_idx[160], out_idx[160], in_name[32], out_name[32];
  format_index(in_idx, sizeof(in_idx), g->inputs[i], first_row - g->in_base[i]);
  format_index(out_idx, sizeof(out_idx), g->outs[k], first_col - out_base(g, k));
  double a = g->jac_a[first_row * g->out_total + first_col];
  double n = g->jac_n[first_row * g->out_total + first_col];
  return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                 "bp_gradcheck: %s: d %s%s / d %s%s (input %u): analytical %.10g, numerical %.10g "
                 "(|diff| %.3g > atol %g + rtol %g * |numerical|); %lld of %lld entries disagree",
                 g->name, slot(g, g->ni + k, out_name, sizeof(out_name)), out_idx,
                 slot(g, i, in_name, sizeof(in_name)), in_idx, i, a, n, fabs(a - n), o->atol,
                 o->rtol, (long long)bad, (long long)(g->in_total * g->out_total));
}

static bp_status_t gradcheck(gc_t *g, const bp_gradcheck_options_t *opts) {
  static const char fn[] = "bp_gradcheck";
  bp_gradcheck_options_t o;
  bp_gradcheck_options_init(&o);
  if (opts) {
    if (opts->struct_size < sizeof(o))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: opts->struct_size is %u (expected %zu; use "
                     "bp_gradcheck_options_init)", fn, opts->struct_size, sizeof(o));
    o = *opts;
    if (!(o.eps > 0) || !(o.atol >= 0) || !(o.rtol >= 0))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: eps must be > 0 and atol, rtol >= 0 (got eps %g, atol %g, rtol %g)", fn,
                     o.eps, o.atol, o.rtol);
  }
  if (!g->fn) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: fn is NULL", fn);
  if (g->ni && !g->inputs) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: inputs is NULL", fn);
  if (g->ni > BP_MAX_VARIADIC || g->no == 0 || g->no > BP_MAX_SLOTS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %s: takes up to %d inputs and 1 to %d outputs "
                   "(got %u and %u)", fn, g->name, BP_MAX_VARIADIC, BP_MAX_SLOTS, g->ni, g->no);
  if (!bp_grad_is_enabled())
    return bp_fail(BP_STATUS_FAILED_PRECONDITION, "%s: grad mode is off (inside bp_no_grad_enter)", fn);
  bool any_marked = false;
  for (uint32_t i = 0; i < g->ni; ++i) {
    if (!g->inputs[i]) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %s: inputs[%u] is NULL", fn, g->name, i);
    any_marked |= bp_tensor_requires_grad(g->inputs[i]);
  }
  g->checked = calloc(g->ni ? g->ni : 1, sizeof(bool));
  g->host = calloc(g->ni ? g->ni : 1, sizeof(double *));
  g->args = calloc(g->ni ? g->ni : 1, sizeof(bp_tensor_t *));
  g->in_base = calloc(g->ni ? g->ni : 1, sizeof(int64_t));
  g->outs = calloc(g->no, sizeof(bp_tensor_t *));
  g->out_numel = calloc(g->no, sizeof(int64_t));
  if (!g->checked || !g->host || !g->args || !g->in_base || !g->outs || !g->out_numel)
    return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: out of host memory", fn);
  char nb[32];
  for (uint32_t i = 0; i < g->ni; ++i) {
    bp_tensor_t *in = g->inputs[i];
    g->checked[i] = any_marked ? bp_tensor_requires_grad(in) : in->dtype == BP_DTYPE_F64;
    if (!g->checked[i]) continue;
    if (in->dtype != BP_DTYPE_F64)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: %s: input %u (%s) is %s; gradcheck needs f64 inputs (finite differences "
                     "in lower precision are not meaningful)", fn, g->name, i,
                     slot(g, i, nb, sizeof(nb)), bp_dtype_name(in->dtype));
    g->in_base[i] = g->in_total;
    g->in_total += in->numel;
    g->host[i] = malloc(sizeof(double) * (size_t)(in->numel ? in->numel : 1));
    if (!g->host[i]) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: out of host memory", fn);
    bp_status_t s = bp_tensor_copy_to_host(in, g->host[i], sizeof(double) * (size_t)in->numel);
    if (s) return s;
  }
  if (!g->in_total)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: %s: no input to check (set requires_grad on the f64 inputs to check, or "
                   "pass some f64 input)", fn, g->name);
  /* A first forward (without grad) to learn the outputs' sizes. */
  bp_no_grad_enter();
  bp_status_t s = make_args(g, false);
  if (!s) s = run_fn(g);
  bp_no_grad_exit();
  if (s) return s;
  for (uint32_t k = 0; k < g->no; ++k) {
    bp_dtype_t dt = g->outs[k]->dtype;
    bool fl = dt == BP_DTYPE_F16 || dt == BP_DTYPE_BF16 || dt == BP_DTYPE_F32 || dt == BP_DTYPE_F64;
    g->out_numel[k] = fl ? g->outs[k]->numel : -1;
    if (fl) g->out_total += g->outs[k]->numel;
  }
  if ((double)g->in_total * (double)g->out_total > 1e7)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: %s: the Jacobian has %lld x %lld entries; use smaller tensors", fn, g->name,
                   (long long)g->in_total, (long long)g->out_total);
  size_t entries = (size_t)(g->in_total * g->out_total) + 1;
  g->jac_a = calloc(entries, sizeof(double));
  g->jac_n = calloc(entries, sizeof(double));
  if (!g->jac_a || !g->jac_n) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: out of host memory", fn);
  if ((s = analytical(g))) return s;
  if ((s = numerical(g, o.eps))) return s;
  /* outs now hold the last numerical forward: same shapes, used for indices */
  return compare(g, &o);
}

bp_status_t bp_gradcheck_fn(const char *name, bp_gradcheck_fn_t fn, void *user_data,
                            uint32_t num_inputs, bp_tensor_t *const *inputs, uint32_t num_outputs,
                            const bp_gradcheck_options_t *opts) {
  gc_t g = {.name = name ? name : "function", .fn = fn, .user = user_data, .ni = num_inputs,
            .no = num_outputs, .inputs = inputs};
  bp_status_t s = gradcheck(&g, opts);
  gc_free(&g);
  return s;
}

typedef struct op_call {
  uint32_t op_id, num_attrs;
  const bp_attr_t *attrs;
} op_call_t;

static bp_status_t run_op(void *user, uint32_t ni, bp_tensor_t *const *in, uint32_t no,
                          bp_tensor_t **out) {
  const op_call_t *c = user;
  return bp_op_run(c->op_id, ni, in, c->num_attrs, c->attrs, no, out);
}

bp_status_t bp_gradcheck(uint32_t op_id, uint32_t num_inputs, bp_tensor_t *const *inputs,
                         uint32_t num_attrs, const bp_attr_t *attrs,
                         const bp_gradcheck_options_t *opts) {
  if (op_id >= BP_OP_COUNT)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_gradcheck: op_id %u out of range (expected < %u)",
                   op_id, (unsigned)BP_OP_COUNT);
  const bp_op_def_t *def = bp_op_def(op_id);
  if (def->outputs_required)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_gradcheck: %s writes into outputs the caller passes; check it through "
                   "bp_gradcheck_fn", def->name);
  op_call_t call = {op_id, num_attrs, attrs};
  const char *names[BP_MAX_VARIADIC + BP_MAX_SLOTS];
  uint32_t total = num_inputs + def->num_outputs;
  for (uint32_t sl = 0; sl < total && sl < BP_MAX_VARIADIC + BP_MAX_SLOTS; ++sl) {
    uint32_t catalog_slot = sl < num_inputs ? (def->variadic ? 0 : sl) : def->num_inputs + (sl - num_inputs);
    names[sl] = catalog_slot < BP_MAX_SLOTS ? def->slot_names[catalog_slot] : NULL;
  }
  gc_t g = {.name = def->name, .fn = run_op, .user = &call, .ni = num_inputs,
            .no = def->num_outputs, .inputs = inputs,
            .slot_names = num_inputs <= BP_MAX_VARIADIC ? names : NULL};
  bp_status_t s = gradcheck(&g, opts);
  gc_free(&g);
  return s;
}
