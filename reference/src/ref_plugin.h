/*
 * ref_plugin.h - state and helpers shared by every file of the reference
 * plugin. Nothing here is exported: all symbols are bp_ref_ and the build
 * uses hidden visibility.
 */
#ifndef BACKPLANE_REFERENCE_REF_PLUGIN_H_
#define BACKPLANE_REFERENCE_REF_PLUGIN_H_

#include "backplane/bp_abi.h"

#if defined(__GNUC__) || defined(__clang__)
#define BP_REF_PRINTF(fmt_index, first_arg) \
  __attribute__((format(printf, fmt_index, first_arg)))
#else
#define BP_REF_PRINTF(fmt_index, first_arg)
#endif

/* Largest tensor rank the kernels take (bp_device_props_t.max_dims). */
#define BP_REF_MAX_DIMS 64

/* The plugin context init makes (owned by the plugin, freed by shutdown). */
typedef struct bp_ref_ctx {
  const bp_host_api_t *host; /* borrowed; valid until shutdown returns */
  uint64_t total_memory;     /* physical memory in bytes, read once at init */
} bp_ref_ctx_t;

/* Formats a message, hands it to host->set_error and returns `status`.
 * `plugin_ctx` is the plugin's context; when it (or its host, or set_error)
 * is NULL the message is dropped and only the status is returned. */
bp_status_t bp_ref_fail(const void *plugin_ctx, bp_status_t status,
                        const char *fmt, ...) BP_REF_PRINTF(3, 4);

/* Physical memory of the machine in bytes (sysconf), at least 1. */
uint64_t bp_ref_total_memory(void);
/* Available physical memory in bytes (sysconf), 0 if unknown. */
uint64_t bp_ref_free_memory(void);

/* Registers one kernel with host->register_kernel. `dtypes` (num_dtypes
 * entries) and `kernel_data` must be static: the host may keep them. */
bp_status_t bp_ref_register(const bp_host_api_t *host, const char *op_name,
                            const bp_dtype_t *dtypes, uint32_t num_dtypes,
                            bp_kernel_fn_t fn, const void *kernel_data);

/* Each kernel file registers its op(s); each returns the first failing
 * status of host->register_kernel. */
bp_status_t bp_ref_fill_register(const bp_host_api_t *host);
bp_status_t bp_ref_copy_register(const bp_host_api_t *host);
bp_status_t bp_ref_binary_register(const bp_host_api_t *host);
bp_status_t bp_ref_reduce_register(const bp_host_api_t *host);
bp_status_t bp_ref_matmul_register(const bp_host_api_t *host);
/* Op families of the full catalog, one file (or a few) each. */
bp_status_t bp_ref_shape_register(const bp_host_api_t *host);   /* ref_shape.c */
bp_status_t bp_ref_unary_register(const bp_host_api_t *host);   /* ref_unary.c */
bp_status_t bp_ref_binary2_register(const bp_host_api_t *host); /* ref_binary2.c */
bp_status_t bp_ref_reduce2_register(const bp_host_api_t *host); /* ref_reduce2.c */
bp_status_t bp_ref_nn_register(const bp_host_api_t *host);      /* ref_nn.c */
bp_status_t bp_ref_nn2_register(const bp_host_api_t *host);     /* ref_nn2.c */
bp_status_t bp_ref_random_register(const bp_host_api_t *host);  /* ref_random.c */
bp_status_t bp_ref_nn_backward_register(const bp_host_api_t *host); /* ref_nn_backward*.c */
bp_status_t bp_ref_train_register(const bp_host_api_t *host);   /* ref_train.c */

/* Memory entries of the plugin table (ref_memory.c); contracts in bp_abi.h. */
bp_status_t bp_ref_buffer_alloc(void *plugin_ctx, uint32_t device,
                                uint64_t size, void **out_buffer);
void bp_ref_buffer_free(void *plugin_ctx, uint32_t device, void *buffer);
bp_status_t bp_ref_copy_h2d(void *plugin_ctx, uint32_t device, void *dst,
                            uint64_t dst_offset, const void *src,
                            uint64_t size);
bp_status_t bp_ref_copy_d2h(void *plugin_ctx, uint32_t device, void *dst,
                            const void *src, uint64_t src_offset,
                            uint64_t size);
bp_status_t bp_ref_copy_d2d(void *plugin_ctx, uint32_t device, void *dst,
                            uint64_t dst_offset, const void *src,
                            uint64_t src_offset, uint64_t size);
bp_status_t bp_ref_fill_bytes(void *plugin_ctx, uint32_t device, void *dst,
                              uint64_t offset, uint64_t size,
                              const void *pattern, uint32_t pattern_size);
bp_status_t bp_ref_synchronize(void *plugin_ctx, uint32_t device);

#endif /* BACKPLANE_REFERENCE_REF_PLUGIN_H_ */
