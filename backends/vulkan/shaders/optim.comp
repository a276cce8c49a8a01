#version 450
// optim.comp - sgd_step (OPD 0) and adamw_step (OPD 1), one invocation per
// element, torch.optim's single-tensor order of operations
// (reference/src/ref_train.c), computed in FT and rounded once. Tensors:
// the inputs then the outputs (an output may be its input: each element is
// read before it is written). Extra words (BP_EWN_EXTRA): FT constants.
#include "common.glsl"
#include "ftypes.glsl"
#include "ewn.glsl"
layout(local_size_x = 256) in;
BUF(1, t0);
BUF(2, t1);
BUF(3, t2);
BUF(4, t3);
BUF(5, t4);
#if OPD == 1
BUF(6, t5);
BUF(7, t6);
#endif

FT cst(uint i) {
#if DT == 9
  return packDouble2x32(uvec2(P(BP_EWN_EXTRA + 2u * i), P(BP_EWN_EXTRA + 2u * i + 1u)));
#else
  return uintBitsToFloat(P(BP_EWN_EXTRA + i));
#endif
}

#ifdef OPT_VEC4
// f32 on CPU drivers, every operand one unit-stride dim at an offset in
// whole vec4s, numel a multiple of 4 (src/bp_vk_ops_ewn.c): param, grad and
// the first state read as vec4 texels (set 1, bindings 0..2), adamw's
// exp_avg_sq as vec4s from its storage buffer, the outputs stored one vec4
// per access; 4 vec4s per invocation. The same operations as below, per
// component.
layout(set = 1, binding = 0) uniform samplerBuffer tP;
layout(set = 1, binding = 1) uniform samplerBuffer tG;
layout(set = 1, binding = 2) uniform samplerBuffer tS;
#if OPD == 0
layout(std430, set = 0, binding = 4) writeonly buffer O0 { vec4 o0[]; };
layout(std430, set = 0, binding = 5) writeonly buffer O1 { vec4 o1[]; };
#else
layout(std430, set = 0, binding = 4) readonly buffer I3 { vec4 i3[]; };
layout(std430, set = 0, binding = 5) writeonly buffer O0 { vec4 o0[]; };
layout(std430, set = 0, binding = 6) writeonly buffer O1 { vec4 o1[]; };
layout(std430, set = 0, binding = 7) writeonly buffer O2 { vec4 o2[]; };
#endif
#define Q(k) int(P(10u + 9u * (k)) >> 2)
void main() {
  uint n4 = P(0) >> 2;
  uint q0 = bp_linear_id() * 4u;
  if (q0 >= n4) return;
  for (uint j = 0u; j < 4u; ++j) {
    uint q = min(q0 + j, n4 - 1u);
#if OPD == 0
    uint flags = P(BP_EWN_EXTRA + 8u);
    vec4 param = texelFetch(tP, Q(0u) + int(q)), g = texelFetch(tG, Q(1u) + int(q)), buf = texelFetch(tS, Q(2u) + int(q));
    float lr = cst(0u), momentum = cst(1u), one_m_damp = cst(2u), wd = cst(3u);
    precise vec4 d = (flags & 2u) != 0u ? -g : g;
    if (wd != 0.0) d = d + wd * param;
    if (momentum != 0.0) {
      buf = (flags & 4u) != 0u ? d : momentum * buf + one_m_damp * d;
      d = (flags & 1u) != 0u ? d + momentum * buf : buf;
    }
    precise vec4 p2 = param - lr * d;
    if (q0 + j < n4) {
      o0[Q(3u) + int(q)] = p2;
      o1[Q(4u) + int(q)] = buf;
    }
#else
    uint flags = P(BP_EWN_EXTRA + 16u);
    vec4 param = texelFetch(tP, Q(0u) + int(q)), g = texelFetch(tG, Q(1u) + int(q)), m = texelFetch(tS, Q(2u) + int(q));
    vec4 v = i3[Q(3u) + int(q)];
    if ((flags & 2u) != 0u) g = -g;
    precise vec4 p = param * cst(0u);
    precise vec4 m2 = cst(1u) * m + cst(2u) * g;
    precise vec4 v2 = cst(3u) * v + cst(4u) * g * g;
    precise vec4 denom = sqrt(v2) / cst(5u) + cst(6u);
    precise vec4 p2 = p - cst(7u) * m2 / denom;
    if (q0 + j < n4) {
      o0[Q(4u) + int(q)] = p2;
      o1[Q(5u) + int(q)] = m2;
      o2[Q(6u) + int(q)] = v2;
    }
#endif
  }
}
#else
void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  uint off[BP_EWN_MAX];
#if OPD == 0
  bp_ewn_offsets(idx, 5u, off);
  // words: lr, momentum, 1 - dampening, wd; flags: 1 nesterov, 2 maximize, 4 first step
  uint flags = P(BP_EWN_EXTRA + 8u);
  FT param = LD(t0, off[0]), g = LD(t1, off[1]), buf = LD(t2, off[2]);
  FT lr = cst(0u), momentum = cst(1u), one_m_damp = cst(2u), wd = cst(3u);
  precise FT d = (flags & 2u) != 0u ? -g : g;
  if (wd != FT(0)) d = d + wd * param;
  if (momentum != FT(0)) {
    buf = (flags & 4u) != 0u ? d : momentum * buf + one_m_damp * d;
    d = (flags & 1u) != 0u ? d + momentum * buf : buf;
  }
  precise FT p2 = param - lr * d;
  ST(t3, off[3], p2);
  ST(t4, off[4], buf);
#else
  bp_ewn_offsets(idx, 7u, off);
  // words: decay, beta1, 1 - beta1, beta2, 1 - beta2, bc2_sqrt, eps, step_size; flags: 2 maximize
  uint flags = P(BP_EWN_EXTRA + 16u);
  FT param = LD(t0, off[0]), g = LD(t1, off[1]), m = LD(t2, off[2]), v = LD(t3, off[3]);
  if ((flags & 2u) != 0u) g = -g;
  precise FT p = param * cst(0u);
  precise FT m2 = cst(1u) * m + cst(2u) * g;
  precise FT v2 = cst(3u) * v + cst(4u) * g * g;
  precise FT denom = sqrt(v2) / cst(5u) + cst(6u);
  precise FT p2 = p - cst(7u) * m2 / denom;
  ST(t4, off[4], p2);
  ST(t5, off[5], m2);
  ST(t6, off[6], v2);
#endif
}
#endif
