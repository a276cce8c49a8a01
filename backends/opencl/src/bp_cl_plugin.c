/* bp_cl_plugin.c - the plugin table, init/shutdown and device enumeration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_internal.h"

#define BP_CL_MAX_PLATFORMS 16
#define BP_CL_MAX_DEVICES_PER_PLATFORM 32

static void copy_info_string(cl_device_id id, cl_device_info what, char *dst, size_t cap) {
  dst[0] = '\0';
  if (clGetDeviceInfo(id, what, cap - 1, dst, NULL) != CL_SUCCESS) dst[0] = '\0';
  dst[cap - 1] = '\0';
}

static bool has_extension(cl_device_id id, const char *ext) {
  size_t size = 0;
  if (clGetDeviceInfo(id, CL_DEVICE_EXTENSIONS, 0, NULL, &size) != CL_SUCCESS || size == 0)
    return false;
  char *all = malloc(size + 1);
  if (all == NULL) return false;
  bool found = false;
  if (clGetDeviceInfo(id, CL_DEVICE_EXTENSIONS, size, all, NULL) == CL_SUCCESS) {
    all[size] = '\0';
    size_t n = strlen(ext);
    for (const char *p = strstr(all, ext); p != NULL; p = strstr(p + 1, ext))
      if ((p == all || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) found = true;
  }
  free(all);
  return found;
}

/* Reads what Backplane reports about one OpenCL device. */
static void describe_device(bp_cl_device_t *d, cl_platform_id platform, cl_device_id id) {
  d->platform = platform;
  d->id = id;
  copy_info_string(id, CL_DEVICE_NAME, d->name, sizeof d->name);
  if (d->name[0] == '\0') snprintf(d->name, sizeof d->name, "OpenCL device");
  copy_info_string(id, CL_DEVICE_VENDOR, d->vendor, sizeof d->vendor);
  copy_info_string(id, CL_DRIVER_VERSION, d->driver_version, sizeof d->driver_version);
  cl_device_type type = 0;
  clGetDeviceInfo(id, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  d->kind = (type & CL_DEVICE_TYPE_GPU) ? BP_DEVICE_KIND_GPU
            : (type & CL_DEVICE_TYPE_CPU) ? BP_DEVICE_KIND_CPU
                                          : BP_DEVICE_KIND_ACCELERATOR;
  cl_ulong u = 0;
  clGetDeviceInfo(id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof u, &u, NULL);
  d->global_mem = u;
  u = 0;
  clGetDeviceInfo(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof u, &u, NULL);
  d->max_alloc = u;
  u = 0;
  clGetDeviceInfo(id, CL_DEVICE_LOCAL_MEM_SIZE, sizeof u, &u, NULL);
  d->local_mem = u;
  size_t wg = 0;
  clGetDeviceInfo(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
  d->max_wg = wg ? wg : 1;
  d->has_fp64 = has_extension(id, "cl_khr_fp64");
  d->has_fp16 = has_extension(id, "cl_khr_fp16");
  cl_device_fp_config fp = 0;
  clGetDeviceInfo(id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL);
  d->correct_div = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
  pthread_mutex_init(&d->lock, NULL);
}

/* Finds every OpenCL device; none (with a log line saying why) when there
 * is no ICD or no device. */
static bp_status_t enumerate(bp_cl_ctx_t *ctx) {
  cl_platform_id platforms[BP_CL_MAX_PLATFORMS];
  cl_uint np = 0;
  cl_int err = clGetPlatformIDs(BP_CL_MAX_PLATFORMS, platforms, &np);
  if (err != CL_SUCCESS || np == 0) {
    bp_cl_log(ctx, BP_LOG_INFO,
              "no OpenCL platform (clGetPlatformIDs: %s): no OpenCL ICD is installed "
              "(e.g. install pocl-opencl-icd, or your GPU vendor's OpenCL driver)",
              err != CL_SUCCESS ? bp_cl_error_name(err) : "0 platforms");
    return BP_STATUS_OK;
  }
  if (np > BP_CL_MAX_PLATFORMS) np = BP_CL_MAX_PLATFORMS;
  cl_device_id ids[BP_CL_MAX_PLATFORMS][BP_CL_MAX_DEVICES_PER_PLATFORM];
  cl_uint nd[BP_CL_MAX_PLATFORMS] = {0};
  uint32_t total = 0;
  for (cl_uint p = 0; p < np; ++p) {
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, BP_CL_MAX_DEVICES_PER_PLATFORM, ids[p],
                       &nd[p]) != CL_SUCCESS)
      nd[p] = 0;
    if (nd[p] > BP_CL_MAX_DEVICES_PER_PLATFORM) nd[p] = BP_CL_MAX_DEVICES_PER_PLATFORM;
    total += nd[p];
  }
  if (total == 0) {
    bp_cl_log(ctx, BP_LOG_INFO, "%u OpenCL platform(s) but no device", (unsigned)np);
    return BP_STATUS_OK;
  }
  ctx->devices = calloc(total, sizeof *ctx->devices);
  if (ctx->devices == NULL) return bp_cl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "opencl init: out of memory");
  for (cl_uint p = 0; p < np; ++p)
    for (cl_uint i = 0; i < nd[p]; ++i) {
      bp_cl_device_t *d = &ctx->devices[ctx->device_count++];
      describe_device(d, platforms[p], ids[p][i]);
      if (d->has_fp64) ctx->any_fp64 = true;
      bp_cl_log(ctx, BP_LOG_DEBUG, "opencl:%u: %s (%s, driver %s), %llu MiB, fp64 %s, fp16 %s",
                ctx->device_count - 1, d->name, d->vendor, d->driver_version,
                (unsigned long long)(d->global_mem >> 20), d->has_fp64 ? "yes" : "no",
                d->has_fp16 ? "yes" : "no");
    }
  return BP_STATUS_OK;
}

