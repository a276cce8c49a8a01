/* bp_vk_texel_sum.c - the f32 sum on CPU drivers through vec4 texel reads
 * (shaders/sum_texel.comp): where the reduced dims are one contiguous run
 * per output (unit stride, whole vec4s from its start) and the kept dims
 * merge into one, every output's run is cut into chunks of 256 elements,
 * one invocation each, and the partial sums are summed again the same way
 * (a scratch buffer, two ranges used in turn) until one chunk per output
 * is left, which the last pass writes to the output (divided by the term
 * count for mean). Anything else takes sum.comp (reduce.comp for mean),
 * one work group per output. */
#include <string.h>

#include "bp_vk_kernel_util.h"

#define SUMT_CH 64u /* vec4s per invocation: shaders/sum_texel.comp */
enum { ST_ROWS, ST_N, ST_CHUNKS, ST_INOFF, ST_INRS, ST_DOFF, ST_DRS, ST_DIV, ST_WORDS };

typedef struct sum_plan {
  uint64_t rows, n;        /* outputs, terms per output */
  uint64_t in_rs, out_rs;  /* element strides of the kept dim (x, out) */
} sum_plan_t;

/* The reduced dims one unit-stride run, the kept ones one dim. */
static bool plan(const bp_tensor_desc_t *x, const bp_tensor_desc_t *o, sum_plan_t *p) {
  p->rows = p->n = 1;
  p->in_rs = p->out_rs = 0;
  uint64_t run_stride = 1; /* the stride the next reduced dim outwards must have */
  int32_t last_kept = -1;
  for (int32_t i = x->ndim - 1; i >= 0; --i) {
    if (x->shape[i] == 1) continue;
    if (o->shape[i] == 1) { /* reduced: innermost of all, contiguous */
      if (last_kept >= 0 || (uint64_t)x->strides[i] != run_stride) return false;
      run_stride *= (uint64_t)x->shape[i];
      p->n *= (uint64_t)x->shape[i];
    } else {
      if (last_kept < 0) {
        p->in_rs = (uint64_t)x->strides[i];
        p->out_rs = (uint64_t)o->strides[i];
      } else if ((uint64_t)x->strides[i] != (uint64_t)x->strides[last_kept] * (uint64_t)x->shape[last_kept] ||
                 (uint64_t)o->strides[i] != (uint64_t)o->strides[last_kept] * (uint64_t)x->shape[last_kept]) {
        return false;
      }
      last_kept = i;
      p->rows *= (uint64_t)x->shape[i];
    }
  }
  return p->in_rs % 4 == 0;
}

static uint64_t chunks_of(uint64_t n) {
  uint64_t c = (n / 4 + SUMT_CH - 1) / SUMT_CH;
  return c ? c : 1;
}

static bp_status_t pass(bpvk_device_t *d, int32_t v, VkBuffer src, VkBuffer dst, const uint32_t w[ST_WORDS]) {
  VkBuffer bufs[3] = {dst, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkBuffer tex[3] = {src, VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkFormat fmt[3] = {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_UNDEFINED, VK_FORMAT_UNDEFINED};
  uint32_t gx, gy;
  bpvk_grid_1d((uint64_t)w[ST_ROWS] * w[ST_CHUNKS], 64, &gx, &gy);
  return bpvk_dispatch_texel(d, v, 0, bufs, tex, fmt, w, ST_WORDS, gx, gy, 1);
}

bp_status_t bpvk_sum_texel(const bp_kernel_call_t *call, bool mean) {
  bpvk_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->ndevices || call->num_inputs != 1 || call->num_outputs != 1)
    return BP_STATUS_UNSUPPORTED;
  bpvk_device_t *d = &ctx->devices[call->device_index];
  const bp_tensor_desc_t *x = call->inputs[0], *o = call->outputs[0];
  int32_t v = bpvk_variant_find("sumt_8");
  sum_plan_t p;
  if (!bpvk_texel_cpu(d) || !bpvk_variant_usable(d, v) || x->dtype != BP_DTYPE_F32 || o->dtype != BP_DTYPE_F32 ||
      x->ndim != o->ndim || bpvk_numel(x) == 0 || !bpvk_tensor_ok(x) || !bpvk_tensor_ok(o) || !plan(x, o, &p))
    return BP_STATUS_UNSUPPORTED;
  bpvk_vtensor_t xv = bpvk_vt(x), ov = bpvk_vt(o);
  uint64_t last = xv.offset + (p.rows - 1) * p.in_rs + p.n - 1;
  if (xv.offset % 4 || last >= 4ull * d->props.limits.maxTexelBufferElements) return BP_STATUS_UNSUPPORTED;
  /* Scratch: the first pass's partials, and the second's (then in turn). */
  uint64_t c1 = chunks_of(p.n), c2 = c1 > 1 ? chunks_of(c1) : 1;
  uint64_t r1 = (c1 + 3) & ~3ull, r2 = (c2 + 3) & ~3ull;
  void *scratch[2] = {NULL, NULL};
  bp_status_t s = BP_STATUS_OK;
  if (c1 > 1) s = bpvk_buffer_alloc(ctx, call->device_index, p.rows * r1 * 4u, &scratch[0]);
  if (!s && c2 > 1) s = bpvk_buffer_alloc(ctx, call->device_index, p.rows * r2 * 4u, &scratch[1]);
  if (s) {
    bpvk_buffer_free(ctx, call->device_index, scratch[0]);
    return BP_STATUS_UNSUPPORTED; /* no scratch: sum.comp */
  }
  uint32_t w[ST_WORDS];
  w[ST_ROWS] = (uint32_t)p.rows;
  w[ST_N] = (uint32_t)p.n;
  w[ST_INOFF] = xv.offset;
  w[ST_INRS] = (uint32_t)p.in_rs;
  VkBuffer src = xv.buffer;
  pthread_mutex_lock(&d->mu);
  for (int k = 0; !s; k ^= 1) {
    uint64_t chunks = chunks_of(w[ST_N]);
    w[ST_CHUNKS] = (uint32_t)chunks;
    VkBuffer dst;
    if (chunks == 1) {
      dst = ov.buffer;
      w[ST_DOFF] = ov.offset;
      w[ST_DRS] = (uint32_t)p.out_rs;
      bpvk_put_f32(w + ST_DIV, mean ? (double)p.n : 1.0); /* as reduce.comp: sum / float(terms) */
    } else {
      const bpvk_alloc_t *a = scratch[k];
      dst = a->block->buffer;
      w[ST_DOFF] = (uint32_t)(a->offset / 4);
      w[ST_DRS] = (uint32_t)((chunks + 3) & ~3ull);
      bpvk_put_f32(w + ST_DIV, 1.0);
    }
    s = pass(d, v, src, dst, w);
    if (chunks == 1) break;
    src = dst;
    w[ST_N] = (uint32_t)chunks;
    w[ST_INOFF] = w[ST_DOFF];
    w[ST_INRS] = w[ST_DRS];
  }
  pthread_mutex_unlock(&d->mu);
  /* Given back at once: later uses of the ranges queue after these passes. */
  bpvk_buffer_free(ctx, call->device_index, scratch[0]);
  bpvk_buffer_free(ctx, call->device_index, scratch[1]);
  return s;
}
