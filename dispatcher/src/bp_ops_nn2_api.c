/* bp_ops_nn2_api.c - the typed entry points of bp_ops_nn2.h: each builds
 * the catalog call (placeholders for absent optional tensors) and keeps
 * only the first output. */
#include <stdlib.h>
#include <string.h>

#include "bp_op_catalog.h"

/* One call: inputs (NULL where optional and absent, replaced by a 0-element
 * placeholder on the device of inputs[0]), attrs in catalog order. */
static bp_status_t run(uint32_t op_id, uint32_t nin, bp_tensor_t **in, bp_attr_t *attrs,
                       bp_tensor_t **out) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: out is NULL", def->name);
  if (!in[0]) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is NULL", def->name, def->slot_names[0]);
  bp_tensor_t *holders[BP_MAX_SLOTS] = {NULL};
  bp_status_t s = BP_STATUS_OK;
  for (uint32_t i = 1; i < nin && !s; ++i) {
    if (in[i]) continue;
    static const int64_t zero[1] = {0};
    s = bp_tensor_create(in[0]->storage->device, in[0]->dtype, 1, zero, &holders[i]);
    in[i] = holders[i];
  }
  bp_tensor_t *outs[BP_MAX_SLOTS] = {NULL};
  if (!s) s = bp_dispatch(op_id, nin, in, attrs, def->num_outputs, outs);
  for (uint32_t i = 0; i < nin; ++i) bp_tensor_release(holders[i]);
  if (s) return s;
  for (int i = 1; i < def->num_outputs; ++i) bp_tensor_release(outs[i]);
  *out = outs[0];
  return BP_STATUS_OK;
}

static void defaults(uint32_t op_id, bp_attr_t *attrs) { bp_op_default_attrs(bp_op_def(op_id), attrs); }

bp_status_t bp_batch_norm(bp_tensor_t *x, bp_tensor_t *weight, bp_tensor_t *bias,
                          bp_tensor_t *running_mean, bp_tensor_t *running_var, int training,
                          double momentum, double eps, bp_tensor_t **out) {
  if (!running_mean != !running_var)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_batch_norm: running_mean and running_var must both be given or both be NULL");
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_BATCH_NORM, a);
  a[0].value.b = training != 0;
  a[1].value.f = momentum;
  a[2].value.f = eps;
  a[3].value.b = weight != NULL;
  a[4].value.b = bias != NULL;
  a[5].value.b = running_mean != NULL;
  bp_tensor_t *in[5] = {x, weight, bias, running_mean, running_var};
  bp_status_t s = run(BP_OP_BATCH_NORM, 5, in, a, out);
  if (!s && training && running_mean) { /* written in place by the kernel */
    atomic_fetch_add_explicit(&running_mean->storage->version, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&running_var->storage->version, 1, memory_order_relaxed);
  }
  return s;
}

static bp_status_t check_dims(const char *op, uint32_t n, const int64_t *dims) {
  if (n && !dims)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: normalized_shape is NULL but num_dims is %u", op, n);
  return BP_STATUS_OK;
}

bp_status_t bp_layer_norm(bp_tensor_t *x, uint32_t num_dims, const int64_t *normalized_shape,
                          bp_tensor_t *weight, bp_tensor_t *bias, double eps, bp_tensor_t **out) {
  bp_status_t s = check_dims("layer_norm", num_dims, normalized_shape);
  if (s) return s;
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_LAYER_NORM, a);
  a[0].count = num_dims;
  a[0].value.ints = normalized_shape;
  a[1].value.f = eps;
  a[2].value.b = weight != NULL;
  a[3].value.b = bias != NULL;
  bp_tensor_t *in[3] = {x, weight, bias};
  return run(BP_OP_LAYER_NORM, 3, in, a, out);
}

bp_status_t bp_group_norm(bp_tensor_t *x, int64_t num_groups, bp_tensor_t *weight,
                          bp_tensor_t *bias, double eps, bp_tensor_t **out) {
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_GROUP_NORM, a);
  a[0].value.i = num_groups;
  a[1].value.f = eps;
  a[2].value.b = weight != NULL;
  a[3].value.b = bias != NULL;
  bp_tensor_t *in[3] = {x, weight, bias};
  return run(BP_OP_GROUP_NORM, 3, in, a, out);
}

bp_status_t bp_rms_norm(bp_tensor_t *x, uint32_t num_dims, const int64_t *normalized_shape,
                        bp_tensor_t *weight, double eps, bp_tensor_t **out) {
  bp_status_t s = check_dims("rms_norm", num_dims, normalized_shape);
  if (s) return s;
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_RMS_NORM, a);
  a[0].count = num_dims;
  a[0].value.ints = normalized_shape;
  a[1].value.f = eps < 0 ? 0.0 : eps;
  a[2].value.b = eps >= 0;
  a[3].value.b = weight != NULL;
  bp_tensor_t *in[2] = {x, weight};
  return run(BP_OP_RMS_NORM, 2, in, a, out);
}

static bp_status_t softmax_like(uint32_t op, bp_tensor_t *x, int64_t dim, bp_tensor_t **out) {
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(op, a);
  a[0].value.i = dim;
  bp_tensor_t *in[1] = {x};
  return run(op, 1, in, a, out);
}
bp_status_t bp_softmax(bp_tensor_t *x, int64_t dim, bp_tensor_t **out) {
  return softmax_like(BP_OP_SOFTMAX, x, dim, out);
}
bp_status_t bp_log_softmax(bp_tensor_t *x, int64_t dim, bp_tensor_t **out) {
  return softmax_like(BP_OP_LOG_SOFTMAX, x, dim, out);
}

