/*
 * bp_abi.h - the Backplane plugin ABI, version 1.0.
 *
 * This is the only header a backend plugin compiles against. It includes
 * nothing but <stdint.h>, <stddef.h> and <stdbool.h>, and a plugin never links
 * libbackplane: everything it needs from the host arrives through the
 * bp_host_api_t table handed to it.
 *
 * The rules behind every declaration here are numbered in docs/abi.md
 * (ABI-1, ABI-2, ...); comments below cite them.
 *
 * Shape of a plugin (ABI-1, ABI-2):
 *
 *   BP_PLUGIN_EXPORT bp_status_t bp_plugin_query(const bp_host_api_t *host,
 *                                                uint32_t host_abi_version,
 *                                                const bp_plugin_api_t **out_api)
 *   {
 *     if (BP_ABI_VERSION_GET_MAJOR(host_abi_version) != BP_ABI_VERSION_MAJOR)
 *       return BP_STATUS_ABI_MISMATCH;
 *     *out_api = &my_static_table;   // owned by the plugin, lives until dlclose
 *     return BP_STATUS_OK;
 *   }
 *
 * The host then calls api->init(host, &ctx), in which the plugin registers its
 * kernels with host->register_kernel, then enumerates devices.
 *
 * Ownership (ABI-20..ABI-24, stated once here and followed everywhere):
 *  - Every const char* and table the plugin returns (names, the api table)
 *    is owned by the plugin and must stay valid until shutdown returns.
 *  - Everything the host passes into a call (descriptors, shapes, attributes,
 *    strings) is borrowed for the duration of that call only.
 *  - Buffer handles returned by buffer_alloc are owned by the host until it
 *    passes them back to buffer_free.
 */
#ifndef BACKPLANE_BP_ABI_H_
#define BACKPLANE_BP_ABI_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions (ABI-3, ABI-4)                                                   */
/* ------------------------------------------------------------------------ */

/* A version is major << 16 | minor. A minor release only appends (new struct
 * members at the end, new enum values, new optional entries); anything else
 * is a new major. The host refuses a plugin of another major; it accepts any
 * minor, older or newer, and calls only what both sides know. */
#define BP_ABI_VERSION_MAJOR 1u
#define BP_ABI_VERSION_MINOR 0u
#define BP_ABI_MAKE_VERSION(major, minor) \
  ((((uint32_t)(major)) << 16) | ((uint32_t)(minor) & 0xffffu))
#define BP_ABI_VERSION BP_ABI_MAKE_VERSION(BP_ABI_VERSION_MAJOR, BP_ABI_VERSION_MINOR)
#define BP_ABI_VERSION_GET_MAJOR(v) (((uint32_t)(v)) >> 16)
#define BP_ABI_VERSION_GET_MINOR(v) (((uint32_t)(v)) & 0xffffu)

/* The one symbol a plugin exports (ABI-1). */
#define BP_PLUGIN_ENTRY_SYMBOL "bp_plugin_query"

#if defined(_WIN32)
#define BP_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define BP_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BP_PLUGIN_EXPORT
#endif

/* ------------------------------------------------------------------------ */
/* Status codes (ABI-5)                                                      */
/* ------------------------------------------------------------------------ */

/* Every fallible call on either side of the boundary returns one of these.
 * Nothing else crosses: no C++ exception, no longjmp, no abort (ABI-6).
 * A plugin may attach a message to a failing status with host->set_error
 * before returning it. New codes may be appended in a minor version; a host
 * treats an unknown nonzero code as BP_STATUS_INTERNAL. */
