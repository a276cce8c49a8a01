#version 450
// matmul_texel_any.comp - f32 matmul for CPU drivers with any strides and
// sizes (transposed, sliced, odd shapes): a and b read as R32 texels (set
// 1, bindings 0 and 1), one element per fetch; out written with its
// strides. A work group of 8 invocations computes 8 rows x 64 columns,
// 8 x 8 per invocation, K in steps of 4 (terms past K are zeros, both
// factors: an inf in b must not meet a padded zero). Each accumulator is
// written once per step. Parameter words: as matmul.comp.
#include "common.glsl"
#define DT_O 8
#include "types.glsl"

layout(set = 1, binding = 0) uniform samplerBuffer tA;
layout(set = 1, binding = 1) uniform samplerBuffer tB;
layout(local_size_x = 8) in;
#define TM 8
#define TN 8

void main() {
  uint M = P(0), N = P(1), K = P(2);
  uint bidx = gl_WorkGroupID.z;
  uint ao = P(28), bo = P(31), oo = P(34);
  for (int d = int(P(3)) - 1; d >= 0; --d) {
    uint s = P(4 + d), c = bidx % s;
    bidx /= s;
    ao += c * P(10 + d);
    bo += c * P(16 + d);
    oo += c * P(22 + d);
  }
  uint sam = P(29), sak = P(30), sbk = P(32), sbn = P(33), som = P(35), son = P(36);
  uint row0 = gl_WorkGroupID.y * uint(TM);
  uint col0 = (gl_WorkGroupID.x * 8u + gl_LocalInvocationID.x) * uint(TN);
  // Rows and columns past the end read the last one (not stored).
  uint ar[TM], bc[TN];
  for (int r = 0; r < TM; ++r) ar[r] = ao + min(row0 + uint(r), M - 1u) * sam;
  for (int j = 0; j < TN; ++j) bc[j] = bo + min(col0 + uint(j), N - 1u) * sbn;
  float acc[TM][TN];
  for (int r = 0; r < TM; ++r)
    for (int j = 0; j < TN; ++j) acc[r][j] = 0.0;
  for (uint k0 = 0u; k0 < K; k0 += 4u) {
    float a[TM][4], b[4][TN];
    for (int kk = 0; kk < 4; ++kk) {
      uint k = k0 + uint(kk);
      bool in_ = k < K;
      uint kc = min(k, K - 1u);
      for (int r = 0; r < TM; ++r) a[r][kk] = in_ ? texelFetch(tA, int(ar[r] + kc * sak)).x : 0.0;
      for (int j = 0; j < TN; ++j) b[kk][j] = in_ ? texelFetch(tB, int(bc[j] + kc * sbk)).x : 0.0;
    }
    for (int r = 0; r < TM; ++r)
      for (int j = 0; j < TN; ++j) {
        float s = acc[r][j];
        s = fma(a[r][0], b[0][j], s);
        s = fma(a[r][1], b[1][j], s);
        s = fma(a[r][2], b[2][j], s);
        s = fma(a[r][3], b[3][j], s);
        acc[r][j] = s;
      }
  }
  for (int r = 0; r < TM; ++r) {
    uint row = row0 + uint(r);
    if (row >= M) break;
    for (int j = 0; j < TN; ++j) {
      uint col = col0 + uint(j);
      if (col >= N) break;
      dO[oo + row * som + col * son] = acc[r][j];
    }
  }
}
