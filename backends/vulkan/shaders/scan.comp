#version 450
// scan.comp - cumsum (OPD 0) and cumprod (OPD 1), reference/src/
// ref_reduce2_scan.c: one invocation per line along dim (rows.glsl with
// tensors out, x), scanned in order; floats in f32 (f64 for f64), every
// output rounded once, cumsum with Neumaier's compensation; i64 wraps.
// f16/bf16 results are rounded through f32 (f64 -> f32 -> half: a double
// rounding, rarely one ulp of the half dtype away from the reference's).
#include "common.glsl"
#define DT_A DT_O
#include "types.glsl"
#include "rows.glsl"
layout(local_size_x = 256) in;
// The running value in f64 for every float dtype, as the reference: an f32
// product or sum may leave f32's range on the way and come back (devices
// without shaderFloat64 decline these shaders).
#define ACC double

void main() {
  uint row = bp_linear_id();
  if (row >= P(0)) return;
  uint off[3];
  bp_row_offsets(row, off);
  uint len = P(1), so = P(38), sx = P(39);
#if DT_O == 5
  int64_t acc = OPD == 1 ? int64_t(1) : int64_t(0);
  for (uint k = 0u; k < len; ++k) {
    int64_t v = dA[off[1] + k * sx];
    acc = OPD == 1 ? acc * v : acc + v;
    dO[off[0] + k * so] = acc;
  }
#elif OPD == 1
  ACC acc = ACC(1);
  for (uint k = 0u; k < len; ++k) {
    acc *= ACC(LOADF_A(off[1] + k * sx));
    #if DT_O >= 8
    dO[off[0] + k * so] = STYPE_O(acc);
#else
    STOREF_O(off[0] + k * so, float(acc));
#endif
  }
#else
  precise ACC s = ACC(0), c = ACC(0);
  for (uint k = 0u; k < len; ++k) {
    precise ACC v = ACC(LOADF_A(off[1] + k * sx));
    precise ACC t = s + v;
    if (!isinf(t) && !isnan(t))
      c += abs(s) >= abs(v) ? (s - t) + v : (v - t) + s;
    else
      c = ACC(0);
    s = t;
    precise ACC r = (!isinf(s) && !isnan(s)) ? s + c : s;
    #if DT_O >= 8
    dO[off[0] + k * so] = STYPE_O(r);
#else
    STOREF_O(off[0] + k * so, float(r));
#endif
  }
#endif
}
