/* conf_op_spec.c - per-op case data, keyed by catalog op name: the input
 * value domains (log and sqrt get positive inputs, divisors non-zero
 * values, index inputs valid indices), attributes every case sets, extra
 * attribute variants of elementwise and reduce ops, and the whole case
 * table of as_is ops (shapes and attributes). Ops not listed here still
 * get their family's generic cases (elementwise, reduce, matmul); an as_is
 * op with no row is reported "not tested". An attribute the op does not
 * declare (yet) drops the case, so rows may run ahead of the catalog. */
#include <math.h>
#include <string.h>

#include "conf_ops.h"

#define S0 {0, {0}}
#define S1(a) {1, {a}}
#define S2(a, b) {2, {a, b}}
#define S3(a, b, c) {3, {a, b, c}}
#define S4(a, b, c, d) {4, {a, b, c, d}}

#define AI(n, v) {n, 'i', (double)(v), 0, {0}}
#define AF(n, v) {n, 'f', (double)(v), 0, {0}}
#define AB(n, v) {n, 'b', (double)(v), 0, {0}}
#define AL1(n, a) {n, 'I', 0, 1, {a}}
#define AL2(n, a, b) {n, 'I', 0, 2, {a, b}}
#define AL4(n, a, b, c, d) {n, 'I', 0, 4, {a, b, c, d}}

#define Q TIER_QF
/* torch's integer convolutions take dilation only in i64 */
#define SMALL_INTS (BP_DTYPE_BIT(BP_DTYPE_U8) | BP_DTYPE_BIT(BP_DTYPE_I8) | BP_DTYPE_BIT(BP_DTYPE_I32))
#define VARIANTS(a) .variants = a, .num_variants = sizeof(a) / sizeof((a)[0])

/* ---- elementwise ---- */

static const conf_variant_t v_div[] = {
    {.name = "trunc", .tiers = Q, .in = {S2(7, 13), S2(7, 13)}, .attrs = {AI("rounding_mode", 1)}},
    {.name = "floor", .tiers = Q, .in = {S2(7, 13), S2(7, 13)}, .attrs = {AI("rounding_mode", 2)}},
    {.name = "floor_edge_values", .tiers = Q, .in = {S1(1), S1(1)}, .values = VAL_EDGE_PAIRS,
     .attrs = {AI("rounding_mode", 2)}},
};
static const conf_variant_t v_leaky_relu[] = {
    {.name = "slope", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("negative_slope", 0.2)}},
    {.name = "slope_negative", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("negative_slope", -1.5)}},
};
static const conf_variant_t v_gelu[] = {
    {.name = "tanh", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("approximate", 1)}},
    {.name = "tanh_edge_values", .tiers = Q, .in = {S1(1)}, .values = VAL_EDGE_PAIRS,
     .attrs = {AI("approximate", 1)}},
};
static const conf_variant_t v_softplus[] = {
    {.name = "beta_threshold", .tiers = Q, .in = {S2(7, 13)},
     .attrs = {AF("beta", 2), AF("threshold", 1)}},
};
static const conf_variant_t v_round[] = {
    {.name = "ties", .tiers = Q, .in = {S2(7, 13)}, .dom = {DOM_DISCRETE}},
    {.name = "decimals", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("decimals", 2)},
     .only = ONLY_FLOAT},
    {.name = "decimals_negative", .tiers = Q, .in = {S2(7, 13)}, .dom = {DOM_POS},
     .attrs = {AI("decimals", -1)}, .only = ONLY_FLOAT},
};
static const conf_variant_t v_ties[] = {
    {.name = "ties", .tiers = Q, .in = {S2(7, 13)}, .dom = {DOM_DISCRETE}},
};
static const conf_variant_t v_clamp[] = {
    {.name = "min_only", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AB("has_max", 0), AF("min", 1)}},
    {.name = "max_only", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AB("has_min", 0), AF("max", 1)}},
    {.name = "min_above_max", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("min", 1), AF("max", 0)}},
    {.name = "wide", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("min", 2), AF("max", 100)},
     .only = ONLY_INT},
};
/* Random ops: the same (seed, offset) must give the reference's bits. */
static const conf_variant_t v_uniform[] = {
    {.name = "offset_odd", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("offset", 5)}},
    {.name = "seed_high", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("seed", 0x1234567890LL)}},
    {.name = "unit", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("from", 0), AF("to", 1)}},
};
static const conf_variant_t v_normal[] = {
    {.name = "offset_odd", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("offset", 5)}},
    {.name = "seed_high", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("seed", 0x1234567890LL)}},
};
static const conf_variant_t v_bernoulli[] = {
    {.name = "offset_odd", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("offset", 5)}},
    {.name = "seed_high", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("seed", 0x1234567890LL)}},
};
static const conf_variant_t v_dropout[] = {
    {.name = "offset_odd", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("offset", 5)}},
    {.name = "p_three_quarters", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("p", 0.75)}},
    {.name = "p_zero", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("p", 0)}},
    {.name = "p_one", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AF("p", 1)}},
    {.name = "eval", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AB("train", 0)}},
};

/* ---- reductions (dims as the family's cases) ---- */

#define RD1(nm, ...) {.name = nm, .tiers = Q, .in = {S2(7, 13)}, .num_dims = 1, .dims = {1}, \
                      .attrs = {__VA_ARGS__}}
static const conf_variant_t v_var[] = {
    RD1("population", AI("correction", 0)),
    RD1("correction2", AI("correction", 2)),
    {.name = "population_all", .tiers = Q, .in = {S3(3, 4, 5)}, .attrs = {AI("correction", 0)}},
};
static const conf_variant_t v_norm[] = {
    RD1("p1", AF("p", 1)),    RD1("p3", AF("p", 3)),        RD1("p0", AF("p", 0)),
    RD1("pinf", AF("p", INFINITY)), RD1("pninf", AF("p", -INFINITY)),
    {.name = "p1_all", .tiers = Q, .in = {S3(3, 4, 5)}, .attrs = {AF("p", 1)}},
};
static const conf_variant_t v_argmax[] = {
    {.name = "dim1_keepdim", .tiers = Q, .in = {S2(7, 13)}, .num_dims = 1, .dims = {1},
     .keepdim = true},
};

/* ---- as_is ops: their whole case tables ---- */

