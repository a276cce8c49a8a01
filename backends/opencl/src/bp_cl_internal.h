/*
 * bp_cl_internal.h - the OpenCL backend's private state and helpers.
 *
 * One Backplane device per OpenCL device found on any platform (opencl:0,
 * opencl:1, ... in platform then device order). Each device gets, lazily on
 * first use, its own context and one in-order command queue. Buffers are
 * cl_mem handles passed to the host as opaque pointers (not host
 * addressable, ABI-22). Kernels are enqueued and return; errors the device
 * reports later surface at synchronize (ABI-14).
 *
 * Every OpenCL error code becomes a bp_status_t with a message naming the
 * call in exactly one place: bp_cl_check() (bp_cl_status.c), used through
 * BP_CL_RETURN_IF_ERROR.
 */
#ifndef BACKPLANE_BACKENDS_OPENCL_BP_CL_INTERNAL_H_
#define BACKPLANE_BACKENDS_OPENCL_BP_CL_INTERNAL_H_

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backplane/bp_abi.h"

/* Most dims a kernel takes after merging contiguous dims (props.max_dims). */
#define BP_CL_MAX_DIMS 8
/* Tensors one elementwise kernel sees: the output and up to 3 inputs. */
#define BP_CL_MAX_OPERANDS 4

typedef struct bp_cl_program_entry bp_cl_program_entry_t;

typedef struct bp_cl_device {
  cl_platform_id platform;
  cl_device_id id;
  char name[BP_DEVICE_NAME_MAX];
  char vendor[BP_DEVICE_NAME_MAX];
  char driver_version[128];
  bp_device_kind_t kind;
  uint64_t global_mem;
  uint64_t max_alloc;
  bool has_fp64;   /* cl_khr_fp64 */
  bool has_fp16;   /* cl_khr_fp16 (informational: f16/bf16 are computed in f32) */
  bool correct_div; /* CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT for f32 */
  size_t max_wg;   /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
  uint64_t local_mem;

  pthread_mutex_t lock; /* guards everything below */
  bool ready;           /* context and queue created */
  cl_context context;
  cl_command_queue queue;
  bp_status_t pending;  /* first asynchronous error since the last synchronize */
  char pending_msg[512];
  bp_cl_program_entry_t *programs; /* in-memory program cache (a list) */
  struct bp_cl_checks *checks;     /* device-side index checks (bp_cl_nn_check.c) */
  cl_mem scratch;        /* the convolutions' im2col buffer, kept between calls */
  uint64_t scratch_size; /* its bytes (0: none yet) */
} bp_cl_device_t;

typedef struct bp_cl_ctx {
  const bp_host_api_t *host;
  uint32_t device_count;
  bp_cl_device_t *devices;
  bool any_fp64;
  char cache_dir[1024]; /* "" disables the disk cache */
} bp_cl_ctx_t;

/* ---- errors (bp_cl_status.c) ---- */

/* The name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *bp_cl_error_name(cl_int err);
/* Turns an OpenCL result into a status: OK for CL_SUCCESS, else the mapped
 * code with the message "<what>: <call> failed: CL_... (-N)" set on the
 * host. The one place OpenCL codes become Backplane codes. */
bp_status_t bp_cl_check(const bp_cl_ctx_t *ctx, cl_int err, const char *call,
                        const char *what);
