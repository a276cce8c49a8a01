#version 450
// gelubw.comp - gelu_backward (reference/src/ref_nn_backward_norm.c):
// grad_input = grad_output * gelu'(x), erf form (spec OP 0) or tanh form
// (OP 1), in f32 and rounded once (bf16/f32). Elementwise words
// (elementwise.glsl), operands: grad_input, grad_output, x.
#include "common.glsl"
#define DT_A DT_O
#define DT_B DT_O
#include "types.glsl"
#include "elementwise.glsl"
#include "fmath.glsl"
#ifdef EW_VEC4
layout(constant_id = 0) const uint OP_MODE = 0;
const uint OP = OP_MODE & 255u;
#else
layout(constant_id = 0) const uint OP = 0;
#endif

float bp_gelu_bw(float g, float v) {
  const float beta = 0.7978845608028654, kappa = 0.044715;
  precise float d;
  if (OP == 1u) {
    precise float t = tanh(beta * (v + kappa * v * v * v));
    d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * beta * (1.0 + 3.0 * kappa * v * v);
  } else {
    precise float cdf = 0.5 * (1.0 + bp_erf(v * 0.7071067811865476));
    precise float pdf = exp(-0.5 * v * v) * 0.3989422804014327;
    d = cdf + v * pdf;
  }
  precise float r = g * d;
  return r;
}

#ifdef EW_VEC4
// f32 only: the vec4 variant (ewv4.glsl).
float bp_v1_op(float g, float v) { return bp_gelu_bw(g, v); }
vec4 bp_v4_op(vec4 g, vec4 v) {
  return vec4(bp_gelu_bw(g.x, v.x), bp_gelu_bw(g.y, v.y), bp_gelu_bw(g.z, v.z), bp_gelu_bw(g.w, v.w));
}
#define EW_V4_NIN 2
#include "ewv4.glsl"
#else
void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, b;
  bp_ew_offsets(idx, o, a, b);
  STOREF_O(o, bp_gelu_bw(LOADF_A(a), LOADF_B(b)));
}
#endif
