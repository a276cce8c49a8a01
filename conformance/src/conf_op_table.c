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
#include <string.h>

#include "conf_ops.h"

/* ---- signature rules, as docs/ops.md states them (ABI-12) ---- */

static bool valid(bp_dtype_t d) { return d > BP_DTYPE_INVALID && d < BP_DTYPE_COUNT_V1_0; }
static bool same3(const bp_dtype_t *d) { return valid(d[0]) && d[0] == d[1] && d[1] == d[2]; }
static bool sig_fill(const bp_dtype_t *d) { return valid(d[0]); }
static bool sig_copy(const bp_dtype_t *d) { return valid(d[0]) && valid(d[1]); }
static bool sig_add(const bp_dtype_t *d) { return same3(d); }
static bool sig_sub(const bp_dtype_t *d) { return same3(d) && d[0] != BP_DTYPE_BOOL; }
static bool sig_div(const bp_dtype_t *d) { return same3(d) && d[0] != BP_DTYPE_BOOL; }
static bool sig_sum(const bp_dtype_t *d) {
  return (conf_dtype_is_float(d[0]) || d[0] == BP_DTYPE_I64) && d[0] == d[1];
}
static bool sig_matmul(const bp_dtype_t *d) { return same3(d) && d[0] != BP_DTYPE_BOOL; }

static const conf_op_info_t ops[] = {
    {"fill", FAM_FILL, 0, 1, false, false, sig_fill},
    {"copy", FAM_COPY, 1, 1, false, false, sig_copy},
    {"add", FAM_BINARY, 2, 1, true, false, sig_add},
    {"sub", FAM_BINARY, 2, 1, true, false, sig_sub},
    {"mul", FAM_BINARY, 2, 1, false, false, sig_add},
    {"div", FAM_BINARY, 2, 1, false, true, sig_div},
    {"sum", FAM_SUM, 1, 1, false, false, sig_sum},
    {"matmul", FAM_MATMUL, 2, 1, false, false, sig_matmul},
};

const conf_op_info_t *conf_op_lookup(const char *name) {
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); ++i)
    if (!strcmp(ops[i].name, name)) return &ops[i];
  return NULL;
}

/* ---- variants ---- */

#define S0 {0, {0}}
#define S1(a) {1, {a}}
#define S2(a, b) {2, {a, b}}
#define S3(a, b, c) {3, {a, b, c}}
#define S4(a, b, c, d) {4, {a, b, c, d}}
#define S5(a, b, c, d, e) {5, {a, b, c, d, e}}

static const conf_variant_t binary_variants[] = {
    {.name = "scalar", .tiers = TIER_QF, .in = {S0, S0}},
    {.name = "one", .tiers = TIER_QF, .in = {S1(1), S1(1)}},
    {.name = "odd", .tiers = TIER_QF, .in = {S2(7, 13), S2(7, 13)}},
    {.name = "large", .tiers = TIER_QF, .in = {S2(129, 257), S2(129, 257)}},
    {.name = "large_full", .tiers = TIER_F, .in = {S2(1031, 1027), S2(1031, 1027)}},
    {.name = "rank5", .tiers = TIER_QF, .in = {S5(2, 3, 1, 4, 5), S5(2, 3, 1, 4, 5)}},
    {.name = "broadcast_row", .tiers = TIER_QF, .in = {S2(5, 7), S1(7)}},
    {.name = "broadcast_col", .tiers = TIER_QF, .in = {S2(5, 1), S2(1, 7)}},
    {.name = "broadcast_scalar", .tiers = TIER_QF, .in = {S2(4, 6), S0}},
    {.name = "broadcast_3d", .tiers = TIER_F, .in = {S3(3, 1, 5), S2(4, 1)}},
    {.name = "transposed", .tiers = TIER_QF, .in = {S2(7, 13), S2(7, 13)},
     .lay = {LAY_TRANSPOSED, LAY_CONTIG}},
    {.name = "sliced", .tiers = TIER_QF, .in = {S2(7, 13), S2(7, 13)},
     .lay = {LAY_SLICED, LAY_SLICED}},
    {.name = "expanded", .tiers = TIER_QF, .in = {S2(7, 13), S2(7, 13)},
     .lay = {LAY_CONTIG, LAY_EXPANDED}},
    {.name = "offset", .tiers = TIER_QF, .in = {S2(3, 5), S2(3, 5)},
     .lay = {LAY_OFFSET, LAY_OFFSET}},
    {.name = "transposed_4d", .tiers = TIER_F, .in = {S4(2, 3, 4, 5), S4(2, 3, 4, 5)},
     .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED}},
    {.name = "out_gapped", .tiers = TIER_QF, .in = {S2(7, 13), S2(7, 13)}, .out_lay = OUT_GAPPED},
    {.name = "out_transposed", .tiers = TIER_QF, .in = {S2(7, 13), S2(7, 13)},
     .out_lay = OUT_TRANSPOSED},
    {.name = "empty", .tiers = TIER_QF, .in = {S2(0, 5), S2(0, 5)}},
    {.name = "empty_broadcast", .tiers = TIER_QF, .in = {S2(0, 1), S2(1, 5)}},
    {.name = "edge_values", .tiers = TIER_QF, .in = {S1(1), S1(1)}, .values = VAL_EDGE_PAIRS},
    {.name = "alpha", .tiers = TIER_QF, .in = {S2(7, 13), S2(7, 13)}, .alpha = true},
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

const conf_variant_t *conf_variants(conf_family_t f, size_t *count) {
  switch (f) {
    case FAM_FILL: *count = COUNT(fill_variants); return fill_variants;
    case FAM_COPY: *count = COUNT(copy_variants); return copy_variants;
    case FAM_BINARY: *count = COUNT(binary_variants); return binary_variants;
    case FAM_SUM: *count = COUNT(sum_variants); return sum_variants;
    case FAM_MATMUL: *count = COUNT(matmul_variants); return matmul_variants;
    default: *count = 0; return NULL;
  }
}

int conf_variant_find(conf_family_t f, const char *name) {
  size_t n;
  const conf_variant_t *v = conf_variants(f, &n);
  for (size_t i = 0; i < n; ++i)
    if (!strcmp(v[i].name, name)) return (int)i;
  return -1;
}

bool conf_variant_applies(const conf_op_info_t *op, const bp_dtype_t *sig,
                          const conf_variant_t *v) {
  bp_dtype_t out = sig[op->num_inputs];
  if (v->alpha && (!op->has_alpha || out == BP_DTYPE_BOOL)) return false;
  if ((v->values == FILL_NAN || v->values == FILL_INF || v->values == FILL_NEG_ZERO) &&
      !conf_dtype_is_float(out))
    return false;
  return true;
}
