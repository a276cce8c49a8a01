#version 450
// maxpool.comp - max_pool2d (OPD 0; tensors x, values, indices) and
// max_pool2d_backward (OPD 1; tensors grad_output, x, indices, grad_input),
// reference/src/ref_nn.c and ref_nn_backward.c. Both seen as [N, C, H, W].
// Words: [0] invocations, [1] N, [2] C, [3] H, [4] W, [5..8] x strides,
// [9] x offset, [10] OH, [11] OW, [12..15] values (grad_output) strides,
// [16] its offset, [17..20] indices strides, [21] indices offset, [22..23]
// kernel, [24..25] stride, [26..27] padding, [28..29] dilation, [30..33]
// grad_input strides, [34] its offset, [35] check word.
// The backward gathers, for each input element, grad_output of the windows
// that contain it whose index names it, in output order (the reference's
// order of additions). Every index is checked to lie in its own window
// (in particular in the plane): others set the check word. ACC64 (f32 on
// devices with shaderFloat64): the sum in f64, rounded once, as the
// reference does it (bit-identical where windows overlap).
#define BP_PARAMS_WRITABLE 1
#include "common.glsl"
#include "ftypes.glsl"
#ifdef ACC64
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 64);
#define AT double
#else
#define AT FT
#endif
layout(local_size_x = 256) in;
BUF(1, t0);
#if OPD == 0
BUF(2, tv);
IBUF(3, ti);
#else
BUF(2, tx);
IBUF(3, ti);
BUF(4, tg);
#endif

void main() {
  uint idx = bp_linear_id();
  if (idx >= P(0)) return;
  int N = int(P(1)), C = int(P(2)), H = int(P(3)), W = int(P(4)), OH = int(P(10)), OW = int(P(11));
  int kh = int(P(22)), kw = int(P(23)), sh = int(P(24)), sw = int(P(25));
  int ph = int(P(26)), pw = int(P(27)), dh = int(P(28)), dw = int(P(29));
#if OPD == 0
  int ow = int(idx % uint(OW)), r = int(idx / uint(OW));
  int oh = r % OH; r /= OH;
  int c = r % C, n = r / C;
  uint plane = P(9) + uint(n) * P(5) + uint(c) * P(6);
  int h0 = oh * sh - ph, w0 = ow * sw - pw;
  int h1 = min(h0 + (kh - 1) * dh + 1, H), w1 = min(w0 + (kw - 1) * dw + 1, W);
  while (h0 < 0) h0 += dh;
  while (w0 < 0) w0 += dw;
  FT best = FT(uintBitsToFloat(0xff800000u));
  int arg = h0 * W + w0;
  for (int ih = h0; ih < h1; ih += dh)
    for (int iw = w0; iw < w1; iw += dw) {
      FT v = LD(t0, plane + uint(ih) * P(7) + uint(iw) * P(8));
      if (v > best || isnan(v)) {
        best = v;
        arg = ih * W + iw;
      }
    }
  uint vo = P(16) + uint(n) * P(12) + uint(c) * P(13) + uint(oh) * P(14) + uint(ow) * P(15);
  uint io = P(21) + uint(n) * P(17) + uint(c) * P(18) + uint(oh) * P(19) + uint(ow) * P(20);
  ST(tv, vo, best);
  ti[io] = int64_t(arg);
#else
  // check: invocation idx < N*C*OH*OW checks the index of output idx
  if (idx < uint(N * C * OH * OW)) {
    int ow = int(idx % uint(OW)), r = int(idx / uint(OW));
    int oh = r % OH; r /= OH;
    int c = r % C, n = r / C;
    int64_t j = ti[P(21) + uint(n) * P(17) + uint(c) * P(18) + uint(oh) * P(19) + uint(ow) * P(20)];
    bool ok = j >= int64_t(0) && j < int64_t(H * W);
    if (ok) {
      int ih = int(j) / W, iw = int(j) % W;
      int dy = ih - (oh * sh - ph), dx = iw - (ow * sw - pw);
      ok = dy >= 0 && dy % dh == 0 && dy / dh < kh && dx >= 0 && dx % dw == 0 && dx / dw < kw;
    }
    if (!ok) P(35) = 1u;
  }
  if (idx >= uint(N * C * H * W)) return;
  int iw = int(idx % uint(W)), r = int(idx / uint(W));
  int ih = r % H; r /= H;
  int c = r % C, n = r / C;
  // windows oh with oh*sh - ph <= ih <= oh*sh - ph + (kh-1)*dh
  int ohlo = max(0, (ih + ph - (kh - 1) * dh + sh - 1) / sh), ohhi = min(OH - 1, (ih + ph) / sh);
  int owlo = max(0, (iw + pw - (kw - 1) * dw + sw - 1) / sw), owhi = min(OW - 1, (iw + pw) / sw);
  if (ih + ph - (kh - 1) * dh < 0) ohlo = 0;
  if (iw + pw - (kw - 1) * dw < 0) owlo = 0;
  int64_t self = int64_t(ih * W + iw);
  AT acc = AT(0);
  uint gbase = P(16) + uint(n) * P(12) + uint(c) * P(13);
  uint ibase = P(21) + uint(n) * P(17) + uint(c) * P(18);
  for (int oh = ohlo; oh <= ohhi; ++oh)
    for (int ow = owlo; ow <= owhi; ++ow)
      if (ti[ibase + uint(oh) * P(19) + uint(ow) * P(20)] == self)
        acc += AT(LD(t0, gbase + uint(oh) * P(14) + uint(ow) * P(15)));
  ST(tg, P(34) + uint(n) * P(30) + uint(c) * P(31) + uint(ih) * P(32) + uint(iw) * P(33), FT(acc));
#endif
}
