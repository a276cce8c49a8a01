/* conf_op_table.c - the case generators, as data: per op family, the
 * shapes, layouts, values and attributes tried in each tier.
 *
 * Naming: a case is "ops/<op>/<signature>/<variant>", e.g.
 * "ops/add/f32/broadcast_row". Variant names say what they exercise:
 * scalar, one, odd, large (sizes); broadcast_* (broadcasting, which reaches
 * the kernel as stride-0 inputs); transposed, sliced, expanded, offset
 * (non-contiguous inputs); out_gapped, out_transposed (non-contiguous
 * outputs); empty*; edge_values; rank5 (more dims than many kernels take,
 * which their supports() may decline). */
#include <pthread.h>
#include <string.h>

#include "conf_ops.h"

/* ---- signature rules of the first ops, as docs/ops.md states them
 * (ABI-12); every other op: the slot count (libbackplane checks the dtypes
 * when it loads the plugin) ---- */

static bool valid(bp_dtype_t d) { return d > BP_DTYPE_INVALID && d < BP_DTYPE_COUNT_V1_0; }
static bool same3(const bp_dtype_t *d) { return valid(d[0]) && d[0] == d[1] && d[1] == d[2]; }
static bool sig_fill(const bp_dtype_t *d) { return valid(d[0]); }
static bool sig_copy(const bp_dtype_t *d) { return valid(d[0]) && valid(d[1]); }
static bool sig_add(const bp_dtype_t *d) { return same3(d); }
static bool sig_sub(const bp_dtype_t *d) { return same3(d) && d[0] != BP_DTYPE_BOOL; }
static bool sig_matmul(const bp_dtype_t *d) { return same3(d) && d[0] != BP_DTYPE_BOOL; }

static const struct {
  const char *name;
  bool (*sig_ok)(const bp_dtype_t *);
} sig_rules[] = {
    {"fill", sig_fill}, {"copy", sig_copy}, {"add", sig_add},
    {"sub", sig_sub},   {"mul", sig_add},   {"div", sig_sub},
    {"matmul", sig_matmul},
};

/* ---- the op table, built once from the catalog ---- */

#define MAX_OPS 512
static conf_op_info_t op_infos[MAX_OPS];
static uint32_t num_op_infos;
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;

static void build_ops(void) {
  uint32_t n = bp_op_count();
  for (uint32_t id = 0; id < n && num_op_infos < MAX_OPS; ++id) {
    bp_op_info_t bi = {.struct_size = sizeof(bi)};
    if (bp_op_query_info(id, &bi) != BP_STATUS_OK || !bi.form) continue;
    if (!strcmp(bi.form, "view") || !strcmp(bi.form, "composite")) continue;
    conf_op_info_t *o = &op_infos[num_op_infos++];
    memset(o, 0, sizeof(*o));
    o->name = bi.name;
    o->op_id = id;
    o->num_inputs = bi.num_inputs;
    o->num_outputs = bi.num_outputs;
    o->outputs_required = bi.outputs_required != 0;
    o->spec = conf_op_spec(bi.name);
    for (size_t i = 0; i < sizeof(sig_rules) / sizeof(sig_rules[0]); ++i)
      if (!strcmp(sig_rules[i].name, bi.name)) o->sig_ok = sig_rules[i].sig_ok;
    for (uint32_t a = 0; a < bi.num_attrs && a < 16; ++a) {
      bp_attr_t def;
      if (bp_op_query_attr(id, a, &def, NULL) != BP_STATUS_OK) continue;
      o->attr_names[o->num_attrs++] = def.name;
      if (!strcmp(def.name, "dim")) o->dim_type = def.type == BP_ATTR_INTS ? 'I' : 'i';
      if (!strcmp(def.name, "keepdim")) o->has_keepdim = true;
      if (!strcmp(def.name, "has_dim")) o->has_has_dim = true;
      if (!strcmp(def.name, "alpha") && def.type == BP_ATTR_FLOAT) o->has_alpha = true;
    }
    if (!strcmp(bi.name, "fill")) o->family = FAM_FILL;
    else if (!strcmp(bi.name, "copy")) o->family = FAM_COPY;
    else if (!strcmp(bi.form, "elementwise") && o->num_inputs <= 3 && o->num_outputs == 1)
      o->family = FAM_EW;
    else if (!strcmp(bi.form, "reduce") && o->num_inputs == 1)
      o->family = FAM_REDUCE;
    else if (!strcmp(bi.form, "matmul") && o->num_inputs == 2 && o->num_outputs == 1)
      o->family = FAM_MATMUL;
    else if (o->spec && o->spec->num_variants)
      o->family = FAM_TABLE;
    else
      o->family = FAM_COUNT; /* no generator */
  }
}

