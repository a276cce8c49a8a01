// elementwise.glsl - one invocation per output element of a strided walk.
// Parameter words (src/bp_vk_params.h, BPVK_EW_*): [0] numel, [1] ndim
// (dims merged on the host, innermost last), [2..9] shape, then for operand
// k = 0 (out), 1, 2: [10 + 9k] element offset, [11 + 9k ..] strides.
layout(local_size_x = 256) in;

// Specialization constant 1 (BPVK_SPEC_ONE_DIM): the dims merged into
// one, so the shader has no dims loop at all (lavapipe runs a loop body
// once more with every lane masked off, divisions included). Otherwise the
// outermost dim takes what is left of idx, without a division.
layout(constant_id = 1) const uint BP_EW_ONE_DIM = 0u;
void bp_ew_offsets(uint idx, out uint o0, out uint o1, out uint o2) {
  int nd = int(P(1));
  o0 = P(10); o1 = P(19); o2 = P(28);
  if (BP_EW_ONE_DIM == 0u)
  for (int d = nd - 1; d >= 1; --d) {
    uint s = P(2 + d);
    uint c = idx % s;
    idx /= s;
    o0 += c * P(11 + d);
    o1 += c * P(20 + d);
    o2 += c * P(29 + d);
  }
  o0 += idx * P(11);
  o1 += idx * P(20);
  o2 += idx * P(29);
}
#define BP_EW_EXTRA 40
// A word the shader sets to report an invalid input (checked by the host).
#define BP_EW_CHECK 63
