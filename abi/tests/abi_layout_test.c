/* The v1.0 layout and version arithmetic, checked at run time as well as by
 * the header's static asserts (which only fire on LP64). */
#include <criterion/criterion.h>

#include "backplane/bp_abi.h"

Test(abi, version_packing) {
  cr_assert_eq(BP_ABI_VERSION, (1u << 16) | 0u);
  cr_assert_eq(BP_ABI_VERSION_GET_MAJOR(BP_ABI_MAKE_VERSION(3, 7)), 3u);
  cr_assert_eq(BP_ABI_VERSION_GET_MINOR(BP_ABI_MAKE_VERSION(3, 7)), 7u);
  cr_assert_eq(BP_ABI_VERSION_GET_MINOR(BP_ABI_MAKE_VERSION(1, 0x1ffff)), 0xffffu);
}

Test(abi, v1_0_sizes_cover_every_member) {
  cr_assert_eq(BP_PLUGIN_API_SIZE_V1_0, sizeof(bp_plugin_api_t));
  cr_assert_eq(BP_HOST_API_SIZE_V1_0, sizeof(bp_host_api_t));
  cr_assert_eq(BP_KERNEL_REG_SIZE_V1_0, sizeof(bp_kernel_reg_t));
  cr_assert_eq(BP_KERNEL_CALL_SIZE_V1_0, sizeof(bp_kernel_call_t));
  cr_assert_eq(BP_TENSOR_DESC_SIZE_V1_0, sizeof(bp_tensor_desc_t));
  cr_assert_leq(BP_DEVICE_PROPS_SIZE_V1_0, sizeof(bp_device_props_t));
  cr_assert_leq(BP_ATTR_SIZE_V1_0, sizeof(bp_attr_t));
}

Test(abi, status_codes_are_fixed) {
  cr_assert_eq(BP_STATUS_OK, 0);
  cr_assert_eq(BP_STATUS_INVALID_ARGUMENT, 1);
  cr_assert_eq(BP_STATUS_UNSUPPORTED, 2);
  cr_assert_eq(BP_STATUS_OUT_OF_MEMORY, 3);
  cr_assert_eq(BP_STATUS_DEVICE_ERROR, 4);
  cr_assert_eq(BP_STATUS_INTERNAL, 5);
  cr_assert_eq(BP_STATUS_ABI_MISMATCH, 9);
}

Test(abi, dtype_sizes) {
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_BOOL), 1);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_U8), 1);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_I8), 1);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_I32), 4);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_I64), 8);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_F16), 2);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_BF16), 2);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_F32), 4);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_F64), 8);
  cr_assert_eq(bp_abi_dtype_size(BP_DTYPE_INVALID), 0);
  cr_assert_eq(bp_abi_dtype_size(77), 0);
}

Test(abi, find_attr_by_name) {
  bp_attr_t alpha = {.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_FLOAT, .name = "alpha",
                     .count = 1, .value.f = 2.5};
  bp_attr_t dims = {.struct_size = sizeof(bp_attr_t), .type = BP_ATTR_INTS, .name = "dim",
                    .count = 0};
  const bp_attr_t *list[2] = {&dims, &alpha};
  bp_kernel_call_t call = {.struct_size = sizeof(call), .num_attrs = 2, .attrs = list};
  cr_assert_eq(bp_abi_find_attr(&call, "alpha"), &alpha);
  cr_assert_eq(bp_abi_find_attr(&call, "dim"), &dims);
  cr_assert_null(bp_abi_find_attr(&call, "al"));
  cr_assert_null(bp_abi_find_attr(&call, "alphabet"));
}
