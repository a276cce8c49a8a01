/* bp_transfer.c - moving tensor data between devices and the host.
 *
 * Device memory is not host-addressable through the ABI, so every transfer
 * goes through the plugins' copy_h2d/copy_d2h. A non-contiguous tensor is
 * moved as the byte span its elements cover, and gathered or scattered on
 * the host with the reference copy kernel (which also casts and
 * broadcasts), so there is one strided-copy implementation, the oracle's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_op_catalog.h"

static bp_status_t plugin_status(bp_status_t status, const char *what, const bp_device_t *d) {
  const char *msg = bp_plugin_error_take();
  return bp_fail(status == BP_STATUS_OUT_OF_MEMORY ? status : BP_STATUS_DEVICE_ERROR,
                 "%s on %s failed with %s%s%s", what, d->name, bp_status_name(status),
                 *msg ? ": " : "", msg);
}

bp_status_t bp_host_copy(const bp_tensor_desc_t *dst, const bp_tensor_desc_t *src) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  bp_dtype_t sig[2] = {src->dtype, dst->dtype};
  const bp_kernel_entry_t *k = bp_plugin_find_kernel(rt->ref, BP_OP_COPY, bp_signature_key(sig, 2));
  if (!k)
    return bp_fail(BP_STATUS_INTERNAL, "the reference backend has no copy kernel for %s -> %s",
                   bp_dtype_name(src->dtype), bp_dtype_name(dst->dtype));
  const bp_tensor_desc_t *in[1] = {src}, *out[1] = {dst};
  bp_kernel_call_t call = {
      .struct_size = sizeof(call), .op_id = BP_OP_COPY, .op_name = "copy",
      .plugin_ctx = rt->ref->ctx, .kernel_data = k->kernel_data, .device_index = 0,
      .num_inputs = 1, .num_outputs = 1, .num_attrs = 0,
      .inputs = in, .outputs = out, .attrs = NULL,
  };
  bp_status_t status = k->fn(&call);
  if (status) {
    const char *msg = bp_plugin_error_take();
    return bp_fail(BP_STATUS_INTERNAL, "the reference copy kernel failed with %s: %s",
                   bp_status_name(status), msg);
  }
  return BP_STATUS_OK;
}

/* A host descriptor of t's geometry over a buffer holding t's span, whose
 * first byte is the span's first byte. */
static void span_desc(const bp_tensor_t *t, void *span, uint64_t first, bp_tensor_desc_t *d) {
  bp_tensor_fill_desc(t, d);
  d->data = span;
  d->byte_offset = (uint64_t)t->offset * bp_abi_dtype_size(t->dtype) - first;
  d->device_index = 0;
}

static void contiguous_desc(bp_dtype_t dtype, int32_t ndim, const int64_t *shape, int64_t *strides,
                            void *data, bp_tensor_desc_t *d) {
  bp_contiguous_strides(ndim, shape, strides, 1);
  *d = (bp_tensor_desc_t){.struct_size = sizeof(*d), .dtype = dtype, .device_index = 0,
                          .ndim = ndim, .data = data, .byte_offset = 0, .shape = shape,
                          .strides = strides};
}

/* Reads t's elements in row-major order into dst (numel * size bytes). */
static bp_status_t read_to_host(bp_tensor_t *t, void *dst) {
  if (t->numel == 0) return BP_STATUS_OK;
  bp_device_t *dev = t->storage->device;
  const bp_plugin_t *p = dev->plugin;
  size_t esize = bp_abi_dtype_size(t->dtype);
  if (bp_strides_contiguous(t->ndim, t->shape, t->strides)) {
    bp_status_t s = p->api->copy_d2h(p->ctx, dev->index, dst, t->storage->buffer,
                                     (uint64_t)t->offset * esize, (uint64_t)t->numel * esize);
    return s ? plugin_status(s, "copy_d2h", dev) : BP_STATUS_OK;
  }
  uint64_t first, end;
  bp_tensor_span(t, &first, &end);
  void *span = malloc(end - first);
  if (!span) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "out of host memory (%llu bytes)",
                            (unsigned long long)(end - first));
  bp_status_t s = p->api->copy_d2h(p->ctx, dev->index, span, t->storage->buffer, first, end - first);
  if (s) {
    free(span);
    return plugin_status(s, "copy_d2h", dev);
  }
  bp_tensor_desc_t sd, dd;
  int64_t strides[BP_MAX_DIMS];
  span_desc(t, span, first, &sd);
  contiguous_desc(t->dtype, t->ndim, t->shape, strides, dst, &dd);
  s = bp_host_copy(&dd, &sd);
  free(span);
  return s;
}

