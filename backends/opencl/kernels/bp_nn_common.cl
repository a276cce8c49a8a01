/* bp_nn_common.cl - helpers of the nn templates (pooling, norms, indexing,
 * losses, optimizers), placed before each of them by bp_cl_nn_source().
 *
 * bp_tv_t: a tensor as element offset, dims and element strides (any
 * layout). bp_check_set: records a bad index in the call's check slot
 * (read by the host at synchronize, bp_cl_nn_check.c). */

/* Must match bp_cl_tv_t (bp_cl_nn.h). */
typedef struct bp_tv {
  long off, nd;
  long shape[BP_MAX_DIMS];
  long st[BP_MAX_DIMS];
} bp_tv_t;

/* Offset of row-major index i over dims [first, first + n) of t (from t's
 * first element: add t->off for the buffer offset). */
static inline long bp_tv_sub(const bp_tv_t *t, int first, int n, long i) {
  long off = 0;
  for (int d = first + n - 1; d >= first; --d) {
    long s = t->shape[d];
    off += (i % s) * t->st[d];
    i /= s;
  }
  return off;
}

/* Buffer offset of row-major index i of the whole tensor. */
static inline long bp_tv_at(const bp_tv_t *t, long i) { return t->off + bp_tv_sub(t, 0, (int)t->nd, i); }

/* Records bad value v in check slot `slot` (two longs: flag, value). */
static inline void bp_check_set(__global long *chk, int slot, long v) {
  chk[2 * slot + 1] = v;
  chk[2 * slot] = 1;
}

/* Index loads: BP_IT is the index storage type (int or long). */
#ifdef BP_IT
#define BP_IDX(p, i) ((long)(p)[i])
#endif

/* Must match bp_cl_mgeom_t (bp_cl_nn.h): tensors of one shape. */
#define BP_MGEOM_OPS 7
typedef struct bp_mgeom {
  long numel, ndim;
  long shape[BP_MAX_DIMS];
  long st[BP_MGEOM_OPS][BP_MAX_DIMS];
  long off[BP_MGEOM_OPS];
} bp_mgeom_t;

/* Offset of row-major index i in operand k. */
static inline long bp_mg_at(const bp_mgeom_t *g, int k, long i) {
  long o = g->off[k];
  for (int d = (int)g->ndim - 1; d > 0; --d) {
    long s = g->shape[d];
    o += (i % s) * g->st[k][d];
    i /= s;
  }
  if (g->ndim > 0) o += i * g->st[k][0];
  return o;
}
