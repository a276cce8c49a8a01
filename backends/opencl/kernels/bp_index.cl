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
/* embedding_backward, in three steps with no atomics (the same bits every
 * run, summing each row's gradients in row order as the reference):
 * bp_eb_keys makes key[r] = index[r] * P + r for the R rows (P >= R, a
 * power of two; an index out of range, and the padding up to P, sort last),
 * bp_eb_sort runs the bitonic network on the P keys (one launch per step),
 * bp_eb_sum gives each (v, j) the sum of grad_output[r, j] over its run of
 * keys, found by binary search. The padding row stays zero. */
__kernel void bp_eb_keys(__global long *key, __global const BP_IT *ix, const bp_tv_t iv,
                         const long R, const long P, const long V) {
  for (long r = get_global_id(0); r < P; r += get_global_size(0)) {
    long v = r < R ? BP_IDX(ix, bp_tv_at(&iv, r)) : -1;
    key[r] = (v >= 0 && v < V) ? v * P + r : LONG_MAX;
  }
}

__kernel void bp_eb_sort(__global long *key, const long j, const long k, const long P) {
  for (long i = get_global_id(0); i < P; i += get_global_size(0)) {
    const long l = i ^ j;
    if (l <= i) continue;
    const long a = key[i], b = key[l];
    if (((i & k) == 0) ? a > b : a < b) {
      key[i] = b;
      key[l] = a;
    }
  }
}

/* go: [R, D] as rows of its last dim (gv: its view). n = V * D. */
__kernel void bp_eb_sum(__global BP_T *gw, const bp_tv_t wv, __global const BP_T *go,
                        const bp_tv_t gv, __global const long *key, const long P,
                        const int has_pad, const long pad, const long n) {
  const long D = wv.shape[1];
  const int gnd = (int)gv.nd;
  const long gst = gv.st[gnd - 1];
  for (long e = get_global_id(0); e < n; e += get_global_size(0)) {
    const long v = e / D, j = e % D;
    BP_ACC acc = 0;
    if (!(has_pad && v == pad)) {
      long lo = 0, hi = P; /* first key >= v * P */
      while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (key[mid] < v * P) lo = mid + 1;
        else hi = mid;
      }
      for (long t = lo; t < P && key[t] < (v + 1) * P; ++t) {
        const long r = key[t] - v * P;
        acc += (BP_ACC)BP_LD(go, gv.off + bp_tv_sub(&gv, 0, gnd - 1, r) + j * gst);
      }
    }
    BP_STA(gw, wv.off + v * wv.st[0] + j * wv.st[1], acc);
  }
}
#endif
#endif
