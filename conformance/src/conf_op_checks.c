/* conf_op_checks.c - op cases through libbackplane's public API.
 *
 * One case: inputs are generated on the host from the case's seed, created
 * on ref:0 and copied to the device under test (bp_tensor_to), then given
 * the variant's layout (permute, slice with a step, expand, as_strided at an
 * offset) on both sides. The op runs on ref:0 (the expected values) and on
 * the device into an output view inside a larger buffer filled with a
 * sentinel: after bp_device_synchronize the whole buffer is read back, the
 * elements are compared with the tolerance table (conf_compare.c) and every
 * other byte must still be the sentinel (guard bytes). A case the plugin
 * declines (supports() false or UNSUPPORTED) runs through the fallback and
 * is reported as "fallback", detected with bp_stats_get under
 * BP_FALLBACK=allow. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf_ops.h"

#define GUARD_ELEMS 16
#define SENTINEL 0xa5

typedef struct tpair {
  bp_tensor_t *ref; /* the input on ref:0 */
  bp_tensor_t *dev; /* the same input on the device under test */
  bp_tensor_t *mag; /* |input| on ref:0 (reductions of floats), or NULL */
} tpair_t;

typedef struct out_info {
  bp_dtype_t dtype;
  int32_t ndim;
  int64_t shape[BP_MAX_DIMS];
  size_t numel;
  unsigned char *ref_bytes; /* expected, row-major */
  unsigned char *mag_bytes; /* op on |inputs|, or NULL */
  conf_tol_t tol;
} out_info_t;

typedef struct op_case {
  conf_worker_ctx_t *w;
  const conf_case_t *c;
  const conf_op_info_t *info;
  const conf_variant_t *v;
  uint32_t op_id;
  conf_rng_t rng;
  uint32_t nin, nout;
  tpair_t in[CONF_MAX_IN];
  bp_attr_t attrs[24];
  int64_t attr_ints[24][6];
  uint32_t num_attrs;
  bool provide_ref_out;     /* the reference run gets outputs of the signature's dtypes */
  out_info_t out[CONF_MAX_OUT];
  int64_t k;                /* terms per output element */
  uint32_t mutated;         /* inputs the op writes in place (bp_op_query_mutated_inputs) */
  unsigned char *mut_ref[CONF_MAX_IN]; /* those inputs after the reference run */
} op_case_t;

static int64_t numel_of(int32_t ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) n *= shape[i];
  return n;
}

/* ---- values ---- */

static conf_domain_t domain_of(const op_case_t *oc, int slot) {
  if (oc->v->dom[slot] != DOM_OP) return (conf_domain_t)oc->v->dom[slot];
  if (oc->info->spec && oc->info->spec->dom[slot] != DOM_OP)
    return (conf_domain_t)oc->info->spec->dom[slot];
  return DOM_ANY;
}

static int64_t int_range(op_case_t *oc, bp_dtype_t d, int64_t lo, int64_t hi) {
  if (d == BP_DTYPE_U8 && lo < 0) lo = 0, hi = hi < 0 ? 0 : hi;
  if (d == BP_DTYPE_BOOL) lo = lo < 0 ? 0 : lo, hi = hi > 1 ? 1 : hi;
  if (hi < lo) hi = lo;
  return conf_rng_int(&oc->rng, lo, hi);
}

static int64_t wide_int(op_case_t *oc, bp_dtype_t d) {
  bool small = oc->info->family == FAM_MATMUL;
  switch (d) {
    case BP_DTYPE_BOOL: return conf_rng_int(&oc->rng, 0, 1);
    case BP_DTYPE_U8: return conf_rng_int(&oc->rng, 0, small ? 15 : 255);
    case BP_DTYPE_I8: return conf_rng_int(&oc->rng, small ? -8 : -128, small ? 8 : 127);
    case BP_DTYPE_I32: return conf_rng_int(&oc->rng, small ? -50 : -100000, small ? 50 : 100000);
    default: return conf_rng_int(&oc->rng, small ? -1000 : -1000000000000, small ? 1000 : 1000000000000);
  }
}

/* A random value of the slot's domain, as a double (floats) or integer. */
static void domain_value(op_case_t *oc, bp_dtype_t d, int slot, double *fv, int64_t *iv) {
  conf_rng_t *g = &oc->rng;
  bool neg = conf_rng_next(g) & 1;
  *fv = 0;
  *iv = 0;
  switch (domain_of(oc, slot)) {
    case DOM_POS: *fv = conf_rng_uniform(g, 0.1, 4); *iv = int_range(oc, d, 1, 100); break;
    case DOM_GT_M1: *fv = conf_rng_uniform(g, -0.9, 3); *iv = int_range(oc, d, 0, 100); break;
    case DOM_NONZERO: {
      double m = conf_rng_uniform(g, 0.5, 2.0);
      *fv = neg ? -m : m;
      int64_t w = wide_int(oc, d);
      *iv = w ? w : 1;
      break;
    }
    case DOM_DISCRETE: *fv = 0.5 * (double)conf_rng_int(g, -4, 4); *iv = int_range(oc, d, -3, 3); break;
    case DOM_UNIT: *fv = conf_rng_uniform(g, 0, 1); *iv = int_range(oc, d, 0, 1); break;
    case DOM_NEAR1: {
      double m = conf_rng_uniform(g, 0.7, 1.4);
      *fv = neg ? -m : m;
      *iv = int_range(oc, d, -2, 2);
      break;
    }
    case DOM_SPARSE:
      if (conf_rng_int(g, 0, 9) < 4) break;
      *fv = conf_rng_uniform(g, -2, 2);
      *iv = wide_int(oc, d);
      break;
    case DOM_INDEX: {
      int64_t hi = oc->v->hi[slot] > 0 ? oc->v->hi[slot] : 1;
      *fv = conf_rng_uniform(g, 0, 1);
      *iv = conf_rng_int(g, 0, hi - 1);
      break;
    }
    case DOM_EXP: *fv = conf_rng_uniform(g, -2, 2); *iv = int_range(oc, d, 0, 3); break;
    case DOM_BASE: *fv = conf_rng_uniform(g, 0.1, 3); *iv = int_range(oc, d, -5, 5); break;
    case DOM_SMALL: *iv = int_range(oc, d, -3, 3); *fv = (double)*iv; break;
    default: *fv = conf_rng_uniform(g, -2.0, 2.0); *iv = wide_int(oc, d); break;
  }
}

