/* bp_reduce.cl - sum over any set of dims, in two passes across work items.
 *
 * Specialised by: BP_T (storage), BP_ACC (accumulator: float for
 * f16/bf16/f32, double for f64, ulong for i64, which wraps),
 * BP_LD(p, i) (an element as BP_ACC), BP_STORE(p, i, acc); BP_STRIDED
 * (GPUs): part p of an output takes reduced elements p, p + P, ... so that
 * neighbouring work items read neighbouring elements; else (CPU devices)
 * a contiguous chunk each, with BP_VEC16 (f32 in one unit-stride run) read
 * sixteen at a time.
 * Pass 1 (bp_sum_part): work item (p, o) sums part p of the reduced
 * elements of output o, into out when P == 1 or into part[o * P + p].
 * Pass 2 (bp_sum_final): work item o adds its P partial sums in order. */

/* Must match bp_cl_red_geom_t (bp_cl_ops_reduce.c). */
typedef struct bp_red_geom {
  long n_out, n_red, out_nd, red_nd;
  long x_offset, o_offset;
  long out_shape[BP_MAX_DIMS];
  long out_stride_x[BP_MAX_DIMS]; /* x's stride along each kept dim */
  long out_stride_o[BP_MAX_DIMS];
  long red_shape[BP_MAX_DIMS];
  long red_stride_x[BP_MAX_DIMS];
} bp_red_geom_t;

/* Offsets in x and out of output o. */
static inline void bp_red_out(const bp_red_geom_t *g, long o, long *xo, long *oo) {
  long x = g->x_offset, y = g->o_offset, r = o;
  for (int d = (int)g->out_nd - 1; d >= 0; --d) {
    long c = r % g->out_shape[d];
    r /= g->out_shape[d];
    x += c * g->out_stride_x[d];
    y += c * g->out_stride_o[d];
  }
  *xo = x;
  *oo = y;
}

/* Offset (from the output's base) of reduced element j. */
static inline long bp_red_at(const bp_red_geom_t *g, long j) {
  if (g->red_nd == 1) return j * g->red_stride_x[0];
  long xi = 0, q = j;
  for (int d = (int)g->red_nd - 1; d >= 0; --d) {
    long c = q % g->red_shape[d];
    q /= g->red_shape[d];
    xi += c * g->red_stride_x[d];
  }
  return xi;
}

__kernel void bp_sum_part(__global BP_T *out, __global const BP_T *x, const bp_red_geom_t g,
                          const long parts, __global BP_ACC *part) {
  const long p = get_global_id(0), o = get_global_id(1);
  if (p >= parts || o >= g.n_out) return;
  long xo, oo;
  bp_red_out(&g, o, &xo, &oo);
  BP_ACC acc = 0;
#ifdef BP_STRIDED
  for (long j = p; j < g.n_red; j += parts) acc += BP_LD(x, xo + bp_red_at(&g, j));
#else
  const long chunk = (g.n_red + parts - 1) / parts;
  const long j0 = p * chunk, j1 = min(j0 + chunk, g.n_red);
  long j = j0;
#ifdef BP_VEC16
  if (g.red_nd == 1 && g.red_stride_x[0] == 1) {
    float16 v = 0;
    __global const float *base = x + xo + j0;
    const long nv = (j1 - j0) / 16;
    for (long i = 0; i < nv; ++i) v += vload16(i, base);
    float8 h8 = v.lo + v.hi;
    float4 h4 = h8.lo + h8.hi;
    float2 h2 = h4.lo + h4.hi;
    acc = h2.x + h2.y;
    j = j0 + nv * 16;
  }
#endif
  if (g.red_nd == 1) {
    const long st = g.red_stride_x[0];
    for (; j < j1; ++j) acc += BP_LD(x, xo + j * st);
  } else {
    for (; j < j1; ++j) acc += BP_LD(x, xo + bp_red_at(&g, j));
  }
#endif
  if (parts == 1)
    BP_STORE(out, oo, acc);
  else
    part[o * parts + p] = acc;
}

__kernel void bp_sum_final(__global BP_T *out, __global const BP_ACC *part, const bp_red_geom_t g,
                           const long parts) {
  const long o = get_global_id(0);
  if (o >= g.n_out) return;
  long xo, oo;
  bp_red_out(&g, o, &xo, &oo);
  BP_ACC acc = 0;
  for (long p = 0; p < parts; ++p) acc += part[o * parts + p];
  BP_STORE(out, oo, acc);
}
