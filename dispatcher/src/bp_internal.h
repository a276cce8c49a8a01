/*
 * bp_internal.h - structures shared by libbackplane's source files.
 * Nothing here is public; applications use backplane.h.
 */
#ifndef BACKPLANE_BP_INTERNAL_H_
#define BACKPLANE_BP_INTERNAL_H_

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "backplane/backplane.h"

#define BP_HIDDEN __attribute__((visibility("hidden")))

/* ---- errors (bp_status.c) ---- */

/* Sets the calling thread's last error to a formatted message and returns
 * status, so call sites read `return bp_fail(BP_STATUS_..., "...", ...);`. */
BP_HIDDEN bp_status_t bp_fail(bp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefixes the current last error with "<context>: " and returns status. */
BP_HIDDEN bp_status_t bp_fail_context(bp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
BP_HIDDEN void bp_clear_error(void);
/* Writes "[3,4]" for a shape into buf; returns buf. */
BP_HIDDEN const char *bp_format_shape(char *buf, size_t size, int32_t ndim,
                                      const int64_t *shape);

/* The message a plugin set with host->set_error on this thread, taken
 * (cleared) by the read; "" when none. */
BP_HIDDEN const char *bp_plugin_error_take(void);
BP_HIDDEN void bp_plugin_error_set(const char *message);

/* Logging to stderr, filtered by BP_LOG. */
BP_HIDDEN void bp_log(bp_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- kernels and plugins (bp_plugin.c, bp_loader.c) ---- */

/* Most dtype slots (inputs + outputs) an op may have: keys pack 8 bits each. */
#define BP_MAX_SLOTS 8
#define BP_MAX_ATTRS 16

typedef struct bp_kernel_entry {
  uint64_t key; /* bp_signature_key of the dtypes */
  uint32_t num_dtypes;
  bp_kernel_fn_t fn;
  bp_kernel_supports_fn_t supports;
  void *kernel_data;
} bp_kernel_entry_t;

typedef struct bp_kernel_list {
  uint32_t count;
  uint32_t capacity;
  bp_kernel_entry_t *entries;
} bp_kernel_list_t;

BP_HIDDEN uint64_t bp_signature_key(const bp_dtype_t *dtypes, uint32_t count);

struct bp_device {
  bp_plugin_t *plugin;
  uint32_t index;
  bool alive;                   /* false once its plugin is unloaded */
  char name[48];                /* "<plugin>:<index>" */
  bp_device_props_t props;
  atomic_long live_storages;    /* storages allocated and not yet freed */
};

#define BP_PLUGIN_LOAD_LOG_LINES 4

struct bp_plugin {
  bp_plugin_state_t state;
  bool builtin;
  char name[32];
  char *path;                   /* owned; "" for builtin */
  char *version;                /* owned copies of the plugin's strings */
  char *vendor;
  char reason[1024];
  uint32_t abi_version;
  void *dl_handle;              /* NULL for builtin */
  const bp_plugin_api_t *api;   /* borrowed from the plugin */
  uint32_t api_size;            /* min(api->struct_size, sizeof known) */
  void *ctx;                    /* plugin's init result */
  bp_host_api_t host_api;       /* host_ctx points back to this record */
  bool registration_open;       /* only during init */
  bp_status_t registration_status;
  char registration_error[512];
  bp_kernel_list_t *kernels;    /* [bp_op_count()], owned */
  uint32_t device_count;
  bp_device_t *devices;         /* [device_count], owned */
  char **options;               /* owned copies returned by query_option */
  uint32_t option_count;
  /* The last lines the plugin logged while it was being loaded, kept so
   * that "no devices" (and `bp doctor`) can say why in its own words. */
  char load_log[BP_PLUGIN_LOAD_LOG_LINES][160];
  uint32_t load_log_count;      /* lines logged in all; the last few kept */
};

/* Finds the kernel of op_id in plugin matching key; NULL when none. */
static inline const bp_kernel_entry_t *bp_plugin_find_kernel(
    const bp_plugin_t *plugin, uint32_t op_id, uint64_t key) {
  const bp_kernel_list_t *list = &plugin->kernels[op_id];
  for (uint32_t i = 0; i < list->count; ++i)
    if (list->entries[i].key == key) return &list->entries[i];
  return NULL;
}

/* Fills in the record from a query function: negotiation, validation, init,
 * devices. On failure the record is REJECTED with its reason, nothing of the
 * plugin is called again, and the error is returned (dl_handle untouched). */
BP_HIDDEN bp_status_t bp_plugin_activate(bp_plugin_t *plugin,
                                         bp_plugin_query_fn_t query);
/* Releases what activation made (calls shutdown when init succeeded). */
BP_HIDDEN void bp_plugin_deactivate(bp_plugin_t *plugin);
BP_HIDDEN void bp_plugin_free(bp_plugin_t *plugin);

/* ---- runtime (bp_runtime.c) ---- */

typedef struct bp_runtime {
  pthread_mutex_t lock;
  bp_plugin_t **plugins;        /* every plugin seen; never shrinks */
  size_t plugin_count;
  size_t plugin_capacity;
  bp_plugin_t *ref;             /* the built-in reference plugin */
  bp_device_t *ref_device;      /* ref:0 */
  int fallback_policy;          /* BP_FALLBACK_* */
  atomic_uchar *fallback_warned; /* [op count], warn once per op */
  atomic_ullong fallbacks;
  atomic_ullong cross_device_copies;
} bp_runtime_t;

enum { BP_FALLBACK_ALLOW = 0, BP_FALLBACK_WARN = 1, BP_FALLBACK_ERROR = 2 };

/* The started runtime (starting it on first use); NULL if it failed, with
 * the error set. */
BP_HIDDEN bp_runtime_t *bp_runtime_get(void);
/* Adds a plugin record to the runtime list (takes ownership on success);
 * the caller holds rt->lock (or is the start-up, before any other thread). */
BP_HIDDEN bp_status_t bp_runtime_add_plugin_locked(bp_runtime_t *rt, bp_plugin_t *plugin);
/* Scans BP_PLUGIN_PATH and the install folder (bp_loader.c). */
BP_HIDDEN void bp_loader_scan(bp_runtime_t *rt);
BP_HIDDEN bp_status_t bp_loader_load_file(bp_runtime_t *rt, const char *path,
                                          bp_plugin_t **out_plugin);

/* ---- tensors (bp_tensor.c) ---- */

typedef struct bp_storage {
  atomic_int refcount;
  bool embedded;        /* allocated in one block with its first tensor */
  bp_device_t *device;
  void *buffer;         /* the plugin's handle */
  uint64_t nbytes;
  atomic_ullong version; /* bumped by writes; for autograd */
} bp_storage_t;

/* Autograd state of a tensor (bp_autograd.c); NULL for tensors that never
 * took part in recording, which is most of them. */
typedef struct bp_grad_node bp_grad_node_t;
typedef struct bp_autograd_meta {
  bool requires_grad;
  bool retains_grad;
  bp_grad_node_t *grad_fn;  /* owned reference; NULL for a leaf */
  uint32_t output_nr;       /* which output of grad_fn this tensor is */
  bp_tensor_t *grad;        /* owned; accumulated by bp_backward */
} bp_autograd_meta_t;

struct bp_tensor {
  atomic_int refcount;
  bp_dtype_t dtype;
  int32_t ndim;
  bp_autograd_meta_t *autograd; /* NULL, or &autograd_state once it takes part
                                   in autograd */
  bp_autograd_meta_t autograd_state;
  bool wrapped_number;  /* a scalar from bp_tensor_create_scalar*: its dtype
                           counts last in type promotion, as in PyTorch */
  bp_storage_t *storage;
  int64_t offset;   /* elements */
  int64_t numel;
  int64_t shape[BP_MAX_DIMS];
  int64_t strides[BP_MAX_DIMS];
};

/* Row-major strides for shape; returns numel, or -1 on overflow of int64
 * or of the byte size for dtype_size. */
BP_HIDDEN int64_t bp_contiguous_strides(int32_t ndim, const int64_t *shape,
                                        int64_t *out_strides, size_t dtype_size);
BP_HIDDEN bool bp_strides_contiguous(int32_t ndim, const int64_t *shape,
                                     const int64_t *strides);
/* A view of tensor's storage with new geometry (no checks beyond bounds). */
BP_HIDDEN bp_status_t bp_tensor_make_view(bp_tensor_t *base, int32_t ndim,
                                          const int64_t *shape,
                                          const int64_t *strides,
                                          int64_t offset, bp_tensor_t **out);
/* Byte range [first, last] covered by the tensor's elements, relative to
 * the storage start; false when numel == 0. */
BP_HIDDEN bool bp_tensor_span(const bp_tensor_t *t, uint64_t *out_first,
                              uint64_t *out_end);
BP_HIDDEN bool bp_tensor_has_internal_overlap(const bp_tensor_t *t);
BP_HIDDEN void bp_tensor_fill_desc(const bp_tensor_t *t, bp_tensor_desc_t *desc);

/* PyTorch's result_type over tensors: dtypes of tensors with dims win
 * within their category, then 0-dim tensors, then wrapped scalars (whose
 * float dtype counts as f32 and integer as i64); a higher category (bool <
 * integer < float) from a later tier still sets the category. */
BP_HIDDEN bp_dtype_t bp_result_type(int count, bp_tensor_t *const *tensors);

/* ---- autograd (bp_autograd.c) ---- */

/* Ops nested inside other ops (casts, fallbacks, composites) are not
 * recorded: only the outermost op call of a thread is. */
/* Both counters in one thread-local object: a shared library reaches its
 * thread-locals through __tls_get_addr, so the hot path takes its address
 * once per op rather than once per counter access. */
typedef struct bp_thread_state {
  int op_depth;        /* ops of this thread now running (nested ones > 1) */
  int no_grad_depth;   /* open bp_no_grad_enter guards */
} bp_thread_state_t;
extern _Thread_local bp_thread_state_t bp_thread_state;

static inline bool bp_tensor_needs_grad(const bp_tensor_t *t) {
  return t && t->autograd && t->autograd->requires_grad;
}
/* True when an op on these inputs should be recorded: grad mode on, not
 * nested in another op, and some input requires grad. */
static inline bool bp_autograd_should_record_in(const bp_thread_state_t *ts, uint32_t num_inputs,
                                                bp_tensor_t *const *inputs) {
  if (ts->no_grad_depth || ts->op_depth) return false;
  for (uint32_t i = 0; i < num_inputs; ++i)
    if (bp_tensor_needs_grad(inputs[i])) return true;
  return false;
}
static inline bool bp_autograd_should_record(uint32_t num_inputs, bp_tensor_t *const *inputs) {
  return bp_autograd_should_record_in(&bp_thread_state, num_inputs, inputs);
}
/* Records a node for an op that just ran (attrs in catalog order). */
BP_HIDDEN bp_status_t bp_autograd_record(uint32_t op_id, uint32_t num_inputs,
                                         bp_tensor_t *const *inputs, const bp_attr_t *attrs,
                                         uint32_t num_outputs, bp_tensor_t *const *outputs);
/* Records a view `view` of `base` (any view op; expand when the view
 * broadcasts dims of base). */
BP_HIDDEN bp_status_t bp_autograd_record_view(bp_tensor_t *base, bp_tensor_t *view, bool expand);
/* Refuses, before an op runs, to write in place into a leaf that requires
 * grad (its gradient would be lost), as PyTorch does. */
BP_HIDDEN bp_status_t bp_autograd_check_outputs(const char *op, uint32_t num_outputs,
                                                bp_tensor_t *const *outputs);
BP_HIDDEN void bp_autograd_meta_free(bp_tensor_t *t);
/* A new tensor sharing t's storage and geometry, without autograd state. */
BP_HIDDEN bp_status_t bp_tensor_alias(bp_tensor_t *t, bp_tensor_t **out);

/* ---- dispatch (bp_dispatch.c, bp_transfer.c) ---- */

/* Runs op_id with resolved attributes (catalog order, every attribute). */
BP_HIDDEN bp_status_t bp_dispatch(uint32_t op_id, uint32_t num_inputs,
                                  bp_tensor_t *const *inputs,
                                  const bp_attr_t *attrs, uint32_t num_outputs,
                                  bp_tensor_t **outputs);
/* Copy between two different devices through the host. */
BP_HIDDEN bp_status_t bp_transfer_copy(bp_tensor_t *dst, bp_tensor_t *src);
/* Runs the reference copy kernel on two host-memory descriptors. */
BP_HIDDEN bp_status_t bp_host_copy(const bp_tensor_desc_t *dst,
                                   const bp_tensor_desc_t *src);

#endif /* BACKPLANE_BP_INTERNAL_H_ */
