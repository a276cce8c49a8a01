/* ref_nn_gemm.c - the shared GEMM engine and compute-type helpers
 * (contracts in ref_nn_gemm.h). */
#include "ref_nn_gemm.h"

#include <stdlib.h>
#include <string.h>

#include "ref_dtype.h"
#include "ref_iter.h"
#include "ref_kernel.h"

/* ---- blocked f32 GEMM ---- */

#define GEMM_NR 16   /* columns of a micro-tile (one packed B sliver) */
#define GEMM_MR_MAX 12
#define GEMM_KC 256  /* depth of a packed block: A sliver + B sliver stay in L1 */
#define GEMM_MC 144  /* rows of a packed A block (L2) */
#define GEMM_NC 2048 /* columns of a packed B panel (L3) */

/* The micro-kernel: c[MR][NR] = sum over kc of a-sliver (kc x MR, packed
 * column by column) times b-sliver (kc x NR, row by row). Fully unrolled over
 * the tile so that the accumulators live in vector registers. */
#define GEMM_UKR_BODY(MR, MADD)                                                 \
  float acc[MR][GEMM_NR];                                                       \
  _Pragma("GCC unroll 16") for (int i = 0; i < MR; ++i)                         \
    _Pragma("GCC unroll 16") for (int j = 0; j < GEMM_NR; ++j) acc[i][j] = 0.0f; \
  for (int64_t p = 0; p < kc; ++p) {                                            \
    const float *restrict bp = b + p * GEMM_NR;                                 \
    _Pragma("GCC unroll 16") for (int i = 0; i < MR; ++i) {                     \
      const float ai = a[p * MR + i];                                           \
      _Pragma("GCC unroll 16") for (int j = 0; j < GEMM_NR; ++j)                \
        acc[i][j] = MADD(ai, bp[j], acc[i][j]);                                 \
    }                                                                           \
  }                                                                             \
  _Pragma("GCC unroll 16") for (int i = 0; i < MR; ++i)                         \
    _Pragma("GCC unroll 16") for (int j = 0; j < GEMM_NR; ++j)                  \
      c[i * GEMM_NR + j] = acc[i][j];

typedef void (*gemm_ukr_fn)(int64_t kc, const float *restrict a, const float *restrict b,
                            float *restrict c);

