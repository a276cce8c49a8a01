/* bp_vk_queue.c - batches (command buffer + fence + staging + parameters),
 * dispatch, and the pipeline and descriptor-set caches. Callers hold the
 * device mutex. */
#include <stdlib.h>
#include <string.h>

#include "bp_vk.h"

/* Submit a batch once it holds this many dispatches, so the device starts. */
#define BPVK_SUBMIT_EVERY 64
#define BPVK_MAX_SETS 1024u
#define BPVK_MAX_TSETS 256u

bp_status_t bpvk_queue_init(bpvk_device_t *d) {
  const bpvk_ctx_t *ctx = d->ctx;
  VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                 .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                 .queueFamilyIndex = d->queue_family};
  BPVK_RETURN_IF_ERROR(ctx, vkCreateCommandPool(d->dev, &pci, NULL, &d->cmd_pool), "vkCreateCommandPool");
  for (uint32_t i = 0; i < BPVK_NUM_BATCHES; ++i) {
    bpvk_batch_t *b = &d->batches[i];
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = d->cmd_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    BPVK_RETURN_IF_ERROR(ctx, vkAllocateCommandBuffers(d->dev, &ai, &b->cmd), "vkAllocateCommandBuffers");
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    BPVK_RETURN_IF_ERROR(ctx, vkCreateFence(d->dev, &fci, NULL, &b->fence), "vkCreateFence");
    void *map;
    bp_status_t s = bpvk_host_buffer(d, BPVK_STAGING_SIZE,
                                     VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                     &b->staging, &b->staging_mem, &map);
    if (s) return s;
    b->staging_map = map;
    /* BPVK_PARAM_VIEW words past the end: the uniform view of the last
     * dispatch stays inside the buffer. */
    s = bpvk_host_buffer(d, (BPVK_PARAM_WORDS + BPVK_PARAM_VIEW) * 4u,
                         VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, &b->params,
                         &b->params_mem, &map);
    if (s) return s;
    b->params_map = map;
  }
  uint64_t align = d->props.limits.minUniformBufferOffsetAlignment;
  d->param_step = align > 64 ? (uint32_t)(align / 4) : 16u;
  VkDescriptorSetLayoutBinding bindings[BPVK_MAX_BINDINGS + 1];
  for (uint32_t i = 0; i <= BPVK_MAX_BINDINGS; ++i)
    bindings[i] = (VkDescriptorSetLayoutBinding){
        .binding = i,
        .descriptorType = i < BPVK_MAX_BINDINGS ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                                                : VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC,
        .descriptorCount = 1,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
  VkDescriptorSetLayoutCreateInfo lci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                         .bindingCount = BPVK_MAX_BINDINGS + 1,
                                         .pBindings = bindings};
  BPVK_RETURN_IF_ERROR(ctx, vkCreateDescriptorSetLayout(d->dev, &lci, NULL, &d->set_layout),
                       "vkCreateDescriptorSetLayout");
  VkPushConstantRange pcr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = 4};
  VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                     .setLayoutCount = 1,
                                     .pSetLayouts = &d->set_layout,
                                     .pushConstantRangeCount = 1,
                                     .pPushConstantRanges = &pcr};
  BPVK_RETURN_IF_ERROR(ctx, vkCreatePipelineLayout(d->dev, &plci, NULL, &d->pipeline_layout),
                       "vkCreatePipelineLayout");
  VkFormatProperties fp1, fp4;
  vkGetPhysicalDeviceFormatProperties(d->phys, VK_FORMAT_R32_SFLOAT, &fp1);
  vkGetPhysicalDeviceFormatProperties(d->phys, VK_FORMAT_R32G32B32A32_SFLOAT, &fp4);
  VkPhysicalDeviceSubgroupProperties sg = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg};
  vkGetPhysicalDeviceProperties2(d->phys, &p2);
  d->subgroup_ballot = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                       (sg.supportedOperations & VK_SUBGROUP_FEATURE_BALLOT_BIT);
  d->texel = (fp1.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) &&
             (fp4.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) &&
             d->props.limits.maxTexelBufferElements >= (1u << 24);
  VkDescriptorSetLayoutBinding tbind[BPVK_MAX_TEXELS];
  for (uint32_t i = 0; i < BPVK_MAX_TEXELS; ++i)
    tbind[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                              .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
  VkDescriptorSetLayoutCreateInfo tlci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = BPVK_MAX_TEXELS,
                                          .pBindings = tbind};
  BPVK_RETURN_IF_ERROR(ctx, vkCreateDescriptorSetLayout(d->dev, &tlci, NULL, &d->texel_layout),
                       "vkCreateDescriptorSetLayout");
  VkDescriptorSetLayout both[2] = {d->set_layout, d->texel_layout};
  plci.setLayoutCount = 2;
  plci.pSetLayouts = both;
  BPVK_RETURN_IF_ERROR(ctx, vkCreatePipelineLayout(d->dev, &plci, NULL, &d->texel_pipeline_layout),
                       "vkCreatePipelineLayout");
  VkDescriptorPoolSize ps[3] = {
      {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = BPVK_MAX_SETS * BPVK_MAX_BINDINGS},
      {.type = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC, .descriptorCount = BPVK_MAX_SETS},
      {.type = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, .descriptorCount = BPVK_MAX_TSETS * BPVK_MAX_TEXELS}};
  VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                     .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
                                     .maxSets = BPVK_MAX_SETS + BPVK_MAX_TSETS,
                                     .poolSizeCount = 3,
                                     .pPoolSizes = ps};
  BPVK_RETURN_IF_ERROR(ctx, vkCreateDescriptorPool(d->dev, &dpci, NULL, &d->desc_pool),
                       "vkCreateDescriptorPool");
  d->modules = calloc(bpvk_spirv_count, sizeof *d->modules);
  d->usable = malloc(bpvk_spirv_count);
  if (!d->modules || !d->usable) return bpvk_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory");
  memset(d->usable, -1, bpvk_spirv_count);
  return BP_STATUS_OK;
}