const conf_op_info_t *conf_op_lookup(const char *name) {
  pthread_once(&ops_once, build_ops);
  for (uint32_t i = 0; i < num_op_infos; ++i)
    if (!strcmp(op_infos[i].name, name)) return &op_infos[i];
  return NULL;
}

bool conf_op_has_attr(const conf_op_info_t *op, const char *name) {
  for (uint32_t i = 0; i < op->num_attrs; ++i)
    if (!strcmp(op->attr_names[i], name)) return true;
  return false;
}

/* ---- variants ---- */

#define S0 {0, {0}}
#define S1(a) {1, {a}}
#define S2(a, b) {2, {a, b}}
#define S3(a, b, c) {3, {a, b, c}}
#define S4(a, b, c, d) {4, {a, b, c, d}}
#define S5(a, b, c, d, e) {5, {a, b, c, d, e}}

/* Elementwise ops with 0 to 3 inputs: slot shapes for up to three inputs
 * (an op uses the first num_inputs; an op without inputs writes an output
 * of in[0]'s shape). */
#define T3(x) {x, x, x}
static const conf_variant_t ew_variants[] = {
    {.name = "scalar", .tiers = TIER_QF, .in = {S0, S0, S0}},
    {.name = "one", .tiers = TIER_QF, .in = T3(S1(1))},
    {.name = "odd", .tiers = TIER_QF, .in = T3(S2(7, 13))},
    {.name = "large", .tiers = TIER_QF, .in = T3(S2(129, 257))},
    {.name = "large_full", .tiers = TIER_F, .in = T3(S2(1031, 1027))},
    {.name = "rank5", .tiers = TIER_QF, .in = T3(S5(2, 3, 1, 4, 5))},
    {.name = "broadcast_row", .tiers = TIER_QF, .in = {S2(5, 7), S1(7), S2(5, 7)}, .min_inputs = 2},
    {.name = "broadcast_col", .tiers = TIER_QF, .in = {S2(5, 1), S2(1, 7), S1(7)}, .min_inputs = 2},
    {.name = "broadcast_scalar", .tiers = TIER_QF, .in = {S2(4, 6), S0, S0}, .min_inputs = 2},
    {.name = "broadcast_3d", .tiers = TIER_F, .in = {S3(3, 1, 5), S2(4, 1), S1(5)}, .min_inputs = 2},
    {.name = "transposed", .tiers = TIER_QF, .in = T3(S2(7, 13)),
     .lay = {LAY_TRANSPOSED, LAY_CONTIG, LAY_TRANSPOSED}, .min_inputs = 1},
    {.name = "sliced", .tiers = TIER_QF, .in = T3(S2(7, 13)), .lay = T3(LAY_SLICED), .min_inputs = 1},
    {.name = "expanded", .tiers = TIER_QF, .in = T3(S2(7, 13)),
     .lay = {LAY_EXPANDED, LAY_EXPANDED, LAY_CONTIG}, .min_inputs = 1},
    {.name = "offset", .tiers = TIER_QF, .in = T3(S2(3, 5)), .lay = T3(LAY_OFFSET), .min_inputs = 1},
    {.name = "transposed_4d", .tiers = TIER_F, .in = T3(S4(2, 3, 4, 5)),
     .lay = T3(LAY_TRANSPOSED), .min_inputs = 1},
    {.name = "out_gapped", .tiers = TIER_QF, .in = T3(S2(7, 13)), .out_lay = OUT_GAPPED},
    {.name = "out_transposed", .tiers = TIER_QF, .in = T3(S2(7, 13)), .out_lay = OUT_TRANSPOSED},
    {.name = "empty", .tiers = TIER_QF, .in = T3(S2(0, 5))},
    {.name = "empty_broadcast", .tiers = TIER_QF, .in = {S2(0, 1), S2(1, 5), S2(1, 5)},
     .min_inputs = 2},
    {.name = "edge_values", .tiers = TIER_QF, .in = T3(S1(1)), .values = VAL_EDGE_PAIRS,
     .min_inputs = 1},
    {.name = "alpha", .tiers = TIER_QF, .in = T3(S2(7, 13)), .alpha = true},
};