/* Sets a printf-style message on the host and returns status. */
bp_status_t bp_cl_fail(const bp_cl_ctx_t *ctx, bp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bp_cl_log(const bp_cl_ctx_t *ctx, bp_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define BP_CL_RETURN_IF_ERROR(ctx, expr, call, what)            \
  do {                                                          \
    bp_status_t bp_cl_s_ = bp_cl_check((ctx), (expr), (call), (what)); \
    if (bp_cl_s_ != BP_STATUS_OK) return bp_cl_s_;              \
  } while (0)

/* ---- devices (bp_cl_plugin.c) ---- */

/* The device, with its context and queue created; NULL (status set) when
 * the index is bad or creation failed. */
bp_status_t bp_cl_device_get(bp_cl_ctx_t *ctx, uint32_t index, bp_cl_device_t **out_dev);
/* Records an asynchronous error for the next synchronize (first one wins). */
void bp_cl_device_set_pending(bp_cl_device_t *dev, bp_status_t status, const char *msg);

/* ---- programs (bp_cl_program.c) ---- */

/* The kernel `kernel_name` of the program `defines` + the common prelude +
 * `templ` (one of the bp_cl_src_* templates, compared by identity) for the device; built once and cached in memory and
 * on disk. The returned kernel belongs to the cache; callers set its
 * arguments and enqueue it while holding dev->lock. Call with dev->lock
 * held. */
bp_status_t bp_cl_program_kernel(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *defines,
                                 const char *templ, const char *kernel_name,
                                 cl_kernel *out_kernel);
void bp_cl_program_cache_release(bp_cl_device_t *dev);

/* The embedded OpenCL C sources (generated from kernels/ at build time). */
extern const char bp_cl_src_common[];
extern const char bp_cl_src_elementwise[];
extern const char bp_cl_src_reduce[];
extern const char bp_cl_src_matmul[];
extern const char bp_cl_src_random[];
extern const char bp_cl_src_memory[];
extern const char bp_cl_src_reduce2[];
extern const char bp_cl_src_rownorm[];

/* ---- memory (bp_cl_memory.c) ---- */

bp_status_t bp_cl_buffer_alloc(void *plugin_ctx, uint32_t device, uint64_t size, void **out);
void bp_cl_buffer_free(void *plugin_ctx, uint32_t device, void *buffer);
bp_status_t bp_cl_copy_h2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset,
                           const void *src, uint64_t size);
bp_status_t bp_cl_copy_d2h(void *plugin_ctx, uint32_t device, void *dst, const void *src,
                           uint64_t src_offset, uint64_t size);
bp_status_t bp_cl_copy_d2d(void *plugin_ctx, uint32_t device, void *dst, uint64_t dst_offset,
                           const void *src, uint64_t src_offset, uint64_t size);
bp_status_t bp_cl_fill(void *plugin_ctx, uint32_t device, void *dst, uint64_t offset,
                       uint64_t size, const void *pattern, uint32_t pattern_size);
bp_status_t bp_cl_synchronize(void *plugin_ctx, uint32_t device);

/* ---- kernel geometry (bp_cl_geom.c) ---- */

/* Shape and strides of up to 4 tensors over one shape, as the OpenCL
 * kernels take it by value (all 64-bit members: the same layout on host and
 * device). Operand 0 is the output. */
typedef struct bp_cl_geom {
  cl_long numel;
  cl_long ndim;
  cl_long shape[BP_CL_MAX_DIMS];
  cl_long stride[BP_CL_MAX_OPERANDS][BP_CL_MAX_DIMS];
  cl_long offset[BP_CL_MAX_OPERANDS]; /* in elements */
} bp_cl_geom_t;

/* Fills g for tensors t[0..n) of one shape (t[0]'s), merging dims that are
 * contiguous in every tensor and dropping size-1 dims. False when a byte
 * offset is not a multiple of the element size or more than
 * BP_CL_MAX_DIMS dims remain. */
bool bp_cl_geom_init(bp_cl_geom_t *g, const bp_tensor_desc_t *const *t, int n);
int64_t bp_cl_numel(const bp_tensor_desc_t *t);

/* Global and local work sizes for n work items, grid-stride loops. */
void bp_cl_launch_size(const bp_cl_device_t *dev, int64_t n, size_t *global, size_t *local);

/* OpenCL C type names of a dtype's storage ("float", "ushort" for f16). */
const char *bp_cl_storage_type(bp_dtype_t dtype);
/* A short lower-case tag: "f32", "bf16", "bool". */
const char *bp_cl_dtype_tag(bp_dtype_t dtype);
bool bp_cl_dtype_is_float(bp_dtype_t dtype);

/* ---- matmul (bp_cl_ops_matmul.c), shared with the convolutions ---- */

/* Must match bp_mm_geom_t (kernels/bp_matmul.cl). */
typedef struct bp_cl_mm_geom {
  cl_long m, n, k, batch, batch_nd;
  cl_long sam, sak, sbk, sbn, som, son;
  cl_long a_offset, b_offset, o_offset;
  cl_long batch_shape[BP_CL_MAX_DIMS];
  cl_long batch_sa[BP_CL_MAX_DIMS], batch_sb[BP_CL_MAX_DIMS], batch_so[BP_CL_MAX_DIMS];
  cl_long bias_offset, sbias_m, sbias_n; /* with a bias only: bias[m * sbias_m + n * sbias_n] */
  cl_long batch_sbias[BP_CL_MAX_DIMS];
} bp_cl_mm_geom_t;

/* Enqueues out = a @ b (+ bias[batch, m, n] when bias != NULL) for g, with
 * the kernel that suits the device (local-memory tiles on GPUs, register
 * blocks elsewhere; BP_OPENCL_MATMUL=tiled or =blocked overrides). Call
 * with dev->lock held. */
bp_status_t bp_cl_matmul_enqueue(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, bp_dtype_t dtype,
                                 const bp_cl_mm_geom_t *g, cl_mem out, cl_mem a, cl_mem b,
                                 cl_mem bias);
/* dev->scratch with at least size bytes, kept between calls (im2col
 * columns, packed or transposed operands); the queue is in order, so work
 * queued later overwrites it only after earlier kernels have read it.
 * Call with dev->lock held. */
bp_status_t bp_cl_scratch_get(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, uint64_t size);
/* True when dtype has a matmul kernel on the device. */
bool bp_cl_matmul_takes(const bp_cl_device_t *dev, bp_dtype_t dtype);
/* The defines of the matmul program for dtype (BP_T, BP_ACC, BP_LD, ...). */
const char *bp_cl_matmul_defines(bp_dtype_t dtype);

/* ---- ops (bp_cl_ops_*.c): each registers its kernels ---- */

/* Enqueues the generic strided kernel `bp_ew` of bp_cl_src_elementwise,
 * built with defines: operands t[0..n) (output first) over geometry g, with
 * the two parameter words p0, p1; op names the op in error messages. Takes
 * the device lock (bp_cl_ops_elementwise.c). */
bp_status_t bp_cl_ew_launch(bp_cl_ctx_t *ctx, uint32_t device_index, const char *defines, const char *op,
                            const bp_tensor_desc_t *const *t, int n, const bp_cl_geom_t *g, cl_ulong p0,
                            cl_ulong p1);
bp_status_t bp_cl_register_elementwise(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_reduce(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_reduce2(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_rownorm(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_elementwise2(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_bernoulli(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_matmul(bp_cl_ctx_t *ctx); /* matmul, bmm, linear */
bp_status_t bp_cl_register_random(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_conv(bp_cl_ctx_t *ctx);
/* The nn families (bp_cl_nn.h has their shared helpers). */
bp_status_t bp_cl_register_optim(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_pool(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_index(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_loss(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_norm(bp_cl_ctx_t *ctx);
bp_status_t bp_cl_register_conv_backward(bp_cl_ctx_t *ctx);

/* Device-side index checks (bp_cl_nn_check.c): reads the check slots used
 * since the last call once the queue has drained, records a set one as the
 * device's pending error and clears them (call with dev->lock held, from
 * synchronize); frees the check buffer (shutdown). */
void bp_cl_check_collect(bp_cl_ctx_t *ctx, bp_cl_device_t *dev);
void bp_cl_check_release(bp_cl_device_t *dev);

/* Registers one kernel. */
bp_status_t bp_cl_register(bp_cl_ctx_t *ctx, const char *op, const bp_dtype_t *dtypes,
                           uint32_t n, bp_kernel_fn_t fn, bp_kernel_supports_fn_t supports,
                           void *kernel_data);
/* True when the device of the call can run a kernel touching `dtype`. */
bool bp_cl_device_takes(const bp_kernel_call_t *call, bp_dtype_t dtype);

#endif /* BACKPLANE_BACKENDS_OPENCL_BP_CL_INTERNAL_H_ */
