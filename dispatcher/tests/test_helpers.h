/* Small helpers shared by the dispatcher tests. */
#ifndef BP_TEST_HELPERS_H_
#define BP_TEST_HELPERS_H_

#include <criterion/criterion.h>
#include <string.h>

#include "backplane/backplane.h"

/* Asserts a call succeeded, printing bp_last_error() when it did not. */
#define BP_CHECK(call)                                                              \
  do {                                                                              \
    bp_status_t bp_check_status_ = (call);                                          \
    cr_assert_eq(bp_check_status_, BP_STATUS_OK, "%s failed: %s (%s)", #call,       \
                 bp_status_name(bp_check_status_), bp_last_error());                \
  } while (0)

/* Asserts a call failed with `status` and a message containing `needle`. */
#define BP_CHECK_FAILS(call, status, needle)                                        \
  do {                                                                              \
    bp_status_t bp_check_status_ = (call);                                          \
    cr_assert_eq(bp_check_status_, (status), "%s returned %s, expected %s (%s)",    \
                 #call, bp_status_name(bp_check_status_), bp_status_name(status),   \
                 bp_last_error());                                                  \
    cr_assert(strstr(bp_last_error(), (needle)) != NULL,                            \
              "message '%s' lacks '%s'", bp_last_error(), (needle));                \
  } while (0)

static inline bp_device_t *ref_device(void) {
  bp_device_t *d = NULL;
  BP_CHECK(bp_device_get("ref:0", &d));
  return d;
}

static inline bp_tensor_t *tensor_f32(bp_device_t *dev, int32_t ndim, const int64_t *shape,
                                      const float *data) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) n *= shape[i];
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_create_from_host(dev, BP_DTYPE_F32, ndim, shape, data,
                                      (size_t)n * sizeof(float), &t));
  return t;
}

static inline bp_tensor_t *tensor_of(bp_device_t *dev, bp_dtype_t dtype, int32_t ndim,
                                     const int64_t *shape, const void *data) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) n *= shape[i];
  bp_tensor_t *t = NULL;
  BP_CHECK(bp_tensor_create_from_host(dev, dtype, ndim, shape, data,
                                      (size_t)n * bp_dtype_size(dtype), &t));
  return t;
}

/* Reads a tensor's elements into a float array (f32 tensors). */
static inline void read_f32(bp_tensor_t *t, float *out, size_t count) {
  cr_assert_eq((size_t)bp_tensor_numel(t), count);
  BP_CHECK(bp_tensor_copy_to_host(t, out, count * sizeof(float)));
}

#endif