/* An edge value kept inside what the slot's domain must avoid for integers
 * (a zero divisor or a negative integer exponent is an error, not a value). */
static int64_t edge_int_for(const op_case_t *oc, int slot, int64_t e) {
  switch (domain_of(oc, slot)) {
    case DOM_NONZERO: return e ? e : 1;
    case DOM_EXP: return (int64_t)((uint64_t)e % 4u);
    default: return e;
  }
}

static bool edge_ok_slot(const op_case_t *oc, int slot) {
  conf_domain_t dom = domain_of(oc, slot);
  return dom != DOM_INDEX && dom != DOM_UNIT;
}

static size_t edge_count(bp_dtype_t d) {
  double fe[32];
  int64_t ie[8];
  return conf_dtype_is_float(d) ? conf_edge_values(d, false, fe, 32) : conf_edge_ints(d, ie, 8);
}

/* Writes element i (of n) of input `slot`. */
static void gen_value(op_case_t *oc, bp_dtype_t d, int slot, size_t i, void *p) {
  double fe[32];
  int64_t ie[8];
  bool is_float = conf_dtype_is_float(d);
  size_t nf = conf_edge_values(d, oc->info->family == FAM_REDUCE || oc->info->family == FAM_MATMUL,
                               fe, 32);
  size_t ni = conf_edge_ints(d, ie, 8);
  size_t ne = is_float ? nf : ni;
  if (edge_ok_slot(oc, slot)) {
    switch (oc->v->values) {
      case VAL_EDGE_PAIRS:
        if (slot < 2) {
          size_t n1 = oc->nin >= 2 ? edge_count(oc->c->sig[1]) : 1;
          size_t e = (slot == 0 && oc->nin >= 2) ? (i / n1) % ne : i % ne;
          if (is_float) conf_store_f64(d, p, fe[e]);
          else conf_store_i64(d, p, edge_int_for(oc, slot, ie[e]));
          return;
        }
        break;
      case VAL_EDGE:
        if (oc->info->family == FAM_COPY) {
          if (is_float) conf_store_f64(d, p, fe[i % ne]);
          else conf_store_i64(d, p, ie[i % ne]);
          return;
        }
        if (slot == 0 && conf_rng_int(&oc->rng, 0, 2) == 0) {
          size_t e = (size_t)conf_rng_int(&oc->rng, 0, (int64_t)ne - 1);
          if (is_float) conf_store_f64(d, p, fe[e]);
          else conf_store_i64(d, p, edge_int_for(oc, slot, ie[e]));
          return;
        }
        break;
      default:
        break;
    }
  }
  double fv;
  int64_t iv;
  domain_value(oc, d, slot, &fv, &iv);
  if (is_float) conf_store_f64(d, p, fv);
  else conf_store_i64(d, p, iv);
}

/* Clears the sign bit of every float element. */
static void abs_bytes(bp_dtype_t d, unsigned char *bytes, size_t n) {
  if (!conf_dtype_is_float(d)) return;
  size_t size = conf_dtype_size(d);
  for (size_t i = 0; i < n; ++i) bytes[i * size + size - 1] &= 0x7f; /* little endian */
}

/* ---- inputs ---- */

static bp_status_t view_of(bp_tensor_t *base, conf_layout_t lay, const conf_shape_t *s,
                           bp_tensor_t **out) {
  int32_t nd = s->ndim;
  switch (lay) {
    case LAY_TRANSPOSED: {
      int32_t perm[BP_MAX_DIMS];
      for (int32_t i = 0; i < nd; ++i) perm[i] = i;
      perm[nd - 1] = nd - 2;
      perm[nd - 2] = nd - 1;
      return bp_tensor_permute(base, perm, out);
    }
    case LAY_SLICED: return bp_tensor_slice(base, nd - 1, 1, INT64_MAX, 2, out);
    case LAY_EXPANDED: return bp_tensor_expand(base, nd, s->d, out);
    case LAY_OFFSET: {
      int64_t strides[BP_MAX_DIMS], st = 1;
      for (int32_t i = nd - 1; i >= 0; --i) {
        strides[i] = st;
        st *= s->d[i] > 1 ? s->d[i] : 1;
      }
      return bp_tensor_as_strided(base, nd, s->d, strides, 3, out);
    }
    default: *out = bp_tensor_retain(base); return BP_STATUS_OK;
  }
}

