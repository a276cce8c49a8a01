#version 450
// tri.comp - tril (UPPER 0) and triu (UPPER 1): out = x where the column
// minus the row is <= (>=) diagonal, else 0; elements move as raw bits of
// RAW. Words: [0] numel, [1] ndim (>= 2), [2..9] shape, [10..17] out
// strides, [18..25] x strides, [26] out offset, [27] x offset, [28..29]
// diagonal (i64).
#include "common.glsl"
layout(local_size_x = 256) in;
#if RAW == 2
#define RT uint8_t
#elif RAW == 7
#define RT uint16_t
#elif RAW == 4
#define RT uint
#else
#define RT uint64_t
#endif
layout(std430, set = 0, binding = 1) readonly buffer BufX { RT x[]; };
layout(std430, set = 0, binding = 2) buffer BufO { RT o[]; };

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  int nd = int(P(1));
  uint oo = P(26), xo = P(27), rest = idx, row = 0u, col = 0u;
  for (int d = nd - 1; d >= 0; --d) {
    uint s = P(2 + d), c = rest % s;
    rest /= s;
    oo += c * P(10 + d);
    xo += c * P(18 + d);
    if (d == nd - 1) col = c;
    if (d == nd - 2) row = c;
  }
  int64_t off = int64_t(col) - int64_t(row), diag = int64_t(packUint2x32(uvec2(P(28), P(29))));
  bool keep = UPPER == 1 ? off >= diag : off <= diag;
  o[oo] = keep ? x[xo] : RT(0);
}
