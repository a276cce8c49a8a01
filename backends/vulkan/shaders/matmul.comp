#version 450
// matmul.comp - out[b, M, N] = a[b, M, K] @ b[b, K, N], any strides, batch
// dims broadcast. 64x64 output tiles, 16x16 invocations with 4x4 outputs
// each, K in steps of 16 through shared memory. Accumulates in f32 for
// f16/bf16/f32, f64 for f64, wrapping 32/64-bit integers for the integers.
// Parameter words (BPVK_MM_*): [0] M, [1] N, [2] K, [3] batch ndim,
// [4..9] batch shape, [10..15] a batch strides, [16..21] b batch strides,
// [22..27] out batch strides, [28] a offset, [29] sam, [30] sak,
// [31] b offset, [32] sbk, [33] sbn, [34] out offset, [35] som, [36] son.
#include "common.glsl"
#define DT_A DT_O
#define DT_B DT_O
#include "types.glsl"

#if DT_O == 9
#define ACC double
#define LDA(i) dA[i]
#define LDB(i) dB[i]
#define ST(i, v) dO[i] = v
#elif DT_O >= 6
#define ACC float
#define LDA(i) LOADF_A(i)
#define LDB(i) LOADF_B(i)
#define ST(i, v) STOREF_O(i, v)
#elif DT_O == 5
#define ACC int64_t
#define LDA(i) dA[i]
#define LDB(i) dB[i]
#define ST(i, v) dO[i] = v
#else
#define ACC int
#define LDA(i) LOADI_A(i)
#define LDB(i) LOADI_B(i)
#define ST(i, v) STOREI_O(i, v)
#endif

#ifdef MM_DIRECT

// Without shared memory (MM_DIRECT): each invocation computes a 4x4 block
// straight from memory. CPU drivers (lavapipe) run this faster: their
// barriers cost more than the CPU caches leave to save.
layout(local_size_x = 8, local_size_y = 8) in;
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
  uint row0 = (gl_WorkGroupID.y * 8u + gl_LocalInvocationID.y) * 4u;
  uint col0 = (gl_WorkGroupID.x * 8u + gl_LocalInvocationID.x) * 4u;
  uint rows[4], cols[4];
  for (int i = 0; i < 4; ++i) {
    rows[i] = min(row0 + uint(i), M - 1u);
    cols[i] = min(col0 + uint(i), N - 1u);
  }
  ACC acc[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = ACC(0);
  for (uint k = 0u; k < K; ++k) {
    ACC av[4], bv[4];
    for (int i = 0; i < 4; ++i) av[i] = ACC(LDA(ao + rows[i] * sam + k * sak));
    for (int j = 0; j < 4; ++j) bv[j] = ACC(LDB(bo + k * sbk + cols[j] * sbn));
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) acc[i][j] += av[i] * bv[j];
  }
  for (int i = 0; i < 4; ++i) {
    if (row0 + uint(i) >= M) continue;
    for (int j = 0; j < 4; ++j)
      if (col0 + uint(j) < N) ST(oo + (row0 + uint(i)) * som + (col0 + uint(j)) * son, acc[i][j]);
  }
}
#else
layout(local_size_x = 16, local_size_y = 16) in;
#define TM 64
#define TN 64
#define TK 16
shared ACC As[TK][TM];
shared ACC Bs[TK][TN + 1];

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
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint lin = ty * 16u + tx;
  uint row0 = gl_WorkGroupID.y * TM, col0 = gl_WorkGroupID.x * TN;
  ACC acc[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = ACC(0);
  for (uint k0 = 0u; k0 < K; k0 += TK) {
    // 1024 elements of each tile, 4 per invocation.
    for (uint e = lin; e < TK * TM; e += 256u) {
      uint m = e / TK, k = e % TK;  // a: consecutive invocations walk k
      uint gm = row0 + m, gk = k0 + k;
      As[k][m] = (gm < M && gk < K) ? ACC(LDA(ao + gm * sam + gk * sak)) : ACC(0);
      uint kb = e / TN, n = e % TN;  // b: consecutive invocations walk n
      uint gkb = k0 + kb, gn = col0 + n;
      Bs[kb][n] = (gkb < K && gn < N) ? ACC(LDB(bo + gkb * sbk + gn * sbn)) : ACC(0);
    }
    barrier();
    for (uint k = 0u; k < TK; ++k) {
      ACC av[4], bv[4];
      for (int i = 0; i < 4; ++i) av[i] = As[k][ty + 16u * uint(i)];
      for (int j = 0; j < 4; ++j) bv[j] = Bs[k][tx + 16u * uint(j)];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] += av[i] * bv[j];
    }
    barrier();
  }
  for (int i = 0; i < 4; ++i) {
    uint gm = row0 + ty + 16u * uint(i);
    if (gm >= M) continue;
    for (int j = 0; j < 4; ++j) {
      uint gn = col0 + tx + 16u * uint(j);
      if (gn < N) ST(oo + gm * som + gn * son, acc[i][j]);
    }
  }
}
#endif
