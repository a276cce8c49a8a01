/* bp_views.c - the view functions beyond bp_tensor.c's (transpose, select,
 * narrow, squeeze, unsqueeze, flatten, split, chunk), reshape (a view when
 * the strides allow, else a contiguous copy), contiguous and cast. Views
 * only change metadata: no kernel runs, no element moves. */
#include <string.h>

#include "bp_op_util_shape.h"

static bp_status_t check_args(const char *fn, const bp_tensor_t *t, const void *out) {
  if (!t) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out is NULL", fn);
  return BP_STATUS_OK;
}

/* A view of t with its own offset and geometry copied, for editing. */
typedef struct geometry {
  int32_t ndim;
  int64_t shape[BP_MAX_DIMS];
  int64_t strides[BP_MAX_DIMS];
  int64_t offset;
} geometry_t;

static void geometry_of(const bp_tensor_t *t, geometry_t *g) {
  g->ndim = t->ndim;
  memcpy(g->shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
  memcpy(g->strides, t->strides, sizeof(int64_t) * (size_t)t->ndim);
  g->offset = t->offset;
}

static void geometry_remove(geometry_t *g, int32_t d) {
  for (int32_t i = d; i + 1 < g->ndim; ++i) {
    g->shape[i] = g->shape[i + 1];
    g->strides[i] = g->strides[i + 1];
  }
  g->ndim--;
}

static bp_status_t make(bp_tensor_t *t, const geometry_t *g, bp_tensor_t **out) {
  return bp_tensor_make_view(t, g->ndim, g->shape, g->strides, g->offset, out);
}

bp_status_t bp_tensor_transpose(bp_tensor_t *tensor, int64_t dim0, int64_t dim1,
                                bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_transpose";
  bp_status_t s = check_args(fn, tensor, out_view);
  int32_t n = tensor ? tensor->ndim : 0, rank = n > 0 ? n : 1, a = 0, b = 0;
  if (s || (s = bp_shape_wrap_dim(fn, "dim0", dim0, n, rank, &a)) ||
      (s = bp_shape_wrap_dim(fn, "dim1", dim1, n, rank, &b)))
    return s;
  geometry_t g;
  geometry_of(tensor, &g);
  if (n > 0) {
    g.shape[a] = tensor->shape[b];
    g.strides[a] = tensor->strides[b];
    g.shape[b] = tensor->shape[a];
    g.strides[b] = tensor->strides[a];
  }
  return make(tensor, &g, out_view);
}

bp_status_t bp_tensor_select(bp_tensor_t *tensor, int64_t dim, int64_t index,
                             bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_select";
  bp_status_t s = check_args(fn, tensor, out_view);
  int32_t d = 0;
  if (s || (s = bp_shape_wrap_dim(fn, "dim", dim, tensor->ndim, tensor->ndim, &d))) return s;
  int64_t size = tensor->shape[d];
  if (index < -size || index >= size)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: index %lld out of range for dim %d of size %lld (expected %lld..%lld)", fn,
                   (long long)index, d, (long long)size, (long long)-size, (long long)size - 1);
  if (index < 0) index += size;
  geometry_t g;
  geometry_of(tensor, &g);
  g.offset += index * tensor->strides[d];
  geometry_remove(&g, d);
  return make(tensor, &g, out_view);
}

bp_status_t bp_tensor_narrow(bp_tensor_t *tensor, int64_t dim, int64_t start, int64_t length,
                             bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_narrow";
  bp_status_t s = check_args(fn, tensor, out_view);
  int32_t d = 0;
  if (s || (s = bp_shape_wrap_dim(fn, "dim", dim, tensor->ndim, tensor->ndim, &d))) return s;
  int64_t size = tensor->shape[d];
  if (start < -size || start > size)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: start %lld out of range for dim %d of size %lld (expected %lld..%lld)", fn,
                   (long long)start, d, (long long)size, (long long)-size, (long long)size);
  if (start < 0) start += size;
  if (length < 0 || length > size - start)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: length %lld with start %lld exceeds dim %d of size %lld (expected "
                   "0..%lld)", fn, (long long)length, (long long)start, d, (long long)size,
                   (long long)(size - start));
  geometry_t g;
  geometry_of(tensor, &g);
  g.shape[d] = length;
  if (length > 0) g.offset += start * tensor->strides[d];
  return make(tensor, &g, out_view);
}

