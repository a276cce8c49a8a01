#version 450
// matmul_texel.comp - f32 matmul for devices where texel fetches are the
// fast reads (CPU drivers: lavapipe gathers them with SIMD loads but reads
// storage buffers lane by lane). out[b, M, N] = a[b, M, K] @ b[b, K, N]
// with unit inner strides, every offset and row stride a multiple of 4,
// K a multiple of 4 and N >= 4 (src/bp_vk_kernels.c checks): a and b are
// read as vec4 texels (set 1, bindings 0 and 1). A work group of 8
// invocations computes an MM_TM x (8 * MM_TN) output tile: MM_TM rows x
// MM_TN columns per invocation, K in steps of 4 (one vec4 of each a row,
// MM_TN / 4 vec4s of each of 4 b rows; MM_KS = 8: two of each a row and
// 8 b rows per step, K a multiple of 8). Each accumulator is written once
// per step (lavapipe blends every loop-carried write with the loop mask).
// MM_AT: a k-major (unit row stride, M a multiple of 4), read as vec4s of
// 4 rows; MM_BT: b contiguous along k, read as vec4s of 4 k (both K in
// steps of 4). Accumulates with fma in f32.
// Parameter words: as matmul.comp.
#include "common.glsl"
#define DT_O 8
#include "types.glsl"

layout(set = 1, binding = 0) uniform samplerBuffer tA;
layout(set = 1, binding = 1) uniform samplerBuffer tB;
layout(local_size_x = 8) in;

#ifndef MM_TM
#define MM_TM 8
#endif
#ifndef MM_TN
#define MM_TN 4
#endif
#define NB (MM_TN / 4)

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
  uint sam = P(29), sak = P(30), sbk = P(32), sbn = P(33), som = P(35);
  uint row0 = gl_WorkGroupID.y * uint(MM_TM);
  uint col0 = (gl_WorkGroupID.x * 8u + gl_LocalInvocationID.x) * uint(MM_TN);
  // Rows past M read row M - 1 again (MM_AT: the last 4 rows) and columns
  // past N the last vec4 (MM_BT: column N - 1); their results are not stored.
#ifdef MM_AT
  int ar[MM_TM / 4];
  for (int q = 0; q < MM_TM / 4; ++q) ar[q] = int((ao + min(row0 + uint(4 * q), M - 4u)) >> 2);
  int astep = int(sak >> 2);
#else
  int ar[MM_TM];
  for (int r = 0; r < MM_TM; ++r) ar[r] = int((ao + min(row0 + uint(r), M - 1u) * sam) >> 2);
#endif
#ifdef MM_BT
  int bc[MM_TN];
  for (int c = 0; c < MM_TN; ++c) bc[c] = int((bo + min(col0 + uint(c), N - 1u) * sbn) >> 2);
#else
  int bc[NB];
  for (int j = 0; j < NB; ++j) bc[j] = int((bo + min(col0 + uint(4 * j), N - 4u)) >> 2);
#endif
  int bstep = int(sbk >> 2);
  vec4 acc[MM_TM][NB];
  for (int r = 0; r < MM_TM; ++r)
    for (int j = 0; j < NB; ++j) acc[r][j] = vec4(0);
  int kq = 0, kb = 0;
#ifndef MM_KS
#define MM_KS 4
#endif
  for (uint k = 0u; k < K; k += uint(MM_KS)) {
    vec4 a[MM_TM][MM_KS / 4];
    vec4 b[MM_KS][NB];
#ifdef MM_AT
    // a k-major: one vec4 holds 4 rows at one k.
    vec4 at[4][MM_TM / 4];
    for (int kk = 0; kk < 4; ++kk)
      for (int q = 0; q < MM_TM / 4; ++q) at[kk][q] = texelFetch(tA, ar[q] + (kq * 4 + kk) * astep);
    for (int r = 0; r < MM_TM; ++r)
      a[r][0] = vec4(at[0][r >> 2][r & 3], at[1][r >> 2][r & 3], at[2][r >> 2][r & 3], at[3][r >> 2][r & 3]);
#else
    for (int r = 0; r < MM_TM; ++r)
      for (int h = 0; h < MM_KS / 4; ++h) a[r][h] = texelFetch(tA, ar[r] + kq + h);
#endif
#ifdef MM_BT
    // b contiguous along k: one vec4 holds 4 k of one column.
    vec4 bt[MM_TN];
    for (int c = 0; c < MM_TN; ++c) bt[c] = texelFetch(tB, bc[c] + kq);
    for (int kk = 0; kk < 4; ++kk)
      for (int j = 0; j < NB; ++j)
        b[kk][j] = vec4(bt[4 * j][kk], bt[4 * j + 1][kk], bt[4 * j + 2][kk], bt[4 * j + 3][kk]);
#else
    for (int kk = 0; kk < MM_KS; ++kk)
      for (int j = 0; j < NB; ++j) b[kk][j] = texelFetch(tB, bc[j] + kb + kk * bstep);
#endif
    for (int r = 0; r < MM_TM; ++r)
      for (int j = 0; j < NB; ++j) {
        vec4 s = acc[r][j];
        for (int h = 0; h < MM_KS / 4; ++h) {
          s = fma(vec4(a[r][h].x), b[4 * h][j], s);
          s = fma(vec4(a[r][h].y), b[4 * h + 1][j], s);
          s = fma(vec4(a[r][h].z), b[4 * h + 2][j], s);
          s = fma(vec4(a[r][h].w), b[4 * h + 3][j], s);
        }
        acc[r][j] = s;
      }
    kq += MM_KS / 4;
    kb += MM_KS * bstep;
  }
  for (int r = 0; r < MM_TM; ++r) {
    uint row = row0 + uint(r);
    if (row >= M) break;
    for (int j = 0; j < NB; ++j) {
      uint col = col0 + uint(4 * j);
      if (col >= N) break;
      uint o = oo + row * som + col;
      dO[o] = acc[r][j].x;
      dO[o + 1u] = acc[r][j].y;
      dO[o + 2u] = acc[r][j].z;
      dO[o + 3u] = acc[r][j].w;
    }
  }
}
