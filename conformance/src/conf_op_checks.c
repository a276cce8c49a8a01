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

typedef struct op_case {
  conf_worker_ctx_t *w;
  const conf_case_t *c;
  const conf_op_info_t *info;
  const conf_variant_t *v;
  uint32_t op_id;
  conf_rng_t rng;
  tpair_t in[2];
  bp_attr_t attrs[4];
  uint32_t num_attrs;
  bp_dtype_t out_dtype;
  int32_t out_ndim;
  int64_t out_shape[BP_MAX_DIMS];
  size_t out_numel;
  unsigned char *ref_bytes; /* expected, row-major */
  unsigned char *mag_bytes; /* op on |inputs|, or NULL */
  int64_t k;                /* terms per output element */
  conf_tol_t tol;
} op_case_t;

static int64_t numel_of(int32_t ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) n *= shape[i];
  return n;
}

/* ---- values ---- */

static double normal_float(op_case_t *oc, int slot) {
  if (oc->info->nonzero_b && slot == 1) {
    double m = conf_rng_uniform(&oc->rng, 0.5, 2.0);
    return (conf_rng_next(&oc->rng) & 1) ? m : -m;
  }
  return conf_rng_uniform(&oc->rng, -2.0, 2.0);
}

static int64_t normal_int(op_case_t *oc, bp_dtype_t d) {
  bool small = oc->info->family == FAM_MATMUL;
  switch (d) {
    case BP_DTYPE_BOOL: return conf_rng_int(&oc->rng, 0, 1);
    case BP_DTYPE_U8: return conf_rng_int(&oc->rng, 0, small ? 15 : 255);
    case BP_DTYPE_I8: return conf_rng_int(&oc->rng, small ? -8 : -128, small ? 8 : 127);
    case BP_DTYPE_I32: return conf_rng_int(&oc->rng, small ? -50 : -100000, small ? 50 : 100000);
    default: return conf_rng_int(&oc->rng, small ? -1000 : -1000000000000, small ? 1000 : 1000000000000);
  }
}

/* Writes element i (of n) of input `slot`. */
static void gen_value(op_case_t *oc, bp_dtype_t d, int slot, size_t i, void *p) {
  double fe[32];
  int64_t ie[8];
  bool is_float = conf_dtype_is_float(d);
  size_t nf = conf_edge_values(d, oc->info->family == FAM_SUM || oc->info->family == FAM_MATMUL,
                               fe, 32);
  size_t ni = conf_edge_ints(d, ie, 8);
  size_t ne = is_float ? nf : ni;
  switch (oc->v->values) {
    case VAL_EDGE_PAIRS: {
      size_t e = slot == 0 ? (i / ne) % ne : i % ne;
      if (is_float) conf_store_f64(d, p, fe[e]);
      else conf_store_i64(d, p, ie[e]);
      return;
    }
    case VAL_EDGE:
      if (oc->info->family == FAM_COPY) {
        if (is_float) conf_store_f64(d, p, fe[i % ne]);
        else conf_store_i64(d, p, ie[i % ne]);
        return;
      }
      if (slot == 0 && conf_rng_int(&oc->rng, 0, 2) == 0) {
        size_t e = (size_t)conf_rng_int(&oc->rng, 0, (int64_t)ne - 1);
        if (is_float) conf_store_f64(d, p, fe[e]);
        else conf_store_i64(d, p, ie[e]);
        return;
      }
      break;
    default:
      break;
  }
  if (is_float) conf_store_f64(d, p, normal_float(oc, slot));
  else conf_store_i64(d, p, normal_int(oc, d));
}

/* Clears the sign bit of every float element. */
static void abs_bytes(bp_dtype_t d, unsigned char *bytes, size_t n) {
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

static void set_attrs(op_case_t *oc, bp_dtype_t out) {
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
        else value_int = normal_int(oc, out);
        break;
    }
    if (!f && out != BP_DTYPE_BOOL) value = (double)value_int;
    a[0] = (bp_attr_t){.type = BP_ATTR_FLOAT, .name = "value", .count = 1, .value.f = value};
    a[1] = (bp_attr_t){.type = BP_ATTR_INT, .name = "value_int", .count = 1, .value.i = value_int};
    oc->num_attrs = 2;
  } else if (oc->info->family == FAM_SUM) {
    a[0] = (bp_attr_t){.type = BP_ATTR_INTS, .name = "dim", .count = (uint32_t)v->num_dims,
                       .value.ints = v->dims};
    a[1] = (bp_attr_t){.type = BP_ATTR_BOOL, .name = "keepdim", .count = 1, .value.b = v->keepdim};
    oc->num_attrs = 2;
  } else if (oc->info->has_alpha && v->alpha) {
    a[0] = (bp_attr_t){.type = BP_ATTR_FLOAT, .name = "alpha", .count = 1,
                       .value.f = conf_dtype_is_float(out) ? 2.5 : 3.0};
    oc->num_attrs = 1;
  }
}

/* ---- running ---- */