void bpvk_queue_destroy(bpvk_device_t *d) {
  if (d->dev == VK_NULL_HANDLE) return;
  vkDeviceWaitIdle(d->dev);
  for (uint32_t i = 0; i < d->npipelines; ++i) vkDestroyPipeline(d->dev, d->pipelines[i].pipeline, NULL);
  free(d->pipelines);
  if (d->modules)
    for (uint32_t i = 0; i < bpvk_spirv_count; ++i)
      if (d->modules[i]) vkDestroyShaderModule(d->dev, d->modules[i], NULL);
  free(d->modules);
  free(d->usable);
  /* Emptied, not just freed: bpvk_memory_destroy runs after this and its
   * bpvk_forget_buffer calls walk these lists. */
  free(d->dsets);
  free(d->tsets);
  for (uint32_t i = 0; i < d->nviews; ++i) vkDestroyBufferView(d->dev, d->views[i].view, NULL);
  free(d->views);
  d->dsets = NULL;
  d->tsets = NULL;
  d->views = NULL;
  d->ndsets = d->ntsets = d->nviews = 0;
  d->cap_dsets = d->cap_tsets = d->cap_views = 0;
  if (d->desc_pool) vkDestroyDescriptorPool(d->dev, d->desc_pool, NULL);
  if (d->texel_pipeline_layout) vkDestroyPipelineLayout(d->dev, d->texel_pipeline_layout, NULL);
  if (d->texel_layout) vkDestroyDescriptorSetLayout(d->dev, d->texel_layout, NULL);
  if (d->pipeline_layout) vkDestroyPipelineLayout(d->dev, d->pipeline_layout, NULL);
  if (d->set_layout) vkDestroyDescriptorSetLayout(d->dev, d->set_layout, NULL);
  for (uint32_t i = 0; i < BPVK_NUM_BATCHES; ++i) {
    bpvk_batch_t *b = &d->batches[i];
    if (b->fence) vkDestroyFence(d->dev, b->fence, NULL);
    if (b->staging) vkDestroyBuffer(d->dev, b->staging, NULL);
    if (b->staging_mem) vkFreeMemory(d->dev, b->staging_mem, NULL);
    if (b->params) vkDestroyBuffer(d->dev, b->params, NULL);
    if (b->params_mem) vkFreeMemory(d->dev, b->params_mem, NULL);
  }
  if (d->cmd_pool) vkDestroyCommandPool(d->dev, d->cmd_pool, NULL);
}

