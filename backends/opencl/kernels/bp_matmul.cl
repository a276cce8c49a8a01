/* bp_matmul.cl - batched matmul out[b, m, n] = sum_k a[b, m, k] b[b, k, n]
 * (+ bias[b, m, n] with BP_BIAS: per row for the convolutions, per column
 * for linear), any strides (transposed, sliced, broadcast batch). The
 * kernels, chosen per device type by the host (bp_cl_ops_matmul.c):
 *  - bp_matmul (GPUs): tiled in local memory, coalesced loads;
 *  - on CPU devices such as PoCL, which compile a work group into loops
 *    so that local-memory barriers are costly, register blocks with the
 *    k loop innermost: bp_matmul_v for f32/f64 with contiguous rows of b
 *    (6 rows x 4 vectors of columns per work item; b^T operands are
 *    first copied by bp_transpose), bp_matmul_nt for f32/f64 with
 *    contiguous k in a and b (vectors of partial dot products), and
 *    bp_matmul_rb (scalar BP_TM x BP_TN tiles) for the rest.
 * Also here: bp_im2col and bp_pack_weight for the convolutions.
 *
 * Specialised by: BP_T (storage), BP_ACC (float for f16/bf16/f32, double
 * for f64, ulong for integers: wraps), BP_LD(p, i), BP_STORE(p, i, acc),
 * BP_ADD(acc, p, i) (acc plus a bias element, in BP_ACC); bp_matmul_rb
 * also by its tile BP_TM x BP_TN, and bp_matmul_v (sbn == son == 1 only)
 * and bp_matmul_nt by the vector type.
 *
 * bp_matmul: a work group of BP_TS x BP_TS/BP_WPT items computes a BP_TS x BP_TS tile
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
  long bias_offset, sbias_m, sbias_n; /* BP_BIAS only */
  long batch_sbias[BP_MAX_DIMS];
} bp_mm_geom_t;

#ifdef BP_BIAS
#define BP_MM_BIAS_ARG , __global const BP_T *bias
#define BP_MM_BIAS(acc, bo, row, col) BP_ADD(acc, bias, (bo) + (row) * g.sbias_m + (col) * g.sbias_n)
#else
#define BP_MM_BIAS_ARG
#define BP_MM_BIAS(acc, bo, row, col) (acc)
#endif

#define BP_SBN g.sbn
#define BP_SON g.son

#ifdef BP_K_TILED
__kernel __attribute__((reqd_work_group_size(BP_TS, BP_RTS, 1)))
void bp_matmul(__global BP_T *out, __global const BP_T *a, __global const BP_T *b,
               const bp_mm_geom_t g BP_MM_BIAS_ARG) {
  __local BP_ACC as[BP_TS][BP_TS + 1];
  __local BP_ACC bs[BP_TS][BP_TS + 1];
  const int tx = (int)get_local_id(0); /* column within the tile */
  const int ty = (int)get_local_id(1); /* first row within the tile */
  const long col = (long)get_group_id(0) * BP_TS + tx;
  const long row0 = (long)get_group_id(1) * BP_TS + ty;
  for (long bt = get_group_id(2); bt < g.batch; bt += get_num_groups(2)) {
    long ao = g.a_offset, bo = g.b_offset, oo = g.o_offset, bio = g.bias_offset, r = bt;
    for (int d = (int)g.batch_nd - 1; d >= 0; --d) {
      long c = r % g.batch_shape[d];
      r /= g.batch_shape[d];
      ao += c * g.batch_sa[d];
      bo += c * g.batch_sb[d];
      oo += c * g.batch_so[d];
      bio += c * g.batch_sbias[d];
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
      if (row < g.m && col < g.n)
        BP_STORE(out, oo + row * g.som + col * g.son, BP_MM_BIAS(acc[w], bio, row, col));
    }
  }
}

#endif /* BP_K_TILED */

/* ---- register blocked (CPU devices) ---- */
#ifdef BP_K_RB

#ifndef BP_TM
#define BP_TM 4
#endif
#ifndef BP_TN
#define BP_TN 8
#endif

