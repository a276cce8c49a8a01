/* bp_norm.cl - batch_norm, group_norm, rms_norm and the backward ops of
 * batch_norm and group_norm, as reference/src/ref_nn2_norm.c and
 * ref_nn_backward_norm.c define them: two passes for the statistics (mean,
 * then the squared deviations), in BP_ACC. One work group per statistic
 * (a channel for batch_norm, an (image, group) pair for group_norm, a row
 * for rms_norm) sums in local memory in a fixed order: the same bits every
 * run. */
#define A BP_ACC

/* Must match bp_cl_norm_p_t (bp_cl_ops_norm.c). kind: 0 batch, 1 group, 2 rms. */
typedef struct bp_norm_p {
  long kind, groups, m, r, cg, G, lead, k;
  long has_w, has_b, training, has_rs;
  long w_off, w_st, b_off, b_st, rm_off, rm_st, rv_off, rv_st;
  long sm_off, sm_st0, sm_st1, si_off, si_st0, si_st1;
  long gw_off, gw_st, gb_off, gb_st;
} bp_norm_p_t;

/* Offset in t of element e of statistic grp. */
static inline long bp_norm_off(const bp_tv_t *t, const bp_norm_p_t *p, long grp, long e) {
  if (p->kind == 2) return t->off + bp_tv_sub(t, 0, (int)p->lead, grp) + bp_tv_sub(t, (int)p->lead, (int)p->k, e);
  long i, ch;
  if (p->kind == 0) {
    i = e / p->r;
    ch = grp;
  } else {
    i = grp / p->G;
    ch = (grp % p->G) * p->cg + e / p->r;
  }
  return t->off + i * t->st[0] + ch * t->st[1] + bp_tv_sub(t, 2, (int)t->nd - 2, e % p->r);
}

/* Channel of element e of statistic grp (batch and group norm). */
static inline long bp_norm_chan(const bp_norm_p_t *p, long grp, long e) {
  return p->kind == 0 ? grp : (grp % p->G) * p->cg + e / p->r;
}

/* Offset of statistic grp in the saved mean (s == 0) or rstd (s == 1). */
static inline long bp_stat_off(const bp_norm_p_t *p, long grp, int s) {
  const long off = s ? p->si_off : p->sm_off, st0 = s ? p->si_st0 : p->sm_st0;
  const long st1 = s ? p->si_st1 : p->sm_st1;
  if (p->kind == 0) return off + grp * st0;
  return off + (grp / p->G) * st0 + (grp % p->G) * st1;
}

#ifdef BP_WG
/* The sum of v over the work group, in a fixed order. */
static inline A bp_wg_sum(__local A *scratch, A v) {
  const int j = get_local_id(0), L = get_local_size(0);
  barrier(CLK_LOCAL_MEM_FENCE);
  scratch[j] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int h = L / 2; h > 0; h >>= 1) {
    if (j < h) scratch[j] += scratch[j + h];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  return scratch[0];
}
#define BP_LID ((int)get_local_id(0))
#define BP_LSZ ((int)get_local_size(0))
#else
/* CPU devices (no BP_WG): one work item per statistic, no barriers (which
 * PoCL is slow to compile). */
#define bp_wg_sum(scratch, v) (v)
#define BP_LID 0
#define BP_LSZ 1
#endif

#ifdef BP_K_FWD
/* wv, sv: rms_norm's weight and rstd views (the others take theirs from p). */
__kernel void bp_norm_fwd(__global const BP_T *x, const bp_tv_t xv, __global BP_T *y,
                          const bp_tv_t yv, __global const BP_T *w, __global const BP_T *b,
                          __global BP_T *rm, __global BP_T *rv, __global BP_T *sm,
                          __global BP_T *si, const bp_tv_t wv, const bp_tv_t sv,
                          const bp_norm_p_t p, const A eps, const A momentum,
                          __local A *scratch) {
  const int j = BP_LID, L = BP_LSZ;
  const long m = p.m;
  for (long grp = get_group_id(0); grp < p.groups; grp += get_num_groups(0)) {
    A mean = 0, rstd, unbiased = 0;
    if (p.kind == 0 && !p.training) {
      mean = (A)BP_LD(rm, p.rm_off + grp * p.rm_st);
      rstd = (A)1 / sqrt((A)BP_LD(rv, p.rv_off + grp * p.rv_st) + eps);
    } else {
      if (p.kind != 2) {
        A s = 0;
        for (long e = j; e < m; e += L) s += (A)BP_LD(x, bp_norm_off(&xv, &p, grp, e));
        s = bp_wg_sum(scratch, s);
        mean = m ? s / (A)m : (A)NAN;
      }
      A q = 0;
      for (long e = j; e < m; e += L) {
        A v = (A)BP_LD(x, bp_norm_off(&xv, &p, grp, e)) - mean;
        q += v * v;
      }
      q = bp_wg_sum(scratch, q);
      rstd = (A)1 / sqrt((m ? q / (A)m : (A)NAN) + eps);
      unbiased = m > 1 ? q / (A)(m - 1) : (A)NAN;
    }
    for (long e = j; e < m; e += L) {
      A v = ((A)BP_LD(x, bp_norm_off(&xv, &p, grp, e)) - mean) * rstd;
      if (p.kind == 2) {
        if (p.has_w) v *= (A)BP_LD(w, wv.off + bp_tv_sub(&wv, 0, (int)p.k, e));
      } else {
        const long ch = bp_norm_chan(&p, grp, e);
        const A scale = p.has_w ? (A)BP_LD(w, p.w_off + ch * p.w_st) : (A)1;
        const A shift = p.has_b ? (A)BP_LD(b, p.b_off + ch * p.b_st) : (A)0;
        v = v * scale + shift;
      }
      BP_STA(y, bp_norm_off(&yv, &p, grp, e), v);
    }
    if (j == 0) {
      if (p.kind == 2) {
        BP_STA(si, sv.off + bp_tv_sub(&sv, 0, (int)p.lead, grp), rstd);
      } else {
        BP_STA(sm, bp_stat_off(&p, grp, 0), mean);
        BP_STA(si, bp_stat_off(&p, grp, 1), rstd);
      }
      if (p.kind == 0 && p.training && p.has_rs) {
        const long mo = p.rm_off + grp * p.rm_st, vo = p.rv_off + grp * p.rv_st;
        const A old_m = (A)BP_LD(rm, mo), old_v = (A)BP_LD(rv, vo);
        BP_STA(rm, mo, ((A)1 - momentum) * old_m + momentum * mean);
        BP_STA(rv, vo, ((A)1 - momentum) * old_v + momentum * unbiased);
      }
    }
  }
}

