#version 450
// arange.comp - out[i] = start + i * step (reference/src/ref_shape.c):
// integers in int64 from truncated start and step, wrapping; f16/bf16 in
// f32 then rounded; f32 and f64 in f64 then rounded. Words: [0] numel,
// [1] out stride, [2] out offset, [4..5] start (f64 or i64), [6..7] step.
#include "common.glsl"
#include "types.glsl"
layout(local_size_x = 256) in;

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint oo = P(2) + idx * P(1);
#if DT_O >= 8
  double start = packDouble2x32(uvec2(P(4), P(5))), step = packDouble2x32(uvec2(P(6), P(7)));
  precise double r = start + double(idx) * step;
  dO[oo] = STYPE_O(r);
#elif DT_O >= 6
  float start = float(packDouble2x32(uvec2(P(4), P(5)))), step = float(packDouble2x32(uvec2(P(6), P(7))));
  precise float r = start + float(idx) * step;
  STOREF_O(oo, r);
#else
  uint64_t start = packUint2x32(uvec2(P(4), P(5))), step = packUint2x32(uvec2(P(6), P(7)));
  uint64_t r = start + uint64_t(idx) * step;
#if DT_O == 5
  dO[oo] = int64_t(r);
#else
  STOREI_O(oo, int(uint(r & 0xffffffffUL)));
#endif
#endif
}
