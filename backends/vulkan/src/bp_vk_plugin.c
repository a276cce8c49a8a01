/* bp_vk_plugin.c - the plugin table, the Vulkan instance (with the Khronos
 * validation layer when BP_VULKAN_VALIDATION=1, its messages routed to
 * host->log and counted), one Backplane device per physical device with a
 * compute queue, and their properties. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_vk.h"

static VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT types,
                                                     const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                     void *user) {
  (void)types;
  bpvk_ctx_t *ctx = user;
  const char *msg = data && data->pMessage ? data->pMessage : "(no message)";
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    pthread_mutex_lock(&ctx->log_mu);
    ++ctx->validation_errors;
    snprintf(ctx->last_validation, sizeof ctx->last_validation, "%s", msg);
    pthread_mutex_unlock(&ctx->log_mu);
    bpvk_log(ctx, BP_LOG_ERROR, "validation error: %s", msg);
  } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    bpvk_log(ctx, BP_LOG_WARN, "validation warning: %s", msg);
  }
  return VK_FALSE;
}

static bool option_on(const bp_host_api_t *host, const char *key) {
  const char *v = NULL;
  if (host->struct_size < BP_HOST_API_SIZE_V1_0 || host->query_option == NULL) return false;
  if (host->query_option(host->host_ctx, key, &v) != BP_STATUS_OK || v == NULL) return false;
  return strcmp(v, "1") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0;
}

static bool has_layer(const char *name) {
  uint32_t n = 0;
  if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0) return false;
  VkLayerProperties *p = malloc(n * sizeof *p);
  bool found = false;
  if (p && vkEnumerateInstanceLayerProperties(&n, p) == VK_SUCCESS)
    for (uint32_t i = 0; i < n && !found; ++i) found = strcmp(p[i].layerName, name) == 0;
  free(p);
  return found;
}

static bp_status_t create_instance(bpvk_ctx_t *ctx) {
  VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                           .pApplicationName = "backplane",
                           .pEngineName = "backplane",
                           .apiVersion = VK_API_VERSION_1_2};
  const char *layers[1] = {"VK_LAYER_KHRONOS_validation"};
  const char *exts[1] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
  bool validation = option_on(ctx->host, "validation");
  if (validation && !has_layer(layers[0])) {
    bpvk_log(ctx, BP_LOG_WARN, "validation asked for, but VK_LAYER_KHRONOS_validation is not installed "
                               "(install vulkan-validationlayers)");
    validation = false;
  }
  VkDebugUtilsMessengerCreateInfoEXT dci = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
      .pfnUserCallback = debug_callback,
      .pUserData = ctx};
  VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                              .pNext = validation ? &dci : NULL,
                              .pApplicationInfo = &app,
                              .enabledLayerCount = validation ? 1u : 0u,
                              .ppEnabledLayerNames = layers,
                              .enabledExtensionCount = validation ? 1u : 0u,
                              .ppEnabledExtensionNames = exts};
  VkResult r = vkCreateInstance(&ici, NULL, &ctx->instance);
  if (r != VK_SUCCESS) return r;
  ctx->validation = validation;
  if (validation) {
    PFN_vkCreateDebugUtilsMessengerEXT create =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(ctx->instance, "vkCreateDebugUtilsMessengerEXT");
    if (create) create(ctx->instance, &dci, NULL, &ctx->messenger);
    bpvk_log(ctx, BP_LOG_INFO, "Khronos validation layer enabled");
  }
  return VK_SUCCESS;
}

/* Opens a logical device with one compute queue and every feature the
 * shaders may use that the device has. */
