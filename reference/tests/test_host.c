/* test_host.c - see test_host.h. */
#include "test_host.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

th_kernel_t th_kernels[TH_MAX_KERNELS];
size_t th_num_kernels;
char th_last_error[512];
bp_host_api_t th_host;
const bp_plugin_api_t *th_api;
void *th_ctx;
int th_fail_registration_at;
static int registration_calls;

static bp_status_t host_register_kernel(void *host_ctx, const bp_kernel_reg_t *reg) {
  (void)host_ctx;
  ++registration_calls;
  if (th_fail_registration_at > 0 && registration_calls == th_fail_registration_at)
    return BP_STATUS_INVALID_ARGUMENT;
  cr_assert_not_null(reg);
  cr_assert_eq(reg->struct_size, sizeof(bp_kernel_reg_t));
  cr_assert_not_null(reg->fn);
  cr_assert_leq(reg->num_dtypes, 8u);
  cr_assert_lt(th_num_kernels, (size_t)TH_MAX_KERNELS);
  th_kernel_t *k = &th_kernels[th_num_kernels++];
  snprintf(k->op, sizeof k->op, "%s", reg->op_name);
  k->num_dtypes = reg->num_dtypes;
  memcpy(k->dtypes, reg->dtypes, reg->num_dtypes * sizeof(bp_dtype_t));
  k->fn = reg->fn;
  k->supports = reg->supports;
  k->kernel_data = reg->kernel_data;
  return BP_STATUS_OK;
}

static void host_log(void *host_ctx, bp_log_level_t level, const char *message) {
  (void)host_ctx;
  fprintf(stderr, "[ref %u] %s\n", (unsigned)level, message);
}

static void host_set_error(void *host_ctx, const char *message) {
  (void)host_ctx;
  snprintf(th_last_error, sizeof th_last_error, "%s", message);
}

static bp_status_t host_query_option(void *host_ctx, const char *key, const char **out_value) {
  (void)host_ctx;
  (void)key;
  *out_value = NULL;
  return BP_STATUS_OK;
}

void th_setup(void) {
  th_host = (bp_host_api_t){
      .struct_size = sizeof(bp_host_api_t),
      .abi_version = BP_ABI_VERSION,
      .abi_version_min = BP_ABI_VERSION,
      .host_ctx = NULL,
      .register_kernel = host_register_kernel,
      .log = host_log,
      .set_error = host_set_error,
      .query_option = host_query_option,
  };
  th_num_kernels = 0;
  registration_calls = 0;
  th_last_error[0] = '\0';
  cr_assert_eq(bp_reference_plugin_query(&th_host, BP_ABI_VERSION, &th_api), BP_STATUS_OK);
  th_ctx = NULL;
  if (th_fail_registration_at == 0)
    cr_assert_eq(th_api->init(&th_host, &th_ctx), BP_STATUS_OK);
}

void th_teardown(void) {
  if (th_api != NULL && th_ctx != NULL && th_api->shutdown != NULL) th_api->shutdown(th_ctx);
  th_ctx = NULL;
}

const th_kernel_t *th_find(const char *op, uint32_t n, const bp_dtype_t *dtypes) {
  for (size_t i = 0; i < th_num_kernels; ++i) {
    const th_kernel_t *k = &th_kernels[i];
    if (strcmp(k->op, op) == 0 && k->num_dtypes == n &&
        memcmp(k->dtypes, dtypes, n * sizeof(bp_dtype_t)) == 0)
      return k;
  }
  return NULL;
}

void th_contiguous(int32_t ndim, const int64_t *shape, int64_t *strides) {
  int64_t s = 1;
  for (int32_t d = ndim - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
}

bp_tensor_desc_t th_desc(bp_dtype_t dtype, void *data, int32_t ndim,
                         const int64_t *shape, const int64_t *strides) {
  return (bp_tensor_desc_t){
      .struct_size = sizeof(bp_tensor_desc_t),
      .dtype = dtype,
      .device_index = 0,
      .ndim = ndim,
      .data = data,
      .byte_offset = 0,
      .shape = shape,
      .strides = strides,
  };
}

bp_attr_t th_attr_float(const char *name, double v) {
  return (bp_attr_t){.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_FLOAT,
                     .name = name, .count = 1, .value.f = v};
}

bp_attr_t th_attr_int(const char *name, int64_t v) {
  return (bp_attr_t){.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_INT,
                     .name = name, .count = 1, .value.i = v};
}

bp_status_t th_call(const char *op, const bp_tensor_desc_t *const *inputs,
                    uint32_t nin, const bp_tensor_desc_t *const *outputs,
                    uint32_t nout, const bp_attr_t *attrs, uint32_t nattrs) {
  bp_dtype_t sig[8];
  for (uint32_t i = 0; i < nin; ++i) sig[i] = inputs[i]->dtype;
  for (uint32_t i = 0; i < nout; ++i) sig[nin + i] = outputs[i]->dtype;
  const th_kernel_t *k = th_find(op, nin + nout, sig);
  cr_assert_not_null(k, "no %s kernel for this signature", op);
  const bp_attr_t *attr_ptrs[8];
  for (uint32_t i = 0; i < nattrs; ++i) attr_ptrs[i] = &attrs[i];
  bp_kernel_call_t call = {
      .struct_size = sizeof(bp_kernel_call_t),
      .op_id = 0,
      .op_name = op,
      .plugin_ctx = th_ctx,
      .kernel_data = k->kernel_data,
      .device_index = 0,
      .num_inputs = nin,
      .num_outputs = nout,
      .num_attrs = nattrs,
      .inputs = inputs,
      .outputs = outputs,
      .attrs = attr_ptrs,
  };
  return k->fn(&call);
}

/* Decodes f16 bits by the textbook formula, independent of the plugin. */
float th_f16(uint16_t bits) {
  int e = (bits >> 10) & 0x1f, m = bits & 0x3ff;
  float sign = (bits & 0x8000) ? -1.0f : 1.0f;
  if (e == 0) return sign * ldexpf((float)m, -24);
  if (e == 31) return m ? NAN : sign * INFINITY;
  return sign * ldexpf((float)(m + 1024), e - 25);
}