static const conf_variant_t v_arange[] = {
    {.name = "ints", .tiers = Q, .out = S1(10), .attrs = {AF("start", 0), AF("end", 10), AF("step", 1)}},
    {.name = "down", .tiers = Q, .out = S1(4), .attrs = {AF("start", 10), AF("end", 0), AF("step", -3)}},
    {.name = "step7", .tiers = Q, .out = S1(14), .attrs = {AF("start", 5), AF("end", 100), AF("step", 7)}},
    {.name = "halves", .tiers = Q, .out = S1(16), .only = ONLY_FLOAT,
     .attrs = {AF("start", -3), AF("end", 5), AF("step", 0.5)}},
    {.name = "tenths", .tiers = Q, .out = S1(10), .only = ONLY_FLOAT,
     .attrs = {AF("start", 0), AF("end", 1), AF("step", 0.1)}},
    {.name = "out_gapped", .tiers = Q, .out = S1(10), .out_lay = OUT_GAPPED,
     .attrs = {AF("start", 0), AF("end", 10), AF("step", 1)}},
    {.name = "empty", .tiers = Q, .out = S1(0), .attrs = {AF("start", 3), AF("end", 3), AF("step", 1)}},
};
static const conf_variant_t v_tri[] = {
    {.name = "odd", .tiers = Q, .in = {S2(7, 13)}},
    {.name = "diagonal_pos", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("diagonal", 2)}},
    {.name = "diagonal_neg", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("diagonal", -3)}},
    {.name = "batched", .tiers = Q, .in = {S3(2, 5, 4)}},
    {.name = "transposed", .tiers = Q, .in = {S2(7, 13)}, .lay = {LAY_TRANSPOSED}},
    {.name = "sliced", .tiers = Q, .in = {S2(7, 13)}, .lay = {LAY_SLICED}},
    {.name = "out_gapped", .tiers = Q, .in = {S2(7, 13)}, .out_lay = OUT_GAPPED},
    {.name = "empty", .tiers = Q, .in = {S2(0, 4)}},
};
static const conf_variant_t v_pad[] = {
    {.name = "both", .tiers = Q, .in = {S2(3, 4)}, .attrs = {AL4("pad", 1, 2, 0, 1), AF("value", 1)}},
    {.name = "crop", .tiers = Q, .in = {S2(3, 4)}, .attrs = {AL4("pad", -1, 0, 1, 1)}},
};
#define SCAN(extra_dom)                                                                        \
  {.name = "dim1", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("dim", 1)}, .k = 13, .dom = {extra_dom}}, \
  {.name = "dim0", .tiers = Q, .in = {S2(7, 13)}, .attrs = {AI("dim", 0)}, .k = 7, .dom = {extra_dom}}, \
  {.name = "neg_dim", .tiers = Q, .in = {S3(3, 4, 5)}, .attrs = {AI("dim", -1)}, .k = 5, .dom = {extra_dom}}, \
  {.name = "scalar", .tiers = Q, .in = {S0}, .attrs = {AI("dim", 0)}, .k = 1, .dom = {extra_dom}}, \
  {.name = "transposed", .tiers = Q, .in = {S2(7, 13)}, .lay = {LAY_TRANSPOSED},          \
   .attrs = {AI("dim", 1)}, .k = 13, .dom = {extra_dom}},                                   \
  {.name = "sliced", .tiers = Q, .in = {S2(7, 13)}, .lay = {LAY_SLICED},                  \
   .attrs = {AI("dim", 0)}, .k = 7, .dom = {extra_dom}},                                    \
  {.name = "out_gapped", .tiers = Q, .in = {S2(7, 13)}, .out_lay = OUT_GAPPED,            \
   .attrs = {AI("dim", 1)}, .k = 13, .dom = {extra_dom}},                                   \
  {.name = "large", .tiers = Q, .in = {S1(4097)}, .attrs = {AI("dim", 0)}, .k = 4097,       \
   .dom = {extra_dom}},                                                                     \
  {.name = "empty", .tiers = Q, .in = {S2(0, 5)}, .attrs = {AI("dim", 1)}, .k = 5, .dom = {extra_dom}}
static const conf_variant_t v_cumsum[] = {SCAN(DOM_OP)};
static const conf_variant_t v_cumprod[] = {SCAN(DOM_NEAR1)};