bp_status_t bp_tensor_squeeze(bp_tensor_t *tensor, bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_squeeze";
  bp_status_t s = check_args(fn, tensor, out_view);
  if (s) return s;
  geometry_t g;
  geometry_of(tensor, &g);
  for (int32_t d = g.ndim - 1; d >= 0; --d)
    if (g.shape[d] == 1) geometry_remove(&g, d);
  return make(tensor, &g, out_view);
}

bp_status_t bp_tensor_squeeze_dims(bp_tensor_t *tensor, uint32_t num_dims, const int64_t *dims,
                                   bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_squeeze_dims";
  bp_status_t s = check_args(fn, tensor, out_view);
  if (s) return s;
  if (num_dims && !dims)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: dims is NULL but num_dims is %u", fn,
                   num_dims);
  int32_t n = tensor->ndim, rank = n > 0 ? n : 1;
  uint64_t mask = 0;
  for (uint32_t i = 0; i < num_dims; ++i) {
    int32_t d = 0;
    if ((s = bp_shape_wrap_dim(fn, "dim", dims[i], n, rank, &d))) return s;
    if (mask & (1ull << d))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: dim %d appears twice in dims", fn, d);
    mask |= 1ull << d;
  }
  geometry_t g;
  geometry_of(tensor, &g);
  for (int32_t d = n - 1; d >= 0; --d)
    if ((mask & (1ull << d)) && g.shape[d] == 1) geometry_remove(&g, d);
  return make(tensor, &g, out_view);
}

bp_status_t bp_tensor_unsqueeze(bp_tensor_t *tensor, int64_t dim, bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_unsqueeze";
  bp_status_t s = check_args(fn, tensor, out_view);
  int32_t d = 0;
  if (s || (s = bp_shape_wrap_dim(fn, "dim", dim, tensor->ndim, tensor->ndim + 1, &d))) return s;
  if (tensor->ndim >= BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: the tensor already has %d dims (the most)",
                   fn, BP_MAX_DIMS);
  geometry_t g;
  geometry_of(tensor, &g);
  for (int32_t i = g.ndim; i > d; --i) {
    g.shape[i] = g.shape[i - 1];
    g.strides[i] = g.strides[i - 1];
  }
  /* torch's stride for the new dim: what a contiguous size-1 dim would have. */
  g.shape[d] = 1;
  g.strides[d] = d < g.ndim ? tensor->shape[d] * tensor->strides[d] : 1;
  g.ndim++;
  return make(tensor, &g, out_view);
}

/* The shape with -1 resolved, or INVALID_ARGUMENT. */
static bp_status_t resolve_shape(const char *fn, const bp_tensor_t *t, int32_t ndim,
                                 const int64_t *shape, int64_t *out) {
  if (ndim < 0 || ndim > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: ndim %d out of range (expected 0..%d)", fn,
                   ndim, BP_MAX_DIMS);
  if (ndim > 0 && !shape) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape is NULL", fn);
  int32_t infer = -1;
  int64_t known = 1;
  for (int32_t i = 0; i < ndim; ++i) {
    out[i] = shape[i];
    if (shape[i] == -1) {
      if (infer >= 0)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: only one dim may be -1", fn);
      infer = i;
    } else if (shape[i] < 0 || __builtin_mul_overflow(known, shape[i], &known)) {
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape[%d] = %lld is invalid", fn, i,
                     (long long)shape[i]);
    }
  }
  if (infer >= 0) {
    if (known == 0 || t->numel % known) {
      char a[512];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: cannot infer the -1 dim of a shape with %lld known elements for %s "
                     "(%lld elements)", fn, (long long)known,
                     bp_format_shape(a, sizeof(a), t->ndim, t->shape), (long long)t->numel);
    }
    out[infer] = t->numel / known;
    known *= out[infer];
  }
  if (known != t->numel) {
    char a[512], b[512];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape %s is invalid for %s (%lld elements)",
                   fn, bp_format_shape(b, sizeof(b), ndim, out),
                   bp_format_shape(a, sizeof(a), t->ndim, t->shape), (long long)t->numel);
  }
  return BP_STATUS_OK;
}

