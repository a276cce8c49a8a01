#version 450
// convbwt.comp - f32 conv2d_backward (reference/src/ref_nn_backward.c) as
// implicit GEMMs with texel reads, for CPU devices (lavapipe gathers texel
// fetches with SIMD loads; it reads storage buffers lane by lane). Three
// dispatches (src/bp_vk_ops_convbwt.c), CB_MODE a compile-time define:
//  0 grad_input per (image, group): gx[c, p] = sum_r w0[c, r] * G[r, p],
//    p = (ih, iw), r = (oc, a, b) over the group's output channels and the
//    kernel; w0 is the weight repacked by the host to [C][R0 rounded up to
//    4] (vec4 rows, texel binding 0), G[r, p] = grad_output at
//    ((ih + ph - a dh) / sh, (iw + pw - b dw) / sw) where that divides and
//    is inside (R32, binding 1). A work group of CONV_WG invocations, each
//    CONV_TM channels x CONV_TN positions, as conv2d.comp. Specialization
//    constant bit 0: unit stride (no divisibility tests).
//  1 grad_weight and grad_bias partial sums: gw[oc, r] = sum_k g[oc, k] *
//    X[r, k], r = (ci, a, b), k = (n, oh, ow) over the images and output
//    positions. The sum over k is split: every invocation takes one range
//    of k (its split) for a tile of CONV_TM output channels x CONV_TN
//    columns r and stores its partial sums (work groups along x: column
//    tiles, y: channel tiles, z: group + groups * (split / CONV_WG)); the
//    column-tile-0 invocations also sum grad_output for the bias. g is
//    read as R32 (binding 0), or with CB_GV4 as vec4s of 4 positions (g
//    rows contiguous, offsets, strides and OH*OW in whole vec4s); x as R32
//    (binding 1). Partials: [split][C_out * R + C_out] floats at an offset
//    of the storage binding 1.
//  3 grad_weight and grad_bias partials as mode 1, for stride 1 and
//    dilation 1 with rows in whole vec4s: row segments (see there).
//  2 the sums over the splits, in split order (one invocation per output
//    element): grad_weight (storage binding 1) with its strides, then
//    grad_bias (storage binding 2). Partials read as R32 (texel binding 0).
// f32 accumulation (fma); the reference sums in f64 and rounds once (the
// conformance tolerance covers the order). Parameter words: CB_* in
// src/bp_vk_ops_convbwt.c (the comments below name them).
#include "common.glsl"

layout(set = 1, binding = 0) uniform samplerBuffer t0;
layout(set = 1, binding = 1) uniform samplerBuffer t1;
layout(std430, set = 0, binding = 1) buffer Out1 { float o1[]; };
layout(std430, set = 0, binding = 2) buffer Out2 { float o2[]; };
#ifndef CONV_WG
#define CONV_WG 8
#endif
layout(local_size_x = CONV_WG) in;
layout(constant_id = 0) const uint SPEC = 0u;
const bool UNIT = (SPEC & 1u) != 0u;

#ifndef CONV_TM
#define CONV_TM 8
#endif
#ifndef CONV_TN
#define CONV_TN 8
#endif