/* Waits for a submitted batch and makes it free again. */
static void batch_retire(bpvk_device_t *d, bpvk_batch_t *b) {
  if (!b->submitted) return;
  VkResult r = vkWaitForFences(d->dev, 1, &b->fence, VK_TRUE, UINT64_MAX);
  if (r != VK_SUCCESS)
    bpvk_set_pending(d, r == VK_ERROR_DEVICE_LOST ? BP_STATUS_DEVICE_ERROR : BP_STATUS_DEVICE_ERROR,
                     "vulkan vkWaitForFences: %s (queued work failed)", bpvk_result_name(r));
  vkResetFences(d->dev, 1, &b->fence);
  b->submitted = false;
  for (uint32_t i = 0; i < b->ncheck; ++i)
    if (b->params_map[b->check_word[i]] != 0)
      bpvk_set_pending(d, BP_STATUS_INVALID_ARGUMENT, "vulkan %s", b->check_msg[i]);
  b->ncheck = 0;
}

bp_status_t bpvk_batch_begin(bpvk_device_t *d, bpvk_batch_t **out) {
  bpvk_batch_t *b = &d->batches[d->current];
  if (!b->recording) {
    batch_retire(d, b);
    VkResult r = vkResetCommandBuffer(b->cmd, 0);
    if (r != VK_SUCCESS) return bpvk_check(d->ctx, r, "vkResetCommandBuffer");
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    BPVK_RETURN_IF_ERROR(d->ctx, vkBeginCommandBuffer(b->cmd, &bi), "vkBeginCommandBuffer");
    b->recording = true;
    b->dispatches = 0;
    b->staging_used = 0;
    b->params_used = 0;
    b->ncheck = 0;
  }
  *out = b;
  return BP_STATUS_OK;
}

bp_status_t bpvk_batch_submit(bpvk_device_t *d) {
  bpvk_batch_t *b = &d->batches[d->current];
  if (!b->recording) return BP_STATUS_OK;
  b->recording = false;
  d->current = (d->current + 1) % BPVK_NUM_BATCHES;
  VkResult r = vkEndCommandBuffer(b->cmd);
  if (r == VK_SUCCESS) {
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                       .pCommandBuffers = &b->cmd};
    r = vkQueueSubmit(d->queue, 1, &si, b->fence);
  }
  if (r != VK_SUCCESS) {
    bpvk_set_pending(d, BP_STATUS_DEVICE_ERROR, "vulkan vkQueueSubmit: %s", bpvk_result_name(r));
    return bpvk_check(d->ctx, r, "vkQueueSubmit");
  }
  b->submitted = true;
  return BP_STATUS_OK;
}

void bpvk_wait_all(bpvk_device_t *d) {
  bpvk_batch_submit(d);
  for (uint32_t i = 0; i < BPVK_NUM_BATCHES; ++i) batch_retire(d, &d->batches[i]);
}

bool bpvk_queue_idle(bpvk_device_t *d) {
  for (uint32_t i = 0; i < BPVK_NUM_BATCHES; ++i) {
    bpvk_batch_t *b = &d->batches[i];
    if (b->recording) return false;
    if (b->submitted) {
      if (vkGetFenceStatus(d->dev, b->fence) != VK_SUCCESS) return false;
      batch_retire(d, b);
    }
  }
  return true;
}

