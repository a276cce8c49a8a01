/* bp_cl_nn_util.c - attributes, dtype defines, program text and launches
 * shared by the nn op files (bp_cl_nn.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cl_nn.h"

int64_t bp_cl_attr_i(const bp_kernel_call_t *call, const char *name, int64_t dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (a == NULL) return dflt;
  if (a->type == BP_ATTR_INT) return a->value.i;
  if (a->type == BP_ATTR_BOOL) return a->value.b;
  return dflt;
}

double bp_cl_attr_f(const bp_kernel_call_t *call, const char *name, double dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (a == NULL) return dflt;
  if (a->type == BP_ATTR_FLOAT) return a->value.f;
  if (a->type == BP_ATTR_INT) return (double)a->value.i;
  return dflt;
}

bool bp_cl_attr_b(const bp_kernel_call_t *call, const char *name, bool dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (a == NULL) return dflt;
  if (a->type == BP_ATTR_BOOL) return a->value.b;
  if (a->type == BP_ATTR_INT) return a->value.i != 0;
  return dflt;
}

int64_t bp_cl_attr_2d(const bp_kernel_call_t *call, const char *name, int i, int64_t dflt) {
  const bp_attr_t *a = bp_abi_find_attr(call, name);
  if (a == NULL || a->type != BP_ATTR_INTS || a->count == 0) return dflt;
  return a->value.ints[a->count == 1 ? 0 : (i < (int)a->count ? i : 0)];
}

bool bp_cl_nn_gpu_paths(const bp_cl_device_t *dev) {
  if (dev->kind == BP_DEVICE_KIND_GPU) return true;
  const char *env = getenv("BP_OPENCL_NN_GPU_PATHS");
  return env != NULL && strcmp(env, "1") == 0;
}

void bp_cl_nn_type_defines(char *buf, size_t cap, const bp_cl_device_t *dev, bp_dtype_t t,
                           bool precise) {
  const char *tag = bp_cl_dtype_tag(t);
  if (!bp_cl_dtype_is_float(t)) {
    snprintf(buf, cap,
             "#define BP_T %s\n#define BP_CT long\n#define BP_LD(p, i) bp_ld_%s(p, i)\n"
             "#define BP_ST(p, i, v) bp_sti_%s(p, i, v)\n#define BP_ACC long\n"
             "#define BP_STA(p, i, v) bp_sti_%s(p, i, v)\n",
             bp_cl_storage_type(t), tag, tag, tag);
    return;
  }
  const bool f64 = t == BP_DTYPE_F64;
  const bool dacc = f64 || (precise && dev->has_fp64);
  snprintf(buf, cap,
           "#define BP_T %s\n#define BP_CT %s\n#define BP_LD(p, i) bp_ld_%s(p, i)\n"
           "#define BP_ST(p, i, v) bp_st%c_%s(p, i, v)\n#define BP_ACC %s\n"
           "#define BP_STA(p, i, v) bp_st%c_%s(p, i, v)\n",
           bp_cl_storage_type(t), f64 ? "double" : "float", tag, f64 ? 'd' : 'f', tag,
           dacc ? "double" : "float", dacc ? 'd' : 'f', tag);
}

/* Program texts, one per template, built on first use. */
#define BP_CL_NN_TEMPLATES 16
static pthread_mutex_t g_src_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *g_src_templ[BP_CL_NN_TEMPLATES];
static char *g_src_text[BP_CL_NN_TEMPLATES];

const char *bp_cl_nn_source(const char *templ) {
  const char *out = NULL;
  pthread_mutex_lock(&g_src_lock);
  int i = 0;
  for (; i < BP_CL_NN_TEMPLATES && g_src_templ[i] != NULL; ++i)
    if (g_src_templ[i] == templ) {
      out = g_src_text[i];
      break;
    }
  if (out == NULL && i < BP_CL_NN_TEMPLATES) {
    size_t n = strlen(bp_cl_src_nn_common) + strlen(templ) + 2;
    char *s = malloc(n);
    if (s != NULL) {
      snprintf(s, n, "%s\n%s", bp_cl_src_nn_common, templ);
      g_src_templ[i] = templ;
      g_src_text[i] = s;
      out = s;
    }
  }
  pthread_mutex_unlock(&g_src_lock);
  return out;
}

