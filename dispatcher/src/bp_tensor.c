/* bp_tensor.c - storages, tensors and views. */
#include <stdlib.h>
#include <string.h>

#include "bp_internal.h"

/* A fresh tensor and its storage live in one allocation: one malloc on the
 * hot path instead of two. The block is freed when the storage goes, which
 * is never before the tensor goes (the tensor holds a storage reference). */
typedef struct bp_tensor_block {
  bp_tensor_t tensor;
  bp_storage_t storage;
} bp_tensor_block_t;


static bp_status_t check_device(const char *fn, const bp_device_t *device) {
  if (!device) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: device is NULL", fn);
  if (!device->alive)
    return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                   "%s: device %s belongs to an unloaded plugin", fn, device->name);
  return BP_STATUS_OK;
}

static bp_status_t check_tensor(const char *fn, const char *arg, const bp_tensor_t *t) {
  if (!t) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: %s is NULL", fn, arg);
  return BP_STATUS_OK;
}

static bool dtype_ok(bp_dtype_t d) { return d > BP_DTYPE_INVALID && d < BP_DTYPE_COUNT_V1_0; }

int64_t bp_contiguous_strides(int32_t ndim, const int64_t *shape, int64_t *out_strides,
                              size_t dtype_size) {
  int64_t numel = 1;
  bool zero = false;
  for (int32_t i = ndim - 1; i >= 0; --i) {
    out_strides[i] = numel;
    if (shape[i] == 0) zero = true;
    int64_t s = shape[i] > 1 ? shape[i] : 1;
    if (__builtin_mul_overflow(numel, s, &numel)) return -1;
  }
  int64_t bytes;
  if (__builtin_mul_overflow(numel, (int64_t)dtype_size, &bytes)) return -1;
  return zero ? 0 : numel;
}