void bpvk_barrier(bpvk_batch_t *b) {
  VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                         VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                                         VK_ACCESS_HOST_READ_BIT};
  vkCmdPipelineBarrier(b->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                           VK_PIPELINE_STAGE_HOST_BIT,
                       0, 1, &mb, 0, NULL, 0, NULL);
}

bp_status_t bpvk_staging(bpvk_device_t *d, uint64_t size, bpvk_batch_t **out_batch, uint64_t *out_offset) {
  bpvk_batch_t *b = NULL;
  bp_status_t s = bpvk_batch_begin(d, &b);
  if (s) return s;
  if (b->staging_used + size > BPVK_STAGING_SIZE) {
    if ((s = bpvk_batch_submit(d)) || (s = bpvk_batch_begin(d, &b))) return s;
  }
  *out_offset = b->staging_used;
  b->staging_used += (size + 15u) & ~(uint64_t)15u;
  *out_batch = b;
  return BP_STATUS_OK;
}

int32_t bpvk_variant_find(const char *name) {
  for (uint32_t i = 0; i < bpvk_spirv_count; ++i)
    if (strcmp(bpvk_spirv[i].name, name) == 0) return (int32_t)i;
  return -1;
}

/* True when every SPIR-V capability the module declares is enabled here. */
static bool capabilities_enabled(const bpvk_device_t *d, const bpvk_spirv_t *sp) {
  const uint32_t *w = sp->code;
  size_t n = sp->size / 4;
  for (size_t i = 5; i < n;) {
    uint32_t count = w[i] >> 16, op = w[i] & 0xffffu;
    if (count == 0) return false;
    if (op == 17 /* OpCapability */ && i + 1 < n) {
      switch (w[i + 1]) {
        case 1: break;                                     /* Shader */
        case 9: if (!d->feat.float16) return false; break; /* Float16 */
        case 10: if (!d->feat.float64) return false; break;
        case 11: if (!d->feat.int64) return false; break;
        case 22: if (!d->feat.int16) return false; break;
        case 39: if (!d->feat.int8) return false; break;
        case 4433: if (!d->feat.storage16) return false; break;
        case 4448: if (!d->feat.storage8) return false; break;
        case 46: if (!d->texel) return false; break;      /* SampledBuffer */
        case 61: case 64: if (!d->subgroup_ballot) return false; break; /* GroupNonUniform, ...Ballot */
        case 4466: /* SignedZeroInfNanPreserve (32, and 64 where the module has Float64) */
          if (!d->feat.preserve32 || (d->feat.float64 && !d->feat.preserve64)) return false;
          break;
        default: return false;
      }
    }
    if (op == 54 /* OpFunction: capabilities are over */) break;
    i += count;
  }
  return true;
}

bool bpvk_variant_usable(bpvk_device_t *d, int32_t variant) {
  if (variant < 0 || (uint32_t)variant >= bpvk_spirv_count) return false;
  if (d->usable[variant] < 0) d->usable[variant] = capabilities_enabled(d, &bpvk_spirv[variant]) ? 1 : 0;
  return d->usable[variant] == 1;
}

