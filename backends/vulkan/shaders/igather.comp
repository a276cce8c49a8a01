#version 450
// igather.comp - embedding, gather and index_select as one gather: for
// each output element (coordinates c over out's shape), r = index[sum c[d]
// * is[d]], then out = x[x_off + r * x_dim_stride + sum c[d] * xs[d]]
// (src/bp_vk_ops_index.c maps each op onto is/xs). Elements move as raw
// bits of RAW (2 u8, 7 u16, 4 i32, 5 i64); the index is IDT (4 i32, 5 i64).
// An index outside [0, size) sets the check word and reads nothing.
// Words: [0] numel(out), [1] out ndim, [2..9] out shape, [10..17] out
// strides, [18..25] x strides per out dim, [26..33] index strides per out
// dim, [34] x stride of the indexed dim, [35] size, [36] out offset,
// [37] x offset, [38] index offset, [39] check word.
#define BP_PARAMS_WRITABLE 1
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
#if IDT == 4
#define IT int
#else
#define IT int64_t
#endif
layout(std430, set = 0, binding = 1) readonly buffer BufX { RT x[]; };
layout(std430, set = 0, binding = 2) readonly buffer BufI { IT ix[]; };
layout(std430, set = 0, binding = 3) buffer BufO { RT o[]; };

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint oo = P(36), xo = P(37), io = P(38), rest = idx;
  for (int d = int(P(1)) - 1; d >= 0; --d) {
    uint s = P(2 + d), c = rest % s;
    rest /= s;
    oo += c * P(10 + d);
    xo += c * P(18 + d);
    io += c * P(26 + d);
  }
  IT r = ix[io];
  if (r < IT(0) || r >= IT(P(35))) {
    P(39) = 1u;
    return;
  }
  o[oo] = x[xo + uint(r) * P(34)];
}
