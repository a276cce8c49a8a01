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

/* Parameter words of shaders/conv2d.comp and conv2d_rows.comp. */
enum { CV_GROUPS, CV_COUTG, CV_CG, CV_H, CV_W, CV_KH, CV_KW, CV_OH, CV_OW, CV_OHW, CV_SH, CV_SW, CV_PH, CV_PW,
       CV_DH, CV_DW, CV_XOFF, CV_XSN, CV_XSC, CV_XSH, CV_XSW, CV_WOFF, CV_WSN, CV_WSC, CV_WSH, CV_WSW, CV_BOFF,
       CV_BS, CV_HAS_BIAS, CV_OOFF, CV_OSN, CV_OSC, CV_OSH, CV_OSW, CV_WORDS = 36 };

/* True when conv2d_rows.comp takes a call with these words (stride 1,
 * dilation 1, rows in whole vec4s, output rows in whole 8s, ...). */
bool bpvk_conv_rows_ok(const uint32_t w[CV_WORDS]);
/* The row-segment variant: the weight (words CV_W*: offset and the strides
 * of its [Cout, Cg, KH, KW] dims, which may wrap around 2^32 as negative
 * strides do) repacked to [KH][KW][Cout][Cg] in scratch by a raw-copy
 * dispatch, then one conv2d_rows dispatch writing tensors[0]; texels: x,
 * bias, the weight's block. Locks d->mu itself. */
bp_status_t bpvk_conv_rows(bpvk_ctx_t *ctx, bpvk_device_t *d, uint32_t device, const uint32_t w[CV_WORDS],
                           const VkBuffer tensors[3], const VkBuffer texels[3], uint32_t gz);

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
