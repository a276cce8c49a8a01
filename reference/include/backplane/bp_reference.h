/*
 * bp_reference.h - the reference CPU backend, linked into libbackplane.
 *
 * The reference backend is an ordinary Backplane plugin (it sees only
 * bp_abi.h and the bp_host_api_t table it is handed) that happens to be
 * linked statically, so its entry point has its own name instead of
 * BP_PLUGIN_ENTRY_SYMBOL. It is the oracle the other backends are compared
 * with: every kernel is plain, correct C first and reasonably fast second.
 *
 * What it offers (plugin name "ref", version "1.0.0", vendor "Backplane"):
 *  - one device, index 0: kind CPU, host addressable, all nine v1.0 dtypes,
 *    up to 64 dims; buffers are 64-byte aligned host pointers and every copy,
 *    fill and kernel runs synchronously on the calling thread.
 *  - kernels (signature = input dtypes, then output dtypes):
 *      fill   (T)        all 9 dtypes
 *      copy   (S, D)     all 81 pairs; casts as PyTorch on x86-64: a float
 *                        to an integer truncates toward zero; NaN and out of
 *                        range give i32/i64 their minimum, and u8/i8 the low
 *                        byte of the i32 result (they wrap). Integer to
 *                        integer wraps. Anything to bool is (x != 0), NaN -> true.
 *      add    (T,T,T)    BOOL U8 I8 I32 I64 F16 BF16 F32 F64 (bool: or)
 *      sub    (T,T,T)    U8 I8 I32 I64 F16 BF16 F32 F64
 *      mul    (T,T,T)    all 9 (bool: and)
 *      div    (T,T,T)    F16 BF16 F32 F64
 *      sum    (T,T)      I64 F16 BF16 F32 F64 (floats accumulate in double)
 *      matmul (T,T,T)    U8 I8 I32 I64 F16 BF16 F32 F64 (floats accumulate
 *                        in double, integers in uint64)
 *    Integer arithmetic wraps around; f16/bf16 compute in float (matmul and
 *    sum in double) and round once, to nearest even, NaN kept.
 *
 * Ownership follows bp_abi.h: the table returned is static and outlives
 * every call; the plugin context made by init is freed by shutdown.
 */
#ifndef BACKPLANE_BP_REFERENCE_H_
#define BACKPLANE_BP_REFERENCE_H_

#include "backplane/bp_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Same contract as bp_plugin_query (ABI-1, ABI-2): returns
 * BP_STATUS_ABI_MISMATCH when the major of host_abi_version is not
 * BP_ABI_VERSION_MAJOR, BP_STATUS_INVALID_ARGUMENT when out_api is NULL,
 * else BP_STATUS_OK with *out_api set to the plugin's static table. `host`
 * is not used here (init receives it again) and may be NULL. Allocates
 * nothing. */
BP_PLUGIN_EXPORT bp_status_t bp_reference_plugin_query(
    const bp_host_api_t *host, uint32_t host_abi_version,
    const bp_plugin_api_t **out_api);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_REFERENCE_H_ */
