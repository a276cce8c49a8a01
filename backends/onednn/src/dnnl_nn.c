/* dnnl_nn.c - neural-network ops (conv2d, pools, norms, softmax): added as
 * the catalog gains them (docs/ops.md). */
#include "dnnl_plugin.h"

bp_status_t bp_dnnl_nn_register(bp_dnnl_ctx_t *ctx) {
  (void)ctx;
  return BP_STATUS_OK;
}
