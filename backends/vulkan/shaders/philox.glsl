// philox.glsl - Backplane's random stream (reference/src/ref_random.h):
// Philox4x32-10, block b of a call = Philox(counter (lo, hi of offset + b,
// 0, 0), key (seed lo, seed hi)). The caller passes seed and offset words.
uvec4 bp_philox(uvec4 c, uvec2 k) {
  for (int i = 0; i < 10; ++i) {
    uint hi0, lo0, hi1, lo1;
    umulExtended(0xD2511F53u, c.x, hi0, lo0);
    umulExtended(0xCD9E8D57u, c.z, hi1, lo1);
    c = uvec4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k += uvec2(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}
uvec4 bp_random_block(uvec2 seed, uvec2 offset, uint b) {
  uint lo = offset.x + b;
  uint hi = offset.y + (lo < b ? 1u : 0u);
  return bp_philox(uvec4(lo, hi, 0u, 0u), seed);
}