typedef int32_t bp_status_t;
enum {
  /* Success. Always zero. */
  BP_STATUS_OK = 0,
  /* An argument is wrong (NULL, out of range, shapes that do not match).
   * Retrying the same call fails again. */
  BP_STATUS_INVALID_ARGUMENT = 1,
  /* The call is valid but this implementation does not do it (an op, a dtype,
   * a layout). The dispatcher may fall back to the reference device. */
  BP_STATUS_UNSUPPORTED = 2,
  /* An allocation failed. Retrying after freeing memory may succeed. */
  BP_STATUS_OUT_OF_MEMORY = 3,
  /* The device or its driver reported an error (possibly asynchronously,
   * surfacing at synchronize). The device may be unusable afterwards. */
  BP_STATUS_DEVICE_ERROR = 4,
  /* A bug: an invariant of Backplane or the plugin does not hold. */
  BP_STATUS_INTERNAL = 5,
  /* A named thing (device, op, plugin, file) does not exist. */
  BP_STATUS_NOT_FOUND = 6,
  /* A library or device needed at run time is missing (e.g. no driver). */
  BP_STATUS_UNAVAILABLE = 7,
  /* The object is not in a state that allows the call (e.g. unloading a
   * plugin that still has live tensors). Retrying later may succeed. */
  BP_STATUS_FAILED_PRECONDITION = 8,
  /* The two sides of the plugin boundary speak different ABI majors. */
  BP_STATUS_ABI_MISMATCH = 9,
};

/* ------------------------------------------------------------------------ */
/* Dtypes (ABI-7)                                                            */
/* ------------------------------------------------------------------------ */

typedef uint32_t bp_dtype_t;
enum {
  BP_DTYPE_INVALID = 0,
  BP_DTYPE_BOOL = 1, /* 1 byte, 0 or 1 */
  BP_DTYPE_U8 = 2,
  BP_DTYPE_I8 = 3,
  BP_DTYPE_I32 = 4,
  BP_DTYPE_I64 = 5,
  BP_DTYPE_F16 = 6,  /* IEEE 754 binary16 */
  BP_DTYPE_BF16 = 7, /* bfloat16: the top half of an f32 */
  BP_DTYPE_F32 = 8,
  BP_DTYPE_F64 = 9,
  /* One past the last dtype of this ABI version; grows in minor versions. */
  BP_DTYPE_COUNT_V1_0 = 10,
};

/* Bit for a dtype in a dtype mask (bp_device_props_t.dtype_mask). */
#define BP_DTYPE_BIT(dtype) (1u << (uint32_t)(dtype))

/* ------------------------------------------------------------------------ */
/* Tensors and attributes crossing the boundary (ABI-8..ABI-11)              */
/* ------------------------------------------------------------------------ */

/* A tensor as a kernel sees it: a plain descriptor, DLPack-like. The buffer
 * handle is what the plugin's buffer_alloc returned (for host-addressable
 * devices, the host pointer to the start of the allocation). Element
 * [i0, i1, ...] lives at byte
 *   byte_offset + (i0*strides[0] + i1*strides[1] + ...) * dtype_size
 * from the start of that buffer. Strides are in elements and never negative;
 * a stride of 0 means the dimension is broadcast (ABI-9). */
typedef struct bp_tensor_desc {
  uint32_t struct_size;   /* sizeof(bp_tensor_desc_t) as the host knows it */
  bp_dtype_t dtype;
  uint32_t device_index;  /* index within the plugin's devices */
  int32_t ndim;           /* 0 for a scalar tensor */
  void *data;             /* buffer handle; NULL only when numel is 0 */
  uint64_t byte_offset;
  const int64_t *shape;   /* ndim entries, each >= 0 */
  const int64_t *strides; /* ndim entries, in elements, each >= 0 */
} bp_tensor_desc_t;

typedef uint32_t bp_attr_type_t;
enum {
  BP_ATTR_NONE = 0,
  BP_ATTR_INT = 1,      /* value.i */
  BP_ATTR_INTS = 2,     /* value.ints with count entries */
  BP_ATTR_FLOAT = 3,    /* value.f */
  BP_ATTR_BOOL = 4,     /* value.b */
  BP_ATTR_DTYPE = 5,    /* value.dtype */
};

/* A typed name/value pair (ABI-10). The host passes every attribute the op
 * declares in the catalog, defaults filled in, in catalog order; a plugin may
 * find them by name with bp_abi_find_attr(). */
typedef struct bp_attr {
  uint32_t struct_size;
  bp_attr_type_t type;
  const char *name;
  uint32_t count; /* entries in value.ints for BP_ATTR_INTS, else 1 */
  union {
    int64_t i;
    double f;
    bool b;
    bp_dtype_t dtype;
    const int64_t *ints;
  } value;
} bp_attr_t;

