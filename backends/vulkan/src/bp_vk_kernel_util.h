/*
 * bp_vk_kernel_util.h - what the host side of every kernel file shares:
 * the kernel descriptor a registration carries, the checks made before a
 * call (bpvk_kernel_supports), the common entry that locks the device
 * around a record function (bpvk_kernel_run), elementwise parameter words
 * with dims merged, grids, attributes and parameter-word packing, and the
 * registration helper. Op files (bp_vk_kernels.c, bp_vk_ops_*.c) each have
 * a registrar called from bpvk_kernels_register.
 */
#ifndef BACKPLANE_BACKENDS_VULKAN_BP_VK_KERNEL_UTIL_H_
#define BACKPLANE_BACKENDS_VULKAN_BP_VK_KERNEL_UTIL_H_

#include <stdbool.h>
#include <stdint.h>

#include "bp_vk.h"

/* What a registration's kernel_data points at (static storage). */
typedef struct bpvk_kernel bpvk_kernel_t;
struct bpvk_kernel {
  /* The shader variant a call needs (bpvk_variant_find), or -1. */
  int32_t (*variant)(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
  /* Further conditions of the op (NULL: none); false declines the call. */
  bool (*extra_ok)(const bp_kernel_call_t *call, const bpvk_kernel_t *k);
  uint32_t op;  /* the op's number in its shader (a specialization constant) */
  uint32_t sub; /* free for the op file */
};

/* Records a call's work on a device whose mutex is held. */
typedef bp_status_t (*bpvk_record_fn)(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant);

/* A tensor as a shader sees it: the block buffer and the element offset. */
typedef struct bpvk_vtensor { VkBuffer buffer; uint32_t offset; } bpvk_vtensor_t;

int64_t bpvk_numel(const bp_tensor_desc_t *t);
/* False when the shaders cannot address this tensor with 32-bit element
 * indices from the start of its block. */
bool bpvk_tensor_ok(const bp_tensor_desc_t *t);
bpvk_vtensor_t bpvk_vt(const bp_tensor_desc_t *t);
/* Same-size raw types used to move bytes unchanged: u8, bf16 (u16), i32, i64. */
bp_dtype_t bpvk_raw_dtype(bp_dtype_t dt);

/* The supports() of every registration: device, shader variant usable,
 * every tensor addressable, the kernel's extra_ok. */
bool bpvk_kernel_supports(const bp_kernel_call_t *call);
/* Common entry: the checks (UNSUPPORTED when they fail), nothing to do when
 * an output is empty, else `record` with the device locked. */
bp_status_t bpvk_kernel_run(const bp_kernel_call_t *call, bpvk_record_fn record);

/* Registers (op, signature) when some device can run shader variant
 * `variant` and store every dtype of the signature; else nothing. */
bp_status_t bpvk_kernel_reg(bpvk_ctx_t *ctx, const char *op, const char *variant, const bp_dtype_t *sig, uint32_t n,
                            bp_kernel_fn_t fn, const bpvk_kernel_t *k);

/* ---- elementwise parameter words: shaders/elementwise.glsl ---- */
/* Words: numel, ndim, shape[8], then per operand (out, a, b) its element
 * offset and 8 strides; extra words from BPVK_EW_EXTRA; the last one is the
 * check word. */
enum { BPVK_EW_NUMEL = 0, BPVK_EW_NDIM = 1, BPVK_EW_SHAPE = 2, BPVK_EW_OP0 = 10, BPVK_EW_OPSTRIDE = 9,
       BPVK_EW_EXTRA = 40, BPVK_EW_NEXTRA = 23, BPVK_EW_WORDS = 64 };
/* Fills BPVK_EW_WORDS words for operands ops[0] (the output) .. ops[nops-1]
 * of the output's shape, dims merged (reference/src/ref_iter.h's rule). */
void bpvk_ew_params(uint32_t *w, const bp_tensor_desc_t *const *ops, int nops);
/* One dispatch of an elementwise shader over the call's output and its
 * first two inputs; `extra` (may be NULL) is copied to the extra words;
 * `check` (may be NULL) names the error a set check word means. */
bp_status_t bpvk_record_ew(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant, uint32_t spec,
                           const uint32_t extra[BPVK_EW_NEXTRA], const char *check);

/* The same layout for nops (<= BPVK_MAX_TENSORS) operands of the shape of
 * ops[0] (shaders/ewn.glsl): operand k at BPVK_EW_OP0 + BPVK_EW_OPSTRIDE * k;
 * extra words from BPVK_EWN_EXTRA. Writes BPVK_EWN_EXTRA words. */
enum { BPVK_EWN_EXTRA = 80 };
void bpvk_ewn_params(uint32_t *w, const bp_tensor_desc_t *const *ops, int nops);

/* One dispatch binding every input, then every output, at bindings 1.. in
 * call order; the last of the nwords words is the check word when `check`
 * is not NULL. */
bp_status_t bpvk_record_tensors(bpvk_device_t *d, const bp_kernel_call_t *call, int32_t variant, uint32_t spec,
                                const uint32_t *words, uint32_t nwords, uint32_t gx, uint32_t gy, uint32_t gz,
                                const char *check);

/* A 2D grid of work groups covering `items` items, per_group per group. */
void bpvk_grid_1d(uint64_t items, uint32_t per_group, uint32_t *gx, uint32_t *gy);

/* ---- parameter words and attributes ---- */
void bpvk_put_f32(uint32_t *w, double v);
void bpvk_put_f64(uint32_t *w, double v);
void bpvk_put_u64(uint32_t *w, uint64_t v);
/* An attribute of the call of that type, or def. */
double bpvk_attr_f(const bp_kernel_call_t *call, const char *name, double def);
int64_t bpvk_attr_i(const bp_kernel_call_t *call, const char *name, int64_t def);
bool bpvk_attr_b(const bp_kernel_call_t *call, const char *name, bool def);

/* ---- registrars of the op files, called from bpvk_kernels_register ---- */
bp_status_t bpvk_ops_ewn_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_nn_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_reduce_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_index_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_norm_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_misc_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_loss_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_attn_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_convbw_register(bpvk_ctx_t *ctx);
bp_status_t bpvk_ops_convd_register(bpvk_ctx_t *ctx);

/* ---- CPU drivers: texel paths (bp_vk_texel_ew.c) ---- */
/* A CPU device (lavapipe) with vec4 texel reads. */
bool bpvk_texel_cpu(const bpvk_device_t *d);
/* f32 elementwise through vec4 texel reads (shaders/ewv4.glsl) on CPU
 * devices: the call's output and its 1 or 2 inputs, `variant` an
 * EW_VEC4 shader variant; UNSUPPORTED (nothing recorded) when the call
 * does not fit. */
bp_status_t bpvk_record_ew_vec4(bpvk_device_t *d, const bp_kernel_call_t *call, const char *variant, uint32_t spec,
                                const uint32_t extra[BPVK_EW_NEXTRA]);
/* The same for a copy between tensors of one 4-byte dtype (bits moved
 * unchanged through UINT texel views, shaders/copy.comp's vec4 variant). */
bp_status_t bpvk_record_copy_vec4(bpvk_device_t *d, const bp_kernel_call_t *call);
/* The same for comparisons of two f32 tensors and predicates of one (bool
 * out, 4 per uint store; the vec4 variants of shaders/compare.comp and
 * predicate.comp), op as their OP. */
bp_status_t bpvk_record_cmp_vec4(bpvk_device_t *d, const bp_kernel_call_t *call, uint32_t op);
/* The f32 sum (mean: divided by the term count) through vec4 texel reads
 * on CPU devices (bp_vk_texel_sum.c; locks the device itself): UNSUPPORTED
 * (nothing recorded) when the call does not fit. */
bp_status_t bpvk_sum_texel(const bp_kernel_call_t *call, bool mean);
/* f32 layer_norm (rms false) and rms_norm through vec4 texel reads on CPU
 * devices (bp_vk_texel_norm.c; locks the device itself), one invocation
 * per row: UNSUPPORTED (nothing recorded) when the call does not fit. */
bp_status_t bpvk_norm_texel(const bp_kernel_call_t *call, bool rms);
/* f32 softmax (op 0), log_softmax (1), softmax_backward (2) and
 * log_softmax_backward (3) through vec4 texel reads on CPU devices
 * (bp_vk_texel_softmax.c; locks the device itself), one invocation per
 * row: UNSUPPORTED (nothing recorded) when the call does not fit. */
bp_status_t bpvk_softmax_texel(const bp_kernel_call_t *call, uint32_t op);

/* matmul's record path (bp_vk_kernels.c) for ops built on it: o = a @ b in
 * matmul's kernel form; false from bpvk_matmul_usable when it cannot. */
bool bpvk_matmul_usable(bpvk_device_t *d, const bp_tensor_desc_t *a, const bp_tensor_desc_t *b,
                        const bp_tensor_desc_t *o);
bp_status_t bpvk_record_matmul(bpvk_device_t *d, const bp_tensor_desc_t *a, const bp_tensor_desc_t *b,
                               const bp_tensor_desc_t *o);

/* Value i (0 or 1) of an int-or-pair attribute of a 2-D op (kernel_size,
 * stride, ...): the one value of a 1-entry list, def when absent or empty. */
int64_t bpvk_attr2(const bp_kernel_call_t *call, const char *name, int i, int64_t def);
/* [N, C, H, W] sizes (e) and strides (s) of a 3-D [C, H, W] or 4-D tensor;
 * a missing N is 1 with stride 0. */
void bpvk_nchw(const bp_tensor_desc_t *t, int64_t e[4], int64_t s[4]);

#endif /* BACKPLANE_BACKENDS_VULKAN_BP_VK_KERNEL_UTIL_H_ */
