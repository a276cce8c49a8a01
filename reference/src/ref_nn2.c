/* ref_nn2.c - reference kernels of normalization, softmax, indexing, losses
 * and attention: the family's registrar (the kernels live in ref_nn2_*.c). */
#include "ref_nn2.h"

bp_status_t bp_ref_nn2_register(const bp_host_api_t *host) {
  bp_status_t s = bp_ref_nn2_norm_register(host);
  if (s == BP_STATUS_OK) s = bp_ref_nn2_index_register(host);
  if (s == BP_STATUS_OK) s = bp_ref_nn2_loss_register(host);
  return s;
}
