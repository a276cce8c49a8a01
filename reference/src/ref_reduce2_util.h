/*
 * ref_reduce2_util.h - a float sum with bounded error growth, shared by the
 * reductions (sum, mean, var, std, norm, logsumexp).
 *
 * ref_fsum_t adds doubles in blocks of REF_FSUM_BLOCK (plain sums) and
 * combines block sums pairwise through a binary counter (level i holds the
 * sum of 2^i blocks), so the rounding error grows with
 * REF_FSUM_BLOCK + log2(n / REF_FSUM_BLOCK), not with n, whatever the
 * order in which the elements arrive (contiguous runs or strided walks).
 * It is the cascade torch uses for float sums, in double. Nothing is
 * allocated; init is O(1) (levels are written before they are read).
 * Also declares the scan registrar of ref_reduce2_scan.c.
 */
#ifndef BACKPLANE_REFERENCE_REF_REDUCE2_UTIL_H_
#define BACKPLANE_REFERENCE_REF_REDUCE2_UTIL_H_

#include <stdint.h>

#define REF_FSUM_BLOCK 128

typedef struct ref_fsum {
  double cur;      /* the block being filled */
  int32_t ncur;    /* elements in cur */
  uint64_t count;  /* blocks pushed: bit i set when level[i] is in use */
  double level[64];
} ref_fsum_t;

static inline void ref_fsum_init(ref_fsum_t *s) {
  s->cur = 0.0;
  s->ncur = 0;
  s->count = 0;
}

/* Pushes a finished block sum `b` into the pairwise levels. */
static inline void ref_fsum_push(ref_fsum_t *s, double b) {
  int i = 0;
  for (uint64_t c = s->count; c & 1u; c >>= 1, ++i) b = s->level[i] + b;
  s->level[i] = b;
  ++s->count;
}

static inline void ref_fsum_add(ref_fsum_t *s, double v) {
  s->cur += v;
  if (++s->ncur == REF_FSUM_BLOCK) {
    ref_fsum_push(s, s->cur);
    s->cur = 0.0;
    s->ncur = 0;
  }
}

/* The sum so far (the accumulator stays usable). */
static inline double ref_fsum_total(const ref_fsum_t *s) {
  double t = s->cur;
  for (int i = 0; i < 64; ++i)
    if ((s->count >> i) & 1u) t += s->level[i];
  return t;
}

/* Registers cumsum and cumprod (ref_reduce2_scan.c); called by
 * bp_ref_reduce2_register. */
#include "backplane/bp_abi.h"
bp_status_t bp_ref_reduce2_scan_register(const bp_host_api_t *host);

#endif /* BACKPLANE_REFERENCE_REF_REDUCE2_UTIL_H_ */