static void choose_cache_dir(bp_cl_ctx_t *ctx) {
  const char *dir = NULL;
  if (ctx->host->query_option(ctx->host->host_ctx, "cache_dir", &dir) == BP_STATUS_OK && dir) {
    snprintf(ctx->cache_dir, sizeof ctx->cache_dir, "%s", dir); /* "" disables it */
    return;
  }
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  if (xdg != NULL && xdg[0] == '/')
    snprintf(ctx->cache_dir, sizeof ctx->cache_dir, "%s/backplane/opencl", xdg);
  else if (home != NULL && home[0] != '\0')
    snprintf(ctx->cache_dir, sizeof ctx->cache_dir, "%s/.cache/backplane/opencl", home);
  else
    ctx->cache_dir[0] = '\0';
}

static void cl_shutdown(void *plugin_ctx) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  if (ctx == NULL) return;
  for (uint32_t i = 0; i < ctx->device_count; ++i) {
    bp_cl_device_t *d = &ctx->devices[i];
    if (d->ready) {
      clFinish(d->queue);
      bp_cl_program_cache_release(d);
      bp_cl_check_release(d);
      if (d->scratch != NULL) clReleaseMemObject(d->scratch);
      clReleaseCommandQueue(d->queue);
      clReleaseContext(d->context);
    }
    pthread_mutex_destroy(&d->lock);
  }
  free(ctx->devices);
  free(ctx);
}