/* ------------------------------------------------------------------------ */
/* Kernels (ABI-12..ABI-15)                                                  */
/* ------------------------------------------------------------------------ */

/* Everything a kernel invocation receives. Tensors arrive in the form the
 * op's catalog entry documents (docs/ops.md): for elementwise ops, inputs
 * already broadcast to the output shape; for reductions, the output with the
 * reduced dimensions kept as size 1. The kernel may run asynchronously on the
 * device queue; an error it cannot report now is returned by the next
 * synchronize (ABI-14). */
typedef struct bp_kernel_call {
  uint32_t struct_size;
  uint32_t op_id;       /* the host's id for the op, stable for this process */
  const char *op_name;  /* the op's stable name, e.g. "add" */
  void *plugin_ctx;     /* what the plugin's init returned */
  void *kernel_data;    /* what the plugin passed in bp_kernel_reg_t */
  uint32_t device_index;
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t num_attrs;
  const bp_tensor_desc_t *const *inputs;
  const bp_tensor_desc_t *const *outputs;
  const bp_attr_t *const *attrs;
} bp_kernel_call_t;

typedef bp_status_t (*bp_kernel_fn_t)(const bp_kernel_call_t *call);

/* Optional predicate: may this kernel take this call (layouts, sizes)? It
 * must not touch tensor data. Returning false makes the dispatcher look for
 * another kernel or fall back (ABI-13). */
typedef bool (*bp_kernel_supports_fn_t)(const bp_kernel_call_t *call);

/* One kernel registration (ABI-12). The dtype signature has one entry per
 * tensor slot of the op: every input, then every output, in catalog order.
 * Each (op, signature) may be registered once per plugin. */
typedef struct bp_kernel_reg {
  uint32_t struct_size;
  uint32_t num_dtypes;
  const char *op_name;
  const bp_dtype_t *dtypes;
  bp_kernel_fn_t fn;                 /* required */
  bp_kernel_supports_fn_t supports;  /* optional, may be NULL */
  void *kernel_data;                 /* passed back in bp_kernel_call_t */
} bp_kernel_reg_t;

/* ------------------------------------------------------------------------ */
/* Devices (ABI-16)                                                          */
/* ------------------------------------------------------------------------ */

typedef uint32_t bp_device_kind_t;
enum {
  BP_DEVICE_KIND_CPU = 1,
  BP_DEVICE_KIND_GPU = 2,
  BP_DEVICE_KIND_ACCELERATOR = 3,
};

#define BP_DEVICE_NAME_MAX 128

/* Written by the plugin into storage the host owns. The host zero-fills it and
 * sets struct_size to the size it knows; the plugin writes only members that
 * end within struct_size, so an older host is never overrun (ABI-16). */
typedef struct bp_device_props {
  uint32_t struct_size;
  bp_device_kind_t kind;
  char name[BP_DEVICE_NAME_MAX];   /* non-empty, NUL-terminated */
  char vendor[BP_DEVICE_NAME_MAX]; /* may be empty */
  uint64_t total_memory;           /* bytes, > 0 */
  uint64_t free_memory;            /* bytes, <= total_memory; 0 if unknown */
  uint64_t max_alloc_size;         /* bytes, largest single buffer, > 0 */
  uint32_t dtype_mask;             /* BP_DTYPE_BIT of each dtype it stores */
  uint32_t max_dims;               /* most tensor dims its kernels take, >= 1 */
  bool host_addressable;           /* buffer handles are host pointers */
} bp_device_props_t;

/* ------------------------------------------------------------------------ */
/* The host table (ABI-17)                                                   */
/* ------------------------------------------------------------------------ */

typedef uint32_t bp_log_level_t;
enum {
  BP_LOG_DEBUG = 0,
  BP_LOG_INFO = 1,
  BP_LOG_WARN = 2,
  BP_LOG_ERROR = 3,
};

/* What the host offers a plugin. Valid from bp_plugin_query until shutdown
 * returns. Members past the size a plugin knows are newer; a plugin built for
 * a newer minor checks struct_size before using them. */
