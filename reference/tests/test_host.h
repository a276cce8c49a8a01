/*
 * test_host.h - a tiny host for testing the reference plugin through its ABI
 * only (no libbackplane). register_kernel records every registration,
 * set_error keeps the last message, log prints.
 *
 * th_setup() queries and inits the plugin; th_teardown() shuts it down. Each
 * Criterion test runs in its own process, so the globals are per test.
 */
#ifndef BP_REFERENCE_TEST_HOST_H_
#define BP_REFERENCE_TEST_HOST_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backplane/bp_abi.h"
#include "backplane/bp_reference.h"

#define TH_MAX_KERNELS 4096

typedef struct th_kernel {
  char op[32];
  uint32_t num_dtypes;
  bp_dtype_t dtypes[8];
  bp_kernel_fn_t fn;
  bp_kernel_supports_fn_t supports;
  void *kernel_data;
} th_kernel_t;

extern th_kernel_t th_kernels[TH_MAX_KERNELS];
extern size_t th_num_kernels;
extern char th_last_error[512];
extern bp_host_api_t th_host;
extern const bp_plugin_api_t *th_api;
extern void *th_ctx;
/* When > 0, the n-th register_kernel call (1-based) fails. */
extern int th_fail_registration_at;

void th_setup(void);
void th_teardown(void);

/* The registered kernel for op with these dtypes, or NULL. */
const th_kernel_t *th_find(const char *op, uint32_t n, const bp_dtype_t *dtypes);

/* Row-major contiguous strides for shape. */
void th_contiguous(int32_t ndim, const int64_t *shape, int64_t *strides);

/* A descriptor on device 0 (shape/strides borrowed). */
bp_tensor_desc_t th_desc(bp_dtype_t dtype, void *data, int32_t ndim,
                         const int64_t *shape, const int64_t *strides);

bp_attr_t th_attr_float(const char *name, double v);
bp_attr_t th_attr_int(const char *name, int64_t v);

/* Finds the kernel for op by the tensors' dtypes (fails the test if there is
 * none) and calls it. */
bp_status_t th_call(const char *op, const bp_tensor_desc_t *const *inputs,
                    uint32_t nin, const bp_tensor_desc_t *const *outputs,
                    uint32_t nout, const bp_attr_t *attrs, uint32_t nattrs);

/* f16/bf16 from bit patterns written as literals in tests. */
float th_f16(uint16_t bits);

#endif /* BP_REFERENCE_TEST_HOST_H_ */