static bp_status_t open_device(bpvk_ctx_t *ctx, bpvk_device_t *d) {
  VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDevice16BitStorageFeatures f16s = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  bool v12 = d->props.apiVersion >= VK_API_VERSION_1_2;
  f16s.pNext = v12 ? &f12 : NULL;
  VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f16s};
  vkGetPhysicalDeviceFeatures2(d->phys, &f2);
  d->feat.storage16 = f16s.storageBuffer16BitAccess;
  d->feat.int16 = f2.features.shaderInt16;
  d->feat.int64 = f2.features.shaderInt64;
  d->feat.float64 = f2.features.shaderFloat64;
  d->feat.storage8 = v12 && f12.storageBuffer8BitAccess;
  d->feat.int8 = v12 && f12.shaderInt8;
  d->feat.float16 = v12 && f12.shaderFloat16;
  if (v12) {
    VkPhysicalDeviceFloatControlsProperties fc = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FLOAT_CONTROLS_PROPERTIES};
    VkPhysicalDeviceProperties2 fp = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &fc};
    vkGetPhysicalDeviceProperties2(d->phys, &fp);
    d->feat.preserve32 = fc.shaderSignedZeroInfNanPreserveFloat32;
    d->feat.preserve64 = fc.shaderSignedZeroInfNanPreserveFloat64;
    d->feat.denorm16 = fc.shaderDenormPreserveFloat16;
    d->feat.denorm32 = fc.shaderDenormPreserveFloat32;
    d->feat.denorm64 = fc.shaderDenormPreserveFloat64;
    d->feat.denorm_independent = fc.denormBehaviorIndependence == VK_SHADER_FLOAT_CONTROLS_INDEPENDENCE_ALL;
  }
  /* Enable exactly those (and nothing else). */
  VkPhysicalDeviceVulkan12Features e12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
                                          .storageBuffer8BitAccess = d->feat.storage8,
                                          .shaderInt8 = d->feat.int8,
                                          .shaderFloat16 = d->feat.float16};
  VkPhysicalDevice16BitStorageFeatures e16s = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
                                               .pNext = v12 ? &e12 : NULL,
                                               .storageBuffer16BitAccess = d->feat.storage16};
  VkPhysicalDeviceFeatures2 e2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &e16s};
  e2.features.shaderInt16 = d->feat.int16;
  e2.features.shaderInt64 = d->feat.int64;
  e2.features.shaderFloat64 = d->feat.float64;
  float prio = 1.0f;
  VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                 .queueFamilyIndex = d->queue_family,
                                 .queueCount = 1,
                                 .pQueuePriorities = &prio};
  VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                            .pNext = &e2,
                            .queueCreateInfoCount = 1,
                            .pQueueCreateInfos = &qci};
  BPVK_RETURN_IF_ERROR(ctx, vkCreateDevice(d->phys, &dci, NULL, &d->dev), "vkCreateDevice");
  vkGetDeviceQueue(d->dev, d->queue_family, 0, &d->queue);

  /* Memory: the largest device-local heap; the largest buffer a kernel can
   * bind whole (maxStorageBufferRange) and allocate (maxMemoryAllocationSize). */
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(d->phys, &mp);
  for (uint32_t i = 0; i < mp.memoryHeapCount; ++i)
    if ((mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) && mp.memoryHeaps[i].size > d->total_memory)
      d->total_memory = mp.memoryHeaps[i].size;
  VkPhysicalDeviceMaintenance3Properties m3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3};
  vkGetPhysicalDeviceProperties2(d->phys, &p2);
  d->max_alloc = d->props.limits.maxStorageBufferRange;
  if (m3.maxMemoryAllocationSize && m3.maxMemoryAllocationSize < d->max_alloc) d->max_alloc = m3.maxMemoryAllocationSize;
  if (d->total_memory && d->total_memory < d->max_alloc) d->max_alloc = d->total_memory;
  d->max_alloc &= ~(uint64_t)(BPVK_ALIGN - 1);
  if (pthread_mutex_init(&d->mu, NULL) != 0)
    return bpvk_fail(ctx, BP_STATUS_INTERNAL, "vulkan: pthread_mutex_init failed");
  return bpvk_queue_init(d);
}

static void destroy_device(bpvk_device_t *d) {
  if (d->dev == VK_NULL_HANDLE) return;
  bpvk_queue_destroy(d);
  bpvk_memory_destroy(d);
  vkDestroyDevice(d->dev, NULL);
  pthread_mutex_destroy(&d->mu);
  d->dev = VK_NULL_HANDLE;
}

static void vk_shutdown(void *plugin_ctx) {
  bpvk_ctx_t *ctx = plugin_ctx;
  if (!ctx) return;
  for (uint32_t i = 0; i < ctx->ndevices; ++i) destroy_device(&ctx->devices[i]);
  free(ctx->devices);
  if (ctx->messenger) {
    PFN_vkDestroyDebugUtilsMessengerEXT destroy =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(ctx->instance, "vkDestroyDebugUtilsMessengerEXT");
    if (destroy) destroy(ctx->instance, ctx->messenger, NULL);
  }
  if (ctx->instance) vkDestroyInstance(ctx->instance, NULL);
  if (ctx->validation)
    bpvk_log(ctx, ctx->validation_errors ? BP_LOG_ERROR : BP_LOG_INFO, "validation errors: %llu",
             (unsigned long long)ctx->validation_errors);
  pthread_mutex_destroy(&ctx->log_mu);
  free(ctx);
}

