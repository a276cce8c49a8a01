/*
 * bp_ops_nn.h - typed entry points of the convolutions, pooling and linear layers (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_NN_H_
#define BACKPLANE_BP_OPS_NN_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Each returns a new output in *out (the caller owns it); a NULL bias means
 * no bias (torch's bias=None). Options not covered here (conv1d,
 * conv_transpose2d, dilation, ceil_mode...) are attributes of the catalog op
 * of the same name: run it with bp_op_run (see `bp ops`). */

/* out = x @ weight^T + bias: x [..., in], weight [out, in], bias [out]. */
BP_API bp_status_t bp_linear(bp_tensor_t *x, bp_tensor_t *weight, bp_tensor_t *bias,
                             bp_tensor_t **out);
/* a [B, M, K] @ b [B, K, N] -> [B, M, N]; no broadcasting (torch.bmm). */
BP_API bp_status_t bp_bmm(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);
/* 2-D convolution of x [N, C, H, W] (or [C, H, W]) with weight
 * [K, C/groups, kH, kW]; stride and padding are {H, W} (NULL: 1 and 0). */
BP_API bp_status_t bp_conv2d(bp_tensor_t *x, bp_tensor_t *weight, bp_tensor_t *bias,
                             const int64_t *stride, const int64_t *padding, int64_t groups,
                             bp_tensor_t **out);
/* Max pooling with {H, W} kernel, stride (NULL: the kernel) and padding
 * (NULL: 0); *indices gets the i64 flat index in each H*W plane. */
BP_API bp_status_t bp_max_pool2d(bp_tensor_t *x, const int64_t *kernel_size,
                                 const int64_t *stride, const int64_t *padding,
                                 bp_tensor_t **values, bp_tensor_t **indices);
/* Average pooling (count_include_pad true, as torch's default). */
BP_API bp_status_t bp_avg_pool2d(bp_tensor_t *x, const int64_t *kernel_size,
                                 const int64_t *stride, const int64_t *padding,
                                 bp_tensor_t **out);
/* Adaptive average pooling to output_size {H, W}. */
BP_API bp_status_t bp_adaptive_avg_pool2d(bp_tensor_t *x, const int64_t *output_size,
                                          bp_tensor_t **out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_NN_H_ */
