/*
 * bp_vk.h - internals of the Vulkan backend plugin (libbp_vulkan.so).
 *
 * One Backplane device per Vulkan physical device with a compute queue.
 * Per device:
 *  - memory: big VkBuffer + VkDeviceMemory blocks with a first-fit
 *    suballocator (drivers cap the number of allocations); a buffer handle
 *    is a bpvk_alloc_t (block, byte offset, size). Kernels bind whole blocks
 *    and get element offsets in their parameter words.
 *  - work: a ring of batches, each a command buffer, a fence, a host-visible
 *    staging buffer (host copies) and a parameter buffer (per-dispatch
 *    shapes/strides). Commands are recorded into the current batch with a
 *    global barrier after each; a batch is submitted when full, when the
 *    host needs data (copy_d2h) or at synchronize. Errors found when a fence
 *    is waited on are kept and returned by the next synchronize (ABI-14).
 *  - pipelines: one per (shader variant, specialization constant), made on
 *    first use; descriptor sets cached per tuple of bound VkBuffers (set 0:
 *    parameter words as storage buffer and as dynamic uniform buffer, the
 *    tensors) and per tuple of texel views (set 1, bpvk_dispatch_texel).
 * Every entry point of a device holds its mutex (ABI-24).
 * Vulkan results become bp_status_t in one place: bpvk_check().
 */
#ifndef BACKPLANE_BACKENDS_VULKAN_BP_VK_H_
#define BACKPLANE_BACKENDS_VULKAN_BP_VK_H_

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "backplane/bp_abi.h"

#define BPVK_MAX_DIMS 8
#define BPVK_NUM_BATCHES 3
#define BPVK_STAGING_SIZE (8u << 20)
#define BPVK_PARAM_WORDS (64u * 1024u)
#define BPVK_BLOCK_SIZE (64ull << 20)
#define BPVK_ALIGN 256u
#define BPVK_MAX_TENSORS 8 /* adamw_step 7, batch_norm 8 */
#define BPVK_MAX_BINDINGS (1 + BPVK_MAX_TENSORS) /* params + tensors (storage buffers, bindings 0..8) */
/* Binding BPVK_MAX_BINDINGS (9): the parameter words again, as a dynamic
 * uniform buffer of this many words from the dispatch's first
 * (shaders/common.glsl). */
#define BPVK_PARAM_VIEW 1024u
#define BPVK_MAX_CHECKS 64

/* Compiled SPIR-V, one entry per shader variant (bp_vk_spirv.c, generated). */
typedef struct bpvk_spirv {
  const char *name; /* "copy_8_6", "binary_8", "mm_8", ... */
  const uint32_t *code;
  size_t size; /* bytes */
} bpvk_spirv_t;
extern const bpvk_spirv_t bpvk_spirv[];
extern const uint32_t bpvk_spirv_count;

typedef struct bpvk_range { uint64_t offset, size; } bpvk_range_t;

typedef struct bpvk_block {
  VkBuffer buffer;
  VkDeviceMemory memory;
  uint64_t size;
  bool dedicated; /* one allocation; destroyed when it is freed */
  char *map;      /* the block mapped, where its memory is host-visible and coherent (CPU
                   * drivers, integrated GPUs): host copies memcpy once the queue is idle */
  bpvk_range_t *free; /* sorted by offset, coalesced */
  uint32_t nfree, cap;
} bpvk_block_t;

typedef struct bpvk_alloc {
  bpvk_block_t *block;
  uint64_t offset, size;
} bpvk_alloc_t;

typedef struct bpvk_batch {
  VkCommandBuffer cmd;
  VkFence fence;
  bool recording, submitted;
  uint32_t dispatches;
  VkBuffer staging;
  VkDeviceMemory staging_mem;
  char *staging_map;
  uint64_t staging_used;
  VkBuffer params;
  VkDeviceMemory params_mem;
  uint32_t *params_map;
  uint32_t params_used; /* words */
  /* Check words: parameter words a shader sets on an invalid input (integer
   * division by zero, p outside [0, 1]); read when the batch retires. */
  uint32_t ncheck;
  uint32_t check_word[BPVK_MAX_CHECKS];
  const char *check_msg[BPVK_MAX_CHECKS];
} bpvk_batch_t;