static const conf_variant_t sum_variants[] = {
    {.name = "scalar", .tiers = TIER_QF, .in = {S0}},
    {.name = "one", .tiers = TIER_QF, .in = {S1(1)}},
    {.name = "all", .tiers = TIER_QF, .in = {S2(7, 13)}},
    {.name = "dim1", .tiers = TIER_QF, .in = {S2(7, 13)}, .num_dims = 1, .dims = {1}},
    {.name = "dim0_keepdim", .tiers = TIER_QF, .in = {S2(7, 13)}, .num_dims = 1, .dims = {0},
     .keepdim = true},
    {.name = "neg_dim", .tiers = TIER_QF, .in = {S3(3, 4, 5)}, .num_dims = 1, .dims = {-1}},
    {.name = "two_dims", .tiers = TIER_QF, .in = {S3(3, 4, 5)}, .num_dims = 2, .dims = {0, 2}},
    {.name = "large", .tiers = TIER_QF, .in = {S2(129, 257)}, .num_dims = 1, .dims = {0}},
    {.name = "large_all", .tiers = TIER_QF, .in = {S1(65537)}},
    {.name = "large_full", .tiers = TIER_F, .in = {S2(1031, 1027)}, .num_dims = 1, .dims = {1}},
    {.name = "rank5", .tiers = TIER_QF, .in = {S5(2, 3, 1, 4, 5)}, .num_dims = 2,
     .dims = {1, 3}},
    {.name = "transposed", .tiers = TIER_QF, .in = {S2(7, 13)}, .lay = {LAY_TRANSPOSED},
     .num_dims = 1, .dims = {1}},
    {.name = "sliced", .tiers = TIER_QF, .in = {S2(7, 13)}, .lay = {LAY_SLICED}, .num_dims = 1,
     .dims = {0}},
    {.name = "expanded", .tiers = TIER_QF, .in = {S2(7, 13)}, .lay = {LAY_EXPANDED},
     .num_dims = 1, .dims = {0}},
    {.name = "out_gapped", .tiers = TIER_QF, .in = {S3(7, 6, 5)}, .num_dims = 1, .dims = {1},
     .out_lay = OUT_GAPPED},
    {.name = "empty_input", .tiers = TIER_QF, .in = {S2(0, 5)}, .num_dims = 1, .dims = {0}},
    {.name = "empty_output", .tiers = TIER_QF, .in = {S2(0, 5)}, .num_dims = 1, .dims = {1}},
    {.name = "edge_values", .tiers = TIER_QF, .in = {S2(7, 13)}, .num_dims = 1, .dims = {1},
     .values = VAL_EDGE},
};

