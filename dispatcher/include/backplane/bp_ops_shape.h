/*
 * bp_ops_shape.h - views, layout and creation ops (part of backplane.h;
 * include that instead).
 *
 * Views share their base's storage: no kernel runs, no element moves; the
 * caller owns the returned view (bp_tensor_release) and the storage lives as
 * long as any view of it. Dims are int64_t and may be negative (counting
 * from the end), as in PyTorch; a 0-dim tensor takes dim 0 or -1 where torch
 * lets it (transpose, squeeze, flatten). Each view function has a catalog op
 * of the same name (form "view", run through bp_op_run like any op) except
 * split and chunk, whose number of outputs depends on the call: the catalog's
 * ops have a fixed number, so these two are functions only.
 *
 * The other ops here run the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_SHAPE_H_
#define BACKPLANE_BP_OPS_SHAPE_H_

#ifdef __cplusplus
extern "C" {
#endif

/* ---- views (no copy) ---- */

/* Swaps two dims (torch.transpose). */
BP_API bp_status_t bp_tensor_transpose(bp_tensor_t *tensor, int64_t dim0, int64_t dim1,
                                       bp_tensor_t **out_view);
/* The slice at `index` of dim, which goes away (torch.select); negative
 * indices count from the end. */
BP_API bp_status_t bp_tensor_select(bp_tensor_t *tensor, int64_t dim, int64_t index,
                                    bp_tensor_t **out_view);
/* Elements start .. start+length-1 of dim (torch.narrow); start may be
 * negative; start + length must not pass the end. */
BP_API bp_status_t bp_tensor_narrow(bp_tensor_t *tensor, int64_t dim, int64_t start,
                                    int64_t length, bp_tensor_t **out_view);
/* Drops every size-1 dim (torch.squeeze). */
BP_API bp_status_t bp_tensor_squeeze(bp_tensor_t *tensor, bp_tensor_t **out_view);
/* Drops the listed dims that have size 1; the others stay (torch.squeeze
 * with dim; a dim list as in PyTorch 2). num_dims == 0 keeps every dim. */
BP_API bp_status_t bp_tensor_squeeze_dims(bp_tensor_t *tensor, uint32_t num_dims,
                                          const int64_t *dims, bp_tensor_t **out_view);
/* Inserts a size-1 dim at dim, in -ndim-1..ndim (torch.unsqueeze). */
BP_API bp_status_t bp_tensor_unsqueeze(bp_tensor_t *tensor, int64_t dim,
                                       bp_tensor_t **out_view);
/* Pieces of split_size along dim, the last one smaller when the size does
 * not divide (torch.split with an int): ceil(size / split_size) views, one
 * (empty) for an empty dim. out_views holds capacity entries; too few is
 * INVALID_ARGUMENT (the message says how many). *out_count = views made. */
BP_API bp_status_t bp_tensor_split(bp_tensor_t *tensor, int64_t split_size, int64_t dim,
                                   bp_tensor_t **out_views, uint32_t capacity,
                                   uint32_t *out_count);
/* num_sizes pieces of the given sizes, which add up to the dim's size
 * (torch.split with a list); out_views holds num_sizes entries. */
BP_API bp_status_t bp_tensor_split_sizes(bp_tensor_t *tensor, uint32_t num_sizes,
                                         const int64_t *sizes, int64_t dim,
                                         bp_tensor_t **out_views);
/* torch.chunk: split with split_size ceil(size / chunks), so at most
 * `chunks` views (fewer when they would be empty; an empty dim gives
 * `chunks` empty views). */
BP_API bp_status_t bp_tensor_chunk(bp_tensor_t *tensor, int64_t chunks, int64_t dim,
                                   bp_tensor_t **out_views, uint32_t capacity,
                                   uint32_t *out_count);

/* ---- views when possible, else copies ---- */

/* Same elements, new shape (one entry may be -1), like torch.reshape: a
 * view when the strides allow it (see bp_tensor_view), else a new
 * contiguous tensor holding a copy. */
