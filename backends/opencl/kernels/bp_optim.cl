/* bp_optim.cl - sgd_step, adamw_step and gelu_backward: one work item per
 * element (grid-stride), any layout (bp_mgeom_t), computed in BP_ACC
 * (double where the device has fp64, as the reference) and rounded once.
 * The outputs may be the inputs themselves (in-place steps): each element's
 * inputs are read before its outputs are written. */
#define A BP_ACC

__kernel void bp_sgd(__global BP_T *p, __global BP_T *g, __global BP_T *b, __global BP_T *po,
                     __global BP_T *bo, const bp_mgeom_t m, const A lr, const A momentum,
                     const A dampening, const A wd, const int nesterov, const int maximize,
                     const int first) {
  for (long i = get_global_id(0); i < m.numel; i += get_global_size(0)) {
    const long o0 = bp_mg_at(&m, 0, i), o1 = bp_mg_at(&m, 1, i), o2 = bp_mg_at(&m, 2, i);
    const long o3 = bp_mg_at(&m, 3, i), o4 = bp_mg_at(&m, 4, i);
    A param = (A)BP_LD(p, o0), gr = (A)BP_LD(g, o1), buf = (A)BP_LD(b, o2);
    A d = maximize ? -gr : gr;
    if (wd != (A)0) d += wd * param;
    if (momentum != (A)0) {
      buf = first ? d : momentum * buf + ((A)1 - dampening) * d;
      d = nesterov ? d + momentum * buf : buf;
    }
    BP_STA(po, o3, param - lr * d);
    BP_STA(bo, o4, buf);
  }
}

__kernel void bp_adamw(__global BP_T *p, __global BP_T *g, __global BP_T *ea, __global BP_T *eas,
                       __global BP_T *po, __global BP_T *eao, __global BP_T *easo,
                       const bp_mgeom_t m, const A decay, const A b1, const A b2, const A eps,
                       const A step_size, const A bc2_sqrt, const int maximize) {
  for (long i = get_global_id(0); i < m.numel; i += get_global_size(0)) {
    const long o0 = bp_mg_at(&m, 0, i), o1 = bp_mg_at(&m, 1, i), o2 = bp_mg_at(&m, 2, i);
    const long o3 = bp_mg_at(&m, 3, i), o4 = bp_mg_at(&m, 4, i), o5 = bp_mg_at(&m, 5, i);
    const long o6 = bp_mg_at(&m, 6, i);
    A param = (A)BP_LD(p, o0), gr = (A)BP_LD(g, o1), mm = (A)BP_LD(ea, o2), v = (A)BP_LD(eas, o3);
    if (maximize) gr = -gr;
    param *= decay;
    mm = b1 * mm + ((A)1 - b1) * gr;
    v = b2 * v + ((A)1 - b2) * gr * gr;
    A denom = sqrt(v) / bc2_sqrt + eps;
    BP_STA(po, o4, param - step_size * mm / denom);
    BP_STA(eao, o5, mm);
    BP_STA(easo, o6, v);
  }
}

/* gelu_backward: operands out (0), grad_output (1), x (2). */
__kernel void bp_gelu_bwd(__global BP_T *out, __global const BP_T *g, __global const BP_T *x,
                          const bp_mgeom_t m, const int tanh_approx) {
  const A sqrt2 = (A)1.41421356237309504880, two_sqrtpi = (A)1.12837916709551257390;
  const A sqrt1_2 = (A)0.70710678118654752440;
  const A beta = sqrt2 * two_sqrtpi * (A)0.5, kappa = (A)0.044715;
  for (long i = get_global_id(0); i < m.numel; i += get_global_size(0)) {
    const long o0 = bp_mg_at(&m, 0, i), o1 = bp_mg_at(&m, 1, i), o2 = bp_mg_at(&m, 2, i);
    A v = (A)BP_LD(x, o2), d;
    if (tanh_approx) {
      A t = tanh(beta * (v + kappa * v * v * v));
      d = (A)0.5 * ((A)1 + t) + (A)0.5 * v * ((A)1 - t * t) * beta * ((A)1 + (A)3 * kappa * v * v);
    } else {
      A cdf = (A)0.5 * ((A)1 + erf(v * sqrt1_2));
      A pdf = exp((A)-0.5 * v * v) * two_sqrtpi * sqrt1_2 * (A)0.5;
      d = cdf + v * pdf;
    }
    BP_STA(out, o0, (A)BP_LD(g, o1) * d);
  }
}