static const conf_variant_t matmul_variants[] = {
    {.name = "dot", .tiers = TIER_QF, .in = {S1(5), S1(5)}},
    {.name = "one", .tiers = TIER_QF, .in = {S2(1, 1), S2(1, 1)}},
    {.name = "vec_mat", .tiers = TIER_QF, .in = {S1(5), S2(5, 3)}},
    {.name = "mat_vec", .tiers = TIER_QF, .in = {S2(4, 5), S1(5)}},
    {.name = "odd", .tiers = TIER_QF, .in = {S2(7, 13), S2(13, 5)}},
    {.name = "large", .tiers = TIER_QF, .in = {S2(65, 257), S2(257, 33)}},
    {.name = "large_full", .tiers = TIER_F, .in = {S2(257, 513), S2(513, 129)}},
    /* sizes in whole vec4s (K, N, row strides), partial row and column tiles:
     * the vectorised paths of GPU-style kernels */
    {.name = "aligned", .tiers = TIER_QF, .in = {S2(20, 40), S2(40, 68)}},
    {.name = "batched_aligned", .tiers = TIER_QF, .in = {S3(2, 130, 132), S3(2, 132, 72)}},
    {.name = "aligned_transposed_a", .tiers = TIER_QF, .in = {S2(20, 40), S2(40, 68)},
     .lay = {LAY_TRANSPOSED, LAY_CONTIG}},
    {.name = "aligned_transposed_b", .tiers = TIER_QF, .in = {S2(20, 40), S2(40, 68)},
     .lay = {LAY_CONTIG, LAY_TRANSPOSED}},
    {.name = "aligned_transposed", .tiers = TIER_QF, .in = {S2(132, 40), S2(40, 68)},
     .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED}},
    {.name = "batched", .tiers = TIER_QF, .in = {S3(3, 4, 5), S3(3, 5, 6)}},
    {.name = "broadcast_batch", .tiers = TIER_QF, .in = {S4(2, 1, 4, 5), S3(3, 5, 6)}},
    {.name = "transposed_a", .tiers = TIER_QF, .in = {S2(7, 13), S2(13, 5)},
     .lay = {LAY_TRANSPOSED, LAY_CONTIG}},
    {.name = "transposed_b", .tiers = TIER_QF, .in = {S2(7, 13), S2(13, 5)},
     .lay = {LAY_CONTIG, LAY_TRANSPOSED}},
    {.name = "sliced", .tiers = TIER_QF, .in = {S2(7, 13), S2(13, 5)},
     .lay = {LAY_SLICED, LAY_SLICED}},
    {.name = "expanded_batch", .tiers = TIER_QF, .in = {S3(3, 4, 5), S3(3, 5, 6)},
     .lay = {LAY_EXPANDED, LAY_CONTIG}},
    {.name = "out_gapped", .tiers = TIER_QF, .in = {S2(7, 13), S2(13, 5)}, .out_lay = OUT_GAPPED},
    {.name = "out_transposed", .tiers = TIER_QF, .in = {S2(7, 13), S2(13, 5)},
     .out_lay = OUT_TRANSPOSED},
    {.name = "empty_m", .tiers = TIER_QF, .in = {S2(0, 5), S2(5, 3)}},
    {.name = "k_zero", .tiers = TIER_QF, .in = {S2(3, 0), S2(0, 4)}},
    {.name = "edge_values", .tiers = TIER_QF, .in = {S2(7, 13), S2(13, 5)}, .values = VAL_EDGE},
    /* 3-d with one batch size: the cases bmm takes too */
    {.name = "batched_transposed", .tiers = TIER_QF, .in = {S3(3, 4, 5), S3(3, 5, 6)},
     .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED}},
    {.name = "batched_large", .tiers = TIER_QF, .in = {S3(2, 65, 129), S3(2, 129, 33)}},
    {.name = "batched_out_gapped", .tiers = TIER_QF, .in = {S3(3, 4, 5), S3(3, 5, 6)},
     .out_lay = OUT_GAPPED},
    {.name = "batched_empty", .tiers = TIER_QF, .in = {S3(0, 4, 5), S3(0, 5, 6)}},
    {.name = "batched_k_zero", .tiers = TIER_QF, .in = {S3(2, 3, 0), S3(2, 0, 4)}},
    {.name = "batched_edge_values", .tiers = TIER_QF, .in = {S3(2, 7, 13), S3(2, 13, 5)},
     .values = VAL_EDGE},
};