/* Work item (x, y, z): columns x*BP_TN.., rows y*BP_TM.., batches z,
 * z + global size, ... Rows and columns past the edge load the last valid
 * one (no branch in the k loop) and are not stored. */
__kernel void bp_matmul_rb(__global BP_T *out, __global const BP_T *a, __global const BP_T *b,
                           const bp_mm_geom_t g BP_MM_BIAS_ARG) {
  const long j0 = (long)get_global_id(0) * BP_TN;
  const long i0 = (long)get_global_id(1) * BP_TM;
  if (j0 >= g.n || i0 >= g.m) return;
  long arow[BP_TM], bcol[BP_TN];
  _Pragma("unroll") for (int r = 0; r < BP_TM; ++r) arow[r] = min(i0 + r, g.m - 1) * g.sam;
  _Pragma("unroll") for (int t = 0; t < BP_TN; ++t) bcol[t] = min(j0 + t, g.n - 1) * BP_SBN;
  for (long bt = get_global_id(2); bt < g.batch; bt += get_global_size(2)) {
    long ao = g.a_offset, bo = g.b_offset, oo = g.o_offset, bio = g.bias_offset, q = bt;
    for (int d = (int)g.batch_nd - 1; d >= 0; --d) {
      long c = q % g.batch_shape[d];
      q /= g.batch_shape[d];
      ao += c * g.batch_sa[d];
      bo += c * g.batch_sb[d];
      oo += c * g.batch_so[d];
      bio += c * g.batch_sbias[d];
    }
    BP_ACC acc[BP_TM][BP_TN];
    _Pragma("unroll") for (int r = 0; r < BP_TM; ++r)
      _Pragma("unroll") for (int t = 0; t < BP_TN; ++t) acc[r][t] = 0;
    for (long k = 0; k < g.k; ++k) {
      BP_ACC bv[BP_TN];
      _Pragma("unroll") for (int t = 0; t < BP_TN; ++t) bv[t] = BP_LD(b, bo + k * g.sbk + bcol[t]);
      _Pragma("unroll") for (int r = 0; r < BP_TM; ++r) {
        const BP_ACC av = BP_LD(a, ao + arow[r] + k * g.sak);
        _Pragma("unroll") for (int t = 0; t < BP_TN; ++t) acc[r][t] += av * bv[t];
      }
    }
    _Pragma("unroll") for (int r = 0; r < BP_TM; ++r) {
      const long row = i0 + r;
      _Pragma("unroll") for (int t = 0; t < BP_TN; ++t) {
        const long col = j0 + t;
        if (row < g.m && col < g.n) BP_STORE(out, oo + row * g.som + col * BP_SON, BP_MM_BIAS(acc[r][t], bio, row, col));
      }
    }
  }
}

#endif /* BP_K_RB */

/* ---- register blocked with vectors: f32 and f64 with sbn == son == 1 ---- */

#ifdef BP_K_VEC
/* BP_VEC: the vector type (float16, double8), BP_VW its width, BP_VLOAD
 * and BP_VSTORE its vloadN/vstoreN. Each work item: BP_VTM rows x
 * BP_VNV vectors of columns, accumulated with fma (a fused multiply-add
 * rounds once: at least as accurate as the reference's separate ones).
 * 6 x 4 vectors: 24 accumulators, 4 loads of b and 6 broadcasts of a per
 * 24 fma, within the 32 vector registers of AVX-512 (PoCL maps float16
 * to one zmm register); 1.3-1.4x faster than 8 x 2 on PoCL. */
#ifndef BP_VTM
#define BP_VTM 6
#endif
#ifndef BP_VNV
#define BP_VNV 4
#endif
#define BP_VTN (BP_VW * BP_VNV)

