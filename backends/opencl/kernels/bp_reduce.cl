/* bp_reduce.cl - sum over any set of dims.
 *
 * Specialised by: BP_T (storage), BP_ACC (accumulator: float for
 * f16/bf16/f32, double for f64, ulong for i64, which wraps),
 * BP_LD(p, i) (an element as BP_ACC), BP_STORE(p, i, acc).
 * One work group per output element: its work items stride over the
 * reduced elements (neighbouring items read neighbouring elements when the
 * innermost reduced dim is contiguous) and combine their partial sums in
 * local memory. */
#define BP_RED_WG 256

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

__kernel void bp_sum(__global BP_T *out, __global const BP_T *x, const bp_red_geom_t g) {
  __local BP_ACC part[BP_RED_WG];
  const int lid = (int)get_local_id(0);
  const int lsz = (int)get_local_size(0);
  for (long o = get_group_id(0); o < g.n_out; o += get_num_groups(0)) {
    long xo = g.x_offset, oo = g.o_offset, r = o;
    for (int d = (int)g.out_nd - 1; d >= 0; --d) {
      long c = r % g.out_shape[d];
      r /= g.out_shape[d];
      xo += c * g.out_stride_x[d];
      oo += c * g.out_stride_o[d];
    }
    BP_ACC acc = 0;
    if (g.red_nd == 1) { /* one reduced run: no index arithmetic */
      const long st = g.red_stride_x[0];
      for (long j = lid; j < g.n_red; j += lsz) acc += BP_LD(x, xo + j * st);
    } else
    for (long j = lid; j < g.n_red; j += lsz) {
      long xi = xo, q = j;
      for (int d = (int)g.red_nd - 1; d >= 0; --d) {
        long c = q % g.red_shape[d];
        q /= g.red_shape[d];
        xi += c * g.red_stride_x[d];
      }
      acc += BP_LD(x, xi);
    }
    part[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lsz / 2; s > 0; s >>= 1) {
      if (lid < s) part[lid] += part[lid + s];
      barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) BP_STORE(out, oo, part[0]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
}
