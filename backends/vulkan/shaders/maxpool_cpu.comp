#version 450
// maxpool_cpu.comp - f32 max_pool2d (OPD 0) and max_pool2d_backward
// (OPD 1) for CPU devices (lavapipe); src/bp_vk_ops_pool.c.
//
// OPD 0, any window: every invocation owns MPC_VECS x 4 consecutive outputs
// (values and indices contiguous, values in whole vec4s, indices in whole
// pairs), reads x as R32 texels (texel binding 0, any strides) and stores
// the values as vec4s (binding 1) and the indices as uvec4s, two i64 each
// (binding 2). The window loop is the reference's (first in-bounds element
// the default, a larger value or a NaN replaces the running max), over
// kh x kw taps that are specialization constants (bits 0..15, 16..31).
// Words: [0] invocations, [1] H, [2] W, [3] C, [4] OH, [5] OW, [6..8]
// magic numbers for / OW, / OH, / C, [11] sh, [12] sw, [15] ph, [16] pw,
// [17] dh, [18] dw, [19..22] x strides, [23] x offset, [24] values offset
// / 4, [25] indices offset / 2, [28] vec4s of values.
//
// OPD 1: max_pool2d_backward with dilation 1 where the pooling windows do
// not overlap (stride >= kernel, any padding); with ACC64 also where they
// overlap, at most TH x TW windows covering an element (specialization
// constant bits 0..15, 16..31), the terms summed in f64 in output order
// and rounded once (the reference's arithmetic: bit-identical). lavapipe reads and writes storage
// buffers lane by lane (a loop with a bounds check per lane), fetches vec4
// texels with SIMD loads, and scalarizes integer division; so:
//  - every invocation owns MPC_VECS x 4 consecutive elements of grad_input
//    (contiguous, offset and size in whole vec4s) and stores them as
//    vec4s: each element is grad_output of the one window covering it when
//    that window's index names it, else 0 (the reference's 0 + g: -0
//    becomes +0). No scatter, no atomics, no races, deterministic.
//  - grad_output is read as R32 texels (texel binding 0), the i64 indices
//    as R32G32B32A32 texels, two indices per texel (texel binding 1; bits
//    taken as they are).
//  - divisions by the shape are multiplications by magic numbers (the host
//    guarantees dividend * divisor < 2^32, where they are exact).
// Every covered element checks its window's index lies in that window (as
// maxpool.comp does); others set the check word.
// Words: [0] invocations, [1] H, [2] W, [3] C, [4] OH, [5] OW, [6..10]
// magic numbers for / W, / H, / C, / sh, / sw (0: divisor 1), [11] sh,
// [12] sw, [13] kh, [14] kw, [15] ph, [16] pw, [17..20] grad_output strides
// (n, c, h, w), [21] its offset, [22..25] indices strides, [26] its offset,
// [27] grad_input offset / 4, [28] vec4s of grad_input, [29..30] pw / sw
// and pw % sw, [31..32] ph / sh and ph % sh, [35] check word. Each
// invocation owns MPC_VECS consecutive vec4s: the position of its first
// element by division, then stepping one element at a time.
#if OPD == 1
#define BP_PARAMS_CHECKED 1
#endif
#include "common.glsl"
#extension GL_EXT_spirv_intrinsics : require
#extension GL_EXT_control_flow_attributes : require
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 32);

#if OPD == 0
layout(set = 1, binding = 0) uniform samplerBuffer tx;
layout(std430, set = 0, binding = 1) buffer Out1 { vec4 ov[]; };
layout(std430, set = 0, binding = 2) buffer Out2 { uvec4 oi[]; };
layout(constant_id = 0) const uint SPEC = 0x00010001u;
const uint KH = SPEC & 0xffffu, KW = SPEC >> 16;
#else
#ifdef ACC64
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 64);
layout(constant_id = 0) const uint SPEC = 0x00010001u;
const uint TH = SPEC & 0xffffu, TW = SPEC >> 16;
#endif
layout(set = 1, binding = 0) uniform samplerBuffer tg;
layout(set = 1, binding = 1) uniform samplerBuffer ti;
layout(std430, set = 0, binding = 1) buffer Out1 { vec4 o4[]; };
#endif
layout(local_size_x = 8) in;
#ifndef MPC_VECS
#define MPC_VECS 8u
#endif