bool bp_strides_contiguous(int32_t ndim, const int64_t *shape, const int64_t *strides) {
  int64_t expected = 1;
  for (int32_t i = ndim - 1; i >= 0; --i) {
    if (shape[i] == 0) return true;
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

static void storage_release(bp_storage_t *s) {
  if (atomic_fetch_sub_explicit(&s->refcount, 1, memory_order_acq_rel) != 1) return;
  bp_device_t *dev = s->device;
  if (s->buffer) dev->plugin->api->buffer_free(dev->plugin->ctx, dev->index, s->buffer);
  atomic_fetch_sub_explicit(&dev->live_storages, 1, memory_order_relaxed);
  if (s->embedded)
    free((char *)s - offsetof(bp_tensor_block_t, storage));
  else
    free(s);
}

static bp_status_t check_shape(const char *fn, int32_t ndim, const int64_t *shape) {
  if (ndim < 0 || ndim > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: ndim %d out of range (expected 0..%d)", fn,
                   ndim, BP_MAX_DIMS);
  if (ndim > 0 && !shape) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape is NULL", fn);
  for (int32_t i = 0; i < ndim; ++i)
    if (shape[i] < 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape[%d] is %lld (expected >= 0)", fn, i,
                     (long long)shape[i]);
  return BP_STATUS_OK;
}

/* The allocation behind bp_tensor_create, with the public checks done. */
static bp_status_t tensor_allocate(const char *fn, bp_device_t *device, bp_dtype_t dtype,
                                   int32_t ndim, const int64_t *shape, bp_tensor_t **out) {
  size_t esize = bp_abi_dtype_size(dtype);
  int64_t strides[BP_MAX_DIMS];
  int64_t numel = bp_contiguous_strides(ndim, shape, strides, esize);
  if (numel < 0) {
    char buf[512];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape %s of %s overflows the size range", fn,
                   bp_format_shape(buf, sizeof(buf), ndim, shape), bp_dtype_name(dtype));
  }
  uint64_t nbytes = (uint64_t)numel * esize;
  bp_tensor_block_t *block = malloc(sizeof(*block));
  if (!block) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: out of host memory", fn);
  void *buffer = NULL;
  if (nbytes > 0) {
    const bp_plugin_t *p = device->plugin;
    bp_status_t status = p->api->buffer_alloc(p->ctx, device->index, nbytes, &buffer);
    if (status != BP_STATUS_OK) {
      free(block);
      const char *msg = bp_plugin_error_take();
      return bp_fail(status == BP_STATUS_OUT_OF_MEMORY ? status : BP_STATUS_DEVICE_ERROR,
                     "%s: allocating %llu bytes on %s failed (%s)%s%s", fn,
                     (unsigned long long)nbytes, device->name, bp_status_name(status),
                     *msg ? ": " : "", msg);
    }
  }
  bp_storage_t *s = &block->storage;
  atomic_init(&s->refcount, 1);
  s->embedded = true;
  s->device = device;
  s->buffer = buffer;
  s->nbytes = nbytes;
  atomic_init(&s->version, 0);
  atomic_fetch_add_explicit(&device->live_storages, 1, memory_order_relaxed);
  bp_tensor_t *t = &block->tensor;
  atomic_init(&t->refcount, 1);
  t->dtype = dtype;
  t->ndim = ndim;
  t->autograd = NULL;
  t->wrapped_number = false;
  t->storage = s;
  t->offset = 0;
  t->numel = numel;
  if (ndim > 0) {
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    memcpy(t->strides, strides, sizeof(int64_t) * (size_t)ndim);
  }
  *out = t;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_create(bp_device_t *device, bp_dtype_t dtype, int32_t ndim,
                             const int64_t *shape, bp_tensor_t **out_tensor) {
  static const char fn[] = "bp_tensor_create";
  bp_status_t status = check_device(fn, device);
  if (status) return status;
  if (!dtype_ok(dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: dtype %u is not a dtype", fn,
                   (unsigned)dtype);
  if (!(device->props.dtype_mask & BP_DTYPE_BIT(dtype)))
    return bp_fail(BP_STATUS_UNSUPPORTED, "%s: device %s cannot store %s tensors", fn,
                   device->name, bp_dtype_name(dtype));
  if ((status = check_shape(fn, ndim, shape))) return status;
  if (!out_tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_tensor is NULL", fn);
  return tensor_allocate(fn, device, dtype, ndim, shape, out_tensor);
}

bp_tensor_t *bp_tensor_retain(bp_tensor_t *tensor) {
  if (tensor) atomic_fetch_add_explicit(&tensor->refcount, 1, memory_order_relaxed);
  return tensor;
}

void bp_tensor_release(bp_tensor_t *tensor) {
  if (!tensor) return;
  if (atomic_fetch_sub_explicit(&tensor->refcount, 1, memory_order_acq_rel) != 1) return;
  if (tensor->autograd) bp_autograd_meta_free(tensor);
  bp_storage_t *s = tensor->storage;
  bool embedded_here =
      s->embedded && (char *)s - offsetof(bp_tensor_block_t, storage) == (char *)tensor;
  storage_release(s);
  if (!embedded_here) free(tensor);
}

/* The view itself, with no autograd recording. */
static bp_status_t make_view_plain(bp_tensor_t *base, int32_t ndim, const int64_t *shape,
                                   const int64_t *strides, int64_t offset, bp_tensor_t **out) {
  bp_tensor_t *t = malloc(sizeof(*t));
  if (!t) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "out of host memory for a tensor view");
  atomic_init(&t->refcount, 1);
  t->dtype = base->dtype;
  t->ndim = ndim;
  t->autograd = NULL;
  t->wrapped_number = false;
  t->storage = base->storage;
  atomic_fetch_add_explicit(&t->storage->refcount, 1, memory_order_relaxed);
  t->offset = offset;
  int64_t numel = 1;
  for (int32_t i = 0; i < ndim; ++i) {
    t->shape[i] = shape[i];
    t->strides[i] = strides[i];
    numel *= shape[i];
  }
  t->numel = numel;
  *out = t;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_alias(bp_tensor_t *t, bp_tensor_t **out) {
  return make_view_plain(t, t->ndim, t->shape, t->strides, t->offset, out);
}

/* Every view goes through here: a view of a tensor that requires grad is
 * recorded (the expand kind by bp_tensor_expand). */
static bp_status_t make_view_recorded(bp_tensor_t *base, int32_t ndim, const int64_t *shape,
                                      const int64_t *strides, int64_t offset, bool expand,
                                      bp_tensor_t **out) {
  bp_tensor_t *t = NULL;
  bp_status_t s = make_view_plain(base, ndim, shape, strides, offset, &t);
  if (s) return s;
  if (bp_autograd_should_record(1, &base)) {
    s = bp_autograd_record_view(base, t, expand);
    if (s) {
      bp_tensor_release(t);
      return s;
    }
  }
  *out = t;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_make_view(bp_tensor_t *base, int32_t ndim, const int64_t *shape,
                                const int64_t *strides, int64_t offset, bp_tensor_t **out) {
  return make_view_recorded(base, ndim, shape, strides, offset, false, out);
}

bool bp_tensor_span(const bp_tensor_t *t, uint64_t *out_first, uint64_t *out_end) {
  if (t->numel == 0) return false;
  int64_t last = t->offset;
  for (int32_t i = 0; i < t->ndim; ++i) last += (t->shape[i] - 1) * t->strides[i];
  size_t esize = bp_abi_dtype_size(t->dtype);
  *out_first = (uint64_t)t->offset * esize;
  *out_end = (uint64_t)(last + 1) * esize;
  return true;
}

bool bp_tensor_has_internal_overlap(const bp_tensor_t *t) {
  if (t->numel == 0) return false;
  for (int32_t i = 0; i < t->ndim; ++i)
    if (t->strides[i] == 0 && t->shape[i] > 1) return true;
  return false;
}

void bp_tensor_fill_desc(const bp_tensor_t *t, bp_tensor_desc_t *desc) {
  desc->struct_size = sizeof(*desc);
  desc->dtype = t->dtype;
  desc->device_index = t->storage->device->index;
  desc->ndim = t->ndim;
  desc->data = t->storage->buffer;
  desc->byte_offset = (uint64_t)t->offset * bp_abi_dtype_size(t->dtype);
  desc->shape = t->shape;
  desc->strides = t->strides;
}

/* ---- accessors ---- */

int32_t bp_tensor_ndim(const bp_tensor_t *t) { return t ? t->ndim : 0; }
const int64_t *bp_tensor_shape(const bp_tensor_t *t) { return t ? t->shape : NULL; }
const int64_t *bp_tensor_strides(const bp_tensor_t *t) { return t ? t->strides : NULL; }
int64_t bp_tensor_offset(const bp_tensor_t *t) { return t ? t->offset : 0; }
int64_t bp_tensor_numel(const bp_tensor_t *t) { return t ? t->numel : 0; }
bp_dtype_t bp_tensor_dtype(const bp_tensor_t *t) { return t ? t->dtype : BP_DTYPE_INVALID; }
bp_device_t *bp_tensor_device(const bp_tensor_t *t) { return t ? t->storage->device : NULL; }
int bp_tensor_is_contiguous(const bp_tensor_t *t) {
  return t ? bp_strides_contiguous(t->ndim, t->shape, t->strides) : 0;
}

/* ---- views ---- */

static bp_status_t normalize_dim(const char *fn, int64_t dim, int32_t ndim, int32_t *out) {
  if (dim < -(int64_t)ndim || dim >= ndim)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: dim %lld out of range for a %d-d tensor (expected %d..%d)", fn,
                   (long long)dim, ndim, -ndim, ndim - 1);
  *out = (int32_t)(dim < 0 ? dim + ndim : dim);
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_as_strided(bp_tensor_t *tensor, int32_t ndim, const int64_t *shape,
                                 const int64_t *strides, int64_t offset,
                                 bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_as_strided";
  bp_status_t status = check_tensor(fn, "tensor", tensor);
  if (status || (status = check_shape(fn, ndim, shape))) return status;
  if (ndim > 0 && !strides) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: strides is NULL", fn);
  if (!out_view) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_view is NULL", fn);
  if (offset < 0)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: offset %lld is negative", fn,
                   (long long)offset);
  int64_t last = offset;
  bool empty = false;
  for (int32_t i = 0; i < ndim; ++i) {
    if (strides[i] < 0)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: strides[%d] is %lld (expected >= 0)", fn,
                     i, (long long)strides[i]);
    if (shape[i] == 0) empty = true;
    int64_t step;
    if (shape[i] > 0 && (__builtin_mul_overflow(shape[i] - 1, strides[i], &step) ||
                         __builtin_add_overflow(last, step, &last)))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: the view's extent overflows", fn);
  }
  uint64_t capacity = tensor->storage->nbytes / bp_abi_dtype_size(tensor->dtype);
  if (!empty && (uint64_t)last >= capacity)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: the view reaches element %lld but the storage holds %llu elements", fn,
                   (long long)last, (unsigned long long)capacity);
  return bp_tensor_make_view(tensor, ndim, shape, strides, offset, out_view);
}

bp_status_t bp_tensor_permute(bp_tensor_t *tensor, const int32_t *dims, bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_permute";
  bp_status_t status = check_tensor(fn, "tensor", tensor);
  if (status) return status;
  if (tensor->ndim > 0 && !dims) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: dims is NULL", fn);
  if (!out_view) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_view is NULL", fn);
  int64_t shape[BP_MAX_DIMS], strides[BP_MAX_DIMS];
  bool seen[BP_MAX_DIMS] = {false};
  for (int32_t i = 0; i < tensor->ndim; ++i) {
    int32_t d = 0;
    if ((status = normalize_dim(fn, dims[i], tensor->ndim, &d))) return status;
    if (seen[d])
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: dim %d appears twice in dims", fn, d);
    seen[d] = true;
    shape[i] = tensor->shape[d];
    strides[i] = tensor->strides[d];
  }
  return bp_tensor_make_view(tensor, tensor->ndim, shape, strides, tensor->offset, out_view);
}

bp_status_t bp_tensor_slice(bp_tensor_t *tensor, int32_t dim, int64_t start, int64_t end,
                            int64_t step, bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_slice";
  bp_status_t status = check_tensor(fn, "tensor", tensor);
  if (status) return status;
  if (!out_view) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_view is NULL", fn);
  int32_t d = 0;
  if ((status = normalize_dim(fn, dim, tensor->ndim, &d))) return status;
  if (step < 1)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: step %lld must be >= 1", fn, (long long)step);
  int64_t size = tensor->shape[d];
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0) start = 0;
  if (start > size) start = size;
  if (end > size) end = size;
  if (end < start) end = start;
  int64_t shape[BP_MAX_DIMS], strides[BP_MAX_DIMS];
  memcpy(shape, tensor->shape, sizeof(int64_t) * (size_t)tensor->ndim);
  memcpy(strides, tensor->strides, sizeof(int64_t) * (size_t)tensor->ndim);
  shape[d] = (end - start + step - 1) / step;
  strides[d] = tensor->strides[d] * step;
  int64_t offset = tensor->offset + (shape[d] > 0 ? start * tensor->strides[d] : 0);
  return bp_tensor_make_view(tensor, tensor->ndim, shape, strides, offset, out_view);
}

bp_status_t bp_tensor_expand(bp_tensor_t *tensor, int32_t ndim, const int64_t *shape,
                             bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_expand";
  bp_status_t status = check_tensor(fn, "tensor", tensor);
  if (status) return status;
  if (ndim < tensor->ndim || ndim > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: ndim %d must be between the tensor's %d and %d", fn, ndim, tensor->ndim,
                   BP_MAX_DIMS);
  if (ndim > 0 && !shape) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape is NULL", fn);
  if (!out_view) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_view is NULL", fn);
  int64_t new_shape[BP_MAX_DIMS], strides[BP_MAX_DIMS];
  int32_t lead = ndim - tensor->ndim;
  for (int32_t i = 0; i < ndim; ++i) {
    int32_t j = i - lead;
    int64_t want = shape[i];
    if (j < 0) {
      if (want < 0)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape[%d] is %lld for a new dim", fn, i,
                       (long long)want);
      new_shape[i] = want;
      strides[i] = 0;
      continue;
    }
    int64_t have = tensor->shape[j];
    if (want == -1) want = have;
    if (want < 0 || (have != want && have != 1)) {
      char buf[512];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: cannot expand dim %d of shape %s from %lld to %lld (only size-1 dims "
                     "expand)", fn, j, bp_format_shape(buf, sizeof(buf), tensor->ndim,
                                                        tensor->shape),
                     (long long)have, (long long)want);
    }
    new_shape[i] = want;
    strides[i] = have == want ? tensor->strides[j] : 0;
  }
  return make_view_recorded(tensor, ndim, new_shape, strides, tensor->offset, true, out_view);
}

