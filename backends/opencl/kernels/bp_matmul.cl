/* bp_matmul.cl - batched matmul out[b, m, n] = sum_k a[b, m, k] b[b, k, n],
 * any strides (transposed, sliced, broadcast batch), tiled in local memory.
 *
 * Specialised by: BP_T (storage), BP_ACC (float for f16/bf16/f32, double
 * for f64, ulong for integers: wraps), BP_LD(p, i), BP_STORE(p, i, acc).
 * A work group of BP_TS x BP_TS/BP_WPT items computes a BP_TS x BP_TS tile
 * of out; each item BP_WPT outputs of one column, rows BP_TS/BP_WPT apart.
 * Tiles of a and b go through local memory, each element loaded once per
 * group with neighbouring items reading neighbouring k (a) or n (b). */
#define BP_TS 32
#define BP_WPT 8
#define BP_RTS (BP_TS / BP_WPT)

/* Must match bp_cl_mm_geom_t (bp_cl_ops_matmul.c). */
typedef struct bp_mm_geom {
  long m, n, k, batch, batch_nd;
  long sam, sak, sbk, sbn, som, son;
  long a_offset, b_offset, o_offset;
  long batch_shape[BP_MAX_DIMS];
  long batch_sa[BP_MAX_DIMS], batch_sb[BP_MAX_DIMS], batch_so[BP_MAX_DIMS];
} bp_mm_geom_t;

__kernel __attribute__((reqd_work_group_size(BP_TS, BP_RTS, 1)))
void bp_matmul(__global BP_T *out, __global const BP_T *a, __global const BP_T *b,
               const bp_mm_geom_t g) {
  __local BP_ACC as[BP_TS][BP_TS + 1];
  __local BP_ACC bs[BP_TS][BP_TS + 1];
  const int tx = (int)get_local_id(0); /* column within the tile */
  const int ty = (int)get_local_id(1); /* first row within the tile */
  const long col = (long)get_group_id(0) * BP_TS + tx;
  const long row0 = (long)get_group_id(1) * BP_TS + ty;
  for (long bt = get_group_id(2); bt < g.batch; bt += get_num_groups(2)) {
    long ao = g.a_offset, bo = g.b_offset, oo = g.o_offset, r = bt;
    for (int d = (int)g.batch_nd - 1; d >= 0; --d) {
      long c = r % g.batch_shape[d];
      r /= g.batch_shape[d];
      ao += c * g.batch_sa[d];
      bo += c * g.batch_sb[d];
      oo += c * g.batch_so[d];
    }
    BP_ACC acc[BP_WPT];
    for (int w = 0; w < BP_WPT; ++w) acc[w] = 0;
    for (long k0 = 0; k0 < g.k; k0 += BP_TS) {
      for (int w = 0; w < BP_WPT; ++w) {
        const int lr = ty + w * BP_RTS;
        const long ar = (long)get_group_id(1) * BP_TS + lr; /* a row */
        const long ak = k0 + tx;
        as[lr][tx] = (ar < g.m && ak < g.k) ? BP_LD(a, ao + ar * g.sam + ak * g.sak) : (BP_ACC)0;
        const long bk = k0 + lr;
        bs[lr][tx] = (bk < g.k && col < g.n) ? BP_LD(b, bo + bk * g.sbk + col * g.sbn) : (BP_ACC)0;
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int kk = 0; kk < BP_TS; ++kk) {
        const BP_ACC bv = bs[kk][tx];
        for (int w = 0; w < BP_WPT; ++w) acc[w] += as[ty + w * BP_RTS][kk] * bv;
      }
      barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int w = 0; w < BP_WPT; ++w) {
      const long row = row0 + w * BP_RTS;
      if (row < g.m && col < g.n) BP_STORE(out, oo + row * g.som + col * g.son, acc[w]);
    }
  }
}