/* Frees the program texts when the plugin is unloaded (dlclose after
 * bp_shutdown): nothing of them outlives the library. */
__attribute__((destructor)) static void bp_cl_nn_sources_free(void) {
  pthread_mutex_lock(&g_src_lock);
  for (int i = 0; i < BP_CL_NN_TEMPLATES; ++i) {
    free(g_src_text[i]);
    g_src_text[i] = NULL;
    g_src_templ[i] = NULL;
  }
  pthread_mutex_unlock(&g_src_lock);
}

bp_status_t bp_cl_nn_launch(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *defines,
                            const char *templ, const char *kname, const bp_cl_arg_t *args,
                            int nargs, int64_t n, const size_t *global, const size_t *local) {
  const char *src = bp_cl_nn_source(templ);
  if (src == NULL) return bp_cl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "opencl %s: out of host memory", kname);
  cl_kernel k = NULL;
  bp_status_t s = bp_cl_program_kernel(ctx, dev, defines, src, kname, &k);
  if (s != BP_STATUS_OK) return s;
  cl_int err = CL_SUCCESS;
  for (int i = 0; i < nargs && err == CL_SUCCESS; ++i)
    err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].value);
  if (err == CL_SUCCESS) {
    if (n >= 0) {
      size_t g = 0, l = 0;
      bp_cl_launch_size(dev, n, &g, &l);
      err = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &g, &l, 0, NULL, NULL);
    } else {
      cl_uint dims = global[1] == 0 ? 1 : global[2] == 0 ? 2 : 3;
      err = clEnqueueNDRangeKernel(dev->queue, k, dims, NULL, global, local, 0, NULL, NULL);
    }
  }
  return bp_cl_check(ctx, err, "clEnqueueNDRangeKernel", kname);
}

bool bp_cl_tv_init(bp_cl_tv_t *v, const bp_tensor_desc_t *t) {
  memset(v, 0, sizeof *v);
  size_t es = bp_abi_dtype_size(t->dtype);
  if (es == 0 || t->byte_offset % es != 0 || t->ndim > BP_CL_MAX_DIMS || t->ndim < 0) return false;
  v->off = (cl_long)(t->byte_offset / es);
  v->nd = t->ndim;
  for (int32_t d = 0; d < t->ndim; ++d) {
    v->shape[d] = t->shape[d];
    v->st[d] = t->strides[d];
  }
  return true;
}

bool bp_cl_mgeom_init(bp_cl_mgeom_t *g, const bp_tensor_desc_t *const *t, int n) {
  memset(g, 0, sizeof *g);
  if (n > BP_CL_MGEOM_OPS) return false;
  const bp_tensor_desc_t *o = t[0];
  g->numel = bp_cl_numel(o);
  for (int k = 0; k < n; ++k) {
    size_t es = bp_abi_dtype_size(t[k]->dtype);
    if (es == 0 || t[k]->byte_offset % es != 0 || t[k]->ndim != o->ndim) return false;
    for (int32_t d = 0; d < o->ndim; ++d)
      if (t[k]->shape[d] != o->shape[d]) return false;
    g->off[k] = (cl_long)(t[k]->byte_offset / es);
  }
  /* innermost first: drop size-1 dims, merge a dim into the one inside it
   * when every operand is contiguous across the two */
  cl_long shape[64], st[BP_CL_MGEOM_OPS][64];
  int nd = 0;
  for (int32_t d = o->ndim - 1; d >= 0; --d) {
    int64_t extent = o->shape[d];
    if (extent == 1) continue;
    if (nd > 0) {
      bool merge = true;
      for (int k = 0; k < n && merge; ++k) merge = t[k]->strides[d] == st[k][nd - 1] * shape[nd - 1];
      if (merge) {
        shape[nd - 1] *= extent;
        continue;
      }
    }
    if (nd == 64) return false;
    shape[nd] = extent;
    for (int k = 0; k < n; ++k) st[k][nd] = t[k]->strides[d];
    ++nd;
  }
  if (nd > BP_CL_MAX_DIMS) return false;
  g->ndim = nd;
  for (int j = 0; j < nd; ++j) {
    g->shape[j] = shape[nd - 1 - j];
    for (int k = 0; k < n; ++k) g->st[k][j] = st[k][nd - 1 - j];
  }
  return true;
}