static void release_case(op_case_t *oc) {
  for (int i = 0; i < 2; ++i) {
    bp_tensor_release(oc->in[i].ref);
    bp_tensor_release(oc->in[i].dev);
    bp_tensor_release(oc->in[i].mag);
  }
  free(oc->ref_bytes);
  free(oc->mag_bytes);
}

/* Runs the op on ref:0 with the given inputs; returns host bytes. */
static unsigned char *run_ref(op_case_t *oc, bool mag, conf_result_t *r) {
  bp_tensor_t *ins[2] = {NULL, NULL};
  for (uint32_t i = 0; i < oc->info->num_inputs; ++i) ins[i] = mag ? oc->in[i].mag : oc->in[i].ref;
  bp_tensor_t *out = NULL;
  bp_status_t st = BP_STATUS_OK;
  if (oc->info->family == FAM_FILL || oc->info->family == FAM_COPY)
    st = bp_tensor_create(oc->w->ref, oc->out_dtype, oc->v->out.ndim, oc->v->out.d, &out);
  if (!st) st = bp_op_run(oc->op_id, oc->info->num_inputs, ins, oc->num_attrs, oc->attrs, 1, &out);
  if (st) {
    conf_fail(r, "the reference run failed (a suite or reference bug): %s", bp_last_error());
    bp_tensor_release(out);
    return NULL;
  }
  oc->out_ndim = bp_tensor_ndim(out);
  memcpy(oc->out_shape, bp_tensor_shape(out), sizeof(int64_t) * (size_t)oc->out_ndim);
  oc->out_numel = (size_t)bp_tensor_numel(out);
  size_t nbytes = oc->out_numel * conf_dtype_size(oc->out_dtype);
  unsigned char *bytes = malloc(nbytes + 1);
  if (bytes && bp_tensor_copy_to_host(out, bytes, nbytes)) {
    conf_fail(r, "reading the reference result: %s", bp_last_error());
    free(bytes);
    bytes = NULL;
  }
  bp_tensor_release(out);
  return bytes;
}

