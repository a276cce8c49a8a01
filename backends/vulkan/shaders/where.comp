#version 450
// where.comp - out = cond ? a : b over up to 8 merged dims (ewn.glsl),
// cond bool or u8 (nonzero is true), a/b/out moved as raw bits of RAW
// (2 u8, 7 u16, 4 i32, 5 i64). Tensors: cond, a, b, out.
#include "common.glsl"
#include "ewn.glsl"
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
layout(std430, set = 0, binding = 1) readonly buffer BufC { uint8_t cnd[]; };
layout(std430, set = 0, binding = 2) readonly buffer BufA { RT ta[]; };
layout(std430, set = 0, binding = 3) readonly buffer BufB { RT tb[]; };
layout(std430, set = 0, binding = 4) buffer BufO { RT to[]; };

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint off[BP_EWN_MAX];
  bp_ewn_offsets(idx, 4u, off);
  to[off[3]] = uint(cnd[off[0]]) != 0u ? ta[off[1]] : tb[off[2]];
}