typedef struct bpvk_pipeline { uint32_t variant, spec; VkPipeline pipeline; } bpvk_pipeline_t;
typedef struct bpvk_dset { VkBuffer buffers[BPVK_MAX_BINDINGS]; VkDescriptorSet set; } bpvk_dset_t;
/* Texel views: a whole block seen as a uniform texel buffer of one format,
 * and the cached set 1 (bindings 0..2) of a tuple of views. */
#define BPVK_MAX_TEXELS 3
typedef struct bpvk_view { VkBuffer buffer; VkFormat format; VkBufferView view; } bpvk_view_t;
typedef struct bpvk_tset { VkBufferView views[BPVK_MAX_TEXELS]; VkDescriptorSet set; } bpvk_tset_t;

/* Features the shaders may need (SPIR-V capabilities they declare). */
typedef struct bpvk_features {
  bool storage16, storage8, int8, int16, float16, int64, float64;
  bool preserve32, preserve64; /* shaderSignedZeroInfNanPreserveFloat32/64 */
  /* shaderDenormPreserveFloat16/32/64, and whether widths may differ
   * (denormBehaviorIndependence ALL). */
  bool denorm16, denorm32, denorm64, denorm_independent;
} bpvk_features_t;

struct bpvk_ctx;

typedef struct bpvk_device {
  struct bpvk_ctx *ctx;
  uint32_t index;
  pthread_mutex_t mu;
  VkPhysicalDevice phys;
  VkPhysicalDeviceProperties props;
  char driver[64];
  bpvk_features_t feat;
  uint32_t dtype_mask;
  VkDevice dev;
  VkQueue queue;
  uint32_t queue_family;
  uint32_t mem_type_device, mem_type_host;
  uint64_t total_memory, max_alloc, used;
  bpvk_block_t **blocks;
  uint32_t nblocks, cap_blocks;
  VkCommandPool cmd_pool;
  bpvk_batch_t batches[BPVK_NUM_BATCHES];
  uint32_t current;
  uint32_t param_step; /* words: a dispatch's words start on this step (UBO offset alignment) */
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout pipeline_layout;
  VkDescriptorPool desc_pool;
  bpvk_dset_t *dsets;
  uint32_t ndsets, cap_dsets;
  VkShaderModule *modules; /* per variant, made on first use */
  int8_t *usable;          /* per variant: -1 unknown, 0/1 */
  bpvk_pipeline_t *pipelines;
  uint32_t npipelines, cap_pipelines;
  /* Texel reads (shaders with a set 1 of uniform texel buffers): lavapipe
   * gathers them with SIMD loads, where it reads SSBOs lane by lane. */
  bool subgroup_ballot; /* subgroup basic and ballot operations in compute shaders */
  bool texel; /* R32_SFLOAT and R32G32B32A32_SFLOAT uniform texel buffers work */
  VkDescriptorSetLayout texel_layout;
  VkPipelineLayout texel_pipeline_layout;
  bpvk_view_t *views;
  uint32_t nviews, cap_views;
  bpvk_tset_t *tsets;
  uint32_t ntsets, cap_tsets;
  bp_status_t pending; /* asynchronous error for the next synchronize */
  char pending_msg[256];
  uint64_t validation_seen; /* ctx->validation_errors already reported */
} bpvk_device_t;

