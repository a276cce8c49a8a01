#version 450
// softmax.comp - one work group of 64 per row along dim (rows.glsl).
// OPD 0 softmax, 1 log_softmax (tensors x, out), 2 softmax_backward,
// 3 log_softmax_backward (tensors grad_output, output, grad_input).
// reference/src/ref_nn2_norm.c and ref_nn_backward_norm.c: max (any NaN
// makes it NaN), sum of exp(x - max), log of the sum; backward sums
// grad_output (* output) over the row. Computed in FT, rounded once.
#include "common.glsl"
#include "ftypes.glsl"
#include "rows.glsl"
#include "fmath.glsl"
layout(local_size_x = 64) in;
BUF(1, t0);
BUF(2, t1);
#if OPD >= 2
BUF(3, t2);
#endif
shared FT red[64];
shared uint nanflag;

FT row_sum(FT v, uint lid) {
  red[lid] = v;
  barrier();
  for (uint s = 32u; s > 0u; s >>= 1) {
    if (lid < s) red[lid] += red[lid + s];
    barrier();
  }
  FT r = red[0];
  barrier();
  return r;
}

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= P(0)) return;  // uniform per work group
  uint lid = gl_LocalInvocationID.x, len = P(1);
  uint off[3];
  bp_row_offsets(row, off);
  uint s0 = P(38), s1 = P(39), s2 = P(40);
#if OPD <= 1
  if (lid == 0u) nanflag = 0u;
  FT mx = FT(uintBitsToFloat(0xff800000u));
  bool nan = false;
  for (uint j = lid; j < len; j += 64u) {
    FT v = LD(t0, off[0] + j * s0);
    if (isnan(v)) nan = true;
    if (v > mx) mx = v;
  }
  red[lid] = mx;
  barrier();
  if (nan) atomicOr(nanflag, 1u);
  for (uint s = 32u; s > 0u; s >>= 1) {
    if (lid < s && red[lid + s] > red[lid]) red[lid] = red[lid + s];
    barrier();
  }
  mx = nanflag != 0u ? FT(uintBitsToFloat(0x7fc00000u)) : red[0];
  barrier();
  FT acc = FT(0);
  for (uint j = lid; j < len; j += 64u) acc += exp(LD(t0, off[0] + j * s0) - mx);
  FT sum = row_sum(acc, lid);
  FT lse = bp_log(sum);
  for (uint j = lid; j < len; j += 64u) {
    precise FT v = LD(t0, off[0] + j * s0) - mx;
#if OPD == 1
    precise FT r = v - lse;
#else
    precise FT r = exp(v) / sum;
#endif
    ST(t1, off[1] + j * s1, r);
  }
#else
  FT acc = FT(0);
  for (uint j = lid; j < len; j += 64u) {
#if OPD == 3
    acc += LD(t0, off[0] + j * s0);
#else
    acc += LD(t0, off[0] + j * s0) * LD(t1, off[1] + j * s1);
#endif
  }
  FT sum = row_sum(acc, lid);
  for (uint j = lid; j < len; j += 64u) {
    FT g = LD(t0, off[0] + j * s0), y = LD(t1, off[1] + j * s1);
#if OPD == 3
    precise FT r = g - exp(y) * sum;
#else
    precise FT r = y * (g - sum);
#endif
    ST(t2, off[2] + j * s2, r);
  }
#endif
}
