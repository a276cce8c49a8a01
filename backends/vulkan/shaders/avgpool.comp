#version 450
// avgpool.comp - avg_pool2d (OPD 0), adaptive_avg_pool2d (OPD 1) and their
// backward ops (OPD 2, 3): reference/src/ref_nn.c and ref_nn_backward.c.
// Tensors [N, C, H, W]: forward x (1), out (2); backward grad_output (1),
// x (2, unused), grad_input (3). The backward gathers, for each input
// element, the shares of the windows that contain it in output order (the
// reference's order of additions). Floats in FT; i64 (DT 5, forward avg
// only) sums wrapping and divides truncating. Words: [0] invocations,
// [1] N, [2] C, [3] H, [4] W, [5..8] x strides, [9] x offset, [10] OH,
// [11] OW, [12..15] out (grad_output) strides, [16] its offset, [22..23]
// kernel, [24..25] stride, [26..27] padding, [28] count_include_pad,
// [29] divisor_override (0: none), [30..33] grad_input strides, [34] its
// offset.
#include "common.glsl"
#if DT == 5
#define FT int64_t
#define STYPE int64_t
#define LD(b, i) b[i]
#define ST(b, i, v) b[i] = v
#define BUF(n, name) layout(std430, set = 0, binding = n) buffer Buf##n { int64_t name[]; }
#else
#include "ftypes.glsl"
#endif
layout(local_size_x = 256) in;
BUF(1, t0);
#if OPD <= 1
BUF(2, to);
#else
BUF(3, tg);
#endif

int H, W, OH, OW;

// Window (oh, ow) of the forward: [h0, h1) x [w0, w1) and its divisor
// (<= 0: the output is 0, nothing flows back).
void window(int oh, int ow, out int h0, out int h1, out int w0, out int w1, out int div) {
#if OPD == 0 || OPD == 2
  int kh = int(P(22)), kw = int(P(23)), sh = int(P(24)), sw = int(P(25)), ph = int(P(26)), pw = int(P(27));
  h0 = oh * sh - ph;
  w0 = ow * sw - pw;
  h1 = min(h0 + kh, H + ph);
  w1 = min(w0 + kw, W + pw);
  int pool = (h1 - h0) * (w1 - w0);
  h0 = max(h0, 0);
  w0 = max(w0, 0);
  h1 = min(h1, H);
  w1 = min(w1, W);
  int ov = int(P(29));
  div = ov != 0 ? ov : P(28) != 0u ? pool : (h1 - h0) * (w1 - w0);
  if (h0 >= h1 || w0 >= w1) div = 0;
#else
  h0 = oh * H / OH;
  h1 = ((oh + 1) * H + OH - 1) / OH;
  w0 = ow * W / OW;
  w1 = ((ow + 1) * W + OW - 1) / OW;
  div = (h1 - h0) * (w1 - w0);
#endif
}

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  int C = int(P(2));
  H = int(P(3));
  W = int(P(4));
  OH = int(P(10));
  OW = int(P(11));
  int h0, h1, w0, w1, div;
#if OPD <= 1
  int ow = int(idx % uint(OW)), r = int(idx / uint(OW));
  int oh = r % OH;
  r /= OH;
  int c = r % C, n = r / C;
  window(oh, ow, h0, h1, w0, w1, div);
  uint plane = P(9) + uint(n) * P(5) + uint(c) * P(6);
  FT sum = FT(0);
  for (int ih = h0; ih < h1; ++ih)
    for (int iw = w0; iw < w1; ++iw) sum += LD(t0, plane + uint(ih) * P(7) + uint(iw) * P(8));
  FT v = div <= 0 ? FT(0) : sum / FT(div);
  ST(to, P(16) + uint(n) * P(12) + uint(c) * P(13) + uint(oh) * P(14) + uint(ow) * P(15), v);
#else
  int iw = int(idx % uint(W)), r = int(idx / uint(W));
  int ih = r % H;
  r /= H;
  int c = r % C, n = r / C;
#if OPD == 2
  int kh = int(P(22)), kw = int(P(23)), sh = int(P(24)), sw = int(P(25)), ph = int(P(26)), pw = int(P(27));
  int ohlo = max(0, (ih + ph - kh + sh) / sh - 1), ohhi = min(OH - 1, (ih + ph) / sh);
  int owlo = max(0, (iw + pw - kw + sw) / sw - 1), owhi = min(OW - 1, (iw + pw) / sw);
#else
  int ohlo = max(0, ih * OH / H - 2), ohhi = min(OH - 1, (ih + 1) * OH / H + 2);
  int owlo = max(0, iw * OW / W - 2), owhi = min(OW - 1, (iw + 1) * OW / W + 2);
#endif
  uint gb = P(16) + uint(n) * P(12) + uint(c) * P(13);
  FT acc = FT(0);
  for (int oh = ohlo; oh <= ohhi; ++oh)
    for (int ow = owlo; ow <= owhi; ++ow) {
      window(oh, ow, h0, h1, w0, w1, div);
      if (div <= 0 || ih < h0 || ih >= h1 || iw < w0 || iw >= w1) continue;
      precise FT share = LD(t0, gb + uint(oh) * P(14) + uint(ow) * P(15)) / FT(div);
      acc += share;
    }
  ST(tg, P(34) + uint(n) * P(30) + uint(c) * P(31) + uint(ih) * P(32) + uint(iw) * P(33), acc);
#endif
}
