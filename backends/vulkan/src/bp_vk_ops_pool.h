/* bp_vk_ops_pool.h - the pooling paths for CPU devices (bp_vk_ops_pool.c),
 * called from the pool ops' record functions in bp_vk_ops_nn.c. */
#ifndef BACKPLANE_BACKENDS_VULKAN_BP_VK_OPS_POOL_H_
#define BACKPLANE_BACKENDS_VULKAN_BP_VK_OPS_POOL_H_
#include <stdbool.h>

#include "bp_vk_kernel_util.h"

/* max_pool2d_backward through shaders/maxpool_cpu.comp where it applies
 * (*done set; the result is the dispatch's); else *done false, nothing
 * recorded. d's mutex is held. */
bp_status_t bpvk_maxpool_bw_cpu(bpvk_device_t *d, const bp_kernel_call_t *call, bool *done);
/* The same for max_pool2d (any window up to 8 x 8). */
bp_status_t bpvk_maxpool_cpu(bpvk_device_t *d, const bp_kernel_call_t *call, bool *done);
/* The same for avg_pool2d (bw false; windows up to 8 x 8) and
 * avg_pool2d_backward (bw true). */
bp_status_t bpvk_avgpool_cpu(bpvk_device_t *d, const bp_kernel_call_t *call, bool bw, bool *done);

#endif /* BACKPLANE_BACKENDS_VULKAN_BP_VK_OPS_POOL_H_ */