typedef struct bp_host_api {
  uint32_t struct_size;
  uint32_t abi_version;      /* the highest version the host speaks */
  uint32_t abi_version_min;  /* the lowest version the host accepts */
  uint32_t reserved0;
  void *host_ctx;            /* pass it back as the first argument below */
  /* Registers one kernel; only valid during init (ABI-12). An unknown op, a
   * signature of the wrong length or dtypes the op cannot take, or a
   * duplicate, is INVALID_ARGUMENT and rejects the whole plugin. */
  bp_status_t (*register_kernel)(void *host_ctx, const bp_kernel_reg_t *reg);
  /* A log line from the plugin; the host prefixes the plugin's name. */
  void (*log)(void *host_ctx, bp_log_level_t level, const char *message);
  /* Attaches a message to the status the calling thread is about to return.
   * The host copies it. */
  void (*set_error)(void *host_ctx, const char *message);
  /* Reads a host option (e.g. "num_threads") for this plugin; *out_value is
   * NULL when it is not set. The string is owned by the host and valid until
   * shutdown. Options come from the environment: BP_<PLUGIN>_<KEY> upper-cased,
   * then BP_<KEY>. */
  bp_status_t (*query_option)(void *host_ctx, const char *key, const char **out_value);
} bp_host_api_t;

/* ------------------------------------------------------------------------ */
/* The plugin table (ABI-18)                                                 */
/* ------------------------------------------------------------------------ */

/* Returned by bp_plugin_query; owned by the plugin, static in practice.
 * All members up to and including `synchronize` are required in v1.0 and
 * must be non-NULL; `shutdown` may be NULL. Device indices run from 0 to
 * device_count - 1. Calls for one device may come from several threads; the
 * plugin serializes what it must. */
typedef struct bp_plugin_api {
  uint32_t struct_size;     /* sizeof(bp_plugin_api_t) as the plugin knows it */
  uint32_t abi_version;     /* the version the plugin implements */
  const char *name;         /* [a-z][a-z0-9_]*, at most 31 chars: "onednn" */
  const char *version;      /* the plugin's own version, free form */
  const char *vendor;       /* who ships it */

  /* Creates the plugin's state and registers its kernels. On failure the
   * host calls nothing else (not even shutdown) and unloads the plugin. */
  bp_status_t (*init)(const bp_host_api_t *host, void **out_plugin_ctx);
  /* Optional. Releases everything init made; no call follows it. */
  void (*shutdown)(void *plugin_ctx);

  bp_status_t (*device_count)(void *plugin_ctx, uint32_t *out_count);
  bp_status_t (*device_props)(void *plugin_ctx, uint32_t device,
                              bp_device_props_t *props);

  /* Memory (ABI-19). buffer_alloc of 0 bytes succeeds and may return NULL.
   * A size above the device's memory returns OUT_OF_MEMORY. buffer_free
   * accepts NULL and is ordered after work already queued on the device. */
  bp_status_t (*buffer_alloc)(void *plugin_ctx, uint32_t device, uint64_t size,
                              void **out_buffer);
  void (*buffer_free)(void *plugin_ctx, uint32_t device, void *buffer);
  /* Host to device: src may be reused as soon as the call returns. */
  bp_status_t (*copy_h2d)(void *plugin_ctx, uint32_t device, void *dst,
                          uint64_t dst_offset, const void *src, uint64_t size);
  /* Device to host: waits for queued work on the device and returns with the
   * bytes in dst. */
  bp_status_t (*copy_d2h)(void *plugin_ctx, uint32_t device, void *dst,
                          const void *src, uint64_t src_offset, uint64_t size);
  /* Device to device on the same device; may be queued. */
  bp_status_t (*copy_d2d)(void *plugin_ctx, uint32_t device, void *dst,
                          uint64_t dst_offset, const void *src,
                          uint64_t src_offset, uint64_t size);
  /* Repeats a pattern of 1, 2, 4 or 8 bytes over size bytes (size a multiple
   * of pattern_size); may be queued. */
  bp_status_t (*fill)(void *plugin_ctx, uint32_t device, void *dst,
                      uint64_t offset, uint64_t size, const void *pattern,
                      uint32_t pattern_size);
  /* Waits for all queued work on the device; returns the first error any of
   * it hit since the last synchronize (ABI-14). */
  bp_status_t (*synchronize)(void *plugin_ctx, uint32_t device);
} bp_plugin_api_t;