static bp_status_t contiguous_copy(const char *fn, bp_tensor_t *t, bp_dtype_t dtype,
                                   bp_tensor_t **out) {
  bp_tensor_t *c = NULL;
  bp_status_t s = bp_tensor_create(t->storage->device, dtype, t->ndim, t->shape, &c);
  if (!s) s = bp_copy(c, t);
  if (s) {
    bp_tensor_release(c);
    return bp_fail_context(s, "%s", fn);
  }
  *out = c;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_reshape(bp_tensor_t *tensor, int32_t ndim, const int64_t *shape,
                              bp_tensor_t **out_tensor) {
  static const char fn[] = "bp_tensor_reshape";
  bp_status_t s = check_args(fn, tensor, out_tensor);
  int64_t resolved[BP_MAX_DIMS];
  if (s || (s = resolve_shape(fn, tensor, ndim, shape, resolved))) return s;
  if (bp_tensor_view(tensor, ndim, resolved, out_tensor) == BP_STATUS_OK) return BP_STATUS_OK;
  /* The strides do not allow a view (the shape is valid): copy, as torch. */
  bp_clear_error();
  bp_tensor_t *c = NULL;
  if ((s = contiguous_copy(fn, tensor, tensor->dtype, &c))) return s;
  s = bp_tensor_view(c, ndim, resolved, out_tensor);
  bp_tensor_release(c);
  return s;
}

bp_status_t bp_tensor_flatten(bp_tensor_t *tensor, int64_t start_dim, int64_t end_dim,
                              bp_tensor_t **out_tensor) {
  static const char fn[] = "bp_tensor_flatten";
  bp_status_t s = check_args(fn, tensor, out_tensor);
  int32_t n = tensor ? tensor->ndim : 0, rank = n > 0 ? n : 1, a = 0, b = 0;
  if (s || (s = bp_shape_wrap_dim(fn, "start_dim", start_dim, n, rank, &a)) ||
      (s = bp_shape_wrap_dim(fn, "end_dim", end_dim, n, rank, &b)))
    return s;
  if (a > b)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: start_dim %lld comes after end_dim %lld (expected start_dim <= end_dim)",
                   fn, (long long)start_dim, (long long)end_dim);
  if (n == 0) {
    int64_t one = 1;
    return bp_tensor_reshape(tensor, 1, &one, out_tensor);
  }
  int64_t shape[BP_MAX_DIMS];
  int32_t k = 0;
  for (int32_t d = 0; d < a; ++d) shape[k++] = tensor->shape[d];
  int64_t m = 1;
  for (int32_t d = a; d <= b; ++d) m *= tensor->shape[d];
  shape[k++] = m;
  for (int32_t d = b + 1; d < n; ++d) shape[k++] = tensor->shape[d];
  return bp_tensor_reshape(tensor, k, shape, out_tensor);
}

bp_status_t bp_tensor_contiguous(bp_tensor_t *tensor, bp_tensor_t **out_tensor) {
  static const char fn[] = "bp_tensor_contiguous";
  bp_status_t s = check_args(fn, tensor, out_tensor);
  if (s) return s;
  if (bp_strides_contiguous(tensor->ndim, tensor->shape, tensor->strides)) {
    *out_tensor = bp_tensor_retain(tensor);
    return BP_STATUS_OK;
  }
  return contiguous_copy(fn, tensor, tensor->dtype, out_tensor);
}

bp_status_t bp_tensor_cast(bp_tensor_t *tensor, bp_dtype_t dtype, bp_tensor_t **out_tensor) {
  static const char fn[] = "bp_tensor_cast";
  bp_status_t s = check_args(fn, tensor, out_tensor);
  if (s) return s;
  return contiguous_copy(fn, tensor, dtype, out_tensor);
}

/* ---- split and chunk ---- */

static void release_views(bp_tensor_t **views, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    bp_tensor_release(views[i]);
    views[i] = NULL;
  }
}

