/* bp_vk_memory.c - the suballocator (few big VkDeviceMemory blocks, first
 * fit, coalescing frees) and the memory entries of the plugin table: every
 * copy and fill is recorded into the device queue, so it is ordered with
 * the kernels (ABI-14); host data goes through the batch's staging buffer. */
#include <stdlib.h>
#include <string.h>

#include "bp_vk.h"

static bpvk_device_t *device_of(void *plugin_ctx, uint32_t device, const char *call) {
  bpvk_ctx_t *ctx = plugin_ctx;
  if (ctx == NULL || device >= ctx->ndevices) {
    bpvk_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "vulkan %s: no device %u (the plugin has %u)", call, device,
              ctx ? ctx->ndevices : 0);
    return NULL;
  }
  return &ctx->devices[device];
}

int32_t bpvk_memory_type(const bpvk_device_t *d, uint32_t type_bits, VkMemoryPropertyFlags want) {
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(d->phys, &mp);
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i)
    if ((type_bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) return (int32_t)i;
  return -1;
}

/* A VkBuffer bound to fresh memory of type `type`. */
static bp_status_t make_buffer(bpvk_device_t *d, uint64_t size, VkBufferUsageFlags usage, VkMemoryPropertyFlags want,
                               VkBuffer *out_buffer, VkDeviceMemory *out_mem) {
  VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size, .usage = usage,
                            .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  VkBuffer buffer;
  BPVK_RETURN_IF_ERROR(d->ctx, vkCreateBuffer(d->dev, &bci, NULL, &buffer), "vkCreateBuffer");
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(d->dev, buffer, &req);
  int32_t type = bpvk_memory_type(d, req.memoryTypeBits, want);
  if (type < 0) {
    vkDestroyBuffer(d->dev, buffer, NULL);
    return bpvk_fail(d->ctx, BP_STATUS_UNAVAILABLE, "vulkan: no memory type with flags 0x%x for a buffer", want);
  }
  VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size,
                              .memoryTypeIndex = (uint32_t)type};
  VkDeviceMemory mem;
  VkResult r = vkAllocateMemory(d->dev, &mai, NULL, &mem);
  if (r == VK_SUCCESS) r = vkBindBufferMemory(d->dev, buffer, mem, 0);
  else mem = VK_NULL_HANDLE;
  if (r != VK_SUCCESS) {
    if (mem) vkFreeMemory(d->dev, mem, NULL);
    vkDestroyBuffer(d->dev, buffer, NULL);
    return bpvk_check(d->ctx, r, "vkAllocateMemory");
  }
  *out_buffer = buffer;
  *out_mem = mem;
  return BP_STATUS_OK;
}

bp_status_t bpvk_host_buffer(bpvk_device_t *d, uint64_t size, VkBufferUsageFlags usage, VkBuffer *out_buffer,
                             VkDeviceMemory *out_mem, void **out_map) {
  bp_status_t s = make_buffer(d, size, usage, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                              out_buffer, out_mem);
  if (s) return s;
  VkResult r = vkMapMemory(d->dev, *out_mem, 0, VK_WHOLE_SIZE, 0, out_map);
  if (r != VK_SUCCESS) {
    vkDestroyBuffer(d->dev, *out_buffer, NULL);
    vkFreeMemory(d->dev, *out_mem, NULL);
    return bpvk_check(d->ctx, r, "vkMapMemory");
  }
  return BP_STATUS_OK;
}

/* Uniform texel buffer too: matmul and conv2d read their operands through
 * texel views where the device allows (bpvk_dispatch_texel). */
static const VkBufferUsageFlags kDeviceUsage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                               VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                                               VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT;

static void block_destroy(bpvk_device_t *d, bpvk_block_t *blk) {
  bpvk_forget_buffer(d, blk->buffer);
  vkDestroyBuffer(d->dev, blk->buffer, NULL);
  vkFreeMemory(d->dev, blk->memory, NULL);
  free(blk->free);
  free(blk);
}