/* Writes row-major src (t's dtype, numel elements) into t's elements. */
static bp_status_t write_from_host(bp_tensor_t *t, const void *src) {
  if (t->numel == 0) return BP_STATUS_OK;
  bp_device_t *dev = t->storage->device;
  const bp_plugin_t *p = dev->plugin;
  size_t esize = bp_abi_dtype_size(t->dtype);
  if (bp_strides_contiguous(t->ndim, t->shape, t->strides)) {
    bp_status_t s = p->api->copy_h2d(p->ctx, dev->index, t->storage->buffer,
                                     (uint64_t)t->offset * esize, src, (uint64_t)t->numel * esize);
    return s ? plugin_status(s, "copy_h2d", dev) : BP_STATUS_OK;
  }
  /* Read the span, scatter into it, write it back: bytes between the
   * tensor's elements keep their values. */
  uint64_t first, end;
  bp_tensor_span(t, &first, &end);
  void *span = malloc(end - first);
  if (!span) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "out of host memory (%llu bytes)",
                            (unsigned long long)(end - first));
  bp_status_t s = p->api->copy_d2h(p->ctx, dev->index, span, t->storage->buffer, first, end - first);
  if (s) {
    free(span);
    return plugin_status(s, "copy_d2h", dev);
  }
  bp_tensor_desc_t sd, dd;
  int64_t strides[BP_MAX_DIMS];
  span_desc(t, span, first, &dd);
  contiguous_desc(t->dtype, t->ndim, t->shape, strides, (void *)src, &sd);
  s = bp_host_copy(&dd, &sd);
  if (!s) {
    s = p->api->copy_h2d(p->ctx, dev->index, t->storage->buffer, first, span, end - first);
    if (s) s = plugin_status(s, "copy_h2d", dev);
  }
  free(span);
  return s;
}

bp_status_t bp_transfer_copy(bp_tensor_t *dst, bp_tensor_t *src) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  if (!src->storage->device->alive || !dst->storage->device->alive)
    return bp_fail(BP_STATUS_FAILED_PRECONDITION, "bp_copy: a device belongs to an unloaded plugin");
  atomic_fetch_add(&rt->cross_device_copies, 1);
  if (dst->numel == 0) return BP_STATUS_OK;
  size_t src_bytes = (size_t)src->numel * bp_abi_dtype_size(src->dtype);
  size_t dst_bytes = (size_t)dst->numel * bp_abi_dtype_size(dst->dtype);
  void *host_src = malloc(src_bytes ? src_bytes : 1);
  if (!host_src) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_copy: out of host memory");
  bp_status_t s = read_to_host(src, host_src);
  void *host_dst = host_src;
  bool same_geometry = src->dtype == dst->dtype && src->ndim == dst->ndim &&
                       !memcmp(src->shape, dst->shape, sizeof(int64_t) * (size_t)src->ndim);
  if (!s && !same_geometry) {
    host_dst = malloc(dst_bytes);
    if (!host_dst) {
      s = bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_copy: out of host memory");
    } else {
      /* Cast and broadcast on the host. */
      int64_t sstr[BP_MAX_DIMS], dstr[BP_MAX_DIMS], bshape[BP_MAX_DIMS], bstr[BP_MAX_DIMS];
      bp_tensor_desc_t sd, dd;
      contiguous_desc(src->dtype, src->ndim, src->shape, sstr, host_src, &sd);
      contiguous_desc(dst->dtype, dst->ndim, dst->shape, dstr, host_dst, &dd);
      int32_t lead = dst->ndim - src->ndim;
      for (int32_t i = 0; i < dst->ndim; ++i) {
        int32_t j = i - lead;
        bshape[i] = dst->shape[i];
        bstr[i] = (j < 0 || (src->shape[j] == 1 && dst->shape[i] != 1)) ? 0 : sstr[j];
      }
      sd.ndim = dst->ndim;
      sd.shape = bshape;
      sd.strides = bstr;
      s = bp_host_copy(&dd, &sd);
    }
  }
  if (!s) s = write_from_host(dst, host_dst);
  if (host_dst != host_src) free(host_dst);
  free(host_src);
  if (!s) atomic_fetch_add_explicit(&dst->storage->version, 1, memory_order_relaxed);
  return s ? bp_fail_context(s, "bp_copy from %s to %s", src->storage->device->name,
                             dst->storage->device->name)
           : BP_STATUS_OK;
}