/* The entry point every plugin exports (ABI-1, ABI-2). host_abi_version is
 * the highest version the host speaks (also in host->abi_version). The plugin
 * returns ABI_MISMATCH when it cannot speak that major, else OK with
 * *out_api set to its table. It must not allocate device resources here. */
typedef bp_status_t (*bp_plugin_query_fn_t)(const bp_host_api_t *host,
                                            uint32_t host_abi_version,
                                            const bp_plugin_api_t **out_api);

/* ------------------------------------------------------------------------ */
/* Frozen v1.0 layouts (ABI-4)                                               */
/* ------------------------------------------------------------------------ */

/* The size each table had in v1.0: the least a v1 peer may report. */
#define BP_HOST_API_SIZE_V1_0 \
  (offsetof(bp_host_api_t, query_option) + sizeof(void (*)(void)))
#define BP_PLUGIN_API_SIZE_V1_0 \
  (offsetof(bp_plugin_api_t, synchronize) + sizeof(void (*)(void)))
#define BP_TENSOR_DESC_SIZE_V1_0 \
  (offsetof(bp_tensor_desc_t, strides) + sizeof(const int64_t *))
#define BP_ATTR_SIZE_V1_0 (offsetof(bp_attr_t, value) + sizeof(int64_t))
#define BP_KERNEL_CALL_SIZE_V1_0 \
  (offsetof(bp_kernel_call_t, attrs) + sizeof(const bp_attr_t *const *))
#define BP_KERNEL_REG_SIZE_V1_0 \
  (offsetof(bp_kernel_reg_t, kernel_data) + sizeof(void *))
#define BP_DEVICE_PROPS_SIZE_V1_0 \
  (offsetof(bp_device_props_t, host_addressable) + sizeof(bool))

#if defined(__cplusplus)
#define BP_ABI_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define BP_ABI_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* The offsets of the last member of every v1.0 struct, on LP64 targets.
 * If one of these fires, an edit broke the ABI: append instead. */
#if UINTPTR_MAX == 0xffffffffffffffffu
BP_ABI_STATIC_ASSERT(offsetof(bp_tensor_desc_t, strides) == 40, "bp_tensor_desc_t v1.0 layout");
BP_ABI_STATIC_ASSERT(offsetof(bp_attr_t, value) == 24, "bp_attr_t v1.0 layout");
BP_ABI_STATIC_ASSERT(offsetof(bp_kernel_call_t, attrs) == 64, "bp_kernel_call_t v1.0 layout");
BP_ABI_STATIC_ASSERT(offsetof(bp_kernel_reg_t, kernel_data) == 40, "bp_kernel_reg_t v1.0 layout");
BP_ABI_STATIC_ASSERT(offsetof(bp_device_props_t, host_addressable) == 296, "bp_device_props_t v1.0 layout");
BP_ABI_STATIC_ASSERT(offsetof(bp_host_api_t, query_option) == 48, "bp_host_api_t v1.0 layout");
BP_ABI_STATIC_ASSERT(offsetof(bp_plugin_api_t, synchronize) == 112, "bp_plugin_api_t v1.0 layout");
#endif

/* ------------------------------------------------------------------------ */
/* Small helpers for plugins (header-only; nothing to link)                  */
/* ------------------------------------------------------------------------ */

/* Bytes per element of a dtype, 0 for an unknown one. */
static inline size_t bp_abi_dtype_size(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_BOOL: case BP_DTYPE_U8: case BP_DTYPE_I8: return 1;
    case BP_DTYPE_F16: case BP_DTYPE_BF16: return 2;
    case BP_DTYPE_I32: case BP_DTYPE_F32: return 4;
    case BP_DTYPE_I64: case BP_DTYPE_F64: return 8;
    default: return 0;
  }
}

/* The attribute called `name` in a kernel call, or NULL. */
static inline const bp_attr_t *bp_abi_find_attr(const bp_kernel_call_t *call,
                                                const char *name) {
  for (uint32_t i = 0; i < call->num_attrs; ++i) {
    const char *a = call->attrs[i]->name;
    const char *b = name;
    while (*a && *a == *b) { ++a; ++b; }
    if (*a == *b) return call->attrs[i];
  }
  return NULL;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_ABI_H_ */