static bp_status_t block_create(bpvk_device_t *d, uint64_t size, bool dedicated, bpvk_block_t **out) {
  bpvk_block_t *blk = calloc(1, sizeof *blk);
  if (!blk || (!dedicated && !(blk->free = malloc(16 * sizeof *blk->free)))) {
    free(blk);
    return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory");
  }
  bp_status_t s = make_buffer(d, size, kDeviceUsage, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &blk->buffer, &blk->memory);
  if (s) {
    free(blk->free);
    free(blk);
    return s == BP_STATUS_UNAVAILABLE ? s : BP_STATUS_OUT_OF_MEMORY;
  }
  blk->size = size;
  blk->dedicated = dedicated;
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(d->phys, &mp);
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(d->dev, blk->buffer, &req);
  int32_t type = bpvk_memory_type(d, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  void *map = NULL;
  if (type >= 0 && (mp.memoryTypes[type].propertyFlags & host) == host &&
      vkMapMemory(d->dev, blk->memory, 0, VK_WHOLE_SIZE, 0, &map) == VK_SUCCESS)
    blk->map = map;
  if (!dedicated) {
    blk->cap = 16;
    blk->nfree = 1;
    blk->free[0] = (bpvk_range_t){0, size};
  }
  if (d->nblocks == d->cap_blocks) {
    uint32_t cap = d->cap_blocks ? 2 * d->cap_blocks : 8;
    bpvk_block_t **p = realloc(d->blocks, cap * sizeof *p);
    if (!p) {
      block_destroy(d, blk);
      return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory");
    }
    d->blocks = p;
    d->cap_blocks = cap;
  }
  d->blocks[d->nblocks++] = blk;
  *out = blk;
  return BP_STATUS_OK;
}

static bool block_take(bpvk_block_t *blk, uint64_t size, uint64_t *out_offset) {
  for (uint32_t i = 0; i < blk->nfree; ++i) {
    if (blk->free[i].size < size) continue;
    *out_offset = blk->free[i].offset;
    blk->free[i].offset += size;
    blk->free[i].size -= size;
    if (blk->free[i].size == 0) {
      memmove(&blk->free[i], &blk->free[i + 1], (blk->nfree - i - 1) * sizeof *blk->free);
      --blk->nfree;
    }
    return true;
  }
  return false;
}

static bool block_give(bpvk_block_t *blk, uint64_t offset, uint64_t size) {
  uint32_t i = 0;
  while (i < blk->nfree && blk->free[i].offset < offset) ++i;
  bool merge_prev = i > 0 && blk->free[i - 1].offset + blk->free[i - 1].size == offset;
  bool merge_next = i < blk->nfree && offset + size == blk->free[i].offset;
  if (merge_prev && merge_next) {
    blk->free[i - 1].size += size + blk->free[i].size;
    memmove(&blk->free[i], &blk->free[i + 1], (blk->nfree - i - 1) * sizeof *blk->free);
    --blk->nfree;
  } else if (merge_prev) {
    blk->free[i - 1].size += size;
  } else if (merge_next) {
    blk->free[i].offset = offset;
    blk->free[i].size += size;
  } else {
    if (blk->nfree == blk->cap) {
      bpvk_range_t *p = realloc(blk->free, 2 * blk->cap * sizeof *p);
      if (!p) return false; /* the range is lost to this block, not corrupted */
      blk->free = p;
      blk->cap *= 2;
    }
    memmove(&blk->free[i + 1], &blk->free[i], (blk->nfree - i) * sizeof *blk->free);
    blk->free[i] = (bpvk_range_t){offset, size};
    ++blk->nfree;
  }
  return true;
}

bp_status_t bpvk_buffer_alloc(void *plugin_ctx, uint32_t device, uint64_t size, void **out) {
  bpvk_device_t *d = device_of(plugin_ctx, device, "buffer_alloc");
  if (!d) return BP_STATUS_INVALID_ARGUMENT;
  if (out == NULL) return bpvk_fail(d->ctx, BP_STATUS_INVALID_ARGUMENT, "vulkan buffer_alloc: out is NULL");
  if (size == 0) {
    *out = NULL;
    return BP_STATUS_OK;
  }
  if (size > d->max_alloc)
    return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY,
                     "vulkan buffer_alloc: %llu bytes is more than the largest buffer of vulkan:%u (%llu bytes)",
                     (unsigned long long)size, device, (unsigned long long)d->max_alloc);
  uint64_t rounded = (size + BPVK_ALIGN - 1) & ~(uint64_t)(BPVK_ALIGN - 1);
  bpvk_alloc_t *a = malloc(sizeof *a);
  if (!a) return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan buffer_alloc: out of host memory");
  pthread_mutex_lock(&d->mu);
  bp_status_t s = BP_STATUS_OK;
  if (d->used + rounded > d->total_memory) {
    s = bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan buffer_alloc: %llu bytes do not fit (%llu of %llu in use)",
                  (unsigned long long)size, (unsigned long long)d->used, (unsigned long long)d->total_memory);
  } else if (rounded > BPVK_BLOCK_SIZE / 2 || BPVK_BLOCK_SIZE > d->max_alloc) {
    s = block_create(d, rounded, true, &a->block);
    a->offset = 0;
  } else {
    bool found = false;
    for (uint32_t i = 0; i < d->nblocks && !found; ++i)
      if (!d->blocks[i]->dedicated && block_take(d->blocks[i], rounded, &a->offset)) {
        a->block = d->blocks[i];
        found = true;
      }
    if (!found) {
      s = block_create(d, BPVK_BLOCK_SIZE, false, &a->block);
      if (!s) block_take(a->block, rounded, &a->offset);
    }
  }
  if (!s) {
    a->size = rounded;
    d->used += rounded;
    *out = a;
  } else {
    free(a);
  }
  pthread_mutex_unlock(&d->mu);
  return s;
}

