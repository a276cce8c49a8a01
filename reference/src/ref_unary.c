/* ref_unary.c - reference kernels of unary elementwise ops. */
#include "ref_kernel.h"

bp_status_t bp_ref_unary_register(const bp_host_api_t *host) {
  (void)host;
  return BP_STATUS_OK;
}