static bool make_input(op_case_t *oc, int slot, bp_dtype_t d, conf_shape_t s, conf_layout_t lay,
                       bool need_mag, conf_result_t *r) {
  if ((lay == LAY_TRANSPOSED && s.ndim < 2) || (lay != LAY_CONTIG && lay != LAY_OFFSET && s.ndim < 1))
    lay = LAY_CONTIG;
  conf_shape_t b = s; /* the base's shape */
  switch (lay) {
    case LAY_TRANSPOSED: b.d[s.ndim - 1] = s.d[s.ndim - 2]; b.d[s.ndim - 2] = s.d[s.ndim - 1]; break;
    case LAY_SLICED: b.d[s.ndim - 1] = 2 * s.d[s.ndim - 1] + 1; break;
    case LAY_EXPANDED: b.d[0] = 1; break;
    case LAY_OFFSET: b.ndim = 1; b.d[0] = numel_of(s.ndim, s.d) + 3; break;
    default: break;
  }
  size_t n = (size_t)numel_of(b.ndim, b.d), size = conf_dtype_size(d);
  unsigned char *bytes = malloc(n * size + 1);
  if (!bytes) {
    conf_fail(r, "out of host memory");
    return false;
  }
  for (size_t i = 0; i < n; ++i) gen_value(oc, d, slot, i, bytes + i * size);
  bp_tensor_t *ref_base = NULL, *dev_base = NULL, *mag_base = NULL;
  bp_status_t st = bp_tensor_create_from_host(oc->w->ref, d, b.ndim, b.d, bytes, n * size, &ref_base);
  if (st) conf_fail(r, "creating input %d on ref:0: %s", slot, bp_last_error());
  if (!st && (st = bp_tensor_to(ref_base, oc->w->dev, &dev_base)))
    conf_fail(r, "copying input %d to the device (bp_tensor_to): %s", slot, bp_last_error());
  if (!st && need_mag) {
    abs_bytes(d, bytes, n);
    if ((st = bp_tensor_create_from_host(oc->w->ref, d, b.ndim, b.d, bytes, n * size, &mag_base)))
      conf_fail(r, "creating |input %d| on ref:0: %s", slot, bp_last_error());
  }
  tpair_t *tp = &oc->in[slot];
  if (!st && (st = view_of(ref_base, lay, &s, &tp->ref)))
    conf_fail(r, "making the %d-d view of input %d on ref:0: %s", s.ndim, slot, bp_last_error());
  if (!st && (st = view_of(dev_base, lay, &s, &tp->dev)))
    conf_fail(r, "making the view of input %d on the device: %s", slot, bp_last_error());
  if (!st && mag_base && (st = view_of(mag_base, lay, &s, &tp->mag)))
    conf_fail(r, "making the view of |input %d|: %s", slot, bp_last_error());
  bp_tensor_release(ref_base);
  bp_tensor_release(dev_base);
  bp_tensor_release(mag_base);
  free(bytes);
  return st == BP_STATUS_OK;
}

/* ---- attributes ---- */

/* Sets (or replaces) one attribute by name. */
static void put_attr(op_case_t *oc, const conf_attr_spec_t *a, bool is_float_sig) {
  (void)is_float_sig;
  uint32_t i = 0;
  while (i < oc->num_attrs && strcmp(oc->attrs[i].name, a->name)) ++i;
  if (i == oc->num_attrs) {
    if (oc->num_attrs == sizeof(oc->attrs) / sizeof(oc->attrs[0])) return;
    ++oc->num_attrs;
  }
  bp_attr_t *t = &oc->attrs[i];
  memset(t, 0, sizeof(*t));
  t->name = a->name;
  t->count = 1;
  switch (a->type) {
    case 'i': t->type = BP_ATTR_INT; t->value.i = (int64_t)a->value; break;
    case 'f': t->type = BP_ATTR_FLOAT; t->value.f = a->value; break;
    case 'b': t->type = BP_ATTR_BOOL; t->value.b = a->value != 0; break;
    case 'd': t->type = BP_ATTR_DTYPE; t->value.dtype = (bp_dtype_t)a->value; break;
    default:
      t->type = BP_ATTR_INTS;
      t->count = (uint32_t)a->n;
      memcpy(oc->attr_ints[i], a->ints, sizeof(oc->attr_ints[i]));
      t->value.ints = oc->attr_ints[i];
      break;
  }
}

static void set_attrs(op_case_t *oc, bp_dtype_t out, bp_dtype_t first) {
  const conf_variant_t *v = oc->v;
  bp_attr_t *a = oc->attrs;
  memset(a, 0, sizeof(oc->attrs));
  oc->num_attrs = 0;
  if (oc->info->family == FAM_FILL) {
    double value = 0;
    int64_t value_int = 0;
    bool f = conf_dtype_is_float(out);
    switch (v->values) {
      case FILL_NEG_ZERO: value = -0.0; break;
      case FILL_NAN: value = NAN; break;
      case FILL_INF: value = -INFINITY; break;
      case FILL_MAX:
      case FILL_MIN: {
        bool mx = v->values == FILL_MAX;
        if (f) value = mx ? conf_dtype_max(out) : -conf_dtype_max(out);
        else if (out == BP_DTYPE_BOOL) value = mx ? 1 : 0;
        else {
          int64_t e[8];
          conf_edge_ints(out, e, 8); /* min first, then max (u8: 0, 255) */
          value_int = mx ? e[1] : e[0];
        }
        break;
      }
      default:
        if (f) value = conf_rng_uniform(&oc->rng, -2, 2);
        else if (out == BP_DTYPE_BOOL) value = 1;
        else value_int = wide_int(oc, out);
        break;
    }
    if (!f && out != BP_DTYPE_BOOL) value = (double)value_int;
    a[0] = (bp_attr_t){.type = BP_ATTR_FLOAT, .name = "value", .count = 1, .value.f = value};
    a[1] = (bp_attr_t){.type = BP_ATTR_INT, .name = "value_int", .count = 1, .value.i = value_int};
    oc->num_attrs = 2;
    return;
  }
  bool fsig = conf_dtype_is_float(first);
  const conf_op_spec_t *spec = oc->info->spec;
  if (spec) {
    for (int i = 0; i < CONF_MAX_ATTR_SPECS && spec->base[i].name; ++i)
      put_attr(oc, &spec->base[i], fsig);
    if ((spec->flags & SPEC_INT_ATTRS) && !fsig)
      for (int i = 0; i < 2 && spec->int_attrs[i].name; ++i)
        if (conf_op_has_attr(oc->info, spec->int_attrs[i].name)) put_attr(oc, &spec->int_attrs[i], fsig);
  }
  if (oc->info->family == FAM_REDUCE) {
    if (oc->info->dim_type == 'I') {
      conf_attr_spec_t d = {"dim", 'I', 0, v->num_dims, {0}};
      memcpy(d.ints, v->dims, sizeof(v->dims));
      put_attr(oc, &d, fsig);
    } else if (oc->info->dim_type == 'i' && v->num_dims == 1) {
      conf_attr_spec_t d = {"dim", 'i', (double)v->dims[0], 0, {0}};
      put_attr(oc, &d, fsig);
      if (oc->info->has_has_dim) put_attr(oc, &(conf_attr_spec_t){"has_dim", 'b', 1, 0, {0}}, fsig);
    }
    if (oc->info->has_keepdim)
      put_attr(oc, &(conf_attr_spec_t){"keepdim", 'b', v->keepdim, 0, {0}}, fsig);
  }
  if (oc->info->has_alpha && v->alpha)
    put_attr(oc, &(conf_attr_spec_t){"alpha", 'f', fsig ? 2.5 : 3.0, 0, {0}}, fsig);
  for (int i = 0; i < CONF_MAX_ATTR_SPECS && v->attrs[i].name; ++i) put_attr(oc, &v->attrs[i], fsig);
  (void)out;
}

