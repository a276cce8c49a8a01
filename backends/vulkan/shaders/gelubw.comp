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
layout(constant_id = 0) const uint OP = 0;

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint o, a, b;
  bp_ew_offsets(idx, o, a, b);
  float g = LOADF_A(a), v = LOADF_B(b);
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
  STOREF_O(o, r);
}
