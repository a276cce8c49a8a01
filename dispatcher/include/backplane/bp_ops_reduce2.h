/*
 * bp_ops_reduce2.h - typed entry points of the reductions beyond sum (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name (see
 * docs/ops.md for dtypes and edge cases).
 *
 * Common rules: `dims` lists num_dims dims to reduce (negative ones count
 * from the end); num_dims == 0 reduces every dim. keepdim != 0 keeps reduced
 * dims with size 1. On success *out (or *values / *indices) receives a new
 * tensor the caller owns; on failure nothing is written.
 */
#ifndef BACKPLANE_BP_OPS_REDUCE2_H_
#define BACKPLANE_BP_OPS_REDUCE2_H_

#ifdef __cplusplus
extern "C" {
#endif

/* torch.mean: floats only (cast integers first), NaN for an empty reduction. */
BP_API bp_status_t bp_mean(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                           bp_tensor_t **out);
/* torch.prod: bool and integers give i64 (wrapping); 1 for an empty reduction. */
BP_API bp_status_t bp_prod(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                           bp_tensor_t **out);
/* torch.amax / torch.amin: NaN propagates; an empty reduction fails. */
BP_API bp_status_t bp_amax(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                           bp_tensor_t **out);
BP_API bp_status_t bp_amin(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                           bp_tensor_t **out);
/* torch.max(x, dim) / torch.min(x, dim): values (x's dtype) and the index
 * (i64) of the first maximum / minimum along dim; NaN wins. */
BP_API bp_status_t bp_max_dim(bp_tensor_t *x, int64_t dim, int keepdim, bp_tensor_t **values,
                              bp_tensor_t **indices);
BP_API bp_status_t bp_min_dim(bp_tensor_t *x, int64_t dim, int keepdim, bp_tensor_t **values,
                              bp_tensor_t **indices);
/* torch.argmax / torch.argmin: along dim when has_dim != 0, else into the
 * flattened x. */
BP_API bp_status_t bp_argmax(bp_tensor_t *x, int has_dim, int64_t dim, int keepdim,
                             bp_tensor_t **out);
BP_API bp_status_t bp_argmin(bp_tensor_t *x, int has_dim, int64_t dim, int keepdim,
                             bp_tensor_t **out);
/* torch.var / torch.std with `correction` (1: unbiased). Floats only. */
BP_API bp_status_t bp_var(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims,
                          int64_t correction, int keepdim, bp_tensor_t **out);
BP_API bp_status_t bp_std(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims,
                          int64_t correction, int keepdim, bp_tensor_t **out);
/* torch.linalg.vector_norm with ord p (INFINITY and -INFINITY allowed). */
BP_API bp_status_t bp_norm(bp_tensor_t *x, double p, uint32_t num_dims, const int64_t *dims,
                           int keepdim, bp_tensor_t **out);
/* torch.logsumexp: bool and integers give f32. */
BP_API bp_status_t bp_logsumexp(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims,
                                int keepdim, bp_tensor_t **out);
/* torch.all / torch.any over a dim list: bool out (u8 for u8 x). */
BP_API bp_status_t bp_all(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                          bp_tensor_t **out);
BP_API bp_status_t bp_any(bp_tensor_t *x, uint32_t num_dims, const int64_t *dims, int keepdim,
                          bp_tensor_t **out);
/* torch.cumsum / torch.cumprod along dim: bool and integers give i64. */
BP_API bp_status_t bp_cumsum(bp_tensor_t *x, int64_t dim, bp_tensor_t **out);
BP_API bp_status_t bp_cumprod(bp_tensor_t *x, int64_t dim, bp_tensor_t **out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_REDUCE2_H_ */