/* ---- running ---- */

static void release_case(op_case_t *oc) {
  for (int i = 0; i < CONF_MAX_IN; ++i) {
    bp_tensor_release(oc->in[i].ref);
    bp_tensor_release(oc->in[i].dev);
    bp_tensor_release(oc->in[i].mag);
  }
  for (int i = 0; i < CONF_MAX_OUT; ++i) {
    free(oc->out[i].ref_bytes);
    free(oc->out[i].mag_bytes);
  }
  for (int i = 0; i < CONF_MAX_IN; ++i) free(oc->mut_ref[i]);
}

/* A tensor's elements, row-major, in a new buffer (caller frees); NULL on
 * failure, with the message in r. */
static unsigned char *read_all(bp_tensor_t *t, conf_result_t *r) {
  size_t nbytes = (size_t)bp_tensor_numel(t) * conf_dtype_size(bp_tensor_dtype(t));
  unsigned char *bytes = malloc(nbytes + 1);
  if (!bytes || bp_tensor_copy_to_host(t, bytes, nbytes)) {
    conf_fail(r, "reading a tensor back: %s", bytes ? bp_last_error() : "out of host memory");
    free(bytes);
    return NULL;
  }
  return bytes;
}

/* The shape an op that writes given outputs (fill, copy, arange, uniform)
 * is called with. */
static conf_shape_t given_out_shape(const op_case_t *oc) {
  if (oc->info->family == FAM_EW && oc->nin == 0) return oc->v->in[0];
  return oc->v->out;
}

/* Runs the op on ref:0 with the given inputs; stores each output's host
 * bytes (mag: into mag_bytes). */
static bool run_ref(op_case_t *oc, uint32_t op_id, bool mag, conf_result_t *r) {
  bp_tensor_t *ins[CONF_MAX_IN] = {NULL}, *copies[CONF_MAX_IN] = {NULL};
  bp_status_t st = BP_STATUS_OK;
  for (uint32_t i = 0; i < oc->nin; ++i) {
    ins[i] = mag && oc->in[i].mag ? oc->in[i].mag : oc->in[i].ref;
    /* Inputs written in place: the reference writes a copy, so every run
     * starts from the inputs the device run gets. */
    if ((oc->mutated >> i) & 1u) {
      if (!st) st = bp_tensor_to(ins[i], oc->w->ref, &copies[i]);
      ins[i] = copies[i];
    }
  }
  bp_tensor_t *outs[CONF_MAX_OUT] = {NULL};
  if (oc->info->outputs_required) {
    conf_shape_t s = given_out_shape(oc);
    st = bp_tensor_create(oc->w->ref, oc->c->sig[oc->nin], s.ndim, s.d, &outs[0]);
  } else if (oc->provide_ref_out) {
    for (uint32_t j = 0; j < oc->nout && !st; ++j)
      st = bp_tensor_create(oc->w->ref, oc->out[j].dtype, oc->out[j].ndim, oc->out[j].shape, &outs[j]);
  }
  if (!st) st = bp_op_run(op_id, oc->nin, ins, oc->num_attrs, oc->attrs, oc->nout, outs);
  bool ok = st == BP_STATUS_OK;
  if (!ok) conf_fail(r, "the reference run failed (a suite or reference bug): %s", bp_last_error());
  for (uint32_t j = 0; ok && j < oc->nout; ++j) {
    out_info_t *o = &oc->out[j];
    if (!mag) {
      o->dtype = bp_tensor_dtype(outs[j]);
      o->ndim = bp_tensor_ndim(outs[j]);
      memcpy(o->shape, bp_tensor_shape(outs[j]), sizeof(int64_t) * (size_t)o->ndim);
      o->numel = (size_t)bp_tensor_numel(outs[j]);
    }
    size_t nbytes = o->numel * conf_dtype_size(o->dtype);
    unsigned char *bytes = malloc(nbytes + 1);
    if (!bytes || bp_tensor_copy_to_host(outs[j], bytes, nbytes)) {
      conf_fail(r, "reading the reference result: %s", bp_last_error());
      free(bytes);
      ok = false;
      break;
    }
    free(mag ? o->mag_bytes : o->ref_bytes);
    if (mag) o->mag_bytes = bytes;
    else o->ref_bytes = bytes;
  }
  for (uint32_t i = 0; ok && !mag && i < oc->nin; ++i)
    if ((oc->mutated >> i) & 1u) {
      free(oc->mut_ref[i]);
      oc->mut_ref[i] = read_all(copies[i], r);
      ok = oc->mut_ref[i] != NULL;
    }
  for (uint32_t i = 0; i < oc->nin; ++i) bp_tensor_release(copies[i]);
  for (uint32_t j = 0; j < oc->nout; ++j) bp_tensor_release(outs[j]);
  return ok;
}

