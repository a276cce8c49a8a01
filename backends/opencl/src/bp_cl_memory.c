/* bp_cl_memory.c - buffers (cl_mem), copies, fill and synchronize.
 *
 * copy_h2d and copy_d2h are blocking (ABI-14: the source is read, or the
 * bytes are in place, when they return); copy_d2d and fill are queued. A
 * cl_mem released with commands still queued lives until they finish
 * (OpenCL's own rule), which gives buffer_free its ordering (ABI-19). */
#include <string.h>

#include "bp_cl_internal.h"

bp_status_t bp_cl_buffer_alloc(void *plugin_ctx, uint32_t device, uint64_t size, void **out) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, device, &dev);
  if (s != BP_STATUS_OK) return s;
  if (size == 0) {
    *out = NULL;
    return BP_STATUS_OK;
  }
  if (size > dev->global_mem || size > dev->max_alloc)
    return bp_cl_fail(ctx, BP_STATUS_OUT_OF_MEMORY,
                      "opencl buffer_alloc: %llu bytes is more than %s allows (memory %llu, "
                      "largest buffer %llu)",
                      (unsigned long long)size, dev->name, (unsigned long long)dev->global_mem,
                      (unsigned long long)dev->max_alloc);
  cl_int err = CL_SUCCESS;
  cl_mem mem = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, (size_t)size, NULL, &err);
  BP_CL_RETURN_IF_ERROR(ctx, err, "clCreateBuffer", "buffer_alloc");
  *out = mem;
  return BP_STATUS_OK;
}

void bp_cl_buffer_free(void *plugin_ctx, uint32_t device, void *buffer) {
  (void)plugin_ctx;
  (void)device;
  if (buffer != NULL) clReleaseMemObject((cl_mem)buffer);
}

bp_status_t bp_cl_copy_h2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset,
                           const void *src, uint64_t size) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, device, &dev);
  if (s != BP_STATUS_OK || size == 0) return s;
  BP_CL_RETURN_IF_ERROR(ctx,
                        clEnqueueWriteBuffer(dev->queue, (cl_mem)dst, CL_TRUE, (size_t)dst_offset,
                                             (size_t)size, src, 0, NULL, NULL),
                        "clEnqueueWriteBuffer", "copy_h2d");
  return BP_STATUS_OK;
}

bp_status_t bp_cl_copy_d2h(void *plugin_ctx, uint32_t device, void *dst, const void *src,
                           uint64_t src_offset, uint64_t size) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, device, &dev);
  if (s != BP_STATUS_OK || size == 0) return s;
  BP_CL_RETURN_IF_ERROR(ctx,
                        clEnqueueReadBuffer(dev->queue, (cl_mem)src, CL_TRUE, (size_t)src_offset,
                                            (size_t)size, dst, 0, NULL, NULL),
                        "clEnqueueReadBuffer", "copy_d2h");
  return BP_STATUS_OK;
}

bp_status_t bp_cl_copy_d2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset,
                           const void *src, uint64_t src_offset, uint64_t size) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, device, &dev);
  if (s != BP_STATUS_OK || size == 0) return s;
  bool overlap = dst == src && dst_offset < src_offset + size && src_offset < dst_offset + size;
  if (!overlap) {
    BP_CL_RETURN_IF_ERROR(ctx,
                          clEnqueueCopyBuffer(dev->queue, (cl_mem)src, (cl_mem)dst,
                                              (size_t)src_offset, (size_t)dst_offset,
                                              (size_t)size, 0, NULL, NULL),
                          "clEnqueueCopyBuffer", "copy_d2d");
    return BP_STATUS_OK;
  }
  /* OpenCL refuses overlapping copies (CL_MEM_COPY_OVERLAP): go through a
   * temporary buffer, released once the queue is done with it. */
  cl_int err = CL_SUCCESS;
  cl_mem tmp = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, (size_t)size, NULL, &err);
  BP_CL_RETURN_IF_ERROR(ctx, err, "clCreateBuffer", "copy_d2d (overlapping)");
  err = clEnqueueCopyBuffer(dev->queue, (cl_mem)src, tmp, (size_t)src_offset, 0, (size_t)size, 0,
                            NULL, NULL);
  if (err == CL_SUCCESS)
    err = clEnqueueCopyBuffer(dev->queue, tmp, (cl_mem)dst, 0, (size_t)dst_offset, (size_t)size, 0,
                              NULL, NULL);
  clReleaseMemObject(tmp);
  BP_CL_RETURN_IF_ERROR(ctx, err, "clEnqueueCopyBuffer", "copy_d2d (overlapping)");
  return BP_STATUS_OK;
}