static bool prepare(op_case_t *oc, conf_worker_ctx_t *w, const conf_case_t *c, int variant,
                    conf_result_t *r) {
  memset(oc, 0, sizeof(*oc));
  oc->w = w;
  oc->c = c;
  char op[32];
  snprintf(op, sizeof(op), "%s", c->kernel_key);
  op[strcspn(op, "/")] = '\0';
  oc->info = conf_op_lookup(op);
  size_t nv;
  const conf_variant_t *vs = oc->info ? conf_variants(oc->info->family, &nv) : NULL;
  if (!vs || variant < 0 || (size_t)variant >= nv || bp_op_find(op, &oc->op_id)) {
    conf_fail(r, "internal: no variant %d for op %s", variant, op);
    return false;
  }
  oc->v = &vs[variant];
  oc->rng.s = conf_hash(w->suite->opts.seed, c->name);
  oc->out_dtype = c->sig[oc->info->num_inputs];
  oc->tol = conf_tolerance(oc->info, oc->out_dtype, 1);
  bool need_mag = oc->tol.use_mag;
  for (uint32_t i = 0; i < oc->info->num_inputs; ++i) {
    conf_shape_t s = oc->v->in[i];
    if (oc->v->values == VAL_EDGE_PAIRS) {
      double fe[32];
      int64_t ie[8];
      size_t n = conf_dtype_is_float(c->sig[i]) ? conf_edge_values(c->sig[i], false, fe, 32)
                                                : conf_edge_ints(c->sig[i], ie, 8);
      s.ndim = 1;
      s.d[0] = (int64_t)(n * n);
    }
    if (!make_input(oc, (int)i, c->sig[i], s, oc->v->lay[i], need_mag, r)) return false;
  }
  set_attrs(oc, oc->out_dtype);
  if (!(oc->ref_bytes = run_ref(oc, false, r))) return false;
  oc->k = 1;
  if (oc->info->family == FAM_SUM && oc->out_numel)
    oc->k = bp_tensor_numel(oc->in[0].ref) / (int64_t)oc->out_numel;
  if (oc->info->family == FAM_MATMUL)
    oc->k = bp_tensor_shape(oc->in[0].ref)[bp_tensor_ndim(oc->in[0].ref) - 1];
  oc->tol = conf_tolerance(oc->info, oc->out_dtype, oc->k);
  if (need_mag) {
    /* The size of the terms: the op on |inputs| (sub: their sum). */
    uint32_t op_id = oc->op_id;
    if (!strcmp(op, "sub")) bp_op_find("add", &oc->op_id);
    oc->mag_bytes = run_ref(oc, true, r);
    oc->op_id = op_id;
    if (!oc->mag_bytes) return false;
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

/* One run on the device into a guarded output. Returns the whole base's
 * bytes (caller frees) and the byte offset of each element (row-major). */
typedef struct dev_run {
  unsigned char *bytes;
  int64_t *offsets;
  bool native;
  bool fallback;
} dev_run_t;

static bool run_device(op_case_t *oc, conf_out_layout_t lay, dev_run_t *out, conf_result_t *r) {
  memset(out, 0, sizeof(*out));
  size_t size = conf_dtype_size(oc->out_dtype);
  int32_t nd = oc->out_ndim;
  int64_t strides[BP_MAX_DIMS];
  int64_t span = out_strides(lay, nd, oc->out_shape, strides);
  int64_t base_n = span + 2 * GUARD_ELEMS;
  size_t nbytes = (size_t)base_n * size;
  unsigned char *sent = malloc(nbytes);
  out->offsets = malloc(sizeof(int64_t) * (oc->out_numel + 1));
  if (!sent || !out->offsets) {
    free(sent);
    conf_fail(r, "out of host memory");
    return false;
  }
  memset(sent, SENTINEL, nbytes);
  bp_tensor_t *ref_base = NULL, *base = NULL, *view = NULL;
  bool ok = false;
  bp_status_t st = bp_tensor_create_from_host(oc->w->ref, oc->out_dtype, 1, &base_n, sent, nbytes,
                                              &ref_base);
  if (!st) st = bp_tensor_to(ref_base, oc->w->dev, &base);
  if (!st) st = bp_tensor_as_strided(base, nd, oc->out_shape, strides, GUARD_ELEMS, &view);
  if (st) {
    conf_fail(r, "making the guarded output on the device: %s", bp_last_error());
    goto done;
  }
  bp_tensor_t *ins[2] = {NULL, NULL};
  for (uint32_t i = 0; i < oc->info->num_inputs; ++i) ins[i] = oc->in[i].dev;
  bp_stats_t before, after;
  bp_stats_get(&before);
  st = bp_op_run(oc->op_id, oc->info->num_inputs, ins, oc->num_attrs, oc->attrs, 1, &view);
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
  out->native = !out->fallback && oc->out_numel > 0;
  if (bp_tensor_copy_to_host(base, sent, nbytes)) {
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
  for (size_t e = 0; e < oc->out_numel; ++e) {
    int64_t off = GUARD_ELEMS;
    for (int32_t d = 0; d < nd; ++d) off += idx[d] * strides[d];
    out->offsets[e] = off * (int64_t)size;
    memset(mask + out->offsets[e], 1, size);
    for (int32_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < oc->out_shape[d]) break;
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
                        : rel >= (long long)(span * (int64_t)size) ? "past its end"
                                                                    : "in a gap between elements";
    conf_fail(r, "wrote outside the output: %zu guard bytes changed, the first at byte %lld from "
                 "the output's first element (%s; output layout %s)",
              stray, rel, where,
              lay == OUT_GAPPED ? "gapped" : lay == OUT_TRANSPOSED ? "column-major" : "row-major");
    goto done;
  }
  ok = true;
done:
  bp_tensor_release(view);
  bp_tensor_release(base);
  bp_tensor_release(ref_base);
  if (ok) {
    out->bytes = sent;
  } else {
    free(sent);
    free(out->offsets);
    out->offsets = NULL;
  }
  return ok;
}

static void variant_case(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  op_case_t oc;
  if (!prepare(&oc, w, c, c->variant, r)) goto done;
  dev_run_t run;
  if (!run_device(&oc, oc.v->out_lay, &run, r)) goto done;
  r->native = run.native;
  r->outcome = CONF_PASS;
  conf_compare(oc.out_dtype, run.bytes, run.offsets, oc.ref_bytes, oc.mag_bytes, oc.out_numel,
               &oc.tol, r);
  if (run.fallback) {
    if (r->outcome == CONF_FAIL) conf_msg(r, "(the case ran through the fallback to ref:0)");
    else r->outcome = CONF_FALLBACK;
    if (r->outcome == CONF_FALLBACK)
      conf_msg(r, "the plugin declined the case (supports() or UNSUPPORTED): it ran on ref:0");
  }
  free(run.bytes);
  free(run.offsets);
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
  size_t size = conf_dtype_size(oc.out_dtype), diff = 0, first = 0;
  for (size_t e = 0; e < oc.out_numel; ++e)
    if (memcmp(a.bytes + a.offsets[e], b.bytes + b.offsets[e], size)) {
      if (!diff) first = e;
      ++diff;
    }
  if (diff && oc.tol.deterministic)
    conf_fail(r, "two runs of the same case differ in %zu of %zu elements (first: element %zu)",
              diff, oc.out_numel, first);
  else if (r->outcome == CONF_FALLBACK)
    conf_msg(r, "the plugin declined the case: it ran on ref:0");
done:
  free(a.bytes);
  free(a.offsets);
  free(b.bytes);
  free(b.offsets);
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
    conf_compare(t->oc->out_dtype, run.bytes, run.offsets, t->oc->ref_bytes, t->oc->mag_bytes,
                 t->oc->out_numel, &t->oc->tol, &t->r);
    t->fallbacks += run.fallback;
    t->runs++;
    free(run.bytes);
    free(run.offsets);
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
  r->exact = oc.tol.exact;
  r->rtol = oc.tol.rtol;
  r->atol = oc.tol.atol;
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
