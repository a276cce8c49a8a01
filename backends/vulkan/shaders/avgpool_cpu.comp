#version 450
// avgpool_cpu.comp - f32 avg_pool2d (OPD 0) and avg_pool2d_backward (OPD 2)
// for CPU devices (lavapipe): src/bp_vk_ops_pool.c; reference/src/ref_nn.c
// and ref_nn_backward.c. As maxpool_cpu.comp: every invocation (work
// groups of 8) owns MPC_VECS consecutive vec4s of its contiguous output,
// finds its first element's position by magic-number divisions and steps
// one element at a time; inputs are R32 texels (binding 0, any strides).
// The reference's arithmetic, so bit-identical: the window sum in f64 over
// the window's elements in row-major order, divided in f64 by the divisor
// and rounded once (forward); grad_output / divisor in f64 added in output
// order over the windows covering an element, rounded once (backward).
// (f64 division is correctly rounded on lavapipe, LLVM's fdiv; the ctest
// vulkan_pool_paths compares bytes.)
//  OPD 0: taps KH x KW (specialization constant bits 0..15, 16..31).
//  OPD 2: at most TH x TW windows covering an element (the same bits).
// Words: [0] invocations, [1] H, [2] W, [3] C, [4] OH, [5] OW, [6..8] magic
// numbers for / OW, / OH, / C (OPD 0) or / W, / H, / C (OPD 2), [9..10]
// / sh, / sw, [11] sh, [12] sw, [13] kh, [14] kw, [15] ph, [16] pw, [17]
// count_include_pad, [18] divisor_override (0: none), [19..22] input
// strides (x, or grad_output), [23] its offset, [24] output offset / 4,
// [28] vec4s of output, [29..30] pw / sw and pw % sw, [31..32] ph / sh and
// ph % sh.
#include "common.glsl"
#extension GL_EXT_spirv_intrinsics : require
#extension GL_EXT_control_flow_attributes : require
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 32);
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 64);

layout(set = 1, binding = 0) uniform samplerBuffer tin;
layout(std430, set = 0, binding = 1) buffer Out1 { vec4 o4[]; };
layout(local_size_x = 8) in;
layout(constant_id = 0) const uint SPEC = 0x00010001u;
const uint TA = SPEC & 0xffffu, TB = SPEC >> 16;
#ifndef MPC_VECS
#define MPC_VECS 8u
#endif

uint qdiv(uint a, uint m) {
  uint hi, lo;
  umulExtended(a, m, hi, lo);
  return m == 0u ? a : hi;
}

int H, W;

// Window (oh, ow): rows [h0, h1), columns [w0, w1) of the input and its
// divisor; 0 where the reference writes 0 (empty window or divisor <= 0).
int window(int oh, int ow, out int h0, out int h1, out int w0, out int w1) {
  int sh = int(P(11)), sw = int(P(12)), kh = int(P(13)), kw = int(P(14)), ph = int(P(15)), pw = int(P(16));
  h0 = oh * sh - ph;
  w0 = ow * sw - pw;
  h1 = min(h0 + kh, H + ph);
  w1 = min(w0 + kw, W + pw);
  int pool = (h1 - h0) * (w1 - w0);
  h0 = max(h0, 0);
  w0 = max(w0, 0);
  h1 = min(h1, H);
  w1 = min(w1, W);
  int ov = int(P(18));
  int div = ov != 0 ? ov : P(17) != 0u ? pool : (h1 - h0) * (w1 - w0);
  return h0 >= h1 || w0 >= w1 || div <= 0 ? 0 : div;
}

// A sum from +0 is never -0 (a folded first 0 + x may keep it): +0 in
// f64 bits, then rounded once (a tiny negative quotient still rounds to -0,
// as in the reference).
float plus0(double v) {
  uvec2 b = unpackDouble2x32(v);
  return float(b.x == 0u && b.y == 0x80000000u ? 0.0LF : v);
}

void main() {
  uint inv = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 8u + gl_LocalInvocationID.x;
  if (inv >= P(0)) return;
  H = int(P(1));
  W = int(P(2));
  uint C = P(3), OH = P(4), OW = P(5);
  uint e = inv * (4u * MPC_VECS);
#if OPD == 0
  uint q = qdiv(e, P(6));
  uint ow = e - q * OW;
  uint nc = qdiv(q, P(7));
  uint oh = q - nc * OH;
  uint n = qdiv(nc, P(8));
  uint c = nc - n * C;
#else
  uint sh = P(11), sw = P(12), kh = P(13), kw = P(14), ph = P(15), pw = P(16);
  uint q = qdiv(e, P(6));
  uint iw = e - q * uint(W);
  uint nc = qdiv(q, P(7));
  uint ih = q - nc * uint(H);
  uint n = qdiv(nc, P(8));
  uint c = nc - n * C;
  uint oh = qdiv(ih + ph, P(9)), ow = qdiv(iw + pw, P(10));
  uint rh = ih + ph - oh * sh, rw = iw + pw - ow * sw;
#endif
  [[dont_unroll]] for (uint v = 0u; v < MPC_VECS; ++v) {
    uint vi = inv * MPC_VECS + v;
    if (vi >= P(28)) break;
    vec4 res;
    [[unroll]] for (int j = 0; j < 4; ++j) {
      uint plane = P(23) + n * P(19) + c * P(20);
      int h0, h1, w0, w1;
#if OPD == 0
      int div = window(int(oh), int(ow), h0, h1, w0, w1);
      double sum = 0.0;
      [[unroll]] for (uint a = 0u; a < TA; ++a) {
        int ih = int(oh) * int(P(11)) - int(P(15)) + int(a);
        [[unroll]] for (uint b = 0u; b < TB; ++b) {
          int iw = int(ow) * int(P(12)) - int(P(16)) + int(b);
          bool in_ = ih >= h0 && ih < h1 && iw >= w0 && iw < w1;
          float x = texelFetch(tin, int(in_ ? plane + uint(ih) * P(21) + uint(iw) * P(22) : 0u)).x;
          if (in_) sum += double(x);
        }
      }
      res[j] = div == 0 ? 0.0 : plus0(sum / double(div));
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
#else
      // windows (oh - t, ow - u) whose kernel covers this element, in output order
      double acc = 0.0;
      [[unroll]] for (uint a = 0u; a < TA; ++a) {
        uint t = TA - 1u - a, wh = oh - t;
        bool rowin = oh >= t && wh < OH && rh + t * sh < kh;
        [[unroll]] for (uint b = 0u; b < TB; ++b) {
          uint u = TB - 1u - b, ww = ow - u;
          bool win = rowin && ow >= u && ww < OW && rw + u * sw < kw;
          int div = window(int(wh), int(ww), h0, h1, w0, w1);
          win = win && div != 0 && int(ih) >= h0 && int(ih) < h1 && int(iw) >= w0 && int(iw) < w1;
          float g = texelFetch(tin, int(win ? plane + wh * P(21) + ww * P(22) : 0u)).x;
          if (win) acc += double(g) / double(div);
        }
      }
      res[j] = plus0(acc);
      ++iw;
      ++rw;
      if (rw == sw) { rw = 0u; ++ow; }
      if (iw == uint(W)) {
        iw = 0u; ow = P(29); rw = P(30);
        ++ih;
        ++rh;
        if (rh == sh) { rh = 0u; ++oh; }
        if (ih == uint(H)) {
          ih = 0u; oh = P(31); rh = P(32);
          ++c;
          if (c == C) { c = 0u; ++n; }
        }
      }
#endif
    }
    o4[P(24) + vi] = res;
  }
}