/* Replaces inputs by outputs of the spec's pre_op run on ref:0 (see
 * conf_op_spec_t): saved tensors consistent with the other inputs. */
static bool derive_inputs(op_case_t *oc, conf_result_t *r) {
  const conf_op_spec_t *spec = oc->info->spec;
  const conf_op_info_t *pre = conf_op_lookup(spec->pre_op);
  if (!pre || pre->num_inputs > CONF_MAX_IN || pre->num_outputs > CONF_MAX_OUT) {
    conf_fail(r, "internal: no op %s to derive the inputs of %s from", spec->pre_op, oc->info->name);
    return false;
  }
  bp_tensor_t *ins[CONF_MAX_IN] = {NULL}, *outs[CONF_MAX_OUT] = {NULL};
  for (uint32_t i = 0; i < pre->num_inputs; ++i) {
    int slot = spec->pre_in[i] - 1;
    if (slot < 0 || (uint32_t)slot >= oc->nin) {
      conf_fail(r, "internal: bad pre_in of %s", oc->info->name);
      return false;
    }
    ins[i] = oc->in[slot].ref;
  }
  bp_attr_t attrs[24];
  uint32_t na = 0;
  for (uint32_t a = 0; a < oc->num_attrs; ++a)
    if (conf_op_has_attr(pre, oc->attrs[a].name)) attrs[na++] = oc->attrs[a];
  bp_status_t st = bp_op_run(pre->op_id, pre->num_inputs, ins, na, attrs, pre->num_outputs, outs);
  if (st) conf_fail(r, "deriving inputs with %s on ref:0 failed (a suite or reference bug): %s",
                    spec->pre_op, bp_last_error());
  for (uint32_t j = 0; !st && j < pre->num_outputs; ++j) {
    int slot = spec->pre_out[j] - 1;
    if (slot < 0 || (uint32_t)slot >= oc->nin) continue;
    bp_tensor_t *t = bp_tensor_retain(outs[j]);
    bp_dtype_t want = oc->c->sig[slot];
    if (bp_tensor_dtype(t) != want) { /* e.g. f32 statistics of a bf16 forward */
      bp_tensor_t *cast = NULL;
      uint32_t copy_id;
      st = bp_op_find("copy", &copy_id);
      if (!st) st = bp_tensor_create(oc->w->ref, want, bp_tensor_ndim(t), bp_tensor_shape(t), &cast);
      if (!st) st = bp_op_run(copy_id, 1, &t, 0, NULL, 1, &cast);
      bp_tensor_release(t);
      t = cast;
      if (st) {
        conf_fail(r, "casting the derived input %d: %s", slot, bp_last_error());
        bp_tensor_release(t);
        break;
      }
    }
    bp_tensor_t *dev = NULL;
    if ((st = bp_tensor_to(t, oc->w->dev, &dev))) {
      conf_fail(r, "copying the derived input %d to the device: %s", slot, bp_last_error());
      bp_tensor_release(t);
      break;
    }
    tpair_t *tp = &oc->in[slot];
    bp_tensor_release(tp->ref);
    bp_tensor_release(tp->dev);
    bp_tensor_release(tp->mag);
    tp->ref = t;
    tp->dev = dev;
    tp->mag = NULL; /* the size-of-terms run uses the derived input itself */
  }
  for (uint32_t j = 0; j < pre->num_outputs; ++j) bp_tensor_release(outs[j]);
  return st == BP_STATUS_OK;
}

static bool prepare(op_case_t *oc, conf_worker_ctx_t *w, const conf_case_t *c, int variant,
                    conf_result_t *r) {
  memset(oc, 0, sizeof(*oc));
  oc->w = w;
  oc->c = c;
  char op[64];
  snprintf(op, sizeof(op), "%s", c->kernel_key);
  op[strcspn(op, "/")] = '\0';
  oc->info = conf_op_lookup(op);
  oc->v = (oc->info && variant >= 0) ? conf_op_variant(oc->info, (size_t)variant) : NULL;
  if (!oc->v) {
    conf_fail(r, "internal: no variant %d for op %s", variant, op);
    return false;
  }
  oc->op_id = oc->info->op_id;
  oc->nin = oc->info->num_inputs;
  oc->nout = oc->info->num_outputs;
  if (oc->nin > CONF_MAX_IN || oc->nout > CONF_MAX_OUT) {
    conf_fail(r, "internal: op %s has more slots than the suite handles", op);
    return false;
  }
  oc->rng.s = conf_hash(w->suite->opts.seed, c->name);
  bp_dtype_t first = c->sig[0];
  for (uint32_t j = 0; j < oc->nout; ++j) {
    oc->out[j].dtype = c->sig[oc->nin + j];
    oc->out[j].tol = conf_tolerance(oc->info, oc->out[j].dtype, 1);
  }
  bool need_mag = false;
  for (uint32_t j = 0; j < oc->nout; ++j) need_mag = need_mag || oc->out[j].tol.use_mag;
  for (uint32_t i = 0; i < oc->nin; ++i) {
    conf_shape_t s = oc->v->in[i];
    if (oc->v->values == VAL_EDGE_PAIRS) {
      /* every pair of edge values of inputs 0 and 1 (one of each for a unary op) */
      int64_t n0 = (int64_t)edge_count(c->sig[0]);
      s.ndim = 1;
      s.d[0] = oc->nin >= 2 ? n0 * (int64_t)edge_count(c->sig[1]) : n0;
    }
    if (!make_input(oc, (int)i, c->sig[i], s, oc->v->lay[i], need_mag, r)) return false;
  }
  set_attrs(oc, oc->out[0].dtype, first);
  if (bp_op_query_mutated_inputs(oc->op_id, oc->num_attrs, oc->attrs, &oc->mutated)) oc->mutated = 0;
  if (oc->info->spec && oc->info->spec->pre_op && !oc->v->no_derive && !derive_inputs(oc, r))
    return false;
  if (!run_ref(oc, oc->op_id, false, r)) return false;
  /* Ops that may write any dtype (bernoulli) run on the reference into
   * outputs of the signature's dtypes. */
  bool mismatch = false;
  for (uint32_t j = 0; j < oc->nout; ++j)
    mismatch = mismatch || oc->out[j].dtype != c->sig[oc->nin + j];
  if (mismatch && !oc->info->outputs_required) {
    for (uint32_t j = 0; j < oc->nout; ++j) oc->out[j].dtype = c->sig[oc->nin + j];
    oc->provide_ref_out = true;
    if (!run_ref(oc, oc->op_id, false, r)) return false;
  }
  oc->k = 1;
  if (oc->info->family == FAM_REDUCE && oc->out[0].numel)
    oc->k = bp_tensor_numel(oc->in[0].ref) / (int64_t)oc->out[0].numel;
  if (oc->info->family == FAM_MATMUL)
    oc->k = bp_tensor_shape(oc->in[0].ref)[bp_tensor_ndim(oc->in[0].ref) - 1];
  if (oc->v->k > 0) oc->k = oc->v->k;
  for (uint32_t j = 0; j < oc->nout; ++j)
    oc->out[j].tol = conf_tolerance(oc->info, oc->out[j].dtype, oc->k);
  if (need_mag) {
    /* The size of the terms: the op on |inputs| (sub, remainder: a sum). */
    uint32_t mag_op = oc->op_id;
    const char *mname = conf_tolerance_mag_op(oc->info);
    if (mname) bp_op_find(mname, &mag_op);
    if (!run_ref(oc, mag_op, true, r)) return false;
    for (uint32_t j = 0; j < oc->nout; ++j)
      if (!oc->out[j].tol.use_mag) {
        free(oc->out[j].mag_bytes);
        oc->out[j].mag_bytes = NULL;
      }
  }
  return true;
}

