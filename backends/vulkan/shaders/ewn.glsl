// ewn.glsl - elementwise over up to 7 operands of one shape: the layout of
// elementwise.glsl extended (src/bp_vk_kernel_util.h, bpvk_ewn_params):
// [0] numel, [1] ndim (merged), [2..9] shape, operand k: [10 + 9k] element
// offset, [11 + 9k ..] strides. Extra words from BP_EWN_EXTRA.
#define BP_EWN_EXTRA 80
#define BP_EWN_MAX 7
void bp_ewn_offsets(uint idx, uint nops, out uint off[BP_EWN_MAX]) {
  for (uint k = 0u; k < nops; ++k) off[k] = P(10u + 9u * k);
  int nd = int(P(1));
  for (int d = nd - 1; d >= 0; --d) {
    uint s = P(2 + d);
    uint c = idx % s;
    idx /= s;
    for (uint k = 0u; k < nops; ++k) off[k] += c * P(11u + 9u * k + uint(d));
  }
}