typedef struct bpvk_ctx {
  const bp_host_api_t *host;
  VkInstance instance;
  bool validation;
  bool matmul_tiled; /* option matmul_tiled: shared-memory matmul on CPU devices too */
  bool conv_gpu_paths; /* BP_VULKAN_CONV_GPU_PATHS=1: conv's GPU choices on CPU devices too */
  bool pool_gpu_paths; /* BP_VULKAN_POOL_GPU_PATHS=1: the pools' GPU choices on CPU devices too */
  VkDebugUtilsMessengerEXT messenger;
  uint64_t validation_errors;
  char last_validation[256];
  pthread_mutex_t log_mu;
  uint32_t ndevices;
  bpvk_device_t *devices;
} bpvk_ctx_t;

/* ---- errors (bp_vk_status.c) ---- */
/* Maps a VkResult to a bp_status_t; for a failure also sets the host error
 * "vulkan <call>: <VK_ERROR_NAME>" and returns the mapped status. */
bp_status_t bpvk_check(const bpvk_ctx_t *ctx, VkResult result, const char *call);
const char *bpvk_result_name(VkResult result);
bp_status_t bpvk_fail(const bpvk_ctx_t *ctx, bp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bpvk_log(const bpvk_ctx_t *ctx, bp_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records an asynchronous error for the next synchronize (first one wins). */
void bpvk_set_pending(bpvk_device_t *d, bp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define BPVK_RETURN_IF_ERROR(ctx, expr, call)                   \
  do {                                                          \
    VkResult bpvk_r_ = (expr);                                  \
    if (bpvk_r_ != VK_SUCCESS) return bpvk_check(ctx, bpvk_r_, call); \
  } while (0)

/* ---- device queue (bp_vk_queue.c) ---- */
bp_status_t bpvk_queue_init(bpvk_device_t *d);
void bpvk_queue_destroy(bpvk_device_t *d);
/* The batch being recorded (begins one, waiting for its previous use). */
bp_status_t bpvk_batch_begin(bpvk_device_t *d, bpvk_batch_t **out);
/* Submits the current batch if it has commands. */
bp_status_t bpvk_batch_submit(bpvk_device_t *d);
/* Submits and waits for everything; errors become pending. */
void bpvk_wait_all(bpvk_device_t *d);
/* True when nothing is recorded or running (retires finished batches). */
bool bpvk_queue_idle(bpvk_device_t *d);
void bpvk_barrier(bpvk_batch_t *b);
/* Staging bytes in the current batch (submitting it first if full). */
bp_status_t bpvk_staging(bpvk_device_t *d, uint64_t size, bpvk_batch_t **out_batch,
                         uint64_t *out_offset);
/* Index of a shader variant by name, or -1; usable on this device? */
int32_t bpvk_variant_find(const char *name);
bool bpvk_variant_usable(bpvk_device_t *d, int32_t variant);
/* Bit 31 of a dispatch's `spec`: specialization constant 1 is set to 1
 * (elementwise shaders: the operands are one merged dim, no index
 * divisions) and constant 0 gets the other bits. */
#define BPVK_SPEC_ONE_DIM 0x80000000u
/* Records one dispatch of variant with specialization constant `spec`
 * (constant_id 0; see BPVK_SPEC_ONE_DIM), the tensor buffers (NULL:
 * unused) and parameter words. */
bp_status_t bpvk_dispatch(bpvk_device_t *d, int32_t variant, uint32_t spec,
                          const VkBuffer tensors[3], const uint32_t *params,
                          uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz);
/* The same; the last parameter word is a check word (zeroed here): when
 * the batch retires and the shader has set it, "vulkan <check>" becomes the
 * pending INVALID_ARGUMENT error of the next synchronize. */
bp_status_t bpvk_dispatch_checked(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer tensors[3],
                                  const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz,
                                  const char *check);
/* The same with ntensors (<= BPVK_MAX_TENSORS) tensor buffers at bindings
 * 1..ntensors; check may be NULL. */
bp_status_t bpvk_dispatch_n(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer *tensors,
                            uint32_t ntensors, const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy,
                            uint32_t gz, const char *check);
/* Like bpvk_dispatch, for a variant that also reads tensors as uniform
 * texel buffers (set 1, bindings 0..2): texels[i] seen in formats[i]
 * (VK_NULL_HANDLE: binding unused). Only where d->texel. */
bp_status_t bpvk_dispatch_texel(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer tensors[3],
                                const VkBuffer texels[BPVK_MAX_TEXELS], const VkFormat formats[BPVK_MAX_TEXELS],
                                const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz);
/* The same with ntensors (<= BPVK_MAX_TENSORS) tensor buffers at bindings
 * 1..ntensors. */
bp_status_t bpvk_dispatch_texel_n(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer *tensors,
                                  uint32_t ntensors, const VkBuffer texels[BPVK_MAX_TEXELS],
                                  const VkFormat formats[BPVK_MAX_TEXELS], const uint32_t *params, uint32_t nparams,
                                  uint32_t gx, uint32_t gy, uint32_t gz);
/* The same; the last parameter word is a check word (check names the error; may be NULL). */
bp_status_t bpvk_dispatch_texel_checked(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer tensors[3],
                                        const VkBuffer texels[BPVK_MAX_TEXELS],
                                        const VkFormat formats[BPVK_MAX_TEXELS], const uint32_t *params,
                                        uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz, const char *check);
/* Drops cached descriptor sets and views naming this buffer (before destroying it). */
void bpvk_forget_buffer(bpvk_device_t *d, VkBuffer buffer);

/* ---- memory (bp_vk_memory.c) ---- */
bp_status_t bpvk_buffer_alloc(void *plugin_ctx, uint32_t device, uint64_t size, void **out);
void bpvk_buffer_free(void *plugin_ctx, uint32_t device, void *buffer);
bp_status_t bpvk_copy_h2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset,
                          const void *src, uint64_t size);
bp_status_t bpvk_copy_d2h(void *plugin_ctx, uint32_t device, void *dst, const void *src,
                          uint64_t src_offset, uint64_t size);
bp_status_t bpvk_copy_d2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset,
                          const void *src, uint64_t src_offset, uint64_t size);
bp_status_t bpvk_fill(void *plugin_ctx, uint32_t device, void *dst, uint64_t offset,
                      uint64_t size, const void *pattern, uint32_t pattern_size);
bp_status_t bpvk_synchronize(void *plugin_ctx, uint32_t device);
void bpvk_memory_destroy(bpvk_device_t *d);
/* Finds a memory type with these property flags among type_bits, or -1. */
int32_t bpvk_memory_type(const bpvk_device_t *d, uint32_t type_bits, VkMemoryPropertyFlags want);
/* A buffer with its own memory (staging, parameters): host-visible, mapped. */
bp_status_t bpvk_host_buffer(bpvk_device_t *d, uint64_t size, VkBufferUsageFlags usage,
                             VkBuffer *out_buffer, VkDeviceMemory *out_mem, void **out_map);

/* ---- kernels (bp_vk_kernels.c) ---- */
/* Registers every (op, signature) some device can run. */
bp_status_t bpvk_kernels_register(bpvk_ctx_t *ctx);
/* conv2d (bp_vk_ops_conv.c), registered by bpvk_kernels_register. */
bp_status_t bpvk_conv_register(bpvk_ctx_t *ctx);
/* Dtypes this device can store and move (its raw copy shaders run). */
uint32_t bpvk_device_dtype_mask(bpvk_device_t *d);

/* bp_vk_denorm.c: a copy (malloc'd, the caller frees) of SPIR-V module w
 * (n words) with DenormPreserve for the float widths it computes in that
 * the device can preserve, *out_n its word count; NULL where nothing is to
 * change (use w as it is), or with *out_n = SIZE_MAX when out of memory. */
uint32_t *bpvk_spirv_keep_denormals(const bpvk_features_t *f, const uint32_t *w, size_t n, size_t *out_n);

#endif /* BACKPLANE_BACKENDS_VULKAN_BP_VK_H_ */
