/*
 * backplane.h - the public API of libbackplane, for applications.
 *
 * Backplane is a tensor runtime whose operators reach hardware through
 * plugins (see bp_abi.h for the plugin side). This header is what an
 * application includes and links against (-lbackplane).
 *
 * Conventions, stated once and followed by every call below:
 *  - Every call that can fail returns bp_status_t; BP_STATUS_OK is 0. On
 *    failure bp_last_error() gives a thread-local message naming the call,
 *    the argument at fault and what was expected, e.g.
 *      "bp_add: shapes [3,4] and [5] cannot broadcast (dim -1: 4 vs 5)".
 *  - Outputs come last as out_ parameters and are written only on success.
 *  - Ownership: what a _create (or an op returning a new tensor) gives you,
 *    you own and release with bp_tensor_release. What an accessor returns
 *    is borrowed: devices and plugins live until bp_shutdown (a device of an
 *    unloaded plugin stays valid memory but refuses work), strings returned
 *    by accessors live as long as the object they describe.
 *  - Release functions accept NULL.
 *  - The runtime starts lazily on first use: it registers the reference
 *    device ref:0 and loads plugins from BP_PLUGIN_PATH, then from the
 *    install's plugin folder. Calls are thread-safe unless stated otherwise.
 *
 * Environment (docs/devices.md): BP_DEVICE (default device), BP_PLUGIN_PATH
 * (colon-separated plugin folders), BP_PLUGINS (which plugins to load:
 * names, -names to skip, or none), BP_FALLBACK (allow|warn|error: what to do
 * when a device lacks a kernel; default warn, once per op), BP_LOG
 * (debug|info|warn|error, default warn).
 */
#ifndef BACKPLANE_BACKPLANE_H_
#define BACKPLANE_BACKPLANE_H_

#include <stddef.h>
#include <stdint.h>

#include "backplane/bp_abi.h" /* bp_status_t, bp_dtype_t, bp_attr_t, props */

