#version 450
// norm_texel.comp - f32 layer_norm and rms_norm on CPU drivers (src/
// bp_vk_texel_norm.c): one invocation per row (lavapipe runs 8 rows in
// its 8 SIMD lanes, with no shared memory or subgroup traffic), the row,
// the weight and the bias read as vec4 texels (SIMD gathers, where
// storage-buffer reads go lane by lane), y written one vec4 per store.
// As norm.comp: mean (not for rms), then the mean of squared deviations
// (two passes over the row), rstd = 1 / sqrt(var + eps), y = (x - mean)
// rstd w + b; f32 throughout, 8 partial sums per pass.
// Words: [0] rows, [1] M (elements per row, a multiple of 4), [2] x
// offset, [3] x row stride, [4] y offset, [5] y row stride (these four in
// whole vec4s, as elements), [6] w offset, [7] b offset (vec4s), [8] mean
// offset, [9] mean row stride, [10] rstd offset, [11] rstd row stride,
// [12] eps (f32 bits), [13] flags: 1 w, 2 b, 4 rms (no mean).
// Texels (set 1): x, w, b. Storage: y (binding 1, vec4s), mean (2), rstd (3).
#include "common.glsl"
#define DT 8
#include "ftypes.glsl"

layout(set = 1, binding = 0) uniform samplerBuffer tX;
layout(set = 1, binding = 1) uniform samplerBuffer tW;
layout(set = 1, binding = 2) uniform samplerBuffer tB;
layout(std430, set = 0, binding = 1) writeonly buffer BufY { vec4 y4[]; };
layout(std430, set = 0, binding = 2) writeonly buffer BufM { float mo[]; };
layout(std430, set = 0, binding = 3) writeonly buffer BufR { float ro[]; };
layout(local_size_x = 64) in;

float hsum(vec4 v) { return (v.x + v.y) + (v.z + v.w); }

void main() {
  uint r = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 64u + gl_LocalInvocationID.x;
  if (r >= P(0)) return;
  uint m4 = P(1) >> 2, flags = P(13);
  int xb = int((P(2) + r * P(3)) >> 2);
  float M = float(P(1));
  float mean = 0.0;
  // m4 >= 1; pairs of vec4s, then the odd one.
  uint pairs = m4 >> 1;
  if ((flags & 4u) == 0u) {
    vec4 a0 = vec4(0.0), a1 = vec4(0.0);
    for (uint q = 0u; q < pairs; ++q) {
      a0 += texelFetch(tX, xb + int(2u * q));
      a1 += texelFetch(tX, xb + int(2u * q + 1u));
    }
    if ((m4 & 1u) != 0u) a0 += texelFetch(tX, xb + int(m4 - 1u));
    mean = hsum(a0 + a1) / M;
  }
  vec4 s0 = vec4(0.0), s1 = vec4(0.0);
  for (uint q = 0u; q < pairs; ++q) {
    precise vec4 d0 = texelFetch(tX, xb + int(2u * q)) - mean;
    precise vec4 d1 = texelFetch(tX, xb + int(2u * q + 1u)) - mean;
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  if ((m4 & 1u) != 0u) {
    precise vec4 d0 = texelFetch(tX, xb + int(m4 - 1u)) - mean;
    s0 += d0 * d0;
  }
  precise float var = hsum(s0 + s1) / M;
  float rstd = 1.0 / sqrt(var + uintBitsToFloat(P(12)));
  int yb = int((P(4) + r * P(5)) >> 2), wb = int(P(6) >> 2), bb = int(P(7) >> 2);
  bool hw = (flags & 1u) != 0u, hb = (flags & 2u) != 0u;
  for (uint q = 0u; q < m4; ++q) {
    precise vec4 v = (texelFetch(tX, xb + int(q)) - mean) * rstd;
    if (hw) v = v * texelFetch(tW, wb + int(q));
    if (hb) v = v + texelFetch(tB, bb + int(q));
    y4[yb + int(q)] = v;
  }
  if ((flags & 4u) == 0u) mo[P(8) + r * P(9)] = mean;
  ro[P(10) + r * P(11)] = rstd;
}