bp_status_t bp_tensor_view(bp_tensor_t *tensor, int32_t ndim, const int64_t *shape,
                           bp_tensor_t **out_view) {
  static const char fn[] = "bp_tensor_view";
  bp_status_t status = check_tensor(fn, "tensor", tensor);
  if (status) return status;
  if (ndim < 0 || ndim > BP_MAX_DIMS)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: ndim %d out of range (expected 0..%d)", fn,
                   ndim, BP_MAX_DIMS);
  if (ndim > 0 && !shape) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape is NULL", fn);
  if (!out_view) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_view is NULL", fn);
  int64_t new_shape[BP_MAX_DIMS];
  int32_t infer = -1;
  int64_t known = 1;
  for (int32_t i = 0; i < ndim; ++i) {
    if (shape[i] == -1) {
      if (infer >= 0)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: only one dim may be -1", fn);
      infer = i;
      continue;
    }
    if (shape[i] < 0 || __builtin_mul_overflow(known, shape[i], &known))
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape[%d] = %lld is invalid", fn, i,
                     (long long)shape[i]);
    new_shape[i] = shape[i];
  }
  if (infer >= 0) {
    if (known == 0 || tensor->numel % known)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: cannot infer the -1 dim: %lld elements over %lld", fn,
                     (long long)tensor->numel, (long long)known);
    new_shape[infer] = tensor->numel / known;
    known *= new_shape[infer];
  }
  if (known != tensor->numel) {
    char a[512], b[512];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: shape %s is invalid for %s (%lld elements)",
                   fn, bp_format_shape(b, sizeof(b), ndim, new_shape),
                   bp_format_shape(a, sizeof(a), tensor->ndim, tensor->shape),
                   (long long)tensor->numel);
  }
  /* Walk both shapes in chunks of equal element count (torch's
   * computeStride): each chunk of the old shape must be contiguous in
   * itself to be re-split. */
  int64_t strides[BP_MAX_DIMS];
  int32_t view_d = ndim - 1;
  int64_t chunk_base_stride = tensor->ndim ? tensor->strides[tensor->ndim - 1] : 1;
  int64_t tensor_numel = 1, view_numel = 1;
  for (int32_t d = tensor->numel && tensor->ndim ? tensor->ndim - 1 : -1; d >= 0; --d) {
    tensor_numel *= tensor->shape[d];
    if (d == 0 || (tensor->shape[d - 1] != 1 &&
                   tensor->strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel)
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "%s: the tensor's strides do not allow this view; copy it to a "
                       "contiguous tensor first", fn);
      if (d > 0) {
        chunk_base_stride = tensor->strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (tensor->numel == 0 || tensor->ndim == 0) {
    bp_contiguous_strides(ndim, new_shape, strides, 1);
  } else if (view_d != -1) {
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: the tensor's strides do not allow this view; copy it to a "
                   "contiguous tensor first", fn);
  }
  return bp_tensor_make_view(tensor, ndim, new_shape, strides, tensor->offset, out_view);
}
