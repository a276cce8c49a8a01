/*
 * ref_random.h - Backplane's random stream: Philox4x32-10 keyed by
 * (seed, offset). This comment is the definition every backend implements;
 * the reference kernels (ref_random.c) are written straight from it.
 *
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
 * 3", SC11; Random123): a 128-bit counter c = (c0, c1, c2, c3) and a 64-bit
 * key k = (k0, k1) map to four 32-bit words. Ten rounds of
 *   (hi0, lo0) = M0 * c0, (hi1, lo1) = M1 * c2   (32x32 -> 64 bit products)
 *   c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
 * with the key bumped by (W0, W1) between rounds (mod 2^32);
 * M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85.
 * Known answers (Random123 kat_vectors) are checked in test_random.c.
 *
 * One op call has attributes seed and offset (int64, used as uint64):
 *   key   = (seed mod 2^32, seed >> 32)
 *   block b of the call = Philox(counter = (lo32(offset + b), hi32(offset + b),
 *                          0, 0), key), offset + b taken mod 2^64
 * Element i is the element at LOGICAL row-major index i of the output (its
 * position in the shape, whatever the strides), so every element depends on
 * (seed, offset, i) only: any split of the elements among threads, work
 * groups or calls gives the same bits. Per op:
 *
 * uniform, from/to, dtypes f16/bf16/f32: block i/4, word w = i%4;
 *   u = (w >> 8) * 2^-24 in [0, 1) (exact in f32);
 *   v = from + (to - from) * u in f32 (from, to rounded to f32; no fused
 *   multiply-add), then rounded to nearest even to the dtype.
 * uniform, f64: block i/2, words (a, b) = (w[2*(i%2)], w[2*(i%2)+1]);
 *   u = ((a << 32 | b) >> 11) * 2^-53; v = from + (to - from) * u in f64.
 *   Rounding can give `to` itself for a narrow range, as in PyTorch.
 * normal, mean/std, every float dtype: elements 2j and 2j+1 share block j:
 *   u1 = (((w0 << 32 | w1) >> 11) + 1) * 2^-53 in (0, 1],
 *   u2 = ((w2 << 32 | w3) >> 11) * 2^-53 in [0, 1),
 *   r = sqrt(-2 log u1), t = 2 pi u2 (pi as the nearest double),
 *   element 2j = mean + std * r cos t, element 2j+1 = mean + std * r sin t,
 *   in f64, rounded once to the dtype. (Bit-identical across backends
 *   whose f64 log/sqrt/cos/sin agree; the conformance check allows one ulp
 *   of the output dtype.)
 * bernoulli, probability p (any float dtype): block i/4, word w = i%4;
 *   1 when (w >> 8) < p * 2^24, else 0: the same as u < p with u as for an
 *   f32 uniform, and exact in p's own precision (f16/bf16 go to f32
 *   exactly). p outside [0, 1] (or NaN) is INVALID_ARGUMENT.
 * dropout, p, train: with train, element i is kept when
 *   (w >> 8) < (1 - p) * 2^24 (1 - p in f64), w as for bernoulli, so its
 *   mask is bernoulli(1 - p) with the same seed and offset;
 *   out = x * s with s = 1 / (1 - p) when kept and 0 when dropped (so a
 *   dropped inf or NaN gives NaN, as torch's x * noise); s and the product
 *   in f32 for f16/bf16/f32 (rounded once to the dtype) and in f64 for
 *   f64; p = 1 gives s = 0 everywhere. Without train: out = x.
 *
 * Counters (blocks) one call uses, for n elements; a generator advances its
 * offset by this much per call (bp_ops_random.h):
 *   uniform f16/bf16/f32, bernoulli, dropout with train: ceil(n / 4);
 *   uniform f64, normal: ceil(n / 2); dropout without train: 0.
 */
#ifndef BACKPLANE_REFERENCE_REF_RANDOM_H_
#define BACKPLANE_REFERENCE_REF_RANDOM_H_

#include <stdint.h>

/* Philox4x32-10 of counter ctr and key (k0, k1) into out[4]. */
static inline void bp_ref_philox4x32_10(const uint32_t ctr[4], uint32_t k0, uint32_t k1,
                                        uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* Block b of the call with this seed and offset (see above). */
static inline void bp_ref_random_block(uint64_t seed, uint64_t offset, uint64_t b,
                                       uint32_t out[4]) {
  uint64_t counter = offset + b; /* unsigned: wraps mod 2^64 */
  const uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), 0, 0};
  bp_ref_philox4x32_10(ctr, (uint32_t)seed, (uint32_t)(seed >> 32), out);
}

/* A word as a 24-bit integer (exact in f32) and as u in [0, 1). */
static inline uint32_t bp_ref_random_u24(uint32_t w) { return w >> 8; }
static inline float bp_ref_random_unit_f32(uint32_t w) {
  return (float)(w >> 8) * (1.0f / 16777216.0f);
}
/* (a << 32 | b) >> 11 as u in [0, 1), 53 bits (exact in f64). */
static inline double bp_ref_random_unit_f64(uint32_t a, uint32_t b) {
  return (double)((((uint64_t)a << 32) | b) >> 11) * (1.0 / 9007199254740992.0);
}

#endif /* BACKPLANE_REFERENCE_REF_RANDOM_H_ */