static const conf_variant_t v_linear[] = {
    {.name = "odd", .tiers = Q, .in = {S2(7, 13), S2(5, 13), S1(5)}, .k = 13},
    {.name = "batched", .tiers = Q, .in = {S3(2, 3, 13), S2(5, 13), S1(5)}, .k = 13},
    {.name = "vector", .tiers = Q, .in = {S1(13), S2(5, 13), S1(5)}, .k = 13},
    {.name = "no_bias", .tiers = Q, .in = {S2(7, 13), S2(5, 13), S1(5)}, .k = 13,
     .attrs = {AB("has_bias", 0)}},
    {.name = "transposed", .tiers = Q, .in = {S2(7, 13), S2(5, 13), S1(5)}, .k = 13,
     .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED, LAY_CONTIG}},
    {.name = "sliced", .tiers = Q, .in = {S2(7, 13), S2(5, 13), S1(5)}, .k = 13,
     .lay = {LAY_SLICED, LAY_SLICED, LAY_SLICED}},
    {.name = "large", .tiers = Q, .in = {S2(64, 129), S2(33, 129), S1(33)}, .k = 129},
    {.name = "out_gapped", .tiers = Q, .in = {S2(7, 13), S2(5, 13), S1(5)}, .k = 13,
     .out_lay = OUT_GAPPED},
    {.name = "empty", .tiers = Q, .in = {S2(0, 13), S2(5, 13), S1(5)}, .k = 13},
};
#define CONV1(nm, x, w, b, kk, ...) {.name = nm, .tiers = Q, .in = {x, w, b}, .k = kk, __VA_ARGS__}
static const conf_variant_t v_conv1d[] = {
    CONV1("basic", S3(2, 4, 11), S3(6, 4, 3), S1(6), 12),
    CONV1("stride", S3(2, 4, 11), S3(6, 4, 3), S1(6), 12, .attrs = {AL1("stride", 2)}),
    CONV1("padding", S3(2, 4, 11), S3(6, 4, 3), S1(6), 12, .attrs = {AL1("padding", 2)}),
    CONV1("dilation", S3(2, 4, 11), S3(6, 4, 3), S1(6), 12, .attrs = {AL1("dilation", 2)},
          .skip_mask = SMALL_INTS),
    CONV1("groups", S3(2, 4, 11), S3(6, 2, 3), S1(6), 6, .attrs = {AI("groups", 2)}),
    CONV1("padding_same", S3(2, 4, 11), S3(6, 4, 4), S1(6), 16, .attrs = {AB("padding_same", 1)}),
    CONV1("no_bias", S3(2, 4, 11), S3(6, 4, 3), S1(6), 12, .attrs = {AB("has_bias", 0)}),
    CONV1("transposed", S3(2, 4, 11), S3(6, 4, 3), S1(6), 12, .lay = {LAY_TRANSPOSED}),
    CONV1("out_gapped", S3(2, 4, 11), S3(6, 4, 3), S1(6), 12, .out_lay = OUT_GAPPED),
    CONV1("empty", S3(0, 4, 11), S3(6, 4, 3), S1(6), 12),
};
static const conf_variant_t v_conv2d[] = {
    CONV1("basic", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27),
    CONV1("stride", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27, .attrs = {AL2("stride", 2, 1)}),
    CONV1("padding", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27, .attrs = {AL2("padding", 1, 2)}),
    CONV1("dilation", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27, .attrs = {AL1("dilation", 2)},
          .skip_mask = SMALL_INTS),
    CONV1("groups", S4(2, 4, 9, 10), S4(6, 2, 3, 3), S1(6), 18, .attrs = {AI("groups", 2)}),
    CONV1("depthwise", S4(2, 4, 9, 10), S4(4, 1, 3, 3), S1(4), 9, .attrs = {AI("groups", 4)}),
    CONV1("padding_same", S4(2, 3, 9, 10), S4(4, 3, 2, 3), S1(4), 18,
          .attrs = {AB("padding_same", 1)}),
    CONV1("pointwise", S4(2, 3, 9, 10), S4(4, 3, 1, 1), S1(4), 3),
    CONV1("no_bias", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27, .attrs = {AB("has_bias", 0)}),
    CONV1("transposed", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27, .lay = {LAY_TRANSPOSED}),
    CONV1("sliced", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27, .lay = {LAY_SLICED, LAY_SLICED}),
    CONV1("out_gapped", S4(2, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27, .out_lay = OUT_GAPPED),
    CONV1("large", S4(2, 16, 17, 17), S4(8, 16, 3, 3), S1(8), 144),
    CONV1("empty", S4(0, 3, 9, 10), S4(4, 3, 3, 3), S1(4), 27),
    /* rows and channels in whole vec4s, output rows in whole 8s: the
     * vectorised paths of GPU-style kernels (zero padding at both edges) */
    CONV1("aligned", S4(2, 8, 6, 16), S4(12, 8, 3, 3), S1(12), 72, .attrs = {AL1("padding", 1)}),
    CONV1("aligned_groups", S4(1, 8, 5, 16), S4(6, 4, 5, 5), S1(6), 100,
          .attrs = {AI("groups", 2), AL2("padding", 1, 2)}),
};
static const conf_variant_t v_conv_transpose2d[] = {
    CONV1("basic", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36),
    CONV1("stride", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36, .attrs = {AL1("stride", 2)}),
    CONV1("padding", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36, .attrs = {AL1("padding", 1)}),
    CONV1("output_padding", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36,
          .attrs = {AL1("stride", 2), AL1("output_padding", 1)}),
    CONV1("groups", S4(2, 4, 5, 6), S4(4, 2, 3, 3), S1(4), 18, .attrs = {AI("groups", 2)}),
    CONV1("dilation", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36, .attrs = {AL1("dilation", 2)}),
    CONV1("no_bias", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36, .attrs = {AB("has_bias", 0)}),
    CONV1("transposed", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36, .lay = {LAY_TRANSPOSED}),
    CONV1("out_gapped", S4(2, 4, 5, 6), S4(4, 3, 3, 3), S1(3), 36, .out_lay = OUT_GAPPED),
};
#define POOL(nm, kk, ...) {.name = nm, .tiers = Q, .in = {S4(2, 3, 9, 10)}, .k = kk, __VA_ARGS__}
static const conf_variant_t v_max_pool2d[] = {
    POOL("k3", 9, .attrs = {AL1("kernel_size", 3)}),
    POOL("k3_s2_p1", 9, .attrs = {AL1("kernel_size", 3), AL1("stride", 2), AL1("padding", 1)}),
    POOL("rect", 6, .attrs = {AL2("kernel_size", 2, 3), AL2("stride", 1, 2)}),
    POOL("dilation", 9, .attrs = {AL1("kernel_size", 2), AL1("dilation", 2)}),
    POOL("ceil_mode", 4, .attrs = {AL1("kernel_size", 2), AB("ceil_mode", 1)}),
    POOL("transposed", 9, .lay = {LAY_TRANSPOSED}, .attrs = {AL1("kernel_size", 3)}),
    POOL("out_gapped", 9, .out_lay = OUT_GAPPED, .attrs = {AL1("kernel_size", 3)}),
    POOL("edge_values", 9, .values = VAL_EDGE, .attrs = {AL1("kernel_size", 3)}),
};
static const conf_variant_t v_avg_pool2d[] = {
    POOL("k3", 9, .attrs = {AL1("kernel_size", 3)}),
    POOL("k3_s2_p1", 9, .attrs = {AL1("kernel_size", 3), AL1("stride", 2), AL1("padding", 1)}),
    POOL("exclude_pad", 9, .attrs = {AL1("kernel_size", 3), AL1("stride", 2), AL1("padding", 1),
                                     AB("count_include_pad", 0)}),
    POOL("divisor", 9, .attrs = {AL1("kernel_size", 3), AI("divisor_override", 5)}),
    POOL("ceil_mode", 4, .attrs = {AL1("kernel_size", 2), AB("ceil_mode", 1)}),
    POOL("transposed", 9, .lay = {LAY_TRANSPOSED}, .attrs = {AL1("kernel_size", 3)}),
    POOL("out_gapped", 9, .out_lay = OUT_GAPPED, .attrs = {AL1("kernel_size", 3)}),
};
static const conf_variant_t v_adaptive_avg_pool2d[] = {
    POOL("out4x3", 30, .attrs = {AL2("output_size", 4, 3)}),
    POOL("global", 90, .attrs = {AL1("output_size", 1)}),
    POOL("identity", 1, .attrs = {AL2("output_size", 9, 10)}),
    POOL("larger", 4, .attrs = {AL2("output_size", 11, 13)}),
    POOL("transposed", 30, .lay = {LAY_TRANSPOSED}, .attrs = {AL2("output_size", 4, 3)}),
};
/* Normalizations: placeholders (absent weight, bias, stats) get the real
 * shapes, so the case is valid whatever the op reads. */
#define BN(nm, kk, ...)                                                                       \
  {.name = nm, .tiers = Q, .in = {S4(4, 3, 5, 6), S1(3), S1(3), S1(3), S1(3)}, .k = kk,       \
   .dom = {DOM_OP, DOM_OP, DOM_OP, DOM_OP, DOM_POS}, __VA_ARGS__}
static const conf_variant_t v_batch_norm[] = {
    BN("eval", 1, .attrs = {AB("has_weight", 1), AB("has_bias", 1), AB("has_running_stats", 1)}),
    BN("train", 120, .attrs = {AB("training", 1), AB("has_weight", 1), AB("has_bias", 1)}),
    BN("train_stats", 120, .attrs = {AB("training", 1), AB("has_running_stats", 1)}),
    BN("eval_plain", 1, .attrs = {AB("has_running_stats", 1)}),
    BN("transposed", 120, .lay = {LAY_TRANSPOSED}, .attrs = {AB("training", 1)}),
    {.name = "train_2d", .tiers = Q, .in = {S2(8, 3), S1(3), S1(3), S1(3), S1(3)}, .k = 8,
     .attrs = {AB("training", 1), AB("has_weight", 1)}},
};
#define LN(nm, kk, ...) {.name = nm, .tiers = Q, .in = {S3(2, 5, 8), S1(8), S1(8)}, .k = kk, __VA_ARGS__}
static const conf_variant_t v_layer_norm[] = {
    LN("affine", 8, .attrs = {AL1("normalized_shape", 8), AB("has_weight", 1), AB("has_bias", 1)}),
    LN("plain", 8, .attrs = {AL1("normalized_shape", 8)}),
    LN("eps", 8, .attrs = {AL1("normalized_shape", 8), AF("eps", 0.1), AB("has_weight", 1)}),
    {.name = "two_dims", .tiers = Q, .in = {S3(2, 5, 8), S2(5, 8), S2(5, 8)}, .k = 40,
     .attrs = {AL2("normalized_shape", 5, 8), AB("has_weight", 1), AB("has_bias", 1)}},
    LN("transposed", 8, .lay = {LAY_TRANSPOSED}, .attrs = {AL1("normalized_shape", 8)}),
    LN("out_gapped", 8, .out_lay = OUT_GAPPED, .attrs = {AL1("normalized_shape", 8)}),
};
#define GN(nm, kk, ...) {.name = nm, .tiers = Q, .in = {S4(2, 6, 4, 5), S1(6), S1(6)}, .k = kk, __VA_ARGS__}
static const conf_variant_t v_group_norm[] = {
    GN("g3", 40, .attrs = {AI("num_groups", 3), AB("has_weight", 1), AB("has_bias", 1)}),
    GN("g1", 120, .attrs = {AI("num_groups", 1)}),
    GN("g6", 20, .attrs = {AI("num_groups", 6), AB("has_weight", 1)}),
    GN("transposed", 40, .lay = {LAY_TRANSPOSED}, .attrs = {AI("num_groups", 3)}),
};
#define RN(nm, ...) {.name = nm, .tiers = Q, .in = {S3(2, 5, 8), S1(8)}, .k = 8, __VA_ARGS__}
static const conf_variant_t v_rms_norm[] = {
    RN("weight", .attrs = {AL1("normalized_shape", 8), AB("has_weight", 1)}),
    RN("plain", .attrs = {AL1("normalized_shape", 8)}),
    RN("eps", .attrs = {AL1("normalized_shape", 8), AB("has_eps", 1), AF("eps", 0.01)}),
    RN("transposed", .lay = {LAY_TRANSPOSED}, .attrs = {AL1("normalized_shape", 8)}),
};
static const conf_variant_t v_softmax[] = {
    {.name = "last", .tiers = Q, .in = {S2(7, 13)}, .k = 13},
    {.name = "dim0", .tiers = Q, .in = {S2(7, 13)}, .k = 7, .attrs = {AI("dim", 0)}},
    {.name = "middle", .tiers = Q, .in = {S3(3, 4, 5)}, .k = 4, .attrs = {AI("dim", 1)}},
    {.name = "transposed", .tiers = Q, .in = {S2(7, 13)}, .k = 13, .lay = {LAY_TRANSPOSED}},
    {.name = "sliced", .tiers = Q, .in = {S2(7, 13)}, .k = 13, .lay = {LAY_SLICED}},
    {.name = "out_gapped", .tiers = Q, .in = {S2(7, 13)}, .k = 13, .out_lay = OUT_GAPPED},
    {.name = "large", .tiers = Q, .in = {S2(4, 1025)}, .k = 1025},
    {.name = "scalar", .tiers = Q, .in = {S0}, .k = 1},
    {.name = "empty", .tiers = Q, .in = {S2(0, 5)}, .k = 5},
};
static const conf_variant_t v_embedding[] = {
    {.name = "odd", .tiers = Q, .in = {S2(10, 4), S2(3, 5)}, .hi = {0, 10}},
    {.name = "vector", .tiers = Q, .in = {S2(10, 4), S1(7)}, .hi = {0, 10}},
    {.name = "scalar", .tiers = Q, .in = {S2(10, 4), S0}, .hi = {0, 10}},
    {.name = "padding_idx", .tiers = Q, .in = {S2(10, 4), S2(3, 5)}, .hi = {0, 10},
     .attrs = {AB("has_padding_idx", 1), AI("padding_idx", 2)}},
    {.name = "transposed", .tiers = Q, .in = {S2(10, 4), S2(3, 5)}, .hi = {0, 10},
     .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED}},
    {.name = "out_gapped", .tiers = Q, .in = {S2(10, 4), S2(3, 5)}, .hi = {0, 10},
     .out_lay = OUT_GAPPED},
    {.name = "empty", .tiers = Q, .in = {S2(10, 4), S1(0)}, .hi = {0, 10}},
};
static const conf_variant_t v_gather[] = {
    {.name = "dim0", .tiers = Q, .in = {S2(5, 7), S2(4, 7)}, .hi = {0, 5}},
    {.name = "dim1", .tiers = Q, .in = {S2(5, 7), S2(5, 3)}, .hi = {0, 7}, .attrs = {AI("dim", 1)}},
    {.name = "smaller_index", .tiers = Q, .in = {S2(5, 7), S2(3, 4)}, .hi = {0, 5}},
    {.name = "neg_dim", .tiers = Q, .in = {S3(3, 4, 5), S3(2, 3, 6)}, .hi = {0, 5},
     .attrs = {AI("dim", -1)}},
    {.name = "transposed", .tiers = Q, .in = {S2(5, 7), S2(4, 7)}, .hi = {0, 5},
     .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED}},
    {.name = "out_gapped", .tiers = Q, .in = {S2(5, 7), S2(4, 7)}, .hi = {0, 5}, .out_lay = OUT_GAPPED},
    {.name = "empty", .tiers = Q, .in = {S2(5, 7), S2(0, 7)}, .hi = {0, 5}},
};
static const conf_variant_t v_scatter_add[] = {
    {.name = "dim0", .tiers = Q, .in = {S2(5, 7), S2(4, 7), S2(4, 7)}, .hi = {0, 5}, .k = 5},
    {.name = "dim1", .tiers = Q, .in = {S2(5, 7), S2(5, 3), S2(5, 3)}, .hi = {0, 7}, .k = 4,
     .attrs = {AI("dim", 1)}},
    {.name = "larger_src", .tiers = Q, .in = {S2(5, 7), S2(3, 4), S2(6, 8)}, .hi = {0, 5}, .k = 4},
    {.name = "many_duplicates", .tiers = Q, .in = {S2(2, 7), S2(9, 7), S2(9, 7)}, .hi = {0, 2},
     .k = 10},
    {.name = "transposed", .tiers = Q, .in = {S2(5, 7), S2(4, 7), S2(4, 7)}, .hi = {0, 5}, .k = 5,
     .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED, LAY_TRANSPOSED}},
    {.name = "out_gapped", .tiers = Q, .in = {S2(5, 7), S2(4, 7), S2(4, 7)}, .hi = {0, 5}, .k = 5,
     .out_lay = OUT_GAPPED},
};
static const conf_variant_t v_index_select[] = {
    {.name = "dim0", .tiers = Q, .in = {S2(5, 7), S1(4)}, .hi = {0, 5}},
    {.name = "dim1_repeats", .tiers = Q, .in = {S2(5, 7), S1(9)}, .hi = {0, 7}, .attrs = {AI("dim", 1)}},
    {.name = "scalar_index", .tiers = Q, .in = {S2(5, 7), S0}, .hi = {0, 5}},
    {.name = "neg_dim", .tiers = Q, .in = {S3(3, 4, 5), S1(6)}, .hi = {0, 5}, .attrs = {AI("dim", -1)}},
    {.name = "transposed", .tiers = Q, .in = {S2(5, 7), S1(4)}, .hi = {0, 5}, .lay = {LAY_TRANSPOSED}},
    {.name = "out_gapped", .tiers = Q, .in = {S2(5, 7), S1(4)}, .hi = {0, 5}, .out_lay = OUT_GAPPED},
    {.name = "empty_index", .tiers = Q, .in = {S2(5, 7), S1(0)}, .hi = {0, 5}},
};
static const conf_variant_t v_one_hot[] = {
    {.name = "vector", .tiers = Q, .in = {S1(6)}, .hi = {5}, .attrs = {AI("num_classes", 5)}},
    {.name = "matrix", .tiers = Q, .in = {S2(2, 3)}, .hi = {7}, .attrs = {AI("num_classes", 7)}},
    {.name = "transposed", .tiers = Q, .in = {S2(2, 3)}, .hi = {7}, .lay = {LAY_TRANSPOSED},
     .attrs = {AI("num_classes", 7)}},
    {.name = "out_gapped", .tiers = Q, .in = {S1(6)}, .hi = {5}, .out_lay = OUT_GAPPED,
     .attrs = {AI("num_classes", 5)}},
    {.name = "empty", .tiers = Q, .in = {S1(0)}, .hi = {3}, .attrs = {AI("num_classes", 3)}},
};
#define NLL(nm, ...) {.name = nm, .tiers = Q, .in = {S2(6, 5), S1(6), S1(5)}, .hi = {0, 5}, \
                      .dom = {DOM_OP, DOM_OP, DOM_POS}, .k = 12, __VA_ARGS__}
