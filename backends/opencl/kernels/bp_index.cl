/* bp_index.cl - embedding, gather, index_select, scatter_add,
 * embedding_backward and one_hot, as reference/src/ref_nn2_index.c and
 * ref_nn_backward.c define them. Moves copy the element's bits (BP_E: an
 * unsigned type of the element's size); BP_IT is the index type. An index
 * out of range is skipped here (nothing read or written with it) and
 * reported by the range check the host enqueues before (bp_nn_check.cl).
 * The sums (scatter_add, embedding_backward) gather per output element in
 * index order: no atomics, the same bits every run. */

#ifdef BP_E
/* out [idx..., D] = weight[idx[i...], :]; n = numel(out), D = weight dim 1. */
__kernel void bp_embedding(__global BP_E *out, const bp_tv_t ov, __global const BP_E *w,
                           const bp_tv_t wv, __global const BP_IT *ix, const bp_tv_t iv,
                           const long n) {
  const long D = wv.shape[1];
  for (long e = get_global_id(0); e < n; e += get_global_size(0)) {
    const long i = e / D, j = e % D;
    const long r = BP_IDX(ix, bp_tv_at(&iv, i));
    if (r < 0 || r >= wv.shape[0]) continue;
    out[bp_tv_at(&ov, e)] = w[wv.off + r * wv.st[0] + j * wv.st[1]];
  }
}

/* out[p] = x[p with p[dim] = index[p]], p over index's shape. */
__kernel void bp_gather(__global BP_E *out, const bp_tv_t ov, __global const BP_E *x,
                        const bp_tv_t xv, __global const BP_IT *ix, const bp_tv_t iv,
                        const int dim, const long n) {
  for (long e = get_global_id(0); e < n; e += get_global_size(0)) {
    long r = e, oo = ov.off, xo = xv.off, io = iv.off;
    for (int d = (int)iv.nd - 1; d >= 0; --d) {
      const long c = r % iv.shape[d];
      r /= iv.shape[d];
      io += c * iv.st[d];
      oo += c * ov.st[d];
      if (d != dim) xo += c * xv.st[d];
    }
    const long v = BP_IDX(ix, io);
    if (v < 0 || v >= xv.shape[dim]) continue;
    out[oo] = x[xo + v * xv.st[dim]];
  }
}

/* out[p] = x[p with p[dim] = index[p[dim]]], p over out's shape; index is
 * 0-d or 1-d with stride ist. */
__kernel void bp_index_select(__global BP_E *out, const bp_tv_t ov, __global const BP_E *x,
                              const bp_tv_t xv, __global const BP_IT *ix, const long ioff,
                              const long ist, const int dim, const long n) {
  for (long e = get_global_id(0); e < n; e += get_global_size(0)) {
    long r = e, oo = ov.off, xo = xv.off, v = 0;
    for (int d = (int)ov.nd - 1; d >= 0; --d) {
      const long c = r % ov.shape[d];
      r /= ov.shape[d];
      oo += c * ov.st[d];
      if (d != dim) xo += c * xv.st[d];
      else v = BP_IDX(ix, ioff + c * ist);
    }
    if (v < 0 || v >= xv.shape[dim]) continue;
    out[oo] = x[xo + v * xv.st[dim]];
  }
}
#endif

#ifdef BP_ONE_HOT
/* out[..., c] = x[...] == c; n = numel(out), C classes. */
__kernel void bp_one_hot(__global long *out, const bp_tv_t ov, __global const long *x,
                         const bp_tv_t xv, const long C, const long n) {
  for (long e = get_global_id(0); e < n; e += get_global_size(0))
    out[bp_tv_at(&ov, e)] = x[bp_tv_at(&xv, e / C)] == e % C ? 1 : 0;
}
#endif

#ifdef BP_LD
#ifdef BP_INTEGER
/* integers wrap (bool: any nonzero term makes 1, as a logical or) */
#define BP_SACC ulong
#define BP_SADD(acc, v) ((acc) + (ulong)(v))
#else
/* floats round to the dtype at each add, as torch (and the reference) */
#define BP_SACC BP_CT
#define BP_SADD(acc, v) bp_round_t((acc) + (v))
#endif