/* Strides (in elements) of an output layout, and the span they cover. */
static int64_t out_strides(conf_out_layout_t lay, int32_t nd, const int64_t *shape,
                           int64_t *strides) {
  int64_t st = 1;
  if (lay == OUT_TRANSPOSED) {
    for (int32_t i = 0; i < nd; ++i) {
      strides[i] = st;
      st *= shape[i] > 1 ? shape[i] : 1;
    }
  } else {
    st = lay == OUT_GAPPED ? 2 : 1;
    for (int32_t i = nd - 1; i >= 0; --i) {
      strides[i] = st;
      st *= shape[i] > 1 ? shape[i] : 1;
    }
  }
  int64_t span = 1;
  for (int32_t i = 0; i < nd; ++i) {
    if (shape[i] == 0) return 0;
    span += (shape[i] - 1) * strides[i];
  }
  return span;
}

/* One run on the device into guarded outputs. For each output: the whole
 * base's bytes (caller frees) and the byte offset of each element
 * (row-major). */
typedef struct dev_run {
  unsigned char *bytes[CONF_MAX_OUT];
  int64_t *offsets[CONF_MAX_OUT];
  bool native;
  bool fallback;
} dev_run_t;

static void free_run(dev_run_t *d) {
  for (int j = 0; j < CONF_MAX_OUT; ++j) {
    free(d->bytes[j]);
    free(d->offsets[j]);
    d->bytes[j] = NULL;
    d->offsets[j] = NULL;
  }
}

typedef struct guarded {
  bp_tensor_t *ref_base, *base, *view;
  unsigned char *host;
  size_t nbytes;
  int64_t strides[BP_MAX_DIMS];
  int64_t span;
} guarded_t;

