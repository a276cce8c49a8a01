#version 450
// conv2d.comp - f32 2-D convolution as an implicit GEMM per (image, group):
// out[c, p] = bias[c] + sum_r w[c, r] * x[r, p], r = (ci, kh, kw) over the
// group's input channels and the kernel, p = (oh, ow). The x column is
// never stored: each term is read from x with the stride, padding (zero
// outside) and dilation of the call. x, w and bias are read as texels
// (set 1: binding 0 x and 1 bias as R32, binding 2 w as R32, or as vec4
// rows along r with CONV_WVEC4: w contiguous, r count and offset in whole
// vec4s). A work group of CONV_WG invocations computes CONV_TM output
// channels x CONV_WG * CONV_TN positions, CONV_TN consecutive positions per
// invocation.
// f32 accumulation (fma), the bias added last, as reference/src/ref_nn.c.
// Parameter words (src/bp_vk_ops_conv.c, CV_*): see the enum there.
#include "common.glsl"
#define DT_O 8
#include "types.glsl"

layout(set = 1, binding = 0) uniform samplerBuffer tX;
layout(set = 1, binding = 1) uniform samplerBuffer tBias;
layout(set = 1, binding = 2) uniform samplerBuffer tW;
// Work-group size: 8 on CPU devices (lavapipe's SIMD width), 64 on GPUs.
#ifndef CONV_WG
#define CONV_WG 8
#endif
layout(local_size_x = CONV_WG) in;

#ifndef CONV_TM
#define CONV_TM 8
#endif
#ifndef CONV_TN
#define CONV_TN 8
#endif

void main() {
  uint groups = P(0), coutg = P(1), cg = P(2);
  uint H = P(3), W = P(4), KH = P(5), KW = P(6), OW = P(8), OHW = P(9);
  int sh = int(P(10)), sw = int(P(11)), ph = int(P(12)), pw = int(P(13)), dh = int(P(14)), dw = int(P(15));
  uint n = gl_WorkGroupID.z / groups, g = gl_WorkGroupID.z % groups;
  // x: offset, strides n, c, h, w (elements)
  uint xbase = P(16) + n * P(17) + g * cg * P(18);
  uint xsc = P(18), xsh = P(19), xsw = P(20);
  // w: offset, strides cout, cin, kh, kw
  uint co0 = g * coutg + gl_WorkGroupID.y * uint(CONV_TM);
  uint wsn = P(22), wsc = P(23), wsh = P(24), wsw = P(25);
  uint p0 = (gl_WorkGroupID.x * uint(CONV_WG) + gl_LocalInvocationID.x) * uint(CONV_TN);
  uint cend = g * coutg + coutg;
  // Each position's top-left input corner (positions past the end repeat
  // the last one; they are not stored).
  int ih0[CONV_TN], iw0[CONV_TN];
  for (int j = 0; j < CONV_TN; ++j) {
    uint p = min(p0 + uint(j), OHW - 1u);
    uint oh = p / OW, ow = p - oh * OW;
    ih0[j] = int(oh) * sh - ph;
    iw0[j] = int(ow) * sw - pw;
  }
  // Each output channel's weight row (channels past the group's end repeat
  // its last one).
  int wrow[CONV_TM];
  for (int m = 0; m < CONV_TM; ++m) {
    uint co = min(co0 + uint(m), cend - 1u);
#ifdef CONV_WVEC4
    wrow[m] = int((P(21) + co * wsn) >> 2);
#else
    wrow[m] = int(P(21) + co * wsn);
#endif
  }
  float acc[CONV_TM][CONV_TN];
  for (int m = 0; m < CONV_TM; ++m)
    for (int j = 0; j < CONV_TN; ++j) acc[m][j] = 0.0;
  uint kdim = cg * KH * KW;
  // r = (ci, kh, kw), walked with counters (no divisions), 4 terms per
  // step so that each accumulator is written once per step (lavapipe
  // blends every loop-carried write with the loop mask). Terms past kdim
  // are zeros in both factors.
  uint ci = 0u, kh = 0u, kw = 0u;
  int wq = 0;
  for (uint r = 0u; r < kdim; r += 4u) {
    float a[CONV_TM][4];
    float b[4][CONV_TN];
#ifdef CONV_WVEC4
    for (int m = 0; m < CONV_TM; ++m) {
      vec4 v = texelFetch(tW, wrow[m] + wq);
      a[m][0] = v.x;
      a[m][1] = v.y;
      a[m][2] = v.z;
      a[m][3] = v.w;
    }
#endif
    for (int rr = 0; rr < 4; ++rr) {
      bool live = r + uint(rr) < kdim;
#ifndef CONV_WVEC4
      uint woff = ci * wsc + kh * wsh + kw * wsw;
      for (int m = 0; m < CONV_TM; ++m) a[m][rr] = live ? texelFetch(tW, wrow[m] + int(woff)).x : 0.0;
#endif
      uint xoff = xbase + ci * xsc;
      int dy = int(kh) * dh, dx = int(kw) * dw;
      for (int j = 0; j < CONV_TN; ++j) {
        int ih = ih0[j] + dy, iw = iw0[j] + dx;
        bool in_ = live && uint(ih) < H && uint(iw) < W;
        int idx = int(xoff) + ih * int(xsh) + iw * int(xsw);
        b[rr][j] = in_ ? texelFetch(tX, idx).x : 0.0;
      }
      kw += 1u;
      if (kw == KW) {
        kw = 0u;
        kh += 1u;
        if (kh == KH) {
          kh = 0u;
          ci += 1u;
        }
      }
    }
    wq += 1;
    for (int m = 0; m < CONV_TM; ++m)
      for (int j = 0; j < CONV_TN; ++j) {
        float s = acc[m][j];
        s = fma(a[m][0], b[0][j], s);
        s = fma(a[m][1], b[1][j], s);
        s = fma(a[m][2], b[2][j], s);
        s = fma(a[m][3], b[3][j], s);
        acc[m][j] = s;
      }
  }
  bool has_bias = P(28) != 0u;
  uint obase = P(29) + n * P(30);
  for (int m = 0; m < CONV_TM; ++m) {
    uint co = co0 + uint(m);
    if (co >= cend) break;
    float bv = has_bias ? texelFetch(tBias, int(P(26) + co * P(27))).x : 0.0;
    for (int j = 0; j < CONV_TN; ++j) {
      uint p = p0 + uint(j);
      if (p >= OHW) break;
      uint oh = p / OW, ow = p - oh * OW;
      dO[obase + co * P(31) + oh * P(32) + ow * P(33)] = acc[m][j] + bv;
    }
  }
}