bp_status_t bp_cl_fill(void *plugin_ctx, uint32_t device, void *dst, uint64_t offset,
                       uint64_t size, const void *pattern, uint32_t pattern_size) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  if (pattern_size != 1 && pattern_size != 2 && pattern_size != 4 && pattern_size != 8)
    return bp_cl_fail(ctx, BP_STATUS_INVALID_ARGUMENT,
                      "opencl fill: pattern of %u bytes (1, 2, 4 or 8)", pattern_size);
  if (size % pattern_size != 0)
    return bp_cl_fail(ctx, BP_STATUS_INVALID_ARGUMENT,
                      "opencl fill: %llu bytes is not a multiple of the %u-byte pattern",
                      (unsigned long long)size, pattern_size);
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, device, &dev);
  if (s != BP_STATUS_OK || size == 0) return s;
  if (offset % pattern_size == 0) {
    BP_CL_RETURN_IF_ERROR(ctx,
                          clEnqueueFillBuffer(dev->queue, (cl_mem)dst, pattern, pattern_size,
                                              (size_t)offset, (size_t)size, 0, NULL, NULL),
                          "clEnqueueFillBuffer", "fill");
    return BP_STATUS_OK;
  }
  /* clEnqueueFillBuffer needs offset % pattern_size == 0: a byte kernel. */
  cl_ulong pat = 0;
  memcpy(&pat, pattern, pattern_size); /* little-endian hosts and devices */
  cl_ulong off = offset, sz = size;
  cl_uint ps = pattern_size;
  cl_mem mem = (cl_mem)dst;
  pthread_mutex_lock(&dev->lock);
  cl_kernel k = NULL;
  s = bp_cl_program_kernel(ctx, dev, "", bp_cl_src_memory, "bp_fill_bytes", &k);
  if (s == BP_STATUS_OK) {
    cl_int err = clSetKernelArg(k, 0, sizeof mem, &mem);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof off, &off);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof sz, &sz);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 3, sizeof pat, &pat);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 4, sizeof ps, &ps);
    size_t global = 0, local = 0;
    bp_cl_launch_size(dev, (int64_t)size, &global, &local);
    if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    s = bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", "fill");
  }
  pthread_mutex_unlock(&dev->lock);
  return s;
}

bp_status_t bp_cl_synchronize(void *plugin_ctx, uint32_t device) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  bp_cl_device_t *dev = NULL;
  bp_status_t s = bp_cl_device_get(ctx, device, &dev);
  if (s != BP_STATUS_OK) return s;
  s = bp_cl_check(ctx, clFinish(dev->queue), "clFinish", "synchronize");
  pthread_mutex_lock(&dev->lock);
  bp_cl_check_collect(ctx, dev); /* device-side index checks (bp_cl_nn_check.c) */
  bp_status_t pending = dev->pending;
  char msg[sizeof dev->pending_msg];
  memcpy(msg, dev->pending_msg, sizeof msg);
  dev->pending = BP_STATUS_OK;
  pthread_mutex_unlock(&dev->lock);
  if (s == BP_STATUS_OK && pending != BP_STATUS_OK)
    s = bp_cl_fail(ctx, pending, "opencl synchronize: an earlier kernel failed: %s", msg);
  return s;
}