__kernel void bp_matmul_v(__global BP_T *out, __global const BP_T *a, __global const BP_T *b,
                          const bp_mm_geom_t g BP_MM_BIAS_ARG) {
  const long j0 = (long)get_global_id(0) * BP_VTN;
  const long i0 = (long)get_global_id(1) * BP_VTM;
  if (j0 >= g.n || i0 >= g.m) return;
  long arow[BP_VTM];
  _Pragma("unroll") for (int r = 0; r < BP_VTM; ++r) arow[r] = min(i0 + r, g.m - 1) * g.sam;
  const bool full_n = j0 + BP_VTN <= g.n;
  for (long bt = get_global_id(2); bt < g.batch; bt += get_global_size(2)) {
    long ao = g.a_offset, bo = g.b_offset, oo = g.o_offset, bio = g.bias_offset, q = bt;
    for (int d = (int)g.batch_nd - 1; d >= 0; --d) {
      long c = q % g.batch_shape[d];
      q /= g.batch_shape[d];
      ao += c * g.batch_sa[d];
      bo += c * g.batch_sb[d];
      oo += c * g.batch_so[d];
      bio += c * g.batch_sbias[d];
    }
    BP_VEC acc[BP_VTM][BP_VNV];
    _Pragma("unroll") for (int r = 0; r < BP_VTM; ++r)
      _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) acc[r][v] = 0;
    __global const BP_T *bp = b + bo + j0;
    __global const BP_T *ap = a + ao;
    if (full_n) {
      for (long k = 0; k < g.k; ++k) {
        BP_VEC bv[BP_VNV];
        _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) bv[v] = BP_VLOAD(v, bp);
        _Pragma("unroll") for (int r = 0; r < BP_VTM; ++r) {
          const BP_VEC av = (BP_VEC)(ap[arow[r]]);
          _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) acc[r][v] = fma(av, bv[v], acc[r][v]);
        }
        bp += g.sbk;
        ap += g.sak;
      }
    } else { /* the last columns: loads clamped to the last valid one */
      const long last = g.n - 1 - j0;
      for (long k = 0; k < g.k; ++k) {
        BP_T tmp[BP_VTN];
        for (int t = 0; t < BP_VTN; ++t) tmp[t] = bp[min((long)t, last)];
        BP_VEC bv[BP_VNV];
        _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) bv[v] = BP_VLOAD(v, tmp);
        _Pragma("unroll") for (int r = 0; r < BP_VTM; ++r) {
          const BP_VEC av = (BP_VEC)(ap[arow[r]]);
          _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) acc[r][v] = fma(av, bv[v], acc[r][v]);
        }
        bp += g.sbk;
        ap += g.sak;
      }
    }
    _Pragma("unroll") for (int r = 0; r < BP_VTM; ++r) {
      const long row = i0 + r;
      if (row >= g.m) continue;
      __global BP_T *op = out + oo + row * g.som + j0;
      BP_VEC bias_v[BP_VNV];
#ifdef BP_BIAS
      if (g.sbias_n == 0) { /* one bias per row (the convolutions) */
        _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v)
          bias_v[v] = (BP_VEC)(bias[bio + row * g.sbias_m]);
      } else { /* one per column (linear) */
        BP_T tmp[BP_VTN];
        for (long t = 0; t < BP_VTN; ++t)
          tmp[t] = bias[bio + row * g.sbias_m + min(j0 + t, g.n - 1) * g.sbias_n];
        _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) bias_v[v] = BP_VLOAD(v, tmp);
      }
#else
      _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) bias_v[v] = 0;
#endif
      if (full_n) {
        _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) BP_VSTORE(acc[r][v] + bias_v[v], v, op);
      } else {
        BP_T tmp[BP_VTN];
        _Pragma("unroll") for (int v = 0; v < BP_VNV; ++v) BP_VSTORE(acc[r][v] + bias_v[v], v, tmp);
        for (long t = 0; t < BP_VTN && j0 + t < g.n; ++t) op[t] = tmp[t];
      }
    }
  }
}
#endif /* BP_K_VEC */

/* ---- dot products with vectors: f32 and f64 with sak == sbk == 1 ---- */

#ifdef BP_K_NT
/* a @ b with k contiguous in both (x @ weight^T of linear, a @ b^T):
 * each work item BP_NTM rows x BP_NTN columns, each a vector of partial
 * sums over k (BP_VW lanes, fma), added up lane by lane in a tree at
 * the end; the last k % BP_VW terms are added one by one. */
