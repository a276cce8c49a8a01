/* ref_random.c - reference kernels of random-number ops (Philox4x32-10). */
#include "ref_kernel.h"

bp_status_t bp_ref_random_register(const bp_host_api_t *host) {
  (void)host;
  return BP_STATUS_OK;
}