static const conf_variant_t v_nll_loss[] = {
    NLL("mean"),
    NLL("sum", .attrs = {AI("reduction", 2)}),
    NLL("none", .attrs = {AI("reduction", 0)}),
    NLL("weight", .attrs = {AB("has_weight", 1)}),
    NLL("ignore_index", .attrs = {AI("ignore_index", 2), AB("has_weight", 1)}),
    NLL("transposed", .lay = {LAY_TRANSPOSED}),
    {.name = "spatial", .tiers = Q, .in = {S3(3, 5, 4), S2(3, 4), S1(5)}, .hi = {0, 5},
     .dom = {DOM_OP, DOM_OP, DOM_POS}, .k = 24},
    {.name = "vector", .tiers = Q, .in = {S1(5), S0, S1(5)}, .hi = {0, 5},
     .dom = {DOM_OP, DOM_OP, DOM_POS}, .k = 2},
};
#define CE(nm, ...) {.name = nm, .tiers = Q, .in = {S2(6, 5), S1(6), S1(5)}, .hi = {0, 5}, \
                     .dom = {DOM_OP, DOM_OP, DOM_POS}, .k = 12, .int_slot = 2, __VA_ARGS__}
#define CEP(nm, ...) {.name = nm, .tiers = Q, .in = {S2(6, 5), S2(6, 5), S1(5)},              \
                      .dom = {DOM_OP, DOM_UNIT, DOM_POS}, .k = 12, .float_slot = 2, __VA_ARGS__}
