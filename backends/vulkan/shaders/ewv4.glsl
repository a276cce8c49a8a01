// ewv4.glsl - main() of the f32 elementwise shaders' vec4 variants (CPU
// drivers: lavapipe gathers texel fetches with SIMD loads but loads and
// stores storage buffers lane by lane, so a vec4 store costs about what a
// float store does). The including shader defines EW_V4_NIN (1 or 2
// inputs), vec4 bp_v4_op(vec4 x[, vec4 y]), float bp_v1_op(float x[,
// float y]) and OP_MODE, its specialization constant 0: the op in bits
// 0..7, then the layout (EWV_*), so every layout test folds away.
//
// Parameter words: elementwise.glsl's, dims merged (ndim 1 or 2, checked
// by the host, src/bp_vk_texel_ew.c): the output has unit inner stride and
// its offset and outer stride are whole vec4s. An input (uniform texel
// buffer, set 1, binding k - 1 for operand k) is read as vec4 texels
// (R32G32B32A32 view: inner stride 1, offset and outer stride in whole
// vec4s), or one element per row (inner stride 0: its vec4 texel, splat),
// or element by element (EWV_*S: an R32 view, any strides). With two dims
// the inner extent is a multiple of 4; with one, the last numel % 4
// elements are done one by one by the invocation that has the last vec4.
// EW_V4 vec4s per invocation. EWV_VT / EWV_ST / EWV_SAMPLER: the input
// vector, scalar and texel types (vec4, float, samplerBuffer unless
// defined: the raw copy moves uvec4s through UINT views); EWV_OVT /
// EWV_OST: the output's (the input's unless defined: comparisons store 4
// bools as one uint).
#ifndef EWV_VT
#define EWV_VT vec4
#define EWV_ST float
#define EWV_SAMPLER samplerBuffer
#endif
#ifndef EWV_OVT
#define EWV_OVT EWV_VT
#define EWV_OST EWV_ST
#endif
#extension GL_EXT_control_flow_attributes : require
layout(set = 1, binding = 0) uniform EWV_SAMPLER tA;
#if EW_V4_NIN > 1
layout(set = 1, binding = 1) uniform EWV_SAMPLER tB;
#endif
layout(std430, set = 0, binding = 1) writeonly buffer BufO4 { EWV_OVT dO4[]; };
layout(std430, set = 0, binding = 1) writeonly buffer BufO1 { EWV_OST dO1[]; };  // the tail
#define EW_V4 4
const bool EWV_ND2 = (OP_MODE & 256u) != 0u;   // two dims (else one)
const bool EWV_A0 = (OP_MODE & 512u) != 0u;    // input 1 has inner stride 0
const bool EWV_B0 = (OP_MODE & 1024u) != 0u;   // input 2 has inner stride 0
const bool EWV_AS = (OP_MODE & 2048u) != 0u;   // input 1 through an R32 view
const bool EWV_BS = (OP_MODE & 4096u) != 0u;   // input 2 through an R32 view
const bool EWV_TAIL = (OP_MODE & 32768u) != 0u; // one dim, numel % 4 != 0 (else no tail code to compile)

// Element index of the vec4 (row, c4) of operand k (its first element), or
// of its element (inner stride 0).
uint bp_v4_elem(uint k, bool bcast, uint row, uint c4) {
  uint base = 10u + 9u * k;
  uint e = P(base);
  if (EWV_ND2) e += row * P(base + 1u);
  if (!bcast) e += c4 * 4u * P(base + (EWV_ND2 ? 2u : 1u));
  return e;
}
EWV_ST bp_pick(EWV_VT v, uint c) { return c == 0u ? v.x : c == 1u ? v.y : c == 2u ? v.z : v.w; }
EWV_VT bp_v4_fetch(EWV_SAMPLER t, uint k, bool bcast, bool r32, uint row, uint c4) {
  uint e = bp_v4_elem(k, bcast, row, c4);
  if (r32) {
    if (bcast) return EWV_VT(texelFetch(t, int(e)).x);
    uint s = P(10u + 9u * k + (EWV_ND2 ? 2u : 1u));
    return EWV_VT(texelFetch(t, int(e)).x, texelFetch(t, int(e + s)).x, texelFetch(t, int(e + 2u * s)).x,
                texelFetch(t, int(e + 3u * s)).x);
  }
  EWV_VT v = texelFetch(t, int(e >> 2));
  return bcast ? EWV_VT(bp_pick(v, e & 3u)) : v;
}
EWV_ST bp_v1_fetch(EWV_SAMPLER t, uint k, bool r32, uint i) {
  uint e = P(10u + 9u * k) + i * P(11u + 9u * k);
  return r32 ? texelFetch(t, int(e)).x : bp_pick(texelFetch(t, int(e >> 2)), e & 3u);
}

void main() {
  uint rows = EWV_ND2 ? P(2) : 1u;
  uint c4n = (EWV_ND2 ? P(3) : P(0)) >> 2;
  uint n4 = rows * c4n;
  uint q0 = bp_linear_id() * uint(EW_V4);
  if (q0 >= n4) return;
  uint row = 0u, c4 = q0;
  if (EWV_ND2) {
    row = q0 / c4n;
    c4 = q0 - row * c4n;
  }
  EWV_OVT r[EW_V4];
  uint orow[EW_V4], oc4[EW_V4];
  [[unroll]] for (int j = 0; j < EW_V4; ++j) {
    uint rr = row, cc = c4;
    if (EWV_ND2) {
      rr = min(row, rows - 1u);  // past the end: read the last row again, store nothing
      if (++c4 == c4n) {
        c4 = 0u;
        ++row;
      }
    } else {
      cc = min(c4, n4 - 1u);
      ++c4;
    }
    orow[j] = rr;
    oc4[j] = cc;
#if EW_V4_NIN > 1
    r[j] = bp_v4_op(bp_v4_fetch(tA, 1u, EWV_A0, EWV_AS, rr, cc), bp_v4_fetch(tB, 2u, EWV_B0, EWV_BS, rr, cc));
#else
    r[j] = bp_v4_op(bp_v4_fetch(tA, 1u, EWV_A0, EWV_AS, rr, cc));
#endif
  }
  [[unroll]] for (int j = 0; j < EW_V4; ++j)
    if (q0 + uint(j) < n4) dO4[bp_v4_elem(0u, false, orow[j], oc4[j]) >> 2] = r[j];
  if (EWV_TAIL && q0 + uint(EW_V4) >= n4) {
    for (uint i = n4 * 4u; i < P(0); ++i) {
#if EW_V4_NIN > 1
      EWV_OST v = bp_v1_op(bp_v1_fetch(tA, 1u, EWV_AS, i), bp_v1_fetch(tB, 2u, EWV_BS, i));
#else
      EWV_OST v = bp_v1_op(bp_v1_fetch(tA, 1u, EWV_AS, i));
#endif
      dO1[P(10) + i] = v;
    }
  }
}
