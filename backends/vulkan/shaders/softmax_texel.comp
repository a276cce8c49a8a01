#version 450
// softmax_texel.comp - f32 softmax (OPD 0), log_softmax (OPD 1) and their
// backward ops (OPD 2, 3: g = grad_output, y = output) along
// rows of whole vec4s on CPU drivers (src/bp_vk_texel_softmax.c): one
// invocation per row (lavapipe runs 8 rows in its 8 SIMD lanes, no shared
// memory), the row read as vec4 texels, the output written one vec4 per
// store. As softmax.comp: max (any NaN makes it NaN), sum of exp(x - max),
// log of the sum; softmax exp(x - max) / sum, log_softmax x - max - log(sum);
// backward: s = sum(g y) (softmax) or sum(g) (log_softmax) over the row,
// then y (g - s), or g - exp(y) s.
// Words: [0] rows, [1] M (a multiple of 4), [2] x (g) offset, [3] x (g)
// row stride, [4] out offset, [5] out row stride, [6] y offset, [7] y row
// stride (elements, all multiples of 4).
// Texels (set 1): x (g), y. Storage: out (binding 1, vec4s).
#include "common.glsl"
#define DT 8
#include "ftypes.glsl"
#include "fmath.glsl"

layout(set = 1, binding = 0) uniform samplerBuffer tX;
layout(set = 1, binding = 1) uniform samplerBuffer tY;
layout(std430, set = 0, binding = 1) writeonly buffer BufY { vec4 y4[]; };
layout(local_size_x = 64) in;

void main() {
  uint r = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 64u + gl_LocalInvocationID.x;
  if (r >= P(0)) return;
  uint m4 = P(1) >> 2;
  int xb = int((P(2) + r * P(3)) >> 2);
#if OPD >= 2
  int yb0 = int((P(6) + r * P(7)) >> 2);
  vec4 a0 = vec4(0.0);
  for (uint q = 0u; q < m4; ++q) {
#if OPD == 3
    a0 += texelFetch(tX, xb + int(q));
#else
    a0 += texelFetch(tX, xb + int(q)) * texelFetch(tY, yb0 + int(q));
#endif
  }
  float sum = (a0.x + a0.y) + (a0.z + a0.w);
  int yb = int((P(4) + r * P(5)) >> 2);
  for (uint q = 0u; q < m4; ++q) {
    vec4 g = texelFetch(tX, xb + int(q)), y = texelFetch(tY, yb0 + int(q));
#if OPD == 3
    precise vec4 o = g - exp(y) * sum;
#else
    precise vec4 o = y * (g - sum);
#endif
    y4[yb + int(q)] = o;
  }
#else
  vec4 mx4 = vec4(uintBitsToFloat(0xff800000u));
  bvec4 nan4 = bvec4(false);
  for (uint q = 0u; q < m4; ++q) {
    vec4 v = texelFetch(tX, xb + int(q));
    nan4 = bvec4(uvec4(nan4) | uvec4(isnan(v)));
    mx4 = mix(mx4, v, greaterThan(v, mx4));
  }
  float mx = mx4.x;
  if (mx4.y > mx) mx = mx4.y;
  if (mx4.z > mx) mx = mx4.z;
  if (mx4.w > mx) mx = mx4.w;
  if (any(nan4)) mx = uintBitsToFloat(0x7fc00000u);
  vec4 a0 = vec4(0.0), a1 = vec4(0.0);
  uint pairs = m4 >> 1;
  for (uint q = 0u; q < pairs; ++q) {
    a0 += exp(texelFetch(tX, xb + int(2u * q)) - mx);
    a1 += exp(texelFetch(tX, xb + int(2u * q + 1u)) - mx);
  }
  if ((m4 & 1u) != 0u) a0 += exp(texelFetch(tX, xb + int(m4 - 1u)) - mx);
  vec4 a = a0 + a1;
  float sum = (a.x + a.y) + (a.z + a.w);
#if OPD == 1
  float lse = bp_log(sum);
#endif
  int yb = int((P(4) + r * P(5)) >> 2);
  for (uint q = 0u; q < m4; ++q) {
    precise vec4 v = texelFetch(tX, xb + int(q)) - mx;
#if OPD == 1
    precise vec4 o = v - lse;
#else
    precise vec4 o = exp(v) / sum;
#endif
    y4[yb + int(q)] = o;
  }
#endif
}