static const conf_variant_t v_cross_entropy[] = {
    CE("mean"),
    CE("sum", .attrs = {AI("reduction", 2)}),
    CE("none", .attrs = {AI("reduction", 0)}),
    CE("weight", .attrs = {AB("has_weight", 1)}),
    CE("ignore_index", .attrs = {AI("ignore_index", 1)}),
    CE("label_smoothing", .attrs = {AF("label_smoothing", 0.1), AB("has_weight", 1)}),
    CE("transposed", .lay = {LAY_TRANSPOSED}),
    CEP("probabilities"),
    CEP("probabilities_none", .attrs = {AI("reduction", 0)}),
    CEP("probabilities_smoothing", .attrs = {AF("label_smoothing", 0.2)}),
};
#define MSE(nm, ...) {.name = nm, .tiers = Q, .in = {S2(7, 13), S2(7, 13)}, .k = 91, __VA_ARGS__}
static const conf_variant_t v_mse_loss[] = {
    MSE("mean"),
    MSE("sum", .attrs = {AI("reduction", 2)}),
    MSE("none", .attrs = {AI("reduction", 0)}),
    {.name = "broadcast", .tiers = Q, .in = {S2(7, 13), S1(13)}, .k = 91},
    MSE("transposed", .lay = {LAY_TRANSPOSED, LAY_SLICED}),
    MSE("none_out_gapped", .out_lay = OUT_GAPPED, .attrs = {AI("reduction", 0)}),
    {.name = "empty", .tiers = Q, .in = {S2(0, 13), S2(0, 13)}, .k = 1, .attrs = {AI("reduction", 2)}},
};
#define BCE(nm, ...) {.name = nm, .tiers = Q, .in = {S2(7, 13), S2(7, 13), S2(7, 13), S1(13)}, \
                      .dom = {DOM_OP, DOM_UNIT, DOM_POS, DOM_POS}, .k = 91, __VA_ARGS__}
static const conf_variant_t v_bce[] = {
    BCE("mean"),
    BCE("sum", .attrs = {AI("reduction", 2)}),
    BCE("none", .attrs = {AI("reduction", 0)}),
    BCE("weights", .attrs = {AB("has_weight", 1), AB("has_pos_weight", 1)}),
    BCE("transposed", .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED}, .attrs = {AI("reduction", 0)}),
    BCE("none_out_gapped", .out_lay = OUT_GAPPED, .attrs = {AI("reduction", 0)}),
};
#define SDPA(nm, ...) {.name = nm, .tiers = Q, .in = {S3(2, 5, 8), S3(2, 6, 8), S3(2, 6, 4), S2(5, 6)}, \
                       .dom = {DOM_OP, DOM_OP, DOM_OP, DOM_SPARSE}, .k = 14, __VA_ARGS__}
static const conf_variant_t v_sdpa[] = {
    SDPA("basic"),
    SDPA("causal", .attrs = {AB("is_causal", 1)}),
    SDPA("scale", .attrs = {AF("scale", 0.5)}),
    SDPA("mask", .attrs = {AB("has_attn_mask", 1)}),
    SDPA("transposed", .lay = {LAY_TRANSPOSED, LAY_CONTIG, LAY_SLICED}),
    SDPA("out_gapped", .out_lay = OUT_GAPPED),
    {.name = "broadcast_batch", .tiers = Q, .in = {S4(2, 3, 5, 8), S4(1, 3, 6, 8), S4(1, 3, 6, 4), S2(5, 6)},
     .dom = {DOM_OP, DOM_OP, DOM_OP, DOM_SPARSE}, .k = 14},
};

/* ---- backward ops: the forward's shapes; saved tensors derived from the
 * forward on ref:0 (the spec's pre_op) ---- */

#define CB(nm, go, x, w, ...) {.name = nm, .tiers = Q, .in = {go, x, w}, .k = 112, __VA_ARGS__}
static const conf_variant_t v_conv2d_backward[] = {
    CB("basic", S4(2, 4, 7, 8), S4(2, 3, 9, 10), S4(4, 3, 3, 3)),
    CB("stride", S4(2, 4, 4, 8), S4(2, 3, 9, 10), S4(4, 3, 3, 3), .attrs = {AL2("stride", 2, 1)}),
    CB("padding", S4(2, 4, 9, 12), S4(2, 3, 9, 10), S4(4, 3, 3, 3), .attrs = {AL2("padding", 1, 2)}),
    CB("dilation", S4(2, 4, 5, 6), S4(2, 3, 9, 10), S4(4, 3, 3, 3), .attrs = {AL1("dilation", 2)}),
    CB("groups", S4(2, 6, 7, 8), S4(2, 4, 9, 10), S4(6, 2, 3, 3), .attrs = {AI("groups", 2)}),
    CB("padding_same", S4(2, 4, 9, 10), S4(2, 3, 9, 10), S4(4, 3, 2, 3),
       .attrs = {AB("padding_same", 1)}),
    CB("transposed", S4(2, 4, 7, 8), S4(2, 3, 9, 10), S4(4, 3, 3, 3),
       .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED, LAY_CONTIG}),
    CB("out_gapped", S4(2, 4, 7, 8), S4(2, 3, 9, 10), S4(4, 3, 3, 3), .out_lay = OUT_GAPPED),
};
/* max_pool2d_backward: indices are max_pool2d's own (pre_op) */
#define MPB(nm, go, ...) {.name = nm, .tiers = Q, .in = {go, S4(2, 3, 9, 10), go}, .hi = {0, 0, 90}, \
                          .k = 9, __VA_ARGS__}
