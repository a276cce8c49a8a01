#version 450
// onehot.comp - out[..., c] = (x[...] == c) for i64 x and out, one
// invocation per output element. Words: [0] numel(out), [1] classes,
// [2] x ndim, [3..10] x shape, [11..18] x strides, [19] x offset,
// [20..27] out strides (x's dims), [28] out class stride, [29] out offset,
// [31] check word (set for a class value outside [0, classes)).
#define BP_PARAMS_WRITABLE 1
#include "common.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 1) readonly buffer BufX { int64_t x[]; };
layout(std430, set = 0, binding = 2) buffer BufO { int64_t o[]; };

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint C = P(1);
  uint c = idx % C, r = idx / C;
  uint xo = P(19), oo = P(29) + c * P(28);
  for (int d = int(P(2)) - 1; d >= 0; --d) {
    uint s = P(3 + d), k = r % s;
    r /= s;
    xo += k * P(11 + d);
    oo += k * P(20 + d);
  }
  int64_t v = x[xo];
  if (v < int64_t(0) || v >= int64_t(C)) P(31) = 1u;
  o[oo] = v == int64_t(c) ? int64_t(1) : int64_t(0);
}