#if defined(BP_F16)
static inline float bp_round_t(float v) { return bp_f16_to_f32(bp_f32_to_f16(v)); }
#elif defined(BP_BF16)
static inline float bp_round_t(float v) { return bp_bf16_to_f32(bp_f32_to_bf16(v)); }
#else
#define bp_round_t(v) (v)
#endif

/* scatter_add: work item per out element o (out, self: self's shape);
 * adds src[p] for every p of index's shape with p = o off dim and
 * index[p] == o[dim], in order of p[dim]. */
__kernel void bp_scatter_add(__global BP_T *out, const bp_tv_t ov, __global const BP_T *self,
                             const bp_tv_t sv, __global const BP_IT *ix, const bp_tv_t iv,
                             __global const BP_T *src, const bp_tv_t cv, const int dim,
                             const long n) {
  for (long e = get_global_id(0); e < n; e += get_global_size(0)) {
    long r = e, oo = ov.off, so = sv.off, io = iv.off, co = cv.off, target = 0;
    bool inside = true;
    for (int d = (int)ov.nd - 1; d >= 0; --d) {
      const long c = r % ov.shape[d];
      r /= ov.shape[d];
      oo += c * ov.st[d];
      so += c * sv.st[d];
      if (d == dim) {
        target = c;
      } else {
        if (c >= iv.shape[d]) inside = false;
        io += c * iv.st[d];
        co += c * cv.st[d];
      }
    }
#ifdef BP_INTEGER
    BP_SACC acc = (BP_SACC)BP_LD(self, so);
#else
    BP_SACC acc = BP_LD(self, so);
#endif
    if (inside)
      for (long k = 0; k < iv.shape[dim]; ++k)
        if (BP_IDX(ix, io + k * iv.st[dim]) == target) acc = BP_SADD(acc, BP_LD(src, co + k * cv.st[dim]));
    BP_ST(out, oo, acc);
  }
}

#ifndef BP_INTEGER
/* embedding_backward: grad_weight[v, j] = sum of grad_output[r, j] over
 * the rows r (in order) whose index is v; the padding row stays zero.
 * go: [R, D] as rows of its last dim (gv: its view), ix: R indices. One
 * work item per (v, block of BP_EB columns): it scans the indices once and
 * keeps its block's sums in registers. n = V * blocks. */
#define BP_EB 16
__kernel void bp_embedding_bwd(__global BP_T *gw, const bp_tv_t wv, __global const BP_T *go,
                               const bp_tv_t gv, __global const BP_IT *ix, const bp_tv_t iv,
                               const long R, const int has_pad, const long pad, const long n) {
  const long D = wv.shape[1], blocks = (D + BP_EB - 1) / BP_EB;
  const int gnd = (int)gv.nd;
  const long gst = gv.st[gnd - 1];
  for (long e = get_global_id(0); e < n; e += get_global_size(0)) {
    const long v = e / blocks, j0 = (e % blocks) * BP_EB;
    const int nj = (int)min((long)BP_EB, D - j0);
    BP_ACC acc[BP_EB];
    for (int jj = 0; jj < BP_EB; ++jj) acc[jj] = 0;
    if (!(has_pad && v == pad))
      for (long r = 0; r < R; ++r)
        if (BP_IDX(ix, bp_tv_at(&iv, r)) == v) {
          const long ro = gv.off + bp_tv_sub(&gv, 0, gnd - 1, r) + j0 * gst;
          for (int jj = 0; jj < nj; ++jj) acc[jj] += (BP_ACC)BP_LD(go, ro + jj * gst);
        }
    for (int jj = 0; jj < nj; ++jj) BP_STA(gw, wv.off + v * wv.st[0] + (j0 + jj) * wv.st[1], acc[jj]);
  }
}
#endif
#endif