static const conf_variant_t v_max_pool2d_backward[] = {
    MPB("k3", S4(2, 3, 3, 3), .attrs = {AL1("kernel_size", 3)}),
    MPB("overlap", S4(2, 3, 7, 8), .attrs = {AL1("kernel_size", 3), AL1("stride", 1)}),
    MPB("k3_s2_p1", S4(2, 3, 5, 5), .attrs = {AL1("kernel_size", 3), AL1("stride", 2), AL1("padding", 1)}),
    MPB("rect", S4(2, 3, 8, 4), .attrs = {AL2("kernel_size", 2, 3), AL2("stride", 1, 2)}),
    MPB("dilation", S4(2, 3, 4, 4), .attrs = {AL1("kernel_size", 2), AL1("dilation", 2)}),
    MPB("ceil_mode", S4(2, 3, 5, 5), .attrs = {AL1("kernel_size", 2), AB("ceil_mode", 1)}),
    MPB("transposed", S4(2, 3, 7, 8), .lay = {LAY_TRANSPOSED},
        .attrs = {AL1("kernel_size", 3), AL1("stride", 1)}),
    MPB("out_gapped", S4(2, 3, 7, 8), .out_lay = OUT_GAPPED,
        .attrs = {AL1("kernel_size", 3), AL1("stride", 1)}),
};
#define APB(nm, go, kk, ...) {.name = nm, .tiers = Q, .in = {go, S4(2, 3, 9, 10)}, .k = kk, __VA_ARGS__}
static const conf_variant_t v_avg_pool2d_backward[] = {
    APB("k3", S4(2, 3, 3, 3), 9, .attrs = {AL1("kernel_size", 3)}),
    APB("overlap", S4(2, 3, 7, 8), 9, .attrs = {AL1("kernel_size", 3), AL1("stride", 1)}),
    APB("k3_s2_p1", S4(2, 3, 5, 5), 9, .attrs = {AL1("kernel_size", 3), AL1("stride", 2), AL1("padding", 1)}),
    APB("exclude_pad", S4(2, 3, 5, 5), 9, .attrs = {AL1("kernel_size", 3), AL1("stride", 2),
                                                   AL1("padding", 1), AB("count_include_pad", 0)}),
    APB("divisor", S4(2, 3, 3, 3), 9, .attrs = {AL1("kernel_size", 3), AI("divisor_override", 5)}),
    APB("ceil_mode", S4(2, 3, 5, 5), 4, .attrs = {AL1("kernel_size", 2), AB("ceil_mode", 1)}),
    APB("transposed", S4(2, 3, 7, 8), 9, .lay = {LAY_TRANSPOSED},
        .attrs = {AL1("kernel_size", 3), AL1("stride", 1)}),
    APB("out_gapped", S4(2, 3, 7, 8), 9, .out_lay = OUT_GAPPED,
        .attrs = {AL1("kernel_size", 3), AL1("stride", 1)}),
};
static const conf_variant_t v_adaptive_avg_pool2d_backward[] = {
    APB("out4x3", S4(2, 3, 4, 3), 4),
    APB("global", S4(2, 3, 1, 1), 1),
    APB("identity", S4(2, 3, 9, 10), 1),
    APB("larger", S4(2, 3, 11, 13), 4),
    APB("transposed", S4(2, 3, 4, 3), 4, .lay = {LAY_TRANSPOSED}),
    APB("out_gapped", S4(2, 3, 4, 3), 4, .out_lay = OUT_GAPPED),
};
#define EB(nm, go, idx, hh, kk, ...) {.name = nm, .tiers = Q, .in = {go, idx}, .hi = {0, hh}, .k = kk, \
                                      __VA_ARGS__}
static const conf_variant_t v_embedding_backward[] = {
    EB("odd", S3(3, 5, 4), S2(3, 5), 10, 15, .attrs = {AI("num_weights", 10)}),
    EB("vector", S2(7, 4), S1(7), 10, 7, .attrs = {AI("num_weights", 10)}),
    EB("many_duplicates", S2(40, 4), S1(40), 3, 40, .attrs = {AI("num_weights", 10)}),
    EB("padding_idx", S3(3, 5, 4), S2(3, 5), 10, 15,
       .attrs = {AI("num_weights", 10), AB("has_padding_idx", 1), AI("padding_idx", 2)}),
    EB("padding_idx_neg", S3(3, 5, 4), S2(3, 5), 10, 15,
       .attrs = {AI("num_weights", 10), AB("has_padding_idx", 1), AI("padding_idx", -1)}),
    EB("transposed", S3(3, 5, 4), S2(3, 5), 10, 15, .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED},
       .attrs = {AI("num_weights", 10)}),
    EB("out_gapped", S3(3, 5, 4), S2(3, 5), 10, 15, .out_lay = OUT_GAPPED,
       .attrs = {AI("num_weights", 10)}),
    EB("empty", S2(0, 4), S1(0), 10, 1, .attrs = {AI("num_weights", 10)}),
};
/* Norm backward ops: mean and rstd are the forward's on the same x and
 * weight (pre_op); the shapes given for them are placeholders. */
#define LNB(nm, kk, ...) {.name = nm, .tiers = Q, .k = kk,                                     \
                          .in = {S3(2, 5, 8), S3(2, 5, 8), S3(2, 5, 1), S3(2, 5, 1), S1(8)}, __VA_ARGS__}
static const conf_variant_t v_layer_norm_backward[] = {
    LNB("affine", 10, .attrs = {AL1("normalized_shape", 8), AB("has_weight", 1)}),
    LNB("plain", 10, .attrs = {AL1("normalized_shape", 8)}),
    {.name = "two_dims", .tiers = Q, .k = 40,
     .in = {S3(2, 5, 8), S3(2, 5, 8), S3(2, 1, 1), S3(2, 1, 1), S2(5, 8)},
     .attrs = {AL2("normalized_shape", 5, 8), AB("has_weight", 1)}},
    LNB("transposed", 10, .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED},
        .attrs = {AL1("normalized_shape", 8), AB("has_weight", 1)}),
    LNB("out_gapped", 10, .out_lay = OUT_GAPPED, .attrs = {AL1("normalized_shape", 8), AB("has_weight", 1)}),
};
/* batch_norm_backward: training takes the batch statistics from the
 * forward; eval takes running statistics, any mean and positive invstd. */
#define BNB(nm, kk, ...) {.name = nm, .tiers = Q, .k = kk,                                     \
                          .in = {S4(4, 3, 5, 6), S4(4, 3, 5, 6), S1(3), S1(3), S1(3)}, __VA_ARGS__}
static const conf_variant_t v_batch_norm_backward[] = {
    BNB("train", 120, .attrs = {AB("training", 1), AB("has_weight", 1)}),
    BNB("train_plain", 120, .attrs = {AB("training", 1)}),
    BNB("eval", 120, .no_derive = true, .attrs = {AB("has_weight", 1)}),
    BNB("eval_plain", 120, .no_derive = true),
    BNB("transposed", 120, .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED},
        .attrs = {AB("training", 1), AB("has_weight", 1)}),
    BNB("out_gapped", 120, .out_lay = OUT_GAPPED, .attrs = {AB("training", 1), AB("has_weight", 1)}),
    {.name = "train_2d", .tiers = Q, .k = 8, .in = {S2(8, 3), S2(8, 3), S1(3), S1(3), S1(3)},
     .attrs = {AB("training", 1), AB("has_weight", 1)}},
};
#define GNB(nm, kk, ...) {.name = nm, .tiers = Q, .k = kk,                                     \
                          .in = {S4(2, 6, 4, 5), S4(2, 6, 4, 5), S2(2, 3), S2(2, 3), S1(6)}, __VA_ARGS__}
static const conf_variant_t v_group_norm_backward[] = {
    GNB("g3", 40, .attrs = {AI("num_groups", 3), AB("has_weight", 1)}),
    GNB("g1", 120, .attrs = {AI("num_groups", 1)}),
    GNB("g6", 40, .attrs = {AI("num_groups", 6), AB("has_weight", 1)}),
    GNB("transposed", 40, .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED},
        .attrs = {AI("num_groups", 3), AB("has_weight", 1)}),
    GNB("out_gapped", 40, .out_lay = OUT_GAPPED, .attrs = {AI("num_groups", 3), AB("has_weight", 1)}),
};
/* softmax/log_softmax backward: output is the forward's (pre_op) */
#define SMB(nm, sh, kk, ...) {.name = nm, .tiers = Q, .in = {sh, sh}, .k = kk, __VA_ARGS__}
static const conf_variant_t v_softmax_backward[] = {
    SMB("last", S2(7, 13), 13),
    SMB("dim0", S2(7, 13), 7, .attrs = {AI("dim", 0)}),
    SMB("middle", S3(3, 4, 5), 4, .attrs = {AI("dim", 1)}),
    SMB("transposed", S2(7, 13), 13, .lay = {LAY_TRANSPOSED, LAY_TRANSPOSED}),
    SMB("sliced", S2(7, 13), 13, .lay = {LAY_SLICED, LAY_SLICED}),
    SMB("out_gapped", S2(7, 13), 13, .out_lay = OUT_GAPPED),
    SMB("large", S2(4, 1025), 1025),
    SMB("scalar", S0, 1),
    SMB("empty", S2(0, 5), 5),
};
static const conf_variant_t v_gelu_backward[] = {
    {.name = "odd", .tiers = Q, .in = {S2(7, 13), S2(7, 13)}},
    {.name = "tanh", .tiers = Q, .in = {S2(7, 13), S2(7, 13)}, .attrs = {AI("approximate", 1)}},
    {.name = "scalar", .tiers = Q, .in = {S0, S0}},
    {.name = "large", .tiers = Q, .in = {S2(129, 257), S2(129, 257)}},
    {.name = "transposed", .tiers = Q, .in = {S2(7, 13), S2(7, 13)}, .lay = {LAY_TRANSPOSED, LAY_CONTIG}},
    {.name = "sliced", .tiers = Q, .in = {S2(7, 13), S2(7, 13)}, .lay = {LAY_SLICED, LAY_SLICED}},
    {.name = "out_gapped", .tiers = Q, .in = {S2(7, 13), S2(7, 13)}, .out_lay = OUT_GAPPED},
    {.name = "empty", .tiers = Q, .in = {S2(0, 5), S2(0, 5)}},
    {.name = "edge_values", .tiers = Q, .in = {S1(1), S1(1)}, .values = VAL_EDGE_PAIRS},
};