static bool run_device(op_case_t *oc, conf_out_layout_t lay, dev_run_t *out, conf_result_t *r) {
  memset(out, 0, sizeof(*out));
  guarded_t g[CONF_MAX_OUT];
  memset(g, 0, sizeof(g));
  bool ok = false;
  bp_status_t st = BP_STATUS_OK;
  for (uint32_t j = 0; j < oc->nout && !st; ++j) {
    out_info_t *o = &oc->out[j];
    size_t size = conf_dtype_size(o->dtype);
    g[j].span = out_strides(lay, o->ndim, o->shape, g[j].strides);
    int64_t base_n = g[j].span + 2 * GUARD_ELEMS;
    g[j].nbytes = (size_t)base_n * size;
    g[j].host = malloc(g[j].nbytes);
    out->offsets[j] = malloc(sizeof(int64_t) * (o->numel + 1));
    if (!g[j].host || !out->offsets[j]) {
      conf_fail(r, "out of host memory");
      goto done;
    }
    memset(g[j].host, SENTINEL, g[j].nbytes);
    st = bp_tensor_create_from_host(oc->w->ref, o->dtype, 1, &base_n, g[j].host, g[j].nbytes,
                                    &g[j].ref_base);
    if (!st) st = bp_tensor_to(g[j].ref_base, oc->w->dev, &g[j].base);
    if (!st)
      st = bp_tensor_as_strided(g[j].base, o->ndim, o->shape, g[j].strides, GUARD_ELEMS, &g[j].view);
    if (st) {
      conf_fail(r, "making the guarded output on the device: %s", bp_last_error());
      goto done;
    }
  }
  bp_tensor_t *ins[CONF_MAX_IN] = {NULL};
  for (uint32_t i = 0; i < oc->nin; ++i) ins[i] = oc->in[i].dev;
  bp_tensor_t *views[CONF_MAX_OUT] = {NULL};
  for (uint32_t j = 0; j < oc->nout; ++j) views[j] = g[j].view;
  bp_stats_t before, after;
  bp_stats_get(&before);
  st = bp_op_run(oc->op_id, oc->nin, ins, oc->num_attrs, oc->attrs, oc->nout, views);
  bp_stats_get(&after);
  if (st) {
    conf_fail(r, "bp_op_run on the device returned %s: %s", bp_status_name(st), bp_last_error());
    goto done;
  }
  /* Results are read only after synchronize (ABI-14). */
  st = bp_device_synchronize(oc->w->dev);
  if (st) {
    conf_fail(r, "bp_device_synchronize returned %s after the op: %s", bp_status_name(st),
              bp_last_error());
    goto done;
  }
  out->fallback = after.fallbacks != before.fallbacks;
  size_t total = 0;
  for (uint32_t j = 0; j < oc->nout; ++j) total += oc->out[j].numel;
  out->native = !out->fallback && total > 0;
  for (uint32_t j = 0; j < oc->nout; ++j) {
    out_info_t *o = &oc->out[j];
    size_t size = conf_dtype_size(o->dtype), nbytes = g[j].nbytes;
    unsigned char *sent = g[j].host;
    if (bp_tensor_copy_to_host(g[j].base, sent, nbytes)) {
      conf_fail(r, "reading the output back: %s", bp_last_error());
      goto done;
    }
    /* Element offsets, and the guard: every other byte still the sentinel. */
    unsigned char *mask = calloc(nbytes, 1);
    if (!mask) {
      conf_fail(r, "out of host memory");
      goto done;
    }
    int64_t idx[BP_MAX_DIMS] = {0};
    for (size_t e = 0; e < o->numel; ++e) {
      int64_t off = GUARD_ELEMS;
      for (int32_t d = 0; d < o->ndim; ++d) off += idx[d] * g[j].strides[d];
      out->offsets[j][e] = off * (int64_t)size;
      memset(mask + out->offsets[j][e], 1, size);
      for (int32_t d = o->ndim - 1; d >= 0; --d) {
        if (++idx[d] < o->shape[d]) break;
        idx[d] = 0;
      }
    }
    size_t stray = 0, first = 0;
    for (size_t b = 0; b < nbytes; ++b)
      if (!mask[b] && sent[b] != SENTINEL) {
        if (!stray) first = b;
        ++stray;
      }
    free(mask);
    if (stray) {
      long long rel = (long long)first - (long long)GUARD_ELEMS * (long long)size;
      const char *where = rel < 0 ? "before it"
                          : rel >= (long long)(g[j].span * (int64_t)size) ? "past its end"
                                                                          : "in a gap between elements";
      char which[64] = "";
      if (oc->nout > 1)
        snprintf(which, sizeof(which), " %s", bp_op_slot_name(oc->op_id, oc->nin + j));
      conf_fail(r, "wrote outside the output%s: %zu guard bytes changed, the first at byte %lld "
                   "from the output's first element (%s; output layout %s)",
                which, stray, rel, where,
                lay == OUT_GAPPED ? "gapped" : lay == OUT_TRANSPOSED ? "column-major" : "row-major");
      goto done;
    }
  }
  ok = true;
done:
  for (uint32_t j = 0; j < CONF_MAX_OUT; ++j) {
    bp_tensor_release(g[j].view);
    bp_tensor_release(g[j].base);
    bp_tensor_release(g[j].ref_base);
    if (ok) out->bytes[j] = g[j].host;
    else free(g[j].host);
  }
  if (!ok) free_run(out);
  return ok;
}

/* Compares every output of a run with the reference. */
static size_t compare_outputs(op_case_t *oc, const dev_run_t *run, conf_result_t *r) {
  size_t bad = 0;
  for (uint32_t j = 0; j < oc->nout; ++j) {
    out_info_t *o = &oc->out[j];
    size_t b = conf_compare(o->dtype, run->bytes[j], run->offsets[j], o->ref_bytes, o->mag_bytes,
                            o->numel, &o->tol, r);
    if (b && oc->nout > 1) conf_msg(r, "(output %s)", bp_op_slot_name(oc->op_id, oc->nin + j));
    bad += b;
  }
  return bad;
}

/* Compares the inputs the op writes in place (after one device run) with
 * the same inputs after the reference run, at the outputs' tolerance. */
static size_t compare_mutated(op_case_t *oc, conf_result_t *r) {
  size_t bad = 0;
  for (uint32_t i = 0; i < oc->nin; ++i) {
    if (!((oc->mutated >> i) & 1u) || !oc->mut_ref[i]) continue;
    bp_tensor_t *t = oc->in[i].dev;
    bp_dtype_t dt = bp_tensor_dtype(t);
    size_t n = (size_t)bp_tensor_numel(t), size = conf_dtype_size(dt);
    unsigned char *got = read_all(t, r);
    int64_t *offs = malloc(sizeof(int64_t) * (n + 1));
    if (!got || !offs) {
      if (got) conf_fail(r, "out of host memory");
      free(got);
      free(offs);
      return bad + 1;
    }
    for (size_t e = 0; e < n; ++e) offs[e] = (int64_t)(e * size);
    conf_tol_t tol = conf_tolerance(oc->info, dt, oc->k);
    size_t b = conf_compare(dt, got, offs, oc->mut_ref[i], NULL, n, &tol, r);
    if (b) conf_msg(r, "(input %s, which the op writes in place)", bp_op_slot_name(oc->op_id, i));
    bad += b;
    free(got);
    free(offs);
  }
  return bad;
}

static void variant_case(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  op_case_t oc;
  if (!prepare(&oc, w, c, c->variant, r)) goto done;
  dev_run_t run;
  if (!run_device(&oc, oc.v->out_lay, &run, r)) goto done;
  r->native = run.native;
  r->outcome = CONF_PASS;
  if (!compare_outputs(&oc, &run, r)) compare_mutated(&oc, r);
  if (run.fallback) {
    if (r->outcome == CONF_FAIL) conf_msg(r, "(the case ran through the fallback to ref:0)");
    else r->outcome = CONF_FALLBACK;
    if (r->outcome == CONF_FALLBACK)
      conf_msg(r, "the plugin declined the case (supports() or UNSUPPORTED): it ran on ref:0");
  }
  free_run(&run);
done:
  release_case(&oc);
}

