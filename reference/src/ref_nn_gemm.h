/*
 * ref_nn_gemm.h - the reference's one matrix-multiply engine, shared by
 * matmul, bmm, linear and the convolutions (im2col), plus the "compute
 * type" helpers those kernels use to move tensors in and out of it.
 *
 * C[m, n] = sum_k A[m, k] * B[k, n], every operand with element strides
 * (any sign, 0 allowed for A and B; C must not overlap itself or A/B).
 * K == 0 writes zeros.
 *
 * bp_ref_gemm_f32 is cache-blocked in the BLIS way (panels of B and blocks of
 * A packed into contiguous slivers, blocked over N, K and M) around a small
 * register-blocked micro-kernel in plain C that gcc vectorizes; on x86-64 an
 * AVX2+FMA and an AVX-512 version of the same C are chosen at run time.
 * Accumulation is in float (what torch does); K blocks of 256 are added in
 * order. The f64 and u64 (wrapping integer) versions are the plain i-k-j
 * loop: the oracle needs them right, not fast.
 */
#ifndef BACKPLANE_REFERENCE_REF_NN_GEMM_H_
#define BACKPLANE_REFERENCE_REF_NN_GEMM_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backplane/bp_abi.h"

typedef struct bp_ref_gemm_dims {
  int64_t m, n, k;
  int64_t sam, sak; /* A[i, p] at A + i * sam + p * sak (elements) */
  int64_t sbk, sbn; /* B[p, j] */
  int64_t scm, scn; /* C[i, j] */
} bp_ref_gemm_dims_t;

/* Each returns false only when the packing buffers cannot be allocated. */
bool bp_ref_gemm_f32(const bp_ref_gemm_dims_t *d, const float *a, const float *b, float *c);
bool bp_ref_gemm_f64(const bp_ref_gemm_dims_t *d, const double *a, const double *b, double *c);
bool bp_ref_gemm_u64(const bp_ref_gemm_dims_t *d, const uint64_t *a, const uint64_t *b,
                     uint64_t *c);

/* The name of the micro-kernel bp_ref_gemm_f32 uses on this machine
 * ("avx512", "avx2", "generic"), for benchmarks. */
const char *bp_ref_gemm_f32_kernel_name(void);

/* Compute types of the nn kernels: f16, bf16 and f32 compute in float, f64
 * in double, the integers in uint64_t (wrapping, then truncated on store, as
 * torch's integer kernels wrap). */
typedef enum bp_ref_ct { BP_REF_CT_F32, BP_REF_CT_F64, BP_REF_CT_U64 } bp_ref_ct_t;

static inline bp_ref_ct_t bp_ref_ct_of(bp_dtype_t dt) {
  if (dt == BP_DTYPE_F64) return BP_REF_CT_F64;
  if (dt == BP_DTYPE_F32 || dt == BP_DTYPE_F16 || dt == BP_DTYPE_BF16) return BP_REF_CT_F32;
  return BP_REF_CT_U64;
}
static inline size_t bp_ref_ct_size(bp_ref_ct_t ct) { return ct == BP_REF_CT_F32 ? 4 : 8; }

/* Element p (of dtype dt) into slot i of a compute-type buffer, and back. */
void bp_ref_ct_load(bp_ref_ct_t ct, bp_dtype_t dt, const char *p, void *buf, int64_t i);
void bp_ref_ct_store(bp_ref_ct_t ct, bp_dtype_t dt, char *p, const void *buf, int64_t i);
/* Zero of slot i. */
void bp_ref_ct_zero(bp_ref_ct_t ct, void *buf, int64_t i);
/* buf[i] += buf2[j] (wrapping for u64). */
void bp_ref_ct_add(bp_ref_ct_t ct, void *buf, int64_t i, const void *buf2, int64_t j);

/* Copies a whole strided tensor into buf in row-major order, and back.
 * numel(t) may be 0. */
void bp_ref_ct_gather(bp_ref_ct_t ct, const bp_tensor_desc_t *t, void *buf);
void bp_ref_ct_scatter(bp_ref_ct_t ct, const bp_tensor_desc_t *t, const void *buf);

/* Calls the gemm of ct. */
bool bp_ref_gemm(bp_ref_ct_t ct, const bp_ref_gemm_dims_t *d, const void *a, const void *b,
                 void *c);

#endif /* BACKPLANE_REFERENCE_REF_NN_GEMM_H_ */
