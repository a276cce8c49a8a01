/*
 * bp_vk_ops_conv.h - what the conv2d files share: texel reach of a tensor,
 * the work-group size of the conv texel shaders on a device, and the f32
 * conv2d_backward path through texel reads (bp_vk_ops_convbwt.c) that
 * bp_vk_ops_convbw.c tries before its gathers.
 */
#ifndef BACKPLANE_BACKENDS_VULKAN_BP_VK_OPS_CONV_H_
#define BACKPLANE_BACKENDS_VULKAN_BP_VK_OPS_CONV_H_

#include <stdbool.h>
#include <stdint.h>

#include "bp_vk.h"

/* True when t's last element lies within the first `limit` elements of its
 * block (a texel view holds at most maxTexelBufferElements texels). */
bool bpvk_conv_texel_reach(const bp_tensor_desc_t *t, uint64_t limit);

/* True for VK_PHYSICAL_DEVICE_TYPE_CPU devices (lavapipe: 8-wide SIMD,
 * work groups of 8 invocations suit it; GPUs get 64, and conv2d_backward's
 * gathers). BP_VULKAN_CONV_GPU_PATHS=1 makes it false everywhere, so the
 * tests run the GPU choices on lavapipe. */
bool bpvk_conv_cpu(const bpvk_device_t *d);

/* conv2d_backward (f32) as implicit GEMMs with texel reads, on CPU devices
 * with texel reads: returns true when it took the call (its status in
 * *status), false when the call is not one it does (the caller runs its
 * gathers). */
bool bpvk_convbw_texel(const bp_kernel_call_t *call, bp_status_t *status);

#endif /* BACKPLANE_BACKENDS_VULKAN_BP_VK_OPS_CONV_H_ */
