/* bp_cl_status.c - the one place OpenCL error codes become bp_status_t. */
#include <stdarg.h>
#include <stdio.h>

#include "bp_cl_internal.h"

const char *bp_cl_error_name(cl_int err) {
  switch (err) {
#define BP_CL_ERR(code) case code: return #code;
    BP_CL_ERR(CL_SUCCESS)
    BP_CL_ERR(CL_DEVICE_NOT_FOUND)
    BP_CL_ERR(CL_DEVICE_NOT_AVAILABLE)
    BP_CL_ERR(CL_COMPILER_NOT_AVAILABLE)
    BP_CL_ERR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    BP_CL_ERR(CL_OUT_OF_RESOURCES)
    BP_CL_ERR(CL_OUT_OF_HOST_MEMORY)
    BP_CL_ERR(CL_PROFILING_INFO_NOT_AVAILABLE)
    BP_CL_ERR(CL_MEM_COPY_OVERLAP)
    BP_CL_ERR(CL_IMAGE_FORMAT_MISMATCH)
    BP_CL_ERR(CL_IMAGE_FORMAT_NOT_SUPPORTED)
    BP_CL_ERR(CL_BUILD_PROGRAM_FAILURE)
    BP_CL_ERR(CL_MAP_FAILURE)
    BP_CL_ERR(CL_MISALIGNED_SUB_BUFFER_OFFSET)
    BP_CL_ERR(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    BP_CL_ERR(CL_COMPILE_PROGRAM_FAILURE)
    BP_CL_ERR(CL_LINKER_NOT_AVAILABLE)
    BP_CL_ERR(CL_LINK_PROGRAM_FAILURE)
    BP_CL_ERR(CL_DEVICE_PARTITION_FAILED)
    BP_CL_ERR(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    BP_CL_ERR(CL_INVALID_VALUE)
    BP_CL_ERR(CL_INVALID_DEVICE_TYPE)
    BP_CL_ERR(CL_INVALID_PLATFORM)
    BP_CL_ERR(CL_INVALID_DEVICE)
    BP_CL_ERR(CL_INVALID_CONTEXT)
    BP_CL_ERR(CL_INVALID_QUEUE_PROPERTIES)
    BP_CL_ERR(CL_INVALID_COMMAND_QUEUE)
    BP_CL_ERR(CL_INVALID_HOST_PTR)
    BP_CL_ERR(CL_INVALID_MEM_OBJECT)
    BP_CL_ERR(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    BP_CL_ERR(CL_INVALID_IMAGE_SIZE)
    BP_CL_ERR(CL_INVALID_SAMPLER)
    BP_CL_ERR(CL_INVALID_BINARY)
    BP_CL_ERR(CL_INVALID_BUILD_OPTIONS)
    BP_CL_ERR(CL_INVALID_PROGRAM)
    BP_CL_ERR(CL_INVALID_PROGRAM_EXECUTABLE)
    BP_CL_ERR(CL_INVALID_KERNEL_NAME)
    BP_CL_ERR(CL_INVALID_KERNEL_DEFINITION)
    BP_CL_ERR(CL_INVALID_KERNEL)
    BP_CL_ERR(CL_INVALID_ARG_INDEX)
    BP_CL_ERR(CL_INVALID_ARG_VALUE)
    BP_CL_ERR(CL_INVALID_ARG_SIZE)
    BP_CL_ERR(CL_INVALID_KERNEL_ARGS)
    BP_CL_ERR(CL_INVALID_WORK_DIMENSION)
    BP_CL_ERR(CL_INVALID_WORK_GROUP_SIZE)
    BP_CL_ERR(CL_INVALID_WORK_ITEM_SIZE)
    BP_CL_ERR(CL_INVALID_GLOBAL_OFFSET)
    BP_CL_ERR(CL_INVALID_EVENT_WAIT_LIST)
    BP_CL_ERR(CL_INVALID_EVENT)
    BP_CL_ERR(CL_INVALID_OPERATION)
    BP_CL_ERR(CL_INVALID_GL_OBJECT)
    BP_CL_ERR(CL_INVALID_BUFFER_SIZE)
    BP_CL_ERR(CL_INVALID_MIP_LEVEL)
    BP_CL_ERR(CL_INVALID_GLOBAL_WORK_SIZE)
    BP_CL_ERR(CL_INVALID_PROPERTY)
    BP_CL_ERR(CL_INVALID_IMAGE_DESCRIPTOR)
    BP_CL_ERR(CL_INVALID_COMPILER_OPTIONS)
    BP_CL_ERR(CL_INVALID_LINKER_OPTIONS)
    BP_CL_ERR(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef BP_CL_ERR
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "an unknown OpenCL error";
  }
}

/* Which Backplane code an OpenCL error is. */
static bp_status_t map_error(cl_int err) {
  switch (err) {
    case CL_SUCCESS:
      return BP_STATUS_OK;
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
    case CL_OUT_OF_HOST_MEMORY:
    case CL_INVALID_BUFFER_SIZE:
      return BP_STATUS_OUT_OF_MEMORY;
    case CL_DEVICE_NOT_FOUND:
    case CL_DEVICE_NOT_AVAILABLE:
    case CL_COMPILER_NOT_AVAILABLE:
    case CL_LINKER_NOT_AVAILABLE:
    case -1001: /* CL_PLATFORM_NOT_FOUND_KHR: an ICD loader without ICDs */
      return BP_STATUS_UNAVAILABLE;
    case CL_OUT_OF_RESOURCES:
    case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST:
    case CL_MAP_FAILURE:
      return BP_STATUS_DEVICE_ERROR;
    case CL_BUILD_PROGRAM_FAILURE:
    case CL_COMPILE_PROGRAM_FAILURE:
    case CL_LINK_PROGRAM_FAILURE:
    case CL_INVALID_KERNEL_NAME:
    case CL_INVALID_ARG_SIZE:
    case CL_INVALID_ARG_INDEX:
    case CL_INVALID_ARG_VALUE:
    case CL_INVALID_KERNEL_ARGS:
    case CL_INVALID_BUILD_OPTIONS:
      return BP_STATUS_INTERNAL; /* our kernel sources or launches are wrong */
    case CL_INVALID_WORK_GROUP_SIZE:
    case CL_INVALID_WORK_ITEM_SIZE:
    case CL_INVALID_GLOBAL_WORK_SIZE:
      return BP_STATUS_UNSUPPORTED; /* a launch shape the device cannot take */
    default:
      return err < 0 ? BP_STATUS_DEVICE_ERROR : BP_STATUS_INTERNAL;
  }
}

bp_status_t bp_cl_check(const bp_cl_ctx_t *ctx, cl_int err, const char *call, const char *what) {
  if (err == CL_SUCCESS) return BP_STATUS_OK;
  return bp_cl_fail(ctx, map_error(err), "opencl %s: %s failed: %s (%d)", what, call,
                    bp_cl_error_name(err), (int)err);
}

bp_status_t bp_cl_fail(const bp_cl_ctx_t *ctx, bp_status_t status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (ctx != NULL && ctx->host != NULL) ctx->host->set_error(ctx->host->host_ctx, msg);
  return status;
}

void bp_cl_log(const bp_cl_ctx_t *ctx, bp_log_level_t level, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (ctx != NULL && ctx->host != NULL) ctx->host->log(ctx->host->host_ctx, level, msg);
}
