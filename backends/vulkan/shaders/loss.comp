#version 450
// loss.comp - mse_loss (OPD 0; tensors input, target, out) and
// binary_cross_entropy_with_logits (OPD 1; input, target, weight,
// pos_weight, out), reference/src/ref_nn2_loss.c: elements of the
// broadcast shape, each invocation takes i, i + stride, ...; reduction none
// writes each loss, else one work group of 256 adds partial sums in a
// tree. FT math (bce needs exp/log: f32 only). Words: [0] elements,
// [1] ndim, [2..9] shape, [10 + 8t + d] strides of tensor t (input,
// target, weight, pos_weight, out) over the shape (0 where broadcast),
// [50 + t] offsets, [55] reduction, [56] flags (1 weight, 2 pos_weight).
#include "common.glsl"
#include "ftypes.glsl"
#include "fmath.glsl"
layout(local_size_x = 256) in;
BUF(1, tx);
BUF(2, tt);
#if OPD == 1
BUF(3, tw);
BUF(4, tp);
BUF(5, to);
#else
BUF(3, to);
#endif
shared FT red[256];

void main() {
  uint lid = gl_LocalInvocationID.x;
  uint count = P(0), mode = P(55), flags = P(56);
  uint stride = gl_NumWorkGroups.x * gl_NumWorkGroups.y * 256u;
  FT sum = FT(0);
  for (uint i = bp_linear_id(); i < count; i += stride) {
    uint off[5];
    for (uint t = 0u; t < 5u; ++t) off[t] = P(50u + t);
    uint r = i;
    for (int d = int(P(1)) - 1; d >= 0; --d) {
      uint s = P(2 + d), c = r % s;
      r /= s;
      for (uint t = 0u; t < 5u; ++t) off[t] += c * P(10u + 8u * t + uint(d));
    }
    FT in_ = LD(tx, off[0]), tg = LD(tt, off[1]);
#if OPD == 0
    precise FT dv = in_ - tg;
    precise FT loss = dv * dv;
#else
    FT max_val = -in_ > FT(0) ? -in_ : FT(0);
    if (isnan(in_)) max_val = in_;
    precise FT lse = bp_log(exp(-max_val) + exp(-in_ - max_val)) + max_val;
    precise FT loss;
    if ((flags & 2u) != 0u) {
      precise FT lw = (LD(tp, off[3]) - FT(1)) * tg + FT(1);
      loss = (FT(1) - tg) * in_ + lw * lse;
    } else {
      loss = (FT(1) - tg) * in_ + lse;
    }
    if ((flags & 1u) != 0u) loss = loss * LD(tw, off[2]);
#endif
    if (mode == 0u) ST(to, off[4], loss);
    sum += loss;
  }
  if (mode == 0u) return;
  red[lid] = sum;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) red[lid] += red[lid + s];
    barrier();
  }
  if (lid == 0u) ST(to, P(54), mode == 1u ? red[0] / FT(count) : red[0]);
}