void bpvk_buffer_free(void *plugin_ctx, uint32_t device, void *buffer) {
  if (buffer == NULL) return;
  bpvk_device_t *d = device_of(plugin_ctx, device, "buffer_free");
  if (!d) return;
  bpvk_alloc_t *a = buffer;
  pthread_mutex_lock(&d->mu);
  d->used -= a->size;
  if (a->block->dedicated) {
    bpvk_wait_all(d); /* ordered after queued work (ABI-19) */
    for (uint32_t i = 0; i < d->nblocks; ++i)
      if (d->blocks[i] == a->block) {
        d->blocks[i] = d->blocks[--d->nblocks];
        break;
      }
    block_destroy(d, a->block);
  } else {
    /* Queued work that still uses the range is ordered before any later
     * use of it: every later write goes through the same queue. */
    block_give(a->block, a->offset, a->size);
  }
  pthread_mutex_unlock(&d->mu);
  free(a);
}

void bpvk_memory_destroy(bpvk_device_t *d) {
  for (uint32_t i = 0; i < d->nblocks; ++i) block_destroy(d, d->blocks[i]);
  free(d->blocks);
  d->blocks = NULL;
  d->nblocks = 0;
}

static bp_status_t check_range(bpvk_device_t *d, const bpvk_alloc_t *a, uint64_t offset, uint64_t size,
                               const char *call) {
  if (a == NULL || offset > a->size || size > a->size - offset)
    return bpvk_fail(d->ctx, BP_STATUS_INVALID_ARGUMENT, "vulkan %s: %llu bytes at offset %llu are outside the buffer",
                     call, (unsigned long long)size, (unsigned long long)offset);
  return BP_STATUS_OK;
}

bp_status_t bpvk_copy_h2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset, const void *src,
                          uint64_t size) {
  bpvk_device_t *d = device_of(plugin_ctx, device, "copy_h2d");
  if (!d) return BP_STATUS_INVALID_ARGUMENT;
  if (size == 0) return BP_STATUS_OK;
  const bpvk_alloc_t *a = dst;
  bp_status_t s = check_range(d, a, dst_offset, size, "copy_h2d");
  if (s) return s;
  pthread_mutex_lock(&d->mu);
  if (a->block->map && bpvk_queue_idle(d)) {
    /* Host-visible memory and nothing queued that could touch the range:
     * write it directly (the next submit makes it visible, ABI-14 order). */
    memcpy(a->block->map + a->offset + dst_offset, src, size);
    pthread_mutex_unlock(&d->mu);
    return BP_STATUS_OK;
  }
  for (uint64_t done = 0; done < size && !s;) {
    uint64_t n = size - done < BPVK_STAGING_SIZE ? size - done : BPVK_STAGING_SIZE;
    bpvk_batch_t *b;
    uint64_t off;
    if ((s = bpvk_staging(d, n, &b, &off))) break;
    memcpy(b->staging_map + off, (const char *)src + done, n);
    VkBufferCopy region = {.srcOffset = off, .dstOffset = a->offset + dst_offset + done, .size = n};
    vkCmdCopyBuffer(b->cmd, b->staging, a->block->buffer, 1, &region);
    bpvk_barrier(b);
    done += n;
  }
  pthread_mutex_unlock(&d->mu);
  return s;
}