static bp_status_t get_pipeline(bpvk_device_t *d, int32_t variant, uint32_t spec, VkPipelineLayout layout,
                                VkPipeline *out) {
  for (uint32_t i = 0; i < d->npipelines; ++i)
    if (d->pipelines[i].variant == (uint32_t)variant && d->pipelines[i].spec == spec) {
      *out = d->pipelines[i].pipeline;
      return BP_STATUS_OK;
    }
  if (!d->modules[variant]) {
    size_t nwords = 0;
    uint32_t *patched = bpvk_spirv_keep_denormals(&d->feat, bpvk_spirv[variant].code, bpvk_spirv[variant].size / 4,
                                                  &nwords);
    if (!patched && nwords == SIZE_MAX)
      return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory for a shader module");
    VkShaderModuleCreateInfo mci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                    .codeSize = patched ? nwords * 4 : bpvk_spirv[variant].size,
                                    .pCode = patched ? patched : bpvk_spirv[variant].code};
    VkResult vr = vkCreateShaderModule(d->dev, &mci, NULL, &d->modules[variant]);
    free(patched);
    BPVK_RETURN_IF_ERROR(d->ctx, vr, "vkCreateShaderModule");
  }
  uint32_t values[2] = {spec & ~BPVK_SPEC_ONE_DIM, (spec & BPVK_SPEC_ONE_DIM) ? 1u : 0u};
  VkSpecializationMapEntry entries[2] = {{.constantID = 0, .offset = 0, .size = 4},
                                         {.constantID = 1, .offset = 4, .size = 4}};
  VkSpecializationInfo si = {.mapEntryCount = 2, .pMapEntries = entries, .dataSize = 8, .pData = values};
  VkComputePipelineCreateInfo cci = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = d->modules[variant],
                .pName = "main",
                .pSpecializationInfo = &si},
      .layout = layout};
  if (d->npipelines == d->cap_pipelines) {
    uint32_t cap = d->cap_pipelines ? 2 * d->cap_pipelines : 32;
    bpvk_pipeline_t *p = realloc(d->pipelines, cap * sizeof *p);
    if (!p) return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory");
    d->pipelines = p;
    d->cap_pipelines = cap;
  }
  VkPipeline pipe;
  BPVK_RETURN_IF_ERROR(d->ctx, vkCreateComputePipelines(d->dev, VK_NULL_HANDLE, 1, &cci, NULL, &pipe),
                       "vkCreateComputePipelines");
  d->pipelines[d->npipelines++] = (bpvk_pipeline_t){(uint32_t)variant, spec, pipe};
  *out = pipe;
  return BP_STATUS_OK;
}

static bp_status_t get_dset(bpvk_device_t *d, const VkBuffer buffers[BPVK_MAX_BINDINGS],
                            VkDescriptorSet *out) {
  for (uint32_t i = 0; i < d->ndsets; ++i)
    if (memcmp(d->dsets[i].buffers, buffers, sizeof d->dsets[i].buffers) == 0) {
      *out = d->dsets[i].set;
      return BP_STATUS_OK;
    }
  if (d->ndsets == d->cap_dsets) {
    uint32_t cap = d->cap_dsets ? 2 * d->cap_dsets : 64;
    bpvk_dset_t *p = realloc(d->dsets, cap * sizeof *p);
    if (!p) return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory");
    d->dsets = p;
    d->cap_dsets = cap;
  }
  VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                    .descriptorPool = d->desc_pool,
                                    .descriptorSetCount = 1,
                                    .pSetLayouts = &d->set_layout};
  VkDescriptorSet set;
  VkResult r = vkAllocateDescriptorSets(d->dev, &ai, &set);
  if (r != VK_SUCCESS) return bpvk_check(d->ctx, r, "vkAllocateDescriptorSets");
  VkDescriptorBufferInfo infos[BPVK_MAX_BINDINGS + 1];
  VkWriteDescriptorSet writes[BPVK_MAX_BINDINGS + 1];
  for (uint32_t i = 0; i <= BPVK_MAX_BINDINGS; ++i) {
    bool view = i == BPVK_MAX_BINDINGS; /* binding 9: the parameter words, uniform */
    infos[i] = (VkDescriptorBufferInfo){.buffer = view ? buffers[0] : buffers[i],
                                        .offset = 0,
                                        .range = view ? BPVK_PARAM_VIEW * 4u : VK_WHOLE_SIZE};
    writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                       .dstSet = set,
                                       .dstBinding = i,
                                       .descriptorCount = 1,
                                       .descriptorType = view ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC
                                                              : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                       .pBufferInfo = &infos[i]};
  }
  vkUpdateDescriptorSets(d->dev, BPVK_MAX_BINDINGS + 1, writes, 0, NULL);
  memcpy(d->dsets[d->ndsets].buffers, buffers, sizeof d->dsets[d->ndsets].buffers);
  d->dsets[d->ndsets++].set = set;
  *out = set;
  return BP_STATUS_OK;
}

