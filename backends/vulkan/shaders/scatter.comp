#version 450
// scatter.comp - scatter_add (reference/src/ref_nn2_index.c) as a gather,
// one invocation per output element: out = self, then for k along dim in
// order, where index[c with dim = k] == c[dim] (c inside index's shape),
// out += src[c with dim = k] in the dtype's arithmetic, rounded at each add
// like the reference (integers wrap, bool is or). Invocations below
// numel(index) also check their index value (outside [0, size): the check
// word). DT_O = DT_A = DT_B: out (1), self (2), src (3); index i64 at 4.
// Words: [0] invocations, [1] ndim, [2..9] out shape, [10..17] out strides,
// [18..25] self strides, [26..33] src strides, [34..41] index shape,
// [42..49] index strides, [50] dim, [51] out offset, [52] self offset,
// [53] src offset, [54] index offset, [55] numel(out), [56] numel(index),
// [57] size, [63] check word.
#define BP_PARAMS_WRITABLE 1
#include "common.glsl"
#define DT_A DT_O
#define DT_B DT_O
#include "types.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 4) readonly buffer BufI { int64_t ix[]; };

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  int nd = int(P(1));
  uint dim = P(50);
  if (idx < P(56)) {  // check index element idx
    uint io = P(54), rest = idx;
    for (int d = nd - 1; d >= 0; --d) {
      uint s = P(34 + d), c = rest % s;
      rest /= s;
      io += c * P(42 + d);
    }
    int64_t r = ix[io];
    if (r < int64_t(0) || r >= int64_t(P(57))) P(63) = 1u;
  }
  if (idx >= P(55)) return;
  uint c[8];
  uint rest = idx, oo = P(51), so = P(52);
  bool inside = true;
  for (int d = nd - 1; d >= 0; --d) {
    uint s = P(2 + d);
    c[d] = rest % s;
    rest /= s;
    oo += c[d] * P(10 + d);
    so += c[d] * P(18 + d);
    if (uint(d) != dim && c[d] >= P(34 + d)) inside = false;
  }
#if DT_O == 9
  double acc = dA[so];
#elif DT_O >= 6
  float acc = LOADF_A(so);
#elif DT_O == 5
  int64_t acc = dA[so];
#else
  int acc = LOADI_A(so);
#endif
  if (inside) {
    uint ib = P(54), sb = P(53);
    for (int d = 0; d < nd; ++d)
      if (uint(d) != dim) {
        ib += c[d] * P(42 + d);
        sb += c[d] * P(26 + d);
      }
    uint kn = P(34 + dim), target = c[dim];
    for (uint k = 0u; k < kn; ++k) {
      if (ix[ib + k * P(42 + dim)] != int64_t(target)) continue;
      uint sk = sb + k * P(26 + dim);
#if DT_O == 6
      acc = bp_f16_to_f32(bp_f32_to_f16(acc + LOADF_B(sk)));
#elif DT_O == 7
      acc = uintBitsToFloat(bp_f32_to_bf16(acc + LOADF_B(sk)) << 16);
#elif DT_O >= 8
      acc = acc + LOADF_B(sk);
#elif DT_O == 5
      acc += dB[sk];
#elif DT_O == 1
      acc = (acc != 0 || LOADI_B(sk) != 0) ? 1 : 0;
#else
      acc += LOADI_B(sk);
#endif
    }
  }
#if DT_O >= 6
  STOREF_O(oo, acc);
#elif DT_O == 5
  dO[oo] = acc;
#else
  STOREI_O(oo, acc);
#endif
}