/* ---- public host transfers ---- */

bp_status_t bp_tensor_create_from_host(bp_device_t *device, bp_dtype_t dtype, int32_t ndim,
                                       const int64_t *shape, const void *data, size_t nbytes,
                                       bp_tensor_t **out_tensor) {
  static const char fn[] = "bp_tensor_create_from_host";
  if (!out_tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_tensor is NULL", fn);
  bp_tensor_t *t = NULL;
  bp_status_t s = bp_tensor_create(device, dtype, ndim, shape, &t);
  if (s) return bp_fail_context(s, "%s", fn);
  size_t want = (size_t)t->numel * bp_abi_dtype_size(dtype);
  if (nbytes != want) {
    bp_tensor_release(t);
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: nbytes is %zu but the tensor needs %zu", fn,
                   nbytes, want);
  }
  if (want && !data) {
    bp_tensor_release(t);
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: data is NULL", fn);
  }
  s = write_from_host(t, data);
  if (s) {
    bp_tensor_release(t);
    return bp_fail_context(s, "%s", fn);
  }
  *out_tensor = t;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_copy_to_host(bp_tensor_t *tensor, void *dst, size_t nbytes) {
  static const char fn[] = "bp_tensor_copy_to_host";
  if (!tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
  size_t want = (size_t)tensor->numel * bp_abi_dtype_size(tensor->dtype);
  if (nbytes != want)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: nbytes is %zu but the tensor holds %zu", fn,
                   nbytes, want);
  if (want && !dst) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: dst is NULL", fn);
  if (!tensor->storage->device->alive)
    return bp_fail(BP_STATUS_FAILED_PRECONDITION, "%s: device %s belongs to an unloaded plugin",
                   fn, tensor->storage->device->name);
  bp_status_t s = read_to_host(tensor, dst);
  return s ? bp_fail_context(s, "%s", fn) : BP_STATUS_OK;
}

bp_status_t bp_tensor_to(bp_tensor_t *tensor, bp_device_t *device, bp_tensor_t **out_tensor) {
  static const char fn[] = "bp_tensor_to";
  if (!tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
  if (!out_tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_tensor is NULL", fn);
  bp_tensor_t *t = NULL;
  bp_status_t s = bp_tensor_create(device, tensor->dtype, tensor->ndim, tensor->shape, &t);
  if (s) return bp_fail_context(s, "%s", fn);
  s = bp_copy(t, tensor);
  if (s) {
    bp_tensor_release(t);
    return bp_fail_context(s, "%s", fn);
  }
  *out_tensor = t;
  return BP_STATUS_OK;
}

/* ---- scalars ---- */

static bp_status_t create_scalar(const char *fn, bp_dtype_t dtype, const void *value,
                                 bp_tensor_t **out_tensor) {
  if (!out_tensor) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: out_tensor is NULL", fn);
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  bp_tensor_t *t = NULL;
  bp_status_t s = bp_tensor_create_from_host(rt->ref_device, dtype, 0, NULL, value,
                                             bp_abi_dtype_size(dtype), &t);
  if (s) return bp_fail_context(s, "%s", fn);
  t->wrapped_number = true;
  *out_tensor = t;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_create_scalar(double value, bp_tensor_t **out_tensor) {
  return create_scalar("bp_tensor_create_scalar", BP_DTYPE_F64, &value, out_tensor);
}

bp_status_t bp_tensor_create_scalar_int(int64_t value, bp_tensor_t **out_tensor) {
  return create_scalar("bp_tensor_create_scalar_int", BP_DTYPE_I64, &value, out_tensor);
}
