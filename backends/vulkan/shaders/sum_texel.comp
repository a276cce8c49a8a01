#version 450
// sum_texel.comp - one pass of the f32 sum on CPU drivers (src/
// bp_vk_texel_sum.c): rows of f32 read as vec4 texels (lavapipe gathers
// texel fetches with SIMD loads, where it reads storage buffers lane by
// lane). Invocation (row r, chunk c) adds vec4s [c SUMT_CH, (c + 1)
// SUMT_CH) of row r in 4 vec4 accumulators (16 partial sums in f32; the
// chunk that ends the row also adds the row's last n % 4 elements) and
// writes one f32: to the scratch row r, column c, or where the pass is the
// last (one chunk per row), to the output. Passes repeat over the scratch
// until one chunk is left; every sum is a fixed tree (deterministic).
// Parameter words: [0] rows, [1] elements per row, [2] chunks per row,
// [3] input offset, [4] input row stride (both in elements, multiples of
// 4), [5] destination offset, [6] destination row stride (elements),
// [7] divisor (f32 bits: 1, or the mean's term count in its last pass).
// Input: set 1 binding 0 (R32G32B32A32 texels); destination: binding 1.
#include "common.glsl"
#define DT_O 8
#include "types.glsl"

#extension GL_EXT_control_flow_attributes : require
layout(set = 1, binding = 0) uniform samplerBuffer tX;
layout(local_size_x = 64) in;
#define SUMT_CH 64

void main() {
  uint id = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 64u + gl_LocalInvocationID.x;
  uint rows = P(0), n = P(1), chunks = P(2);
  if (id >= rows * chunks) return;
  uint r = id / chunks, c = id - r * chunks;
  uint n4 = n >> 2;
  int base = int((P(3) + r * P(4)) >> 2);
  uint q0 = c * uint(SUMT_CH);
  uint qend = min(q0 + uint(SUMT_CH), n4);
  vec4 acc0 = vec4(0.0), acc1 = vec4(0.0), acc2 = vec4(0.0), acc3 = vec4(0.0);
  int last = base + max(int(n4) - 1, 0);  // reads past the row take its last vec4, added as 0
  [[unroll]] for (uint i = 0u; i < uint(SUMT_CH); i += 4u) {
    uint q = q0 + i;
    vec4 v0 = texelFetch(tX, min(base + int(q), last));
    vec4 v1 = texelFetch(tX, min(base + int(q) + 1, last));
    vec4 v2 = texelFetch(tX, min(base + int(q) + 2, last));
    vec4 v3 = texelFetch(tX, min(base + int(q) + 3, last));
    acc0 += q < qend ? v0 : vec4(0.0);
    acc1 += q + 1u < qend ? v1 : vec4(0.0);
    acc2 += q + 2u < qend ? v2 : vec4(0.0);
    acc3 += q + 3u < qend ? v3 : vec4(0.0);
  }
  vec4 acc = (acc0 + acc1) + (acc2 + acc3);
  float s = (acc.x + acc.y) + (acc.z + acc.w);
  if (c == chunks - 1u) {
    for (uint i = n4 * 4u; i < n; ++i) {
      uint e = P(3) + r * P(4) + i;
      vec4 v = texelFetch(tX, int(e >> 2));
      uint k = e & 3u;
      s += k == 0u ? v.x : k == 1u ? v.y : k == 2u ? v.z : v.w;
    }
  }
  dO[P(5) + r * P(6) + c] = s / uintBitsToFloat(P(7));
}
