/* dnnl_layout.c - running a primitive made with format_tag any (oneDNN picks
 * its own, usually blocked, layouts for src, weights and dst): the user's
 * tensors are reordered into those layouts in ctx->work before the call and
 * dst out of it after, each reorder a cached primitive of its own. Where the
 * chosen layout is the user's, the tensor is used in place. */
#include "dnnl_plugin.h"

bp_status_t bp_dnnl_execute_any(bp_dnnl_ctx_t *ctx, const bp_dnnl_prim_t *p,
                                const bp_dnnl_any_arg_t *io, int n, const char *what) {
  size_t off[BP_DNNL_ANY_MAX] = {0}, total = 0;
  bool moved[BP_DNNL_ANY_MAX] = {false};
  for (int i = 0; i < n; ++i) {
    if (io[i].slot < 0) continue;
    const dnnl_memory_desc_t *inner = &p->mds[io[i].slot];
    if (dnnl_memory_desc_equal(inner, io[i].md)) continue;
    moved[i] = true;
    off[i] = total;
    total += (dnnl_memory_desc_get_size(inner) + 4095) & ~(size_t)4095;
  }
  bp_status_t status = total ? bp_dnnl_work_reserve(ctx, total) : BP_STATUS_OK;
  if (status) return status;
  bp_dnnl_args_t args = {0};
  for (int i = 0; i < n && !status; ++i) {
    if (!moved[i]) {
      bp_dnnl_args_add(&args, io[i].arg, io[i].md, io[i].ptr);
      continue;
    }
    void *tmp = (char *)ctx->work + off[i];
    const dnnl_memory_desc_t *inner = &p->mds[io[i].slot];
    bp_dnnl_args_add(&args, io[i].arg, inner, tmp);
    if (!io[i].output) status = bp_dnnl_reorder_locked(ctx, io[i].md, io[i].ptr, inner, tmp);
  }
  if (!status) status = bp_dnnl_execute(ctx, p, &args, what);
  for (int i = 0; i < n && !status; ++i)
    if (moved[i] && io[i].output)
      status = bp_dnnl_reorder_locked(ctx, &p->mds[io[i].slot], (char *)ctx->work + off[i],
                                      io[i].md, io[i].ptr);
  return status;
}