uint qdiv(uint a, uint m) {
  uint hi, lo;
  umulExtended(a, m, hi, lo);
  return m == 0u ? a : hi;
}

#if OPD == 0
void main() {
  uint inv = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 8u + gl_LocalInvocationID.x;
  if (inv >= P(0)) return;
  int H = int(P(1)), W = int(P(2));
  uint C = P(3), OH = P(4), OW = P(5);
  int sh = int(P(11)), sw = int(P(12)), ph = int(P(15)), pw = int(P(16)), dh = int(P(17)), dw = int(P(18));
  uint e = inv * (4u * MPC_VECS);
  uint q = qdiv(e, P(6));
  uint ow = e - q * OW;
  uint nc = qdiv(q, P(7));
  uint oh = q - nc * OH;
  uint n = qdiv(nc, P(8));
  uint c = nc - n * C;
  [[unroll]] for (uint v = 0u; v < MPC_VECS; ++v) {
    uint vi = inv * MPC_VECS + v;
    if (vi >= P(28)) break;
    vec4 val;
    uvec4 arg2[2];
    [[unroll]] for (int j = 0; j < 4; ++j) {
      uint plane = P(23) + n * P(19) + c * P(20);
      int h0 = int(oh) * sh - ph, w0 = int(ow) * sw - pw;
      int h1 = min(h0 + (int(KH) - 1) * dh + 1, H), w1 = min(w0 + (int(KW) - 1) * dw + 1, W);
      while (h0 < 0) h0 += dh;
      while (w0 < 0) w0 += dw;
      float best = uintBitsToFloat(0xff800000u);
      int arg = h0 * W + w0;
      [[unroll]] for (uint a = 0u; a < KH; ++a) {
        int ih = h0 + int(a) * dh;
        [[unroll]] for (uint b = 0u; b < KW; ++b) {
          int iw = w0 + int(b) * dw;
          bool in_ = ih < h1 && iw < w1;
          float x = texelFetch(tx, int(in_ ? plane + uint(ih) * P(21) + uint(iw) * P(22) : 0u)).x;
          if (in_ && (x > best || isnan(x))) {
            best = x;
            arg = ih * W + iw;
          }
        }
      }
      val[j] = best;
      arg2[j >> 1][(j & 1) * 2] = uint(arg);
      arg2[j >> 1][(j & 1) * 2 + 1] = 0u;
      // next output: column, then row, then plane
      ++ow;
      if (ow == OW) {
        ow = 0u;
        ++oh;
        if (oh == OH) {
          oh = 0u;
          ++c;
          if (c == C) { c = 0u; ++n; }
        }
      }
    }
    ov[P(24) + vi] = val;
    oi[P(25) + 2u * vi] = arg2[0];
    oi[P(25) + 2u * vi + 1u] = arg2[1];
  }
}
#else
void main() {
  uint inv = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 8u + gl_LocalInvocationID.x;
  if (inv >= P(0)) return;
  uint H = P(1), W = P(2), C = P(3), OH = P(4), OW = P(5);
  uint sh = P(11), sw = P(12), kh = P(13), kw = P(14), ph = P(15), pw = P(16);
  uint HW = H * W;
  bool bad = false;
  // the first element's position; then one element at a time
  uint e = inv * (4u * MPC_VECS);
  uint q = qdiv(e, P(6));
  uint iw = e - q * W;
  uint nc = qdiv(q, P(7));
  uint ih = q - nc * H;
  uint n = qdiv(nc, P(8));
  uint c = nc - n * C;
  uint oh = qdiv(ih + ph, P(9)), ow = qdiv(iw + pw, P(10));
  uint rh = ih + ph - oh * sh, rw = iw + pw - ow * sw;
  uint ow0 = P(29), rw0 = P(30); // pw / sw, pw % sw: the first column's
#ifdef ACC64
  [[dont_unroll]] // (up to 16 windows per element: keep the code small)
#else
  [[unroll]]
#endif
  for (uint v = 0u; v < MPC_VECS; ++v) {
    uint vi = inv * MPC_VECS + v;
    if (vi >= P(28)) break;
    vec4 res;
    [[unroll]] for (int j = 0; j < 4; ++j) {
#ifdef ACC64
      // windows (oh - t, ow - u) cover this element where the offsets
      // rh + t*sh, rw + u*sw lie in the kernel; in output order
      double acc = 0.0;
      uint self = ih * W + iw;
      [[unroll]] for (uint a = 0u; a < TH; ++a) {
        uint t = TH - 1u - a, wh = oh - t;
        bool rowin = oh >= t && wh < OH && rh + t * sh < kh;
        [[unroll]] for (uint b = 0u; b < TW; ++b) {
          uint u = TW - 1u - b, ww = ow - u;
          bool win = rowin && ow >= u && ww < OW && rw + u * sw < kw;
          uint go = P(21) + n * P(17) + c * P(18) + wh * P(19) + ww * P(20);
          uint io = P(26) + n * P(22) + c * P(23) + wh * P(24) + ww * P(25);
          float g = texelFetch(tg, int(win ? go : 0u)).x;
          vec4 tv = texelFetch(ti, int(win ? io >> 1 : 0u));
          uint lo = floatBitsToUint((io & 1u) != 0u ? tv.z : tv.x);
          uint hi = floatBitsToUint((io & 1u) != 0u ? tv.w : tv.y);
          bool ok = hi == 0u && lo < HW;
          uint jc = ok ? lo : 0u;
          uint jh = qdiv(jc, P(6));
          uint jw = jc - jh * W;
          int dy = int(jh + ph) - int(wh * sh), dx = int(jw + pw) - int(ww * sw);
          ok = ok && dy >= 0 && dy < int(kh) && dx >= 0 && dx < int(kw);
          bad = bad || (win && !ok);
          if (win && ok && lo == self) acc += double(g);
        }
      }
      // a sum from +0 is never -0 (a folded first 0 + g may keep it)
      uint rb = floatBitsToUint(float(acc));
      res[j] = uintBitsToFloat(rb == 0x80000000u ? 0u : rb);
#else
      bool covered = oh < OH && ow < OW && rh < kh && rw < kw;
      uint go = P(21) + n * P(17) + c * P(18) + oh * P(19) + ow * P(20);
      uint io = P(26) + n * P(22) + c * P(23) + oh * P(24) + ow * P(25);
      float g = texelFetch(tg, int(covered ? go : 0u)).x;
      vec4 t = texelFetch(ti, int(covered ? io >> 1 : 0u));
      uint lo = floatBitsToUint((io & 1u) != 0u ? t.z : t.x);
      uint hi = floatBitsToUint((io & 1u) != 0u ? t.w : t.y);
      bool ok = hi == 0u && lo < HW;
      uint jc = ok ? lo : 0u;
      uint jh = qdiv(jc, P(6));
      uint jw = jc - jh * W;
      // window rows [oh*sh - ph, oh*sh - ph + kh): jh + ph - oh*sh in [0, kh)
      int dy = int(jh + ph) - int(oh * sh), dx = int(jw + pw) - int(ow * sw);
      ok = ok && dy >= 0 && dy < int(kh) && dx >= 0 && dx < int(kw);
      bad = bad || (covered && !ok);
      // 0 + g in bits (a float select-and-add may be folded to g, keeping -0)
      uint gb = floatBitsToUint(g);
      gb = gb == 0x80000000u ? 0u : gb;
      res[j] = uintBitsToFloat(covered && ok && lo == ih * W + iw ? gb : 0u);
#endif
      // next element: column, then row, then plane
      ++iw;
      ++rw;
      if (rw == sw) { rw = 0u; ++ow; }
      if (iw == W) {
        iw = 0u; ow = ow0; rw = rw0;
        ++ih;
        ++rh;
        if (rh == sh) { rh = 0u; ++oh; }
        if (ih == H) {
          ih = 0u; oh = P(31); rh = P(32);
          ++c;
          if (c == C) { c = 0u; ++n; }
        }
      }
    }
    o4[P(27) + vi] = res;
  }
  if (bad) P_SET(35, 1u);
}
#endif