#ifdef __cplusplus
extern "C" {
#endif

#define BP_VERSION_MAJOR 0
#define BP_VERSION_MINOR 1
#define BP_VERSION_PATCH 0
#define BP_VERSION_STRING "0.1.0"

#if defined(__GNUC__) || defined(__clang__)
#define BP_API __attribute__((visibility("default")))
#else
#define BP_API
#endif

/* The version of the libbackplane actually loaded, e.g. "0.1.0", and the
 * plugin ABI version it speaks (BP_ABI_MAKE_VERSION form). */
BP_API const char *bp_version_string(void);
BP_API uint32_t bp_abi_version(void);

/* Opaque, reference-counted tensor: a view (shape, strides, offset, dtype)
 * of a reference-counted storage on one device. */
typedef struct bp_tensor bp_tensor_t;
/* A device: one of a plugin's devices, named "<plugin>:<index>". */
typedef struct bp_device bp_device_t;
/* A plugin: loaded, rejected (with the reason) or unloaded. */
typedef struct bp_plugin bp_plugin_t;

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* The message of the last failing call on this thread; "" if none. Valid
 * until the next Backplane call on this thread. */
BP_API const char *bp_last_error(void);
/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN" for a code it does not know. */
BP_API const char *bp_status_name(bp_status_t status);

/* ------------------------------------------------------------------------ */
/* Runtime                                                                  */
/* ------------------------------------------------------------------------ */

/* Starts the runtime now (otherwise the first call does). Idempotent. */
BP_API bp_status_t bp_init(void);
/* Unloads every plugin and frees the runtime. Every tensor must have been
 * released. Final: the runtime cannot be started again in this process.
 * Meant for leak checkers and tests. */
BP_API void bp_shutdown(void);

/* ------------------------------------------------------------------------ */
/* Dtypes                                                                   */
/* ------------------------------------------------------------------------ */

/* Bytes per element; 0 for an invalid dtype. */
BP_API size_t bp_dtype_size(bp_dtype_t dtype);
/* "f32", "i64", "bool", ...; "invalid" for an unknown one. */
BP_API const char *bp_dtype_name(bp_dtype_t dtype);
/* Parses a name given by bp_dtype_name. */
BP_API bp_status_t bp_dtype_from_name(const char *name, bp_dtype_t *out_dtype);
/* PyTorch's promotion of two tensor dtypes of the same rank category
 * (torch.promote_types): f16+bf16 -> f32, u8+i8 -> i16 (here i32: Backplane
 * has no i16), int+float -> the float, bool+x -> x. */
BP_API bp_dtype_t bp_dtype_promote(bp_dtype_t a, bp_dtype_t b);

/* ------------------------------------------------------------------------ */
/* Devices                                                                  */
/* ------------------------------------------------------------------------ */

/* "ref:0", "opencl:1"; a bare plugin name means index 0. */
BP_API bp_status_t bp_device_get(const char *name, bp_device_t **out_device);
/* BP_DEVICE if set (NOT_FOUND if it names no device), else the best device:
 * a GPU, then an accelerator, then a plugin CPU, then ref:0. */
BP_API bp_status_t bp_device_get_default(bp_device_t **out_device);
/* Number of usable devices (of loaded plugins), ref:0 first. */
BP_API size_t bp_device_count(void);
/* The i-th device, or NULL when i >= bp_device_count(). */
BP_API bp_device_t *bp_device_at(size_t index);
BP_API const char *bp_device_name(const bp_device_t *device);
BP_API bp_plugin_t *bp_device_plugin(const bp_device_t *device);
/* Copies the device's properties; props->struct_size must be set by the
 * caller (sizeof(bp_device_props_t)). */
BP_API bp_status_t bp_device_query_props(const bp_device_t *device,
                                         bp_device_props_t *props);
/* Waits for the device's queued work; returns any asynchronous error. */
BP_API bp_status_t bp_device_synchronize(bp_device_t *device);

/* ------------------------------------------------------------------------ */
/* Plugins                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum bp_plugin_state {
  BP_PLUGIN_LOADED = 1,
  BP_PLUGIN_REJECTED = 2,
  BP_PLUGIN_UNLOADED = 3,
} bp_plugin_state_t;

/* A snapshot of what the runtime knows of a plugin. Strings are borrowed
 * from the plugin record and live until bp_shutdown. */
typedef struct bp_plugin_info {
  uint32_t struct_size;      /* set by the caller to sizeof(bp_plugin_info_t) */
  bp_plugin_state_t state;
  const char *name;          /* "" when rejected before the name was known */
  const char *path;          /* "" for the built-in reference plugin */
  const char *version;
  const char *vendor;
  const char *reason;        /* why it was rejected or unloaded, or why a loaded
                                plugin has no devices (its log lines); "" else */
  uint32_t abi_version;      /* what the plugin said it implements; 0 unknown */
  uint32_t device_count;
  int builtin;               /* 1 for the reference plugin */
} bp_plugin_info_t;

/* Every plugin the runtime has seen (loaded, rejected, unloaded), in order. */
BP_API size_t bp_plugin_count(void);
BP_API bp_plugin_t *bp_plugin_at(size_t index);
BP_API bp_status_t bp_plugin_query_info(const bp_plugin_t *plugin,
                                        bp_plugin_info_t *out_info);
/* Loads one plugin file. On rejection returns the error (and the plugin
 * still appears in bp_plugin_count with its reason); *out_plugin is set on
 * success only. out_plugin may be NULL. */
BP_API bp_status_t bp_plugin_load(const char *path, bp_plugin_t **out_plugin);
/* Unloads a plugin. FAILED_PRECONDITION while tensors live on its devices,
 * and for the built-in reference plugin. */
BP_API bp_status_t bp_plugin_unload(bp_plugin_t *plugin);
/* Number of kernels the plugin registered for an op (0 for a rejected or
 * unloaded plugin), and the dtype signature of the k-th one (inputs then
 * outputs; out_count receives how many dtypes were written). */
BP_API uint32_t bp_plugin_kernel_count(const bp_plugin_t *plugin, uint32_t op_id);
BP_API bp_status_t bp_plugin_kernel_signature(const bp_plugin_t *plugin,
                                              uint32_t op_id, uint32_t k,
                                              bp_dtype_t *out_dtypes,
                                              uint32_t capacity,
                                              uint32_t *out_count);

/* ------------------------------------------------------------------------ */
/* Tensors                                                                  */
/* ------------------------------------------------------------------------ */

/* Largest ndim a tensor may have. */
#define BP_MAX_DIMS 16

/* A new contiguous tensor with uninitialized contents. */
BP_API bp_status_t bp_tensor_create(bp_device_t *device, bp_dtype_t dtype,
                                    int32_t ndim, const int64_t *shape,
                                    bp_tensor_t **out_tensor);
/* A new contiguous tensor holding a copy of `data` (nbytes must equal
 * numel * dtype size). */
BP_API bp_status_t bp_tensor_create_from_host(bp_device_t *device,
                                              bp_dtype_t dtype, int32_t ndim,
                                              const int64_t *shape,
                                              const void *data, size_t nbytes,
                                              bp_tensor_t **out_tensor);
/* Copies the tensor's elements, in row-major order, into dst (nbytes must
 * equal numel * dtype size). Works for any strides and any device. */
BP_API bp_status_t bp_tensor_copy_to_host(bp_tensor_t *tensor, void *dst,
                                          size_t nbytes);
/* A new contiguous copy of the tensor on another device (or the same). */
BP_API bp_status_t bp_tensor_to(bp_tensor_t *tensor, bp_device_t *device,
                                bp_tensor_t **out_tensor);
/* A scalar operand, as a Python number is to PyTorch: a 0-dim tensor on
 * ref:0 (f64, or i64 for the _int form) that joins ops on any device and
 * counts last in type promotion: an f16 tensor times a scalar stays f16, an
 * i32 tensor plus a float scalar gives f32 (the default float dtype). Any
 * 0-dim tensor on ref:0 may join an op on another device; it is copied. */
BP_API bp_status_t bp_tensor_create_scalar(double value, bp_tensor_t **out_tensor);
BP_API bp_status_t bp_tensor_create_scalar_int(int64_t value, bp_tensor_t **out_tensor);
/* Adds a reference; returns tensor. */
BP_API bp_tensor_t *bp_tensor_retain(bp_tensor_t *tensor);
/* Drops a reference; the storage goes when its last view goes. */
BP_API void bp_tensor_release(bp_tensor_t *tensor);

/* Accessors: the tensor must be valid; returned arrays are borrowed. */
BP_API int32_t bp_tensor_ndim(const bp_tensor_t *tensor);
BP_API const int64_t *bp_tensor_shape(const bp_tensor_t *tensor);
BP_API const int64_t *bp_tensor_strides(const bp_tensor_t *tensor);
/* Offset of element [0,...,0] in the storage, in elements. */
BP_API int64_t bp_tensor_offset(const bp_tensor_t *tensor);
BP_API int64_t bp_tensor_numel(const bp_tensor_t *tensor);
BP_API bp_dtype_t bp_tensor_dtype(const bp_tensor_t *tensor);
BP_API bp_device_t *bp_tensor_device(const bp_tensor_t *tensor);
BP_API int bp_tensor_is_contiguous(const bp_tensor_t *tensor);

/* Views share the storage of their base; no data moves. */
/* Any shape and strides within the storage (checked). */
BP_API bp_status_t bp_tensor_as_strided(bp_tensor_t *tensor, int32_t ndim,
                                        const int64_t *shape,
                                        const int64_t *strides, int64_t offset,
                                        bp_tensor_t **out_view);
/* Reorders dims: dims is a permutation of 0..ndim-1 (negative dims count
 * from the end). */
BP_API bp_status_t bp_tensor_permute(bp_tensor_t *tensor, const int32_t *dims,
                                     bp_tensor_t **out_view);
/* Elements start, start+step, ... < end along dim (Python slice rules for
 * negative and out-of-range start/end; step >= 1). */
BP_API bp_status_t bp_tensor_slice(bp_tensor_t *tensor, int32_t dim,
                                   int64_t start, int64_t end, int64_t step,
                                   bp_tensor_t **out_view);
/* Broadcasts size-1 dims (and new leading dims) to shape, with stride 0;
 * -1 keeps a dim's size. */
BP_API bp_status_t bp_tensor_expand(bp_tensor_t *tensor, int32_t ndim,
                                    const int64_t *shape,
                                    bp_tensor_t **out_view);
/* Same elements, new shape (one entry may be -1); a view when the strides
 * allow it, else INVALID_ARGUMENT (use bp_copy into a new tensor). */
BP_API bp_status_t bp_tensor_view(bp_tensor_t *tensor, int32_t ndim,
                                  const int64_t *shape, bp_tensor_t **out_view);

/* ------------------------------------------------------------------------ */
/* Ops                                                                      */
/* ------------------------------------------------------------------------ */

/* The op catalog (docs/ops.md is generated from it: `bp ops --markdown`). */
BP_API uint32_t bp_op_count(void);
/* The id of an op by its stable name ("add"). */
BP_API bp_status_t bp_op_find(const char *name, uint32_t *out_op_id);
/* The name of op_id, or NULL when out of range. */
BP_API const char *bp_op_name(uint32_t op_id);

/* What the catalog says of one op (docs/ops.md is printed from this).
 * Strings are static. */
typedef struct bp_op_info {
  uint32_t struct_size;      /* set by the caller to sizeof(bp_op_info_t) */
  const char *name;
  const char *summary;       /* one line, naming the PyTorch equivalent */
  const char *dtype_rule;    /* how output dtypes follow from inputs */
  const char *form;          /* how kernels receive tensors (docs/ops.md):
                                "elementwise", "reduce", "matmul", "as_is";
                                "view" (no kernel, no copy) or "composite"
                                (built from other ops, no kernel) */
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t num_attrs;
  int outputs_required;      /* 1: the caller passes the outputs (in place) */
  int differentiable;
} bp_op_info_t;

BP_API bp_status_t bp_op_query_info(uint32_t op_id, bp_op_info_t *out_info);
/* The inputs a call of op_id with these attrs (as bp_op_run takes them)
 * writes in place: bit i set for input i (batch_norm's running_mean and
 * running_var when training with running stats); 0 for most ops. */
BP_API bp_status_t bp_op_query_mutated_inputs(uint32_t op_id, uint32_t num_attrs, const bp_attr_t *attrs,
                                              uint32_t *out_mask);
/* Name of tensor slot `slot` of an op: inputs first, then outputs; NULL
 * when out of range. */
BP_API const char *bp_op_slot_name(uint32_t op_id, uint32_t slot);
/* The index-th attribute of an op with its default value (name, type,
 * value; an int list default is empty) and a line of documentation. */
BP_API bp_status_t bp_op_query_attr(uint32_t op_id, uint32_t index, bp_attr_t *out_default,
                                    const char **out_doc);

/* Runs any op of the catalog. inputs: num_inputs tensors in catalog order.
 * attrs: any subset of the op's attributes, by name, any order; the rest
 * take their defaults (struct_size may be 0 here). outputs: num_outputs
 * entries; an entry that is NULL receives a new tensor (owned by the
 * caller), an entry that is set is written in place and must have the
 * shape and dtype the op produces. */
BP_API bp_status_t bp_op_run(uint32_t op_id, uint32_t num_inputs,
                             bp_tensor_t *const *inputs, uint32_t num_attrs,
                             const bp_attr_t *attrs, uint32_t num_outputs,
                             bp_tensor_t **outputs);

/* Typed entry points. Each `bp_X` returns a new tensor in *out; each
 * `bp_X_out` writes into an existing one. Binary ops broadcast and promote
 * dtypes as PyTorch does. */
BP_API bp_status_t bp_fill(bp_tensor_t *tensor, double value);
BP_API bp_status_t bp_fill_int(bp_tensor_t *tensor, int64_t value);
/* dst = src, broadcasting src to dst's shape, casting, across devices. */
BP_API bp_status_t bp_copy(bp_tensor_t *dst, bp_tensor_t *src);
BP_API bp_status_t bp_add(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);
BP_API bp_status_t bp_add_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out);
BP_API bp_status_t bp_sub(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);
BP_API bp_status_t bp_sub_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out);
BP_API bp_status_t bp_mul(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);
BP_API bp_status_t bp_mul_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out);
/* True division: integer inputs give f32. */
BP_API bp_status_t bp_div(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);
BP_API bp_status_t bp_div_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out);
/* Sum over dims (num_dims == 0: over all); bool and integers sum to i64. */
BP_API bp_status_t bp_sum(bp_tensor_t *x, uint32_t num_dims,
                          const int64_t *dims, int keepdim, bp_tensor_t **out);
/* torch.matmul: 1-D, 2-D and batched with broadcast batch dims. */
BP_API bp_status_t bp_matmul(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t **out);
BP_API bp_status_t bp_matmul_out(bp_tensor_t *a, bp_tensor_t *b, bp_tensor_t *out);

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */
/* ------------------------------------------------------------------------ */

typedef struct bp_stats {
  uint64_t fallbacks;            /* ops run on ref:0 for lack of a kernel */
  uint64_t cross_device_copies;  /* tensor copies between two devices */
} bp_stats_t;

BP_API void bp_stats_get(bp_stats_t *out_stats);
BP_API void bp_stats_reset(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* Typed entry points of the rest of the catalog, one header per op family. */
#include "backplane/bp_ops_shape.h"

#include "backplane/bp_ops_unary.h"

#include "backplane/bp_ops_binary2.h"

#include "backplane/bp_ops_reduce2.h"

#include "backplane/bp_ops_nn.h"

#include "backplane/bp_ops_nn2.h"

#include "backplane/bp_ops_random.h"

#include "backplane/bp_ops_train.h"

#include "backplane/bp_autograd.h"

#endif /* BACKPLANE_BACKPLANE_H_ */
