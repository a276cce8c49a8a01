/* dnnl_buffers.c - freed buffers kept for reuse, by size class.
 *
 * A training step allocates and frees the same tensor sizes every step.
 * Straight aligned_alloc/free of large buffers goes back to the kernel each
 * time (mmap/munmap or a trimmed heap), and every fresh page then faults on
 * first touch: a third of a small CNN's step was page faults. Freed buffers
 * therefore go to a free list per size class (four per power of two, so at
 * most 25% slack) and the next allocation of that class takes one. The pool
 * holds at most ctx->pool_cap bytes (option buffer_pool_mb; 0 turns it off,
 * as do sanitized builds, where reuse would hide a use after free); beyond
 * that, buffers are freed. A 64-byte header in front of each buffer holds its
 * class and, while it is free, the link of its list. */
#include <stdlib.h>
#include <string.h>

#include "dnnl_plugin.h"

/* The class of a size (> 0): its index and the rounded size. */
static size_t size_class(size_t s, int *idx) {
  if (s <= 256) {
    size_t r = (s + 63) & ~(size_t)63;
    *idx = (int)(r / 64) - 1; /* 0..3 */
    return r;
  }
  const int b = 63 - __builtin_clzll((unsigned long long)(s - 1)); /* 2^b < s <= 2^(b+1) */
  const size_t step = (size_t)1 << (b - 2);
  const size_t r = (s + step - 1) & ~(step - 1);
  *idx = 4 + (b - 8) * 4 + (int)(r / step - 5);
  return r;
}

/* Each buffer has a 64-byte header in front: its class index (the host's
 * handle is the address just past it, still 64-byte aligned). */
#define HEADER 64

static size_t class_bytes(int idx) {
  if (idx < 4) return (size_t)(idx + 1) * 64;
  const int b = (idx - 4) / 4 + 8;
  return (size_t)((idx - 4) % 4 + 5) << (b - 2);
}

void *bp_dnnl_buf_alloc(bp_dnnl_ctx_t *ctx, size_t size) {
  int idx;
  const size_t r = size_class(size, &idx);
  char *base = NULL;
  if (ctx->pool_cap > 0 && idx < BP_DNNL_POOL_CLASSES) {
    pthread_mutex_lock(&ctx->pool_lock);
    base = ctx->pool[idx];
    if (base) {
      memcpy(&ctx->pool[idx], base + sizeof(int), sizeof(void *));
      ctx->pool_bytes -= r;
    }
    pthread_mutex_unlock(&ctx->pool_lock);
  }
  if (base == NULL) {
    if (r > SIZE_MAX - HEADER || (base = aligned_alloc(64, r + HEADER)) == NULL) return NULL;
    memcpy(base, &idx, sizeof idx);
  }
  return base + HEADER;
}

void bp_dnnl_buf_free(bp_dnnl_ctx_t *ctx, void *p) {
  if (p == NULL) return;
  char *base = (char *)p - HEADER;
  int idx;
  memcpy(&idx, base, sizeof idx);
  if (ctx->pool_cap > 0 && idx < BP_DNNL_POOL_CLASSES) {
    const size_t r = class_bytes(idx);
    pthread_mutex_lock(&ctx->pool_lock);
    const bool keep = ctx->pool_bytes + r <= ctx->pool_cap;
    if (keep) {
      memcpy(base + sizeof(int), &ctx->pool[idx], sizeof(void *));
      ctx->pool[idx] = base;
      ctx->pool_bytes += r;
    }
    pthread_mutex_unlock(&ctx->pool_lock);
    if (keep) return;
  }
  free(base);
}

void bp_dnnl_buf_release(bp_dnnl_ctx_t *ctx) {
  for (int i = 0; i < BP_DNNL_POOL_CLASSES; ++i) {
    char *p = ctx->pool[i];
    while (p) {
      char *next;
      memcpy(&next, p + sizeof(int), sizeof next);
      free(p);
      p = next;
    }
    ctx->pool[i] = NULL;
  }
  ctx->pool_bytes = 0;
}
