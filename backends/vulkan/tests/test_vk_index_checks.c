/* test_vk_index_checks.c - an index out of range on vulkan:0 is an error
 * (INVALID_ARGUMENT from the call or the next synchronize, raised by the
 * shader's check word), never a read or write out of bounds, and the device
 * keeps working afterwards. Runs on lavapipe (or any Vulkan device). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "backplane/backplane.h"
#include "backplane/bp_ops_nn2.h"

static bp_device_t *vk(void) {
  bp_device_t *d = NULL;
  cr_assert_eq(bp_device_get("vulkan:0", &d), BP_STATUS_OK, "%s", bp_last_error());
  return d;
}

static bp_tensor_t *on_vk(bp_dtype_t dt, int32_t ndim, const int64_t *shape, const void *data, size_t nbytes) {
  bp_tensor_t *t = NULL;
  cr_assert_eq(bp_tensor_create_from_host(vk(), dt, ndim, shape, data, nbytes, &t), BP_STATUS_OK, "%s",
               bp_last_error());
  return t;
}

/* The op's status, or else the next synchronize's: INVALID_ARGUMENT naming
 * the op. */
static void expect_index_error(bp_status_t s, bp_tensor_t *out, const char *op) {
  if (s == BP_STATUS_OK) s = bp_device_synchronize(vk());
  bp_tensor_release(out);
  cr_assert_eq(s, BP_STATUS_INVALID_ARGUMENT, "%s: got %s (%s)", op, bp_status_name(s), bp_last_error());
  cr_assert(strstr(bp_last_error(), op) != NULL, "message '%s' lacks '%s'", bp_last_error(), op);
  /* the device still works */
  cr_assert_eq(bp_device_synchronize(vk()), BP_STATUS_OK, "%s", bp_last_error());
}

static const float kX[6] = {1, 2, 3, 4, 5, 6};
static const int64_t kShape23[2] = {2, 3};

Test(vulkan_index_checks, gather_and_index_select) {
  bp_tensor_t *x = on_vk(BP_DTYPE_F32, 2, kShape23, kX, sizeof kX);
  int64_t bad[6] = {0, 1, 2, 0, 1, 1000000}, ishape[1] = {2};
  bp_tensor_t *ix = on_vk(BP_DTYPE_I64, 2, kShape23, bad, sizeof bad), *out = NULL;
  expect_index_error(bp_gather(x, 1, ix, &out), out, "gather");
  int64_t bad2[2] = {1, -1};
  bp_tensor_t *ix1 = on_vk(BP_DTYPE_I64, 1, ishape, bad2, sizeof bad2);
  out = NULL;
  expect_index_error(bp_index_select(x, 0, ix1, &out), out, "index_select");
  bp_tensor_release(x);
  bp_tensor_release(ix);
  bp_tensor_release(ix1);
}

Test(vulkan_index_checks, embedding_and_one_hot) {
  bp_tensor_t *w = on_vk(BP_DTYPE_F32, 2, kShape23, kX, sizeof kX);
  int32_t bad[2] = {1, 2};
  int64_t ishape[1] = {2};
  bp_tensor_t *ix = on_vk(BP_DTYPE_I32, 1, ishape, bad, sizeof bad), *out = NULL;
  expect_index_error(bp_embedding(w, ix, &out), out, "embedding");
  int64_t cls[2] = {3, 4};
  bp_tensor_t *c = on_vk(BP_DTYPE_I64, 1, ishape, cls, sizeof cls);
  out = NULL;
  expect_index_error(bp_one_hot(c, 4, &out), out, "one_hot");
  bp_tensor_release(w);
  bp_tensor_release(ix);
  bp_tensor_release(c);
}

Test(vulkan_index_checks, scatter_add_and_cross_entropy) {
  bp_tensor_t *x = on_vk(BP_DTYPE_F32, 2, kShape23, kX, sizeof kX);
  int64_t bad[6] = {0, 1, 2, 0, 7, 1};
  bp_tensor_t *ix = on_vk(BP_DTYPE_I64, 2, kShape23, bad, sizeof bad), *out = NULL;
  expect_index_error(bp_scatter_add(x, 0, ix, x, &out), out, "scatter_add");
  int64_t tshape[1] = {2}, target[2] = {1, 3};
  bp_tensor_t *t = on_vk(BP_DTYPE_I64, 1, tshape, target, sizeof target);
  out = NULL;
  expect_index_error(bp_cross_entropy(x, t, NULL, BP_REDUCTION_MEAN, -100, 0.0, &out), out, "cross_entropy");
  bp_tensor_release(x);
  bp_tensor_release(ix);
  bp_tensor_release(t);
}
