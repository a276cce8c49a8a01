/* ref_memory.c - buffers are 64-byte aligned host memory; every transfer is
 * a synchronous memmove on the calling thread. */
#include <stdlib.h>
#include <string.h>

#include "ref_plugin.h"

#define REF_ALIGNMENT 64u

#define REF_CHECK_DEVICE(ctx, call, device)                                       \
  do {                                                                            \
    if ((device) != 0)                                                            \
      return bp_ref_fail((ctx), BP_STATUS_INVALID_ARGUMENT,                       \
                         "ref %s: no device %u (the reference plugin has 1)",     \
                         (call), (device));                                       \
  } while (0)

#define REF_CHECK_PTR(ctx, call, ptr, size)                                          \
  do {                                                                               \
    if ((ptr) == NULL && (size) != 0)                                                \
      return bp_ref_fail((ctx), BP_STATUS_INVALID_ARGUMENT, "ref %s: %s is NULL",    \
                         (call), #ptr);                                              \
  } while (0)

bp_status_t bp_ref_buffer_alloc(void *plugin_ctx, uint32_t device,
                                uint64_t size, void **out_buffer) {
  REF_CHECK_DEVICE(plugin_ctx, "buffer_alloc", device);
  if (out_buffer == NULL)
    return bp_ref_fail(plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                       "ref buffer_alloc: out_buffer is NULL");
  if (size == 0) {
    *out_buffer = NULL;
    return BP_STATUS_OK;
  }
  const bp_ref_ctx_t *ctx = plugin_ctx;
  uint64_t total = ctx != NULL ? ctx->total_memory : bp_ref_total_memory();
  if (size > total || size > (uint64_t)SIZE_MAX - REF_ALIGNMENT)
    return bp_ref_fail(plugin_ctx, BP_STATUS_OUT_OF_MEMORY,
                       "ref buffer_alloc: %llu bytes is more than the %llu bytes of memory",
                       (unsigned long long)size, (unsigned long long)total);
  /* aligned_alloc wants a multiple of the alignment */
  size_t rounded = (size_t)((size + REF_ALIGNMENT - 1) / REF_ALIGNMENT * REF_ALIGNMENT);
  void *buffer = aligned_alloc(REF_ALIGNMENT, rounded);
  if (buffer == NULL)
    return bp_ref_fail(plugin_ctx, BP_STATUS_OUT_OF_MEMORY,
                       "ref buffer_alloc: allocating %llu bytes failed",
                       (unsigned long long)size);
  *out_buffer = buffer;
  return BP_STATUS_OK;
}

void bp_ref_buffer_free(void *plugin_ctx, uint32_t device, void *buffer) {
  (void)plugin_ctx;
  (void)device;
  free(buffer);
}

bp_status_t bp_ref_copy_h2d(void *plugin_ctx, uint32_t device, void *dst,
                            uint64_t dst_offset, const void *src,
                            uint64_t size) {
  REF_CHECK_DEVICE(plugin_ctx, "copy_h2d", device);
  REF_CHECK_PTR(plugin_ctx, "copy_h2d", dst, size);
  REF_CHECK_PTR(plugin_ctx, "copy_h2d", src, size);
  if (size != 0) memmove((char *)dst + dst_offset, src, (size_t)size);
  return BP_STATUS_OK;
}

bp_status_t bp_ref_copy_d2h(void *plugin_ctx, uint32_t device, void *dst,
                            const void *src, uint64_t src_offset,
                            uint64_t size) {
  REF_CHECK_DEVICE(plugin_ctx, "copy_d2h", device);
  REF_CHECK_PTR(plugin_ctx, "copy_d2h", dst, size);
  REF_CHECK_PTR(plugin_ctx, "copy_d2h", src, size);
  if (size != 0) memmove(dst, (const char *)src + src_offset, (size_t)size);
  return BP_STATUS_OK;
}

bp_status_t bp_ref_copy_d2d(void *plugin_ctx, uint32_t device, void *dst,
                            uint64_t dst_offset, const void *src,
                            uint64_t src_offset, uint64_t size) {
  REF_CHECK_DEVICE(plugin_ctx, "copy_d2d", device);
  REF_CHECK_PTR(plugin_ctx, "copy_d2d", dst, size);
  REF_CHECK_PTR(plugin_ctx, "copy_d2d", src, size);
  if (size != 0)
    memmove((char *)dst + dst_offset, (const char *)src + src_offset, (size_t)size);
  return BP_STATUS_OK;
}

bp_status_t bp_ref_fill_bytes(void *plugin_ctx, uint32_t device, void *dst,
                              uint64_t offset, uint64_t size,
                              const void *pattern, uint32_t pattern_size) {
  REF_CHECK_DEVICE(plugin_ctx, "fill", device);
  if (pattern_size != 1 && pattern_size != 2 && pattern_size != 4 && pattern_size != 8)
    return bp_ref_fail(plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                       "ref fill: pattern_size %u is not 1, 2, 4 or 8", pattern_size);
  if (size % pattern_size != 0)
    return bp_ref_fail(plugin_ctx, BP_STATUS_INVALID_ARGUMENT,
                       "ref fill: size %llu is not a multiple of pattern_size %u",
                       (unsigned long long)size, pattern_size);
  if (pattern == NULL)
    return bp_ref_fail(plugin_ctx, BP_STATUS_INVALID_ARGUMENT, "ref fill: pattern is NULL");
  REF_CHECK_PTR(plugin_ctx, "fill", dst, size);
  if (size == 0) return BP_STATUS_OK;
  char *p = (char *)dst + offset;
  if (pattern_size == 1) {
    memset(p, *(const unsigned char *)pattern, (size_t)size);
    return BP_STATUS_OK;
  }
  /* Write the pattern once, then double the filled prefix (any alignment). */
  memcpy(p, pattern, pattern_size);
  size_t done = pattern_size;
  while (done < size) {
    size_t chunk = done < size - done ? done : (size_t)size - done;
    memcpy(p + done, p, chunk);
    done += chunk;
  }
  return BP_STATUS_OK;
}

bp_status_t bp_ref_synchronize(void *plugin_ctx, uint32_t device) {
  REF_CHECK_DEVICE(plugin_ctx, "synchronize", device);
  return BP_STATUS_OK;
}