static const conf_variant_t copy_variants[] = {
    {.name = "scalar", .tiers = TIER_QF, .in = {S0}, .out = S0},
    {.name = "one", .tiers = TIER_QF, .in = {S1(1)}, .out = S1(1)},
    {.name = "odd", .tiers = TIER_QF, .in = {S2(7, 13)}, .out = S2(7, 13)},
    {.name = "large", .tiers = TIER_QF, .in = {S2(129, 257)}, .out = S2(129, 257)},
    {.name = "large_full", .tiers = TIER_F, .in = {S2(1031, 1027)}, .out = S2(1031, 1027)},
    {.name = "broadcast", .tiers = TIER_QF, .in = {S1(13)}, .out = S2(7, 13)},
    {.name = "broadcast_scalar", .tiers = TIER_QF, .in = {S0}, .out = S2(4, 6)},
    {.name = "transposed", .tiers = TIER_QF, .in = {S2(7, 13)}, .lay = {LAY_TRANSPOSED},
     .out = S2(7, 13)},
    {.name = "sliced", .tiers = TIER_QF, .in = {S2(7, 13)}, .lay = {LAY_SLICED}, .out = S2(7, 13)},
    {.name = "offset", .tiers = TIER_QF, .in = {S2(3, 5)}, .lay = {LAY_OFFSET}, .out = S2(3, 5)},
    {.name = "out_gapped", .tiers = TIER_QF, .in = {S2(7, 13)}, .out = S2(7, 13),
     .out_lay = OUT_GAPPED},
    {.name = "out_transposed", .tiers = TIER_QF, .in = {S2(7, 13)}, .out = S2(7, 13),
     .out_lay = OUT_TRANSPOSED},
    {.name = "rank5_transposed", .tiers = TIER_F, .in = {S5(2, 3, 1, 4, 5)},
     .lay = {LAY_TRANSPOSED}, .out = S5(2, 3, 1, 4, 5)},
    {.name = "empty", .tiers = TIER_QF, .in = {S2(0, 5)}, .out = S2(0, 5)},
    {.name = "edge_values", .tiers = TIER_QF, .in = {S1(40)}, .out = S1(40), .values = VAL_EDGE},
};