static bp_status_t vk_init(const bp_host_api_t *host, void **out_ctx) {
  if (host == NULL || out_ctx == NULL) return BP_STATUS_INVALID_ARGUMENT;
  bpvk_ctx_t *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return BP_STATUS_OUT_OF_MEMORY;
  ctx->host = host;
  pthread_mutex_init(&ctx->log_mu, NULL);
  ctx->matmul_tiled = option_on(host, "matmul_tiled");
  ctx->conv_gpu_paths = option_on(host, "conv_gpu_paths");
  ctx->pool_gpu_paths = option_on(host, "pool_gpu_paths");
  VkResult r = create_instance(ctx);
  if (r != VK_SUCCESS) {
    /* No loader ICD, no driver: a plugin with no devices, not a failure. */
    bpvk_log(ctx, BP_LOG_WARN, "no Vulkan instance (vkCreateInstance: %s): 0 devices; install a Vulkan driver "
                               "(e.g. mesa-vulkan-drivers)", bpvk_result_name(r));
    ctx->instance = VK_NULL_HANDLE;
    *out_ctx = ctx;
    return BP_STATUS_OK;
  }
  uint32_t n = 0;
  vkEnumeratePhysicalDevices(ctx->instance, &n, NULL);
  VkPhysicalDevice *phys = n ? malloc(n * sizeof *phys) : NULL;
  if (n && (!phys || vkEnumeratePhysicalDevices(ctx->instance, &n, phys) != VK_SUCCESS)) n = 0;
  ctx->devices = n ? calloc(n, sizeof *ctx->devices) : NULL;
  if (n && !ctx->devices) n = 0;
  for (uint32_t i = 0; i < n; ++i) {
    bpvk_device_t *d = &ctx->devices[ctx->ndevices];
    memset(d, 0, sizeof *d);
    d->ctx = ctx;
    d->phys = phys[i];
    vkGetPhysicalDeviceProperties(d->phys, &d->props);
    if (d->props.apiVersion < VK_API_VERSION_1_1) {
      bpvk_log(ctx, BP_LOG_INFO, "skipping %s: Vulkan %u.%u (1.1 needed)", d->props.deviceName,
               VK_API_VERSION_MAJOR(d->props.apiVersion), VK_API_VERSION_MINOR(d->props.apiVersion));
      continue;
    }
    if (d->props.limits.maxPerStageDescriptorStorageBuffers < BPVK_MAX_BINDINGS) {
      /* Set 0 holds the parameter words and up to BPVK_MAX_TENSORS tensors
       * as storage buffers; Vulkan itself only guarantees 4 per stage. */
      bpvk_log(ctx, BP_LOG_INFO, "skipping %s: %u storage buffers per shader stage (%u needed)",
               d->props.deviceName, d->props.limits.maxPerStageDescriptorStorageBuffers, BPVK_MAX_BINDINGS);
      continue;
    }
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, NULL);
    VkQueueFamilyProperties qf[16];
    if (nq > 16) nq = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, qf);
    int32_t fam = -1;
    for (uint32_t q = 0; q < nq && fam < 0; ++q)
      if (qf[q].queueFlags & VK_QUEUE_COMPUTE_BIT) fam = (int32_t)q;
    if (fam < 0) {
      bpvk_log(ctx, BP_LOG_INFO, "skipping %s: no compute queue", d->props.deviceName);
      continue;
    }
    d->queue_family = (uint32_t)fam;
    VkPhysicalDeviceDriverProperties dp = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &dp};
    if (d->props.apiVersion >= VK_API_VERSION_1_2) {
      vkGetPhysicalDeviceProperties2(d->phys, &p2);
      snprintf(d->driver, sizeof d->driver, "%s %s", dp.driverName, dp.driverInfo);
    }
    d->index = ctx->ndevices;
    bp_status_t s = open_device(ctx, d);
    if (s) {
      bpvk_log(ctx, BP_LOG_WARN, "skipping %s: the device could not be opened", d->props.deviceName);
      destroy_device(d);
      continue;
    }
    ++ctx->ndevices;
  }
  free(phys);
  if (ctx->ndevices == 0) bpvk_log(ctx, BP_LOG_INFO, "no Vulkan device with a compute queue: 0 devices");
  for (uint32_t i = 0; i < ctx->ndevices; ++i) {
    bpvk_device_t *d = &ctx->devices[i];
    d->dtype_mask = bpvk_device_dtype_mask(d);
    bpvk_log(ctx, BP_LOG_INFO,
             "vulkan:%u = %s (driver %s, Vulkan %u.%u), device-local %llu MiB, max buffer %llu MiB; "
             "shaderFloat16 %d shaderInt8 %d shaderInt16 %d shaderInt64 %d shaderFloat64 %d "
             "storageBuffer16BitAccess %d storageBuffer8BitAccess %d; shaderDenormPreserveFloat16/32/64 %d/%d/%d "
             "(widths independent %d)",
             i, d->props.deviceName, d->driver[0] ? d->driver : "?", VK_API_VERSION_MAJOR(d->props.apiVersion),
             VK_API_VERSION_MINOR(d->props.apiVersion), (unsigned long long)(d->total_memory >> 20),
             (unsigned long long)(d->max_alloc >> 20), d->feat.float16, d->feat.int8, d->feat.int16, d->feat.int64,
             d->feat.float64, d->feat.storage16, d->feat.storage8, d->feat.denorm16, d->feat.denorm32,
             d->feat.denorm64, d->feat.denorm_independent);
  }
  bp_status_t s = bpvk_kernels_register(ctx);
  if (s) {
    vk_shutdown(ctx);
    return s;
  }
  *out_ctx = ctx;
  return BP_STATUS_OK;
}

