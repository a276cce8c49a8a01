#version 450
// conv2d_rows.comp - f32 conv2d, stride 1 and dilation 1, rows read as
// vec4 texels: each invocation computes CONV_TM output channels x 8
// consecutive positions of one output row (work groups of CONV_WG). Per (kh, 4 input channels) it
// fetches the 16 input columns ow0 - 4 .. ow0 + 11 of each channel's row
// (4 vec4s, zero outside the image) once and uses them for every kw; the
// weight, repacked by the host to [KH][KW][Cout][Cg] (Cg a multiple of
// 4), is read as vec4s along the input channels. The specialization
// constant holds KW | pad_w << 8, so the column picks are constants.
// Needs: W, OW % 8, the x offset and its n/c/h strides in whole vec4s,
// unit w stride, pad_w <= 4, KW - pad_w <= 5, KW <= 9 (src/bp_vk_ops_conv.c).
// Bias added last, as reference/src/ref_nn.c. Parameter words: CV_* there.
#include "common.glsl"
#define DT_O 8
#include "types.glsl"

layout(set = 1, binding = 0) uniform samplerBuffer tX;    // vec4
layout(set = 1, binding = 1) uniform samplerBuffer tBias; // R32
layout(set = 1, binding = 2) uniform samplerBuffer tW;    // vec4, repacked
// Work-group size: 8 on CPU devices (lavapipe's SIMD width), 64 on GPUs.
#ifndef CONV_WG
#define CONV_WG 8
#endif
layout(local_size_x = CONV_WG) in;
layout(constant_id = 0) const uint SPEC = 0u;
const int KWC = int(SPEC & 0xffu);
const int PWC = int(SPEC >> 8u);

#ifndef CONV_TM
#define CONV_TM 8
#endif

// Kernel column kw of output channel m: 4 input channels' terms added to
// s (constant column picks once KW and pad_w are known).
#define TAP(kw)                                    \
  if (kw < KWC) {                                  \
    s = fma(a[kw].x, xv[0][4 + j - PWC + kw], s);  \
    s = fma(a[kw].y, xv[1][4 + j - PWC + kw], s);  \
    s = fma(a[kw].z, xv[2][4 + j - PWC + kw], s);  \
    s = fma(a[kw].w, xv[3][4 + j - PWC + kw], s);  \
  }

void main() {
  uint groups = P(0), coutg = P(1), cg = P(2);
  uint H = P(3), W = P(4), KH = P(5), OW = P(8), OHW = P(9);
  int ph = int(P(12));
  uint n = gl_WorkGroupID.z / groups, g = gl_WorkGroupID.z % groups;
  uint xg = P(16) + n * P(17) + g * cg * P(18);
  uint xsc = P(18), xsh = P(19);
  uint cout = coutg * groups;
  uint co0 = g * coutg + gl_WorkGroupID.y * uint(CONV_TM), cend = g * coutg + coutg;
  uint p0 = min((gl_WorkGroupID.x * uint(CONV_WG) + gl_LocalInvocationID.x) * 8u, OHW - 8u);
  uint oh = p0 / OW, ow0 = p0 - oh * OW;
  // Columns ow0 - 4 + i of the fetched segment that lie inside the image.
  bool colok[16];
  for (int i = 0; i < 16; ++i) colok[i] = uint(int(ow0) - 4 + i) < W;
  int wrow[CONV_TM];
  for (int m = 0; m < CONV_TM; ++m) wrow[m] = int((P(21) + min(co0 + uint(m), cend - 1u) * cg) >> 2);
  int tap = int((cout * cg) >> 2);
  float acc[CONV_TM][8];
  for (int m = 0; m < CONV_TM; ++m)
    for (int j = 0; j < 8; ++j) acc[m][j] = 0.0;
  for (uint kh = 0u; kh < KH; ++kh) {
    int ih = int(oh) - ph + int(kh);
    bool rowok = uint(ih) < H;
    int rowq = (int(xg) + ih * int(xsh) + int(ow0)) / 4 - 1;
    int wk = int(kh) * KWC * tap;
    for (uint ci = 0u; ci < cg; ci += 4u) {
      float xv[4][16];
      for (int c = 0; c < 4; ++c) {
        int q = rowq + int((ci + uint(c)) * xsc) / 4;
        for (int s = 0; s < 4; ++s) {
          vec4 v = rowok ? texelFetch(tX, q + s) : vec4(0.0);
          xv[c][4 * s + 0] = colok[4 * s + 0] ? v.x : 0.0;
          xv[c][4 * s + 1] = colok[4 * s + 1] ? v.y : 0.0;
          xv[c][4 * s + 2] = colok[4 * s + 2] ? v.z : 0.0;
          xv[c][4 * s + 3] = colok[4 * s + 3] ? v.w : 0.0;
        }
      }
      int wci = int(ci >> 2);
      // Per output channel: its KW weight vec4s, then every position's
      // terms summed before the one update of its accumulator.
      for (int m = 0; m < CONV_TM; ++m) {
        vec4 a[9];
        for (int kw = 0; kw < KWC; ++kw) a[kw] = texelFetch(tW, wk + kw * tap + wrow[m] + wci);
        for (int j = 0; j < 8; ++j) {
          float s = acc[m][j];
          TAP(0) TAP(1) TAP(2) TAP(3) TAP(4) TAP(5) TAP(6) TAP(7) TAP(8)
          acc[m][j] = s;
        }
      }
    }
  }
  bool has_bias = P(28) != 0u;
  uint obase = P(29) + n * P(30);
  uint pfirst = (gl_WorkGroupID.x * uint(CONV_WG) + gl_LocalInvocationID.x) * 8u;
  if (pfirst >= OHW) return;
  for (int m = 0; m < CONV_TM; ++m) {
    uint co = co0 + uint(m);
    if (co >= cend) break;
    float bv = has_bias ? texelFetch(tBias, int(P(26) + co * P(27))).x : 0.0;
    uint ob = obase + co * P(31) + oh * P(32);
    for (int j = 0; j < 8; ++j) dO[ob + (ow0 + uint(j)) * P(33)] = acc[m][j] + bv;
  }
}
