#version 450
// embbw.comp - embedding_backward (reference/src/ref_nn_backward.c) as a
// gather, one invocation per grad_weight element (v, j): the sum over rows
// r (indices in row-major order) with indices[r] == v of grad_output[r, j],
// in the order of r; the padding row stays zero. Invocations below the
// number of rows check their index (outside [0, V): the check word).
// Tensors: grad_output (1), indices (2, IDT), grad_weight (3).
// Words: [0] invocations, [1] rows, [2] V, [3] D, [4] index ndim,
// [5..12] index shape, [13..20] index strides, [21..28] grad_output strides
// of the index dims, [29] grad_output stride of D, [30] grad_output offset,
// [31] index offset, [32] grad_weight offset, [33] its row stride, [34] its
// column stride, [35] padding row (0xffffffff: none), [39] check word.
#define BP_PARAMS_WRITABLE 1
#include "common.glsl"
#include "ftypes.glsl"
layout(local_size_x = 256) in;
#if IDT == 4
#define IT int
#else
#define IT int64_t
#endif
BUF(1, g);
layout(std430, set = 0, binding = 2) readonly buffer BufI { IT ix[]; };
BUF(3, gw);

void offs(uint r, out uint io, out uint go) {
  io = P(31);
  go = P(30);
  for (int d = int(P(4)) - 1; d >= 0; --d) {
    uint s = P(5 + d), c = r % s;
    r /= s;
    io += c * P(13 + d);
    go += c * P(21 + d);
  }
}

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint rows = P(1), V = P(2), D = P(3);
  uint io, go;
  if (idx < rows) {
    offs(idx, io, go);
    IT r = ix[io];
    if (r < IT(0) || r >= IT(V)) P(39) = 1u;
  }
  if (idx >= V * D) return;
  uint v = idx / D, j = idx % D;
  FT acc = FT(0);
  if (v != P(35))
    for (uint r = 0u; r < rows; ++r) {
      offs(r, io, go);
      if (ix[io] == IT(v)) acc += LD(g, go + j * P(29));
    }
  ST(gw, P(32) + v * P(33) + j * P(34), acc);
}
