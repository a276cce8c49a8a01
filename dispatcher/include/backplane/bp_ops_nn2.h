/*
 * bp_ops_nn2.h - typed entry points of the normalization, softmax, indexing,
 * losses and attention (part of backplane.h; include that instead). Each
 * runs the catalog op of the same name (`bp ops` and docs/ops.md list every
 * attribute); names, argument order and defaults follow
 * torch.nn.functional.
 *
 * Optional tensors (norm weight/bias, running stats, class weights,
 * pos_weight, attn_mask) may be NULL here. The catalog op always has the
 * slot and a bool attribute has_<arg>; these functions pass a 0-element
 * placeholder for a NULL argument and set has_<arg> false. Callers of
 * bp_op_run do the same.
 *
 * Every function returns a new tensor in *out (owned by the caller) and
 * writes nothing on failure. An index out of range (gather, index_select,
 * embedding, scatter_add, one_hot, a loss target) is INVALID_ARGUMENT naming
 * the op, the value and the allowed range.
 */
#ifndef BACKPLANE_BP_OPS_NN2_H_
#define BACKPLANE_BP_OPS_NN2_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Loss reductions, the values of the ops' `reduction` attribute. */
typedef enum bp_reduction {
  BP_REDUCTION_NONE = 0,
  BP_REDUCTION_MEAN = 1,
  BP_REDUCTION_SUM = 2,
} bp_reduction_t;

/* y = (x - mean) / sqrt(var + eps) * weight + bias over dim 1 of x
 * [N, C, ...]. training: batch statistics, and running_mean/running_var
 * (when given) are updated IN PLACE: running = (1 - momentum) * running +
 * momentum * stat, with the unbiased variance (their storage versions are
 * bumped). Not training: the running stats are used (required).
 * running_mean/running_var must have x's dtype (torch also takes f32 stats
 * with bf16 x). */
BP_API bp_status_t bp_batch_norm(bp_tensor_t *x, bp_tensor_t *weight, bp_tensor_t *bias,
                                 bp_tensor_t *running_mean, bp_tensor_t *running_var,
                                 int training, double momentum, double eps, bp_tensor_t **out);
/* Normalizes over the trailing dims normalized_shape (num_dims entries). */
BP_API bp_status_t bp_layer_norm(bp_tensor_t *x, uint32_t num_dims, const int64_t *normalized_shape,
                                 bp_tensor_t *weight, bp_tensor_t *bias, double eps,
                                 bp_tensor_t **out);
/* Normalizes num_groups groups of channels of x [N, C, ...]. */
BP_API bp_status_t bp_group_norm(bp_tensor_t *x, int64_t num_groups, bp_tensor_t *weight,
                                 bp_tensor_t *bias, double eps, bp_tensor_t **out);
/* x / sqrt(mean(x^2) + eps) * weight over normalized_shape; eps < 0 means
 * torch's None (the dtype's machine epsilon). */
BP_API bp_status_t bp_rms_norm(bp_tensor_t *x, uint32_t num_dims, const int64_t *normalized_shape,
                               bp_tensor_t *weight, double eps, bp_tensor_t **out);
BP_API bp_status_t bp_softmax(bp_tensor_t *x, int64_t dim, bp_tensor_t **out);
BP_API bp_status_t bp_log_softmax(bp_tensor_t *x, int64_t dim, bp_tensor_t **out);

/* weight [V, D] rows at indices (i32 or i64): indices.shape + [D]. */
BP_API bp_status_t bp_embedding(bp_tensor_t *weight, bp_tensor_t *indices, bp_tensor_t **out);
BP_API bp_status_t bp_gather(bp_tensor_t *x, int64_t dim, bp_tensor_t *index, bp_tensor_t **out);
/* A copy of self with src added at index along dim. */
BP_API bp_status_t bp_scatter_add(bp_tensor_t *self, int64_t dim, bp_tensor_t *index,
                                  bp_tensor_t *src, bp_tensor_t **out);
BP_API bp_status_t bp_index_select(bp_tensor_t *x, int64_t dim, bp_tensor_t *index,
                                   bp_tensor_t **out);
/* num_classes -1: max(x) + 1, read from x's data (a copy to the host). */
BP_API bp_status_t bp_one_hot(bp_tensor_t *x, int64_t num_classes, bp_tensor_t **out);

BP_API bp_status_t bp_nll_loss(bp_tensor_t *input, bp_tensor_t *target, bp_tensor_t *weight,
                               bp_reduction_t reduction, int64_t ignore_index, bp_tensor_t **out);
/* target: i64 class indices or probabilities (input's dtype and shape). */
BP_API bp_status_t bp_cross_entropy(bp_tensor_t *input, bp_tensor_t *target, bp_tensor_t *weight,
                                    bp_reduction_t reduction, int64_t ignore_index,
                                    double label_smoothing, bp_tensor_t **out);
BP_API bp_status_t bp_mse_loss(bp_tensor_t *input, bp_tensor_t *target, bp_reduction_t reduction,
                               bp_tensor_t **out);
BP_API bp_status_t bp_binary_cross_entropy_with_logits(bp_tensor_t *input, bp_tensor_t *target,
                                                       bp_tensor_t *weight, bp_tensor_t *pos_weight,
                                                       bp_reduction_t reduction, bp_tensor_t **out);
/* softmax(query @ key^T * scale + mask) @ value; scale 0 = 1/sqrt(E);
 * attn_mask bool (true attends) or additive, NULL for none. */
BP_API bp_status_t bp_scaled_dot_product_attention(bp_tensor_t *query, bp_tensor_t *key,
                                                   bp_tensor_t *value, bp_tensor_t *attn_mask,
                                                   int is_causal, double scale, bp_tensor_t **out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_NN2_H_ */
