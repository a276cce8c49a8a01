/* bp_cl_geom.c - descriptors to kernel geometry, launch sizes, dtype names. */
#include <string.h>

#include "bp_cl_internal.h"

int64_t bp_cl_numel(const bp_tensor_desc_t *t) {
  int64_t n = 1;
  for (int32_t d = 0; d < t->ndim; ++d) n *= t->shape[d];
  return n;
}

bool bp_cl_geom_init(bp_cl_geom_t *g, const bp_tensor_desc_t *const *t, int n) {
  memset(g, 0, sizeof *g);
  const bp_tensor_desc_t *o = t[0];
  g->numel = bp_cl_numel(o);
  for (int k = 0; k < n; ++k) {
    size_t size = bp_abi_dtype_size(t[k]->dtype);
    if (size == 0 || t[k]->byte_offset % size != 0) return false;
    g->offset[k] = (cl_long)(t[k]->byte_offset / size);
  }
  /* Walk dims from the innermost out, dropping size-1 dims and merging a
   * dim into the one inside it when every operand is contiguous across. */
  int64_t shape[64];
  int64_t stride[BP_CL_MAX_OPERANDS][64];
  int nd = 0; /* built innermost first */
  for (int32_t d = o->ndim - 1; d >= 0; --d) {
    int64_t extent = o->shape[d];
    if (extent == 1) continue;
    if (nd > 0) {
      bool merge = true;
      for (int k = 0; k < n && merge; ++k)
        merge = t[k]->strides[d] == stride[k][nd - 1] * shape[nd - 1];
      if (merge) {
        shape[nd - 1] *= extent;
        continue;
      }
    }
    if (nd == 64) return false;
    shape[nd] = extent;
    for (int k = 0; k < n; ++k) stride[k][nd] = t[k]->strides[d];
    ++nd;
  }
  if (nd > BP_CL_MAX_DIMS) return false;
  g->ndim = nd;
  for (int j = 0; j < nd; ++j) { /* back to outermost first */
    g->shape[j] = shape[nd - 1 - j];
    for (int k = 0; k < n; ++k) g->stride[k][j] = stride[k][nd - 1 - j];
  }
  return true;
}

void bp_cl_launch_size(const bp_cl_device_t *dev, int64_t n, size_t *global, size_t *local) {
  size_t wg = dev->max_wg < 256 ? dev->max_wg : 256;
  if (wg == 0) wg = 1;
  int64_t groups = (n + (int64_t)wg - 1) / (int64_t)wg;
  if (groups < 1) groups = 1;
  if (groups > (1 << 20)) groups = 1 << 20; /* the kernels loop over the rest */
  *local = wg;
  *global = (size_t)groups * wg;
}

const char *bp_cl_storage_type(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_BOOL: case BP_DTYPE_U8: return "uchar";
    case BP_DTYPE_I8: return "char";
    case BP_DTYPE_I32: return "int";
    case BP_DTYPE_I64: return "long";
    case BP_DTYPE_F16: case BP_DTYPE_BF16: return "ushort";
    case BP_DTYPE_F32: return "float";
    case BP_DTYPE_F64: return "double";
    default: return "uchar";
  }
}

const char *bp_cl_dtype_tag(bp_dtype_t dtype) {
  switch (dtype) {
    case BP_DTYPE_BOOL: return "bool";
    case BP_DTYPE_U8: return "u8";
    case BP_DTYPE_I8: return "i8";
    case BP_DTYPE_I32: return "i32";
    case BP_DTYPE_I64: return "i64";
    case BP_DTYPE_F16: return "f16";
    case BP_DTYPE_BF16: return "bf16";
    case BP_DTYPE_F32: return "f32";
    case BP_DTYPE_F64: return "f64";
    default: return "invalid";
  }
}

bool bp_cl_dtype_is_float(bp_dtype_t dtype) {
  return dtype == BP_DTYPE_F16 || dtype == BP_DTYPE_BF16 || dtype == BP_DTYPE_F32 ||
         dtype == BP_DTYPE_F64;
}