bp_status_t bp_embedding(bp_tensor_t *weight, bp_tensor_t *indices, bp_tensor_t **out) {
  if (!indices) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_embedding: indices is NULL");
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_EMBEDDING, a);
  bp_tensor_t *in[2] = {weight, indices};
  return run(BP_OP_EMBEDDING, 2, in, a, out);
}

static bp_status_t dim_op(uint32_t op, int64_t dim, uint32_t nin, bp_tensor_t **in, bp_tensor_t **out) {
  const bp_op_def_t *def = bp_op_def(op);
  for (uint32_t i = 1; i < nin; ++i)
    if (!in[i]) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is NULL", def->name, def->slot_names[i]);
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(op, a);
  a[0].value.i = dim;
  return run(op, nin, in, a, out);
}
bp_status_t bp_gather(bp_tensor_t *x, int64_t dim, bp_tensor_t *index, bp_tensor_t **out) {
  bp_tensor_t *in[2] = {x, index};
  return dim_op(BP_OP_GATHER, dim, 2, in, out);
}
bp_status_t bp_scatter_add(bp_tensor_t *self, int64_t dim, bp_tensor_t *index, bp_tensor_t *src,
                           bp_tensor_t **out) {
  bp_tensor_t *in[3] = {self, index, src};
  return dim_op(BP_OP_SCATTER_ADD, dim, 3, in, out);
}
bp_status_t bp_index_select(bp_tensor_t *x, int64_t dim, bp_tensor_t *index, bp_tensor_t **out) {
  bp_tensor_t *in[2] = {x, index};
  return dim_op(BP_OP_INDEX_SELECT, dim, 2, in, out);
}

bp_status_t bp_one_hot(bp_tensor_t *x, int64_t num_classes, bp_tensor_t **out) {
  if (!x) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_one_hot: x is NULL");
  if (num_classes == -1 && x->dtype == BP_DTYPE_I64) { /* max + 1: read the data */
    if (x->numel == 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_one_hot: cannot infer num_classes (-1) from an empty tensor");
    int64_t *host = malloc(sizeof(int64_t) * (size_t)x->numel);
    if (!host) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_one_hot: reading x to find num_classes");
    bp_status_t s = bp_tensor_copy_to_host(x, host, sizeof(int64_t) * (size_t)x->numel);
    int64_t mx = host[0];
    for (int64_t i = 1; !s && i < x->numel; ++i) if (host[i] > mx) mx = host[i];
    free(host);
    if (s) return bp_fail_context(s, "bp_one_hot: reading x to find num_classes");
    num_classes = mx < 0 ? 0 : mx + 1; /* a negative value fails in the kernel */
  }
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_ONE_HOT, a);
  a[0].value.i = num_classes;
  bp_tensor_t *in[1] = {x};
  return run(BP_OP_ONE_HOT, 1, in, a, out);
}

bp_status_t bp_nll_loss(bp_tensor_t *input, bp_tensor_t *target, bp_tensor_t *weight,
                        bp_reduction_t reduction, int64_t ignore_index, bp_tensor_t **out) {
  if (!target) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_nll_loss: target is NULL");
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_NLL_LOSS, a);
  a[0].value.i = reduction;
  a[1].value.i = ignore_index;
  a[2].value.b = weight != NULL;
  bp_tensor_t *in[3] = {input, target, weight};
  return run(BP_OP_NLL_LOSS, 3, in, a, out);
}

bp_status_t bp_cross_entropy(bp_tensor_t *input, bp_tensor_t *target, bp_tensor_t *weight,
                             bp_reduction_t reduction, int64_t ignore_index,
                             double label_smoothing, bp_tensor_t **out) {
  if (!target) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_cross_entropy: target is NULL");
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_CROSS_ENTROPY, a);
  a[0].value.i = reduction;
  a[1].value.i = ignore_index;
  a[2].value.f = label_smoothing;
  a[3].value.b = weight != NULL;
  bp_tensor_t *in[3] = {input, target, weight};
  return run(BP_OP_CROSS_ENTROPY, 3, in, a, out);
}

bp_status_t bp_mse_loss(bp_tensor_t *input, bp_tensor_t *target, bp_reduction_t reduction,
                        bp_tensor_t **out) {
  if (!target) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_mse_loss: target is NULL");
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_MSE_LOSS, a);
  a[0].value.i = reduction;
  bp_tensor_t *in[2] = {input, target};
  return run(BP_OP_MSE_LOSS, 2, in, a, out);
}

bp_status_t bp_binary_cross_entropy_with_logits(bp_tensor_t *input, bp_tensor_t *target,
                                                bp_tensor_t *weight, bp_tensor_t *pos_weight,
                                                bp_reduction_t reduction, bp_tensor_t **out) {
  if (!target)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_binary_cross_entropy_with_logits: target is NULL");
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_BCE_WITH_LOGITS, a);
  a[0].value.i = reduction;
  a[1].value.b = weight != NULL;
  a[2].value.b = pos_weight != NULL;
  bp_tensor_t *in[4] = {input, target, weight, pos_weight};
  return run(BP_OP_BCE_WITH_LOGITS, 4, in, a, out);
}

bp_status_t bp_scaled_dot_product_attention(bp_tensor_t *query, bp_tensor_t *key,
                                            bp_tensor_t *value, bp_tensor_t *attn_mask,
                                            int is_causal, double scale, bp_tensor_t **out) {
  if (!key || !value)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_scaled_dot_product_attention: %s is NULL",
                   key ? "value" : "key");
  bp_attr_t a[BP_MAX_ATTRS];
  defaults(BP_OP_SDPA, a);
  a[0].value.b = is_causal != 0;
  a[1].value.f = scale;
  a[3].value.b = attn_mask != NULL;
  bp_tensor_t *in[4] = {query, key, value, attn_mask};
  return run(BP_OP_SDPA, 4, in, a, out);
}