#define BP_NTM 4
#define BP_NTN 4

__kernel void bp_matmul_nt(__global BP_T *out, __global const BP_T *a, __global const BP_T *b,
                           const bp_mm_geom_t g BP_MM_BIAS_ARG) {
  const long j0 = (long)get_global_id(0) * BP_NTN;
  const long i0 = (long)get_global_id(1) * BP_NTM;
  if (j0 >= g.n || i0 >= g.m) return;
  long arow[BP_NTM], bcol[BP_NTN];
  _Pragma("unroll") for (int r = 0; r < BP_NTM; ++r) arow[r] = min(i0 + r, g.m - 1) * g.sam;
  _Pragma("unroll") for (int c = 0; c < BP_NTN; ++c) bcol[c] = min(j0 + c, g.n - 1) * g.sbn;
  const long kv = g.k / BP_VW * BP_VW;
  for (long bt = get_global_id(2); bt < g.batch; bt += get_global_size(2)) {
    long ao = g.a_offset, bo = g.b_offset, oo = g.o_offset, bio = g.bias_offset, q = bt;
    for (int d = (int)g.batch_nd - 1; d >= 0; --d) {
      long c = q % g.batch_shape[d];
      q /= g.batch_shape[d];
      ao += c * g.batch_sa[d];
      bo += c * g.batch_sb[d];
      oo += c * g.batch_so[d];
      bio += c * g.batch_sbias[d];
    }
    __global const BP_T *ap = a + ao;
    __global const BP_T *bp = b + bo;
    BP_VEC acc[BP_NTM][BP_NTN];
    _Pragma("unroll") for (int r = 0; r < BP_NTM; ++r)
      _Pragma("unroll") for (int c = 0; c < BP_NTN; ++c) acc[r][c] = 0;
    for (long k = 0; k < kv; k += BP_VW) {
      BP_VEC av[BP_NTM], bv[BP_NTN];
      _Pragma("unroll") for (int r = 0; r < BP_NTM; ++r) av[r] = BP_VLOAD(0, ap + arow[r] + k);
      _Pragma("unroll") for (int c = 0; c < BP_NTN; ++c) bv[c] = BP_VLOAD(0, bp + bcol[c] + k);
      _Pragma("unroll") for (int r = 0; r < BP_NTM; ++r)
        _Pragma("unroll") for (int c = 0; c < BP_NTN; ++c) acc[r][c] = fma(av[r], bv[c], acc[r][c]);
    }
    _Pragma("unroll") for (int r = 0; r < BP_NTM; ++r) {
      const long row = i0 + r;
      _Pragma("unroll") for (int c = 0; c < BP_NTN; ++c) {
        const long col = j0 + c;
        BP_T lanes[BP_VW];
        BP_VSTORE(acc[r][c], 0, lanes);
        for (int w = BP_VW / 2; w > 0; w /= 2)
          for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
        BP_ACC sum = lanes[0];
        for (long k = kv; k < g.k; ++k) sum = fma(ap[arow[r] + k], bp[bcol[c] + k], sum);
        if (row < g.m && col < g.n) BP_STORE(out, oo + row * g.som + col * g.son, BP_MM_BIAS(sum, bio, row, col));
      }
    }
  }
}
#endif /* BP_K_NT */

/* ---- b transposed into a contiguous [K, N] copy (CPU devices) ---- */

#ifdef BP_K_TRANSPOSE
/* dst[r * cols + c] = src[off + r * s_r + c * s_c]: work item (c, rb)
 * copies rows 16*rb .. 16*rb + 15 of column c; neighbouring items write
 * neighbouring elements. */
__kernel void bp_transpose(__global BP_T *dst, __global const BP_T *src, long off, long rows,
                           long cols, long s_r, long s_c) {
  const long c = get_global_id(0), r0 = (long)get_global_id(1) * 16;
  if (c >= cols) return;
  const long r1 = min(r0 + 16, rows);
  for (long r = r0; r < r1; ++r) dst[r * cols + c] = src[off + r * s_r + c * s_c];
}
#endif /* BP_K_TRANSPOSE */