static bp_status_t cl_init(const bp_host_api_t *host, void **out_ctx) {
  bp_cl_ctx_t *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return BP_STATUS_OUT_OF_MEMORY;
  ctx->host = host;
  choose_cache_dir(ctx);
  bp_status_t s = enumerate(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_elementwise(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_reduce(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_reduce2(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_rownorm(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_elementwise2(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_bernoulli(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_matmul(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_random(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_conv(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_optim(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_pool(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_loss(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_index(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_conv_backward(ctx);
  if (s == BP_STATUS_OK && ctx->device_count > 0) s = bp_cl_register_norm(ctx);
  if (s != BP_STATUS_OK) {
    cl_shutdown(ctx);
    return s;
  }
  *out_ctx = ctx;
  return BP_STATUS_OK;
}

static bp_status_t cl_device_count(void *plugin_ctx, uint32_t *out_count) {
  *out_count = ((bp_cl_ctx_t *)plugin_ctx)->device_count;
  return BP_STATUS_OK;
}

static bp_status_t cl_device_props(void *plugin_ctx, uint32_t device, bp_device_props_t *p) {
  bp_cl_ctx_t *ctx = plugin_ctx;
  if (device >= ctx->device_count)
    return bp_cl_fail(ctx, BP_STATUS_INVALID_ARGUMENT,
                      "opencl device_props: no device %u (there are %u)", device,
                      ctx->device_count);
  if (p == NULL || p->struct_size < BP_DEVICE_PROPS_SIZE_V1_0)
    return bp_cl_fail(ctx, BP_STATUS_INVALID_ARGUMENT,
                      "opencl device_props: props struct_size below the v1.0 size");
  const bp_cl_device_t *d = &ctx->devices[device];
  p->kind = d->kind;
  snprintf(p->name, sizeof p->name, "%s", d->name);
  snprintf(p->vendor, sizeof p->vendor, "%s", d->vendor);
  p->total_memory = d->global_mem;
  p->free_memory = 0; /* OpenCL cannot tell */
  p->max_alloc_size = d->max_alloc < d->global_mem ? d->max_alloc : d->global_mem;
  /* f16 and bf16 are stored as 16-bit words and computed in f32, so they
   * need no cl_khr_fp16; f64 needs cl_khr_fp64. */
  p->dtype_mask = BP_DTYPE_BIT(BP_DTYPE_BOOL) | BP_DTYPE_BIT(BP_DTYPE_U8) |
                  BP_DTYPE_BIT(BP_DTYPE_I8) | BP_DTYPE_BIT(BP_DTYPE_I32) |
                  BP_DTYPE_BIT(BP_DTYPE_I64) | BP_DTYPE_BIT(BP_DTYPE_F16) |
                  BP_DTYPE_BIT(BP_DTYPE_BF16) | BP_DTYPE_BIT(BP_DTYPE_F32);
  if (d->has_fp64) p->dtype_mask |= BP_DTYPE_BIT(BP_DTYPE_F64);
  p->max_dims = BP_CL_MAX_DIMS;
  p->host_addressable = false;
  return BP_STATUS_OK;
}

bp_status_t bp_cl_device_get(bp_cl_ctx_t *ctx, uint32_t index, bp_cl_device_t **out_dev) {
  if (index >= ctx->device_count)
    return bp_cl_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "opencl: no device %u (there are %u)",
                      index, ctx->device_count);
  bp_cl_device_t *d = &ctx->devices[index];
  pthread_mutex_lock(&d->lock);
  bp_status_t s = BP_STATUS_OK;
  if (!d->ready) {
    cl_int err = CL_SUCCESS;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)d->platform, 0};
    d->context = clCreateContext(props, 1, &d->id, NULL, NULL, &err);
    s = bp_cl_check(ctx, err, "clCreateContext", d->name);
    if (s == BP_STATUS_OK) {
      d->queue = clCreateCommandQueue(d->context, d->id, 0, &err);
      s = bp_cl_check(ctx, err, "clCreateCommandQueue", d->name);
      if (s != BP_STATUS_OK) clReleaseContext(d->context);
    }
    d->ready = s == BP_STATUS_OK;
  }
  pthread_mutex_unlock(&d->lock);
  if (s == BP_STATUS_OK) *out_dev = d;
  return s;
}

void bp_cl_device_set_pending(bp_cl_device_t *dev, bp_status_t status, const char *msg) {
  if (dev->pending != BP_STATUS_OK) return;
  dev->pending = status;
  snprintf(dev->pending_msg, sizeof dev->pending_msg, "%s", msg);
}

bp_status_t bp_cl_register(bp_cl_ctx_t *ctx, const char *op, const bp_dtype_t *dtypes,
                           uint32_t n, bp_kernel_fn_t fn, bp_kernel_supports_fn_t supports,
                           void *kernel_data) {
  bp_kernel_reg_t r = {.struct_size = sizeof r, .num_dtypes = n, .op_name = op,
                       .dtypes = dtypes, .fn = fn, .supports = supports,
                       .kernel_data = kernel_data};
  return ctx->host->register_kernel(ctx->host->host_ctx, &r);
}

bool bp_cl_device_takes(const bp_kernel_call_t *call, bp_dtype_t dtype) {
  const bp_cl_ctx_t *ctx = call->plugin_ctx;
  if (call->device_index >= ctx->device_count) return false;
  return dtype != BP_DTYPE_F64 || ctx->devices[call->device_index].has_fp64;
}

static const bp_plugin_api_t cl_api = {
    .struct_size = sizeof(bp_plugin_api_t),
    .abi_version = BP_ABI_VERSION,
    .name = "opencl",
    .version = "0.1.0",
    .vendor = "Backplane",
    .init = cl_init,
    .shutdown = cl_shutdown,
    .device_count = cl_device_count,
    .device_props = cl_device_props,
    .buffer_alloc = bp_cl_buffer_alloc,
    .buffer_free = bp_cl_buffer_free,
    .copy_h2d = bp_cl_copy_h2d,
    .copy_d2h = bp_cl_copy_d2h,
    .copy_d2d = bp_cl_copy_d2d,
    .fill = bp_cl_fill,
    .synchronize = bp_cl_synchronize,
};

BP_PLUGIN_EXPORT bp_status_t bp_plugin_query(const bp_host_api_t *host, uint32_t host_abi_version,
                                             const bp_plugin_api_t **out_api) {
  (void)host;
  if (BP_ABI_VERSION_GET_MAJOR(host_abi_version) != BP_ABI_VERSION_MAJOR)
    return BP_STATUS_ABI_MISMATCH;
  *out_api = &cl_api;
  return BP_STATUS_OK;
}