static bp_status_t vk_device_count(void *plugin_ctx, uint32_t *out) {
  bpvk_ctx_t *ctx = plugin_ctx;
  if (!out) return bpvk_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "vulkan device_count: out is NULL");
  *out = ctx->ndevices;
  return BP_STATUS_OK;
}

#define BPVK_PROPS_HAS(p, m) (offsetof(bp_device_props_t, m) + sizeof(((bp_device_props_t *)0)->m) <= (p)->struct_size)

/* The PCI (or Khronos) vendor ID's owner, for `bp devices`. */
static const char *vendor_name(uint32_t id) {
  switch (id) {
    case 0x10de: return "NVIDIA";
    case 0x1002: return "AMD";
    case 0x8086: return "Intel";
    case 0x13b5: return "ARM";
    case 0x5143: return "Qualcomm";
    case 0x1010: return "Imagination";
    case 0x10005: return "Mesa";
    default: return "vendor";
  }
}

static bp_status_t vk_device_props(void *plugin_ctx, uint32_t device, bp_device_props_t *p) {
  bpvk_ctx_t *ctx = plugin_ctx;
  if (device >= ctx->ndevices)
    return bpvk_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "vulkan device_props: no device %u (the plugin has %u)", device,
                     ctx->ndevices);
  if (!p) return bpvk_fail(ctx, BP_STATUS_INVALID_ARGUMENT, "vulkan device_props: props is NULL");
  bpvk_device_t *d = &ctx->devices[device];
  bool cpu = d->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  if (BPVK_PROPS_HAS(p, kind)) p->kind = cpu ? BP_DEVICE_KIND_CPU : BP_DEVICE_KIND_GPU;
  if (BPVK_PROPS_HAS(p, name)) snprintf(p->name, sizeof p->name, "%s", d->props.deviceName);
  if (BPVK_PROPS_HAS(p, vendor))
    snprintf(p->vendor, sizeof p->vendor, "%s 0x%04x, driver %s", vendor_name(d->props.vendorID),
             d->props.vendorID, d->driver[0] ? d->driver : "unknown");
  if (BPVK_PROPS_HAS(p, total_memory)) p->total_memory = d->total_memory;
  if (BPVK_PROPS_HAS(p, free_memory)) {
    pthread_mutex_lock(&d->mu);
    p->free_memory = d->total_memory - d->used; /* what this plugin has not handed out */
    pthread_mutex_unlock(&d->mu);
  }
  if (BPVK_PROPS_HAS(p, max_alloc_size)) p->max_alloc_size = d->max_alloc;
  if (BPVK_PROPS_HAS(p, dtype_mask)) p->dtype_mask = d->dtype_mask;
  if (BPVK_PROPS_HAS(p, max_dims)) p->max_dims = BPVK_MAX_DIMS;
  if (BPVK_PROPS_HAS(p, host_addressable)) p->host_addressable = false;
  return BP_STATUS_OK;
}

static const bp_plugin_api_t vk_api = {
    .struct_size = sizeof(bp_plugin_api_t),
    .abi_version = BP_ABI_VERSION,
    .name = "vulkan",
    .version = "0.1.0",
    .vendor = "Backplane",
    .init = vk_init,
    .shutdown = vk_shutdown,
    .device_count = vk_device_count,
    .device_props = vk_device_props,
    .buffer_alloc = bpvk_buffer_alloc,
    .buffer_free = bpvk_buffer_free,
    .copy_h2d = bpvk_copy_h2d,
    .copy_d2h = bpvk_copy_d2h,
    .copy_d2d = bpvk_copy_d2d,
    .fill = bpvk_fill,
    .synchronize = bpvk_synchronize,
};

BP_PLUGIN_EXPORT bp_status_t bp_plugin_query(const bp_host_api_t *host, uint32_t host_abi_version,
                                             const bp_plugin_api_t **out_api) {
  (void)host;
  if (BP_ABI_VERSION_GET_MAJOR(host_abi_version) != BP_ABI_VERSION_MAJOR) return BP_STATUS_ABI_MISMATCH;
  if (out_api == NULL) return BP_STATUS_INVALID_ARGUMENT;
  *out_api = &vk_api;
  return BP_STATUS_OK;
}
