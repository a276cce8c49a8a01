/*
 * bp_ops_random.h - typed entry points of the random-number ops (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 *
 * Every random op is a pure function of its attributes `seed` and `offset`
 * and of each element's logical row-major index: it draws from Philox4x32-10
 * keyed by the seed, with counters starting at the offset. So one seed gives
 * the same numbers, bit for bit, on every backend, every thread count and
 * every layout of the output (strides do not matter, only positions). The
 * stream is defined exactly in reference/src/ref_random.h (and in the
 * catalog's docs, `bp ops`); summary, for n elements:
 *
 *   op        element i uses                              counters used
 *   uniform   word i%4 of block offset + i/4 (f64: two     ceil(n/4)
 *             words of block offset + i/2)                 (f64: ceil(n/2))
 *   normal    block offset + i/2, Box-Muller over pairs    ceil(n/2)
 *   bernoulli word i%4 of block offset + i/4               ceil(n/4)
 *   dropout   as bernoulli with probability 1 - p          ceil(n/4) (0 in eval)
 *
 * These numbers are not PyTorch's: no PyTorch stream agrees across devices.
 *
 * A generator is the host-side position in a stream: each typed call below
 * runs its op with the generator's (seed, offset) and then advances the
 * offset by the counters the call used, so consecutive calls draw fresh
 * numbers (as torch's Philox offset). Pass NULL for the process-wide default
 * generator (seeded 0 until bp_manual_seed; safe to use from several threads:
 * each call reserves its counters atomically). A bp_generator_t of your own
 * is a plain struct in your storage; use one per thread.
 */
#ifndef BACKPLANE_BP_OPS_RANDOM_H_
#define BACKPLANE_BP_OPS_RANDOM_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bp_generator {
  uint64_t seed;
  uint64_t offset; /* in Philox counters (blocks of four 32-bit words) */
} bp_generator_t;

/* Sets gen to (seed, offset 0). */
BP_API void bp_generator_initialize(bp_generator_t *gen, uint64_t seed);
/* Reseeds the default generator: (seed, offset 0), as torch.manual_seed. */
BP_API void bp_manual_seed(uint64_t seed);
/* The default generator's current seed and offset. */
BP_API void bp_default_generator_get(bp_generator_t *out_state);

/* Counters (Philox blocks) one call of op `op_id` uses for `numel`
 * elements of dtype (the output's; the input's for dropout), with `train`
 * for dropout; what a generator advances by. */
BP_API uint64_t bp_random_counters(uint32_t op_id, bp_dtype_t dtype, int64_t numel, int train);

/* Fills out (f16, bf16, f32, f64; any strides) with uniform numbers in
 * [from, to) (torch.Tensor.uniform_). Rounding to the dtype can give `to`
 * for a narrow range, as in PyTorch. */
BP_API bp_status_t bp_uniform(bp_tensor_t *out, double from, double to, bp_generator_t *gen);
/* Fills out with normal numbers of mean and std >= 0 (torch.Tensor.normal_). */
BP_API bp_status_t bp_normal(bp_tensor_t *out, double mean, double std, bp_generator_t *gen);
/* out = 1 with probability p, else 0, element by element (torch.bernoulli):
 * p a float tensor with values in [0, 1]; a new tensor of p's dtype and
 * shape. */
BP_API bp_status_t bp_bernoulli(bp_tensor_t *p, bp_generator_t *gen, bp_tensor_t **out);
/* The same into out (any dtype, bool and integers included), p broadcast to
 * out's shape (torch.Tensor.bernoulli_(p_tensor)). */
BP_API bp_status_t bp_bernoulli_out(bp_tensor_t *p, bp_generator_t *gen, bp_tensor_t *out);
/* The same with one probability for every element (torch.Tensor.bernoulli_(p)). */
BP_API bp_status_t bp_bernoulli_p(bp_tensor_t *out, double p, bp_generator_t *gen);
/* torch.nn.functional.dropout(x, p, training=train): with train, each
 * element is zeroed with probability p and the others scaled by 1/(1-p);
 * without, out = x (and gen is not advanced). The mask is
 * bernoulli(1 - p) run with the generator's state before the call. */
BP_API bp_status_t bp_dropout(bp_tensor_t *x, double p, int train, bp_generator_t *gen,
                              bp_tensor_t **out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_RANDOM_H_ */
