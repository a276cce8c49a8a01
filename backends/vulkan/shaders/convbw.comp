#version 450
// convbw.comp - conv2d_backward (reference/src/ref_nn_backward.c) as three
// gathers, MODE a specialization constant: 0 grad_input (one invocation
// per x element: the grad_output terms of the windows that read it),
// 1 grad_weight (one work group of 256 per weight element: its invocations
// take rows (n, oh) of the N*OH*OW terms, added in a tree), 2 grad_bias
// (one work group per output channel, the same way). FT
// math (f32 for bf16/f32, f64 for f64), rounded once. Tensors [N, C, H, W]
// (N = 1 for 3-D): grad_output (1), x (2), weight (3), grad_input (4),
// grad_weight (5), grad_bias (6). Words: [0] invocations (MODE 0) or
// groups, [1] N, [2] C, [3] H, [4] W, [5..8] x strides, [9] x offset,
// [10] OC, [11] OH, [12] OW, [13..16] grad_output strides, [17] its offset,
// [18..21] weight strides, [22] its offset, [23] channels per group,
// [24] KH, [25] KW, [26..27] stride, [28..29] padding (left), [30..31]
// dilation, [32] output channels per group, [33..36] grad_input strides,
// [37] its offset, [38..41] grad_weight strides, [42] its offset, [43]
// grad_bias stride, [44] its offset.
#include "common.glsl"
#include "ftypes.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint MODE = 0;
BUF(1, tg);
BUF(2, tx);
BUF(3, tw);
BUF(4, tgx);
BUF(5, tgw);
BUF(6, tgb);
shared FT red[256];

FT tree_sum(FT v, uint lid) {
  red[lid] = v;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) red[lid] += red[lid + s];
    barrier();
  }
  return red[0];
}

uint goff(int n, int oc, int oh, int ow) {
  return P(17) + uint(n) * P(13) + uint(oc) * P(14) + uint(oh) * P(15) + uint(ow) * P(16);
}

void main() {
  int N = int(P(1)), C = int(P(2)), H = int(P(3)), W = int(P(4));
  int OC = int(P(10)), OH = int(P(11)), OW = int(P(12));
  int CG = int(P(23)), KH = int(P(24)), KW = int(P(25));
  int sh = int(P(26)), sw = int(P(27)), ph = int(P(28)), pw = int(P(29)), dh = int(P(30)), dw = int(P(31));
  int coutg = int(P(32));
  if (MODE == 0u) {
    uint idx = bp_linear_id();
    if (idx >= P(0)) return;
    int iw = int(idx % uint(W)), r = int(idx / uint(W));
    int ih = r % H;
    r /= H;
    int c = r % C, n = r / C;
    int grp = c / CG, ci = c % CG;
    FT acc = FT(0);
    for (int oc = grp * coutg; oc < (grp + 1) * coutg; ++oc)
      for (int a = 0; a < KH; ++a) {
        int th = ih + ph - a * dh;
        if (th < 0 || th % sh != 0 || th / sh >= OH) continue;
        for (int b = 0; b < KW; ++b) {
          int tw_ = iw + pw - b * dw;
          if (tw_ < 0 || tw_ % sw != 0 || tw_ / sw >= OW) continue;
          uint wo = P(22) + uint(oc) * P(18) + uint(ci) * P(19) + uint(a) * P(20) + uint(b) * P(21);
          acc += LD(tg, goff(n, oc, th / sh, tw_ / sw)) * LD(tw, wo);
        }
      }
    ST(tgx, P(37) + uint(n) * P(33) + uint(c) * P(34) + uint(ih) * P(35) + uint(iw) * P(36), acc);
    return;
  }
  uint grpid = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (grpid >= P(0)) return;  // uniform per work group
  uint lid = gl_LocalInvocationID.x;
  uint rows = uint(N * OH);
  FT acc = FT(0);
  if (MODE == 1u) {
    int b = int(grpid % uint(KW)), r = int(grpid / uint(KW));
    int a = r % KH;
    r /= KH;
    int ci = r % CG, oc = r / CG;
    int c = (oc / coutg) * CG + ci;
    // ow with 0 <= ow * sw - pw + b * dw < W
    int base_w = b * dw - pw;
    int ow0 = base_w >= 0 ? 0 : (-base_w + sw - 1) / sw;
    int ow1 = min(OW, (W - base_w + sw - 1) / sw);
    for (uint t = lid; t < rows; t += 256u) {
      int oh = int(t % uint(OH)), n = int(t / uint(OH));
      int ih = oh * sh - ph + a * dh;
      if (ih < 0 || ih >= H) continue;
      uint gi = goff(n, oc, oh, 0), xi = P(9) + uint(n) * P(5) + uint(c) * P(6) + uint(ih) * P(7);
      for (int ow = ow0; ow < ow1; ++ow)
        acc += LD(tg, gi + uint(ow) * P(16)) * LD(tx, xi + uint(ow * sw + base_w) * P(8));
    }
    FT s = tree_sum(acc, lid);
    if (lid == 0u) ST(tgw, P(42) + uint(oc) * P(38) + uint(ci) * P(39) + uint(a) * P(40) + uint(b) * P(41), s);
  } else {
    int oc = int(grpid);
    for (uint t = lid; t < rows; t += 256u) {
      uint gi = goff(int(t / uint(OH)), oc, int(t % uint(OH)), 0);
      for (int ow = 0; ow < OW; ++ow) acc += LD(tg, gi + uint(ow) * P(16));
    }
    FT s = tree_sum(acc, lid);
    if (lid == 0u) ST(tgb, P(44) + uint(oc) * P(43), s);
  }
}
