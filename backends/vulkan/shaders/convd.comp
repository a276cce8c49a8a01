#version 450
// convd.comp - direct convolutions, one invocation per output element:
// OPD 0 conv (conv1d as a 2-D convolution of height 1), OPD 1
// conv_transpose2d (reference/src/ref_nn.c). Floats in f32 (f64 for f64),
// integers in int64 wrapping, rounded or truncated once to the dtype; the
// bias is added after the sum (as the reference's GEMM, then bias).
// Tensors: out (1), x (2), weight (3), bias (4). Words: [0] outputs, [1] N,
// [2] Cin, [3] H, [4] W, [5..8] x strides, [9] x offset, [10] Cout,
// [11] OH, [12] OW, [13..16] out strides, [17] its offset, [18..21] weight
// strides, [22] its offset, [23] input channels per group, [24] KH,
// [25] KW, [26..27] stride, [28..29] padding, [30..31] dilation,
// [32] output channels per group, [33] bias stride, [34] its offset,
// [35] has_bias.
#include "common.glsl"
#define DT_A DT_O
#define DT_B DT_O
#include "types.glsl"
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 4) readonly buffer BufBias { STYPE_O bias[]; };
#if DT_O == 9
#define ACC double
#define LX(i) dA[i]
#define LW(i) dB[i]
#define LBIAS(i) bias[i]
#elif DT_O >= 6
#define ACC float
#define LX(i) LOADF_A(i)
#define LW(i) LOADF_B(i)
#if DT_O == 6
#define LBIAS(i) bp_f16_to_f32(uint(bias[i]))
#elif DT_O == 7
#define LBIAS(i) uintBitsToFloat(uint(bias[i]) << 16)
#else
#define LBIAS(i) bias[i]
#endif
#else
#define ACC int64_t
#define LX(i) int64_t(LOADI_A(i))
#define LW(i) int64_t(LOADI_B(i))
#define LBIAS(i) int64_t(bias[i])
#endif

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  int Cout = int(P(10)), OH = int(P(11)), OW = int(P(12)), H = int(P(3)), W = int(P(4));
  int CG = int(P(23)), KH = int(P(24)), KW = int(P(25)), coutg = int(P(32));
  int sh = int(P(26)), sw = int(P(27)), ph = int(P(28)), pw = int(P(29)), dh = int(P(30)), dw = int(P(31));
  int ow = int(idx % uint(OW)), r = int(idx / uint(OW));
  int oh = r % OH;
  r /= OH;
  int co = r % Cout, n = r / Cout;
  int g = co / coutg;
  uint xn = P(9) + uint(n) * P(5);
  ACC acc = ACC(0);
#if OPD == 0
  for (int ci = 0; ci < CG; ++ci) {
    uint xc = xn + uint(g * CG + ci) * P(6);
    uint wc = P(22) + uint(co) * P(18) + uint(ci) * P(19);
    for (int a = 0; a < KH; ++a) {
      int ih = oh * sh - ph + a * dh;
      if (ih < 0 || ih >= H) continue;
      for (int b = 0; b < KW; ++b) {
        int iw = ow * sw - pw + b * dw;
        if (iw < 0 || iw >= W) continue;
        acc += ACC(LX(xc + uint(ih) * P(7) + uint(iw) * P(8))) * ACC(LW(wc + uint(a) * P(20) + uint(b) * P(21)));
      }
    }
  }
  if (P(35) != 0u) acc += ACC(LBIAS(P(34) + uint(co) * P(33)));
#else
  if (P(35) != 0u) acc = ACC(LBIAS(P(34) + uint(co) * P(33)));
  int cw = co % coutg;
  for (int a = 0; a < KH; ++a) {
    int th = oh + ph - a * dh;
    if (th < 0 || th % sh != 0 || th / sh >= H) continue;
    for (int b = 0; b < KW; ++b) {
      int tw_ = ow + pw - b * dw;
      if (tw_ < 0 || tw_ % sw != 0 || tw_ / sw >= W) continue;
      for (int ci = g * CG; ci < (g + 1) * CG; ++ci) {
        uint xo = xn + uint(ci) * P(6) + uint(th / sh) * P(7) + uint(tw_ / sw) * P(8);
        uint wo = P(22) + uint(ci) * P(18) + uint(cw) * P(19) + uint(a) * P(20) + uint(b) * P(21);
        acc += ACC(LX(xo)) * ACC(LW(wo));
      }
    }
  }
#endif
  uint oo = P(17) + uint(n) * P(13) + uint(co) * P(14) + uint(oh) * P(15) + uint(ow) * P(16);
#if DT_O >= 8
  dO[oo] = STYPE_O(acc);
#elif DT_O >= 6
  STOREF_O(oo, acc);
#elif DT_O == 5
  dO[oo] = acc;
#else
  STOREI_O(oo, int(acc));
#endif
}