static void forget_view(bpvk_device_t *d, VkBufferView view) {
  for (uint32_t i = 0; i < d->ntsets;) {
    bool uses = false;
    for (uint32_t k = 0; k < BPVK_MAX_TEXELS; ++k) uses |= d->tsets[i].views[k] == view;
    if (uses) {
      vkFreeDescriptorSets(d->dev, d->desc_pool, 1, &d->tsets[i].set);
      d->tsets[i] = d->tsets[--d->ntsets];
    } else {
      ++i;
    }
  }
}

void bpvk_forget_buffer(bpvk_device_t *d, VkBuffer buffer) {
  for (uint32_t i = 0; i < d->nviews;) {
    if (d->views[i].buffer == buffer) {
      forget_view(d, d->views[i].view);
      vkDestroyBufferView(d->dev, d->views[i].view, NULL);
      d->views[i] = d->views[--d->nviews];
    } else {
      ++i;
    }
  }
  for (uint32_t i = 0; i < d->ndsets;) {
    bool uses = false;
    for (uint32_t k = 0; k < BPVK_MAX_BINDINGS; ++k) uses |= d->dsets[i].buffers[k] == buffer;
    if (uses) {
      vkFreeDescriptorSets(d->dev, d->desc_pool, 1, &d->dsets[i].set);
      d->dsets[i] = d->dsets[--d->ndsets];
    } else {
      ++i;
    }
  }
}

static bp_status_t get_view(bpvk_device_t *d, VkBuffer buffer, VkFormat format, VkBufferView *out) {
  for (uint32_t i = 0; i < d->nviews; ++i)
    if (d->views[i].buffer == buffer && d->views[i].format == format) {
      *out = d->views[i].view;
      return BP_STATUS_OK;
    }
  if (d->nviews == d->cap_views) {
    uint32_t cap = d->cap_views ? 2 * d->cap_views : 16;
    bpvk_view_t *p = realloc(d->views, cap * sizeof *p);
    if (!p) return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory");
    d->views = p;
    d->cap_views = cap;
  }
  /* The whole block, rounded down to whole texels and to the element limit. */
  uint64_t size = 0;
  for (uint32_t i = 0; i < d->nblocks && !size; ++i)
    if (d->blocks[i]->buffer == buffer) size = d->blocks[i]->size;
  uint64_t texel = format == VK_FORMAT_R32G32B32A32_SFLOAT ? 16u : 4u;
  uint64_t count = size / texel;
  if (count > d->props.limits.maxTexelBufferElements) count = d->props.limits.maxTexelBufferElements;
  if (count == 0) return bpvk_fail(d->ctx, BP_STATUS_INTERNAL, "vulkan: texel view of an unknown buffer");
  VkBufferViewCreateInfo vci = {.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                .buffer = buffer,
                                .format = format,
                                .offset = 0,
                                .range = count * texel};
  VkBufferView view;
  BPVK_RETURN_IF_ERROR(d->ctx, vkCreateBufferView(d->dev, &vci, NULL, &view), "vkCreateBufferView");
  d->views[d->nviews++] = (bpvk_view_t){buffer, format, view};
  *out = view;
  return BP_STATUS_OK;
}

