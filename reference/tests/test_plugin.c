/* test_plugin.c - query, init, devices and the registered kernel list. */
#include <criterion/criterion.h>
#include <string.h>

#include "test_host.h"

TestSuite(plugin, .init = th_setup, .fini = th_teardown);

Test(plugin, query_and_table) {
  const bp_plugin_api_t *api = NULL;
  cr_assert_eq(bp_reference_plugin_query(&th_host, BP_ABI_VERSION, &api), BP_STATUS_OK);
  cr_assert_str_eq(api->name, "ref");
  cr_assert_str_eq(api->version, "1.0.0");
  cr_assert_str_eq(api->vendor, "Backplane");
  cr_assert_eq(api->abi_version, BP_ABI_VERSION);
  cr_assert_geq(api->struct_size, BP_PLUGIN_API_SIZE_V1_0);
  cr_assert(api->init && api->device_count && api->device_props && api->buffer_alloc &&
            api->buffer_free && api->copy_h2d && api->copy_d2h && api->copy_d2d &&
            api->fill && api->synchronize);
}

Test(plugin, query_version_mismatch) {
  const bp_plugin_api_t *api = NULL;
  cr_assert_eq(bp_reference_plugin_query(&th_host, BP_ABI_MAKE_VERSION(2, 0), &api),
               BP_STATUS_ABI_MISMATCH);
  cr_assert_null(api);
  cr_assert_eq(bp_reference_plugin_query(&th_host, BP_ABI_MAKE_VERSION(0, 9), &api),
               BP_STATUS_ABI_MISMATCH);
  /* another minor of major 1 is fine */
  cr_assert_eq(bp_reference_plugin_query(&th_host, BP_ABI_MAKE_VERSION(1, 7), &api), BP_STATUS_OK);
  cr_assert_not_null(api);
}

Test(plugin, device_count_and_props) {
  uint32_t n = 0;
  cr_assert_eq(th_api->device_count(th_ctx, &n), BP_STATUS_OK);
  cr_assert_eq(n, 1u);
  bp_device_props_t props;
  memset(&props, 0, sizeof props);
  props.struct_size = sizeof props;
  cr_assert_eq(th_api->device_props(th_ctx, 0, &props), BP_STATUS_OK);
  cr_assert_eq(props.kind, BP_DEVICE_KIND_CPU);
  cr_assert_str_eq(props.name, "Backplane reference CPU");
  cr_assert_str_eq(props.vendor, "Backplane");
  cr_assert_gt(props.total_memory, 0u);
  cr_assert_leq(props.free_memory, props.total_memory);
  cr_assert_eq(props.max_alloc_size, props.total_memory);
  cr_assert_eq(props.dtype_mask, 0x3feu); /* bits 1 (BOOL) .. 9 (F64) */
  cr_assert_eq(props.max_dims, 64u);
  cr_assert(props.host_addressable);
}

Test(plugin, props_respect_small_struct_size) {
  unsigned char storage[sizeof(bp_device_props_t) + 64];
  memset(storage, 0xAB, sizeof storage);
  bp_device_props_t *props = (bp_device_props_t *)(void *)storage;
  const size_t limit = offsetof(bp_device_props_t, total_memory);
  props->struct_size = (uint32_t)limit;
  cr_assert_eq(th_api->device_props(th_ctx, 0, props), BP_STATUS_OK);
  cr_assert_eq(props->kind, BP_DEVICE_KIND_CPU);
  cr_assert_str_eq(props->name, "Backplane reference CPU");
  cr_assert_str_eq(props->vendor, "Backplane");
  for (size_t i = limit; i < sizeof storage; ++i)
    cr_assert_eq(storage[i], 0xAB, "byte %zu past struct_size was written", i);
}

Test(plugin, props_bad_device) {
  bp_device_props_t props;
  memset(&props, 0, sizeof props);
  props.struct_size = sizeof props;
  cr_assert_eq(th_api->device_props(th_ctx, 1, &props), BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "device_props") != NULL, "%s", th_last_error);
  cr_assert(strstr(th_last_error, "1") != NULL, "%s", th_last_error);
  cr_assert_eq(th_api->device_props(th_ctx, 0, NULL), BP_STATUS_INVALID_ARGUMENT);
}

static bool in_list(bp_dtype_t t, const bp_dtype_t *list, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (list[i] == t) return true;
  return false;
}

