#version 450
// sdpa.comp - scaled_dot_product_attention (reference/src/ref_nn2_loss.c),
// one work group of 64 per query row (batch, l): the S scores in shared
// memory (S <= 1024, else declined), their max, exp(score - max) and sum,
// then each output element sums p[j] / sum * v[j, e] in order of j. A row
// with every key masked gives NaN (as torch). f32 math (bf16 rounded once).
// Tensors: q, k, v, mask (bool: MASKB 1, else the dtype), out.
// Words: [0] rows, [1] L, [2] S, [3] E, [4] Ev, [5] batch ndim, [6..11]
// batch shape, [12 + 6t + d] batch strides of tensor t (q, k, v, mask,
// out), [42..43] q (L, E) strides, [44..45] k (S, E), [46..47] v (S, Ev),
// [48..49] mask (L, S), [50..51] out (L, Ev), [52 + t] offsets, [57]
// scale (f32), [58] flags (1 causal, 2 mask).
#include "common.glsl"
#include "ftypes.glsl"
layout(local_size_x = 64) in;
BUF(1, tq);
BUF(2, tk);
BUF(3, tv);
#if MASKB
layout(std430, set = 0, binding = 4) readonly buffer Buf4 { uint8_t tm[]; };
#else
BUF(4, tm);
#endif
BUF(5, to);
shared FT p[1024];
shared FT red[64];

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= P(0)) return;  // uniform per work group
  uint lid = gl_LocalInvocationID.x;
  uint L = P(1), S = P(2), E = P(3), Ev = P(4);
  uint l = row % L, b = row / L;
  uint off[5];
  for (uint t = 0u; t < 5u; ++t) off[t] = P(52u + t);
  for (int d = int(P(5)) - 1; d >= 0; --d) {
    uint s = P(6 + d), c = b % s;
    b /= s;
    for (uint t = 0u; t < 5u; ++t) off[t] += c * P(12u + 6u * t + uint(d));
  }
  uint qo = off[0] + l * P(42), mo = off[3] + l * P(48), oo = off[4] + l * P(50);
  FT scale = FT(uintBitsToFloat(P(57)));
  uint flags = P(58);
  FT mx = FT(uintBitsToFloat(0xff800000u));
  for (uint j = lid; j < S; j += 64u) {
    FT dot = FT(0);
    for (uint e = 0u; e < E; ++e) dot += LD(tq, qo + e * P(43)) * LD(tk, off[1] + j * P(44) + e * P(45));
    precise FT sc = dot * scale;
    if ((flags & 1u) != 0u && j > l) sc = FT(uintBitsToFloat(0xff800000u));
    if ((flags & 2u) != 0u) {
#if MASKB
      if (uint(tm[mo + j * P(49)]) == 0u) sc = FT(uintBitsToFloat(0xff800000u));
#else
      sc = sc + LD(tm, mo + j * P(49));
#endif
    }
    p[j] = sc;
    if (sc > mx) mx = sc;
  }
  red[lid] = mx;
  barrier();
  for (uint s = 32u; s > 0u; s >>= 1) {
    if (lid < s && red[lid + s] > red[lid]) red[lid] = red[lid + s];
    barrier();
  }
  mx = red[0];
  barrier();
  FT acc = FT(0);
  for (uint j = lid; j < S; j += 64u) {
    FT ex = exp(p[j] - mx);
    p[j] = ex;
    acc += ex;
  }
  red[lid] = acc;
  barrier();
  for (uint s = 32u; s > 0u; s >>= 1) {
    if (lid < s) red[lid] += red[lid + s];
    barrier();
  }
  FT sum = red[0];
  for (uint e = lid; e < Ev; e += 64u) {
    FT a = FT(0);
    for (uint j = 0u; j < S; ++j) a += p[j] / sum * LD(tv, off[2] + j * P(46) + e * P(47));
    ST(to, oo + e * P(51), a);
  }
}