void main() {
  uint groups = P(0), coutg = P(1), cg = P(2);
  uint H = P(3), W = P(4), KH = P(5), KW = P(6), OH = P(7), OW = P(8), OHW = P(9);
  int sh = int(P(10)), sw = int(P(11)), ph = int(P(12)), pw = int(P(13)), dh = int(P(14)), dw = int(P(15));
  // x: [16] offset, [17..20] strides n, c, h, w; g (grad_output): [21]
  // offset, [22..25] strides; [26] w0 offset, [27] w0 row length (R0 in
  // whole vec4s); grad_input [28] offset, [29..32] strides; [33] images;
  // [34] H * W; [35] k per split; [36] R = cg * KH * KW; [37] partials
  // offset; grad_weight [38] offset, [39..42] strides; grad_bias [43]
  // offset, [44] stride; [45] splits; [46] R0 = coutg * KH * KW.
  uint xsn = P(17), xsc = P(18), xsh = P(19), xsw = P(20);
  uint gsn = P(22), gsc = P(23), gsh = P(24), gsw = P(25);
#if CB_MODE == 0
  uint n = gl_WorkGroupID.z / groups, grp = gl_WorkGroupID.z % groups;
  uint HW = P(34), R0 = P(46);
  uint c0 = grp * cg + gl_WorkGroupID.y * uint(CONV_TM), cend = grp * cg + cg;
  uint p0 = (gl_WorkGroupID.x * uint(CONV_WG) + gl_LocalInvocationID.x) * uint(CONV_TN);
  // Each position's (ih + ph, iw + pw) (positions past the end repeat the
  // last one; they are not stored).
  int ihp[CONV_TN], iwp[CONV_TN];
  for (int j = 0; j < CONV_TN; ++j) {
    uint p = min(p0 + uint(j), HW - 1u);
    uint ih = p / W;
    ihp[j] = int(ih) + ph;
    iwp[j] = int(p - ih * W) + pw;
  }
  int wrow[CONV_TM];
  for (int m = 0; m < CONV_TM; ++m) wrow[m] = int((P(26) + min(c0 + uint(m), cend - 1u) * P(27)) >> 2);
  float acc[CONV_TM][CONV_TN];
  for (int m = 0; m < CONV_TM; ++m)
    for (int j = 0; j < CONV_TN; ++j) acc[m][j] = 0.0;
  uint gbase = P(21) + n * gsn + grp * coutg * gsc;
  uint oc = 0u, a = 0u, b = 0u;
  int wq = 0;
  for (uint r = 0u; r < R0; r += 4u) {
    float av[CONV_TM][4];
    float bv[4][CONV_TN];
    for (int m = 0; m < CONV_TM; ++m) {
      vec4 v = texelFetch(t0, wrow[m] + wq);
      // the row's padding past R0 is not written by the repack: zeros here
      av[m][0] = v.x;
      av[m][1] = r + 1u < R0 ? v.y : 0.0;
      av[m][2] = r + 2u < R0 ? v.z : 0.0;
      av[m][3] = r + 3u < R0 ? v.w : 0.0;
    }
    for (int rr = 0; rr < 4; ++rr) {
      bool live = r + uint(rr) < R0;
      int ady = int(a) * dh, bdx = int(b) * dw;
      uint goc = gbase + oc * gsc;
      for (int j = 0; j < CONV_TN; ++j) {
        int th = ihp[j] - ady, tw = iwp[j] - bdx;
        bool ok;
        uint oh, ow;
        if (UNIT) {
          oh = uint(th);
          ow = uint(tw);
          ok = live && oh < OH && ow < OW;
        } else {
          uint uth = uint(max(th, 0)), utw = uint(max(tw, 0));
          oh = uth / uint(sh);
          ow = utw / uint(sw);
          ok = live && th >= 0 && tw >= 0 && oh * uint(sh) == uth && ow * uint(sw) == utw && oh < OH && ow < OW;
        }
        int idx = ok ? int(goc + oh * gsh + ow * gsw) : 0;
        bv[rr][j] = ok ? texelFetch(t1, idx).x : 0.0;
      }
      b += 1u;
      if (b == KW) {
        b = 0u;
        a += 1u;
        if (a == KH) {
          a = 0u;
          oc += 1u;
        }
      }
    }
    wq += 1;
    for (int m = 0; m < CONV_TM; ++m)
      for (int j = 0; j < CONV_TN; ++j) {
        float s = acc[m][j];
        s = fma(av[m][0], bv[0][j], s);
        s = fma(av[m][1], bv[1][j], s);
        s = fma(av[m][2], bv[2][j], s);
        s = fma(av[m][3], bv[3][j], s);
        acc[m][j] = s;
      }
  }
  uint obase = P(28) + n * P(29);
  for (int m = 0; m < CONV_TM; ++m) {
    uint c = c0 + uint(m);
    if (c >= cend) break;
    for (int j = 0; j < CONV_TN; ++j) {
      uint p = p0 + uint(j);
      if (p >= HW) break;
      uint ih = p / W, iw = p - ih * W;
      o1[obase + c * P(30) + ih * P(31) + iw * P(32)] = acc[m][j];
    }
  }
#elif CB_MODE == 1
  uint grp = gl_WorkGroupID.z % groups;
  uint split = (gl_WorkGroupID.z / groups) * uint(CONV_WG) + gl_LocalInvocationID.x;
  uint R = P(36), KHW = KH * KW, cout = coutg * groups;
  uint o0 = gl_WorkGroupID.y * uint(CONV_TM);
  uint r0 = gl_WorkGroupID.x * uint(CONV_TN);
  // Each row's grad_output channel offset (rows past the group's end
  // repeat its last one; they are not stored).
  uint grow[CONV_TM];
  for (int m = 0; m < CONV_TM; ++m) grow[m] = P(21) + (grp * coutg + min(o0 + uint(m), coutg - 1u)) * gsc;
  // Each column's x channel offset and kernel displacement.
  uint xcol[CONV_TN];
  int ady[CONV_TN], bdx[CONV_TN];
  for (int j = 0; j < CONV_TN; ++j) {
    uint r = min(r0 + uint(j), R - 1u);
    uint ci = r / KHW, rest = r - ci * KHW;
    uint a = rest / KW, b = rest - a * KW;
    xcol[j] = P(16) + (grp * cg + ci) * xsc;
    ady[j] = int(a) * dh - ph;
    bdx[j] = int(b) * dw - pw;
  }
  float acc[CONV_TM][CONV_TN];
  float bsum[CONV_TM];
  for (int m = 0; m < CONV_TM; ++m) {
    bsum[m] = 0.0;
    for (int j = 0; j < CONV_TN; ++j) acc[m][j] = 0.0;
  }
  bool bias = gl_WorkGroupID.x == 0u;
  uint kall = P(33) * OHW, kchunk = P(35);
  uint k0 = min(split * kchunk, kall), k1 = min(k0 + kchunk, kall);
  // k = n * OHW + pos, walked with counters (k0 and kchunk are whole 4s)
  uint n = k0 / OHW, pos = k0 - n * OHW;
  uint oh = pos / OW, ow = pos - oh * OW;
  for (uint k = k0; k < k1; k += 4u) {
    float av[CONV_TM][4];
    float bv[4][CONV_TN];
#ifdef CB_GV4
    // 4 positions of one image (OH * OW in whole 4s)
    int gq = int((n * gsn + pos) >> 2);
    for (int m = 0; m < CONV_TM; ++m) {
      vec4 v = texelFetch(t0, int(grow[m] >> 2) + gq);
      av[m][0] = v.x;
      av[m][1] = k + 1u < k1 ? v.y : 0.0;
      av[m][2] = k + 2u < k1 ? v.z : 0.0;
      av[m][3] = k + 3u < k1 ? v.w : 0.0;
    }
#endif
    for (int rr = 0; rr < 4; ++rr) {
      bool live = k + uint(rr) < k1;
#ifndef CB_GV4
      uint gq = n * gsn + oh * gsh + ow * gsw;
      for (int m = 0; m < CONV_TM; ++m) av[m][rr] = live ? texelFetch(t0, int(live ? grow[m] + gq : 0u)).x : 0.0;
#endif
      uint xn = n * xsn;
      int ihb = int(oh) * sh, iwb = int(ow) * sw;
      for (int j = 0; j < CONV_TN; ++j) {
        int ih = ihb + ady[j], iw = iwb + bdx[j];
        bool ok = live && uint(ih) < H && uint(iw) < W;
        int idx = ok ? int(xcol[j] + xn + uint(ih) * xsh + uint(iw) * xsw) : 0;
        bv[rr][j] = ok ? texelFetch(t1, idx).x : 0.0;
      }
      ow += 1u;
      pos += 1u;
      if (ow == OW) {
        ow = 0u;
        oh += 1u;
        if (oh == OH) {
          oh = 0u;
          pos = 0u;
          n += 1u;
        }
      }
    }
    for (int m = 0; m < CONV_TM; ++m) {
      for (int j = 0; j < CONV_TN; ++j) {
        float s = acc[m][j];
        s = fma(av[m][0], bv[0][j], s);
        s = fma(av[m][1], bv[1][j], s);
        s = fma(av[m][2], bv[2][j], s);
        s = fma(av[m][3], bv[3][j], s);
        acc[m][j] = s;
      }
      if (bias) bsum[m] = bsum[m] + av[m][0] + av[m][1] + av[m][2] + av[m][3];
    }
  }
  if (split >= P(45)) return;
  uint pbase = P(37) + split * (cout * R + cout);
  for (int m = 0; m < CONV_TM; ++m) {
    uint ocl = o0 + uint(m);
    if (ocl >= coutg) break;
    uint oc = grp * coutg + ocl;
    for (int j = 0; j < CONV_TN; ++j) {
      uint r = r0 + uint(j);
      if (r >= R) break;
      o1[pbase + oc * R + r] = acc[m][j];
    }
    if (bias) o1[pbase + cout * R + oc] = bsum[m];
  }
#elif CB_MODE == 3
  // grad_weight partials for stride 1 and dilation 1 with rows in whole
  // vec4s: an invocation takes CONV_TM output channels x 4 input channels
  // x kernel row a x every kernel column (work groups: x = ci / 4 * KH + a,
  // y = channel tile, z = group + groups * (split / CONV_WG)) and sums over
  // its split of the row segments (n, oh, 8 columns ow0 ..): per segment
  // it fetches the 8 grad_output values of each channel (2 vec4s) and the
  // 16 x columns ow0 - 4 .. ow0 + 11 of the 4 input channels' row
  // oh - ph + a (4 vec4s each, zero outside), used for every kernel column.
  // SPEC: KW | pad_w << 8 (constant column picks). Column tile 0 (ci 0,
  // a 0) also sums the bias.
  const int KWC = int(SPEC & 0xffu), PWC = int(SPEC >> 8u);
  uint grp = gl_WorkGroupID.z % groups;
  uint split = (gl_WorkGroupID.z / groups) * uint(CONV_WG) + gl_LocalInvocationID.x;
  uint R = P(36), cout = coutg * groups;
  uint ci4 = gl_WorkGroupID.x / KH, a = gl_WorkGroupID.x - ci4 * KH;
  uint o0 = gl_WorkGroupID.y * uint(CONV_TM);
  uint grow[CONV_TM];
  for (int m = 0; m < CONV_TM; ++m) grow[m] = P(21) + (grp * coutg + min(o0 + uint(m), coutg - 1u)) * gsc;
  uint xc[4];
  for (int c = 0; c < 4; ++c) xc[c] = P(16) + (grp * cg + ci4 * 4u + uint(c)) * xsc;
  float acc[CONV_TM][4][9];
  float bsum[CONV_TM];
  for (int m = 0; m < CONV_TM; ++m) {
    bsum[m] = 0.0;
    for (int c = 0; c < 4; ++c)
      for (int b = 0; b < 9; ++b) acc[m][c][b] = 0.0;
  }
  bool bias = gl_WorkGroupID.x == 0u;
  uint segs = OW / 8u, items = P(33) * OH * segs, chunk = P(35);
  uint i0 = min(split * chunk, items), i1 = min(i0 + chunk, items);
  uint n = i0 / (OH * segs), rest = i0 - n * (OH * segs);
  uint oh = rest / segs, seg = rest - oh * segs;
  for (uint it = i0; it < i1; ++it) {
    uint ow0 = seg * 8u;
    int ih = int(oh) - ph + int(a);
    bool rowok = uint(ih) < H;
    float xv[4][16];
    for (int c = 0; c < 4; ++c) {
      int q = int((xc[c] + n * xsn + ow0) >> 2) + ih * int(xsh >> 2) - 1;
      for (int t = 0; t < 4; ++t) {
        vec4 v = rowok ? texelFetch(t1, q + t) : vec4(0.0);
        bool c0 = uint(int(ow0) - 4 + 4 * t) < W, c1 = uint(int(ow0) - 3 + 4 * t) < W;
        bool c2 = uint(int(ow0) - 2 + 4 * t) < W, c3 = uint(int(ow0) - 1 + 4 * t) < W;
        xv[c][4 * t + 0] = c0 ? v.x : 0.0;
        xv[c][4 * t + 1] = c1 ? v.y : 0.0;
        xv[c][4 * t + 2] = c2 ? v.z : 0.0;
        xv[c][4 * t + 3] = c3 ? v.w : 0.0;
      }
    }
    uint gq = n * gsn + oh * gsh + ow0;
    for (int m = 0; m < CONV_TM; ++m) {
      int q = int((grow[m] + gq) >> 2);
      vec4 g0 = texelFetch(t0, q), g1 = texelFetch(t0, q + 1);
      float gv[8] = float[8](g0.x, g0.y, g0.z, g0.w, g1.x, g1.y, g1.z, g1.w);
      for (int c = 0; c < 4; ++c)
        for (int b = 0; b < 9; ++b) {
          if (b < KWC) {
            int o = 4 - PWC + b;
            float s = ((gv[0] * xv[c][o] + gv[1] * xv[c][o + 1]) + (gv[2] * xv[c][o + 2] + gv[3] * xv[c][o + 3])) +
                      ((gv[4] * xv[c][o + 4] + gv[5] * xv[c][o + 5]) + (gv[6] * xv[c][o + 6] + gv[7] * xv[c][o + 7]));
            acc[m][c][b] += s;
          }
        }
      if (bias) bsum[m] += ((gv[0] + gv[1]) + (gv[2] + gv[3])) + ((gv[4] + gv[5]) + (gv[6] + gv[7]));
    }
    seg += 1u;
    if (seg == segs) {
      seg = 0u;
      oh += 1u;
      if (oh == OH) {
        oh = 0u;
        n += 1u;
      }
    }
  }
  if (split >= P(45)) return;
  uint pbase = P(37) + split * (cout * R + cout);
  for (int m = 0; m < CONV_TM; ++m) {
    uint ocl = o0 + uint(m);
    if (ocl >= coutg) break;
    uint oc = grp * coutg + ocl;
    for (int c = 0; c < 4; ++c)
      for (int b = 0; b < 9; ++b)
        if (b < KWC) o1[pbase + oc * R + ((ci4 * 4u + uint(c)) * KH + a) * KW + uint(b)] = acc[m][c][b];
    if (bias) o1[pbase + cout * R + oc] = bsum[m];
  }
#else
  uint idx = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * uint(CONV_WG) + gl_LocalInvocationID.x;
  uint R = P(36), cout = coutg * groups, per = cout * R + cout, splits = P(45);
  if (idx >= per) return;
  float s = 0.0;
  int q = int(P(37) + idx);
  for (uint t = 0u; t < splits; ++t) s += texelFetch(t0, q + int(t * per)).x;
  if (idx < cout * R) {
    uint oc = idx / R, r = idx - oc * R, KHW = KH * KW;
    uint ci = r / KHW, rest = r - ci * KHW;
    uint a = rest / KW, b = rest - a * KW;
    o1[P(38) + oc * P(39) + ci * P(40) + a * P(41) + b * P(42)] = s;
  } else {
    o2[P(43) + (idx - cout * R) * P(44)] = s;
  }
#endif
}