/* ---- im2col for the convolutions ---- */

/* Must match bp_cl_im2col_geom_t (bp_cl_ops_conv.c). */
typedef struct bp_im2col_geom {
  long n0, nimg, groups, cg, kh, kw, oh, ow, h, w;
  long sn, sc, sh, sw, x_offset;
  long stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
} bp_im2col_geom_t;

#ifdef BP_K_IM2COL
/* col[n, g, (ci*KH + kh)*KW + kw, oh*OW + ow] (contiguous) for images
 * n0 .. n0 + nimg: the input element, or 0 in the padding. Work item
 * (r, j): row r = (ci*KH + kh)*KW + kw of image-group j = n*G + g, all
 * OH*OW columns of it in a loop (no divisions per element): per output
 * row the padding on the left and right is written apart from the run of
 * valid columns, whose copy has no branch (vectorisable; contiguous when
 * stride_w * sw == 1). */
__kernel void bp_im2col(__global BP_T *col, __global const BP_T *x, const bp_im2col_geom_t g) {
  const long kdim = g.cg * g.kh * g.kw;
  const long r = get_global_id(0), j = get_global_id(1);
  if (r >= kdim || j >= g.nimg * g.groups) return;
  const long kw = r % g.kw, kh = (r / g.kw) % g.kh, ci = r / (g.kw * g.kh);
  const long n = j / g.groups + g.n0, cc = (j % g.groups) * g.cg + ci;
  __global BP_T *dst = col + (j * kdim + r) * (g.oh * g.ow);
  __global const BP_T *src = x + g.x_offset + n * g.sn + cc * g.sc;
  /* valid columns: 0 <= ow * stride_w + iw0 < w, i.e. lo <= ow < hi */
  const long iw0 = kw * g.dil_w - g.pad_w;
  long lo = iw0 >= 0 ? 0 : (-iw0 + g.stride_w - 1) / g.stride_w;
  long hi = g.w - iw0 <= 0 ? 0 : (g.w - iw0 + g.stride_w - 1) / g.stride_w;
  hi = min(hi, g.ow);
  lo = min(lo, hi);
  const long step = g.stride_w * g.sw;
  for (long oh = 0; oh < g.oh; ++oh) {
    const long ih = oh * g.stride_h - g.pad_h + kh * g.dil_h;
    if (ih < 0 || ih >= g.h) {
      for (long ow = 0; ow < g.ow; ++ow) dst[ow] = 0;
    } else {
      __global const BP_T *row = src + ih * g.sh + iw0 * g.sw;
      for (long ow = 0; ow < lo; ++ow) dst[ow] = 0;
      if (step == 1) {
        for (long ow = lo; ow < hi; ++ow) dst[ow] = row[ow];
      } else {
        for (long ow = lo; ow < hi; ++ow) dst[ow] = row[ow * step];
      }
      for (long ow = hi; ow < g.ow; ++ow) dst[ow] = 0;
    }
    dst += g.ow;
  }
}

/* Must match bp_cl_pack_geom_t (bp_cl_ops_conv.c). */
typedef struct bp_pack_geom {
  long cout, cg, kh, kw, sn, sc, sh, sw, w_offset, dst_offset;
} bp_pack_geom_t;

/* dst[dst_offset + co * kdim + (ci*KH + kh)*KW + kw] = w[co, ci, kh, kw]
 * (any strides): a weight that is not one strided run, packed for the
 * matmul. Work item (r, co). */
__kernel void bp_pack_weight(__global BP_T *dst, __global const BP_T *w, const bp_pack_geom_t g) {
  const long kdim = g.cg * g.kh * g.kw;
  const long r = get_global_id(0), co = get_global_id(1);
  if (r >= kdim || co >= g.cout) return;
  const long kw = r % g.kw, kh = (r / g.kw) % g.kh, ci = r / (g.kw * g.kh);
  dst[g.dst_offset + co * kdim + r] = w[g.w_offset + co * g.sn + ci * g.sc + kh * g.sh + kw * g.sw];
}
#endif /* BP_K_IM2COL */
