/* ref_nn.c - reference kernels of neural-network ops. */
#include "ref_kernel.h"

bp_status_t bp_ref_nn_register(const bp_host_api_t *host) {
  (void)host;
  return BP_STATUS_OK;
}
