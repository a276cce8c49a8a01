/* test_matmul.c - 2-D, batched (stride-0 batch), transposed, K = 0, ints. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_host.h"

TestSuite(matmul, .init = th_setup, .fini = th_teardown);

static bp_status_t mm(bp_tensor_desc_t *a, bp_tensor_desc_t *b, bp_tensor_desc_t *out) {
  const bp_tensor_desc_t *ins[2] = {a, b}, *outs[1] = {out};
  return th_call("matmul", ins, 2, outs, 1, NULL, 0);
}

Test(matmul, f32_2d_literal) {
  const float a[6] = {1, 2, 3, 4, 5, 6};        /* 2x3 */
  const float b[6] = {7, 8, 9, 10, 11, 12};     /* 3x2 */
  float out[4];
  static const int64_t as[2] = {2, 3}, bs[2] = {3, 2}, os[2] = {2, 2};
  static const int64_t ast[2] = {3, 1}, bst[2] = {2, 1}, ost[2] = {2, 1};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F32, (void *)a, 2, as, ast);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, (void *)b, 2, bs, bst);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 2, os, ost);
  cr_assert_eq(mm(&da, &db, &dout), BP_STATUS_OK);
  cr_assert(out[0] == 58 && out[1] == 64 && out[2] == 139 && out[3] == 154);
}

Test(matmul, batched_stride0_and_transposed_f64) {
  enum { B = 3, M = 4, K = 5, N = 6 };
  /* a: one MxK matrix broadcast over the batch (batch stride 0), stored as
   * K x M (transposed). b: B x K x N stored as B x N x K (transposed). */
  double a[K * M], b[B * N * K], out[B * M * N];
  for (int i = 0; i < K * M; ++i) a[i] = (i % 5) - 1.5;
  for (int i = 0; i < B * N * K; ++i) b[i] = (i % 7) * 0.25 - 0.5;
  static const int64_t as[3] = {B, M, K}, bs[3] = {B, K, N}, os[3] = {B, M, N};
  static const int64_t ast[3] = {0, 1, M}, bst[3] = {N * K, 1, K}, ost[3] = {M * N, N, 1};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F64, a, 3, as, ast);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F64, b, 3, bs, bst);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F64, out, 3, os, ost);
  cr_assert_eq(mm(&da, &db, &dout), BP_STATUS_OK);
  for (int t = 0; t < B; ++t)
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        double want = 0.0;
        for (int k = 0; k < K; ++k) want += a[k * M + i] * b[t * N * K + j * K + k];
        cr_assert_float_eq(out[t * M * N + i * N + j], want, 1e-12);
      }
}

Test(matmul, k_zero_gives_zeros) {
  float out[6];
  for (int i = 0; i < 6; ++i) out[i] = 42.0f;
  static const int64_t as[2] = {2, 0}, bs[2] = {0, 3}, os[2] = {2, 3};
  static const int64_t ast[2] = {0, 1}, bst[2] = {3, 1}, ost[2] = {3, 1};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F32, NULL, 2, as, ast);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, NULL, 2, bs, bst);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 2, os, ost);
  cr_assert_eq(mm(&da, &db, &dout), BP_STATUS_OK);
  for (int i = 0; i < 6; ++i) cr_assert_eq(out[i], 0.0f);
}