/* Views of consecutive pieces of dim d with the given sizes (checked). */
static bp_status_t split_into(const char *fn, bp_tensor_t *t, int32_t d, uint32_t count,
                              const int64_t *sizes, int64_t uniform, bp_tensor_t **out_views) {
  int64_t start = 0;
  for (uint32_t i = 0; i < count; ++i) {
    int64_t len = sizes ? sizes[i] : uniform;
    if (!sizes && start + len > t->shape[d]) len = t->shape[d] - start;
    geometry_t g;
    geometry_of(t, &g);
    g.shape[d] = len;
    if (len > 0) g.offset += start * t->strides[d];
    bp_status_t s = make(t, &g, &out_views[i]);
    if (s) {
      release_views(out_views, i);
      return bp_fail_context(s, "%s", fn);
    }
    start += len;
  }
  return BP_STATUS_OK;
}

static bp_status_t split_uniform(const char *fn, bp_tensor_t *tensor, int64_t split_size,
                                 int64_t dim, bp_tensor_t **out_views, uint32_t capacity,
                                 uint32_t *out_count, uint32_t force_count) {
  if (!tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
  if (!out_count) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_count is NULL", fn);
  if (capacity && !out_views)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_views is NULL", fn);
  int32_t d = 0;
  bp_status_t s = bp_shape_wrap_dim(fn, "dim", dim, tensor->ndim, tensor->ndim, &d);
  if (s) return s;
  int64_t size = tensor->shape[d];
  if (split_size < 0 || (split_size == 0 && size != 0))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: split_size %lld is invalid for dim %d of size %lld (expected >= 1; 0 "
                   "only for an empty dim)", fn, (long long)split_size, d, (long long)size);
  int64_t count = force_count ? force_count
                  : split_size ? (size + split_size - 1) / split_size : 1;
  if (count < 1) count = 1;
  if ((uint64_t)count > capacity)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: makes %lld views but out_views holds %u", fn, (long long)count, capacity);
  if ((s = split_into(fn, tensor, d, (uint32_t)count, NULL, split_size, out_views))) return s;
  *out_count = (uint32_t)count;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_split(bp_tensor_t *tensor, int64_t split_size, int64_t dim,
                            bp_tensor_t **out_views, uint32_t capacity, uint32_t *out_count) {
  return split_uniform("bp_tensor_split", tensor, split_size, dim, out_views, capacity,
                       out_count, 0);
}

bp_status_t bp_tensor_split_sizes(bp_tensor_t *tensor, uint32_t num_sizes, const int64_t *sizes,
                                  int64_t dim, bp_tensor_t **out_views) {
  static const char fn[] = "bp_tensor_split_sizes";
  if (!tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
  if (num_sizes == 0 || !sizes || !out_views)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: expected num_sizes >= 1 with sizes and out_views arrays", fn);
  int32_t d = 0;
  bp_status_t s = bp_shape_wrap_dim(fn, "dim", dim, tensor->ndim, tensor->ndim, &d);
  if (s) return s;
  int64_t total = 0;
  for (uint32_t i = 0; i < num_sizes; ++i) {
    if (sizes[i] < 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: sizes[%u] is %lld (expected >= 0)", fn, i,
                     (long long)sizes[i]);
    if (__builtin_add_overflow(total, sizes[i], &total)) total = INT64_MAX;
  }
  if (total != tensor->shape[d])
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: sizes add up to %lld but dim %d has size %lld", fn, (long long)total, d,
                   (long long)tensor->shape[d]);
  return split_into(fn, tensor, d, num_sizes, sizes, 0, out_views);
}

bp_status_t bp_tensor_chunk(bp_tensor_t *tensor, int64_t chunks, int64_t dim,
                            bp_tensor_t **out_views, uint32_t capacity, uint32_t *out_count) {
  static const char fn[] = "bp_tensor_chunk";
  if (!tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
  if (chunks < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: chunks %lld must be >= 1", fn,
                   (long long)chunks);
  int32_t d = 0;
  bp_status_t s = bp_shape_wrap_dim(fn, "dim", dim, tensor->ndim, tensor->ndim, &d);
  if (s) return s;
  int64_t size = tensor->shape[d];
  int64_t split_size = size / chunks + (size % chunks != 0);
  /* torch: an empty dim gives `chunks` empty pieces, not one. */
  uint32_t force = 0;
  if (size == 0) {
    if ((uint64_t)chunks > capacity)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: makes %lld views but out_views holds %u",
                     fn, (long long)chunks, capacity);
    force = (uint32_t)chunks;
  }
  return split_uniform(fn, tensor, split_size, dim, out_views, capacity, out_count, force);
}