static bp_status_t get_tset(bpvk_device_t *d, const VkBufferView views[BPVK_MAX_TEXELS], VkDescriptorSet *out) {
  for (uint32_t i = 0; i < d->ntsets; ++i)
    if (memcmp(d->tsets[i].views, views, sizeof d->tsets[i].views) == 0) {
      *out = d->tsets[i].set;
      return BP_STATUS_OK;
    }
  if (d->ntsets == d->cap_tsets) {
    uint32_t cap = d->cap_tsets ? 2 * d->cap_tsets : 16;
    bpvk_tset_t *p = realloc(d->tsets, cap * sizeof *p);
    if (!p) return bpvk_fail(d->ctx, BP_STATUS_OUT_OF_MEMORY, "vulkan: out of host memory");
    d->tsets = p;
    d->cap_tsets = cap;
  }
  VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                    .descriptorPool = d->desc_pool,
                                    .descriptorSetCount = 1,
                                    .pSetLayouts = &d->texel_layout};
  VkDescriptorSet set;
  VkResult r = vkAllocateDescriptorSets(d->dev, &ai, &set);
  if (r != VK_SUCCESS) return bpvk_check(d->ctx, r, "vkAllocateDescriptorSets");
  VkWriteDescriptorSet writes[BPVK_MAX_TEXELS];
  for (uint32_t i = 0; i < BPVK_MAX_TEXELS; ++i)
    writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                       .dstSet = set,
                                       .dstBinding = i,
                                       .descriptorCount = 1,
                                       .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
                                       .pTexelBufferView = &views[i]};
  vkUpdateDescriptorSets(d->dev, BPVK_MAX_TEXELS, writes, 0, NULL);
  memcpy(d->tsets[d->ntsets].views, views, sizeof d->tsets[d->ntsets].views);
  d->tsets[d->ntsets++].set = set;
  *out = set;
  return BP_STATUS_OK;
}