/* ---- optimizer steps: param, grad and state of one shape; the updated
 * param and state are outputs (the in-place form, outputs = inputs, is
 * not exercised: the suite passes separate guarded outputs) ---- */

#define OPT(nm, n, ...) {.name = nm, .tiers = Q, .in = {S2(7, 13), S2(7, 13), S2(7, 13), S2(7, 13)}, \
                         .k = n, __VA_ARGS__}
static const conf_variant_t v_sgd_step[] = {
    OPT("plain", 1, .attrs = {AF("lr", 0.1)}),
    OPT("momentum", 1, .attrs = {AF("lr", 0.1), AF("momentum", 0.9), AI("step", 2)}),
    OPT("momentum_first_step", 1, .attrs = {AF("lr", 0.1), AF("momentum", 0.9), AF("dampening", 0.5),
                                            AI("step", 1)}),
    OPT("dampening", 1, .attrs = {AF("lr", 0.1), AF("momentum", 0.9), AF("dampening", 0.5), AI("step", 3)}),
    OPT("nesterov", 1, .attrs = {AF("lr", 0.1), AF("momentum", 0.9), AB("nesterov", 1), AI("step", 2)}),
    OPT("weight_decay", 1, .attrs = {AF("lr", 0.1), AF("weight_decay", 0.01), AF("momentum", 0.5),
                                     AI("step", 2)}),
    OPT("maximize", 1, .attrs = {AF("lr", 0.1), AB("maximize", 1), AF("momentum", 0.9), AI("step", 2)}),
    OPT("transposed", 1, .lay = {LAY_TRANSPOSED, LAY_SLICED, LAY_TRANSPOSED},
        .attrs = {AF("lr", 0.1), AF("momentum", 0.9), AI("step", 2)}),
    OPT("out_gapped", 1, .out_lay = OUT_GAPPED, .attrs = {AF("lr", 0.1), AF("momentum", 0.9), AI("step", 2)}),
    {.name = "large", .tiers = Q, .in = {S2(129, 257), S2(129, 257), S2(129, 257)},
     .attrs = {AF("lr", 0.1), AF("momentum", 0.9), AI("step", 2)}},
    {.name = "scalar", .tiers = Q, .in = {S0, S0, S0}, .attrs = {AF("lr", 0.1)}},
    {.name = "empty", .tiers = Q, .in = {S2(0, 5), S2(0, 5), S2(0, 5)}, .attrs = {AF("lr", 0.1)}},
};
static const conf_variant_t v_adamw_step[] = {
    OPT("step1", 1),
    OPT("step10", 1, .attrs = {AF("lr", 0.01), AI("step", 10)}),
    OPT("adam", 1, .attrs = {AF("lr", 0.01), AF("weight_decay", 0), AI("step", 3)}),
    OPT("betas", 1, .attrs = {AF("lr", 0.01), AF("beta1", 0.5), AF("beta2", 0.75), AI("step", 4)}),
    OPT("eps", 1, .attrs = {AF("eps", 0.1), AI("step", 2)}),
    OPT("maximize", 1, .attrs = {AF("lr", 0.01), AB("maximize", 1), AI("step", 2)}),
    OPT("transposed", 1, .lay = {LAY_TRANSPOSED, LAY_SLICED, LAY_TRANSPOSED, LAY_SLICED},
        .attrs = {AI("step", 2)}),
    OPT("out_gapped", 1, .out_lay = OUT_GAPPED, .attrs = {AI("step", 2)}),
    {.name = "large", .tiers = Q, .in = {S2(129, 257), S2(129, 257), S2(129, 257), S2(129, 257)},
     .attrs = {AI("step", 5)}},
    {.name = "scalar", .tiers = Q, .in = {S0, S0, S0, S0}},
    {.name = "empty", .tiers = Q, .in = {S2(0, 5), S2(0, 5), S2(0, 5), S2(0, 5)}},
};

/* ---- the rows ---- */