#endif

#ifdef BP_K_BWD
/* grad_input per statistic (and, for batch_norm, whose statistics are the
 * channels, grad_weight and grad_bias):
 *   gx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 * (batch_norm in eval: gx = dxhat * rstd). */
__kernel void bp_norm_bwd(__global const BP_T *g, const bp_tv_t gv, __global const BP_T *x,
                          const bp_tv_t xv, __global BP_T *gx, const bp_tv_t gxv,
                          __global const BP_T *w, __global const BP_T *sm,
                          __global const BP_T *si, __global BP_T *gw, __global BP_T *gb,
                          const bp_norm_p_t p, __local A *scratch) {
  const int j = BP_LID, L = BP_LSZ;
  const long m = p.m;
  for (long grp = get_group_id(0); grp < p.groups; grp += get_num_groups(0)) {
    const A mean = (A)BP_LD(sm, bp_stat_off(&p, grp, 0)), rstd = (A)BP_LD(si, bp_stat_off(&p, grp, 1));
    A sd = 0, sdx = 0, sg = 0, sgx = 0;
    for (long e = j; e < m; e += L) {
      const long ch = bp_norm_chan(&p, grp, e);
      const A gg = (A)BP_LD(g, bp_norm_off(&gv, &p, grp, e));
      const A xhat = ((A)BP_LD(x, bp_norm_off(&xv, &p, grp, e)) - mean) * rstd;
      const A dxhat = gg * (p.has_w ? (A)BP_LD(w, p.w_off + ch * p.w_st) : (A)1);
      sd += dxhat;
      sdx += dxhat * xhat;
      sg += gg;
      sgx += gg * xhat;
    }
    sd = bp_wg_sum(scratch, sd);
    sdx = bp_wg_sum(scratch, sdx);
    if (p.kind == 0) {
      sg = bp_wg_sum(scratch, sg);
      sgx = bp_wg_sum(scratch, sgx);
      if (j == 0) {
        BP_STA(gw, p.gw_off + grp * p.gw_st, sgx);
        BP_STA(gb, p.gb_off + grp * p.gb_st, sg);
      }
    }
    const A md = m ? sd / (A)m : (A)0, mdx = m ? sdx / (A)m : (A)0;
    const bool train = p.kind != 0 || p.training;
    for (long e = j; e < m; e += L) {
      const long ch = bp_norm_chan(&p, grp, e);
      const A xhat = ((A)BP_LD(x, bp_norm_off(&xv, &p, grp, e)) - mean) * rstd;
      const A dxhat = (A)BP_LD(g, bp_norm_off(&gv, &p, grp, e)) *
                      (p.has_w ? (A)BP_LD(w, p.w_off + ch * p.w_st) : (A)1);
      BP_STA(gx, bp_norm_off(&gxv, &p, grp, e),
             train ? rstd * (dxhat - md - xhat * mdx) : dxhat * rstd);
    }
  }
}

#endif

#ifdef BP_K_GNWB
/* group_norm's grad_weight and grad_bias: one work group per channel c,
 * over the images and c's elements. */
__kernel void bp_gn_bwd_wb(__global const BP_T *g, const bp_tv_t gv, __global const BP_T *x,
                           const bp_tv_t xv, __global const BP_T *sm, __global const BP_T *si,
                           __global BP_T *gw, __global BP_T *gb, const bp_norm_p_t p,
                           const long n, __local A *scratch) {
  const int j = BP_LID, L = BP_LSZ;
  const long C = p.G * p.cg, count = n * p.r;
  for (long c = get_group_id(0); c < C; c += get_num_groups(0)) {
    A sg = 0, sgx = 0;
    for (long e = j; e < count; e += L) {
      const long i = e / p.r, q = e % p.r, grp = i * p.G + c / p.cg;
      const long xo = xv.off + i * xv.st[0] + c * xv.st[1] + bp_tv_sub(&xv, 2, (int)xv.nd - 2, q);
      const long go = gv.off + i * gv.st[0] + c * gv.st[1] + bp_tv_sub(&gv, 2, (int)gv.nd - 2, q);
      const A mean = (A)BP_LD(sm, bp_stat_off(&p, grp, 0)), rstd = (A)BP_LD(si, bp_stat_off(&p, grp, 1));
      const A gg = (A)BP_LD(g, go);
      sg += gg;
      sgx += gg * (((A)BP_LD(x, xo) - mean) * rstd);
    }
    sg = bp_wg_sum(scratch, sg);
    sgx = bp_wg_sum(scratch, sgx);
    if (j == 0) {
      BP_STA(gw, p.gw_off + c * p.gw_st, sgx);
      BP_STA(gb, p.gb_off + c * p.gb_st, sg);
    }
  }
}
#endif
