/*
 * dnnl_plugin.h - internals of the oneDNN backend (libbp_onednn.so).
 *
 * The plugin compiles against abi/ and oneDNN's C API (dnnl.h) only. Its
 * one device, onednn:0, is the machine's CPU through a oneDNN CPU engine:
 * device memory is host memory (host_addressable), copies are memcpy, and
 * kernels run oneDNN primitives on one in-order stream.
 *
 * Threading: one mutex per plugin serializes the primitive cache and every
 * execution (oneDNN already spreads one primitive over all cores; two
 * primitives at once would only fight over them). Kernels therefore run to
 * completion before they return; errors are reported at once, never
 * deferred, and synchronize only waits on the stream (ABI-14 allows this).
 *
 * File map: dnnl_plugin.c (table, init, device), dnnl_memory.c (buffers,
 * copies), dnnl_buffers.c (freed buffers kept for reuse), dnnl_status.c
 * (oneDNN status -> bp_status_t), dnnl_cache.c (the primitive LRU),
 * dnnl_md.c (descriptors -> memory descriptors), one file per op family
 * (dnnl_matmul.c, dnnl_binary.c, dnnl_eltwise.c, dnnl_reduce.c,
 * dnnl_copy.c, dnnl_nn.c, dnnl_conv.c, dnnl_pool.c, dnnl_norm.c,
 * dnnl_backward.c), and plain loops where oneDNN has no primitive that
 * matches torch (dnnl_relu.c: relu, clamp; dnnl_optim.c; dnnl_minmax.c).
 */
#ifndef BP_ONEDNN_PLUGIN_H_
#define BP_ONEDNN_PLUGIN_H_

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dnnl.h>

#include "backplane/bp_abi.h"

#define BP_DNNL_MAX_DIMS 8 /* oneDNN's DNNL_MAX_NDIMS is 12; kernels take 8 */

typedef struct bp_dnnl_cache bp_dnnl_cache_t;

#define BP_DNNL_POOL_CLASSES 192 /* size classes up to 2^55 bytes */

typedef struct bp_dnnl_ctx {
  const bp_host_api_t *host;
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  pthread_mutex_t lock;  /* cache, scratchpad and every execution */
  bp_dnnl_cache_t *cache;
  void *scratch;         /* user scratchpad, grown on demand (under lock) */
  size_t scratch_size;
  void *work;            /* tensors in a primitive's own (blocked) layouts */
  size_t work_size;
  int num_threads;       /* 0: oneDNN's (OpenMP's) default */
  int restore_threads;   /* under lock: the count unlock restores (0: none) */
  /* freed buffers kept for reuse (dnnl_buffers.c), under pool_lock */
  pthread_mutex_t pool_lock;
  void *pool[BP_DNNL_POOL_CLASSES];
  size_t pool_bytes, pool_cap;
  uint32_t dtype_mask;   /* f32, plus bf16/f16 where the probe passed */
  bool isa_avx2, isa_avx512; /* oneDNN's effective ISA reaches AVX2 / AVX-512 (core) */
  dnnl_cpu_isa_t isa;    /* dnnl_get_effective_cpu_isa() */
  uint64_t total_memory;
  char cpu_name[96];
} bp_dnnl_ctx_t;

/* ---- errors (dnnl_status.c) ---- */