Test(plugin, registered_signatures) {
  static const bp_dtype_t all[] = {BP_DTYPE_BOOL, BP_DTYPE_U8,  BP_DTYPE_I8,
                                   BP_DTYPE_I32,  BP_DTYPE_I64, BP_DTYPE_F16,
                                   BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  static const bp_dtype_t sub_t[] = {BP_DTYPE_U8,  BP_DTYPE_I8,   BP_DTYPE_I32, BP_DTYPE_I64,
                                     BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32, BP_DTYPE_F64};
  static const bp_dtype_t sum_t[] = {BP_DTYPE_I64, BP_DTYPE_F16, BP_DTYPE_BF16, BP_DTYPE_F32,
                                     BP_DTYPE_F64};
  size_t fill = 0, copy = 0, add = 0, sub = 0, mul = 0, div = 0, sum = 0, matmul = 0;
  for (size_t i = 0; i < th_num_kernels; ++i) {
    const th_kernel_t *k = &th_kernels[i];
    for (size_t j = 0; j < i; ++j)
      cr_assert(!(strcmp(th_kernels[j].op, k->op) == 0 &&
                  th_kernels[j].num_dtypes == k->num_dtypes &&
                  memcmp(th_kernels[j].dtypes, k->dtypes, k->num_dtypes * sizeof(bp_dtype_t)) == 0),
                "duplicate %s registration", k->op);
    const bp_dtype_t *d = k->dtypes;
    if (strcmp(k->op, "fill") == 0) {
      cr_assert_eq(k->num_dtypes, 1u);
      cr_assert(in_list(d[0], all, 9));
      ++fill;
    } else if (strcmp(k->op, "copy") == 0) {
      cr_assert_eq(k->num_dtypes, 2u);
      cr_assert(in_list(d[0], all, 9) && in_list(d[1], all, 9));
      ++copy;
    } else if (strcmp(k->op, "sum") == 0) {
      cr_assert_eq(k->num_dtypes, 2u);
      cr_assert(d[0] == d[1] && in_list(d[0], sum_t, 5));
      ++sum;
    } else if (strcmp(k->op, "add") == 0 || strcmp(k->op, "sub") == 0 ||
               strcmp(k->op, "mul") == 0 || strcmp(k->op, "div") == 0 ||
               strcmp(k->op, "matmul") == 0) {
      cr_assert_eq(k->num_dtypes, 3u, "%s", k->op);
      cr_assert(d[0] == d[1] && d[1] == d[2], "%s", k->op);
      if (strcmp(k->op, "add") == 0) {
        cr_assert(in_list(d[0], all, 9));
        ++add;
      } else if (strcmp(k->op, "sub") == 0) {
        cr_assert(in_list(d[0], sub_t, 8));
        ++sub;
      } else if (strcmp(k->op, "mul") == 0) {
        cr_assert(in_list(d[0], all, 9));
        ++mul;
      } else if (strcmp(k->op, "div") == 0) {
        cr_assert(in_list(d[0], sub_t, 8)); /* integers for trunc/floor rounding */
        ++div;
      } else if (strcmp(k->op, "matmul") == 0) {
        cr_assert(in_list(d[0], sub_t, 8)); /* same set as sub: no BOOL */
        ++matmul;
      }
    } /* the op families' kernels are checked by their own test_<family>*.c */
  }
  cr_assert_eq(fill, 9u);
  cr_assert_eq(copy, 81u);
  cr_assert_eq(add, 9u);
  cr_assert_eq(sub, 8u);
  cr_assert_eq(mul, 9u);
  cr_assert_eq(div, 8u);
  cr_assert_eq(sum, 5u);
  cr_assert_eq(matmul, 8u);
  cr_assert_geq(th_num_kernels, 9u + 81 + 9 + 8 + 9 + 8 + 5 + 8);
}

static void fail_third_registration(void) {
  th_fail_registration_at = 3;
  th_setup();
}

Test(plugin_init, registration_failure_is_returned, .init = fail_third_registration) {
  void *ctx = NULL;
  cr_assert_eq(th_api->init(&th_host, &ctx), BP_STATUS_INVALID_ARGUMENT);
}

Test(plugin, kernel_arity_is_defended) {
  const th_kernel_t *k = th_find("add", 3, (const bp_dtype_t[]){BP_DTYPE_F32, BP_DTYPE_F32, BP_DTYPE_F32});
  cr_assert_not_null(k);
  bp_kernel_call_t call = {.struct_size = sizeof call, .op_name = "add", .plugin_ctx = th_ctx,
                           .kernel_data = k->kernel_data, .num_inputs = 1, .num_outputs = 1};
  cr_assert_eq(k->fn(&call), BP_STATUS_INTERNAL);
  cr_assert(strstr(th_last_error, "add") != NULL, "%s", th_last_error);
}