/* One dispatch; texels == NULL: set 0 only. */
static bp_status_t dispatch(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer *tensors,
                            uint32_t ntensors, const VkBuffer *texels, const VkFormat *formats,
                            const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz,
                            const char *check) {
  VkPipelineLayout layout = texels ? d->texel_pipeline_layout : d->pipeline_layout;
  VkPipeline pipe = VK_NULL_HANDLE;
  bp_status_t s = get_pipeline(d, variant, spec, layout, &pipe);
  if (s) return s;
  if (d->ndsets + 1 >= BPVK_MAX_SETS || (texels && d->ntsets + 1 >= BPVK_MAX_TSETS)) {
    /* A set cache is full: wait for the device, drop every cached set. */
    bpvk_wait_all(d);
    vkResetDescriptorPool(d->dev, d->desc_pool, 0);
    d->ndsets = 0;
    d->ntsets = 0;
  }
  VkDescriptorSet tset = VK_NULL_HANDLE;
  if (texels) {
    VkBufferView views[BPVK_MAX_TEXELS] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
    for (int i = 0; i < BPVK_MAX_TEXELS; ++i)
      if (texels[i] != VK_NULL_HANDLE && (s = get_view(d, texels[i], formats[i], &views[i]))) return s;
    /* Unused bindings repeat a used view (every binding must be valid). */
    VkBufferView any = views[0] ? views[0] : views[1] ? views[1] : views[2];
    for (int i = 0; i < BPVK_MAX_TEXELS; ++i)
      if (!views[i]) views[i] = any;
    if ((s = get_tset(d, views, &tset))) return s;
  }
  bpvk_batch_t *b;
  if ((s = bpvk_batch_begin(d, &b))) return s;
  if (nparams > BPVK_PARAM_VIEW)
    return bpvk_fail(d->ctx, BP_STATUS_INTERNAL, "vulkan: %u parameter words (at most %u)", nparams,
                     BPVK_PARAM_VIEW);
  uint32_t words = (nparams + d->param_step - 1) / d->param_step * d->param_step;
  if (b->params_used + words > BPVK_PARAM_WORDS) {
    if ((s = bpvk_batch_submit(d)) || (s = bpvk_batch_begin(d, &b))) return s;
  }
  uint32_t poff = b->params_used;
  memcpy(b->params_map + poff, params, nparams * 4u);
  if (check) {
    b->params_map[poff + nparams - 1] = 0;
    b->check_word[b->ncheck] = poff + nparams - 1;
    b->check_msg[b->ncheck++] = check;
  }
  b->params_used += words;
  VkBuffer bufs[BPVK_MAX_BINDINGS];
  for (uint32_t i = 0; i < BPVK_MAX_BINDINGS; ++i) bufs[i] = b->params;
  for (uint32_t i = 0; i < ntensors && i < BPVK_MAX_TENSORS; ++i)
    if (tensors[i] != VK_NULL_HANDLE) bufs[i + 1] = tensors[i];
  VkDescriptorSet set = VK_NULL_HANDLE;
  if ((s = get_dset(d, bufs, &set))) return s;
  VkDescriptorSet sets[2] = {set, tset};
  vkCmdBindPipeline(b->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
  uint32_t view_offset = poff * 4u;
  vkCmdBindDescriptorSets(b->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, texels ? 2 : 1, sets, 1, &view_offset);
  vkCmdPushConstants(b->cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 4, &poff);
  vkCmdDispatch(b->cmd, gx, gy, gz);
  bpvk_barrier(b);
  if (++b->dispatches >= BPVK_SUBMIT_EVERY || b->ncheck >= BPVK_MAX_CHECKS) return bpvk_batch_submit(d);
  return BP_STATUS_OK;
}

bp_status_t bpvk_dispatch(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer tensors[3],
                          const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz) {
  return bpvk_dispatch_checked(d, variant, spec, tensors, params, nparams, gx, gy, gz, NULL);
}

bp_status_t bpvk_dispatch_checked(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer tensors[3],
                                  const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz,
                                  const char *check) {
  return bpvk_dispatch_n(d, variant, spec, tensors, 3, params, nparams, gx, gy, gz, check);
}

bp_status_t bpvk_dispatch_n(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer *tensors,
                            uint32_t ntensors, const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy,
                            uint32_t gz, const char *check) {
  return dispatch(d, variant, spec, tensors, ntensors, NULL, NULL, params, nparams, gx, gy, gz, check);
}

bp_status_t bpvk_dispatch_texel_n(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer *tensors,
                                  uint32_t ntensors, const VkBuffer texels[BPVK_MAX_TEXELS],
                                  const VkFormat formats[BPVK_MAX_TEXELS], const uint32_t *params, uint32_t nparams,
                                  uint32_t gx, uint32_t gy, uint32_t gz) {
  if (!d->texel) return bpvk_fail(d->ctx, BP_STATUS_UNSUPPORTED, "vulkan: this device has no texel reads");
  return dispatch(d, variant, spec, tensors, ntensors, texels, formats, params, nparams, gx, gy, gz, NULL);
}

bp_status_t bpvk_dispatch_texel(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer tensors[3],
                                const VkBuffer texels[BPVK_MAX_TEXELS], const VkFormat formats[BPVK_MAX_TEXELS],
                                const uint32_t *params, uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz) {
  if (!d->texel) return bpvk_fail(d->ctx, BP_STATUS_UNSUPPORTED, "vulkan: this device has no texel reads");
  return bpvk_dispatch_texel_checked(d, variant, spec, tensors, texels, formats, params, nparams, gx, gy, gz, NULL);
}

bp_status_t bpvk_dispatch_texel_checked(bpvk_device_t *d, int32_t variant, uint32_t spec, const VkBuffer tensors[3],
                                        const VkBuffer texels[BPVK_MAX_TEXELS],
                                        const VkFormat formats[BPVK_MAX_TEXELS], const uint32_t *params,
                                        uint32_t nparams, uint32_t gx, uint32_t gy, uint32_t gz, const char *check) {
  if (!d->texel) return bpvk_fail(d->ctx, BP_STATUS_UNSUPPORTED, "vulkan: this device has no texel reads");
  return dispatch(d, variant, spec, tensors, 3, texels, formats, params, nparams, gx, gy, gz, check);
}