/* Formats a message, hands it to host->set_error and returns status. */
bp_status_t bp_dnnl_fail(const bp_dnnl_ctx_t *ctx, bp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The one place oneDNN statuses become ours: OUT_OF_MEMORY for
 * dnnl_out_of_memory, UNSUPPORTED for dnnl_unimplemented (the dispatcher
 * falls back), INVALID_ARGUMENT for dnnl_invalid_arguments, else
 * DEVICE_ERROR; the message names the call and oneDNN's status. */
bp_status_t bp_dnnl_status(const bp_dnnl_ctx_t *ctx, dnnl_status_t s, const char *call,
                           const char *what);

/* Evaluates a oneDNN call; on failure sets `status` and jumps to `done`. */
#define BP_DNNL_TRY(ctx, expr, what)                                      \
  do {                                                                    \
    dnnl_status_t bp_dnnl_s_ = (expr);                                    \
    if (bp_dnnl_s_ != dnnl_success) {                                     \
      status = bp_dnnl_status((ctx), bp_dnnl_s_, #expr, (what));          \
      goto done;                                                          \
    }                                                                     \
  } while (0)

void bp_dnnl_log(const bp_dnnl_ctx_t *ctx, bp_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- memory (dnnl_memory.c, dnnl_buffers.c) ---- */

/* A buffer of at least size bytes (> 0), 64-byte aligned, from the pool of
 * freed buffers when one of its size class is there; NULL when out of
 * memory. bp_dnnl_buf_free gives it back (NULL: nothing). */
void *bp_dnnl_buf_alloc(bp_dnnl_ctx_t *ctx, size_t size);
void bp_dnnl_buf_free(bp_dnnl_ctx_t *ctx, void *p);
/* Frees every pooled buffer (shutdown). */
void bp_dnnl_buf_release(bp_dnnl_ctx_t *ctx);

bp_status_t bp_dnnl_buffer_alloc(void *ctx, uint32_t device, uint64_t size, void **out);
void bp_dnnl_buffer_free(void *ctx, uint32_t device, void *buffer);
bp_status_t bp_dnnl_copy_h2d(void *ctx, uint32_t device, void *dst, uint64_t dst_offset,
                             const void *src, uint64_t size);
bp_status_t bp_dnnl_copy_d2h(void *ctx, uint32_t device, void *dst, const void *src,
                             uint64_t src_offset, uint64_t size);
bp_status_t bp_dnnl_copy_d2d(void *ctx, uint32_t device, void *dst, uint64_t dst_offset,
                             const void *src, uint64_t src_offset, uint64_t size);
bp_status_t bp_dnnl_fill_bytes(void *ctx, uint32_t device, void *dst, uint64_t offset,
                               uint64_t size, const void *pattern, uint32_t pattern_size);
bp_status_t bp_dnnl_synchronize(void *ctx, uint32_t device);

/* ---- the primitive cache (dnnl_cache.c) ---- */

/* A cache key: the bytes of (op, algorithm, attributes, then dtype, dims and
 * strides of each tensor). Build it with the bp_dnnl_key_* helpers. */
typedef struct bp_dnnl_key {
  uint32_t len; /* words used */
  bool overflow;
  uint64_t words[160];
} bp_dnnl_key_t;

void bp_dnnl_key_init(bp_dnnl_key_t *key, const char *op, uint32_t alg);
void bp_dnnl_key_u64(bp_dnnl_key_t *key, uint64_t v);
void bp_dnnl_key_f64(bp_dnnl_key_t *key, double v);
void bp_dnnl_key_md(bp_dnnl_key_t *key, const dnnl_memory_desc_t *md);

/* What the cache keeps per key: the primitive and what executing it needs. */
typedef struct bp_dnnl_prim {
  dnnl_primitive_t prim;
  size_t scratch_size;
  uint32_t flags; /* per op; BP_DNNL_PRIM_MDS: mds below */
  /* With BP_DNNL_PRIM_MDS: the layouts the primitive chose (format_tag any)
   * for src, weights and dst (of the forward pass), in that order. */
  dnnl_memory_desc_t *mds;
} bp_dnnl_prim_t;

#define BP_DNNL_PRIM_MDS 0x80000000u
/* With BP_DNNL_PRIM_MDS, for a convolution's backward pass: mds are
 * (diff_src, weights, diff_dst) for backward data, (src, diff_weights,
 * diff_dst) for backward weights. */
#define BP_DNNL_PRIM_MDS_BWD_DATA 0x40000000u
#define BP_DNNL_PRIM_MDS_BWD_WEIGHTS 0x20000000u

/* True when pd is oneDNN's reference (plain C++) implementation: "ref:"
 * kernels are 100-1000x slower than its jit ones, so a layout choice that
 * lands there is dropped for the user's layouts. */
bool bp_dnnl_pd_is_ref(const_dnnl_primitive_desc_t pd);

/* Creates the primitive for a (key, pd); called by bp_dnnl_cache_get on a
 * miss. It owns pd only for the call. */
typedef dnnl_status_t (*bp_dnnl_make_pd_fn)(bp_dnnl_ctx_t *ctx, const void *arg,
                                            dnnl_primitive_desc_t *out_pd);

/* Capacity 0 disables caching (every call builds and destroys its own). */
bp_status_t bp_dnnl_cache_create(size_t capacity, bp_dnnl_cache_t **out);
void bp_dnnl_cache_destroy(bp_dnnl_cache_t *cache);
/* Looks key up (ctx->lock held); on a miss makes the primitive descriptor
 * with make(ctx, arg), creates the primitive and inserts it, evicting the
 * least recently used entry when full. *out stays valid until the lock is
 * released, and through the next 7 lookups (the capacity is at least 8;
 * with caching off the last 8 primitives are kept), so one kernel may hold
 * its primitive while it looks up its reorders. */
bp_status_t bp_dnnl_cache_get(bp_dnnl_ctx_t *ctx, const bp_dnnl_key_t *key,
                              bp_dnnl_make_pd_fn make, const void *arg, uint32_t flags,
                              const bp_dnnl_prim_t **out);
/* Hits, misses and entries, for tests and `bp bench`. */
void bp_dnnl_cache_stats(const bp_dnnl_cache_t *cache, uint64_t *hits, uint64_t *misses,
                         size_t *entries);

/* ---- execution (dnnl_exec.c) ---- */

/* Up to 8 (arg, memory desc, pointer) triples for one execution. */
typedef struct bp_dnnl_args {
  int n;
  int arg[10];
  const dnnl_memory_desc_t *md[10];
  void *ptr[10];
} bp_dnnl_args_t;

void bp_dnnl_args_add(bp_dnnl_args_t *args, int arg, const dnnl_memory_desc_t *md, void *ptr);
/* Executes p with args (plus the scratchpad) on the stream; ctx->lock held. */
bp_status_t bp_dnnl_execute(bp_dnnl_ctx_t *ctx, const bp_dnnl_prim_t *p, const bp_dnnl_args_t *args,
                            const char *what);
/* ctx->work of at least size bytes (page aligned); ctx->lock held. */
bp_status_t bp_dnnl_work_reserve(bp_dnnl_ctx_t *ctx, size_t size);
/* Takes ctx->lock and applies the thread count for this thread. */
void bp_dnnl_lock(bp_dnnl_ctx_t *ctx);
/* The same for a call of `work` (elements moved, or flops / 64): below
 * BP_DNNL_SMALL_WORK it runs on one thread (its primitives are made for
 * one: the cache keys on the count), and unlock gives the calling thread
 * its count back. Waking a second thread costs more than such a call: a
 * [64, 256] add took 6 us on one thread and 30 us on two on this shared
 * 2-core machine. */
#define BP_DNNL_SMALL_WORK 65536.0
void bp_dnnl_lock_work(bp_dnnl_ctx_t *ctx, double work);
void bp_dnnl_unlock(bp_dnnl_ctx_t *ctx);

/* ---- primitives in their own layouts (dnnl_layout.c) ---- */

#define BP_DNNL_ANY_MAX 6
typedef struct bp_dnnl_any_arg {
  int arg;                      /* DNNL_ARG_* */
  const dnnl_memory_desc_t *md; /* the user's layout */
  void *ptr;
  int slot;                     /* index into p->mds (0 src, 1 weights, 2 dst); -1: as is */
  bool output;                  /* reordered back after the call */
} bp_dnnl_any_arg_t;

/* Executes p (made with BP_DNNL_PRIM_MDS) on the user's tensors, reordering
 * through ctx->work where p's layout differs; ctx->lock held. */
bp_status_t bp_dnnl_execute_any(bp_dnnl_ctx_t *ctx, const bp_dnnl_prim_t *p,
                                const bp_dnnl_any_arg_t *io, int n, const char *what);

/* ---- memory descriptors (dnnl_md.c) ---- */

dnnl_data_type_t bp_dnnl_dtype(bp_dtype_t dtype); /* dnnl_data_type_undef if none */
/* The tensor's first element. */
void *bp_dnnl_ptr(const bp_tensor_desc_t *t);
/* A memory descriptor with t's dims and strides. Dims with stride 0 (a
 * broadcast) become size 1 when bcast_to_one, else the call fails. */
bool bp_dnnl_md(dnnl_memory_desc_t *md, const bp_tensor_desc_t *t, bool bcast_to_one);
/* The same with explicit dims/strides (ndim <= BP_DNNL_MAX_DIMS). */
bool bp_dnnl_md_raw(dnnl_memory_desc_t *md, int ndim, const int64_t *dims, const int64_t *strides,
                    bp_dtype_t dtype);
/* x of a 2-D conv or pool as [N, C, H, W] (an unbatched [C, H, W]: N = 1). */
bool bp_dnnl_md_nchw(dnnl_memory_desc_t *md, const bp_tensor_desc_t *t);
/* NaN (or also -inf, with neg_inf) among t's float elements: one read. */
bool bp_dnnl_has_nan(const bp_tensor_desc_t *t, bool neg_inf);
/* True when some dim of size > 1 has stride 0. */
bool bp_dnnl_has_bcast(const bp_tensor_desc_t *t);
int64_t bp_dnnl_numel(const bp_tensor_desc_t *t);
/* Same dims and the same strides on every dim of size > 1. */
bool bp_dnnl_same_layout(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b);
/* Zeros every element of t (all-zero bytes are 0 in every float dtype). */
void bp_dnnl_zero(const bp_tensor_desc_t *t);
/* dst = src through a cached reorder primitive (layout and dtype change);
 * ctx->lock held. */
bp_status_t bp_dnnl_reorder_locked(bp_dnnl_ctx_t *ctx, const dnnl_memory_desc_t *src, void *src_ptr,
                                   const dnnl_memory_desc_t *dst, void *dst_ptr);

/* ---- attributes (dnnl_md.c) ---- */

/* An int-list attribute per spatial dim: empty -> dflt, one value -> both. */
void bp_dnnl_attr_spatial(const bp_kernel_call_t *call, const char *name, int64_t dflt,
                          int64_t out[2]);
int64_t bp_dnnl_attr_int(const bp_kernel_call_t *call, const char *name, int64_t dflt);
bool bp_dnnl_attr_bool(const bp_kernel_call_t *call, const char *name, bool dflt);
double bp_dnnl_attr_f64(const bp_kernel_call_t *call, const char *name, double dflt);

/* ---- registration ---- */

bp_status_t bp_dnnl_register(const bp_host_api_t *host, const char *op, const bp_dtype_t *dtypes,
                             uint32_t n, bp_kernel_fn_t fn, bp_kernel_supports_fn_t supports,
                             const void *kernel_data);
/* "avx512_core_bf16", ...: the highest oneDNN ISA isa includes. */
const char *bp_dnnl_isa_name(dnnl_cpu_isa_t isa);
/* Float dtypes the kernels take: f32 and those the probe admitted. */
uint32_t bp_dnnl_float_mask(const bp_dnnl_ctx_t *ctx);

bp_status_t bp_dnnl_matmul_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_binary_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_eltwise_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_reduce_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_copy_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_nn_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_conv_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_pool_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_norm_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_backward_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_relu_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_optim_register(bp_dnnl_ctx_t *ctx);
bp_status_t bp_dnnl_minmax_register(bp_dnnl_ctx_t *ctx);

#endif /* BP_ONEDNN_PLUGIN_H_ */
