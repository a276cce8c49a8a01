/* dnnl_memory.c - buffers and copies. On oneDNN's CPU engine device memory
 * is host memory: buffers come from aligned_alloc (64 bytes, what oneDNN's
 * kernels like) through a pool of freed buffers (dnnl_buffers.c) and copies
 * are memcpy. Kernels finish before they return
 * (dnnl_plugin.h), so every entry here is already ordered after them. */
#include <stdlib.h>
#include <string.h>

#include "dnnl_plugin.h"

static bp_status_t check_device(bp_dnnl_ctx_t *ctx, uint32_t device, const char *fn) {
  if (device != 0)
    return bp_dnnl_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "onednn %s: no device %u (it has 1)", fn,
                        device);
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_buffer_alloc(void *vctx, uint32_t device, uint64_t size, void **out) {
  bp_dnnl_ctx_t *ctx = vctx;
  bp_status_t status = check_device(ctx, device, "buffer_alloc");
  if (status) return status;
  if (out == NULL)
    return bp_dnnl_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "onednn buffer_alloc: out is NULL");
  *out = NULL;
  if (size == 0) return BP_STATUS_OK;
  if (size > ctx->total_memory || size > SIZE_MAX - 64)
    return bp_dnnl_fail(ctx, BP_STATUS_OUT_OF_MEMORY,
                        "onednn buffer_alloc: %llu bytes is more than the machine's %llu",
                        (unsigned long long)size, (unsigned long long)ctx->total_memory);
  void *p = bp_dnnl_buf_alloc(ctx, (size_t)size);
  if (p == NULL)
    return bp_dnnl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "onednn buffer_alloc: aligned_alloc of %llu bytes failed",
                        (unsigned long long)size);
  *out = p;
  return BP_STATUS_OK;
}

void bp_dnnl_buffer_free(void *ctx, uint32_t device, void *buffer) {
  (void)device;
  bp_dnnl_buf_free(ctx, buffer);
}

bp_status_t bp_dnnl_copy_h2d(void *ctx, uint32_t device, void *dst, uint64_t dst_offset,
                             const void *src, uint64_t size) {
  bp_status_t status = check_device(ctx, device, "copy_h2d");
  if (status) return status;
  if (size) memcpy((char *)dst + dst_offset, src, size);
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_copy_d2h(void *ctx, uint32_t device, void *dst, const void *src,
                             uint64_t src_offset, uint64_t size) {
  bp_status_t status = check_device(ctx, device, "copy_d2h");
  if (status) return status;
  if (size) memcpy(dst, (const char *)src + src_offset, size);
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_copy_d2d(void *ctx, uint32_t device, void *dst, uint64_t dst_offset,
                             const void *src, uint64_t src_offset, uint64_t size) {
  bp_status_t status = check_device(ctx, device, "copy_d2d");
  if (status) return status;
  if (size) memmove((char *)dst + dst_offset, (const char *)src + src_offset, size);
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_fill_bytes(void *ctx, uint32_t device, void *dst, uint64_t offset,
                               uint64_t size, const void *pattern, uint32_t pattern_size) {
  bp_status_t status = check_device(ctx, device, "fill");
  if (status) return status;
  if ((pattern_size != 1 && pattern_size != 2 && pattern_size != 4 && pattern_size != 8) ||
      size % pattern_size != 0)
    return bp_dnnl_fail(ctx, BP_STATUS_INVALID_ARGUMENT,
                        "onednn fill: pattern of %u bytes over %llu bytes", pattern_size,
                        (unsigned long long)size);
  char *p = (char *)dst + offset;
  if (pattern_size == 1) {
    memset(p, *(const unsigned char *)pattern, size);
    return BP_STATUS_OK;
  }
  uint64_t done = 0;
  if (size) {
    memcpy(p, pattern, pattern_size);
    done = pattern_size;
  }
  while (done < size) { /* doubling copies */
    uint64_t n = done < size - done ? done : size - done;
    memcpy(p + done, p, n);
    done += n;
  }
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_synchronize(void *vctx, uint32_t device) {
  bp_dnnl_ctx_t *ctx = vctx;
  bp_status_t status = check_device(ctx, device, "synchronize");
  if (status) return status;
  dnnl_status_t s = dnnl_stream_wait(ctx->stream);
  return s == dnnl_success ? BP_STATUS_OK : bp_dnnl_status(ctx, s, "dnnl_stream_wait", "synchronize");
}