Test(matmul, integers_wrap) {
  const int32_t a[4] = {INT32_MAX, 1, -2, 3}; /* 2x2 */
  const int32_t b[4] = {2, 0, 1, 5};
  int32_t out[4];
  static const int64_t s[2] = {2, 2}, st[2] = {2, 1};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_I32, (void *)a, 2, s, st);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_I32, (void *)b, 2, s, st);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_I32, out, 2, s, st);
  cr_assert_eq(mm(&da, &db, &dout), BP_STATUS_OK);
  /* [MAX*2 + 1, 5; -4 + 3, 15]; MAX*2+1 = 2^32 - 1 -> -1 */
  cr_assert(out[0] == -1 && out[1] == 5 && out[2] == -1 && out[3] == 15,
            "%d %d %d %d", out[0], out[1], out[2], out[3]);
  const uint8_t ua[2] = {200, 100}, ub[2] = {2, 1}; /* 1x2 @ 2x1 = 500 mod 256 */
  uint8_t uo = 0;
  static const int64_t s12[2] = {1, 2}, s21[2] = {2, 1}, s11[2] = {1, 1};
  static const int64_t st12[2] = {2, 1}, st21[2] = {1, 1};
  bp_tensor_desc_t dua = th_desc(BP_DTYPE_U8, (void *)ua, 2, s12, st12);
  bp_tensor_desc_t dub = th_desc(BP_DTYPE_U8, (void *)ub, 2, s21, st21);
  bp_tensor_desc_t duo = th_desc(BP_DTYPE_U8, &uo, 2, s11, st21);
  cr_assert_eq(mm(&dua, &dub, &duo), BP_STATUS_OK);
  cr_assert_eq(uo, 244);
  const int8_t ia[2] = {-100, 100}, ib[2] = {2, -1};
  int8_t io = 0;
  dua.dtype = dub.dtype = duo.dtype = BP_DTYPE_I8;
  dua.data = (void *)ia;
  dub.data = (void *)ib;
  duo.data = &io;
  cr_assert_eq(mm(&dua, &dub, &duo), BP_STATUS_OK);
  cr_assert_eq(io, -44); /* -300 mod 256 */
  const int64_t la[2] = {INT64_MAX, 1}, lb[2] = {1, 1};
  int64_t lo = 0;
  dua.dtype = dub.dtype = duo.dtype = BP_DTYPE_I64;
  dua.data = (void *)la;
  dub.data = (void *)lb;
  duo.data = &lo;
  cr_assert_eq(mm(&dua, &dub, &duo), BP_STATUS_OK);
  cr_assert_eq(lo, INT64_MIN);
}

Test(matmul, half_types_accumulate_in_double) {
  /* 1x3 @ 3x1: 2048 + 1 + 1 = 2050 (0x6801) in f16 */
  const uint16_t a[3] = {0x6800, 0x3c00, 0x3c00}, b[3] = {0x3c00, 0x3c00, 0x3c00};
  uint16_t o = 0;
  static const int64_t s13[2] = {1, 3}, s31[2] = {3, 1}, s11[2] = {1, 1};
  static const int64_t st13[2] = {3, 1}, st31[2] = {1, 1};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F16, (void *)a, 2, s13, st13);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F16, (void *)b, 2, s31, st31);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F16, &o, 2, s11, st31);
  cr_assert_eq(mm(&da, &db, &dout), BP_STATUS_OK);
  cr_assert_eq(o, 0x6801);
  const uint16_t ba[3] = {0x3f80, 0x4000, 0x4040}, bb[3] = {0x4000, 0x4000, 0x4000};
  da.dtype = db.dtype = dout.dtype = BP_DTYPE_BF16;
  da.data = (void *)ba;
  db.data = (void *)bb;
  cr_assert_eq(mm(&da, &db, &dout), BP_STATUS_OK);
  cr_assert_eq(o, 0x4140); /* 12 */
}

Test(matmul, f32_256_is_not_slow) {
  enum { S = 256 };
  float *a = malloc(sizeof(float) * S * S), *b = malloc(sizeof(float) * S * S),
        *out = malloc(sizeof(float) * S * S);
  cr_assert(a && b && out);
  for (int i = 0; i < S * S; ++i) {
    a[i] = (float)((i * 37) % 11) - 5.0f;
    b[i] = (float)((i * 13) % 7) * 0.5f;
  }
  static const int64_t s[2] = {S, S}, st[2] = {S, 1};
  bp_tensor_desc_t da = th_desc(BP_DTYPE_F32, a, 2, s, st);
  bp_tensor_desc_t db = th_desc(BP_DTYPE_F32, b, 2, s, st);
  bp_tensor_desc_t dout = th_desc(BP_DTYPE_F32, out, 2, s, st);
  struct timespec t0, t1;
  timespec_get(&t0, TIME_UTC);
  cr_assert_eq(mm(&da, &db, &dout), BP_STATUS_OK);
  timespec_get(&t1, TIME_UTC);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  cr_log_info("256^3 f32 matmul: %.2f ms", ms);
  for (int i = 0; i < S; i += 37)
    for (int j = 0; j < S; j += 41) {
      double want = 0.0;
      for (int k = 0; k < S; ++k) want += (double)a[i * S + k] * b[k * S + j];
      cr_assert_eq(out[i * S + j], (float)want);
    }
  free(a);
  free(b);
  free(out);
}
