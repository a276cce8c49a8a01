/* test_memory.c - buffer_alloc/free, copies, byte fill, synchronize. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "test_host.h"

TestSuite(memory, .init = th_setup, .fini = th_teardown);

Test(memory, alloc_zero_and_odd_sizes) {
  void *buf = (void *)1;
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, 0, &buf), BP_STATUS_OK);
  cr_assert_null(buf);
  th_api->buffer_free(th_ctx, 0, NULL);
  static const uint64_t sizes[] = {1, 3, 63, 64, 65, 1000, 4097};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, sizes[i], &buf), BP_STATUS_OK);
    cr_assert_not_null(buf);
    cr_assert_eq((uintptr_t)buf % 64, 0u);
    memset(buf, 0x5A, (size_t)sizes[i]); /* ASan checks the whole size is ours */
    th_api->buffer_free(th_ctx, 0, buf);
  }
}

Test(memory, alloc_too_big_and_bad_device) {
  bp_device_props_t props;
  memset(&props, 0, sizeof props);
  props.struct_size = sizeof props;
  cr_assert_eq(th_api->device_props(th_ctx, 0, &props), BP_STATUS_OK);
  void *buf = NULL;
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, props.total_memory + 1, &buf),
               BP_STATUS_OUT_OF_MEMORY);
  cr_assert_neq(th_last_error[0], '\0');
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, UINT64_MAX, &buf), BP_STATUS_OUT_OF_MEMORY);
  th_last_error[0] = '\0';
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 2, 16, &buf), BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "buffer_alloc") && strstr(th_last_error, "2"), "%s", th_last_error);
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, 16, NULL), BP_STATUS_INVALID_ARGUMENT);
  cr_assert_eq(th_api->synchronize(th_ctx, 0), BP_STATUS_OK);
  cr_assert_eq(th_api->synchronize(th_ctx, 1), BP_STATUS_INVALID_ARGUMENT);
}

Test(memory, copies_at_odd_offsets) {
  unsigned char host[40], back[40];
  for (int i = 0; i < 40; ++i) host[i] = (unsigned char)(i * 7 + 1);
  void *a = NULL, *b = NULL;
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, 101, &a), BP_STATUS_OK);
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, 101, &b), BP_STATUS_OK);
  memset(a, 0, 101);
  cr_assert_eq(th_api->copy_h2d(th_ctx, 0, a, 3, host, 37), BP_STATUS_OK);
  cr_assert_eq(((unsigned char *)a)[2], 0);
  cr_assert_eq(((unsigned char *)a)[40], 0);
  cr_assert_eq(th_api->copy_d2d(th_ctx, 0, b, 61, a, 3, 37), BP_STATUS_OK);
  memset(back, 0, sizeof back);
  cr_assert_eq(th_api->copy_d2h(th_ctx, 0, back, b, 61, 37), BP_STATUS_OK);
  cr_assert_arr_eq(back, host, 37);
  /* overlapping d2d on one buffer moves like memmove */
  cr_assert_eq(th_api->copy_d2d(th_ctx, 0, a, 5, a, 3, 37), BP_STATUS_OK);
  for (int i = 0; i < 37; ++i) cr_assert_eq(((unsigned char *)a)[5 + i], host[i]);
  /* size 0 with NULL buffers is fine */
  cr_assert_eq(th_api->copy_h2d(th_ctx, 0, NULL, 0, NULL, 0), BP_STATUS_OK);
  cr_assert_eq(th_api->copy_h2d(th_ctx, 0, NULL, 0, host, 4), BP_STATUS_INVALID_ARGUMENT);
  cr_assert_str_eq(th_last_error, "ref copy_h2d: dst is NULL");
  cr_assert_eq(th_api->copy_d2h(th_ctx, 0, back, NULL, 0, 4), BP_STATUS_INVALID_ARGUMENT);
  cr_assert_str_eq(th_last_error, "ref copy_d2h: src is NULL");
  cr_assert_eq(th_api->copy_d2d(th_ctx, 1, b, 0, a, 0, 4), BP_STATUS_INVALID_ARGUMENT);
  th_api->buffer_free(th_ctx, 0, a);
  th_api->buffer_free(th_ctx, 0, b);
}

Test(memory, fill_patterns) {
  unsigned char *buf = NULL;
  cr_assert_eq(th_api->buffer_alloc(th_ctx, 0, 64, (void **)&buf), BP_STATUS_OK);
  static const unsigned char pat[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  static const uint32_t psizes[] = {1, 2, 4, 8};
  for (size_t p = 0; p < 4; ++p) {
    uint32_t ps = psizes[p];
    memset(buf, 0xEE, 64);
    uint64_t size = ps * 5; /* at an odd offset */
    cr_assert_eq(th_api->fill(th_ctx, 0, buf, 3, size, pat, ps), BP_STATUS_OK);
    cr_assert_eq(buf[2], 0xEE);
    for (uint64_t i = 0; i < size; ++i) cr_assert_eq(buf[3 + i], pat[i % ps], "ps %u byte %llu", ps, (unsigned long long)i);
    cr_assert_eq(buf[3 + size], 0xEE);
  }
  cr_assert_eq(th_api->fill(th_ctx, 0, buf, 0, 12, pat, 3), BP_STATUS_INVALID_ARGUMENT);
  cr_assert(strstr(th_last_error, "pattern_size") != NULL);
  cr_assert_eq(th_api->fill(th_ctx, 0, buf, 0, 10, pat, 4), BP_STATUS_INVALID_ARGUMENT);
  cr_assert_eq(th_api->fill(th_ctx, 0, buf, 0, 8, NULL, 4), BP_STATUS_INVALID_ARGUMENT);
  cr_assert_eq(th_api->fill(th_ctx, 0, NULL, 0, 8, pat, 4), BP_STATUS_INVALID_ARGUMENT);
  cr_assert_eq(th_api->fill(th_ctx, 0, buf, 0, 0, pat, 4), BP_STATUS_OK);
  th_api->buffer_free(th_ctx, 0, buf);
}