static const conf_op_spec_t specs[] = {
    /* elementwise */
    {.op = "div", .dom = {DOM_ANY, DOM_NONZERO}, .int_attrs = {AI("rounding_mode", 2)}, .flags = SPEC_INT_ATTRS,
     VARIANTS(v_div)},
    {.op = "remainder", .dom = {DOM_ANY, DOM_NONZERO}, .variants = NULL},
    {.op = "pow", .dom = {DOM_BASE, DOM_EXP}, .variants = NULL},
    {.op = "maximum", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "minimum", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "eq", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "ne", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "lt", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "le", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "gt", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "ge", .dom = {DOM_DISCRETE, DOM_DISCRETE}, .variants = NULL},
    {.op = "logical_and", .dom = {DOM_SPARSE, DOM_SPARSE}, .variants = NULL},
    {.op = "logical_or", .dom = {DOM_SPARSE, DOM_SPARSE}, .variants = NULL},
    {.op = "logical_xor", .dom = {DOM_SPARSE, DOM_SPARSE}, .variants = NULL},
    {.op = "logical_not", .dom = {DOM_SPARSE}, .variants = NULL},
    {.op = "where", .dom = {DOM_ANY, DOM_ANY, DOM_ANY}, .variants = NULL},
    {.op = "log", .dom = {DOM_POS}, .variants = NULL},
    {.op = "sqrt", .dom = {DOM_POS}, .variants = NULL},
    {.op = "rsqrt", .dom = {DOM_POS}, .variants = NULL},
    {.op = "log1p", .dom = {DOM_GT_M1}, .variants = NULL},
    {.op = "reciprocal", .dom = {DOM_NONZERO}, .variants = NULL},
    {.op = "leaky_relu", .dom = {DOM_ANY}, VARIANTS(v_leaky_relu)},
    {.op = "gelu", .dom = {DOM_ANY}, VARIANTS(v_gelu)},
    {.op = "softplus", .dom = {DOM_ANY}, VARIANTS(v_softplus)},
    {.op = "round", .dom = {DOM_ANY}, VARIANTS(v_round)},
    {.op = "floor", .dom = {DOM_ANY}, VARIANTS(v_ties)},
    {.op = "ceil", .dom = {DOM_ANY}, VARIANTS(v_ties)},
    {.op = "trunc", .dom = {DOM_ANY}, VARIANTS(v_ties)},
    {.op = "clamp", .dom = {DOM_ANY},
     .base = {AB("has_min", 1), AF("min", 0), AB("has_max", 1), AF("max", 1)}, VARIANTS(v_clamp)},
    {.op = "uniform", .dom = {0}, .base = {AF("from", -2), AF("to", 3), AI("seed", 1234)}, .flags = SPEC_NO_EDGE,
     VARIANTS(v_uniform)},
    {.op = "normal", .dom = {0}, .base = {AF("mean", 1), AF("std", 2), AI("seed", 99)}, .flags = SPEC_NO_EDGE,
     VARIANTS(v_normal)},
    {.op = "bernoulli", .dom = {DOM_UNIT}, .base = {AI("seed", 7)}, .flags = SPEC_NO_EDGE, VARIANTS(v_bernoulli)},
    {.op = "dropout", .dom = {DOM_ANY}, .base = {AF("p", 0.5), AI("seed", 5)}, .flags = SPEC_NO_EDGE, VARIANTS(v_dropout)},
    /* reductions */
    {.op = "prod", .dom = {DOM_NEAR1}, .variants = NULL},
    {.op = "amax", .dom = {DOM_DISCRETE}, .flags = SPEC_NONEMPTY, .variants = NULL},
    {.op = "amin", .dom = {DOM_DISCRETE}, .flags = SPEC_NONEMPTY, .variants = NULL},
    {.op = "max", .dom = {DOM_DISCRETE}, .flags = SPEC_NONEMPTY, .variants = NULL},
    {.op = "min", .dom = {DOM_DISCRETE}, .flags = SPEC_NONEMPTY, .variants = NULL},
    {.op = "argmax", .dom = {DOM_DISCRETE}, .flags = SPEC_NONEMPTY, VARIANTS(v_argmax)},
    {.op = "argmin", .dom = {DOM_DISCRETE}, .flags = SPEC_NONEMPTY, VARIANTS(v_argmax)},
    {.op = "var", .dom = {DOM_ANY}, VARIANTS(v_var)},
    {.op = "std", .dom = {DOM_ANY}, VARIANTS(v_var)},
    {.op = "norm", .dom = {DOM_ANY}, VARIANTS(v_norm)},
    {.op = "all", .dom = {DOM_SPARSE}, .variants = NULL},
    {.op = "any", .dom = {DOM_SPARSE}, .variants = NULL},
    /* as_is */
    {.op = "arange", .dom = {0}, VARIANTS(v_arange)},
    {.op = "tril", .dom = {0}, VARIANTS(v_tri)},
    {.op = "triu", .dom = {0}, VARIANTS(v_tri)},
    {.op = "pad", .dom = {0}, VARIANTS(v_pad)},
    {.op = "cumsum", .dom = {0}, VARIANTS(v_cumsum)},
    {.op = "cumprod", .dom = {0}, VARIANTS(v_cumprod)},
    {.op = "linear", .dom = {0}, VARIANTS(v_linear)},
    {.op = "conv1d", .dom = {0}, VARIANTS(v_conv1d)},
    {.op = "conv2d", .dom = {0}, VARIANTS(v_conv2d)},
    {.op = "conv_transpose2d", .dom = {0}, VARIANTS(v_conv_transpose2d)},
    {.op = "max_pool2d", .dom = {0}, VARIANTS(v_max_pool2d)},
    {.op = "avg_pool2d", .dom = {0}, VARIANTS(v_avg_pool2d)},
    {.op = "adaptive_avg_pool2d", .dom = {0}, VARIANTS(v_adaptive_avg_pool2d)},
    {.op = "batch_norm", .dom = {0}, VARIANTS(v_batch_norm)},
    {.op = "layer_norm", .dom = {0}, VARIANTS(v_layer_norm)},
    {.op = "group_norm", .dom = {0}, VARIANTS(v_group_norm)},
    {.op = "rms_norm", .dom = {0}, VARIANTS(v_rms_norm)},
    {.op = "softmax", .dom = {0}, VARIANTS(v_softmax)},
    {.op = "log_softmax", .dom = {0}, VARIANTS(v_softmax)},
    {.op = "embedding", .dom = {DOM_ANY, DOM_INDEX}, VARIANTS(v_embedding)},
    {.op = "gather", .dom = {DOM_ANY, DOM_INDEX}, VARIANTS(v_gather)},
    {.op = "scatter_add", .dom = {DOM_ANY, DOM_INDEX}, VARIANTS(v_scatter_add)},
    {.op = "index_select", .dom = {DOM_ANY, DOM_INDEX}, VARIANTS(v_index_select)},
    {.op = "one_hot", .dom = {DOM_INDEX}, VARIANTS(v_one_hot)},
    {.op = "nll_loss", .dom = {DOM_ANY, DOM_INDEX}, VARIANTS(v_nll_loss)},
    {.op = "cross_entropy", .dom = {DOM_ANY, DOM_INDEX}, VARIANTS(v_cross_entropy)},
    {.op = "mse_loss", .dom = {0}, VARIANTS(v_mse_loss)},
    {.op = "binary_cross_entropy_with_logits", .dom = {0}, VARIANTS(v_bce)},
    {.op = "scaled_dot_product_attention", .dom = {0}, VARIANTS(v_sdpa)},
    /* backward */
    {.op = "conv2d_backward", .dom = {0}, VARIANTS(v_conv2d_backward)},
    {.op = "max_pool2d_backward", .dom = {DOM_ANY, DOM_ANY, DOM_INDEX}, VARIANTS(v_max_pool2d_backward),
     .pre_op = "max_pool2d", .pre_in = {2}, .pre_out = {0, 3}},
    {.op = "avg_pool2d_backward", .dom = {0}, VARIANTS(v_avg_pool2d_backward)},
    {.op = "adaptive_avg_pool2d_backward", .dom = {0}, VARIANTS(v_adaptive_avg_pool2d_backward)},
    {.op = "embedding_backward", .dom = {DOM_ANY, DOM_INDEX}, VARIANTS(v_embedding_backward)},
    {.op = "layer_norm_backward", .dom = {DOM_ANY, DOM_ANY, DOM_ANY, DOM_POS, DOM_ANY},
     VARIANTS(v_layer_norm_backward), .pre_op = "layer_norm", .pre_in = {2, 5, 5}, .pre_out = {0, 3, 4}},
    {.op = "batch_norm_backward", .dom = {DOM_ANY, DOM_ANY, DOM_ANY, DOM_ANY, DOM_POS},
     VARIANTS(v_batch_norm_backward), .pre_op = "batch_norm", .pre_in = {2, 3, 3, 4, 5},
     .pre_out = {0, 4, 5}},
    {.op = "group_norm_backward", .dom = {DOM_ANY, DOM_ANY, DOM_ANY, DOM_POS, DOM_ANY},
     VARIANTS(v_group_norm_backward), .pre_op = "group_norm", .pre_in = {2, 5, 5}, .pre_out = {0, 3, 4}},
    {.op = "softmax_backward", .dom = {0}, VARIANTS(v_softmax_backward), .pre_op = "softmax",
     .pre_in = {2}, .pre_out = {2}},
    {.op = "log_softmax_backward", .dom = {0}, VARIANTS(v_softmax_backward), .pre_op = "log_softmax",
     .pre_in = {2}, .pre_out = {2}},
    {.op = "gelu_backward", .dom = {0}, VARIANTS(v_gelu_backward)},
    /* optimizers: exp_avg_sq is a running mean of squares (non-negative) */
    {.op = "sgd_step", .dom = {0}, VARIANTS(v_sgd_step)},
    {.op = "adamw_step", .dom = {DOM_ANY, DOM_ANY, DOM_ANY, DOM_POS}, VARIANTS(v_adamw_step)},
};

const conf_op_spec_t *conf_op_spec(const char *op) {
  for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); ++i)
    if (!strcmp(specs[i].op, op)) return &specs[i];
  return NULL;
}
