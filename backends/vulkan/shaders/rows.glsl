// rows.glsl - a walk over the rows of up to 3 tensors along one dim
// (softmax-like ops, src/bp_vk_ops_nn.c): words [0] rows, [1] row length,
// [2] kept ndim, [3..10] kept shape, tensor t: [11 + 8t ..] kept strides,
// [35 + t] element offset, [38 + t] stride along the dim.
void bp_row_offsets(uint row, out uint off[3]) {
  off[0] = P(35); off[1] = P(36); off[2] = P(37);
  for (int d = int(P(2)) - 1; d >= 0; --d) {
    uint s = P(3 + d), c = row % s;
    row /= s;
    off[0] += c * P(11 + d);
    off[1] += c * P(19 + d);
    off[2] += c * P(27 + d);
  }
}
