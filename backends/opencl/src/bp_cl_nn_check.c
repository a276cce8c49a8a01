/* bp_cl_nn_check.c - device-side index checks (see bp_cl_nn.h): a buffer
 * of slots per device, one slot per checking kernel since the last
 * synchronize, read back there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_nn.h"

#define BP_CL_CHECK_SLOTS 64

struct bp_cl_checks {
  cl_mem buf; /* 2 * BP_CL_CHECK_SLOTS longs: flag, value; zero when clear */
  int used;
  char op[BP_CL_CHECK_SLOTS][32];
  char what[BP_CL_CHECK_SLOTS][32];
  int64_t size[BP_CL_CHECK_SLOTS];
};

void bp_cl_check_collect(bp_cl_ctx_t *ctx, bp_cl_device_t *dev) {
  struct bp_cl_checks *c = dev->checks;
  if (c == NULL || c->used == 0) return;
  cl_long words[2 * BP_CL_CHECK_SLOTS];
  size_t bytes = sizeof(cl_long) * 2 * (size_t)c->used;
  cl_int err = clEnqueueReadBuffer(dev->queue, c->buf, CL_TRUE, 0, bytes, words, 0, NULL, NULL);
  if (err != CL_SUCCESS) {
    char msg[200];
    snprintf(msg, sizeof msg, "reading the index checks: clEnqueueReadBuffer failed: %s",
             bp_cl_error_name(err));
    bp_cl_device_set_pending(dev, BP_STATUS_DEVICE_ERROR, msg);
  } else {
    bool any = false;
    for (int i = 0; i < c->used; ++i) {
      if (words[2 * i] == 0) continue;
      any = true;
      char msg[256];
      snprintf(msg, sizeof msg, "opencl %s: %s %lld is out of range (expected 0..%lld, size %lld)",
               c->op[i], c->what[i], (long long)words[2 * i + 1], (long long)c->size[i] - 1,
               (long long)c->size[i]);
      bp_cl_device_set_pending(dev, BP_STATUS_INVALID_ARGUMENT, msg);
    }
    if (any) {
      cl_long zero = 0;
      err = clEnqueueFillBuffer(dev->queue, c->buf, &zero, sizeof zero, 0, bytes, 0, NULL, NULL);
      if (err != CL_SUCCESS)
        bp_cl_device_set_pending(dev, BP_STATUS_DEVICE_ERROR,
                                 "clearing the index checks: clEnqueueFillBuffer failed");
    }
  }
  (void)ctx;
  c->used = 0;
}

void bp_cl_check_release(bp_cl_device_t *dev) {
  if (dev->checks == NULL) return;
  if (dev->checks->buf != NULL) clReleaseMemObject(dev->checks->buf);
  free(dev->checks);
  dev->checks = NULL;
}

bp_status_t bp_cl_check_slot(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *op,
                             const char *what, int64_t size, cl_mem *out_buf, cl_int *out_slot) {
  struct bp_cl_checks *c = dev->checks;
  if (c == NULL) {
    c = calloc(1, sizeof *c);
    if (c == NULL) return bp_cl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "opencl %s: out of host memory", op);
    cl_int err = CL_SUCCESS;
    c->buf = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, sizeof(cl_long) * 2 * BP_CL_CHECK_SLOTS,
                            NULL, &err);
    if (err == CL_SUCCESS) {
      cl_long zero = 0;
      err = clEnqueueFillBuffer(dev->queue, c->buf, &zero, sizeof zero, 0,
                                sizeof(cl_long) * 2 * BP_CL_CHECK_SLOTS, 0, NULL, NULL);
      if (err != CL_SUCCESS) clReleaseMemObject(c->buf);
    }
    if (err != CL_SUCCESS) {
      free(c);
      return bp_cl_check(ctx, err, "clCreateBuffer", "index checks");
    }
    dev->checks = c;
  }
  if (c->used == BP_CL_CHECK_SLOTS) {
    /* every slot taken since the last synchronize: drain and collect now */
    BP_CL_RETURN_IF_ERROR(ctx, clFinish(dev->queue), "clFinish", "index checks");
    bp_cl_check_collect(ctx, dev);
  }
  int i = c->used++;
  snprintf(c->op[i], sizeof c->op[i], "%s", op);
  snprintf(c->what[i], sizeof c->what[i], "%s", what);
  c->size[i] = size;
  *out_buf = c->buf;
  *out_slot = i;
  return BP_STATUS_OK;
}

bp_status_t bp_cl_check_indices(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const bp_tensor_desc_t *idx,
                                int64_t size, bool has_except, int64_t except, const char *op,
                                const char *what) {
  cl_long n = bp_cl_numel(idx);
  if (n == 0) return BP_STATUS_OK;
  bp_cl_tv_t tv;
  if (!bp_cl_tv_init(&tv, idx))
    return bp_cl_fail(ctx, BP_STATUS_UNSUPPORTED, "opencl %s: index layout not supported", op);
  cl_mem chk = NULL;
  cl_int slot = 0;
  bp_status_t s = bp_cl_check_slot(ctx, dev, op, what, size, &chk, &slot);
  if (s != BP_STATUS_OK) return s;
  cl_mem im = (cl_mem)idx->data;
  cl_long sz = size, ex = except;
  cl_int hx = has_except;
  const char *defines = idx->dtype == BP_DTYPE_I32 ? "#define BP_IT int\n" : "#define BP_IT long\n";
  bp_cl_arg_t args[] = {BP_CL_ARG(im), BP_CL_ARG(tv), BP_CL_ARG(n), BP_CL_ARG(sz),
                        BP_CL_ARG(hx), BP_CL_ARG(ex), BP_CL_ARG(chk), BP_CL_ARG(slot)};
  return bp_cl_nn_launch(ctx, dev, defines, bp_cl_src_nn_check, "bp_check_range", args, 8, n, NULL,
                         NULL);
}
