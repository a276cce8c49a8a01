/* dnnl_exec.c - running a cached primitive: memory objects around the
 * callers' pointers, the user scratchpad, the thread count. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_plugin.h"

void bp_dnnl_lock(bp_dnnl_ctx_t *ctx) {
  pthread_mutex_lock(&ctx->lock);
  /* OpenMP's thread count is per calling thread: set it on whichever thread
   * the host calls from, before any primitive is created or run. */
  if (ctx->num_threads > 0 && omp_get_max_threads() != ctx->num_threads)
    omp_set_num_threads(ctx->num_threads);
}

void bp_dnnl_lock_work(bp_dnnl_ctx_t *ctx, double work) {
  bp_dnnl_lock(ctx);
  ctx->restore_threads = 0;
  if (work < BP_DNNL_SMALL_WORK) {
    const int n = omp_get_max_threads();
    if (n > 1) {
      omp_set_num_threads(1);
      ctx->restore_threads = n;
    }
  }
}

void bp_dnnl_unlock(bp_dnnl_ctx_t *ctx) {
  if (ctx->restore_threads > 0) {
    omp_set_num_threads(ctx->restore_threads);
    ctx->restore_threads = 0;
  }
  pthread_mutex_unlock(&ctx->lock);
}

void bp_dnnl_args_add(bp_dnnl_args_t *args, int arg, const dnnl_memory_desc_t *md, void *ptr) {
  args->arg[args->n] = arg;
  args->md[args->n] = md;
  args->ptr[args->n] = ptr;
  args->n++;
}

static bp_status_t scratch_reserve(bp_dnnl_ctx_t *ctx, size_t size) {
  if (size <= ctx->scratch_size) return BP_STATUS_OK;
  size_t rounded = (size + 4095) & ~(size_t)4095;
  void *p = aligned_alloc(64, rounded);
  if (p == NULL)
    return bp_dnnl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "onednn: no memory for a %zu-byte scratchpad",
                        size);
  free(ctx->scratch);
  ctx->scratch = p;
  ctx->scratch_size = rounded;
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_work_reserve(bp_dnnl_ctx_t *ctx, size_t size) {
  if (size <= ctx->work_size) return BP_STATUS_OK;
  size_t rounded = (size + 4095) & ~(size_t)4095;
  void *p = aligned_alloc(4096, rounded);
  if (p == NULL)
    return bp_dnnl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "onednn: no memory for %zu bytes of reordered tensors",
                        size);
  free(ctx->work);
  ctx->work = p;
  ctx->work_size = rounded;
  return BP_STATUS_OK;
}

bp_status_t bp_dnnl_execute(bp_dnnl_ctx_t *ctx, const bp_dnnl_prim_t *p, const bp_dnnl_args_t *args,
                            const char *what) {
  bp_status_t status = BP_STATUS_OK;
  dnnl_memory_t mem[11] = {NULL};
  dnnl_exec_arg_t exec[11];
  int n = 0;
  for (; n < args->n; ++n) {
    BP_DNNL_TRY(ctx, dnnl_memory_create(&mem[n], args->md[n], ctx->engine, args->ptr[n]), what);
    exec[n].arg = args->arg[n];
    exec[n].memory = mem[n];
  }
  if (p->scratch_size > 0) {
    if ((status = scratch_reserve(ctx, p->scratch_size))) goto done;
    const dnnl_memory_desc_t *smd;
    const_dnnl_primitive_desc_t pd;
    BP_DNNL_TRY(ctx, dnnl_primitive_get_primitive_desc(p->prim, &pd), what);
    smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    BP_DNNL_TRY(ctx, dnnl_memory_create(&mem[n], smd, ctx->engine, ctx->scratch), what);
    exec[n].arg = DNNL_ARG_SCRATCHPAD;
    exec[n].memory = mem[n];
    ++n;
  }
  BP_DNNL_TRY(ctx, dnnl_primitive_execute(p->prim, ctx->stream, n, exec), what);
done:
  for (int i = 0; i < 11; ++i)
    if (mem[i]) dnnl_memory_destroy(mem[i]);
  return status;
}