#define MADD_PLAIN(x, y, z) ((x) * (y) + (z))
static void ukr_generic(int64_t kc, const float *restrict a, const float *restrict b,
                        float *restrict c) {
  GEMM_UKR_BODY(4, MADD_PLAIN)
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define GEMM_X86 1
#define MADD_FMA(x, y, z) __builtin_fmaf(x, y, z)
__attribute__((target("avx2,fma"))) static void ukr_avx2(int64_t kc, const float *restrict a,
                                                         const float *restrict b,
                                                         float *restrict c) {
  GEMM_UKR_BODY(6, MADD_FMA)
}
__attribute__((target("avx512f"))) static void ukr_avx512(int64_t kc, const float *restrict a,
                                                          const float *restrict b,
                                                          float *restrict c) {
  GEMM_UKR_BODY(12, MADD_FMA)
}
#endif

typedef struct gemm_kernel {
  gemm_ukr_fn fn;
  int mr;
  const char *name;
} gemm_kernel_t;

static gemm_kernel_t pick_kernel(void) {
#ifdef GEMM_X86
  if (__builtin_cpu_supports("avx512f")) return (gemm_kernel_t){ukr_avx512, 12, "avx512"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return (gemm_kernel_t){ukr_avx2, 6, "avx2"};
#endif
  return (gemm_kernel_t){ukr_generic, 4, "generic"};
}

const char *bp_ref_gemm_f32_kernel_name(void) { return pick_kernel().name; }

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* B[pc:pc+kc, jc:jc+nc] into slivers of NR columns, zero-padded. */
static void pack_b(float *dst, const float *b, const bp_ref_gemm_dims_t *d, int64_t pc,
                   int64_t kc, int64_t jc, int64_t nc) {
  for (int64_t jr = 0; jr < nc; jr += GEMM_NR) {
    float *s = dst + jr * kc;
    int64_t nr = min64(GEMM_NR, nc - jr);
    for (int64_t p = 0; p < kc; ++p) {
      const float *src = b + (pc + p) * d->sbk + (jc + jr) * d->sbn;
      int64_t j = 0;
      if (d->sbn == 1)
        for (; j < nr; ++j) s[p * GEMM_NR + j] = src[j];
      else
        for (; j < nr; ++j) s[p * GEMM_NR + j] = src[j * d->sbn];
      for (; j < GEMM_NR; ++j) s[p * GEMM_NR + j] = 0.0f;
    }
  }
}

/* A[ic:ic+mc, pc:pc+kc] into slivers of MR rows, zero-padded. */
static void pack_a(float *dst, const float *a, const bp_ref_gemm_dims_t *d, int mr_full,
                   int64_t ic, int64_t mc, int64_t pc, int64_t kc) {
  for (int64_t ir = 0; ir < mc; ir += mr_full) {
    float *s = dst + ir * kc;
    int64_t mr = min64(mr_full, mc - ir);
    for (int64_t p = 0; p < kc; ++p) {
      const float *src = a + (ic + ir) * d->sam + (pc + p) * d->sak;
      int64_t i = 0;
      for (; i < mr; ++i) s[p * mr_full + i] = src[i * d->sam];
      for (; i < mr_full; ++i) s[p * mr_full + i] = 0.0f;
    }
  }
}

bool bp_ref_gemm_f32(const bp_ref_gemm_dims_t *d, const float *a, const float *b, float *c) {
  if (d->m == 0 || d->n == 0) return true;
  if (d->k == 0) {
    for (int64_t i = 0; i < d->m; ++i)
      for (int64_t j = 0; j < d->n; ++j) c[i * d->scm + j * d->scn] = 0.0f;
    return true;
  }
  const gemm_kernel_t ukr = pick_kernel();
  const int64_t kc_max = min64(GEMM_KC, d->k);
  const int64_t nc_max = min64(GEMM_NC, (d->n + GEMM_NR - 1) / GEMM_NR * GEMM_NR);
  const int64_t mc_max = min64(GEMM_MC, (d->m + ukr.mr - 1) / ukr.mr * ukr.mr);
  float *pb = malloc(sizeof(float) * (size_t)(kc_max * nc_max));
  float *pa = malloc(sizeof(float) * (size_t)(kc_max * mc_max));
  if (!pa || !pb) {
    free(pa);
    free(pb);
    return false;
  }
  float tile[GEMM_MR_MAX * GEMM_NR];
  for (int64_t jc = 0; jc < d->n; jc += GEMM_NC) {
    const int64_t nc = min64(GEMM_NC, d->n - jc);
    for (int64_t pc = 0; pc < d->k; pc += GEMM_KC) {
      const int64_t kc = min64(GEMM_KC, d->k - pc);
      pack_b(pb, b, d, pc, kc, jc, nc);
      for (int64_t ic = 0; ic < d->m; ic += GEMM_MC) {
        const int64_t mc = min64(GEMM_MC, d->m - ic);
        pack_a(pa, a, d, ukr.mr, ic, mc, pc, kc);
        for (int64_t jr = 0; jr < nc; jr += GEMM_NR) {
          const int64_t nr = min64(GEMM_NR, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += ukr.mr) {
            const int64_t mr = min64(ukr.mr, mc - ir);
            ukr.fn(kc, pa + ir * kc, pb + jr * kc, tile);
            float *cp = c + (ic + ir) * d->scm + (jc + jr) * d->scn;
            for (int64_t i = 0; i < mr; ++i)
              for (int64_t j = 0; j < nr; ++j) {
                float *o = cp + i * d->scm + j * d->scn;
                *o = pc == 0 ? tile[i * GEMM_NR + j] : *o + tile[i * GEMM_NR + j];
              }
          }
        }
      }
    }
  }
  free(pa);
  free(pb);
  return true;
}

/* ---- plain GEMMs ---- */

#define SIMPLE_GEMM(name, T)                                                  \
  bool name(const bp_ref_gemm_dims_t *d, const T *a, const T *b, T *c) {      \
    for (int64_t i = 0; i < d->m; ++i) {                                      \
      T *ci = c + i * d->scm;                                                 \
      for (int64_t j = 0; j < d->n; ++j) ci[j * d->scn] = 0;                  \
      for (int64_t p = 0; p < d->k; ++p) {                                    \
        const T av = a[i * d->sam + p * d->sak];                              \
        const T *bp = b + p * d->sbk;                                         \
        for (int64_t j = 0; j < d->n; ++j) ci[j * d->scn] += av * bp[j * d->sbn]; \
      }                                                                       \
    }                                                                         \
    return true;                                                              \
  }
SIMPLE_GEMM(bp_ref_gemm_f64, double)
SIMPLE_GEMM(bp_ref_gemm_u64, uint64_t)
#undef SIMPLE_GEMM

bool bp_ref_gemm(bp_ref_ct_t ct, const bp_ref_gemm_dims_t *d, const void *a, const void *b,
                 void *c) {
  switch (ct) {
    case BP_REF_CT_F32: return bp_ref_gemm_f32(d, a, b, c);
    case BP_REF_CT_F64: return bp_ref_gemm_f64(d, a, b, c);
    default: return bp_ref_gemm_u64(d, a, b, c);
  }
}

/* ---- compute-type helpers ---- */

void bp_ref_ct_load(bp_ref_ct_t ct, bp_dtype_t dt, const char *p, void *buf, int64_t i) {
  switch (ct) {
    case BP_REF_CT_F32: {
      float v = dt == BP_DTYPE_F32   ? *(const float *)(const void *)p
                : dt == BP_DTYPE_F16 ? bp_ref_f16_to_f32(*(const uint16_t *)(const void *)p)
                                     : bp_ref_bf16_to_f32(*(const uint16_t *)(const void *)p);
      ((float *)buf)[i] = v;
      break;
    }
    case BP_REF_CT_F64: ((double *)buf)[i] = *(const double *)(const void *)p; break;
    default: {
      uint64_t v;
      switch (dt) {
        case BP_DTYPE_U8: v = *(const uint8_t *)p; break;
        case BP_DTYPE_I8: v = (uint64_t)(int64_t) * (const int8_t *)p; break;
        case BP_DTYPE_I32: v = (uint64_t)(int64_t) * (const int32_t *)(const void *)p; break;
        case BP_DTYPE_BOOL: v = *(const uint8_t *)p != 0; break;
        default: v = (uint64_t) * (const int64_t *)(const void *)p; break;
      }
      ((uint64_t *)buf)[i] = v;
      break;
    }
  }
}

void bp_ref_ct_store(bp_ref_ct_t ct, bp_dtype_t dt, char *p, const void *buf, int64_t i) {
  switch (ct) {
    case BP_REF_CT_F32: {
      float v = ((const float *)buf)[i];
      if (dt == BP_DTYPE_F32)
        *(float *)(void *)p = v;
      else if (dt == BP_DTYPE_F16)
        *(uint16_t *)(void *)p = bp_ref_f32_to_f16(v);
      else
        *(uint16_t *)(void *)p = bp_ref_f32_to_bf16(v);
      break;
    }
    case BP_REF_CT_F64: *(double *)(void *)p = ((const double *)buf)[i]; break;
    default: {
      uint64_t v = ((const uint64_t *)buf)[i];
      switch (dt) {
        case BP_DTYPE_U8: *(uint8_t *)p = (uint8_t)v; break;
        case BP_DTYPE_I8: *(int8_t *)p = (int8_t)(uint8_t)v; break;
        case BP_DTYPE_I32: *(int32_t *)(void *)p = (int32_t)(uint32_t)v; break;
        case BP_DTYPE_BOOL: *(uint8_t *)p = v != 0; break;
        default: *(int64_t *)(void *)p = (int64_t)v; break;
      }
      break;
    }
  }
}

void bp_ref_ct_zero(bp_ref_ct_t ct, void *buf, int64_t i) {
  if (ct == BP_REF_CT_F32)
    ((float *)buf)[i] = 0.0f;
  else if (ct == BP_REF_CT_F64)
    ((double *)buf)[i] = 0.0;
  else
    ((uint64_t *)buf)[i] = 0;
}

void bp_ref_ct_add(bp_ref_ct_t ct, void *buf, int64_t i, const void *buf2, int64_t j) {
  if (ct == BP_REF_CT_F32)
    ((float *)buf)[i] += ((const float *)buf2)[j];
  else if (ct == BP_REF_CT_F64)
    ((double *)buf)[i] += ((const double *)buf2)[j];
  else
    ((uint64_t *)buf)[i] += ((const uint64_t *)buf2)[j];
}

static void ct_walk(bp_ref_ct_t ct, const bp_tensor_desc_t *t, void *buf, bool store) {
  if (bp_ref_numel(t) == 0) return;
  size_t size = bp_abi_dtype_size(t->dtype);
  char *base = bp_ref_base(t);
  bp_ref_iter_t it;
  bp_ref_iter_init(&it, t->ndim, t->shape, 1, &base, &t->strides, &size);
  int64_t n = 0;
  do {
    for (int64_t i = 0; i < it.inner_size; ++i, ++n) {
      char *p = it.ptr[0] + i * it.inner_stride[0];
      if (store)
        bp_ref_ct_store(ct, t->dtype, p, buf, n);
      else
        bp_ref_ct_load(ct, t->dtype, p, buf, n);
    }
  } while (bp_ref_iter_next(&it));
}

void bp_ref_ct_gather(bp_ref_ct_t ct, const bp_tensor_desc_t *t, void *buf) {
  ct_walk(ct, t, buf, false);
}
void bp_ref_ct_scatter(bp_ref_ct_t ct, const bp_tensor_desc_t *t, const void *buf) {
  ct_walk(ct, t, (void *)buf, true);
}