static const conf_variant_t fill_variants[] = {
    {.name = "scalar", .tiers = TIER_QF, .out = S0},
    {.name = "one", .tiers = TIER_QF, .out = S1(1)},
    {.name = "odd", .tiers = TIER_QF, .out = S2(7, 13)},
    {.name = "large", .tiers = TIER_QF, .out = S2(129, 257)},
    {.name = "large_full", .tiers = TIER_F, .out = S2(1031, 1027)},
    {.name = "rank5", .tiers = TIER_QF, .out = S5(2, 3, 1, 4, 5)},
    {.name = "out_gapped", .tiers = TIER_QF, .out = S2(7, 13), .out_lay = OUT_GAPPED},
    {.name = "out_transposed", .tiers = TIER_QF, .out = S2(7, 13), .out_lay = OUT_TRANSPOSED},
    {.name = "empty", .tiers = TIER_QF, .out = S2(0, 5)},
    {.name = "neg_zero", .tiers = TIER_QF, .out = S1(5), .values = FILL_NEG_ZERO},
    {.name = "nan", .tiers = TIER_QF, .out = S1(5), .values = FILL_NAN},
    {.name = "inf", .tiers = TIER_QF, .out = S1(5), .values = FILL_INF},
    {.name = "max", .tiers = TIER_QF, .out = S1(5), .values = FILL_MAX},
    {.name = "min", .tiers = TIER_QF, .out = S1(5), .values = FILL_MIN},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const conf_variant_t *family_variants(conf_family_t f, size_t *count) {
  switch (f) {
    case FAM_FILL: *count = COUNT(fill_variants); return fill_variants;
    case FAM_COPY: *count = COUNT(copy_variants); return copy_variants;
    case FAM_EW: *count = COUNT(ew_variants); return ew_variants;
    case FAM_REDUCE: *count = COUNT(sum_variants); return sum_variants;
    case FAM_MATMUL: *count = COUNT(matmul_variants); return matmul_variants;
    default: *count = 0; return NULL;
  }
}

size_t conf_op_num_variants(const conf_op_info_t *op) {
  size_t n;
  family_variants(op->family, &n);
  return n + (op->spec ? op->spec->num_variants : 0);
}

const conf_variant_t *conf_op_variant(const conf_op_info_t *op, size_t i) {
  size_t n;
  const conf_variant_t *fv = family_variants(op->family, &n);
  if (i < n) return &fv[i];
  i -= n;
  if (op->spec && i < op->spec->num_variants) return &op->spec->variants[i];
  return NULL;
}

int conf_variant_find(const conf_op_info_t *op, const char *name) {
  size_t n = conf_op_num_variants(op);
  for (size_t i = 0; i < n; ++i)
    if (!strcmp(conf_op_variant(op, i)->name, name)) return (int)i;
  return -1;
}

static bool attrs_known(const conf_op_info_t *op, const conf_attr_spec_t *a, size_t n) {
  for (size_t i = 0; i < n && a[i].name; ++i)
    if (!conf_op_has_attr(op, a[i].name)) return false;
  return true;
}

bool conf_variant_applies(const conf_op_info_t *op, const bp_dtype_t *sig,
                          const conf_variant_t *v) {
  bp_dtype_t out = sig[op->num_inputs];
  bp_dtype_t first = sig[0];
  if (v->alpha && (!op->has_alpha || out == BP_DTYPE_BOOL)) return false;
  if ((v->values == FILL_NAN || v->values == FILL_INF || v->values == FILL_NEG_ZERO) &&
      !conf_dtype_is_float(out))
    return false;
  if (v->only == ONLY_FLOAT && !conf_dtype_is_float(first)) return false;
  if (v->only == ONLY_INT && conf_dtype_is_float(first)) return false;
  if (first < 32 && (v->skip_mask & BP_DTYPE_BIT(first))) return false;
  if (v->int_slot && conf_dtype_is_float(sig[v->int_slot - 1])) return false;
  if (v->float_slot && !conf_dtype_is_float(sig[v->float_slot - 1])) return false;
  if (!attrs_known(op, v->attrs, CONF_MAX_ATTR_SPECS)) return false;
  if (op->spec && !attrs_known(op, op->spec->base, CONF_MAX_ATTR_SPECS)) return false;
  switch (op->family) {
    case FAM_EW:
      if (v->min_inputs > op->num_inputs) return false;
      if (v->values == VAL_EDGE_PAIRS && op->spec && (op->spec->flags & SPEC_NO_EDGE)) return false;
      break;
    case FAM_REDUCE:
      if (v->values == VAL_EDGE && op->spec && (op->spec->flags & SPEC_NO_EDGE)) return false;
      if (op->dim_type == 0 && v->num_dims) return false;
      if (op->dim_type == 'i' && (v->num_dims > 1 || (v->num_dims == 0 && !op->has_has_dim)))
        return false;
      if (v->keepdim && !op->has_keepdim) return false;
      if (op->spec && (op->spec->flags & SPEC_NONEMPTY)) {
        bool empty = false;
        for (int32_t d = 0; d < v->in[0].ndim; ++d) {
          bool reduced = v->num_dims == 0;
          for (int32_t j = 0; j < v->num_dims; ++j)
            reduced = reduced || v->dims[j] == d || v->dims[j] + v->in[0].ndim == d;
          empty = empty || (reduced && v->in[0].d[d] == 0);
        }
        if (empty) return false;
      }
      break;
    case FAM_MATMUL:
      if (strcmp(op->name, "matmul") &&
          (v->in[0].ndim != 3 || v->in[1].ndim != 3 || v->in[0].d[0] != v->in[1].d[0]))
        return false;
      break;
    default:
      break;
  }
  return true;
}
