#version 450
// sum.comp - one work group per output element: 256 invocations sum strided
// terms, then a tree in shared memory. Accumulates in f32 for f16/bf16/f32,
// f64 for f64, i64 (wrapping) for i64. Parameter words (BPVK_SUM_*):
// [0] outputs, [1] terms, [2] kept ndim, [3..10] kept shape, [11..18] kept
// input strides, [19..26] kept output strides, [27] reduced ndim, [28..35]
// reduced shape, [36..43] reduced input strides, [44] input offset,
// [45] output offset, [46] split G: when > 1 (f32/f64/i64 only), work group
// z of G sums the z-th of G equal runs of the terms and writes its partial
// sum to out[[45] + output index * G + z], for a second pass to add.
#include "common.glsl"
#define DT_A DT_O
#include "types.glsl"
layout(local_size_x = 256) in;

#if DT_O == 9
#define ACC double
#define LOADACC(i) dA[i]
#elif DT_O == 5
#define ACC int64_t
#define LOADACC(i) dA[i]
#else
#define ACC float
#define LOADACC(i) LOADF_A(i)
#endif
shared ACC partial[256];

void main() {
  uint out_idx = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (out_idx >= P(0)) return;  // uniform per work group
  uint lid = gl_LocalInvocationID.x;
  uint in_base = P(44), out_off = P(45);
  uint rest = out_idx;
  for (int d = int(P(2)) - 1; d >= 0; --d) {
    uint s = P(3 + d), c = rest % s;
    rest /= s;
    in_base += c * P(11 + d);
    out_off += c * P(19 + d);
  }
  uint terms = P(1), split = P(46), lo = 0u;
  if (split > 1u) {
    uint chunk = (terms + split - 1u) / split;
    lo = min(terms, gl_WorkGroupID.z * chunk);
    terms = min(terms, lo + chunk);
  }
  int rnd = int(P(27));
  ACC acc = ACC(0);
  for (uint r = lo + lid; r < terms; r += 256u) {
    uint off = in_base, t = r;
    for (int d = rnd - 1; d >= 0; --d) {
      uint s = P(28 + d), c = t % s;
      t /= s;
      off += c * P(36 + d);
    }
    acc += LOADACC(off);
  }
  partial[lid] = acc;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) partial[lid] += partial[lid + s];
    barrier();
  }
  if (lid == 0u) {
#if DT_O == 9 || DT_O == 5 || DT_O == 8
    if (split > 1u) out_off = P(45) + out_idx * split + gl_WorkGroupID.z;
    dO[out_off] = partial[0];
#else
    STOREF_O(out_off, partial[0]);
#endif
  }
}