BP_API bp_status_t bp_tensor_reshape(bp_tensor_t *tensor, int32_t ndim, const int64_t *shape,
                                     bp_tensor_t **out_tensor);
/* Dims start_dim..end_dim merged into one (torch.flatten): reshape's rules;
 * a 0-dim tensor gives shape [1]. */
BP_API bp_status_t bp_tensor_flatten(bp_tensor_t *tensor, int64_t start_dim, int64_t end_dim,
                                     bp_tensor_t **out_tensor);
/* The tensor itself (one more reference) when it is contiguous, else a
 * new contiguous copy (torch.Tensor.contiguous). */
BP_API bp_status_t bp_tensor_contiguous(bp_tensor_t *tensor, bp_tensor_t **out_tensor);
/* A new contiguous tensor of another dtype on the same device, always a
 * copy, even for the same dtype (torch.Tensor.to(dtype) with copy=True);
 * values convert as bp_copy does. */
BP_API bp_status_t bp_tensor_cast(bp_tensor_t *tensor, bp_dtype_t dtype,
                                  bp_tensor_t **out_tensor);

/* ---- creation and layout ops (catalog ops) ---- */

/* A new 1-D tensor start, start+step, ... < end (> end for a negative
 * step) on device (torch.arange). Size: ceil((end - start) / step), with
 * start/end/step truncated to integers first for integer dtypes.
 * dtype BP_DTYPE_INVALID picks i64 when start, end and step are integral,
 * else f32, as torch does for Python ints and floats. bool is refused. */
BP_API bp_status_t bp_arange(bp_device_t *device, double start, double end, double step,
                             bp_dtype_t dtype, bp_tensor_t **out);
/* Writes arange into out, whose shape must be [size] (see bp_arange). */
BP_API bp_status_t bp_arange_out(double start, double end, double step, bp_tensor_t *out);
/* out = cond ? a : b elementwise, broadcasting all three; cond is bool (or
 * u8, deprecated in torch); out's dtype is result_type(a, b) (torch.where). */
BP_API bp_status_t bp_where(bp_tensor_t *cond, bp_tensor_t *a, bp_tensor_t *b,
                            bp_tensor_t **out);
BP_API bp_status_t bp_where_out(bp_tensor_t *cond, bp_tensor_t *a, bp_tensor_t *b,
                                bp_tensor_t *out);
/* Lower (tril) or upper (triu) triangle of the last two dims, the rest
 * zero; diagonal shifts the border (torch.tril, torch.triu). */
BP_API bp_status_t bp_tril(bp_tensor_t *x, int64_t diagonal, bp_tensor_t **out);
BP_API bp_status_t bp_triu(bp_tensor_t *x, int64_t diagonal, bp_tensor_t **out);
/* Constant padding (torch.nn.functional.pad, mode "constant"): pad holds
 * (before, after) pairs starting from the LAST dim, num_pad even and <=
 * 2 * ndim; negative amounts crop. */
BP_API bp_status_t bp_pad(bp_tensor_t *x, uint32_t num_pad, const int64_t *pad, double value,
                          bp_tensor_t **out);
/* Concatenation along an existing dim (torch.cat): shapes match except in
 * dim; 1-D empty tensors are skipped, as in torch; dtype result_type of
 * all. */
BP_API bp_status_t bp_cat(uint32_t num_tensors, bp_tensor_t *const *tensors, int64_t dim,
                          bp_tensor_t **out);
BP_API bp_status_t bp_cat_out(uint32_t num_tensors, bp_tensor_t *const *tensors, int64_t dim,
                              bp_tensor_t *out);
/* Stacks equal-shaped tensors along a new dim (torch.stack). */
BP_API bp_status_t bp_stack(uint32_t num_tensors, bp_tensor_t *const *tensors, int64_t dim,
                            bp_tensor_t **out);
BP_API bp_status_t bp_stack_out(uint32_t num_tensors, bp_tensor_t *const *tensors, int64_t dim,
                                bp_tensor_t *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_SHAPE_H_ */