bp_status_t bpvk_copy_d2h(void *plugin_ctx, uint32_t device, void *dst, const void *src, uint64_t src_offset,
                          uint64_t size) {
  bpvk_device_t *d = device_of(plugin_ctx, device, "copy_d2h");
  if (!d) return BP_STATUS_INVALID_ARGUMENT;
  if (size == 0) return BP_STATUS_OK;
  const bpvk_alloc_t *a = src;
  bp_status_t s = check_range(d, a, src_offset, size, "copy_d2h");
  if (s) return s;
  pthread_mutex_lock(&d->mu);
  if (a->block->map) {
    /* Host-visible memory: wait for the queue once, then read it. */
    bpvk_wait_all(d);
    if (d->pending) s = bpvk_fail(d->ctx, d->pending, "vulkan copy_d2h: %s", d->pending_msg);
    else memcpy(dst, a->block->map + a->offset + src_offset, size);
    pthread_mutex_unlock(&d->mu);
    return s;
  }
  for (uint64_t done = 0; done < size && !s;) {
    uint64_t n = size - done < BPVK_STAGING_SIZE ? size - done : BPVK_STAGING_SIZE;
    bpvk_batch_t *b;
    uint64_t off;
    if ((s = bpvk_staging(d, n, &b, &off))) break;
    VkBufferCopy region = {.srcOffset = a->offset + src_offset + done, .dstOffset = off, .size = n};
    vkCmdCopyBuffer(b->cmd, a->block->buffer, b->staging, 1, &region);
    bpvk_barrier(b);
    bpvk_wait_all(d);
    if (d->pending) {
      s = bpvk_fail(d->ctx, d->pending, "vulkan copy_d2h: %s", d->pending_msg);
      break;
    }
    memcpy((char *)dst + done, b->staging_map + off, n);
    done += n;
  }
  pthread_mutex_unlock(&d->mu);
  return s;
}

bp_status_t bpvk_copy_d2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset, const void *src,
                          uint64_t src_offset, uint64_t size) {
  bpvk_device_t *d = device_of(plugin_ctx, device, "copy_d2d");
  if (!d) return BP_STATUS_INVALID_ARGUMENT;
  if (size == 0) return BP_STATUS_OK;
  const bpvk_alloc_t *da = dst, *sa = src;
  bp_status_t s = check_range(d, da, dst_offset, size, "copy_d2d");
  if (!s) s = check_range(d, sa, src_offset, size, "copy_d2d");
  if (s) return s;
  uint64_t so = sa->offset + src_offset, dof = da->offset + dst_offset;
  bool overlap = da->block == sa->block && so < dof + size && dof < so + size;
  pthread_mutex_lock(&d->mu);
  bpvk_batch_t *b;
  if (!overlap) {
    if (!(s = bpvk_batch_begin(d, &b))) {
      VkBufferCopy region = {.srcOffset = so, .dstOffset = dof, .size = size};
      vkCmdCopyBuffer(b->cmd, sa->block->buffer, da->block->buffer, 1, &region);
      bpvk_barrier(b);
    }
  } else {
    /* Overlapping ranges of one buffer: through staging, as memmove. */
    for (uint64_t done = 0; done < size && !s;) {
      uint64_t n = size - done < BPVK_STAGING_SIZE ? size - done : BPVK_STAGING_SIZE;
      uint64_t pos = dof > so ? size - done - n : done; /* back to front when moving up */
      uint64_t off;
      if ((s = bpvk_staging(d, n, &b, &off))) break;
      VkBufferCopy in = {.srcOffset = so + pos, .dstOffset = off, .size = n};
      vkCmdCopyBuffer(b->cmd, sa->block->buffer, b->staging, 1, &in);
      bpvk_barrier(b);
      VkBufferCopy outr = {.srcOffset = off, .dstOffset = dof + pos, .size = n};
      vkCmdCopyBuffer(b->cmd, b->staging, da->block->buffer, 1, &outr);
      bpvk_barrier(b);
      done += n;
    }
  }
  pthread_mutex_unlock(&d->mu);
  return s;
}