static void determinism_case(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  op_case_t oc;
  dev_run_t a = {0}, b = {0};
  if (!prepare(&oc, w, c, c->variant, r)) goto done;
  if (!run_device(&oc, OUT_CONTIG, &a, r) || !run_device(&oc, OUT_CONTIG, &b, r)) goto done;
  r->outcome = a.fallback ? CONF_FALLBACK : CONF_PASS;
  r->native = a.native;
  for (uint32_t j = 0; j < oc.nout; ++j) {
    size_t size = conf_dtype_size(oc.out[j].dtype), diff = 0, first = 0;
    for (size_t e = 0; e < oc.out[j].numel; ++e)
      if (memcmp(a.bytes[j] + a.offsets[j][e], b.bytes[j] + b.offsets[j][e], size)) {
        if (!diff) first = e;
        ++diff;
      }
    if (diff && oc.out[j].tol.deterministic)
      conf_fail(r, "two runs of the same case differ in %zu of %zu elements of output %s (first: "
                   "element %zu)",
                diff, oc.out[j].numel, bp_op_slot_name(oc.op_id, oc.nin + j), first);
  }
  if (r->outcome == CONF_FALLBACK) conf_msg(r, "the plugin declined the case: it ran on ref:0");
done:
  free_run(&a);
  free_run(&b);
  release_case(&oc);
}

typedef struct op_thread {
  op_case_t *oc;
  conf_result_t r;
  int fallbacks, runs;
} op_thread_t;

static void *op_thread_main(void *p) {
  op_thread_t *t = p;
  for (int i = 0; i < 8 && t->r.outcome != CONF_FAIL; ++i) {
    dev_run_t run;
    if (!run_device(t->oc, OUT_CONTIG, &run, &t->r)) break;
    compare_outputs(t->oc, &run, &t->r);
    t->fallbacks += run.fallback;
    t->runs++;
    free_run(&run);
  }
  return NULL;
}

static void threads_case(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  op_case_t oc;
  if (!prepare(&oc, w, c, c->variant, r)) goto done;
  op_thread_t th[2];
  memset(th, 0, sizeof(th));
  pthread_t tid[2];
  int started = 0;
  for (; started < 2; ++started) {
    th[started].oc = &oc;
    if (pthread_create(&tid[started], NULL, op_thread_main, &th[started])) break;
  }
  for (int i = 0; i < started; ++i) pthread_join(tid[i], NULL);
  r->outcome = CONF_PASS;
  for (int i = 0; i < started; ++i) {
    if (th[i].r.outcome == CONF_FAIL) conf_fail(r, "thread %d: %s", i, th[i].r.message);
    if (th[i].r.max_error > r->max_error) r->max_error = th[i].r.max_error;
    if (th[i].r.error_ratio > r->error_ratio) r->error_ratio = th[i].r.error_ratio;
  }
  r->compared = 1;
  r->exact = oc.out[0].tol.exact;
  r->rtol = oc.out[0].tol.rtol;
  r->atol = oc.out[0].tol.atol;
  if (r->outcome == CONF_PASS && th[0].fallbacks + th[1].fallbacks == th[0].runs + th[1].runs) {
    r->outcome = CONF_FALLBACK;
    conf_msg(r, "the plugin declined the case: it ran on ref:0");
  }
  r->native = r->outcome != CONF_FALLBACK;
done:
  release_case(&oc);
}

void conf_op_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  switch (c->check) {
    case CHK_OP_VARIANT: variant_case(w, c, r); break;
    case CHK_OP_DETERMINISM: determinism_case(w, c, r); break;
    case CHK_OP_THREADS: threads_case(w, c, r); break;
    default: conf_fail(r, "internal: unknown op check %d", (int)c->check); break;
  }
}

/* ---- worker setup ---- */

static bool same_file(const char *a, const char *b) {
  char ra[PATH_MAX], rb[PATH_MAX];
  if (!realpath(a, ra) || !realpath(b, rb)) return !strcmp(a, b);
  return !strcmp(ra, rb);
}

int conf_runtime_setup(conf_worker_ctx_t *w, char *err, size_t n) {
  setenv("BP_FALLBACK", "allow", 1);
  setenv("BP_LOG", "error", 1);
  if (bp_init()) {
    snprintf(err, n, "bp_init failed: %s", bp_last_error());
    return -1;
  }
  if (bp_device_get("ref:0", &w->ref)) {
    snprintf(err, n, "no ref:0: %s", bp_last_error());
    return -1;
  }
  const conf_target_t *t = w->target;
  char name[64] = "";
  if (t->builtin) {
    snprintf(name, sizeof(name), "ref");
  } else {
    for (size_t i = 0; i < bp_plugin_count() && !name[0]; ++i) {
      bp_plugin_info_t info = {.struct_size = sizeof(info)};
      if (bp_plugin_query_info(bp_plugin_at(i), &info) == BP_STATUS_OK &&
          info.state == BP_PLUGIN_LOADED && !info.builtin && same_file(info.path, t->path))
        snprintf(name, sizeof(name), "%s", info.name);
    }
    if (!name[0]) {
      bp_plugin_t *p = NULL;
      if (bp_plugin_load(t->path, &p)) {
        snprintf(err, n, "libbackplane rejected the plugin: %s", bp_last_error());
        return -1;
      }
      bp_plugin_info_t info = {.struct_size = sizeof(info)};
      bp_plugin_query_info(p, &info);
      snprintf(name, sizeof(name), "%s", info.name);
    }
  }
  char dev[96];
  snprintf(dev, sizeof(dev), "%s:%d", name, w->device);
  if (bp_device_get(dev, &w->dev)) {
    snprintf(err, n, "no device %s: %s", dev, bp_last_error());
    return -1;
  }
  return 0;
}