bp_status_t bpvk_fill(void *plugin_ctx, uint32_t device, void *dst, uint64_t offset, uint64_t size,
                      const void *pattern, uint32_t psize) {
  bpvk_device_t *d = device_of(plugin_ctx, device, "fill");
  if (!d) return BP_STATUS_INVALID_ARGUMENT;
  if (pattern == NULL || (psize != 1 && psize != 2 && psize != 4 && psize != 8) || size % psize)
    return bpvk_fail(d->ctx, BP_STATUS_INVALID_ARGUMENT,
                     "vulkan fill: pattern of %u bytes over %llu bytes (1, 2, 4 or 8, dividing the size)", psize,
                     (unsigned long long)size);
  if (size == 0) return BP_STATUS_OK;
  const bpvk_alloc_t *a = dst;
  bp_status_t s = check_range(d, a, offset, size, "fill");
  if (s) return s;
  uint64_t start = a->offset + offset;
  pthread_mutex_lock(&d->mu);
  bpvk_batch_t *b;
  if (psize <= 4 && start % 4 == 0 && size % 4 == 0) {
    uint32_t word;
    for (uint32_t i = 0; i < 4; ++i) ((unsigned char *)&word)[i] = ((const unsigned char *)pattern)[i % psize];
    if (!(s = bpvk_batch_begin(d, &b))) {
      vkCmdFillBuffer(b->cmd, a->block->buffer, start, size, word);
      bpvk_barrier(b);
    }
  } else {
    /* The pattern repeated in staging (at most 1 MiB), copied as often as needed. */
    uint64_t chunk = size < (1u << 20) ? size : (1u << 20);
    uint64_t off;
    if (!(s = bpvk_staging(d, chunk, &b, &off))) {
      for (uint64_t i = 0; i < chunk; i += psize) memcpy(b->staging_map + off + i, pattern, psize);
      for (uint64_t done = 0; done < size; done += chunk) {
        uint64_t n = size - done < chunk ? size - done : chunk;
        VkBufferCopy region = {.srcOffset = off, .dstOffset = start + done, .size = n};
        vkCmdCopyBuffer(b->cmd, b->staging, a->block->buffer, 1, &region);
      }
      bpvk_barrier(b);
    }
  }
  pthread_mutex_unlock(&d->mu);
  return s;
}

bp_status_t bpvk_synchronize(void *plugin_ctx, uint32_t device) {
  bpvk_device_t *d = device_of(plugin_ctx, device, "synchronize");
  if (!d) return BP_STATUS_INVALID_ARGUMENT;
  pthread_mutex_lock(&d->mu);
  bpvk_wait_all(d);
  bp_status_t s = d->pending;
  if (s) bpvk_fail(d->ctx, s, "%s", d->pending_msg);
  d->pending = BP_STATUS_OK;
  pthread_mutex_unlock(&d->mu);
  bpvk_ctx_t *ctx = d->ctx;
  if (!s && ctx->validation) {
    pthread_mutex_lock(&ctx->log_mu);
    if (ctx->validation_errors > d->validation_seen) {
      s = bpvk_fail(ctx, BP_STATUS_INTERNAL, "vulkan: %llu validation errors, the last: %s",
                    (unsigned long long)(ctx->validation_errors - d->validation_seen), ctx->last_validation);
      d->validation_seen = ctx->validation_errors;
    }
    pthread_mutex_unlock(&ctx->log_mu);
  }
  return s;
}
